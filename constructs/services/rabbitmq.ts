import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { memberAddress, peerRef, secretRef, tpl } from '../spec/template';
import type { Text } from '../spec/types';
import {
  NO_FACET,
  defineService,
  identity,
  imageOrVersion,
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
} from './common';
import { membersUp, namesOf, serviceUp } from './signals';

/** 4.3 is the series in community support (RabbitMQ supports only the latest minor for the community). */
export const RABBITMQ_IMAGE = 'rabbitmq:4.3.6-management-alpine';
const CREDENTIALS = '/etc/rabbitmq/conf.d/10-credentials.conf';
const PASSWORD = secretValuePath('rabbitmq', 'password');
const START = '/usr/local/bin/platform-rabbitmq.sh';
const COOKIE = secretValuePath('rabbitmq', 'erlang-cookie');
/** The rabbitmq user's home in the image: where Erlang and the CLI tools look for the cookie. */
const HOME = '/var/lib/rabbitmq';
/**
 * Written by the start wrapper once the current password is applied, removed when it starts: the
 * health check requires it, so a failed rotation leaves the node unhealthy instead of passing
 * silently. On the container's own filesystem (not the data volume), so a new container starts
 * without it.
 */
export const PASSWORD_APPLIED = '/tmp/platform-rabbitmq-password-applied';

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
  build(c) {
    const clustered = c.replicas > 1;
    const config = [
      'listeners.tcp.default = 5672',
      'management.tcp.port = 15672',
      'prometheus.tcp.port = 15692',
      '# The broker sizes its memory alarm from the container limit, not the host.',
      `total_memory_available_override_value = ${memoryBytes(c.resources.limits.memory)}`,
      `vm_memory_high_watermark.relative = ${c.memoryHighWatermark}`,
      `disk_free_limit.absolute = ${memoryBytes(c.diskFreeLimit)}`,
      'loopback_users.guest = true',
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
    const password = secretRef('rabbitmq', 'password');
    // `default_pass` only creates the user with the first database. Once the node runs, the wrapper
    // sets the password to the current generated value (read inside the node from the secret file,
    // never on a command line), so a rotated secret takes effect when the container is replaced.
    const start = [
      '#!/bin/sh',
      'set -eu',
      ...(clustered
        ? [
            "# The cluster's generated Erlang cookie, owned by this user and readable by it alone (Erlang refuses others).",
            `(umask 077 && rm -f "$HOME/.erlang.cookie" && cat ${COOKIE} >"$HOME/.erlang.cookie" && chmod 400 "$HOME/.erlang.cookie")`,
          ]
        : []),
      `rm -f ${PASSWORD_APPLIED}`,
      '(',
      '  # The node registers a moment after this starts (await_startup fails while it cannot reach it): ask again, 5 minutes at most.',
      '  n=0',
      '  until rabbitmqctl --quiet await_startup --timeout 600 >/dev/null 2>&1; do',
      '    n=$((n + 1)) && [ "$n" -lt 150 ] || break',
      '    sleep 2',
      '  done',
      '  # eval exits 0 whenever the expression evaluates: the matches turn an unreadable file and a refused',
      '  # password ({error, _}, which change_password returns without raising) into a failure.',
      `  if rabbitmqctl --quiet eval '{ok, P} = file:read_file("${PASSWORD}"), ok = rabbit_auth_backend_internal:change_password(<<"platform">>, string:trim(P), <<"platform-deploy">>).' >/dev/null; then`,
      `    : >${PASSWORD_APPLIED}`,
      '  else',
      '    echo "platform-rabbitmq: could not apply the platform password; the node stays unhealthy" >&2',
      '  fi',
      ') &',
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
          ...(clustered
            ? [{ name: 'erlang-cookie', description: 'Erlang cookie the nodes and CLI tools authenticate with', length: 48 }]
            : []),
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Khepri metadata store and message store', backup: true }],
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
            env: clustered
              ? ({ HOME, RABBITMQ_USE_LONGNAME: 'true', RABBITMQ_NODENAME: tpl`rabbit@${memberAddress}` } as Record<string, Text>)
              : {},
            ports: [
              port('amqp', 5672, 'client', 'amqp', c.hostPorts),
              port('management', 15672, 'ui', 'http', c.hostPorts),
              port('prometheus', 15692, 'metrics', 'http', c.hostPorts),
              // Erlang distribution between nodes: epmd, and the node's distribution port (AMQP port + 20000).
              ...(clustered
                ? [port('epmd', 4369, 'cluster', 'epmd', c.hostPorts), port('dist', 25672, 'cluster', 'erlang-dist', c.hostPorts)]
                : []),
            ],
            mounts: [{ volume: 'data', path: '/var/lib/rabbitmq' }],
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
              secretFile(CREDENTIALS, tpl`default_user = platform\ndefault_pass = ${password}\n`, { format: 'rabbitmq.conf' }),
              secretValueFile('rabbitmq', 'password'),
              ...(clustered ? [secretValueFile('rabbitmq', 'erlang-cookie')] : []),
              { path: START, content: start, mode: 0o555, format: 'shell' },
            ],
            health: {
              // Up, no alarm, and the current password applied (the wrapper's marker).
              ...shellHealth(
                `rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms && test -e ${PASSWORD_APPLIED}`,
                {
                  intervalSeconds: 30,
                  timeoutSeconds: 20,
                  startPeriodSeconds: 60,
                  retries: 5,
                },
              ),
              // Joined: running, no alarm, and in a cluster where a majority of the nodes runs.
              ...(clustered
                ? {
                    member: {
                      exec: [
                        'sh',
                        '-c',
                        `rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms && test -e ${PASSWORD_APPLIED} && [ "$(rabbitmq-diagnostics -q eval 'length(rabbit_nodes:list_running()).')" -ge ${joinedNodes(c.replicas)} ]`,
                      ],
                    },
                  }
                : {}),
            },
            resources: c.resources,
            stopGracePeriodSeconds: 60,
          },
        ],
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
                discovery:
                  'rabbitmq_peer_discovery_k8s (4.1+, no API access): every node joins the node with ordinal 0; Erlang cookie generated',
              },
              connection: {
                addresses: joinTemplates(
                  Array.from({ length: c.replicas }, (_, i) => tpl`${peerRef('rabbitmq', i)}:5672`),
                  ',',
                ),
              },
            }
          : {}),
      },
    ];
  },
});
