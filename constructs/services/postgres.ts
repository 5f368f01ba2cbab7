import { z } from 'zod';
import { formatBinarySize, memoryBytes } from '../spec/quantity';
import { hostRef, secretRef, selfHost, tpl } from '../spec/template';
import type { ConsumerAccess } from '../spec/types';
import {
  type ConsumerRequest,
  consumerSecret,
  consumersOf,
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
  secretValuePath,
  serviceFields,
  underscored,
  internalCertificate,
  trustInternalCa,
  tlsPaths,
} from './common';
import { exporter } from './sidecars';
import { backupPlan, dumpStep, withBackup } from './backup';
import { readFileSync } from 'node:fs';
import { namesOf, serviceUp } from './signals';
import type { AlertRule, Panel, Signal } from '../spec/types';

export const POSTGRES_IMAGE = 'postgres:18.6-alpine';
export const POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1';
const CONFIG = '/etc/postgresql/postgresql.conf';
const HBA = '/etc/postgresql/pg_hba.conf';
/** The server's Unix socket directory, shared with the roles job through the `socket` volume. */
const SOCKET_DIR = '/var/run/postgresql';
/** Applies roles and passwords on every run (the `apply-roles` job), reading the passwords from files. */
export const APPLY_ROLES = '/usr/local/bin/apply-roles.sh';
/** The backup's dump step: pg_dumpall --globals-only and pg_dump -Fc of every database. */
export const POSTGRES_DUMP = '/usr/local/bin/postgres-dump.sh';
const postgresDumpScript = readFileSync(new URL('./scripts/postgres-dump.sh', import.meta.url), 'utf8');
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

/** What a consumer may ask for: its own database (its role is named after it and owns it). */
export const postgresAccess = z.strictObject({
  /** The application's database, owned by its role. @default the consumer's name, hyphens as underscores */
  database: identifier.optional(),
  /**
   * How its role logs in: `password` (generated, in its credentials Secret), or `iam` (RDS IAM
   * database authentication: no password; the application signs a 15-minute token with its Pod
   * Identity role). `iam` only where PostgreSQL is RDS (an AWS target with
   * `target.managed.postgres.mode: 'managed'`); switching is a two-step change (docs/operations.md).
   * @default 'password'
   */
  auth: z.enum(['password', 'iam']).default('password'),
});

/** How a consumer's role logs in (`postgresAccess.auth`). */
export type PostgresAuth = z.output<typeof postgresAccess>['auth'];

/** Where IAM database authentication exists, for the messages that refuse it elsewhere. */
export const IAM_AUTH_NEEDS_RDS =
  "IAM database authentication is RDS's: it needs an AWS target with target.managed.postgres: { mode: 'managed' }; use auth: 'password' here";

/** A consumer's role and database, and the secret with the role's password. */
export interface PostgresApplication {
  readonly consumer: string;
  readonly role: string;
  readonly database: string;
  /** How the role logs in: with the generated password, or with an RDS IAM token (no password exists then). */
  readonly auth: PostgresAuth;
  /** The generated password's secret (audience `application`); declared by the spec for `password` roles only. */
  readonly secret: string;
  /** Where the consumer's access is declared in the environment file (`consumers[1].services.postgres`), for messages. */
  readonly configPath?: string;
}

function applicationsOf(consumers: readonly ConsumerRequest<z.output<typeof postgresAccess>>[]): PostgresApplication[] {
  return consumers.map((c) => ({
    consumer: c.name,
    role: underscored(c.name),
    database: c.access.database ?? underscored(c.name),
    auth: c.access.auth,
    secret: consumerSecret(c.name, 'password'),
    ...(c.configPath ? { configPath: c.configPath } : {}),
  }));
}

/** The applications whose roles log in with a password (every one, unless some use IAM on RDS). */
export const passwordApplications = (apps: readonly PostgresApplication[]) => apps.filter((a) => a.auth === 'password');

