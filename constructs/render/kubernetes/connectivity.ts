/**
 * Who may talk to whom, derived from the specs (pure; network-policies.ts renders it, and a test
 * evaluates the rendered policies against it). Everything not listed here is denied:
 *
 * - a service reaches the client and admin ports of the services it declares it depends on;
 * - a service's jobs reach their own service's client and admin ports; its helpers (an exporter or
 *   probe beside an operator-managed service) reach its client, admin and UI ports;
 * - the members of a service reach each other on every port (replication, cluster routes);
 * - the scraper (the pods of the monitoring namespace with SCRAPER_LABELS: Prometheus) reaches every
 *   metrics port (a service's or its helpers') and the port each spec's metrics endpoint is on,
 *   whatever its purpose (Qdrant serves /metrics on its client port, Garage on its admin port);
 * - the Gateway's proxies reach the ports a spec marks `external` (and no other), when the
 *   environment has a gateway;
 * - each consumer's pods (its namespace, and its pod labels where given) reach the client ports of
 *   the services it uses, and nothing else of the platform;
 * - every pod resolves names through the cluster DNS;
 * - extra egress a spec or realization declares (the internet for model downloads, the API server
 *   for operator-managed instances), and extra ingress (an operator reaching what it manages).
 */
import type { PortPurpose, PortSpec, ServiceSpec } from '../../spec/types';
import type { ConsumerReach } from './consumers';
import type { ExternalService } from './cluster-facts';
import type { PodGroup } from './context';

export interface Peer {
  /** A pod group of the platform. */
  readonly group?: PodGroup;
  /** Any pod in a namespace (monitoring, an operator's), or those with `labels` in it. */
  readonly namespace?: string;
  /** With `namespace`: only the pods carrying these labels (the Gateway's proxies). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Addresses outside the cluster. */
  readonly cidrs?: readonly string[];
}

export interface Connection {
  readonly from: Peer;
  readonly to: Peer;
  readonly ports: readonly { readonly port: number; readonly protocol: 'TCP' | 'UDP' }[];
  readonly reason: string;
}

export interface ConnectivityInputs {
  readonly specs: readonly ServiceSpec[];
  readonly groups: readonly PodGroup[];
  /** The pods that scrape metrics. */
  readonly scraper: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  /** The consumers' pods and the client ports of each service they use. @default none */
  readonly consumers?: readonly ConsumerReach[];
  /** Where the Gateway's proxies run, when external endpoints are configured. */
  readonly proxies?: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  /** Where a load balancer of the stack sends external traffic from, through node ports (AWS's ALB). */
  readonly loadBalancerSources?: readonly string[];
  /** Services outside the cluster that specs depend on (a managed service): their addresses and ports. @default none */
  readonly external?: Readonly<Record<string, Pick<ExternalService, 'cidrs' | 'ports'>>>;
}

const SERVED: readonly PortPurpose[] = ['client', 'admin'];

/** The ports a spec marks `external`: routed by the Gateway, reached by its proxies. */
export function externalPorts(spec: ServiceSpec): PortSpec[] {
  return spec.containers.flatMap((c) => c.ports.filter((p) => p.external === true));
}

const portsOf = (g: PodGroup, purposes: readonly PortPurpose[]) =>
  g.ports.filter((p) => purposes.includes(p.purpose)).map((p) => ({ port: p.port, protocol: p.protocol }));

/** The ports the scraper opens on a service's pods: its metrics ports and the one its metrics endpoint is on. */
export function scrapedPorts(server: PodGroup, spec: ServiceSpec): { port: number; protocol: 'TCP' | 'UDP' }[] {
  return server.ports
    .filter((p) => p.purpose === 'metrics' || (p.port === spec.metrics.port && p.protocol === 'TCP'))
    .map((p) => ({ port: p.port, protocol: p.protocol }));
}

