/**
 * Network policy, evaluated: the NetworkPolicies synthesized for the staging cluster are interpreted
 * as Kubernetes would (a connection is allowed when an egress policy of the source and an ingress
 * policy of the destination both admit it; every platform namespace denies by default), and each
 * workload must reach exactly its declared dependencies and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { InClusterPlatform } from '../constructs/targets/kubernetes/platform';
import type { PodGroup } from '../constructs/targets/kubernetes/context';
import { parseCidr } from '../environments/network';
import { env, synth } from './helpers';

const staging = env('staging');
const s = synth(staging);
const platform = s.stack.node.findAll().find((c): c is InClusterPlatform => c instanceof InClusterPlatform)!;
const policies = Object.values<any>(s.tf.resource.kubernetes_network_policy_v1!);

interface Pod {
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
  if (peer.ip_block) return pod.ip !== undefined && ipIn(pod.ip, peer.ip_block.cidr);
  if (pod.ip !== undefined) return false;
  const nsOk = peer.namespace_selector ? matches(peer.namespace_selector.match_labels, { [NS_LABEL]: pod.namespace }) : true;
  const podOk = peer.pod_selector ? matches(peer.pod_selector.match_labels, pod.labels) : true;
  return nsOk && podOk && (peer.namespace_selector !== undefined || peer.pod_selector !== undefined);
}

/** Kubernetes' rule: policies of a direction that select the pod; none selecting it means allowed. */
function allowed(direction: 'Ingress' | 'Egress', self: Pod, other: Pod, port: number, protocol: string): boolean {
  if (self.ip !== undefined) return true; // outside the cluster: no policy applies there
  const selecting = policies.filter(
    (p) => p.metadata.namespace === self.namespace && p.spec.policy_types.includes(direction) && matches(p.spec.pod_selector.match_labels, self.labels),
  );
  if (selecting.length === 0) return true;
  const rules = selecting.flatMap((p) => (direction === 'Ingress' ? (p.spec.ingress ?? []) : (p.spec.egress ?? [])));
  return rules.some((r: any) => {
    const peers = direction === 'Ingress' ? r.from : r.to;
    const peerOk = !peers || peers.some((x: any) => peerMatches(x, other));
    const portOk = !r.ports || r.ports.some((p: any) => Number(p.port) === port && (p.protocol ?? 'TCP') === protocol);
    return peerOk && portOk;
  });
}

const canReach = (from: Pod, to: Pod, port: number, protocol = 'TCP') =>
  allowed('Egress', from, to, port, protocol) && allowed('Ingress', to, from, port, protocol);

