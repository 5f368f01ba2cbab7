/**
 * Elasticsearch's snapshots: the plan and its SLM policies (from the environment's retention), the
 * registration job's script run against a stand-in Elasticsearch (a real bash and curl, a node HTTP
 * server that checks the credentials and records what it was given), the Docker node's keystore and
 * S3 client, the ECK keystore Secret, node settings and Job, the network paths, and EKS: the
 * repository in the environment's S3 backup bucket through an IAM role for the nodes' service
 * account (IRSA; repository-s3 8.19 cannot use Pod Identity), and none of it without backups or with
 * Amazon OpenSearch Service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KEYSTORE_ACCESS_KEY,
  KEYSTORE_SECRET_KEY,
  SNAPSHOT_REPOSITORY,
  policyBody,
  repositoryBody,
} from '../constructs/services/elasticsearch-snapshots';
import { env, spec, synth, variant } from './helpers';
import { prepare } from '../stacks/pipeline';
import { containerSpecs } from '../constructs/targets';
import { evaluate, podOf } from './network-policy';

const dev = env('development');
const staging = env('staging');
const production = env('production');

describe('the plan: snapshots by SLM into the backup bucket', () => {
  for (const e of [dev, staging]) {
    const es = spec(e, 'elasticsearch');
    const plan = es.backup!;
    const snapshots = es.facet.snapshots!;
    const r = e.backups!.retention;

    it(`${e.name}: a snapshot-repository plan at the RPO's interval, under <bucket>/elasticsearch/`, () => {
      expect(plan.method).toBe('snapshot-repository');
      expect(plan.consistency).toBe('online');
      expect(plan.schedule.everyMinutes).toBe(e.backups!.objectives.rpoMinutes);
      expect(plan.objectives.rpoMinutes).toBe(e.backups!.objectives.rpoMinutes);
      expect(snapshots).toMatchObject({ repository: SNAPSHOT_REPOSITORY, bucket: e.backups!.bucket, basePath: plan.prefix });
      expect(plan.gaps).toMatch(/IRSA/);
      expect(plan.gaps).not.toMatch(/no snapshot repository or SLM policy is configured/);
    });

    it(`${e.name}: one policy per tier, kept by the environment's counts and ages`, () => {
      const byId = Object.fromEntries(snapshots.policies.map((p) => [p.id, p]));
      expect(Object.keys(byId)).toEqual(['recent', 'daily', 'weekly', 'monthly']);
      expect(byId.recent!.retention).toEqual({
        expire_after: `${r.recentHours}h`,
        min_count: 1,
        max_count: Math.ceil((r.recentHours * 60) / plan.schedule.everyMinutes) + 1,
      });
      expect(byId.daily!.retention).toEqual({ expire_after: `${r.daily}d`, min_count: r.daily, max_count: r.daily });
      expect(byId.weekly!.retention).toEqual({ expire_after: `${r.weekly * 7}d`, min_count: r.weekly, max_count: r.weekly });
      expect(byId.monthly!.retention).toEqual({ expire_after: `${r.monthly * 31}d`, min_count: r.monthly, max_count: r.monthly });
      // The recent tier runs at the plan's minutes and hours; every schedule is Elasticsearch's cron
      // (seconds first, `?` in exactly one of the day fields), at the daily window for the tiers.
      const [minute, hour] = plan.schedule.cron.split(' ');
      expect(byId.recent!.schedule).toBe(`0 ${minute} ${hour} * * ?`);
      const window = e.backups!.windowMinute;
      expect(byId.daily!.schedule).toBe(`0 ${window % 60} ${Math.floor(window / 60)} * * ?`);
      expect(byId.weekly!.schedule).toMatch(/ \? \* SUN$/);
      expect(byId.monthly!.schedule).toMatch(/ 1 \* \?$/);
      for (const p of snapshots.policies) {
        const fields = p.schedule.split(' ');
        expect(fields).toHaveLength(6);
        expect([fields[3], fields[5]].filter((f) => f === '?')).toHaveLength(1);
      }
    });
  }
});

// The registration job itself runs (bash + curl, against a stand-in Elasticsearch) in `npm run verify`
// (scripts/verify/elasticsearch-snapshots.ts): registration, a rerun with SLM running, the password off
// every command line, and three broken variants that must fail (a wrong password, a node that could not
// reload its keys, a store the nodes cannot write).
describe('Docker: the single node keeps the store key in its keystore', () => {
  const r = synth(dev).tf.resource;
  const node = r.docker_container!.elasticsearch;
  const upload = (c: any, file: string) => c.upload.find((u: any) => u.file === file);

  it('builds the keystore from the key files at start, then runs the image entrypoint (keys never on argv)', () => {
    expect(node.entrypoint).toBeUndefined();
    expect(node.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    const script = node.command[2];
    expect(script).toContain(`elasticsearch-keystore add -f -x ${KEYSTORE_ACCESS_KEY} </run/secrets/backup-access-key-id\n`);
    expect(script).toContain(`elasticsearch-keystore add -f -x ${KEYSTORE_SECRET_KEY} </run/secrets/backup-secret-access-key\n`);
    expect(script).toMatch(/exec \/usr\/local\/bin\/docker-entrypoint\.sh eswrapper$/);
    // The backup key of the store (the one limited to the backup bucket), not the platform's.
    expect(upload(node, '/run/secrets/backup-access-key-id').content).toBe('GK${random_bytes.garage_backup-access-key-id.hex}');
    expect(upload(node, '/run/secrets/backup-secret-access-key').content).toBe('${random_bytes.garage_backup-secret-access-key.hex}');
    expect(JSON.stringify(node)).not.toMatch(/garage_(access-key-id|secret-access-key)\b/);
  });

  it('the S3 client in elasticsearch.yml: the store, path-style, its region; the node waits for the store', () => {
    const yml: string = upload(node, '/usr/share/elasticsearch/config/elasticsearch.yml').content;
    expect(yml).toContain('s3.client.platform.endpoint: "http://garage:3900"\n');
    expect(yml).toContain('s3.client.platform.path_style_access: "true"\n');
    expect(yml).toContain('s3.client.platform.region: "garage"\n');
    expect(yml).not.toMatch(/access_key|secret_key/);
    expect(node.depends_on).toEqual(expect.arrayContaining(['docker_container.garage', 'docker_container.garage_job_setup']));
  });

  it('the registration job runs after the node, as platform_admin with the password as a file', () => {
    const job = r.docker_container!['elasticsearch_job_snapshot-repository'];
    expect(job.depends_on).toContain('docker_container.elasticsearch');
    expect(job.env).toEqual(
      expect.arrayContaining(['ES_USER=platform_admin', 'ES_PASSWORD_FILE=/run/secrets/elasticsearch-admin-password']),
    );
    expect(job.upload.map((u: any) => u.file)).toContain('/run/secrets/elasticsearch-admin-password');
  });
});

describe('ECK: the keystore from a Secret, the client on every node, the Job', () => {
  const s = synth(staging);
  const r = s.tf.resource;
  const values = JSON.parse(r.helm_release!.elasticsearch_eck.values[0]).elasticsearch;

  it("the keys in a Secret whose keys are the secure settings (ECK's secureSettings), the backup key's values", () => {
    expect(r.kubernetes_secret_v1!.elasticsearch_snapshot_keys_secret.data).toEqual({
      [KEYSTORE_ACCESS_KEY]: 'GK${random_bytes.garage_backup-access-key-id.hex}',
      [KEYSTORE_SECRET_KEY]: '${random_bytes.garage_backup-secret-access-key.hex}',
    });
    expect(values.secureSettings).toEqual(['elasticsearch-snapshot-keys']);
    expect(r.helm_release!.elasticsearch_eck.depends_on).toContain('kubernetes_secret_v1.elasticsearch_snapshot_keys_secret');
    const chart = fs.readFileSync(
      path.join(import.meta.dirname, '..', 'charts', 'platform-elastic', 'templates', 'elasticsearch.yaml'),
      'utf8',
    );
    expect(chart).toMatch(/secureSettings:\n\s+\{\{- range \. \}\}\n\s+- secretName: \{\{ \. \| quote \}\}/);
  });

  it('the Job: as elastic over the HTTPS Service with its CA, after the resource and the store', () => {
    const job = r.kubernetes_job_v1!['elasticsearch_job-snapshot-repository'];
    const c = job.spec.template.spec.container[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      ES_URL: 'https://elasticsearch-es-http.agent-platform-data.svc:9200',
      CURL_CA_BUNDLE: '/etc/platform/ca/ca.crt',
      ES_USER: 'elastic',
      ES_PASSWORD_FILE: '/run/secrets/elasticsearch-elastic-password',
    });
    expect(job.spec.template.spec.volume).toContainEqual(
      expect.objectContaining({ name: 'ca', secret: expect.objectContaining({ secret_name: 'elasticsearch-es-http-certs-public' }) }),
    );
    expect(job.depends_on).toEqual(expect.arrayContaining(['helm_release.elasticsearch_eck', 'kubernetes_job_v1.garage_job_setup']));
    expect(job.wait_for_completion).toBe(true);
    // A read-only root: mktemp's /tmp is a scratch volume.
    expect(c.security_context.read_only_root_filesystem).toBe(true);
    expect(c.volume_mount.map((m: any) => m.mount_path)).toContain('/tmp');
    expect(r['kubernetes_secret_v1']!['elasticsearch_job-snapshot-repository_secret'].data).toEqual({
      'run_secrets_elasticsearch-elastic-password': '${random_password.elasticsearch_elastic-password.result}',
    });
  });

  it('network: the nodes reach the store’s S3 port, the job reaches Elasticsearch’s API and nothing else', () => {
    const { canReach, platform } = evaluate(s);
    const group = (id: string) => podOf(platform.groups.find((g) => g.id === id)!);
    const es = group('elasticsearch');
    const garage = group('garage');
    const job = group('elasticsearch/job-snapshot-repository');
    expect(canReach(es, garage, 3900)).toBe(true);
    expect(canReach(job, es, 9200)).toBe(true);
    expect(canReach(job, garage, 3900)).toBe(false);
    expect(canReach(job, es, 9300)).toBe(false);
    // Kibana does not reach the store.
    expect(canReach(group('kibana'), garage, 3900)).toBe(false);
  });
});

describe('EKS (production): the repository in the S3 backup bucket through an IAM role for the nodes’ service account (IRSA)', () => {
  const r = synth(production).tf.resource;
  const release = r.helm_release!.elasticsearch_eck;
  const values = JSON.parse(release.values[0]).elasticsearch;
  const ns: string = release.namespace;
  const es = spec(production, 'elasticsearch');
  const snapshots = es.facet.snapshots!;
  const bucket: string = r.aws_s3_bucket!.backup_bucket.bucket;
  const role = r.aws_iam_role!.irsa_backup_elasticsearch;
  const roleArn = `arn:aws:iam::${(production.target as { accountId: string }).accountId}:role/${role.name}`;
  const account = r.kubernetes_service_account_v1!.elasticsearch_service_account;
  // The issuer's host, as Terraform computes it from the cluster (the trust policy's condition keys).
  const host = '${replace(aws_eks_cluster.cluster.identity[0].oidc[0].issuer, "https://", "")}';

  it("the cluster's IAM OIDC provider: the cluster's issuer, STS's audience (one, for the cluster)", () => {
    expect(Object.keys(r.aws_iam_openid_connect_provider ?? {})).toEqual(['eks']);
    expect(r.aws_iam_openid_connect_provider!.eks).toMatchObject({
      url: '${aws_eks_cluster.cluster.identity[0].oidc[0].issuer}',
      client_id_list: ['sts.amazonaws.com'],
    });
    expect(r.aws_iam_openid_connect_provider!.eks.thumbprint_list).toBeUndefined();
  });

  it('the role trusts web identities of exactly the nodes’ service account, for STS, through that provider', () => {
    const trust = JSON.parse(role.assume_role_policy.replaceAll(host, 'HOST'));
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: '${aws_iam_openid_connect_provider.eks.arn}' },
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Condition: {
          StringEquals: { 'HOST:sub': `system:serviceaccount:${ns}:${account.metadata.name}`, 'HOST:aud': 'sts.amazonaws.com' },
        },
      },
    ]);
    expect(account.metadata.namespace).toBe(ns);
  });

  it('its policy: the bucket under elasticsearch/ only (list, read, write, delete, multipart), the data key through S3', () => {
    const doc = JSON.parse(r.aws_iam_role_policy!.irsa_backup_elasticsearch.policy);
    const arn = '${aws_s3_bucket.backup_bucket.arn}';
    const by = Object.fromEntries(doc.Statement.map((x: any) => [x.Sid, x]));
    expect(by.ListOwnPrefix).toMatchObject({
      Resource: arn,
      Condition: { StringLike: { 's3:prefix': ['elasticsearch/', 'elasticsearch/*'] } },
    });
    expect(by.ReadWriteOwnPrefix.Resource).toBe(`${arn}/${snapshots.basePath}/*`);
    expect(by.ReadWriteOwnPrefix.Action).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']),
    );
    expect(by.UseDataKeyThroughS3).toMatchObject({
      Resource: '${aws_kms_key.data.arn}',
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
    // Nothing outside the prefix but the listing of unfinished uploads.
    for (const x of doc.Statement) if (x.Sid !== 'UseDataKeyThroughS3') expect([arn, `${arn}/elasticsearch/*`]).toContain(x.Resource);
    // No Pod Identity association for it: the token is the service account's own.
    expect(Object.keys(r.aws_eks_pod_identity_association ?? {}).filter((k) => k.includes('elasticsearch'))).toEqual([]);
  });

  it('the service account names the role; every node set runs as it with the token in its config directory and the role in its environment', () => {
    expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': roleArn });
    expect(account.automount_service_account_token).toBe(false);
    expect(release.depends_on).toEqual(
      expect.arrayContaining([
        'kubernetes_service_account_v1.elasticsearch_service_account',
        'aws_iam_role.irsa_backup_elasticsearch',
        'aws_iam_role_policy.irsa_backup_elasticsearch',
      ]),
    );
    expect(values.nodeSets.length).toBeGreaterThan(0);
    for (const set of values.nodeSets) {
      const pod = set.podTemplate.spec;
      expect(pod.serviceAccountName).toBe(account.metadata.name);
      const c = pod.containers.find((x: any) => x.name === 'elasticsearch');
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      expect(env).toMatchObject({
        AWS_ROLE_ARN: roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: '/usr/share/elasticsearch/config/repository-s3/aws-web-identity-token-file',
        AWS_REGION: 'eu-west-1',
        AWS_STS_REGIONAL_ENDPOINTS: 'regional',
      });
      expect(c.volumeMounts).toEqual([
        { name: 'aws-web-identity-token', mountPath: '/usr/share/elasticsearch/config/repository-s3', readOnly: true },
      ]);
      expect(pod.volumes).toEqual([
        {
          name: 'aws-web-identity-token',
          projected: {
            sources: [
              { serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'aws-web-identity-token-file' } },
            ],
          },
        },
      ]);
      // The client: the region only (no endpoint, no path style); no keystore.
      expect(Object.entries(set.config).filter(([k]) => k.startsWith('s3.client'))).toEqual([['s3.client.platform.region', 'eu-west-1']]);
    }
    expect(values.secureSettings).toEqual([]);
    expect(r.kubernetes_secret_v1?.elasticsearch_snapshot_keys_secret).toBeUndefined();
  });

  it('the Job registers the repository as plain S3 in that bucket (no keys to reload) and the same policies', () => {
    const job = r.kubernetes_job_v1!['elasticsearch_job-snapshot-repository'];
    const script: string = job.spec.template.spec.container[0].command[2].replaceAll('$${', '${');
    expect(bucket).toMatch(/^agent-platform-production-.*-111122223333$/);
    expect(script).toContain(`'${JSON.stringify(repositoryBody({ bucket, basePath: snapshots.basePath, client: snapshots.client }))}'`);
    expect(JSON.stringify(repositoryBody({ bucket, basePath: 'x', client: 'y' }))).not.toMatch(/endpoint|access_key|secret_key/);
    for (const p of snapshots.policies) expect(script).toContain(`'${JSON.stringify(policyBody(p, SNAPSHOT_REPOSITORY))}'`);
    expect(script).not.toContain('reload_secure_settings');
    expect(job.depends_on).toContain('helm_release.elasticsearch_eck');
  });

  it('network: the nodes reach HTTPS outside the cluster (S3, STS) as the backup jobs do; the job reaches Elasticsearch only', () => {
    const s = synth(production);
    const { canReach, platform } = evaluate(s);
    const group = (id: string) => podOf(platform.groups.find((g) => g.id === id)!);
    const s3 = { id: 's3', namespace: '', labels: {}, ip: '52.218.1.1' };
    expect(canReach(group('elasticsearch'), s3, 443)).toBe(true);
    expect(canReach(group('elasticsearch'), s3, 80)).toBe(false);
    expect(canReach(group('elasticsearch/job-snapshot-repository'), s3, 443)).toBe(false);
    expect(canReach(group('kibana'), s3, 443)).toBe(false);
  });

  it('and the quotas, checks and summary count the registration job (the same traits as the render)', () => {
    const job = (specs: readonly { jobs: readonly { name: string }[] }[]) => specs.flatMap((x) => x.jobs.map((j) => j.name));
    expect(job(containerSpecs.aws(production).filter((x) => x.name.startsWith('elasticsearch')))).toEqual([snapshots.job.name]);
  });
});

describe('EKS: nothing of it where there is no repository to write', () => {
  const irsa = (tf: ReturnType<typeof synth>['tf']) => ({
    provider: Object.keys(tf.resource.aws_iam_openid_connect_provider ?? {}),
    roles: Object.keys(tf.resource.aws_iam_role ?? {}).filter((k) => k.startsWith('irsa')),
    account: tf.resource.kubernetes_service_account_v1?.elasticsearch_service_account,
    job: tf.resource.kubernetes_job_v1?.['elasticsearch_job-snapshot-repository'],
  });

  it('backups off: no OIDC provider, role, service account or job; the nodes run as before', () => {
    const tf = synth(prepare(variant('production', (i) => (i.backups = { enabled: false })))).tf;
    expect(irsa(tf)).toEqual({ provider: [], roles: [], account: undefined, job: undefined });
    const set = JSON.parse(tf.resource.helm_release!.elasticsearch_eck.values[0]).elasticsearch.nodeSets[0];
    expect(set.podTemplate.spec.serviceAccountName).toBeUndefined();
    expect(JSON.stringify(set)).not.toMatch(/AWS_ROLE_ARN|s3\.client/);
  });

  it('search on Amazon OpenSearch Service: no OIDC provider, role or service account (the domain takes its own snapshots)', () => {
    const tf = synth(prepare(variant('production', (i) => (i.target.managed.elasticsearch = { mode: 'managed' })))).tf;
    expect(irsa(tf)).toEqual({ provider: [], roles: [], account: undefined, job: undefined });
  });
});
