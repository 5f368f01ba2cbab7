/**
 * The monitoring stack, derived from the catalogue, on every target:
 * - the scrape targets are exactly the enabled services with metrics (every spec declares an
 *   endpoint), with their credentials, and on a cluster the network policies let the scraper open
 *   each (the pods its PodMonitor selects, on its port);
 * - the rules come from one source: the alerts are identical between the Docker rule file and the
 *   Kubernetes PrometheusRule, and every source records the same signals a service's alerts read;
 * - every metric name a rule or dashboard uses is in the list of the exporter version pinned for it;
 * - every alert has a runbook; no monitoring endpoint answers without authentication from outside
 *   its network; Alertmanager's receivers, Grafana's login, datasources and dashboards.
 * Product behaviour on fixtures (test/fixtures) and the drills' scenarios; the invariants over every
 * environment, the user's included.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Environment } from '../environments/parse/load';
import { prepare } from '../stacks/pipeline';
import { dashboardQueries, dashboards } from '../monitoring/grafana';
import { listFor, metricLists } from '../monitoring/metric-lists';
import { metricNames } from '../monitoring/promql';
import { ALERT_GROUP, GENERIC_ALERTS, alertsOf, ownSource, ruleGroups, ruleInputs, type SignalSource } from '../monitoring/rules';
import { dockerSpec } from '../constructs/render/docker/monitoring';
import { alertmanagerConfig } from '../constructs/services/alertmanager';
import { awsMonitored } from '../constructs/targets/aws/cloudwatch';
import { clusterRuleInputs } from '../constructs/targets/kubernetes/monitoring';
import { SCRAPER_LABELS } from '../constructs/targets/kubernetes/naming';
import type { MetricSource, ServiceSpec } from '../constructs/spec/types';
import { env, everyEnvironment, spec, synth, variant } from './helpers';
import { dockerScrapeResolver } from '../constructs/targets/docker/addressing';
import { prometheusConfig, scrapeJobs } from '../monitoring/scrape';
import { evaluate, podOf, type Pod } from './network-policy';
import hostScenario from '../scripts/verify/scenarios/host';

const environments = await everyEnvironment();
const monitored = environments.filter(({ env: e }) => e.specs.some((s) => s.name === 'prometheus'));

/** What a target runs and where the numbers come from (the same functions the realizations use). */
function sourcesOf(e: Environment): { runs: readonly ServiceSpec[]; observed: readonly ServiceSpec[]; sources: SignalSource[] } {
  if (e.target.kind === 'docker') return { runs: e.specs, observed: e.specs, sources: e.specs.map(ownSource) };
  const inputs =
    e.target.kind === 'aws'
      ? (() => {
          const w = awsMonitored(e);
          return { runs: w.inCluster, managed: w.managed.map((m) => m.spec), managedSources: w.sources };
        })()
      : { runs: e.specs, managed: [], managedSources: [] };
  const certManager = e.target.kind === 'kubernetes' && (e.target.gateway?.installCertManager ?? false);
  const r = clusterRuleInputs({
    specs: inputs.runs,
    managed: inputs.managed,
    managedSources: inputs.managedSources,
    certManager,
    runbookBase: 'docs/runbooks/',
  });
  return { runs: inputs.runs, observed: [...inputs.runs, ...inputs.managed], sources: [...r.sources] };
}

const values = (release: any) => Object.assign({}, ...(release.values ?? []).map((v: string) => JSON.parse(v.replaceAll('$${', '${'))));
const upload = (container: any, file: string) => container.upload.find((u: any) => u.file === file)?.content as string;

