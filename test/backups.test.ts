/**
 * Backups (issue 18): every stateful service has a plan whose schedule meets the environment's RPO
 * and whose retention is the environment's; each target runs it (Docker: the backup containers;
 * Kubernetes: a CronJob beside every own StatefulSet with a dump step; AWS: AWS Backup over the
 * tagged RDS, S3 and EBS, copied to another region). On fixtures and on every environment.
 */
import { describe, expect, it } from 'vitest';
import { BACKUP_INTERVALS, backupSchedule, maxAgeSeconds } from '../constructs/services/backup';
import type { ServiceSpec } from '../constructs/spec/types';
import { BACKUP_TAG, backupCopyRegion } from '../constructs/targets/aws/backup';
import type { Environment } from '../environments/parse/load';
import { ConfigError } from '../environments/parse/load';
import { prepare } from '../stacks/pipeline';
import { env, everyEnvironment, spec, synth, variant } from './helpers';
import { footprintOf } from '../constructs/targets/kubernetes';
import { evaluate, podOf } from './network-policy';
import { POD_IDENTITY_AGENT } from '../constructs/render/aws/in-cluster';

/** The stateful specs without a backup plan (a volume marked `backup: true` and no `backup`). */
function unprotected(specs: readonly ServiceSpec[]): string[] {
  return specs.filter((s) => s.volumes.some((v) => v.backup) && !s.backup).map((s) => s.name);
}

/** The minutes past midnight a five-field cron (minutes and hours lists, or `*`) fires at. */
function firings(cron: string): number[] {
  const [m, h] = cron.split(' ');
  const hours = h === '*' ? Array.from({ length: 24 }, (_, i) => i) : h!.split(',').map(Number);
  return hours.flatMap((hh) => m!.split(',').map((mm) => hh * 60 + Number(mm))).sort((a, b) => a - b);
}

const environments = await everyEnvironment();

describe.each(environments.map(({ label, env: e }) => [label, e] as const))('backup plans (%s)', (_label, e: Environment) => {
  it('every stateful service has a plan covering its backed-up volumes, or backups are off', () => {
    if (!e.backups) return expect(e.specs.every((s) => !s.backup)).toBe(true);
    expect(unprotected(e.specs)).toEqual([]);
    for (const s of e.specs.filter((x) => x.backup)) {
      const covered = s.volumes.filter((v) => v.backup).map((v) => v.name);
      expect(s.backup!.volumes, s.name).toEqual(expect.arrayContaining(covered));
    }
  });

  it('each schedule fires every interval of the plan; a plan the platform runs meets the RPO, any other says what it lacks', () => {
    for (const s of e.specs.filter((x) => x.backup)) {
      const p = s.backup!;
      const at = firings(p.schedule.cron);
      expect(at.length, s.name).toBe(1440 / p.schedule.everyMinutes);
      at.forEach((m, i) => i > 0 && expect(m - at[i - 1]!, s.name).toBe(p.schedule.everyMinutes));
      if (p.dump) expect(p.objectives.rpoMinutes, s.name).toBeLessThanOrEqual(e.backups!.objectives.rpoMinutes);
      else expect(p.gaps, s.name).toMatch(/\w/);
      expect(p.retention, s.name).toEqual(e.backups!.retention);
    }
  });
});

describe('the backup policy', () => {
  it('defaults: 7 daily, 4 weekly, 6 monthly and a day of every backup; the profile’s objectives', () => {
    expect(env('development').backups).toMatchObject({
      retention: { recentHours: 24, daily: 7, weekly: 4, monthly: 6 },
      objectives: { rpoMinutes: 60, rtoMinutes: 240 },
    });
    expect(env('production').backups!.objectives).toEqual({ rpoMinutes: 15, rtoMinutes: 60 });
  });

  it('the check finds a stateful service without a plan (the invariant above can fail)', () => {
    const e = env('development');
    const stripped = e.specs.map((s) => (s.name === 'qdrant' ? { ...s, backup: undefined } : s));
    expect(unprotected(stripped)).toEqual(['qdrant']);
  });

  it('a shorter RPO shortens every schedule; an interval that does not divide the day is refused', () => {
    const e = prepare(variant('development', (i) => (i.backups = { rpoMinutes: 15 })));
    for (const s of e.specs.filter((x) => x.backup?.dump)) expect(s.backup!.schedule.everyMinutes, s.name).toBe(15);
    expect(() => prepare(variant('development', (i) => (i.backups = { rpoMinutes: 45 })))).toThrow(/backups\.rpoMinutes.*one of/);
    expect(() => backupSchedule('x', 45)).toThrow();
    for (const m of BACKUP_INTERVALS) expect(1440 % m).toBe(0);
  });

  it('off: no plan, no backup container, no backup key; the backup bucket cannot be an application bucket', () => {
    const off = prepare(variant('development', (i) => (i.backups = { enabled: false })));
    expect(off.specs.filter((s) => s.backup)).toEqual([]);
    expect(spec(off, 'garage').secrets.map((s) => s.name)).not.toContain('backup-secret-access-key');
    expect(() => prepare(variant('development', (i) => (i.backups = { bucket: 'agent-outputs' })))).toThrow(ConfigError);
  });
});

