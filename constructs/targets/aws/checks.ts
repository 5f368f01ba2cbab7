/**
 * Checks of an AWS environment against what the AWS target knows (its fact tables) and what needs
 * the built specs or several fields at once: the EKS version and add-on pins, node pools (GPU
 * instance types, architecture, zones), whether each pod fits the nodes of its pool, what the managed
 * services offer for the configured engine versions, names AWS limits in length, and replica counts
 * that must fit the managed services' topology. They run with the guardrails (security/guardrails.ts),
 * before anything is built; each names the field to change. `awsWarnings` gives what deploys but
 * should be acted on, for the synth summary.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { profiles } from '../../../environments/parse/profiles';
import type { ObjectStoreFacet } from '../../services/objectstore';
import type { PostgresFacet } from '../../services/postgres';
import type { RedisFacet } from '../../services/redis';
import type { ElasticsearchFacet } from '../../services/elasticsearch';
import { cpuMillicores, memoryMebibytes } from '../../spec/quantity';
import type { ResourceAmounts, ServiceSpec } from '../../spec/types';
import { footprintOf } from '../kubernetes';
import { acceleratorOf, gpuFamilies, instanceType } from './instance-types';
import { addonNames, addonVersionsFor, eksVersionWarnings, eksVersions } from './kubernetes-versions';
import { type PoolName, poolConfig, poolPath, poolZones } from './node-pools';
import {
  cacheNodeTypes,
  elasticacheDefaultVersion,
  elasticacheIamSince,
  elasticacheIamSupported,
  mqRabbitVersions,
  mqTestOnlyTypes,
  rdsClassProblem,
  rdsPostgresMajors,
  searchTypeProblem,
  standbyRefusedFamilies,
} from './offerings';
import { edgeChecks, edgeWarnings } from './edge';
import {
  MAX_DOMAIN_NAME,
  MAX_ROLE_NAME,
  RANDOM_SUFFIX_BYTES,
  bucketSuffixOf,
  consumerIdentityName,
  placeServices,
  s3BucketName,
} from './placement';
import { placementsOf } from '../kubernetes/consumers';
import { monitoringChecks } from './cloudwatch';
import { backupChecks, inClusterBackups } from './backup';

type Env = Environment & { readonly target: { readonly kind: 'aws' } };
const isAws = (env: Environment): env is Env => env.target.kind === 'aws';

export function awsChecks(env: Environment): Issue[] {
  return isAws(env) ? [...configIssues(env), ...fit(env).errors, ...monitoringChecks(env), ...edgeChecks(env), ...backupChecks(env)] : [];
}

/** What deploys but should be acted on (a version near its end of support, a limit above a node's size, a different API). */
export function awsWarnings(env: Environment, today: Date): Issue[] {
  if (!isAws(env)) return [];
  const t = env.target;
  const issues: Issue[] = eksVersionWarnings(t.eks.version, today, t.eks.supportType).map((message) => ({
    path: 'target.eks.version',
    message,
  }));
  issues.push(...fit(env).warnings, ...edgeWarnings(env));
  const managed = new Map(placeServices(env).managed.map((m) => [m.configKey, m]));
  if (managed.has('elasticsearch')) {
    issues.push({
      path: 'target.managed.elasticsearch.mode',
      message:
        'Elasticsearch runs as Amazon OpenSearch Service here, while the other environments run Elasticsearch: Elasticsearch clients from 7.14 on refuse OpenSearch (they check the X-Elastic-Product header), so the applications must use OpenSearch clients in this environment, and Kibana is OpenSearch Dashboards. Remove the setting to run Elasticsearch and Kibana in the cluster.',
    });
    // An application on IAM authentication has no password from this deploy on: it must sign its requests.
    for (const a of (managed.get('elasticsearch')!.spec.facet as ElasticsearchFacet).applications.filter((x) => x.auth === 'iam'))
      issues.push({
        path: a.configPath ? `${a.configPath}.auth` : 'consumers',
        message: `consumer ${a.consumer} reaches OpenSearch with IAM authentication: no user and no password (its Secret says auth: iam); the application signs each request with its Pod Identity role (SigV4, service es, its endpoint's region and iam-role-arn), which the domain maps to its role ${a.role}. Ship that application change before this deploy (docs/operations.md, "OpenSearch IAM authentication for a consumer").`,
      });
  }
  const pg = managed.get('postgres');
  if (pg) {
    const image = (pg.spec.facet as PostgresFacet).majorVersion;
    const rds = String(pg.config.engineVersion).split('.')[0];
    if (image && image !== rds) {
      issues.push({
        path: 'target.managed.postgres.engineVersion',
        message: `RDS runs PostgreSQL ${rds} while the catalogue's image (${pg.spec.configPath}, what in-cluster environments run) is ${image}; test the applications on ${rds}, or upgrade RDS (docs/operations.md, "Upgrading RDS PostgreSQL")`,
      });
    }
  }
  const mq = managed.get('rabbitmq');
  if (mq && mqTestOnlyTypes.includes(mq.config.instanceType) && profiles[env.profile].highAvailability) {
    issues.push({
      path: 'target.managed.rabbitmq.instanceType',
      message: `${mq.config.instanceType} is sized for tests (Amazon MQ sizing guidelines); production brokers use mq.m7g.large or larger`,
    });
  }
  if (managed.has('objectstore') && bucketSuffixOf(t) === 'none') {
    issues.push({
      path: 'target.managed.objectstore.bucketSuffix',
      message:
        "bucket names carry no suffix: a name another account holds fails with BucketAlreadyExists; 'account-id' or 'random' cannot collide",
    });
  }
  return issues;
}

