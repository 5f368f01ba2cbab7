/**
 * What a Docker environment synthesizes and deploys but should act on (pure; the synth summary
 * prints them under the table, each with the field that decides it): ports published without
 * authentication, host ports that clash with a server of the same kind already on the host, and
 * the engine's own gaps.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { publications } from './publishing';

/** Linux's default ephemeral port range (net.ipv4.ip_local_port_range): outgoing connections take their local ports from it. */
export const EPHEMERAL_PORTS = { from: 32768, to: 60999 } as const;

export function dockerWarnings(env: Environment): Issue[] {
  if (env.target.kind !== 'docker') return [];
  return [...publishingWarnings(env)];
}

function publishingWarnings(env: Environment): Issue[] {
  const out: Issue[] = [];
  // Every port a service of this environment listens on: a server of that kind may already run on the host.
  const standard = new Map<number, string>();
  for (const spec of env.specs)
    for (const c of spec.containers) for (const p of c.ports) if (!standard.has(p.port)) standard.set(p.port, `${spec.name} ${p.name}`);
  for (const p of publications(env)) {
    const what = `${p.spec.name} ${p.port.name} (127.0.0.1:${p.hostPort})`;
    if (p.port.anonymous !== undefined)
      out.push({ path: p.decidedBy, message: `publishes ${what} without authentication: ${p.port.anonymous}` });
    const owner = standard.get(p.hostPort);
    if (owner)
      out.push({
        path: p.decidedBy,
        message: `publishes ${what} on the standard port of ${owner}: where one already runs on this host, the first apply fails (address already in use) and leaves the container tainted; keep the default target.publish.offset or choose another port`,
      });
    if (p.hostPort >= EPHEMERAL_PORTS.from && p.hostPort <= EPHEMERAL_PORTS.to)
      out.push({
        path: p.decidedBy,
        message: `publishes ${what} inside Linux's ephemeral port range (${EPHEMERAL_PORTS.from}-${EPHEMERAL_PORTS.to}), where an outgoing connection may hold it when the container starts; use a port below ${EPHEMERAL_PORTS.from}`,
      });
  }
  return out;
}
