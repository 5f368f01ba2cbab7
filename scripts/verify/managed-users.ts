/**
 * The users jobs of the AWS stacks' managed services that are set up over HTTP, run for real against
 * a stand-in of the service's API (a local HTTP server recording the requests; no OpenSearch or
 * Amazon MQ here): the master fetched by the job's first container (fetch-secret.sh, under busybox)
 * authenticates every call; every call is a PUT of a JSON body; a second run sends the same.
 * - OpenSearch (security plugin REST API): each application's internal user with its current
 *   password, its role with exactly its index patterns, the role mapping naming it alone. Broken
 *   variant: the script without its role mappings.
 * - Amazon MQ (RabbitMQ management API): each application's vhost, its user with its current
 *   password and no tag, its permissions on its vhost alone. Broken variant: the user given the
 *   administrator tag.
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

interface Request {
  readonly method: string;
  readonly url: string;
  readonly auth: string;
  readonly body: string;
}

/** What the recorded requests of one run must show (problems, in words). */
type Expectation = (requests: readonly Request[], password: (consumer: string) => string) => string[];

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

export async function usersCheck(
  fetchScript: string,
  usersScript: string,
  consumers: readonly string[],
  expectation: Expectation,
  apiVariable: string,
  label: string,
): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(work, `users-${label}-`));
  for (const d of ['master', 'inputs', 'bin']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  for (const tool of ['sh', 'awk']) fs.symlinkSync('/usr/bin/busybox', path.join(dir, 'bin', tool));
  fs.writeFileSync(path.join(dir, 'response.json'), JSON.stringify({ ARN: 'arn:x', SecretString: JSON.stringify(MASTER) }));
  const requests: Request[] = [];
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
      [apiVariable]: `http://127.0.0.1:${port}/`,
    };
    const password = (consumer: string) => `${consumer}Pw1`;
    for (const c of consumers) fs.writeFileSync(path.join(dir, 'inputs', c), password(c));
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
    problems.push(...expectation(half, password));
    return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: problems.join('\n') };
  } finally {
    server.close();
  }
}

const openSearch =
  (apps: readonly App[]): Expectation =>
  (requests, password) => {
    const problems: string[] = [];
    const at = (p: string) => requests.find((q) => q.url === `/_plugins/_security/api/${p}`);
    for (const a of apps) {
      const user = at(`internalusers/${a.user}`);
      if (!user || JSON.parse(user.body).password !== password(a.consumer))
        problems.push(`${a.user}: its internal user is not put with its password`);
      const role = at(`roles/${a.role}`);
      const patterns = role ? JSON.parse(role.body).index_permissions?.flatMap((p: any) => p.index_patterns) : undefined;
      if (JSON.stringify(patterns) !== JSON.stringify(a.indices))
        problems.push(`${a.role}: index patterns ${JSON.stringify(patterns)}, not ${JSON.stringify(a.indices)}`);
      const mapping = at(`rolesmapping/${a.role}`);
      if (!mapping || JSON.stringify(JSON.parse(mapping.body).users) !== JSON.stringify([a.user]))
        problems.push(`${a.role}: not mapped to ${a.user} alone`);
    }
    return problems;
  };

const broker =
  (apps: readonly { consumer: string; vhost: string }[]): Expectation =>
  (requests, password) => {
    const problems: string[] = [];
    const at = (...p: string[]) => requests.find((q) => q.url === `/api/${p.map(encodeURIComponent).join('/')}`);
    for (const a of apps) {
      if (!at('vhosts', a.vhost)) problems.push(`vhost ${a.vhost} is not put`);
      const user = at('users', a.consumer);
      const body = user ? JSON.parse(user.body) : undefined;
      if (!body || body.password !== password(a.consumer)) problems.push(`${a.consumer}: its user is not put with its password`);
      if (body && body.tags !== '') problems.push(`${a.consumer}: tags ${JSON.stringify(body.tags)} (no tag: no management access)`);
      const grants = requests.filter((q) => q.url.startsWith('/api/permissions/') && q.url.endsWith(`/${encodeURIComponent(a.consumer)}`));
      if (grants.length !== 1 || grants[0]!.url !== `/api/permissions/${encodeURIComponent(a.vhost)}/${encodeURIComponent(a.consumer)}`)
        problems.push(
          `${a.consumer}: permissions on ${grants.map((g) => g.url).join(', ') || 'nothing'}, not on its vhost ${a.vhost} alone`,
        );
    }
    return problems;
  };

const scriptsOf = (job: any) => ({
  fetch: literal(job.spec.template.spec.init_container[0].command[2]),
  users: literal(job.spec.template.spec.container[0].command[2]),
});

export async function verifyManagedUsers(artifact: Artifact): Promise<void> {
  if (!needs({ curl: 'curl', busybox: 'busybox' }, 'managed users jobs')) return;
  let checked = 0;
  for (const env of envsOf(artifact, 'aws')) {
    const jobs = artifact.stackJson(env.name).resource?.kubernetes_job_v1 ?? {};
    if (jobs.opensearch_users) {
      const { fetch, users } = scriptsOf(jobs.opensearch_users);
      const apps = (env.specs.find((s) => s.name === 'elasticsearch')!.facet as { applications: App[] }).applications;
      const consumers = apps.map((a) => a.consumer);
      checked++;
      await validator(
        `${env.name}: OpenSearch users job (${consumers.join(', ')}): as the fetched master user, each application's user, role and mapping put (a stand-in of the security REST API)`,
        () => usersCheck(fetch, users, consumers, openSearch(apps), 'OPENSEARCH_URL', `${env.name}-os-good`),
        () =>
          usersCheck(
            fetch,
            users
              .split('\n')
              .filter((l) => !l.includes('rolesmapping'))
              .join('\n'),
            consumers,
            openSearch(apps),
            'OPENSEARCH_URL',
            `${env.name}-os-bad`,
          ),
      );
    }
    if (jobs.rabbitmq_users) {
      const { fetch, users } = scriptsOf(jobs.rabbitmq_users);
      const apps = (env.specs.find((s) => s.name === 'rabbitmq')!.consumers ?? [])
        .filter((c) => c.platform === undefined)
        .map((c) => ({ consumer: c.consumer, vhost: String(c.facts.vhost) }));
      const consumers = apps.map((a) => a.consumer);
      checked++;
      await validator(
        `${env.name}: Amazon MQ users job (${consumers.join(', ')}): as the fetched administrator, each application's vhost, user (no tag) and permissions there put (a stand-in of the management API)`,
        () => usersCheck(fetch, users, consumers, broker(apps), 'RABBITMQ_API', `${env.name}-mq-good`),
        // An application given the administrator tag.
        () =>
          usersCheck(
            fetch,
            users.replaceAll('\\"tags\\":\\"\\"', '\\"tags\\":\\"administrator\\"'),
            consumers,
            broker(apps),
            'RABBITMQ_API',
            `${env.name}-mq-bad`,
          ),
      );
    }
  }
  if (checked === 0) note('no AWS stack with a managed OpenSearch or Amazon MQ users job: nothing to run');
}
