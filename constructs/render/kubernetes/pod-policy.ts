/**
 * One policy for every pod the platform runs on Kubernetes, whoever builds it: the project's own
 * workloads and helpers (pod.ts), operator custom resources (ECK's node sets and Kibana,
 * CloudNativePG's instances) and the pods of the charts the platform installs. Labels (the
 * environment's and the platform's), scheduling (the GPU nodes' selector and tolerations, the data
 * priority class, spread over nodes and zones) and the `restricted` security context come from
 * here, in the Kubernetes API's shape (what custom resources and chart values take); `typedPod`
 * turns it into the typed form of the kubernetes provider's `*_v1` resources.
 */
import type { Privileges } from '../../spec/types';
import type { ClusterFacts } from './cluster-facts';

export interface Toleration {
  readonly key?: string;
  readonly operator: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  readonly labelSelector: { readonly matchLabels: Readonly<Record<string, string>> };
}

/** What the pods need, as their owner knows it. */
export interface PodPolicyInput {
  /** Labels that select the pods (and scope their spread). */
  readonly selector: Readonly<Record<string, string>>;
  /** Members: more than one are spread over nodes, and over zones where the cluster names them. @default 1 */
  readonly replicas?: number;
  /** Runs on the GPU nodes (their selector and tolerations). @default false */
  readonly gpu?: boolean;
  /** A data service: the platform's data priority class (preempted last). @default false */
  readonly data?: boolean;
  /** `uid:gid` the pod runs as; absent where the operator or chart chooses its own non-root user. */
  readonly user?: string;
  /** The pod needs a writable root filesystem (an operator's or chart's own image). @default false */
  readonly writableRoot?: boolean;
  /** The volumes' group where the operator's images need one without naming the user (ECK: 1000). @default the user's group */
  readonly fsGroup?: number;
  /** Spread over zones too (off where the operator spreads by zone itself: ECK's zoneAwareness). @default true */
  readonly spreadZones?: boolean;
}

export interface PodPolicy {
  /** The environment's labels, the platform's, and the selector. */
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
  readonly priorityClassName?: string;
  readonly topologySpreadConstraints?: readonly SpreadConstraint[];
  /**
   * Pod level: non-root, RuntimeDefault seccomp; the user and fsGroup where known. A pod whose main
   * container runs as root by its spec's `privileges` (docker-mailserver) has no `runAsNonRoot` here:
   * each container says it for itself.
   */
  readonly podSecurityContext: {
    readonly runAsNonRoot?: true;
    readonly runAsUser?: number;
    readonly runAsGroup?: number;
    readonly fsGroup?: number;
    readonly fsGroupChangePolicy?: 'OnRootMismatch';
    readonly seccompProfile: { readonly type: 'RuntimeDefault' };
  };
  /** Container level: no escalation, no capability, not privileged, non-root, read-only root where it can be. */
  readonly containerSecurityContext: {
    readonly allowPrivilegeEscalation: false;
    readonly privileged: false;
    readonly runAsNonRoot: true;
    readonly readOnlyRootFilesystem?: true;
    readonly capabilities: { readonly drop: readonly ['ALL'] };
    readonly seccompProfile: { readonly type: 'RuntimeDefault' };
  };
}

/** What the policy is made from: the environment's labels and the cluster's facts. */
export interface PolicyFacts {
  /** Labels every pod carries: the platform's own and the environment's (`labels` in its file). */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly dataPriorityClass: string;
  readonly cluster: Pick<ClusterFacts, 'gpu' | 'zones'>;
}

/** The labels every pod of the platform carries: the platform's own and the environment's. */
export function platformPodLabels(env: {
  readonly project: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}) {
  return {
    ...env.labels,
    'app.kubernetes.io/part-of': env.project,
    'app.kubernetes.io/managed-by': 'cdktf',
    'platform/environment': env.name,
  };
}

const uid = (user: string) => Number(user.split(':')[0]);
const gid = (user: string) => Number(user.split(':')[1] ?? user.split(':')[0]);

