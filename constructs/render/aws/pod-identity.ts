/**
 * Workload permissions through EKS Pod Identity: one IAM role per workload (a service account in a
 * namespace), trusted by `pods.eks.amazonaws.com` only for that service account of that namespace of
 * this cluster, holding exactly the statements that workload needs; the eks-pod-identity-agent add-on
 * hands the credentials to the pod. The one exception is a client that cannot read them
 * (Elasticsearch 8.19's repository-s3): an IAM role for its service account through the cluster's
 * OIDC provider (in-cluster-backups.ts, `webIdentity`).
 *
 * The trust condition uses the session tags Pod Identity sets on every assumption
 * (`eks-cluster-arn`, `kubernetes-namespace`, `kubernetes-service-account`; EKS user guide,
 * "Create IAM role with trust policy required by EKS Pod Identity" and "List of session tags added by
 * EKS Pod Identity"): another association, in this or another cluster, cannot use the role. The guide
 * documents no `aws:SourceAccount` for this principal, so none is required here.
 *
 * Used for the EBS CSI driver, the cluster autoscaler and the platform's applications (managed
 * credentials, buckets); log shipping and backups to S3 get their own entries the same way when
 * those workloads land.
 */
import { Construct } from '../../providers/cdktf';
import { EksPodIdentityAssociation, IamRole, IamRolePolicy, IamRolePolicyAttachment } from '../../providers/aws';
import { pinAddress } from '../terraform';
import { type AwsContext, type Statement, managedPolicy, policy } from './context';

/** Where the EKS Pod Identity agent serves credentials to pods (hostNetwork, link-local; EKS user guide, "Pod Identity considerations"). */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 } as const;

export interface Workload {
  /** Short name; the role is `<project>-<env>-<name>`. */
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Inline statements (least privilege: name the resources). */
  readonly statements?: readonly Statement[];
  /** AWS managed policies, for workloads AWS maintains a least-privilege policy for (EBS CSI). */
  readonly managedPolicies?: readonly string[];
  /**
   * Create the association here (`true`), or let the caller bind the role another way (an EKS
   * add-on's own `pod_identity_association` block).
   * @default true
   */
  readonly associate?: boolean;
}

/** The trust policy of a Pod Identity role: this cluster, this namespace, this service account. */
export function podIdentityTrust(clusterArn: string, namespace: string, serviceAccount: string): string {
  return policy({
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Condition: {
      StringEquals: {
        'aws:RequestTag/eks-cluster-arn': clusterArn,
        'aws:RequestTag/kubernetes-namespace': namespace,
        'aws:RequestTag/kubernetes-service-account': serviceAccount,
      },
    },
  });
}

export class PodIdentity extends Construct {
  readonly role: IamRole;
  readonly association?: EksPodIdentityAssociation;

  constructor(scope: Construct, ctx: AwsContext, clusterName: string, w: Workload) {
    super(scope, `pod-identity-${w.name}`);
    const id = w.name.replace(/-/g, '_');
    this.role = pinAddress(
      new IamRole(this, 'role', {
        name: ctx.name(w.name),
        description: `Pod Identity of ${w.namespace}/${w.serviceAccount}`,
        // Built from names (not the cluster resource), so the role does not wait for the cluster.
        assumeRolePolicy: podIdentityTrust(
          `arn:aws:eks:${ctx.region}:${ctx.accountId}:cluster/${ctx.prefix}`,
          w.namespace,
          w.serviceAccount,
        ),
        tags: ctx.tags(ctx.name(w.name)),
      }),
      'pod',
      id,
    );
    if (w.statements && w.statements.length > 0) {
      pinAddress(new IamRolePolicy(this, 'policy', { name: w.name, role: this.role.id, policy: policy(...w.statements) }), 'pod', id);
    }
    for (const p of w.managedPolicies ?? []) {
      pinAddress(
        new IamRolePolicyAttachment(this, p, { role: this.role.name, policyArn: managedPolicy(p) }),
        'pod',
        id,
        p.slice(p.lastIndexOf('/') + 1),
      );
    }
    if (w.associate !== false) {
      this.association = pinAddress(
        new EksPodIdentityAssociation(this, 'association', {
          clusterName,
          namespace: w.namespace,
          serviceAccount: w.serviceAccount,
          roleArn: this.role.arn,
          tags: ctx.tags(ctx.name(w.name)),
        }),
        'pod',
        id,
      );
    }
  }
}
