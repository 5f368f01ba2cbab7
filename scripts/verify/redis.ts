/** redis.conf: a real redis-server started on the synthesized file, its effective settings read back. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, dockerFiles, needs, sh, validator, work } from './lib';

async function redisCheck(conf: string): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(work, 'redis-'));
  const sock = path.join(dir, 'redis.sock');
  const file = path.join(dir, 'redis.conf');
  // The file's own settings are checked; only where it listens and writes is moved into the scratch directory.
  fs.writeFileSync(file, conf.replace(/^dir \/data$/m, `dir ${dir}`));
  const server = spawn(
    'redis-server',
    [file, '--port', '0', '--unixsocket', sock, '--dir', dir, '--requirepass', 'VerifyPassword0', '--daemonize', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
    const get = (key: string) =>
      sh('redis-cli', ['-s', sock, '-a', 'VerifyPassword0', '--no-auth-warning', 'CONFIG', 'GET', key]).out.split('\n')[1];
    const expected: Record<string, string | undefined> = {
      maxmemory: String(512 * 1024 * 1024),
      'maxmemory-policy': 'allkeys-lru',
      appendonly: 'yes',
      appendfsync: 'everysec',
    };
    const wrong = Object.entries(expected).filter(([k, v]) => get(k) !== v);
    return wrong.length === 0
      ? { code: 0, out: log }
      : { code: 1, out: `unexpected settings: ${wrong.map(([k, v]) => `${k}=${get(k)} (want ${v})`).join(', ')}` };
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

export async function verifyRedis(artifact: Artifact): Promise<void> {
  if (!needs({ 'redis-server': 'redis-server', 'redis-cli': 'redis-tools' }, 'redis-server')) return;
  const [conf] = dockerFiles(artifact, artifact.envs.get('development')!, 'redis.conf');
  const good = await redisCheck(conf!.content);
  const bad = await redisCheck(conf!.content.replace('maxmemory-policy allkeys-lru', 'maxmemory-policy evict-whatever'));
  await validator(
    'redis.conf (redis-server started on it)',
    () => good,
    () => bad,
  );
}