function configIssues(env: Env): Issue[] {
  const issues: Issue[] = [];
  const prefix = `${env.project}-${env.name}`;
  const placement = placeServices(env);
  const managed = new Map(placement.managed.map((m) => [m.configKey, m]));
  const ha = (flag: boolean | undefined) => flag ?? profiles[env.profile].highAvailability;
  const t = env.target;
  const m = t.managed;
  const eks = t.eks;

  // A consumer on IAM authentication (RDS, ElastiCache, OpenSearch) in a namespace of its own gets an IAM role named after it.
  const places = placementsOf(env.consumers, eks.namespace, { name: eks.namespace, create: false });
  const iamApplications = [
    ...((managed.get('postgres')?.spec.facet as PostgresFacet | undefined)?.applications ?? []),
    ...((managed.get('redis')?.spec.facet as RedisFacet | undefined)?.applications ?? []),
    ...((managed.get('elasticsearch')?.spec.facet as ElasticsearchFacet | undefined)?.applications ?? []),
  ].filter((a) => a.auth === 'iam');
  for (const a of iamApplications) {
    const ns = places.find((p) => p.name === a.consumer)?.namespace;
    const role = `${prefix}-${consumerIdentityName(a.consumer)}`;
    if (ns !== undefined && ns !== eks.namespace && role.length > MAX_ROLE_NAME)
      issues.push({
        path: a.configPath ? `${a.configPath}.auth` : 'consumers',
        message: `consumer ${a.consumer} on IAM authentication gets the IAM role ${role}, longer than IAM's ${MAX_ROLE_NAME} characters; shorten the consumer's name (or the project's or environment's)`,
      });
  }
  if (!(eks.version in eksVersions)) {
    issues.push({
      path: 'target.eks.version',
      message: `EKS ${eks.version} is not in the support table; known versions are ${Object.keys(eksVersions).join(', ')}`,
    });
  } else {
    const pinned = addonVersionsFor(eks.version, eks.addonVersions);
    const missing = addonNames.filter((n) => pinned[n] === undefined);
    if (missing.length > 0) {
      issues.push({
        path: 'target.eks.addonVersions',
        message: `no pinned versions of ${missing.join(', ')} for EKS ${eks.version}; pin them here (aws eks describe-addon-versions --kubernetes-version ${eks.version})`,
      });
    }
  }
  if (eks.gpuNodePool) {
    const gpus = new Set<string>();
    eks.gpuNodePool.instanceTypes.forEach((type, i) => {
      const gpu = acceleratorOf(type);
      if (!gpu) {
        issues.push({
          path: `target.eks.gpuNodePool.instanceTypes[${i}]`,
          message: `${type} has no NVIDIA GPU the EKS NVIDIA AMIs support; use a GPU family (${Object.keys(gpuFamilies).join(', ')})`,
        });
      } else gpus.add(gpu);
    });
    if (gpus.size > 1) {
      issues.push({
        path: 'target.eks.gpuNodePool.instanceTypes',
        message: `mixes GPU models (${[...gpus].join(', ')}); one pool holds one GPU model so the autoscaler knows what a new node brings`,
      });
    }
  }
  for (const pool of ['system', 'gpu'] as const) {
    const cfg = poolConfig(t, pool);
    if (!cfg) continue;
    const zones = poolZones(t, pool);
    if (cfg.max < zones.length) {
      issues.push({
        path: `${poolPath(pool)}.max`,
        message: `max ${cfg.max} leaves a zone's node group without a node (one group per zone, ${zones.length} zones: ${zones.join(', ')}); raise max or list fewer zones in ${poolPath(pool)}.zones`,
      });
    }
    cfg.instanceTypes.forEach((type, i) => {
      if (instanceType(type)?.arch === 'arm64') {
        issues.push({
          path: `${poolPath(pool)}.instanceTypes[${i}]`,
          message: `${type} is an arm64 (Graviton) type; the pool's AMI (${cfg.amiType}) is x86_64`,
        });
      }
    });
  }

  const pg = managed.get('postgres');
  if (pg && m.postgres.mode === 'managed') {
    const major = Number(m.postgres.engineVersion.split('.')[0]);
    if (!rdsPostgresMajors.includes(major)) {
      issues.push({
        path: 'target.managed.postgres.engineVersion',
        message: `RDS for PostgreSQL ${major} is not in the table of majors this project plans for (${rdsPostgresMajors.join(', ')}; constructs/targets/aws/offerings.ts)`,
      });
    } else {
      const problem = rdsClassProblem(m.postgres.instanceClass, major);
      if (problem) issues.push({ path: 'target.managed.postgres.instanceClass', message: problem });
    }
  }

  if (managed.has('elasticsearch') && m.elasticsearch.mode === 'managed') {
    const os = m.elasticsearch;
    if (prefix.length > MAX_DOMAIN_NAME) {
      issues.push({
        path: 'project',
        message: `the OpenSearch domain name "${prefix}" (project-environment) is longer than ${MAX_DOMAIN_NAME} characters; shorten project or run Elasticsearch in the cluster`,
      });
    }
    const es = managed.get('elasticsearch')!.spec;
    const zones = Math.min(3, t.vpc.zones.length);
    const highAvailability = ha(os.highAvailability);
    if (highAvailability && es.replicas % zones !== 0) {
      issues.push({
        path: `${es.configPath}.replicas`,
        message: `${es.replicas} OpenSearch data nodes cannot spread evenly over ${zones} zones; use a multiple of ${zones}`,
      });
    }
    const types: [string, string][] = [['instanceType', os.instanceType]];
    if (highAvailability) types.push(['masterInstanceType', os.masterInstanceType]);
    for (const [field, type] of types) {
      const problem = searchTypeProblem(type);
      if (problem) issues.push({ path: `target.managed.elasticsearch.${field}`, message: problem });
    }
    if (os.multiAzWithStandby) {
      const why = [
        ...(highAvailability ? [] : ['zone awareness and dedicated masters (highAvailability)']),
        ...(t.vpc.zones.length >= 3 ? [] : ['three zones']),
        ...(es.replicas % 3 === 0 ? [] : [`data nodes in a multiple of three (${es.configPath}.replicas is ${es.replicas})`]),
        ...(standbyRefusedFamilies.includes(os.instanceType.split('.')[0]!) ? [`a non-burstable instance type (${os.instanceType})`] : []),
      ];
      if (why.length > 0) {
        issues.push({ path: 'target.managed.elasticsearch.multiAzWithStandby', message: `Multi-AZ with Standby needs ${why.join(', ')}` });
      }
    }
  }

  if (managed.has('redis') && m.redis.mode === 'managed') {
    const id = `${prefix}-redis`;
    if (id.length > 40)
      issues.push({ path: 'project', message: `the ElastiCache id "${id}" is longer than 40 characters; shorten project` });
    const redis = managed.get('redis')!.spec;
    if (ha(m.redis.multiAz) && redis.replicas < 2) {
      issues.push({
        path: `${redis.configPath}.replicas`,
        message: 'Multi-AZ with automatic failover needs a primary and at least one replica (replicas >= 2)',
      });
    }
    // IAM authentication: Valkey 7.2+ or Redis OSS 7.0+ (TLS and the user group are always on).
    const version = m.redis.engineVersion ?? elasticacheDefaultVersion[m.redis.engine];
    if (!elasticacheIamSupported(m.redis.engine, version))
      for (const a of (redis.facet as RedisFacet).applications.filter((x) => x.auth === 'iam'))
        issues.push({
          path: a.configPath ? `${a.configPath}.auth` : 'consumers',
          message: `consumer ${a.consumer} asks for IAM authentication, which ElastiCache offers from ${m.redis.engine === 'valkey' ? 'Valkey' : 'Redis OSS'} ${elasticacheIamSince[m.redis.engine]} on; target.managed.redis.engineVersion is ${version}: raise it, or use auth: 'password'`,
        });
    if (!cacheNodeTypes.includes(m.redis.nodeType)) {
      issues.push({
        path: 'target.managed.redis.nodeType',
        message: `${m.redis.nodeType} is not a current-generation ElastiCache node type (constructs/targets/aws/offerings.ts), e.g. cache.r7g.large, cache.m7g.large, cache.t4g.medium`,
      });
    }
  }

  if (managed.has('rabbitmq') && m.rabbitmq.mode === 'managed') {
    const { engineVersion, instanceType: type } = m.rabbitmq;
    const offered = mqRabbitVersions[engineVersion];
    if (!offered) {
      issues.push({
        path: 'target.managed.rabbitmq.engineVersion',
        message: `Amazon MQ does not offer RabbitMQ ${engineVersion}; it offers ${Object.keys(mqRabbitVersions).join(', ')}`,
      });
    } else if (!offered.includes(type)) {
      issues.push({
        path: 'target.managed.rabbitmq.instanceType',
        message: `Amazon MQ runs RabbitMQ ${engineVersion} on ${[...new Set(offered.map((x) => x.split('.').slice(0, 2).join('.')))].join(', ')} brokers only, not ${type}`,
      });
    }
    if (type === 'mq.t3.micro' && ha(m.rabbitmq.cluster)) {
      issues.push({
        path: 'target.managed.rabbitmq.cluster',
        message: 'mq.t3.micro brokers run as a single instance only; use mq.m7g.large or set cluster: false',
      });
    }
  }

  const os = managed.get('objectstore');
  if (os) {
    const kind = bucketSuffixOf(t);
    if (kind === 'account-id' && !t.accountId) {
      issues.push({
        path: 'target.managed.objectstore.bucketSuffix',
        message: "'account-id' needs target.accountId; set it, or use 'random'",
      });
    }
    const suffix =
      kind === 'account-id' ? (t.accountId ?? '').padEnd(12, '0') : kind === 'random' ? 'x'.repeat(RANDOM_SUFFIX_BYTES * 2) : undefined;
    for (const [i, b] of (os.spec.facet as ObjectStoreFacet).buckets.entries()) {
      const name = s3BucketName(env.project, env.name, b, suffix);
      if (name.length > 63) {
        issues.push({
          path: `${os.spec.configPath}.buckets[${i}]`,
          message: `the S3 bucket name "${name}" is longer than 63 characters${suffix ? ' (with its suffix)' : ''}`,
        });
      }
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Do the pods fit their pool's nodes?

interface PodShape {
  readonly spec: ServiceSpec;
  readonly what: string;
  readonly pool: PoolName;
  readonly requests: { cpu: number; memory: number };
  readonly limits: { cpu: number; memory: number };
  readonly gpus: number;
}

const sum = (xs: readonly ResourceAmounts[]) => ({
  cpu: xs.reduce((n, x) => n + cpuMillicores(x.cpu), 0),
  memory: xs.reduce((n, x) => n + memoryMebibytes(x.memory), 0),
});

/** Every pod the cluster runs for the environment's in-cluster services: a spec's replica (all its containers) or one of its jobs. */
function podShapes(env: Env): PodShape[] {
  const { inCluster } = placeServices(env);
  const cluster = inClusterBackups(env, inCluster);
  return inCluster
    .flatMap((s) => footprintOf(s, cluster))
    .flatMap((spec) => {
      const gpus = spec.containers.reduce((n, c) => n + (c.gpus ?? 0), 0);
      return [
        {
          spec,
          what: `one ${spec.name} pod`,
          pool: gpus > 0 ? ('gpu' as const) : ('system' as const),
          requests: sum(spec.containers.map((c) => c.resources.requests)),
          limits: sum(spec.containers.map((c) => c.resources.limits)),
          gpus,
        },
        ...spec.jobs.map((j) => ({
          spec,
          what: `${spec.name}'s ${j.name} job`,
          pool: 'system' as const,
          requests: sum([j.resources.requests]),
          limits: sum([j.resources.limits]),
          gpus: 0,
        })),
      ];
    });
}

const cores = (m: number) => `${+(m / 1000).toFixed(3)} cpu`;
const mib = (n: number) => (n % 1024 === 0 ? `${n / 1024}Gi` : n >= 1024 ? `${(n / 1024).toFixed(1)}Gi` : `${n}Mi`);

/**
 * Requests above what a node of the pod's pool has for pods can never be scheduled (refused); limits
 * above it are never reached (warned: the container is throttled or the node runs out of memory first).
 * Every instance type of the pool is checked, since a new node may be any of them. Types not in the
 * table are not checked, and said so.
 */
function fit(env: Env): { errors: Issue[]; warnings: Issue[] } {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const pods = podShapes(env);
  for (const pool of ['system', 'gpu'] as const) {
    const cfg = poolConfig(env.target, pool);
    if (!cfg) continue;
    cfg.instanceTypes.forEach((type, i) => {
      const node = instanceType(type);
      if (!node) {
        warnings.push({
          path: `${poolPath(pool)}.instanceTypes[${i}]`,
          message: `${type} is not in the instance table (constructs/targets/aws/instance-types.ts); the pods are not checked against its size`,
        });
        return;
      }
      const alloc = node.allocatable;
      const offers = `${type} nodes (${poolPath(pool)}) have ${cores(alloc.cpuMillis)}, ${mib(alloc.memoryMiB)} memory${node.gpus ? ` and ${node.gpus} GPU${node.gpus > 1 ? 's' : ''}` : ''} for pods`;
      for (const p of pods.filter((x) => x.pool === pool)) {
        const over = [
          ...(p.requests.cpu > alloc.cpuMillis ? [cores(p.requests.cpu)] : []),
          ...(p.requests.memory > alloc.memoryMiB ? [`${mib(p.requests.memory)} memory`] : []),
          ...(p.gpus > node.gpus ? [`${p.gpus} GPUs`] : []),
        ];
        if (over.length > 0) {
          errors.push({
            path: `${p.spec.configPath}.${p.requests.cpu <= alloc.cpuMillis && p.requests.memory <= alloc.memoryMiB ? 'gpus' : 'resources'}`,
            message: `${p.what} requests ${over.join(', ')}; ${offers}, so it could never be scheduled. Lower the requests or use a larger instance type`,
          });
          continue;
        }
        const above = [
          ...(p.limits.cpu > alloc.cpuMillis ? [cores(p.limits.cpu)] : []),
          ...(p.limits.memory > alloc.memoryMiB ? [`${mib(p.limits.memory)} memory`] : []),
        ];
        if (above.length > 0) {
          warnings.push({
            path: `${p.spec.configPath}.resources.limits`,
            message: `${p.what} is limited to ${above.join(', ')} (all its containers); ${offers}, so the limit is never reached (throttled, or out of memory first). Lower the limits to fit`,
          });
        }
      }
    });
  }
  return { errors, warnings };
}
