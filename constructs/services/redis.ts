import { z } from 'zod';
import { formatBinarySize, memoryBytes } from '../spec/quantity';
import { secretRef, selfHost, tpl } from '../spec/template';
import {
  crossCheck,
  defineService,
  identity,
  imageOrVersion,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  secretFile,
  serviceFields,
  shellHealth,
} from './common';
import { exporter } from './sidecars';

export const REDIS_IMAGE = 'redis:7.4.11-alpine';
export const REDIS_EXPORTER_IMAGE = 'oliver006/redis_exporter:v1.93.0-alpine';
const CONFIG = '/usr/local/etc/redis/redis.conf';
/** Included by redis.conf: the password, as `requirepass` (clients) and `masterauth` (replicas). */
const AUTH = '/usr/local/etc/redis/auth.conf';
/** The exporter's password file: a JSON map from the Redis address to its password. */
const EXPORTER_AUTH = '/run/secrets/redis-exporter.json';

export const redisSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /** Memory for the dataset (Redis `maxmemory`); keep 20% of the limit free for AOF rewrites. */
    maxmemory: memoryQuantity,
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
      if (memoryBytes(c.maxmemory) > limit * 0.8) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxmemory'],
          message: `${c.maxmemory} leaves less than 20% of the ${c.resources.limits.memory} memory limit for AOF rewrites and overhead`,
        });
      }
    }),
  );

export const redis = defineService({
  name: 'redis',
  title: 'Redis',
  description: 'Cache, session store and lightweight queues, with AOF persistence and a password.',
  concern: 'data',
  schema: redisSchema,
  build(c, ctx) {
    const config = [
      'bind 0.0.0.0',
      'port 6379',
      'protected-mode yes',
      'dir /data',
      'appendonly yes',
      'appenddirname "appendonlydir"',
      `appendfsync ${c.appendfsync}`,
      'auto-aof-rewrite-percentage 100',
      'auto-aof-rewrite-min-size 64mb',
      'save 3600 1 300 100 60 10000',
      `maxmemory ${formatBinarySize(memoryBytes(c.maxmemory), { k: 'kb', m: 'mb', g: 'gb' })}`,
      `maxmemory-policy ${c.maxmemoryPolicy}`,
      'tcp-keepalive 300',
      'loglevel notice',
      `include ${AUTH}`,
      '',
    ].join('\n');
    const password = secretRef('redis', 'password');
    const metrics = exporter(ctx, {
      image: REDIS_EXPORTER_IMAGE,
      user: '59000:59000',
      port: 9121,
      healthPath: '/health',
      env: { REDIS_ADDR: tpl`redis://${selfHost}:6379`, REDIS_PASSWORD_FILE: EXPORTER_AUTH },
      files: [secretFile(EXPORTER_AUTH, tpl`{"redis://${selfHost}:6379":"${password}"}\n`, { format: 'json' })],
    });
    return [
      {
        ...identity(this, c.replicas),
        managed: 'elasticache-redis',
        secrets: [{ name: 'password', description: 'Redis requirepass', length: 32 }],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'AOF and RDB files', backup: true }],
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(REDIS_IMAGE, c),
            // Runs as the image's redis user so the entrypoint needs no privilege drop.
            user: '999:1000',
            scratchPaths: [],
            args: ['redis-server', CONFIG],
            env: {},
            ports: [port('client', 6379, 'client', 'redis', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/data' }],
            files: [
              { path: CONFIG, content: config, mode: 0o644, format: 'redis.conf' },
              secretFile(AUTH, tpl`requirepass ${password}\nmasterauth ${password}\n`, { format: 'redis.conf' }),
            ],
            health: shellHealth(`REDISCLI_AUTH="$(sed -n 's/^requirepass //p' ${AUTH})" redis-cli ping | grep -q PONG`, {
              startPeriodSeconds: 10,
            }),
            resources: c.resources,
            stopGracePeriodSeconds: 30,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
      },
    ];
  },
});
