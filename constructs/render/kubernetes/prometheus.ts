/**
 * The monitoring stack's metrics half on a cluster: kube-prometheus-stack (chart 88.5.3), one
 * release for Prometheus (through the Prometheus operator), Alertmanager, Grafana, node-exporter and
 * kube-state-metrics. Nothing needs a CRD at plan time: the chart installs its CRDs, and the custom
 * resources the platform adds go through its values (PodMonitors in `prometheus.additionalPodMonitors`,
 * the rules as a PrometheusRule in `additionalPrometheusRulesMap`).
 *
 * - Scrape targets: a PodMonitor per spec the cluster runs, at the metrics endpoint the spec declares,
 *   on the pods its realization runs (operators' instances and helpers included), with the same
 *   `job`/`service` labels the Docker target's static jobs carry; tokens from a Secret in the
 *   monitoring namespace. The kubelet's cAdvisor and kube-state-metrics through the chart's own
 *   monitors. The chart's default rules and dashboards are off: every alert is the platform's, each
 *   with its runbook.
 * - Rules: the same groups as the Docker target's rule file (monitoring/rules.ts), with the signals in
 *   the names the cluster's sources serve (CloudNativePG for PostgreSQL, the kubelet for containers).
 * - Alertmanager: the same configuration; the receivers' secrets in a Secret mounted by the operator.
 * - Grafana: its own login (a generated admin password from a Secret), anonymous access and sign-up
 *   off, the Loki, Jaeger (and on AWS CloudWatch) datasources, the dashboards as ConfigMaps its
 *   sidecar loads; reached through the Gateway with TLS when the environment has one.
 * - node-exporter: hostNetwork, hostPID and the host's root filesystem, so it runs in the node
 *   agents' namespace (Pod Security `privileged`, with the reason).
 * - Sizes: retention, retention size and the volumes from the specs; every pod takes the pod policy.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { ConfigMapV1, HelmRelease, SecretV1 } from '../../providers/kubernetes';
import { dashboards, datasources } from '../../../monitoring/grafana';
import { ruleGroups } from '../../../monitoring/rules';
import { type AlertmanagerFacet, alertmanagerConfig, receiverSecret } from '../../services/alertmanager';
import { GRAFANA_ADMIN, GRAFANA_METRICS_USER, GRAFANA_PORT, GRAFANA_SETTINGS } from '../../services/grafana';
import { JAEGER_QUERY_PORT } from '../../services/jaeger';
import { LOKI_PORT } from '../../services/loki';
import { NODE_EXPORTER_PORT } from '../../services/node-exporter';
import { PROMETHEUS_PORT, type PrometheusFacet } from '../../services/prometheus';
import { secretRef } from '../../spec/template';
import type { ServiceSpec } from '../../spec/types';
import {
  clusterRuleInputs,
  CHART_HELPERS,
  KPS_NAME,
  KSM_PORT,
  KUBELET_PORT,
  SERVICE_POD_LABELS,
} from '../../targets/kubernetes/monitoring';
import { serviceDns } from '../../targets/kubernetes/naming';
import { canonicalMemory, canonicalResources } from '../../targets/kubernetes/quantities';
import { escapeLiteral, pinAddress } from '../terraform';
import type { K8sContext, PodGroup, Realization, Realized } from './context';
import { CERT_MANAGER } from './edge';
import { type PodShape, amountsOf, readsAs } from './footprint';
import {
  SCRAPE_CREDENTIALS,
  apiEgress,
  monitoringNamespace,
  monitoringSelector,
  partGroup,
  partPolicy,
  podMonitor,
  scrapeCredentials,
  scrapeTargets,
  sibling,
} from './monitoring';

export const KPS_CHART = {
  repository: 'https://prometheus-community.github.io/helm-charts',
  chart: 'kube-prometheus-stack',
  version: '88.5.3',
} as const;

/** The node agents' namespace (`<prefix>-node-agents`): node-exporter and the DCGM exporter need the host. */
export const NODE_AGENTS = {
  name: 'node-agents',
  podSecurity: 'privileged' as const,
  reason:
    'node agents read the host: node-exporter uses the host network, PID namespace and root filesystem; the DCGM exporter mounts the kubelet’s pod-resources directory (hostPath); baseline forbids both',
};

/** The Secret holding Grafana's admin user, password and secret key. */
const GRAFANA_SECRET = 'grafana-admin';
/** The Secret holding the alert receivers' secrets (mounted by the operator at /etc/alertmanager/secrets/<name>/). */
const RECEIVERS_SECRET = 'alertmanager-receivers';

