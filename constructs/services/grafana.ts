/**
 * Grafana: dashboards over the services' signals, the logs in Loki and the traces in Jaeger. It has
 * its own login (a generated admin password; anonymous access and sign-up are off) and is the one
 * monitoring UI a cluster routes through its Gateway (with TLS).
 *
 * Its datasources and dashboards are the target's: which address reaches Prometheus, Loki and Jaeger
 * differs per target, and the dashboards follow the services the target runs (monitoring/grafana.ts).
 */
import { backupPlan, backupSchedule, withBackup } from './backup';
import type { BuildContext } from './common';
import { secretRef } from '../spec/template';
import type { ServiceSpec } from '../spec/types';
import { httpHealth, port, resolveImage, secretValueFile } from './common';
import type { MonitoringConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const GRAFANA_IMAGE = 'grafana/grafana:13.2.0';
export const GRAFANA_PORT = 3000;
/** Where the target writes the datasources, the dashboard provider and the dashboards. */
export const GRAFANA_PROVISIONING = '/etc/grafana/provisioning';
export const GRAFANA_DASHBOARDS = '/var/lib/grafana-dashboards';
export const GRAFANA_ADMIN = 'admin';
/** The user Prometheus signs in with on Grafana's /metrics ([metrics] basic_auth_username). */
export const GRAFANA_METRICS_USER = 'prometheus';

/**
 * Grafana's settings every target writes (as GF_* variables on a single host, as grafana.ini on a
 * cluster): no anonymous access, no sign-up, no phoning home.
 */
export const GRAFANA_SETTINGS: Readonly<Record<string, Readonly<Record<string, string | boolean>>>> = {
  auth: { disable_login_form: false },
  'auth.anonymous': { enabled: false },
  users: { allow_sign_up: false, allow_org_create: false },
  security: { disable_gravatar: true, cookie_samesite: 'strict' },
  analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
  plugins: { plugin_admin_enabled: false },
};

/** The settings as Grafana's environment variables (`GF_<SECTION>_<KEY>`). */
export function grafanaEnv(settings: typeof GRAFANA_SETTINGS): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).flatMap(([section, keys]) =>
      Object.entries(keys).map(([k, v]) => [`GF_${section.replace(/\./g, '_').toUpperCase()}_${k.toUpperCase()}`, String(v)]),
    ),
  );
}

export type GrafanaFacet = Readonly<Record<string, never>>;

export function grafana(c: MonitoringConfig, ctx: BuildContext): ServiceSpec<'grafana', GrafanaFacet> {
  const g = c.grafana;
  const admin = secretValueFile('grafana', 'admin-password');
  const key = secretValueFile('grafana', 'secret-key');
  const metricsPassword = secretValueFile('grafana', 'metrics-password');
  return {
    ...partIdentity('grafana', 'grafana', 'Grafana: dashboards, logs and traces, behind its own login.'),
    facet: {},
    secrets: [
      { name: 'admin-password', description: `Password of Grafana's "${GRAFANA_ADMIN}" (seeds the admin at first start)`, length: 32 },
      { name: 'secret-key', description: "Grafana's secret_key (encrypts datasource secrets in its database)", length: 48 },
      {
        name: 'metrics-password',
        description: `Password of "${GRAFANA_METRICS_USER}" on Grafana's /metrics (basic auth; Grafana is reached from outside)`,
        length: 32,
      },
    ],
    volumes: [
      { name: 'data', size: g.persistence.size, description: "Grafana's database (users, preferences, annotations)", backup: true },
    ],
    // Dashboards, datasources and alerting are provisioned from the stack's files: only what people
    // changed in the UI lives in the database.
    ...withBackup(
      backupPlan(ctx.backups, {
        service: 'grafana',
        method: 'volume-snapshot',
        description: "a snapshot of the data volume (Grafana's SQLite database) where the target takes one",
        volumes: ['data'],
        consistency: 'crash-consistent',
        schedule: backupSchedule('grafana', 1440, ctx.backups?.windowMinute ?? 0),
        gaps: 'only AWS snapshots the volume (AWS Backup, daily); on Docker and other clusters nothing copies it: users, preferences and annotations made in the UI are lost with the volume (dashboards and datasources come back from the stack)',
      }),
    ),
    jobs: [],
    // Its datasources (and the Prometheus and Alertmanager passwords they sign in with).
    dependsOn: ['prometheus', 'alertmanager', 'loki', 'jaeger'],
    containers: [
      {
        name: 'main',
        image: resolveImage(GRAFANA_IMAGE, g),
        // The image's grafana user (472, group root), which owns /var/lib/grafana in the image.
        user: '472:0',
        scratchPaths: ['/tmp'],
        env: {
          GF_SERVER_HTTP_PORT: String(GRAFANA_PORT),
          GF_PATHS_DATA: '/var/lib/grafana',
          GF_PATHS_PROVISIONING: GRAFANA_PROVISIONING,
          GF_LOG_MODE: 'console',
          GF_SECURITY_ADMIN_USER: GRAFANA_ADMIN,
          // The image's run.sh reads *__FILE variables into the setting (packaging/docker/run.sh).
          GF_SECURITY_ADMIN_PASSWORD__FILE: admin.path,
          GF_SECURITY_SECRET_KEY__FILE: key.path,
          // [metrics] basic auth: with both set, /metrics asks for them (conf/sample.ini).
          GF_METRICS_BASIC_AUTH_USERNAME: GRAFANA_METRICS_USER,
          GF_METRICS_BASIC_AUTH_PASSWORD__FILE: metricsPassword.path,
          ...grafanaEnv(GRAFANA_SETTINGS),
        },
        ports: [{ ...port('http', GRAFANA_PORT, 'ui', 'http', g.hostPorts), external: true }],
        mounts: [{ volume: 'data', path: '/var/lib/grafana' }],
        files: [admin, key, metricsPassword],
        health: httpHealth(GRAFANA_PORT, '/api/health', { startPeriodSeconds: 60 }),
        resources: g.resources,
        stopGracePeriodSeconds: 30,
      },
    ],
    metrics: {
      container: 'main',
      port: GRAFANA_PORT,
      path: '/metrics',
      source: 'native',
      // Grafana's port is reached from outside (published, or through the Gateway): its /metrics too.
      auth: { kind: 'basic', username: GRAFANA_METRICS_USER, password: secretRef('grafana', 'metrics-password') },
      names: namesOf('grafana', GRAFANA_IMAGE),
      signals: [scrapedUp('grafana')],
    },
  };
}
