/**
 * Jaeger v2 (an OpenTelemetry Collector distribution): receives traces over OTLP (gRPC 4317, HTTP
 * 4318) from the platform's applications and serves them to Grafana. Traces are kept in memory (the
 * newest `maxTraces`; a restart loses them). Its APIs have no authentication: never published on a
 * single host; on a cluster only its declared peers reach them.
 */
import type { ServiceSpec } from '../spec/types';
import { httpHealth, port, resolveImage } from './common';
import type { MonitoringConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const JAEGER_IMAGE = 'jaegertracing/jaeger:2.20.0';
export const JAEGER_QUERY_PORT = 16686;
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
const HEALTH_PORT = 13133;
const METRICS_PORT = 8888;
const CONFIG = '/etc/jaeger/config.yaml';
/** What anyone who reaches Jaeger's ports can do (`PortSpec.anonymous`). */
const JAEGER_ANONYMOUS = 'reads every trace (requests’ paths and attributes) and sends forged spans';
export const JAEGER_UNAUTHENTICATED =
  'Jaeger has no authentication of its own: OTLP ingest and the query API are reached on the platform network only (never published on a single host)';

/** What Jaeger's realizations know beyond the spec: how many traces it keeps. */
export interface JaegerFacet {
  readonly maxTraces: number;
}

/** Jaeger's v2 configuration: OTLP in, memory storage, the query API, health and metrics (keys of cmd/jaeger/config.yaml). */
export function jaegerConfig(maxTraces: number): Record<string, unknown> {
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      telemetry: {
        resource: { 'service.name': 'jaeger' },
        metrics: { level: 'basic', readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: METRICS_PORT } } } }] },
        logs: { level: 'info' },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${HEALTH_PORT}` } },
      jaeger_query: {
        storage: { traces: 'main' },
        http: { endpoint: `0.0.0.0:${JAEGER_QUERY_PORT}` },
        grpc: { endpoint: '0.0.0.0:16685' },
      },
      jaeger_storage: { backends: { main: { memory: { max_traces: maxTraces } } } },
    },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` }, http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` } } },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'main' } },
  };
}

export function jaeger(c: MonitoringConfig): ServiceSpec<'jaeger', JaegerFacet> {
  const j = c.jaeger;
  const open = (p: ReturnType<typeof port>) => ({ ...p, anonymous: JAEGER_ANONYMOUS, neverPublished: JAEGER_UNAUTHENTICATED });
  return {
    ...partIdentity('jaeger', 'jaeger', 'Jaeger v2: receives traces over OTLP and serves them to Grafana.'),
    facet: { maxTraces: j.maxTraces },
    secrets: [],
    volumes: [],
    jobs: [],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(JAEGER_IMAGE, j),
        user: '10001:10001',
        scratchPaths: ['/tmp'],
        args: ['--config', CONFIG],
        env: {},
        ports: [
          open(port('otlp-grpc', OTLP_GRPC_PORT, 'client', 'grpc', j.hostPorts)),
          open(port('otlp-http', OTLP_HTTP_PORT, 'client', 'http', j.hostPorts)),
          open(port('query', JAEGER_QUERY_PORT, 'client', 'http', j.hostPorts)),
          port('metrics', METRICS_PORT, 'metrics', 'http', j.hostPorts),
          open(port('health', HEALTH_PORT, 'admin', 'http', j.hostPorts)),
        ],
        mounts: [],
        files: [{ path: CONFIG, content: `${JSON.stringify(jaegerConfig(j.maxTraces), null, 2)}\n`, mode: 0o644, format: 'jaeger.yaml' }],
        health: httpHealth(HEALTH_PORT, '/status', { startPeriodSeconds: 20 }),
        resources: j.resources,
        stopGracePeriodSeconds: 30,
      },
    ],
    metrics: {
      container: 'main',
      port: METRICS_PORT,
      path: '/metrics',
      source: 'native',
      auth: { kind: 'none', reason: 'the collector telemetry endpoint serves metrics only, on a metrics port that is never published' },
      names: namesOf('jaeger', JAEGER_IMAGE),
      signals: [scrapedUp('jaeger')],
    },
  };
}
