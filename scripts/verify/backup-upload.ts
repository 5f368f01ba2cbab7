/**
 * The backup upload step (backup-upload.sh, as the renderers ship it) against a stand-in S3 that
 * checks every request's signature V4 the way S3 does, with the credentials a stand-in EKS Pod
 * Identity agent serves (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
 * a session token): the step the AWS target's backup CronJobs run. Run with the machine's sh (dash)
 * and curl. Checked: the files, SHA256SUMS and COMPLETE stored under <prefix>/<stamp>/ with their
 * bytes, the session token sent with each request, and the retention pruning an old backup while
 * keeping the newest daily ones. Broken: the agent's token wrong (no credentials: the step must fail
 * and store nothing); and a store that knows another secret for the key (every signature refused).
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { uploadStep } from '../../constructs/services/backup';
import type { ServiceSpec } from '../../constructs/spec/types';
import { type Artifact, envsOf, note, type Outcome, validator, work } from './lib';

const REGION = 'eu-west-1';
const BUCKET = 'platform-backups-verify';
const CREDS = {
  AccessKeyId: 'ASIAVERIFYEXAMPLE0001',
  SecretAccessKey: 'verify/Secret+Key0123456789abcdefghijklmn',
  Token: 'IQoJverify//session+token==',
};
const AGENT_TOKEN = 'eks-pod-identity-token-verify';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const hmac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();

/** Whether a request's Authorization is a valid signature V4 for `secret` (S3's rules: the path and query as sent, the payload hash header). */
function signatureValid(req: http.IncomingMessage, secret: string): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `malformed Authorization: ${auth}`;
  const [, keyId, date, region, signed, signature] = m;
  if (keyId !== CREDS.AccessKeyId) return `unknown key ${keyId}`;
  if (region !== REGION) return `signed for region ${region}`;
  const url = new URL(req.url!, 'http://x');
  const query = url.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((kv) => (kv.includes('=') ? kv : `${kv}=`))
    .sort()
    .join('&');
  const names = signed!.split(';');
  const headers = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payload = String(req.headers['x-amz-content-sha256'] ?? '');
  const canonical = [req.method, url.pathname, query, headers, signed, payload].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), 's3'), 'aws4_request');
  if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) return `signature mismatch for ${req.method} ${req.url}`;
  if (!names.includes('x-amz-date') || !names.includes('host')) return 'host and x-amz-date not signed';
  if (req.headers['x-amz-security-token'] !== CREDS.Token) return 'no session token';
  return undefined;
}

interface Store {
  readonly objects: Map<string, Buffer>;
  readonly refused: string[];
  close(): void;
  readonly endpoint: string;
  readonly agent: string;
}

/** The stand-in S3 (path-style: PUT, DELETE, ListObjectsV2) and Pod Identity agent, on the loopback. */
async function standInS3(secret: string): Promise<Store> {
  const objects = new Map<string, Buffer>();
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/v1/credentials') {
        if (req.headers.authorization !== AGENT_TOKEN) return void res.writeHead(401).end('{"Message":"bad token"}');
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...CREDS, AccountId: '111122223333', Expiration: new Date(Date.now() + 3600e3).toISOString() }));
      }
      const problem = signatureValid(req, secret);
      if (problem) {
        refused.push(problem);
        return void res.writeHead(403).end(`<Error><Code>SignatureDoesNotMatch</Code><Message>${problem}</Message></Error>`);
      }
      const [, bucket, ...rest] = url.pathname.split('/');
      if (bucket !== BUCKET) return void res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>');
      const key = decodeURIComponent(rest.join('/'));
      if (req.method === 'PUT') {
        objects.set(key, Buffer.concat(chunks));
        return void res.writeHead(200).end();
      }
      if (req.method === 'DELETE') {
        objects.delete(key);
        return void res.writeHead(204).end();
      }
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${BUCKET}</Name><Prefix>${prefix}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${keys.map((k) => `<Contents><Key>${k}</Key></Contents>`).join('')}</ListBucketResult>`;
        return void res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
      }
      res.writeHead(400).end('<Error><Code>NotImplemented</Code></Error>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    objects,
    refused,
    close: () => server.close(),
    endpoint: `http://127.0.0.1:${port}`,
    agent: `http://127.0.0.1:${port}/v1/credentials`,
  };
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { PATH: '/usr/bin:/bin', ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += String(d)));
    p.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

