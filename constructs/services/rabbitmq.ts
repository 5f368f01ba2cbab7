import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { secretRef, tpl } from '../spec/template';
import {
  defineService,
  identity,
  imageOrVersion,
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

/** 4.3 is the series in community support (RabbitMQ supports only the latest minor for the community). */
export const RABBITMQ_IMAGE = 'rabbitmq:4.3.6-management-alpine';
const CREDENTIALS = '/etc/rabbitmq/conf.d/10-credentials.conf';
const PASSWORD = secretValuePath('rabbitmq', 'password');
const START = '/usr/local/bin/platform-rabbitmq.sh';

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

export const rabbitmq = defineService({
  name: 'rabbitmq',
  title: 'RabbitMQ',
  description: 'Message broker with the management UI and native Prometheus metrics; credentials are generated.',
  concern: 'messaging',
  schema: rabbitmqSchema,
  build(c) {
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
      '',
    ].join('\n');
    const password = secretRef('rabbitmq', 'password');
    // `default_pass` only creates the user with the first database. Once the node runs, the wrapper
    // sets the password to the current generated value (read inside the node from the secret file,
    // never on a command line), so a rotated secret takes effect when the container is replaced.
    const start = [
      '#!/bin/sh',
      'set -eu',
      '(',
      '  rabbitmqctl --quiet await_startup --timeout 600 >/dev/null 2>&1 &&',
      `  rabbitmqctl --quiet eval '{ok, P} = file:read_file("${PASSWORD}"), rabbit_auth_backend_internal:change_password(<<"platform">>, string:trim(P), <<"platform-deploy">>).' >/dev/null ||`,
      '  echo "platform-rabbitmq: could not apply the platform password" >&2',
      ') &',
      'exec docker-entrypoint.sh rabbitmq-server',
      '',
    ].join('\n');
    return [
      {
        ...identity(this, c.replicas),
        managed: 'amazon-mq-rabbitmq',
        secrets: [{ name: 'password', description: 'Password of the "platform" administrator', length: 32 }],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Khepri metadata store and message store', backup: true }],
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(RABBITMQ_IMAGE, c),
            // The image's rabbitmq user (alpine: 100:101), from the start: it reads its secret files.
            user: '100:101',
            command: [START],
            env: {},
            ports: [
              port('amqp', 5672, 'client', 'amqp', c.hostPorts),
              port('management', 15672, 'ui', 'http', c.hostPorts),
              port('prometheus', 15692, 'metrics', 'http', c.hostPorts),
            ],
            mounts: [{ volume: 'data', path: '/var/lib/rabbitmq' }],
            files: [
              {
                path: '/etc/rabbitmq/enabled_plugins',
                content: '[rabbitmq_management,rabbitmq_prometheus].\n',
                mode: 0o644,
                format: 'erlang-terms',
              },
              { path: '/etc/rabbitmq/conf.d/20-platform.conf', content: config, mode: 0o644, format: 'rabbitmq.conf' },
              secretFile(CREDENTIALS, tpl`default_user = platform\ndefault_pass = ${password}\n`, { format: 'rabbitmq.conf' }),
              secretValueFile('rabbitmq', 'password'),
              { path: START, content: start, mode: 0o555, format: 'shell' },
            ],
            health: shellHealth('rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms', {
              intervalSeconds: 30,
              timeoutSeconds: 20,
              startPeriodSeconds: 60,
              retries: 5,
            }),
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
        },
      },
    ];
  },
});