/** Where the scraper must reach every node: the kubelets' cAdvisor and node-exporter on the host network. */
const nodeCidrs = (ctx: K8sContext) => ctx.cluster.nodeCidrs ?? ctx.cluster.apiServerCidrs;

/** The storage of a part: a claim template of the spec's volume size on the cluster's class. */
function claim(ctx: K8sContext, size: string) {
  return {
    volumeClaimTemplate: {
      spec: {
        ...(ctx.cluster.storageClass ? { storageClassName: ctx.cluster.storageClass } : {}),
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: canonicalMemory(size) } },
      },
    },
  };
}

/** The rule inputs of what this cluster runs (and what a cloud runs for it). */
export function rulesOf(ctx: K8sContext, runbookBase: string) {
  return clusterRuleInputs({
    specs: ctx.specs,
    managed: ctx.cluster.monitoring?.managed ?? [],
    managedSources: ctx.cluster.monitoring?.managedSources ?? [],
    certManager: ctx.cluster.gateway?.installCertManager ?? false,
    runbookBase,
  });
}

/** The specs whose alerts and dashboards apply: what the cluster runs, and what a cloud runs for it. */
const observedSpecs = (ctx: K8sContext): ServiceSpec[] => [...ctx.specs, ...(ctx.cluster.monitoring?.managed ?? [])];

/** The values of the kube-prometheus-stack release (data, so tests can check every key against the chart's values.yaml). */
export function kubePrometheusStackValues(ctx: K8sContext, spec: ServiceSpec<string, PrometheusFacet>): Record<string, unknown> {
  const am = sibling(ctx, 'alertmanager');
  const grafana = sibling(ctx, 'grafana');
  const nodeExporter = sibling(ctx, 'node-exporter');
  const main = spec.containers[0]!;
  const targets = scrapeTargets(ctx, ['cadvisor']);
  const prom = partPolicy(ctx, 'prometheus', { user: '1000:2000' });
  const operator = partPolicy(ctx, 'prometheus-operator');
  const ksm = partPolicy(ctx, 'kube-state-metrics', { user: '65534:65534' });
  const groups = ruleGroups(rulesOf(ctx, spec.facet.runbookBaseUrl));
  const certManager = ctx.cluster.gateway?.installCertManager;
  return {
    fullnameOverride: KPS_NAME,
    crds: { enabled: true },
    // Every alert is the platform's (each with its runbook); the chart's rules and dashboards are off.
    defaultRules: { create: false },
    windowsMonitoring: { enabled: false },
    // Managed control planes (EKS, GKE, AKS) do not expose these to in-cluster scrapes.
    kubeApiServer: { enabled: false },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
    coreDns: { enabled: false },
    kubeDns: { enabled: false },
    kubelet: { enabled: true, serviceMonitor: { cAdvisor: true, probes: false } },
    kubeStateMetrics: { enabled: true },
    'kube-state-metrics': {
      // The pod labels that name a pod's service (the container signals join on them).
      metricLabelsAllowlist: [`pods=[${SERVICE_POD_LABELS.join(',')}]`],
      podLabels: ksm.labels,
      securityContext: { enabled: true, ...ksm.policy.podSecurityContext },
      containerSecurityContext: ksm.policy.containerSecurityContext,
      resources: canonicalResources(CHART_HELPERS.kubeStateMetrics),
    },
    nodeExporter: { enabled: nodeExporter !== undefined, operatingSystems: { aix: { enabled: false }, darwin: { enabled: false } } },
    ...(nodeExporter
      ? {
          'prometheus-node-exporter': {
            namespaceOverride: `${ctx.cluster.namespacePrefix}-${NODE_AGENTS.name}`,
            podLabels: { ...partPolicy(ctx, 'node-exporter').labels, jobLabel: 'node-exporter' },
            resources: canonicalResources(nodeExporter.containers[0]!.resources),
            // Every node, tainted ones (the GPU pool) included.
            tolerations: [{ operator: 'Exists' }],
            // Scraped by the platform's PodMonitor (service label as everywhere).
            prometheus: { monitor: { enabled: false } },
          },
        }
      : {}),
    prometheusOperator: {
      // No admission webhook: no certificate job, and the API server never calls into the monitoring namespace.
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
      podLabels: operator.labels,
      securityContext: operator.policy.podSecurityContext,
      containerSecurityContext: operator.policy.containerSecurityContext,
      resources: canonicalResources(CHART_HELPERS.operator),
      prometheusConfigReloader: { resources: canonicalResources(CHART_HELPERS.configReloader) },
      serviceMonitor: { selfMonitor: false },
    },
    alertmanager: am
      ? (() => {
          const policy = partPolicy(ctx, 'alertmanager', { user: '1000:2000' });
          const secrets = am.facet.receivers.flatMap((r) => receiverSecret(r) ?? []);
          return {
            enabled: true,
            config: alertmanagerConfig(am.facet as AlertmanagerFacet, (name) => `/etc/alertmanager/secrets/${RECEIVERS_SECRET}/${name}`),
            serviceMonitor: { selfMonitor: false },
            alertmanagerSpec: {
              replicas: 1,
              podMetadata: { labels: policy.labels },
              securityContext: policy.policy.podSecurityContext,
              resources: canonicalResources(am.containers[0]!.resources),
              storage: claim(ctx, am.volumes[0]!.size),
              ...(secrets.length ? { secrets: [RECEIVERS_SECRET] } : {}),
            },
          };
        })()
      : { enabled: false },
    grafana: grafana ? grafanaValues(ctx, grafana) : { enabled: false },
    prometheus: {
      serviceMonitor: { selfMonitor: false },
      prometheusSpec: {
        replicas: 1,
        retention: spec.facet.retention,
        retentionSize: spec.facet.retentionSize,
        storageSpec: claim(ctx, spec.volumes[0]!.size),
        resources: canonicalResources(main.resources),
        podMetadata: { labels: prom.labels },
        securityContext: prom.policy.podSecurityContext,
        externalLabels: { environment: spec.facet.environment },
        scrapeInterval: spec.facet.scrapeInterval,
        evaluationInterval: spec.facet.scrapeInterval,
      },
      additionalPodMonitors: [
        ...targets.map((t) => podMonitor(ctx, t)),
        ...(certManager
          ? [
              {
                name: 'cert-manager',
                selector: { matchLabels: { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'controller' } },
                namespaceSelector: { matchNames: [CERT_MANAGER.namespace] },
                // Its metrics carry the certificate's own namespace label.
                podMetricsEndpoints: [{ portNumber: CERT_MANAGER_METRICS_PORT, path: '/metrics', scheme: 'http', honorLabels: true }],
              },
            ]
          : []),
      ],
    },
    additionalPrometheusRulesMap: { platform: { groups } },
  };
}

