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
  serviceFields,
  shellHealth,
} from './common';

export const RABBITMQ_IMAGE = 'rabbitmq:4.0.9-management-alpine';

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
    return [
      {
        ...identity(this, c.replicas),
        managed: 'amazon-mq-rabbitmq',
        secrets: [{ name: 'password', description: 'Password of the "platform" administrator', length: 32 }],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Mnesia database and message store', backup: true }],
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(RABBITMQ_IMAGE, c),
            env: {
              RABBITMQ_DEFAULT_USER: 'platform',
              RABBITMQ_DEFAULT_PASS: tpl`${secretRef('rabbitmq', 'password')}`,
            },
            ports: [
              port('amqp', 5672, 'client', 'amqp', c.hostPorts),
              port('management', 15672, 'admin', 'http', c.hostPorts),
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
        metrics: { container: 'main', port: 15692, path: '/metrics', source: 'native' },
      },
    ];
  },
});
