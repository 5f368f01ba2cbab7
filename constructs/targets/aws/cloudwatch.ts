/**
 * AWS's managed services in the monitoring stack (pure): RDS, ElastiCache, Amazon MQ, OpenSearch and
 * the load balancers report to CloudWatch, not Prometheus. The CloudWatch exporter (YACE, in
 * prometheus-community) reads their key metrics every five minutes, and its signals state them in the
 * platform's names, so the services' own alerts and dashboards (their specs') apply unchanged:
 * PostgreSQL's connections and replication lag, Redis' memory and evictions, RabbitMQ's ready
 * messages, OpenSearch's health and snapshots, and the load balancers' errors and unhealthy targets.
 *
 * YACE's names are `aws_<namespace>_<snake_case metric>_<statistic>` (pkg/promutil/migrate.go);
 * monitoring/metrics/yace@v0.67.0.txt lists the ones used here (computed with that rule, not read
 * from a live exporter: docs/operations.md says how to compare on first deploy).
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { profiles } from '../../../environments/parse/profiles';
import { httpHealth, port } from '../../services/common';
import { RANDOM_SUFFIX_BYTES, placeServices, s3BucketName } from './placement';
import { NOBODY } from '../../services/sidecars';
import { pinned } from '../../spec/image';
import type { AlertRule, ManagedEquivalent, ResourceRequirements, ServiceSpec, Signal } from '../../spec/types';
import type { SignalSource } from '../../../monitoring/rules';

export const YACE_IMAGE = 'quay.io/prometheuscommunity/yet-another-cloudwatch-exporter:v0.67.0';
export const YACE_PORT = 5000;
const CONFIG = '/etc/yace/config.yml';
/** CloudWatch's period for these metrics (and YACE's scraping interval): five minutes. */
export const PERIOD_SECONDS = 300;

/** The exporter's spec name (it runs in the monitoring namespace; its service account gets the read-only role). */
export const CLOUDWATCH_EXPORTER = 'cloudwatch-exporter';

