/**
 * AWS Backup (issue 18): a vault encrypted with the data key, a plan with a daily, a weekly and a
 * monthly rule at the environment's daily window (kept by its retention: 7 days, 4 weeks and 6
 * months by default), each recovery point copied to a vault in the copy region with a KMS key of its
 * own there (a second provider, aliased `backup-copy`), and a selection by tag
 * (`platform-backup = <project>-<environment>`) of the RDS instances, S3 buckets and EBS volumes
 * that carry it: the managed PostgreSQL, the catalogue's buckets, and the volumes the EBS CSI driver
 * creates for in-cluster services (the gp3 StorageClass tags them). Restores: docs/operations.md.
 * ElastiCache, OpenSearch and Amazon MQ are not AWS Backup resources: their own snapshots apply.
 */
import { Construct } from '../../providers/cdktf';
import {
  AwsProvider,
  BackupPlan,
  BackupSelection,
  BackupVault,
  IamRole,
  IamRolePolicyAttachment,
  KmsAlias,
  KmsKey,
} from '../../providers/aws';
import { BACKUP_TAG, backupCopyRegion, backupRules } from '../../targets/aws/backup';
import { pinAddress } from '../terraform';
import { type AwsContext, managedPolicy, trust } from './context';
import type { Keys } from './keys';

/** The managed policies the service role needs: backup and restore, S3's own pair included. */
const SERVICE_POLICIES = [
  'service-role/AWSBackupServiceRolePolicyForBackup',
  'service-role/AWSBackupServiceRolePolicyForRestores',
  'AWSBackupServiceRolePolicyForS3Backup',
  'AWSBackupServiceRolePolicyForS3Restore',
];

export class AwsBackup extends Construct {
  readonly vault: BackupVault;
  readonly copyVault: BackupVault;
  readonly plan: BackupPlan;

  constructor(scope: Construct, id: string, ctx: AwsContext, keys: Keys) {
    super(scope, id);
    const policy = ctx.backups!;
    const copyRegion = backupCopyRegion(ctx.target);
    if (!copyRegion) throw new Error(`${ctx.region} has no backup copy region (target.backupCopyRegion)`);
    const copy = new AwsProvider(this, 'copy-provider', {
      alias: 'backup-copy',
      region: copyRegion,
      ...(ctx.target.accountId ? { allowedAccountIds: [ctx.target.accountId] } : {}),
      defaultTags: [{ tags: { Project: ctx.project, Environment: ctx.environmentName, ManagedBy: 'cdktf', ...ctx.labels } }],
    });
    const keep = ctx.protectData;
    this.vault = pinAddress(
      new BackupVault(this, 'vault', {
        name: ctx.name('backups'),
        kmsKeyArn: keys.data.arn,
        forceDestroy: !keep,
        tags: ctx.tags(ctx.name('backups')),
        lifecycle: { preventDestroy: keep },
      }),
      'backup',
    );
    const copyKey = pinAddress(
      new KmsKey(this, 'copy-key', {
        provider: copy,
        description: `${ctx.prefix}: AWS Backup copies in ${copyRegion}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags: ctx.tags(ctx.name('backup-copy')),
        lifecycle: { preventDestroy: keep },
      }),
      'backup_copy',
    );
    pinAddress(
      new KmsAlias(this, 'copy-key-alias', { provider: copy, name: `alias/${ctx.name('backup-copy')}`, targetKeyId: copyKey.keyId }),
      'backup_copy',
    );
    this.copyVault = pinAddress(
      new BackupVault(this, 'copy-vault', {
        provider: copy,
        name: ctx.name('backups-copy'),
        kmsKeyArn: copyKey.arn,
        forceDestroy: !keep,
        tags: ctx.tags(ctx.name('backups-copy')),
        lifecycle: { preventDestroy: keep },
      }),
      'backup_copy',
    );
    this.plan = pinAddress(
      new BackupPlan(this, 'plan', {
        name: ctx.name('backups'),
        rule: backupRules(policy.retention, policy.windowMinute).map((r) => ({
          ruleName: r.name,
          targetVaultName: this.vault.name,
          schedule: r.schedule,
          scheduleExpressionTimezone: 'Etc/UTC',
          // Starts within an hour of the window, done within a day.
          startWindow: 60,
          completionWindow: 1440,
          lifecycle: { deleteAfter: r.deleteAfterDays },
          recoveryPointTags: { [BACKUP_TAG]: ctx.prefix, rule: r.name },
          copyAction: [{ destinationVaultArn: this.copyVault.arn, lifecycle: { deleteAfter: r.deleteAfterDays } }],
        })),
        tags: ctx.tags(ctx.name('backups')),
      }),
      'backup',
    );
    const role = pinAddress(
      new IamRole(this, 'role', {
        name: ctx.name('backup'),
        description: 'AWS Backup: takes and restores the recovery points of the selected resources',
        assumeRolePolicy: trust('backup.amazonaws.com'),
        tags: ctx.tags(ctx.name('backup')),
      }),
      'backup',
    );
    SERVICE_POLICIES.forEach((p, i) =>
      pinAddress(
        new IamRolePolicyAttachment(this, `role-policy-${i}`, { role: role.name, policyArn: managedPolicy(p) }),
        'backup',
        p.split('/').at(-1)!,
      ),
    );
    pinAddress(
      new BackupSelection(this, 'selection', {
        name: ctx.name('tagged'),
        planId: this.plan.id,
        iamRoleArn: role.arn,
        // The resource types AWS Backup takes here, narrowed to those carrying the tag (both must match).
        resources: ['arn:aws:rds:*:*:db:*', 'arn:aws:s3:::*', 'arn:aws:ec2:*:*:volume/*'],
        condition: [{ stringEquals: [{ key: `aws:ResourceTag/${BACKUP_TAG}`, value: ctx.prefix }] }],
      }),
      'backup',
    );
  }
}
