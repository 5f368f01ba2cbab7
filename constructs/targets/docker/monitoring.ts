/**
 * What the monitoring stack needs of a single host's engine (pure; the Docker checks and warnings
 * call these):
 * - the host exporters (node-exporter, cAdvisor) are written for a rootful Docker engine: cAdvisor
 *   reads the engine's data under /var/lib/docker and the kernel log (/dev/kmsg), node-exporter
 *   mounts the host's root with slave propagation. Podman keeps its data elsewhere and a rootless
 *   engine cannot give a container the host's devices or mount propagation, so with either the
 *   environment must turn them off (`services.monitoring.hostMetrics.enabled: false`) rather than
 *   have the first apply stop at a container that never becomes healthy;
 * - the log shipper's proxy mounts the engine's socket (`services.monitoring.alloy.dockerSocket`):
 *   when the provider talks to the engine through another local socket (`target.host`), the proxy
 *   would hold a socket that is not this engine's.
 */
import type { Environment, Issue } from '../../../environments/parse/load';

const has = (env: Environment, name: string) => env.specs.some((s) => s.name === name);

export function monitoringChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'docker') return [];
  const t = env.target;
  if ((t.engine === 'podman' || t.rootless) && (has(env, 'node-exporter') || has(env, 'cadvisor'))) {
    const engine = `${t.rootless ? 'rootless ' : ''}${t.engine === 'podman' ? 'Podman' : 'Docker'}`;
    return [
      {
        path: 'services.monitoring.hostMetrics.enabled',
        message: `node-exporter and cAdvisor need a rootful Docker engine (the engine's data in /var/lib/docker, the kernel log /dev/kmsg, the host's root with mount propagation), which ${engine} does not give a container; set services.monitoring.hostMetrics: { enabled: false }`,
      },
    ];
  }
  return [];
}

export function monitoringWarnings(env: Environment): Issue[] {
  if (env.target.kind !== 'docker' || !has(env, 'alloy')) return [];
  const host = env.target.host;
  // The socket the proxy sidecar mounts from the host.
  const alloy = env.specs.find((s) => s.name === 'alloy')!;
  const socket = alloy.containers.flatMap((c) => c.host?.mounts ?? []).find((m) => m.path.endsWith('.sock'))?.hostPath;
  if (socket && host?.startsWith('unix://') && host.slice('unix://'.length) !== socket)
    return [
      {
        path: 'services.monitoring.alloy.dockerSocket',
        message: `the provider reaches the engine at ${host} but the log shipper's proxy mounts ${socket}: set services.monitoring.alloy.dockerSocket to ${host.slice('unix://'.length)}`,
      },
    ];
  return [];
}
