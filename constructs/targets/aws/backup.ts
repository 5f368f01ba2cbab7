/**
 * AWS Backup facts (pure): the region each region's recovery points are copied to by default, the
 * plan's rules from the environment's retention, and the tag that selects what is backed up.
 */
import type { Environment } from '../../../environments/parse/load';
import type { BackupRetention, ServiceSpec } from '../../spec/types';
import type { ClusterBackupTraits } from '../kubernetes';
import { RANDOM_SUFFIX_BYTES, placeServices, s3BucketName } from './placement';

/**
 * The usual partner of each region for disaster-recovery copies (same continent, and the pairs AWS
 * itself pairs for cross-region features); `target.backupCopyRegion` overrides it.
 */
export const BACKUP_PARTNER_REGIONS: Readonly<Record<string, string>> = {
  'us-east-1': 'us-west-2',
  'us-east-2': 'us-west-2',
  'us-west-1': 'us-east-1',
  'us-west-2': 'us-east-1',
  'ca-central-1': 'us-east-1',
  'eu-west-1': 'eu-central-1',
  'eu-west-2': 'eu-west-1',
  'eu-west-3': 'eu-central-1',
  'eu-central-1': 'eu-west-1',
  'eu-north-1': 'eu-central-1',
  'eu-south-1': 'eu-central-1',
  'ap-southeast-1': 'ap-southeast-2',
  'ap-southeast-2': 'ap-southeast-1',
  'ap-northeast-1': 'ap-northeast-3',
  'ap-northeast-2': 'ap-northeast-1',
  'ap-south-1': 'ap-southeast-1',
  'sa-east-1': 'us-east-1',
};

/** The region recovery points are copied to, or none where the environment must name one. */
export function backupCopyRegion(target: { readonly region: string; readonly backupCopyRegion?: string | undefined }): string | undefined {
  return target.backupCopyRegion ?? BACKUP_PARTNER_REGIONS[target.region];
}

/** The tag key AWS Backup selects by; its value is `<project>-<environment>`. */
export const BACKUP_TAG = 'platform-backup';

export interface BackupRule {
  readonly name: 'daily' | 'weekly' | 'monthly';
  /** AWS Backup's cron (UTC): minutes hours day-of-month month day-of-week year. */
  readonly schedule: string;
  readonly deleteAfterDays: number;
}

/**
 * Daily (kept `daily` days), weekly on Sunday (kept `weekly` weeks) and monthly on the 1st (kept
 * `monthly` months of 31 days), at the environment's daily window; a tier set to 0 is left out.
 */
export function backupRules(retention: BackupRetention, windowMinute: number): BackupRule[] {
  const m = windowMinute % 60;
  const h = Math.floor(windowMinute / 60);
  return [
    { name: 'daily' as const, schedule: `cron(${m} ${h} * * ? *)`, deleteAfterDays: retention.daily },
    { name: 'weekly' as const, schedule: `cron(${m} ${h} ? * SUN *)`, deleteAfterDays: retention.weekly * 7 },
    { name: 'monthly' as const, schedule: `cron(${m} ${h} 1 * ? *)`, deleteAfterDays: retention.monthly * 31 },
  ].filter((r) => r.deleteAfterDays > 0);
}

/** Checks: backups on, the copy region known. */
export function backupChecks(env: Environment): { path: string; message: string }[] {
  if (env.target.kind !== 'aws' || !env.backups) return [];
  const issues = backupCopyRegion(env.target)
    ? []
    : [
        {
          path: 'target.backupCopyRegion',
          message: `${env.target.region} has no default partner region for backup copies: name one (for example ${Object.values(BACKUP_PARTNER_REGIONS)[0]})`,
        },
      ];
  // The in-cluster services' dumps and snapshots go to a bucket of their own (render/aws/in-cluster-backups.ts).
  if (inClusterBackups(env, placeServices(env).inCluster).podIdentityStore) {
    const name = backupBucketName(env.project, env.name, env.backups.bucket, env.target.accountId ?? 'x'.repeat(RANDOM_SUFFIX_BYTES * 2));
    if (name.length > 63)
      issues.push({
        path: 'backups.bucket',
        message: `the backup bucket's S3 name "${name}" is longer than 63 characters (with its suffix); shorten backups.bucket, the project or the environment name`,
      });
  }
  return issues;
}

/** The S3 bucket the in-cluster services' dumps go to: `<project>-<env>-<backups.bucket>-<account id or generated suffix>`. */
export function backupBucketName(project: string, environment: string, bucket: string, suffix: string): string {
  return s3BucketName(project, environment, bucket, suffix);
}

/**
 * How the cluster of an AWS environment backs up what runs in it: AWS Backup snapshots its EBS
 * volumes wherever backups are on (so a volume-snapshot plan's stopped dump is not run there), and
 * what writes backups to the store (the dump jobs, a server's own snapshot repository such as
 * Elasticsearch's) writes to an S3 bucket of the environment through the cluster's workload
 * identities (Pod Identity; IRSA where the client cannot use it), with no store key to hand anyone.
 * The render and the quotas, checks and summary read it here.
 */
export function inClusterBackups(env: Environment, inCluster: readonly ServiceSpec[]): ClusterBackupTraits {
  const on = env.backups !== undefined;
  return {
    volumeSnapshots: on,
    podIdentityStore: on && inCluster.some((s) => s.backup?.dump || s.backup?.method === 'snapshot-repository'),
  };
}
