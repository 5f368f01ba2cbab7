import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { hostRef, memberName, peerRef, secretRef, selfHost, tpl } from '../spec/template';
import type { ConfigFile, ConsumerAccess, Text } from '../spec/types';
import {
  consumerSecret,
  consumersOf,
  crossCheck,
  NO_FACET,
  defineService,
  httpHealth,
  identity,
  imageOrVersion,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  joinTemplates,
  secretFile,
  secretValueFile,
  secretValuePath,
  serviceFields,
  internalCertificate,
  startWithCertificateReload,
  trustInternalCa,
  tlsPaths,
} from './common';
import { exporter } from './sidecars';
import { BACKUP_DIR, backupPlan, dumpStep, withBackup } from './backup';
import { readFileSync } from 'node:fs';
import { pinned } from '../spec/image';
import { membersUp, namesOf, serviceUp } from './signals';

export const NATS_IMAGE = 'nats:2.14.7-alpine';
export const NATS_EXPORTER_IMAGE = 'natsio/prometheus-nats-exporter:0.20.1';
/**
 * Runs the streams' backup (nats-backup.mjs, a client of the JetStream API with no dependency): the
 * Node.js LTS line's official Alpine image.
 */
export const NODE_IMAGE = 'node:24.21.0-alpine';
/** The JetStream backup and restore client (snapshots through `$JS.API.STREAM.SNAPSHOT` / `RESTORE`). */
export const NATS_BACKUP = '/usr/local/bin/nats-backup.mjs';
const natsBackupScript = readFileSync(new URL('./scripts/nats-backup.mjs', import.meta.url), 'utf8');
const CONFIG = '/etc/nats/nats-server.conf';
/** Included by the config (paths are relative to it); holds only the bcrypt hash of the password. */
const AUTH = '/etc/nats/auth.conf';
/** Included in the cluster block: the routes' credentials (the hash that admits, the password that connects). */
const ROUTES = '/etc/nats/routes.conf';

/** Streams that survive the loss of one server: R3 where there are three servers or more. */
export function streamReplicas(servers: number): number {
  return Math.min(servers, 3);
}

export const natsSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    jetstream: z.strictObject({
      /** Memory available to in-memory streams. */
      maxMemory: memoryQuantity,
      /**
       * Disk available to file streams; must fit in the data volume.
       * @default 90% of persistence.size
       */
      maxFile: memoryQuantity.optional(),
    }),
    /** Largest message accepted, in bytes. @default 1048576 (1 MiB, the NATS default) */
    maxPayload: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .superRefine(imageOrVersion)
  .superRefine(
    crossCheck((c, ctx) => {
      if (c.jetstream.maxFile && memoryBytes(c.jetstream.maxFile) > memoryBytes(c.persistence.size)) {
        ctx.addIssue({
          code: 'custom',
          path: ['jetstream', 'maxFile'],
          message: `${c.jetstream.maxFile} does not fit in the ${c.persistence.size} data volume`,
        });
      }
      if (memoryBytes(c.jetstream.maxMemory) >= memoryBytes(c.resources.limits.memory)) {
        ctx.addIssue({
          code: 'custom',
          path: ['jetstream', 'maxMemory'],
          message: `must stay below the memory limit ${c.resources.limits.memory}`,
        });
      }
    }),
  );

/** A subject with NATS wildcards (`*` one token, `>` the rest), e.g. `orders.>`. */
const subject = z
  .string()
  .regex(
    /^(?:[^\s.*>$]+|\*)(?:\.(?:[^\s.*>]+|\*))*(?:\.>)?$|^>$/,
    'must be a NATS subject such as orders.> or orders.*.created (no spaces; > only last)',
  )
  .refine((x) => x !== '>', 'must not be every subject (>)');
/** A JetStream stream name (no spaces, dots, wildcards or path separators). */
const streamName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a stream name: letters, digits, _ and -');

/** What a consumer may ask for: the subjects it publishes and subscribes to, and its JetStream streams. */
export const natsAccess = z.strictObject({
  /** Subjects it may publish and subscribe to (plus replies to requests it receives, and its own _INBOX). @default ['<name>.>'] */
  subjects: z.array(subject).min(1).optional(),
  /**
   * JetStream streams it may create, use and delete, by name (their API subjects only; NATS cannot
   * grant by a name prefix). @default [] (no JetStream)
   */
  streams: z.array(streamName).default([]),
});