/** Names the platform's own roles and databases take. */
const reservedNames = (c: { database: string; username: string }) => [
  c.username,
  c.database,
  'postgres',
  'prometheus_exporter',
  'template0',
  'template1',
];

/**
 * What PostgreSQL's realizations know beyond the spec: the database and its owner, the major
 * version, and the tuning (as postgresql.conf values, and as plain numbers for services that take
 * other units).
 */
/**
 * PostgreSQL's signals in postgres_exporter's names (the exporter sidecar): each server up, backends
 * against max_connections, replication lag. CloudNativePG's instances record the same signals in
 * their own `cnpg_*` names (constructs/targets/kubernetes/postgres.ts), RDS through CloudWatch.
 */
export function postgresExporterSignals(): Signal[] {
  const s = 'service="postgres"';
  const at = 'instance="postgres-exporter:9187"';
  return [
    serviceUp('postgres', `max by (service, instance) (pg_up{${s}})`, { [`pg_up{${s},${at}}`]: 1 }),
    {
      record: 'platform:postgres_connections:ratio',
      expr: `sum by (service, instance) (pg_stat_database_numbackends{${s}}) / on (service, instance) max by (service, instance) (pg_settings_max_connections{${s}})`,
      example: {
        series: {
          [`pg_stat_database_numbackends{${s},${at},datname="platform"}`]: 60,
          [`pg_stat_database_numbackends{${s},${at},datname="postgres"}`]: 20,
          [`pg_settings_max_connections{${s},${at}}`]: 100,
        },
        service: 'postgres',
        value: 0.8,
      },
    },
    {
      record: 'platform:postgres_replication_lag:seconds',
      expr: `max by (service, instance) (pg_replication_lag_seconds{${s}})`,
      example: { series: { [`pg_replication_lag_seconds{${s},${at}}`]: 4 }, service: 'postgres', value: 4 },
    },
  ];
}

/** PostgreSQL's alerts, on its signals (the same wherever it runs). */
export const POSTGRES_ALERTS: readonly AlertRule[] = [
  {
    name: 'PostgresConnectionsNearMax',
    expr: 'platform:postgres_connections:ratio > 0.8',
    for: '10m',
    severity: 'warning',
    summary: 'PostgreSQL {{ $labels.instance }} uses more than 80% of max_connections',
    description: 'Backends are close to max_connections: new connections will be refused (applications see "too many clients").',
    test: {
      firing: {
        series: { 'platform:postgres_connections:ratio{service="postgres",instance="postgres-1"}': 0.9 },
        labels: { service: 'postgres', instance: 'postgres-1' },
      },
      healthy: { 'platform:postgres_connections:ratio{service="postgres",instance="postgres-1"}': 0.3 },
    },
  },
  {
    name: 'PostgresReplicationLag',
    expr: 'platform:postgres_replication_lag:seconds > 30',
    for: '5m',
    severity: 'warning',
    summary: 'PostgreSQL replica {{ $labels.instance }} lags more than 30 s behind',
    description:
      'A replica replays WAL more than 30 s behind the primary: a failover now would lose those writes, and reads from it are stale.',
    test: {
      firing: {
        series: { 'platform:postgres_replication_lag:seconds{service="postgres",instance="postgres-2"}': 120 },
        labels: { service: 'postgres', instance: 'postgres-2' },
      },
      healthy: { 'platform:postgres_replication_lag:seconds{service="postgres",instance="postgres-2"}': 0.5 },
    },
  },
];

export const POSTGRES_PANELS: readonly Panel[] = [
  { title: 'Connections of max_connections', expr: 'platform:postgres_connections:ratio', unit: 'percentunit', legend: '{{instance}}' },
  { title: 'Replication lag', expr: 'platform:postgres_replication_lag:seconds', unit: 's', legend: '{{instance}}' },
];

