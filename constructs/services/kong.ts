/**
 * Kong Gateway (open source, 3.9: the last line Kong ships as an open-source image), DB-less: the
 * platform's API gateway. Its declarative configuration (`_format_version: "3.0"`) is generated
 * from the catalogue: every port another spec marks as an API (`PortSpec.api`) becomes a Kong
 * service with one route, `/<api>`, behind key authentication, an ACL per API, rate limiting,
 * request-size limiting and CORS; Prometheus metrics for everything on the status listener.
 *
 * Kong's consumers are the environment's applications (`consumers`): each that uses Kong gets a
 * generated API key (`apikey` header) and the APIs it asked for (every API by default). Key-auth
 * credentials cannot be vault references in Kong OSS (`keyauth_credentials.key` is not
 * referenceable), so the keys sit in the declarative file, which is therefore a secret file.
 *
 * Services without authentication of their own (Ollama) are reached from outside their network
 * through Kong only: applications get Kong instead of them unless they name them, and on a cluster
 * network policy admits Kong and the consumers that named them, no one else.
 */
import { z } from 'zod';
import { memoryBytes, parseGoDuration } from '../spec/quantity';
import { hostRef, secretRef, tpl } from '../spec/template';
import type { ConsumerAccess, ServiceSpec, Template, TemplatePart, Text } from '../spec/types';
import {
  consumerSecret,
  consumersOf,
  defineService,
  health,
  imageOrVersion,
  joinTemplates,
  memoryQuantity,
  port,
  resolveImage,
  secretFile,
  serviceFields,
} from './common';
import type { Requirement } from '../spec/types';
import { namesOf, scrapedUp } from './signals';

export const KONG_IMAGE = 'kong:3.9.3';
/** The declarative configuration (a secret file: it holds the consumers' keys). */
export const KONG_CONFIG = '/etc/kong/kong.yml';
export const KONG_TLS = { certificate: '/etc/kong/tls/tls.crt', key: '/etc/kong/tls/tls.key' } as const;
/** Kong's working directory: under /tmp, which every target lets it write (the image's /usr/local/kong is owned by its own user). */
const PREFIX = '/tmp/kong';
/** The listeners: the proxy (plain and TLS) and the status API (health and /metrics); 8080, as Roundcube has 8000. */
export const KONG_PORTS = { proxy: 8080, proxyTls: 8443, status: 8100 } as const;
/** The plugins this configuration uses; Kong loads no other (`KONG_PLUGINS`). */
export const KONG_PLUGINS = ['key-auth', 'acl', 'rate-limiting', 'request-size-limiting', 'cors', 'prometheus'] as const;
/** The header applications send their key in. */
export const API_KEY_HEADER = 'apikey';

const goDuration = z
  .string()
  .regex(/^(?:[0-9]+(?:ms|s|m|h))+$/, 'must be a duration such as 30s, 5m or 1h')
  .refine((d) => (parseGoDuration(d) ?? 0) >= 1, 'must be at least one second');

export const kongSchema = z
  .strictObject({
    ...serviceFields,
    /** Replicas the autoscaler may add on a cluster (CPU above 70% of the requests). @default 3 x replicas */
    maxReplicas: z.number().int().min(1).max(50).optional(),
    /** Requests per consumer (per API) and minute, counted by each Kong node (`policy: local`). @default 600 */
    requestsPerMinute: z.number().int().min(1).max(1_000_000).default(600),
    /** Largest request body accepted (request-size-limiting). @default '16Mi' */
    maxRequestSize: memoryQuantity.default('16Mi'),
    /**
     * Origins browsers may call the APIs from (CORS). The keys travel in a header, never in cookies,
     * so credentials are not allowed cross-origin whatever this says.
     * @default ['*']
     */
    corsOrigins: z
      .array(
        z.union([
          z.literal('*'),
          z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d+)?$/, 'must be an origin such as https://app.example.com, or *'),
        ]),
      )
      .min(1)
      .default(['*']),
    /** How long Kong waits for an API's answer (model generations take minutes). @default '5m' */
    readTimeout: goDuration.default('5m'),
  })
  .superRefine(imageOrVersion)
  .superRefine((c, ctx) => {
    if (c.maxReplicas !== undefined && c.maxReplicas < c.replicas)
      ctx.addIssue({ code: 'custom', path: ['maxReplicas'], message: `is below replicas (${c.replicas})` });
  });

/** What an application may ask for: the APIs it calls, by name. @default every API */
export const kongAccess = z.strictObject({
  apis: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be an API name such as ollama'))
    .min(1)
    .refine((a) => new Set(a).size === a.length, 'lists an API twice')
    .optional(),
});

