/**
 * Grafana's datasources and dashboards, derived from the specs (pure): a platform overview, and one
 * dashboard per service family (a catalogue entry: Elasticsearch with Kibana, the object store's
 * engine, the monitoring stack with the hosts). Panels read signals only (`platform:*`, recorded on
 * every target from whatever the target's metric source is), so a dashboard is the same wherever the
 * service runs; each family's dashboard has its services' up, CPU and memory, their own panels
 * (`metrics.panels`) and their logs.
 */
import type { Panel, ServiceSpec } from '../constructs/spec/types';
import { metricNames } from './promql';

export interface DatasourceTargets {
  readonly prometheus: { readonly url: string; readonly basicAuth?: { readonly user: string; readonly passwordFile: string } };
  readonly alertmanager?: { readonly url: string; readonly basicAuth?: { readonly user: string; readonly passwordFile: string } };
  readonly loki: { readonly url: string };
  readonly jaeger: { readonly url: string };
  /** AWS: CloudWatch through the SDK's default credentials (Pod Identity). */
  readonly cloudwatch?: { readonly region: string };
  readonly scrapeInterval: string;
}

export const DATASOURCE_UIDS = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  loki: 'loki',
  jaeger: 'jaeger',
  cloudwatch: 'cloudwatch',
};

/** Grafana provisioning entries (`datasources:` of a provisioning file, or the chart's additionalDataSources). */
export function datasources(t: DatasourceTargets, opts: { include: readonly (keyof typeof DATASOURCE_UIDS)[] }): Record<string, unknown>[] {
  const basic = (b?: { user: string; passwordFile: string }) =>
    b ? { basicAuth: true, basicAuthUser: b.user, secureJsonData: { basicAuthPassword: `$__file{${b.passwordFile}}` } } : {};
  const all: Record<keyof typeof DATASOURCE_UIDS, Record<string, unknown> | undefined> = {
    prometheus: {
      name: 'Prometheus',
      type: 'prometheus',
      uid: DATASOURCE_UIDS.prometheus,
      access: 'proxy',
      url: t.prometheus.url,
      isDefault: true,
      editable: false,
      jsonData: { httpMethod: 'POST', timeInterval: t.scrapeInterval },
      ...basic(t.prometheus.basicAuth),
    },
    alertmanager: t.alertmanager
      ? {
          name: 'Alertmanager',
          type: 'alertmanager',
          uid: DATASOURCE_UIDS.alertmanager,
          access: 'proxy',
          url: t.alertmanager.url,
          editable: false,
          jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
          ...basic(t.alertmanager.basicAuth),
        }
      : undefined,
    loki: {
      name: 'Loki',
      type: 'loki',
      uid: DATASOURCE_UIDS.loki,
      access: 'proxy',
      url: t.loki.url,
      editable: false,
      jsonData: { maxLines: 1000 },
    },
    jaeger: { name: 'Jaeger', type: 'jaeger', uid: DATASOURCE_UIDS.jaeger, access: 'proxy', url: t.jaeger.url, editable: false },
    cloudwatch: t.cloudwatch
      ? {
          name: 'CloudWatch',
          type: 'cloudwatch',
          uid: DATASOURCE_UIDS.cloudwatch,
          access: 'proxy',
          editable: false,
          jsonData: { authType: 'default', defaultRegion: t.cloudwatch.region },
        }
      : undefined,
  };
  return opts.include.flatMap((k) => (all[k] ? [all[k]!] : []));
}

/** A dashboard as Grafana's JSON model. */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly json: Record<string, unknown>;
}

/** A panel's query as the metric-name check reads it. */
export interface DashboardQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly datasource: 'prometheus' | 'loki';
  readonly expr: string;
}

const PROM = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus };
const LOKI = { type: 'loki', uid: DATASOURCE_UIDS.loki };

interface PanelInput {
  readonly title: string;
  readonly expr: string;
  readonly unit: string;
  readonly legend?: string;
  readonly kind?: 'timeseries' | 'stat' | 'logs';
}

