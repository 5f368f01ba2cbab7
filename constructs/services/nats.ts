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
  secretFile,
  serviceFields,
} from './common';
import { exporter } from './sidecars';

export const NATS_IMAGE = 'nats:2.14.7-alpine';
export const NATS_EXPORTER_IMAGE = 'natsio/prometheus-nats-exporter:0.20.1';
const CONFIG = '/etc/nats/nats-server.conf';
/** Included by the config (paths are relative to it); holds only the bcrypt hash of the password. */
const AUTH = '/etc/nats/auth.conf';

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
  concern: 'messaging',
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
      '# Clients authenticate as "platform"; auth.conf holds the bcrypt hash of the generated password.',
      'include "auth.conf"',
      '',
    ].join('\n');
    // The server verifies clients against a bcrypt hash, so no file in the container holds the password.
    const auth = tpl`authorization {\n  user: "platform"\n  password: "${{ ...secretRef('nats', 'password'), form: 'bcrypt' }}"\n}\n`;
    const metrics = exporter(ctx, {
      image: NATS_EXPORTER_IMAGE,
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
            env: {},
            // No user in the image and a root-owned Docker volume: root on Docker, 1000 on Kubernetes.
            user: '1000:1000',
            startsAsRoot: true,
            scratchPaths: [],
            ports: [port('client', 4222, 'client', 'nats', c.hostPorts), port('monitoring', 8222, 'admin', 'http', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/data' }],
            files: [{ path: CONFIG, content: config, mode: 0o644, format: 'nats.conf' }, secretFile(AUTH, auth, { format: 'nats.conf' })],
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