/** One API the gateway serves: a port another spec marks `api`. */
export interface KongApi {
  readonly name: string;
  readonly description: string;
  /** The spec that serves it, and the port. */
  readonly service: string;
  readonly port: number;
  readonly appProtocol: string;
}

/** What Kong's realizations know beyond the spec. */
export interface KongFacet {
  readonly apis: readonly KongApi[];
  /** Kong consumers: an application's name and the APIs it may call. */
  readonly consumers: readonly { readonly name: string; readonly apis: readonly string[] }[];
}

/** The APIs the other specs declare, in catalogue order. */
export function apisOf(specs: readonly ServiceSpec[]): KongApi[] {
  return specs.flatMap((s) =>
    s.containers.flatMap((c) =>
      c.ports.flatMap((p) =>
        p.api ? [{ name: p.api.name, description: p.api.description, service: s.name, port: p.port, appProtocol: p.appProtocol }] : [],
      ),
    ),
  );
}

const SERVICE = {
  name: 'kong',
  title: 'Kong Gateway (API gateway)',
  description:
    "The platform's API gateway (Kong OSS, DB-less): the APIs services declare, behind per-application API keys, rate and size limits, CORS and metrics.",
  concern: 'edge',
} as const;

export const kong = defineService({
  ...SERVICE,
  schema: kongSchema,
  consumerAccess: kongAccess,
  observes: true,
  apiGateway: true,
  build(c, ctx) {
    const image = resolveImage(KONG_IMAGE, c);
    const apis = apisOf(ctx.observed ?? []);
    const names = apis.map((a) => a.name);
    const problems: Requirement[] = [];
    const consumers = consumersOf(ctx, kongAccess).map((a) => {
      const asked = a.access.apis ?? names;
      for (const api of asked.filter((x) => !names.includes(x)))
        problems.push({
          path: 'consumers',
          message: `consumer ${a.name} asks Kong for API "${api}", which no enabled service serves (${names.join(', ') || 'none'})`,
        });
      return { name: a.name, apis: asked.filter((x) => names.includes(x)), secret: consumerSecret(a.name, 'key') };
    });
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    for (const n of new Set(twice)) problems.push({ path: 'services', message: `two services declare the API "${n}"` });
    const config = declarativeConfig(c, apis, consumers);
    const hasKeys = consumers.length > 0;
    const file = hasKeys
      ? secretFile(KONG_CONFIG, config, { format: 'kong.yml' })
      : { path: KONG_CONFIG, content: config, mode: 0o444, format: 'kong.yml' };
    const facet: KongFacet = { apis, consumers: consumers.map(({ name, apis: a }) => ({ name, apis: a })) };
    const spec: ServiceSpec<'kong', KongFacet> = {
      name: 'kong',
      component: 'kong',
      configPath: 'services.kong',
      description: SERVICE.description,
      concern: 'edge',
      replicas: c.replicas,
      scaling: { kind: 'autoscaled', max: c.maxReplicas ?? c.replicas * 3, cpuUtilization: 70 },
      facet,
      secrets: consumers.map((a) => ({
        name: a.secret,
        description: `API key of consumer ${a.name} (Kong consumer ${a.name}: ${a.apis.join(', ') || 'no API'})`,
        length: 40,
        audience: 'application' as const,
      })),
      certificates: [
        {
          name: 'tls',
          description: "The certificate of Kong's TLS listener (8443)",
          dnsNames: [],
          container: 'main',
          paths: KONG_TLS,
        },
      ],
      volumes: [],
      jobs: [],
      dependsOn: [...new Set(apis.map((a) => a.service))],
      ...(problems.length ? { configIssues: problems } : {}),
      containers: [
        {
          name: 'main',
          image,
          // The Kong chart's identity (the image's own `kong` user has no fixed uid).
          user: '1000:1000',
          scratchPaths: ['/tmp'],
          env: {
            KONG_DATABASE: 'off',
            KONG_DECLARATIVE_CONFIG: KONG_CONFIG,
            KONG_PREFIX: PREFIX,
            KONG_PROXY_LISTEN: `0.0.0.0:${KONG_PORTS.proxy}, 0.0.0.0:${KONG_PORTS.proxyTls} ssl http2`,
            KONG_SSL_CERT: KONG_TLS.certificate,
            // The entrypoint reads the key's PEM from the file (file_env).
            KONG_SSL_CERT_KEY_FILE: KONG_TLS.key,
            // DB-less: the Admin API could only read; it and Kong Manager stay off.
            KONG_ADMIN_LISTEN: 'off',
            KONG_ADMIN_GUI_LISTEN: 'off',
            KONG_STATUS_LISTEN: `0.0.0.0:${KONG_PORTS.status}`,
            KONG_PLUGINS: KONG_PLUGINS.join(','),
            KONG_ANONYMOUS_REPORTS: 'off',
            KONG_HEADERS: 'off',
            KONG_NGINX_WORKER_PROCESSES: '2',
            // The client address behind the Gateway or a load balancer (private addresses only).
            KONG_TRUSTED_IPS: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16',
            KONG_REAL_IP_HEADER: 'X-Forwarded-For',
            KONG_REAL_IP_RECURSIVE: 'on',
          },
          ports: [
            { ...port('proxy', KONG_PORTS.proxy, 'client', 'http', c.hostPorts), external: true, externalHost: 'api' },
            port('proxy-tls', KONG_PORTS.proxyTls, 'client', 'https', c.hostPorts),
            port('status', KONG_PORTS.status, 'metrics', 'http', c.hostPorts),
          ],
          mounts: [],
          files: [file],
          // `kong health` checks the nginx master of $KONG_PREFIX; probes use the status API.
          health: health(['kong', 'health'], {
            http: { port: KONG_PORTS.status, path: '/status/ready' },
            startPeriodSeconds: 30,
          }),
          resources: c.resources,
          stopGracePeriodSeconds: 20,
        },
      ],
      metrics: {
        container: 'main',
        port: KONG_PORTS.status,
        path: '/metrics',
        source: 'native',
        auth: {
          kind: 'none',
          reason:
            "Kong's status listener serves health and metrics only, never the proxy or configuration; not published, and admitted to the monitoring stack alone",
        },
        ...kongMetrics(),
      },
      consumers: consumers.map((a): ConsumerAccess => ({
        consumer: a.name,
        ports: ['proxy'],
        facts: {
          url: tpl`http://${hostRef('kong')}:${KONG_PORTS.proxy}`,
          apis: a.apis.map((x) => `/${x}`).join(' '),
          header: API_KEY_HEADER,
        },
        credentials: { apikey: tpl`${secretRef('kong', a.secret)}` },
        grants: `an API key (header ${API_KEY_HEADER}) for ${a.apis.map((x) => `/${x}`).join(', ') || 'no API'}, ${c.requestsPerMinute} requests a minute per API, bodies up to ${c.maxRequestSize}`,
      })),
    };
    return [spec] as const;
  },
});

