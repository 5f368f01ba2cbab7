/**
 * Checks of an AWS environment against what the AWS target knows (its fact tables) and what needs
 * the built specs or several fields at once: the EKS version and add-on pins, GPU instance types,
 * names AWS limits in length, and replica counts that must fit the managed services' topology. They
 * run with the guardrails (security/guardrails.ts), before anything is built; each names the field
 * to change.
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { profiles } from '../../../environments/parse/profiles';
import type { ObjectStoreFacet } from '../../services/objectstore';
import { acceleratorOf, gpuFamilies } from './instance-types';
import { addonNames, addonVersionsFor, eksVersions } from './kubernetes-versions';
import { MAX_DOMAIN_NAME, placeServices, s3BucketName } from './placement';

export function awsChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'aws') return [];
  const issues: Issue[] = [];
  const prefix = `${env.project}-${env.name}`;
  const placement = placeServices(env);
  const managed = new Set(placement.managed.map((m) => m.configKey));
  const ha = (flag: boolean | undefined) => flag ?? profiles[env.profile].highAvailability;
  const m = env.target.managed;
  const eks = env.target.eks;

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
    eks.gpuNodePool.instanceTypes.forEach((t, i) => {
      const gpu = acceleratorOf(t);
      if (!gpu) {
        issues.push({
          path: `target.eks.gpuNodePool.instanceTypes[${i}]`,
          message: `${t} has no NVIDIA GPU the EKS NVIDIA AMIs support; use a GPU family (${Object.keys(gpuFamilies).join(', ')})`,
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

  if (managed.has('elasticsearch')) {
    if (prefix.length > MAX_DOMAIN_NAME) {
      issues.push({
        path: 'project',
        message: `the OpenSearch domain name "${prefix}" (project-environment) is longer than ${MAX_DOMAIN_NAME} characters; shorten project or run Elasticsearch in the cluster`,
      });
    }
    const es = placement.managed.find((x) => x.configKey === 'elasticsearch')!.spec;
    const zones = Math.min(3, env.target.vpc.zones.length);
    if (m.elasticsearch.mode === 'managed' && ha(m.elasticsearch.highAvailability) && es.replicas % zones !== 0) {
      issues.push({
        path: `${es.configPath}.replicas`,
        message: `${es.replicas} OpenSearch data nodes cannot spread evenly over ${zones} zones; use a multiple of ${zones}`,
      });
    }
  }
  if (managed.has('redis')) {
    const id = `${prefix}-redis`;
    if (id.length > 40)
      issues.push({ path: 'project', message: `the ElastiCache id "${id}" is longer than 40 characters; shorten project` });
    const redis = placement.managed.find((x) => x.configKey === 'redis')!.spec;
    if (m.redis.mode === 'managed' && ha(m.redis.multiAz) && redis.replicas < 2) {
      issues.push({
        path: `${redis.configPath}.replicas`,
        message: 'Multi-AZ with automatic failover needs a primary and at least one replica (replicas >= 2)',
      });
    }
  }
  for (const { spec, configKey } of placement.managed) {
    if (configKey !== 'objectstore') continue;
    for (const [i, b] of (spec.facet as ObjectStoreFacet).buckets.entries()) {
      const name = s3BucketName(env.project, env.name, b);
      if (name.length > 63) {
        issues.push({ path: `${spec.configPath}.buckets[${i}]`, message: `the S3 bucket name "${name}" is longer than 63 characters` });
      }
    }
  }
  return issues;
}
