import { z } from 'zod';
import { formatBinarySize, memoryBytes } from '../spec/quantity';
import { secretRef, selfHost, tpl } from '../spec/template';
import {
  crossCheck,
  defineService,
  health,
  identity,
  imageOrVersion,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  serviceFields,
} from './common';
import { exporter } from './sidecars';

export const POSTGRES_IMAGE = 'postgres:15.15-alpine';
const CONFIG = '/etc/postgresql/postgresql.conf';
const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier');

export const postgresSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /** Database created at first start. @default 'platform' */
    database: identifier.default('platform'),
    /** Owner of that database; its password is generated. @default 'platform' */
    username: identifier.refine((u) => u !== 'postgres', 'the superuser name is not an application user').default('platform'),
    tuning: z.strictObject({
      /** `shared_buffers`; about 25% of the memory limit. */
      sharedBuffers: memoryQuantity,
      /** `effective_cache_size`; planner hint, about 50-75% of the memory limit. */
      effectiveCacheSize: memoryQuantity,
      /** `max_connections`. */
      maxConnections: z.number().int().min(10).max(5000),
      /** `work_mem` per sort/hash node. @default '4Mi' */
      workMem: memoryQuantity.default('4Mi'),
      /** `maintenance_work_mem`. @default '64Mi' */
      maintenanceWorkMem: memoryQuantity.default('64Mi'),
      /** Log statements slower than this many milliseconds; -1 disables. @default 1000 */
      logMinDurationStatementMs: z.number().int().min(-1).default(1000),
    }),
  })
  .superRefine(imageOrVersion)
  .superRefine(
    crossCheck((c, ctx) => {
      const limit = memoryBytes(c.resources.limits.memory);
      if (memoryBytes(c.tuning.sharedBuffers) > limit * 0.4) {
        ctx.addIssue({
          code: 'custom',
          path: ['tuning', 'sharedBuffers'],
          message: `${c.tuning.sharedBuffers} is more than 40% of the ${c.resources.limits.memory} memory limit`,
        });
      }
      if (memoryBytes(c.tuning.effectiveCacheSize) > limit) {
        ctx.addIssue({
          code: 'custom',
          path: ['tuning', 'effectiveCacheSize'],
          message: `${c.tuning.effectiveCacheSize} exceeds the ${c.resources.limits.memory} memory limit`,
        });
      }
    }),
  );

const pgSize = (q: string) => formatBinarySize(memoryBytes(q), { k: 'kB', m: 'MB', g: 'GB' });

export const postgres = defineService({
  name: 'postgres',
  title: 'PostgreSQL',
  description: 'Primary relational database, with a generated password and tuning from the environment.',
  schema: postgresSchema,
  build(c, ctx) {
    const t = c.tuning;
    const config = [
      "listen_addresses = '*'",
      'port = 5432',
      `max_connections = ${t.maxConnections}`,
      `shared_buffers = ${pgSize(t.sharedBuffers)}`,
      `effective_cache_size = ${pgSize(t.effectiveCacheSize)}`,
      `work_mem = ${pgSize(t.workMem)}`,
      `maintenance_work_mem = ${pgSize(t.maintenanceWorkMem)}`,
      "password_encryption = 'scram-sha-256'",
      'wal_level = replica',
      'max_wal_size = 1GB',
      'min_wal_size = 80MB',
      'checkpoint_completion_target = 0.9',
      "shared_preload_libraries = 'pg_stat_statements'",
      "log_destination = 'stderr'",
      'logging_collector = off',
      `log_min_duration_statement = ${t.logMinDurationStatementMs}`,
      "log_line_prefix = '%m [%p] %q%u@%d '",
      "timezone = 'UTC'",
      '',
    ].join('\n');
    const password = tpl`${secretRef('postgres', 'password')}`;
    const exporterPassword = tpl`${secretRef('postgres', 'exporter-password')}`;
    // Runs once, when the data directory is initialised: a least-privilege monitoring role
    // (pg_monitor) for the exporter, and the statistics extension it reads.
    const initMonitoring = [
      '#!/bin/sh',
      'set -eu',
      'psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL',
      "CREATE ROLE prometheus_exporter LOGIN PASSWORD '$EXPORTER_PASSWORD';",
      'GRANT pg_monitor TO prometheus_exporter;',
      'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
      'SQL',
      '',
    ].join('\n');
    const metrics = exporter(ctx, {
      image: 'quay.io/prometheuscommunity/postgres-exporter:v0.16.0',
      port: 9187,
      env: {
        DATA_SOURCE_URI: tpl`${selfHost}:5432/${c.database}?sslmode=disable`,
        DATA_SOURCE_USER: 'prometheus_exporter',
        DATA_SOURCE_PASS: exporterPassword,
      },
    });
    return [
      {
        ...identity(this, c.replicas),
        managed: 'rds-postgresql',
        secrets: [
          { name: 'password', description: `Password of the "${c.username}" database owner`, length: 32 },
          { name: 'exporter-password', description: 'Password of the prometheus_exporter role (pg_monitor only)', length: 32 },
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'PostgreSQL cluster (PGDATA)', backup: true }],
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(POSTGRES_IMAGE, c),
            args: ['postgres', '-c', `config_file=${CONFIG}`],
            env: {
              POSTGRES_DB: c.database,
              POSTGRES_USER: c.username,
              POSTGRES_PASSWORD: password,
              EXPORTER_PASSWORD: exporterPassword,
              POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256',
              POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256 --data-checksums',
              PGDATA: '/var/lib/postgresql/data/pgdata',
            },
            ports: [port('client', 5432, 'client', 'postgresql', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/var/lib/postgresql/data' }],
            files: [
              { path: CONFIG, content: config, mode: 0o644, format: 'postgresql.conf' },
              { path: '/docker-entrypoint-initdb.d/10-monitoring.sh', content: initMonitoring, mode: 0o755, format: 'shell' },
            ],
            health: health(['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', c.username, '-d', c.database], {
              startPeriodSeconds: 30,
            }),
            resources: c.resources,
            stopGracePeriodSeconds: 120,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
      },
    ];
  },
});