/**
 * What the kube-prometheus-stack release runs, from its values. Replica counts the values leave out
 * are the charts' 1 (values.yaml of kube-prometheus-stack 88.5.3, grafana 12.11.1,
 * kube-state-metrics). One `resources` block may size several containers: the operator adds its
 * config reloader (`prometheusOperator.prometheusConfigReloader`) to every Prometheus and Alertmanager
 * pod, and Grafana's dashboards and datasources sidecars both take `sidecar.resources`
 * (templates/_pod.tpl: `-sc-dashboard`, and `-sc-datasources` unless `initDatasources`).
 */
export function kubePrometheusStackPods(v: Record<string, any>, ns: string): PodShape[] {
  const reloader = amountsOf('config-reloader', v.prometheusOperator?.prometheusConfigReloader?.resources);
  const claimSize = (storage: any) =>
    storage?.volumeClaimTemplate ? [String(storage.volumeClaimTemplate.spec.resources.requests.storage)] : [];
  const pods: PodShape[] = [
    {
      name: 'prometheus-operator',
      namespace: ns,
      replicas: 1,
      containers: [amountsOf('prometheus-operator', v.prometheusOperator?.resources)],
      storage: [],
    },
    {
      name: 'prometheus',
      service: 'prometheus',
      namespace: ns,
      replicas: Number(v.prometheus.prometheusSpec.replicas ?? 1),
      containers: [amountsOf('prometheus', v.prometheus.prometheusSpec.resources), reloader],
      storage: claimSize(v.prometheus.prometheusSpec.storageSpec),
    },
  ];
  if (v.alertmanager?.enabled) {
    const spec = v.alertmanager.alertmanagerSpec;
    pods.push({
      name: 'alertmanager',
      service: 'alertmanager',
      namespace: ns,
      replicas: Number(spec.replicas ?? 1),
      containers: [amountsOf('alertmanager', spec.resources), reloader],
      storage: claimSize(spec.storage),
    });
  }
  if (v.grafana?.enabled) {
    const g = v.grafana;
    const sidecars = [
      ...(g.sidecar?.dashboards?.enabled ? ['grafana-sc-dashboard'] : []),
      ...(g.sidecar?.datasources?.enabled && !g.sidecar.datasources.initDatasources ? ['grafana-sc-datasources'] : []),
    ];
    pods.push({
      name: 'grafana',
      service: 'grafana',
      namespace: ns,
      replicas: Number(g.replicas ?? 1),
      containers: [amountsOf('grafana', g.resources), ...sidecars.map((c) => amountsOf(c, g.sidecar.resources))],
      storage: g.persistence?.enabled ? [String(g.persistence.size)] : [],
    });
  }
  if (v.kubeStateMetrics?.enabled) {
    const k = v['kube-state-metrics'] ?? {};
    pods.push({
      name: 'kube-state-metrics',
      namespace: ns,
      replicas: Number(k.replicas ?? 1),
      containers: [amountsOf('kube-state-metrics', k.resources)],
      storage: [],
    });
  }
  if (v.nodeExporter?.enabled) {
    const n = v['prometheus-node-exporter'] ?? {};
    pods.push({
      name: 'node-exporter',
      service: 'node-exporter',
      namespace: n.namespaceOverride ?? ns,
      replicas: { perNode: 'node' },
      containers: [amountsOf('node-exporter', n.resources)],
      storage: [],
    });
  }
  return pods;
}

