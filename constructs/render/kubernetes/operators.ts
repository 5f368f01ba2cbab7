/**
 * Operators the platform installs from their own Helm charts, once per cluster, each in its own
 * namespace (created here with its Pod Security label, so `create_namespace` stays off). Releases
 * wait until the operator is ready (its webhook serving) before any custom resource is installed.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease, NamespaceV1 } from '../../providers/kubernetes';
import { pinAddress } from '../terraform';
import type { PodPolicy, PodPolicyInput } from './pod-policy';
import { type ReleaseReader, readsAs } from './footprint';

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
  /**
   * Where the chart takes the pod policy (its own value keys for pod labels and security contexts):
   * every operator's pods carry the environment's labels and the restricted security context the
   * platform's own pods have. Helm merges these maps into the chart's defaults.
   */
  readonly pod: (policy: PodPolicy) => Record<string, unknown>;
  /** What the release runs, read from its values (the synth summary counts it: footprint.ts). */
  readonly footprint: ReleaseReader;
}

/**
 * Why an operator's namespace has no default-deny NetworkPolicy (guardrail PLAT-K8S-002): its pods
 * answer the API server's webhook calls and call the API server, from and to addresses no policy
 * can name on every cluster (the control plane is not a pod); the platform's own namespaces admit
 * the operator's pods exactly where they reach the services they manage.
 */
export const OPERATOR_NETWORK_POLICY_REASON =
  "an operator's namespace: its webhooks are called by the API server and it calls the API server, addresses no NetworkPolicy names on every cluster; the platform's namespaces admit its pods where they manage a service";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `base` with `over` merged in, maps key by key (as Helm merges values). */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isObject(v) && isObject(out[k]) ? mergeValues(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Installs each operator once (several services may need the same one). */
export class Operators extends Construct {
  private readonly installed = new Map<string, HelmRelease>();

  constructor(
    scope: Construct,
    id: string,
    private readonly after: readonly ITerraformDependable[],
    private readonly podPolicy: (input: PodPolicyInput) => PodPolicy,
    /** Operators the cluster already runs, by `OperatorChart.name`: the namespace their pods are in. */
    private readonly existing: Readonly<Record<string, string>> = {},
  ) {
    super(scope, id);
  }

  /**
   * The operator a realization needs: installed once (what its resources wait for, and its
   * namespace), or the one the cluster already runs (nothing to wait for; its namespace from config).
   */
  use(op: OperatorChart): { readonly ready: readonly ITerraformDependable[]; readonly namespace: string } {
    const existing = this.existing[op.name];
    if (existing !== undefined) return { ready: [], namespace: existing };
    return { ready: [this.ensure(op)], namespace: op.namespace };
  }

  /**
   * A chart that runs beside an operator, in that operator's namespace (a plugin the operator finds
   * by its Service's labels there, such as CloudNativePG's Barman Cloud plugin): installed once by
   * `op.name`, after `after`, with the pod policy; no namespace of its own (`op.namespace` is unused).
   */
  companion(op: OperatorChart, namespace: string, after: readonly ITerraformDependable[]): HelmRelease {
    return this.installed.get(op.name) ?? this.release(op, namespace, [...this.after, ...after]);
  }

  /** The operator's release; `after`: what must be installed first (another operator's CRDs). */
  ensure(op: OperatorChart, after: readonly ITerraformDependable[] = []): HelmRelease {
    const release = this.installed.get(op.name);
    if (release) return release;
    if (op.podSecurity !== 'restricted' && !op.podSecurityReason) {
      throw new Error(`operator ${op.name}: namespace ${op.namespace} is ${op.podSecurity}; say why in podSecurityReason`);
    }
    const ns = pinAddress(
      new NamespaceV1(this, `${op.name}-namespace`, {
        metadata: {
          name: op.namespace,
          annotations: {
            ...(op.podSecurityReason ? { 'platform/pod-security-reason': op.podSecurityReason } : {}),
            'platform/network-policy-reason': OPERATOR_NETWORK_POLICY_REASON,
          },
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
    return this.release(op, op.namespace, [ns, ...after]);
  }

  /** The chart's release in `namespace`, with the pod policy's settings, installed once. */
  private release(op: OperatorChart, namespace: string, dependsOn: ITerraformDependable[]): HelmRelease {
    const release = pinAddress(
      new HelmRelease(this, op.name, {
        name: op.name,
        namespace,
        repository: op.repository,
        chart: op.chart,
        version: op.version,
        values: [JSON.stringify(mergeValues(op.values, op.pod(this.podPolicy({ selector: {} }))), null, 2)],
        createNamespace: false,
        wait: true,
        timeout: 600,
        maxHistory: 10,
        atomic: false,
        dependsOn,
      }),
      'operator',
      op.name,
    );
    readsAs(release, op.footprint);
    this.installed.set(op.name, release);
    return release;
  }
}
