/**
 * Neo4j's stopped dump, run for real (moved here from the tests: each run waits on real processes
 * and clocks, seconds a piece):
 *
 * - Kubernetes (stopped-dump-k8s.sh, the CronJob's dump step), with /bin/sh, a stub API (wget) and a
 *   stub neo4j-admin that refuses to dump a running server: it scales the StatefulSet to 0, waits for
 *   its pod to go, dumps both databases and scales back to the count it read; a failed dump, a failed
 *   scale request and SIGTERM (the Job's deadline) still scale back; a StatefulSet someone stopped
 *   stays stopped; the API token travels in wget's config file, never on a command line. Broken
 *   variant: the script without its scale-back trap.
 * - Docker (stopped-dump-supervisor.sh, the server container's command), with dash, a stub server,
 *   a stub neo4j-admin and a clock shifted so that a window opens two seconds in: it stops the
 *   server, dumps as the neo4j user, hands the dump to the upload side, starts the server again (also
 *   after a failed dump), the health check passes inside the window only, and a server that exits by
 *   itself ends the supervisor with its status. Broken variant: a supervisor that ignores the window
 *   signal.
 *
 * The dump command and user are the synthesized ones (the clusters scenario's CronJob, the host
 * scenario's container).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, envsOf, validator, work } from './lib';

const SCRIPTS = new URL('../../constructs/services/scripts/', import.meta.url);
const K8S_SCRIPT = fs.readFileSync(new URL('stopped-dump-k8s.sh', SCRIPTS), 'utf8');
const SUPERVISOR = fs.readFileSync(new URL('stopped-dump-supervisor.sh', SCRIPTS), 'utf8');
/** The broken variants: the scale-back trap gone; the window signal ignored. */
const K8S_WITHOUT_RESTORE = K8S_SCRIPT.replace('trap restore EXIT', 'trap - EXIT');
const SUPERVISOR_DEAF = SUPERVISOR.replace("trap 'window=1' USR1", "trap '' USR1");
const TOKEN = 'token-0123456789abcdef';

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
const fakeAdminK8s = [
  '#!/bin/sh',
  // neo4j-admin database dump <db> --to-path=<dir>: only on a stopped server.
  '[ "$(cat "$STATE/replicas")" = 0 ] || { echo "server running" >&2; exit 9; }',
  'echo "dump $3" >>"$STATE/calls"',
  '[ -f "$STATE/slow-dump" ] && sleep 30',
  '[ -f "$STATE/fail-dump" ] && exit 1',
  'echo "$3" >"${4#--to-path=}/$3.dump"',
].join('\n');

interface K8sRun {
  status: number | null;
  stderr: string;
  calls: string[];
  replicas: string | undefined;
  argv: string;
  dumps: string[];
}

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []);

/** One run of the Kubernetes dump step; `term`: SIGTERM once it says it is dumping. */
function k8sRun(
  script: string,
  dumpCommand: string,
  opts: { failDump?: boolean; slowDump?: boolean; replicas?: number; failPatch?: boolean; term?: boolean } = {},
): Promise<K8sRun> {
  const dir = fs.mkdtempSync(path.join(work, 'neo4j-dump-'));
  for (const d of ['bin', 'api', 'backup']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'bin', 'wget'), fakeWget, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'bin', 'neo4j-admin'), fakeAdminK8s, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'api', 'token'), TOKEN);
  fs.writeFileSync(path.join(dir, 'api', 'ca.crt'), 'ca');
  fs.writeFileSync(path.join(dir, 'replicas'), String(opts.replicas ?? 1));
  for (const [flag, file] of [
    [opts.failDump, 'fail-dump'],
    [opts.slowDump, 'slow-dump'],
    [opts.failPatch, 'fail-patch'],
  ] as const)
    if (flag) fs.writeFileSync(path.join(dir, file), '');
  fs.writeFileSync(path.join(dir, 'script.sh'), script);
  const env = {
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
    DUMP_COMMAND: dumpCommand,
  };
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', [path.join(dir, 'script.sh')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let termed = false;
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (opts.term && !termed && stderr.includes('dumping')) {
        termed = true;
        setTimeout(() => child.kill('SIGTERM'), 300);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      const r = {
        status,
        stderr,
        calls: lines(path.join(dir, 'calls')),
        replicas: lines(path.join(dir, 'replicas'))[0],
        argv: lines(path.join(dir, 'argv')).join('\n'),
        dumps: fs.readdirSync(path.join(dir, 'backup')).sort(),
      };
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(r);
    });
  });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every case of the Kubernetes dump step with `script`; the problems found. */