export interface PostgresFacet {
  readonly database: string;
  readonly owner: string;
  /** The image tag's major version (`18`); absent when the image is pinned by digest alone. */
  readonly majorVersion: string | undefined;
  /** Tuning parameters any PostgreSQL server takes, with postgresql.conf values (`256MB`, `scram-sha-256`). */
  readonly parameters: Readonly<Record<string, string>>;
  /** The applications' roles and databases (one each; the role owns its database and reaches no other). */
  readonly applications: readonly PostgresApplication[];
  /**
   * When an operator's physical backups run (CloudNativePG's daily base backup; WAL is archived
   * continuously): minutes after midnight UTC, the environment's backup window. Absent when backups are off.
   */
  readonly baseBackupMinute?: number;
  readonly tuning: {
    readonly maxConnections: number;
    readonly sharedBuffersBytes: number;
    readonly effectiveCacheSizeBytes: number;
    readonly workMemBytes: number;
    readonly maintenanceWorkMemBytes: number;
    readonly logMinDurationStatementMs: number;
  };
}

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'postgres',
  title: 'PostgreSQL',
  description: 'Primary relational database, with a generated password and tuning from the environment.',
  concern: 'data',
} as const;

export const postgres = defineService({
  ...SERVICE,
  schema: postgresSchema,
  consumerAccess: postgresAccess,
  consumerIssues(c, consumers) {
    const apps = applicationsOf(consumers.map((x) => ({ name: x.name, access: postgresAccess.parse(x.access) })));
    const taken = reservedNames(c);
    return apps.flatMap((a) => {
      const clash = [a.role, a.database].find((n) => taken.includes(n));
      const twice = apps.some((o) => o !== a && o.database === a.database);
      return [
        ...(clash
          ? [{ consumer: a.consumer, message: `"${clash}" is a PostgreSQL name the platform uses itself; name the database otherwise` }]
          : []),
        ...(twice ? [{ consumer: a.consumer, message: `database "${a.database}" is asked for by two consumers; each has its own` }] : []),
      ];
    });
  },
  build(c, ctx) {
    const apps = applicationsOf(consumersOf(ctx, postgresAccess));
    // The roles with a generated password: every one where PostgreSQL runs as this container or in a
    // cluster (IAM roles are RDS's, and the checks refuse them elsewhere: `requirements.managed`).
    const withPassword = passwordApplications(apps);
    const iam = apps.filter((a) => a.auth === 'iam');
    const t = c.tuning;
    // Every setting in postgresql.conf order; `layout` ones describe this container (addresses,
    // files, sockets, logging to stderr), the rest tune any PostgreSQL server and are the facet's
    // parameters (an operator or a managed service applies them its own way).
    const settings: { key: string; value: string; layout?: true }[] = [
      { key: 'listen_addresses', value: "'*'", layout: true },
      { key: 'port', value: '5432', layout: true },
      { key: 'max_connections', value: String(t.maxConnections) },
      { key: 'shared_buffers', value: pgSize(t.sharedBuffers) },
      { key: 'effective_cache_size', value: pgSize(t.effectiveCacheSize) },
      { key: 'work_mem', value: pgSize(t.workMem) },
      { key: 'maintenance_work_mem', value: pgSize(t.maintenanceWorkMem) },
      { key: 'password_encryption', value: "'scram-sha-256'" },
      { key: 'wal_level', value: 'replica', layout: true },
      { key: 'max_wal_size', value: '1GB' },
      { key: 'min_wal_size', value: '80MB' },
      { key: 'checkpoint_completion_target', value: '0.9' },
      { key: 'shared_preload_libraries', value: "'pg_stat_statements'", layout: true },
      { key: 'log_destination', value: "'stderr'", layout: true },
      { key: 'logging_collector', value: 'off', layout: true },
      { key: 'log_min_duration_statement', value: String(t.logMinDurationStatementMs) },
      { key: 'log_line_prefix', value: "'%m [%p] %q%u@%d '", layout: true },
      { key: 'timezone', value: "'UTC'" },
      { key: 'hba_file', value: `'${HBA}'`, layout: true },
      { key: 'ident_file', value: "'/etc/postgresql/pg_ident.conf'", layout: true },
      { key: 'unix_socket_directories', value: `'${SOCKET_DIR}'`, layout: true },
      // Internal TLS: the server's certificate from the internal CA; the key is the copy the start
      // command makes for the postgres user (PostgreSQL refuses a key others may read).
      ...(ctx.tls
        ? [
            { key: 'ssl', value: 'on', layout: true as const },
            { key: 'ssl_cert_file', value: `'${tlsPaths().cert}'`, layout: true as const },
            { key: 'ssl_key_file', value: `'${TLS_KEY_COPY}'`, layout: true as const },
            { key: 'ssl_ca_file', value: `'${tlsPaths().ca}'`, layout: true as const },
            { key: 'ssl_min_protocol_version', value: "'TLSv1.2'", layout: true as const },
          ]
        : []),
    ];
    const config = [...settings.map((x) => `${x.key} = ${x.value}`), ''].join('\n');
    const image = resolveImage(POSTGRES_IMAGE, c);
    const facet: PostgresFacet = {
      database: c.database,
      owner: c.username,
      majorVersion: /^(\d+)/.exec(image.tag ?? '')?.[1],
      applications: apps,
      ...(ctx.backups ? { baseBackupMinute: ctx.backups.windowMinute } : {}),
      parameters: Object.fromEntries(settings.filter((x) => !x.layout).map((x) => [x.key, x.value.replace(/^'(.*)'$/, '$1')])),
      tuning: {
        maxConnections: t.maxConnections,
        sharedBuffersBytes: memoryBytes(t.sharedBuffers),
        effectiveCacheSizeBytes: memoryBytes(t.effectiveCacheSize),
        workMemBytes: memoryBytes(t.workMem),
        maintenanceWorkMemBytes: memoryBytes(t.maintenanceWorkMem),
        logMinDurationStatementMs: t.logMinDurationStatementMs,
      },
    };
    // Who may connect how. Over the network: passwords only (SCRAM). On the socket (shared only with the
    // roles job): the OS users postgres and root as the database owner, by peer credentials.
    // An application's role reaches its own database only (the first matching line decides).
    // With internal TLS, network connections must use it (hostssl) unless plaintext is kept for the move.
    const network = ctx.tls && !ctx.tls.plaintext ? 'hostssl' : 'host';
    const hba = [
      '# TYPE  DATABASE  USER  ADDRESS    METHOD',
      'local   all       all              peer map=socket',
      ...applicationHba(withPassword, 'all', network),
      `${network.padEnd(7)} all       all   0.0.0.0/0  scram-sha-256`,
      `${network.padEnd(7)} all       all   ::/0       scram-sha-256`,
      '',
    ].join('\n');
    // postgres: the image's own initialisation and the apply-roles job, which runs as postgres too.
    const ident = [`# MAP   SYSTEM-USER  DATABASE-USER`, `socket  postgres     ${c.username}`, ''].join('\n');
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
      // Each application: a login role without privileges, owning its database, which nobody else may
      // connect to (pg_hba.conf keeps the role out of every other database).
      ...withPassword.flatMap((a, i) => [
        `\\set app_password_${i} \`cat ${secretValuePath('postgres', a.secret)}\``,
        `SELECT 'CREATE ROLE "${a.role}"' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${a.role}')\\gexec`,
        `ALTER ROLE "${a.role}" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password_${i}';`,
        `SELECT 'CREATE DATABASE "${a.database}" OWNER "${a.role}"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${a.database}')\\gexec`,
        `REVOKE CONNECT, TEMPORARY ON DATABASE "${a.database}" FROM PUBLIC;`,
        `GRANT CONNECT, TEMPORARY ON DATABASE "${a.database}" TO "${a.role}";`,
      ]),
      'SQL',
      '',
    ].join('\n');
    const appPasswords = withPassword.map((a) => secretValueFile('postgres', a.secret));
    const metrics = exporter(ctx, {
      image: POSTGRES_EXPORTER_IMAGE,
      port: 9187,
      env: {
        // With internal TLS the exporter verifies the server's certificate (its name) against the CA.
        DATA_SOURCE_URI: ctx.tls
          ? tpl`${selfHost}:5432/${c.database}?sslmode=verify-full&sslrootcert=${tlsPaths().ca}`
          : tpl`${selfHost}:5432/${c.database}?sslmode=disable`,
        DATA_SOURCE_USER: 'prometheus_exporter',
        DATA_SOURCE_PASS_FILE: exporterPassword.path,
      },
      files: [exporterPassword],
      names: namesOf('postgres_exporter', POSTGRES_EXPORTER_IMAGE),
      signals: postgresExporterSignals(),
      alerts: POSTGRES_ALERTS,
      panels: POSTGRES_PANELS,
    });
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet,
        managed: 'rds-postgresql',
        secrets: [
          { name: 'password', description: `Password of the "${c.username}" database owner`, length: 32 },
          { name: 'exporter-password', description: 'Password of the prometheus_exporter role (pg_monitor only)', length: 32 },
          ...withPassword.map((a) => ({
            name: a.secret,
            description: `Password of the "${a.role}" role (consumer ${a.consumer}: owns database ${a.database}, reaches no other)`,
            length: 32,
            audience: 'application' as const,
          })),
        ],
        volumes: [
          { name: 'data', size: c.persistence.size, description: 'PostgreSQL cluster (PGDATA)', backup: true },
          { name: 'socket', size: '16Mi', description: 'Unix socket directory, shared with the apply-roles job', backup: false },
        ],
        ...withBackup(
          backupPlan(ctx.backups, {
            service: 'postgres',
            method: 'logical-dump',
            description:
              'every database with pg_dump (custom format, one consistent snapshot each) and the roles with pg_dumpall --globals-only',
            volumes: ['data'],
            consistency: 'online',
            gaps: "on Kubernetes (CloudNativePG) the dump does not run: where the cluster has a store for backups (the platform's object store, or S3 on AWS) the Barman Cloud plugin archives WAL continuously (RPO at most CloudNativePG's 5-minute archive_timeout) and takes a base backup daily, kept as a recovery window of the retention's daily days, so no weekly or monthly copies are kept there; without such a store nothing copies it",
            dump: dumpStep(ctx.jobResources, {
              description: 'Dumps the roles (pg_dumpall --globals-only) and every database (pg_dump -Fc), checked with pg_restore --list',
              image,
              user: '70:70',
              command: ['/bin/sh', POSTGRES_DUMP],
              env: {
                PGHOST: tpl`${hostRef('postgres')}`,
                POSTGRES_USER: c.username,
                POSTGRES_DB: c.database,
                OWNER_PASSWORD_FILE: owner.path,
                // Internal TLS: libpq verifies the server against the CA and by name (pg_hba admits hostssl only).
                ...(ctx.tls ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: tlsPaths().ca } : {}),
              },
              files: [{ path: POSTGRES_DUMP, content: postgresDumpScript, mode: 0o555, format: 'shell' }, owner],
              ...(ctx.tls ? { trusts: trustInternalCa('postgres') } : {}),
              timeoutSeconds: 3600,
            }),
          }),
        ),
        jobs: [
          job(ctx, {
            name: 'apply-roles',
            description:
              "Sets the owner's, prometheus_exporter's and the applications' passwords to the current generated values, grants pg_monitor, creates each application's database",
            image,
            user: '70:70',
            command: ['/bin/sh', APPLY_ROLES],
            env: {
              POSTGRES_USER: c.username,
              POSTGRES_DB: c.database,
              OWNER_PASSWORD_FILE: owner.path,
              EXPORTER_PASSWORD_FILE: exporterPassword.path,
            },
            files: [{ path: APPLY_ROLES, content: applyRoles, mode: 0o555, format: 'shell' }, owner, exporterPassword, ...appPasswords],
            mounts: [{ volume: 'socket', path: SOCKET_DIR }],
            applies: [
              secretRef('postgres', 'password'),
              secretRef('postgres', 'exporter-password'),
              ...withPassword.map((a) => secretRef('postgres', a.secret)),
            ],
            timeoutSeconds: 300,
          }),
        ],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image,
            // The entrypoint prepares the data directory as root and drops to postgres (uid 70).
            user: '70:70',
            startsAsRoot: "the image's entrypoint prepares the data directory as root and drops to the postgres user (70)",
            args: ctx.tls ? tlsStartCommand(['postgres', '-c', `config_file=${CONFIG}`]) : ['postgres', '-c', `config_file=${CONFIG}`],
            ...(ctx.tls ? { trusts: trustInternalCa('postgres') } : {}),
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
          ctx.tls ? { ...metrics.container, trusts: trustInternalCa('postgres') } : metrics.container,
        ],
        metrics: metrics.metrics,
        ...(ctx.tls
          ? {
              certificates: [internalCertificate('client connections to PostgreSQL over the network (internalTls)')],
              tls: {
                ports: ['client'],
                ...(ctx.tls.plaintext ? { plaintextPorts: ['client'] } : {}),
                description: 'client connections over the network (hostssl); the socket the roles job uses stays local',
              },
            }
          : {}),
        // IAM authentication exists where RDS replaces this spec only: each consumer asking for it is refused elsewhere.
        ...(iam.length > 0
          ? {
              requirements: {
                managed: iam.map((a) => ({
                  path: `${a.configPath ?? `consumers (${a.consumer}).services.postgres`}.auth`,
                  message: `consumer ${a.consumer} asks for IAM authentication: ${IAM_AUTH_NEEDS_RDS}`,
                })),
              },
            }
          : {}),
        consumers: apps.map((a): ConsumerAccess => ({
          consumer: a.consumer,
          ports: ['client'],
          facts: {
            host: tpl`${hostRef('postgres')}`,
            port: '5432',
            database: a.database,
            // verify-full: the server's certificate, issued by the internal CA, names the host.
            sslmode: ctx.tls ? 'verify-full' : 'disable',
            ...(ctx.tls ? { sslrootcert: "the environment's internal CA (the ca_certificate output)" } : {}),
          },
          credentials: a.auth === 'iam' ? { username: a.role } : { username: a.role, password: tpl`${secretRef('postgres', a.secret)}` },
          grants:
            `role ${a.role}: owns database ${a.database} (create, read, write); may connect to no other database` +
            (a.auth === 'iam' ? '; logs in with an RDS IAM token (no password)' : ''),
        })),
      },
    ];
  },
});

