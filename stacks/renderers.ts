/** One renderer per target, chosen by the environment's `target.kind`. */
import type { Environment } from '../environments/parse/load';
import type { TargetKind } from '../environments/parse/schema';
import type { Construct } from '../constructs/providers/cdktf';
import { AwsTarget } from '../constructs/render/aws';
import { DockerTarget } from '../constructs/render/docker';
import { KubernetesTarget } from '../constructs/render/kubernetes';

type Renderer = (scope: Construct, environment: Environment) => Construct;

export const renderers: { readonly [K in TargetKind]: Renderer } = {
  docker: (scope, environment) => new DockerTarget(scope, 'docker', { environment }),
  kubernetes: (scope, environment) => new KubernetesTarget(scope, 'kubernetes', { environment }),
  aws: (scope, environment) => new AwsTarget(scope, 'aws', { environment }),
};
