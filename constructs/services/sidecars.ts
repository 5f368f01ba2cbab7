/**
 * Metrics sidecars shared by services whose server does not speak Prometheus itself: an exporter
 * (translates the service's own stats) or a blackbox probe (measures the service's health endpoint
 * when no exporter exists, e.g. Neo4j Community, Kibana, Ollama).
 */
import { pinned } from '../spec/image';
import { selfHost, tpl } from '../spec/template';
import type { AlertRule, ConfigFile, ContainerSpec, MetricSource, MetricsEndpoint, Panel, Signal, Text } from '../spec/types';
import { probedUp } from './signals';

/** The unprivileged identity of exporter and probe sidecars. */
export const NOBODY = '65534:65534';
import { httpHealth, port, type BuildContext } from './common';

/** Pinned sidecar images, in one place so an upgrade is one line. */
export const SIDECAR_IMAGES = {
  blackbox: 'prom/blackbox-exporter:v0.28.0',
} as const;

/**
 * Exporters and probes answer without a credential: they hold the service's credential themselves and
 * reveal only metrics, and they are reachable by the monitoring stack alone (never published on
 * Docker; admitted only from the monitoring namespace by NetworkPolicy on Kubernetes).
 */
export const SIDECAR_AUTH = {
  kind: 'none',
  reason: 'metrics-only sidecar, reachable by the monitoring stack alone (not published; NetworkPolicy on Kubernetes)',
} as const;

export interface ExporterOptions {
  readonly image: string;
  /** The identity the exporter runs as (its image's user). @default '65534:65534' (nobody) */
  readonly user?: string;
  /** Replaces the image entrypoint (to read a secret file into the environment for exporters without `*_FILE`). */
  readonly command?: readonly Text[];
  readonly files?: readonly ConfigFile[];
  readonly port: number;
  readonly env?: Readonly<Record<string, Text>>;
  readonly args?: readonly Text[];
  /** Path answering 200 when the exporter itself is up. @default '/' */
  readonly healthPath?: string;
  readonly metricsPath?: string;
  /** The exporter and version whose metric names it serves. */
  readonly names: MetricSource;
  /** The service's signals in the exporter's names (`platform:service_up` among them). */
  readonly signals: readonly Signal[];
  readonly alerts?: readonly AlertRule[];
  readonly panels?: readonly Panel[];
  /** More scrapes of the exporter's port (see `MetricsEndpoint.also`). */
  readonly also?: MetricsEndpoint['also'];
}

/**
 * An exporter sidecar and the metrics endpoint it serves. Exporter images used here are busybox or
 * alpine based, so `wget` is available for the health check.
 */
export function exporter(ctx: BuildContext, opts: ExporterOptions): { container: ContainerSpec; metrics: MetricsEndpoint } {
  const metricsPath = opts.metricsPath ?? '/metrics';
  return {
    container: {
      name: 'exporter',
      image: pinned(opts.image),
      ...(opts.command ? { command: opts.command } : {}),
      ...(opts.args ? { args: opts.args } : {}),
      env: opts.env ?? {},
      user: opts.user ?? NOBODY,
      scratchPaths: [],
      ports: [port('metrics', opts.port, 'metrics', 'http', {})],
      mounts: [],
      files: opts.files ?? [],
      health: httpHealth(opts.port, opts.healthPath ?? '/', { startPeriodSeconds: 10 }),
      resources: ctx.sidecarResources,
      stopGracePeriodSeconds: 5,
    },
    metrics: {
      container: 'exporter',
      port: opts.port,
      path: metricsPath,
      source: 'exporter',
      auth: SIDECAR_AUTH,
      names: opts.names,
      signals: opts.signals,
      ...(opts.also ? { also: opts.also } : {}),
      ...(opts.alerts ? { alerts: opts.alerts } : {}),
      ...(opts.panels ? { panels: opts.panels } : {}),
    },
  };
}

export interface ProbeOptions {
  /** Port of the main container to probe. */
  readonly port: number;
  /** HTTP path to request; omit for a TCP connect probe. */
  readonly path?: string;
  /** Regular expression the response body must match (HTTP probes). */
  readonly bodyMatches?: string;
  /** Credentials for an endpoint that is not anonymous: the password comes from a secret file. */
  readonly basicAuth?: { readonly username: string; readonly passwordFile: ConfigFile };
  /**
   * TCP probes: a dialogue the server must hold (blackbox `query_response`), e.g. an SMTP server's
   * `220` greeting answered with `QUIT`. @default a plain connect
   */
  readonly dialogue?: readonly ({ readonly expect: string } | { readonly send: string })[];
  /** The probed service (its `platform:service_up` is the probe's success). */
  readonly service: string;
  /** Signals beyond `platform:service_up`, in the probe's names (or the log pipeline's). @default none */
  readonly signals?: readonly Signal[];
  readonly alerts?: readonly AlertRule[];
  readonly panels?: readonly Panel[];
  /** Counters the log shipper derives from the service's log (see `MetricsEndpoint.fromLogs`). */
  readonly fromLogs?: MetricsEndpoint['fromLogs'];
}

