/**
 * An S3 bucket as every bucket of the platform is made: owned by the bucket owner (no ACLs), every
 * public access blocked, encrypted at rest, a policy refusing plain HTTP, optional versioning and
 * lifecycle rules; and the suffix that makes its global name the platform's alone. One place, so the
 * catalogue's buckets and the platform's own (Loki's logs, backups) cannot drift apart.
 */
import type { Construct } from '../../providers/cdktf';
import {
  S3Bucket,
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  S3BucketVersioningA,
} from '../../providers/aws';
import { Id } from '../../providers/random';
import { RANDOM_SUFFIX_BYTES } from '../../targets/aws/placement';
import { pinAddress } from '../terraform';
import type { AwsContext } from './context';

export interface BucketOptions {
  /** The construct id of the bucket; its parts are `<id>-ownership`, `<id>-policy`, ... */
  readonly id: string;
  /** The Terraform address every resource of the bucket is pinned to (`<type>.<address parts joined>`). */
  readonly address: readonly string[];
  readonly name: string;
  /** `kms`: SSE-KMS with this key and a bucket key; `s3`: SSE-S3 (AES256). */
  readonly encryption: { readonly kmsKeyArn: string } | 's3';
  readonly versioning: boolean;
  /** `terraform destroy` may empty the bucket first (logs, caches); never for data. */
  readonly forceDestroy: boolean;
  /** Written as the bucket's `lifecycle.prevent_destroy` when given. */
  readonly preventDestroy?: boolean;
  readonly lifecycle?: readonly S3BucketLifecycleConfigurationRule[];
  /** Tags beyond the Name (the tag AWS Backup selects data buckets by). @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The bucket and its hardening; the bucket resource is returned. */
export function hardenedBucket(scope: Construct, ctx: AwsContext, o: BucketOptions): S3Bucket {
  const [first, ...rest] = o.address;
  const pin = <T extends Parameters<typeof pinAddress>[0]>(r: T) => pinAddress(r, first!, ...rest);
  const bucket = pin(
    new S3Bucket(scope, o.id, {
      bucket: o.name,
      forceDestroy: o.forceDestroy,
      tags: ctx.tags(o.name, { ...o.tags }),
      ...(o.preventDestroy === undefined ? {} : { lifecycle: { preventDestroy: o.preventDestroy } }),
    }),
  );
  pin(new S3BucketOwnershipControls(scope, `${o.id}-ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }));
  pin(
    new S3BucketPublicAccessBlock(scope, `${o.id}-public-access`, {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
  );
  if (o.versioning) {
    pin(new S3BucketVersioningA(scope, `${o.id}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }));
  }
  pin(
    new S3BucketServerSideEncryptionConfigurationA(scope, `${o.id}-encryption`, {
      bucket: bucket.id,
      rule: [
        o.encryption === 's3'
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }
          : {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: o.encryption.kmsKeyArn },
              bucketKeyEnabled: true,
            },
      ],
    }),
  );
  pin(
    new S3BucketPolicy(scope, `${o.id}-policy`, {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyPlainHttp',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }),
  );
  if (o.lifecycle?.length) {
    pin(new S3BucketLifecycleConfiguration(scope, `${o.id}-lifecycle`, { bucket: bucket.id, rule: [...o.lifecycle] }));
  }
  return bucket;
}

/** A suffix generated once and kept in the state (pinned at `random_id.<address>`), for a bucket's global name. */
/** The lifecycle rules the platform's buckets share, by what they do. */
export const lifecycleRule = {
  /** Older versions of an object deleted `days` after they were replaced (versioned buckets). */
  expireOldVersions: (days: number): S3BucketLifecycleConfigurationRule => ({
    id: 'expire-old-versions',
    status: 'Enabled',
    filter: [{}],
    noncurrentVersionExpiration: [{ noncurrentDays: days }],
  }),
  /** Objects deleted `days` after they were written: the backstop behind a program's own retention. */
  expirePastRetention: (days: number): S3BucketLifecycleConfigurationRule => ({
    id: 'expire-past-retention',
    status: 'Enabled',
    filter: [{}],
    expiration: [{ days }],
  }),
  /** Parts of uploads never completed, deleted `days` after they began. */
  abortIncompleteUploads: (days = 1): S3BucketLifecycleConfigurationRule => ({
    id: 'abort-incomplete-uploads',
    status: 'Enabled',
    filter: [{}],
    abortIncompleteMultipartUpload: [{ daysAfterInitiation: days }],
  }),
};

export function randomBucketSuffix(scope: Construct, id: string, address: readonly string[]): string {
  const [first, ...rest] = address;
  return pinAddress(new Id(scope, id, { byteLength: RANDOM_SUFFIX_BYTES }), first!, ...rest).hex;
}
