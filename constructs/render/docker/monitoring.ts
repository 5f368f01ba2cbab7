/**
 * What the Docker target adds to the monitoring stack's specs: the files that depend on the services
 * it runs and on how containers are addressed on its network (pure; the renderer writes them like any
 * other file of the spec).
 *
 * - Prometheus: prometheus.yml (a job per spec at its metrics endpoint, with its credentials as files,
 *   Alertmanager with its password), the rule file (every spec's signals in its own exporter's names,
 *   the alerts), and the secret files and volumes those credentials come from;
 * - Grafana: the datasources (Prometheus and Alertmanager with their passwords read from files, Loki,
 *   Jaeger), the dashboard provider and the dashboards.
 */
import { dashboardProvider, dashboards, datasources } from '../../../monitoring/grafana';
import { ownSource, ruleFile, ruleGroups, ruleInputs } from '../../../monitoring/rules';
import { prometheusConfig, scrapeJobs } from '../../../monitoring/scrape';
import { ALERTMANAGER_PORT, ALERTMANAGER_USER } from '../../services/alertmanager';
import { SECRETS_DIR, secretValueFile, secretValuePath } from '../../services/common';
import { GRAFANA_DASHBOARDS, GRAFANA_PROVISIONING } from '../../services/grafana';
import { JAEGER_QUERY_PORT } from '../../services/jaeger';
import { LOKI_PORT } from '../../services/loki';
import { PROMETHEUS_CONFIG, PROMETHEUS_PORT, PROMETHEUS_RULES, PROMETHEUS_USER, type PrometheusFacet } from '../../services/prometheus';
import type { SpecName, SpecOf } from '../../services';
import type { ConfigFile, ContainerSpec, ServiceSpec, VolumeMount } from '../../spec/types';
import { dockerScrapeResolver } from '../../targets/docker/addressing';
import { withSnapshotRepository } from '../../targets/docker/elasticsearch';

/** Where Prometheus reads a service's token the service wrote into one of its volumes. */
const volumeDir = (service: string, volume: string) => `${SECRETS_DIR}/${service}-${volume}`;

/** The Prometheus configuration and rules for what a Docker host runs. */
export function prometheusFiles(spec: ServiceSpec<string, PrometheusFacet>, runs: readonly ServiceSpec[]) {
  const jobs = scrapeJobs(runs, dockerScrapeResolver(SECRETS_DIR));
  const groups = ruleGroups(ruleInputs(runs, runs.map(ownSource), spec.facet.runbookBaseUrl));
  return {
    config: prometheusConfig(jobs, {
      scrapeInterval: spec.facet.scrapeInterval,
      environment: spec.facet.environment,
      ruleFiles: [PROMETHEUS_RULES],
      alertmanager: {
        address: `alertmanager:${ALERTMANAGER_PORT}`,
        basicAuth: { username: ALERTMANAGER_USER, passwordFile: secretValuePath('alertmanager', 'admin-password') },
      },
    }),
    rules: ruleFile(groups),
  };
}

/** Grafana's provisioning on a Docker host. */
export function grafanaFiles(runs: readonly ServiceSpec[], scrapeInterval: string): ConfigFile[] {
  const ds = datasources(
    {
      prometheus: {
        url: `http://prometheus:${PROMETHEUS_PORT}`,
        basicAuth: { user: PROMETHEUS_USER, passwordFile: secretValuePath('prometheus', 'admin-password') },
      },
      alertmanager: {
        url: `http://alertmanager:${ALERTMANAGER_PORT}`,
        basicAuth: { user: ALERTMANAGER_USER, passwordFile: secretValuePath('alertmanager', 'admin-password') },
      },
      loki: { url: `http://loki:${LOKI_PORT}` },
      jaeger: { url: `http://jaeger:${JAEGER_QUERY_PORT}` },
      scrapeInterval,
    },
    { include: ['prometheus', 'alertmanager', 'loki', 'jaeger'] },
  );
  return [
    {
      path: `${GRAFANA_PROVISIONING}/datasources/platform.yaml`,
      content: `${JSON.stringify({ apiVersion: 1, datasources: ds }, null, 2)}\n`,
      mode: 0o644,
      format: 'grafana-datasources',
    },
    {
      path: `${GRAFANA_PROVISIONING}/dashboards/platform.yaml`,
      content: dashboardProvider(GRAFANA_DASHBOARDS),
      mode: 0o644,
      format: 'grafana-dashboards',
    },
    ...dashboards(runs).map((d) => ({
      path: `${GRAFANA_DASHBOARDS}/${d.uid}.json`,
      content: `${JSON.stringify(d.json, null, 2)}\n`,
      mode: 0o644,
      format: 'grafana-dashboard',
    })),
    secretValueFile('prometheus', 'admin-password'),
    secretValueFile('alertmanager', 'admin-password'),
  ];
}

