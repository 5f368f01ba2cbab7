/**
 * node-exporter: the hosts' CPU, memory and filesystems (a single host: the Docker host; a cluster:
 * every node, from kube-prometheus-stack's DaemonSet). It reads the host's /proc, /sys and mounts,
 * so it needs the host's process namespace and root filesystem (read-only).
 */
import type { AlertRule, ServiceSpec } from '../spec/types';
import { httpHealth, port, resolveImage } from './common';
import type { MonitoringConfig, PerNodeFacet, PartConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const NODE_EXPORTER_IMAGE = 'quay.io/prometheus/node-exporter:v1.12.1';
export const NODE_EXPORTER_PORT = 9100;

export const NODE_EXPORTER_HOST_REASON =
  "node-exporter reports the host, not its container: it reads the host's process table and filesystems (the host's PID namespace, / mounted read-only at /host)";

const FS = 'fstype!~"tmpfs|overlay|squashfs|nsfs|fuse.lxcfs"';
const S = 'service="node-exporter"';
const AT = 'instance="node-exporter:9100"';

const NODE_ALERTS: readonly AlertRule[] = [
  {
    name: 'NodeCpuHigh',
    expr: 'platform:node_cpu_usage:ratio > 0.9',
    for: '10m',
    severity: 'warning',
    summary: 'Host {{ $labels.instance }} uses more than 90% of its CPU',
    description: 'For ten minutes the host has been busy above 90%: every service on it is slowed down.',
    test: {
      firing: {
        series: { [`platform:node_cpu_usage:ratio{${S},${AT}}`]: 0.97 },
        labels: { service: 'node-exporter', instance: 'node-exporter:9100' },
      },
      healthy: { [`platform:node_cpu_usage:ratio{${S},${AT}}`]: 0.4 },
    },
  },
  {
    name: 'NodeMemoryHigh',
    expr: 'platform:node_memory_usage:ratio > 0.9',
    for: '10m',
    severity: 'warning',
    summary: 'Host {{ $labels.instance }} uses more than 90% of its memory',
    description:
      'For ten minutes less than 10% of the host’s memory has been available: the kernel will reclaim caches, then kill processes.',
    test: {
      firing: {
        series: { [`platform:node_memory_usage:ratio{${S},${AT}}`]: 0.95 },
        labels: { service: 'node-exporter', instance: 'node-exporter:9100' },
      },
      healthy: { [`platform:node_memory_usage:ratio{${S},${AT}}`]: 0.5 },
    },
  },
  {
    name: 'DiskWillFillIn24h',
    expr: 'platform:filesystem_forecast_24h:bytes < 0 and on (service, instance, mountpoint) platform:filesystem_avail:ratio < 0.25',
    for: '30m',
    severity: 'warning',
    summary: 'Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} will be full within 24 hours',
    description: 'At the rate of the last six hours the filesystem runs out of space within a day, and less than a quarter of it is free.',
    test: {
      firing: {
        series: {
          [`platform:filesystem_forecast_24h:bytes{${S},${AT},mountpoint="/var"}`]: -1e9,
          [`platform:filesystem_avail:ratio{${S},${AT},mountpoint="/var"}`]: 0.1,
        },
        labels: { service: 'node-exporter', instance: 'node-exporter:9100', mountpoint: '/var' },
      },
      healthy: {
        [`platform:filesystem_forecast_24h:bytes{${S},${AT},mountpoint="/var"}`]: 5e10,
        [`platform:filesystem_avail:ratio{${S},${AT},mountpoint="/var"}`]: 0.6,
      },
    },
  },
];

export function nodeExporter(c: MonitoringConfig, n: PartConfig): ServiceSpec<'node-exporter', PerNodeFacet> {
  return {
    ...partIdentity('node-exporter', 'hostMetrics.nodeExporter', 'node-exporter: CPU, memory and filesystems of the hosts.'),
    facet: { nodes: c.nodes },
    secrets: [],
    volumes: [],
    jobs: [],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(NODE_EXPORTER_IMAGE, n),
        user: '65534:65534',
        scratchPaths: [],
        args: ['--path.rootfs=/host', `--web.listen-address=:${NODE_EXPORTER_PORT}`],
        env: {},
        ports: [port('metrics', NODE_EXPORTER_PORT, 'metrics', 'http', n.hostPorts)],
        mounts: [],
        files: [],
        host: { reason: NODE_EXPORTER_HOST_REASON, pid: true, mounts: [{ hostPath: '/', path: '/host', propagation: 'rslave' }] },
        health: httpHealth(NODE_EXPORTER_PORT, '/', { startPeriodSeconds: 10 }),
        resources: n.resources,
        stopGracePeriodSeconds: 5,
      },
    ],
    metrics: {
      container: 'main',
      port: NODE_EXPORTER_PORT,
      path: '/metrics',
      source: 'exporter',
      auth: { kind: 'none', reason: 'host metrics only, on a metrics port that is never published' },
      names: namesOf('node_exporter', NODE_EXPORTER_IMAGE),
      signals: [
        scrapedUp('node-exporter'),
        {
          record: 'platform:node_cpu_usage:ratio',
          expr: `1 - avg by (service, instance) (rate(node_cpu_seconds_total{${S},mode="idle"}[5m]))`,
          example: {
            series: {
              [`node_cpu_seconds_total{${S},${AT},cpu="0",mode="idle"}`]: '0+15x30',
              [`node_cpu_seconds_total{${S},${AT},cpu="1",mode="idle"}`]: '0+15x30',
            },
            service: 'node-exporter',
            value: 0.75,
          },
        },
        {
          record: 'platform:node_memory_usage:ratio',
          expr: `max by (service, instance) (1 - node_memory_MemAvailable_bytes{${S}} / node_memory_MemTotal_bytes{${S}})`,
          example: {
            series: { [`node_memory_MemAvailable_bytes{${S},${AT}}`]: 25, [`node_memory_MemTotal_bytes{${S},${AT}}`]: 100 },
            service: 'node-exporter',
            value: 0.75,
          },
        },
        {
          record: 'platform:filesystem_avail:ratio',
          expr: `min by (service, instance, mountpoint) (node_filesystem_avail_bytes{${S},${FS}} / node_filesystem_size_bytes{${S},${FS}})`,
          example: {
            series: {
              [`node_filesystem_avail_bytes{${S},${AT},mountpoint="/",fstype="ext4",device="/dev/sda1"}`]: 30,
              [`node_filesystem_size_bytes{${S},${AT},mountpoint="/",fstype="ext4",device="/dev/sda1"}`]: 100,
            },
            service: 'node-exporter',
            value: 0.3,
          },
        },
        {
          record: 'platform:filesystem_forecast_24h:bytes',
          expr: `min by (service, instance, mountpoint) (predict_linear(node_filesystem_avail_bytes{${S},${FS}}[6h], 86400))`,
          example: {
            series: { [`node_filesystem_avail_bytes{${S},${AT},mountpoint="/",fstype="ext4",device="/dev/sda1"}`]: '1000-10x30' },
            service: 'node-exporter',
            value: -13500,
          },
        },
      ],
      alerts: NODE_ALERTS,
      panels: [
        { title: 'Host CPU used', expr: 'platform:node_cpu_usage:ratio', unit: 'percentunit', legend: '{{instance}}' },
        { title: 'Host memory used', expr: 'platform:node_memory_usage:ratio', unit: 'percentunit', legend: '{{instance}}' },
        {
          title: 'Free space per filesystem',
          expr: 'platform:filesystem_avail:ratio',
          unit: 'percentunit',
          legend: '{{instance}} {{mountpoint}}',
        },
      ],
    },
  };
}
