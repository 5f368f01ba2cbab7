/**
 * Restore drills: each stateful service's backup, taken with the step its plan ships (the spec's
 * `backup.dump`), restored into a fresh server of the real program, and the data found there.
 * - PostgreSQL: postgres-dump.sh against a PostgreSQL 15 server holding a table and an application
 *   database; restored (globals, then pg_restore --exit-on-error) into a fresh server; the rows and
 *   the role found. Broken: the dump truncated (pg_restore must fail, or the rows be missing).
 * - Redis: the plan's `redis-cli --rdb` + `redis-check-rdb` step against a redis-server holding keys;
 *   the RDB loaded by a fresh redis-server; the keys found. Broken: the RDB truncated.
 * - NATS: nats-backup.mjs backs up a JetStream stream (file storage, a durable consumer) from a
 *   nats-server started on the synthesized configuration; restored into a fresh server; the messages,
 *   the last one's payload and the consumer found. Broken: the stream's snapshot file missing, and
 *   truncated.
 * Each drill's wall-clock time (backup, then restore until the data is found) is printed: the
 * measured RTO in docs/operations.md comes from these lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServiceSpec } from '../../constructs/spec/types';
import { type Artifact, envsOf, type Outcome, dockerFiles, needs, note, sh, standIn, validator, work, freePort } from './lib';
import { NatsWire } from './nats-wire';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const ROWS = 5000;

const asPostgres = (args: string[], env: Record<string, string> = {}) => {
  const withEnv = ['env', `PATH=${PG_BIN}:/usr/bin:/bin`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args];
  return process.getuid?.() === 0 ? sh('runuser', ['-u', 'postgres', '--', ...withEnv]) : sh('env', withEnv.slice(1));
};

const elapsed = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

function fileOf(spec: ServiceSpec, filePath: string): string {
  const f = spec.backup?.dump?.files.find((x) => x.path === filePath);
  if (!f || typeof f.content !== 'string') throw new Error(`${spec.name}: the backup's dump step has no file ${filePath}`);
  return f.content;
}

function scratch(label: string): string {
  const d = fs.mkdtempSync(path.join(work, `drill-${label}-`));
  fs.chmodSync(d, 0o755);
  if (process.getuid?.() === 0) sh('chown', ['postgres:postgres', d]);
  return d;
}

// --- PostgreSQL ------------------------------------------------------------------------------------

interface Pg {
  readonly socket: string;
  readonly port: string;
  psql(db: string, sql: string, user?: string): Outcome;
  stop(): void;
}

function pgStart(dir: string, owner: string): Pg | Outcome {
  const data = path.join(dir, 'data');
  const init = asPostgres(['initdb', '-D', data, `--username=${owner}`, '--auth=trust']);
  if (init.code !== 0) return init;
  const port = String(freePort());
  const started = asPostgres([
    'pg_ctl',
    '-D',
    data,
    '-o',
    `-c port=${port} -c listen_addresses='' -c unix_socket_directories=${dir}`,
    '-l',
    path.join(dir, 'log'),
    '-w',
    '-t',
    '30',
    'start',
  ]);
  if (started.code !== 0) return started;
  return {
    socket: dir,
    port,
    psql: (db, sql, user = owner) =>
      asPostgres(['psql', '-X', '-h', dir, '-p', port, '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql]),
    stop: () => void asPostgres(['pg_ctl', '-D', data, '-m', 'fast', 'stop']),
  };
}

/** The restore of docs/operations.md: the roles, then each database with pg_restore --create. */
function pgRestore(dir: string, target: Pg, owner: string): Outcome {
  const globals = asPostgres([
    'psql',
    '-X',
    '-h',
    target.socket,
    '-p',
    target.port,
    '-U',
    owner,
    '-d',
    'postgres',
    '-q',
    '-f',
    path.join(dir, 'globals.sql'),
  ]);
  if (globals.code !== 0) return globals;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.dump'))) {
    const db = f.slice(0, -'.dump'.length);
    // The maintenance database exists in every fresh server: restored into, not created.
    const args = db === 'postgres' ? ['-d', 'postgres', '--clean', '--if-exists'] : ['-d', 'postgres', '--create'];
    const r = asPostgres([
      'pg_restore',
      '-h',
      target.socket,
      '-p',
      target.port,
      '-U',
      owner,
      '--exit-on-error',
      ...args,
      path.join(dir, f),
    ]);
    if (r.code !== 0) return { code: r.code, out: `pg_restore ${f}: ${r.out}` };
  }
  return { code: 0, out: '' };
}

