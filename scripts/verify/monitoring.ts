/**
 * The monitoring stack's configuration, checked with Prometheus' and Alertmanager's own tools, for
 * every environment that runs it (the drills' scenarios and the user's):
 * - `promtool check config` on the Docker target's prometheus.yml (its scrape jobs, credentials as
 *   files, Alertmanager), `promtool check web-config` on its basic-auth file;
 * - `promtool check rules` on the rule file (Docker) and on the PrometheusRule's groups (Kubernetes,
 *   AWS), and `promtool test rules` with the unit tests monitoring/rules.ts writes: every alert fires
 *   on synthetic failing series and stays quiet on healthy ones, every signal computes its example;
 * - `amtool check-config` on alertmanager.yml (Docker) and on kube-prometheus-stack's Alertmanager
 *   configuration (clusters).
 * Each also gets a broken variant it must reject. Debian's promtool (2.42) and amtool (0.25) are older
 * than the pinned Prometheus (3.14) and Alertmanager (0.34); the configuration uses fields both accept
 * (Alertmanager: a webhook's URL in `url`, its token in `http_config.authorization.credentials_file`,
 * not the newer `url_file`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ownSource, ruleInputs, ruleTests, type SignalSource } from '../../monitoring/rules';
import { awsMonitored } from '../../constructs/targets/aws/cloudwatch';
import { clusterRuleInputs } from '../../constructs/targets/kubernetes/monitoring';
import type { Environment } from '../../environments/parse/load';
import type { PrometheusFacet } from '../../constructs/services/prometheus';
import type { ServiceSpec } from '../../constructs/spec/types';
import { type Artifact, needs, sh, terraformRender, validator, work, write } from './lib';

interface Checked {
  readonly label: string;
  readonly dir: string;
  readonly prometheusYml?: string;
  readonly webConfig?: string;
  readonly rules: string;
  readonly tests: string;
  readonly alertmanager: string;
}

/** The specs a cluster environment runs in the cluster (a cloud's managed services are read through CloudWatch). */
function clusterSpecs(env: Environment): {
  specs: readonly ServiceSpec[];
  managed: readonly ServiceSpec[];
  managedSources: readonly SignalSource[];
} {
  if (env.target.kind !== 'aws') return { specs: env.specs, managed: [], managedSources: [] };
  const watched = awsMonitored(env);
  return { specs: watched.inCluster, managed: watched.managed.map((m) => m.spec), managedSources: watched.sources };
}

const runbookBase = (env: Environment) =>
  (env.specs.find((s) => s.name === 'prometheus') as ServiceSpec<string, PrometheusFacet> | undefined)?.facet.runbookBaseUrl;

/** Files of a container written under a directory (its secrets), their paths rewritten to land there. */
function dockerArtifacts(artifact: Artifact, env: Environment): Checked | undefined {
  const tf = artifact.stackJson(env.name);
  const containers = tf.resource.docker_container ?? {};
  const prom = containers.prometheus;
  const am = containers.alertmanager;
  if (!prom || !am) return undefined;
  const dir = path.join(work, `monitoring-${env.name}`);
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets, { recursive: true });
  const relocate = (s: string) =>
    s.replaceAll('/run/secrets/', `${secrets}/`).replaceAll('/etc/prometheus/rules.yml', path.join(dir, 'rules.yml'));
  const upload = (c: any, file: string) => {
    const u = (c.upload ?? []).find((x: { file: string }) => x.file === file);
    if (!u) throw new Error(`${env.name}: no ${file}`);
    return terraformRender(u.content, tf.resource);
  };
  for (const c of [prom, am]) {
    for (const u of c.upload ?? []) {
      if (u.file.startsWith('/run/secrets/'))
        fs.writeFileSync(path.join(secrets, path.basename(u.file)), terraformRender(u.content, tf.resource));
    }
  }
  // Tokens a service's job writes into its volume (the scraper mounts the volume there).
  for (const v of prom.volumes ?? []) {
    if (String(v.container_path).startsWith('/run/secrets/')) {
      const d = path.join(secrets, path.basename(v.container_path));
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'token'), 'VerifyToken0\n');
    }
  }
  const base = runbookBase(env) ?? 'docs/runbooks/';
  return {
    label: `${env.name} (Docker)`,
    dir,
    prometheusYml: relocate(upload(prom, '/etc/prometheus/prometheus.yml')),
    webConfig: upload(prom, '/etc/prometheus/web.yml'),
    rules: upload(prom, '/etc/prometheus/rules.yml'),
    tests: ruleTests(ruleInputs(env.specs, env.specs.map(ownSource), base), 'rules.yml'),
    alertmanager: relocate(upload(am, '/etc/alertmanager/alertmanager.yml')),
  };
}

