/**
 * Managed node groups: `system` for the platform and `gpu` for the model runtime, sizes, instance
 * types and AMI from config. Each has its own launch template: IMDSv2 required, an encrypted gp3
 * disk, the nodes security group. The GPU pool is tainted `nvidia.com/gpu=true:NoSchedule` and
 * labelled, so only workloads that tolerate the taint and select the pool land there.
 *
 * Scale from zero: a node group's labels and taints are not on its Auto Scaling group (managed node
 * group tags do not propagate: aws/containers-roadmap#608), and a group at size 0 has no node for the
 * cluster autoscaler to learn them from. So they are put on the group's ASG as node-template tags
 * with `aws_autoscaling_group_tag`, one resource per tag, addressed through the node group's single
 * ASG (`resources[0].autoscaling_groups[0].name`): the count is known at plan time, the name only
 * after the node group exists, which is fine within one apply.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { AutoscalingGroupTag, EksNodeGroup, IamRole, IamRolePolicyAttachment, LaunchTemplate } from '../../providers/aws';
import { pinAddress } from '../terraform';
import { type AwsContext, managedPolicy, trust } from './context';
import type { Cluster } from './eks';
import { acceleratorOf } from '../../targets/aws/instance-types';
import type { Network } from './network';

export const POOL_LABEL = 'agent-platform.io/pool';
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' } as const;
const NODE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy'];

export interface PoolConfig {
  readonly instanceTypes: readonly string[];
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  readonly diskGiB: number;
  readonly capacityType: 'ON_DEMAND' | 'SPOT';
  readonly amiType: string;
}

export interface Pool {
  readonly name: 'system' | 'gpu';
  readonly group: EksNodeGroup;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly { key: string; value: string; effect: 'NoSchedule' }[];
}

export class NodePools extends Construct {
  readonly system: Pool;
  readonly gpu?: Pool;
  readonly role: IamRole;

  /** `after`: what must be running before nodes join (the CNI, kube-proxy, the Pod Identity agent). */
  constructor(scope: Construct, id: string, ctx: AwsContext, cluster: Cluster, network: Network, after: ITerraformDependable[]) {
    super(scope, id);
    const eks = ctx.target.eks;
    this.role = pinAddress(
      new IamRole(this, 'node-role', {
        name: ctx.name('eks-node'),
        assumeRolePolicy: trust('ec2.amazonaws.com'),
        tags: ctx.tags(ctx.name('eks-node')),
      }),
      'eks_node',
    );
    // The CNI keeps its policy on the node role: with Pod Identity it would need the agent before
    // any node exists to run it (terraform-aws-eks docs/cluster/addons.md).
    const attachments = NODE_POLICIES.map((p) =>
      pinAddress(new IamRolePolicyAttachment(this, `node-${p}`, { role: this.role.name, policyArn: managedPolicy(p) }), 'eks_node', p),
    );

    const pool = (name: 'system' | 'gpu', cfg: PoolConfig, labels: Record<string, string>, taints: Pool['taints']): Pool => {
      const bottlerocket = cfg.amiType.startsWith('BOTTLEROCKET');
      const template = pinAddress(
        new LaunchTemplate(this, `${name}-template`, {
          name: ctx.name(name),
          description: `EKS ${name} nodes: IMDSv2 only, encrypted gp3 disk`,
          updateDefaultVersion: true,
          vpcSecurityGroupIds: [cluster.nodeSecurityGroup.id],
          metadataOptions: {
            httpEndpoint: 'enabled',
            httpTokens: 'required',
            // 2 hops: pods on the node network still get the instance identity (region, zone) the
            // add-ons read; their AWS credentials come from Pod Identity, not the node role.
            httpPutResponseHopLimit: 2,
          },
          blockDeviceMappings: [
            {
              // Bottlerocket keeps images and containers on its second (data) volume.
              deviceName: bottlerocket ? '/dev/xvdb' : '/dev/xvda',
              ebs: { volumeSize: cfg.diskGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
            },
          ],
          tagSpecifications: [
            { resourceType: 'instance', tags: ctx.tags(ctx.name(name)) },
            { resourceType: 'volume', tags: ctx.tags(ctx.name(name)) },
          ],
          tags: ctx.tags(ctx.name(name)),
        }),
        name,
      );
      const group = pinAddress(
        new EksNodeGroup(this, `${name}-nodes`, {
          clusterName: cluster.cluster.name,
          nodeGroupName: name,
          nodeRoleArn: this.role.arn,
          subnetIds: network.privateSubnetIds,
          amiType: cfg.amiType,
          capacityType: cfg.capacityType,
          instanceTypes: [...cfg.instanceTypes],
          launchTemplate: { id: template.id, version: template.latestVersion.toString() },
          scalingConfig: { minSize: cfg.min, maxSize: cfg.max, desiredSize: cfg.desired },
          updateConfig: { maxUnavailable: 1 },
          labels,
          taint: taints.map((t) => ({ key: t.key, value: t.value, effect: 'NO_SCHEDULE' })),
          tags: ctx.tags(ctx.name(name)),
          // The autoscaler owns the size after creation.
          lifecycle: { ignoreChanges: ['scaling_config[0].desired_size'] },
          dependsOn: [...attachments, ...after],
        }),
        name,
      );
      this.templateTags(name, group, labels, taints, cfg.diskGiB);
      return { name, group, labels, taints };
    };

    this.system = pool('system', eks.systemNodePool, { [POOL_LABEL]: 'system' }, []);
    const gpu = eks.gpuNodePool;
    if (gpu) {
      const accelerator = acceleratorOf(gpu.instanceTypes[0]!) ?? 'nvidia';
      this.gpu = pool(
        'gpu',
        gpu,
        {
          [POOL_LABEL]: 'gpu',
          // The autoscaler's GPU label on AWS: it then waits for the GPU to be ready instead of scaling again.
          'k8s.amazonaws.com/accelerator': accelerator,
          // Matches the NVIDIA device plugin chart's default node affinity (no node-feature-discovery needed).
          'nvidia.com/gpu.present': 'true',
        },
        [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: 'NoSchedule' }],
      );
    }
  }

  /** Node-template tags on the pool's ASG, read by the cluster autoscaler to scale it from zero. */
  private templateTags(pool: string, group: EksNodeGroup, labels: Record<string, string>, taints: Pool['taints'], diskGiB: number) {
    const asg = group.resources.get(0).autoscalingGroups.get(0).name;
    const prefix = 'k8s.io/cluster-autoscaler/node-template';
    const tags: [string, string, string][] = [
      ...Object.entries(labels).map(([k, v]): [string, string, string] => [`label_${k}`, `${prefix}/label/${k}`, v]),
      ...taints.map((t): [string, string, string] => [`taint_${t.key}`, `${prefix}/taint/${t.key}`, `${t.value}:${t.effect}`]),
      ['resources_ephemeral-storage', `${prefix}/resources/ephemeral-storage`, `${diskGiB}G`],
    ];
    for (const [id, key, value] of tags) {
      pinAddress(
        new AutoscalingGroupTag(this, `${pool}-${id}`, {
          autoscalingGroupName: asg,
          tag: { key, value, propagateAtLaunch: false },
        }),
        pool,
        'asg',
        id.replace(/[./]/g, '_'),
      );
    }
  }
}
