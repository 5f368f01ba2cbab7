/**
 * Which ports a single Docker host publishes, and on which host port (pure; shared by the renderer,
 * the guardrails, the synth summary and the docs). The environment's policy (`target.publish`)
 * decides per purpose: `web` publishes the web UIs, `authenticated` (the default) every client, UI
 * and admin port that requires credentials, `all` also those that answer anyone (a spec's
 * `anonymous` ports), `none` nothing; its offset is added to each port number. A service's
 * explicit `hostPorts` entry overrides the policy for that port. Metrics and cluster ports are
 * never published, nor a port a spec keeps off the host (`PortSpec.neverPublished`: Loki's and
 * Jaeger's APIs). Everything is published on the loopback address only.
 */
import type { Environment } from '../../../environments/parse/load';
import type { PortPurpose, PortSpec, ServiceSpec } from '../../spec/types';

export type PublishMode = 'none' | 'web' | 'authenticated' | 'all';

/** Loopback only: a developer's services are never reachable from the network they sit on. */
export const PUBLISH_ADDRESS = '127.0.0.1';

const PUBLISHED_BY: Readonly<Record<PublishMode, { readonly purposes: readonly PortPurpose[]; readonly anonymous: boolean }>> = {
  none: { purposes: [], anonymous: false },
  web: { purposes: ['ui'], anonymous: false },
  authenticated: { purposes: ['client', 'ui', 'admin'], anonymous: false },
  all: { purposes: ['client', 'ui', 'admin'], anonymous: true },
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
        } else if (
          PUBLISHED_BY[mode].purposes.includes(port.purpose) &&
          (PUBLISHED_BY[mode].anonymous || port.anonymous === undefined) &&
          port.neverPublished === undefined
        ) {
          out.push({
            spec,
            container: c.name,
            port,
            hostPort: port.port + offset,
            decidedBy: offset === 0 || port.anonymous !== undefined ? `target.publish.ports` : `target.publish.offset`,
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

/** A published port as the synth summary lists it. */
export interface PublishedAddress {
  readonly service: string;
  readonly port: string;
  /** `127.0.0.1:<host port>`. */
  readonly address: string;
  /** The port answers without credentials. */
  readonly anonymous: boolean;
}

/** Every address a Docker environment publishes on the host, computed from the environment alone. */
export function publishedAddresses(env: Environment): PublishedAddress[] {
  return publications(env).map((p) => ({
    service: p.spec.name,
    port: p.container === 'main' ? p.port.name : `${p.container} ${p.port.name}`,
    address: `${PUBLISH_ADDRESS}:${p.hostPort}`,
    anonymous: p.port.anonymous !== undefined,
  }));
}
