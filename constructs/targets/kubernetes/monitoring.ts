/**
 * The monitoring stack on a cluster, the part checks, quotas and rules need before anything renders
 * (pure):
 * - what the charts run besides the spec's own container (the Prometheus operator, kube-state-metrics,
 *   config reloaders, Grafana's sidecars; one agent per node), which the namespace quotas count;
 * - the metric sources that differ from the spec's own on a cluster, stating the same signals in
 *   their names: CloudNativePG's instances for PostgreSQL (`cnpg_*`, not postgres_exporter's
 *   `pg_*`), the kubelet's cAdvisor with kube-state-metrics for the containers, and cert-manager for
 *   certificates.
 */
import { type RuleInputs, type SignalSource, backupLimits, ownSource, ruleInputs } from '../../../monitoring/rules';
import { maxAgeSeconds } from '../../services/backup';
import type { ResourceRequirements, ServiceSpec, Signal } from '../../spec/types';

const res = (rc: string, rm: string, lc: string, lm: string): ResourceRequirements => ({
  requests: { cpu: rc, memory: rm },
  limits: { cpu: lc, memory: lm },
});

/** The resources of what kube-prometheus-stack and the charts run beside the platform's parts. */
export const CHART_HELPERS = {
  operator: res('50m', '64Mi', '500m', '256Mi'),
  kubeStateMetrics: res('20m', '64Mi', '500m', '256Mi'),
  configReloader: res('10m', '32Mi', '100m', '64Mi'),
  grafanaSidecar: res('10m', '64Mi', '100m', '128Mi'),
} as const;

/** The kube-prometheus-stack release's objects' name prefix (`fullnameOverride`). */
export const KPS_NAME = 'monitoring';
/** kube-state-metrics' Service port, scraped by the chart's ServiceMonitor. */
export const KSM_PORT = 8080;
/** The kubelet's port (cAdvisor's metrics, scraped by the chart's ServiceMonitor). */
export const KUBELET_PORT = 10250;

function helper(spec: ServiceSpec, name: string, resources: ResourceRequirements, replicas = 1): ServiceSpec {
  return {
    ...spec,
    name: `${spec.name}-${name}`,
    replicas,
    containers: [{ ...spec.containers[0]!, name, resources }],
    volumes: [],
    jobs: [],
  };
}

/** The spec's own containers with the chart's sidecars beside its main one. */
function withSidecars(spec: ServiceSpec, sidecars: readonly { name: string; resources: ResourceRequirements }[]): ServiceSpec {
  const main = spec.containers[0]!;
  return { ...spec, containers: [main, ...sidecars.map((s) => ({ ...main, name: s.name, resources: s.resources }))] };
}

/** One member per node, at most `nodes` (the facet's, or the target's when it knows its node pools). */
const perNode = (spec: ServiceSpec, nodes: number | undefined) => ({
  ...spec,
  replicas: nodes ?? (spec.facet as { nodes?: number }).nodes ?? 1,
});

/** What the cluster runs for each monitoring spec (the quota and the synth summary count it). */
export const monitoringFootprints = {
  prometheus: (spec: ServiceSpec) => [
    withSidecars(spec, [{ name: 'config-reloader', resources: CHART_HELPERS.configReloader }]),
    helper(spec, 'operator', CHART_HELPERS.operator),
    helper(spec, 'kube-state-metrics', CHART_HELPERS.kubeStateMetrics),
  ],
  alertmanager: (spec: ServiceSpec) => [withSidecars(spec, [{ name: 'config-reloader', resources: CHART_HELPERS.configReloader }])],
  grafana: (spec: ServiceSpec) => [
    withSidecars(spec, [
      { name: 'dashboards', resources: CHART_HELPERS.grafanaSidecar },
      { name: 'datasources', resources: CHART_HELPERS.grafanaSidecar },
    ]),
  ],
  // The chart's Alloy reads logs through the Kubernetes API: no proxy sidecar, no volumes.
  alloy: (spec: ServiceSpec, { nodes }: { nodes?: number }) => [
    perNode({ ...withSidecars(spec, [{ name: 'config-reloader', resources: CHART_HELPERS.configReloader }]), volumes: [] }, nodes),
  ],
  'node-exporter': (spec: ServiceSpec, { nodes }: { nodes?: number }) => [perNode(spec, nodes)],
  'dcgm-exporter': (spec: ServiceSpec, { nodes }: { nodes?: number }) => [perNode(spec, nodes)],
  // The kubelet's built-in cAdvisor: nothing runs for it.
  cadvisor: (): ServiceSpec[] => [],
} satisfies Readonly<Record<string, (spec: ServiceSpec, { nodes }: { nodes?: number }) => readonly ServiceSpec[]>>;

