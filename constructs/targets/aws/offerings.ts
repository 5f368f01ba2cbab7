/**
 * What the AWS managed services offer for the engine versions this project pins: RDS instance
 * classes for PostgreSQL, ElastiCache node types, Amazon MQ for RabbitMQ versions and broker types,
 * OpenSearch Service instance types. The checks (checks.ts) refuse what is not offered, naming the
 * field, before anything is built. Pure data; each table says where it comes from and when it was
 * read. Where AWS publishes more than the table holds, the authoritative answer for a region is the
 * CLI command in the table's comment; add rows from it (and a source line) rather than loosening the
 * check.
 */

const sizes = (...s: string[]) => s;

// ---------------------------------------------------------------------------------------------
// RDS for PostgreSQL: DB instance class families by the PostgreSQL majors they run.
//
// Sources (read 2026-12-03):
// - awsdocs/amazon-rds-user-guide doc_source/Concepts.DBInstanceClass.md (the archived table
//   "Supported DB engines for DB instance classes", 2023): db.m6g, db.m6i, db.m5, db.r6g, db.r6i,
//   db.r5, db.r5b, db.t4g, db.t3, db.x2g run every PostgreSQL major of their time ("all PostgreSQL
//   14 versions"); db.m4, db.r4, db.r3 and db.t2 run "Lower than PostgreSQL 13"; db.m5d, db.r5d,
//   db.m6gd and db.r6gd are for Multi-AZ DB clusters only (this stack runs a DB instance);
//   db.m1, db.m2 and db.m3 are not offered for any supported PostgreSQL.
// - The Graviton3 (db.m7g, db.r7g) and Graviton4 (db.m8g, db.r8g) classes and db.m7i/db.r7i for
//   RDS for PostgreSQL: AWS Database Blog "Leveling up Amazon RDS with AWS Graviton4: Benchmarks"
//   (2024-11) and the RDS pricing page; secondary for the exact majors.
// That the current-generation families run PostgreSQL 18 is inferred (each ran every major since it
// launched). Authoritative per region and version:
//   aws rds describe-orderable-db-instance-options --engine postgres --engine-version 18.1 \
//     --query "OrderableDBInstanceOptions[].DBInstanceClass"
// ---------------------------------------------------------------------------------------------

export interface RdsFamily {
  /** Oldest PostgreSQL major the family runs. */
  readonly fromMajor: number;
  /** Newest PostgreSQL major it runs; `undefined` = every current one. */
  readonly toMajor?: number;
  /** Why it cannot be used here, when it cannot at all. */
  readonly refused?: string;
}

export const rdsPostgresFamilies: Readonly<Record<string, RdsFamily>> = {
  'db.m8g': { fromMajor: 13 },
  'db.r8g': { fromMajor: 13 },
  'db.m7g': { fromMajor: 13 },
  'db.r7g': { fromMajor: 13 },
  'db.m7i': { fromMajor: 13 },
  'db.r7i': { fromMajor: 13 },
  'db.m6g': { fromMajor: 12 },
  'db.r6g': { fromMajor: 12 },
  'db.t4g': { fromMajor: 12 },
  'db.x2g': { fromMajor: 12 },
  'db.m6i': { fromMajor: 11 },
  'db.r6i': { fromMajor: 11 },
  'db.m5': { fromMajor: 10 },
  'db.r5': { fromMajor: 10 },
  'db.r5b': { fromMajor: 10 },
  'db.t3': { fromMajor: 10 },
  'db.m4': { fromMajor: 9, toMajor: 12 },
  'db.r4': { fromMajor: 9, toMajor: 12 },
  'db.r3': { fromMajor: 9, toMajor: 12 },
  'db.t2': { fromMajor: 9, toMajor: 12 },
  'db.m5d': { fromMajor: 13, refused: 'a Multi-AZ DB cluster class; this stack runs a DB instance' },
  'db.r5d': { fromMajor: 13, refused: 'a Multi-AZ DB cluster class; this stack runs a DB instance' },
  'db.m6gd': { fromMajor: 13, refused: 'a Multi-AZ DB cluster class; this stack runs a DB instance' },
  'db.r6gd': { fromMajor: 13, refused: 'a Multi-AZ DB cluster class; this stack runs a DB instance' },
};

/** RDS for PostgreSQL majors this project plans for (release notes list 18.x GA; docs.aws.amazon.com PostgreSQLReleaseNotes, read 2026-12-03). */
export const rdsPostgresMajors: readonly number[] = [14, 15, 16, 17, 18];

