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
import type { ObjectStoreFacet } from '../../services/objectstore';
import { bucketSuffixOf, s3BucketName } from '../../targets/aws/placement';
import { hardenedBucket, lifecycleRule, randomBucketSuffix } from './bucket';
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
          ? randomBucketSuffix(scope, 'bucket-suffix', ['objectstore', 'bucket-suffix'])
          : undefined;
    const buckets = spec.facet.buckets.map((b) => {
      const name = s3BucketName(ctx.project, ctx.environmentName, b, suffix);
      const bucket = hardenedBucket(scope, ctx, {
        id: `bucket-${b}`,
        address: ['objectstore', b.replace(/[.]/g, '_')],
        name,
        encryption: { kmsKeyArn: keys.data.arn },
        versioning: true,
        forceDestroy: false,
        preventDestroy: ctx.protectData,
        // AWS Backup copies the data buckets (daily, weekly, monthly; to the copy region).
        tags: ctx.backupTags(),
        lifecycle: [
          lifecycleRule.expireOldVersions(config.noncurrentVersionDays),
          lifecycleRule.abortIncompleteUploads(config.abortIncompleteUploadDays),
        ],
      });
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
