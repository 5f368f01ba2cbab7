/**
 * Elasticsearch on a cluster, the part checks need before anything renders (pure): the node sets
 * the facet's topology asks for, and what the cluster runs for it (those nodes and the exporter
 * once, as its own pod), which the namespace quota and the synth summary count.
 */
import type { ElasticsearchFacet } from '../../services/elasticsearch';
import type { ContainerSpec, ResourceRequirements, ServiceSpec } from '../../spec/types';

/** Dedicated master nodes (a majority survives the loss of one). */
export const MASTER_COUNT = 3;
/** Roles of the data nodes when the masters are dedicated (no `ml`: the Basic licence runs no ML jobs). */
export const DATA_ROLES = ['data', 'ingest', 'transform', 'remote_cluster_client'] as const;

export interface NodeSetShape {
  readonly name: string;
  readonly count: number;
  readonly roles?: readonly string[];
  readonly resources: ResourceRequirements;
  /** JVM options (the heap). */
  readonly javaOpts: string;
  readonly size: string;
}

/** The node sets the topology asks for: one set of combined nodes, or three masters and the data nodes. */
export function nodeSetShapes(spec: ServiceSpec<string, ElasticsearchFacet>): NodeSetShape[] {
  const { facet } = spec;
  const main = spec.containers[0]!;
  const size = spec.volumes.find((v) => v.name === 'data')!.size;
  const data = { count: spec.replicas, resources: main.resources, javaOpts: facet.javaOpts, size };
  if (facet.topology !== 'dedicated' || !facet.masters) return [{ name: 'default', ...data }];
  const m = facet.masters;
  return [
    { name: 'masters', count: MASTER_COUNT, roles: ['master'], resources: m.resources, javaOpts: m.javaOpts, size: m.size },
    { name: 'data', roles: DATA_ROLES, ...data },
  ];
}

/** The spec's exporter container (run once, as its own Deployment). */
export function exporterOf(spec: ServiceSpec): ContainerSpec {
  const c = spec.containers.find((x) => x.name === 'exporter');
  if (!c) throw new Error(`${spec.name}: the spec has no exporter container`);
  return c;
}

/**
 * What the cluster runs: every node set's members, the exporter once, and the snapshot repository's
 * registration job where backups are on (the platform's store with a key, or S3 on EKS through an
 * IAM role for the nodes' service account).
 */
export function elasticsearchFootprint(spec: ServiceSpec<string, ElasticsearchFacet>): ServiceSpec[] {
  return [
    ...nodeSetShapes(spec).map((n) => ({
      ...spec,
      name: `${spec.name}-${n.name}`,
      replicas: n.count,
      containers: [{ ...spec.containers[0]!, resources: n.resources }],
      volumes: [{ name: 'data', size: n.size, description: 'Indices', backup: true }],
      jobs: [],
    })),
    {
      ...spec,
      name: `${spec.name}-exporter`,
      replicas: 1,
      containers: [exporterOf(spec)],
      volumes: [],
      jobs: spec.facet.snapshots ? [spec.facet.snapshots.job] : [],
    },
  ];
}