function postgresDrill(spec: ServiceSpec, owner: string, database: string, breakDump?: (dir: string) => void): Outcome {
  const script = fileOf(spec, '/usr/local/bin/postgres-dump.sh');
  const srcDir = scratch('pg-src');
  const src = pgStart(srcDir, owner);
  if (!('stop' in src)) return src;
  const t0 = process.hrtime.bigint();
  let dst: Pg | Outcome | undefined;
  try {
    const seed = [
      `CREATE DATABASE ${database}`,
      `CREATE ROLE drill_app LOGIN PASSWORD 'unused'`,
      `CREATE DATABASE drill_app OWNER drill_app`,
    ];
    for (const sql of seed) {
      const r = src.psql('postgres', sql);
      if (r.code !== 0) return r;
    }
    for (const [db, user] of [
      [database, owner],
      ['drill_app', 'drill_app'],
    ] as const) {
      const r = src.psql(
        db,
        `CREATE TABLE drill (id int primary key, body text); INSERT INTO drill SELECT g, md5(g::text) FROM generate_series(1, ${ROWS}) g`,
        user,
      );
      if (r.code !== 0) return r;
    }
    const want = src.psql(database, "SELECT count(*), md5(string_agg(body, ',' ORDER BY id)) FROM drill").out.trim();
    // The plan's dump step, as it runs: over the network as the owner (here the socket), BACKUP_DIR empty.
    const backupDir = scratch('pg-backup');
    fs.writeFileSync(path.join(srcDir, 'postgres-dump.sh'), script, { mode: 0o555 });
    fs.writeFileSync(path.join(srcDir, 'owner-password'), 'unused-with-trust', { mode: 0o444 });
    const dump = asPostgres(['sh', path.join(srcDir, 'postgres-dump.sh')], {
      BACKUP_DIR: backupDir,
      PGHOST: srcDir,
      PGPORT: src.port,
      POSTGRES_USER: owner,
      POSTGRES_DB: database,
      OWNER_PASSWORD_FILE: path.join(srcDir, 'owner-password'),
    });
    if (dump.code !== 0) return { code: 1, out: `postgres-dump.sh failed: ${dump.out}` };
    const backupSeconds = elapsed(t0);
    breakDump?.(backupDir);
    const t1 = process.hrtime.bigint();
    dst = pgStart(scratch('pg-dst'), owner);
    if (!('stop' in dst)) return dst;
    const restored = pgRestore(backupDir, dst, owner);
    if (restored.code !== 0) return restored;
    const got = dst.psql(database, "SELECT count(*), md5(string_agg(body, ',' ORDER BY id)) FROM drill");
    const app = dst.psql('drill_app', 'SELECT count(*) FROM drill', 'drill_app');
    const restoreSeconds = elapsed(t1);
    if (got.out.trim() !== want) return { code: 1, out: `restored ${database}.drill: ${got.out.trim()} (want ${want})` };
    if (app.out.trim() !== String(ROWS)) return { code: 1, out: `drill_app: its role or rows are missing: ${app.out}` };
    note(
      `  measured: PostgreSQL logical dump of ${ROWS * 2} rows in 2 databases: backup ${backupSeconds.toFixed(1)} s, restore into a fresh server ${restoreSeconds.toFixed(1)} s (${fs
        .readdirSync(backupDir)
        .map((f) => `${f} ${fs.statSync(path.join(backupDir, f)).size} B`)
        .join(', ')})`,
    );
    return { code: 0, out: '' };
  } finally {
    src.stop();
    if (dst && 'stop' in dst) dst.stop();
  }
}

// --- Redis -----------------------------------------------------------------------------------------

