/**
 * Redis as an ElastiCache replication group: Valkey or Redis OSS (config), one primary and the
 * catalogue's replica count minus one, Multi-AZ with automatic failover (profile), TLS required in
 * transit, at-rest encryption with the data key, an AUTH token read from Secrets Manager (generated
 * by Terraform: the same value the in-cluster Redis would use), daily snapshots and a final one. The
 * eviction policy is the catalogue's `maxmemoryPolicy`.
 */
import type { Construct } from '../../providers/cdktf';
import { ElasticacheParameterGroup, ElasticacheReplicationGroup, ElasticacheSubnetGroup } from '../../providers/aws';
import type { RedisFacet } from '../../services/redis';
import { secretRef } from '../../spec/template';
import { pinAddress } from '../terraform';
import { type ManagedRenderer, clientOnlyGroup, credentialSecret, useDataKey } from './managed';
import { HOURS_PER_MONTH } from '../../targets/aws/prices';

export const REDIS_PORT = 6379;
const DEFAULT_VERSION = { valkey: '8.0', redis: '7.1' } as const;

export const redis: ManagedRenderer<'redis', RedisFacet> = {
  title: 'ElastiCache',
  reusesSecrets: ['password'],
  summarize(resources) {
    const g = resources.aws_elasticache_replication_group?.redis;
    if (!g) throw new Error('the stack has no aws_elasticache_replication_group.redis');
    const nodes = Number(g.num_cache_clusters);
    return {
      what: `${g.engine} ${g.engine_version} on ${nodes} × ${g.node_type}${g.multi_az_enabled ? ', Multi-AZ' : ''}`,
      billables: [
        {
          item: `elasticache:${g.node_type}`,
          label: `${nodes} ElastiCache ${g.node_type}`,
          quantity: nodes * HOURS_PER_MONTH,
          unit: 'hour',
        },
      ],
      storageGiB: 0,
    };
  },
  render(scope: Construct, inputs, spec, config) {
    const { ctx, keys } = inputs;
    const r = spec.facet;
    const name = ctx.name('redis');
    const version = config.engineVersion ?? DEFAULT_VERSION[config.engine];
    const major = version.split('.')[0];
    const params = pinAddress(
      new ElasticacheParameterGroup(scope, 'redis-params', {
        name: `${name}-${config.engine}${major}`,
        family: `${config.engine}${major}`,
        description: `${name}: eviction policy from services.redis`,
        parameter: [{ name: 'maxmemory-policy', value: r.maxmemoryPolicy }],
        tags: ctx.tags(name),
        lifecycle: { createBeforeDestroy: true },
      }),
      'redis',
    );
    const subnets = pinAddress(
      new ElasticacheSubnetGroup(scope, 'redis-subnets', { name, subnetIds: inputs.network.privateSubnetIds, tags: ctx.tags(name) }),
      'redis',
    );
    const sg = clientOnlyGroup(scope, inputs, 'redis', [REDIS_PORT]);
    const token = inputs.secrets.value(secretRef(spec.name, 'password'));
    const { secret, password } = credentialSecret(scope, inputs, 'redis', 'default', token);
    const multiAz = (config.multiAz ?? ctx.highAvailability) && spec.replicas >= 2;
    const group = pinAddress(
      new ElasticacheReplicationGroup(scope, 'redis', {
        replicationGroupId: name,
        description: `${name}: cache, sessions and queues`,
        engine: config.engine,
        engineVersion: version,
        nodeType: config.nodeType,
        numCacheClusters: spec.replicas,
        // Primary and replicas spread over the zones in order.
        preferredCacheClusterAzs: Array.from({ length: spec.replicas }, (_, i) => ctx.zones[i % ctx.zones.length]!),
        port: REDIS_PORT,
        parameterGroupName: params.name,
        subnetGroupName: subnets.name,
        securityGroupIds: [sg.id],
        automaticFailoverEnabled: multiAz,
        multiAzEnabled: multiAz,
        transitEncryptionEnabled: true,
        transitEncryptionMode: 'required',
        atRestEncryptionEnabled: 'true',
        kmsKeyId: keys.data.arn,
        authToken: password,
        snapshotRetentionLimit: config.snapshotRetentionDays,
        snapshotWindow: '03:00-04:00',
        maintenanceWindow: 'sun:05:00-sun:06:00',
        finalSnapshotIdentifier: `${name}-final`,
        autoMinorVersionUpgrade: 'true',
        applyImmediately: false,
        tags: ctx.tags(name),
        lifecycle: { preventDestroy: ctx.protectData },
      }),
      'redis',
    );
    return {
      endpoint: {
        host: group.primaryEndpointAddress,
        'reader-host': group.readerEndpointAddress,
        port: String(REDIS_PORT),
        tls: 'true',
        engine: config.engine,
      },
      credentials: { password: token, 'secret-arn': secret.arn },
      clientStatements: [
        { Sid: 'ReadRedisSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secret.arn },
        useDataKey(inputs),
      ],
    };
  },
};
