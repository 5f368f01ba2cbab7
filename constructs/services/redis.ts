import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatBinarySize, memoryBytes } from '../spec/quantity';
import { hostRef, memberAddress, peerRef, secretRef, selfHost, tpl } from '../spec/template';
import type { AlertRule, ConsumerAccess, ContainerSpec, Text } from '../spec/types';
import {
  consumerSecret,
  consumersOf,
  crossCheck,
  defineService,
  identity,
  imageOrVersion,
  joinTemplates,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  secretFile,
  serviceFields,
  shellHealth,
  internalCertificate,
  startWithCertificateReload,
  trustInternalCa,
  tlsPaths,
} from './common';
import { exporter } from './sidecars';
import { backupPlan, dumpStep, withBackup } from './backup';
import { membersUp, namesOf, serviceUp } from './signals';

export const REDIS_IMAGE = 'redis:7.4.11-alpine';
export const REDIS_EXPORTER_IMAGE = 'oliver006/redis_exporter:v1.93.0-alpine';
const CONFIG = '/usr/local/etc/redis/redis.conf';
/**
 * Included by redis.conf: the ACL file's path, `masterauth` (replicas authenticate to the primary as
 * the default user) and `requirepass`, which Redis ignores once an ACL file is set (the ACL file
 * defines the default user) and the start script and health checks read the password from.
 */
const AUTH = '/usr/local/etc/redis/auth.conf';
/**
 * The users: `default` (the platform's administrator, the generated password) and one per
 * application, limited to its key and channel patterns, without dangerous commands. Passwords as
 * SHA-256 hashes (`#<hex>`), so the file holds none. A file without `default` would recreate it
 * without a password (acl.c, ACLLoadFromFile), so it is always written.
 */
const USERS = '/usr/local/etc/redis/users.acl';
/** The exporter's password file: a JSON map from the Redis address to its password. */
const EXPORTER_AUTH = '/run/secrets/redis-exporter.json';
/** Sentinel's configuration as generated; each member's sentinel starts from a writable copy. */
const SENTINEL_TEMPLATE = '/usr/local/etc/redis/sentinel.conf';
const SENTINEL_DIR = '/run/sentinel';
const MEMBER_SCRIPT = '/usr/local/bin/redis-member.sh';
const memberScript = readFileSync(new URL('./scripts/redis-member.sh', import.meta.url), 'utf8');
/** The name the sentinels know the primary by (clients ask for it). */
export const SENTINEL_MASTER = 'platform';
export const SENTINEL_PORT = 26379;
/** The sentinel container's own internal TLS certificate (the same names as the member's). */
export const SENTINEL_CERTIFICATE = 'sentinel-tls';

/** Sentinels needed to agree that the primary is down: a majority of them. */
export function sentinelQuorum(sentinels: number): number {
  return Math.floor(sentinels / 2) + 1;
}

/** Reads the password from auth.conf for redis-cli (never on a command line). */
const CLI_AUTH = `REDISCLI_AUTH="$(sed -n 's/^requirepass //p' ${AUTH})"`;

/**
 * Standalone Redis with internal TLS: the server, and a loop beside it that makes it re-read its
 * certificate when the file changes (`CONFIG SET tls-cert-file` with the same path reloads the TLS
 * files; measured with redis-server 7.0), as the administrator over TLS on the loopback interface.
 */
export function redisStartWithReload(start: string = `redis-server ${CONFIG}`): string[] {
  const f = tlsPaths();
  return startWithCertificateReload(
    `REDISCLI_AUTH=\`sed -n 's/^requirepass //p' ${AUTH}\` redis-cli --no-auth-warning --tls --cacert ${f.ca} -h 127.0.0.1 -p 6379 CONFIG SET tls-cert-file ${f.cert} >/dev/null`,
    start,
  );
}

/**
 * A member's sentinel with internal TLS: Sentinel has no CONFIG SET to re-read its certificate, so
 * the loop beside it stops it (SIGTERM to the shell's pid, which `exec` hands to the sentinel) when
 * the certificate changes, and only while it sees its quorum (the other sentinels are up: the
 * restarted one asks them for the primary); otherwise it tries again at the next check. The
 * container restarts (restartPolicy Always) with the new certificate.
 */