const podOf = (g: PodGroup): Pod => ({ id: g.id, namespace: g.namespace, labels: { ...g.labels } });
const groups = platform.groups;
const servers = groups.filter((g) => g.role === 'server');
const monitoring: Pod = { id: 'prometheus', namespace: 'agent-platform-monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
const stranger: Pod = { id: 'some other app', namespace: 'default', labels: { app: 'x' } };
const dns: Pod = { id: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const internet: Pod = { id: 'internet', namespace: '', labels: {}, ip: '203.0.113.7' };
const specOf = (service: string) => staging.specs.find((x) => x.name === service)!;

describe('network policy, evaluated (staging)', () => {
  it('knows every workload of the environment', () => {
    expect(new Set(servers.map((g) => g.service))).toEqual(new Set(staging.specs.map((x) => x.name)));
    expect(groups.some((g) => g.role === 'job')).toBe(true);
  });

  it('every platform namespace denies by default, both ways', () => {
    for (const ns of platform.namespaces) {
      expect(policies).toContainEqual(
        expect.objectContaining({ metadata: { name: 'default-deny', namespace: ns }, spec: { pod_selector: {}, policy_types: ['Ingress', 'Egress'] } }),
      );
    }
  });

  describe.each(servers.map((g) => [g.service, g] as const))('%s', (service, g) => {
    const me = podOf(g);
    const spec = specOf(service);

    it('reaches exactly its declared dependencies (their client and admin ports), nothing else in the platform', () => {
      for (const other of servers.filter((o) => o !== g)) {
        const declared = spec.dependsOn.includes(other.service);
        for (const p of other.ports) {
          const expected = declared && (p.purpose === 'client' || p.purpose === 'admin');
          expect(canReach(me, podOf(other), p.port, p.protocol), `${service} -> ${other.service}:${p.port} (${p.purpose})`).toBe(expected);
        }
      }
    });

    it('is reached by its dependents, its own jobs and its own members only (plus operators that manage it)', () => {
      for (const other of groups.filter((o) => o !== g)) {
        const expected = (p: { purpose: string }) =>
          ((p.purpose === 'client' || p.purpose === 'admin') &&
            ((other.role === 'server' && specOf(other.service).dependsOn.includes(service)) || (other.role === 'job' && other.service === service))) ||
          // An exporter or probe run beside an operator-managed service reads it, UI included.
          (other.role === 'helper' && other.service === service && ['client', 'admin', 'ui'].includes(p.purpose));
        for (const p of g.ports) {
          expect(canReach(podOf(other), me, p.port, p.protocol), `${other.id} -> ${service}:${p.port}`).toBe(expected(p));
        }
      }
      for (const p of g.ports) expect(canReach(me, me, p.port, p.protocol), `${service} member to member :${p.port}`).toBe(true);
    });

    it('is scraped by the monitoring namespace on its metrics ports only', () => {
      for (const p of g.ports) expect(canReach(monitoring, me, p.port), `${p.port} (${p.purpose})`).toBe(p.purpose === 'metrics');
    });

    it('cannot be reached from another namespace, and resolves names through the cluster DNS', () => {
      for (const p of g.ports) expect(canReach(stranger, me, p.port)).toBe(false);
      expect(canReach(me, dns, 53, 'UDP')).toBe(true);
      expect(canReach(me, dns, 53, 'TCP')).toBe(true);
      expect(canReach(me, stranger, 80)).toBe(false);
    });

    it('reaches the internet only where the spec says why', () => {
      const declared = (spec.egress ?? []).some((e) => e.to === 'internet' && e.ports.includes(443));
      expect(canReach(me, internet, 443)).toBe(declared || (g.egress ?? []).some((e) => e.cidrs.includes('0.0.0.0/0') && e.ports.includes(443)));
      expect(canReach(me, internet, 25)).toBe(false);
    });
  });

  it('helpers (an exporter or probe beside an operator-managed service) are scraped, and reach only their service', () => {
    const helpers = groups.filter((g) => g.role === 'helper');
    expect(helpers.map((g) => g.id).sort()).toEqual(['elasticsearch/exporter', 'kibana/probe']);
    for (const h of helpers) {
      for (const p of h.ports) expect(canReach(monitoring, podOf(h), p.port), `${h.id}:${p.port}`).toBe(p.purpose === 'metrics');
      for (const other of servers.filter((o) => o.service !== h.service)) {
        for (const p of other.ports) expect(canReach(podOf(h), podOf(other), p.port), `${h.id} -> ${other.service}:${p.port}`).toBe(false);
      }
    }
  });

  it('a job reaches its own service, and nothing else', () => {
    for (const job of groups.filter((g) => g.role === 'job')) {
      for (const other of servers) {
        for (const p of other.ports) {
          const expected = other.service === job.service && (p.purpose === 'client' || p.purpose === 'admin');
          expect(canReach(podOf(job), podOf(other), p.port), `${job.id} -> ${other.service}:${p.port}`).toBe(expected);
        }
      }
    }
  });

  it('Ollama may download models from the internet; no data service may', () => {
    expect(canReach(podOf(servers.find((g) => g.service === 'ollama')!), internet, 443)).toBe(true);
    for (const service of ['redis', 'qdrant', 'neo4j', 'garage', 'nats', 'rabbitmq']) {
      expect(canReach(podOf(servers.find((g) => g.service === service)!), internet, 443), service).toBe(false);
    }
  });

  it("the Gateway's proxies reach exactly the external ports (and cert-manager's HTTP-01 solver); their neighbours reach nothing", () => {
    const { proxies } = platform;
    expect(proxies).toBeDefined();
    const proxy: Pod = { id: 'envoy proxy', namespace: proxies!.namespace, labels: { ...proxies!.labels } };
    const controller: Pod = { id: 'envoy-gateway', namespace: proxies!.namespace, labels: { 'control-plane': 'envoy-gateway' } };
    const reached: string[] = [];
    for (const g of servers) {
      for (const p of g.ports) {
        if (canReach(proxy, podOf(g), p.port, p.protocol)) reached.push(`${g.service}:${p.port}`);
        expect(canReach(controller, podOf(g), p.port, p.protocol), `controller -> ${g.service}:${p.port}`).toBe(false);
      }
    }
    const external = staging.specs.flatMap((x) => x.containers.flatMap((c) => c.ports.filter((p) => p.external).map((p) => `${x.name}:${p.port}`)));
    expect(reached.sort()).toEqual(external.sort());
    expect(reached).toEqual(['kibana:5601']);
    const [solver] = platform.edgeGroups;
    expect(canReach(proxy, podOf(solver!), 8089)).toBe(true);
    expect(canReach(controller, podOf(solver!), 8089)).toBe(false);
    expect(canReach(stranger, podOf(solver!), 8089)).toBe(false);
  });

  it('the evaluator itself refuses what no policy allows (a policy-free pair is not a pass)', () => {
    const redis = podOf(servers.find((g) => g.service === 'redis')!);
    const kibana = podOf(servers.find((g) => g.service === 'kibana')!);
    expect(canReach(kibana, redis, 6379)).toBe(false);
    expect(canReach(redis, kibana, 5601)).toBe(false);
  });
});
