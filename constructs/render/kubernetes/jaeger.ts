/**
 * Jaeger v2 on a cluster: its chart (4.11.1) with the same configuration as on a single host (OTLP
 * in, traces in memory, the query API), under the restricted Pod Security Standard. OTLP is admitted
 * from the platform's namespaces.
 */
import { type JaegerFacet, OTLP_GRPC_PORT, OTLP_HTTP_PORT, jaegerConfig } from '../../services/jaeger';
import { canonicalResources } from '../../targets/kubernetes/quantities';
import type { ServiceSpec } from '../../spec/types';
import type { K8sContext, Realization } from './context';
import { amountsOf } from './footprint';
import { partGroup, partPolicy, partRelease } from './monitoring';

export const JAEGER_CHART = { repository: 'https://jaegertracing.github.io/helm-charts', chart: 'jaeger', version: '4.11.1' } as const;

export function jaegerValues(ctx: K8sContext, spec: ServiceSpec<string, JaegerFacet>): Record<string, unknown> {
  const { policy, labels } = partPolicy(ctx, 'jaeger', { user: '10001:10001' });
  return {
    fullnameOverride: 'jaeger',
    userconfig: jaegerConfig(spec.facet.maxTraces),
    jaeger: {
      image: { tag: spec.containers[0]!.image.tag ?? '' },
      podLabels: labels,
      podSecurityContext: policy.podSecurityContext,
      securityContext: policy.containerSecurityContext,
      resources: canonicalResources(spec.containers[0]!.resources),
    },
  };
}

export const jaeger: Realization<JaegerFacet> = {
  describe: () => `Jaeger v2 (chart jaeger ${JAEGER_CHART.version}), traces in memory`,
  why: () => 'Jaeger v2 is an OpenTelemetry Collector build; its chart runs the same configuration as a single host.',
  render: (scope, ctx, spec, dependsOn) => {
    const release = partRelease(scope, ctx, spec, dependsOn, {
      id: 'jaeger',
      address: 'jaeger',
      chart: JAEGER_CHART,
      values: jaegerValues(ctx, spec),
      wait: true,
      timeout: 300,
      // One Deployment; `jaeger.replicas` is the chart's 1 (values.yaml at 4.11.1) unless the values set it.
      pods: (v) => [
        {
          name: 'jaeger',
          replicas: Number(v.jaeger.replicas ?? 1),
          containers: [amountsOf('jaeger', v.jaeger.resources)],
          storage: [],
        },
      ],
    });
    const platform = [...new Set(ctx.specs.map((s) => ctx.namespaceOf(s)))].sort();
    return {
      ready: [release],
      pods: [
        partGroup(ctx, spec, {
          ingressFrom: [
            ...platform.map((namespace) => ({
              namespace,
              ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT],
              reason: 'the platform’s workloads send traces over OTLP',
            })),
            // The applications (consumers) trace too: their pods, as the environment names them.
            ...(ctx.cluster.consumers ?? []).map((c) => ({
              namespace: c.namespace,
              ...(Object.keys(c.podLabels).length ? { labels: c.podLabels } : {}),
              ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT],
              reason: `consumer ${c.name} sends traces over OTLP`,
            })),
          ],
        }),
      ],
    };
  },
};
