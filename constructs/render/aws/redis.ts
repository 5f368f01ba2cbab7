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
 *
 * A consumer on IAM authentication (`auth: 'iam'`) gets a user of authentication type `iam` instead,
 * whose user name is its user id (ElastiCache requires both equal for IAM users), in the same user
 * group, and no password; its own Pod Identity role may `elasticache:Connect` to this replication
 * group as that user only. Its application signs a token per connection (ElastiCache guide,
 * "Authenticating with IAM").
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
import type { RedisAuth, RedisFacet } from '../../services/redis';
import { secretRef } from '../../spec/template';
import { pinAddress } from '../terraform';
import { type ManagedApplication, type ManagedRenderer, clientOnlyGroup, credentialSecret } from './managed';
import { HOURS_PER_MONTH } from '../../targets/aws/prices';
import { elasticacheDefaultVersion } from '../../targets/aws/offerings';

export const REDIS_PORT = 6379;

/** The IAM policy statement id of a consumer's `elasticache:Connect` (letters and digits only). */
export const elasticacheConnectSid = (consumer: string) =>
  `ElastiCacheConnectAs${consumer
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

/**
 * A consumer's ElastiCache user id: `<group>-<consumer>` with a password, `<group>-iam-<consumer>` on
 * IAM authentication (also its user name). A switch changes the id, so the new user is created and
 * joins the user group before the old one leaves and is deleted (create before destroy); with one id
 * for both, the user name (ForceNew) would replace the user under the same id, deleting it from the
 * group with nothing to put it back.
 */
export const elasticacheUserId = (group: string, consumer: string, auth: RedisAuth) =>
  auth === 'iam' ? `${group}-iam-${consumer}` : `${group}-${consumer}`;

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
    const version = config.engineVersion ?? elasticacheDefaultVersion[config.engine];
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
    const user = (
      id: string,
      props: { userId: string; userName: string; accessString: string; secret?: string },
      address: readonly string[],
      createBeforeDestroy = false,
    ) =>
      pinAddress(
        new ElasticacheUser(scope, `redis-user-${id}`, {
          userId: props.userId,
          userName: props.userName,
          engine: 'redis',
          accessString: props.accessString,
          // The provider reads the type back as ElastiCache reports it (password, iam), the passwords
          // from the configuration: no diff once applied.
          authenticationMode: props.secret === undefined ? { type: 'iam' } : { type: 'password', passwords: [props.secret] },
          tags: ctx.tags(name),
          ...(createBeforeDestroy ? { lifecycle: { createBeforeDestroy: true } } : {}),
        }),
        ...address,
      );
    const admin = user(
      'default',
      { userId: `${name}-default`, userName: 'default', accessString: MANAGED_ADMIN_ACCESS, secret: password },
      ['redis', 'default'],
    );
    const platformUsers = new Set((spec.consumers ?? []).filter((c) => c.platform !== undefined).map((c) => c.consumer));
    const apps = r.applications
      .filter((a) => !platformUsers.has(a.consumer))
      .map((a) => {
        if (a.keys.length === 0) throw new Error(`redis: consumer ${a.consumer} has no key patterns`);
        const secret = a.auth === 'iam' ? undefined : inputs.secrets.value(secretRef(spec.name, consumerSecret(a.consumer, 'password')));
        const userId = elasticacheUserId(name, a.consumer, a.auth);
        return {
          consumer: a.consumer,
          userId,
          keys: a.keys,
          secret,
          user: user(
            a.consumer,
            {
              userId,
              // IAM users: the user name is the user id (ElastiCache refuses anything else).
              userName: a.auth === 'iam' ? userId : a.consumer,
              accessString: managedAccessString(a.keys),
              ...(secret === undefined ? {} : { secret }),
            },
            ['redis', 'consumer', a.consumer],
            true,
          ),
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
      applications: apps.map((a): ManagedApplication =>
        a.secret === undefined
          ? {
              consumer: a.consumer,
              // The token is signed for the replication group id and the user id (ElastiCache guide,
              // "Authenticating with IAM", Connecting), in the region, and sent as the AUTH password.
              endpoint: {
                ...endpoint,
                username: a.userId,
                'key-patterns': a.keys.join(' '),
                auth: 'iam',
                region: ctx.region,
                'replication-group-id': group.replicationGroupId,
              },
              credentials: { username: a.userId, auth: 'iam' },
              statements: [
                {
                  Sid: elasticacheConnectSid(a.consumer),
                  Effect: 'Allow' as const,
                  Action: 'elasticache:Connect',
                  // The ARNs as ElastiCache writes them (its guide's "Resource-level permissions"; ids
                  // lowercase, as these are): the policy waits for neither the group nor the user.
                  Resource: [
                    `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:replicationgroup:${name}`,
                    `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:user:${a.userId}`,
                  ],
                },
              ],
            }
          : {
              consumer: a.consumer,
              endpoint: { ...endpoint, username: a.consumer, 'key-patterns': a.keys.join(' ') },
              credentials: { username: a.consumer, password: a.secret },
            },
      ),
      // The applications log in as their own users, no administrator's secret; those on IAM
      // authentication through their own Pod Identity role (`applications[].statements`), not the shared one.
      clientStatements: [],
    };
  },
};
