/**
 * nats.conf and its auth.conf: the server's own configuration test (`nats-server -t`), then a real
 * server started on them, where the generated password logs in (against the bcrypt hash in
 * auth.conf) and a wrong one is refused; each application's user (the users array) logs in with its
 * own password and may publish and subscribe on its subjects only (broken variant: its permissions
 * left out, so it may use any subject).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type Outcome, bcryptOf, dockerFiles, needs, sh, standIn, validator, work, freePort } from './lib';
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
    const apps = (dev.specs.find((x) => x.name === 'nats')?.consumers ?? []).map((a) => ({
      name: a.consumer,
      subject: `${String(a.facts.subjects).split(' ')[0]!.replace(/\.>$/, '')}.verify`,
    }));
    if (apps.length > 0) {
      await validator(
        `${dev.name}: NATS users array: ${apps.map((a) => a.name).join(', ')} log in with their own passwords and are limited to their subjects`,
        () => applications(dir('apps', conf.content, auth.content), apps),
        () => applications(dir('apps-bad', conf.content, auth.content.replace(/, permissions: \{.*\}\}$/m, '}')), apps),
      );
    }
  }
}

/** Each application's user: logs in, uses its own subjects, is refused another's and everything. */
async function applications(dir: string, apps: readonly { name: string; subject: string }[]): Promise<Outcome> {
  return withServer(dir, async (port) => {
    for (const app of apps) {
      const c = await NatsWire.connect(port, app.name, standIn(`nats_consumer-${app.name}-password`)).catch((e: Error) => e);
      if (c instanceof Error) return { code: 1, out: `${app.name} was refused: ${c.message}` };
      try {
        const own = await c.allowed('PUB', app.subject);
        const ownSub = await c.allowed('SUB', app.subject);
        const other = await c.allowed('PUB', 'platform.internal');
        const everything = await c.allowed('SUB', '>');
        if (own !== 'ok' || ownSub !== 'ok') return { code: 1, out: `${app.name} may not use ${app.subject}: ${own} ${ownSub}` };
        if (!/Permissions Violation/.test(other)) return { code: 1, out: `${app.name} may publish to platform.internal` };
        if (!/Permissions Violation/.test(everything)) return { code: 1, out: `${app.name} may subscribe to every subject` };
      } finally {
        c.close();
      }
    }
    return { code: 0, out: '' };
  });
}

async function withServer(dir: string, body: (port: number) => Promise<Outcome>): Promise<Outcome> {
  const port = freePort();
  const server = spawn('nats-server', ['-c', path.join(dir, 'nats-server.conf'), '-a', '127.0.0.1', '-p', String(port), '-m', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  try {
    for (let i = 0; i < 50 && !log.includes('Server is ready'); i++) await new Promise((r) => setTimeout(r, 100));
    if (!log.includes('Server is ready')) return { code: 1, out: `nats-server did not start:\n${log}` };
    return await body(port);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

async function login(dir: string, password: string): Promise<Outcome> {
  const port = freePort();
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