/** cert-manager's controller metrics port (deploy/charts/cert-manager/templates/deployment.yaml: http-metrics). */
const CERT_MANAGER_METRICS_PORT = 9402;

function grafanaValues(ctx: K8sContext, g: ServiceSpec): Record<string, unknown> {
  const policy = partPolicy(ctx, 'grafana', { user: '472:472', writableRoot: true });
  const ns = monitoringNamespace(ctx);
  const gw = ctx.cluster.gateway;
  const cw = ctx.cluster.monitoring?.cloudwatch;
  const dss = datasources(
    {
      prometheus: { url: `http://${serviceDns(`${KPS_NAME}-prometheus`, ns)}:${PROMETHEUS_PORT}` },
      loki: { url: `http://${serviceDns('loki', ns)}:${LOKI_PORT}` },
      jaeger: { url: `http://${serviceDns('jaeger', ns)}:${JAEGER_QUERY_PORT}` },
      ...(cw ? { cloudwatch: { region: cw.region } } : {}),
      scrapeInterval: '30s',
    },
    { include: ['loki', 'jaeger', ...(cw ? (['cloudwatch'] as const) : [])] },
  );
  return {
    enabled: true,
    fullnameOverride: 'grafana',
    defaultDashboardsEnabled: false,
    admin: { existingSecret: GRAFANA_SECRET, userKey: 'admin-user', passwordKey: 'admin-password' },
    envValueFrom: {
      GF_SECURITY_SECRET_KEY: { secretKeyRef: { name: GRAFANA_SECRET, key: 'secret-key' } },
      GF_METRICS_BASIC_AUTH_PASSWORD: { secretKeyRef: { name: GRAFANA_SECRET, key: 'metrics-password' } },
    },
    'grafana.ini': {
      ...GRAFANA_SETTINGS,
      ...(gw ? { server: { root_url: `https://grafana.${gw.domain}/` } } : {}),
      security: { ...GRAFANA_SETTINGS.security, ...(gw ? { cookie_secure: true } : {}) },
      // Its /metrics asks for a password (it is routed through the Gateway); the password from the Secret.
      metrics: { enabled: true, basic_auth_username: GRAFANA_METRICS_USER },
    },
    persistence: {
      enabled: true,
      size: canonicalMemory(g.volumes[0]!.size),
      ...(ctx.cluster.storageClass ? { storageClassName: ctx.cluster.storageClass } : {}),
    },
    // Its init container runs as root with CHOWN; fsGroup makes the volume writable instead.
    initChownData: { enabled: false },
    testFramework: { enabled: false },
    podLabels: policy.labels,
    securityContext: policy.policy.podSecurityContext,
    containerSecurityContext: policy.policy.containerSecurityContext,
    resources: canonicalResources(g.containers[0]!.resources),
    service: { port: GRAFANA_PORT },
    serviceAccount: { create: true, name: 'grafana' },
    serviceMonitor: { enabled: false },
    sidecar: {
      resources: canonicalResources(CHART_HELPERS.grafanaSidecar),
      securityContext: policy.policy.containerSecurityContext,
      dashboards: { enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: ns },
      datasources: { enabled: true },
    },
    additionalDataSources: dss,
  };
}