async function redisStart(
  dir: string,
  args: string[],
): Promise<{ port: number; proc: ChildProcess; log: () => string; exited: Promise<number> } | Outcome> {
  const port = freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? -1)));
  for (let i = 0; i < 100 && !/Ready to accept connections/.test(log); i++) {
    const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
    if (done !== undefined) return { code: 1, out: `redis-server exited ${done}:\n${log}` };
  }
  if (!/Ready to accept connections/.test(log)) return { code: 1, out: `redis-server did not start:\n${log}` };
  return { port, proc, log: () => log, exited };
}

async function redisDrill(spec: ServiceSpec, breakRdb?: (file: string) => void): Promise<Outcome> {
  const dump = spec.backup?.dump;
  const command = dump?.command.at(-1);
  if (!dump || typeof command !== 'string') return { code: 1, out: 'redis: no dump step' };
  const password = standIn('redis_password');
  const srcDir = scratch('redis-src');
  const src = await redisStart(srcDir, ['--requirepass', password]);
  if (!('proc' in src)) return src;
  let dst: Awaited<ReturnType<typeof redisStart>> | undefined;
  const cli = (port: number, ...args: string[]) =>
    sh('redis-cli', ['-p', String(port), '--no-auth-warning', ...args], { env: { ...process.env, REDISCLI_AUTH: password } }).out.trim();
  try {
    const t0 = process.hrtime.bigint();
    const script = Array.from(
      { length: 20 },
      (_, b) => `MSET ${Array.from({ length: 250 }, (_, i) => `key:${b * 250 + i + 1} val${b * 250 + i + 1}`).join(' ')}`,
    ).join('\n');
    sh('redis-cli', ['-p', String(src.port), '--no-auth-warning'], {
      input: `${script}\nHSET h a 1 b 2\n`,
      env: { ...process.env, REDISCLI_AUTH: password },
    });
    if (cli(src.port, 'DBSIZE') !== '5001') return { code: 1, out: `seeding failed: DBSIZE ${cli(src.port, 'DBSIZE')}` };
    // The plan's step as it runs: the password read from auth.conf (here a copy), the server's address.
    const auth = path.join(srcDir, 'auth.conf');
    fs.writeFileSync(auth, `requirepass ${password}\n`, { mode: 0o600 });
    const authPath = dump.files.find((f) => /auth\.conf$/.test(f.path))?.path;
    if (!authPath) return { code: 1, out: 'redis: the dump step has no auth.conf' };
    const backupDir = scratch('redis-backup');
    const run = sh('sh', ['-c', command.replaceAll(authPath, auth).replace('-p 6379', `-p ${src.port}`)], {
      env: { ...process.env, BACKUP_DIR: backupDir, REDIS_HOST: '127.0.0.1' },
    });
    if (run.code !== 0) return { code: 1, out: `the dump step failed: ${run.out}` };
    const backupSeconds = elapsed(t0);
    const rdb = path.join(backupDir, 'dump.rdb');
    breakRdb?.(rdb);
    // Restore (docs/operations.md): check the copy, put it where the server loads it, start.
    const t1 = process.hrtime.bigint();
    const check = sh('redis-check-rdb', [rdb]);
    if (check.code !== 0) return { code: 1, out: `redis-check-rdb: ${check.out}` };
    const dstDir = scratch('redis-dst');
    fs.copyFileSync(rdb, path.join(dstDir, 'dump.rdb'));
    dst = await redisStart(dstDir, ['--dbfilename', 'dump.rdb', '--requirepass', password]);
    if (!('proc' in dst)) return dst;
    const size = cli(dst.port, 'DBSIZE');
    const last = cli(dst.port, 'GET', 'key:5000');
    const h = cli(dst.port, 'HGET', 'h', 'b');
    const restoreSeconds = elapsed(t1);
    if (size !== '5001' || last !== 'val5000' || h !== '2') return { code: 1, out: `restored: DBSIZE ${size}, key:5000 ${last}, h.b ${h}` };
    note(
      `  measured: Redis RDB of 5001 keys (${fs.statSync(rdb).size} B): backup ${backupSeconds.toFixed(1)} s, check + load by a fresh redis-server ${restoreSeconds.toFixed(1)} s`,
    );
    return { code: 0, out: '' };
  } finally {
    for (const s of [src, dst]) {
      if (s && 'proc' in s) {
        s.proc.kill('SIGTERM');
        await s.exited;
      }
    }
  }
}

