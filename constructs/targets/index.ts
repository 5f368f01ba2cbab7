/**
 * What each target runs, as pure data (no provider binding is loaded from here): the checks, the
 * namespace quotas and the synth summary count it before anything renders.
 */
import type { Environment } from '../../environments/parse/load';
import type { TargetKind } from '../../environments/parse/schema';
import type { ServiceSpec } from '../spec/types';
import { awsMonitored } from './aws/cloudwatch';
import { inClusterBackups } from './aws/backup';
import { footprintOf } from './kubernetes';

/** The services a target runs as containers it schedules itself (not managed services). */
export const containerSpecs: { readonly [K in TargetKind]: (environment: Environment) => readonly ServiceSpec[] } = {
  docker: (environment) => environment.specs,
  // On a cluster, what each realization runs (ECK's dedicated masters, exporters and probes).
  kubernetes: (environment) => environment.specs.flatMap((s) => footprintOf(s)),
  // With the CloudWatch exporter where the monitoring stack runs; one agent per node of the pools.
  aws: (environment) => {
    const { inCluster, maxNodes } = awsMonitored(environment);
    const cluster = { nodes: maxNodes, ...inClusterBackups(environment, inCluster) };
    return inCluster.flatMap((s) => footprintOf(s, cluster));
  },
};
