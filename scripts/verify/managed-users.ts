/**
 * The users jobs of the AWS stacks' managed services that are set up over HTTP, run for real against
 * a stand-in of the service's API (a local HTTP server recording the requests and keeping what was
 * put, answering 404 to the DELETE of something absent; no OpenSearch or Amazon MQ here): the master
 * fetched by the job's first container (fetch-secret.sh, under busybox) authenticates every call;
 * every call is a PUT of a JSON body (or a DELETE); a second run sends the same.
 * - OpenSearch (security plugin REST API): each password application's internal user with its
 *   current password, its role with exactly its index patterns, the role mapping naming it alone.
 *   Broken variant: the script without its role mappings.
 * - OpenSearch, applications on IAM authentication, run on a domain as the switch finds it (the IAM
 *   application still has the internal user of its password days, a password application still has
 *   an IAM role as backend role in its mapping): afterwards the IAM application's role is mapped to
 *   its IAM role's ARN (the stack's `aws_iam_role` whose policy holds its es:ESHttp* statement) and
 *   to no user, its internal user is gone, and the password application's mapping names its user and
 *   no backend role. Broken variant: the script without the deletion of the old internal user.
 * - Amazon MQ (RabbitMQ management API): each application's vhost, its user with its current
 *   password and no tag, its permissions on its vhost alone. Broken variant: the user given the
 *   administrator tag.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { type Artifact, envsOf, type Outcome, needs, note, validator, work } from './lib';
import { openSearchHttpSid } from '../../constructs/render/aws/elasticsearch';

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

/**
 * What the recorded requests of one run, and what the stand-in holds after both runs (path under
 * the API -> the JSON put), must show (problems, in words).
 */
type Expectation = (requests: readonly Request[], password: (consumer: string) => string, state: ReadonlyMap<string, string>) => string[];

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
  extra: {
    /** More environment of the users script. */
    readonly env?: Readonly<Record<string, string>>;
    /** What the stand-in holds before the first run (URL path -> JSON). */
    readonly seed?: Readonly<Record<string, string>>;
  } = {},
): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(work, `users-${label}-`));
  for (const d of ['master', 'inputs', 'bin']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  for (const tool of ['sh', 'awk']) fs.symlinkSync('/usr/bin/busybox', path.join(dir, 'bin', tool));
  fs.writeFileSync(path.join(dir, 'response.json'), JSON.stringify({ ARN: 'arn:x', SecretString: JSON.stringify(MASTER) }));
  const requests: Request[] = [];
  const state = new Map<string, string>(Object.entries(extra.seed ?? {}));
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = req.url ?? '';
      requests.push({ method: req.method ?? '', url, auth: req.headers.authorization ?? '', body });
      // The security plugin's answer to the DELETE of an absent object.
      if (req.method === 'DELETE' && !state.delete(url))
        return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"NOT_FOUND"}');
      if (req.method === 'PUT') state.set(url, body);
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
      ...extra.env,
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
      if (q.method !== 'PUT' && q.method !== 'DELETE') problems.push(`${q.method} ${q.url}: only PUTs and DELETEs are expected`);
      if (q.auth !== auth) problems.push(`${q.url}: not authenticated as the master user`);
      if (q.method === 'PUT')
        try {
          JSON.parse(q.body);
        } catch {
          problems.push(`${q.url}: the body is no JSON: ${q.body}`);
        }
    }
    problems.push(...expectation(half, password, state));
    return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: problems.join('\n') };
  } finally {
    server.close();
  }
}

const SECURITY_API = '/_plugins/_security/api';

