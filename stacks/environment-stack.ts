/**
 * One stack per environment. The stack id is the environment name, so `cdktf diff staging` and
 * `cdktf deploy production` address it. The stack configures the state backend and hands the
 * environment to its target's renderer.
 */
import * as path from 'node:path';
import type { Environment } from '../environments/parse/load';
import type { Backend } from '../environments/parse/schema';
import { type Construct, LocalBackend, S3Backend, TerraformStack } from '../constructs/providers/cdktf';
import { KubernetesBackend } from '../constructs/providers/kubernetes-backend';
import type { Target } from '../environments/parse/schema';
import { renderers } from './renderers';
import { stampLabels } from '../constructs/render/labels';

export interface EnvironmentStackProps {
  readonly environment: Environment;
  /**
   * Output directory the stack is finally written to (relative to the project root); local state
   * paths are made relative to the stack's directory in it, which is where Terraform runs.
   * @default 'cdktf.out'
   */
  readonly outdir?: string;
}

export class EnvironmentStack extends TerraformStack {
  readonly environment: Environment;

  constructor(scope: Construct, props: EnvironmentStackProps) {
    const env = props.environment;
    super(scope, env.name);
    this.environment = env;
    configureBackend(this, env.name, env.backend, env.target, props.outdir ?? 'cdktf.out');
    renderers[env.target.kind](this, env);
    // The environment's labels on every Kubernetes object, whoever built it.
    stampLabels(this, env.labels);
  }
}

function configureBackend(stack: TerraformStack, name: string, backend: Backend, target: Target, outdir: string): void {
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