// --- NATS JetStream --------------------------------------------------------------------------------

async function natsStart(conf: string, auth: string, label: string) {
  const dir = scratch(`nats-${label}`);
  fs.writeFileSync(path.join(dir, 'nats-server.conf'), conf.replace('"/data/jetstream"', JSON.stringify(path.join(dir, 'js'))));
  fs.writeFileSync(path.join(dir, 'auth.conf'), auth, { mode: 0o600 });
  const port = freePort();
  const proc = spawn('nats-server', ['-c', path.join(dir, 'nats-server.conf'), '-a', '127.0.0.1', '-p', String(port), '-m', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', r));
  for (let i = 0; i < 100 && !log.includes('Server is ready'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!log.includes('Server is ready')) throw new Error(`nats-server did not start:\n${log}`);
  return { port, stop: async () => (proc.kill('SIGTERM'), await exited) };
}

function runNode(script: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

async function natsDrill(spec: ServiceSpec, conf: string, auth: string, breakBackup?: (dir: string) => void): Promise<Outcome> {
  const script = path.join(scratch('nats-tool'), 'nats-backup.mjs');
  fs.writeFileSync(script, fileOf(spec, '/usr/local/bin/nats-backup.mjs'), { mode: 0o555 });
  const password = standIn('nats_password');
  const passwordFile = path.join(path.dirname(script), 'password');
  fs.writeFileSync(passwordFile, password, { mode: 0o400 });
  const src = await natsStart(conf, auth, 'src');
  let dst: Awaited<ReturnType<typeof natsStart>> | undefined;
  const MESSAGES = 2000;
  try {
    const t0 = process.hrtime.bigint();
    const c = await NatsWire.connect(src.port, 'platform', password);
    try {
      const created = await c.request(
        '$JS.API.STREAM.CREATE.ORDERS',
        JSON.stringify({ name: 'ORDERS', subjects: ['orders.>'], storage: 'file', num_replicas: 1 }),
      );
      if (/"error"/.test(created)) return { code: 1, out: `stream create: ${created}` };
      for (let i = 1; i <= MESSAGES; i++) {
        const ack = await c.request(`orders.${i}`, `order ${i}`);
        if (!/"seq"/.test(ack)) return { code: 1, out: `publish ${i}: ${ack}` };
      }
      const consumer = await c.request(
        '$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.billing',
        JSON.stringify({ stream_name: 'ORDERS', config: { durable_name: 'billing', ack_policy: 'explicit' } }),
      );
      if (/"error"/.test(consumer)) return { code: 1, out: `consumer create: ${consumer}` };
    } finally {
      c.close();
    }
    const backupDir = scratch('nats-backup');
    const env = { NATS_USER: 'platform', NATS_PASSWORD_FILE: passwordFile };
    const backup = await runNode(script, ['backup', backupDir], { ...env, NATS_URL: `nats://127.0.0.1:${src.port}` });
    if (backup.code !== 0) return { code: 1, out: `nats-backup.mjs backup: ${backup.out}` };
    const backupSeconds = elapsed(t0);
    breakBackup?.(backupDir);
    const t1 = process.hrtime.bigint();
    dst = await natsStart(conf, auth, 'dst');
    const restore = await runNode(script, ['restore', backupDir], { ...env, NATS_URL: `nats://127.0.0.1:${dst.port}` });
    if (restore.code !== 0) return { code: 1, out: `nats-backup.mjs restore: ${restore.out}` };
    const d = await NatsWire.connect(dst.port, 'platform', password);
    try {
      const info = JSON.parse(await d.request('$JS.API.STREAM.INFO.ORDERS', ''));
      const last = JSON.parse(await d.request('$JS.API.STREAM.MSG.GET.ORDERS', JSON.stringify({ last_by_subj: `orders.${MESSAGES}` })));
      const consumer = JSON.parse(await d.request('$JS.API.CONSUMER.INFO.ORDERS.billing', ''));
      const restoreSeconds = elapsed(t1);
      const body = last.message?.data ? Buffer.from(last.message.data, 'base64').toString() : undefined;
      if (info.state?.messages !== MESSAGES) return { code: 1, out: `restored stream: ${JSON.stringify(info.state ?? info)}` };
      if (body !== `order ${MESSAGES}`) return { code: 1, out: `last message: ${JSON.stringify(last)}` };
      if (consumer.name !== 'billing') return { code: 1, out: `consumer billing: ${JSON.stringify(consumer)}` };
      note(
        `  measured: NATS stream of ${MESSAGES} messages with a durable consumer: backup ${backupSeconds.toFixed(1)} s (with seeding), restore into a fresh server ${restoreSeconds.toFixed(1)} s`,
      );
    } finally {
      d.close();
    }
    return { code: 0, out: '' };
  } finally {
    await src.stop();
    await dst?.stop();
  }
}

export async function verifyBackups(artifact: Artifact): Promise<void> {
  const dockerEnvs = envsOf(artifact, 'docker');
  const withPlan = (name: string) =>
    dockerEnvs.map((e) => ({ env: e, spec: e.specs.find((s) => s.name === name && s.backup?.dump) })).find((x) => x.spec);
  const pg = withPlan('postgres');
  if (pg && needs({ [`${PG_BIN}/initdb`]: 'postgresql-15', runuser: 'util-linux' }, 'PostgreSQL restore drill')) {
    const owner = String(pg.spec!.backup!.dump!.env.POSTGRES_USER);
    const database = String(pg.spec!.backup!.dump!.env.POSTGRES_DB);
    await validator(
      `${pg.env.name}: PostgreSQL restore drill (postgres-dump.sh, then globals + pg_restore into a fresh PostgreSQL 15; rows, checksum and application role found)`,
      () => postgresDrill(pg.spec!, owner, database),
      // A dump cut short (an interrupted upload): the restore must fail, never leave an empty table.
      () =>
        postgresDrill(pg.spec!, owner, database, (dir) => {
          const f = path.join(dir, `${database}.dump`);
          fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
        }),
    );
  }
  const redis = withPlan('redis');
  if (redis && needs({ 'redis-server': 'redis-server', 'redis-check-rdb': 'redis-tools' }, 'Redis restore drill')) {
    await validator(
      `${redis.env.name}: Redis restore drill (redis-cli --rdb + redis-check-rdb, the RDB loaded by a fresh redis-server; keys found)`,
      () => redisDrill(redis.spec!),
      // A corrupted copy: a byte flipped in the middle (the RDB's CRC64 no longer matches).
      () =>
        redisDrill(redis.spec!, (f) => {
          const b = fs.readFileSync(f);
          b[Math.floor(b.length / 2)]! ^= 0xff;
          fs.writeFileSync(f, b);
        }),
    );
  }
  const nats = withPlan('nats');
  if (nats && needs({ 'nats-server': 'nats-server' }, 'NATS restore drill')) {
    const files = dockerFiles(artifact, nats.env, 'nats.conf');
    const conf = files.find((f) => f.path.endsWith('nats-server.conf'))!.content;
    const auth = files.find((f) => f.path.endsWith('auth.conf'))!.content;
    await validator(
      `${nats.env.name}: NATS JetStream restore drill (nats-backup.mjs snapshot of a file stream with a durable consumer, restored into a fresh nats-server on the synthesized configuration; messages, last payload and consumer found)`,
      () => natsDrill(nats.spec!, conf, auth),
      () => natsDrill(nats.spec!, conf, auth, (dir) => fs.rmSync(path.join(dir, 'ORDERS', 'stream.tar.s2'))),
    );
    await validator(
      `${nats.env.name}: NATS JetStream restore drill, a truncated snapshot must be refused`,
      () => natsDrill(nats.spec!, conf, auth),
      () =>
        natsDrill(nats.spec!, conf, auth, (dir) => {
          const f = path.join(dir, 'ORDERS', 'stream.tar.s2');
          fs.truncateSync(f, 1000);
        }),
    );
  }
}