/** pg_hba.conf lines keeping each application's role in its own database (`address`: `all` or a CIDR). */
export function applicationHba(apps: readonly PostgresApplication[], address: string, type: 'host' | 'hostssl' = 'host'): string[] {
  const t = type.padEnd(7);
  return apps.flatMap((a) => [`${t} ${a.database}  ${a.role}  ${address}  scram-sha-256`, `${t} all  ${a.role}  ${address}  reject`]);
}

/**
 * Where the start command copies the server's TLS key for the postgres user (0600): the uploaded
 * key is root's (0440), which the server, dropped to postgres by the image's entrypoint, cannot read,
 * and PostgreSQL refuses a key that others may read. Outside the volumes, so no other container sees it.
 */
export const TLS_KEY_COPY = '/run/postgresql-tls/tls.key';

/** The start command with internal TLS: the key copied for postgres, then the image's entrypoint as usual. */
export function tlsStartCommand(args: readonly string[]): string[] {
  const dir = TLS_KEY_COPY.slice(0, TLS_KEY_COPY.lastIndexOf('/'));
  return [
    'sh',
    '-c',
    `install -d -o postgres -g postgres -m 0700 ${dir} && install -o postgres -g postgres -m 0600 ${tlsPaths().key} ${TLS_KEY_COPY} && exec docker-entrypoint.sh ${args.join(' ')}`,
  ];
}