async function k8sDrill(script: string, dumpCommand: string): Promise<Outcome> {
  const problems: string[] = [];
  const ok = await k8sRun(script, dumpCommand);
  if (ok.status !== 0 || !same(ok.calls, ['scale 0', 'dump system', 'dump neo4j', 'scale 1']) || ok.replicas !== '1')
    problems.push(`a run: status ${ok.status}, calls ${ok.calls.join(', ')}, replicas ${ok.replicas}\n${ok.stderr}`);
  if (!same(ok.dumps, ['neo4j.dump', 'system.dump'])) problems.push(`dumps ${ok.dumps.join(', ')}`);
  if (ok.argv.includes(TOKEN)) problems.push('the API token is on a command line');
  if (!ok.argv.includes('--ca-certificate=')) problems.push('wget is not given the cluster CA');
  const failed = await k8sRun(script, dumpCommand, { failDump: true });
  if (failed.status === 0 || failed.replicas !== '1') problems.push(`a failed dump: status ${failed.status}, replicas ${failed.replicas}`);
  const stopped = await k8sRun(script, dumpCommand, { replicas: 0 });
  if (stopped.status !== 0 || stopped.replicas !== '0' || stopped.calls.some((c) => c.startsWith('scale')))
    problems.push(`a stopped StatefulSet: status ${stopped.status}, calls ${stopped.calls.join(', ')}`);
  const patch = await k8sRun(script, dumpCommand, { failPatch: true });
  if (patch.status === 0 || !patch.stderr.includes('COULD NOT SCALE ns/neo4j BACK TO 1'))
    problems.push(`a failed scale request: status ${patch.status}\n${patch.stderr}`);
  const termed = await k8sRun(script, dumpCommand, { slowDump: true, term: true });
  if (termed.status !== 143 || termed.replicas !== '1')
    problems.push(`SIGTERM during the dump: status ${termed.status}, replicas ${termed.replicas}, calls ${termed.calls.join(', ')}`);
  return problems.length ? { code: 1, out: problems.join('\n') } : { code: 0, out: '' };
}

