/**
 * Grafana Alloy, the log shipper (Promtail's successor: Promtail reached its end of life on 2 March
 * 2026): reads every container's log, labels it with its service and container, derives the
 * counters services declare from their log lines (`metrics.fromLogs`), and pushes to Loki.
 *
 * Where logs are read differs per target, both through an API rather than files:
 * - a single host: the container engine's API (`loki.source.docker`), which serves every log driver
 *   that can be read back (`local`, `json-file`, `journald`). The engine's socket is root-equivalent,
 *   so Alloy never gets it: a sidecar (HAProxy, the official image) holds the socket and offers Alloy
 *   (and cAdvisor) a read-only subset of the API (GET on container lists, inspection, logs, events)
 *   on a socket in a volume only they mount;
 * - a cluster: the Kubernetes API (`loki.source.kubernetes`: no hostPath, no root), one Alloy per
 *   node reading the pods of its own node.
 */
import { hostRef, tpl } from '../spec/template';
import type { LogMetric, ServiceSpec, Text } from '../spec/types';
import { type BuildContext, joinTemplates, port, resolveImage } from './common';
import type { MonitoringConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const ALLOY_IMAGE = 'grafana/alloy:v1.18.1';
/** The official HAProxy image (LTS line): the read-only proxy of the container engine's API. */
export const HAPROXY_IMAGE = 'haproxy:3.4.3-alpine';
export const ALLOY_PORT = 12345;
const CONFIG = '/etc/alloy/config.alloy';
const PROXY_CONFIG = '/usr/local/etc/haproxy/haproxy.cfg';
/** The engine's socket on the host (a rootless engine or Podman has it elsewhere: `services.monitoring.alloy.dockerSocket`). */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** The proxy's socket, in a volume shared with Alloy and cAdvisor only. */
export const DOCKER_API_VOLUME = 'docker-api';
export const DOCKER_API_DIR = '/run/docker-api';
export const DOCKER_API_SOCKET = `${DOCKER_API_DIR}/docker.sock`;
const PROXY_HEALTH_PORT = 8405;

export const DOCKER_API_HOST_REASON =
  "the read-only proxy holds the container engine's socket (root-equivalent) so that the log shipper and cAdvisor never do; it answers GET on container lists, inspection, logs and events only";

/** A counter a service's log lines yield, with the service. */
export interface ServiceLogMetric extends LogMetric {
  readonly service: string;
}

/** What Alloy's realizations know beyond the spec: the environment and the counters to derive from logs. */
export interface AlloyFacet {
  readonly environment: string;
  readonly logMetrics: readonly ServiceLogMetric[];
  /** The most nodes a cluster has (one Alloy each). */
  readonly nodes: number;
}

const q = (s: string) => JSON.stringify(s);

/** The stages that turn services' log lines into counters (one `stage.match` per service). */
function logMetricStages(metrics: readonly ServiceLogMetric[]): string[] {
  const byService = new Map<string, ServiceLogMetric[]>();
  for (const m of metrics) byService.set(m.service, [...(byService.get(m.service) ?? []), m]);
  return [...byService].flatMap(([service, ms]) => [
    '  stage.match {',
    `    selector = ${q(`{service="${service}"}`)}`,
    ...ms.flatMap((m) => [
      `    stage.regex {`,
      `      expression = ${q(m.regex.replace('(?P<value>', `(?P<${m.name}>`))}`,
      '    }',
      '    stage.metrics {',
      '      metric.counter {',
      `        name        = ${q(m.name)}`,
      `        description = ${q(m.description)}`,
      `        source      = ${q(m.name)}`,
      ...(m.equals ? [`        value       = ${q(m.equals)}`] : []),
      '        action      = "inc"',
      '      }',
      '    }',
    ]),
    '  }',
  ]);
}

/** The processing every target shares: the counters from log lines, then Loki. */
function processAndWrite(facet: AlloyFacet, lokiPush: Text): Text {
  const head = [
    'loki.process "platform" {',
    '  forward_to = [loki.write.loki.receiver]',
    `  stage.static_labels {`,
    `    values = { environment = ${q(facet.environment)} }`,
    '  }',
    ...logMetricStages(facet.logMetrics),
    '}',
    '',
    'loki.write "loki" {',
    '  endpoint {',
  ].join('\n');
  return joinTemplates([head, '\n    url = "', lokiPush, '"\n  }\n}\n'], '');
}

/** Alloy's configuration on a single host: the engine's API (through the proxy) to Loki. */
export function alloyDockerConfig(facet: AlloyFacet, project: string): Text {
  const discovery = [
    `// Every container of this environment, read through the read-only API proxy (${DOCKER_API_SOCKET}).`,
    'discovery.docker "containers" {',
    `  host = ${q(`unix://${DOCKER_API_SOCKET}`)}`,
    '  filter {',
    '    name   = "label"',
    `    values = [${q(`app.kubernetes.io/part-of=${project}`)}, ${q(`platform.environment=${facet.environment}`)}]`,
    '  }',
    '}',
    '',
    'discovery.relabel "containers" {',
    '  targets = []',
    '  rule {',
    '    source_labels = ["__meta_docker_container_label_app_kubernetes_io_name"]',
    '    target_label  = "service"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_docker_container_label_app_kubernetes_io_component"]',
    '    target_label  = "container"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_docker_container_name"]',
    '    regex         = "/(.*)"',
    '    target_label  = "instance"',
    '  }',
    '}',
    '',
    'loki.source.docker "containers" {',
    `  host          = ${q(`unix://${DOCKER_API_SOCKET}`)}`,
    '  targets       = discovery.docker.containers.targets',
    '  labels        = {}',
    '  relabel_rules = discovery.relabel.containers.rules',
    '  forward_to    = [loki.process.platform.receiver]',
    '}',
    '',
    '',
  ].join('\n');
  return joinTemplates([discovery, processAndWrite(facet, tpl`http://${hostRef('loki')}:3100/loki/api/v1/push`)], '');
}

/**
 * Alloy's configuration on a cluster (one Alloy per node): the pods of its own node, read through
 * the Kubernetes API, labelled with their namespace, pod, container and service.
 */
export function alloyKubernetesConfig(facet: AlloyFacet, lokiPush: string): string {
  const discovery = [
    'discovery.kubernetes "pods" {',
    '  role = "pod"',
    '  selectors {',
    '    role  = "pod"',
    '    field = "spec.nodeName=" + coalesce(sys.env("HOSTNAME"), constants.hostname)',
    '  }',
    '}',
    '',
    'discovery.relabel "pods" {',
    '  targets = discovery.kubernetes.pods.targets',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_namespace"]',
    '    target_label  = "namespace"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_name"]',
    '    target_label  = "pod"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_container_name"]',
    '    target_label  = "container"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]',
    '    target_label  = "service"',
    '  }',
    '}',
    '',
    'loki.source.kubernetes "pods" {',
    '  targets    = discovery.relabel.pods.output',
    '  forward_to = [loki.process.platform.receiver]',
    '}',
    '',
    '',
  ].join('\n');
  const rest = processAndWrite(facet, lokiPush);
  return discovery + (typeof rest === 'string' ? rest : rest.parts.join(''));
}

/** The proxy's configuration: GET and HEAD on the paths the shipper and cAdvisor read, nothing else. */
export function dockerApiProxyConfig(): string {
  return [
    'global',
    '  log stdout format raw local0 info',
    '  maxconn 256',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option dontlognull',
    '  timeout connect 5s',
    '  timeout http-request 10s',
    // Log streams and events stay open; an idle one is closed after an hour and reopened by its client.
    '  timeout client 1h',
    '  timeout server 1h',
    '',
    'frontend docker_api',
    `  bind unix@${DOCKER_API_SOCKET} mode 666`,
    '  acl read method GET HEAD',
    '  acl allowed path -m reg ^(/v[0-9.]+)?/(_ping|version|info|events|networks|containers/json|containers/[A-Za-z0-9_.-]+/(json|logs|stats))$',
    '  http-request deny unless read allowed',
    '  default_backend engine',
    '',
    'frontend health',
    `  bind 127.0.0.1:${PROXY_HEALTH_PORT}`,
    '  monitor-uri /healthz',
    '',
    'backend engine',
    `  server engine unix@${DEFAULT_DOCKER_SOCKET}`,
    '',
  ].join('\n');
}

/** The counters every observed service asks to derive from its logs. */
export function logMetricsOf(specs: readonly ServiceSpec[]): ServiceLogMetric[] {
  return specs.flatMap((s) => (s.metrics.fromLogs ?? []).map((m) => ({ ...m, service: s.name })));
}

export function alloy(c: MonitoringConfig, ctx: BuildContext): ServiceSpec<'alloy', AlloyFacet> {
  const a = c.alloy;
  const facet: AlloyFacet = { environment: ctx.environment, logMetrics: logMetricsOf(ctx.observed ?? []), nodes: c.nodes };
  return {
    ...partIdentity('alloy', 'alloy', 'Grafana Alloy: ships every container’s log to Loki (and counts what services log).'),
    facet,
    secrets: [],
    volumes: [
      { name: 'data', size: '1Gi', description: "Alloy's positions (where each log was read up to)", backup: false },
      { name: DOCKER_API_VOLUME, size: '16Mi', description: "The read-only proxy's socket (single host)", backup: false },
    ],
    jobs: [],
    dependsOn: ['loki'],
    containers: [
      {
        name: 'main',
        image: resolveImage(ALLOY_IMAGE, a),
        // The image's alloy user (it defaults to root; Alloy needs no root to read logs through an API).
        user: '473:473',
        scratchPaths: ['/tmp'],
        args: [
          'run',
          CONFIG,
          '--storage.path=/var/lib/alloy/data',
          `--server.http.listen-addr=0.0.0.0:${ALLOY_PORT}`,
          '--disable-reporting',
        ],
        env: {},
        ports: [port('http', ALLOY_PORT, 'metrics', 'http', a.hostPorts)],
        mounts: [
          { volume: 'data', path: '/var/lib/alloy/data' },
          { volume: DOCKER_API_VOLUME, path: DOCKER_API_DIR, readOnly: true },
        ],
        files: [{ path: CONFIG, content: alloyDockerConfig(facet, ctx.project ?? 'agent-platform'), mode: 0o644, format: 'alloy' }],
        // The image (Ubuntu) has no wget or curl: bash's /dev/tcp asks /-/ready.
        health: {
          exec: [
            'bash',
            '-c',
            `exec 3<>/dev/tcp/127.0.0.1/${ALLOY_PORT} && printf 'GET /-/ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`,
          ],
          http: { port: ALLOY_PORT, path: '/-/ready' },
          intervalSeconds: 15,
          timeoutSeconds: 5,
          retries: 6,
          startPeriodSeconds: 20,
        },
        resources: a.resources,
        stopGracePeriodSeconds: 15,
      },
      {
        name: 'docker-api',
        image: resolveImage(HAPROXY_IMAGE, {}),
        // Root: the engine's socket is root:docker 0660, and the docker group's id differs per host.
        user: '0:0',
        scratchPaths: [],
        env: {},
        ports: [],
        mounts: [{ volume: DOCKER_API_VOLUME, path: DOCKER_API_DIR }],
        files: [{ path: PROXY_CONFIG, content: dockerApiProxyConfig(), mode: 0o644, format: 'haproxy.cfg' }],
        host: { reason: DOCKER_API_HOST_REASON, mounts: [{ hostPath: a.dockerSocket, path: DEFAULT_DOCKER_SOCKET }] },
        health: {
          exec: ['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PROXY_HEALTH_PORT}/healthz`],
          intervalSeconds: 15,
          timeoutSeconds: 5,
          retries: 6,
          startPeriodSeconds: 10,
        },
        resources: ctx.sidecarResources,
        stopGracePeriodSeconds: 5,
      },
    ],
    metrics: {
      container: 'main',
      port: ALLOY_PORT,
      path: '/metrics',
      source: 'native',
      auth: { kind: 'none', reason: "Alloy's HTTP server (UI and metrics) has no authentication; the port is never published" },
      names: namesOf('alloy', ALLOY_IMAGE),
      signals: [scrapedUp('alloy')],
    },
  };
}