describe('scrape targets are exactly the enabled services with metrics, on every target', () => {
  it('every environment that runs the stack is covered (Docker, Kubernetes, AWS)', () => {
    expect(new Set(monitored.map(({ env: e }) => e.target.kind))).toEqual(new Set(['docker', 'kubernetes', 'aws']));
  });

  describe.each(monitored.map(({ label, env: e }) => [label, e] as const))('%s', (_label, e) => {
    const { tf, stack } = synth(e);
    const { runs } = sourcesOf(e);

    if (e.target.kind === 'docker') {
      it('prometheus.yml has a job per spec (and one per extra scrape), with its credentials as files', () => {
        const config = parse(upload(tf.resource.docker_container!.prometheus, '/etc/prometheus/prometheus.yml'));
        const jobs = config.scrape_configs.map((j: any) => j.job_name);
        expect(jobs.sort()).toEqual(runs.flatMap((s) => [s.name, ...(s.metrics.also ?? []).map((a) => `${s.name}-${a.name}`)]).sort());
        for (const j of config.scrape_configs) {
          const s = runs.find((x) => j.job_name === x.name || j.job_name.startsWith(`${x.name}-`))!;
          expect(j.static_configs[0].labels.service).toBe(s.name);
          const auth = s.metrics.auth;
          if (auth.kind === 'bearer')
            expect(j.authorization.credentials_file).toBe(`/run/secrets/${auth.token.service}-${auth.token.name}`);
          if (auth.kind === 'basic') expect(j.basic_auth.password_file).toBe(`/run/secrets/${auth.password.service}-${auth.password.name}`);
          if (auth.kind === 'none') expect(j.authorization ?? j.basic_auth).toBeUndefined();
        }
        // The credential files are in Prometheus' container (owner and group only).
        const prom = dockerSpec(spec(e, 'prometheus'), e.specs).containers[0]!;
        for (const j of config.scrape_configs) {
          const file = j.authorization?.credentials_file ?? j.basic_auth?.password_file;
          if (file && !file.includes('minio-metrics-token')) expect(prom.files.map((f) => f.path)).toContain(file);
        }
        expect(config.alerting.alertmanagers[0].basic_auth).toEqual({
          username: 'admin',
          password_file: '/run/secrets/alertmanager-admin-password',
        });
        expect(config.rule_files).toEqual(['/etc/prometheus/rules.yml']);
      });
    } else {
      const platform = evaluate(synth(e));
      const kps = values(tf.resource.helm_release!.monitoring_kube_prometheus_stack);

      it("a PodMonitor per spec the cluster runs (the kubelet's cAdvisor through the chart's kubelet monitor)", () => {
        const monitors = kps.prometheus.additionalPodMonitors.map((m: any) => m.name).filter((n: string) => n !== 'cert-manager');
        expect([...monitors, 'cadvisor'].sort()).toEqual(runs.map((s) => s.name).sort());
        expect(kps.kubelet).toEqual({ enabled: true, serviceMonitor: { cAdvisor: true, probes: false } });
        for (const m of kps.prometheus.additionalPodMonitors) {
          for (const ep of m.podMetricsEndpoints) {
            if (m.name === 'cert-manager') continue;
            const s = runs.find((x) => x.name === m.name)!;
            expect(ep.portNumber).toBe(s.metrics.port);
            expect(ep.relabelings).toContainEqual({ targetLabel: 'service', replacement: s.name });
          }
        }
      });

      it('the network policies admit the scraper to every endpoint a PodMonitor selects, on its port', () => {
        const scraper: Pod = {
          id: 'prometheus',
          namespace: `${platform.platform.namespaces.find((n) => n.endsWith('-monitoring'))}`,
          labels: { ...SCRAPER_LABELS },
        };
        const stranger: Pod = { id: 'intruder', namespace: scraper.namespace, labels: { 'platform/monitoring': 'intruder' } };
        let checked = 0;
        for (const m of kps.prometheus.additionalPodMonitors.filter((x: any) => x.name !== 'cert-manager')) {
          const groups = platform.platform.groups.filter(
            (g) =>
              m.namespaceSelector.matchNames.includes(g.namespace) &&
              Object.entries<string>(m.selector.matchLabels).every(([k, v]) => g.labels[k] === v),
          );
          // node-exporter runs on the host network (no policy selects it); every other target is a known group.
          if (m.name === 'node-exporter') continue;
          expect(groups, m.name).toHaveLength(1);
          const port = m.podMetricsEndpoints[0].portNumber;
          expect(platform.canReach(scraper, podOf(groups[0]!), port), `${m.name}:${port}`).toBe(true);
          if (m.name !== 'prometheus')
            expect(platform.canReach(stranger, podOf(groups[0]!), port), `intruder -> ${m.name}:${port}`).toBe(
              groups[0]!.ingressFrom?.some((i) => 'namespace' in i && i.namespace === stranger.namespace && i.ports.includes(port)) ??
                false,
            );
          checked++;
        }
        expect(checked).toBeGreaterThan(8);
      });

      it("Qdrant's and Garage's endpoints (a client port, an admin port) are open to the scraper, with their tokens", () => {
        for (const name of ['qdrant', 'garage']) {
          const g = platform.platform.groups.find((x) => x.service === name && x.role === 'server');
          if (!g) continue;
          const s = runs.find((x) => x.name === name)!;
          const scraper: Pod = {
            id: 'p',
            namespace: platform.platform.namespaces.find((n) => n.endsWith('-monitoring'))!,
            labels: { ...SCRAPER_LABELS },
          };
          expect(platform.canReach(scraper, podOf(g), s.metrics.port)).toBe(true);
          const m = kps.prometheus.additionalPodMonitors.find((x: any) => x.name === name);
          expect(m.podMetricsEndpoints[0].authorization).toEqual({
            type: 'Bearer',
            credentials: {
              name: 'monitoring-scrape-credentials',
              key: name === 'qdrant' ? 'qdrant-read-only-api-key' : 'garage-metrics-token',
            },
          });
        }
        void stack;
      });
    }
  });
});

