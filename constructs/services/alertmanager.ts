/**
 * Alertmanager: groups the alerts Prometheus sends, silences what a worse alert already says
 * (inhibition) and notifies the receivers the environment names (a webhook, Slack, e-mail).
 * Receivers' secrets are provided at deploy time (sensitive Terraform variables) and reach
 * Alertmanager as files (`*_file` settings); the config file itself holds no secret. Its API and UI
 * ask for a password (basic auth, as Prometheus'); its health check signs in with amtool.
 *
 * The configuration is built here for every target (`alertmanagerConfig`); only where its secret
 * files are mounted differs.
 */
import { secretRef, tpl } from '../spec/template';
import type { AlertRule, SecretSpec, ServiceSpec } from '../spec/types';
import { port, resolveImage, secretFile, secretValueFile, secretValuePath } from './common';
import type { MonitoringConfig, Receiver } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const ALERTMANAGER_IMAGE = 'quay.io/prometheus/alertmanager:v0.34.0';
export const ALERTMANAGER_PORT = 9093;
export const ALERTMANAGER_CONFIG = '/etc/alertmanager/alertmanager.yml';
const WEB_CONFIG = '/etc/alertmanager/web.yml';
const HEALTH_CONFIG = '/etc/alertmanager/health.yml';
export const ALERTMANAGER_USER = 'admin';

/** The receiver that takes what no route sends elsewhere (nothing is notified; alerts stay visible in the UI). */
export const NO_RECEIVER = 'unrouted';

/** Labels that put alerts in one notification. */
export const GROUP_BY = ['alertname', 'service', 'environment'] as const;

/** What Alertmanager's realizations know beyond the spec: the routing and the receivers. */
export interface AlertmanagerFacet {
  readonly receivers: readonly Receiver[];
  readonly repeatInterval: string;
}

/** The secret a receiver needs, provided at deploy as a sensitive Terraform variable. */
export function receiverSecret(r: Receiver): SecretSpec | undefined {
  const variable = (field: string) => `alertmanager_${r.name.replace(/-/g, '_')}_${field}`;
  switch (r.kind) {
    case 'webhook':
      return r.bearerToken
        ? {
            name: `${r.name}-token`,
            description: `Bearer token of webhook receiver ${r.name}`,
            length: 0,
            provided: { variable: variable('token') },
          }
        : undefined;
    case 'slack':
      return {
        name: `${r.name}-slack-url`,
        description: `Slack webhook URL of receiver ${r.name}`,
        length: 0,
        provided: { variable: variable('slack_url') },
      };
    case 'email':
      return r.username
        ? {
            name: `${r.name}-smtp-password`,
            description: `SMTP password of ${r.username} for receiver ${r.name}`,
            length: 0,
            provided: { variable: variable('smtp_password') },
          }
        : undefined;
  }
}

/**
 * The alertmanager.yml for a target: `secretPath` says where a receiver's secret file is mounted
 * there. Only settings the Debian amtool 0.25 that CI checks with also accepts (webhook URLs are
 * plain, their token a credentials file; Slack's `api_url_file`; e-mail's `auth_password_file`).
 */
export function alertmanagerConfig(facet: AlertmanagerFacet, secretPath: (secret: string) => string): Record<string, unknown> {
  const severity = (r: Receiver) => `severity=~"${r.severities.join('|')}"`;
  const receiver = (r: Receiver): Record<string, unknown> => {
    const secret = receiverSecret(r);
    switch (r.kind) {
      case 'webhook':
        return {
          name: r.name,
          webhook_configs: [
            {
              url: r.url,
              send_resolved: true,
              ...(secret ? { http_config: { authorization: { type: 'Bearer', credentials_file: secretPath(secret.name) } } } : {}),
            },
          ],
        };
      case 'slack':
        return { name: r.name, slack_configs: [{ api_url_file: secretPath(secret!.name), channel: r.channel, send_resolved: true }] };
      case 'email':
        return {
          name: r.name,
          email_configs: [
            {
              to: r.to,
              from: r.from,
              smarthost: r.smarthost,
              require_tls: r.requireTls,
              send_resolved: true,
              ...(r.username && secret ? { auth_username: r.username, auth_password_file: secretPath(secret.name) } : {}),
            },
          ],
        };
    }
  };
  return {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: NO_RECEIVER,
      group_by: [...GROUP_BY],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: facet.repeatInterval,
      // Every receiver gets the severities it asked for (`continue`: several may get the same alert).
      routes: facet.receivers.map((r) => ({ receiver: r.name, matchers: [severity(r)], continue: true })),
    },
    inhibit_rules: [
      // A critical alert of a service silences its warnings: a service that is down also scrapes,
      // evicts or lags; the critical alert says what to do first.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['service', 'environment'] },
    ],
    receivers: [{ name: NO_RECEIVER }, ...facet.receivers.map(receiver)],
    templates: [],
  };
}