/** The read-only actions YACE needs (README "Authentication": the bare minimum for discovery jobs). */
export const YACE_ACTIONS = ['tag:GetResources', 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics'];

/** What Grafana's CloudWatch datasource reads (the actions of AWS's AmazonGrafanaCloudWatchAccess, read-only). */
export const GRAFANA_CLOUDWATCH_ACTIONS = [
  'cloudwatch:DescribeAlarmsForMetric',
  'cloudwatch:DescribeAlarmHistory',
  'cloudwatch:DescribeAlarms',
  'cloudwatch:ListMetrics',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetInsightRuleReport',
  'logs:DescribeLogGroups',
  'logs:GetLogGroupFields',
  'logs:StartQuery',
  'logs:StopQuery',
  'logs:GetQueryResults',
  'logs:GetLogEvents',
  'ec2:DescribeTags',
  'ec2:DescribeInstances',
  'ec2:DescribeRegions',
  'tag:GetResources',
];

interface CloudWatchJob {
  /** CloudWatch namespace. */
  readonly namespace: string;
  readonly metrics: readonly { readonly name: string; readonly statistics: readonly string[] }[];
}

interface ManagedMetrics {
  readonly jobs: readonly CloudWatchJob[];
  /** The service's signals in YACE's names; `service` is the spec the managed service stands in for. */
  readonly signals: (service: string, spec: ServiceSpec) => Signal[];
}

const as = (expr: string, service: string, instanceFrom: string) =>
  `label_replace(label_replace(${expr}, "instance", "$1", "${instanceFrom}", "(.+)"), "service", "${service}", "", "")`;

/** Per managed equivalent: what YACE reads, and the signals it records (what the service's alerts need). */
export const MANAGED_METRICS: { readonly [M in ManagedEquivalent]?: ManagedMetrics } = {
  'rds-postgresql': {
    jobs: [
      {
        namespace: 'AWS/RDS',
        metrics: [
          { name: 'DatabaseConnections', statistics: ['Average'] },
          { name: 'ReplicaLag', statistics: ['Maximum'] },
          { name: 'CPUUtilization', statistics: ['Average'] },
          { name: 'FreeStorageSpace', statistics: ['Minimum'] },
        ],
      },
    ],
    signals: (service, spec): Signal[] => {
      // RDS reports connections, not the limit: the parameter group's max_connections (the spec's tuning).
      const max = (spec.facet as { tuning?: { maxConnections?: number } }).tuning?.maxConnections ?? 100;
      const d = 'dimension_DBInstanceIdentifier';
      return [
        {
          record: 'platform:postgres_connections:ratio',
          expr: as(`max by (${d}) (aws_rds_database_connections_average) / ${max}`, service, d),
          example: { series: { [`aws_rds_database_connections_average{${d}="prod-postgres"}`]: max / 2 }, service, value: 0.5 },
        },
        {
          record: 'platform:postgres_replication_lag:seconds',
          expr: as(`max by (${d}) (aws_rds_replica_lag_maximum)`, service, d),
          example: { series: { [`aws_rds_replica_lag_maximum{${d}="prod-postgres-replica"}`]: 3 }, service, value: 3 },
        },
      ];
    },
  },
  'elasticache-redis': {
    jobs: [
      {
        namespace: 'AWS/ElastiCache',
        metrics: [
          { name: 'DatabaseMemoryUsagePercentage', statistics: ['Maximum'] },
          { name: 'Evictions', statistics: ['Sum'] },
          { name: 'EngineCPUUtilization', statistics: ['Maximum'] },
        ],
      },
    ],
    signals: (service): Signal[] => {
      const d = 'dimension_CacheClusterId';
      return [
        {
          record: 'platform:redis_memory_used:ratio',
          expr: as(`max by (${d}) (aws_elasticache_database_memory_usage_percentage_maximum) / 100`, service, d),
          example: {
            series: { [`aws_elasticache_database_memory_usage_percentage_maximum{${d}="prod-redis-001"}`]: 92 },
            service,
            value: 0.92,
          },
        },
        {
          record: 'platform:redis_evictions:rate5m',
          expr: as(`sum by (${d}) (aws_elasticache_evictions_sum) / ${PERIOD_SECONDS}`, service, d),
          example: { series: { [`aws_elasticache_evictions_sum{${d}="prod-redis-001"}`]: 600 }, service, value: 2 },
        },
      ];
    },
  },
  'amazon-mq-rabbitmq': {
    jobs: [
      {
        namespace: 'AWS/AmazonMQ',
        metrics: [
          { name: 'MessageReadyCount', statistics: ['Maximum'] },
          { name: 'MessageUnacknowledgedCount', statistics: ['Maximum'] },
          { name: 'RabbitMQMemUsed', statistics: ['Maximum'] },
          { name: 'RabbitMQDiskFree', statistics: ['Minimum'] },
        ],
      },
    ],
    signals: (service): Signal[] => [
      {
        // The broker-wide count (the dimension set without a queue), as the in-cluster signal's "all".
        record: 'platform:queue_backlog:messages',
        expr: `label_replace(label_replace(max by (dimension_Broker) (aws_amazonmq_message_ready_count_maximum{dimension_Queue=""}), "queue", "all", "", ""), "service", "${service}", "", "")`,
        example: { series: { 'aws_amazonmq_message_ready_count_maximum{dimension_Broker="prod-rabbitmq"}': 4000 }, service, value: 4000 },
      },
    ],
  },
  opensearch: {
    jobs: [
      {
        namespace: 'AWS/ES',
        metrics: [
          { name: 'ClusterStatus.red', statistics: ['Maximum'] },
          { name: 'ClusterStatus.yellow', statistics: ['Maximum'] },
          { name: 'AutomatedSnapshotFailure', statistics: ['Maximum'] },
          { name: 'FreeStorageSpace', statistics: ['Minimum'] },
          { name: 'JVMMemoryPressure', statistics: ['Maximum'] },
        ],
      },
    ],
    signals: (service): Signal[] => {
      const d = 'dimension_DomainName';
      const cluster = (expr: string) =>
        `label_replace(label_replace(${expr}, "cluster", "$1", "${d}", "(.+)"), "service", "${service}", "", "")`;
      return [
        {
          record: 'platform:elasticsearch_health_green',
          expr: cluster(
            `(max by (${d}) (aws_es_cluster_status_red_maximum) + max by (${d}) (aws_es_cluster_status_yellow_maximum)) == bool 0`,
          ),
          example: {
            series: {
              [`aws_es_cluster_status_red_maximum{${d}="prod-search"}`]: 0,
              [`aws_es_cluster_status_yellow_maximum{${d}="prod-search"}`]: 0,
            },
            service,
            value: 1,
          },
        },
        {
          record: 'platform:backup_failed',
          expr: `label_replace(${cluster(`max by (${d}) (aws_es_automated_snapshot_failure_maximum)`)}, "backup", "automated-snapshot", "", "")`,
          example: { series: { [`aws_es_automated_snapshot_failure_maximum{${d}="prod-search"}`]: 1 }, service, value: 1 },
        },
      ];
    },
  },
};

/** The load balancers in front of the cluster's Services (their 5xx, their unhealthy targets). */
const LOAD_BALANCER_JOBS: readonly CloudWatchJob[] = [
  {
    namespace: 'AWS/ApplicationELB',
    metrics: [
      { name: 'RequestCount', statistics: ['Sum'] },
      { name: 'HTTPCode_ELB_5XX_Count', statistics: ['Sum'] },
      { name: 'HTTPCode_Target_5XX_Count', statistics: ['Sum'] },
      { name: 'UnHealthyHostCount', statistics: ['Maximum'] },
    ],
  },
  { namespace: 'AWS/NetworkELB', metrics: [{ name: 'UnHealthyHostCount', statistics: ['Maximum'] }] },
];

const LB = 'load-balancer';
const loadBalancerSignals = (): Signal[] => {
  const d = 'dimension_LoadBalancer';
  const lb = (expr: string) => `label_replace(label_replace(${expr}, "instance", "$1", "${d}", "(.+)"), "service", "${LB}", "", "")`;
  const alb = `${d}="app/edge/1"`;
  return [
    {
      record: 'platform:requests:rate5m',
      expr: lb(`sum by (${d}) (aws_applicationelb_request_count_sum) / ${PERIOD_SECONDS}`),
      example: { series: { [`aws_applicationelb_request_count_sum{${alb}}`]: 3000 }, service: LB, value: 10 },
    },
    {
      record: 'platform:request_errors:rate5m',
      expr: lb(
        `(sum by (${d}) (aws_applicationelb_httpcode_elb_5_xx_count_sum) + sum by (${d}) (aws_applicationelb_httpcode_target_5_xx_count_sum)) / ${PERIOD_SECONDS}`,
      ),
      example: {
        series: {
          [`aws_applicationelb_httpcode_elb_5_xx_count_sum{${alb}}`]: 30,
          [`aws_applicationelb_httpcode_target_5_xx_count_sum{${alb}}`]: 60,
        },
        service: LB,
        value: 0.3,
      },
    },
    {
      record: 'platform:load_balancer_unhealthy_targets',
      expr: lb(
        `max by (${d}) (aws_applicationelb_un_healthy_host_count_maximum) or max by (${d}) (aws_networkelb_un_healthy_host_count_maximum)`,
      ),
      example: { series: { [`aws_networkelb_un_healthy_host_count_maximum{${d}="net/edge/2"}`]: 1 }, service: LB, value: 1 },
    },
  ];
};

const LOAD_BALANCER_ALERT: AlertRule = {
  name: 'LoadBalancerUnhealthyTargets',
  expr: 'platform:load_balancer_unhealthy_targets > 0',
  for: '10m',
  severity: 'warning',
  summary: 'Load balancer {{ $labels.instance }} has unhealthy targets',
  description:
    'For ten minutes the load balancer in front of the cluster has seen targets fail its health checks: some traffic goes to fewer backends, or nowhere.',
  test: {
    firing: {
      series: { 'platform:load_balancer_unhealthy_targets{service="load-balancer",instance="net/edge/2"}': 2 },
      labels: { service: 'load-balancer', instance: 'net/edge/2' },
    },
    healthy: { 'platform:load_balancer_unhealthy_targets{service="load-balancer",instance="net/edge/2"}': 0 },
  },
};

/** The managed services the exporter reads, with the spec each stands in for. */
export interface ManagedService {
  readonly spec: ServiceSpec;
  readonly equivalent: ManagedEquivalent;
}

/** YACE's configuration: one discovery job per CloudWatch namespace, this environment's resources only (its default tags). */
export function yaceConfig(region: string, tags: Readonly<Record<string, string>>, managed: readonly ManagedService[]): string {
  const jobs = [...managed.flatMap((m) => MANAGED_METRICS[m.equivalent]?.jobs ?? []), ...LOAD_BALANCER_JOBS];
  const escape = (v: string) => `^${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const config = {
    apiVersion: 'v1alpha1',
    'sts-region': region,
    discovery: {
      jobs: jobs.map((j) => ({
        type: j.namespace,
        regions: [region],
        // The environment's resources only: the provider's default tags are on every one it creates
        // (values are regexes: anchored, literal).
        searchTags: Object.entries(tags).map(([key, value]) => ({ key, value: escape(value) })),
        period: PERIOD_SECONDS,
        length: PERIOD_SECONDS,
        metrics: j.metrics.map((m) => ({ name: m.name, statistics: [...m.statistics] })),
      })),
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The managed services' signal sources: each service's signals in YACE's names (labelled with the
 * service it stands in for), so its own alerts and panels apply.
 */
export function managedSources(managed: readonly ManagedService[]): SignalSource[] {
  return managed.flatMap((m) => {
    const metrics = MANAGED_METRICS[m.equivalent];
    return metrics ? [{ service: m.spec.name, names: [YACE_NAMES], signals: metrics.signals(m.spec.name, m.spec) }] : [];
  });
}

const YACE_NAMES = { name: 'yace', version: 'v0.67.0' } as const;

/**
 * The CloudWatch exporter as a spec the cluster runs (own Deployment in the monitoring namespace):
 * its own signals are the load balancers'; the managed services' are their sources
 * (`managedSources`), and their alerts stay with their specs.
 */
export function cloudwatchExporterSpec(opts: {
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly managed: readonly ManagedService[];
  readonly resources: ResourceRequirements;
}): ServiceSpec<typeof CLOUDWATCH_EXPORTER, Readonly<Record<string, never>>> {
  const s = `service="${CLOUDWATCH_EXPORTER}"`;
  return {
    name: CLOUDWATCH_EXPORTER,
    component: 'cloudwatch',
    configPath: 'target.managed',
    description: "YACE: the managed services' CloudWatch metrics as Prometheus metrics (read-only, through Pod Identity).",
    concern: 'monitoring',
    replicas: 1,
    scaling: { kind: 'fixed' },
    facet: {},
    secrets: [],
    volumes: [],
    jobs: [],
    dependsOn: [],
    egress: [{ to: 'internet', ports: [443], reason: "CloudWatch's and the tagging API's endpoints (AWS's public API)" }],
    containers: [
      {
        name: 'main',
        image: pinned(YACE_IMAGE),
        user: NOBODY,
        scratchPaths: [],
        args: [`--config.file=${CONFIG}`, `--listen-address=:${YACE_PORT}`, `--scraping-interval=${PERIOD_SECONDS}`, '--log.format=logfmt'],
        env: { AWS_REGION: opts.region },
        ports: [port('metrics', YACE_PORT, 'metrics', 'http', {})],
        mounts: [],
        files: [{ path: CONFIG, content: yaceConfig(opts.region, opts.tags, opts.managed), mode: 0o644, format: 'yace.yml' }],
        health: httpHealth(YACE_PORT, '/healthz', { startPeriodSeconds: 20 }),
        resources: opts.resources,
        stopGracePeriodSeconds: 10,
      },
    ],
    metrics: {
      container: 'main',
      port: YACE_PORT,
      path: '/metrics',
      source: 'exporter',
      auth: { kind: 'none', reason: 'CloudWatch metrics of the environment’s own resources, on a metrics port only the scraper reaches' },
      names: YACE_NAMES,
      signals: [
        {
          record: 'platform:service_up',
          expr: `up{${s}}`,
          example: { series: { [`up{${s},instance="10.0.1.5:5000"}`]: 1 }, service: CLOUDWATCH_EXPORTER, value: 1 },
        },
        ...loadBalancerSignals(),
      ],
      alerts: [LOAD_BALANCER_ALERT],
      panels: [
        {
          title: 'Load balancers: requests',
          expr: 'platform:requests:rate5m{service="load-balancer"}',
          unit: 'reqps',
          legend: '{{instance}}',
        },
        {
          title: 'Load balancers: unhealthy targets',
          expr: 'platform:load_balancer_unhealthy_targets',
          unit: 'short',
          legend: '{{instance}}',
        },
      ],
    },
  };
}

/**
 * What an AWS environment's cluster runs and what AWS runs for it, as the monitoring stack sees it:
 * the in-cluster specs, with the CloudWatch exporter where the environment runs the monitoring stack,
 * and the managed services the exporter reads.
 */
export function awsMonitored(env: Environment): {
  inCluster: ServiceSpec[];
  managed: ManagedService[];
  sources: SignalSource[];
  maxNodes: number;
} {
  if (env.target.kind !== 'aws') throw new Error('awsMonitored needs an aws target');
  const placement = placeServices(env);
  const managed = placement.managed.map(({ spec, equivalent }) => ({ spec, equivalent }));
  const monitoring = placement.inCluster.some((s) => s.name === 'prometheus');
  const exporter = monitoring
    ? [
        cloudwatchExporterSpec({
          region: env.target.region,
          tags: { Project: env.project, Environment: env.name },
          managed,
          resources: profiles[env.profile].sidecarResources,
        }),
      ]
    : [];
  const eks = env.target.eks;
  return {
    inCluster: [...placement.inCluster, ...exporter],
    managed,
    sources: monitoring ? managedSources(managed) : [],
    maxNodes: eks.systemNodePool.max + (eks.gpuNodePool?.max ?? 0),
  };
}

/** The monitoring stack's own AWS resources that can fail at apply: the logs bucket's global name. */
export function monitoringChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'aws' || !env.specs.some((s) => s.name === 'loki')) return [];
  const suffix = env.target.accountId ?? 'x'.repeat(RANDOM_SUFFIX_BYTES * 2);
  const name = s3BucketName(env.project, env.name, 'monitoring-logs', suffix);
  return name.length > 63
    ? [
        {
          path: 'services.monitoring',
          message: `Loki's S3 bucket name "${name}" is longer than 63 characters; shorten the project or environment name`,
        },
      ]
    : [];
}
