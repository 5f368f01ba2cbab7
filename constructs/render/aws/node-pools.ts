/**
 * Node pools: `system` for the platform and `gpu` for the model runtime, sizes, instance types and
 * AMI from config. Each pool is one managed node group per zone (constructs/targets/aws/node-pools.ts
 * says why: the autoscaler's node template, and zonal volumes), all alike, so the autoscaler's
 * `balance-similar-node-groups` keeps them even. Each pool has one launch template: IMDSv2 required
 * with a hop limit of 1 (pods cannot reach the instance metadata, so they cannot take the node's
 * role), an encrypted gp3 disk, the nodes security group. The GPU pool is tainted
 * `nvidia.com/gpu=true:NoSchedule` and labelled, so only workloads that tolerate the taint and select
 * the pool land there.
 *
 * Changes without an outage: instance types, capacity type, AMI type and subnets can only change by
 * replacing a node group (hashicorp/aws 5.100.0 plans them as replacements). Node groups are named by
 * prefix (EKS appends a unique suffix) and created before the old ones are destroyed, so the new nodes
 * exist before the old are drained. The launch templates likewise. Node groups follow the cluster's
 * Kubernetes version (`version`) and run the configured AMI release, or the latest at creation.
 *
 * Scale from zero: a node group's labels and taints are not on its Auto Scaling group (managed node
 * group tags do not propagate: aws/containers-roadmap#608), and a group at size 0 has no node for the
 * cluster autoscaler to learn them from. So they are put on the group's ASG as node-template tags
 * with `aws_autoscaling_group_tag`, one resource per tag, addressed through the node group's single
 * ASG (`resources[0].autoscaling_groups[0].name`): the count is known at plan time, the name only
 * after the node group exists, which is fine within one apply.
 */
import { Construct, type ITerraformDependable, movedFrom } from '../../providers/cdktf';
import { AutoscalingGroupTag, EksNodeGroup, IamRole, IamRolePolicyAttachment, LaunchTemplate } from '../../providers/aws';
import { pinAddress } from '../terraform';
import { type AwsContext, managedPolicy, trust } from './context';
import type { Cluster } from './eks';
import { acceleratorOf } from '../../targets/aws/instance-types';
import { type PoolName, zoneGroups } from '../../targets/aws/node-pools';
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
  readonly releaseVersion?: string;
}

export interface Pool {
  readonly name: PoolName;
  /** One node group per zone. */
  readonly groups: readonly { readonly zone: string; readonly group: EksNodeGroup }[];
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

    const subnets = new Map(network.zones.map((z) => [z.zone, z.private]));
    const pool = (name: PoolName, cfg: PoolConfig, labels: Record<string, string>, taints: Pool['taints']): Pool => {
      const bottlerocket = cfg.amiType.startsWith('BOTTLEROCKET');
      const template = pinAddress(
        new LaunchTemplate(this, `${name}-template`, {
          namePrefix: `${ctx.name(name)}-`,
          description: `EKS ${name} nodes: IMDSv2 only, hop limit 1, encrypted gp3 disk`,
          updateDefaultVersion: true,
          vpcSecurityGroupIds: [cluster.nodeSecurityGroup.id],
          metadataOptions: {
            httpEndpoint: 'enabled',
            httpTokens: 'required',
            // 1 hop: the node itself and host-network pods (vpc-cni, kube-proxy, the Pod Identity
            // agent) reach the metadata service; other pods do not, so they cannot take the node's
            // role. What reads its region without it: the cluster autoscaler gets AWS_REGION from its
            // chart's `awsRegion`; the EBS CSI controller and node plugin fall back from the metadata
            // service to the Kubernetes node's labels (aws-ebs-csi-driver docs/install.md); AWS
            // credentials come from Pod Identity. The EKS user guide: "For IMDSv2, the default hop
            // count for managed node groups is set to 1".
            httpPutResponseHopLimit: 1,
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
          lifecycle: { createBeforeDestroy: true },
        }),
        name,
      );
      const groups = zoneGroups(ctx.target, name).map((z, i) => {
        const group = pinAddress(
          new EksNodeGroup(this, `${name}-${z.zone}-nodes`, {
            clusterName: cluster.cluster.name,
            // EKS appends a unique suffix: the replacement can exist beside the group it replaces.
            nodeGroupNamePrefix: `${name}-${z.zone}-`,
            // Follows the control plane: a version change upgrades the nodes after the cluster.
            version: cluster.cluster.version,
            ...(cfg.releaseVersion ? { releaseVersion: cfg.releaseVersion } : {}),
            nodeRoleArn: this.role.arn,
            subnetIds: [subnets.get(z.zone)!.id],
            amiType: cfg.amiType,
            capacityType: cfg.capacityType,
            instanceTypes: [...cfg.instanceTypes],
            launchTemplate: { id: template.id, version: template.latestVersion.toString() },
            scalingConfig: { minSize: z.min, maxSize: z.max, desiredSize: z.desired },
            updateConfig: { maxUnavailable: 1 },
            labels,
            taint: taints.map((t) => ({ key: t.key, value: t.value, effect: 'NO_SCHEDULE' })),
            tags: ctx.tags(ctx.name(name, z.zone)),
            // New group first, then the old one goes (its pods move to the new nodes as it drains);
            // the autoscaler owns the size after creation.
            lifecycle: { createBeforeDestroy: true, ignoreChanges: ['scaling_config[0].desired_size'] },
            dependsOn: [...attachments, ...after],
          }),
          name,
          z.zone,
        );
        // The pool was one group across the zones before (address `aws_eks_node_group.<pool>`): the
        // first zone's group takes over its state, so that group is replaced create-before-destroy
        // instead of the old one being destroyed beside the new ones' creation. No-op on new stacks.
        if (i === 0) movedFrom(group, `aws_eks_node_group.${name}`);
        this.templateTags(`${name}-${z.zone}`, group, labels, taints, cfg.diskGiB);
        return { zone: z.zone, group };
      });
      return { name, groups, labels, taints };
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
  /** Every node group of the pools (what in-cluster workloads wait for). */
  get allGroups(): EksNodeGroup[] {
    return [this.system, ...(this.gpu ? [this.gpu] : [])].flatMap((p) => p.groups.map((g) => g.group));
  }

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
