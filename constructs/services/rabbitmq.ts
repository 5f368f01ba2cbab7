import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { hostRef, memberAddress, peerRef, secretRef, tpl } from '../spec/template';
import type { ConsumerAccess, SecretRef, Text } from '../spec/types';
import {
  NO_FACET,
  consumerSecret,
  consumersOf,
  defineService,
  identity,
  imageOrVersion,
  internalCertificate,
  joinTemplates,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  secretFile,
  secretValueFile,
  secretValuePath,
  serviceFields,
  shellHealth,
  tlsPaths,
  trustInternalCa,
} from './common';
import { membersUp, namesOf, serviceUp } from './signals';
import { backupPlan, dumpStep, withBackup } from './backup';
import { CURL_IMAGE, curlAdminPreamble } from './tools';
import { pinned } from '../spec/image';
import { readFileSync } from 'node:fs';

/** 4.3 is the series in community support (RabbitMQ supports only the latest minor for the community). */
export const RABBITMQ_IMAGE = 'rabbitmq:4.3.6-management-alpine';
/** Users, vhosts and permissions, imported at every boot (the platform's administrator and each application). */
const DEFINITIONS = '/etc/rabbitmq/definitions.json';
const START = '/usr/local/bin/platform-rabbitmq.sh';
/** The Erlang distribution's TLS options (`-ssl_dist_optfile`), for the node and its CLI tools. */
export const INTER_NODE_TLS = '/etc/rabbitmq/inter_node_tls.config';
const COOKIE = secretValuePath('rabbitmq', 'erlang-cookie');
/** The rabbitmq user's home in the image: where Erlang and the CLI tools look for the cookie. */
const HOME = '/var/lib/rabbitmq';
/** The backup's dump step: the definitions through the management API. */
export const RABBITMQ_DUMP = '/usr/local/bin/rabbitmq-dump.sh';
const rabbitmqDumpScript = readFileSync(new URL('./scripts/rabbitmq-dump.sh', import.meta.url), 'utf8');

/** Running nodes a member must see to count as joined: a majority of the cluster. */
export function joinedNodes(members: number): number {
  return Math.floor(members / 2) + 1;
}

export const rabbitmqSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /** Share of the memory limit at which publishers are blocked. @default 0.6 */
    memoryHighWatermark: z.number().min(0.2).max(0.9).default(0.6),
    /** Free disk below which publishers are blocked. @default '1Gi' */
    diskFreeLimit: memoryQuantity.default('1Gi'),
  })
  .superRefine(imageOrVersion);

/**
 * What the rabbitmq_prometheus plugin tells on /metrics (aggregated: totals per node, no per-queue
 * labels): each node up, the nodes up, and the ready messages no consumer has taken.
 */
function rabbitmqMetrics(clustered: boolean, members: number) {
  const s = 'service="rabbitmq"';
  const node = (i: number) => `instance="rabbitmq-${i}:15692"`;
  return {
    names: namesOf('rabbitmq-prometheus', RABBITMQ_IMAGE),
    signals: [
      serviceUp('rabbitmq', `max by (service, instance) (rabbitmq_identity_info{${s}})`, {
        [`rabbitmq_identity_info{${s},${node(0)},rabbitmq_node="rabbit@rabbitmq-0",rabbitmq_cluster="rabbitmq"}`]: 1,
      }),
      ...(clustered
        ? [
            membersUp(
              'rabbitmq',
              Object.fromEntries(
                Array.from({ length: members }, (_, i) => [
                  `rabbitmq_identity_info{${s},${node(i)},rabbitmq_node="rabbit@rabbitmq-${i}",rabbitmq_cluster="rabbitmq"}`,
                  1,
                ]),
              ),
              members,
            ),
          ]
        : []),
      {
        record: 'platform:queue_backlog:messages',
        expr: `label_replace(sum by (service) (rabbitmq_queue_messages_ready{${s}}), "queue", "all", "", "")`,
        example: {
          series: { [`rabbitmq_queue_messages_ready{${s},${node(0)}}`]: 700, [`rabbitmq_queue_messages_ready{${s},${node(1)}}`]: 500 },
          service: 'rabbitmq',
          value: 1200,
        },
      },
    ],
    panels: [{ title: 'Ready messages (all queues)', expr: 'platform:queue_backlog:messages{service="rabbitmq"}', unit: 'short' }],
  };
}

