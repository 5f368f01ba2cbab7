/**
 * Network policy, evaluated: NetworkPolicies as Kubernetes applies them (a connection is allowed
 * when an egress policy of the source and an ingress policy of the destination both admit it;
 * policies that select no pod leave it open). Shared by the product's tests and the invariant
 * checks over every cluster environment.
 */
import { InClusterPlatform } from '../constructs/render/kubernetes/platform';
import type { PodGroup } from '../constructs/render/kubernetes/context';
import { parseCidr } from '../environments/parse/network';
import type { Synthesized } from './helpers';

export interface Pod {
  readonly id: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly ip?: string;
}

const NS_LABEL = 'kubernetes.io/metadata.name';
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

function ipIn(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  if (typeof c === 'string') throw new Error(c);
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  return n >= c.network && n < c.network + 2 ** (32 - c.prefix);
}

function peerMatches(peer: any, pod: Pod): boolean {
  if (peer.ip_block)
    return (
      pod.ip !== undefined && ipIn(pod.ip, peer.ip_block.cidr) && !(peer.ip_block.except ?? []).some((cidr: string) => ipIn(pod.ip!, cidr))
    );
  if (pod.ip !== undefined) return false;
  const nsOk = peer.namespace_selector ? matches(peer.namespace_selector.match_labels, { [NS_LABEL]: pod.namespace }) : true;
  const podOk = peer.pod_selector ? matches(peer.pod_selector.match_labels, pod.labels) : true;
  return nsOk && podOk && (peer.namespace_selector !== undefined || peer.pod_selector !== undefined);
}

export interface Evaluator {
  readonly platform: InClusterPlatform;
  readonly policies: readonly any[];
  canReach(from: Pod, to: Pod, port: number, protocol?: string): boolean;
}

/** The evaluator of a synthesized stack's policies (its in-cluster platform's pod groups). */
export function evaluate(s: Synthesized): Evaluator {
  const platform = s.stack.node.findAll().find((c): c is InClusterPlatform => c instanceof InClusterPlatform);
  if (!platform) throw new Error('the stack runs nothing in a cluster');
  const policies = Object.values<any>(s.tf.resource.kubernetes_network_policy_v1 ?? {});
  /** Kubernetes' rule: policies of a direction that select the pod; none selecting it means allowed. */
  const allowed = (direction: 'Ingress' | 'Egress', self: Pod, other: Pod, port: number, protocol: string): boolean => {
    if (self.ip !== undefined) return true; // outside the cluster: no policy applies there
    const selecting = policies.filter(
      (p) =>
        p.metadata.namespace === self.namespace &&
        p.spec.policy_types.includes(direction) &&
        matches(p.spec.pod_selector.match_labels, self.labels),
    );
    if (selecting.length === 0) return true;
    const rules = selecting.flatMap((p) => (direction === 'Ingress' ? (p.spec.ingress ?? []) : (p.spec.egress ?? [])));
    return rules.some((r: any) => {
      const peers = direction === 'Ingress' ? r.from : r.to;
      const peerOk = !peers || peers.some((x: any) => peerMatches(x, other));
      const portOk = !r.ports || r.ports.some((p: any) => Number(p.port) === port && (p.protocol ?? 'TCP') === protocol);
      return peerOk && portOk;
    });
  };
  return {
    platform,
    policies,
    canReach: (from, to, port, protocol = 'TCP') =>
      allowed('Egress', from, to, port, protocol) && allowed('Ingress', to, from, port, protocol),
  };
}

export const podOf = (g: PodGroup): Pod => ({ id: g.id, namespace: g.namespace, labels: { ...g.labels } });