/**
 * What Kong's Prometheus plugin tells (its own `service` label, the Kong service, becomes
 * `exported_service` when scraped): the gateway up (it answers), the requests it proxies and those
 * answered with a server error, whether the upstream's (`source="service"`) or Kong's own.
 */
function kongMetrics() {
  const s = 'service="kong"';
  const requests = (code: number, source: 'service' | 'kong') =>
    `kong_http_requests_total{${s},instance="kong:${KONG_PORTS.status}",exported_service="ollama",route="ollama",code="${code}",source="${source}",workspace="default",consumer="app"}`;
  return {
    names: namesOf('kong', KONG_IMAGE),
    signals: [
      scrapedUp('kong'),
      {
        record: 'platform:requests:rate5m',
        expr: `sum by (service) (rate(kong_http_requests_total{${s}}[5m]))`,
        example: { series: { [requests(200, 'service')]: '0+120x30', [requests(502, 'kong')]: '0+60x30' }, service: 'kong', value: 3 },
      },
      {
        record: 'platform:request_errors:rate5m',
        expr: `sum by (service) (rate(kong_http_requests_total{${s},code=~"5.."}[5m]))`,
        example: { series: { [requests(200, 'service')]: '0+120x30', [requests(502, 'kong')]: '0+60x30' }, service: 'kong', value: 1 },
      },
    ],
    panels: [
      { title: 'Requests through the gateway', expr: 'platform:requests:rate5m{service="kong"}', unit: 'reqps' },
      { title: 'Server errors through the gateway', expr: 'platform:request_errors:rate5m{service="kong"}', unit: 'reqps' },
    ],
  };
}

/** The value of a declarative configuration: plain data (objects, arrays, scalars), with templates where generated keys go. */
type Value = unknown;

/**
 * Kong's declarative configuration: one service and route per API, the plugins on each service,
 * the consumers with their keys and ACL groups, and Prometheus globally.
 */
