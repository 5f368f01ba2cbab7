/**
 * Loki, one binary (all components in one process): stores the logs Alloy ships and answers
 * Grafana. Single tenant (`auth_enabled: false`), so its API has no authentication: it is never
 * published on a single host, and on a cluster only Alloy and Grafana reach it. The compactor deletes
 * logs older than the configured retention.
 */
import type { ServiceSpec } from '../spec/types';
import { port, resolveImage } from './common';
import type { MonitoringConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const LOKI_IMAGE = 'grafana/loki:3.7.6';
export const LOKI_PORT = 3100;
const CONFIG = '/etc/loki/loki.yaml';
/** What anyone who reaches Loki's API can do (`PortSpec.anonymous`). */
const LOKI_ANONYMOUS = 'reads every service’s logs (and pushes forged lines)';
export const LOKI_UNAUTHENTICATED =
  'Loki in single-tenant mode has no authentication; only the log shipper and Grafana reach it (never published on a single host)';

/** What Loki's realizations know beyond the spec: how long logs are kept. */
export interface LokiFacet {
  readonly retention: string;
}

/** Loki's configuration on a single host: filesystem storage on its volume, compactor retention. */
export function lokiFilesystemConfig(retention: string): string {
  return `${JSON.stringify(
    {
      auth_enabled: false,
      server: { http_listen_port: LOKI_PORT, grpc_listen_port: 9095, log_level: 'info' },
      common: {
        instance_addr: '127.0.0.1',
        path_prefix: '/loki',
        storage: { filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } },
        replication_factor: 1,
        ring: { kvstore: { store: 'inmemory' } },
      },
      schema_config: {
        configs: [
          { from: '2024-04-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } },
        ],
      },
      compactor: { working_directory: '/loki/compactor', retention_enabled: true, delete_request_store: 'filesystem' },
      limits_config: { retention_period: retention },
      analytics: { reporting_enabled: false },
    },
    null,
    2,
  )}\n`;
}

export function loki(c: MonitoringConfig): ServiceSpec<'loki', LokiFacet> {
  const l = c.loki;
  return {
    ...partIdentity('loki', 'loki', 'Loki (single binary): stores and serves the logs of every container.'),
    facet: { retention: l.retention },
    secrets: [],
    volumes: [{ name: 'data', size: l.persistence.size, description: 'Log chunks and index', backup: false }],
    jobs: [],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(LOKI_IMAGE, l),
        // The image's loki user, which owns /loki in the image.
        user: '10001:10001',
        scratchPaths: ['/tmp'],
        args: [`-config.file=${CONFIG}`],
        env: {},
        ports: [
          { ...port('http', LOKI_PORT, 'client', 'http', l.hostPorts), anonymous: LOKI_ANONYMOUS, neverPublished: LOKI_UNAUTHENTICATED },
        ],
        mounts: [{ volume: 'data', path: '/loki' }],
        files: [{ path: CONFIG, content: lokiFilesystemConfig(l.retention), mode: 0o644, format: 'loki.yaml' }],
        // The image is distroless: Loki asks its own /ready (cmd/loki/health.go).
        health: {
          exec: ['/usr/bin/loki', '-health', `-health.url=http://127.0.0.1:${LOKI_PORT}/ready`],
          http: { port: LOKI_PORT, path: '/ready' },
          intervalSeconds: 15,
          timeoutSeconds: 5,
          retries: 6,
          startPeriodSeconds: 30,
        },
        resources: l.resources,
        stopGracePeriodSeconds: 30,
      },
    ],
    metrics: {
      container: 'main',
      port: LOKI_PORT,
      path: '/metrics',
      source: 'native',
      auth: { kind: 'none', reason: LOKI_UNAUTHENTICATED },
      names: namesOf('loki', LOKI_IMAGE),
      signals: [scrapedUp('loki')],
    },
  };
}
