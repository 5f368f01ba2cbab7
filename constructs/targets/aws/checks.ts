/**
 * Checks of an AWS environment that need the built specs or several fields at once: names AWS
 * limits in length, and replica counts that must fit the managed services' topology. They run with
 * the guardrails (security/guardrails.ts), before anything is built; each names the field to change.
 */
import type { Environment, Issue } from '../../../environments/load';
import { profiles } from '../../../environments/profiles';
import { BUCKETS_CONFIG_PATH, catalogueBuckets, s3BucketName } from './managed/objectstore';
import { MAX_DOMAIN_NAME, placeServices } from './managed/placement';

export function awsChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'aws') return [];
  const issues: Issue[] = [];
  const prefix = `${env.project}-${env.name}`;
  const placement = placeServices(env);
  const managed = new Set(placement.managed.map((m) => m.configKey));
  const ha = (flag: boolean | undefined) => flag ?? profiles[env.profile].highAvailability;
  const m = env.target.managed;

  if (managed.has('elasticsearch')) {
    if (prefix.length > MAX_DOMAIN_NAME) {
      issues.push({
        path: 'project',
        message: `the OpenSearch domain name "${prefix}" (project-environment) is longer than ${MAX_DOMAIN_NAME} characters; shorten project or run Elasticsearch in the cluster`,
      });
    }
    const es = env.specs.find((s) => s.name === 'elasticsearch');
    const zones = Math.min(3, env.target.vpc.zones.length);
    if (es && m.elasticsearch.mode === 'managed' && ha(m.elasticsearch.highAvailability) && es.replicas % zones !== 0) {
      issues.push({
        path: 'services.elasticsearch.replicas',
        message: `${es.replicas} OpenSearch data nodes cannot spread evenly over ${zones} zones; use a multiple of ${zones}`,
      });
    }
  }
  if (managed.has('redis')) {
    const id = `${prefix}-redis`;
    if (id.length > 40)
      issues.push({ path: 'project', message: `the ElastiCache id "${id}" is longer than 40 characters; shorten project` });
    const redis = env.specs.find((s) => s.name === 'redis');
    if (redis && m.redis.mode === 'managed' && ha(m.redis.multiAz) && redis.replicas < 2) {
      issues.push({
        path: 'services.redis.replicas',
        message: 'Multi-AZ with automatic failover needs a primary and at least one replica (replicas >= 2)',
      });
    }
  }
  if (managed.has('objectstore')) {
    for (const [i, b] of catalogueBuckets(env).entries()) {
      const name = s3BucketName(env, b);
      if (name.length > 63) {
        issues.push({ path: `${BUCKETS_CONFIG_PATH}[${i}]`, message: `the S3 bucket name "${name}" is longer than 63 characters` });
      }
    }
  }
  return issues;
}
