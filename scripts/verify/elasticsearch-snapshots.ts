/**
 * Elasticsearch's snapshot-repository job (its script as the renderers ship it: bash and curl, the
 * machine's) against a stand-in Elasticsearch: a node HTTP server that checks basic auth, answers the
 * calls the job makes and records them. Checked: the calls in order (health, reload of the secure
 * settings, the repository's PUT and _verify, every SLM policy's PUT, SLM's status, its start when
 * stopped), the repository body (bucket, base path, client; no credentials) and each policy body as
 * the spec defines them. Broken: the administrator's password wrong (nothing may be registered), a
 * node that failed to reload its keys, and a store the nodes cannot write (no policy may be put).
 * On EKS the job the stack ships (S3 through the nodes' IAM role: no keys, so no reload) runs as
 * rendered, with the environment's S3 backup bucket in its repository body.
 * Debian has no Elasticsearch; a real cluster and a real Garage are still to be run (close note).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import {
  type ElasticsearchSnapshots,
  SNAPSHOT_REPOSITORY,
  policyBody,
  repositoryBody,
} from '../../constructs/services/elasticsearch-snapshots';
import { type Artifact, note, type Outcome, validator, work } from './lib';

export interface StandInOptions {
  /** The password the stand-in accepts for `user`. */
  readonly password: string;
  readonly user: string;
  /** Nodes that fail to reload their secure settings. */
  readonly reloadFailed?: number;
  /** The repository's PUT fails (the nodes cannot write the store). */
  readonly storeDown?: boolean;
  /** SLM's operation mode before the job. */
  readonly slmMode?: 'RUNNING' | 'STOPPED';
}

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** A stand-in Elasticsearch for the job's calls. */
async function standIn(opts: StandInOptions): Promise<{ url: string; calls: Call[]; close(): void }> {
  const calls: Call[] = [];
  const expected = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      calls.push({ method: req.method!, path: url.pathname, body });
      const send = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.headers.authorization !== expected) return send(401, { error: 'unable to authenticate user', status: 401 });
      const route = `${req.method} ${url.pathname}`;
      const failed = opts.reloadFailed ?? 0;
      if (route === 'GET /_cluster/health') return send(200, { status: 'green' });
      if (route === 'POST /_nodes/reload_secure_settings')
        return send(200, { _nodes: { total: 1 + failed, successful: 1, failed }, cluster_name: 'verify', nodes: {} });
      if (route === `PUT /_snapshot/${SNAPSHOT_REPOSITORY}`)
        return opts.storeDown
          ? send(500, { error: { type: 'repository_verification_exception', reason: 'store unreachable' }, status: 500 })
          : send(200, { acknowledged: true });
      if (route === `POST /_snapshot/${SNAPSHOT_REPOSITORY}/_verify`) return send(200, { nodes: { n1: { name: 'es-0' } } });
      if (req.method === 'PUT' && url.pathname.startsWith('/_slm/policy/')) return send(200, { acknowledged: true });
      if (route === 'GET /_slm/status') return send(200, { operation_mode: opts.slmMode ?? 'RUNNING' });
      if (route === 'POST /_slm/start') return send(200, { acknowledged: true });
      send(404, { error: `no route ${route}`, status: 404 });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() };
}

/**
 * Runs the job's command (bash -c <script>) against a stand-in; `password` is what its password file
 * holds (the stand-in accepts `opts.password`). Retries are cut to two attempts without pauses.
 */
