/**
 * The AWS target's public edge, its pure part: which node ports the load balancers send to, what an
 * environment must configure for the services that face the internet, and the names AWS limits.
 * The render part (constructs/render/aws/edge.ts) builds the load balancers, certificate and records.
 *
 * The load balancers are Terraform's own (no AWS Load Balancer Controller: its load balancers exist
 * only after the apply, so Route 53 could not point at them in the same plan), and send to fixed node
 * ports on the system nodes' auto-scaling groups:
 * - the ALB (HTTPS with an ACM certificate) to `31000 + port % 1000` for each external HTTP port
 *   (the next free one, in the order of the services' names, where two ports end alike: Grafana's
 *   3000 and Roundcube's 8000);
 * - the NLB (TCP, PROXY protocol v2) to `30000 + port` for each public mail port (30025, 30465,
 *   30587, 30993), whose Service sends to the server's PROXY twins.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import type { PortSpec, ServiceSpec } from '../../spec/types';
import { RESERVED_DOMAIN } from '../../../environments/parse/schema';
import { managedIdentities, placeServices } from './placement';

/** The node port of a public (internet) TCP port. */
export const internetNodePort = (port: number) => 30000 + port;
/**
 * The node port of each service's external HTTP port (keyed by service name): `31000 + port % 1000`,
 * or the next free one above it where an earlier service (by name) took it, so no two clash and a
 * port keeps its node port while the services around it come and go (unless a new one clashes).
 */
export function webNodePorts(ports: readonly { readonly service: string; readonly port: number }[]): Map<string, number> {
  const taken = new Set<number>();
  const out = new Map<string, number>();
  for (const p of [...ports].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0))) {
    let n = 31000 + (p.port % 1000);
    while (taken.has(n)) n = n === 31999 ? 31000 : n + 1;
    taken.add(n);
    out.set(p.service, n);
  }
  return out;
}

/** Load balancer names: at most 32 characters (Elastic Load Balancing). */
export const MAX_LB_NAME = 32;
export const lbName = (prefix: string, role: 'web' | 'mail') => `${prefix}-${role}`;

/** Whether `name` is `zone` or a name below it. */
export function withinZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The public ports of a spec (SMTP, IMAP). */
export const internetPortsOf = (spec: ServiceSpec): PortSpec[] => spec.containers.flatMap((c) => c.ports.filter((p) => p.internet));

/** What an AWS environment must configure for the services that face the internet. */
export function edgeChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'aws') return [];
  const t = env.target;
  const issues: Issue[] = [];
  const inCluster = placeServices(env).inCluster;
  const publicSpecs = inCluster.filter((s) => internetPortsOf(s).length > 0 || (s.dnsRecords ?? []).length > 0);
  const edge = t.edge;
  if (!edge) {
    for (const s of publicSpecs)
      issues.push({
        path: s.configPath,
        message: `${s.name} faces the internet (its ports and DNS records): set target.edge (the domain and the Route 53 hosted zone its records go into)`,
      });
  } else {
    const zone = edge.hostedZone.name;
    if (!withinZone(edge.domain, zone))
      issues.push({ path: 'target.edge.domain', message: `${edge.domain} is not in the hosted zone ${zone}` });
    for (const s of publicSpecs) {
      const names = [...internetPortsOf(s).map((p) => p.internet!.hostname), ...(s.dnsRecords ?? []).map((r) => r.name)];
      for (const n of new Set(names))
        if (!withinZone(n, zone))
          issues.push({
            path: s.configPath,
            message: `${s.name} needs records for ${n}, which is not in the hosted zone ${zone} (target.edge.hostedZone)`,
          });
    }
    for (const role of ['web', 'mail'] as const) {
      const name = lbName(`${env.project}-${env.name}`, role);
      if (name.length > MAX_LB_NAME)
        issues.push({
          path: 'name',
          message: `the load balancer ${name} is longer than ${MAX_LB_NAME} characters; shorten the project or environment name`,
        });
    }
  }
  if (t.mail.relay === 'ses' && !inCluster.some((s) => (s.dnsRecords ?? []).some((r) => r.type === 'MX')))
    issues.push({ path: 'target.mail.relay', message: 'relays the mail server (services.mail), which is not enabled' });
  // A platform service that keeps its data in another as a consumer of its own (Roundcube's role in
  // PostgreSQL): a managed service must give it that identity (RDS does; the others do not yet).
  const managed = new Map(placeServices(env).managed.map((m) => [m.spec.name, m]));
  for (const s of inCluster)
    for (const d of s.dependsOn.filter((x) => managed.has(x) && !managedIdentities[managed.get(x)!.equivalent]))
      issues.push({
        path: s.configPath,
        message: `${s.name} uses ${d} with a role of its own, which the managed ${d} does not give it (its applications share one credential there): configure ${s.configPath} not to use it, or run it in the cluster (target.managed.${managed.get(d)!.configKey}: { mode: 'in-cluster' })`,
      });
  return issues;
}

/** What deploys but needs acting on: a placeholder domain ACME refuses, SES's sandbox, EC2's port 25. */
export function edgeWarnings(env: Environment): Issue[] {
  if (env.target.kind !== 'aws') return [];
  const t = env.target;
  const issues: Issue[] = [];
  const inCluster = placeServices(env).inCluster;
  const mail = inCluster.filter((s) => internetPortsOf(s).length > 0);
  const names = inCluster.flatMap((s) => (s.certificates ?? []).flatMap((c) => c.dnsNames));
  const reserved = [...new Set(names.filter((n) => RESERVED_DOMAIN.test(n)))];
  if (t.edge?.issuer.kind === 'acme' && reserved.length)
    issues.push({
      path: 'target.edge.issuer.kind',
      message: `ACME cannot issue certificates for ${reserved.join(', ')} (a reserved domain, a placeholder), and the mail server's pod does not start without its certificate: put in a domain you own (or issuer: { kind: 'self-signed' })`,
    });
  if (mail.length && t.mail.relay === 'ses')
    issues.push({
      path: 'target.mail.relay',
      message:
        'Amazon SES starts in its sandbox: it sends to verified addresses only, 200 messages a day, until production access is requested (docs/operations.md, "Mail on AWS")',
    });
  if (mail.length && t.mail.relay === 'direct')
    issues.push({
      path: 'target.mail.relay',
      message:
        "EC2 throttles outgoing port 25 by default: mail to other domains is delivered only once AWS lifts it for the account (a request form), or relay through SES (relay: 'ses')",
    });
  return issues;
}