/** Why an instance class cannot run a PostgreSQL major on RDS, or `undefined` when it can. */
export function rdsClassProblem(instanceClass: string, major: number): string | undefined {
  const family = instanceClass.split('.').slice(0, 2).join('.');
  const f = rdsPostgresFamilies[family];
  const offered = Object.entries(rdsPostgresFamilies)
    .filter(([, x]) => !x.refused && x.fromMajor <= major && (x.toMajor ?? Infinity) >= major)
    .map(([k]) => k);
  if (!f) return `${instanceClass}: RDS offers no ${family} class for PostgreSQL ${major}; use one of ${offered.join(', ')}`;
  if (f.refused) return `${instanceClass}: ${f.refused}; use one of ${offered.join(', ')}`;
  if (major < f.fromMajor || major > (f.toMajor ?? Infinity)) {
    return `${instanceClass}: ${family} runs PostgreSQL ${f.fromMajor}${f.toMajor ? `-${f.toMajor}` : ' and newer'} on RDS, not ${major}; use one of ${offered.join(', ')}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// ElastiCache (Valkey, Redis OSS): current-generation node types.
// Source: boto/botocore 1.43.67 (2026-08-07) botocore/data/elasticache/2015-02-02/service-2.json,
// the CacheNodeType documentation (current generation); Valkey 7.2+ and Redis OSS 7.x run on all of
// them (inferred: the same list is given for every engine). Previous generations (cache.m1-m4,
// cache.r3-r4, cache.t1-t2) are refused.
// ---------------------------------------------------------------------------------------------

const cacheFamilies: Readonly<Record<string, readonly string[]>> = {
  m7g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  m6g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  m5: sizes('large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'),
  r7g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  r6g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  r5: sizes('large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'),
  t4g: sizes('micro', 'small', 'medium'),
  t3: sizes('micro', 'small', 'medium'),
};

export const cacheNodeTypes: readonly string[] = Object.entries(cacheFamilies).flatMap(([f, s]) => s.map((x) => `cache.${f}.${x}`));

// ---------------------------------------------------------------------------------------------
// Amazon MQ for RabbitMQ: versions and the broker instance types each runs.
// Sources (read 2026-12-03): docs.aws.amazon.com/amazon-mq/latest/developer-guide/rabbitmq-4.html
// ("Amazon MQ supports RabbitMQ 4.3 and 4.2 ... only on the mq.m7g instance type"; in-place upgrades
// 3.13 -> 4.2 -> 4.3), rabbitmq-version-management ("RabbitMQ 3.13 on mq.t3, mq.m5, mq.m7g"; "4.2 is
// the recommended version"), rabbitmq-sizing-guidelines (mq.t3.micro; mq.m5.large-4xlarge;
// mq.m7g.medium is for testing only) and the resource hard-limit table (mq.m7g sizes).
// ---------------------------------------------------------------------------------------------

const m7g = sizes('medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge').map((s) => `mq.m7g.${s}`);
const m5 = sizes('large', 'xlarge', '2xlarge', '4xlarge').map((s) => `mq.m5.${s}`);

export const mqRabbitVersions: Readonly<Record<string, readonly string[]>> = {
  '4.3': m7g,
  '4.2': m7g,
  '3.13': ['mq.t3.micro', ...m5, ...m7g],
};

/** Types AWS sizes for tests only; a production profile is warned. */
export const mqTestOnlyTypes: readonly string[] = ['mq.t3.micro', 'mq.m7g.medium'];

// ---------------------------------------------------------------------------------------------
// Amazon OpenSearch Service: instance types for OpenSearch 2.x domains with EBS storage.
// Sources (read 2026-12-03): boto/botocore 1.43.67 (2026-08-07) opensearch/2021-01-01/service-2.json,
// enum OpenSearchPartitionInstanceType (sizes below); the developer guide's "Supported instance
// types" (current generation: OR1, Im4gn, C5, C6g, I3, M5, M6g, R5, R6g, R6gd, T3); the Graviton3
// families (c7g, m7g, r7g) from the same guide's later revision and aws/aws-cdk#35668 (secondary).
// Instance-store types (i3, r6gd, im4gn, i4g, r7gd) take no EBS volume, and this stack always gives
// data nodes a gp3 volume, so they are refused. Per version and region:
//   aws opensearch list-instance-type-details --engine-version OpenSearch_2.19
// ---------------------------------------------------------------------------------------------

const searchFamilies: Readonly<Record<string, readonly string[]>> = {
  r7g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  m7g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  c7g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  r6g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge'),
  m6g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge'),
  c6g: sizes('large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge'),
  or1: sizes('medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'),
  r5: sizes('large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'),
  m5: sizes('large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'),
  c5: sizes('large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'),
  // The enum lists t3.nano-2xlarge; the developer guide offers t3.small and t3.medium for OpenSearch.
  t3: sizes('small', 'medium'),
};
const instanceStoreSearch = ['i3', 'r6gd', 'im4gn', 'i4g', 'i4i', 'i8g', 'r7gd'];

export const searchInstanceTypes: readonly string[] = Object.entries(searchFamilies).flatMap(([f, s]) => s.map((x) => `${f}.${x}.search`));

/** Why an OpenSearch instance type cannot be used here, or `undefined`. */
export function searchTypeProblem(type: string): string | undefined {
  const family = type.split('.')[0]!;
  if (instanceStoreSearch.includes(family)) return `${type} keeps data on instance storage; this stack gives data nodes a gp3 EBS volume`;
  if (!searchInstanceTypes.includes(type)) {
    return `${type} is not an OpenSearch Service instance type for OpenSearch 2.x in the table (constructs/targets/aws/offerings.ts); e.g. ${['r7g.large.search', 'm7g.large.search', 'r6g.large.search'].join(', ')}`;
  }
  return undefined;
}

/** Multi-AZ with Standby: not on T2/T3 (burstable) instances (AWS blog "Multi-AZ with Standby", 2023; secondary). */
export const standbyRefusedFamilies: readonly string[] = ['t2', 't3'];

/** ElastiCache's engine version when `target.managed.redis.engineVersion` is not set. */
export const elasticacheDefaultVersion = { valkey: '8.0', redis: '7.1' } as const;

/**
 * The first version of each engine with IAM authentication: "IAM authentication is available when
 * using ElastiCache for Valkey 7.2 and above or Redis OSS version 7.0 and above" (ElastiCache guide,
 * "Authenticating with IAM", Limitations). It also needs in-transit encryption and a user group,
 * which the stack's replication group always has.
 */
export const elasticacheIamSince = { valkey: '7.2', redis: '7.0' } as const;

/** Whether an ElastiCache engine version offers IAM authentication (`major.minor` compared as numbers). */
export function elasticacheIamSupported(engine: keyof typeof elasticacheIamSince, version: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const [fromMajor, fromMinor] = elasticacheIamSince[engine].split('.').map(Number) as [number, number];
  return major > fromMajor || (major === fromMajor && (minor ?? 0) >= fromMinor);
}
