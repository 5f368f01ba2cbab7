/**
 * Neo4j Community has no online backup: the daily stopped-dump window, scheduled on every target
 * that does not snapshot the volume (Docker: a supervisor in the server's container; a cluster
 * without volume snapshots: a CronJob that scales the StatefulSet down and back), uploaded to the
 * backup bucket like the other services' dumps. The scripts run here with stub servers and a stub
 * Kubernetes API.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { env, envMap, spec, synth, variant } from './helpers';
import { evaluate, podOf } from './network-policy';
import { footprintOf } from '../constructs/targets/kubernetes';
import { containerSpecs } from '../constructs/targets';

const SCRIPTS = new URL('../constructs/services/scripts/', import.meta.url);
const K8S_SCRIPT = fs.readFileSync(new URL('stopped-dump-k8s.sh', SCRIPTS), 'utf8');
const SUPERVISOR = fs.readFileSync(new URL('stopped-dump-supervisor.sh', SCRIPTS), 'utf8');

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

  // --- the script, run with a stub API (wget), a stub neo4j-admin and the real jq ----------------
  const DUMP_COMMAND = envOf(dump).DUMP_COMMAND!;
  const fakeWget = [
    '#!/bin/sh',
    'cfg=; method=GET; body=; url=',
    'for a; do case $a in --config=*) cfg=${a#--config=} ;; --method=*) method=${a#--method=} ;; --body-data=*) body=${a#--body-data=} ;; https://*) url=$a ;; esac; done',
    'echo "$*" >>"$STATE/argv"',
    'grep -qx "header = Authorization: Bearer $(cat "$STATE/api/token")" "$cfg" || { echo \'{"kind":"Status","code":401}\'; exit 8; }',
    'case "$method $url" in',
    '  "GET https://10.0.0.1:443/apis/apps/v1/namespaces/ns/statefulsets/neo4j/scale") printf \'{"kind":"Scale","spec":{"replicas":%s}}\\n\' "$(cat "$STATE/replicas")" ;;',
    '  "PATCH https://10.0.0.1:443/apis/apps/v1/namespaces/ns/statefulsets/neo4j/scale")',
    '    [ -f "$STATE/fail-patch" ] && exit 4',
    '    n=$(echo "$body" | sed \'s/.*"replicas":\\([0-9]*\\).*/\\1/\'); echo "$n" >"$STATE/replicas"; echo "scale $n" >>"$STATE/calls"; echo \'{"kind":"Scale"}\' ;;',
    '  "GET https://10.0.0.1:443/api/v1/namespaces/ns/pods/neo4j-0")',
    // The pod disappears one poll after the scale to 0 (it was still terminating at the first).
    '    if [ "$(cat "$STATE/replicas")" = 0 ] && [ -f "$STATE/terminating" ]; then echo \'{"kind":"Status","code":404}\'; exit 8; fi',
    '    [ "$(cat "$STATE/replicas")" = 0 ] && touch "$STATE/terminating"; echo \'{"kind":"Pod"}\' ;;',
    '  *) echo \'{"kind":"Status","code":403}\'; exit 8 ;;',
    'esac',
  ].join('\n');
  const fakeAdmin = [
    '#!/bin/sh',
    // neo4j-admin database dump <db> --to-path=<dir>: only on a stopped server.
    '[ "$(cat "$STATE/replicas")" = 0 ] || { echo "server running" >&2; exit 9; }',
    'echo "dump $3 heap=${HEAP_SIZE:-}" >>"$STATE/calls"',
    '[ -f "$STATE/slow-dump" ] && sleep 30',
    '[ -f "$STATE/fail-dump" ] && exit 1',
    'echo "$3" >"${4#--to-path=}/$3.dump"',
  ].join('\n');

  function stage(opts: { failDump?: boolean; slowDump?: boolean; replicas?: number; failPatch?: boolean } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neo4j-dump-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'api'));
    fs.mkdirSync(path.join(dir, 'backup'));
    fs.writeFileSync(path.join(dir, 'bin', 'wget'), fakeWget, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'bin', 'neo4j-admin'), fakeAdmin, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'api', 'token'), 'token-0123456789abcdef');
    fs.writeFileSync(path.join(dir, 'api', 'ca.crt'), 'ca');
    fs.writeFileSync(path.join(dir, 'replicas'), String(opts.replicas ?? 1));
    if (opts.failDump) fs.writeFileSync(path.join(dir, 'fail-dump'), '');
    if (opts.slowDump) fs.writeFileSync(path.join(dir, 'slow-dump'), '');
    if (opts.failPatch) fs.writeFileSync(path.join(dir, 'fail-patch'), '');
    fs.writeFileSync(path.join(dir, 'script.sh'), K8S_SCRIPT);
    const runEnv = {
      PATH: `${dir}/bin:/usr/bin:/bin`,
      STATE: dir,
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      NAMESPACE: 'ns',
      STATEFULSET: 'neo4j',
      TOKEN_DIR: path.join(dir, 'api'),
      STOP_SECONDS: '10',
      RUN_SECONDS: '20',
      RESTORE_TRIES: '2',
      POLL_SECONDS: '0.1',
      BACKUP_DIR: path.join(dir, 'backup'),
      DUMP_COMMAND,
    };
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n') : []);
    const result = () => ({
      calls: read('calls'),
      replicas: read('replicas')[0],
      argv: read('argv').join('\n'),
      dumps: fs.readdirSync(path.join(dir, 'backup')).sort(),
    });
    return { dir, runEnv, result, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }

  function run(opts: Parameters<typeof stage>[0] = {}) {
    const s = stage(opts);
    let status = 0;
    let stderr = '';
    try {
      execFileSync('/bin/sh', [path.join(s.dir, 'script.sh')], { env: s.runEnv, encoding: 'utf8', timeout: 30_000, stdio: 'pipe' });
    } catch (e: any) {
      status = e.status;
      stderr = String(e.stderr);
    }
    const r = { status, stderr, ...s.result() };
    s.cleanup();
    return r;
  }

  it('script: scales to 0, waits for the pod to go, dumps both databases, scales back to the count it read', () => {
    const r = run();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['scale 0', 'dump system heap=512m', 'dump neo4j heap=512m', 'scale 1']);
    expect(r.dumps).toEqual(['neo4j.dump', 'system.dump']);
    expect(r.replicas).toBe('1');
    // The token travels in wget's config file, never on a command line.
    expect(r.argv).not.toContain('token-0123456789abcdef');
    expect(r.argv).toContain('--ca-certificate=');
  }, 30_000);

  it('script: a failed dump still scales the server back, and fails the run', () => {
    const r = run({ failDump: true });
    expect(r.status).not.toBe(0);
    expect(r.calls).toEqual(['scale 0', 'dump system heap=512m', 'scale 1']);
    expect(r.replicas).toBe('1');
  }, 30_000);

  it('script: a StatefulSet someone stopped stays stopped', () => {
    const r = run({ replicas: 0 });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['dump system heap=512m', 'dump neo4j heap=512m']);
    expect(r.replicas).toBe('0');
  }, 30_000);

  it('script: a scale request that fails fails the run, and the scale back is still tried', () => {
    const r = run({ failPatch: true });
    expect(r.status).not.toBe(0);
    expect(r.calls).toEqual([]);
    expect(r.replicas).toBe('1');
    expect(r.stderr).toContain('COULD NOT SCALE ns/neo4j BACK TO 1');
  }, 30_000);

  it('script: SIGTERM during the dump (the Job’s deadline) stops the dump and scales the server back', async () => {
    const s = stage({ slowDump: true });
    const child = spawn('/bin/sh', [path.join(s.dir, 'script.sh')], { env: s.runEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (stderr.includes('dumping')) setTimeout(() => child.kill('SIGTERM'), 300);
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const r = s.result();
    s.cleanup();
    expect(code).toBe(143);
    expect(r.calls).toEqual(['scale 0', 'dump system heap=512m', 'scale 1']);
    expect(r.replicas).toBe('1');
  }, 30_000);
});

