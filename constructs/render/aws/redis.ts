/**
 * Redis as an ElastiCache replication group: Valkey or Redis OSS (config), one primary and the
 * catalogue's replica count minus one, Multi-AZ with automatic failover (profile), TLS required in
 * transit, at-rest encryption with the data key, daily snapshots and a final one. The eviction policy
 * is the catalogue's `maxmemoryPolicy`.
 *
 * Access is by ElastiCache users (RBAC), as the in-cluster Redis's ACL users: each application its
 * own user, with its password (the same generated secret the in-cluster Redis would use) and its key
 * and channel patterns, every command but the dangerous ones; the `default` user, which every user
 * group must hold, is the administrator, with the spec's administrator password kept in Secrets
 * Manager, where no application reads it.
 */
import type { Construct } from '../../providers/cdktf';
import {
  ElasticacheParameterGroup,
  ElasticacheReplicationGroup,
  ElasticacheSubnetGroup,
  ElasticacheUser,
  ElasticacheUserGroup,
} from '../../providers/aws';
import { consumerSecret } from '../../services/common';
import { MANAGED_ADMIN_ACCESS, managedAccessString } from '../../services/redis';
import type { RedisFacet } from '../../services/redis';
import { secretRef } from '../../spec/template';
import { pinAddress } from '../terraform';
import { type ManagedRenderer, clientOnlyGroup, credentialSecret } from './managed';
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
    const { password } = credentialSecret(scope, inputs, 'redis', 'default', token);
    // ElastiCache's own note: users and user groups of a Valkey cache take the engine "redis".
    const user = (id: string, userName: string, accessString: string, secret: string, address: readonly string[]) =>
      pinAddress(
        new ElasticacheUser(scope, `redis-user-${id}`, {
          userId: `${name}-${id}`,
          userName,
          engine: 'redis',
          accessString,
          authenticationMode: { type: 'password', passwords: [secret] },
          tags: ctx.tags(name),
        }),
        ...address,
      );
    const admin = user('default', 'default', MANAGED_ADMIN_ACCESS, password, ['redis', 'default']);
    const apps = (spec.consumers ?? [])
      .filter((c) => c.platform === undefined)
      .map((c) => {
        const keys = String(c.facts['key-patterns'] ?? '')
          .split(' ')
          .filter(Boolean);
        if (keys.length === 0) throw new Error(`redis: consumer ${c.consumer} has no key patterns`);
        const secret = inputs.secrets.value(secretRef(spec.name, consumerSecret(c.consumer, 'password')));
        return {
          consumer: c.consumer,
          keys,
          secret,
          user: user(c.consumer, c.consumer, managedAccessString(keys), secret, ['redis', 'consumer', c.consumer]),
        };
      });
    const users = pinAddress(
      new ElasticacheUserGroup(scope, 'redis-users', {
        userGroupId: name,
        engine: 'redis',
        userIds: [admin.userId, ...apps.map((a) => a.user.userId)],
        tags: ctx.tags(name),
      }),
      'redis',
    );
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
        userGroupIds: [users.userGroupId],
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
    const endpoint = {
      host: group.primaryEndpointAddress,
      'reader-host': group.readerEndpointAddress,
      port: String(REDIS_PORT),
      tls: 'true',
      engine: config.engine,
    };
    return {
      endpoint,
      applications: apps.map((a) => ({
        consumer: a.consumer,
        endpoint: { ...endpoint, username: a.consumer, 'key-patterns': a.keys.join(' ') },
        credentials: { username: a.consumer, password: a.secret },
      })),
      // The applications log in as their own users: nothing through IAM, no administrator's secret.
      clientStatements: [],
    };
  },
};
