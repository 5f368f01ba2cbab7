/**
 * redis.conf, the auth.conf it includes and the ACL file auth.conf names: a real redis-server started
 * on the synthesized files, its effective settings read back, the generated administrator password
 * required, and each application's ACL user limited to its keys (its own written, another refused,
 * dangerous commands refused). Broken variants: a misspelt eviction policy; no auth.conf; an ACL file
 * without the `default` user (Redis would recreate it without a password).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type Outcome, dockerFiles, needs, sh, standIn, validator, work } from './lib';

const AUTH_PATH = '/usr/local/etc/redis/auth.conf';
const USERS_PATH = '/usr/local/etc/redis/users.acl';

async function redisCheck(conf: string, auth: string, users: string, apps: readonly string[]): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(work, 'redis-'));
  const sock = path.join(dir, 'redis.sock');
  const file = path.join(dir, 'redis.conf');
  // The files' own settings are checked; only where the server listens, writes and finds auth.conf moves.
  fs.writeFileSync(path.join(dir, 'auth.conf'), auth.replace(`aclfile ${USERS_PATH}`, `aclfile ${path.join(dir, 'users.acl')}`), {
    mode: 0o600,
  });
  fs.writeFileSync(path.join(dir, 'users.acl'), users, { mode: 0o600 });
  fs.writeFileSync(
    file,
    conf.replace(/^dir \/data$/m, `dir ${dir}`).replace(`include ${AUTH_PATH}`, `include ${path.join(dir, 'auth.conf')}`),
  );
  const server = spawn('redis-server', [file, '--port', '0', '--unixsocket', sock, '--dir', dir, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number>((resolve) => server.on('exit', (code) => resolve(code ?? -1)));
  try {
    for (let i = 0; i < 50 && !fs.existsSync(sock); i++) {
      const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (done !== undefined) return { code: 1, out: log };
    }
    if (!fs.existsSync(sock)) return { code: 1, out: `redis-server did not start\n${log}` };
    const cli = (password: string, ...args: string[]) => sh('redis-cli', ['-s', sock, '-a', password, '--no-auth-warning', ...args]).out;
    const password = standIn('redis_password');
    if (!cli(`${password}x`, 'PING').includes('WRONGPASS')) return { code: 1, out: 'a wrong password was accepted' };
    if (cli(password, 'PING').trim() !== 'PONG') return { code: 1, out: 'the generated password from auth.conf was refused' };
    const get = (key: string) => cli(password, 'CONFIG', 'GET', key).split('\n')[1];
    const expected: Record<string, string | undefined> = {
      maxmemory: String(512 * 1024 * 1024),
      'maxmemory-policy': 'allkeys-lru',
      appendonly: 'yes',
      appendfsync: 'everysec',
      masterauth: password,
    };
    const wrong = Object.entries(expected).filter(([k, v]) => get(k) !== v);
    if (wrong.length > 0) return { code: 1, out: `unexpected settings: ${wrong.map(([k, v]) => `${k}=${get(k)} (want ${v})`).join(', ')}` };
    for (const app of apps) {
      const as = (...args: string[]) =>
        sh('redis-cli', [
          '-s',
          sock,
          '--user',
          app,
          '-a',
          standIn(`redis_consumer-${app}-password`),
          '--no-auth-warning',
          ...args,
        ]).out.trim();
      if (as('SET', `${app}:verify`, '1') !== 'OK')
        return { code: 1, out: `${app} cannot write its own keys: ${as('SET', `${app}:verify`, '1')}` };
      if (!/NOPERM/.test(as('SET', 'platform:verify', '1'))) return { code: 1, out: `${app} may write another application's keys` };
      if (!/NOPERM/.test(as('FLUSHALL'))) return { code: 1, out: `${app} may run FLUSHALL` };
    }
    return { code: 0, out: log };
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

export async function verifyRedis(artifact: Artifact): Promise<void> {
  if (!needs({ 'redis-server': 'redis-server', 'redis-cli': 'redis-tools' }, 'redis-server')) return;
  for (const env of envsOf(artifact, 'docker').filter((e) => e.specs.some((s) => s.name === 'redis'))) {
    const files = dockerFiles(artifact, env, 'redis.conf');
    const conf = files.find((f) => f.path.endsWith('/redis.conf'))!.content;
    const auth = files.find((f) => f.path === AUTH_PATH)!.content;
    const users = dockerFiles(artifact, env, 'redis-acl').find((f) => f.path === USERS_PATH)!.content;
    const apps = (env.specs.find((x) => x.name === 'redis')!.consumers ?? []).map((c) => c.consumer);
    await validator(
      `${env.name}: redis.conf + auth.conf + users.acl (redis-server started on them; the generated password required; ${apps.join(', ') || 'no'} application user(s) limited to their keys)`,
      () => redisCheck(conf, auth, users, apps),
      () => redisCheck(conf.replace(/^maxmemory-policy \S+$/m, 'maxmemory-policy evict-whatever'), auth, users, apps),
    );
    await validator(
      `${env.name}: redis auth.conf (a server started without it answers without a password: must be rejected)`,
      () => redisCheck(conf, auth, users, apps),
      () => redisCheck(conf, '# no password\n', users, apps),
    );
    await validator(
      `${env.name}: redis users.acl (without its default user Redis recreates it without a password: must be rejected)`,
      () => redisCheck(conf, auth, users, apps),
      () => redisCheck(conf, auth, users.replace(/^user default .*\n/m, ''), apps),
    );
  }
}
