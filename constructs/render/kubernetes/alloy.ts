/**
 * Grafana Alloy on a cluster: its chart (1.11.1) as a DaemonSet, one per node (GPU nodes included),
 * each reading its own node's pods' logs through the Kubernetes API (`loki.source.kubernetes`: no
 * hostPath, no root), as the alloy user under the restricted Pod Security Standard.
 */
import { type AlloyFacet, alloyKubernetesConfig } from '../../services/alloy';
import { LOKI_PORT } from '../../services/loki';
import type { ServiceSpec } from '../../spec/types';
import { serviceDns } from '../../targets/kubernetes/naming';
import { CHART_HELPERS } from '../../targets/kubernetes/monitoring';
import { canonicalResources } from '../../targets/kubernetes/quantities';
import type { K8sContext, Realization } from './context';
import { amountsOf } from './footprint';
import { apiEgress, monitoringNamespace, partGroup, partPolicy, partRelease } from './monitoring';

export const ALLOY_CHART = { repository: 'https://grafana.github.io/helm-charts', chart: 'alloy', version: '1.11.1' } as const;

export function alloyValues(ctx: K8sContext, spec: ServiceSpec<string, AlloyFacet>): Record<string, unknown> {
  const { policy, labels } = partPolicy(ctx, 'alloy', { user: '473:473' });
  const push = `http://${serviceDns('loki', monitoringNamespace(ctx))}:${LOKI_PORT}/loki/api/v1/push`;
  return {
    fullnameOverride: 'alloy',
    crds: { create: false },
    global: { podSecurityContext: policy.podSecurityContext },
    alloy: {
      configMap: { create: true, content: alloyKubernetesConfig(spec.facet, push) },
      enableReporting: false,
      storagePath: '/tmp/alloy',
      securityContext: policy.containerSecurityContext,
      resources: canonicalResources(spec.containers[0]!.resources),
      mounts: { varlog: false, dockercontainers: false, extra: [{ name: 'storage', mountPath: '/tmp/alloy' }] },
    },
    configReloader: { resources: canonicalResources(CHART_HELPERS.configReloader) },
    controller: {
      type: 'daemonset',
      podLabels: labels,
      // Every node, tainted ones (the GPU pool) included.
      tolerations: [{ operator: 'Exists' }],
      volumes: { extra: [{ name: 'storage', emptyDir: { sizeLimit: '1Gi' } }] },
    },
    serviceMonitor: { enabled: false },
  };
}

export const alloy: Realization<AlloyFacet> = {
  describe: () => `Grafana Alloy ${ALLOY_CHART.version} (its chart), a DaemonSet reading pods' logs through the Kubernetes API`,
  why: () => 'One shipper per node, no hostPath and no root: the Kubernetes API serves every pod’s log.',
  render: (scope, ctx, spec, dependsOn) => {
    const release = partRelease(scope, ctx, spec, dependsOn, {
      id: 'alloy',
      address: 'alloy',
      chart: ALLOY_CHART,
      values: alloyValues(ctx, spec),
      // A DaemonSet on every node: a node that is not Ready must not hold the apply.
      wait: false,
      // A DaemonSet on every node: Alloy and the chart's config reloader in each pod.
      pods: (v) => [
        {
          name: 'alloy',
          replicas: { perNode: 'node' },
          containers: [
            amountsOf('alloy', v.alloy.resources),
            ...(v.configReloader?.enabled === false ? [] : [amountsOf('config-reloader', v.configReloader?.resources)]),
          ],
          storage: [],
        },
      ],
    });
    return { ready: [release], pods: [partGroup(ctx, spec, { egress: [apiEgress(ctx, 'Alloy (pods and their logs)')] })] };
  },
};
