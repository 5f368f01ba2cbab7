/**
 * What a single Docker host can and cannot do, checked before anything is rendered: no two services
 * on one host port (the message names both fields), published ports inside the port range, a
 * bridge subnet with room for every container, no service that needs a cluster target, GPU
 * requests the pinned provider can keep (all of the host's), and job secret files where the job
 * can delete them.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { containerAddresses, containerCount } from './network';
import { monitoringChecks } from './monitoring';
import { publications } from './publishing';
import { SECRETS_DIR, parentOf, secretFiles } from './uploads';

export function dockerChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'docker') return [];
  const issues: Issue[] = [];
  const byHostPort = new Map<number, ReturnType<typeof publications>[number]>();
  for (const p of publications(env)) {
    const what = `${p.spec.configPath} port ${p.port.name}`;
    if (p.port.neverPublished) {
      issues.push({
        path: p.decidedBy,
        message: `${what} serves without authentication (${p.port.neverPublished}); it is not published: remove the host port and reach it from the platform network or through Grafana`,
      });
      continue;
    }
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
  // What only a managed service offers (RDS's IAM authentication): the docker target runs none.
  for (const spec of env.specs)
    for (const needs of spec.requirements?.managed ?? [])
      issues.push({
        path: needs.path,
        message: `the docker target runs ${spec.name} as a container, not as a managed service: ${needs.message}`,
      });
  // A container with GPUs gets all of the host's: the pinned provider reads any request back as "all".
  for (const spec of env.specs) {
    for (const c of spec.containers) {
      const asked = c.gpus ?? 0;
      if (asked > 0 && env.target.gpu > 0 && asked !== env.target.gpu)
        issues.push({
          path: `${spec.configPath}.gpus`,
          message: `asks for ${asked} GPU${asked > 1 ? 's' : ''}, but on the docker target a container gets all ${env.target.gpu} of the host's (target.gpu): the pinned provider (kreuzwerker/docker 3.6.2) reads any GPU request back as "all", so a count would replace the container on every apply; ask for ${env.target.gpu}, or 0 for none`,
        });
    }
  }
  // A job deletes its secret files when it ends, which it can only do in the directory its uploads
  // create for it (an existing directory of the image keeps its owner; a missing one is created 0755).
  for (const spec of env.specs) {
    for (const job of spec.jobs) {
      for (const f of secretFiles(job)) {
        if (parentOf(f.path) !== SECRETS_DIR)
          issues.push({
            path: spec.configPath,
            message: `job ${job.name}: secret file ${f.path} must be in ${SECRETS_DIR} on the docker target: the job deletes its secret files when it ends, and only ${SECRETS_DIR} is created for it writable by its group`,
          });
      }
    }
  }
  const needed = containerCount(env.specs);
  const room = containerAddresses(env.target.network);
  if (needed > room) {
    issues.push({
      path: 'target.network.subnet',
      message: `${env.target.network.subnet} has room for ${room} containers besides the gateway; this environment runs ${needed} (services, sidecars and jobs); use a larger subnet such as /24`,
    });
  }
  issues.push(...monitoringChecks(env));
  return issues;
}
