/**
 * The log shipper's read-only proxy of the container engine's API (Docker target): `haproxy -c` on
 * the haproxy.cfg the stack uploads, and a drill with the real HAProxy in front of a stand-in engine
 * on a unix socket: the reads Alloy and cAdvisor make pass (container lists, inspection, logs,
 * events, version), writes and everything else are refused with 403 and never reach the engine.
 * Debian's HAProxy (2.6) is older than the pinned image (3.4); the configuration uses directives both
 * read.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, needs, record, sh, terraformRender, validator, work, write } from './lib';

const CONFIG = '/usr/local/etc/haproxy/haproxy.cfg';

function proxyConfigs(artifact: Artifact): { env: string; content: string }[] {
  return envsOf(artifact, 'docker').flatMap((e) => {
    const tf = artifact.stackJson(e.name);
    const c = tf.resource.docker_container?.['alloy_docker-api'];
    const u = c?.upload?.find((x: { file: string }) => x.file === CONFIG);
    return u ? [{ env: e.name, content: terraformRender(u.content, tf.resource) }] : [];
  });
}

/** The stand-in engine: answers 200 with the request line, and logs every request it gets. */
const ENGINE = `
const http = require('node:http');
const fs = require('node:fs');
const [sock, log] = process.argv.slice(1);
http.createServer((req, res) => { fs.appendFileSync(log, req.method + ' ' + req.url + '\\n'); res.end('engine ' + req.url); }).listen(sock);
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs HAProxy with the configuration in front of a stand-in engine; ok when reads pass and the rest is refused before the engine. */
async function drill(content: string, name: string): Promise<{ ok: boolean; reads: boolean; leaked: number; detail: string }> {
  const dir = fs.mkdtempSync(path.join(work, `docker-api-${name}-`));
  const engineSock = path.join(dir, 'engine.sock');
  const frontSock = path.join(dir, 'front.sock');
  const log = path.join(dir, 'engine.log');
  fs.writeFileSync(log, '');
  const config = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    config,
    content
      .replace('unix@/run/docker-api/docker.sock', `unix@${frontSock}`)
      .replace('unix@/var/run/docker.sock', `unix@${engineSock}`)
      .replace('127.0.0.1:8405', `unix@${path.join(dir, 'health.sock')}`),
  );
  const engine = spawn(process.execPath, ['-e', ENGINE, engineSock, log], { stdio: 'ignore' });
  const proxy = spawn('haproxy', ['-db', '-f', config], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && !(fs.existsSync(frontSock) && fs.existsSync(engineSock)); i++) await sleep(100);
    const ask = (method: string, url: string) =>
      spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', frontSock, '-X', method, `http://engine${url}`], {
        encoding: 'utf8',
        timeout: 10_000,
      }).stdout;
    const paths = [
      '/_ping',
      '/v1.47/version',
      '/v1.47/containers/json?all=1',
      '/v1.47/containers/abc123/json',
      '/v1.47/containers/abc123/logs?stdout=1',
      '/v1.47/events',
    ];
    const refused = [
      ['POST', '/v1.47/containers/create'],
      ['POST', '/v1.47/containers/abc123/exec'],
      ['DELETE', '/v1.47/containers/abc123'],
      ['GET', '/v1.47/images/json'],
      ['GET', '/v1.47/secrets'],
      ['GET', '/v1.47/containers/abc123/archive?path=/etc'],
    ] as const;
    const readCodes = paths.map((u) => `GET ${u} ${ask('GET', u)}`);
    const refusedCodes = refused.map(([m, u]) => `${m} ${u} ${ask(m, u)}`);
    const reached = fs.readFileSync(log, 'utf8');
    const leaked = refused.filter(([m, u]) => reached.includes(`${m} ${u}`));
    const readsPass = readCodes.every((l) => l.endsWith(' 200'));
    const ok = readsPass && refusedCodes.every((l) => l.endsWith(' 403')) && leaked.length === 0;
    return {
      ok,
      reads: readsPass,
      leaked: leaked.length,
      detail: [...readCodes, ...refusedCodes, `the engine saw:\n${reached}`].join('\n'),
    };
  } finally {
    proxy.kill('SIGTERM');
    engine.kill('SIGTERM');
  }
}

export async function verifyDockerApiProxy(artifact: Artifact): Promise<void> {
  if (!needs({ haproxy: 'haproxy', curl: 'curl' }, 'haproxy -c')) return;
  for (const { env, content } of proxyConfigs(artifact)) {
    const label = `${env}: the read-only proxy of the container engine's API`;
    const file = (name: string, text: string) =>
      write(
        `docker-api/${env}-${name}`,
        text.replace('unix@/run/docker-api/docker.sock', `unix@${path.join(work, `docker-api-${env}-${name}.sock`)}`),
      );
    await validator(
      `${label} (haproxy -c)`,
      () => sh('haproxy', ['-c', '-f', file('haproxy.cfg', content)]),
      () => sh('haproxy', ['-c', '-f', file('broken.cfg', content.replace('acl read method GET HEAD', 'acl read methd GET HEAD'))]),
    );
    const good = await drill(content, `${env}-good`);
    record(
      `${label}: reads pass, writes and everything else are refused before the engine (HAProxy in front of a stand-in engine)`,
      good.ok,
      good.ok ? '' : good.detail,
    );
    // The drill must fail a proxy without its deny rule (a write reaches the engine).
    const open = await drill(content.replace(/ {2}http-request deny unless read allowed\n/, ''), `${env}-open`);
    // It must have run: the reads pass, and the writes reach the stand-in engine.
    const caught = !open.ok && open.reads && open.leaked > 0;
    record(`${label}: the drill rejects a proxy without its deny rule`, caught, caught ? '' : open.detail);
  }
}
