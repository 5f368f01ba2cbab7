/**
 * NVIDIA's DCGM exporter on a cluster: its chart (4.8.2) as a DaemonSet on the GPU nodes (their
 * selector and tolerations), in the node agents' namespace: it mounts the kubelet's pod-resources
 * directory (hostPath) to name the pod using each GPU. Without profiling metrics it runs as a
 * non-root user without SYS_ADMIN (the chart's documented non-root mode). It reads the GPUs through
 * the NVIDIA container runtime of the GPU nodes, requesting none.
 */
import type { PerNodeFacet } from '../../services/monitoring-config';
import type { ServiceSpec } from '../../spec/types';
import { canonicalResources } from '../../targets/kubernetes/quantities';
import type { K8sContext, Realization } from './context';
import { amountsOf } from './footprint';
import { apiTolerations } from './pod-policy';
import { partGroup, partPolicy, partRelease } from './monitoring';
import { NODE_AGENTS } from './prometheus';

export const DCGM_CHART = {
  repository: 'https://nvidia.github.io/dcgm-exporter/helm-charts',
  chart: 'dcgm-exporter',
  version: '4.8.2',
} as const;

export function dcgmValues(ctx: K8sContext, spec: ServiceSpec<string, PerNodeFacet>): Record<string, unknown> {
  const gpu = ctx.cluster.gpu;
  if (!gpu) throw new Error('the DCGM exporter needs GPU nodes (target.gpu)');
  const { policy, labels } = partPolicy(ctx, 'dcgm-exporter', { user: '1000:1000' });
  return {
    fullnameOverride: 'dcgm-exporter',
    podLabels: labels,
    podSecurityContext: policy.podSecurityContext,
    securityContext: { ...policy.containerSecurityContext, readOnlyRootFilesystem: false },
    // The default class: a monitoring agent is not node-critical (and needs no scoped quota).
    priorityClassName: '',
    resources: canonicalResources(spec.containers[0]!.resources),
    nodeSelector: { ...gpu.nodeSelector },
    tolerations: apiTolerations(gpu.tolerations),
    serviceMonitor: { enabled: false },
  };
}

export const dcgmExporter: Realization<PerNodeFacet> = {
  namespace: NODE_AGENTS,
  describe: () => `NVIDIA DCGM exporter (chart dcgm-exporter ${DCGM_CHART.version}) on the GPU nodes`,
  why: () => 'NVIDIA’s chart runs it per GPU node with the pod-resources mapping; its host access puts it in the node agents’ namespace.',
  render: (scope, ctx, spec, dependsOn) => {
    const release = partRelease(scope, ctx, spec, dependsOn, {
      id: 'dcgm-exporter',
      address: 'dcgm_exporter',
      chart: DCGM_CHART,
      values: dcgmValues(ctx, spec),
      // A DaemonSet on a pool that may be at zero nodes: nothing to wait for.
      wait: false,
      // A DaemonSet on the GPU nodes.
      pods: (v) => [
        {
          name: 'dcgm-exporter',
          replicas: { perNode: 'GPU node' },
          containers: [amountsOf('dcgm-exporter', v.resources)],
          storage: [],
        },
      ],
    });
    return { ready: [release], pods: [partGroup(ctx, spec)] };
  },
};
