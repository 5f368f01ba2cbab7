/**
 * The EKS control plane: private endpoint (public only for the CIDRs in config), Kubernetes Secrets
 * envelope-encrypted with a rotating KMS key, every control-plane log type on (into a log group
 * created first, with retention, encrypted with the logs key), authentication mode API with access
 * entries for the admin roles, an explicit support policy (`upgrade_policy`), and no self-managed
 * add-ons at creation (the managed add-ons in addons.ts replace them).
 *
 * The cluster role trusts `eks.amazonaws.com` without conditions, as the EKS user guide's cluster
 * role does (it documents `aws:SourceArn`/`aws:SourceAccount` for the Fargate pod execution role
 * only).
 *
 * Security groups: `cluster` (attached to the control-plane interfaces) and `nodes` (every node, and
 * so every pod: the VPC CNI gives pods the node's groups). The managed data services admit the
 * `nodes` group only.
 */
import { Construct, Fn } from '../../providers/cdktf';
import {
  CloudwatchLogGroup,
  EksAccessEntry,
  EksAccessPolicyAssociation,
  EksCluster,
  IamOpenidConnectProvider,
  IamRole,
  IamRolePolicy,
  IamRolePolicyAttachment,
  SecurityGroup,
  VpcSecurityGroupEgressRule,
  VpcSecurityGroupIngressRule,
} from '../../providers/aws';
import { pinAddress } from '../terraform';
import { type AwsContext, managedPolicy, policy } from './context';
import { type Keys, logGroupNames } from './keys';
import type { Network } from './network';

export const CONTROL_PLANE_LOGS = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];
export const CLUSTER_ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
/** Read access to every object, Secrets included (the EKS user guide's access policy reference). */
export const ADMIN_VIEW_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy';

export class Cluster extends Construct {
  readonly cluster: EksCluster;
  readonly clusterSecurityGroup: SecurityGroup;
  readonly nodeSecurityGroup: SecurityGroup;
  /** Access for the admin roles: the kubernetes and helm providers need it before they install anything. */
  readonly access: EksAccessPolicyAssociation[] = [];
  private oidc?: { readonly provider: IamOpenidConnectProvider; readonly issuerHost: string };

