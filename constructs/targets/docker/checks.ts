/**
 * What a single Docker host can and cannot do, checked before anything is rendered: no two services
 * on one host port (the message names both fields), published ports inside the port range, a
 * bridge subnet with room for every container, and no service that needs a cluster target.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { containerAddresses, containerCount } from './network';
import { publications } from './publishing';

export function dockerChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'docker') return [];
  const issues: Issue[] = [];
  const byHostPort = new Map<number, ReturnType<typeof publications>[number]>();
  for (const p of publications(env)) {
    const what = `${p.spec.configPath} port ${p.port.name}`;
    if (p.hostPort > 65535) {
      issues.push({ path: p.decidedBy, message: `publishes ${what} on ${p.hostPort}, above 65535; lower target.publish.offset` });
      continue;
    }
    const first = byHostPort.get(p.hostPort);
    if (!first) {
      byHostPort.set(p.hostPort, p);
      continue;
    }
    // Blame the field the user wrote: an explicit hostPorts entry over the publishing policy.
    const explicit = (x: typeof p) => x.decidedBy.includes('.hostPorts.');
    const [blamed, other] = explicit(p) || !explicit(first) ? [p, first] : [first, p];
    issues.push({
      path: blamed.decidedBy,
      message:
        `host port ${p.hostPort} is published twice: by ${blamed.decidedBy} (${blamed.spec.configPath} port ${blamed.port.name}) ` +
        `and by ${other.decidedBy} (${other.spec.configPath} port ${other.port.name}); choose another port for one of them`,
    });
  }
  // A consumer on one host is a set of containers on the platform network: no namespace, no pod labels.
  env.consumers.forEach((c, i) => {
    for (const field of ['namespace', 'podLabels'] as const) {
      if (c[field] !== undefined) {
        issues.push({
          path: `consumers[${i}].${field}`,
          message: `is for cluster targets; on the docker target an application joins the platform network and mounts the volume ${env.project}-${env.name}-consumer-${c.name}`,
        });
      }
    }
  });
  // What needs more nodes than its replicas (dedicated masters) cannot run on one host.
  for (const spec of env.specs) {
    const needs = spec.requirements?.cluster;
    if (needs) issues.push({ path: needs.path, message: `the docker target runs on one host: ${needs.message}` });
  }
  const needed = containerCount(env.specs);
  const room = containerAddresses(env.target.network);
  if (needed > room) {
    issues.push({
      path: 'target.network.subnet',
      message: `${env.target.network.subnet} has room for ${room} containers besides the gateway; this environment runs ${needed} (services, sidecars and jobs); use a larger subnet such as /24`,
    });
  }
  return issues;
}
