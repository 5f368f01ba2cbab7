/**
 * nats.conf and its auth.conf: the server's own configuration test (`nats-server -t`), then a real
 * server started on them, where the generated password logs in (against the bcrypt hash in
 * auth.conf) and a wrong one is refused.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type Outcome, bcryptOf, dockerFiles, needs, sh, standIn, validator, work } from './lib';
import { NatsWire } from './nats-wire';

export async function verifyNats(artifact: Artifact): Promise<void> {
  if (!needs({ 'nats-server': 'nats-server' }, 'nats-server -t')) return;
  for (const dev of envsOf(artifact, 'docker')) {
    const files = dockerFiles(artifact, dev, 'nats.conf');
    const conf = files.find((f) => f.path.endsWith('nats-server.conf'))!;
    const auth = files.find((f) => f.path.endsWith('auth.conf'))!;
    const dir = (label: string, confText: string, authText: string) => {
      const d = fs.mkdtempSync(path.join(work, `nats-${label}-`));
      fs.writeFileSync(path.join(d, 'nats-server.conf'), confText.replace('"/data/jetstream"', JSON.stringify(path.join(d, 'js'))));
      fs.writeFileSync(path.join(d, 'auth.conf'), authText, { mode: 0o600 });
      return d;
    };
    await validator(
      `${dev.name}: nats.conf + auth.conf (nats-server -t)`,
      () => sh('nats-server', ['-t', '-c', path.join(dir('t', conf.content, auth.content), 'nats-server.conf')]),
      // A misspelt key inside the jetstream block must be caught.
      () =>
        sh('nats-server', [
          '-t',
          '-c',
          path.join(
            dir('t-bad', conf.content.replace('jetstream {', 'jetstream {\n  max_memory_stor: 1'), auth.content),
            'nats-server.conf',
          ),
        ]),
    );
    const password = standIn('nats_password');
    await validator(
      `${dev.name}: NATS: the generated password logs in against the bcrypt hash in auth.conf, a wrong one is refused`,
      () => login(dir('login', conf.content, auth.content), password),
      // auth.conf holding the hash of another password: the generated one must not get in.
      () =>
        login(
          dir(
            'login-bad',
            conf.content,
            auth.content.replace(/"\$2a\$[^"]+"/, () => JSON.stringify(bcryptOf('AnotherPassword0'))),
          ),
          password,
        ),
    );
  }
}

async function login(dir: string, password: string): Promise<Outcome> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('nats-server', ['-c', path.join(dir, 'nats-server.conf'), '-a', '127.0.0.1', '-p', String(port), '-m', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  try {
    for (let i = 0; i < 50 && !log.includes('Server is ready'); i++) await new Promise((r) => setTimeout(r, 100));
    if (!log.includes('Server is ready')) return { code: 1, out: `nats-server did not start:\n${log}` };
    const good = await NatsWire.connect(port, 'platform', password).then(
      (c) => (c.close(), 'ok'),
      (e: Error) => e.message,
    );
    const wrong = await NatsWire.connect(port, 'platform', `${password}x`).then(
      (c) => (c.close(), 'ok'),
      (e: Error) => e.message,
    );
    if (good !== 'ok') return { code: 1, out: `the generated password was refused: ${good}` };
    if (wrong === 'ok') return { code: 1, out: 'a wrong password was accepted' };
    return { code: 0, out: '' };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}