describe('the rules come from one source', () => {
  const dev = env('development');
  // The development fixture's services on a cluster: the same specs, the Kubernetes target.
  const onCluster = prepare(
    variant('development', (i) => {
      // A Gateway: the mail server's and Kong's certificates come from its issuer.
      i.target = {
        kind: 'kubernetes',
        cluster: { auth: 'kubeconfig', context: 'kind-dev' },
        gateway: { domain: 'dev.example.com', issuer: { kind: 'self-signed' } },
      };
      i.backend = { kind: 'local' };
      delete i.services.ollama;
      i.services.ollama = { models: ['llama3.2:3b'] };
    }),
  );
  const dockerRules = parse(upload(synth(dev).tf.resource.docker_container!.prometheus, '/etc/prometheus/rules.yml'));
  const clusterRules = values(synth(onCluster).tf.resource.helm_release!.monitoring_kube_prometheus_stack).additionalPrometheusRulesMap
    .platform;

  it('the alerts are identical between the Docker rule file and the Kubernetes PrometheusRule', () => {
    const docker = dockerRules.groups.find((g: any) => g.name === ALERT_GROUP);
    const cluster = clusterRules.groups.find((g: any) => g.name === ALERT_GROUP);
    expect(docker.rules.length).toBeGreaterThan(15);
    expect(cluster).toEqual(docker);
  });

  it('every service records the same signals on both (CloudNativePG and the kubelet in their own names)', () => {
    const records = (groups: any[]) =>
      Object.fromEntries(groups.filter((g) => g.name !== ALERT_GROUP).map((g) => [g.name, g.rules.map((r: any) => r.record).sort()]));
    const d = records(dockerRules.groups);
    const k = records(clusterRules.groups);
    // The cluster adds cert-manager's (it issues the Gateway's, the mail server's and Kong's certificates).
    expect(k['platform-signals-cert-manager']).toEqual(['platform:certificate_expiry:seconds']);
    delete k['platform-signals-cert-manager'];
    // And what each backup plan with a dump allows (BackupTooOld compares the CronJobs' ages with it).
    const limits = clusterRules.groups.find((g: any) => g.name === 'platform-signals-backups')!.rules;
    expect(limits.map((r: any) => r.record)).toEqual(
      onCluster.specs.filter((s) => s.backup?.dump || s.backup?.stoppedDump).map(() => 'platform:backup_max_age:seconds'),
    );
    delete k['platform-signals-backups'];
    expect(Object.keys(k).sort()).toEqual(Object.keys(d).sort());
    for (const [group, recs] of Object.entries(d) as [string, string[]][]) {
      // The kubelet source records pods' services, failed backup Jobs and the backup CronJobs' ages besides the containers' signals.
      if (group === 'platform-signals-cadvisor') expect(k[group]).toEqual(expect.arrayContaining([...recs, 'platform:backup_age:seconds']));
      // CloudNativePG's instances also report a failing WAL archive (the Barman Cloud plugin).
      else if (group === 'platform-signals-postgres') expect(k[group]).toEqual([...recs, 'platform:backup_failed'].sort());
      else expect(k[group], group).toEqual(recs);
    }
    const pg = clusterRules.groups.find((g: any) => g.name === 'platform-signals-postgres');
    expect(JSON.stringify(pg)).toContain('cnpg_backends_total');
  });

  it('the rendered rules are what the shared functions compute (what verify tests with promtool)', () => {
    expect(dockerRules.groups).toEqual(ruleGroups(ruleInputs(dev.specs, dev.specs.map(ownSource), 'docs/runbooks/')));
    expect(clusterRules.groups).toEqual(
      ruleGroups(clusterRuleInputs({ specs: onCluster.specs, certManager: true, runbookBase: 'docs/runbooks/' })),
    );
  });

  it('every alert has a severity, a summary and a runbook link to docs/runbooks/<alert>.md', () => {
    for (const r of dockerRules.groups.find((g: any) => g.name === ALERT_GROUP).rules) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.runbook_url).toBe(`docs/runbooks/${r.alert}.md`);
    }
  });

  it('a service that clusters is watched for a lost member, with its member count', () => {
    const clusters = env('clusters');
    const alerts = alertsOf(clusterRuleInputs({ specs: clusters.specs, certManager: true, runbookBase: '' }));
    const lost = alerts.filter((a) => a.name === 'ClusterMemberLost').map((a) => a.expr);
    for (const s of clusters.specs.filter((x) => x.cluster))
      expect(lost).toContain(`platform:cluster_members{service="${s.name}"} < ${s.replicas}`);
    expect(lost.length).toBeGreaterThanOrEqual(5);
  });
});