export function connections(inputs: ConnectivityInputs): Connection[] {
  const out: Connection[] = [];
  const servers = new Map(inputs.groups.filter((g) => g.role === 'server').map((g) => [g.service, g]));
  const serverOf = (service: string) => {
    const g = servers.get(service);
    if (!g) throw new Error(`no pods for service ${service}`);
    return g;
  };
  const scraper: Peer = { namespace: inputs.scraper.namespace, labels: inputs.scraper.labels };
  for (const spec of inputs.specs) {
    // A spec whose realization runs no pods of its own here (the kubelet's cAdvisor) has no policy.
    if (!servers.has(spec.name)) continue;
    const server = serverOf(spec.name);
    for (const dep of spec.dependsOn) {
      const outside = servers.has(dep) ? undefined : inputs.external?.[dep];
      if (outside) {
        out.push({
          from: { group: server },
          to: { cidrs: outside.cidrs },
          ports: outside.ports,
          reason: `${spec.name} depends on ${dep} (outside the cluster)`,
        });
        continue;
      }
      if (!servers.has(dep)) continue;
      const target = serverOf(dep);
      const ports = portsOf(target, SERVED);
      if (ports.length) out.push({ from: { group: server }, to: { group: target }, ports, reason: `${spec.name} depends on ${dep}` });
    }
    const all = server.ports.map((p) => ({ port: p.port, protocol: p.protocol }));
    if (all.length)
      out.push({ from: { group: server }, to: { group: server }, ports: all, reason: `${spec.name}'s members reach each other` });
    const metrics = scrapedPorts(server, spec);
    if (metrics.length) out.push({ from: scraper, to: { group: server }, ports: metrics, reason: 'Prometheus scrapes metrics' });
    const external = externalPorts(spec);
    if (external.length && inputs.proxies) {
      const missing = external.filter((p) => !server.ports.some((s) => s.port === p.port));
      if (missing.length) throw new Error(`${spec.name}: its pods do not serve external port ${missing.map((p) => p.port).join(', ')}`);
      out.push({
        from: { namespace: inputs.proxies.namespace, labels: inputs.proxies.labels },
        to: { group: server },
        ports: external.map((p) => ({ port: p.port, protocol: 'TCP' as const })),
        reason: `the Gateway routes ${spec.name}'s external port`,
      });
    }
    if (external.length && inputs.loadBalancerSources?.length) {
      out.push({
        from: { cidrs: inputs.loadBalancerSources },
        to: { group: server },
        ports: external.map((p) => ({ port: p.port, protocol: 'TCP' as const })),
        reason: `the load balancer routes ${spec.name}'s external port (through the nodes)`,
      });
    }
  }
  for (const r of inputs.consumers ?? []) {
    out.push({
      from: { namespace: r.consumer.namespace, labels: r.consumer.podLabels },
      to: { group: serverOf(r.service) },
      ports: r.ports,
      reason: `consumer ${r.consumer.name} uses ${r.service}`,
    });
  }
  for (const g of inputs.groups) {
    if (g.role === 'job') {
      const ports = portsOf(serverOf(g.service), SERVED);
      if (ports.length)
        out.push({ from: { group: g }, to: { group: serverOf(g.service) }, ports, reason: `the ${g.id} job sets up ${g.service}` });
    }
    if (g.role === 'helper') {
      const ports = portsOf(serverOf(g.service), [...SERVED, 'ui']);
      if (ports.length) out.push({ from: { group: g }, to: { group: serverOf(g.service) }, ports, reason: `${g.id} reads ${g.service}` });
      const metrics = portsOf(g, ['metrics']);
      if (metrics.length) out.push({ from: scraper, to: { group: g }, ports: metrics, reason: 'Prometheus scrapes metrics' });
    }
    for (const r of g.reaches ?? []) {
      const ports = portsOf(serverOf(r.service), SERVED);
      if (ports.length) out.push({ from: { group: g }, to: { group: serverOf(r.service) }, ports, reason: r.reason });
    }
    for (const e of g.egress ?? []) {
      out.push({
        from: { group: g },
        to: 'cidrs' in e ? { cidrs: e.cidrs } : { namespace: e.namespace },
        ports: e.ports.map((port) => ({ port, protocol: 'TCP' as const })),
        reason: e.reason,
      });
    }
    for (const i of g.ingressFrom ?? []) {
      out.push({
        from: 'cidrs' in i ? { cidrs: i.cidrs } : { namespace: i.namespace, ...(i.labels ? { labels: i.labels } : {}) },
        to: { group: g },
        ports: i.ports.map((port) => ({ port, protocol: 'TCP' as const })),
        reason: i.reason,
      });
    }
  }
  return out;
}
