/**
 * The alert and recording rules, from one source, for every target (pure).
 *
 * Two kinds of rules:
 * - **signals** (recording rules, `platform:*`): each service states its facts in the names its metric
 *   source serves (its spec's `metrics.signals`; a realization that serves other names, such as
 *   CloudNativePG, or a cloud service read through CloudWatch, states the same signals in its own);
 * - **alerts** on signals only: the generic ones below (from the platform's documents: a target or
 *   service down, error rate, queue backlog, a cluster that lost a member, certificates, backups) and
 *   each service's own (`metrics.alerts`). They are the same rules on every target; each carries a
 *   severity, a summary and a runbook (docs/runbooks/<name>.md).
 *
 * The Docker target writes the groups into Prometheus' rule file; the Kubernetes target hands the
 * same groups to kube-prometheus-stack as a PrometheusRule. `ruleTests` writes the promtool unit
 * tests: every alert fires on synthetic failing series and stays quiet on healthy ones, and every
 * signal computes its example.
 */
import type { AlertRule, MetricSource, SeriesValues, ServiceSpec, Signal } from '../constructs/spec/types';
import { metricNames } from './promql';

/** A Prometheus rule group, as rule files and PrometheusRule resources take it. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: string };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

/** What a target's Prometheus records for one service: the source's names and its signals there. */
export interface SignalSource {
  /** The service the signals describe (the group is named after it). */
  readonly service: string;
  readonly names: readonly MetricSource[];
  readonly signals: readonly Signal[];
}

export interface RuleInputs {
  readonly sources: readonly SignalSource[];
  /** The alerts of the services (their specs' `metrics.alerts`). */
  readonly alerts: readonly AlertRule[];
  /** Services that run as a cluster, with their member count (ClusterMemberLost watches each). */
  readonly clusters: readonly { readonly service: string; readonly members: number }[];
  /** Where runbooks are read: `<base><Alert>.md`. */
  readonly runbookBase: string;
}

/** The group holding every alert. */
export const ALERT_GROUP = 'platform-alerts';
export const signalGroup = (service: string) => `platform-signals-${service}`;

/** Every service records whether each member is up (1) or not (0). */
export const SERVICE_UP = 'platform:service_up';
/** Members of a clustered service that are up. */
export const CLUSTER_MEMBERS = 'platform:cluster_members';

const H = 60;

const BACKUP_AGE_NAME = 'platform:backup_age:seconds';
const BACKUP_MAX_AGE_NAME = 'platform:backup_max_age:seconds';

