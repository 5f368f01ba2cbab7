/**
 * Prometheus: scrapes every service the target runs, records the services' signals and evaluates
 * the alerts (monitoring/), and sends alerts to Alertmanager. Its API and UI ask for a password
 * (basic auth from a web config file holding a bcrypt hash of a generated password); its health
 * check signs in with promtool.
 *
 * The scrape configuration and the rule file are the target's: which address reaches which
 * container differs per target, so the spec carries what they are made from (its facet), and the
 * Docker target writes them, the Kubernetes target hands the same rules to kube-prometheus-stack.
 */
import { memoryBytes } from '../spec/quantity';
import { secretRef, tpl } from '../spec/template';
import type { AlertRule, ServiceSpec } from '../spec/types';
import { type BuildContext, port, resolveImage, secretFile, secretValueFile } from './common';
import type { MonitoringConfig } from './monitoring-config';
import { partIdentity } from './monitoring-part';
import { namesOf, scrapedUp } from './signals';

export const PROMETHEUS_IMAGE = 'quay.io/prometheus/prometheus:v3.14.0';
/** The image's `nobody`, which owns /prometheus in the image. */
const NOBODY = '65534:65534';
export const PROMETHEUS_PORT = 9090;
/** Where the target writes the scrape configuration and the rules. */
export const PROMETHEUS_CONFIG = '/etc/prometheus/prometheus.yml';
export const PROMETHEUS_RULES = '/etc/prometheus/rules.yml';
const WEB_CONFIG = '/etc/prometheus/web.yml';
const HEALTH_CONFIG = '/etc/prometheus/health.yml';
/** The user of Prometheus' API and UI (its password is the generated `admin-password`). */
export const PROMETHEUS_USER = 'admin';

/** What Prometheus's realizations know beyond the spec. */
export interface PrometheusFacet {
  readonly environment: string;
  readonly scrapeInterval: string;
  /** How long samples are kept, and the size at which the oldest go first. */
  readonly retention: string;
  readonly retentionSize: string;
  /** `<runbookBaseUrl><Alert>.md`. */
  readonly runbookBaseUrl: string;
  /** The most nodes a cluster will have (per-node agents count this many pods). */
  readonly nodes: number;
}

/** A size as Prometheus' `--storage.tsdb.retention.size` reads it (whole MiB, written `MB`: base 2). */
export function retentionSizeFlag(bytes: number): string {
  return `${Math.floor(bytes / 1024 ** 2)}MB`;
}

const PROMETHEUS_ALERTS: readonly AlertRule[] = [
  {
    name: 'PrometheusRuleFailures',
    expr: 'platform:prometheus_rule_failures:rate5m > 0',
    for: '10m',
    severity: 'warning',
    summary: 'Prometheus fails to evaluate some rules',
    description: 'Rule evaluations fail (a query error or a duplicate series): the alerts those rules carry cannot fire.',
    test: {
      firing: { series: { 'platform:prometheus_rule_failures:rate5m{service="prometheus"}': 0.1 }, labels: { service: 'prometheus' } },
      healthy: { 'platform:prometheus_rule_failures:rate5m{service="prometheus"}': 0 },
    },
  },
  {
    name: 'AlertNotificationsFailing',
    expr: 'platform:alert_notifications_failed:rate5m > 0',
    for: '10m',
    severity: 'critical',
    summary: 'Prometheus cannot deliver alerts to Alertmanager',
    description: 'Sending alerts to Alertmanager fails: no alert reaches anyone until it is fixed.',
    test: {
      firing: { series: { 'platform:alert_notifications_failed:rate5m{service="prometheus"}': 0.2 }, labels: { service: 'prometheus' } },
      healthy: { 'platform:alert_notifications_failed:rate5m{service="prometheus"}': 0 },
    },
  },
];