export async function runSnapshotJob(
  snapshots: ElasticsearchSnapshots,
  opts: StandInOptions,
  password: string = opts.password,
): Promise<{ code: number; out: string; calls: Call[]; argv: string[] }> {
  const es = await standIn(opts);
  const dir = fs.mkdtempSync(path.join(work, 'es-snapshots-'));
  const passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  const [cmd, ...args] = snapshots.job.command.map(String);
  try {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      const p = spawn(cmd!, args, {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ES_URL: es.url,
          ES_USER: opts.user,
          ES_PASSWORD_FILE: passwordFile,
          ATTEMPTS: '2',
          PAUSE_SECONDS: '0',
        },
      });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, out });
      });
    });
    return { ...r, calls: es.calls, argv: [cmd!, ...args] };
  } finally {
    es.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What a good run must have done; the problems found (none: the run did what the spec says). */
export function checkRun(snapshots: ElasticsearchSnapshots, calls: readonly Call[], slmWasStopped: boolean, reload = true): string[] {
  const routes = calls.map((c) => `${c.method} ${c.path}`);
  const want = [
    'GET /_cluster/health',
    ...(reload ? ['POST /_nodes/reload_secure_settings'] : []),
    `PUT /_snapshot/${snapshots.repository}`,
    `POST /_snapshot/${snapshots.repository}/_verify`,
    ...snapshots.policies.map((p) => `PUT /_slm/policy/${p.id}`),
    'GET /_slm/status',
    ...(slmWasStopped ? ['POST /_slm/start'] : []),
  ];
  const problems: string[] = [];
  if (JSON.stringify(routes) !== JSON.stringify(want)) problems.push(`calls ${routes.join(', ')}; expected ${want.join(', ')}`);
  const repo = calls.find((c) => c.method === 'PUT' && c.path === `/_snapshot/${snapshots.repository}`);
  if (repo && JSON.stringify(JSON.parse(repo.body)) !== JSON.stringify(repositoryBody(snapshots)))
    problems.push(`repository body ${repo.body}`);
  for (const p of snapshots.policies) {
    const c = calls.find((x) => x.path === `/_slm/policy/${p.id}`);
    if (c && JSON.stringify(JSON.parse(c.body)) !== JSON.stringify(policyBody(p, snapshots.repository)))
      problems.push(`policy ${p.id} body ${c.body}`);
  }
  return problems;
}

async function drill(snapshots: ElasticsearchSnapshots, broken?: 'password' | 'reload' | 'store', reload = true): Promise<Outcome> {
  const opts: StandInOptions = {
    user: 'platform_admin',
    password: 'Verify-es-admin-0',
    slmMode: 'STOPPED',
    ...(broken === 'reload' ? { reloadFailed: 1 } : {}),
    ...(broken === 'store' ? { storeDown: true } : {}),
  };
  const t0 = process.hrtime.bigint();
  const r = await runSnapshotJob(snapshots, opts, broken === 'password' ? 'not-the-password' : opts.password);
  if (r.code !== 0) return { code: r.code, out: r.out };
  const problems = checkRun(snapshots, r.calls, true, reload);
  // The password reaches the server in the Authorization header only, never a command line.
  if (r.argv.join(' ').includes(opts.password)) problems.push('the password is on a command line');
  // A rerun with SLM running changes nothing else: every call a whole-object PUT, no start.
  if (!broken) {
    const again = await runSnapshotJob(snapshots, { ...opts, slmMode: 'RUNNING' });
    if (again.code !== 0) problems.push(`the rerun failed (${again.code}): ${again.out}`);
    else problems.push(...checkRun(snapshots, again.calls, false, reload).map((p) => `rerun: ${p}`));
  }
  if (!broken)
    note(
      `elasticsearch snapshot job: ${r.calls.length} calls (${snapshots.policies.length} policies) in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)} s`,
    );
  return problems.length ? { code: 1, out: `${problems.join('\n')}\n${r.out}` } : { code: 0, out: r.out };
}

/**
 * The registration job a stack ships where the nodes reach S3 through their IAM role (EKS): its
 * script as rendered (Terraform's `$${` escapes undone), and the environment's S3 backup bucket the
 * repository must name. None where the stack has no such job (keys: the spec's own job runs).
 */
function shippedOnS3(
  artifact: Artifact,
  env: { readonly name: string },
  snapshots: ElasticsearchSnapshots,
): ElasticsearchSnapshots | undefined {
  const r = artifact.stackJson(env.name).resource ?? {};
  const job = r.kubernetes_job_v1?.['elasticsearch_job-snapshot-repository'];
  const bucket = r.aws_s3_bucket?.backup_bucket?.bucket;
  if (!job || typeof bucket !== 'string') return undefined;
  const command = (job.spec.template.spec.container[0].command as string[]).map((x) => x.replaceAll('$${', '${'));
  return { ...snapshots, bucket, job: { ...snapshots.job, command } };
}

export async function verifyElasticsearchSnapshots(artifact: Artifact): Promise<void> {
  const seen = new Set<string>();
  for (const env of artifact.envs.values()) {
    const snapshots = (env.specs.find((s) => s.name === 'elasticsearch')?.facet as { snapshots?: ElasticsearchSnapshots } | undefined)
      ?.snapshots;
    if (!snapshots) continue;
    const s3 = shippedOnS3(artifact, env, snapshots);
    if (s3 && !seen.has(String(s3.job.command.at(-1)))) {
      seen.add(String(s3.job.command.at(-1)));
      await validator(
        `${env.name}: on EKS the Elasticsearch snapshot job as shipped registers and verifies repository ${s3.repository} in the S3 bucket ${s3.bucket}/${s3.basePath}/ (no keys to reload) and puts ${s3.policies.map((p) => p.id).join(', ')} (bash + curl, stand-in Elasticsearch); a wrong password registers nothing`,
        () => drill(s3, undefined, false),
        () => drill(s3, 'password', false),
      );
      await validator(
        `${env.name}: on EKS the Elasticsearch snapshot job fails, with no policy, when the nodes cannot write the bucket`,
        () => drill(s3, undefined, false),
        () => drill(s3, 'store', false),
      );
    }
    // One run per distinct job (environments with the same policy and bucket ship the same script).
    const key = String(snapshots.job.command.at(-1));
    if (seen.has(key)) continue;
    seen.add(key);
    await validator(
      `${env.name}: the Elasticsearch snapshot job reloads the keys, registers and verifies repository ${snapshots.repository} and puts ${snapshots.policies.map((p) => p.id).join(', ')} (bash + curl, stand-in Elasticsearch); a wrong password registers nothing`,
      () => drill(snapshots),
      () => drill(snapshots, 'password'),
    );
    await validator(
      `${env.name}: the Elasticsearch snapshot job fails when a node cannot reload its keys`,
      () => drill(snapshots),
      () => drill(snapshots, 'reload'),
    );
    await validator(
      `${env.name}: the Elasticsearch snapshot job fails, with no policy, when the nodes cannot write the store`,
      () => drill(snapshots),
      () => drill(snapshots, 'store'),
    );
  }
}