/** The rules and Alertmanager configuration a cluster's kube-prometheus-stack release carries. */
function clusterArtifacts(artifact: Artifact, env: Environment): Checked | undefined {
  const tf = artifact.stackJson(env.name);
  const release = tf.resource.helm_release?.monitoring_kube_prometheus_stack;
  if (!release) return undefined;
  const values = JSON.parse(terraformRender(release.values[0], tf.resource));
  const dir = path.join(work, `monitoring-${env.name}`);
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets, { recursive: true });
  const mount = '/etc/alertmanager/secrets/alertmanager-receivers/';
  const am = JSON.stringify(values.alertmanager.config, null, 2);
  for (const m of am.matchAll(/"\/etc\/alertmanager\/secrets\/alertmanager-receivers\/([^"]+)"/g)) {
    fs.writeFileSync(path.join(secrets, m[1]!), 'VerifySecret0\n');
  }
  const { specs, managed, managedSources } = clusterSpecs(env);
  const certManager = env.target.kind === 'kubernetes' && (env.target.gateway?.installCertManager ?? false);
  return {
    label: `${env.name} (${env.target.kind}, kube-prometheus-stack)`,
    dir,
    rules: `${JSON.stringify({ groups: values.additionalPrometheusRulesMap.platform.groups }, null, 2)}\n`,
    tests: ruleTests(
      clusterRuleInputs({ specs, managed, managedSources, certManager, runbookBase: runbookBase(env) ?? 'docs/runbooks/' }),
      'rules.yml',
    ),
    alertmanager: am.replaceAll(mount, `${secrets}/`),
  };
}

/** The unit tests with the first alert's firing case expecting nothing: promtool must fail them. */
function brokenTests(tests: string): string {
  const t = JSON.parse(tests);
  const first = t.tests.find((x: any) => x.alert_rule_test?.[0]?.exp_alerts?.length > 0);
  first.alert_rule_test[0].exp_alerts = [];
  return JSON.stringify(t, null, 2);
}

export async function verifyMonitoring(artifact: Artifact): Promise<void> {
  if (!needs({ promtool: 'prometheus', amtool: 'prometheus-alertmanager' }, 'promtool and amtool')) return;
  const checked = [...artifact.envs.values()].flatMap((env) => {
    const a = env.target.kind === 'docker' ? dockerArtifacts(artifact, env) : clusterArtifacts(artifact, env);
    return a ? [a] : [];
  });
  for (const c of checked) {
    const file = (name: string, content: string) => write(path.relative(work, path.join(c.dir, name)), content);
    const rules = file('rules.yml', c.rules);
    if (c.prometheusYml) {
      await validator(
        `${c.label}: prometheus.yml from the specs (promtool check config)`,
        () => sh('promtool', ['check', 'config', file('prometheus.yml', c.prometheusYml!)]),
        () =>
          sh('promtool', [
            'check',
            'config',
            file('broken.yml', c.prometheusYml!.replace(/"scrape_interval": "[^"]+"/, '"scrape_interval": "soon"')),
          ]),
      );
    }
    if (c.webConfig) {
      await validator(
        `${c.label}: Prometheus' basic-auth web config (promtool check web-config)`,
        () => sh('promtool', ['check', 'web-config', file('web.yml', c.webConfig!)]),
        () =>
          sh('promtool', ['check', 'web-config', file('web-broken.yml', c.webConfig!.replace('basic_auth_users:', 'basic_auth_userz:'))]),
      );
    }
    await validator(
      `${c.label}: alert and recording rules (promtool check rules)`,
      () => sh('promtool', ['check', 'rules', rules]),
      () => sh('promtool', ['check', 'rules', file('rules-broken.yml', c.rules.replace('"expr": "up == 0"', '"expr": "up == == 0"'))]),
    );
    await validator(
      `${c.label}: every alert fires on failing series and stays quiet on healthy ones, every signal computes its example (promtool test rules)`,
      () => sh('promtool', ['test', 'rules', file('tests.yml', c.tests)], { cwd: c.dir, timeout: 300_000 }),
      () => sh('promtool', ['test', 'rules', file('tests-broken.yml', brokenTests(c.tests))], { cwd: c.dir, timeout: 300_000 }),
    );
    await validator(
      `${c.label}: alertmanager.yml (amtool check-config)`,
      () => sh('amtool', ['check-config', file('alertmanager.yml', c.alertmanager)]),
      () =>
        sh('amtool', [
          'check-config',
          file('alertmanager-broken.yml', c.alertmanager.replace('"receiver": "unrouted"', '"receiver": "nobody"')),
        ]),
    );
  }
}
