/** The service catalogue: every service the platform can run, keyed by its config name. */
import type { z } from 'zod';
import { elasticsearch } from './elasticsearch';
import { nats } from './nats';
import { neo4j } from './neo4j';
import { objectstore } from './objectstore';
import { ollama } from './ollama';
import { postgres } from './postgres';
import { qdrant } from './qdrant';
import { rabbitmq } from './rabbitmq';
import { redis } from './redis';

export const catalogue = { nats, redis, qdrant, neo4j, postgres, rabbitmq, objectstore, elasticsearch, ollama } as const;

export type Catalogue = typeof catalogue;
export type ServiceName = keyof Catalogue;
export const serviceNames = Object.keys(catalogue) as ServiceName[];

/** Resolved config of one service, as its definition receives it. */
export type ServiceConfig<K extends ServiceName> = z.output<Catalogue[K]['schema']>;
/** What an environment file may write for one service (everything optional; profiles fill the rest). */
export type ServiceInput<K extends ServiceName> = DeepPartial<z.input<Catalogue[K]['schema']>>;

export type DeepPartial<T> = T extends readonly (infer U)[] ? readonly U[] : T extends object ? { [P in keyof T]?: DeepPartial<T[P]> } : T;

export type { BuildContext, ServiceDefinition } from './common';