export function declarativeConfig(
  c: Pick<z.output<typeof kongSchema>, 'requestsPerMinute' | 'maxRequestSize' | 'corsOrigins' | 'readTimeout'>,
  apis: readonly KongApi[],
  consumers: readonly { name: string; apis: readonly string[]; secret: string }[],
): Text {
  const readMs = Math.round(parseGoDuration(c.readTimeout)! * 1000);
  const value: Value = {
    _format_version: '3.0',
    _transform: true,
    services: apis.map((a) => ({
      name: a.name,
      url: tpl`http://${hostRef(a.service)}:${a.port}`,
      connect_timeout: 10000,
      write_timeout: 60000,
      read_timeout: readMs,
      retries: 2,
      tags: ['platform', `api-${a.name}`],
      routes: [
        {
          name: a.name,
          paths: [`/${a.name}`],
          strip_path: true,
          protocols: ['http', 'https'],
          preserve_host: false,
          // Generated tokens stream: pass them on as they come.
          response_buffering: false,
          tags: ['platform'],
        },
      ],
      plugins: [
        {
          name: 'key-auth',
          config: {
            key_names: [API_KEY_HEADER],
            key_in_header: true,
            key_in_query: false,
            key_in_body: false,
            hide_credentials: true,
            // Browsers send no key with a CORS preflight.
            run_on_preflight: false,
          },
        },
        { name: 'acl', config: { allow: [a.name], hide_groups_header: true } },
        {
          name: 'rate-limiting',
          config: { minute: c.requestsPerMinute, limit_by: 'consumer', policy: 'local', fault_tolerant: true, hide_client_headers: false },
        },
        {
          name: 'request-size-limiting',
          config: {
            allowed_payload_size: Math.ceil(memoryBytes(c.maxRequestSize) / 1024),
            size_unit: 'kilobytes',
            require_content_length: false,
          },
        },
        {
          name: 'cors',
          config: {
            origins: [...c.corsOrigins],
            methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
            headers: [API_KEY_HEADER, 'Content-Type', 'Accept'],
            credentials: false,
            max_age: 3600,
            preflight_continue: false,
          },
        },
      ],
    })),
    consumers: consumers.map((a) => ({
      username: a.name,
      custom_id: a.name,
      tags: ['platform'],
      keyauth_credentials: [{ key: tpl`${secretRef('kong', a.secret)}`, tags: ['platform'] }],
      acls: a.apis.map((group) => ({ group, tags: ['platform'] })),
    })),
    plugins: [
      {
        name: 'prometheus',
        config: {
          per_consumer: true,
          status_code_metrics: true,
          latency_metrics: true,
          bandwidth_metrics: true,
          upstream_health_metrics: true,
        },
      },
    ],
  };
  return joinTemplates([...yamlLines(value, ''), ''], '\n');
}

const isTemplate = (v: Value): v is Template =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'template';

/** A scalar as YAML: strings double-quoted (JSON's escaping is YAML's); a template's literal parts escaped the same way. */
function scalar(v: Value): Text {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isTemplate(v)) {
    const parts: TemplatePart[] = ['"', ...v.parts.map((p) => (typeof p === 'string' ? JSON.stringify(p).slice(1, -1) : p)), '"'];
    return { kind: 'template', parts };
  }
  throw new Error('not a scalar');
}

const isScalar = (v: Value) => typeof v !== 'object' || v === null || isTemplate(v);

/** Block-style YAML lines (the generated keys are alphanumeric, so a quoted template needs no escaping). */
function yamlLines(v: Value, indent: string): Text[] {
  if (Array.isArray(v)) {
    return (v as readonly Value[]).flatMap((item) => {
      if (isScalar(item)) return [prefixed(`${indent}- `, scalar(item))];
      const lines = yamlLines(item, `${indent}  `);
      const [first, ...rest] = lines;
      return [prefixed(`${indent}- `, strip(first!, indent.length + 2)), ...rest];
    });
  }
  return Object.entries(v as Readonly<Record<string, Value>>).flatMap(([key, child]) => {
    if (isScalar(child)) return [prefixed(`${indent}${key}: `, scalar(child))];
    if (Array.isArray(child) && child.length === 0) return [`${indent}${key}: []`];
    if (!Array.isArray(child) && Object.keys(child as object).length === 0) return [`${indent}${key}: {}`];
    return [`${indent}${key}:`, ...yamlLines(child, Array.isArray(child) ? indent : `${indent}  `)];
  });
}

function prefixed(prefix: string, t: Text): Text {
  return typeof t === 'string' ? `${prefix}${t}` : joinTemplates([prefix, t], '');
}

function strip(t: Text, n: number): Text {
  if (typeof t === 'string') return t.slice(n);
  const [head, ...rest] = t.parts;
  return { kind: 'template', parts: [typeof head === 'string' ? head.slice(n) : head!, ...rest] };
}