export function prometheus(c: MonitoringConfig, ctx: BuildContext): ServiceSpec<'prometheus', PrometheusFacet> {
  const p = c.prometheus;
  const volume = memoryBytes(p.persistence.size);
  const retentionBytes = p.retentionSize ? memoryBytes(p.retentionSize) : Math.floor(volume * 0.85);
  const password = secretValueFile('prometheus', 'admin-password');
  const s = 'service="prometheus"';
  const at = 'instance="prometheus:9090"';
  return {
    ...partIdentity('prometheus', 'prometheus', 'Prometheus: scrapes every service, records their signals, evaluates the alerts.'),
    facet: {
      environment: ctx.environment,
      scrapeInterval: c.scrapeInterval,
      retention: p.retention,
      retentionSize: retentionSizeFlag(retentionBytes),
      runbookBaseUrl: c.runbookBaseUrl,
      nodes: c.nodes,
    },
    secrets: [
      { name: 'admin-password', description: `Password of "${PROMETHEUS_USER}" on Prometheus' API and UI (basic auth)`, length: 32 },
    ],
    volumes: [{ name: 'data', size: p.persistence.size, description: 'Time series (TSDB)', backup: false }],
    jobs: [],
    // It sends alerts to Alertmanager (and signs in there with Alertmanager's password).
    dependsOn: ['alertmanager'],
    containers: [
      {
        name: 'main',
        image: resolveImage(PROMETHEUS_IMAGE, p),
        user: NOBODY,
        scratchPaths: [],
        args: [
          `--config.file=${PROMETHEUS_CONFIG}`,
          '--storage.tsdb.path=/prometheus',
          `--storage.tsdb.retention.time=${p.retention}`,
          `--storage.tsdb.retention.size=${retentionSizeFlag(retentionBytes)}`,
          `--web.config.file=${WEB_CONFIG}`,
          `--web.listen-address=:${PROMETHEUS_PORT}`,
        ],
        env: {},
        ports: [port('web', PROMETHEUS_PORT, 'admin', 'http', p.hostPorts)],
        mounts: [{ volume: 'data', path: '/prometheus' }],
        files: [
          // exporter-toolkit's web config: basic auth against a bcrypt hash (read on every request).
          secretFile(
            WEB_CONFIG,
            tpl`basic_auth_users:\n  ${PROMETHEUS_USER}: ${{ ...secretRef('prometheus', 'admin-password'), form: 'bcrypt' }}\n`,
            { format: 'prometheus-web.yml' },
          ),
          {
            path: HEALTH_CONFIG,
            content: `basic_auth:\n  username: ${PROMETHEUS_USER}\n  password_file: ${password.path}\n`,
            mode: 0o644,
            format: 'prometheus-http.yml',
          },
          password,
        ],
        // promtool (in the image) asks /-/healthy with the password from a file, never on a command line.
        health: {
          exec: ['/bin/promtool', 'check', 'healthy', `--url=http://127.0.0.1:${PROMETHEUS_PORT}`, `--http.config.file=${HEALTH_CONFIG}`],
          intervalSeconds: 15,
          timeoutSeconds: 5,
          retries: 6,
          startPeriodSeconds: 60,
        },
        resources: p.resources,
        stopGracePeriodSeconds: 60,
      },
    ],
    metrics: {
      container: 'main',
      port: PROMETHEUS_PORT,
      path: '/metrics',
      source: 'native',
      auth: { kind: 'basic', username: PROMETHEUS_USER, password: secretRef('prometheus', 'admin-password') },
      names: namesOf('prometheus', PROMETHEUS_IMAGE),
      signals: [
        scrapedUp('prometheus'),
        {
          record: 'platform:prometheus_rule_failures:rate5m',
          expr: `sum by (service) (rate(prometheus_rule_evaluation_failures_total{${s}}[5m]))`,
          example: {
            series: { [`prometheus_rule_evaluation_failures_total{${s},${at},rule_group="x"}`]: '0+6x30' },
            service: 'prometheus',
            value: 0.1,
          },
        },
        {
          record: 'platform:alert_notifications_failed:rate5m',
          expr: `sum by (service) (rate(prometheus_notifications_errors_total{${s}}[5m]))`,
          example: {
            series: {
              [`prometheus_notifications_errors_total{${s},${at},alertmanager="http://alertmanager:9093/api/v2/alerts"}`]: '0+12x30',
            },
            service: 'prometheus',
            value: 0.2,
          },
        },
      ],
      alerts: PROMETHEUS_ALERTS,
      panels: [
        { title: 'Rule evaluation failures', expr: 'platform:prometheus_rule_failures:rate5m', unit: 'ops' },
        { title: 'Alert notifications failing', expr: 'platform:alert_notifications_failed:rate5m', unit: 'ops' },
      ],
    },
  };
}
