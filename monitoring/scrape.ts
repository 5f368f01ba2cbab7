/**
 * Prometheus scrape jobs derived from the specs: one job per service, at the metrics endpoint the spec
 * declares (native, exporter sidecar or blackbox probe), with the authentication it needs. Targets only
 * say how a container is addressed; nothing here knows a target.
 */
import type { MetricsEndpoint, ServiceSpec, Text } from '../constructs/spec/types';

export interface ScrapeResolver {
  /** `host:port` of a container port as the scraper reaches it. */
  address(spec: ServiceSpec, container: string, port: number): string;
  /** A text with references (probe targets), resolved for that spec. */
  text(spec: ServiceSpec, value: Text): string;
  /** Path of a file holding a secret's value, mounted into the scraper. */
  secretFile(service: string, name: string): string;
  /** Path of a file inside one of a service's volumes (a token the service issued), mounted into the scraper. */
  volumeFile(service: string, volume: string, path: string): string;
}

export interface ScrapeJob {
  readonly job_name: string;
  readonly metrics_path: string;
  readonly params?: Record<string, string[]>;
  readonly static_configs: { targets: string[]; labels: Record<string, string> }[];
  readonly authorization?: { type: 'Bearer'; credentials_file: string };
  readonly basic_auth?: { username: string; password_file: string };
}

/**
 * One job per spec (and one more per extra scrape of the same port, `<service>-<name>`), labelled
 * with the service, its catalogue entry and the kind of endpoint.
 */
export function scrapeJobs(specs: readonly ServiceSpec[], resolve: ScrapeResolver): ScrapeJob[] {
  return specs.flatMap((spec) => {
    const m: MetricsEndpoint = spec.metrics;
    const params = (ps: MetricsEndpoint['params']) =>
      ps ? { params: Object.fromEntries(Object.entries(ps).map(([k, vs]) => [k, vs.map((v) => resolve.text(spec, v))])) } : {};
    const job = (name: string, path: string, ps: MetricsEndpoint['params']): ScrapeJob => ({
      job_name: name,
      metrics_path: path,
      ...params(ps),
      static_configs: [
        {
          targets: [resolve.address(spec, m.container, m.port)],
          labels: { service: spec.name, component: spec.component, source: m.source },
        },
      ],
      ...authOf(spec, m, resolve),
    });
    return [job(spec.name, m.path, m.params), ...(m.also ?? []).map((a) => job(`${spec.name}-${a.name}`, a.path, a.params))];
  });
}

function authOf(spec: ServiceSpec, m: MetricsEndpoint, resolve: ScrapeResolver): Pick<ScrapeJob, 'authorization' | 'basic_auth'> {
  switch (m.auth.kind) {
    case 'bearer':
      return { authorization: { type: 'Bearer', credentials_file: resolve.secretFile(m.auth.token.service, m.auth.token.name) } };
    case 'bearer-file':
      return { authorization: { type: 'Bearer', credentials_file: resolve.volumeFile(spec.name, m.auth.volume, m.auth.path) } };
    case 'basic':
      return {
        basic_auth: { username: m.auth.username, password_file: resolve.secretFile(m.auth.password.service, m.auth.password.name) },
      };
    case 'none':
      return {};
  }
}

/** Where Prometheus sends alerts, and how it signs in there. */
export interface AlertingTarget {
  readonly address: string;
  readonly basicAuth?: { readonly username: string; readonly passwordFile: string };
}

/** A Prometheus configuration (JSON is valid YAML) scraping every service, with its rules and Alertmanager. */
export function prometheusConfig(
  jobs: readonly ScrapeJob[],
  opts: { scrapeInterval: string; environment: string; ruleFiles?: readonly string[]; alertmanager?: AlertingTarget },
): string {
  const am = opts.alertmanager;
  return `${JSON.stringify(
    {
      global: {
        scrape_interval: opts.scrapeInterval,
        evaluation_interval: opts.scrapeInterval,
        external_labels: { environment: opts.environment },
      },
      ...(am
        ? {
            alerting: {
              alertmanagers: [
                {
                  static_configs: [{ targets: [am.address] }],
                  ...(am.basicAuth ? { basic_auth: { username: am.basicAuth.username, password_file: am.basicAuth.passwordFile } } : {}),
                },
              ],
            },
          }
        : {}),
      ...(opts.ruleFiles?.length ? { rule_files: [...opts.ruleFiles] } : {}),
      scrape_configs: jobs,
    },
    null,
    2,
  )}\n`;
}
