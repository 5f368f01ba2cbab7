/**
 * The OpenSearch users job of every AWS stack with a managed OpenSearch domain, run for real against
 * a stand-in of the security plugin's REST API (a local HTTP server recording the requests; no
 * OpenSearch here): the master fetched by the job's first container (fetch-secret.sh, under busybox)
 * authenticates every call; each application's internal user gets its current password, its role
 * exactly its index patterns, and the role mapping names it; every body is JSON; a second run sends
 * the same. Broken variant: the script without its role mappings must be caught.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { type Artifact, envsOf, type Outcome, needs, note, validator, work } from './lib';

interface App {
  readonly consumer: string;
  readonly user: string;
  readonly role: string;
  readonly indices: readonly string[];
}

const MASTER = { username: 'platform', password: 'Ma5ter-_.~+pw' };
const literal = (s: string) => s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');

const run = (script: string, env: Record<string, string>): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });

export async function usersCheck(fetchScript: string, usersScript: string, apps: readonly App[], label: string): Promise<Outcome> {
  const dir = path.join(work, `opensearch-${label}`);
  for (const d of ['master', 'inputs', 'bin']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  for (const tool of ['sh', 'awk']) fs.symlinkSync('/usr/bin/busybox', path.join(dir, 'bin', tool));
  fs.writeFileSync(path.join(dir, 'response.json'), JSON.stringify({ ARN: 'arn:x', SecretString: JSON.stringify(MASTER) }));
  const requests: { method: string; url: string; auth: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"OK"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const fetch = await run(fetchScript, {
      PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
      SECRET_ARN: 'arn:x',
      AWS_REGION: 'eu-west-1',
      OUT_DIR: path.join(dir, 'master'),
      SECRET_RESPONSE_FILE: path.join(dir, 'response.json'),
    });
    if (fetch.code !== 0) return { code: 1, out: `fetch-secret.sh failed: ${fetch.out}` };
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: dir,
      MASTER_DIR: path.join(dir, 'master'),
      INPUTS_DIR: path.join(dir, 'inputs'),
      OPENSEARCH_URL: `http://127.0.0.1:${port}/`,
    };
    for (const a of apps) fs.writeFileSync(path.join(dir, 'inputs', a.consumer), `${a.consumer}-Pw1.`);
    for (const round of [1, 2]) {
      const r = await run(usersScript, env);
      if (r.code !== 0) return { code: 1, out: `the users script failed (run ${round}): ${r.out}` };
    }
    const problems: string[] = [];
    const auth = `Basic ${Buffer.from(`${MASTER.username}:${MASTER.password}`).toString('base64')}`;
    const half = requests.slice(0, requests.length / 2);
    if (JSON.stringify(half) !== JSON.stringify(requests.slice(requests.length / 2))) problems.push('a second run sends other requests');
    for (const q of requests) {
      if (q.method !== 'PUT') problems.push(`${q.method} ${q.url}: only PUTs are expected`);
      if (q.auth !== auth) problems.push(`${q.url}: not authenticated as the master user`);
      try {
        JSON.parse(q.body);
      } catch {
        problems.push(`${q.url}: the body is no JSON: ${q.body}`);
      }
    }
    const at = (p: string) => half.find((q) => q.url === `/_plugins/_security/api/${p}`);
    for (const a of apps) {
      const user = at(`internalusers/${a.user}`);
      if (!user || JSON.parse(user.body).password !== `${a.consumer}-Pw1.`)
        problems.push(`${a.user}: its internal user is not put with its password`);
      const role = at(`roles/${a.role}`);
      const patterns = role ? JSON.parse(role.body).index_permissions?.flatMap((p: any) => p.index_patterns) : undefined;
      if (JSON.stringify(patterns) !== JSON.stringify(a.indices))
        problems.push(`${a.role}: index patterns ${JSON.stringify(patterns)}, not ${JSON.stringify(a.indices)}`);
      const mapping = at(`rolesmapping/${a.role}`);
      if (!mapping || JSON.stringify(JSON.parse(mapping.body).users) !== JSON.stringify([a.user]))
        problems.push(`${a.role}: not mapped to ${a.user} alone`);
    }
    return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: problems.join('\n') };
  } finally {
    server.close();
  }
}

export async function verifyManagedOpensearch(artifact: Artifact): Promise<void> {
  const name = 'OpenSearch users job';
  if (!needs({ curl: 'curl', busybox: 'busybox' }, name)) return;
  let checked = 0;
  for (const env of envsOf(artifact, 'aws')) {
    const job = artifact.stackJson(env.name).resource?.kubernetes_job_v1?.opensearch_users;
    if (!job) continue;
    const pod = job.spec.template.spec;
    const fetchScript = literal(pod.init_container[0].command[2]);
    const usersScript = literal(pod.container[0].command[2]);
    const apps = (env.specs.find((s) => s.name === 'elasticsearch')!.facet as { applications: App[] }).applications;
    checked++;
    await validator(
      `${env.name}: OpenSearch users job (${apps.map((a) => a.user).join(', ')}): as the fetched master user, each application's user, role and mapping put (a stand-in of the security REST API)`,
      () => usersCheck(fetchScript, usersScript, apps, `${env.name}-good`),
      () =>
        usersCheck(
          fetchScript,
          usersScript
            .split('\n')
            .filter((l) => !l.includes('rolesmapping'))
            .join('\n'),
          apps,
          `${env.name}-bad`,
        ),
    );
  }
  if (checked === 0) note('no AWS stack asks for OpenSearch: the users job is not run (test/aws.test.ts covers its synthesis)');
}
