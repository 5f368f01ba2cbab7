import { z } from 'zod';
import { parseGoDuration } from '../spec/quantity';
import { hostRef, tpl } from '../spec/template';
import type { ConsumerAccess } from '../spec/types';
import {
  consumersOf,
  defineService,
  health,
  identity,
  imageOrVersion,
  job,
  persistenceSchema,
  port,
  resolveImage,
  serviceFields,
} from './common';
import { probe } from './sidecars';

export const OLLAMA_IMAGE = 'ollama/ollama:0.40.2';
/** The model volume; models sit in `models/` inside it, as they did under /root/.ollama. */
const HOME = '/var/lib/ollama';

/**
 * A model by exact tag: `name:tag`, `namespace/name:tag`, or from a registry such as Hugging Face
 * (`hf.co/org/repo:Q4_K_M`). The tag is required so a pull is reproducible.
 */
export const modelRef = z
  .string()
  .regex(
    /^(?:[a-z0-9][a-z0-9.-]*(?::[0-9]+)?\/)?(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)*[A-Za-z0-9][A-Za-z0-9._-]*:[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'must be name:tag, e.g. llama3.2:3b or hf.co/org/repo:Q4_K_M',
  )
  .refine((m) => !m.toLowerCase().endsWith(':latest'), 'the "latest" tag is not allowed; pin a model tag');

/** A Go duration (`5m`, `1h30m`, `0`), or -1 for "keep loaded forever", as Ollama reads it. */
export const goDurationText = z
  .string()
  .regex(/^(?:-1|0|(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+)$/, 'must be a Go duration such as 5m, 1h30m or 0, or -1');

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
    keepAlive: goDurationText.default('5m'),
    /** Parallel requests per model (OLLAMA_NUM_PARALLEL). @default 1 */
    numParallel: z.number().int().min(1).max(32).default(1),
    /** Models kept in memory at once (OLLAMA_MAX_LOADED_MODELS). @default 1 */
    maxLoadedModels: z.number().int().min(1).max(16).default(1),
    /**
     * Time limit of the model download (a Go duration). It runs in the background, resumes where it
     * stopped when restarted, and is stopped at this limit.
     * @default '2h'
     */
    pullTimeout: goDurationText.refine((d) => (parseGoDuration(d) ?? 0) >= 60, 'must be at least one minute, e.g. 30m or 2h').default('2h'),
  })
  .superRefine(imageOrVersion);

/** What a consumer may ask for: nothing (Ollama has no authentication: network policy is its only gate). */
export const ollamaAccess = z.strictObject({});

/** What Ollama's realizations know beyond the spec: the models to have before serving, and the time the pull may take. */
export interface OllamaFacet {
  readonly models: readonly string[];
  readonly pullTimeoutSeconds: number;
}

/**
 * Ollama has no metrics endpoint (no /metrics route as of 0.32: docs/operations.md), so besides the
 * probe its signals come from its request log: the HTTP server logs one line per request, `[GIN] ...
 * | <status> | <latency> | <client> | <method> "<path>"` (gin's default logger), and the log
 * shipper counts the lines, the server errors, and the 503s its scheduler answers when more requests
 * wait than OLLAMA_MAX_QUEUE allows ("server busy, please try again. maximum pending requests
 * exceeded": server/sched.go ErrMaxQueue, answered 503 by routes.go handleScheduleError).
 */
function ollamaMetrics() {
  const line = '^\\[GIN\\] [^|]*\\| ';
  const series = (name: string, values: string) => ({
    [`loki_process_custom_${name}{service="alloy",exported_service="ollama",instance="alloy:12345"}`]: values,
  });
  return {
    fromLogs: [
      { name: 'ollama_requests_total', description: "Requests Ollama's HTTP server answered", regex: `${line}(?P<value>[0-9]{3}) \\|` },
      {
        name: 'ollama_server_errors_total',
        description: 'Requests Ollama answered with a 5xx status',
        regex: `${line}(?P<value>5[0-9]{2}) \\|`,
      },
      {
        name: 'ollama_queue_full_total',
        description: 'Requests Ollama refused because its queue was full (503 server busy)',
        regex: `${line}(?P<value>[0-9]{3}) \\|`,
        equals: '503',
      },
    ],
    signals: [
      {
        record: 'platform:requests:rate5m',
        expr: 'label_replace(sum by (exported_service) (rate(loki_process_custom_ollama_requests_total{exported_service="ollama"}[5m])), "service", "$1", "exported_service", "(.*)")',
        example: { series: series('ollama_requests_total', '0+120x30'), service: 'ollama', value: 2 },
      },
      {
        record: 'platform:request_errors:rate5m',
        expr: 'label_replace(sum by (exported_service) (rate(loki_process_custom_ollama_server_errors_total{exported_service="ollama"}[5m])), "service", "$1", "exported_service", "(.*)")',
        example: { series: series('ollama_server_errors_total', '0+6x30'), service: 'ollama', value: 0.1 },
      },
      {
        record: 'platform:ollama_queue_full:rate5m',
        expr: 'label_replace(sum by (exported_service) (rate(loki_process_custom_ollama_queue_full_total{exported_service="ollama"}[5m])), "service", "$1", "exported_service", "(.*)")',
        example: { series: series('ollama_queue_full_total', '0+30x30'), service: 'ollama', value: 0.5 },
      },
    ],
    alerts: [
      {
        name: 'OllamaRequestsQueued',
        expr: 'platform:ollama_queue_full:rate5m > 0',
        for: '5m',
        severity: 'warning',
        summary: 'Ollama turns requests away: its request queue is full',
        description:
          'More requests wait for a model than OLLAMA_MAX_QUEUE allows, so Ollama answers 503 "server busy": inference is saturated (too few GPUs or parallel slots for the load).',
        test: {
          firing: { series: { 'platform:ollama_queue_full:rate5m{service="ollama"}': 0.2 }, labels: { service: 'ollama' } },
          healthy: { 'platform:ollama_queue_full:rate5m{service="ollama"}': 0 },
        },
      },
    ],
    panels: [
      { title: 'Requests (from its log)', expr: 'platform:requests:rate5m{service="ollama"}', unit: 'reqps' },
      { title: 'Refused: queue full', expr: 'platform:ollama_queue_full:rate5m', unit: 'reqps' },
    ],
  } satisfies Partial<import('./sidecars').ProbeOptions>;
}

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'ollama',
  title: 'Ollama',
  description: 'Local model runtime for LLM inference, on GPU where the environment has one.',
  concern: 'ai',
} as const;