  constructor(
    scope: Construct,
    id: string,
    private readonly ctx: AwsContext,
    network: Network,
    keys: Keys,
  ) {
    super(scope, id);
    const eks = ctx.target.eks;
    const name = ctx.prefix;

    // Security groups and the rules between control plane and nodes.
    this.clusterSecurityGroup = pinAddress(
      new SecurityGroup(this, 'cluster-sg', {
        name: ctx.name('eks-cluster'),
        description: 'EKS control plane interfaces',
        vpcId: network.vpc.id,
        tags: ctx.tags(ctx.name('eks-cluster')),
      }),
      'cluster',
    );
    this.nodeSecurityGroup = pinAddress(
      new SecurityGroup(this, 'nodes-sg', {
        name: ctx.name('eks-nodes'),
        description: 'EKS nodes and their pods',
        vpcId: network.vpc.id,
        tags: ctx.tags(ctx.name('eks-nodes')),
      }),
      'nodes',
    );
    const cluster = this.clusterSecurityGroup.id;
    const nodes = this.nodeSecurityGroup.id;
    const ingress = (
      id: string,
      securityGroupId: string,
      from: string,
      description: string,
      proto: string,
      fromPort?: number,
      toPort?: number,
    ) =>
      pinAddress(
        new VpcSecurityGroupIngressRule(this, id, {
          securityGroupId,
          referencedSecurityGroupId: from,
          ipProtocol: proto,
          ...(fromPort === undefined ? {} : { fromPort, toPort: toPort ?? fromPort }),
          description,
        }),
        id,
      );
    ingress('nodes_to_api', cluster, nodes, 'Nodes and pods to the Kubernetes API', 'tcp', 443);
    ingress('api_to_webhooks', nodes, cluster, 'Control plane to admission webhooks on 443', 'tcp', 443);
    ingress('api_to_kubelet_and_webhooks', nodes, cluster, 'Control plane to kubelets (10250) and webhooks', 'tcp', 1025, 65535);
    ingress('node_to_node', nodes, nodes, 'Nodes and pods among themselves (pod network, DNS)', '-1');
    pinAddress(
      new VpcSecurityGroupEgressRule(this, 'nodes-egress', {
        securityGroupId: nodes,
        ipProtocol: '-1',
        cidrIpv4: '0.0.0.0/0',
        description: 'Nodes to the control plane, AWS APIs, registries and the managed services',
      }),
      'nodes_egress',
    );

    // The control plane's role, with the right to use the secrets key.
    const role = pinAddress(
      new IamRole(this, 'cluster-role', {
        name: ctx.name('eks-cluster'),
        assumeRolePolicy: policy({
          Effect: 'Allow',
          Principal: { Service: 'eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        }),
        tags: ctx.tags(ctx.name('eks-cluster')),
      }),
      'eks_cluster',
    );
    const clusterPolicy = pinAddress(
      new IamRolePolicyAttachment(this, 'cluster-policy', { role: role.name, policyArn: managedPolicy('AmazonEKSClusterPolicy') }),
      'eks_cluster',
    );
    const encryptPolicy = pinAddress(
      new IamRolePolicy(this, 'cluster-encryption', {
        name: 'encrypt-secrets',
        role: role.id,
        policy: policy({
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'],
          Resource: keys.eks.arn,
        }),
      }),
      'eks_cluster_encryption',
    );
    // Created before the cluster: otherwise EKS creates it without retention and Terraform cannot.
    const logs = pinAddress(
      new CloudwatchLogGroup(this, 'cluster-logs', {
        name: logGroupNames(ctx).controlPlane,
        retentionInDays: eks.logRetentionDays,
        kmsKeyId: keys.logs.arn,
        tags: ctx.tags(`${name}-control-plane`),
      }),
      'eks_cluster',
    );

    const publicCidrs = eks.publicAccessCidrs;
    this.cluster = pinAddress(
      new EksCluster(this, 'cluster', {
        name,
        version: eks.version,
        roleArn: role.arn,
        vpcConfig: {
          // Control-plane interfaces in the intra subnets (no route out); nodes sit in the private ones.
          subnetIds: network.intraSubnetIds,
          securityGroupIds: [cluster],
          endpointPrivateAccess: true,
          endpointPublicAccess: publicCidrs.length > 0,
          ...(publicCidrs.length > 0 ? { publicAccessCidrs: publicCidrs } : {}),
        },
        accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
        // vpc-cni, kube-proxy and CoreDNS come as managed add-ons with pinned versions. Changing this
        // replaces the cluster, and it only matters at creation: later drift is ignored (as
        // terraform-aws-eks does).
        bootstrapSelfManagedAddons: false,
        // EKS cannot change a cluster's secrets key; the key is kept from destroy (keys.ts).
        encryptionConfig: { resources: ['secrets'], provider: { keyArn: keys.eks.arn } },
        enabledClusterLogTypes: CONTROL_PLANE_LOGS,
        upgradePolicy: { supportType: eks.supportType },
        tags: ctx.tags(name),
        // A replaced cluster loses every workload and volume binding: refuse it (docs/operations.md).
        lifecycle: { preventDestroy: eks.preventReplacement, ignoreChanges: ['bootstrap_self_managed_addons'] },
        // The role must hold its policies while EKS creates (and deletes) the cluster.
        dependsOn: [clusterPolicy, encryptPolicy, logs],
      }),
      'cluster',
    );

    for (const arn of eks.adminRoleArns) {
      const roleName = arn.slice(arn.lastIndexOf('/') + 1);
      const entry = pinAddress(
        new EksAccessEntry(this, `admin-${roleName}`, { clusterName: this.cluster.name, principalArn: arn, type: 'STANDARD' }),
        'admin',
        roleName,
      );
      this.access.push(
        pinAddress(
          new EksAccessPolicyAssociation(this, `admin-${roleName}-policy`, {
            clusterName: this.cluster.name,
            principalArn: entry.principalArn,
            policyArn: CLUSTER_ADMIN_POLICY,
            accessScope: { type: 'cluster' },
          }),
          'admin',
          roleName,
        ),
      );
    }
    // Read-only entries (the plan role): refreshing Secrets and Helm releases needs to read Secrets.
    for (const arn of eks.viewRoleArns) {
      const roleName = arn.slice(arn.lastIndexOf('/') + 1);
      const entry = pinAddress(
        new EksAccessEntry(this, `view-${roleName}`, { clusterName: this.cluster.name, principalArn: arn, type: 'STANDARD' }),
        'view',
        roleName,
      );
      pinAddress(
        new EksAccessPolicyAssociation(this, `view-${roleName}-policy`, {
          clusterName: this.cluster.name,
          principalArn: entry.principalArn,
          policyArn: ADMIN_VIEW_POLICY,
          accessScope: { type: 'cluster' },
        }),
        'view',
        roleName,
      );
    }
  }

  /**
   * The cluster's IAM OIDC provider, for IAM roles for service accounts (IRSA): made the first time a
   * workload needs it (one per cluster; Pod Identity needs none), with the issuer's host its roles'
   * trust conditions are keyed by (`<host>:sub`, `<host>:aud`). The url is the cluster's issuer as EKS
   * reports it (`https://oidc.eks.<region>.amazonaws.com/id/<id>`); the audience is STS's. No
   * thumbprint: IAM does not use one for the EKS issuer, and provider 5.100.0 computes the list.
   */
  oidcProvider(): { readonly provider: IamOpenidConnectProvider; readonly issuerHost: string } {
    if (!this.oidc) {
      const issuer = this.cluster.identity.get(0).oidc.get(0).issuer;
      const provider = pinAddress(
        new IamOpenidConnectProvider(this, 'oidc-provider', {
          url: issuer,
          clientIdList: ['sts.amazonaws.com'],
          tags: this.ctx.tags(this.ctx.name('eks-oidc')),
        }),
        'eks',
      );
      this.oidc = { provider, issuerHost: Fn.replace(issuer, 'https://', '') };
    }
    return this.oidc;
  }
}