describe('every metric name a rule or dashboard uses exists in the exporter version pinned for it', () => {
  const prometheusNames = listFor({ name: 'prometheus', version: 'v3.14.0' })!.names;

  it('the lists: one per exporter version, each saying where its names come from', () => {
    expect(metricLists().length).toBeGreaterThanOrEqual(15);
    for (const l of metricLists()) {
      expect(l.source, l.file).toMatch(/source: |\[inferred\]/);
      expect(l.names.size, l.file).toBeGreaterThan(1);
    }
  });

  it('reads the names in PromQL (selectors, not functions, labels, keywords or strings)', () => {
    expect(
      metricNames('sum by (service) (rate(redis_evicted_keys_total{service="redis"}[5m])) / on (service) group_left (x) foo_bar'),
    ).toEqual(['redis_evicted_keys_total', 'foo_bar']);
    expect(metricNames('label_replace(up{job="a"}, "service", "$1", "job", "(.+)") > bool 0 and platform:x:ratio offset 5m')).toEqual([
      'up',
      'platform:x:ratio',
    ]);
    expect(metricNames('predict_linear(node_filesystem_avail_bytes[6h], 86400) < 1e3 unless absent(ALERTS)')).toEqual([
      'node_filesystem_avail_bytes',
      'ALERTS',
    ]);
    expect(metricNames('{__name__="garage_build_info"}')).toEqual(['garage_build_info']);
  });

  describe.each(monitored.map(({ label, env: e }) => [label, e] as const))('%s', (_label, e) => {
    const { observed, sources } = sourcesOf(e);
    const listed = (names: readonly MetricSource[]) => {
      const out = new Set<string>(prometheusNames);
      for (const n of names) {
        const list = listFor(n);
        if (list) for (const x of list.names) out.add(x);
      }
      return out;
    };
    const logMetrics = new Set(observed.flatMap((s) => (s.metrics.fromLogs ?? []).map((m) => `loki_process_custom_${m.name}`)));
    const recorded = new Set(sources.flatMap((s) => s.signals.map((x) => x.record)));

    it('every signal reads names its source serves (the exporter version pinned for it, or the log shipper’s counters the services declare)', () => {
      for (const source of sources) {
        const allowed = listed(source.names);
        for (const s of source.signals) {
          for (const n of metricNames(s.expr)) {
            const ok = allowed.has(n) || logMetrics.has(n) || (n.startsWith('platform:') && source.signals.some((x) => x.record === n));
            expect(
              ok,
              `${source.service}: ${s.record} reads ${n}, not in ${source.names.map((x) => `${x.name}@${x.version}`).join(', ')}`,
            ).toBe(true);
          }
        }
      }
    });

    it('every source the stack reads has a list for its version (or reads only the scrape’s own series)', () => {
      for (const source of sources) {
        const names = source.signals
          .flatMap((s) => metricNames(s.expr))
          .filter((n) => !prometheusNames.has(n) && !n.startsWith('platform:') && !logMetrics.has(n));
        if (names.length === 0) continue;
        for (const n of source.names) expect(listFor(n), `${source.service}: ${n.name}@${n.version}`).toBeDefined();
      }
    });

    it('alerts and dashboards read signals and Prometheus’ own series only, and every signal they read is recorded', () => {
      const alerts = alertsOf(ruleInputs(observed, sources, ''));
      const exprs = [
        ...alerts.map((a) => ({ where: `alert ${a.name}`, expr: a.expr })),
        ...dashboardQueries(dashboards(observed, recorded))
          .filter((q) => q.datasource === 'prometheus')
          .map((q) => ({ where: `${q.dashboard}: ${q.panel}`, expr: q.expr })),
      ];
      expect(exprs.length).toBeGreaterThan(30);
      const generic = new Set(GENERIC_ALERTS.map((a) => a.name));
      for (const { where, expr } of exprs) {
        for (const n of metricNames(expr)) {
          if (n.startsWith('platform:')) {
            // A generic alert or overview panel may read a signal this environment has no source for (no cert-manager, no queue).
            if (!generic.has(where.replace('alert ', '')) && !where.startsWith('platform-overview'))
              expect(recorded.has(n), `${where} reads ${n}`).toBe(true);
          } else expect(prometheusNames.has(n), `${where} reads ${n}`).toBe(true);
        }
      }
    });
  });
});