const ALERTMANAGER_ALERTS: readonly AlertRule[] = [
  {
    name: 'AlertmanagerNotificationsFailing',
    expr: 'platform:alertmanager_notifications_failed:rate5m > 0',
    for: '10m',
    severity: 'critical',
    summary: 'Alertmanager cannot deliver notifications to {{ $labels.integration }}',
    description: 'Notifications to a receiver fail (a wrong URL, an expired token, an unreachable SMTP server): alerts reach no one there.',
    test: {
      firing: {
        series: { 'platform:alertmanager_notifications_failed:rate5m{service="alertmanager",integration="slack"}': 0.1 },
        labels: { service: 'alertmanager', integration: 'slack' },
      },
      healthy: { 'platform:alertmanager_notifications_failed:rate5m{service="alertmanager",integration="slack"}': 0 },
    },
  },
];

export function alertmanager(c: MonitoringConfig): ServiceSpec<'alertmanager', AlertmanagerFacet> {
  const a = c.alertmanager;
  const facet: AlertmanagerFacet = { receivers: a.receivers, repeatInterval: a.repeatInterval };
  const provided = a.receivers.flatMap((r) => receiverSecret(r) ?? []);
  const password = secretValueFile('alertmanager', 'admin-password');
  const s = 'service="alertmanager"';
  return {
    ...partIdentity('alertmanager', 'alertmanager', 'Alertmanager: groups, inhibits and routes alerts to the receivers.'),
    facet,
    secrets: [
      { name: 'admin-password', description: `Password of "${ALERTMANAGER_USER}" on Alertmanager's API and UI (basic auth)`, length: 32 },
      ...provided,
    ],
    volumes: [{ name: 'data', size: a.persistence.size, description: 'Silences and the notification log', backup: false }],
    jobs: [],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(ALERTMANAGER_IMAGE, a),
        user: '65534:65534',
        scratchPaths: [],
        args: [
          `--config.file=${ALERTMANAGER_CONFIG}`,
          '--storage.path=/alertmanager',
          `--web.config.file=${WEB_CONFIG}`,
          `--web.listen-address=:${ALERTMANAGER_PORT}`,
          // One instance: no gossip cluster.
          '--cluster.listen-address=',
        ],
        env: {},
        ports: [port('web', ALERTMANAGER_PORT, 'admin', 'http', a.hostPorts)],
        mounts: [{ volume: 'data', path: '/alertmanager' }],
        files: [
          {
            path: ALERTMANAGER_CONFIG,
            content: `${JSON.stringify(
              alertmanagerConfig(facet, (name) => secretValuePath('alertmanager', name)),
              null,
              2,
            )}\n`,
            mode: 0o644,
            format: 'alertmanager.yml',
          },
          secretFile(
            WEB_CONFIG,
            tpl`basic_auth_users:\n  ${ALERTMANAGER_USER}: ${{ ...secretRef('alertmanager', 'admin-password'), form: 'bcrypt' }}\n`,
            { format: 'prometheus-web.yml' },
          ),
          {
            path: HEALTH_CONFIG,
            content: `basic_auth:\n  username: ${ALERTMANAGER_USER}\n  password_file: ${password.path}\n`,
            mode: 0o644,
            format: 'prometheus-http.yml',
          },
          password,
          ...provided.map((x) => secretValueFile('alertmanager', x.name)),
        ],
        // amtool (in the image) asks the status API, signing in from a file.
        health: {
          exec: [
            '/bin/amtool',
            `--alertmanager.url=http://127.0.0.1:${ALERTMANAGER_PORT}`,
            `--http.config.file=${HEALTH_CONFIG}`,
            'cluster',
            'show',
          ],
          intervalSeconds: 15,
          timeoutSeconds: 5,
          retries: 6,
          startPeriodSeconds: 20,
        },
        resources: a.resources,
        stopGracePeriodSeconds: 30,
      },
    ],
    metrics: {
      container: 'main',
      port: ALERTMANAGER_PORT,
      path: '/metrics',
      source: 'native',
      auth: { kind: 'basic', username: ALERTMANAGER_USER, password: secretRef('alertmanager', 'admin-password') },
      names: namesOf('alertmanager', ALERTMANAGER_IMAGE),
      signals: [
        scrapedUp('alertmanager'),
        {
          record: 'platform:alertmanager_notifications_failed:rate5m',
          expr: `sum by (service, integration) (rate(alertmanager_notifications_failed_total{${s}}[5m]))`,
          example: {
            series: {
              [`alertmanager_notifications_failed_total{${s},instance="alertmanager:9093",integration="slack",receiver_name="ops",reason="other"}`]:
                '0+6x30',
            },
            service: 'alertmanager',
            value: 0.1,
          },
        },
      ],
      alerts: ALERTMANAGER_ALERTS,
      panels: [
        {
          title: 'Failed notifications',
          expr: 'platform:alertmanager_notifications_failed:rate5m',
          unit: 'ops',
          legend: '{{integration}}',
        },
      ],
    },
  };
}