const openSearch =
  (apps: readonly App[]): Expectation =>
  (requests, password) => {
    const problems: string[] = [];
    const at = (p: string) => requests.find((q) => q.url === `${SECURITY_API}/${p}`);
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

/**
 * After a run on a domain as a switch finds it: each IAM application's role mapped to its IAM role's
 * ARN alone (no user), its internal user gone; each password application's internal user there with
 * its password, its mapping naming it and no backend role.
 */
const openSearchIam =
  (apps: readonly App[], iamArns: ReadonlyMap<string, string>): Expectation =>
  (_requests, password, state) => {
    const problems: string[] = [];
    const held = (p: string) => {
      const body = state.get(`${SECURITY_API}/${p}`);
      return body === undefined ? undefined : JSON.parse(body);
    };
    for (const a of apps) {
      const mapping = held(`rolesmapping/${a.role}`);
      const arn = iamArns.get(a.consumer);
      if (!held(`roles/${a.role}`)) problems.push(`${a.role}: not put`);
      if (arn !== undefined) {
        if (JSON.stringify(mapping?.backend_roles) !== JSON.stringify([arn]))
          problems.push(`${a.role}: backend roles ${JSON.stringify(mapping?.backend_roles)}, not its IAM role ${arn} alone`);
        if ((mapping?.users ?? []).length !== 0) problems.push(`${a.role}: still mapped to users ${JSON.stringify(mapping.users)}`);
        if (held(`internalusers/${a.user}`) !== undefined)
          problems.push(`${a.user}: its internal user (and password) from before IAM authentication is still there`);
      } else {
        if (held(`internalusers/${a.user}`)?.password !== password(a.consumer))
          problems.push(`${a.user}: its internal user is not there with its password`);
        if (JSON.stringify(mapping?.users) !== JSON.stringify([a.user])) problems.push(`${a.role}: not mapped to ${a.user} alone`);
        if ((mapping?.backend_roles ?? []).length !== 0)
          problems.push(`${a.role}: keeps the backend roles ${JSON.stringify(mapping.backend_roles)} it had on IAM authentication`);
      }
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
      const stack = artifact.stackJson(env.name);
      const { fetch, users } = scriptsOf(jobs.opensearch_users);
      const all = (env.specs.find((s) => s.name === 'elasticsearch')!.facet as { applications: (App & { auth: string })[] }).applications;
      const apps = all.filter((a) => a.auth !== 'iam');
      const consumers = apps.map((a) => a.consumer);
      // The account part of the IAM roles' ARNs (an expression of the stack's where no accountId is set).
      const prefix = 'arn:aws:iam::111122223333:role/';
      const base = { env: { IAM_ROLE_ARN_PREFIX: prefix } };
      checked++;
      await validator(
        `${env.name}: OpenSearch users job (${consumers.join(', ')}): as the fetched master user, each password application's user, role and mapping put (a stand-in of the security REST API)`,
        () => usersCheck(fetch, users, consumers, openSearch(apps), 'OPENSEARCH_URL', `${env.name}-os-good`, base),
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
            base,
          ),
      );
      const iam = all.filter((a) => a.auth === 'iam');
      if (iam.length > 0) {
        // The IAM role each is to be mapped to: the stack's role whose policy holds its es:ESHttp* statement
        // (found by its Sid: the policy's text holds Terraform expressions, not plain JSON).
        const policies = Object.values(stack.resource?.aws_iam_role_policy ?? {}) as { role: string; policy: string }[];
        const iamArns = new Map<string, string>();
        for (const a of iam) {
          const policy = policies.find((p) => p.policy.includes(`"Sid":"${openSearchHttpSid(a.consumer)}"`));
          const role = /^\$\{aws_iam_role\.([^.]+)\.id\}$/.exec(policy?.role ?? '')?.[1];
          const name = role ? stack.resource.aws_iam_role[role]?.name : undefined;
          if (!name) throw new Error(`${env.name}: no IAM role holds consumer ${a.consumer}'s ${openSearchHttpSid(a.consumer)} statement`);
          iamArns.set(a.consumer, `${prefix}${name}`);
        }
        // The domain as the switch finds it: IAM applications with their old internal users, password
        // applications mapped to an IAM role as well (back from IAM).
        const seed = Object.fromEntries([
          ...iam.map((a) => [`${SECURITY_API}/internalusers/${a.user}`, JSON.stringify({ password: 'old-password', backend_roles: [] })]),
          ...apps.map((a) => [
            `${SECURITY_API}/rolesmapping/${a.role}`,
            JSON.stringify({ users: [], backend_roles: [`${prefix}${a.consumer}-before`] }),
          ]),
        ]);
        const extra = { ...base, seed };
        await validator(
          `${env.name}: OpenSearch users job, IAM authentication (${iam.map((a) => a.consumer).join(', ')}): on a domain as a switch finds it, each IAM application's role mapped to its IAM role (a backend role) and no user, its old internal user deleted; each password application's mapping back to its user alone`,
          () => usersCheck(fetch, users, consumers, openSearchIam(all, iamArns), 'OPENSEARCH_URL', `${env.name}-os-iam-good`, extra),
          // The old internal user left in place: its password would still work.
          () =>
            usersCheck(
              fetch,
              users
                .split('\n')
                .filter((l) => !l.startsWith('gone internalusers/'))
                .join('\n'),
              consumers,
              openSearchIam(all, iamArns),
              'OPENSEARCH_URL',
              `${env.name}-os-iam-bad`,
              extra,
            ),
        );
      }
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
