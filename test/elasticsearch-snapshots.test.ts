/**
 * Elasticsearch's snapshots: the plan and its SLM policies (from the environment's retention), the
 * registration job's script run against a stand-in Elasticsearch (a real bash and curl, a node HTTP
 * server that checks the credentials and records what it was given), the Docker node's keystore and
 * S3 client, the ECK keystore Secret, node settings and Job, the network paths, and where there is
 * no repository (EKS with S3 through Pod Identity).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYSTORE_ACCESS_KEY, KEYSTORE_SECRET_KEY, SNAPSHOT_REPOSITORY } from '../constructs/services/elasticsearch-snapshots';
import { env, spec, synth } from './helpers';
import { containerSpecs } from '../constructs/targets';
import { elasticsearchFootprint } from '../constructs/targets/kubernetes/elasticsearch';
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
      expect(plan.gaps).toMatch(/Pod Identity/);
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

describe('no repository where the nodes cannot be given a key', () => {
  it('EKS with S3 (Pod Identity, which repository-s3 8.19 cannot use): no keystore, client settings or job', () => {
    const r = synth(production).tf.resource;
    expect(r.kubernetes_secret_v1?.elasticsearch_snapshot_keys_secret).toBeUndefined();
    expect(Object.keys(r.kubernetes_job_v1 ?? {}).filter((k) => k.startsWith('elasticsearch'))).toEqual([]);
    const values = JSON.parse(r.helm_release!.elasticsearch_eck.values[0]).elasticsearch;
    expect(values.secureSettings).toEqual([]);
    expect(JSON.stringify(values.nodeSets)).not.toContain('s3.client');
    // The plan says so.
    expect(spec(production, 'elasticsearch').backup!.gaps).toMatch(/EKS with S3/);
  });

  it('and the quotas, checks and summary count no registration job there (the same traits as the render)', () => {
    const es = spec(production, 'elasticsearch') as Parameters<typeof elasticsearchFootprint>[0];
    const job = (specs: readonly { jobs: readonly { name: string }[] }[]) => specs.flatMap((x) => x.jobs.map((j) => j.name));
    expect(job(elasticsearchFootprint(es))).toEqual([es.facet.snapshots!.job.name]);
    expect(job(elasticsearchFootprint(es, { podIdentityStore: true }))).toEqual([]);
    expect(job(containerSpecs.aws(production).filter((x) => x.name.startsWith('elasticsearch')))).toEqual([]);
  });
});