/** What a consumer may ask for: its own virtual host, where its user may do everything and elsewhere nothing. */
export const rabbitmqAccess = z.strictObject({
  /** @default the consumer's name */
  vhost: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, dots, hyphens or underscores')
    .optional(),
});

/** A user of the definitions file: its password as RabbitMQ's salted SHA-256 hash, and where it may do what. */
interface DefinedUser {
  readonly name: string;
  readonly password: SecretRef;
  readonly tags: readonly string[];
  readonly vhosts: readonly string[];
}

/**
 * The definitions file: users with `password_hash` (rabbit_password_hashing_sha256, computed by
 * Terraform from the generated password: no password in the file), their vhosts and permissions.
 * Imported at every boot, so a rotated password takes effect when the node restarts; importing
 * adds and updates, it never deletes (a removed application's user stays until deleted by hand).
 */
export function definitionsFile(users: readonly DefinedUser[]): Text {
  const vhosts = [...new Set(users.flatMap((u) => u.vhosts))];
  return joinTemplates(
    [
      '{\n  "users": [\n',
      joinTemplates(
        users.map(
          (u) =>
            tpl`    {"name": ${JSON.stringify(u.name)}, "password_hash": "${{ ...u.password, form: 'rabbitmq-sha256' }}", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ${JSON.stringify(u.tags)}}`,
        ),
        ',\n',
      ),
      '\n  ],\n',
      `  "vhosts": [\n${vhosts.map((v) => `    {"name": ${JSON.stringify(v)}}`).join(',\n')}\n  ],\n`,
      `  "permissions": [\n${users
        .flatMap((u) =>
          u.vhosts.map(
            (v) => `    {"user": ${JSON.stringify(u.name)}, "vhost": ${JSON.stringify(v)}, "configure": ".*", "write": ".*", "read": ".*"}`,
          ),
        )
        .join(',\n')}\n  ]\n}\n`,
    ],
    '',
  );
}

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'rabbitmq',
  title: 'RabbitMQ',
  description: 'Message broker with the management UI and native Prometheus metrics; credentials are generated.',
  concern: 'messaging',
} as const;