export function podPolicy(facts: PolicyFacts, input: PodPolicyInput): PodPolicy {
  const gpu = input.gpu ? facts.cluster.gpu : undefined;
  if (input.gpu && !gpu) throw new Error('a GPU workload on a cluster without GPU nodes (target.gpu)');
  const spread = (input.replicas ?? 1) > 1;
  const zones = spread && (input.spreadZones ?? true) && (facts.cluster.zones?.length ?? 0) > 0;
  return {
    labels: { ...facts.podLabels, ...input.selector },
    ...(gpu ? { nodeSelector: { ...gpu.nodeSelector }, tolerations: apiTolerations(gpu.tolerations) } : {}),
    ...(input.data ? { priorityClassName: facts.dataPriorityClass } : {}),
    ...(spread
      ? {
          topologySpreadConstraints: [
            // Members on different nodes (required) and, where the environment names zones, zones (preferred).
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { ...input.selector } },
            },
            ...(zones
              ? [
                  {
                    maxSkew: 1,
                    topologyKey: 'topology.kubernetes.io/zone',
                    whenUnsatisfiable: 'ScheduleAnyway' as const,
                    labelSelector: { matchLabels: { ...input.selector } },
                  },
                ]
              : []),
          ],
        }
      : {}),
    podSecurityContext: {
      ...(input.user && uid(input.user) === 0 ? {} : { runAsNonRoot: true as const }),
      ...(input.user && uid(input.user) === 0
        ? { runAsUser: 0, runAsGroup: 0 }
        : input.user
          ? {
              runAsUser: uid(input.user),
              runAsGroup: gid(input.user),
              fsGroup: input.fsGroup ?? gid(input.user),
              fsGroupChangePolicy: 'OnRootMismatch' as const,
            }
          : input.fsGroup !== undefined
            ? { fsGroup: input.fsGroup }
            : {}),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      runAsNonRoot: true,
      ...(input.writableRoot ? {} : { readOnlyRootFilesystem: true as const }),
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * The policy as a pod spec's fields in the Kubernetes API's shape (custom resources' pod templates,
 * chart values): priority, security context, GPU scheduling and spread.
 */
export function apiPod(p: PodPolicy) {
  return {
    ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    securityContext: p.podSecurityContext,
    ...(p.nodeSelector ? { nodeSelector: { ...p.nodeSelector } } : {}),
    ...(p.tolerations ? { tolerations: apiTolerations(p.tolerations) } : {}),
    ...(p.topologySpreadConstraints?.length ? { topologySpreadConstraints: p.topologySpreadConstraints } : {}),
  };
}

/** Tolerations without the fields Kubernetes would leave empty (an absent key is not ""). */
export function apiTolerations(ts: readonly Toleration[]): Toleration[] {
  return ts.map((t) => ({
    ...(t.key ? { key: t.key } : {}),
    operator: t.operator,
    ...(t.value ? { value: t.value } : {}),
    ...(t.effect ? { effect: t.effect } : {}),
    ...(t.tolerationSeconds !== undefined ? { tolerationSeconds: t.tolerationSeconds } : {}),
  }));
}

/**
 * The policy's scheduling and pod security context in the kubernetes provider's typed form (blocks
 * as lists, integers the provider keeps as strings written as strings).
 */
export function typedPod(p: PodPolicy) {
  const sc = p.podSecurityContext;
  return {
    ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    securityContext: {
      ...(sc.runAsNonRoot ? { runAsNonRoot: true } : {}),
      ...(sc.runAsUser !== undefined ? { runAsUser: String(sc.runAsUser), runAsGroup: String(sc.runAsGroup) } : {}),
      ...(sc.fsGroup !== undefined ? { fsGroup: String(sc.fsGroup) } : {}),
      ...(sc.fsGroupChangePolicy ? { fsGroupChangePolicy: sc.fsGroupChangePolicy } : {}),
      seccompProfile: { type: sc.seccompProfile.type },
    },
    ...(p.nodeSelector ? { nodeSelector: { ...p.nodeSelector } } : {}),
    ...(p.tolerations
      ? {
          toleration: apiTolerations(p.tolerations).map(({ tolerationSeconds, ...t }) => ({
            ...t,
            ...(tolerationSeconds !== undefined ? { tolerationSeconds: String(tolerationSeconds) } : {}),
          })),
        }
      : {}),
    ...(p.topologySpreadConstraints?.length
      ? {
          topologySpreadConstraint: p.topologySpreadConstraints.map((c) => ({
            maxSkew: c.maxSkew,
            topologyKey: c.topologyKey,
            whenUnsatisfiable: c.whenUnsatisfiable,
            labelSelector: [{ matchLabels: { ...c.labelSelector.matchLabels } }],
          })),
        }
      : {}),
  };
}

/**
 * The container security context in the typed form, for a container running as `user`; a container
 * whose spec declares `privileges` gets exactly those (root, escalation, its capabilities after
 * dropping all), which Pod Security `baseline` admits, and nothing more (never privileged).
 */
export function typedContainerSecurity(p: PodPolicy, user: string, readOnlyRoot: boolean, privileges?: Privileges) {
  const c = p.containerSecurityContext;
  if (privileges) {
    if (uid(user) === 0 && !privileges.root) throw new Error(`a container runs as ${user} without privileges.root`);
    return {
      allowPrivilegeEscalation: privileges.privilegeEscalation,
      privileged: false,
      readOnlyRootFilesystem: readOnlyRoot,
      runAsNonRoot: !privileges.root,
      runAsUser: String(uid(user)),
      runAsGroup: String(gid(user)),
      capabilities: { drop: ['ALL'], add: [...privileges.capabilities] },
      seccompProfile: { type: c.seccompProfile.type },
    };
  }
  if (uid(user) === 0) throw new Error(`a container runs as root (${user}) without privileges saying why`);
  return {
    allowPrivilegeEscalation: c.allowPrivilegeEscalation,
    privileged: c.privileged,
    readOnlyRootFilesystem: readOnlyRoot,
    runAsNonRoot: true,
    runAsUser: String(uid(user)),
    runAsGroup: String(gid(user)),
    capabilities: { drop: [...c.capabilities.drop] },
    seccompProfile: { type: c.seccompProfile.type },
  };
}

/**
 * The policy's labels for a chart's pods: the environment's and the platform's own, without the
 * `app.kubernetes.io/*` keys a chart sets itself (the same key twice in a rendered label map is an
 * error when Helm parses the manifest).
 */
export function chartPodLabels(p: PodPolicy): Record<string, string> {
  return Object.fromEntries(Object.entries(p.labels).filter(([k]) => !k.startsWith('app.kubernetes.io/')));
}
