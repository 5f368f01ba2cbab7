/**
 * Which ports a single Docker host publishes, and on which host port (pure; shared by the renderer,
 * the guardrails and the docs). The environment's policy (`target.publish`) decides per purpose:
 * `web` publishes the web UIs, `all` every client, UI and admin port, `none` nothing; its offset is
 * added to each port number. A service's explicit `hostPorts` entry overrides the policy for that port.
 * Metrics and cluster ports are never published, nor a port that serves without authentication
 * (`PortSpec.unauthenticated`: Loki's and Jaeger's APIs).
 */
import type { Environment } from '../../../environments/parse/load';
import type { PortPurpose, PortSpec, ServiceSpec } from '../../spec/types';

export type PublishMode = 'none' | 'web' | 'all';

const PUBLISHED_BY: Readonly<Record<PublishMode, readonly PortPurpose[]>> = {
  none: [],
  web: ['ui'],
  all: ['client', 'ui', 'admin'],
};

export interface Publication {
  readonly spec: ServiceSpec;
  readonly container: string;
  readonly port: PortSpec;
  readonly hostPort: number;
  /** The field that decided the host port, for messages that blame what the user edited. */
  readonly decidedBy: string;
}

/** Every published port of a Docker environment, in spec order; empty for other targets. */
export function publications(env: Environment): Publication[] {
  if (env.target.kind !== 'docker') return [];
  const { ports: mode, offset } = env.target.publish;
  const out: Publication[] = [];
  for (const spec of env.specs) {
    for (const c of spec.containers) {
      for (const port of c.ports) {
        if (port.hostPort !== undefined) {
          out.push({ spec, container: c.name, port, hostPort: port.hostPort, decidedBy: `${spec.configPath}.hostPorts.${port.name}` });
        } else if (PUBLISHED_BY[mode].includes(port.purpose) && port.unauthenticated === undefined) {
          out.push({
            spec,
            container: c.name,
            port,
            hostPort: port.port + offset,
            decidedBy: offset === 0 ? `target.publish.ports` : `target.publish.offset`,
          });
        }
      }
    }
  }
  return out;
}

/** Published ports by `service/container/port`, for the renderer. */
export function publishedPorts(env: Environment): ReadonlyMap<string, Publication> {
  return new Map(publications(env).map((p) => [publicationKey(p.spec.name, p.container, p.port.name), p]));
}

export function publicationKey(service: string, container: string, port: string): string {
  return `${service}/${container}/${port}`;
}
