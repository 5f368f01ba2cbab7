/**
 * The monitoring entry's configuration (`services.monitoring`), which every part reads: its schema
 * and types. constructs/services/monitoring.ts builds the parts from it; the parts import it from
 * here, so that no part imports the file that imports it.
 */
import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import type { ResourceRequirements } from '../spec/types';
import { crossCheck, imageOrVersion, memoryQuantity, persistenceSchema, portNumber, resourcesSchema, workloadFields } from './common';

/** A Prometheus duration (`30s`, `15d`, `744h`). */
export const promDuration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be a duration such as 30s, 15d or 744h');

const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, 'must be a short name: lower case, digits, hyphens');
const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an e-mail address');
const severities = z
  .array(z.enum(['critical', 'warning']))
  .min(1)
  .default(['critical', 'warning']);

/**
 * Where alerts go. Secrets (a webhook's bearer token, Slack's webhook URL, the SMTP password) are
 * never written here: each is a sensitive Terraform variable the deploy supplies
 * (`TF_VAR_alertmanager_<name>_<field>`), written into a file Alertmanager reads (`*_file`).
 */
export const receiverSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webhook'),
    name: dnsLabel,
    /** The endpoint (not a secret; authentication goes in the token). */
    url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s):// URL'),
    /** Send `Authorization: Bearer <TF_VAR_alertmanager_<name>_token>`. @default false */
    bearerToken: z.boolean().default(false),
    /** @default ['critical', 'warning'] */
    severities,
  }),
  z.strictObject({
    kind: z.literal('slack'),
    name: dnsLabel,
    /** The channel, e.g. `#platform-alerts` (the webhook URL is the variable `alertmanager_<name>_slack_url`). */
    channel: z.string().regex(/^#?[a-z0-9._-]+$/, 'must be a Slack channel such as #platform-alerts'),
    severities,
  }),
  z.strictObject({
    kind: z.literal('email'),
    name: dnsLabel,
    to: email,
    from: email,
    /** `host:port` of the SMTP server (the platform's mail stack once it exists). */
    smarthost: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port'),
    /** SMTP user; its password is the variable `alertmanager_<name>_smtp_password`. @default no authentication */
    username: z.string().min(1).optional(),
    /** @default true */
    requireTls: z.boolean().default(true),
    severities,
  }),
]);
export type Receiver = z.output<typeof receiverSchema>;

/** Fields every part of the stack takes: image or version, resources, host ports (Docker). */
const part = <T extends z.ZodRawShape>(extra: T) =>
  z
    .strictObject({
      image: workloadFields.image,
      version: workloadFields.version,
      resources: resourcesSchema,
      /** Host ports by port name (Docker target only), overriding `target.publish`. @default the policy */
      hostPorts: z.record(z.string(), portNumber).default({}),
      ...extra,
    })
    .superRefine((v, ctx) => imageOrVersion(v as { image?: string; version?: string }, ctx));

export const monitoringSchema = z
  .strictObject({
    /** @default true */
    enabled: z.boolean().default(true),
    /** How often Prometheus scrapes its targets and evaluates its rules. @default '30s' */
    scrapeInterval: promDuration.default('30s'),
    /**
     * Where an alert's runbook is read: `<runbookBaseUrl><Alert>.md` (point it at this repository's
     * docs/runbooks/ as your browser reaches it).
     * @default 'docs/runbooks/'
     */
    runbookBaseUrl: z.string().min(1).default('docs/runbooks/'),
    /**
     * The most nodes the cluster will have (cluster targets): the per-node agents (Alloy,
     * node-exporter, the DCGM exporter) run one pod on each, and the namespace quotas count that many.
     * @default 10
     */
    nodes: z.number().int().min(1).max(1000).default(10),
    prometheus: part({
      /** How long samples are kept. */
      retention: promDuration,
      /** Size of the TSDB volume; samples are dropped oldest first at `retentionSize`. */
      persistence: persistenceSchema,
      /** @default 85% of the volume */
      retentionSize: memoryQuantity.optional(),
    }),
    alertmanager: part({
      persistence: persistenceSchema,
      /** Where alerts go; none: they are visible in Alertmanager and Grafana only. @default [] */
      receivers: z
        .array(receiverSchema)
        .default([])
        .refine((r) => new Set(r.map((x) => x.name)).size === r.length, 'receiver names must be unique'),
      /** @default 4h */
      repeatInterval: promDuration.default('4h'),
    }),
    grafana: part({ persistence: persistenceSchema }),
    loki: part({
      persistence: persistenceSchema,
      /** How long logs are kept (the compactor deletes older chunks). */
      retention: promDuration,
    }),
    alloy: part({
      /**
       * The container engine's socket on a single host (Docker target), which the log shipper's
       * read-only proxy holds: rootless Docker's is `$XDG_RUNTIME_DIR/docker.sock`, Podman's
       * `/run/podman/podman.sock`.
       * @default '/var/run/docker.sock'
       */
      dockerSocket: z
        .string()
        .regex(/^\/\S+$/, 'must be an absolute path')
        .default('/var/run/docker.sock'),
    }),
    jaeger: part({
      /** Traces Jaeger keeps in memory (the oldest go first; all are lost on restart). */
      maxTraces: z.number().int().min(1000).max(10_000_000),
    }),
    /** node-exporter (hosts) and, on a single host, cAdvisor (containers): their resources. @default enabled */
    hostMetrics: z.strictObject({
      /** @default true */
      enabled: z.boolean().default(true),
      nodeExporter: part({}),
      cadvisor: part({}),
    }),
    /** NVIDIA's DCGM exporter, run where a service uses GPUs. */
    gpuMetrics: part({}),
  })
  .superRefine(
    crossCheck((c, ctx) => {
      const { retentionSize, persistence } = c.prometheus;
      if (retentionSize && memoryBytes(retentionSize) > memoryBytes(persistence.size)) {
        ctx.addIssue({
          code: 'custom',
          path: ['prometheus', 'retentionSize'],
          message: `${retentionSize} is more than the ${persistence.size} volume holds`,
        });
      }
    }),
  );

export type MonitoringConfig = z.output<typeof monitoringSchema>;
/** What every part's config has: image or version, resources, host ports. */
export interface PartConfig {
  readonly image?: string | undefined;
  readonly version?: string | undefined;
  readonly resources: ResourceRequirements;
  readonly hostPorts: Readonly<Record<string, number>>;
}

/** What a per-node agent's realizations know: how many nodes (one member each) a cluster has at most. */
export interface PerNodeFacet {
  readonly nodes: number;
}
