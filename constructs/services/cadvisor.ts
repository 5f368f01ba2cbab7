/**
 * cAdvisor: every container's CPU and memory against its limits, on a single host (a cluster reads
 * the same numbers from the kubelet's built-in cAdvisor and kube-state-metrics). It reads the host's
 * cgroups and Docker's state directory (read-only), and asks the container engine's API for the
 * containers' names and labels through the log shipper's read-only API proxy, never through the
 * engine's own socket. It runs as root (cgroup and kmsg access), not privileged.
 */
import type { AlertRule, ServiceSpec } from '../spec/types';
import { httpHealth, port, resolveImage } from './common';
import type { MonitoringConfig, PartConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { DOCKER_API_DIR, DOCKER_API_SOCKET, DOCKER_API_VOLUME } from './alloy';
import { namesOf, scrapedUp } from './signals';

export const CADVISOR_IMAGE = 'ghcr.io/google/cadvisor:0.60.5';
export const CADVISOR_PORT = 8080;

export const CADVISOR_HOST_REASON =
  "cAdvisor reads every container's cgroups and Docker's state: /sys, / and /var/lib/docker read-only, /dev/kmsg for OOM events, as root (not privileged)";

/** The Docker labels cAdvisor keeps on its metrics (`container_label_<label, sanitized>`). */
const LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/component'];
const SERVICE_LABEL = 'container_label_app_kubernetes_io_name';

const S = 'service="cadvisor"';
const C = (name: string, container = 'main') =>
  `${S},instance="cadvisor:8080",name="agent-platform-dev-${name}",${SERVICE_LABEL}="${name}",container_label_app_kubernetes_io_component="${container}"`;

/** Per container: service (its platform name) and container (the container's name). */
const BY = `name, ${SERVICE_LABEL}`;
const asService = (expr: string) =>
  `label_replace(label_replace(${expr}, "service", "$1", "${SERVICE_LABEL}", "(.+)"), "container", "$1", "name", "(.+)")`;

/** The container alerts (the same on a cluster, where the kubelet's numbers feed the same signals). */
export const CONTAINER_ALERTS: readonly AlertRule[] = [
  {
    name: 'ContainerCpuHigh',
    expr: 'platform:container_cpu_usage:ratio > 0.9',
    for: '10m',
    severity: 'warning',
    summary: '{{ $labels.service }}: container {{ $labels.container }} uses more than 90% of its CPU limit',
    description: 'For ten minutes the container has used nearly all the CPU its limit allows: it is throttled, and its requests slow down.',
    test: {
      firing: {
        series: { 'platform:container_cpu_usage:ratio{service="redis",container="redis-0"}': 0.98 },
        labels: { service: 'redis', container: 'redis-0' },
      },
      healthy: { 'platform:container_cpu_usage:ratio{service="redis",container="redis-0"}': 0.3 },
    },
  },
  {
    name: 'ContainerMemoryHigh',
    expr: 'platform:container_memory_usage:ratio > 0.9',
    for: '10m',
    severity: 'warning',
    summary: '{{ $labels.service }}: container {{ $labels.container }} uses more than 90% of its memory limit',
    description: 'For ten minutes the container’s working set has been above 90% of its limit: at the limit it is killed (OOM).',
    test: {
      firing: {
        series: { 'platform:container_memory_usage:ratio{service="redis",container="redis-0"}': 0.95 },
        labels: { service: 'redis', container: 'redis-0' },
      },
      healthy: { 'platform:container_memory_usage:ratio{service="redis",container="redis-0"}': 0.4 },
    },
  },
];

export const CONTAINER_PANELS = [
  { title: 'CPU of limit, per container', expr: 'platform:container_cpu_usage:ratio', unit: 'percentunit', legend: '{{container}}' },
  { title: 'Memory of limit, per container', expr: 'platform:container_memory_usage:ratio', unit: 'percentunit', legend: '{{container}}' },
] as const;

export function cadvisor(c: MonitoringConfig, a: PartConfig): ServiceSpec<'cadvisor', Readonly<Record<string, never>>> {
  void c;
  return {
    ...partIdentity('cadvisor', 'hostMetrics.cadvisor', "cAdvisor: every container's CPU and memory against its limits."),
    facet: {},
    secrets: [],
    volumes: [],
    jobs: [],
    // It asks the container engine through the log shipper's read-only API proxy.
    dependsOn: ['alloy'],
    containers: [
      {
        name: 'main',
        image: resolveImage(CADVISOR_IMAGE, a),
        user: '0:0',
        scratchPaths: ['/tmp'],
        args: [
          `--port=${CADVISOR_PORT}`,
          `--docker=unix://${DOCKER_API_SOCKET}`,
          '--docker_only=true',
          '--housekeeping_interval=15s',
          '--store_container_labels=false',
          `--whitelisted_container_labels=${LABELS.join(',')}`,
        ],
        env: {},
        ports: [port('http', CADVISOR_PORT, 'metrics', 'http', a.hostPorts)],
        mounts: [{ service: 'alloy', volume: DOCKER_API_VOLUME, path: DOCKER_API_DIR, readOnly: true }],
        files: [],
        host: {
          reason: CADVISOR_HOST_REASON,
          mounts: [
            { hostPath: '/', path: '/rootfs' },
            { hostPath: '/sys', path: '/sys' },
            { hostPath: '/var/lib/docker', path: '/var/lib/docker' },
            { hostPath: '/dev/disk', path: '/dev/disk' },
          ],
          devices: ['/dev/kmsg'],
        },
        health: httpHealth(CADVISOR_PORT, '/healthz', { startPeriodSeconds: 20 }),
        resources: a.resources,
        stopGracePeriodSeconds: 5,
      },
    ],
    metrics: {
      container: 'main',
      port: CADVISOR_PORT,
      path: '/metrics',
      source: 'exporter',
      auth: { kind: 'none', reason: 'container metrics only, on a metrics port that is never published' },
      names: namesOf('cadvisor', CADVISOR_IMAGE),
      signals: [
        scrapedUp('cadvisor'),
        {
          record: 'platform:container_cpu_usage:ratio',
          expr: asService(
            `sum by (${BY}) (rate(container_cpu_usage_seconds_total{${SERVICE_LABEL}!=""}[5m])) / sum by (${BY}) (container_spec_cpu_quota{${SERVICE_LABEL}!=""} / container_spec_cpu_period{${SERVICE_LABEL}!=""})`,
          ),
          example: {
            series: {
              [`container_cpu_usage_seconds_total{${C('redis')},cpu="total"}`]: '0+30x30',
              [`container_spec_cpu_quota{${C('redis')}}`]: 50000,
              [`container_spec_cpu_period{${C('redis')}}`]: 100000,
            },
            service: 'redis',
            value: 1,
          },
        },
        {
          record: 'platform:container_memory_usage:ratio',
          expr: asService(
            `sum by (${BY}) (container_memory_working_set_bytes{${SERVICE_LABEL}!=""}) / sum by (${BY}) (container_spec_memory_limit_bytes{${SERVICE_LABEL}!=""} > 0)`,
          ),
          example: {
            series: {
              [`container_memory_working_set_bytes{${C('redis')}}`]: 600,
              [`container_spec_memory_limit_bytes{${C('redis')}}`]: 800,
            },
            service: 'redis',
            value: 0.75,
          },
        },
      ],
      alerts: CONTAINER_ALERTS,
      panels: [...CONTAINER_PANELS],
    },
  };
}