export function sentinelStartWithRestart(): string[] {
  const f = tlsPaths();
  return startWithCertificateReload(
    `REDISCLI_AUTH=\`sed -n 's/^requirepass //p' ${AUTH}\` redis-cli --no-auth-warning --tls --cacert ${f.ca} -h 127.0.0.1 -p ${SENTINEL_PORT} SENTINEL CKQUORUM ${SENTINEL_MASTER} | grep -q '^OK' && kill -TERM \${$}`,
    `/bin/sh ${MEMBER_SCRIPT} sentinel`,
  );
}

/**
 * The backup's dump step: a point-in-time RDB streamed by the server over its replication protocol
 * (`redis-cli --rdb`, from any member: a replica serves one as well as the primary), then checked
 * with the server's own `redis-check-rdb`. The password comes from auth.conf into the environment
 * of redis-cli only. With internal TLS, redis-cli speaks TLS and verifies the server against the CA.
 */
export function redisDump(tls: boolean): string {
  return [
    'set -eu',
    `export ${CLI_AUTH}`,
    `redis-cli -h "$REDIS_HOST" -p 6379${tls ? ` --tls --cacert ${tlsPaths().ca}` : ''} --rdb "$BACKUP_DIR/dump.rdb"`,
    'redis-check-rdb "$BACKUP_DIR/dump.rdb"',
    '',
  ].join('\n');
}

/** The dump step's script without internal TLS (the restore drill runs it). */
export const REDIS_DUMP = redisDump(false);

export const redisSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /**
     * Memory for the dataset (Redis `maxmemory`), at most 80% of the memory limit (the rest for AOF
     * rewrites and overhead) and at least half of it.
     * @default three quarters of the memory limit, so it follows a changed limit
     */
    maxmemory: memoryQuantity.optional(),
    /** What Redis evicts at `maxmemory`. */
    maxmemoryPolicy: z.enum([
      'noeviction',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
    ]),
    /** AOF fsync policy. @default 'everysec' (at most one second of writes lost) */
    appendfsync: z.enum(['always', 'everysec', 'no']).default('everysec'),
  })
  .superRefine(imageOrVersion)
  .superRefine(
    crossCheck((c, ctx) => {
      const limit = memoryBytes(c.resources.limits.memory);
      if (c.maxmemory !== undefined && memoryBytes(c.maxmemory) > limit * 0.8) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxmemory'],
          message: `${c.maxmemory} leaves less than 20% of the ${c.resources.limits.memory} memory limit for AOF rewrites and overhead`,
        });
      }
      // A limit raised under an unchanged maxmemory would leave the memory unused (4Gi keeping 1536mb).
      if (c.maxmemory !== undefined && memoryBytes(c.maxmemory) < limit * 0.5) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxmemory'],
          message: `${c.maxmemory} is less than half of the ${c.resources.limits.memory} memory limit; raise it, or leave maxmemory out to use three quarters of the limit`,
        });
      }
    }),
  );

/** A key or channel pattern of an application's ACL user (Redis glob; no spaces). */
const aclPattern = z.string().regex(/^[^\s~&%]+$/, 'must be a Redis glob pattern without spaces, e.g. orders:*');

/** What a consumer may ask for: the keys (and Pub/Sub channels) it may use. */
export const redisAccess = z.strictObject({
  /** Key patterns; the same patterns bound its Pub/Sub channels. @default ['<name>:*'] */
  keys: z.array(aclPattern).min(1).optional(),
  /**
   * How its user logs in: `password` (generated, in its credentials Secret), or `iam` (ElastiCache IAM
   * authentication: no password; the application signs a 15-minute token with its Pod Identity role
   * for each connection). `iam` only where Redis is ElastiCache (an AWS target with
   * `target.managed.redis.mode: 'managed'`, Valkey 7.2+ or Redis OSS 7.0+); switching is a two-step
   * change (docs/operations.md). @default 'password'
   */
  auth: z.enum(['password', 'iam']).default('password'),
});

/** How a consumer's user logs in (`redisAccess.auth`). */
export type RedisAuth = z.output<typeof redisAccess>['auth'];

