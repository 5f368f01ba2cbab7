/**
 * Terraform's `kubernetes` backend: state in a Secret of the cluster, locked with a Lease. cdktf 0.21
 * ships no class for it (its backends: s3, local, remote, azurerm, consul, cos, gcs, http, oss, pg,
 * swift, cloud), so this is the small subclass its own backends are: attributes as Terraform reads
 * them (terraform v1.11 internal/backend/remote-state/kubernetes/backend.go), and a remote-state
 * data source of the same kind.
 *
 * A `configPath` that names a missing file does not fail: Terraform falls back to
 * http://localhost and reports a refused connection, so the synth summary warns when the file is
 * not there (stacks/warnings.ts).
 */
import type { Construct } from 'constructs';
import { TerraformBackend, TerraformRemoteState } from 'cdktf';

export interface KubernetesBackendConfig {
  /** The state Secret is `tfstate-<workspace>-<secretSuffix>`. */
  readonly secretSuffix: string;
  readonly namespace: string;
  /** Labels of the state Secret. */
  readonly labels?: Readonly<Record<string, string>>;
  /** A kubeconfig file (`~` is expanded by Terraform) and its context. */
  readonly configPath?: string;
  readonly configContext?: string;
  /** Or the API server and its CA, with a credential plugin (or KUBE_TOKEN in the environment). */
  readonly host?: string;
  readonly clusterCaCertificate?: string;
  readonly exec?: {
    readonly apiVersion: string;
    readonly command: string;
    readonly args?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
  };
}

/** The attributes as Terraform's backend block names them (keys of `labels` and `exec.env` kept as written). */
export function kubernetesBackendAttributes(c: KubernetesBackendConfig): Record<string, unknown> {
  return {
    secret_suffix: c.secretSuffix,
    namespace: c.namespace,
    ...(c.labels && Object.keys(c.labels).length > 0 ? { labels: { ...c.labels } } : {}),
    ...(c.configPath ? { config_path: c.configPath } : {}),
    ...(c.configContext ? { config_context: c.configContext } : {}),
    ...(c.host ? { host: c.host } : {}),
    ...(c.clusterCaCertificate ? { cluster_ca_certificate: c.clusterCaCertificate } : {}),
    ...(c.exec
      ? {
          exec: {
            api_version: c.exec.apiVersion,
            command: c.exec.command,
            ...(c.exec.args && c.exec.args.length > 0 ? { args: [...c.exec.args] } : {}),
            ...(c.exec.env && Object.keys(c.exec.env).length > 0 ? { env: { ...c.exec.env } } : {}),
          },
        }
      : {}),
  };
}

export class KubernetesBackend extends TerraformBackend {
  constructor(
    scope: Construct,
    private readonly config: KubernetesBackendConfig,
  ) {
    super(scope, 'backend', 'kubernetes');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return kubernetesBackendAttributes(this.config);
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return kubernetesBackendAttributes(this.config);
  }

  override getRemoteStateDataSource(scope: Construct, name: string, _fromStack: string): TerraformRemoteState {
    return new DataTerraformRemoteStateKubernetes(scope, name, kubernetesBackendAttributes(this.config));
  }
}

class DataTerraformRemoteStateKubernetes extends TerraformRemoteState {
  constructor(scope: Construct, id: string, config: Record<string, unknown>) {
    super(scope, id, 'kubernetes', config);
  }
}