/** The JetStream API subjects that manage and read one stream and its consumers (publish side). */
export function streamApiSubjects(stream: string): string[] {
  return [
    `$JS.API.STREAM.*.${stream}`,
    `$JS.API.STREAM.MSG.*.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.*.${stream}`,
    `$JS.API.CONSUMER.*.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.ACK.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/** An application's entry in the users array: its bcrypt-hashed password and subject permissions. */
function natsUser(name: string, password: ReturnType<typeof secretRef>, subjects: readonly string[], streams: readonly string[]): Text {
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const publish = [...subjects, ...(streams.length ? ['$JS.API.INFO', ...streams.flatMap(streamApiSubjects)] : [])];
  const subscribe = [...subjects, '_INBOX.>'];
  return tpl`    {user: "${name}", password: "${{ ...password, form: 'bcrypt' }}", permissions: {publish: {allow: ${list(publish)}}, subscribe: {allow: ${list(subscribe)}}, allow_responses: true}}\n`;
}

/**
 * The client port's TLS with the internal CA's certificate (`internalCertificate`). Clients authenticate with
 * their passwords, so no client certificate is asked for (`verify` stays off); with `plaintext`,
 * clients that do not ask for TLS are still admitted (allow_non_tls, NATS 2.10+). The routes between
 * members: `natsRoutesTls`.
 */
export function natsTls(plaintext: boolean): string[] {
  const f = tlsPaths();
  return [
    '# Clients connect with TLS, verifying the server against the internal CA.',
    'tls {',
    `  cert_file: "${f.cert}"`,
    `  key_file: "${f.key}"`,
    `  ca_file: "${f.ca}"`,
    '  timeout: 2',
    '}',
    ...(plaintext
      ? ['# internalTls.plaintext: clients that do not ask for TLS are admitted while applications move.', 'allow_non_tls: true']
      : []),
    '',
  ];
}

/**
 * The routes' TLS (the cluster block's `tls`), when internal TLS is on and plaintext is not kept: every
 * member presents its own certificate (the internal CA's, which names every member's stable address:
 * `*.nats-headless.<namespace>.svc` on a cluster) and verifies its peer's against the CA. nats-server
 * makes route TLS mutual whatever the block says (`getTLSConfig`: RequireAndVerifyClientCert, the CA
 * as both pools), so the certificate is a client certificate too (`CertificateSpec.peers`), and `verify`
 * is not written. The member that dials verifies the other's name (the route URL's host, or for a route
 * learnt by IP the name of a route it dialled); the member that accepts verifies the chain only. The
 * "route" user and its password stay: TLS proves a peer holds a certificate of the CA, the password that
 * it is a NATS member of this environment.
 */
export function natsRoutesTls(): string[] {
  const f = tlsPaths();
  return [
    '  # Routes over TLS: each member presents its certificate and verifies its peer against the internal CA',
    '  # (nats-server always requires the peer certificate on routes).',
    '  tls {',
    `    cert_file: "${f.cert}"`,
    `    key_file: "${f.key}"`,
    `    ca_file: "${f.ca}"`,
    '    timeout: 2',
    '  }',
  ];
}

/**
 * The server's start with internal TLS: a renewed certificate reaches the running server through a
 * configuration reload (`nats-server --signal reload=<pid>` re-reads the TLS files), sent when the
 * certificate file changes (startWithCertificateReload).
 */
export function natsStartWithReload(config: string): string[] {
  return startWithCertificateReload('nats-server --signal "reload=${$}"', `nats-server --config ${config}`);
}

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'nats',
  title: 'NATS',
  description: 'Messaging with JetStream persistence for agent events and work queues.',
  concern: 'messaging',
} as const;

export const nats = defineService({
  ...SERVICE,
  schema: natsSchema,
  consumerAccess: natsAccess,
  build(c, ctx) {
    const apps = consumersOf(ctx, natsAccess).map((a) => ({
      consumer: a.name,
      subjects: a.access.subjects ?? [`${a.name}.>`],
      streams: a.access.streams,
      secret: consumerSecret(a.name, 'password'),
    }));
    const maxFile = c.jetstream.maxFile ? memoryBytes(c.jetstream.maxFile) : Math.floor(memoryBytes(c.persistence.size) * 0.9);
    const clustered = c.replicas > 1;
    // Routes speak TLS once plaintext is no longer kept (a member with route TLS and one without cannot route).
    const routesTls = clustered && !!ctx.tls && !ctx.tls.plaintext;
    const members = Array.from({ length: c.replicas }, (_, i) => i);
    const config = [
      // Each member names itself after its pod (SERVER_NAME from the environment); JetStream needs unique names.
      clustered ? 'server_name: $SERVER_NAME' : `server_name: ${ctx.environment}-nats`,
      'listen: 0.0.0.0:4222',
      'http: 0.0.0.0:8222',
      `max_payload: ${c.maxPayload}`,
      'lame_duck_duration: "30s"',
      '',
      'jetstream {',
      '  store_dir: "/data/jetstream"',
      `  max_memory_store: ${memoryBytes(c.jetstream.maxMemory)}`,
      `  max_file_store: ${maxFile}`,
      '}',
      '',
      ...(clustered
        ? [
            `# ${c.replicas} servers, routes to every member. Clustered JetStream keeps a stream while a majority of its`,
            `# replicas runs: clients create streams and buckets with num_replicas ${streamReplicas(c.replicas)} (the nats-endpoint ConfigMap says so).`,
            'cluster {',
            `  name: "${ctx.environment}-nats"`,
            '  listen: 0.0.0.0:6222',
            '  # Routes authenticate as "route": routes.conf holds the hash that admits them and the routes that carry the password.',
            '  include "routes.conf"',
            ...(routesTls ? natsRoutesTls() : []),
            '}',
            '',
          ]
        : []),
      ...(ctx.tls ? natsTls(ctx.tls.plaintext) : []),
      '# Clients authenticate as "platform" (everything) or as an application (its subjects); auth.conf holds bcrypt hashes.',
      'include "auth.conf"',
      '',
    ].join('\n');
    // The server verifies clients against a bcrypt hash, so no file in the container holds the password.
    // A users array (a single user/password beside it is an error: opts.go), the administrator first.
    const auth = joinTemplates(
      [
        tpl`authorization {\n  users = [\n    {user: "platform", password: "${{ ...secretRef('nats', 'password'), form: 'bcrypt' }}"}\n`,
        ...apps.map((a) => natsUser(a.consumer, secretRef('nats', a.secret), a.subjects, a.streams)),
        '  ]\n}\n',
      ],
      '',
    );
    const routePassword = secretRef('nats', 'route-password');
    const routes: ConfigFile | undefined = clustered
      ? secretFile(
          ROUTES,
          routesConf(
            members.map((i) => tpl`nats://route:${routePassword}@${peerRef('nats', i)}:6222`),
            routePassword,
          ),
          {
            format: 'nats.conf',
          },
        )
      : undefined;
    const metrics = exporter(ctx, {
      image: NATS_EXPORTER_IMAGE,
      port: 7777,
      healthPath: '/metrics',
      args: ['-varz', '-connz', '-routez', '-subz', '-jsz=all', '-healthz', '-port=7777', tpl`http://${selfHost}:8222`],
      ...natsMetrics(clustered, c.replicas),
    });
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet: NO_FACET,
        secrets: [
          { name: 'password', description: 'Password of the "platform" NATS user', length: 32 },
          ...apps.map((a) => ({
            name: a.secret,
            description: `Password of the "${a.consumer}" NATS user (consumer ${a.consumer}: subjects ${a.subjects.join(' ')}${a.streams.length ? `, streams ${a.streams.join(' ')}` : ''})`,
            length: 32,
            audience: 'application' as const,
          })),
          ...(clustered ? [{ name: 'route-password', description: "Password the servers' routes authenticate with", length: 32 }] : []),
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'JetStream file store', backup: true }],
        ...withBackup(
          backupPlan(ctx.backups, {
            service: 'nats',
            method: 'stream-snapshot',
            description:
              "every JetStream stream's snapshot with its consumers, through the server's snapshot API ($JS.API.STREAM.SNAPSHOT, nats-backup.mjs)",
            volumes: ['data'],
            consistency: 'online',
            dump: dumpStep(ctx.jobResources, {
              description: 'Snapshots every JetStream stream with its consumers through the JetStream API (nats-backup.mjs)',
              image: pinned(NODE_IMAGE),
              user: '1000:1000',
              command: ['node', NATS_BACKUP, 'backup', BACKUP_DIR],
              env: {
                NATS_URL: ctx.tls ? tpl`tls://${hostRef('nats')}:4222` : tpl`nats://${hostRef('nats')}:4222`,
                NATS_USER: 'platform',
                NATS_PASSWORD_FILE: secretValuePath('nats', 'password'),
                // Internal TLS: the script upgrades the connection and verifies the server against the CA.
                ...(ctx.tls ? { NATS_CA_FILE: tlsPaths().ca } : {}),
              },
              ...(ctx.tls ? { trusts: trustInternalCa('nats') } : {}),
              files: [
                { path: NATS_BACKUP, content: natsBackupScript, mode: 0o555, format: 'javascript' },
                secretValueFile('nats', 'password'),
              ],
              timeoutSeconds: 1800,
            }),
            gaps: "core NATS messages (not in a stream) and in-memory streams' contents are not kept: only JetStream file streams are",
          }),
        ),
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(NATS_IMAGE, c),
            // With internal TLS a renewed certificate is reloaded without a restart (natsStartWithReload).
            args: ctx.tls ? natsStartWithReload(CONFIG) : ['nats-server', '--config', CONFIG],
            env: clustered ? { SERVER_NAME: tpl`${memberName}` } : {},
            // No user in the image and a root-owned Docker volume: root on Docker, 1000 on Kubernetes.
            user: '1000:1000',
            startsAsRoot: 'the image has no user of its own and Docker creates the JetStream volume owned by root',
            scratchPaths: [],
            ports: [
              port('client', 4222, 'client', 'nats', c.hostPorts),
              {
                ...port('monitoring', 8222, 'admin', 'http', c.hostPorts),
                anonymous:
                  'the NATS monitoring endpoint has no authentication: anyone who reaches it reads the server configuration, connections (client names and addresses), subscriptions and JetStream accounts',
              },
              ...(clustered ? [port('cluster', 6222, 'cluster', 'nats-route', c.hostPorts)] : []),
            ],
            mounts: [{ volume: 'data', path: '/data' }],
            ...(ctx.tls ? { trusts: trustInternalCa('nats') } : {}),
            files: [
              { path: CONFIG, content: config, mode: 0o644, format: 'nats.conf' },
              secretFile(AUTH, auth, { format: 'nats.conf' }),
              ...(routes ? [routes] : []),
            ],
            // Up: JetStream is on. A member has joined when it is current with the JetStream meta leader and
            // every stream and consumer replica it holds has caught up (the full /healthz), so an update moves
            // to the next server only once this one is back in step.
            health: {
              ...httpHealth(8222, '/healthz?js-enabled-only=true', { startPeriodSeconds: 10 }),
              ...(clustered
                ? {
                    member: {
                      exec: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8222/healthz'],
                      http: { port: 8222, path: '/healthz' },
                    },
                  }
                : {}),
            },
            resources: c.resources,
            stopGracePeriodSeconds: 45,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
        ...(ctx.tls
          ? {
              certificates: [
                routesTls
                  ? {
                      ...internalCertificate('client connections to NATS and the routes between its members (internalTls)'),
                      peers: true as const,
                    }
                  : internalCertificate('client connections to NATS (internalTls)'),
              ],
              tls: {
                ports: routesTls ? ['client', 'cluster'] : ['client'],
                // While plaintext is kept the routes stay plaintext too (authenticated by the route password).
                ...(ctx.tls.plaintext ? { plaintextPorts: clustered ? ['client', 'cluster'] : ['client'] } : {}),
                description: routesTls
                  ? 'client connections (the internal CA; no client certificates: clients log in with passwords) and the routes between members (each presents its certificate and verifies the peer against the CA; the route password stays)'
                  : 'client connections (the internal CA; no client certificates: clients log in with passwords)',
              },
            }
          : {}),
        consumers: apps.map((a): ConsumerAccess => ({
          consumer: a.consumer,
          ports: ['client'],
          facts: {
            url: ctx.tls ? tpl`tls://${hostRef('nats')}:4222` : tpl`nats://${hostRef('nats')}:4222`,
            ...(ctx.tls ? { tls: "required: verify the server against the environment's internal CA (the ca_certificate output)" } : {}),
            subjects: a.subjects.join(' '),
            streams: a.streams.join(' '),
            ...(clustered ? { servers: natsServers(c.replicas, !!ctx.tls), 'stream-replicas': String(streamReplicas(c.replicas)) } : {}),
          },
          credentials: { username: a.consumer, password: tpl`${secretRef('nats', a.secret)}` },
          grants: `user ${a.consumer}: publish and subscribe on ${a.subjects.join(' ')}, replies to requests it receives, its _INBOX${a.streams.length ? `; JetStream streams ${a.streams.join(' ')}` : '; no JetStream'}`,
        })),
        ...(clustered
          ? {
              cluster: {
                start: 'together',
                maxUnavailable: 1,
                discovery: routesTls
                  ? "routes over TLS to every member's stable address (certificates of the internal CA), authenticated with a generated route password"
                  : "routes to every member's stable address, authenticated with a generated route password",
              },
              connection: {
                servers: natsServers(c.replicas, !!ctx.tls),
                'stream-replicas': String(streamReplicas(c.replicas)),
              },
            }
          : {}),
      },
    ];
  },
});

