/**
 * Neo4j's health check, run for real with GNU wget (the Neo4j image's; it has no curl) against a
 * stand-in for Neo4j's HTTP API on the loopback interface: the synthesized check of the host
 * scenario's Docker stack, with the secret file written as the container gets it and only the port
 * and file paths rewritten. The stand-in answers the Cypher endpoint only with the generated
 * credentials (HTTP basic, as Neo4j asks them), and while the request is open it reads every
 * process's command line (/proc/<pid>/cmdline, what `ps` on the host shows) for the password.
 *
 * Checked: the check passes with the generated password, leaves no credentials file behind, and no
 * command line carries the password. Broken variants: a wrong password in the secret file (the
 * check must fail), and the check as it was before issue 12 (`wget --password="$(cut ...)"`), whose
 * command line the stand-in must catch.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, needs, terraformRender, validator, work } from './lib';
import { freePorts } from './cluster-lib';

const AUTH = '/run/secrets/neo4j-auth';
const PORT = 7474;

/** The stand-in: 200 for the Cypher endpoint with the right credentials, 401 otherwise; reports command lines holding the password. */
const STAND_IN = `
const http = require('node:http');
const fs = require('node:fs');
const [port, user, password] = process.argv.slice(1);
const seen = [];
http.createServer((req, res) => {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p) && p !== String(process.pid))) {
    try {
      const cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
      if (cmd.includes(password)) seen.push(cmd.split('\\0').join(' ').slice(0, 200));
    } catch {}
  }
  req.resume();
  req.on('end', () => {
    const ok = req.headers.authorization === 'Basic ' + Buffer.from(user + ':' + password).toString('base64');
    if (req.method !== 'POST' || req.url !== '/db/neo4j/tx/commit' || !ok) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Neo4j"' });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"results":[{"columns":["1"],"data":[{"row":[1]}]}],"errors":[]}');
  });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'));
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify(seen) + '\\n'); process.exit(0); });
`;

async function probe(script: string, authContent: string, expectedPassword: string): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(work, 'neo4j-health-'));
  const [port] = (await freePorts(1)) as [number];
  const authFile = path.join(dir, 'neo4j-auth');
  fs.writeFileSync(authFile, authContent, { mode: 0o440 });
  const wgetrc = /f=(\S+) &&/.exec(script)?.[1];
  const rewritten = script
    .replaceAll(AUTH, authFile)
    .replaceAll(`127.0.0.1:${PORT}`, `127.0.0.1:${port}`)
    .replaceAll(wgetrc ?? '\0', path.join(dir, 'wgetrc'));
  const server = spawn(process.execPath, ['-e', STAND_IN, String(port), 'neo4j', expectedPassword], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    const check = await new Promise<Outcome>((resolve) => {
      const p = spawn('sh', ['-c', rewritten], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, out: text });
      });
    });
    server.kill('SIGTERM');
    await new Promise((r) => server.once('close', r));
    const seen = JSON.parse(out.split('\n').find((l) => l.startsWith('[')) ?? '[]') as string[];
    const left = fs.readdirSync(dir).filter((f) => f !== 'neo4j-auth');
    const problems = [
      ...(check.code !== 0 ? [`the check exited ${check.code} ${check.out}`] : []),
      ...seen.map((cmd) => `a command line carries the password: ${cmd}`),
      ...(left.length > 0 ? [`files left behind: ${left.join(', ')}`] : []),
    ];
    return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: problems.join('\n') };
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function verifyNeo4jHealth(artifact: Artifact): Promise<void> {
  if (!needs({ wget: 'wget (GNU, as in the Neo4j image)' }, 'Neo4j health check')) return;
  const tf = artifact.stackJson('host');
  const neo4j = tf.resource.docker_container.neo4j;
  const test = neo4j.healthcheck.test as string[];
  // The check itself (`sh -c`), behind the stopped-dump supervisor's window gate where backups are on.
  const at = test.findIndex((a, k) => a === 'sh' && test[k + 1] === '-c');
  if (at < 0) throw new Error('the Neo4j health check is no longer sh -c');
  const script = test[at + 2]!;
  const upload = neo4j.upload.find((u: { file: string }) => u.file === AUTH);
  const auth = terraformRender(upload.content, tf.resource);
  const password = auth.slice(auth.indexOf('/') + 1);
  const health = terraformRender(script, tf.resource);
  await validator(
    'Neo4j health check (GNU wget, stand-in HTTP API): passes with the generated password, leaves no credentials file',
    () => probe(health, auth, password),
    () => probe(health, auth, `${password}Rotated`),
  );
  // The check before issue 12, for the stand-in to catch.
  const before = `wget -q -O /dev/null --user=neo4j --password="$(cut -d/ -f2- ${AUTH})" --header="Content-Type: application/json" --post-data='{"statements":[{"statement":"RETURN 1"}]}' http://127.0.0.1:${PORT}/db/neo4j/tx/commit`;
  await validator(
    'Neo4j health check: no command line carries the password while it runs (/proc/<pid>/cmdline, what ps shows)',
    () => probe(health, auth, password),
    () => probe(before, auth, password),
  );
  // The stopped-dump window (Docker): the supervisor's `health` passes while the window it wrote is
  // open, whatever the server answers, and runs the check itself otherwise.
  if (test.slice(1, 4).join(' ') === `/bin/sh ${SUPERVISOR} health`) {
    const supervisor = neo4j.upload.find((u: { file: string }) => u.file === SUPERVISOR);
    const gated = (until: number | undefined) => {
      const staging = fs.mkdtempSync(path.join(work, 'neo4j-window-'));
      const file = path.join(staging, 'supervisor.sh');
      fs.writeFileSync(file, terraformRender(supervisor.content, tf.resource));
      if (until !== undefined) fs.writeFileSync(path.join(staging, '.window'), `${until}\n`);
      return `STAGING='${staging}' /bin/sh '${file}' health sh -c ${shQuote(health)}`;
    };
    const now = Math.floor(Date.now() / 1000);
    await validator(
      'Neo4j health check in the stopped-dump window: passes while the window is open even when the server does not answer',
      () => probe(gated(now + 600), auth, `${password}Rotated`),
      () => probe(gated(now - 1), auth, `${password}Rotated`),
    );
    await validator(
      'Neo4j health check outside the window: the supervisor runs the check itself (passes with the generated password)',
      () => probe(gated(undefined), auth, password),
      () => probe(gated(undefined), auth, `${password}Rotated`),
    );
  }
}

const SUPERVISOR = '/usr/local/bin/stopped-dump-supervisor.sh';
const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