describe('runbooks', () => {
  const all = new Set(
    monitored.flatMap(({ env: e }) => {
      const { observed, sources } = sourcesOf(e);
      return alertsOf(ruleInputs(observed, sources, '')).map((a) => a.name);
    }),
  );

  it.each([...all].sort())('%s has docs/runbooks/<alert>.md with what it means and what to do', (name) => {
    const file = path.join(import.meta.dirname, '..', 'docs', 'runbooks', `${name}.md`);
    expect(fs.existsSync(file), file).toBe(true);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(new RegExp(`^# ${name}\\b`));
    expect(text).toMatch(/## What it means/);
    expect(text).toMatch(/## What to do/);
  });

  it('every runbook is an alert’s (none left behind by a renamed or removed alert)', () => {
    const files = fs.readdirSync(path.join(import.meta.dirname, '..', 'docs', 'runbooks')).map((f) => f.replace(/\.md$/, ''));
    expect(files.filter((f) => !all.has(f))).toEqual([]);
  });
});

describe('no monitoring endpoint answers without authentication from outside its network', () => {
  it('Docker: only Grafana (its login), Prometheus and Alertmanager (basic auth) are published, whatever the policy', () => {
    const dev = env('development');
    const { tf } = synth(dev);
    const monitoring = dev.specs.filter((s) => s.component === 'monitoring');
    const published = monitoring.flatMap((s) =>
      s.containers.flatMap((c) => {
        const rc = tf.resource.docker_container![c.name === 'main' ? s.name : `${s.name}_${c.name}`];
        return (rc.ports ?? []).map((p: any) => `${s.name}:${p.internal}`);
      }),
    );
    expect(published.sort()).toEqual(['alertmanager:9093', 'grafana:3000', 'prometheus:9090']);
    const web = (name: string) => upload(tf.resource.docker_container![name], `/etc/${name}/web.yml`);
    for (const name of ['prometheus', 'alertmanager'])
      expect(web(name)).toMatch(/^basic_auth_users:\n {2}admin: \$\{random_password\.[a-z]+_admin-password\.bcrypt_hash\}\n$/);
    const grafana = tf.resource.docker_container!.grafana;
    expect(grafana.env).toEqual(
      expect.arrayContaining([
        'GF_AUTH_ANONYMOUS_ENABLED=false',
        'GF_USERS_ALLOW_SIGN_UP=false',
        'GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password',
      ]),
    );
    expect(upload(grafana, '/run/secrets/grafana-admin-password')).toBe('${random_password.grafana_admin-password.result}');
    // Grafana's own /metrics asks for a password too, and Prometheus signs in with it.
    expect(grafana.env).toEqual(
      expect.arrayContaining([
        'GF_METRICS_BASIC_AUTH_USERNAME=prometheus',
        'GF_METRICS_BASIC_AUTH_PASSWORD__FILE=/run/secrets/grafana-metrics-password',
      ]),
    );
    const scrape = parse(upload(tf.resource.docker_container!.prometheus, '/etc/prometheus/prometheus.yml')) as any;
    expect(scrape.scrape_configs.find((j: any) => j.job_name === 'grafana').basic_auth).toEqual({
      username: 'prometheus',
      password_file: '/run/secrets/grafana-metrics-password',
    });
    // Loki's and Jaeger's APIs are never published, and asking for them is refused.
    for (const ask of [{ loki: { hostPorts: { http: 3100 } } }, { jaeger: { hostPorts: { query: 16686 } } }]) {
      expect(() => prepare(variant('development', (i) => (i.services.monitoring = ask)))).toThrow(/serves without authentication/);
    }
  });

  it.each(monitored.filter(({ env: e }) => e.target.kind !== 'docker').map(({ label, env: e }) => [label, e] as const))(
    '%s: from another namespace no monitoring pod answers; only Grafana is routed out, behind its own login',
    (_label, e) => {
      const { platform, canReach } = evaluate(synth(e));
      const stranger: Pod = { id: 'x', namespace: 'default', labels: { app: 'x' } };
      const monitoring = platform.groups.filter((g) => g.namespace.endsWith('-monitoring'));
      expect(monitoring.length).toBeGreaterThan(5);
      for (const g of monitoring) for (const p of g.ports) expect(canReach(stranger, podOf(g), p.port), `${g.id}:${p.port}`).toBe(false);
      const external = platform.specs.flatMap((s) => s.containers.flatMap((c) => c.ports.filter((p) => p.external).map(() => s.name)));
      expect(external.filter((n) => platform.specs.find((s) => s.name === n)!.concern === 'monitoring')).toEqual(['grafana']);
      const grafana = values(synth(e).tf.resource.helm_release!.monitoring_kube_prometheus_stack).grafana;
      expect(grafana['grafana.ini']['auth.anonymous']).toEqual({ enabled: false });
      expect(grafana['grafana.ini'].users.allow_sign_up).toBe(false);
      expect(grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
      // Routed out, so its /metrics asks for a password; the PodMonitor signs in with it.
      expect(grafana['grafana.ini'].metrics).toEqual({ enabled: true, basic_auth_username: 'prometheus' });
      expect(grafana.envValueFrom.GF_METRICS_BASIC_AUTH_PASSWORD).toEqual({
        secretKeyRef: { name: 'grafana-admin', key: 'metrics-password' },
      });
      const kps = values(synth(e).tf.resource.helm_release!.monitoring_kube_prometheus_stack);
      const monitor = kps.prometheus.additionalPodMonitors.find((m: any) => m.name === 'grafana');
      expect(monitor.podMetricsEndpoints[0].basicAuth).toEqual({
        username: { name: 'monitoring-scrape-credentials', key: 'grafana-username' },
        password: { name: 'monitoring-scrape-credentials', key: 'grafana-metrics-password' },
      });
    },
  );
});

const host = prepare({ file: 'scripts/verify/scenarios/host.ts', input: hostScenario });

describe('Alertmanager: grouping, inhibition, receivers from config with their secrets in files', () => {
  const am = spec(host, 'alertmanager');
  const config = alertmanagerConfig(am.facet, (n) => `/s/${n}`) as any;

  it('groups by alert, service and environment; a critical alert of a service silences its warnings', () => {
    expect(config.route).toMatchObject({ group_by: ['alertname', 'service', 'environment'], receiver: 'unrouted' });
    expect(config.inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['service', 'environment'] },
    ]);
  });

  it('each receiver gets its severities; secrets only as *_file paths, provided as sensitive Terraform variables', () => {
    expect(config.route.routes).toEqual([
      { receiver: 'oncall', matchers: ['severity=~"critical"'], continue: true },
      { receiver: 'team', matchers: ['severity=~"critical|warning"'], continue: true },
      { receiver: 'mail', matchers: ['severity=~"critical|warning"'], continue: true },
    ]);
    const text = JSON.stringify(config);
    expect(text).toContain('"credentials_file":"/s/oncall-token"');
    expect(text).toContain('"api_url_file":"/s/team-slack-url"');
    expect(text).toContain('"auth_password_file":"/s/mail-smtp-password"');
    expect(text).not.toMatch(/"(url_file|api_url|auth_password)"/);
    const { tf } = synth(host);
    expect(Object.keys((tf as any).variable).sort()).toEqual([
      'alertmanager_mail_smtp_password',
      'alertmanager_oncall_token',
      'alertmanager_team_slack_url',
    ]);
    for (const v of Object.values<any>((tf as any).variable)) expect(v).toMatchObject({ sensitive: true, nullable: false, type: 'string' });
    const files = tf.resource.docker_container!.alertmanager.upload.filter((u: any) => u.file.startsWith('/run/secrets/alertmanager-'));
    expect(files.find((u: any) => u.file === '/run/secrets/alertmanager-team-slack-url')).toMatchObject({
      content: '${var.alertmanager_team_slack_url}',
      permissions: '0440',
    });
  });
});

describe('Grafana: datasources and dashboards from the specs', () => {
  const dev = env('development');
  const grafana = dockerSpec(spec(dev, 'grafana'), dev.specs).containers[0]!;
  const file = (p: string) => grafana.files.find((f) => f.path === p)!.content as string;

  it('Prometheus and Alertmanager (passwords read from files), Loki and Jaeger', () => {
    const ds = parse(file('/etc/grafana/provisioning/datasources/platform.yaml')).datasources;
    expect(ds.map((d: any) => d.type)).toEqual(['prometheus', 'alertmanager', 'loki', 'jaeger']);
    expect(ds[0]).toMatchObject({
      url: 'http://prometheus:9090',
      basicAuth: true,
      secureJsonData: { basicAuthPassword: '$__file{/run/secrets/prometheus-admin-password}' },
    });
  });

  it('a platform overview and one dashboard per service family', () => {
    const boards = grafana.files.filter((f) => f.format === 'grafana-dashboard').map((f) => path.basename(f.path, '.json'));
    const families = [...new Set(dev.specs.map((s) => s.component))].sort();
    expect(boards.sort()).toEqual(['platform-overview', ...families.map((f) => `platform-${f}`)].sort());
  });

  it('on a cluster, the dashboards are ConfigMaps its sidecar loads, and Loki, Jaeger (and on AWS CloudWatch) are datasources', () => {
    const staging = synth(env('staging')).tf;
    const cms = Object.values<any>(staging.resource.kubernetes_config_map_v1!).filter((c) => c.metadata.labels.grafana_dashboard === '1');
    expect(cms.length).toBe(dashboards(env('staging').specs).length);
    const prod = values(synth(env('production')).tf.resource.helm_release!.monitoring_kube_prometheus_stack);
    expect(prod.grafana.additionalDataSources.map((d: any) => d.type)).toEqual(['loki', 'jaeger', 'cloudwatch']);
    expect(prod.grafana.additionalDataSources[2].jsonData).toEqual({ authType: 'default', defaultRegion: 'eu-west-1' });
  });
});

describe('sizing: retention and storage from config, monitoring counted in the quotas and the summary', () => {
  it('retention, retention size and volumes from the profile (and the environment)', () => {
    const e = prepare(
      variant(
        'staging',
        (i) => (i.services.monitoring = { prometheus: { retention: '45d', persistence: { size: '80Gi' } }, loki: { retention: '96h' } }),
      ),
    );
    const v = values(synth(e).tf.resource.helm_release!.monitoring_kube_prometheus_stack);
    expect(v.prometheus.prometheusSpec).toMatchObject({
      retention: '45d',
      retentionSize: `${Math.floor(80 * 1024 * 0.85)}MB`,
      storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '80Gi' } } } } },
    });
    const loki = values(synth(e).tf.resource.helm_release!.monitoring_loki);
    expect(loki.loki.limits_config).toEqual({ retention_period: '96h' });
    expect(loki.loki.compactor).toEqual({ retention_enabled: true, delete_request_store: 'filesystem' });
  });

  it('the monitoring namespace has a quota that counts what the charts run, and the node agents one per node', () => {
    const { tf } = synth(env('staging'));
    const quota = tf.resource.kubernetes_resource_quota_v1!;
    expect(quota.quota_monitoring.spec.hard.pods).toMatch(/^\d+$/);
    // Alloy, one per node (10 by default), is in the monitoring namespace's pods.
    expect(Number(quota.quota_monitoring.spec.hard.pods)).toBeGreaterThan(2 * 10);
    expect(Number(quota.quota_node_agents.spec.hard.pods)).toBeGreaterThanOrEqual(2 * 2 * 10);
  });
});