/**
 * What the NATS exporter tells: each server's health (its /healthz, reachable or not), the members
 * up, and the messages JetStream consumers have not yet been delivered (their backlog), per
 * stream/consumer (the highest any replica reports).
 */
function natsMetrics(clustered: boolean, members: number) {
  const s = 'service="nats"';
  const member = (i: number) => `instance="nats-${i}:7777",server_id="N${i}",value="ok"`;
  return {
    names: namesOf('prometheus-nats-exporter', NATS_EXPORTER_IMAGE),
    signals: [
      serviceUp('nats', `max by (service, instance) (gnatsd_healthz_status_value{${s}})`, {
        [`gnatsd_healthz_status_value{${s},${member(0)}}`]: 1,
      }),
      ...(clustered
        ? [
            membersUp(
              'nats',
              Object.fromEntries(Array.from({ length: members }, (_, i) => [`gnatsd_healthz_status_value{${s},${member(i)}}`, 1])),
              members,
            ),
          ]
        : []),
      {
        record: 'platform:queue_backlog:messages',
        expr: `max by (service, queue) (label_join(jetstream_consumer_num_pending{${s}}, "queue", "/", "stream_name", "consumer_name"))`,
        example: {
          series: {
            [`jetstream_consumer_num_pending{${s},instance="nats-0:7777",stream_name="TASKS",consumer_name="worker"}`]: 1500,
            [`jetstream_consumer_num_pending{${s},instance="nats-1:7777",stream_name="TASKS",consumer_name="worker"}`]: 1400,
          },
          service: 'nats',
          value: 1500,
        },
      },
    ],
    panels: [
      { title: 'JetStream consumer backlog', expr: 'platform:queue_backlog:messages{service="nats"}', unit: 'short', legend: '{{queue}}' },
    ],
  };
}

/** The routes' part of the cluster block: who may connect as a route, and the routes this server opens. */
function routesConf(urls: readonly Text[], password: ReturnType<typeof secretRef>): Text {
  return joinTemplates(
    [
      tpl`authorization {\n  user: "route"\n  password: "${{ ...password, form: 'bcrypt' }}"\n}\nroutes = [\n`,
      ...urls.map((u) => joinTemplates(['  "', u, '"\n'], '')),
      ']\n',
    ],
    '',
  );
}

/** Every server's client URL, for clients that fail over between them (`tls://` under internal TLS, as `url`). */
function natsServers(replicas: number, tls: boolean): Text {
  const scheme = tls ? 'tls' : 'nats';
  return joinTemplates(
    Array.from({ length: replicas }, (_, i) => tpl`${scheme}://${peerRef('nats', i)}:4222`),
    ',',
  );
}
