/** One renderer per target, chosen by the environment's `target.kind`. */
import type { Environment } from '../../environments/load';
import type { TargetKind } from '../../environments/schema';
import type { Construct } from '../providers/cdktf';
import { AwsTarget } from './aws';
import { placeServices } from './aws/managed/placement';
import type { ServiceSpec } from '../spec/types';
import { DockerTarget } from './docker';
import { KubernetesTarget } from './kubernetes';
import { footprintOf } from './kubernetes/realizations';

type Renderer = (scope: Construct, environment: Environment) => Construct;

export const renderers: { readonly [K in TargetKind]: Renderer } = {
  docker: (scope, environment) => new DockerTarget(scope, 'docker', { environment }),
  kubernetes: (scope, environment) => new KubernetesTarget(scope, 'kubernetes', { environment }),
  aws: (scope, environment) => new AwsTarget(scope, 'aws', { environment }),
};

/** The services a target runs as containers it schedules itself (not managed services). */
export const containerSpecs: { readonly [K in TargetKind]: (environment: Environment) => readonly ServiceSpec[] } = {
  docker: (environment) => environment.specs,
  // On a cluster, what each realization runs (ECK's dedicated masters, exporters and probes).
  kubernetes: (environment) => environment.specs.flatMap((s) => footprintOf(s, environment)),
  aws: (environment) => placeServices(environment).inCluster.flatMap((s) => footprintOf(s, environment)),
};
