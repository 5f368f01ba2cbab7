/**
 * Backups of the services that run in the cluster on AWS: the same dump CronJobs as on any cluster
 * (workload.ts), uploading to an S3 bucket of the environment instead of the platform's object store
 * (which is S3 itself on AWS, for the applications: the backups stay out of their buckets).
 *
 * - The bucket `<project>-<env>-<backups.bucket>-<suffix>`: hardened as every bucket (bucket.ts),
 *   SSE-KMS with the data key, versioned (a deleted or overwritten backup stays recoverable for a
 *   while; AWS Backup needs versioning), tagged for AWS Backup (so the backups are also copied to the
 *   copy region), expiring old versions and, as a backstop to the upload step's own pruning, objects
 *   older than the monthly retention plus a month.
 * - Each CronJob runs as `<service>-backup` (its own service account); a Pod Identity role per
 *   service may list, read, write and delete under `<its prefix>/` only, and use the data key through
 *   S3 only. The upload step reads the credentials the Pod Identity agent serves
 *   (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) and signs with them
 *   and their session token.
 * - A service whose S3 client cannot use Pod Identity (Elasticsearch 8.19's repository-s3: Pod
 *   Identity from 9.6, elastic/elasticsearch#151614) asks for a web identity (`webIdentity`): an IAM
 *   role for its service account (IRSA), trusted through the cluster's IAM OIDC provider for that
 *   namespace and service account only, with the same statements on its prefix.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { IamRole, IamRolePolicy, type S3Bucket } from '../../providers/aws';
import { backupBucketName } from '../../targets/aws/backup';
import type { ClusterFacts, PodGroup } from '../kubernetes/context';
import { hardenedBucket, lifecycleRule, randomBucketSuffix } from './bucket';
import { type AwsContext, type Statement, policy } from './context';
import type { Cluster } from './eks';
import type { Keys } from './keys';
import { PodIdentity } from './pod-identity';
import { pinAddress } from '../terraform';

/** The audience of the tokens STS accepts from the cluster's OIDC provider (IRSA). */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/**
 * What a pod that writes backups under `prefix/` may do: list its prefix (or, for a client that
 * checks the bucket itself such as barman-cloud, the bucket), read, write and delete under it, and
 * use the data key through S3 only. `multipart`: also abort its own multipart uploads and list the
 * bucket's unfinished ones (Elasticsearch's repository cleans up the uploads it left behind).
 */
