/**
 * Which managed service replaces which catalogue service on AWS: the table the AWS target reads,
 * keyed by the spec's `managed` hint. One file per service; no branching on service names.
 */
import type { Environment } from '../../../../environments/load';
import type { ServiceSpec } from '../../../spec/types';
import type { ManagedRenderer, ManagedRenderers } from './common';
import { elasticsearch } from './elasticsearch';
import { objectstore } from './objectstore';
import { postgres } from './postgres';
import { rabbitmq } from './rabbitmq';
import { redis } from './redis';

export const managedRenderers: ManagedRenderers = {
  'rds-postgresql': postgres as ManagedRenderer,
  'elasticache-redis': redis as ManagedRenderer,
  'amazon-mq-rabbitmq': rabbitmq as ManagedRenderer,
  opensearch: elasticsearch as ManagedRenderer,
  s3: objectstore as ManagedRenderer,
};

export interface Placement {
  /** Specs rendered as AWS managed services, each with its renderer and config. */
  readonly managed: readonly { spec: ServiceSpec; renderer: ManagedRenderer; config: any }[];
  /** Specs that run in the cluster (a managed component's sub-specs, e.g. Kibana, are dropped). */
  readonly inCluster: readonly ServiceSpec[];
}

/** Splits an AWS environment's specs into managed services and in-cluster workloads. */
export function placeServices(env: Environment): Placement {
  if (env.target.kind !== 'aws') throw new Error('placeServices needs an aws target');
  const managedConfig = env.target.managed;
  const managed = env.specs.flatMap((spec) => {
    if (!spec.managed) return [];
    const renderer = managedRenderers[spec.managed];
    const config = managedConfig[renderer.configKey];
    return config.mode === 'managed' ? [{ spec, renderer, config }] : [];
  });
  const managedComponents = new Set(managed.map((m) => m.spec.component));
  return { managed, inCluster: env.specs.filter((s) => !managedComponents.has(s.component)) };
}

export type { ManagedEndpoint, ManagedInputs, ManagedRenderer } from './common';
