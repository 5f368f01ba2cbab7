/**
 * Loki on a cluster: the grafana-community chart (18.11.0; the OSS chart moved there in March 2026),
 * one binary (`Monolithic`: every component in one StatefulSet pod), single tenant, the compactor
 * deleting logs past the retention. Storage: a volume of the spec's size, or on AWS an S3 bucket
 * through Pod Identity (no keys: the SDK's default credentials). Gateway, caches and canary off.
 */
import type { LokiFacet } from '../../services/loki';
import type { ServiceSpec } from '../../spec/types';
import { canonicalMemory, canonicalResources } from '../../targets/kubernetes/quantities';
import type { K8sContext, Realization } from './context';
import { amountsOf } from './footprint';
import { partGroup, partPolicy, partRelease } from './monitoring';

export const LOKI_CHART = { repository: 'https://grafana-community.github.io/helm-charts', chart: 'loki', version: '18.11.0' } as const;

export function lokiValues(ctx: K8sContext, spec: ServiceSpec<string, LokiFacet>): Record<string, unknown> {
  const { policy, labels } = partPolicy(ctx, 'loki', { user: '10001:10001' });
  const s3 = ctx.cluster.monitoring?.logsBucket;
  const store = s3 ? 's3' : 'filesystem';
  return {
    deploymentMode: 'Monolithic',
    fullnameOverride: 'loki',
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      schemaConfig: {
        configs: [
          { from: '2024-04-01', store: 'tsdb', object_store: store, schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } },
        ],
      },
      storage: s3
        ? { type: 's3', bucketNames: { chunks: s3.name, ruler: s3.name, admin: s3.name }, s3: { region: s3.region } }
        : { type: 'filesystem' },
      compactor: { retention_enabled: true, delete_request_store: store },
      limits_config: { retention_period: spec.facet.retention },
      analytics: { reporting_enabled: false },
      podLabels: labels,
      podSecurityContext: policy.podSecurityContext,
      containerSecurityContext: policy.containerSecurityContext,
    },
    singleBinary: {
      replicas: 1,
      // No rules sidecar: the platform's rules are Prometheus'.
      sidecar: false,
      resources: canonicalResources(spec.containers[0]!.resources),
      persistence: {
        enabled: true,
        size: canonicalMemory(spec.volumes[0]!.size),
        ...(ctx.cluster.storageClass ? { storageClass: ctx.cluster.storageClass } : {}),
      },
    },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    gateway: { enabled: false },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    lokiCanary: { enabled: false },
    test: { enabled: false },
    minio: { enabled: false },
    serviceAccount: { create: true, name: s3?.serviceAccount ?? 'loki' },
  };
}

export const loki: Realization<LokiFacet> = {
  describe: () => `Loki ${LOKI_CHART.version} (grafana-community chart), one binary`,
  why: () =>
    'The OSS Loki chart moved to grafana-community in March 2026; one binary keeps a single StatefulSet, with the volume or (AWS) an S3 bucket through Pod Identity.',
  render: (scope, ctx, spec, dependsOn) => {
    const release = partRelease(scope, ctx, spec, dependsOn, {
      id: 'loki',
      address: 'loki',
      chart: LOKI_CHART,
      values: lokiValues(ctx, spec),
      wait: true,
      timeout: 600,
      // One binary: a StatefulSet of `singleBinary.replicas`, each with its volume (the WAL and, without S3, the chunks).
      pods: (v) => [
        {
          name: 'loki',
          replicas: Number(v.singleBinary.replicas),
          containers: [amountsOf('loki', v.singleBinary.resources)],
          storage: v.singleBinary.persistence?.enabled ? [String(v.singleBinary.persistence.size)] : [],
        },
      ],
    });
    const s3 = ctx.cluster.monitoring?.logsBucket;
    return {
      ready: [release],
      pods: [partGroup(ctx, spec, s3 ? { egress: [{ cidrs: ['0.0.0.0/0'], ports: [443], reason: 'Loki stores its chunks in S3' }] } : {})],
    };
  },
};
