import { z } from 'zod';
import { hostRef, secretRef, tpl } from '../spec/template';
import { defineService, health, identity, imageOrVersion, job, persistenceSchema, port, resolveImage, serviceFields } from './common';

export const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z';
export const MC_IMAGE = 'quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z';

/** S3 bucket naming rules (3-63 chars, lower case, digits, dots, hyphens; no IP-like names). */
export const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be 3-63 lower-case letters, digits, dots or hyphens')
  .refine((b) => !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b), 'is not a valid bucket name');

export const minioSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /**
     * Buckets created at deploy (idempotent).
     * @default ['workflow-artifacts', 'agent-outputs', 'user-uploads']
     */
    buckets: z
      .array(bucketName)
      .min(1)
      .default(['workflow-artifacts', 'agent-outputs', 'user-uploads'])
      .refine((b) => new Set(b).size === b.length, 'bucket names must be unique'),
    /** Keep object versions in every bucket. @default true */
    versioning: z.boolean().default(true),
  })
  .superRefine(imageOrVersion);

export const minio = defineService({
  name: 'minio',
  title: 'MinIO',
  description: 'S3-compatible object storage for workflow artifacts, agent outputs and uploads.',
  schema: minioSchema,
  build(c, ctx) {
    const rootUser = tpl`${secretRef('minio', 'root-user')}`;
    const rootPassword = tpl`${secretRef('minio', 'root-password')}`;
    const script = [
      'set -eu',
      'mc alias set platform "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null',
      ...c.buckets.map((b) => `mc mb --ignore-existing "platform/${b}"`),
      ...(c.versioning ? c.buckets.map((b) => `mc version enable "platform/${b}"`) : []),
      ...c.buckets.map((b) => `mc anonymous set none "platform/${b}"`),
    ].join('\n');
    return [
      {
        ...identity(this, c.replicas),
        managed: 's3',
        secrets: [
          { name: 'root-user', description: 'MinIO root access key', length: 20 },
          { name: 'root-password', description: 'MinIO root secret key', length: 40 },
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Object data', backup: true }],
        jobs: [
          job(ctx, {
            name: 'create-buckets',
            description: `Creates ${c.buckets.join(', ')}${c.versioning ? ' with versioning' : ''}, private`,
            image: resolveImage(MC_IMAGE, {}),
            command: ['/bin/sh', '-c', script],
            env: {
              MINIO_URL: tpl`http://${hostRef('minio')}:9000`,
              MINIO_ROOT_USER: rootUser,
              MINIO_ROOT_PASSWORD: rootPassword,
            },
          }),
        ],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(MINIO_IMAGE, c),
            args: ['server', '/data', '--address', ':9000', '--console-address', ':9001'],
            env: {
              MINIO_ROOT_USER: rootUser,
              MINIO_ROOT_PASSWORD: rootPassword,
              // Metrics stay on the service network (the port is never published); no token needed to scrape.
              MINIO_PROMETHEUS_AUTH_TYPE: 'public',
              MINIO_BROWSER_REDIRECT: 'false',
            },
            ports: [port('api', 9000, 'client', 'http', c.hostPorts), port('console', 9001, 'admin', 'http', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/data' }],
            files: [],
            health: health(['mc', 'ready', 'local'], { http: { port: 9000, path: '/minio/health/ready' }, startPeriodSeconds: 20 }),
            resources: c.resources,
            stopGracePeriodSeconds: 30,
          },
        ],
        metrics: { container: 'main', port: 9000, path: '/minio/v2/metrics/cluster', source: 'native' },
      },
    ];
  },
});