/**
 * The script of the job that applies the applications' roles and databases on a PostgreSQL the
 * platform does not run itself (a managed one: RDS), as its master user, who is no superuser there
 * (RDS: a member of rds_superuser, with CREATEROLE and CREATEDB). Idempotent, run on every change:
 * creates a missing role (CREATE ROLE's defaults: no superuser, replication or RLS bypass, which a
 * non-superuser may not even name) and sets its current password; creates its database owned by it;
 * only the role may connect to its database, and nobody but the master to the master's own.
 * No pg_hba.conf to keep roles out there: the CONNECT privilege is the fence.
 *
 * A role with IAM authentication (`auth: 'iam'`) gets no password: `PASSWORD NULL` clears the one it
 * had (a role switched from passwords can no longer log in with it), and `GRANT rds_iam` makes RDS
 * accept only IAM tokens for it ("a specific user can log in to a database using only one
 * authentication method", RDS user guide, "Database authentication with Amazon RDS"). A role back on
 * passwords loses rds_iam (the master's grant of it) and gets its generated password again.
 *
 * Reads: the master's user name and password from `$MASTER_DIR/{username,password}`, each password
 * role's password from `$INPUTS_DIR/<consumer>`; PGHOST, PGPORT, PGDATABASE (the master's database)
 * and PGSSLMODE from the environment.
 */