/** The platform's generic alerts (the services' own are in their specs). */
export const GENERIC_ALERTS: readonly AlertRule[] = [
  {
    name: 'TargetDown',
    expr: 'up == 0',
    for: '5m',
    severity: 'warning',
    summary: '{{ $labels.service }}: Prometheus cannot scrape {{ $labels.instance }}',
    description:
      'A metrics endpoint has not answered for five minutes: the exporter, the service behind a native endpoint, or the path to it is down.',
    test: {
      firing: {
        series: { 'up{job="redis",service="redis",instance="redis-exporter:9121"}': 0 },
        labels: { job: 'redis', service: 'redis', instance: 'redis-exporter:9121' },
      },
      healthy: { 'up{job="redis",service="redis",instance="redis-exporter:9121"}': 1 },
    },
  },
  {
    name: 'ServiceDown',
    expr: `${SERVICE_UP} == 0`,
    for: '2m',
    severity: 'critical',
    summary: '{{ $labels.service }} is down ({{ $labels.instance }})',
    description:
      "The service's own health signal (the exporter's connection to it, or a probe of its health endpoint) has failed for two minutes.",
    test: {
      firing: {
        series: { [`${SERVICE_UP}{service="postgres",instance="postgres-exporter:9187"}`]: 0 },
        labels: { service: 'postgres', instance: 'postgres-exporter:9187' },
      },
      healthy: { [`${SERVICE_UP}{service="postgres",instance="postgres-exporter:9187"}`]: 1 },
    },
  },
  {
    name: 'HighErrorRate',
    expr: '(platform:request_errors:rate5m / on (service) platform:requests:rate5m) > 0.05 and on (service) platform:requests:rate5m > 0',
    for: '5m',
    severity: 'warning',
    summary: '{{ $labels.service }}: more than 5% of requests fail',
    description: 'For five minutes more than 5% of the requests the service answered were errors (server-side error statuses).',
    test: {
      firing: {
        series: { 'platform:request_errors:rate5m{service="qdrant"}': 0.5, 'platform:requests:rate5m{service="qdrant"}': 4 },
        labels: { service: 'qdrant' },
      },
      healthy: { 'platform:request_errors:rate5m{service="qdrant"}': 0.01, 'platform:requests:rate5m{service="qdrant"}': 4 },
    },
  },
  {
    name: 'QueueBacklog',
    expr: 'platform:queue_backlog:messages > 1000',
    for: '10m',
    severity: 'warning',
    summary: '{{ $labels.service }}: more than 1000 messages wait in {{ $labels.queue }}',
    description:
      'For ten minutes more than 1000 messages have been ready and not consumed (RabbitMQ ready messages, NATS JetStream consumer pending): consumers are down or too slow.',
    test: {
      firing: {
        series: { 'platform:queue_backlog:messages{service="rabbitmq",queue="all"}': 5000 },
        labels: { service: 'rabbitmq', queue: 'all' },
      },
      healthy: { 'platform:queue_backlog:messages{service="rabbitmq",queue="all"}': 20 },
    },
  },
  {
    name: 'CertificateExpiresSoon',
    expr: `platform:certificate_expiry:seconds < 14 * 86400`,
    for: '1h',
    severity: 'warning',
    summary: 'Certificate {{ $labels.certificate }} expires in less than 14 days',
    description: 'A TLS certificate the platform serves has not been renewed and expires within two weeks.',
    test: {
      firing: {
        series: { 'platform:certificate_expiry:seconds{service="cert-manager",certificate="edge/grafana"}': 5 * 86400 },
        labels: { service: 'cert-manager', certificate: 'edge/grafana' },
      },
      healthy: { 'platform:certificate_expiry:seconds{service="cert-manager",certificate="edge/grafana"}': 60 * 86400 },
    },
  },
  {
    name: 'BackupFailed',
    expr: 'platform:backup_failed > 0',
    for: '5m',
    severity: 'critical',
    summary: '{{ $labels.service }}: a backup failed ({{ $labels.backup }})',
    description: 'The last run of a backup job, or a managed service’s automated snapshot, failed.',
    test: {
      firing: {
        series: { 'platform:backup_failed{service="elasticsearch",backup="snapshot"}': 1 },
        labels: { service: 'elasticsearch', backup: 'snapshot' },
      },
      healthy: { 'platform:backup_failed{service="elasticsearch",backup="snapshot"}': 0 },
    },
  },
  {
    name: 'BackupTooOld',
    expr: `${BACKUP_AGE_NAME} > on (service, backup) group_left ${BACKUP_MAX_AGE_NAME}`,
    for: '5m',
    severity: 'critical',
    summary: '{{ $labels.service }}: no successful backup ({{ $labels.backup }}) for longer than its plan allows',
    description:
      'The last successful backup is older than two of its intervals and an hour (or the scheduled job never succeeded since it was created): the recovery point objective is no longer met.',
    // A service no environment has: the plans' own limits are recorded beside the test's series.
    test: {
      firing: {
        series: {
          [`${BACKUP_AGE_NAME}{service="example",backup="dump"}`]: '6000+60x30',
          [`${BACKUP_MAX_AGE_NAME}{service="example",backup="dump"}`]: 5400,
        },
        labels: { service: 'example', backup: 'dump' },
      },
      healthy: {
        [`${BACKUP_AGE_NAME}{service="example",backup="dump"}`]: '0+60x30',
        [`${BACKUP_MAX_AGE_NAME}{service="example",backup="dump"}`]: 5400,
      },
    },
  },
];

/**
 * The backup signals: `platform:backup_age:seconds{service, backup}` (how long ago a backup last
 * succeeded, recorded by a target that can see it: on a cluster, kube-state-metrics' CronJob status)
 * and `platform:backup_max_age:seconds{service, backup}`, what each service's plan allows (two
 * intervals and the run's hour: `maxAgeSeconds`), from the specs.
 */
