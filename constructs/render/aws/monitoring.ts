/**
 * The monitoring stack's AWS part, beside the in-cluster stack (InClusterPlatform renders the rest):
 * - the CloudWatch exporter (YACE) as a spec the cluster runs, with a Pod Identity role that may
 *   only read CloudWatch and the resource tags: the managed services' metrics reach the same
 *   Prometheus, rules and dashboards (constructs/targets/aws/cloudwatch.ts);
 * - Grafana's CloudWatch datasource, through a read-only Pod Identity role of Grafana's service account;
 * - Loki's chunks in an S3 bucket of the environment (TLS only, no public access, encrypted,
 *   expiring past the retention as a backstop to Loki's compactor), through a Pod Identity role
 *   that reaches that bucket only.
 * Nothing here needs the cluster at plan time: IAM, S3 and EKS Pod Identity associations only.
 */
import { Construct } from '../../providers/cdktf';
import type { LokiFacet } from '../../services/loki';
import type { ServiceSpec } from '../../spec/types';
import type { Environment } from '../../../environments/parse/load';
import { CLOUDWATCH_EXPORTER, GRAFANA_CLOUDWATCH_ACTIONS, YACE_ACTIONS, awsMonitored } from '../../targets/aws/cloudwatch';
import { s3BucketName } from '../../targets/aws/placement';
import { namespaceOf } from '../../targets/kubernetes/naming';
import type { MonitoringFacts, Realization } from '../kubernetes/context';
import { ownResources } from '../kubernetes/workload';
import { hardenedBucket, lifecycleRule, randomBucketSuffix } from './bucket';
import type { AwsContext } from './context';
import { PodIdentity } from './pod-identity';

export interface AwsMonitoringInputs {
  readonly ctx: AwsContext;
  readonly environment: Environment;
  readonly clusterName: string;
  /** The in-cluster platform's namespace prefix. */
  readonly namespacePrefix: string;
}

/** What the in-cluster platform gets: the facts, and the exporter with its realization. */
export interface AwsMonitoring {
  readonly facts: MonitoringFacts;
  readonly extra: readonly { readonly spec: ServiceSpec; readonly realization: Realization }[];
  /** The namespace whose workloads hold Pod Identity roles (they need egress to the agent). */
  readonly identityNamespace: string;
}

/** A Prometheus-style duration (`744h`, `31d`, `2w`) in seconds. */
export function durationSeconds(d: string): number {
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/** The logs bucket's name between the environment and the suffix. */
export const MONITORING_LOGS_BUCKET = 'monitoring-logs';

/** Grafana's and Loki's service accounts (kube-prometheus-stack's grafana subchart; the loki chart), as the realizations name them. */
const GRAFANA_SA = 'grafana';
const LOKI_SA = 'loki';

export class AwsMonitoringResources extends Construct {
  readonly result: AwsMonitoring | undefined;

  constructor(scope: Construct, id: string, inputs: AwsMonitoringInputs) {
    super(scope, id);
    const { ctx } = inputs;
    const watched = awsMonitored(inputs.environment);
    const exporter = watched.inCluster.find((s) => s.name === CLOUDWATCH_EXPORTER);
    if (!exporter) {
      this.result = undefined;
      return;
    }
    const ns = namespaceOf(inputs.namespacePrefix, 'monitoring');
    new PodIdentity(this, ctx, inputs.clusterName, {
      name: 'cloudwatch-exporter',
      namespace: ns,
      serviceAccount: CLOUDWATCH_EXPORTER,
      statements: [{ Sid: 'ReadCloudWatch', Effect: 'Allow', Action: YACE_ACTIONS, Resource: '*' }],
    });
    new PodIdentity(this, ctx, inputs.clusterName, {
      name: 'grafana-cloudwatch',
      namespace: ns,
      serviceAccount: GRAFANA_SA,
      statements: [{ Sid: 'ReadCloudWatch', Effect: 'Allow', Action: GRAFANA_CLOUDWATCH_ACTIONS, Resource: '*' }],
    });

    const loki = watched.inCluster.find((s) => s.name === 'loki') as ServiceSpec<string, LokiFacet> | undefined;
    let logsBucket: MonitoringFacts['logsBucket'];
    if (loki) {
      // S3 names are global: the account id (when configured) or a generated suffix, as the catalogue's buckets.
      const suffix = ctx.target.accountId ?? randomBucketSuffix(this, 'logs-suffix', ['monitoring', 'logs_suffix']);
      const name = s3BucketName(ctx.project, ctx.environmentName, MONITORING_LOGS_BUCKET, suffix);
      const retentionDays = Math.ceil(durationSeconds(loki.facet.retention) / 86400);
      const bucket = hardenedBucket(this, ctx, {
        id: 'logs',
        address: ['monitoring', 'logs'],
        name,
        encryption: 's3',
        versioning: false,
        forceDestroy: !ctx.protectData,
        // The logs are kept for their retention: a destroy must not take them where the environment keeps its data.
        preventDestroy: ctx.protectData,
        lifecycle: [
          // Loki's compactor deletes past the retention; this is the backstop (a week later).
          lifecycleRule.expirePastRetention(retentionDays + 7),
          lifecycleRule.abortIncompleteUploads(),
        ],
      });
      new PodIdentity(this, ctx, inputs.clusterName, {
        name: 'loki',
        namespace: ns,
        serviceAccount: LOKI_SA,
        statements: [
          { Sid: 'ListLogs', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucket.arn },
          {
            Sid: 'ReadWriteLogs',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: `${bucket.arn}/*`,
          },
        ],
      });
      logsBucket = { name, region: ctx.region, serviceAccount: LOKI_SA };
    }

    this.result = {
      identityNamespace: ns,
      facts: {
        managed: watched.managed.map((m) => m.spec),
        managedSources: watched.sources,
        cloudwatch: { region: ctx.region, grafanaServiceAccount: GRAFANA_SA },
        ...(logsBucket ? { logsBucket } : {}),
        nodes: watched.maxNodes,
      },
      extra: [
        {
          spec: exporter,
          realization: ownResources(
            "YACE reads CloudWatch with the SDK's default credentials, which Pod Identity provides to its service account; one replica, its own Deployment.",
          ) as Realization,
        },
      ],
    };
  }
}