export function managedRolesScript(apps: readonly PostgresApplication[]): string {
  const member = (role: string) =>
    `EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = 'rds_iam' AND u.rolname = '${role}')`;
  const login = (a: PostgresApplication, i: number) =>
    a.auth === 'iam'
      ? [
          `ALTER ROLE "${a.role}" WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL;`,
          // RDS's role for IAM authentication: from now on the role logs in with an IAM token only.
          `GRANT rds_iam TO "${a.role}";`,
        ]
      : [
          `\\set app_password_${i} \`cat "$INPUTS_DIR/${a.consumer}"\``,
          // Back from IAM authentication: without rds_iam, RDS takes the password again.
          `SELECT format('REVOKE rds_iam FROM %I', '${a.role}') WHERE ${member(a.role)}\\gexec`,
          `ALTER ROLE "${a.role}" WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD :'app_password_${i}';`,
        ];
  const lines = apps.flatMap((a, i) => [
    `-- ${a.consumer}: role ${a.role}, database ${a.database}${a.auth === 'iam' ? ', IAM authentication' : ''}`,
    `SELECT 'CREATE ROLE "${a.role}" LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${a.role}')\\gexec`,
    ...login(a, i),
    // The master owns no role's objects; membership lets it create the database owned by the role.
    `GRANT "${a.role}" TO CURRENT_USER;`,
    `SELECT 'CREATE DATABASE "${a.database}" OWNER "${a.role}"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${a.database}')\\gexec`,
    `ALTER DATABASE "${a.database}" OWNER TO "${a.role}";`,
    `REVOKE CONNECT, TEMPORARY ON DATABASE "${a.database}" FROM PUBLIC;`,
    `GRANT CONNECT, TEMPORARY ON DATABASE "${a.database}" TO "${a.role}";`,
  ]);
  return [
    '#!/bin/sh',
    'set -eu',
    'PGUSER=$(cat "$MASTER_DIR/username")',
    'PGPASSWORD=$(cat "$MASTER_DIR/password")',
    'export PGUSER PGPASSWORD',
    'for attempt in $(seq 1 60); do pg_isready -q && break; sleep 5; done',
    "psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet <<'SQL'",
    ...lines,
    "-- The master's own database: the master only.",
    "SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database())\\gexec",
    'SQL',
    'echo "roles applied: ' + apps.map((a) => a.role).join(' ') + '"',
    '',
  ].join('\n');
}