export const BACKUP_AGE = BACKUP_AGE_NAME;
export const BACKUP_MAX_AGE = BACKUP_MAX_AGE_NAME;

/**
 * The source of the plans' limits: one constant per service whose plan has a dump step or a stopped
 * dump (`backup="dump"`: a cluster runs both as its `<service>-backup` CronJob). A limit without an
 * age (a target that snapshots the volume instead) fires nothing.
 */
export function backupLimits(specs: readonly ServiceSpec[], maxAge: (plan: NonNullable<ServiceSpec['backup']>) => number): SignalSource {
  return {
    service: 'backups',
    names: [],
    signals: specs.flatMap((s) =>
      s.backup?.dump || s.backup?.stoppedDump
        ? [
            {
              record: BACKUP_MAX_AGE,
              expr: `label_replace(label_replace(vector(${maxAge(s.backup)}), "service", "${s.name}", "", ""), "backup", "dump", "", "")`,
              example: { series: {}, service: s.name, value: maxAge(s.backup) },
            },
          ]
        : [],
    ),
  };
}

/** ClusterMemberLost for one clustered service: fewer members up than it runs. */
export function clusterAlert(service: string, members: number): AlertRule {
  return {
    name: 'ClusterMemberLost',
    expr: `${CLUSTER_MEMBERS}{service="${service}"} < ${members}`,
    for: '5m',
    severity: 'critical',
    summary: `{{ $labels.service }}: fewer than ${members} cluster members are up`,
    description:
      'A member of a replicated service has been down or out of its cluster for five minutes: the cluster runs without its spare, and one more loss may cost quorum or data.',
    test: {
      firing: { series: { [`${CLUSTER_MEMBERS}{service="${service}"}`]: members - 1 }, labels: { service } },
      healthy: { [`${CLUSTER_MEMBERS}{service="${service}"}`]: members },
    },
  };
}

/** The signal sources of specs whose metric source is their own (the default everywhere but where a realization differs). */
export function ownSource(spec: ServiceSpec): SignalSource {
  return { service: spec.name, names: [spec.metrics.names], signals: spec.metrics.signals };
}

/**
 * The rule inputs of what a target runs (its sources) and the specs whose alerts apply. A service's
 * alert (and its ClusterMemberLost) is kept where the service's source on the target records every
 * signal it reads: a managed service read through CloudWatch has no Sentinel and no members to count.
 */
export function ruleInputs(specs: readonly ServiceSpec[], sources: readonly SignalSource[], runbookBase: string): RuleInputs {
  const recordedFor = (service: string) =>
    new Set(sources.filter((s) => s.service === service).flatMap((s) => s.signals.map((x) => x.record)));
  const observable = (service: string, a: AlertRule) => {
    const recorded = recordedFor(service);
    return metricNames(a.expr).every((n) => !n.startsWith('platform:') || recorded.has(n));
  };
  return {
    sources,
    alerts: specs.flatMap((s) => (s.metrics.alerts ?? []).filter((a) => observable(s.name, a))),
    clusters: specs
      .filter((s) => s.cluster)
      .map((s) => ({ service: s.name, members: s.replicas }))
      .filter((c) => observable(c.service, clusterAlert(c.service, c.members))),
    runbookBase,
  };
}

/** Every alert the inputs ask for (generic, clusters, services), without duplicates, in a stable order. */
export function alertsOf(inputs: RuleInputs): AlertRule[] {
  const all = [...GENERIC_ALERTS, ...inputs.clusters.map((c) => clusterAlert(c.service, c.members)), ...inputs.alerts];
  const seen = new Map<string, AlertRule>();
  for (const a of all) seen.set(`${a.name}\n${a.expr}`, a);
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.expr.localeCompare(b.expr));
}

export function alertingRule(a: AlertRule, runbookBase: string): AlertingRule {
  return {
    alert: a.name,
    expr: a.expr,
    for: a.for,
    labels: { severity: a.severity },
    annotations: { summary: a.summary, description: a.description, runbook_url: `${runbookBase}${a.name}.md` },
  };
}

