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
 */
import { Construct } from '../../providers/cdktf';
import type { S3Bucket } from '../../providers/aws';
import { backupBucketName } from '../../targets/aws/backup';
import type { ClusterFacts, PodGroup } from '../kubernetes/context';
import { hardenedBucket, lifecycleRule, randomBucketSuffix } from './bucket';
import type { AwsContext } from './context';
import type { Keys } from './keys';
import { PodIdentity } from './pod-identity';

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
        statements: [
          // The dump's upload lists its own prefix; barman-cloud (CloudNativePG) also checks that the
          // bucket exists (HeadBucket, no prefix), so its list is not limited to the prefix.
          g.role === 'job'
            ? {
                Sid: 'ListOwnPrefix',
                Effect: 'Allow',
                Action: ['s3:ListBucket'],
                Resource: arn,
                Condition: { StringLike: { 's3:prefix': [`${prefix}/`, `${prefix}/*`] } },
              }
            : { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: arn },
          {
            Sid: 'ReadWriteOwnPrefix',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: `${arn}/${prefix}/*`,
          },
          {
            Sid: 'UseDataKeyThroughS3',
            Effect: 'Allow',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: this.keyArn,
            Condition: { StringEquals: { 'kms:ViaService': `s3.${this.ctx.region}.amazonaws.com` } },
          },
        ],
      });
      namespaces.push(g.namespace);
    }
    return namespaces;
  }
}
