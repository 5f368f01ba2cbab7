/**
 * Which catalogue services run as AWS managed services: the spec's `managed` hint names the
 * equivalent, and `target.managed.<key>` says whether the environment uses it. Pure data, read by the
 * AWS target (to pick the renderer) and by the checks (before anything is built).
 */
import type { ManagedConfig } from '../../../environments/parse/aws';
import type { Environment } from '../../../environments/parse/load';
import type { ManagedEquivalent, ServiceSpec } from '../../spec/types';

/** Where each managed equivalent's switch lives: `target.managed.<key>`. */
export const managedConfigKeys: { readonly [M in ManagedEquivalent]: keyof ManagedConfig } = {
  'rds-postgresql': 'postgres',
  'elasticache-redis': 'redis',
  'amazon-mq-rabbitmq': 'rabbitmq',
  opensearch: 'elasticsearch',
  s3: 'objectstore',
};

/**
 * Whether each managed equivalent gives every consumer its own identity from the spec's application
 * secrets (the values the in-cluster service would use), the platform's own services included (such
 * as Roundcube's role in PostgreSQL): RDS (a role and database each, created by its roles job) and
 * Amazon MQ (a user and vhost each, its users job). OpenSearch gives the applications users of its
 * own (passwords its policy accepts, a users job); ElastiCache still hands the applications one
 * shared credential. No platform service may use a managed service that is not marked here.
 */
export const managedIdentities: { readonly [M in ManagedEquivalent]: boolean } = {
  'rds-postgresql': true,
  'elasticache-redis': true,
  'amazon-mq-rabbitmq': true,
  opensearch: false,
  s3: false,
};

export interface Placement {
  /** Specs rendered as AWS managed services, with their equivalent and managed config. */
  readonly managed: readonly { spec: ServiceSpec; equivalent: ManagedEquivalent; configKey: keyof ManagedConfig; config: any }[];
  /** Specs that run in the cluster (a managed component's sub-specs, e.g. Kibana, are dropped). */
  readonly inCluster: readonly ServiceSpec[];
}

/** Splits an AWS environment's specs into managed services and in-cluster workloads. */
export function placeServices(env: Environment): Placement {
  if (env.target.kind !== 'aws') throw new Error('placeServices needs an aws target');
  const managedConfig = env.target.managed;
  const managed = env.specs.flatMap((spec) => {
    if (!spec.managed) return [];
    const configKey = managedConfigKeys[spec.managed];
    const config = managedConfig[configKey];
    return config.mode === 'managed' ? [{ spec, equivalent: spec.managed, configKey, config }] : [];
  });
  const managedComponents = new Set(managed.map((m) => m.spec.component));
  return { managed, inCluster: env.specs.filter((s) => !managedComponents.has(s.component)) };
}

/** OpenSearch domain names: 3-28 characters, lower case, starting with a letter. */
export const MAX_DOMAIN_NAME = 28;

/**
 * The S3 name of a catalogue bucket. S3 names are global: project and environment go in front, and
 * a suffix (the account id, or a generated one) makes the name one nobody else holds.
 */
export const s3BucketName = (project: string, environment: string, bucket: string, suffix?: string) =>
  [project, environment, bucket, ...(suffix ? [suffix] : [])].join('-');

export type BucketSuffix = 'account-id' | 'random' | 'none';

/** Hex characters of the generated suffix (`random_id` of 4 bytes). */
export const RANDOM_SUFFIX_BYTES = 4;

/** The environment's bucket suffix: its setting, else the account id when configured, else a generated one. */
export function bucketSuffixOf(target: { readonly accountId?: string; readonly managed: ManagedConfig }): BucketSuffix {
  const os = target.managed.objectstore;
  return (os.mode === 'managed' ? os.bucketSuffix : undefined) ?? (target.accountId ? 'account-id' : 'random');
}

/** IAM role names: at most 64 characters (IAM quotas). */
export const MAX_ROLE_NAME = 64;

/** The workload name of a consumer's own Pod Identity role: IAM role `<project>-<environment>-app-<consumer>`. */
export const consumerIdentityName = (consumer: string) => `app-${consumer}`;