/** The rule groups: one of signals per source, then the alerts. */
export function ruleGroups(inputs: RuleInputs): RuleGroup[] {
  const bySource = [...inputs.sources].sort((a, b) => a.service.localeCompare(b.service));
  const names = new Set<string>();
  for (const s of bySource) {
    if (names.has(s.service)) throw new Error(`two signal sources for ${s.service}`);
    names.add(s.service);
  }
  return [
    ...bySource
      .filter((s) => s.signals.length > 0)
      .map((s) => ({ name: signalGroup(s.service), rules: s.signals.map((x) => ({ record: x.record, expr: x.expr })) })),
    { name: ALERT_GROUP, rules: alertsOf(inputs).map((a) => alertingRule(a, inputs.runbookBase)) },
  ];
}

/** A rule file (JSON, which is YAML) with the groups. */
export function ruleFile(groups: readonly RuleGroup[]): string {
  return `${JSON.stringify({ groups }, null, 2)}\n`;
}

/** The alert group of a set of groups (what must be identical on every target). */
export function alertGroup(groups: readonly RuleGroup[]): RuleGroup {
  const g = groups.find((x) => x.name === ALERT_GROUP);
  if (!g) throw new Error(`no ${ALERT_GROUP} group`);
  return g;
}

// --- promtool unit tests ----------------------------------------------------------------------------

const MINUTES = /^(\d+)([smh])$/;
function minutesOf(d: string): number {
  const m = MINUTES.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  const n = Number(m[1]);
  return m[2] === 's' ? Math.ceil(n / 60) : m[2] === 'm' ? n : n * H;
}

/** A series' samples in promtool notation, long enough for the test. */
function samples(v: SeriesValues, minutes: number): string {
  return typeof v === 'number' ? `${v}+0x${minutes}` : v;
}

/** `{{ $labels.x }}` expanded as Prometheus would for the firing series (the only template summaries use). */
export function expand(template: string, labels: Readonly<Record<string, string>>): string {
  const out = template.replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, l: string) => labels[l] ?? '');
  if (out.includes('{{')) throw new Error(`unsupported template in "${template}": only {{ $labels.<name> }} is expanded`);
  return out;
}

/** The promtool test file (`promtool test rules`) for a rule file. */
export function ruleTests(inputs: RuleInputs, ruleFileName: string): string {
  const tests: unknown[] = [];
  for (const a of alertsOf(inputs)) {
    const at = minutesOf(a.for) + 2;
    const span = at + 10;
    const rule = alertingRule(a, inputs.runbookBase);
    tests.push({
      name: `${a.name} fires on failing series (${a.expr})`,
      interval: '1m',
      input_series: Object.entries(a.test.firing.series).map(([series, v]) => ({ series, values: samples(v, span) })),
      alert_rule_test: [
        {
          eval_time: `${at}m`,
          alertname: a.name,
          exp_alerts: [
            {
              exp_labels: { ...a.test.firing.labels, severity: a.severity },
              exp_annotations: {
                summary: expand(a.summary, a.test.firing.labels),
                description: expand(a.description, a.test.firing.labels),
                runbook_url: rule.annotations.runbook_url,
              },
            },
          ],
        },
      ],
    });
    tests.push({
      name: `${a.name} stays quiet on healthy series (${a.expr})`,
      interval: '1m',
      input_series: Object.entries(a.test.healthy).map(([series, v]) => ({ series, values: samples(v, span) })),
      alert_rule_test: [{ eval_time: `${at}m`, alertname: a.name, exp_alerts: [] }],
    });
  }
  for (const source of inputs.sources) {
    for (const s of source.signals) {
      tests.push({
        name: `${s.record} of ${source.service} computes its example`,
        interval: '1m',
        input_series: Object.entries(s.example.series).map(([series, v]) => ({ series, values: samples(v, 30) })),
        promql_expr_test: [
          {
            expr: `sum by (service) (${s.record}{service="${s.example.service}"})`,
            eval_time: '10m',
            exp_samples: [{ labels: `{service="${s.example.service}"}`, value: s.example.value }],
          },
        ],
      });
    }
  }
  return `${JSON.stringify({ rule_files: [ruleFileName], evaluation_interval: '1m', tests }, null, 2)}\n`;
}