const label = (k: string) => `label_${k.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** The pod label that names a pod's service (the platform's own pods), and CloudNativePG's, whose instances carry only theirs. */
export const SERVICE_POD_LABELS = ['app.kubernetes.io/name', 'cnpg.io/cluster'] as const;

/**
 * The container signals on a cluster: the kubelet's cAdvisor (usage) against kube-state-metrics (the
 * limits), per pod and container, with the service from the pod's labels (kube-state-metrics exports
 * the two labels of SERVICE_POD_LABELS: `metricLabelsAllowlist`). Also the failed backup Jobs
 * (`<service>-backup*`).
 */
export function kubeletSignals(): Signal[] {
  const [name, cnpg] = SERVICE_POD_LABELS.map(label) as [string, string];
  const ns = 'namespace="agent-platform-data",pod="redis-0"';
  const usage = (metric: string, rate: boolean) =>
    `sum by (namespace, pod, container) (${rate ? `rate(${metric}{container!="",container!="POD"}[5m])` : `${metric}{container!="",container!="POD"}`})`;
  const limit = (resource: string) => `sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="${resource}"})`;
  const ratio = (metric: string, rate: boolean, resource: string) =>
    `label_join((${usage(metric, rate)} / on (namespace, pod, container) ${limit(resource)}) * on (namespace, pod) group_left (service) platform:pod_service, "container", "/", "pod", "container")`;
  const podLabels = `kube_pod_labels{${ns},${name}="redis"}`;
  return [
    {
      record: 'platform:pod_service',
      expr: `max by (namespace, pod, service) (label_replace(kube_pod_labels{${name}!=""}, "service", "$1", "${name}", "(.+)") or label_replace(kube_pod_labels{${name}="",${cnpg}!=""}, "service", "$1", "${cnpg}", "(.+)"))`,
      example: {
        series: {
          [podLabels]: 1,
          [`kube_pod_labels{namespace="agent-platform-data",pod="postgres-1",${cnpg}="postgres"}`]: 1,
        },
        service: 'redis',
        value: 1,
      },
    },
    {
      record: 'platform:container_cpu_usage:ratio',
      expr: ratio('container_cpu_usage_seconds_total', true, 'cpu'),
      example: {
        series: {
          [podLabels]: 1,
          [`container_cpu_usage_seconds_total{${ns},container="main"}`]: '0+30x30',
          [`kube_pod_container_resource_limits{${ns},container="main",resource="cpu",unit="core"}`]: 1,
        },
        service: 'redis',
        value: 0.5,
      },
    },
    {
      record: 'platform:container_memory_usage:ratio',
      expr: ratio('container_memory_working_set_bytes', false, 'memory'),
      example: {
        series: {
          [podLabels]: 1,
          [`container_memory_working_set_bytes{${ns},container="main"}`]: 600,
          [`kube_pod_container_resource_limits{${ns},container="main",resource="memory",unit="byte"}`]: 800,
        },
        service: 'redis',
        value: 0.75,
      },
    },
    {
      record: 'platform:backup_failed',
      expr: 'label_replace(label_replace(max by (namespace, job_name) (kube_job_status_failed{job_name=~".+-backup.*"}), "backup", "$1", "job_name", "(.+)"), "service", "$1", "job_name", "(.+?)-backup.*")',
      example: {
        series: {
          'kube_job_status_failed{namespace="agent-platform-data",job_name="postgres-backup-29000000",reason="BackoffLimitExceeded"}': 1,
        },
        service: 'postgres',
        value: 1,
      },
    },
    {
      // Since the last successful run of each backup CronJob (`<service>-backup`), or since the
      // CronJob was created when it never succeeded (kube-state-metrics exports no last success then).
      record: 'platform:backup_age:seconds',
      expr: 'label_replace(label_replace(time() - (max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{cronjob=~".+-backup"}) or max by (namespace, cronjob) (kube_cronjob_created{cronjob=~".+-backup"})), "service", "$1", "cronjob", "(.+)-backup"), "backup", "dump", "", "")',
      example: {
        series: {
          'kube_cronjob_status_last_successful_time{namespace="agent-platform-data",cronjob="qdrant-backup"}': 120,
          'kube_cronjob_created{namespace="agent-platform-data",cronjob="qdrant-backup"}': 0,
          'kube_cronjob_created{namespace="agent-platform-messaging",cronjob="nats-backup"}': 0,
        },
        service: 'qdrant',
        value: 480,
      },
    },
    // cAdvisor's own "up" has no meaning here: the kubelet serves it.
    {
      record: 'platform:service_up',
      expr: 'label_replace(max by (job) (up{job="kubelet"}), "service", "cadvisor", "", "")',
      example: {
        series: { 'up{job="kubelet",instance="10.0.0.1:10250",metrics_path="/metrics/cadvisor"}': 1 },
        service: 'cadvisor',
        value: 1,
      },
    },
  ];
}

/** PostgreSQL's signals in CloudNativePG's names (its instances serve `cnpg_*` on 9187). */
export function cnpgSignals(): Signal[] {
  const s = 'service="postgres"';
  const at = 'instance="10.0.0.5:9187",pod="postgres-1"';
  return [
    {
      record: 'platform:service_up',
      expr: `max by (service, instance) (cnpg_collector_up{${s}})`,
      example: { series: { [`cnpg_collector_up{${s},${at},cluster="postgres"}`]: 1 }, service: 'postgres', value: 1 },
    },
    {
      // WAL archiving (the Barman Cloud plugin) fails: PostgreSQL's archiver failed after its last success.
      record: 'platform:backup_failed',
      expr: `label_replace(max by (service) (cnpg_pg_stat_archiver_last_failed_time{${s}} > bool cnpg_pg_stat_archiver_last_archived_time{${s}}), "backup", "wal-archive", "", "")`,
      example: {
        series: {
          [`cnpg_pg_stat_archiver_last_failed_time{${s},${at},cluster="postgres"}`]: 1_800_000_200,
          [`cnpg_pg_stat_archiver_last_archived_time{${s},${at},cluster="postgres"}`]: 1_800_000_100,
        },
        service: 'postgres',
        value: 1,
      },
    },
    {
      record: 'platform:postgres_connections:ratio',
      expr: `sum by (service, instance) (cnpg_backends_total{${s}}) / on (service, instance) max by (service, instance) (cnpg_pg_settings_setting{${s},name="max_connections"})`,
      example: {
        series: {
          [`cnpg_backends_total{${s},${at},datname="platform",usename="platform",state="active"}`]: 70,
          [`cnpg_backends_total{${s},${at},datname="platform",usename="platform",state="idle"}`]: 10,
          [`cnpg_pg_settings_setting{${s},${at},name="max_connections"}`]: 100,
        },
        service: 'postgres',
        value: 0.8,
      },
    },
    {
      record: 'platform:postgres_replication_lag:seconds',
      expr: `max by (service, instance) (cnpg_pg_replication_lag{${s}})`,
      example: { series: { [`cnpg_pg_replication_lag{${s},${at}}`]: 4 }, service: 'postgres', value: 4 },
    },
  ];
}

/** Certificates in cert-manager's names (the controller serves them on 9402; its labels kept). */
export function certManagerSignals(): Signal[] {
  return [
    {
      record: 'platform:certificate_expiry:seconds',
      expr: 'label_replace(label_join(min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time(), "certificate", "/", "namespace", "name"), "service", "cert-manager", "", "")',
      example: {
        series: {
          'certmanager_certificate_expiration_timestamp_seconds{namespace="edge",name="grafana",issuer_name="acme",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io"}':
            86400 * 30,
        },
        service: 'cert-manager',
        value: 86400 * 30 - 600,
      },
    },
  ];
}

/** The metric source a spec has on a cluster, where it differs from the spec's own. */
export const clusterSources: Readonly<Record<string, (spec: ServiceSpec) => SignalSource>> = {
  postgres: (spec) => ({ service: spec.name, names: [{ name: 'cloudnative-pg', version: 'v1.30.0' }], signals: cnpgSignals() }),
  cadvisor: (spec) => ({
    service: spec.name,
    names: [
      { name: 'cadvisor', version: 'kubelet' },
      { name: 'kube-state-metrics', version: 'v2.20.0' },
      { name: 'prometheus', version: 'v3.14.0' },
    ],
    signals: kubeletSignals(),
  }),
};

/** cert-manager's source, where the stack installs it. */
export const CERT_MANAGER_SOURCE: SignalSource = {
  service: 'cert-manager',
  names: [{ name: 'cert-manager', version: 'v1.21.1' }],
  signals: certManagerSignals(),
};

/** The metric source of a spec on a cluster: its realization's where it differs (CloudNativePG, the kubelet), else its own. */
export function clusterSourceOf(spec: ServiceSpec): SignalSource {
  return clusterSources[spec.name]?.(spec) ?? ownSource(spec);
}

/**
 * The rule inputs of a cluster: the signals of every spec it runs in their cluster sources (and
 * cert-manager's where the stack installs it), the alerts of those specs and of the services a cloud
 * runs for it (their signals come from the CloudWatch exporter, one of the specs it runs).
 */
export function clusterRuleInputs(opts: {
  readonly specs: readonly ServiceSpec[];
  readonly managed?: readonly ServiceSpec[];
  /** The managed services' sources (their signals in the CloudWatch exporter's names). */
  readonly managedSources?: readonly SignalSource[];
  readonly certManager: boolean;
  readonly runbookBase: string;
}): RuleInputs {
  return ruleInputs(
    [...opts.specs, ...(opts.managed ?? [])],
    [
      ...opts.specs.map(clusterSourceOf),
      ...(opts.managedSources ?? []),
      ...(opts.certManager ? [CERT_MANAGER_SOURCE] : []),
      // What each plan allows, for BackupTooOld over the CronJobs' ages (kubeletSignals).
      ...(opts.specs.some((s) => s.backup?.dump || s.backup?.stoppedDump) ? [backupLimits(opts.specs, maxAgeSeconds)] : []),
    ],
    opts.runbookBase,
  );
}
