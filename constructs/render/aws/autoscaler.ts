/**
 * The cluster autoscaler: its IAM role through Pod Identity (read what it needs everywhere, change
 * the size only of Auto Scaling groups tagged as this cluster's), and the upstream chart, pinned,
 * discovering the node groups' ASGs by the tags EKS puts on them. Every values key set here exists
 * in the chart's values.yaml (test/charts.test.ts checks it against a verbatim copy).
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease } from '../../providers/kubernetes';
import { amountsOf, readsAs } from '../kubernetes/footprint';
import { pinAddress } from '../terraform';
import { mergeValues } from '../kubernetes/operators';
import { chartPodLabels, platformPodLabels, podPolicy } from '../kubernetes/pod-policy';
import type { AwsContext } from './context';
import { CLUSTER_AUTOSCALER } from '../../targets/aws/kubernetes-versions';
import { POOL_LABEL } from './node-pools';
import { PodIdentity } from './pod-identity';

export const AUTOSCALER_NAMESPACE = 'kube-system';
export const AUTOSCALER_SERVICE_ACCOUNT = 'cluster-autoscaler';
export const AUTOSCALER_REPOSITORY = 'https://kubernetes.github.io/autoscaler';

/** The chart values (JSON is YAML), as data so tests can check every key against the chart. */
export function autoscalerValues(clusterName: string, region: string): Record<string, unknown> {
  return {
    cloudProvider: 'aws',
    awsRegion: region,
    autoDiscovery: { clusterName },
    rbac: { serviceAccount: { create: true, name: AUTOSCALER_SERVICE_ACCOUNT } },
    extraArgs: {
      'balance-similar-node-groups': true,
      expander: 'least-waste',
      'skip-nodes-with-local-storage': false,
      'scale-down-unneeded-time': '10m',
    },
    nodeSelector: { [POOL_LABEL]: 'system' },
    resources: { requests: { cpu: '100m', memory: '300Mi' }, limits: { cpu: '500m', memory: '600Mi' } },
  };
}

/** The platform's pod policy at the chart's keys: labels and the restricted security contexts. */
function autoscalerPod(ctx: AwsContext): Record<string, unknown> {
  const p = podPolicy(
    {
      podLabels: platformPodLabels({ project: ctx.project, name: ctx.environmentName, labels: ctx.labels }),
      dataPriorityClass: '',
      cluster: {},
    },
    { selector: {} },
  );
  return { podLabels: chartPodLabels(p), securityContext: p.podSecurityContext, containerSecurityContext: p.containerSecurityContext };
}

export class ClusterAutoscaler extends Construct {
  readonly identity: PodIdentity;

  constructor(scope: Construct, id: string, ctx: AwsContext, clusterName: string, after: ITerraformDependable[]) {
    super(scope, id);
    this.identity = new PodIdentity(this, ctx, clusterName, {
      name: 'cluster-autoscaler',
      namespace: AUTOSCALER_NAMESPACE,
      serviceAccount: AUTOSCALER_SERVICE_ACCOUNT,
      statements: [
        {
          Sid: 'Discover',
          Effect: 'Allow',
          Action: [
            'autoscaling:DescribeAutoScalingGroups',
            'autoscaling:DescribeAutoScalingInstances',
            'autoscaling:DescribeLaunchConfigurations',
            'autoscaling:DescribeScalingActivities',
            'autoscaling:DescribeTags',
            'ec2:DescribeImages',
            'ec2:DescribeInstanceTypes',
            'ec2:DescribeLaunchTemplateVersions',
            'ec2:GetInstanceTypesFromInstanceRequirements',
            'eks:DescribeNodegroup',
          ],
          Resource: '*',
        },
        {
          Sid: 'ScaleOwnGroupsOnly',
          Effect: 'Allow',
          Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
          Resource: '*',
          // EKS tags every managed node group's ASG k8s.io/cluster-autoscaler/<cluster> = owned.
          Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${ctx.prefix}`]: 'owned' } },
        },
      ],
    });
    const release = pinAddress(
      new HelmRelease(this, 'release', {
        name: 'cluster-autoscaler',
        namespace: AUTOSCALER_NAMESPACE,
        repository: AUTOSCALER_REPOSITORY,
        chart: CLUSTER_AUTOSCALER.chart,
        version: CLUSTER_AUTOSCALER.version,
        values: [JSON.stringify(mergeValues(autoscalerValues(clusterName, ctx.region), autoscalerPod(ctx)), null, 2)],
        atomic: true,
        timeout: 600,
        // The role must be bound before the pod starts, or it runs without credentials until restarted.
        dependsOn: [...after, ...(this.identity.association ? [this.identity.association] : [])],
      }),
      'cluster_autoscaler',
    );
    // replicaCount: the chart's default, 1 (cluster-autoscaler values.yaml).
    readsAs(release, (v) => [
      {
        name: 'cluster-autoscaler',
        namespace: AUTOSCALER_NAMESPACE,
        replicas: v.replicaCount ?? 1,
        containers: [amountsOf('cluster-autoscaler', v.resources)],
        storage: [],
        ...(v.replicaCount === undefined ? { source: 'replicas: cluster-autoscaler default replicaCount' } : {}),
      },
    ]);
  }
}