/** Where IAM authentication exists, for the messages that refuse it elsewhere. */
export const IAM_AUTH_NEEDS_ELASTICACHE =
  "IAM authentication is ElastiCache's: it needs an AWS target with target.managed.redis: { mode: 'managed' } (Valkey 7.2+ or Redis OSS 7.0+); use auth: 'password' here";

/** A consumer's user: its key (and channel) patterns, how it logs in, and the secret with its password. */
export interface RedisApplication {
  readonly consumer: string;
  readonly keys: readonly string[];
  /** With the generated password, or with an ElastiCache IAM token (no password exists then). */
  readonly auth: RedisAuth;
  /** The generated password's secret (audience `application`); declared by the spec for `password` users only. */
  readonly secret: string;
  /** Where the consumer's access is declared in the environment file (`consumers[1].services.redis`), for messages. */
  readonly configPath?: string;
}

/** What an application's user may touch and run: its keys and channels, every command except the dangerous ones. */
const applicationGrants = (patterns: readonly string[]) =>
  `${patterns.map((p) => `~${p}`).join(' ')} ${patterns.map((p) => `&${p}`).join(' ')} +@all -@dangerous`;

/** The ACL rule of an application's user (users.acl): no channels but its own, then its grants. */
export function applicationAclRule(patterns: readonly string[]): string {
  return `resetchannels ${applicationGrants(patterns)}`;
}

/**
 * The same user's ElastiCache access string (RBAC): `on` and the same grants. ElastiCache takes no
 * password and no `reset` keyword in an access string (passwords are the user's own attribute), and
 * a new user there has no channels until granted, as `resetchannels` gives in-cluster.
 */
export function managedAccessString(patterns: readonly string[]): string {
  return `on ${applicationGrants(patterns)}`;
}

/** The administrator's (the `default` user's) access string on ElastiCache: every key, channel and command. */
export const MANAGED_ADMIN_ACCESS = 'on ~* &* +@all';

/**
 * What an application may do on a sentinel: find the primary and follow failovers (the commands a
 * Sentinel-aware client sends, and `+switch-master` events), nothing that changes the sentinels.
 */
export const SENTINEL_CLIENT_RULE =
  '-@all allchannels +auth +hello +ping +client|setname +client|getname +client|id +role +sentinel|get-master-addr-by-name +sentinel|master +sentinel|replicas +sentinel|sentinels +sentinel|myid +subscribe +psubscribe +unsubscribe +punsubscribe';

/** Redis's `maxmemory`: as configured, else three quarters of the memory limit (whole MiB). */
export function maxmemoryBytes(c: { maxmemory?: string | undefined; resources: { limits: { memory: string } } }): number {
  if (c.maxmemory !== undefined) return memoryBytes(c.maxmemory);
  const MiB = 1024 ** 2;
  return Math.floor((memoryBytes(c.resources.limits.memory) * 0.75) / MiB) * MiB;
}

/** What Redis's realizations know beyond the spec: the eviction policy a managed cache must apply too. */
export interface RedisFacet {
  readonly maxmemoryPolicy: string;
  /** The consumers' users (platform consumers included), each with how it logs in. */
  readonly applications: readonly RedisApplication[];
}

/**
 * What Redis's exporter tells: each member up, memory against maxmemory, evictions, and where
 * Sentinel runs (several members), whether the member's Sentinel sees its quorum: the exporter
 * asks it through its multi-target `/scrape` path (job `redis-sentinel`).
 */
