/**
 * The Kubernetes target's pure part: what a cluster runs for each spec (checks, quotas and the
 * synth summary count it before anything renders), chosen by the typed spec name. A spec whose
 * realization runs just its own containers needs no row.
 */
import type { SpecName, SpecOf } from '../../services';
import type { ServiceSpec } from '../../spec/types';
import { elasticsearchFootprint } from './elasticsearch';
import { kibanaFootprint } from './kibana';
import { monitoringFootprints } from './monitoring';
import { neo4jFootprint } from './neo4j';
import { postgresFootprint } from './postgres';

/** How the cluster backs up what runs in it, where that changes which pods run (see `footprintOf`). */
export interface ClusterBackupTraits {
  /** Something snapshots the volumes on a schedule (AWS Backup): a volume-snapshot plan's stopped dump is not run. */
  readonly volumeSnapshots?: boolean;
  /** The backups' store is reached through the cluster's workload identities (S3 on EKS: Pod Identity, IRSA), with no key to hand a service. */
  readonly podIdentityStore?: boolean;
}

/** What a footprint may know of the cluster. */
export interface ClusterTraits extends ClusterBackupTraits {
  /** The most nodes the cluster has, when the target knows it (else the spec's own setting). */
  readonly nodes?: number;
}

const footprints: { readonly [N in SpecName]?: (spec: SpecOf<N>, cluster: ClusterTraits) => readonly ServiceSpec[] } = {
  elasticsearch: elasticsearchFootprint,
  kibana: kibanaFootprint,
  neo4j: neo4jFootprint,
  postgres: postgresFootprint,
  prometheus: monitoringFootprints.prometheus,
  alertmanager: monitoringFootprints.alertmanager,
  grafana: monitoringFootprints.grafana,
  alloy: monitoringFootprints.alloy,
  'node-exporter': monitoringFootprints['node-exporter'],
  'dcgm-exporter': monitoringFootprints['dcgm-exporter'],
  cadvisor: monitoringFootprints.cadvisor,
};

/**
 * What the cluster runs for a spec: the realization's pods (an operator's extra nodes, helpers, a
 * chart's sidecars, one agent per node, a backup pod), else the spec.
 */
export function footprintOf(spec: ServiceSpec, cluster: ClusterTraits = {}): readonly ServiceSpec[] {
  const row = footprints[spec.name as SpecName] as ((s: ServiceSpec, c: ClusterTraits) => readonly ServiceSpec[]) | undefined;
  return row ? row(spec, cluster) : [spec];
}
