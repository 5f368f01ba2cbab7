/**
 * What the monitoring stack's realizations on a cluster share: the label their chart pods carry
 * (network policies select them by it), their pod groups, and the scrape targets (PodMonitors) of
 * every spec the cluster runs, derived from the specs and the pods their realizations run.
 */
import type { Construct, ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease } from '../../providers/kubernetes';
import type { SpecOf } from '../../services';
import { renderText } from '../../spec/template';
import type { PortPurpose, ServiceSpec } from '../../spec/types';
import { MONITORING_LABEL, namespaceOf } from '../../targets/kubernetes/naming';
import { escapeLiteral, pinAddress } from '../terraform';
import type { K8sContext, PodGroup } from './context';
import { type PodShape, readsAs } from './footprint';
import { chartPodLabels, type PodPolicy } from './pod-policy';

/** The labels that select a monitoring part's chart pods. */
export const monitoringSelector = (part: string): Record<string, string> => ({ [MONITORING_LABEL]: part });

/** The pod policy of a monitoring part's chart pods (and their labels for the chart, the platform's own dropped). */
export function partPolicy(ctx: K8sContext, part: string, opts: { user?: string; writableRoot?: boolean } = {}) {
  const policy = ctx.podPolicy({ selector: monitoringSelector(part), ...opts });
  return { policy, labels: chartPodLabels(policy) };
}

/** The ports a spec's main container serves, as network policy sees them. */
export function portsOf(spec: ServiceSpec): PodGroup['ports'] {
  return spec.containers[0]!.ports.map((p) => ({
    port: p.port,
    purpose: p.purpose as PortPurpose,
    protocol: (p.protocol === 'udp' ? 'UDP' : 'TCP') as 'TCP' | 'UDP',
  }));
}

/** The pod group of a monitoring part whose pods a chart runs (selected by the part's label). */
export function partGroup(ctx: K8sContext, spec: ServiceSpec, extra: Partial<Pick<PodGroup, 'egress' | 'ingressFrom'>> = {}): PodGroup {
  return {
    id: spec.name,
    service: spec.name,
    namespace: ctx.namespaceOf(spec),
    labels: monitoringSelector(spec.name),
    ports: portsOf(spec),
    role: 'server',
    ...extra,
  };
}

/**
 * A monitoring part's chart: a release named `id` in the part's namespace, after the cluster's
 * foundation, at Terraform address `helm_release.monitoring_<address>`, with `values` as written, and
 * `pods` to read back what it runs (the summary's requests, limits and storage).
 */
export function partRelease(
  scope: Construct,
  ctx: K8sContext,
  spec: ServiceSpec,
  dependsOn: readonly ITerraformDependable[],
  opts: {
    readonly id: string;
    readonly address: string;
    readonly chart: { readonly repository: string; readonly chart: string; readonly version: string };
    readonly values: object;
    /** Whether the apply waits for its pods (not for a DaemonSet on nodes that may not be there). */
    readonly wait: boolean;
    readonly timeout?: number;
    readonly pods: (values: Record<string, any>) => Omit<PodShape, 'service' | 'namespace'>[];
  },
): HelmRelease {
  const namespace = ctx.namespaceOf(spec);
  const release = pinAddress(
    new HelmRelease(scope, opts.id, {
      name: opts.id,
      namespace,
      ...opts.chart,
      values: [escapeLiteral(JSON.stringify(opts.values, null, 2))],
      createNamespace: false,
      wait: opts.wait,
      ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
      maxHistory: 10,
      atomic: false,
      dependsOn: [...dependsOn, ...ctx.foundation],
    }),
    'monitoring',
    opts.address,
  );
  return readsAs(release, (v) => opts.pods(v).map((p) => ({ ...p, service: spec.name, namespace })));
}

/** Egress to the Kubernetes API (service discovery, log tailing, the dashboards sidecar). */
export const apiEgress = (ctx: K8sContext, who: string) => ({
  cidrs: ctx.cluster.apiServerCidrs,
  ports: [443, 6443],
  reason: `${who} talks to the Kubernetes API`,
});

