/**
 * NVIDIA's DCGM exporter: GPU utilisation and memory, where a service uses GPUs (a single host with
 * GPUs: one container with every GPU; a cluster: a DaemonSet on the GPU nodes, from NVIDIA's chart).
 * Without profiling metrics (DCGM_FI_PROF_*, which need SYS_ADMIN) it runs as a non-root user (the
 * chart's documented non-root mode).
 */
import type { AlertRule, ServiceSpec } from '../spec/types';
import { port, resolveImage, shellHealth } from './common';
import type { MonitoringConfig, PerNodeFacet } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

/** The Ubuntu build of the chart's default (the distroless one has no shell for a health check). */
export const DCGM_EXPORTER_IMAGE = 'nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-ubuntu22.04';
export const DCGM_PORT = 9400;

const S = 'service="dcgm-exporter"';
const G = `${S},instance="dcgm-exporter:9400",gpu="0",UUID="GPU-1",Hostname="gpu-0",modelName="NVIDIA A10G"`;
const BY = 'service, instance, gpu, Hostname';

const GPU_ALERTS: readonly AlertRule[] = [
  {
    name: 'GpuMemoryHigh',
    expr: 'platform:gpu_memory_used:ratio > 0.95',
    for: '15m',
    severity: 'warning',
    summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has less than 5% of its memory free',
    description: 'The GPU’s framebuffer is nearly full: the next model load or a longer context fails or falls back to the CPU.',
    test: {
      firing: {
        series: { [`platform:gpu_memory_used:ratio{${S},gpu="0",Hostname="gpu-0"}`]: 0.99 },
        labels: { service: 'dcgm-exporter', gpu: '0', Hostname: 'gpu-0' },
      },
      healthy: { [`platform:gpu_memory_used:ratio{${S},gpu="0",Hostname="gpu-0"}`]: 0.6 },
    },
  },
  {
    name: 'GpuUtilizationHigh',
    expr: 'platform:gpu_utilization:ratio > 0.95',
    for: '30m',
    severity: 'warning',
    summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has been saturated for 30 minutes',
    description: 'The GPU has been busy above 95% for half an hour: inference requests queue; add GPUs or spread the models.',
    test: {
      firing: {
        series: { [`platform:gpu_utilization:ratio{${S},gpu="0",Hostname="gpu-0"}`]: 0.99 },
        labels: { service: 'dcgm-exporter', gpu: '0', Hostname: 'gpu-0' },
      },
      healthy: { [`platform:gpu_utilization:ratio{${S},gpu="0",Hostname="gpu-0"}`]: 0.5 },
    },
  },
];

export const DCGM_HOST_REASON =
  "reads every GPU's utilisation and memory through NVIDIA's DCGM, beside the workloads that use them (it allocates none)";

export function dcgmExporter(c: MonitoringConfig): ServiceSpec<'dcgm-exporter', PerNodeFacet> {
  const d = c.gpuMetrics;
  return {
    ...partIdentity('dcgm-exporter', 'gpuMetrics', "NVIDIA's DCGM exporter: GPU utilisation and memory."),
    facet: { nodes: c.nodes },
    secrets: [],
    volumes: [],
    jobs: [],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(DCGM_EXPORTER_IMAGE, d),
        user: '1000:1000',
        scratchPaths: ['/tmp'],
        args: ['-f', '/etc/dcgm-exporter/default-counters.csv', `--address=:${DCGM_PORT}`],
        env: {},
        ports: [port('metrics', DCGM_PORT, 'metrics', 'http', d.hostPorts)],
        mounts: [],
        files: [],
        // Sees the GPUs without taking any (a single host: every GPU of the host; a cluster: the chart on the GPU nodes).
        host: { reason: DCGM_HOST_REASON, gpus: true },
        // No curl in the image: bash's /dev/tcp asks /health.
        health: shellHealth(
          `exec 3<>/dev/tcp/127.0.0.1/${DCGM_PORT} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`,
          { startPeriodSeconds: 30 },
        ),
        resources: d.resources,
        stopGracePeriodSeconds: 5,
      },
    ],
    metrics: {
      container: 'main',
      port: DCGM_PORT,
      path: '/metrics',
      source: 'exporter',
      auth: { kind: 'none', reason: 'GPU metrics only, on a metrics port that is never published' },
      names: namesOf('dcgm-exporter', DCGM_EXPORTER_IMAGE, /-(ubuntu22\.04|distroless)$/),
      signals: [
        scrapedUp('dcgm-exporter'),
        {
          record: 'platform:gpu_memory_used:ratio',
          expr: `max by (${BY}) (DCGM_FI_DEV_FB_USED{${S}} / (DCGM_FI_DEV_FB_USED{${S}} + DCGM_FI_DEV_FB_FREE{${S}}))`,
          example: {
            series: { [`DCGM_FI_DEV_FB_USED{${G}}`]: 18000, [`DCGM_FI_DEV_FB_FREE{${G}}`]: 6000 },
            service: 'dcgm-exporter',
            value: 0.75,
          },
        },
        {
          record: 'platform:gpu_utilization:ratio',
          expr: `max by (${BY}) (DCGM_FI_DEV_GPU_UTIL{${S}}) / 100`,
          example: { series: { [`DCGM_FI_DEV_GPU_UTIL{${G}}`]: 80 }, service: 'dcgm-exporter', value: 0.8 },
        },
      ],
      alerts: GPU_ALERTS,
      panels: [
        { title: 'GPU memory used', expr: 'platform:gpu_memory_used:ratio', unit: 'percentunit', legend: '{{Hostname}} GPU {{gpu}}' },
        { title: 'GPU utilisation', expr: 'platform:gpu_utilization:ratio', unit: 'percentunit', legend: '{{Hostname}} GPU {{gpu}}' },
      ],
    },
  };
}
