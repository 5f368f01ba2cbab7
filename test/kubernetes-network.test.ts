/**
 * Network policy, evaluated (test/network-policy.ts): in every cluster environment (the fixtures,
 * the drills' clusters scenario and each of the user's), each workload reaches exactly its declared
 * dependencies and nothing else; the staging fixture's edge and helpers are asserted exactly.
 */
import { describe, expect, it } from 'vitest';
import type { Environment } from '../environments/parse/load';
import { prepare } from '../stacks/pipeline';
import { env, everyEnvironment, synth, variant } from './helpers';
import { type Pod, evaluate, podOf } from './network-policy';
import { SCRAPER_LABELS } from '../constructs/targets/kubernetes/naming';
import { scrapedPorts } from '../constructs/render/kubernetes/connectivity';
import type { PodGroup } from '../constructs/render/kubernetes/context';

/** Whether a group's declared extra sources (an operator, the platform's namespaces for OTLP) admit a pod on a port. */
const admits = (g: PodGroup, from: PodGroup, port: number) =>
  (g.ingressFrom ?? []).some(
    (i) =>
      'namespace' in i &&
      i.namespace === from.namespace &&
      i.ports.includes(port) &&
      Object.entries(i.labels ?? {}).every(([k, v]) => from.labels[k] === v),
  );
/** Whether a group is the scraper (its pods carry the scraper's labels in the monitoring namespace). */
const isScraper = (g: PodGroup) =>
  g.namespace.endsWith('-monitoring') && Object.entries(SCRAPER_LABELS).every(([k, v]) => g.labels[k] === v);
import { capabilitiesOf } from '../constructs/targets/capabilities';
import { notesFor } from '../stacks/warnings';

const clusterEnvs = (await everyEnvironment()).filter(({ env: e }) => e.target.kind !== 'docker');