/** The credentials Prometheus scrapes with: secret files, and the volumes a service's job wrote a token into. */
function scrapeCredentials(runs: readonly ServiceSpec[]): { files: ConfigFile[]; mounts: VolumeMount[] } {
  const files: ConfigFile[] = [secretValueFile('alertmanager', 'admin-password')];
  const mounts: VolumeMount[] = [];
  for (const s of runs) {
    const auth = s.metrics.auth;
    if (auth.kind === 'bearer') files.push(secretValueFile(auth.token.service, auth.token.name));
    if (auth.kind === 'basic') files.push(secretValueFile(auth.password.service, auth.password.name));
    if (auth.kind === 'bearer-file')
      mounts.push({ service: s.name, volume: auth.volume, path: volumeDir(s.name, auth.volume), readOnly: true });
  }
  return { files, mounts };
}

/** Files (and mounts) added to a container, deduplicated by path. */
function withFiles(c: ContainerSpec, files: readonly ConfigFile[], mounts: readonly VolumeMount[] = []): ContainerSpec {
  const byPath = new Map(c.files.map((f) => [f.path, f]));
  for (const f of files) if (!byPath.has(f.path)) byPath.set(f.path, f);
  return { ...c, files: [...byPath.values()], mounts: [...c.mounts, ...mounts] };
}

/** The spec with its main container changed. */
function onMain(spec: ServiceSpec, f: (c: ContainerSpec) => ContainerSpec): ServiceSpec {
  return { ...spec, containers: spec.containers.map((c) => (c.name === 'main' ? f(c) : c)) };
}

/**
 * What the Docker target adds to a spec, by spec name (the services without a row run as their spec
 * says): the files that follow the services it runs and its addressing.
 */
const additions: { readonly [N in SpecName]?: (spec: SpecOf<N>, runs: readonly ServiceSpec[]) => ServiceSpec } = {
  prometheus: (spec, runs) => {
    const { config, rules } = prometheusFiles(spec, runs);
    const creds = scrapeCredentials(runs);
    return onMain(spec, (c) =>
      withFiles(
        c,
        [
          { path: PROMETHEUS_CONFIG, content: config, mode: 0o644, format: 'prometheus.yml' },
          { path: PROMETHEUS_RULES, content: rules, mode: 0o644, format: 'prometheus-rules.yml' },
          ...creds.files,
        ],
        creds.mounts,
      ),
    );
  },
  elasticsearch: (spec, runs) => withSnapshotRepository(spec, runs),
  grafana: (spec, runs) => {
    const prom = runs.find((s): s is SpecOf<'prometheus'> => s.name === 'prometheus');
    return onMain(spec, (c) => withFiles(c, grafanaFiles(runs, prom?.facet.scrapeInterval ?? '30s')));
  },
};

/** The spec as the Docker target runs it (with what the target adds to it). */
export function dockerSpec(spec: ServiceSpec, runs: readonly ServiceSpec[]): ServiceSpec {
  const add = additions[spec.name as SpecName] as ((s: ServiceSpec, r: readonly ServiceSpec[]) => ServiceSpec) | undefined;
  return add ? add(spec, runs) : spec;
}
