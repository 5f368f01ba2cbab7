import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { secretRef, selfHost, tpl } from '../spec/template';
import {
  crossCheck,
  defineService,
  httpHealth,
  identity,
  imageOrVersion,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  serviceFields,
} from './common';
import { exporter } from './sidecars';

export const NATS_IMAGE = 'nats:2.10.29-alpine';
const CONFIG = '/etc/nats/nats-server.conf';

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

export const nats = defineService({
  name: 'nats',
  title: 'NATS',
  description: 'Messaging with JetStream persistence for agent events and work queues.',
  schema: natsSchema,
  build(c, ctx) {
    const maxFile = c.jetstream.maxFile ? memoryBytes(c.jetstream.maxFile) : Math.floor(memoryBytes(c.persistence.size) * 0.9);
    const config = [
      `server_name: ${ctx.environment}-nats`,
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
      '# Clients authenticate; the password comes from the environment, never from this file.',
      'authorization {',
      '  user: "platform"',
      '  password: $NATS_PASSWORD',
      '}',
      '',
    ].join('\n');
    const metrics = exporter(ctx, {
      image: 'natsio/prometheus-nats-exporter:0.15.0',
      port: 7777,
      healthPath: '/metrics',
      args: ['-varz', '-connz', '-routez', '-subz', '-jsz=all', '-healthz', '-port=7777', tpl`http://${selfHost}:8222`],
    });
    return [
      {
        ...identity(this, c.replicas),
        secrets: [{ name: 'password', description: 'Password of the "platform" NATS user', length: 32 }],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'JetStream file store', backup: true }],
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(NATS_IMAGE, c),
            args: ['nats-server', '--config', CONFIG],
            env: { NATS_PASSWORD: tpl`${secretRef('nats', 'password')}` },
            ports: [port('client', 4222, 'client', 'nats', c.hostPorts), port('monitoring', 8222, 'admin', 'http', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/data' }],
            files: [{ path: CONFIG, content: config, mode: 0o644, format: 'nats.conf' }],
            health: httpHealth(8222, '/healthz?js-enabled-only=true', { startPeriodSeconds: 10 }),
            resources: c.resources,
            stopGracePeriodSeconds: 45,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
      },
    ];
  },
});