// --- the Docker supervisor ---------------------------------------------------------------------
const server = [
  '#!/bin/sh',
  'echo "start" >>"$STATE/calls"',
  'echo running >"$STATE/server"',
  '[ -f "$STATE/crash" ] && exit 3',
  'trap \'echo "stop" >>"$STATE/calls"; rm -f "$STATE/server"; exit 0\' TERM',
  'while :; do sleep 0.1; done',
].join('\n');
const fakeAdminDocker = [
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Supervised {
  calls: string[];
  dumps: string[];
  health: number[];
  status: number | null;
}

/** The supervisor for about 3.5 s (the window opens at 2 s), its health asked at 1 s and 3.5 s. */
async function supervise(
  script: string,
  dumpCommand: string,
  dumpAs: string,
  opts: { failDump?: boolean; crash?: boolean } = {},
): Promise<Supervised> {
  const dir = fs.mkdtempSync(path.join(work, 'neo4j-supervisor-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  for (const [f, c] of [
    ['neo4j-server', server],
    ['neo4j-admin', fakeAdminDocker],
    ['date', fakeDate],
    ['su-exec', suExec],
  ] as const)
    fs.writeFileSync(path.join(dir, 'bin', f), c, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'supervisor.sh'), script);
  fs.writeFileSync(path.join(dir, 'shift'), String(58 - (Math.floor(Date.now() / 1000) % 60)));
  if (opts.failDump) fs.writeFileSync(path.join(dir, 'fail-dump'), '');
  if (opts.crash) fs.writeFileSync(path.join(dir, 'crash'), '');
  const staging = path.join(dir, 'staging', 'backups');
  fs.mkdirSync(path.join(dir, 'staging'));
  const env = {
    PATH: `${dir}/bin:/usr/bin:/bin`,
    STATE: dir,
    STAGING: staging,
    EVERY_MINUTES: '1',
    OFFSET_MINUTES: '0',
    RUN_SECONDS: '10',
    STOP_SECONDS: '10',
    START_SECONDS: '5',
    DUMP_COMMAND: dumpCommand,
    DUMP_AS: dumpAs,
  };
  const health = () => {
    try {
      execFileSync('dash', [path.join(dir, 'supervisor.sh'), 'health', 'false'], { env, stdio: 'ignore' });
      return 0;
    } catch (e: any) {
      return e.status as number;
    }
  };
  const child = spawn('dash', [path.join(dir, 'supervisor.sh'), 'neo4j-server'], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const seen: number[] = [];
  if (!opts.crash) {
    await sleep(1000);
    seen.push(health());
    await sleep(2500);
    seen.push(health());
    child.kill('SIGTERM');
  }
  const status = await exited;
  clearTimeout(timer);
  const r = {
    calls: lines(path.join(dir, 'calls')),
    dumps: fs.existsSync(staging) ? fs.readdirSync(staging).filter((f) => /^2\d{7}T\d{6}Z$/.test(f)) : [],
    health: seen,
    status,
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return r;
}

async function supervisorDrill(script: string, dumpCommand: string, dumpAs: string): Promise<Outcome> {
  const problems: string[] = [];
  // DUMP_AS is the command that drops to the user (`su-exec <user>:<group>`); the stub records its user.
  const as = dumpAs.trim().split(/\s+/).pop()!;
  const [ok, failed, crashed] = await Promise.all([
    supervise(script, dumpCommand, dumpAs),
    supervise(script, dumpCommand, dumpAs, { failDump: true }),
    supervise(script, dumpCommand, dumpAs, { crash: true }),
  ]);
  const want = ['start', 'stop', `dump system as ${as}`, `dump neo4j as ${as}`, 'start', 'stop'];
  if (ok.status !== 0 || !same(ok.calls, want))
    problems.push(`in the window: status ${ok.status}, calls ${ok.calls.join(', ')}; expected ${want.join(', ')}`);
  if (ok.dumps.length !== 1) problems.push(`in the window: ${ok.dumps.length} dumps handed to the upload side`);
  if (!same(ok.health, [1, 0]))
    problems.push(`health before and in the window: ${ok.health.join(', ')} (expected the server's own check, then passing)`);
  const wantFailed = ['start', 'stop', `dump system as ${as}`, 'start', 'stop'];
  if (failed.status !== 0 || !same(failed.calls, wantFailed) || failed.dumps.length !== 0)
    problems.push(`a failed dump: status ${failed.status}, calls ${failed.calls.join(', ')}, ${failed.dumps.length} dumps`);
  if (crashed.status !== 3) problems.push(`a server that exits by itself (3): the supervisor exited ${crashed.status}`);
  return problems.length ? { code: 1, out: problems.join('\n') } : { code: 0, out: '' };
}

const envOf = (container: { env?: any }): Record<string, string> => {
  const env = container.env;
  if (Array.isArray(env) && typeof env[0] === 'string')
    return Object.fromEntries((env as string[]).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(((env ?? []) as { name: string; value: string }[]).map((e) => [e.name, e.value]));
};

export async function verifyNeo4jDump(artifact: Artifact): Promise<void> {
  for (const e of envsOf(artifact, 'kubernetes')) {
    const cron = artifact.stackJson(e.name).resource?.kubernetes_cron_job_v1?.neo4j_backup;
    if (!cron) continue;
    const dump = envOf(cron.spec.job_template.spec.template.spec.init_container[0]);
    await validator(
      `${e.name}: Neo4j's stopped dump on Kubernetes scales to 0, dumps both databases and scales back, also after a failed dump, a failed scale request or SIGTERM; a stopped StatefulSet stays stopped; the token on no command line (/bin/sh, stub API and neo4j-admin)`,
      () => k8sDrill(K8S_SCRIPT, dump.DUMP_COMMAND!),
      () => k8sDrill(K8S_WITHOUT_RESTORE, dump.DUMP_COMMAND!),
    );
    break;
  }
  for (const e of envsOf(artifact, 'docker')) {
    const neo4j = artifact.stackJson(e.name).resource?.docker_container?.neo4j;
    const vars = neo4j ? envOf(neo4j) : {};
    if (!vars.DUMP_COMMAND) continue;
    await validator(
      `${e.name}: Neo4j's supervisor on Docker stops the server in the window, dumps through ${vars.DUMP_AS}, starts it again (also after a failed dump), passes its health check in the window only, and ends with a crashed server's status (dash, stub server and neo4j-admin, a shifted clock)`,
      () => supervisorDrill(SUPERVISOR, vars.DUMP_COMMAND!, vars.DUMP_AS!),
      () => supervisorDrill(SUPERVISOR_DEAF, vars.DUMP_COMMAND!, vars.DUMP_AS!),
    );
    break;
  }
}
