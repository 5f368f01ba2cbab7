/**
 * Building blocks of the services' metric knowledge (pure): the signals every service records and
 * the helpers its own signals use. A signal is a recording rule `platform:<what>:<unit>` labelled
 * `service`; alerts and dashboards read signals only (monitoring/rules.ts).
 */
import type { MetricSource, Signal } from '../spec/types';

/** The program and version whose names an endpoint serves, from a pinned image's tag (`v1.93.0-alpine` -> `v1.93.0`). */
export function namesOf(
  name: string,
  image: string,
  suffix: RegExp = /-(alpine|unprivileged|distroless|management-alpine)$/,
): MetricSource {
  const tag = image.slice(image.lastIndexOf(':') + 1);
  return { name, version: tag.replace(suffix, '') };
}

/** `platform:service_up` from an expression in the source's names (1 per member that is up). */
export function serviceUp(service: string, expr: string, series: Readonly<Record<string, number | string>>): Signal {
  return { record: 'platform:service_up', expr, example: { series, service, value: 1 } };
}

/** `platform:service_up` from the scrape itself: a native endpoint answers when its server is up. */
export function scrapedUp(service: string): Signal {
  return serviceUp(service, `up{service="${service}"}`, { [`up{service="${service}",instance="${service}:1"}`]: 1 });
}

/** `platform:service_up` from a blackbox probe of the service's health endpoint. */
export function probedUp(service: string): Signal {
  return serviceUp(service, `probe_success{service="${service}"}`, {
    [`probe_success{service="${service}",instance="${service}-probe:9115"}`]: 1,
  });
}

/**
 * `platform:cluster_members`: the members whose `platform:service_up` is 1 (each member is scraped
 * on its own). Recorded after `platform:service_up` in the same group.
 */
export function membersUp(service: string, example: Readonly<Record<string, number | string>>, members: number): Signal {
  return {
    record: 'platform:cluster_members',
    expr: `count by (service) (platform:service_up{service="${service}"} == 1)`,
    example: { series: example, service, value: members },
  };
}