/** One upload with Pod Identity credentials; `agentToken`/`storeSecret` differ from the real ones in the broken variants. */
export async function uploadDrill(spec: ServiceSpec, agentToken: string, storeSecret: string): Promise<Outcome> {
  const plan = spec.backup!;
  const step = uploadStep(plan, { kind: 'pod-identity', region: REGION, bucket: BUCKET }, plan.dump!.resources);
  const dir = fs.mkdtempSync(path.join(work, 'upload-'));
  const backup = path.join(dir, 'backup');
  fs.mkdirSync(backup);
  fs.writeFileSync(path.join(backup, 'a.snapshot'), Buffer.alloc(300_000, 7));
  fs.writeFileSync(path.join(backup, 'meta.json'), '{"collections":["docs"]}\n');
  const script = path.join(dir, 'backup-upload.sh');
  fs.writeFileSync(script, step.files.find((f) => f.path.endsWith('backup-upload.sh'))!.content as string, { mode: 0o555 });
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, agentToken);
  const store = await standInS3(storeSecret);
  // Two complete backups of one day ten days ago: the newer is that day's daily, the older is pruned.
  const now = Math.floor(Date.now() / 1000);
  const stamp = (t: number) =>
    new Date(t * 1000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
  // Both at midday of the day ten days ago, so that they share a day (and its week and month) at
  // whatever time of day this runs: an hour before `now - 10 days` was the day before, shortly
  // after midnight.
  const midday = Math.floor(now / 86400) * 86400 - 10 * 86400 + 12 * 3600;
  const older = stamp(midday - 3600);
  const newer = stamp(midday);
  for (const s of [older, newer]) for (const f of ['x', 'COMPLETE']) store.objects.set(`${plan.prefix}/${s}/${f}`, Buffer.from('old'));
  try {
    const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, String(v)]));
    const t0 = process.hrtime.bigint();
    const r = await run('sh', [script], {
      ...env,
      BACKUP_DIR: backup,
      S3_ENDPOINT: store.endpoint,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: store.agent,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    });
    if (r.code !== 0) return { code: r.code, out: `${r.out}\nrefused: ${store.refused.slice(0, 3).join('; ')}` };
    const stored = [...store.objects.keys()].filter((k) => k.startsWith(`${plan.prefix}/`) && !k.includes(older) && !k.includes(newer));
    const stampDir = stored.find((k) => k.endsWith('/COMPLETE'))?.replace(/\/COMPLETE$/, '');
    const problems = [
      ...(stampDir ? [] : ['no COMPLETE marker']),
      ...(store.objects.get(`${stampDir}/a.snapshot`)?.equals(Buffer.alloc(300_000, 7)) ? [] : ['a.snapshot missing or different']),
      ...(String(store.objects.get(`${stampDir}/SHA256SUMS`) ?? '').includes(sha256(Buffer.alloc(300_000, 7))) ? [] : ['SHA256SUMS wrong']),
      ...(store.refused.length ? [`refused requests: ${store.refused.join('; ')}`] : []),
      // The 10-day-old day has two backups: the newer one is that day's daily, the older one goes.
      ...(store.objects.has(`${plan.prefix}/${newer}/COMPLETE`) ? [] : ['the newest backup of a day within KEEP_DAILY was deleted']),
      ...(store.objects.has(`${plan.prefix}/${older}/COMPLETE`) ? ['an older backup of the same day was kept'] : []),
    ];
    note(`backup upload (Pod Identity credentials, stand-in S3): ${stored.length} objects in ${elapsed(t0).toFixed(2)} s`);
    return problems.length ? { code: 1, out: `${problems.join('\n')}\n${r.out}` } : { code: 0, out: r.out };
  } finally {
    store.close();
  }
}

const elapsed = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

export async function verifyBackupUpload(artifact: Artifact): Promise<void> {
  const env = envsOf(artifact, 'aws')[0] ?? [...artifact.envs.values()][0];
  const spec = env?.specs.find((s) => s.backup?.dump);
  if (!spec) return;
  await validator(
    `${env!.name}: the backup upload step signs for S3 with the Pod Identity agent's credentials and session token, stores the backup and prunes by the retention (sh + curl, stand-in S3 checking signature V4)`,
    () => uploadDrill(spec, AGENT_TOKEN, CREDS.SecretAccessKey),
    () => uploadDrill(spec, 'not-the-token', CREDS.SecretAccessKey),
  );
  await validator(
    `${env!.name}: the stand-in S3 refuses an upload signed with a key it does not hold`,
    () => uploadDrill(spec, AGENT_TOKEN, CREDS.SecretAccessKey),
    () => uploadDrill(spec, AGENT_TOKEN, 'another-secret'),
  );
}
