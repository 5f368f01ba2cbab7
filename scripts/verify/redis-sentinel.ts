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
 *
 * Over internal TLS: the same drill on the clusters scenario with `internalTls` on, each process
 * started by its container's own command (the certificate reload loop beside it), with certificates
 * of a test CA made as the stack makes them (internal-tls.ts) for the names the chart's
 * Certificates give the members and the sentinels, in each container's certificate directory: the
 * replicas sync from the primary over TLS (no plaintext port exists: `port 0`), the sentinels see the
 * primary and both replicas and fail over, every call verifies the CA (`redis-cli --tls --cacert`),
 * and a client without TLS gets nothing from any member or sentinel. Broken variant: the replicas'
 * redis.conf without `tls-replication yes` (they try plaintext against a TLS-only primary and never
 * link); and sentinels without it (they talk plaintext to the TLS-only members and each other, and
 * never see a quorum). Both must fail.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TLS_DIR } from '../../constructs/services/common';
import { type Artifact, needs, note, sh, standIn, validator } from './lib';
import { Processes, bounded, clustersStack, fileOf, freePorts, memberContainer, memberDir, toLoopback, waitFor } from './cluster-lib';
import { type Pki, pki } from './internal-tls';

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
  /** With internal TLS: each process's start command (`sh -c`), rewritten to this member's files and ports. */
  readonly start?: { readonly server: string; readonly sentinel: string };
}

/**
 * The drill over internal TLS: the test CA, and what a broken variant speaks plaintext on: the
 * replicas' replication, or the sentinels' links (each without `tls-replication yes`).
 */
interface TlsDrill {
  readonly pki: Pki;
  readonly plaintext?: 'replication' | 'sentinels';
}

export async function verifyRedisSentinel(_artifact: Artifact): Promise<void> {
  if (!needs({ 'redis-server': 'redis-server', 'redis-cli': 'redis-tools', timeout: 'coreutils' }, 'Redis Sentinel drill')) return;
  await validator(
    'Redis Sentinel (Debian redis-server, generated files and redis-member.sh): primary lost, a replica promoted, writes go on',
    () => drill(false),
    () => drill(true),
  );
  if (!needs({ openssl: 'openssl' }, 'Redis Sentinel drill over internal TLS')) return;
  const ca = pki('redis-sentinel');
  await validator(
    "Redis Sentinel over internal TLS (TLS-only members and sentinels, started by their containers' commands): replicas sync over TLS, sentinels see them and fail over, plaintext gets nothing",
    () => drill(false, { pki: ca }),
    // Both broken variants must fail: replicas that replicate in plaintext, sentinels that talk plaintext.
    async () => {
      const replication = await drill(false, { pki: ca, plaintext: 'replication' });
      const sentinels = await drill(false, { pki: ca, plaintext: 'sentinels' });
      if (replication.code === 0) return { code: 0, out: `replicas without tls-replication passed:\n${replication.out}` };
      if (sentinels.code === 0) return { code: 0, out: `sentinels without tls-replication passed:\n${sentinels.out}` };
      return { code: 1, out: `${replication.out}\n${sentinels.out}` };
    },
  );
}