function redisMetrics(clustered: boolean, members: number, scheme: 'redis' | 'rediss') {
  const s = 'service="redis"';
  const member = (i: number) => `instance="redis-${i}:9121"`;
  return {
    names: namesOf('redis_exporter', REDIS_EXPORTER_IMAGE),
    ...(clustered
      ? { also: [{ name: 'sentinel', path: '/scrape', params: { target: [tpl`${scheme}://${selfHost}:${SENTINEL_PORT}`] } }] }
      : {}),
    signals: [
      serviceUp('redis', `max by (service, instance) (redis_up{${s}})`, { [`redis_up{${s},${member(0)}}`]: 1 }),
      ...(clustered
        ? [
            membersUp('redis', Object.fromEntries(Array.from({ length: members }, (_, i) => [`redis_up{${s},${member(i)}}`, 1])), members),
            {
              record: 'platform:redis_sentinel_quorum',
              expr: `min by (service, instance) (redis_sentinel_master_ckquorum_status{${s}})`,
              example: {
                series: {
                  [`redis_sentinel_master_ckquorum_status{${s},${member(0)},master_name="platform",message="OK 3 usable Sentinels"}`]: 1,
                },
                service: 'redis',
                value: 1,
              },
            },
          ]
        : []),
      {
        record: 'platform:redis_memory_used:ratio',
        expr: `max by (service, instance) (redis_memory_used_bytes{${s}} / (redis_memory_max_bytes{${s}} > 0))`,
        example: {
          series: { [`redis_memory_used_bytes{${s},${member(0)}}`]: 900, [`redis_memory_max_bytes{${s},${member(0)}}`]: 1000 },
          service: 'redis',
          value: 0.9,
        },
      },
      {
        record: 'platform:redis_evictions:rate5m',
        expr: `sum by (service, instance) (rate(redis_evicted_keys_total{${s}}[5m]))`,
        example: { series: { [`redis_evicted_keys_total{${s},${member(0)}}`]: '0+60x30' }, service: 'redis', value: 1 },
      },
    ],
    alerts: [REDIS_MEMORY, REDIS_EVICTING, ...(clustered ? [REDIS_SENTINEL_QUORUM] : [])],
    panels: [
      { title: 'Memory used of maxmemory', expr: 'platform:redis_memory_used:ratio', unit: 'percentunit', legend: '{{instance}}' },
      { title: 'Evicted keys', expr: 'platform:redis_evictions:rate5m', unit: 'ops', legend: '{{instance}}' },
    ],
  };
}

const REDIS_MEMORY: AlertRule = {
  name: 'RedisMemoryNearMax',
  expr: 'platform:redis_memory_used:ratio > 0.9',
  for: '10m',
  severity: 'warning',
  summary: 'Redis {{ $labels.instance }} uses more than 90% of maxmemory',
  description: 'The dataset is close to maxmemory: Redis evicts keys by its maxmemory-policy, or refuses writes under noeviction.',
  test: {
    firing: {
      series: { 'platform:redis_memory_used:ratio{service="redis",instance="redis-0:9121"}': 0.95 },
      labels: { service: 'redis', instance: 'redis-0:9121' },
    },
    healthy: { 'platform:redis_memory_used:ratio{service="redis",instance="redis-0:9121"}': 0.5 },
  },
};

const REDIS_EVICTING: AlertRule = {
  name: 'RedisEvictingKeys',
  expr: 'platform:redis_evictions:rate5m > 0',
  for: '10m',
  severity: 'warning',
  summary: 'Redis {{ $labels.instance }} is evicting keys',
  description: 'Redis has been dropping keys to stay under maxmemory for ten minutes: cached data and sessions are lost early.',
  test: {
    firing: {
      series: { 'platform:redis_evictions:rate5m{service="redis",instance="redis-0:9121"}': 3 },
      labels: { service: 'redis', instance: 'redis-0:9121' },
    },
    healthy: { 'platform:redis_evictions:rate5m{service="redis",instance="redis-0:9121"}': 0 },
  },
};

const REDIS_SENTINEL_QUORUM: AlertRule = {
  name: 'RedisSentinelNoQuorum',
  expr: 'platform:redis_sentinel_quorum == 0',
  for: '2m',
  severity: 'critical',
  summary: 'The Sentinel of {{ $labels.instance }} cannot reach its quorum',
  description: 'SENTINEL CKQUORUM fails: too few sentinels agree, so a failed primary would not be replaced.',
  test: {
    firing: {
      series: { 'platform:redis_sentinel_quorum{service="redis",instance="redis-1:9121"}': 0 },
      labels: { service: 'redis', instance: 'redis-1:9121' },
    },
    healthy: { 'platform:redis_sentinel_quorum{service="redis",instance="redis-1:9121"}': 1 },
  },
};

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'redis',
  title: 'Redis',
  description: 'Cache, session store and lightweight queues, with AOF persistence and a password.',
  concern: 'data',
} as const;

