/**
 * Redis Sentinel drill: three members on the loopback interface, each a Debian redis-server and a
 * `redis-server --sentinel` started by the generated redis-member.sh with the files and environment
 * its pod gets in the clusters environment (redis.conf, auth.conf, sentinel.conf), only addresses,
 * ports and directories rewritten. The members must become ready by their own readiness checks
 * (replicas linked, sentinels seeing a quorum); then member 0, the first primary, is lost (both its
 * processes), the sentinels promote a replica, a write succeeds on the primary Sentinel names, and
 * member 0 started again follows the new primary. The application's ACL user (users.acl and the
 * sentinels' user lines) asks a sentinel for the primary, writes its own keys there, and is refused
 * other keys and sentinel changes. Broken variant: a quorum of 4 for 3 sentinels, which must never
 * fail over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, needs, note, sh, standIn, validator } from './lib';
import { Processes, bounded, clustersStack, fileOf, freePorts, memberContainer, memberDir, toLoopback, waitFor } from './cluster-lib';

const CONFIG = '/usr/local/etc/redis/redis.conf';
const AUTH = '/usr/local/etc/redis/auth.conf';
const USERS = '/usr/local/etc/redis/users.acl';
const TEMPLATE = '/usr/local/etc/redis/sentinel.conf';
const SCRIPT = '/usr/local/bin/redis-member.sh';
const MEMBERS = 3;
const LIMIT_MS = 55_000;

interface Member {
  readonly index: number;
  readonly redis: number;
  readonly sentinel: number;
  readonly dir: string;
  readonly env: { readonly server: Record<string, string>; readonly sentinel: Record<string, string> };
  readonly script: string;
}

export async function verifyRedisSentinel(_artifact: Artifact): Promise<void> {
  if (!needs({ 'redis-server': 'redis-server', 'redis-cli': 'redis-tools', timeout: 'coreutils' }, 'Redis Sentinel drill')) return;
  await validator(
    'Redis Sentinel (Debian redis-server, generated files and redis-member.sh): primary lost, a replica promoted, writes go on',
    () => drill(false),
    () => drill(true),
  );
}

export async function drill(impossibleQuorum: boolean) {
  const procs = new Processes();
  return bounded(LIMIT_MS, procs, async () => {
    const ports = await freePorts(MEMBERS * 2);
    const loopback = Array.from({ length: MEMBERS }, (_, i) => ({ 6379: ports[i * 2]!, 26379: ports[i * 2 + 1]! }));
    const password = standIn('redis_password');
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const server = memberContainer('redis', i, 'main');
      const sentinel = memberContainer('redis', i, 'sentinel');
      const dir = memberDir(impossibleQuorum ? 'redis-broken' : 'redis', i);
      fs.mkdirSync(path.join(dir, 'sentinel'));
      const at = (p: string) => path.join(dir, path.basename(p));
      const rewrite = (text: string) => toLoopback(text, 'redis', loopback);
      fs.writeFileSync(
        at(CONFIG),
        replaceAll(fileOf(server, CONFIG), [
          ['bind 0.0.0.0', 'bind 127.0.0.1'],
          ['port 6379', `port ${loopback[i]![6379]}`],
          ['dir /data', `dir ${dir}`],
          [`include ${AUTH}`, `include ${at(AUTH)}`],
        ]),
      );
      fs.writeFileSync(at(AUTH), replaceAll(fileOf(server, AUTH), [[`aclfile ${USERS}`, `aclfile ${at(USERS)}`]]), { mode: 0o600 });
      fs.writeFileSync(at(USERS), fileOf(server, USERS), { mode: 0o600 });
      let template = replaceAll(rewrite(fileOf(sentinel, TEMPLATE)), [
        ['port 26379', `port ${loopback[i]![26379]}`],
        ['bind 0.0.0.0', 'bind 127.0.0.1'],
        ['dir /run/sentinel', `dir ${path.join(dir, 'sentinel')}`],
      ]);
      if (impossibleQuorum) template = template.replace(/^(sentinel monitor \S+ \S+ \d+) \d+$/m, '$1 4');
      fs.writeFileSync(at(TEMPLATE), template);
      fs.writeFileSync(at(SCRIPT), fileOf(server, SCRIPT), { mode: 0o755 });
      const paths = {
        REDIS_CONFIG: at(CONFIG),
        REDIS_AUTH_FILE: at(AUTH),
        SENTINEL_TEMPLATE: at(TEMPLATE),
        SENTINEL_DIR: path.join(dir, 'sentinel'),
      };
      const env = (e: Record<string, string>) =>
        Object.fromEntries(Object.entries(e).map(([k, v]) => [k, k in paths ? paths[k as keyof typeof paths] : rewrite(v)]));
      members.push({
        index: i,
        redis: loopback[i]![6379],
        sentinel: loopback[i]![26379],
        dir,
        env: { server: env(server.env), sentinel: env(sentinel.env) },
        script: at(SCRIPT),
      });
    }
    for (const m of members) {
      if (m.env.server.REDIS_SELF !== `127.0.0.1:${m.redis}` || m.env.sentinel.SENTINEL_SELF !== `127.0.0.1:${m.sentinel}`) {
        throw new Error(`member ${m.index}'s own address did not come from its pod name: ${JSON.stringify(m.env.server)}`);
      }
    }
    const startServer = (m: Member) => procs.start(`redis-${m.index}`, '/bin/sh', [m.script, 'server'], { env: m.env.server });
    const startSentinel = (m: Member) => procs.start(`sentinel-${m.index}`, '/bin/sh', [m.script, 'sentinel'], { env: m.env.sentinel });
    // Every member at once (Parallel), both processes of each.
    for (const m of members) {
      startServer(m);
      startSentinel(m);
    }

    // Readiness as the pods have it: the generated readiness commands, pointed at this member's ports and files.
    const probe = readinessProbes();
    const ready = (m: Member) =>
      sh('sh', ['-c', probe.main.replaceAll(AUTH, path.join(m.dir, 'auth.conf')).replace('redis-cli', `redis-cli -p ${m.redis}`)]).code ===
        0 &&
      sh('sh', ['-c', probe.sentinel.replaceAll(AUTH, path.join(m.dir, 'auth.conf')).replace('-p 26379', `-p ${m.sentinel}`)]).code === 0;
    await waitFor(
      'every member to be ready (replicas linked, sentinels seeing a quorum)',
      15_000,
      () => (members.every(ready) ? true : undefined),
      500,
    );

    const cli = (port: number, ...args: string[]) => {
      const r = sh('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw', ...args], {
        env: { ...process.env, REDISCLI_AUTH: password },
      });
      if (r.code !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.out}`);
      return r.out.trim();
    };
    const primaryOf = (m: Member) => cli(m.sentinel, 'SENTINEL', 'get-master-addr-by-name', 'platform').split('\n').join(':');
    const [first, ...others] = members as [Member, ...Member[]];
    // Sentinels learn the replicas from the primary's INFO (every 10 s): the set is complete when each knows both.
    await waitFor(
      'every sentinel to know both replicas',
      15_000,
      () =>
        members.every(
          (m) =>
            cli(m.sentinel, 'SENTINEL', 'replicas', 'platform')
              .split('\n')
              .filter((l) => l === 'name').length ===
            MEMBERS - 1,
        )
          ? true
          : undefined,
      500,
    );
    if (primaryOf(others[0]!) !== `127.0.0.1:${first.redis}`) throw new Error(`the sentinels name ${primaryOf(others[0]!)}, not member 0`);
    if (cli(first.redis, 'SET', 'drill:before', 'kept') !== 'OK') throw new Error('no write on the first primary');
    // Both replicas have it before the primary goes.
    if (cli(first.redis, 'WAIT', '2', '5000') !== '2') throw new Error('the replicas did not acknowledge the write');

    // Member 0 is lost (killed, as when its node goes): its Redis and its sentinel.
    await procs.stopOne('redis-0', true);
    await procs.stopOne('sentinel-0', true);
    const lost = Date.now();
    const promoted = await waitFor(
      'the sentinels to promote a replica',
      30_000,
      () => {
        const p = primaryOf(others[0]!);
        return p !== `127.0.0.1:${first.redis}` && primaryOf(others[1]!) === p ? p : undefined;
      },
      500,
    );
    if (!impossibleQuorum)
      note(
        `redis drill: the sentinels promoted ${promoted} ${((Date.now() - lost) / 1000).toFixed(1)} s after member 0 was lost (down-after-milliseconds 5000)`,
      );
    const port = Number(promoted.split(':')[1]);
    // It takes writes once a replica follows it (min-replicas-to-write 1): the sentinels move the other replica over.
    const written = await waitFor(
      'a write on the new primary',
      15_000,
      () => (cli(port, 'SET', 'drill:after', 'written') === 'OK' ? true : undefined),
      500,
    );
    if (!written || cli(port, 'GET', 'drill:before') !== 'kept') throw new Error('the new primary lost the write made before the failover');

    // Member 0 comes back (both processes): it asks the sentinels and follows the promoted replica.
    startServer(first);
    startSentinel(first);
    await waitFor(
      'member 0 to come back as a replica of the new primary',
      20_000,
      () => {
        const info = cli(first.redis, 'INFO', 'replication');
        return /^role:slave\r?$/m.test(info) &&
          new RegExp(`^master_port:${port}\\r?$`, 'm').test(info) &&
          /^master_link_status:up\r?$/m.test(info)
          ? true
          : undefined;
      },
      500,
    );
    if (cli(first.redis, 'GET', 'drill:after') !== 'written') throw new Error('member 0 did not get the write made on the new primary');

    // The application (the clusters scenario's default consumer `apps`): the sentinels name the primary
    // to it, it writes its own keys there, nothing else, and changes nothing on the sentinels.
    const app = (p: number, ...args: string[]) =>
      sh('redis-cli', ['-h', '127.0.0.1', '-p', String(p), '--user', 'apps', '--no-auth-warning', '--raw', ...args], {
        env: { ...process.env, REDISCLI_AUTH: standIn('redis_consumer-apps-password') },
      }).out.trim();
    const named = app(others[0]!.sentinel, 'SENTINEL', 'get-master-addr-by-name', 'platform').split('\n').join(':');
    if (named !== promoted) throw new Error(`the application's sentinel user was not told the primary: ${named}`);
    if (!/NOPERM/.test(app(others[0]!.sentinel, 'SENTINEL', 'SET', 'platform', 'quorum', '1'))) {
      throw new Error("the application's sentinel user may change the sentinels");
    }
    if (app(port, 'SET', 'apps:drill', 'mine') !== 'OK') throw new Error("the application's user cannot write its own keys");
    if (!/NOPERM/.test(app(port, 'SET', 'drill:after', 'theirs'))) throw new Error("the application's user may write another key");
    if (!/NOPERM/.test(app(port, 'FLUSHALL'))) throw new Error("the application's user may run a dangerous command");
  });
}

/** The generated readiness commands (`sh -c <script>`) of the Redis and sentinel containers. */
function readinessProbes(): { main: string; sentinel: string } {
  const containers = clustersStack().tf.resource.kubernetes_stateful_set_v1.redis.spec.template.spec.container;
  const of = (name: string) => containers.find((c: any) => c.name === name).readiness_probe.exec.command[2] as string;
  return { main: of('main'), sentinel: of('sentinel') };
}

function replaceAll(text: string, pairs: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`the generated file has no "${from}" to rewrite`);
    out = out.replaceAll(from, to);
  }
  return out;
}
