/**
 * Operators the platform installs from their own Helm charts, once per cluster, each in its own
 * namespace (created here with its Pod Security label, so `create_namespace` stays off). Releases
 * wait until the operator is ready (its webhook serving) before any custom resource is installed.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease, NamespaceV1 } from '../../providers/kubernetes';
import { pinAddress } from '../terraform';

export interface OperatorChart {
  readonly name: string;
  readonly namespace: string;
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  readonly podSecurity: 'restricted' | 'baseline' | 'privileged';
  /** Why the namespace is not `restricted` (required then; shown on the namespace as `platform/pod-security-reason`). */
  readonly podSecurityReason?: string;
  readonly values: Record<string, unknown>;
}

/** Installs each operator once (several services may need the same one). */
export class Operators extends Construct {
  private readonly installed = new Map<string, HelmRelease>();

  constructor(
    scope: Construct,
    id: string,
    private readonly after: readonly ITerraformDependable[],
  ) {
    super(scope, id);
  }

  /** The operator's release; `after`: what must be installed first (another operator's CRDs). */
  ensure(op: OperatorChart, after: readonly ITerraformDependable[] = []): HelmRelease {
    let release = this.installed.get(op.name);
    if (release) return release;
    if (op.podSecurity !== 'restricted' && !op.podSecurityReason) {
      throw new Error(`operator ${op.name}: namespace ${op.namespace} is ${op.podSecurity}; say why in podSecurityReason`);
    }
    const ns = pinAddress(
      new NamespaceV1(this, `${op.name}-namespace`, {
        metadata: {
          name: op.namespace,
          ...(op.podSecurityReason ? { annotations: { 'platform/pod-security-reason': op.podSecurityReason } } : {}),
          labels: {
            'pod-security.kubernetes.io/enforce': op.podSecurity,
            'pod-security.kubernetes.io/audit': op.podSecurity,
            'pod-security.kubernetes.io/warn': op.podSecurity,
          },
        },
        waitForDefaultServiceAccount: false,
        dependsOn: [...this.after],
      }),
      'namespace',
      op.name,
    );
    release = pinAddress(
      new HelmRelease(this, op.name, {
        name: op.name,
        namespace: op.namespace,
        repository: op.repository,
        chart: op.chart,
        version: op.version,
        values: [JSON.stringify(op.values, null, 2)],
        createNamespace: false,
        wait: true,
        timeout: 600,
        maxHistory: 10,
        atomic: false,
        dependsOn: [ns, ...after],
      }),
      'operator',
      op.name,
    );
    this.installed.set(op.name, release);
    return release;
  }
}