// --- the Docker supervisor, run with a stub server, a stub neo4j-admin and a shifted clock -------
describe.concurrent('the Docker supervisor (stopped-dump-supervisor.sh), run with dash', () => {
  const { DUMP_COMMAND, DUMP_AS } = envMap(synth(env('development')).tf.resource.docker_container!['neo4j']);
  const server = [
    '#!/bin/sh',
    'echo "start" >>"$STATE/calls"',
    'echo running >"$STATE/server"',
    '[ -f "$STATE/crash" ] && exit 3',
    'trap \'echo "stop" >>"$STATE/calls"; rm -f "$STATE/server"; exit 0\' TERM',
    'while :; do sleep 0.1; done',
  ].join('\n');
  const admin = [
    '#!/bin/sh',
    '[ -f "$STATE/server" ] && { echo "server running" >&2; exit 9; }',
    'echo "dump $3 as $(cat "$STATE/as" 2>/dev/null)" >>"$STATE/calls"',
    '[ -f "$STATE/fail-dump" ] && exit 1',
    'echo "$3" >"${4#--to-path=}/$3.dump"',
  ].join('\n');
  // su-exec <user>:<group> <command...>: records the user, runs the command.
  const suExec = ['#!/bin/sh', 'echo "$1" >"$STATE/as"', 'shift', 'exec "$@"'].join('\n');
  // `date -u +%s` a window opens 2 s from now (EVERY_MINUTES=1); every other date is the real one.
  const fakeDate = [
    '#!/bin/sh',
    'if [ "$*" = "-u +%s" ]; then echo $(( $(/bin/date -u +%s) + $(cat "$STATE/shift") )); else exec /bin/date "$@"; fi',
  ].join('\n');

  function stage(opts: { failDump?: boolean; crash?: boolean } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neo4j-supervisor-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    for (const [f, c] of [
      ['neo4j-server', server],
      ['neo4j-admin', admin],
      ['date', fakeDate],
      ['su-exec', suExec],
    ])
      fs.writeFileSync(path.join(dir, 'bin', f!), c!, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'supervisor.sh'), SUPERVISOR);
    const now = Math.floor(Date.now() / 1000);
    fs.writeFileSync(path.join(dir, 'shift'), String(58 - (now % 60)));
    if (opts.failDump) fs.writeFileSync(path.join(dir, 'fail-dump'), '');
    if (opts.crash) fs.writeFileSync(path.join(dir, 'crash'), '');
    const runEnv = {
      PATH: `${dir}/bin:/usr/bin:/bin`,
      STATE: dir,
      STAGING: path.join(dir, 'staging', 'backups'),
      EVERY_MINUTES: '1',
      OFFSET_MINUTES: '0',
      RUN_SECONDS: '10',
      STOP_SECONDS: '10',
      START_SECONDS: '5',
      DUMP_COMMAND: DUMP_COMMAND!,
      DUMP_AS: DUMP_AS!,
    };
    fs.mkdirSync(path.join(dir, 'staging'));
    const health = () => {
      try {
        execFileSync('dash', [path.join(dir, 'supervisor.sh'), 'health', 'false'], { env: runEnv, stdio: 'ignore' });
        return 0;
      } catch (e: any) {
        return e.status as number;
      }
    };
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n') : []);
    const staged = () => fs.readdirSync(runEnv.STAGING).filter((f) => !f.startsWith('.hsperf'));
    const child = spawn('dash', [path.join(dir, 'supervisor.sh'), 'neo4j-server'], { env: runEnv, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    return { dir, runEnv, child, exited, health, read, staged, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('in the window: stops the server, dumps, hands the dump to the upload side, starts the server; health tolerates it', async ({
    expect,
  }) => {
    const s = stage();
    await sleep(1000);
    expect(s.health()).toBe(1); // before the window: the server's own check (here `false`)
    await sleep(2500);
    expect(s.health()).toBe(0); // the window was opened less than START_SECONDS ago
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const calls = s.read('calls');
    expect(calls).toEqual(['start', 'stop', 'dump system as neo4j:neo4j', 'dump neo4j as neo4j:neo4j', 'start', 'stop']);
    const dumps = s.staged().filter((f) => /^2\d{7}T\d{6}Z$/.test(f));
    expect(dumps.length).toBe(1);
    expect(fs.readdirSync(path.join(s.runEnv.STAGING, dumps[0]!)).sort()).toEqual(['neo4j.dump', 'system.dump']);
    // The upload container (another user) may delete what it stored.
    expect(fs.statSync(s.runEnv.STAGING).mode & 0o777).toBe(0o777);
    s.cleanup();
  }, 20_000);

  it('a failed dump leaves nothing to upload and the server starts again', async ({ expect }) => {
    const s = stage({ failDump: true });
    await sleep(3500);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.read('calls')).toEqual(['start', 'stop', 'dump system as neo4j:neo4j', 'start', 'stop']);
    expect(s.staged().filter((f) => !f.startsWith('.window'))).toEqual([]);
    s.cleanup();
  }, 20_000);

  it('a server that exits by itself ends the supervisor with its status (the restart policy applies)', async ({ expect }) => {
    const s = stage({ crash: true });
    expect(await s.exited).toBe(3);
    s.cleanup();
  }, 20_000);

  it('parses in dash and busybox sh', () => {
    for (const sh of ['dash', 'busybox']) {
      const args = sh === 'busybox' ? ['sh', '-n'] : ['-n'];
      for (const script of ['stopped-dump-supervisor.sh', 'stopped-dump-k8s.sh'])
        expect(() => execFileSync(sh, [...args, new URL(script, SCRIPTS).pathname])).not.toThrow();
    }
  });
});

function envOf(container: { env: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(container.env.map((e) => [e.name, e.value]));
}

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