/** kube-prometheus-stack, realizing Prometheus (and, in the same release, the siblings' rows below). */
export const prometheus: Realization<PrometheusFacet> = {
  describe: () =>
    `kube-prometheus-stack ${KPS_CHART.version} (Prometheus operator, Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics); PodMonitors and the PrometheusRule through its values`,
  why: () =>
    'The operator keeps scrape configuration, rules and Alertmanager in step with custom resources the chart renders from its values (no CRD at plan time); the same rules and scrape targets as the Docker target, derived from the specs.',
  serviceName: () => `${KPS_NAME}-prometheus`,
  render: (scope, ctx, spec, dependsOn) => new KubePrometheusStack(scope, spec.name, ctx, spec, dependsOn).realized,
};

/** A sibling in the kube-prometheus-stack release: its pods are the release's; the row reports them for policy. */
function inRelease(what: string, group: (ctx: K8sContext, spec: ServiceSpec) => PodGroup[], serviceName?: string): Realization<any> {
  return {
    describe: () => `in the kube-prometheus-stack release (with Prometheus): ${what}`,
    why: () => 'kube-prometheus-stack installs it with Prometheus, configured from this spec.',
    ...(serviceName ? { serviceName: () => serviceName } : {}),
    render: (_scope, ctx, spec): Realized => ({ ready: [], pods: group(ctx, spec) }),
  };
}

export const alertmanager = inRelease(
  'the Alertmanager resource the operator runs',
  (ctx, spec) => {
    const ports = new Set<number>();
    for (const r of (spec.facet as AlertmanagerFacet).receivers) {
      if (r.kind === 'email') ports.add(Number(r.smarthost.split(':')[1]));
      else if (r.kind === 'slack') ports.add(443);
      else ports.add(Number(new URL(r.url).port || (r.url.startsWith('https') ? 443 : 80)));
    }
    return [
      partGroup(ctx, spec, {
        ...(ports.size
          ? { egress: [{ cidrs: ['0.0.0.0/0'], ports: [...ports].sort((a, b) => a - b), reason: 'Alertmanager notifies its receivers' }] }
          : {}),
      }),
    ];
  },
  `${KPS_NAME}-alertmanager`,
);

export const grafana = inRelease(
  'Grafana (subchart grafana 12.11.1)',
  (ctx, spec) => [
    partGroup(ctx, spec, {
      egress: [
        apiEgress(ctx, "Grafana's sidecars (dashboards and datasources from ConfigMaps)"),
        ...(ctx.cluster.monitoring?.cloudwatch
          ? [{ cidrs: ['0.0.0.0/0'], ports: [443], reason: "Grafana's CloudWatch datasource reads AWS's API" }]
          : []),
      ],
    }),
  ],
  'grafana',
);

export const nodeExporter: Realization<any> = {
  ...inRelease('the prometheus-node-exporter DaemonSet, one per node, host network', () => []),
  namespace: NODE_AGENTS,
};

export const cadvisor: Realization<any> = {
  describe: () => "the kubelet's built-in cAdvisor (scraped by kube-prometheus-stack's kubelet ServiceMonitor) with kube-state-metrics",
  why: () => 'Every kubelet serves cAdvisor already; a cluster runs nothing for it.',
  render: (): Realized => ({ ready: [], pods: [] }),
};

class KubePrometheusStack extends Construct {
  readonly realized: Realized;