const PROBE_PORT = 9115;
const PROBE_CONFIG = '/etc/blackbox_exporter/config.yml';

/**
 * A blackbox-exporter sidecar probing the service's own health endpoint. Prometheus scrapes
 * `/probe?module=service&target=...` and gets `probe_success`, `probe_duration_seconds` and the
 * HTTP status, which is what availability alerts need for services without native metrics.
 */
export function probe(ctx: BuildContext, opts: ProbeOptions): { container: ContainerSpec; metrics: MetricsEndpoint } {
  const module = opts.path
    ? [
        'modules:',
        '  service:',
        '    prober: http',
        '    timeout: 5s',
        '    http:',
        '      preferred_ip_protocol: ip4',
        '      valid_status_codes: [200]',
        ...(opts.basicAuth
          ? [
              '      basic_auth:',
              `        username: ${opts.basicAuth.username}`,
              `        password_file: ${opts.basicAuth.passwordFile.path}`,
            ]
          : []),
        ...(opts.bodyMatches ? ['      fail_if_body_not_matches_regexp:', `        - '${opts.bodyMatches}'`] : []),
      ]
    : [
        'modules:',
        '  service:',
        '    prober: tcp',
        '    timeout: 5s',
        '    tcp:',
        '      preferred_ip_protocol: ip4',
        ...(opts.dialogue?.length
          ? [
              '      query_response:',
              // Double-quoted (JSON is YAML): `\r` is a carriage return (the prober appends the line feed).
              ...opts.dialogue.map((step) =>
                'expect' in step ? `        - expect: ${JSON.stringify(step.expect)}` : `        - send: ${JSON.stringify(step.send)}`,
              ),
            ]
          : []),
      ];
  const target = opts.path ? tpl`http://${selfHost}:${opts.port}${opts.path}` : tpl`${selfHost}:${opts.port}`;
  return {
    container: {
      name: 'probe',
      image: pinned(SIDECAR_IMAGES.blackbox),
      args: [`--config.file=${PROBE_CONFIG}`, `--web.listen-address=:${PROBE_PORT}`],
      env: {},
      user: NOBODY,
      scratchPaths: [],
      ports: [port('probe', PROBE_PORT, 'metrics', 'http', {})],
      mounts: [],
      files: [
        { path: PROBE_CONFIG, content: `${module.join('\n')}\n`, mode: 0o644, format: 'blackbox.yml' },
        ...(opts.basicAuth ? [opts.basicAuth.passwordFile] : []),
      ],
      health: httpHealth(PROBE_PORT, '/-/healthy', { startPeriodSeconds: 10 }),
      resources: ctx.sidecarResources,
      stopGracePeriodSeconds: 5,
    },
    metrics: {
      container: 'probe',
      port: PROBE_PORT,
      path: '/probe',
      params: { module: ['service'], target: [target] },
      source: 'probe',
      auth: SIDECAR_AUTH,
      names: BLACKBOX_NAMES,
      signals: [probedUp(opts.service), PROBE_DURATION(opts.service), ...(opts.signals ?? [])],
      ...(opts.alerts ? { alerts: opts.alerts } : {}),
      ...(opts.fromLogs ? { fromLogs: opts.fromLogs } : {}),
      panels: [
        { title: 'Health probe duration', expr: `platform:probe_duration:seconds{service="${opts.service}"}`, unit: 's' },
        ...(opts.panels ?? []),
      ],
    },
  };
}

/** The blackbox exporter's names (the pin in SIDECAR_IMAGES). */
export const BLACKBOX_NAMES: MetricSource = { name: 'blackbox_exporter', version: SIDECAR_IMAGES.blackbox.split(':')[1]! };

/** How long the health probe took: a slow service shows here first. */
const PROBE_DURATION = (service: string): Signal => ({
  record: 'platform:probe_duration:seconds',
  expr: `max by (service, instance) (probe_duration_seconds{service="${service}"})`,
  example: { series: { [`probe_duration_seconds{service="${service}",instance="${service}-probe:9115"}`]: 0.25 }, service, value: 0.25 },
});
