/** The service catalogue: every service the platform can run, keyed by its config name. */
import type { z } from 'zod';
import type { ServiceSpec } from '../spec/types';
import type { BuildContext, ConsumerRequest, ServiceDefinition } from './common';
import { elasticsearch } from './elasticsearch';
import { kong } from './kong';
import { mail } from './mail';
import { monitoring } from './monitoring';
import { nats } from './nats';
import { neo4j } from './neo4j';
import { objectstore } from './objectstore';
import { ollama } from './ollama';
import { postgres } from './postgres';
import { qdrant } from './qdrant';
import { rabbitmq } from './rabbitmq';
import { redis } from './redis';

/**
 * The catalogue. Entries that watch the others (`ServiceDefinition.observes`) build after them in
 * this order, each seeing every spec built before it: Kong routes the services' APIs, monitoring
 * (last) watches everything, Kong included.
 */
export const catalogue = {
  nats,
  redis,
  qdrant,
  neo4j,
  postgres,
  rabbitmq,
  objectstore,
  elasticsearch,
  ollama,
  mail,
  kong,
  monitoring,
} as const;

export type Catalogue = typeof catalogue;
export type ServiceName = keyof Catalogue;
export const serviceNames = Object.keys(catalogue) as ServiceName[];

/** Resolved config of one service, as its definition receives it. */
export type ServiceConfig<K extends ServiceName> = z.output<Catalogue[K]['schema']>;
/** What an environment file may write for one service (everything optional; profiles fill the rest). */
export type ServiceInput<K extends ServiceName> = DeepPartial<z.input<Catalogue[K]['schema']>>;
/** Resolved configs of the enabled services. */
export type ServiceConfigs = { readonly [K in ServiceName]?: ServiceConfig<K> };

export type DeepPartial<T> = T extends readonly (infer U)[] ? readonly U[] : T extends object ? { [P in keyof T]?: DeepPartial<T[P]> } : T;

/** Every spec the catalogue can build, with its literal name and typed facet. */
export type CatalogueSpec = ReturnType<Catalogue[ServiceName]['build']>[number];
/** The names specs can have (`garage`, `kibana`, ... besides the catalogue's own names). */
export type SpecName = CatalogueSpec['name'];
/** The spec of one name, with its facet. */
export type SpecOf<N extends SpecName> = Extract<CatalogueSpec, { readonly name: N }>;
/** The facet of one spec name: what its realizations may know beyond the spec. */
export type FacetOf<N extends SpecName> = SpecOf<N>['facet'];

/** The catalogue entries applications can use (they declare what a consumer may ask for). */
export const consumable = serviceNames.filter((n) => (catalogue[n] as ServiceDefinition).consumerAccess !== undefined);

/**
 * The specs of the enabled services (compose: config -> neutral specs), each built with its own
 * consumers (`consumers`: by service, the environment's consumers that use it, access checked).
 * Observers (Kong, monitoring) build last, with the specs built before them (`BuildContext.observed`).
 */
export function compose(
  configs: ServiceConfigs,
  ctx: BuildContext,
  consumers: Readonly<Partial<Record<ServiceName, readonly ConsumerRequest[]>>> = {},
): ServiceSpec[] {
  const build = (name: ServiceName, config: unknown, c: BuildContext) =>
    (catalogue[name].build as (c: unknown, ctx: BuildContext) => readonly ServiceSpec[])(config, {
      ...c,
      consumers: consumers[name] ?? [],
    });
  const entries = Object.entries(configs) as [ServiceName, unknown][];
  const observes = (n: ServiceName) => (catalogue[n] as ServiceDefinition).observes === true;
  const order = Object.keys(catalogue) as ServiceName[];
  const services = entries.filter(([n]) => !observes(n)).flatMap(([n, config]) => build(n, config, ctx));
  // Entries that watch the others build last, in catalogue order, each with every spec built before it.
  for (const [n, config] of entries.filter(([n]) => observes(n)).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)))
    services.push(...build(n, config, { ...ctx, observed: [...services] }));
  // A consumer that is one of the platform's own services is marked as such (nothing is published for it).
  const platform = new Map(
    Object.values(consumers).flatMap((list) => (list ?? []).flatMap((c) => (c.platform ? [[c.name, c.platform] as const] : []))),
  );
  return services.map((s) =>
    s.consumers?.some((a) => platform.has(a.consumer))
      ? { ...s, consumers: s.consumers.map((a) => (platform.has(a.consumer) ? { ...a, platform: platform.get(a.consumer)! } : a)) }
      : s,
  );
}

export type { BuildContext, ConsumerRequest, PlatformConsumer, ServiceDefinition } from './common';