export const rabbitmq = defineService({
  ...SERVICE,
  schema: rabbitmqSchema,
  consumerAccess: rabbitmqAccess,
  build(c, ctx) {
    const clustered = c.replicas > 1;
    const apps = consumersOf(ctx, rabbitmqAccess).map((a) => ({
      consumer: a.name,
      vhost: a.access.vhost ?? a.name,
      secret: consumerSecret(a.name, 'password'),
    }));
    // The administrator may work in every vhost; each application in its own only.
    const users: DefinedUser[] = [
      {
        name: 'platform',
        password: secretRef('rabbitmq', 'password'),
        tags: ['administrator'],
        vhosts: ['/', ...apps.map((a) => a.vhost)],
      },
      ...apps.map((a) => ({ name: a.consumer, password: secretRef('rabbitmq', a.secret), tags: [], vhosts: [a.vhost] })),
    ];
    const tls = ctx.tls;
    // The Erlang distribution (nodes, and the CLI tools to their node) speaks TLS once plaintext is no
    // longer kept: a node with inet_tls_dist and one without cannot connect to each other.
    const distTls = clustered && !!tls && !tls.plaintext;
    // Applications' AMQP port: 5671 (TLS) with internal TLS, else 5672.
    const amqpPort = tls ? AMQPS_PORT : 5672;
    const config = [
      ...(tls ? rabbitmqTls(tls.plaintext) : []),
      ...(!tls || tls.plaintext ? ['listeners.tcp.default = 5672'] : []),
      'management.tcp.port = 15672',
      'prometheus.tcp.port = 15692',
      '# The broker sizes its memory alarm from the container limit, not the host.',
      `total_memory_available_override_value = ${memoryBytes(c.resources.limits.memory)}`,
      `vm_memory_high_watermark.relative = ${c.memoryHighWatermark}`,
      `disk_free_limit.absolute = ${memoryBytes(c.diskFreeLimit)}`,
      'loopback_users.guest = true',
      '# Users, vhosts and permissions (no default user is created when definitions are configured).',
      `definitions.local.path = ${DEFINITIONS}`,
      'definitions.import_backend = local_filesystem',
      'log.console = true',
      'log.console.level = info',
      'log.file = false',
      ...(clustered
        ? [
            `# ${c.replicas} nodes. Since RabbitMQ 4.1 this discovery reads no Kubernetes API: a new node joins the node named like`,
            '# itself with ordinal 0 (rabbit@rabbitmq-2.<domain> joins rabbit@rabbitmq-0.<domain>), the only one that may form the cluster.',
            'cluster_formation.peer_discovery_backend = k8s',
            `cluster_formation.target_cluster_size_hint = ${c.replicas}`,
            '# New queues are quorum queues (Raft, three replicas) unless a client declares another type.',
            'default_queue_type = quorum',
          ]
        : []),
      '',
    ].join('\n');
    // The definitions file (imported at every boot) carries the administrator's and the applications'
    // password hashes: a rotated password takes effect when the container is replaced.
    const start = [
      '#!/bin/sh',
      'set -eu',
      ...(clustered
        ? [
            "# The cluster's generated Erlang cookie, owned by this user and readable by it alone (Erlang refuses others).",
            `(umask 077 && rm -f "$HOME/.erlang.cookie" && cat ${COOKIE} >"$HOME/.erlang.cookie" && chmod 400 "$HOME/.erlang.cookie")`,
          ]
        : []),
      'exec docker-entrypoint.sh rabbitmq-server',
      '',
    ].join('\n');
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet: NO_FACET,
        managed: 'amazon-mq-rabbitmq',
        secrets: [
          { name: 'password', description: 'Password of the "platform" administrator', length: 32 },
          ...apps.map((a) => ({
            name: a.secret,
            description: `Password of the "${a.consumer}" user (consumer ${a.consumer}: everything in vhost ${a.vhost}, nothing elsewhere)`,
            length: 32,
            audience: 'application' as const,
          })),
          ...(clustered
            ? [{ name: 'erlang-cookie', description: 'Erlang cookie the nodes and CLI tools authenticate with', length: 48 }]
            : []),
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Khepri metadata store and message store', backup: true }],
        ...withBackup(
          backupPlan(ctx.backups, {
            service: 'rabbitmq',
            method: 'definitions-export',
            description:
              "the broker's definitions (users, vhosts, permissions, queues, exchanges, bindings, policies) through the management API",
            volumes: ['data'],
            consistency: 'online',
            dump: dumpStep(ctx.jobResources, {
              description: "Exports the broker's definitions through the management API (GET /api/definitions)",
              image: pinned(CURL_IMAGE),
              user: '65534:65534',
              command: ['/bin/sh', RABBITMQ_DUMP],
              env: {
                RABBITMQ_URL: tpl`http://${hostRef('rabbitmq')}:15672`,
                RABBITMQ_USER: 'platform',
                RABBITMQ_PASSWORD_FILE: secretValuePath('rabbitmq', 'password'),
              },
              files: [
                { path: RABBITMQ_DUMP, content: rabbitmqDumpScript, mode: 0o555, format: 'shell' },
                secretValueFile('rabbitmq', 'password'),
              ],
              scratchPaths: ['/tmp'],
              timeoutSeconds: 600,
            }),
            gaps: 'messages are not kept: queues come back empty (quorum queues keep three copies while the cluster runs; producers must be able to resend)',
          }),
        ),
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(RABBITMQ_IMAGE, c),
            // The image's rabbitmq user (alpine: 100:101), from the start: it reads its secret files.
            user: '100:101',
            writableRoot:
              'not verified read-only: the drill runs Debian’s 3.10 on a writable filesystem, and the Erlang VM writes a crash dump into its working directory; kept writable until a 4.3 node has run with a read-only root',
            command: [START],
            // A node is named after its stable address (long names), which its peers and its own CLI tools use.
            // With the distribution over TLS, the server's and the CLI tools' runtime flags (the image's scripts
            // read both; the health checks run rabbitmq-diagnostics with the container's environment).
            env: clustered
              ? ({
                  HOME,
                  RABBITMQ_USE_LONGNAME: 'true',
                  RABBITMQ_NODENAME: tpl`rabbit@${memberAddress}`,
                  ...(distTls ? rabbitmqDistTlsEnv() : {}),
                } as Record<string, Text>)
              : {},
            ports: [
              ...(!tls || tls.plaintext ? [port('amqp', 5672, 'client', 'amqp', c.hostPorts)] : []),
              ...(tls ? [port('amqps', AMQPS_PORT, 'client', 'amqps', c.hostPorts)] : []),
              port('management', 15672, 'ui', 'http', c.hostPorts),
              port('prometheus', 15692, 'metrics', 'http', c.hostPorts),
              // Erlang distribution between nodes: epmd, and the node's distribution port (AMQP port + 20000).
              ...(clustered
                ? [port('epmd', 4369, 'cluster', 'epmd', c.hostPorts), port('dist', 25672, 'cluster', 'erlang-dist', c.hostPorts)]
                : []),
            ],
            mounts: [{ volume: 'data', path: '/var/lib/rabbitmq' }],
            // ssl_options.cacertfile: the internal CA beside the certificate.
            ...(tls ? { trusts: trustInternalCa('rabbitmq') } : {}),
            files: [
              {
                path: '/etc/rabbitmq/enabled_plugins',
                content: clustered
                  ? '[rabbitmq_management,rabbitmq_prometheus,rabbitmq_peer_discovery_k8s].\n'
                  : '[rabbitmq_management,rabbitmq_prometheus].\n',
                mode: 0o644,
                format: 'erlang-terms',
              },
              { path: '/etc/rabbitmq/conf.d/20-platform.conf', content: config, mode: 0o644, format: 'rabbitmq.conf' },
              secretFile(DEFINITIONS, definitionsFile(users), { format: 'rabbitmq-definitions' }),
              ...(clustered ? [secretValueFile('rabbitmq', 'erlang-cookie')] : []),
              { path: START, content: start, mode: 0o555, format: 'shell' },
              ...(distTls ? [{ path: INTER_NODE_TLS, content: rabbitmqDistTls(), mode: 0o644, format: 'erlang-terms' }] : []),
            ],
            health: {
              ...shellHealth('rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms', {
                intervalSeconds: 30,
                timeoutSeconds: 20,
                startPeriodSeconds: 60,
                retries: 5,
              }),
              // Joined: running, no alarm, and in a cluster where a majority of the nodes runs.
              ...(clustered
                ? {
                    member: {
                      exec: [
                        'sh',
                        '-c',
                        `rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms && [ "$(rabbitmq-diagnostics -q eval 'length(rabbit_nodes:list_running()).')" -ge ${joinedNodes(c.replicas)} ]`,
                      ],
                    },
                  }
                : {}),
            },
            resources: c.resources,
            stopGracePeriodSeconds: 60,
          },
        ],
        consumers: apps.map((a): ConsumerAccess => ({
          consumer: a.consumer,
          ports: tls ? ['amqps', ...(tls.plaintext ? ['amqp'] : [])] : ['amqp'],
          facts: {
            host: tpl`${hostRef('rabbitmq')}`,
            port: String(amqpPort),
            vhost: a.vhost,
            ...(tls
              ? { tls: "required (amqps): verify the server against the environment's internal CA (the ca_certificate output)" }
              : {}),
            ...(clustered ? { addresses: rabbitmqAddresses(c.replicas, amqpPort) } : {}),
          },
          credentials: { username: a.consumer, password: tpl`${secretRef('rabbitmq', a.secret)}` },
          grants: `user ${a.consumer}: configure, write and read everything in vhost ${a.vhost}; no other vhost, no management tag`,
        })),
        metrics: {
          container: 'main',
          port: 15692,
          path: '/metrics',
          source: 'native',
          auth: {
            kind: 'none',
            reason:
              'the rabbitmq_prometheus plugin has no authentication; the port is never published and on Kubernetes admits the monitoring namespace only',
          },
          ...rabbitmqMetrics(clustered, c.replicas),
        },
        ...(clustered
          ? {
              cluster: {
                // The seed is ready only once another node has joined it: nodes start together.
                start: 'together' as const,
                // Quorum queues have three replicas: one node may be down.
                maxUnavailable: 1,
                discovery: distTls
                  ? 'rabbitmq_peer_discovery_k8s (4.1+, no API access): every node joins the node with ordinal 0; Erlang cookie generated; the Erlang distribution over mutual TLS (certificates of the internal CA)'
                  : 'rabbitmq_peer_discovery_k8s (4.1+, no API access): every node joins the node with ordinal 0; Erlang cookie generated',
              },
              connection: { addresses: rabbitmqAddresses(c.replicas, amqpPort) },
            }
          : {}),
        ...(tls
          ? {
              certificates: [
                distTls
                  ? {
                      ...internalCertificate(
                        'AMQP client connections to RabbitMQ, and the Erlang distribution between its nodes and from its CLI tools (internalTls)',
                      ),
                      peers: true as const,
                    }
                  : internalCertificate('AMQP client connections to RabbitMQ (internalTls)'),
              ],
              tls: {
                ports: distTls ? ['amqps', 'dist'] : ['amqps'],
                // While plaintext is kept the distribution stays plaintext too (authenticated by the cookie).
                ...(tls.plaintext ? { plaintextPorts: clustered ? ['amqp', 'dist'] : ['amqp'] } : {}),
                description: distTls
                  ? 'AMQP client connections on 5671 (the internal CA; no client certificates: applications log in with passwords), and the Erlang distribution between nodes and from the CLI tools on 25672 (mutual: each side presents its certificate and verifies the peer against the CA; the cookie stays); epmd (4369: node names and ports only), the management API and metrics stay plaintext inside the network'
                  : clustered
                    ? 'AMQP client connections on 5671 (the internal CA; no client certificates: applications log in with passwords); the management API, metrics and, while plaintext is kept, the Erlang distribution stay plaintext inside the network'
                    : 'AMQP client connections on 5671 (the internal CA; no client certificates: applications log in with passwords); the management API and metrics stay plaintext inside the network',
              },
            }
          : {}),
      },
    ];
  },
});

