/**
 * Customer-managed KMS keys, one per purpose, each rotating yearly:
 * - `eks` envelope-encrypts Kubernetes Secrets in etcd. EKS cannot change or remove a cluster's
 *   secrets key (the provider plans a new key as an in-place update and applies nothing: it only
 *   associates a key when the cluster had none), so the key is kept from `destroy` while the cluster
 *   is (`target.eks.preventReplacement`).
 * - `data` encrypts the managed data services' storage (RDS, ElastiCache, OpenSearch, S3) and the
 *   Secrets Manager secrets that hold their credentials; kept while `protectData` is on.
 * - `logs` encrypts the control-plane and VPC flow-log log groups. CloudWatch Logs encrypts with the
 *   caller's key only when the key policy lets the regional logs service use it, so its policy is
 *   explicit: the account (IAM policies decide the rest, as in the default policy) and the logs
 *   service for exactly these two log groups (the encryption context `aws:logs:arn`,
 *   docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 * `eks` and `data` keep the account's default key policy.
 */
import { Construct } from '../../providers/cdktf';
import { KmsAlias, KmsKey } from '../../providers/aws';
import { pinAddress } from '../terraform';
import { type AwsContext, policy } from './context';

/** The log groups this stack creates (the `logs` key admits exactly these). */
export const logGroupNames = (ctx: AwsContext) => ({
  controlPlane: `/aws/eks/${ctx.prefix}/cluster`,
  flowLogs: `/aws/vpc/${ctx.name('vpc')}/flow-logs`,
});

export class Keys extends Construct {
  readonly eks: KmsKey;
  readonly data: KmsKey;
  readonly logs: KmsKey;

  constructor(scope: Construct, id: string, ctx: AwsContext) {
    super(scope, id);
    const key = (purpose: string, description: string, keep: boolean, keyPolicy?: string) => {
      const k = pinAddress(
        new KmsKey(this, purpose, {
          description,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          ...(keyPolicy ? { policy: keyPolicy } : {}),
          tags: ctx.tags(ctx.name(purpose)),
          lifecycle: { preventDestroy: keep },
        }),
        purpose,
      );
      pinAddress(new KmsAlias(this, `${purpose}-alias`, { name: `alias/${ctx.name(purpose)}`, targetKeyId: k.keyId }), purpose);
      return k;
    };
    this.eks = key('eks', `${ctx.prefix}: envelope encryption of Kubernetes Secrets`, ctx.target.eks.preventReplacement);
    this.data = key('data', `${ctx.prefix}: managed data services and their credentials`, ctx.protectData);

    const account = ctx.accountId;
    const groups = logGroupNames(ctx);
    const logGroupArn = (name: string) => `arn:aws:logs:${ctx.region}:${account}:log-group:${name}`;
    this.logs = key(
      'logs',
      `${ctx.prefix}: control-plane and VPC flow logs`,
      ctx.protectData,
      policy(
        {
          Sid: 'AccountAdministersTheKey',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'CloudWatchLogsEncryptsTheseLogGroups',
          Effect: 'Allow',
          Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
          Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          Resource: '*',
          Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [groups.controlPlane, groups.flowLogs].map(logGroupArn) } },
        },
      ),
    );
  }
}