function setting(e: Environment) {
  const { platform, policies, canReach } = evaluate(synth(e));
  const groups = platform.groups;
  const servers = groups.filter((g) => g.role === 'server');
  const monitoringNs = platform.namespaces.find((n) => n.endsWith('-monitoring'))!;
  // The scraper: the monitoring namespace's pods with the scraper's labels (the platform's Prometheus).
  const monitoring: Pod = { id: 'prometheus', namespace: monitoringNs, labels: { ...SCRAPER_LABELS } };
  const stranger: Pod = { id: 'some other app', namespace: 'default', labels: { app: 'x' } };
  const dns: Pod = { id: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
  const internet: Pod = { id: 'internet', namespace: '', labels: {}, ip: '203.0.113.7' };
  const specOf = (service: string) => platform.specs.find((x) => x.name === service)!;
  return { platform, policies, canReach, groups, servers, monitoring, stranger, dns, internet, specOf };
}

describe.each(clusterEnvs.map(({ label, env: e }) => [label, e] as const))('network policy, evaluated (%s)', (_label, e) => {
  const { platform, policies, canReach, groups, servers, monitoring, stranger, dns, internet, specOf } = setting(e);
  const inCluster = new Set(platform.groups.map((g) => g.service));

  it('knows every workload the cluster runs', () => {
    expect(new Set(servers.map((g) => g.service))).toEqual(inCluster);
    expect(servers.length).toBeGreaterThan(0);
  });

  it('every platform namespace denies by default, both ways', () => {
    for (const ns of platform.namespaces) {
      expect(policies).toContainEqual(
        expect.objectContaining({
          metadata: expect.objectContaining({ name: 'default-deny', namespace: ns }),
          spec: { pod_selector: {}, policy_types: ['Ingress', 'Egress'] },
        }),
      );
    }
  });

  describe.each(servers.map((g) => [g.service, g] as const))('%s', (service, g) => {
    const me = podOf(g);
    const spec = specOf(service);

    it('reaches exactly its declared dependencies in the cluster (their client and admin ports), nothing else in the platform (the scraper: every metrics endpoint)', () => {
      for (const other of servers.filter((o) => o !== g)) {
        // Its dependencies, and where it sends backups (CloudNativePG's WAL archive to the object store).
        const declared = spec.dependsOn.includes(other.service) || (g.reaches ?? []).some((r) => r.service === other.service);
        const scraped = isScraper(g) ? scrapedPorts(other, specOf(other.service)).map((x) => x.port) : [];
        for (const p of other.ports) {
          const expected =
            (declared && (p.purpose === 'client' || p.purpose === 'admin')) || scraped.includes(p.port) || admits(other, g, p.port);
          expect(canReach(me, podOf(other), p.port, p.protocol), `${service} -> ${other.service}:${p.port} (${p.purpose})`).toBe(expected);
        }
      }
    });

    it('is reached by its dependents, its own jobs and its own members only (plus operators that manage it)', () => {
      for (const other of groups.filter((o) => o !== g)) {
        const expected = (p: { purpose: string; port: number }) =>
          ((p.purpose === 'client' || p.purpose === 'admin') &&
            ((other.role === 'server' && specOf(other.service).dependsOn.includes(service)) ||
              (other.role === 'job' && other.service === service) ||
              // A backup's upload reaches the store it declares.
              (other.reaches ?? []).some((r) => r.service === service))) ||
          // An exporter or probe run beside an operator-managed service reads it, UI included.
          (other.role === 'helper' && other.service === service && ['client', 'admin', 'ui'].includes(p.purpose)) ||
          // The scraper reaches every metrics endpoint; a declared source reaches what it was admitted to.
          (isScraper(other) && scrapedPorts(g, spec).some((x) => x.port === p.port)) ||
          admits(g, other, p.port);
        for (const p of g.ports) {
          expect(canReach(podOf(other), me, p.port, p.protocol), `${other.id} -> ${service}:${p.port}`).toBe(expected(p));
        }
      }
      for (const p of g.ports) expect(canReach(me, me, p.port, p.protocol), `${service} member to member :${p.port}`).toBe(true);
    });

    it('is scraped by the monitoring namespace on its metrics ports and its metrics endpoint’s port only', () => {
      const scraped = scrapedPorts(g, spec).map((x) => x.port);
      // The endpoint is on the service's pods, or on a helper beside them (an operator-managed service's exporter).
      const helpers = groups.filter((h) => h.role === 'helper' && h.service === service);
      expect([...g.ports, ...helpers.flatMap((h) => h.ports)].map((p) => p.port)).toContain(spec.metrics.port);
      const scraper = { ...g, id: 'scraper', namespace: monitoring.namespace, labels: monitoring.labels };
      for (const p of g.ports)
        expect(canReach(monitoring, me, p.port), `${p.port} (${p.purpose})`).toBe(scraped.includes(p.port) || admits(g, scraper, p.port));
      // Not by the monitoring namespace's other pods.
      const neighbour: Pod = { id: 'grafana', namespace: monitoring.namespace, labels: { 'platform/monitoring': 'grafana' } };
      if (!isScraper(g))
        for (const p of g.ports.filter((x) => x.purpose === 'metrics')) expect(canReach(neighbour, me, p.port)).toBe(false);
    });

    it('cannot be reached from another namespace, and resolves names through the cluster DNS', () => {
      for (const p of g.ports) expect(canReach(stranger, me, p.port)).toBe(false);
      expect(canReach(me, dns, 53, 'UDP')).toBe(true);
      expect(canReach(me, dns, 53, 'TCP')).toBe(true);
      expect(canReach(me, stranger, 80)).toBe(false);
    });

    it('reaches the internet only where the spec says why', () => {
      const declared = (port: number) =>
        (spec.egress ?? []).some((x) => x.to === 'internet' && x.ports.includes(port)) ||
        (g.egress ?? []).some((x) => 'cidrs' in x && x.cidrs.includes('0.0.0.0/0') && x.ports.includes(port));
      expect(canReach(me, internet, 443)).toBe(declared(443));
      // Port 25: the mail server alone (it delivers to other domains' servers).
      expect(canReach(me, internet, 25)).toBe(declared(25));
      expect(declared(25)).toBe(service === 'mailserver');
    });
  });

  it('helpers (an exporter or probe beside an operator-managed service) are scraped, and reach only their service', () => {
    for (const h of groups.filter((x) => x.role === 'helper')) {
      for (const p of h.ports) expect(canReach(monitoring, podOf(h), p.port), `${h.id}:${p.port}`).toBe(p.purpose === 'metrics');
      for (const other of servers.filter((o) => o.service !== h.service)) {
        for (const p of other.ports)
          expect(canReach(podOf(h), podOf(other), p.port), `${h.id} -> ${other.service}:${p.port}`).toBe(admits(other, h, p.port));
      }
    }
  });

  it('a job reaches its own service (and the store a backup declares), and nothing else', () => {
    for (const job of groups.filter((x) => x.role === 'job')) {
      for (const other of servers) {
        for (const p of other.ports) {
          const expected =
            ((other.service === job.service || (job.reaches ?? []).some((r) => r.service === other.service)) &&
              (p.purpose === 'client' || p.purpose === 'admin')) ||
            admits(other, job, p.port);
          expect(canReach(podOf(job), podOf(other), p.port), `${job.id} -> ${other.service}:${p.port}`).toBe(expected);
        }
      }
    }
  });
});

describe.each(clusterEnvs.map(({ label, env: e }) => [label, e] as const))('who enforces the network policies (%s)', (_label, e) => {
  it('the stack configures an enforcing CNI, or the synth summary says it relies on the cluster’s', () => {
    const { tf } = synth(e);
    const count = Object.keys(tf.resource.kubernetes_network_policy_v1 ?? {}).length;
    expect(count).toBeGreaterThan(0);
    const [note] = notesFor(e, count);
    if (capabilitiesOf(e.target).networkPolicy === 'stack') {
      // The claim holds: the vpc-cni add-on of this stack runs with enableNetworkPolicy.
      const cni = Object.values<any>(tf.resource.aws_eks_addon ?? {}).find((a) => a.addon_name === 'vpc-cni');
      expect(JSON.parse(cni?.configuration_values ?? '{}').enableNetworkPolicy).toBe('true');
      expect(note).toMatch(/enforced by the vpc-cni add-on this stack configures/);
    } else {
      expect(note).toMatch(/relies on the cluster's CNI to enforce them/);
    }
  });
});

describe('network policy of the staging fixture, exactly', () => {
  const staging = env('staging');
  const { platform, canReach, groups, servers, stranger, internet } = setting(staging);

  it('has jobs, and exactly these helpers', () => {
    expect(groups.some((g) => g.role === 'job')).toBe(true);
    expect(
      groups
        .filter((g) => g.role === 'helper')
        .map((g) => g.id)
        .sort(),
    ).toEqual(['elasticsearch/exporter', 'kibana/probe', 'prometheus/kube-state-metrics', 'prometheus/operator']);
  });

  it('Ollama may download models from the internet; no data service may', () => {
    expect(canReach(podOf(servers.find((g) => g.service === 'ollama')!), internet, 443)).toBe(true);
    for (const service of ['redis', 'qdrant', 'neo4j', 'garage', 'nats', 'rabbitmq']) {
      expect(canReach(podOf(servers.find((g) => g.service === service)!), internet, 443), service).toBe(false);
    }
  });

  it("CloudNativePG's instances reach the object store's S3 port (the Barman Cloud sidecar's WAL archive), nothing else of it", () => {
    const postgres = podOf(servers.find((g) => g.service === 'postgres')!);
    const store = servers.find((g) => g.service === 'garage')!;
    const s3 = store.ports.find((p) => p.purpose === 'client')!;
    expect(canReach(postgres, podOf(store), s3.port)).toBe(true);
    for (const p of store.ports.filter((x) => x.purpose !== 'client' && x.purpose !== 'admin'))
      expect(canReach(postgres, podOf(store), p.port), `garage:${p.port}`).toBe(false);
    // Without backups, no such path.
    const off = setting(prepare(variant('staging', (i) => (i.backups = { enabled: false }))));
    const pgOff = podOf(off.servers.find((g) => g.service === 'postgres')!);
    expect(off.canReach(pgOff, podOf(off.servers.find((g) => g.service === 'garage')!), s3.port)).toBe(false);
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
    const external = staging.specs.flatMap((x) =>
      x.containers.flatMap((c) => c.ports.filter((p) => p.external).map((p) => `${x.name}:${p.port}`)),
    );
    expect(reached.sort()).toEqual(external.sort());
    expect(reached.sort()).toEqual(['grafana:3000', 'kibana:5601', 'kong:8080', 'webmail:8000']);
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

/**
 * Consumers: an application pod reaches exactly the client ports of the services it uses (their
 * server pods), nothing else of the platform, in every cluster environment and in a fixture with
 * several consumers (one limited to some services, one selected by pod labels in an existing namespace).
 */
function consumersReach(e: Environment) {
  const { platform, canReach, groups } = setting(e);
  const consumers = e.consumers;
  describe.each(consumers.map((c) => [c.name, c] as const))('consumer %s', (name) => {
    const placement = platform.consumers.find((r) => r.consumer.name === name)?.consumer;
    const used = new Set(e.specs.filter((x) => (x.consumers ?? []).some((a) => a.consumer === name)).map((x) => x.name));
    const inCluster = new Set(groups.map((g) => g.service));
    const pod: Pod = placement
      ? { id: `${name} app`, namespace: placement.namespace, labels: { ...placement.podLabels, app: 'x' } }
      : { id: `${name} app`, namespace: 'nowhere', labels: {} };

    it('uses every service it asked for that runs in the cluster', () => {
      for (const service of used) if (inCluster.has(service)) expect(placement, service).toBeDefined();
    });

    it('reaches exactly the client ports of the services it uses (their server pods), no other port or pod of the platform', () => {
      for (const g of groups) {
        const spec = e.specs.find((x) => x.name === g.service);
        const access = spec?.consumers?.find((a) => a.consumer === name);
        const open = new Set(
          g.role === 'server' && access
            ? access.ports.map((p) => spec!.containers.flatMap((c) => c.ports).find((x) => x.name === p)!.port)
            : // Every application may send traces to Jaeger over OTLP (gRPC and HTTP).
              g.role === 'server' && g.service === 'jaeger'
              ? [4317, 4318]
              : [],
        );
        for (const p of g.ports) {
          expect(canReach(pod, podOf(g), p.port, p.protocol), `${name} -> ${g.id}:${p.port} (${p.purpose})`).toBe(open.has(p.port));
          if (open.has(p.port)) expect(p.purpose, `${g.id}:${p.port}`).toBe('client');
        }
      }
    });

    it('its namespace neighbours without its pod labels reach nothing', () => {
      if (!placement || Object.keys(placement.podLabels).length === 0) return;
      const neighbour: Pod = { id: 'neighbour', namespace: placement.namespace, labels: { app: 'other' } };
      for (const g of groups)
        for (const p of g.ports) expect(canReach(neighbour, podOf(g), p.port, p.protocol), `${g.id}:${p.port}`).toBe(false);
    });
  });
}

describe.each(clusterEnvs.map(({ label, env: e }) => [label, e] as const))('consumers, evaluated (%s)', (_label, e) => consumersReach(e));

// Internal TLS moves the clients' ports (RabbitMQ's amqps on 5671): the consumers reach exactly the TLS ports.
describe('consumers, evaluated (staging with internalTls)', () => {
  const tls = prepare(variant('staging', (i) => (i.internalTls = { enabled: true })));
  consumersReach(tls);

  it('an application reaches RabbitMQ on 5671 (TLS) and no longer on 5672', () => {
    const { platform, canReach, servers } = setting(tls);
    const placement = platform.consumers.find((r) => r.service === 'rabbitmq')!.consumer;
    const app: Pod = { id: 'app', namespace: placement.namespace, labels: { ...placement.podLabels } };
    const rabbit = servers.find((g) => g.service === 'rabbitmq')!;
    expect(canReach(app, podOf(rabbit), 5671)).toBe(true);
    expect(canReach(app, podOf(rabbit), 5672)).toBe(false);
  });
});

describe('consumers, evaluated (staging with several consumers)', () => {
  const several = prepare(
    variant('staging', (i) => {
      i.consumers = [
        {
          name: 'orders',
          services: { postgres: {}, nats: { subjects: ['orders.>'] } },
          namespace: { name: 'shop', create: false },
          podLabels: { 'app.kubernetes.io/name': 'orders' },
        },
        { name: 'search', services: { elasticsearch: { indices: ['search-*'] }, qdrant: {} } },
        { name: 'batch' },
      ];
    }),
  );
  consumersReach(several);

  it('a consumer limited to some services reaches none of the others', () => {
    const { platform, canReach, servers } = setting(several);
    const orders: Pod = { id: 'orders', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'orders' } };
    const reached = servers.flatMap((g) =>
      g.ports.filter((p) => canReach(orders, podOf(g), p.port, p.protocol)).map((p) => `${g.service}:${p.port}`),
    );
    // Jaeger's OTLP ports are every application's (traces), whatever services it uses.
    expect(reached.sort()).toEqual(['jaeger:4317', 'jaeger:4318', 'nats:4222', 'postgres:5432']);
    expect(
      platform.consumers
        .filter((r) => r.consumer.name === 'search')
        .map((r) => r.service)
        .sort(),
    ).toEqual(['elasticsearch', 'qdrant']);
  });
});

describe('the cluster assumptions, from config: DNS and the API server', () => {
  it('NodeLocal DNSCache or GKE Cloud DNS: their addresses on port 53 (UDP and TCP) only, the DNS pods as configured', () => {
    const e = prepare(
      variant('staging', (i) => {
        i.target.dns = {
          pods: { namespace: 'kube-system', podLabels: { 'k8s-app': 'node-local-dns' } },
          addresses: ['169.254.20.10/32', '169.254.169.254/32'],
        };
      }),
    );
    const { canReach, servers } = setting(e);
    const redis = podOf(servers.find((g) => g.service === 'redis')!);
    const cache: Pod = { id: 'node-local-dns', namespace: '', labels: {}, ip: '169.254.20.10' };
    const metadata: Pod = { id: 'GKE metadata server', namespace: '', labels: {}, ip: '169.254.169.254' };
    for (const resolver of [cache, metadata]) {
      expect(canReach(redis, resolver, 53, 'UDP'), resolver.id).toBe(true);
      expect(canReach(redis, resolver, 53, 'TCP'), resolver.id).toBe(true);
      expect(canReach(redis, resolver, 80), resolver.id).toBe(false);
    }
    expect(canReach(redis, { id: 'nodelocal pod', namespace: 'kube-system', labels: { 'k8s-app': 'node-local-dns' } }, 53, 'UDP')).toBe(
      true,
    );
    expect(canReach(redis, { id: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, 53, 'UDP')).toBe(false);
    // Without the setting, neither address is a resolver.
    const plain = setting(env('staging'));
    expect(plain.canReach(podOf(plain.servers.find((g) => g.service === 'redis')!), cache, 53, 'UDP')).toBe(false);
  });

  it("the operators' instances reach the API server at the configured addresses only (443 and 6443)", () => {
    const e = prepare(variant('staging', (i) => (i.target.apiServerCidrs = ['10.0.0.1/32'])));
    const { canReach, servers } = setting(e);
    const pg = podOf(servers.find((g) => g.service === 'postgres')!);
    expect(canReach(pg, { id: 'api', namespace: '', labels: {}, ip: '10.0.0.1' }, 6443)).toBe(true);
    expect(canReach(pg, { id: 'api', namespace: '', labels: {}, ip: '10.0.0.1' }, 443)).toBe(true);
    expect(canReach(pg, { id: 'elsewhere', namespace: '', labels: {}, ip: '10.0.0.2' }, 6443)).toBe(false);
  });
});