/** Every node's AMQP address, for clients that fail over between them. */
function rabbitmqAddresses(replicas: number, amqpPort = 5672): Text {
  return joinTemplates(
    Array.from({ length: replicas }, (_, i) => tpl`${peerRef('rabbitmq', i)}:${String(amqpPort)}`),
    ',',
  );
}

/** AMQP over TLS (amqps): its port, the IANA one. */
export const AMQPS_PORT = 5671;

/**
 * AMQP over TLS with the internal CA's certificate (`internalTls`): a TLS listener on 5671, TLS 1.2
 * and 1.3, no client certificates (applications log in with their passwords); the plaintext listener
 * is closed (`listeners.tcp = none`) unless plaintext is kept for the move. The management UI/API
 * and the Prometheus port stay as they are; the Erlang distribution between nodes: `rabbitmqDistTls`.
 */
export function rabbitmqTls(plaintext: boolean): string[] {
  const f = tlsPaths();
  return [
    '# internalTls: AMQP over TLS on 5671, the server verified against the internal CA; no client certificates.',
    ...(plaintext ? ['# internalTls.plaintext: AMQP without TLS stays open on 5672 while applications move.'] : ['listeners.tcp = none']),
    `listeners.ssl.default = ${AMQPS_PORT}`,
    `ssl_options.cacertfile = ${f.ca}`,
    `ssl_options.certfile = ${f.cert}`,
    `ssl_options.keyfile = ${f.key}`,
    'ssl_options.verify = verify_none',
    'ssl_options.fail_if_no_peer_cert = false',
    'ssl_options.versions.1 = tlsv1.3',
    'ssl_options.versions.2 = tlsv1.2',
  ];
}