const jobs = scrapeJobs(env('development').specs, dockerScrapeResolver('/etc/prometheus/secrets'));
const job = (name: string) => jobs.find((j) => j.job_name === name)!;

describe('scrape jobs (development, Docker addressing)', () => {
  it('has one job per service (the monitoring stack’s parts among them)', () => {
    expect(jobs.map((j) => j.job_name).sort()).toEqual(
      env('development')
        .specs.map((s) => s.name)
        .sort(),
    );
  });

  it('scrapes exporter sidecars at their own alias', () => {
    expect(job('redis').static_configs[0]!.targets).toEqual(['redis-exporter:9121']);
    expect(job('postgres').static_configs[0]!.targets).toEqual(['postgres-exporter:9187']);
    expect(job('nats').static_configs[0]!.labels).toEqual({ service: 'nats', component: 'nats', source: 'exporter' });
  });

  it('scrapes native endpoints on the service itself', () => {
    expect(job('rabbitmq')).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: ['rabbitmq:15692'] }] });
    expect(job('garage')).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: ['garage:3903'] }] });
  });

  it('authenticates to every endpoint that needs it: the object store needs a token', () => {
    expect(job('garage').authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/garage-metrics-token' });
    const minio = prepare(variant('development', (i) => (i.services.objectstore = { engine: 'minio' })));
    const m = scrapeJobs(minio.specs, dockerScrapeResolver('/etc/prometheus/secrets')).find((j) => j.job_name === 'minio')!;
    expect(m).toMatchObject({ metrics_path: '/minio/v2/metrics/cluster', static_configs: [{ targets: ['minio:9000'] }] });
    expect(m.authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/minio-metrics-token/token' });
    // Exporters and probes answer without a credential, by declaration.
    expect(job('redis').authorization).toBeUndefined();
  });

  it('authenticates to Qdrant with the read-only key from a file', () => {
    expect(job('qdrant').authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/qdrant-read-only-api-key' });
  });

  it('probes services without metrics through their blackbox sidecar', () => {
    expect(job('neo4j')).toMatchObject({
      metrics_path: '/probe',
      params: { module: ['service'], target: ['http://neo4j:7474/'] },
      static_configs: [{ targets: ['neo4j-probe:9115'] }],
    });
    expect(job('kibana').params!.target).toEqual(['http://kibana:5601/api/status']);
  });

  it('renders a Prometheus configuration', () => {
    const config = JSON.parse(prometheusConfig(jobs, { scrapeInterval: '15s', environment: 'development' }));
    expect(config.global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s', external_labels: { environment: 'development' } });
    expect(config.scrape_configs).toHaveLength(jobs.length);
  });

  it('a clustered Redis is also asked about its Sentinel, through the exporter (job redis-sentinel)', () => {
    const clusters = env('clusters');
    const j = scrapeJobs([spec(clusters, 'redis')], dockerScrapeResolver('/s'));
    expect(j.map((x) => x.job_name)).toEqual(['redis', 'redis-sentinel']);
    expect(j[1]).toMatchObject({ metrics_path: '/scrape', params: { target: ['redis://redis:26379'] } });
  });
});