  constructor(
    scope: Construct,
    id: string,
    ctx: K8sContext,
    spec: ServiceSpec<string, PrometheusFacet>,
    dependsOn: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    const ns = monitoringNamespace(ctx);
    const labels = { ...ctx.commonLabels, 'app.kubernetes.io/name': 'monitoring' };
    const am = sibling(ctx, 'alertmanager');
    const grafana = sibling(ctx, 'grafana');
    const waitFor: ITerraformDependable[] = [...dependsOn, ...ctx.foundation];

    const credentials = scrapeCredentials(ctx, scrapeTargets(ctx, ['cadvisor']));
    if (Object.keys(credentials).length) {
      waitFor.push(
        pinAddress(
          new SecretV1(this, 'scrape-credentials', {
            metadata: { name: SCRAPE_CREDENTIALS, namespace: ns, labels },
            type: 'Opaque',
            data: credentials,
            dependsOn: [...ctx.foundation],
          }),
          'monitoring',
          'scrape_secret',
        ),
      );
    }
    const receivers = am ? am.facet.receivers.flatMap((r) => receiverSecret(r) ?? []) : [];
    if (am && receivers.length) {
      waitFor.push(
        pinAddress(
          new SecretV1(this, 'receivers', {
            metadata: { name: RECEIVERS_SECRET, namespace: ns, labels },
            type: 'Opaque',
            data: Object.fromEntries(receivers.map((r) => [r.name, ctx.secrets.value(secretRef('alertmanager', r.name))])),
            dependsOn: [...ctx.foundation],
          }),
          'alertmanager',
          'receivers',
        ),
      );
    }
    if (grafana) {
      waitFor.push(
        pinAddress(
          new SecretV1(this, 'grafana-admin', {
            metadata: { name: GRAFANA_SECRET, namespace: ns, labels },
            type: 'Opaque',
            data: {
              'admin-user': GRAFANA_ADMIN,
              'admin-password': ctx.secrets.value(secretRef('grafana', 'admin-password')),
              'secret-key': ctx.secrets.value(secretRef('grafana', 'secret-key')),
              'metrics-password': ctx.secrets.value(secretRef('grafana', 'metrics-password')),
            },
            dependsOn: [...ctx.foundation],
          }),
          'grafana',
          'admin',
        ),
      );
      // The dashboards, one ConfigMap each, loaded by Grafana's sidecar (label grafana_dashboard).
      const recorded = new Set(rulesOf(ctx, spec.facet.runbookBaseUrl).sources.flatMap((x) => x.signals.map((y) => y.record)));
      for (const d of dashboards(observedSpecs(ctx), recorded)) {
        pinAddress(
          new ConfigMapV1(this, `dashboard-${d.uid}`, {
            metadata: { name: `dashboard-${d.uid}`, namespace: ns, labels: { ...labels, grafana_dashboard: '1' } },
            data: { [`${d.uid}.json`]: escapeLiteral(JSON.stringify(d.json)) },
            dependsOn: [...ctx.foundation],
          }),
          'grafana',
          'dashboard',
          d.uid,
        );
      }
    }

    const values = kubePrometheusStackValues(ctx, spec);
    const release = pinAddress(
      new HelmRelease(this, 'release', {
        name: KPS_NAME,
        namespace: ns,
        ...KPS_CHART,
        values: [escapeLiteral(JSON.stringify(values, null, 2))],
        createNamespace: false,
        wait: true,
        timeout: 900,
        maxHistory: 10,
        atomic: false,
        dependsOn: waitFor,
      }),
      'monitoring',
      'kube_prometheus_stack',
    );
    readsAs(release, (v) => kubePrometheusStackPods(v, ns));

    const prometheusGroup: PodGroup = {
      ...partGroup(ctx, spec),
      egress: [
        apiEgress(ctx, "Prometheus' service discovery"),
        {
          cidrs: [...nodeCidrs(ctx)],
          ports: [KUBELET_PORT, NODE_EXPORTER_PORT],
          reason: "Prometheus scrapes the kubelets' cAdvisor and node-exporter (host network)",
        },
        ...(ctx.cluster.gateway?.installCertManager
          ? [
              {
                namespace: CERT_MANAGER.namespace,
                ports: [CERT_MANAGER_METRICS_PORT],
                reason: "Prometheus scrapes cert-manager's controller (certificates' expiry)",
              },
            ]
          : []),
      ],
    };
    const operatorGroup: PodGroup = {
      id: 'prometheus/operator',
      service: spec.name,
      namespace: ns,
      labels: monitoringSelector('prometheus-operator'),
      ports: [],
      role: 'helper',
      egress: [apiEgress(ctx, 'The Prometheus operator')],
    };
    const ksmGroup: PodGroup = {
      id: 'prometheus/kube-state-metrics',
      service: spec.name,
      namespace: ns,
      labels: monitoringSelector('kube-state-metrics'),
      ports: [{ port: KSM_PORT, purpose: 'metrics', protocol: 'TCP' }],
      role: 'helper',
      egress: [apiEgress(ctx, 'kube-state-metrics')],
    };
    this.realized = { ready: [release], pods: [prometheusGroup, operatorGroup, ksmGroup] };
  }
}
