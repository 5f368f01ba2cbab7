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
  job,
  resolveImage,
  secretValueFile,
  serviceFields,
} from './common';
import { exporter } from './sidecars';

export const POSTGRES_IMAGE = 'postgres:18.6-alpine';
export const POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1';
const CONFIG = '/etc/postgresql/postgresql.conf';
const HBA = '/etc/postgresql/pg_hba.conf';
/** The server's Unix socket directory, shared with the roles job through the `socket` volume. */
const SOCKET_DIR = '/var/run/postgresql';
/** Applies roles and passwords on every run (the `apply-roles` job), reading the passwords from files. */
export const APPLY_ROLES = '/usr/local/bin/apply-roles.sh';
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
  concern: 'data',
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
      `hba_file = '${HBA}'`,
      "ident_file = '/etc/postgresql/pg_ident.conf'",
      `unix_socket_directories = '${SOCKET_DIR}'`,
      '',
    ].join('\n');
    // Who may connect how. Over the network: passwords only (SCRAM). On the socket (shared only with the
    // roles job): the OS users postgres and root as the database owner, by peer credentials.
    const hba = [
      '# TYPE  DATABASE  USER  ADDRESS    METHOD',
      'local   all       all              peer map=socket',
      'host    all       all   0.0.0.0/0  scram-sha-256',
      'host    all       all   ::/0       scram-sha-256',
      '',
    ].join('\n');
    // postgres: the image's own initialisation; root: the apply-roles job on Docker, which starts as root
    // so that it can delete its secret files when it ends.
    const ident = [
      `# MAP   SYSTEM-USER  DATABASE-USER`,
      `socket  postgres     ${c.username}`,
      `socket  root         ${c.username}`,
      '',
    ].join('\n');
    const owner = secretValueFile('postgres', 'password');
    const exporterPassword = secretValueFile('postgres', 'exporter-password');
    // Runs on every deploy where something it applies changed (and after the server is replaced):
    // creates what is missing and sets every password to the current generated value, so rotating
    // a secret takes effect without touching the data directory.
    const applyRoles = [
      '#!/bin/sh',
      'set -eu',
      `export PGHOST="\${PGHOST:-${SOCKET_DIR}}"`,
      'for attempt in $(seq 1 30); do pg_isready -q && break; sleep 2; done',
      'psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet -v owner="$POSTGRES_USER" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<\'SQL\'',
      '\\set owner_password `cat "$OWNER_PASSWORD_FILE"`',
      '\\set exporter_password `cat "$EXPORTER_PASSWORD_FILE"`',
      'ALTER ROLE :"owner" WITH PASSWORD :\'owner_password\';',
      "SELECT 'CREATE ROLE prometheus_exporter' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'prometheus_exporter')\\gexec",
      "ALTER ROLE prometheus_exporter WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'exporter_password';",
      'GRANT pg_monitor TO prometheus_exporter;',
      'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
      'SQL',
      '',
    ].join('\n');
    const metrics = exporter(ctx, {
      image: POSTGRES_EXPORTER_IMAGE,
      port: 9187,
      env: {
        DATA_SOURCE_URI: tpl`${selfHost}:5432/${c.database}?sslmode=disable`,
        DATA_SOURCE_USER: 'prometheus_exporter',
        DATA_SOURCE_PASS_FILE: exporterPassword.path,
      },
      files: [exporterPassword],
    });
    return [
      {
        ...identity(this, c.replicas),
        managed: 'rds-postgresql',
        secrets: [
          { name: 'password', description: `Password of the "${c.username}" database owner`, length: 32 },
          { name: 'exporter-password', description: 'Password of the prometheus_exporter role (pg_monitor only)', length: 32 },
        ],
        volumes: [
          { name: 'data', size: c.persistence.size, description: 'PostgreSQL cluster (PGDATA)', backup: true },
          { name: 'socket', size: '16Mi', description: 'Unix socket directory, shared with the apply-roles job', backup: false },
        ],
        jobs: [
          job(ctx, {
            name: 'apply-roles',
            description: 'Sets the owner and prometheus_exporter passwords to the current generated values and grants pg_monitor',
            image: resolveImage(POSTGRES_IMAGE, c),
            user: '70:70',
            command: ['/bin/sh', APPLY_ROLES],
            env: {
              POSTGRES_USER: c.username,
              POSTGRES_DB: c.database,
              OWNER_PASSWORD_FILE: owner.path,
              EXPORTER_PASSWORD_FILE: exporterPassword.path,
            },
            files: [{ path: APPLY_ROLES, content: applyRoles, mode: 0o555, format: 'shell' }, owner, exporterPassword],
            mounts: [{ volume: 'socket', path: SOCKET_DIR }],
            applies: [secretRef('postgres', 'password'), secretRef('postgres', 'exporter-password')],
            timeoutSeconds: 300,
          }),
        ],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(POSTGRES_IMAGE, c),
            // The entrypoint prepares the data directory as root and drops to postgres (uid 70).
            user: '70:70',
            startsAsRoot: true,
            args: ['postgres', '-c', `config_file=${CONFIG}`],
            env: {
              POSTGRES_DB: c.database,
              POSTGRES_USER: c.username,
              // No password at initialisation, so none stays in the server's environment: the image
              // insists on a password unless this says trust, but it only writes that into
              // $PGDATA/pg_hba.conf, which the server ignores (hba_file points at our file, which
              // allows no passwordless network login). The apply-roles job sets the password.
              POSTGRES_HOST_AUTH_METHOD: 'trust',
              POSTGRES_INITDB_ARGS: '--data-checksums',
            },
            ports: [port('client', 5432, 'client', 'postgresql', c.hostPorts)],
            mounts: [
              { volume: 'data', path: '/var/lib/postgresql' },
              { volume: 'socket', path: SOCKET_DIR },
            ],
            files: [
              { path: CONFIG, content: config, mode: 0o644, format: 'postgresql.conf' },
              { path: HBA, content: hba, mode: 0o644, format: 'pg_hba.conf' },
              { path: '/etc/postgresql/pg_ident.conf', content: ident, mode: 0o644, format: 'pg_ident.conf' },
            ],
            health: health(['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', c.username, '-d', c.database], {
              startPeriodSeconds: 30,
            }),
            resources: c.resources,
            // PostgreSQL's parallel queries use /dev/shm; Docker's 64 MiB default is too small.
            shmSize: '256Mi',
            stopGracePeriodSeconds: 120,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
      },
    ];
  },
});
