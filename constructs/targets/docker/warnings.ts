/**
 * What a Docker environment synthesizes and deploys but should act on (pure; the synth summary
 * prints them under the table, each with the field that decides it): ports published without
 * authentication, host ports that clash with a server of the same kind already on the host, and
 * the engine's own gaps.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { monitoringWarnings } from './monitoring';
import { publications } from './publishing';
import { DOCKER_HUB, DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR, DOCKER_HUB_PROVIDER_KEYS, pulls } from './registry';

/** Linux's default ephemeral port range (net.ipv4.ip_local_port_range): outgoing connections take their local ports from it. */
export const EPHEMERAL_PORTS = { from: 32768, to: 60999 } as const;

export function dockerWarnings(env: Environment): Issue[] {
  if (env.target.kind !== 'docker') return [];
  return [...publishingWarnings(env), ...registryWarnings(env), ...engineWarnings(env), ...monitoringWarnings(env)];
}

function registryWarnings(env: Environment): Issue[] {
  if (env.target.kind !== 'docker') return [];
  const { mirrors, auth } = env.target.registry;
  const out: Issue[] = [];
  const all = pulls(env);
  const authenticated = new Set(auth.flatMap((a) => (a.registry === DOCKER_HUB ? [...DOCKER_HUB_PROVIDER_KEYS] : [a.registry])));
  const anonymousHub = new Set(all.filter((p) => p.registry === DOCKER_HUB && !authenticated.has(p.key)).map((p) => p.name));
  if (anonymousHub.size > DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR)
    out.push({
      path: 'target.registry',
      message: `a first apply on a host that has none of the images pulls ${anonymousHub.size} of them from Docker Hub anonymously, which allows ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} pulls per hour per address: the apply stops at "toomanyrequests". Give the provider Docker Hub credentials (registry.auth: [{ registry: 'docker.io', from: 'environment' }]) or a mirror (registry.mirrors['docker.io'], or registry-mirrors in the daemon's daemon.json)`,
    });
  const upstreams = new Set(all.map((p) => p.upstream));
  for (const key of Object.keys(mirrors))
    if (!upstreams.has(key))
      out.push({ path: `target.registry.mirrors.${key}`, message: `no image of this environment comes from ${key}` });
  const keys = new Set(all.map((p) => p.key));
  auth.forEach((a, i) => {
    const hosts = a.registry === DOCKER_HUB ? [...DOCKER_HUB_PROVIDER_KEYS] : [a.registry];
    if (!hosts.some((h) => keys.has(h)))
      out.push({
        path: `target.registry.auth[${i}].registry`,
        message: `no image of this environment is pulled from ${a.registry} (they come from ${[...keys].sort().join(', ')})`,
      });
  });
  return out;
}

function engineWarnings(env: Environment): Issue[] {
  if (env.target.kind !== 'docker' || !env.target.rootless || env.target.rootless.cpuDelegated) return [];
  return [
    {
      path: 'target.rootless.cpuDelegated',
      message:
        env.target.engine === 'podman'
          ? 'rootless Podman applies CPU limits only where systemd delegates the cpu controller to the user (on cgroup v1 it ignores every limit, with a warning the provider does not show); delegate it (docs/operations.md, "Rootless engines") and set cpuDelegated: true'
          : 'rootless Docker without the cpu controller delegated to the user discards every container\'s CPU limit with a daemon warning the provider does not show: the containers run without CPU limits. Delegate it (docs/operations.md, "Rootless engines") and set cpuDelegated: true',
    },
  ];
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
