/** One renderer per target, chosen by the environment's `target.kind`. */
import type { Environment } from '../../environments/load';
import type { TargetKind } from '../../environments/schema';
import type { Construct } from '../providers/cdktf';
import { AwsTarget } from './aws';
import { DockerTarget } from './docker';
import { KubernetesTarget } from './kubernetes';

type Renderer = (scope: Construct, environment: Environment) => Construct;

export const renderers: { readonly [K in TargetKind]: Renderer } = {
  docker: (scope, environment) => new DockerTarget(scope, 'docker', { environment }),
  kubernetes: (scope, environment) => new KubernetesTarget(scope, 'kubernetes', { environment }),
  aws: (scope, environment) => new AwsTarget(scope, 'aws', { environment }),
};