export const redis = defineService({
  ...SERVICE,
  schema: redisSchema,
  consumerAccess: redisAccess,
  build(c, ctx) {
    const clustered = c.replicas > 1;
    const applications = consumersOf(ctx, redisAccess).map((a): RedisApplication => ({
      consumer: a.name,
      keys: a.access.keys ?? [`${a.name}:*`],
      auth: a.access.auth,
      secret: consumerSecret(a.name, 'password'),
      ...(a.configPath ? { configPath: a.configPath } : {}),
    }));
    // The users with a generated password: every one where Redis runs as this container or in a
    // cluster (IAM users are ElastiCache's, and the checks refuse them elsewhere: `requirements.managed`).
    const apps = applications.filter((a) => a.auth === 'password');
    const iam = applications.filter((a) => a.auth === 'iam');
    // Internal TLS: the client port TLS only, and with Sentinel (a replicated profile) everything Redis
    // can speak TLS on: replication (`tls-replication yes`), each sentinel's own port (`tls-port`, `port 0`)
    // and its connections to the members and the other sentinels (Sentinel's `tls-replication yes`).
    // Redis cannot serve TLS and plaintext on one port: under internalTls.plaintext it stays plaintext
    // (PLAT-NET-005 lists its ports on every synth) and moves to TLS on the same ports when plaintext is off.
    const tlsOn = ctx.tls !== undefined && !ctx.tls.plaintext;
    const cliTls = tlsOn ? ` --tls --cacert ${tlsPaths().ca}` : '';
    const scheme = tlsOn ? 'rediss' : 'redis';
    const config = [
      'bind 0.0.0.0',
      ...(tlsOn ? redisTls(6379, clustered) : ['port 6379']),
      'protected-mode yes',
      'dir /data',
      'appendonly yes',
      'appenddirname "appendonlydir"',
      `appendfsync ${c.appendfsync}`,
      'auto-aof-rewrite-percentage 100',
      'auto-aof-rewrite-min-size 64mb',
      'save 3600 1 300 100 60 10000',
      `maxmemory ${formatBinarySize(maxmemoryBytes(c), { k: 'kb', m: 'mb', g: 'gb' })}`,
      `maxmemory-policy ${c.maxmemoryPolicy}`,
      'tcp-keepalive 300',
      'loglevel notice',
      ...(clustered
        ? [
            '# A primary and replicas watched by Sentinel: the primary stops taking writes when no replica has',
            '# acknowledged it for 10 s (an isolated old primary cannot keep writes the promoted replica never saw).',
            'replica-read-only yes',
            'min-replicas-to-write 1',
            'min-replicas-max-lag 10',
          ]
        : []),
      `include ${AUTH}`,
      '',
    ].join('\n');
    const password = secretRef('redis', 'password');
    const metrics = exporter(ctx, {
      image: REDIS_EXPORTER_IMAGE,
      user: '59000:59000',
      port: 9121,
      healthPath: '/health',
      env: {
        REDIS_ADDR: tpl`${scheme}://${selfHost}:6379`,
        REDIS_PASSWORD_FILE: EXPORTER_AUTH,
        // rediss: the exporter verifies the server's certificate (and its name) against the CA.
        ...(tlsOn ? { REDIS_EXPORTER_TLS_CA_CERT_FILE: tlsPaths().ca } : {}),
      },
      // The member's Sentinel shares the password; the exporter asks it through its multi-target path.
      files: [
        secretFile(
          EXPORTER_AUTH,
          clustered
            ? tpl`{"${scheme}://${selfHost}:6379":"${password}","${scheme}://${selfHost}:${SENTINEL_PORT}":"${password}"}\n`
            : tpl`{"${scheme}://${selfHost}:6379":"${password}"}\n`,
          { format: 'json' },
        ),
      ],
      ...redisMetrics(clustered, c.replicas, scheme),
    });
    const authFile = secretFile(AUTH, tpl`requirepass ${password}\nmasterauth ${password}\naclfile ${USERS}\n`, { format: 'redis.conf' });
    const usersFile = secretFile(
      USERS,
      joinTemplates(
        [
          tpl`user default on #${{ ...password, form: 'sha256' }} ~* &* +@all`,
          ...apps.map(
            (a) => tpl`user ${a.consumer} on #${{ ...secretRef('redis', a.secret), form: 'sha256' }} ${applicationAclRule(a.keys)}`,
          ),
          '',
        ],
        '\n',
      ),
      { format: 'redis-acl' },
    );
    // Sentinel-aware applications ask a sentinel for the primary: each may do that, and only that.
    const sentinelUsers = apps.map(
      (a) => tpl`user ${a.consumer} on #${{ ...secretRef('redis', a.secret), form: 'sha256' }} ${SENTINEL_CLIENT_RULE}\n`,
    );
    const members = Array.from({ length: c.replicas }, (_, i) => i);
    const sentinels = joinTemplates(
      members.map((i) => tpl`${peerRef('redis', i)}:${SENTINEL_PORT}`),
      ' ',
    );
    // Both processes of a member know the set: who is member 0, every sentinel, their own addresses.
    const memberEnv: Record<string, Text> = {
      REDIS_CONFIG: CONFIG,
      REDIS_AUTH_FILE: AUTH,
      REDIS_SELF: tpl`${memberAddress}:6379`,
      REDIS_FIRST_PRIMARY: tpl`${peerRef('redis', 0)}:6379`,
      SENTINELS: sentinels,
      SENTINEL_SELF: tpl`${memberAddress}:${SENTINEL_PORT}`,
      MASTER_NAME: SENTINEL_MASTER,
      // redis-cli speaks TLS to the sentinels and verifies them against the internal CA.
      ...(tlsOn ? { REDIS_TLS_CA: tlsPaths().ca } : {}),
    };
    const script = { path: MEMBER_SCRIPT, content: memberScript, mode: 0o555, format: 'shell' };
    const sentinelConf = [
      // With internal TLS: TLS only, and TLS to the members and the other sentinels (tls-replication).
      ...(tlsOn ? redisTls(SENTINEL_PORT, true) : [`port ${SENTINEL_PORT}`]),
      'bind 0.0.0.0',
      `dir ${SENTINEL_DIR}`,
      // Members are known by their stable names, not by addresses that change when a pod is replaced.
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      `# The primary at first start (member 0); a member that starts later monitors the primary the others name.`,
      `# ${sentinelQuorum(c.replicas)} of ${c.replicas} sentinels must agree that it is down, and a majority must authorize the failover.`,
      '',
    ].join('\n');
    const sentinel: ContainerSpec = {
      name: 'sentinel',
      image: resolveImage(REDIS_IMAGE, c),
      user: '999:1000',
      scratchPaths: [SENTINEL_DIR],
      // With internal TLS a renewed certificate needs a new sentinel process (Sentinel has no CONFIG SET):
      // the loop stops it once its quorum holds (the container restarts and asks the others for the primary).
      args: tlsOn ? sentinelStartWithRestart() : ['/bin/sh', MEMBER_SCRIPT, 'sentinel'],
      env: { ...memberEnv, SENTINEL_TEMPLATE, SENTINEL_DIR },
      ports: [port('sentinel', SENTINEL_PORT, 'client', 'redis-sentinel', c.hostPorts)],
      mounts: [],
      files: [
        {
          path: SENTINEL_TEMPLATE,
          content: joinTemplates(
            [
              tpl`${sentinelConf}sentinel monitor ${SENTINEL_MASTER} ${peerRef('redis', 0)} 6379 ${sentinelQuorum(c.replicas)}
sentinel down-after-milliseconds ${SENTINEL_MASTER} 5000
sentinel failover-timeout ${SENTINEL_MASTER} 60000
sentinel parallel-syncs ${SENTINEL_MASTER} 1
`,
              ...sentinelUsers,
            ],
            '',
          ),
          // With applications' users (password hashes) it is a secret file.
          mode: sentinelUsers.length ? 0o440 : 0o644,
          format: 'sentinel.conf',
        },
        authFile,
        script,
      ],
      // Up: it answers. Joined: it sees enough sentinels to reach the quorum and authorize a failover.
      health: {
        ...shellHealth(`${CLI_AUTH} redis-cli${cliTls} -p ${SENTINEL_PORT} ping | grep -q PONG`, { startPeriodSeconds: 10 }),
        member: {
          exec: ['sh', '-c', `${CLI_AUTH} redis-cli${cliTls} -p ${SENTINEL_PORT} sentinel ckquorum ${SENTINEL_MASTER} | grep -q '^OK'`],
        },
      },
      // Its own certificate (the same names as the member's: clients and sentinels reach it by them).
      ...(tlsOn ? { trusts: [{ service: 'redis', certificate: SENTINEL_CERTIFICATE, path: tlsPaths().ca }] } : {}),
      resources: ctx.sidecarResources,
      stopGracePeriodSeconds: 10,
    };
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet: { maxmemoryPolicy: c.maxmemoryPolicy, applications } satisfies RedisFacet,
        managed: 'elasticache-redis',
        secrets: [
          { name: 'password', description: 'Password of the default user (the administrator)', length: 32 },
          ...apps.map((a) => ({
            name: a.secret,
            description: `Password of the "${a.consumer}" ACL user (consumer ${a.consumer}: keys and channels ${a.keys.join(' ')}, no dangerous commands)`,
            length: 32,
            audience: 'application' as const,
          })),
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'AOF and RDB files', backup: true }],
        ...withBackup(
          backupPlan(ctx.backups, {
            service: 'redis',
            method: 'rdb-copy',
            description: 'a point-in-time RDB streamed by the server (redis-cli --rdb), checked with redis-check-rdb',
            volumes: ['data'],
            consistency: 'online',
            dump: dumpStep(ctx.jobResources, {
              description: 'Copies a point-in-time RDB from the server (redis-cli --rdb) and checks it (redis-check-rdb)',
              image: resolveImage(REDIS_IMAGE, c),
              user: '999:1000',
              command: ['/bin/sh', '-c', redisDump(tlsOn)],
              env: { REDIS_HOST: tpl`${hostRef('redis')}` },
              files: [authFile],
              ...(tlsOn ? { trusts: trustInternalCa('redis') } : {}),
              timeoutSeconds: 1800,
            }),
          }),
        ),
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(REDIS_IMAGE, c),
            // Runs as the image's redis user so the entrypoint needs no privilege drop.
            user: '999:1000',
            scratchPaths: [],
            // With internal TLS a renewed certificate is loaded without a restart: CONFIG SET of the same
            // tls-cert-file makes Redis re-read its certificate and key (redisStartWithReload).
            args: tlsOn
              ? redisStartWithReload(clustered ? `/bin/sh ${MEMBER_SCRIPT} server` : `redis-server ${CONFIG}`)
              : clustered
                ? ['/bin/sh', MEMBER_SCRIPT, 'server']
                : ['redis-server', CONFIG],
            env: clustered ? memberEnv : {},
            ports: [port('client', 6379, 'client', 'redis', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/data' }],
            ...(tlsOn ? { trusts: trustInternalCa('redis') } : {}),
            files: [
              { path: CONFIG, content: config, mode: 0o644, format: 'redis.conf' },
              authFile,
              usersFile,
              ...(clustered ? [script] : []),
            ],
            health: {
              ...shellHealth(`${CLI_AUTH} redis-cli${cliTls} ping | grep -q PONG`, {
                startPeriodSeconds: 10,
              }),
              // Joined: the primary, or a replica whose link to the primary is up.
              ...(clustered
                ? {
                    member: {
                      exec: [
                        'sh',
                        '-c',
                        `${CLI_AUTH} redis-cli${cliTls} info replication | grep -Eq '^(role:master|master_link_status:up)'`,
                      ],
                    },
                  }
                : {}),
            },
            resources: c.resources,
            stopGracePeriodSeconds: 30,
          },
          ...(clustered ? [sentinel] : []),
          tlsOn ? { ...metrics.container, trusts: trustInternalCa('redis') } : metrics.container,
        ],
        metrics: metrics.metrics,
        ...(tlsOn
          ? {
              certificates: [
                internalCertificate(
                  clustered ? 'client connections and replication of Redis (internalTls)' : 'client connections to Redis (internalTls)',
                ),
                ...(clustered ? [{ ...internalCertificate('Sentinel (internalTls)', 'sentinel'), name: SENTINEL_CERTIFICATE }] : []),
              ],
            }
          : {}),
        ...(ctx.tls
          ? {
              tls: tlsOn
                ? {
                    ports: clustered ? ['client', 'sentinel'] : ['client'],
                    description: clustered
                      ? "client connections, replication and Sentinel (its port, its links to the members and the other sentinels), TLS only, the internal CA; clients log in as their ACL users, members with the administrator's password, no client certificates"
                      : 'client connections (the internal CA; clients log in as their ACL users, no client certificates)',
                  }
                : {
                    ports: [],
                    plaintextPorts: clustered ? ['client', 'sentinel'] : ['client'],
                    description: 'none while internalTls.plaintext: Redis (and Sentinel) serve one port each, plaintext or TLS',
                  },
            }
          : {}),
        // IAM authentication exists where ElastiCache replaces this spec only: each consumer asking for it is refused elsewhere.
        ...(iam.length > 0
          ? {
              requirements: {
                managed: iam.map((a) => ({
                  path: `${a.configPath ?? `consumers (${a.consumer}).services.redis`}.auth`,
                  message: `consumer ${a.consumer} asks for IAM authentication: ${IAM_AUTH_NEEDS_ELASTICACHE}`,
                })),
              },
            }
          : {}),
        consumers: applications.map((a): ConsumerAccess => ({
          consumer: a.consumer,
          ports: clustered ? ['client', 'sentinel'] : ['client'],
          facts: {
            host: tpl`${hostRef('redis')}`,
            port: '6379',
            ...(tlsOn
              ? {
                  tls: clustered
                    ? "required on the sentinels and the members: verify both against the environment's internal CA (the ca_certificate output)"
                    : "required: verify the server against the environment's internal CA (the ca_certificate output)",
                }
              : {}),
            'key-patterns': a.keys.join(' '),
            ...(clustered ? { mode: 'sentinel', 'sentinel-master': SENTINEL_MASTER, sentinels: sentinelList(c.replicas) } : {}),
          },
          credentials:
            a.auth === 'iam' ? { username: a.consumer } : { username: a.consumer, password: tpl`${secretRef('redis', a.secret)}` },
          grants:
            `ACL user ${a.consumer}: keys and channels ${a.keys.join(' ')}; every command except @dangerous (KEYS, FLUSHALL, CONFIG, ...)${clustered ? '; on the sentinels: find the primary and follow failovers' : ''}` +
            (a.auth === 'iam' ? '; logs in with an ElastiCache IAM token (no password)' : ''),
        })),
        ...(clustered
          ? {
              cluster: {
                // Each member's readiness includes its sentinel seeing a quorum, which needs the others running.
                start: 'together',
                maxUnavailable: 1,
                discovery: `member 0 is the first primary; Sentinel (one per member, quorum ${sentinelQuorum(c.replicas)}) promotes a replica when the primary is down`,
              },
              // Clients ask a sentinel for the primary (get-master-addr-by-name) and reconnect on +switch-master.
              connection: {
                mode: 'sentinel',
                'sentinel-master': SENTINEL_MASTER,
                sentinels: sentinelList(c.replicas),
              },
            }
          : {}),
      },
    ];
  },
});

/**
 * The client port with TLS only (`port 0`: no plaintext listener), the internal CA's certificate and
 * key; clients are not asked for certificates (they log in as ACL users), TLS 1.2 and 1.3 only.
 */
export function redisTls(port = 6379, replication = false): string[] {
  const f = tlsPaths();
  return [
    'port 0',
    `tls-port ${port}`,
    `tls-cert-file ${f.cert}`,
    `tls-key-file ${f.key}`,
    `tls-ca-cert-file ${f.ca}`,
    'tls-auth-clients no',
    'tls-protocols "TLSv1.2 TLSv1.3"',
    // A replica connects to its primary over TLS (verifying it against the CA), and a sentinel to the
    // members and the other sentinels. No client certificate is asked for (tls-auth-clients no):
    // replicas log in with masterauth, sentinels with auth-pass / sentinel-pass, as without TLS.
    ...(replication ? ['tls-replication yes'] : []),
  ];
}

/** Every member's sentinel (`host:port`, comma-separated), for Sentinel-aware clients. */
function sentinelList(replicas: number): Text {
  return joinTemplates(
    Array.from({ length: replicas }, (_, i) => tpl`${peerRef('redis', i)}:${SENTINEL_PORT}`),
    ',',
  );
}