export function prefixStatements(
  bucketArn: string,
  keyArn: string,
  region: string,
  prefix: string,
  opts: { readonly list: 'prefix' | 'bucket'; readonly multipart?: boolean },
): Statement[] {
  return [
    opts.list === 'prefix'
      ? {
          Sid: 'ListOwnPrefix',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: bucketArn,
          Condition: { StringLike: { 's3:prefix': [`${prefix}/`, `${prefix}/*`] } },
        }
      : { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn },
    ...(opts.multipart
      ? [{ Sid: 'ListUnfinishedUploads', Effect: 'Allow' as const, Action: ['s3:ListBucketMultipartUploads'], Resource: bucketArn }]
      : []),
    {
      Sid: 'ReadWriteOwnPrefix',
      Effect: 'Allow',
      Action: [
        's3:GetObject',
        's3:PutObject',
        's3:DeleteObject',
        ...(opts.multipart ? ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'] : []),
      ],
      Resource: `${bucketArn}/${prefix}/*`,
    },
    {
      Sid: 'UseDataKeyThroughS3',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    },
  ];
}

/** A service account's IRSA trust: only tokens of this namespace's service account, issued for STS, by this cluster. */
export function webIdentityTrust(providerArn: string, issuerHost: string, namespace: string, serviceAccount: string): string {
  return policy({
    Effect: 'Allow',
    Principal: { Federated: providerArn },
    Action: ['sts:AssumeRoleWithWebIdentity'],
    Condition: {
      StringEquals: {
        [`${issuerHost}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
        [`${issuerHost}:aud`]: STS_AUDIENCE,
      },
    },
  });
}

/** Days the bucket keeps a deleted or replaced backup (a pruning mistake is undone within them). */
export const BACKUP_NONCURRENT_DAYS = 7;

export class InClusterBackups extends Construct {
  /** What the cluster's backup CronJobs upload to. */
  readonly facts: NonNullable<ClusterFacts['backupStore']>;
  readonly bucket: S3Bucket;
  private readonly keyArn: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly ctx: AwsContext,
    keys: Keys,
    backups: NonNullable<AwsContext['backups']>,
    private readonly cluster: Cluster,
  ) {
    super(scope, id);
    // S3 names are global: the account id (when configured) or a generated suffix, as Loki's bucket.
    const suffix = ctx.target.accountId ?? randomBucketSuffix(this, 'suffix', ['backup', 'bucket_suffix']);
    const name = backupBucketName(ctx.project, ctx.environmentName, backups.bucket, suffix);
    // The upload step keeps `monthly` monthly backups; anything older than that and a month is left over.
    const backstopDays = (backups.retention.monthly + 1) * 31;
    this.bucket = hardenedBucket(this, ctx, {
      id: 'bucket',
      address: ['backup', 'bucket'],
      name,
      encryption: { kmsKeyArn: keys.data.arn },
      versioning: true,
      forceDestroy: !ctx.protectData,
      preventDestroy: ctx.protectData,
      tags: ctx.backupTags(),
      lifecycle: [
        lifecycleRule.expireOldVersions(BACKUP_NONCURRENT_DAYS),
        lifecycleRule.expirePastRetention(backstopDays),
        lifecycleRule.abortIncompleteUploads(),
      ],
    });
    this.facts = {
      // The name as written (as Loki's bucket is given): a reference inside a chart's values would
      // be compared as text in a plan and hide what it is (test/kubernetes-provider.test.ts).
      store: { kind: 'pod-identity', region: ctx.region, bucket: name },
      egress: [{ cidrs: ['0.0.0.0/0'], ports: [443], reason: 'the backup uploads to S3 (the regional endpoint, HTTPS)' }],
      webIdentity: (w) => this.webIdentity(w),
    };
    this.keyArn = keys.data.arn;
  }

  /**
   * A role and its association for every group of pods that writes backups as a service account of
   * its own (`PodGroup.backupAccount`: the dump CronJobs, CloudNativePG's instances), limited to the
   * service's prefix. Returns the namespaces those pods run in (they fetch their credentials from the
   * Pod Identity agent).
   */
  bind(clusterName: string, groups: readonly PodGroup[]): string[] {
    const namespaces: string[] = [];
    for (const g of groups) {
      if (!g.backupAccount) continue;
      const { serviceAccount, prefix } = g.backupAccount;
      const arn = this.bucket.arn;
      new PodIdentity(this, this.ctx, clusterName, {
        name: `backup-${g.service}`,
        namespace: g.namespace,
        serviceAccount,
        // The dump's upload lists its own prefix; barman-cloud (CloudNativePG) also checks that the
        // bucket exists (HeadBucket, no prefix), so its list is not limited to the prefix.
        statements: prefixStatements(arn, this.keyArn, this.ctx.region, prefix, { list: g.role === 'job' ? 'prefix' : 'bucket' }),
      });
      namespaces.push(g.namespace);
    }
    return namespaces;
  }

  /**
   * An IAM role for a service account (IRSA) limited to the service's prefix, for pods whose S3 client
   * reads a web identity token but not Pod Identity's credentials: trusted through the cluster's OIDC
   * provider (made with the first such role) for `system:serviceaccount:<namespace>:<serviceAccount>`
   * and STS's audience only. Returns its ARN (the service account's `eks.amazonaws.com/role-arn`, the
   * pods' AWS_ROLE_ARN), the tokens' audience, and what must exist before the pods use it (the role and its policy).
   */
  private webIdentity(w: {
    readonly service: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly prefix: string;
  }): {
    readonly roleArn: string;
    readonly audience: string;
    readonly ready: readonly ITerraformDependable[];
  } {
    const { provider, issuerHost } = this.cluster.oidcProvider();
    const name = `backup-${w.service}`;
    const id = name.replace(/-/g, '_');
    const role = pinAddress(
      new IamRole(this, `irsa-${w.service}-role`, {
        name: this.ctx.name(name),
        description: `IAM role for the service account ${w.namespace}/${w.serviceAccount} (IRSA)`,
        assumeRolePolicy: webIdentityTrust(provider.arn, issuerHost, w.namespace, w.serviceAccount),
        tags: this.ctx.tags(this.ctx.name(name)),
      }),
      'irsa',
      id,
    );
    const rolePolicy = pinAddress(
      new IamRolePolicy(this, `irsa-${w.service}-policy`, {
        name,
        role: role.id,
        policy: policy(...prefixStatements(this.bucket.arn, this.keyArn, this.ctx.region, w.prefix, { list: 'prefix', multipart: true })),
      }),
      'irsa',
      id,
    );
    // Written from names (as the bucket's), so the chart's values carry the ARN as text, not a reference.
    return { roleArn: `arn:aws:iam::${this.ctx.accountId}:role/${this.ctx.name(name)}`, audience: STS_AUDIENCE, ready: [role, rolePolicy] };
  }
}