/**
 * The Erlang distribution over TLS (`-ssl_dist_optfile`, RabbitMQ's "inter-node and CLI tool
 * communication with TLS"), when a cluster runs under internal TLS and plaintext is not kept. Mutual:
 * each side presents the member certificate (the one Secret every node mounts; a client certificate
 * too, `CertificateSpec.peers`) and verifies the peer's against the internal CA; the accepting side
 * refuses a peer without a certificate (`fail_if_no_peer_cert`). The dialling side also checks the
 * node's host name (inet_tls_dist sets `server_name_indication` to it), and Erlang's default host-name
 * check matches no wildcard: the certificate names each member exactly (the Kubernetes realization's
 * member names of a `peers` certificate). Erlang's own default would be TLS 1.2 only. The Erlang
 * cookie stays: TLS proves a peer holds a certificate of the CA, the cookie that it is a node of this
 * cluster.
 */
export function rabbitmqDistTls(): string {
  const f = tlsPaths();
  const side = (server: boolean) =>
    [
      `    {cacertfile, "${f.ca}"},`,
      `    {certfile, "${f.cert}"},`,
      `    {keyfile, "${f.key}"},`,
      '    {secure_renegotiate, true},',
      "    {versions, ['tlsv1.3', 'tlsv1.2']},",
      ...(server ? ['    {verify, verify_peer},', '    {fail_if_no_peer_cert, true}'] : ['    {verify, verify_peer}']),
    ].join('\n');
  return [
    '%% internalTls: the Erlang distribution (between nodes, and from the CLI tools to their node) over TLS.',
    "%% Both sides present the member certificate and verify the peer's against the internal CA.",
    '[',
    '  {server, [',
    side(true),
    '  ]},',
    '  {client, [',
    side(false),
    '  ]}',
    '].',
    '',
  ].join('\n');
}

