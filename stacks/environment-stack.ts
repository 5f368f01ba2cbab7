/**
 * One stack per environment. The stack id is the environment name, so `cdktf diff staging` and
 * `cdktf deploy production` address it. The stack configures the state backend and hands the
 * environment to its target's renderer.
 */
import * as path from 'node:path';
import type { Environment } from '../environments/parse/load';
import type { Backend, TargetKind } from '../environments/parse/schema';
import { type Construct, LocalBackend, IsolatedStack, S3Backend, type TerraformStack } from '../constructs/providers/cdktf';
import { KubernetesBackend } from '../constructs/providers/kubernetes-backend';
import type { Target } from '../environments/parse/schema';
import { renderers } from './renderers';
import { stampLabels } from '../constructs/render/labels';

/**
 * The Terraform releases each target's stacks run on (`terraform.required_version`), so a plan with
 * another release stops before it touches anything:
 * - at least 1.11.0: S3-native state locking (`use_lockfile`) is generally available from 1.11;
 * - below 1.12.0 where the kubernetes provider 2.38.0 runs (Kubernetes, and AWS for what it puts in
 *   the cluster): from Terraform 1.12 the provider reports resource identities, and when a create's
 *   rollout wait times out the resource keeps an empty identity, after which every plan fails with
 *   "Unexpected Identity Change" (hashicorp/terraform-provider-kubernetes #2779; fixed in provider
 *   3.2.1, whose prebuilt binding does not exist yet). docs/operations.md has the recovery.
 */
export const TERRAFORM_VERSIONS: { readonly [K in TargetKind]: string } = {
  docker: '>= 1.11.0',
  kubernetes: '>= 1.11.0, < 1.12.0',
  aws: '>= 1.11.0, < 1.12.0',
};

export interface EnvironmentStackProps {
  readonly environment: Environment;
  /**
   * Output directory the stack is finally written to (relative to the project root); local state
   * paths are made relative to the stack's directory in it, which is where Terraform runs.
   * @default 'cdktf.out'
   */
  readonly outdir?: string;
}

export class EnvironmentStack extends IsolatedStack {
  readonly environment: Environment;

  constructor(scope: Construct, props: EnvironmentStackProps) {
    const env = props.environment;
    super(scope, env.name);
    this.environment = env;
    configureBackend(this, env.name, env.backend, env.target, props.outdir ?? 'cdktf.out');
    this.addOverride('terraform.required_version', TERRAFORM_VERSIONS[env.target.kind]);
    renderers[env.target.kind](this, env);
    // The environment's labels on every Kubernetes object, whoever built it.
    stampLabels(this, env.labels);
  }
}

/** The state backend of environment `name` on `stack` (exported for the tests of the backend alone). */
export function configureBackend(stack: TerraformStack, name: string, backend: Backend, target: Target, outdir: string): void {
  switch (backend.kind) {
    case 'local': {
      const stateFile = backend.path ?? `terraform.${name}.tfstate`;
      const stackDir = path.posix.join(outdir.split(path.sep).join('/'), 'stacks', name);
      new LocalBackend(stack, { path: path.posix.relative(stackDir, stateFile) });
      return;
    }
    case 's3': {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key,
        region: backend.region,
        encrypt: true,
        ...(backend.kmsKeyId ? { kmsKeyId: backend.kmsKeyId } : {}),
      });
      // S3-native state locking (Terraform >= 1.10); cdktf 0.21 predates the typed option.
      s3.addOverride('use_lockfile', true);
      return;
    }
    case 'kubernetes': {
      const cluster = backend.cluster ?? (target.kind === 'kubernetes' ? target.cluster : undefined);
      // The schema refuses a kubernetes backend without a cluster on the other targets.
      if (!cluster) throw new Error(`${name}: backend.cluster is required`);
      new KubernetesBackend(stack, {
        secretSuffix: backend.secretSuffix ?? name,
        namespace: backend.namespace,
        labels: { 'platform/environment': name },
        ...(cluster.auth === 'kubeconfig'
          ? { configPath: cluster.path, configContext: cluster.context }
          : { host: cluster.host, clusterCaCertificate: cluster.caCertificate }),
        // auth: 'token' reads KUBE_TOKEN from the environment, as the providers do.
        ...(cluster.auth === 'exec' ? { exec: cluster.exec } : {}),
      });
      return;
    }
  }
}