describe('Docker runs each dump step beside its service and uploads it to the backup bucket', () => {
  const e = env('development');
  const { tf } = synth(e);
  const containers = tf.resource.docker_container!;
  const withDump = e.specs.filter((s) => s.backup?.dump);

  it('a backup and a backup-upload container for every plan with a dump step, sharing a staging volume', () => {
    expect(withDump.length).toBeGreaterThan(3);
    for (const s of withDump) {
      const dump = containers[`${s.name}_backup`];
      const upload = containers[`${s.name}_backup-upload`];
      expect(dump, s.name).toBeDefined();
      expect(upload, s.name).toBeDefined();
      expect(dump.entrypoint.slice(0, 2)).toEqual(['/bin/sh', '/usr/local/bin/backup-schedule.sh']);
      expect(dump.env).toContain(`EVERY_MINUTES=${s.backup!.schedule.everyMinutes}`);
      expect(upload.env).toEqual(expect.arrayContaining([`S3_PREFIX=${s.backup!.prefix}`, 'S3_BUCKET=platform-backups', 'KEEP_DAILY=7']));
      const volume = `\${docker_volume.${s.name}_backup-staging.name}`;
      for (const c of [dump, upload]) expect(c.volumes.map((v: any) => v.volume_name)).toContain(volume);
      // The upload's key is the backups' own, never the platform's.
      expect(JSON.stringify(upload.upload)).toContain('garage_backup-secret-access-key');
      expect(JSON.stringify(upload.upload)).not.toContain('random_bytes.garage_secret-access-key');
    }
  });
});

describe('Kubernetes runs each dump step as a CronJob', () => {
  const e = env('staging');
  const { tf } = synth(e);
  const cronJobs = tf.resource.kubernetes_cron_job_v1 ?? {};

  it('a CronJob on the plan’s schedule beside every own StatefulSet whose plan has a dump step or a stopped dump', () => {
    const own = e.specs.filter((s) => (s.backup?.dump || s.backup?.stoppedDump) && tf.resource.kubernetes_stateful_set_v1?.[s.name]);
    expect(own.length).toBeGreaterThan(2);
    expect(Object.keys(cronJobs).sort()).toEqual(own.map((s) => `${s.name}_backup`).sort());
    for (const s of own) {
      const c = cronJobs[`${s.name}_backup`];
      expect(c.spec.schedule).toBe(s.backup!.schedule.cron);
      expect(c.spec.timezone).toBe('Etc/UTC');
      expect(c.spec.concurrency_policy).toBe('Forbid');
      const pod = c.spec.job_template.spec.template.spec;
      expect(pod.init_container.map((x: any) => x.name)).toEqual(['dump']);
      expect(pod.container.map((x: any) => x.name)).toEqual(['upload']);
      const shared = (x: any) => x.volume_mount.find((m: any) => m.mount_path === '/backup')?.name;
      expect(shared(pod.init_container[0])).toBe(shared(pod.container[0]));
    }
  });
});