/** The runtime flags of the node and of its CLI tools (rabbitmq-diagnostics, rabbitmqctl) for `rabbitmqDistTls`. */
export function rabbitmqDistTlsEnv(): Record<string, string> {
  const flags = `-proto_dist inet_tls -ssl_dist_optfile ${INTER_NODE_TLS}`;
  return { RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: flags, RABBITMQ_CTL_ERL_ARGS: flags };
}

/** An application's user on a broker the platform does not run itself (Amazon MQ): its own vhost. */
export interface BrokerApplication {
  readonly consumer: string;
  readonly vhost: string;
}

/**
 * The script of the job that applies the applications' vhosts, users and permissions on a RabbitMQ
 * broker through its management API, as its administrator (Amazon MQ's broker user). Each call is
 * a PUT of the whole object: a run creates what is missing and sets the current passwords. Each
 * application: no tag (no management access), configure, write and read everything in its vhost,
 * nothing elsewhere; as the in-cluster broker's definitions give it. Reads the administrator from
 * `$MASTER_DIR`, each password from `$INPUTS_DIR/<consumer>`, the API's base URL from RABBITMQ_API.
 * Credentials go into curl's config file (0600, removed on exit), never on argv.
 */
export function brokerUsersScript(apps: readonly BrokerApplication[]): string {
  const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');
  return [
    ...curlAdminPreamble(),
    '# put PATH JSON: the object at <api>/api/PATH, replaced',
    'put() { printf \'%s\' "$2" >"$W/body"; curl -K "$W/cfg" -X PUT --data-binary @"$W/body" "${RABBITMQ_API%/}/api/$1"; echo; }',
    ...apps.flatMap((a) => [
      `# ${a.consumer}: vhost ${a.vhost}, no tag`,
      `put ${path('vhosts', a.vhost)} '{}'`,
      `put ${path('users', a.consumer)} "{\\"password\\":\\"$(cat "$INPUTS_DIR/${a.consumer}")\\",\\"tags\\":\\"\\"}"`,
      `put ${path('permissions', a.vhost, a.consumer)} '${JSON.stringify({ configure: '.*', write: '.*', read: '.*' })}'`,
    ]),
    `echo "users applied: ${apps.map((a) => a.consumer).join(' ')}"`,
    '',
  ].join('\n');
}