function panelsJson(inputs: readonly PanelInput[]): Record<string, unknown>[] {
  return inputs.map((p, i) => {
    const logs = p.kind === 'logs';
    return {
      id: i + 1,
      type: p.kind ?? 'timeseries',
      title: p.title,
      datasource: logs ? LOKI : PROM,
      gridPos: logs ? { h: 10, w: 24, x: 0, y: 8 * Math.ceil(i / 2) } : { h: 8, w: 12, x: (i % 2) * 12, y: 8 * Math.floor(i / 2) },
      targets: [
        logs
          ? { refId: 'A', expr: p.expr, datasource: LOKI }
          : { refId: 'A', expr: p.expr, legendFormat: p.legend ?? '{{service}}', datasource: PROM },
      ],
      ...(logs
        ? { options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending' } }
        : { fieldConfig: { defaults: { unit: p.unit }, overrides: [] } }),
    };
  });
}

function dashboard(uid: string, title: string, tags: readonly string[], panels: readonly PanelInput[]): Dashboard {
  return {
    uid,
    title,
    json: {
      uid,
      title,
      tags: ['platform', ...tags],
      editable: false,
      timezone: 'browser',
      schemaVersion: 39,
      version: 1,
      refresh: '30s',
      time: { from: 'now-6h', to: 'now' },
      panels: panelsJson(panels),
    },
  };
}

/** The families of a set of specs: catalogue entries, each with its specs. */
export function families(specs: readonly ServiceSpec[]): Map<string, ServiceSpec[]> {
  const out = new Map<string, ServiceSpec[]>();
  for (const s of specs) out.set(s.component, [...(out.get(s.component) ?? []), s]);
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

const matcher = (specs: readonly ServiceSpec[]) => `service=~"${specs.map((s) => s.name).join('|')}"`;

/**
 * The platform overview and one dashboard per family of the specs. With `recorded` (the signals the
 * target records), a service's own panels that read a signal nobody records there are left out (a
 * managed service's CloudWatch metrics state fewer facts than its exporter).
 */
export function dashboards(specs: readonly ServiceSpec[], recorded?: ReadonlySet<string>): Dashboard[] {
  const shown = (p: Panel) => !recorded || metricNames(p.expr).every((n) => !n.startsWith('platform:') || recorded.has(n));
  const overview = dashboard(
    'platform-overview',
    'Platform overview',
    ['overview'],
    [
      { title: 'Services up (members up, 0 = down)', expr: 'sum by (service) (platform:service_up)', unit: 'short', kind: 'stat' },
      {
        title: 'Firing alerts',
        expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})',
        unit: 'short',
        legend: '{{alertname}} ({{severity}})',
      },
      {
        title: 'Error rate per service',
        expr: 'platform:request_errors:rate5m / on (service) platform:requests:rate5m',
        unit: 'percentunit',
      },
      { title: 'Queue backlog', expr: 'platform:queue_backlog:messages', unit: 'short', legend: '{{service}} {{queue}}' },
      {
        title: 'Busiest containers: CPU of limit',
        expr: 'topk(10, platform:container_cpu_usage:ratio)',
        unit: 'percentunit',
        legend: '{{service}} {{container}}',
      },
      {
        title: 'Busiest containers: memory of limit',
        expr: 'topk(10, platform:container_memory_usage:ratio)',
        unit: 'percentunit',
        legend: '{{service}} {{container}}',
      },
      { title: 'Hosts: CPU used', expr: 'platform:node_cpu_usage:ratio', unit: 'percentunit', legend: '{{instance}}' },
      { title: 'Hosts: memory used', expr: 'platform:node_memory_usage:ratio', unit: 'percentunit', legend: '{{instance}}' },
    ],
  );
  const perFamily = [...families(specs)].map(([family, members]) => {
    const m = matcher(members);
    const own: PanelInput[] = members.flatMap((s) => (s.metrics.panels ?? []).filter(shown).map((p: Panel) => ({ ...p })));
    return dashboard(
      `platform-${family}`,
      `Platform: ${family}`,
      [family],
      [
        { title: 'Members up', expr: `sum by (service) (platform:service_up{${m}})`, unit: 'short', kind: 'stat' },
        { title: 'Scrapes answering', expr: `sum by (service, job) (up{${m}})`, unit: 'short', legend: '{{job}}' },
        { title: 'CPU of limit', expr: `platform:container_cpu_usage:ratio{${m}}`, unit: 'percentunit', legend: '{{container}}' },
        { title: 'Memory of limit', expr: `platform:container_memory_usage:ratio{${m}}`, unit: 'percentunit', legend: '{{container}}' },
        ...own,
        { title: 'Logs', expr: `{${m}}`, unit: 'short', kind: 'logs' },
      ],
    );
  });
  return [overview, ...perFamily];
}

/** Every query of the dashboards, for the metric-name check. */
export function dashboardQueries(ds: readonly Dashboard[]): DashboardQuery[] {
  return ds.flatMap((d) =>
    ((d.json.panels as { title: string; datasource: { type: string }; targets: { expr: string }[] }[]) ?? []).flatMap((p) =>
      p.targets.map((t) => ({
        dashboard: d.uid,
        panel: p.title,
        datasource: p.datasource.type === 'loki' ? ('loki' as const) : ('prometheus' as const),
        expr: t.expr,
      })),
    ),
  );
}

/** The file provider that loads the dashboards from a directory. */
export function dashboardProvider(path: string): string {
  return `${JSON.stringify(
    {
      apiVersion: 1,
      providers: [
        { name: 'platform', orgId: 1, folder: 'Platform', type: 'file', disableDeletion: true, editable: false, options: { path } },
      ],
    },
    null,
    2,
  )}\n`;
}