export const ollama = defineService({
  ...SERVICE,
  schema: ollamaSchema,
  consumerAccess: ollamaAccess,
  // No authentication: with the API gateway enabled, applications use it through the gateway
  // (an API key per application) unless they ask for it by name.
  unauthenticated: true,
  build(c, ctx) {
    const apps = consumersOf(ctx, ollamaAccess);
    const image = resolveImage(OLLAMA_IMAGE, c);
    const metrics = probe(ctx, { port: 11434, path: '/api/version', service: 'ollama', ...ollamaMetrics() });
    const pullSeconds = Math.ceil(parseGoDuration(c.pullTimeout)!);
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet: { models: c.models, pullTimeoutSeconds: pullSeconds } satisfies OllamaFacet,
        secrets: [],
        volumes: [{ name: 'models', size: c.persistence.size, description: 'Pulled model weights (re-pullable)', backup: false }],
        jobs:
          c.models.length === 0
            ? []
            : [
                job(ctx, {
                  name: 'pull-models',
                  description: `Pulls ${c.models.join(', ')} in the background (resumable, stopped after ${c.pullTimeout})`,
                  image,
                  user: '1000:1000',
                  command: [
                    '/bin/sh',
                    '-c',
                    [
                      'set -eu',
                      'for attempt in $(seq 1 60); do ollama list >/dev/null 2>&1 && break; sleep 5; done',
                      // One deadline for the whole download; a restart resumes the partial files.
                      `exec timeout ${pullSeconds} sh -c '${c.models.map((m) => `ollama pull "${m}"`).join(' && ')}'`,
                    ].join('\n'),
                  ],
                  env: { OLLAMA_HOST: tpl`http://${hostRef('ollama')}:11434`, HOME: '/tmp' },
                  scratchPaths: ['/tmp'],
                  run: 'background',
                  timeoutSeconds: pullSeconds,
                }),
              ],
        dependsOn: [],
        egress:
          c.models.length === 0
            ? []
            : [{ to: 'internet', ports: [443], reason: 'pulls the configured models from their registry (registry.ollama.ai, hf.co)' }],
        containers: [
          {
            name: 'main',
            image,
            // Root on Docker (its model volume is created root-owned); 1000 on Kubernetes.
            user: '1000:1000',
            startsAsRoot:
              'Docker creates the model volume owned by root and the image has no user of its own; the server writes the models there',
            env: {
              OLLAMA_HOST: '0.0.0.0:11434',
              HOME,
              OLLAMA_MODELS: `${HOME}/models`,
              OLLAMA_KEEP_ALIVE: c.keepAlive,
              OLLAMA_NUM_PARALLEL: String(c.numParallel),
              OLLAMA_MAX_LOADED_MODELS: String(c.maxLoadedModels),
            },
            ports: [
              {
                ...port('http', 11434, 'client', 'http', c.hostPorts),
                // Ollama has no authentication; listening on 0.0.0.0, as it must for other containers
                // to reach it, it also skips its Host-header check (server/routes.go,
                // allowedHostsMiddleware), and OLLAMA_ORIGINS stays unset.
                anonymous:
                  'Ollama has no authentication: anyone who reaches it can run, pull, copy and delete models; and since it listens on 0.0.0.0 inside its container it skips its Host-header check, so a web page open in a browser on this machine can reach it through DNS rebinding',
                // Through the API gateway (its API keys), the way applications reach it from outside its network.
                api: {
                  name: 'ollama',
                  description: 'Ollama: generate, chat and embed with the pulled models (native /api and OpenAI-compatible /v1)',
                },
              },
            ],
            mounts: [{ volume: 'models', path: HOME }],
            files: [],
            scratchPaths: ['/tmp'],
            // `ollama list` asks the running server over its API; the image has no curl.
            health: health(['ollama', 'list'], { http: { port: 11434, path: '/api/version' }, startPeriodSeconds: 30 }),
            resources: c.resources,
            gpus: c.gpus,
            stopGracePeriodSeconds: 30,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
        consumers: apps.map((a): ConsumerAccess => ({
          consumer: a.name,
          ports: ['http'],
          facts: { url: tpl`http://${hostRef('ollama')}:11434`, models: c.models.join(' ') },
          credentials: {},
          grants: 'the whole Ollama API (it has no authentication): only the consumers it admits reach the port',
        })),
      },
    ];
  },
});
