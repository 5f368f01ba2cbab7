import { z } from 'zod';
import { hostRef, tpl } from '../spec/template';
import { defineService, health, identity, imageOrVersion, job, persistenceSchema, port, resolveImage, serviceFields } from './common';
import { probe } from './sidecars';

export const OLLAMA_IMAGE = 'ollama/ollama:0.13.5';

/** `name:tag` or `namespace/name:tag`; the tag is required so a pull is reproducible. */
export const modelRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?:[a-z0-9][a-z0-9._-]*$/i, 'must be name:tag, e.g. llama3.2:3b')
  .refine((m) => !m.toLowerCase().endsWith(':latest'), 'the "latest" tag is not allowed; pin a model tag');

export const ollamaSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /** Models pulled at deploy, by exact tag. @default [] */
    models: z
      .array(modelRef)
      .default([])
      .refine((m) => new Set(m).size === m.length, 'models must be unique'),
    /** GPUs for inference; the environment's target must provide them. 0 runs on CPU. @default 0 */
    gpus: z.number().int().min(0).max(8).default(0),
    /** How long a model stays loaded after its last request (OLLAMA_KEEP_ALIVE). @default '5m' */
    keepAlive: z
      .string()
      .regex(/^(-1|\d+[smh])$/, 'must be a duration such as 5m, 1h or -1')
      .default('5m'),
    /** Parallel requests per model (OLLAMA_NUM_PARALLEL). @default 1 */
    numParallel: z.number().int().min(1).max(32).default(1),
    /** Models kept in memory at once (OLLAMA_MAX_LOADED_MODELS). @default 1 */
    maxLoadedModels: z.number().int().min(1).max(16).default(1),
  })
  .superRefine(imageOrVersion);

export const ollama = defineService({
  name: 'ollama',
  title: 'Ollama',
  description: 'Local model runtime for LLM inference, on GPU where the environment has one.',
  schema: ollamaSchema,
  build(c, ctx) {
    const image = resolveImage(OLLAMA_IMAGE, c);
    const metrics = probe(ctx, { port: 11434, path: '/api/version' });
    return [
      {
        ...identity(this, c.replicas),
        secrets: [],
        volumes: [{ name: 'models', size: c.persistence.size, description: 'Pulled model weights (re-pullable)', backup: false }],
        jobs:
          c.models.length === 0
            ? []
            : [
                job(ctx, {
                  name: 'pull-models',
                  description: `Pulls ${c.models.join(', ')}`,
                  image,
                  command: ['/bin/sh', '-c', ['set -eu', ...c.models.map((m) => `ollama pull "${m}"`)].join('\n')],
                  env: { OLLAMA_HOST: tpl`http://${hostRef('ollama')}:11434` },
                }),
              ],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image,
            env: {
              OLLAMA_HOST: '0.0.0.0:11434',
              OLLAMA_KEEP_ALIVE: c.keepAlive,
              OLLAMA_NUM_PARALLEL: String(c.numParallel),
              OLLAMA_MAX_LOADED_MODELS: String(c.maxLoadedModels),
            },
            ports: [port('http', 11434, 'client', 'http', c.hostPorts)],
            mounts: [{ volume: 'models', path: '/root/.ollama' }],
            files: [],
            // `ollama list` asks the running server over its API; the image has no curl.
            health: health(['ollama', 'list'], { http: { port: 11434, path: '/api/version' }, startPeriodSeconds: 30 }),
            resources: c.resources,
            gpus: c.gpus,
            stopGracePeriodSeconds: 30,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
      },
    ];
  },
});