describe('CloudNativePG archives WAL and takes base backups to the backup bucket (Barman Cloud plugin)', () => {
  const e = env('staging');
  const { tf } = synth(e);
  const releases = tf.resource.helm_release!;
  const values = (r: any) => JSON.parse(r.values[0]);
  const cluster = releases.postgres_cluster;
  const backups = values(cluster).backups;
  const plan = spec(e, 'postgres').backup!;

  it('the plugin chart beside the operator, in its namespace, after the operator and cert-manager, its images pinned', () => {
    const plugin = releases['operator_barman-cloud'];
    expect(plugin).toMatchObject({ chart: 'plugin-barman-cloud', version: '0.7.0', namespace: releases.operator_cnpg.namespace });
    expect(plugin.depends_on).toEqual(expect.arrayContaining(['helm_release.operator_cnpg', 'helm_release.operator_cert-manager']));
    expect(values(plugin).image.tag).toBe('v0.13.0');
    expect(values(plugin).sidecarImage.tag).toBe('v0.13.0');
    expect(cluster.depends_on).toEqual(
      expect.arrayContaining(['helm_release.operator_barman-cloud', 'kubernetes_secret_v1.postgres_backup-s3_secret']),
    );
  });

  it('the cluster chart renders the ObjectStore and the daily ScheduledBackup: plugin method, the store, its own key, no SSE header', () => {
    expect(backups).toMatchObject({
      enabled: true,
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      provider: 's3',
      endpointURL: expect.stringMatching(/^http:\/\/garage\.[a-z-]+\.svc:3900$/),
      destinationPath: `s3://platform-backups/${plan.prefix}/`,
      secret: { create: false, name: 'postgres-backup-s3' },
      s3: { inheritFromIAMRole: false },
      retentionPolicy: `${e.backups!.retention.daily}d`,
    });
    // Garage has no SSE-S3: the chart writes `encryption` only when it is set.
    expect(backups.wal.encryption).toBe('');
    expect(backups.data.encryption).toBe('');
    // The sidecar signs for the store's region, sized like the plan's dump.
    expect(backups.instanceSidecarConfiguration.env).toEqual([{ name: 'AWS_DEFAULT_REGION', value: 'garage' }]);
    expect(backups.instanceSidecarConfiguration.resources.limits).toEqual(plan.dump!.resources.limits);
    // Six-field cron at the backup window (03:00 UTC by default).
    const [sec, min, hour, ...rest] = backups.scheduledBackups[0].schedule.split(' ');
    expect([Number(sec), Number(hour) * 60 + Number(min), rest.join(' ')]).toEqual([0, e.backups!.windowMinute, '* * *']);
    expect(backups.scheduledBackups).toEqual([
      expect.objectContaining({ name: 'daily', method: 'plugin', pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' } }),
    ]);
  });

  it('the key is the backups’ own (the store’s backup key), in a Secret the stack writes, never a chart literal', () => {
    const secret = tf.resource.kubernetes_secret_v1!['postgres_backup-s3_secret'];
    expect(secret.metadata.name).toBe('postgres-backup-s3');
    expect(Object.keys(secret.data).sort()).toEqual(['ACCESS_KEY_ID', 'ACCESS_SECRET_KEY']);
    expect(secret.data.ACCESS_SECRET_KEY).toContain('random_bytes.garage_backup-secret-access-key');
    expect(JSON.stringify(secret.data)).not.toContain('random_bytes.garage_secret-access-key');
    expect(backups.s3.accessKey).toBeUndefined();
  });

  it('the quota counts the sidecar: the footprint of PostgreSQL has it, sized like the dump', () => {
    const [fp] = footprintOf(spec(e, 'postgres'));
    expect(fp!.containers.map((c) => c.name)).toContain('plugin-barman-cloud');
  });

  it('with backups off: no plugin, no key, backups disabled in the chart', () => {
    const off = synth(prepare(variant('staging', (i) => (i.backups = { enabled: false })))).tf;
    expect(off.resource.helm_release!['operator_barman-cloud']).toBeUndefined();
    expect(off.resource.kubernetes_secret_v1!['postgres_backup-s3_secret']).toBeUndefined();
    expect(values(off.resource.helm_release!.postgres_cluster).backups).toEqual({ enabled: false });
  });
});

/** The one resource of a type and name in a synthesized configuration's resources. */
const one = (resources: Record<string, Record<string, any>>, type: string, name: string) => {
  const r = resources[type]?.[name];
  if (!r) throw new Error(`no ${type}.${name}`);
  return r;
};

describe('AWS: the in-cluster services’ dump CronJobs upload to an S3 bucket through Pod Identity', () => {
  const e = env('production');
  const synthesized = synth(e);
  const r = synthesized.tf.resource;
  const cronJobs = r.kubernetes_cron_job_v1 ?? {};
  const own = e.specs.filter((s) => s.backup?.dump && r.kubernetes_stateful_set_v1?.[s.name]);
  const associations = Object.values<any>(r.aws_eks_pod_identity_association ?? {});
  const bucketRef = '${aws_s3_bucket.backup_bucket';

  it('a CronJob beside every own StatefulSet with a dump step, running as its own service account, signing for S3', () => {
    expect(own.length).toBeGreaterThan(1);
    expect(Object.keys(cronJobs).sort()).toEqual(own.map((s) => `${s.name}_backup`).sort());
    for (const s of own) {
      const pod = cronJobs[`${s.name}_backup`].spec.job_template.spec.template.spec;
      expect(pod.service_account_name).toBe(`\${kubernetes_service_account_v1.${s.name}_backup_service_account.metadata[0].name}`);
      expect(r.kubernetes_service_account_v1![`${s.name}_backup_service_account`].metadata.name).toBe(`${s.name}-backup`);
      const env = Object.fromEntries(pod.container[0].env.map((x: any) => [x.name, x.value]));
      expect(env).toMatchObject({ S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', S3_REGION: 'eu-west-1', S3_PREFIX: s.backup!.prefix });
      // The bucket's name as the stack names it (the same as the bucket resource's).
      expect(env.S3_BUCKET).toBe(r.aws_s3_bucket!.backup_bucket.bucket);
      expect(env.S3_BUCKET).toMatch(/^agent-platform-production-[a-z0-9-]+$/);
      expect(env.S3_ACCESS_KEY_ID_FILE).toBeUndefined();
    }
  });

  it('one role per service, bound to its CronJob’s account only, reaching its own prefix only', () => {
    for (const s of own) {
      const id = `pod_backup_${s.name}`;
      const ns = cronJobs[`${s.name}_backup`].metadata.namespace;
      expect(r.aws_eks_pod_identity_association![id]).toMatchObject({ namespace: ns, service_account: `${s.name}-backup` });
      // The service's own account (its servers) has no association.
      expect(associations.some((a) => a.service_account === s.name)).toBe(false);
      const statements = JSON.parse(r.aws_iam_role_policy![id].policy).Statement;
      const objects = statements.find((x: any) => x.Sid === 'ReadWriteOwnPrefix');
      expect(objects.Resource).toBe(`${bucketRef}.arn}/${s.backup!.prefix}/*`);
      expect(statements.find((x: any) => x.Sid === 'ListOwnPrefix').Condition).toEqual({
        StringLike: { 's3:prefix': [`${s.backup!.prefix}/`, `${s.backup!.prefix}/*`] },
      });
      expect(statements.find((x: any) => x.Sid === 'UseDataKeyThroughS3').Condition).toEqual({
        StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
      });
      expect(JSON.stringify(statements)).not.toMatch(/"s3:\*"|"Resource":"\*"/);
    }
  });

  it('the bucket: SSE-KMS with the data key, versioned, no public access, tagged for AWS Backup, kept on destroy, expiring past the retention', () => {
    expect(r.aws_s3_bucket!.backup_bucket).toMatchObject({
      bucket: 'agent-platform-production-platform-backups-111122223333',
      tags: { [BACKUP_TAG]: 'agent-platform-production' },
      lifecycle: { prevent_destroy: true },
    });
    expect(r.aws_s3_bucket_server_side_encryption_configuration!.backup_bucket.rule[0].apply_server_side_encryption_by_default).toEqual({
      sse_algorithm: 'aws:kms',
      kms_master_key_id: '${aws_kms_key.data.arn}',
    });
    expect(r.aws_s3_bucket_versioning!.backup_bucket.versioning_configuration.status).toBe('Enabled');
    expect(r.aws_s3_bucket_public_access_block!.backup_bucket).toMatchObject({ block_public_acls: true, restrict_public_buckets: true });
    const rules = r.aws_s3_bucket_lifecycle_configuration!.backup_bucket.rule;
    expect(rules.find((x: any) => x.id === 'expire-past-retention').expiration[0].days).toBe((e.backups!.retention.monthly + 1) * 31);
  });

  it('the CronJob’s pods reach the Pod Identity agent and S3 (HTTPS), and their own service', () => {
    const { canReach, platform } = evaluate(synthesized);
    for (const s of own) {
      const job = podOf(platform.groups.find((g) => g.id === `${s.name}/backup`)!);
      expect(
        canReach(job, { id: 'agent', namespace: '', labels: {}, ip: POD_IDENTITY_AGENT.cidr.split('/')[0] }, POD_IDENTITY_AGENT.port),
      ).toBe(true);
      expect(canReach(job, { id: 's3', namespace: '', labels: {}, ip: '52.218.0.10' }, 443)).toBe(true);
      expect(canReach(job, { id: 's3', namespace: '', labels: {}, ip: '52.218.0.10' }, 80)).toBe(false);
    }
  });

  it('PostgreSQL in the cluster (CloudNativePG) archives to the same bucket as its instances’ account, through Pod Identity', () => {
    const pg = synth(prepare(variant('production', (i) => (i.target.managed.postgres = { mode: 'in-cluster' })))).tf.resource;
    const backups = JSON.parse(pg.helm_release!.postgres_cluster.values[0]).backups;
    expect(backups).toMatchObject({
      enabled: true,
      method: 'plugin',
      endpointURL: 'https://s3.eu-west-1.amazonaws.com',
      // The bucket's name as written: a reference inside a chart's values would hide what it is in a plan.
      destinationPath: `s3://${one(pg, 'aws_s3_bucket', 'backup_bucket').bucket}/postgres/`,
      s3: { inheritFromIAMRole: true },
    });
    expect(JSON.stringify(pg.helm_release!.postgres_cluster.values)).not.toMatch(/\$\{[a-z]/);
    expect(backups.instanceSidecarConfiguration.env).toEqual([{ name: 'AWS_DEFAULT_REGION', value: 'eu-west-1' }]);
    expect(pg.kubernetes_secret_v1?.['postgres_backup-s3_secret']).toBeUndefined();
    // CloudNativePG runs the instances as a service account named after the cluster.
    expect(pg.aws_eks_pod_identity_association!.pod_backup_postgres).toMatchObject({
      namespace: 'platform-data',
      service_account: 'postgres',
    });
    const statements = JSON.parse(pg.aws_iam_role_policy!.pod_backup_postgres.policy).Statement;
    expect(statements.find((x: any) => x.Sid === 'ReadWriteOwnPrefix').Resource).toBe(`${bucketRef}.arn}/postgres/*`);
    const egress = pg.kubernetes_network_policy_v1!.postgres_egress.spec.egress;
    expect(egress).toContainEqual({ ports: [{ port: '443', protocol: 'TCP' }], to: [{ ip_block: { cidr: '0.0.0.0/0' } }] });
  });

  it('a backup bucket name S3 would refuse (over 63 characters) stops the environment, naming the setting', () => {
    const long = variant('production', (i) => (i.backups = { bucket: 'platform-backups-of-the-in-cluster-services' }));
    expect(() => prepare(long)).toThrow(/backups\.bucket: the backup bucket's S3 name .* is longer than 63 characters/);
  });

  it('with backups off: no bucket, no roles, no CronJobs', () => {
    const off = synth(prepare(variant('production', (i) => (i.backups = { enabled: false })))).tf.resource;
    expect(off.aws_s3_bucket?.backup_bucket).toBeUndefined();
    expect(Object.keys(off.aws_iam_role ?? {}).filter((k) => k.startsWith('pod_backup_'))).toEqual([]);
    expect(off.kubernetes_cron_job_v1 ?? {}).toEqual({});
  });
});

describe('BackupTooOld: a backup older than its plan allows alerts (clusters: the CronJobs’ last success)', () => {
  const e = env('staging');
  const { tf } = synth(e);
  const kps = Object.values<any>(tf.resource.helm_release!).find((r) => r.chart === 'kube-prometheus-stack');
  const groups: any[] = JSON.parse(kps.values[0]).additionalPrometheusRulesMap.platform.groups;
  const rules = groups.flatMap((g) => g.rules);

  it('the alert compares each backup’s age with what its plan allows', () => {
    const alert = rules.find((r) => r.alert === 'BackupTooOld');
    expect(alert.expr).toBe('platform:backup_age:seconds > on (service, backup) group_left platform:backup_max_age:seconds');
    expect(alert.labels.severity).toBe('critical');
  });

  it('every plan with a dump (or a stopped dump: Neo4j) has its limit: two intervals and an hour', () => {
    const limits = rules.filter((r) => r.record === 'platform:backup_max_age:seconds').map((r) => r.expr);
    const withDump = e.specs.filter((s) => s.backup?.dump || s.backup?.stoppedDump);
    expect(withDump.map((s) => s.name)).toContain('neo4j');
    expect(limits).toHaveLength(withDump.length);
    for (const s of withDump)
      expect(limits).toContain(
        `label_replace(label_replace(vector(${maxAgeSeconds(s.backup!)}), "service", "${s.name}", "", ""), "backup", "dump", "", "")`,
      );
  });

  it('the age is read from the CronJobs the cluster runs, and names their service', () => {
    const age = rules.find((r) => r.record === 'platform:backup_age:seconds');
    const selector = /cronjob=~"([^"]+)"/.exec(age.expr)![1]!;
    const service = /"service", "\$1", "cronjob", "([^"]+)"/.exec(age.expr)![1]!;
    const names = Object.values<any>(tf.resource.kubernetes_cron_job_v1!).map((c) => c.metadata.name);
    expect(names.length).toBeGreaterThan(2);
    for (const n of names) {
      expect(new RegExp(`^(?:${selector})$`).test(n), n).toBe(true);
      expect(e.specs.map((s) => s.name)).toContain(new RegExp(`^(?:${service})$`).exec(n)![1]);
    }
  });

  it('CloudNativePG reports a failing WAL archive as a failed backup', () => {
    const pg = groups.find((g) => g.name === 'platform-signals-postgres').rules;
    expect(pg.find((r: any) => r.record === 'platform:backup_failed').expr).toContain('cnpg_pg_stat_archiver_last_failed_time');
  });
});

describe('AWS Backup', () => {
  const e = env('production');
  const { tf } = synth(e);
  const r = tf.resource;

  it('daily, weekly and monthly rules kept 7 days, 4 weeks and 6 months, each copied to the copy region’s vault', () => {
    const rules = r.aws_backup_plan!.backup.rule;
    expect(rules.map((x: any) => [x.rule_name, x.lifecycle.delete_after])).toEqual([
      ['daily', 7],
      ['weekly', 28],
      ['monthly', 186],
    ]);
    for (const rule of rules) {
      expect(rule.copy_action[0].destination_vault_arn).toBe('${aws_backup_vault.backup_copy.arn}');
      expect(rule.copy_action[0].lifecycle.delete_after).toBe(rule.lifecycle.delete_after);
    }
    const copy = r.aws_backup_vault!.backup_copy;
    const alias = copy.provider.replace(/^aws\./, '');
    const provider = (tf.provider!.aws as any[]).find((p) => p.alias === alias);
    expect(provider.region).toBe(backupCopyRegion(e.target as any));
    expect(provider.region).not.toBe((e.target as any).region);
    expect(copy.kms_key_arn).toBe('${aws_kms_key.backup_copy.arn}');
    expect(r.aws_kms_key!.backup_copy.enable_key_rotation).toBe(true);
  });

  it('selects RDS, S3 and EBS by the tag that the database, the data buckets and the gp3 StorageClass carry', () => {
    const selection = r.aws_backup_selection!.backup;
    expect(selection.resources).toEqual(['arn:aws:rds:*:*:db:*', 'arn:aws:s3:::*', 'arn:aws:ec2:*:*:volume/*']);
    const value = `${e.project}-${e.name}`;
    expect(selection.condition[0].string_equals[0]).toEqual({ key: `aws:ResourceTag/${BACKUP_TAG}`, value });
    expect(r.aws_db_instance!.postgres.tags[BACKUP_TAG]).toBe(value);
    for (const [name, b] of Object.entries<any>(r.aws_s3_bucket!))
      if (name.startsWith('objectstore_')) expect(b.tags[BACKUP_TAG], name).toBe(value);
    expect(r.kubernetes_storage_class_v1!.gp3.parameters.tagSpecification_1).toBe(`${BACKUP_TAG}=${value}`);
    // Point-in-time recovery of the database, and the cache's own snapshots.
    expect(r.aws_db_instance!.postgres.backup_retention_period).toBeGreaterThanOrEqual(7);
    expect(r.aws_db_instance!.postgres.manage_master_user_password).toBe(true);
    // Its master password, kept by RDS in Secrets Manager, rotates on the stack's schedule.
    const rotation = r.aws_secretsmanager_secret_rotation!.postgres;
    expect(rotation.secret_id).toBe('${aws_db_instance.postgres.master_user_secret[0].secret_arn}');
    expect(rotation.rotation_rules.automatically_after_days).toBe(7);
    expect(r.aws_elasticache_replication_group!.redis.snapshot_retention_limit).toBeGreaterThanOrEqual(1);
  });
});