/** A scrape target: where a spec's metrics endpoint is served in the cluster. */
export interface ScrapeTarget {
  readonly spec: ServiceSpec;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Where each spec's metrics are served: the monitoring parts' chart pods by their label; every other
 * spec by the pods its realization reported that serve its metrics port (its own pods, an operator's
 * instances, a helper beside them). The kubelet's cAdvisor is scraped by the chart's own
 * ServiceMonitor, not here.
 */
export function scrapeTargets(ctx: K8sContext, kubeletScraped: readonly string[]): ScrapeTarget[] {
  return ctx.specs
    .filter((spec) => !kubeletScraped.includes(spec.name))
    .map((spec) => {
      if (spec.component === 'monitoring') return { spec, namespace: ctx.namespaceOf(spec), labels: monitoringSelector(spec.name) };
      const groups = ctx.podsOf(spec.name).filter((g) => g.ports.some((p) => p.port === spec.metrics.port));
      if (groups.length !== 1)
        throw new Error(`${spec.name}: ${groups.length} pod groups serve its metrics port ${spec.metrics.port}; expected exactly one`);
      return { spec, namespace: groups[0]!.namespace, labels: groups[0]!.labels };
    });
}

/** The Secret (in the monitoring namespace) holding the tokens PodMonitors authenticate with, and its keys. */
export const SCRAPE_CREDENTIALS = 'monitoring-scrape-credentials';
export const credentialKey = (service: string, name: string) => `${service}-${name}`;

/** The PodMonitor (as kube-prometheus-stack's `additionalPodMonitors` takes it) of a scrape target. */
export function podMonitor(ctx: K8sContext, t: ScrapeTarget): Record<string, unknown> {
  const { spec } = t;
  const m = spec.metrics;
  const resolve = ctx.resolver(spec);
  const params = (ps: typeof m.params) =>
    ps
      ? {
          params: Object.fromEntries(
            Object.entries(ps).map(([k, vs]) => [k, vs.map((v) => renderText(v, { ...resolve, literal: (s) => s }))]),
          ),
        }
      : {};
  const auth = !authenticatedOnCluster(spec)
    ? {}
    : m.auth.kind === 'bearer'
      ? {
          authorization: {
            type: 'Bearer',
            credentials: { name: SCRAPE_CREDENTIALS, key: credentialKey(m.auth.token.service, m.auth.token.name) },
          },
        }
      : m.auth.kind === 'basic'
        ? {
            basicAuth: {
              username: { name: SCRAPE_CREDENTIALS, key: credentialKey(spec.name, 'username') },
              password: { name: SCRAPE_CREDENTIALS, key: credentialKey(m.auth.password.service, m.auth.password.name) },
            },
          }
        : m.auth.kind === 'bearer-file'
          ? (() => {
              throw new Error(`${spec.name}: a token written into a volume cannot be read by a cluster's scraper`);
            })()
          : {};
  const relabel = (job: string) => [
    { targetLabel: 'job', replacement: job },
    { targetLabel: 'service', replacement: spec.name },
    { targetLabel: 'component', replacement: spec.component },
    { targetLabel: 'source', replacement: m.source },
  ];
  const endpoint = (job: string, path: string, ps: typeof m.params) => ({
    portNumber: m.port,
    path,
    scheme: 'http',
    ...params(ps),
    ...auth,
    relabelings: relabel(job),
  });
  return {
    name: spec.name,
    selector: { matchLabels: { ...t.labels } },
    namespaceSelector: { matchNames: [t.namespace] },
    podMetricsEndpoints: [
      endpoint(spec.name, m.path, m.params),
      ...(m.also ?? []).map((a) => endpoint(`${spec.name}-${a.name}`, a.path, a.params)),
    ],
  };
}

/**
 * Whether a spec's metrics endpoint asks for its credential on a cluster. The monitoring parts the
 * charts run have no web authentication there (only their peers reach them, by network policy), except
 * Grafana: it is routed through the Gateway, so its /metrics keeps its password.
 */
export function authenticatedOnCluster(spec: ServiceSpec): boolean {
  return spec.component !== 'monitoring' || spec.name === 'grafana';
}

/** The secret values PodMonitors authenticate with (Terraform references), by key. */
export function scrapeCredentials(ctx: K8sContext, targets: readonly ScrapeTarget[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { spec } of targets) {
    if (!authenticatedOnCluster(spec)) continue;
    const a = spec.metrics.auth;
    if (a.kind === 'bearer') out[credentialKey(a.token.service, a.token.name)] = ctx.secrets.value(a.token);
    if (a.kind === 'basic') {
      out[credentialKey(spec.name, 'username')] = a.username;
      out[credentialKey(a.password.service, a.password.name)] = ctx.secrets.value(a.password);
    }
  }
  return out;
}

/** The monitoring namespace of the cluster. */
export const monitoringNamespace = (ctx: K8sContext) => namespaceOf(ctx.cluster.namespacePrefix, 'monitoring');

/** A sibling part of the stack the cluster runs (kube-prometheus-stack installs several in one release). */
export function sibling<N extends 'alertmanager' | 'grafana' | 'node-exporter' | 'cadvisor' | 'loki' | 'jaeger'>(
  ctx: K8sContext,
  name: N,
): SpecOf<N> | undefined {
  return ctx.specs.find((s) => s.name === name) as SpecOf<N> | undefined;
}

export type { PodPolicy };