export async function drill(impossibleQuorum: boolean, tls?: TlsDrill) {
  const procs = new Processes();
  const variant = tls ? 'internalTls' : 'plain';
  const label = tls ? (tls.plaintext ? `redis-tls-plaintext-${tls.plaintext}` : 'redis-tls') : impossibleQuorum ? 'redis-broken' : 'redis';
  // The certificates cert-manager would issue from the chart's values (the member's and its sentinel's).
  const issued = tls
    ? Object.fromEntries(
        ['redis-tls', 'redis-sentinel-tls'].map((name) => {
          const values = JSON.parse(clustersStack(variant).tf.resource.helm_release.platform_certificates.values[0]);
          const c = values.certificates.find((x: any) => x.name === name);
          if (!c) throw new Error(`the chart issues no certificate ${name}`);
          return [name, tls.pki.issue(`${label}-${name}`, c.dnsNames, c.ipAddresses ?? [], ['server_auth'])];
        }),
      )
    : {};
  const tlsArgs = tls ? ['--tls', '--cacert', tls.pki.ca] : [];
  return bounded(LIMIT_MS, procs, async () => {
    const ports = await freePorts(MEMBERS * 2);
    const loopback = Array.from({ length: MEMBERS }, (_, i) => ({ 6379: ports[i * 2]!, 26379: ports[i * 2 + 1]! }));
    const password = standIn('redis_password');
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const server = memberContainer('redis', i, 'main', variant);
      const sentinel = memberContainer('redis', i, 'sentinel', variant);
      const dir = memberDir(label, i);
      fs.mkdirSync(path.join(dir, 'sentinel'));
      const at = (p: string) => path.join(dir, path.basename(p));
      // Each container mounts its own certificate's Secret (tls.crt, tls.key, ca.crt) at TLS_DIR.
      const certDir = (container: string) => path.join(dir, `tls-${container}`);
      if (tls) {
        for (const [container, name] of [
          ['main', 'redis-tls'],
          ['sentinel', 'redis-sentinel-tls'],
        ] as const) {
          fs.mkdirSync(certDir(container));
          fs.copyFileSync(issued[name]!.chain, path.join(certDir(container), 'tls.crt'));
          fs.copyFileSync(issued[name]!.key, path.join(certDir(container), 'tls.key'));
          fs.copyFileSync(tls.pki.ca, path.join(certDir(container), 'ca.crt'));
        }
      }
      const certs = (container: string, text: string) => (tls ? text.replaceAll(`${TLS_DIR}/`, `${certDir(container)}/`) : text);
      const rewrite = (text: string) => toLoopback(text, 'redis', loopback);
      let conf = replaceAll(fileOf(server, CONFIG), [
        ['bind 0.0.0.0', 'bind 127.0.0.1'],
        // `tls-port 6379` with internal TLS (and `port 0`).
        ['port 6379', `port ${loopback[i]![6379]}`],
        ['dir /data', `dir ${dir}`],
        [`include ${AUTH}`, `include ${at(AUTH)}`],
      ]);
      if (tls) {
        if (!/^port 0$/m.test(conf) || !/^tls-replication yes$/m.test(conf)) throw new Error(`redis.conf is not TLS only:\n${conf}`);
        // The broken variant: the replicas (every member but the first primary) replicate in plaintext.
        if (tls.plaintext === 'replication' && i > 0) conf = replaceAll(conf, [['tls-replication yes\n', '']]);
      }
      fs.writeFileSync(at(CONFIG), certs('main', conf));
      fs.writeFileSync(at(AUTH), replaceAll(fileOf(server, AUTH), [[`aclfile ${USERS}`, `aclfile ${at(USERS)}`]]), { mode: 0o600 });
      fs.writeFileSync(at(USERS), fileOf(server, USERS), { mode: 0o600 });
      let template = replaceAll(rewrite(fileOf(sentinel, TEMPLATE)), [
        ['port 26379', `port ${loopback[i]![26379]}`],
        ['bind 0.0.0.0', 'bind 127.0.0.1'],
        ['dir /run/sentinel', `dir ${path.join(dir, 'sentinel')}`],
      ]);
      if (tls && (!/^port 0$/m.test(template) || !/^tls-replication yes$/m.test(template)))
        throw new Error(`sentinel.conf is not TLS only:\n${template}`);
      if (tls?.plaintext === 'sentinels') template = replaceAll(template, [['tls-replication yes\n', '']]);
      if (impossibleQuorum) template = template.replace(/^(sentinel monitor \S+ \S+ \d+) \d+$/m, '$1 4');
      fs.writeFileSync(at(TEMPLATE), certs('sentinel', template));
      fs.writeFileSync(at(SCRIPT), fileOf(server, SCRIPT), { mode: 0o755 });
      const paths = {
        REDIS_CONFIG: at(CONFIG),
        REDIS_AUTH_FILE: at(AUTH),
        SENTINEL_TEMPLATE: at(TEMPLATE),
        SENTINEL_DIR: path.join(dir, 'sentinel'),
      };
      const env = (container: string, e: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(e).map(([k, v]) => [k, k in paths ? paths[k as keyof typeof paths] : certs(container, rewrite(v))]),
        );
      // The container's own start (`sh -c`: the reload loop, then the member script), on this member's files and ports.
      const start = (container: string, args: readonly string[], port: number, own: number) => {
        if (args[0] !== 'sh' || args[1] !== '-c' || !args[2]!.includes(SCRIPT))
          throw new Error(`${container} starts without its loop: ${args.join(' ')}`);
        return certs(container, args[2]!).replaceAll(SCRIPT, at(SCRIPT)).replaceAll(AUTH, at(AUTH)).replaceAll(`-p ${port} `, `-p ${own} `);
      };
      members.push({
        index: i,
        redis: loopback[i]![6379],
        sentinel: loopback[i]![26379],
        dir,
        env: { server: env('main', server.env), sentinel: env('sentinel', sentinel.env) },
        script: at(SCRIPT),
        ...(tls
          ? {
              start: {
                server: start('main', server.args, 6379, loopback[i]![6379]),
                sentinel: start('sentinel', sentinel.args, 26379, loopback[i]![26379]),
              },
            }
          : {}),
      });
    }
    for (const m of members) {
      if (m.env.server.REDIS_SELF !== `127.0.0.1:${m.redis}` || m.env.sentinel.SENTINEL_SELF !== `127.0.0.1:${m.sentinel}`) {
        throw new Error(`member ${m.index}'s own address did not come from its pod name: ${JSON.stringify(m.env.server)}`);
      }
    }
    const startServer = (m: Member) =>
      m.start
        ? procs.start(`redis-${m.index}`, 'sh', ['-c', m.start.server], { env: m.env.server })
        : procs.start(`redis-${m.index}`, '/bin/sh', [m.script, 'server'], { env: m.env.server });
    const startSentinel = (m: Member) =>
      m.start
        ? procs.start(`sentinel-${m.index}`, 'sh', ['-c', m.start.sentinel], { env: m.env.sentinel })
        : procs.start(`sentinel-${m.index}`, '/bin/sh', [m.script, 'sentinel'], { env: m.env.sentinel });
    // Every member at once (Parallel), both processes of each.
    for (const m of members) {
      startServer(m);
      startSentinel(m);
    }

    // Readiness as the pods have it: the generated readiness commands, pointed at this member's ports and files.
    const probe = readinessProbes(variant);
    const ca = (text: string) => (tls ? text.replaceAll(`${TLS_DIR}/ca.crt`, tls.pki.ca) : text);
    if (tls && !(probe.main.includes('redis-cli --tls --cacert') && probe.sentinel.includes('redis-cli --tls --cacert')))
      throw new Error(`the readiness checks do not speak TLS: ${probe.main} / ${probe.sentinel}`);
    const ready = (m: Member) =>
      sh('sh', ['-c', ca(probe.main.replaceAll(AUTH, path.join(m.dir, 'auth.conf')).replace('redis-cli', `redis-cli -p ${m.redis}`))])
        .code === 0 &&
      sh('sh', ['-c', ca(probe.sentinel.replaceAll(AUTH, path.join(m.dir, 'auth.conf')).replace('-p 26379', `-p ${m.sentinel}`))]).code ===
        0;
    await waitFor(
      'every member to be ready (replicas linked, sentinels seeing a quorum)',
      15_000,
      () => (members.every(ready) ? true : undefined),
      500,
    );

    const cli = (port: number, ...args: string[]) => {
      const r = sh('redis-cli', [...tlsArgs, '-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw', ...args], {
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
    if (tls) {
      // No plaintext anywhere: a client without TLS gets no answer from any member or sentinel.
      for (const m of members)
        for (const port of [m.redis, m.sentinel]) {
          const plain = sh('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', 'PING'], {
            env: { ...process.env, REDISCLI_AUTH: password },
          });
          if (plain.out.includes('PONG')) throw new Error(`port ${port} answers a client without TLS`);
        }
      // The replicas' links are up (over TLS: the primary has no other port) and the primary lists both.
      const info = cli(first.redis, 'INFO', 'replication');
      if (!/^connected_slaves:2\r?$/m.test(info)) throw new Error(`the primary does not list both replicas:\n${info}`);
    }
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
        `redis drill${tls ? ' over TLS' : ''}: the sentinels promoted ${promoted} ${((Date.now() - lost) / 1000).toFixed(1)} s after member 0 was lost (down-after-milliseconds 5000)`,
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
      sh('redis-cli', [...tlsArgs, '-h', '127.0.0.1', '-p', String(p), '--user', 'apps', '--no-auth-warning', '--raw', ...args], {
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
function readinessProbes(variant: 'plain' | 'internalTls'): { main: string; sentinel: string } {
  const containers = clustersStack(variant).tf.resource.kubernetes_stateful_set_v1.redis.spec.template.spec.container;
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
