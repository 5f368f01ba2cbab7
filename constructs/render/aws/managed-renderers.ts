/**
 * Which managed service replaces which catalogue service on AWS: the table the AWS target reads,
 * keyed by the spec's `managed` hint. One file per service; no branching on service names.
 */
import type { ManagedRenderer, ManagedRenderers } from './managed';
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
