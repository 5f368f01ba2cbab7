/**
 * The object store as S3: one bucket per catalogue bucket, named
 * `<project>-<environment>-<bucket>-<suffix>` (S3 names are global: the project goes in front and the
 * account id, or a suffix generated once and kept in the state, at the end, so that nobody else
 * already holds the name; `bucketSuffix: 'none'` keeps the bare names of buckets created before),
 * versioned, SSE-KMS with the data key and
 * a bucket key, every public access blocked, objects owned by the bucket owner, a policy refusing
 * plain HTTP, and lifecycle rules for old versions and unfinished uploads. Access is by IAM only
 * (the platform's applications' Pod Identity role), so there is no credential to hand out.
 */
import type { Construct } from '../../providers/cdktf';
import {
  S3Bucket,
  S3BucketLifecycleConfiguration,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  S3BucketVersioningA,
} from '../../providers/aws';
import { Id } from '../../providers/random';
import type { ObjectStoreFacet } from '../../services/objectstore';
import { RANDOM_SUFFIX_BYTES, bucketSuffixOf, s3BucketName } from '../../targets/aws/placement';
import { pinAddress } from '../terraform';
import { type ManagedRenderer, useDataKey } from './managed';

export const objectstore: ManagedRenderer<'objectstore', ObjectStoreFacet> = {
  title: 'Amazon S3',
  reusesSecrets: [],
  summarize(resources) {
    const buckets = Object.keys(resources.aws_s3_bucket ?? {}).filter((id) => id.startsWith('objectstore_'));
    return {
      what: `${buckets.length} bucket${buckets.length === 1 ? '' : 's'}, versioned, SSE-KMS`,
      billables: [{ item: 's3:standard', label: 'S3 storage and requests', quantity: 0, unit: 'GB-month', byUse: true }],
      storageGiB: 0,
    };
  },
  render(scope: Construct, inputs, spec, config) {
    const { ctx, keys } = inputs;
    const kind = bucketSuffixOf(ctx.target);
    const suffix =
      kind === 'account-id'
        ? ctx.accountId
        : kind === 'random'
          ? pinAddress(new Id(scope, 'bucket-suffix', { byteLength: RANDOM_SUFFIX_BYTES }), 'objectstore', 'bucket-suffix').hex
          : undefined;
    const buckets = spec.facet.buckets.map((b) => {
      const name = s3BucketName(ctx.project, ctx.environmentName, b, suffix);
      const id = b.replace(/[.]/g, '_');
      const bucket = pinAddress(
        new S3Bucket(scope, `bucket-${b}`, {
          bucket: name,
          forceDestroy: false,
          tags: ctx.tags(name),
          lifecycle: { preventDestroy: ctx.protectData },
        }),
        'objectstore',
        id,
      );
      pinAddress(
        new S3BucketOwnershipControls(scope, `bucket-${b}-ownership`, {
          bucket: bucket.id,
          rule: { objectOwnership: 'BucketOwnerEnforced' },
        }),
        'objectstore',
        id,
      );
      pinAddress(
        new S3BucketPublicAccessBlock(scope, `bucket-${b}-public-access`, {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        }),
        'objectstore',
        id,
      );
      pinAddress(
        new S3BucketVersioningA(scope, `bucket-${b}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }),
        'objectstore',
        id,
      );
      pinAddress(
        new S3BucketServerSideEncryptionConfigurationA(scope, `bucket-${b}-encryption`, {
          bucket: bucket.id,
          rule: [
            { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: keys.data.arn }, bucketKeyEnabled: true },
          ],
        }),
        'objectstore',
        id,
      );
      pinAddress(
        new S3BucketPolicy(scope, `bucket-${b}-policy`, {
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
        'objectstore',
        id,
      );
      pinAddress(
        new S3BucketLifecycleConfiguration(scope, `bucket-${b}-lifecycle`, {
          bucket: bucket.id,
          rule: [
            {
              id: 'expire-old-versions',
              status: 'Enabled',
              filter: [{}],
              noncurrentVersionExpiration: [{ noncurrentDays: config.noncurrentVersionDays }],
            },
            {
              id: 'abort-incomplete-uploads',
              status: 'Enabled',
              filter: [{}],
              abortIncompleteMultipartUpload: [{ daysAfterInitiation: config.abortIncompleteUploadDays }],
            },
          ],
        }),
        'objectstore',
        id,
      );
      return { catalogue: b, bucket };
    });
    return {
      endpoint: {
        region: ctx.region,
        url: `https://s3.${ctx.region}.amazonaws.com`,
        buckets: buckets.map((b) => b.catalogue).join(','),
        ...Object.fromEntries(buckets.map((b) => [`bucket.${b.catalogue}`, b.bucket.bucket])),
      },
      clientStatements: [
        {
          Sid: 'ListBuckets',
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetBucketLocation'],
          Resource: buckets.map((b) => b.bucket.arn),
        },
        {
          Sid: 'ReadWriteObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: buckets.map((b) => `${b.bucket.arn}/*`),
        },
        useDataKey(inputs, ['kms:Decrypt', 'kms:GenerateDataKey']),
      ],
    };
  },
};
