/**
 * Neo4j Community has no online backup: the daily stopped-dump window, scheduled on every target
 * that does not snapshot the volume (Docker: a supervisor in the server's container; a cluster
 * without volume snapshots: a CronJob that scales the StatefulSet down and back), uploaded to the
 * backup bucket like the other services' dumps. The scripts run here with stub servers and a stub
 * Kubernetes API.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { env, envMap, spec, synth, variant } from './helpers';
import { evaluate, podOf } from './network-policy';
import { footprintOf } from '../constructs/targets/kubernetes';
import { containerSpecs } from '../constructs/targets';

const SCRIPTS = new URL('../constructs/services/scripts/', import.meta.url);

describe('the plan: a volume snapshot where the target takes one, else the stopped dump in the daily window', () => {
  it('the stopped dump opens at the environment’s window, the plan’s schedule is that window', () => {
    for (const name of ['development', 'staging', 'production'] as const) {
      const e = env(name);
      const plan = spec(e, 'neo4j').backup!;
      expect(plan.method).toBe('volume-snapshot');
      expect(plan.stoppedDump!.atMinute, name).toBe(e.backups!.windowMinute);
      expect(plan.schedule.offsetMinutes).toBe(e.backups!.windowMinute);
      expect(plan.schedule.everyMinutes).toBe(1440);
      // Nothing claims the stopped dump is run by hand any more.
      expect(plan.gaps).not.toMatch(/by hand|nothing runs it/);
    }
  });

  it('a window the user moves moves the dump (Docker and cluster)', () => {
    const e = prepare(variant('staging', (i) => (i.backups = { ...(i.backups ?? {}), window: '01:30' })));
    const cron = synth(e).tf.resource.kubernetes_cron_job_v1!['neo4j_backup'];
    expect(cron.spec.schedule).toBe('30 1 * * *');
  });
});

describe('Docker: the server’s container runs the window under a supervisor; the upload container stores the dump', () => {
  const e = env('development');
  const { tf } = synth(e);
  const containers = tf.resource.docker_container!;
  const neo4j = containers['neo4j'];
  const vars = envMap(neo4j);

  it('runs the image’s entrypoint script under the supervisor, behind the image’s init, at the window', () => {
    // tini stays PID 1; the supervisor runs as the image's user (root), like the entrypoint script it
    // starts (which reads the root-owned auth file and drops to neo4j); the dump runs as neo4j.
    expect(neo4j.entrypoint).toEqual([
      'tini',
      '-g',
      '--',
      '/bin/sh',
      '/usr/local/bin/stopped-dump-supervisor.sh',
      '/startup/docker-entrypoint.sh',
      'neo4j',
    ]);
    expect(neo4j.command).toBeUndefined();
    expect(neo4j.user).toBe('0:0');
    expect(vars.DUMP_AS).toBe('su-exec neo4j:neo4j');
    expect(vars.EVERY_MINUTES).toBe('1440');
    expect(vars.OFFSET_MINUTES).toBe(String(e.backups!.windowMinute));
    expect(vars.DUMP_COMMAND).toContain('neo4j-admin database dump neo4j');
    expect(vars.DUMP_COMMAND).toContain('neo4j-admin database dump system');
    expect(vars.STAGING).toBe('/tmp/backups');
    expect(neo4j.upload.map((u: any) => u.file)).toContain('/usr/local/bin/stopped-dump-supervisor.sh');
  });

  it('its health check passes during the window, else is the server’s own', () => {
    const test = neo4j.healthcheck.test as string[];
    expect(test.slice(0, 4)).toEqual(['CMD', '/bin/sh', '/usr/local/bin/stopped-dump-supervisor.sh', 'health']);
    expect(test.slice(4)).toEqual([...spec(e, 'neo4j').containers[0]!.health.exec]);
  });

  it('the staging volume is shared with the upload container, which has the backup key and the neo4j prefix', () => {
    const upload = containers['neo4j_backup-upload'];
    expect(upload).toBeDefined();
    const volume = '${docker_volume.neo4j_backup-staging.name}';
    for (const c of [neo4j, upload]) expect(c.volumes.map((v: any) => v.volume_name)).toContain(volume);
    expect(envMap(upload)).toMatchObject({ S3_PREFIX: 'neo4j', STAGING: '/tmp/backups' });
    expect(JSON.stringify(upload.upload)).toContain('garage_backup-secret-access-key');
    expect(containers['neo4j_backup']).toBeUndefined();
  });
});

describe('Kubernetes without volume snapshots: a CronJob scales Neo4j down, dumps, scales it back', () => {
  const e = env('staging');
  const { tf } = synth(e);
  const cron = tf.resource.kubernetes_cron_job_v1!['neo4j_backup'];
  const pod = cron.spec.job_template.spec.template.spec;
  const dump = pod.init_container[0];
  const sts = tf.resource.kubernetes_stateful_set_v1!['neo4j'];

  it('runs daily at the window, one run at a time', () => {
    expect(cron.spec.schedule).toBe(spec(e, 'neo4j').backup!.schedule.cron);
    expect(cron.spec.schedule).toBe(`${e.backups!.windowMinute % 60} ${Math.floor(e.backups!.windowMinute / 60)} * * *`);
    expect(cron.spec.concurrency_policy).toBe('Forbid');
    expect(cron.spec.timezone).toBe('Etc/UTC');
    // A retry would stop the server once more the same night.
    expect(cron.spec.job_template.spec.backoff_limit).toBe(0);
  });

  it('the dump runs in the server’s image as its user, restricted, with limits, on the server’s node and claim', () => {
    const server = sts.spec.template.spec.container[0];
    expect(dump.image).toBe(server.image);
    expect(dump.security_context).toMatchObject({
      run_as_user: '7474',
      run_as_non_root: true,
      allow_privilege_escalation: false,
      read_only_root_filesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(dump.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    const claim = pod.volume.find((v: any) => v.persistent_volume_claim);
    const template = sts.spec.volume_claim_template[0].metadata.name;
    expect(claim.persistent_volume_claim.claim_name).toBe(`${template}-neo4j-0`);
    expect(dump.volume_mount.find((m: any) => m.name === claim.name).mount_path).toBe(
      server.volume_mount.find((m: any) => m.name === template).mount_path,
    );
    const affinity = pod.affinity.pod_affinity.required_during_scheduling_ignored_during_execution[0];
    expect(affinity.topology_key).toBe('kubernetes.io/hostname');
    expect(affinity.label_selector[0].match_labels).toEqual(sts.spec.selector.match_labels);
    // The token reaches the dump step only, as a projected volume (no automounted token anywhere).
    expect(pod.automount_service_account_token).toBe(false);
    const api = pod.volume.find((v: any) => v.projected);
    expect(api.projected[0].sources[0].service_account_token.path).toBe('token');
    expect(dump.volume_mount.map((m: any) => m.name)).toContain(api.name);
    expect(pod.container[0].volume_mount.map((m: any) => m.name)).not.toContain(api.name);
    expect(JSON.stringify(dump.env)).not.toMatch(/random_password|random_bytes/);
  });

  it('its Role may only scale the one StatefulSet and read its one pod, bound to the job’s own account', () => {
    const role = tf.resource.kubernetes_role_v1!['neo4j_backup'];
    expect(role.metadata.namespace).toBe(sts.metadata.namespace);
    expect(role.rule).toEqual([
      { api_groups: ['apps'], resources: ['statefulsets/scale'], resource_names: ['neo4j'], verbs: ['get', 'patch'] },
      { api_groups: [''], resources: ['pods'], resource_names: ['neo4j-0'], verbs: ['get'] },
    ]);
    const binding = tf.resource.kubernetes_role_binding_v1!['neo4j_backup'];
    expect(binding.role_ref).toMatchObject({ kind: 'Role', name: role.metadata.name });
    const account = tf.resource.kubernetes_service_account_v1!['neo4j_backup_service_account'];
    expect(account.metadata.name).toBe('neo4j-backup');
    expect(binding.subject).toEqual([
      { kind: 'ServiceAccount', name: expect.stringContaining('neo4j_backup_service_account'), namespace: sts.metadata.namespace },
    ]);
    expect(pod.service_account_name).toContain('neo4j_backup_service_account');
    // The server's own account gets no rights.
    const roles = Object.values<any>(tf.resource.kubernetes_role_binding_v1 ?? {});
    expect(roles.filter((b) => b.subject.some((s: any) => s.name === 'neo4j'))).toEqual([]);
  });

  it('network policy: the job reaches the Kubernetes API and the object store, nothing else', () => {
    // The API server's addresses narrowed (staging leaves the default, anywhere).
    const narrowed = synth(prepare(variant('staging', (i) => (i.target.apiServerCidrs = ['10.96.0.1/32']))));
    const { canReach, platform } = evaluate(narrowed);
    const group = (id: string) => podOf(platform.groups.find((g) => g.id === id)!);
    const job = group('neo4j/backup');
    const api = { id: 'api', namespace: '', labels: {}, ip: '10.96.0.1' };
    expect(canReach(job, api, 443)).toBe(true);
    expect(canReach(job, api, 6443)).toBe(true);
    expect(canReach(job, api, 80)).toBe(false);
    expect(canReach(job, { id: 'internet', namespace: '', labels: {}, ip: '8.8.8.8' }, 443)).toBe(false);
    expect(canReach(job, group('garage'), 3900)).toBe(true);
    expect(canReach(job, group('redis'), 6379)).toBe(false);
    // The server's own pods get no path to the API.
    expect(canReach(group('neo4j'), api, 443)).toBe(false);
  });

  it('AWS (EBS snapshots by AWS Backup) runs no stopped dump; backups off: none anywhere', () => {
    const production = synth(env('production')).tf;
    expect(production.resource.kubernetes_cron_job_v1?.['neo4j_backup']).toBeUndefined();
    expect(production.resource.kubernetes_role_v1?.['neo4j_backup']).toBeUndefined();
    const off = synth(prepare(variant('staging', (i) => (i.backups = { enabled: false })))).tf;
    expect(off.resource.kubernetes_cron_job_v1?.['neo4j_backup']).toBeUndefined();
    const offDocker = synth(prepare(variant('development', (i) => (i.backups = { enabled: false })))).tf;
    expect(offDocker.resource.docker_container!['neo4j'].entrypoint).toBeUndefined();
  });

  // The dump step itself (stopped-dump-k8s.sh) runs in `npm run verify` (scripts/verify/neo4j-dump.ts):
  // /bin/sh with a stub API and neo4j-admin, every case, and a broken variant without the scale-back trap.
});

// The supervisor itself (stopped-dump-supervisor.sh) runs in `npm run verify` (scripts/verify/neo4j-dump.ts):
// dash with a stub server and neo4j-admin and a shifted clock, and a broken variant that ignores the window.
describe('the stopped-dump scripts', () => {
  // The shells the images run as /bin/sh: dash (Debian and Ubuntu images) and busybox (Alpine). A
  // machine without one skips its case by name (npm test needs no system package; CI installs both).
  const shells = [
    { sh: 'dash', args: ['-n'] },
    { sh: 'busybox', args: ['sh', '-n'] },
  ];
  const installed = (sh: string) => spawnSync(sh, ['--help'], { stdio: 'ignore' }).error === undefined;
  for (const { sh, args } of shells) {
    const missing = !installed(sh);
    it.skipIf(missing)(`parse in ${sh} sh${missing ? ` (skipped: ${sh} is not installed; apt-get install ${sh})` : ''}`, () => {
      for (const script of ['stopped-dump-supervisor.sh', 'stopped-dump-k8s.sh'])
        expect(() => execFileSync(sh, [...args, new URL(script, SCRIPTS).pathname], { stdio: 'pipe' })).not.toThrow();
    });
  }

  it('a script with a syntax error does not parse (the check can fail)', () => {
    const sh = shells.find((s) => installed(s.sh)) ?? { sh: 'sh', args: ['-n'] };
    expect(() => execFileSync(sh.sh, [...sh.args, '-c', 'if then fi'], { stdio: 'pipe' })).toThrow();
  });
});

describe('the namespace quota leaves room for the stopped dump’s pod beside the running server', () => {
  it('the footprint of Neo4j counts the backup pod at the dump’s resources', () => {
    const s = spec(env('staging'), 'neo4j');
    const [fp] = footprintOf(s);
    expect(fp!.jobs.map((j) => [j.name, j.resources])).toContainEqual(['backup', s.backup!.stoppedDump!.resources]);
    const off = spec(prepare(variant('staging', (i) => (i.backups = { enabled: false }))), 'neo4j');
    expect(footprintOf(off)[0]!.jobs).toEqual(off.jobs);
  });

  it('where the cluster snapshots the volumes (AWS Backup on EKS) the pod is not run, and not counted', () => {
    const s = spec(env('staging'), 'neo4j');
    expect(footprintOf(s, { volumeSnapshots: true })[0]!.jobs).toEqual(s.jobs);
    const production = env('production');
    const inCluster = containerSpecs.aws(production).filter((x) => x.name === 'neo4j');
    expect(inCluster.length).toBeGreaterThan(0);
    for (const x of inCluster) expect(x.jobs.map((j) => j.name)).not.toContain('backup');
    // And the rendered quota of the data namespace agrees: no backup CronJob, no pod for it.
    const tf = synth(production).tf;
    expect(Object.keys(tf.resource.kubernetes_cron_job_v1 ?? {})).not.toContain('neo4j_backup');
  });
});
