/** One renderer per target, chosen by the environment's `target.kind`, and how to read back what it rendered. */
import type { Environment } from '../environments/parse/load';
import type { TargetKind } from '../environments/parse/schema';
import type { Construct } from '../constructs/providers/cdktf';
import { AwsTarget } from '../constructs/render/aws';
import { readAws } from '../constructs/render/aws/summary';
import { DockerTarget } from '../constructs/render/docker';
import { readDocker } from '../constructs/render/docker/summary';
import { KubernetesTarget } from '../constructs/render/kubernetes';
import { readKubernetes, releaseReaders } from '../constructs/render/kubernetes/summary';
import type { StackJson, TargetReading } from '../constructs/render/summary';

type Renderer = (scope: Construct, environment: Environment) => Construct;

export const renderers: { readonly [K in TargetKind]: Renderer } = {
  docker: (scope, environment) => new DockerTarget(scope, 'docker', { environment }),
  kubernetes: (scope, environment) => new KubernetesTarget(scope, 'kubernetes', { environment }),
  aws: (scope, environment) => new AwsTarget(scope, 'aws', { environment }),
};

/** What a synthesized stack runs and is billed for, read from its JSON (and its Helm releases' readers). */
type Reader = (environment: Environment, json: StackJson, stack: Construct) => TargetReading;

export const readers: { readonly [K in TargetKind]: Reader } = {
  docker: (_env, json) => readDocker(json),
  kubernetes: (env, json, stack) => {
    const c = env.target.kind === 'kubernetes' ? env.target.cluster : undefined;
    const where = !c ? 'the cluster' : c.auth === 'kubeconfig' ? `the cluster of context ${c.context}` : `the cluster at ${c.host}`;
    return readKubernetes(json, releaseReaders(stack), where);
  },
  aws: (env, json, stack) => readAws(env, json, releaseReaders(stack)),
};
