/**
 * EKS managed add-ons, each pinned (kubernetes-versions.ts, or the environment's own pins).
 *
 * Order: the cluster is created without self-managed add-ons, so the node-level DaemonSets (vpc-cni,
 * kube-proxy) and the Pod Identity agent go in before any node group (a node without a CNI never
 * becomes Ready; a pod started before the agent gets no credentials). Those three are healthy with
 * zero nodes. CoreDNS and the EBS CSI driver run Deployments, which are healthy only once nodes
 * exist, so they follow the system node groups. The EBS CSI controller gets its role through Pod
 * Identity (the add-on's own association block).
 *
 * NetworkPolicy: the VPC CNI enforces the platform's NetworkPolicies only with `enableNetworkPolicy`
 * (its node agent, eBPF, in `standard` mode: a new pod is open until its policies are programmed).
 * Without it every policy is accepted and none is enforced. Needs VPC CNI 1.14+ and a 5.10+ kernel
 * (AL2023 and Bottlerocket have one); EKS user guide, "Limit Pod traffic with Kubernetes network
 * policies".
 */
import { Construct } from '../../providers/cdktf';
import { EksAddon } from '../../providers/aws';
import { pinAddress } from '../terraform';
import type { AwsContext } from './context';
import type { Cluster } from './eks';
import { type AddonName, addonVersionsFor } from '../../targets/aws/kubernetes-versions';
import type { NodePools } from './node-pools';
import { PodIdentity } from './pod-identity';

export const BEFORE_NODES: readonly AddonName[] = ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent'];
export const EBS_CSI_SERVICE_ACCOUNT = 'ebs-csi-controller-sa';

/** The vpc-cni add-on's configuration (its keys are the aws-vpc-cni chart's values; strings, as the chart takes them). */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: 'true' } as const;

export class Addons extends Construct {
  readonly beforeNodes: EksAddon[];
  private readonly versions: Partial<Record<AddonName, string>>;

  constructor(
    scope: Construct,
    id: string,
    private readonly ctx: AwsContext,
    private readonly cluster: Cluster,
  ) {
    super(scope, id);
    this.versions = addonVersionsFor(ctx.target.eks.version, ctx.target.eks.addonVersions);
    this.beforeNodes = BEFORE_NODES.map((name) =>
      this.addon(name, name === 'vpc-cni' ? { configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION) } : {}),
    );
  }

  /** The add-ons that need running nodes; call once the node pools exist. */
  afterNodes(pools: NodePools): EksAddon[] {
    const ebs = new PodIdentity(this, this.ctx, this.cluster.cluster.name, {
      name: 'ebs-csi-driver',
      namespace: 'kube-system',
      serviceAccount: EBS_CSI_SERVICE_ACCOUNT,
      managedPolicies: ['service-role/AmazonEBSCSIDriverPolicy'],
      associate: false,
    });
    return [
      this.addon('coredns', { dependsOn: pools.system.groups.map((g) => g.group) }),
      this.addon('aws-ebs-csi-driver', {
        podIdentityAssociation: [{ roleArn: ebs.role.arn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }],
        dependsOn: pools.system.groups.map((g) => g.group),
      }),
    ];
  }

  private addon(name: AddonName, extra: Partial<ConstructorParameters<typeof EksAddon>[2]>): EksAddon {
    const version = this.versions[name];
    if (!version) throw new Error(`no pinned version of the ${name} add-on (the schema should have refused this environment)`);
    return pinAddress(
      new EksAddon(this, name, {
        clusterName: this.cluster.cluster.name,
        addonName: name,
        addonVersion: version,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        tags: this.ctx.tags(this.ctx.name(name)),
        ...extra,
      }),
      name.replace(/-/g, '_'),
    );
  }
}
