/**
 * What every verification check shares: the scratch directory, the synthesized artifact, running
 * programs, and the rule that a validator is also fed a broken input it must reject (so no check can
 * pass by not checking). One validator per file in this directory; `scripts/verify.ts` runs them.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import type { Environment } from '../../environments/parse/load';
import { containerAddress, jobAddress } from '../../constructs/targets/docker/addressing';

export interface Outcome {
  readonly code: number;
  readonly out: string;
}

interface Result {
  readonly name: string;
  readonly ok: boolean;
}

export const results: Result[] = [];

/** The scratch directory of this run (removed at the end). */
export const work = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-verify-'));
fs.chmodSync(work, 0o755);

export function record(name: string, ok: boolean, detail = ''): void {
  results.push({ name, ok });
  process.stdout.write(
    `${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `\n      ${detail.trim().split('\n').slice(-8).join('\n      ')}` : ''}\n`,
  );
}

export function note(line: string): void {
  process.stdout.write(`note  ${line}\n`);
}

export function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Outcome {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  return { code: r.error ? -1 : (r.status ?? -1), out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Loopback ports for the drills' servers, from one allocator: below the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default), where no outgoing connection
 * and no `listen(0)` takes its port; none listening at the moment (/proc/net/tcp and tcp6); and
 * never the same port twice in a run, so a server an earlier drill left behind cannot hold it. (A
 * random pick from 20000-40000 once collided with a listener on 32828 in CI: PostgreSQL could not
 * bind.)
 */
const handedOut = new Set<number>();
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local) ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}
function portRange(): [number, number] {
  let low = 32768;
  let high = 60999;
  try {
    [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    // not Linux: the default range
  }
  return low > 22000 ? [20000, low - 1] : [high + 1, 65535];
}
export function freePorts(n: number): number[] {
  const [from, to] = portRange();
  const busy = listeningPorts();
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 100_000) throw new Error(`no ${n} free ports left in ${from}-${to}`);
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (handedOut.has(port) || busy.has(port)) continue;
    handedOut.add(port);
    ports.push(port);
  }
  return ports;
}
export const freePort = (): number => freePorts(1)[0]!;

export function have(tool: string): boolean {
  return sh('sh', ['-c', `command -v ${tool}`]).code === 0;
}

/** A check that needs tools: a missing tool is a failure that names the package to install. */
export function needs(tools: Record<string, string>, name: string): boolean {
  const missing = Object.entries(tools).filter(([tool]) => !have(tool));
  if (missing.length === 0) return true;
  record(name, false, `missing ${missing.map(([t, pkg]) => `${t} (install ${pkg})`).join(', ')}`);
  return false;
}

/** Expected outcome of a validator on a good input (accept) and on a broken one (reject). */
export async function validator(
  name: string,
  good: () => Outcome | Promise<Outcome>,
  bad: () => Outcome | Promise<Outcome>,
): Promise<void> {
  const g = await good();
  record(`${name}: accepts the synthesized file`, g.code === 0, g.code === 0 ? '' : g.out);
  const b = await bad();
  record(`${name}: rejects a broken variant`, b.code !== 0, b.code !== 0 ? '' : `broken input was accepted:\n${b.out}`);
}

export function write(name: string, content: string, mode = 0o644): string {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  return file;
}

/** The synthesized app and the environments it came from (the drills' scenarios first, then the user's). */
export interface Artifact {
  readonly outdir: string;
  readonly envs: ReadonlyMap<string, Environment>;
  /** Every synthesized stack: the environments' and the bootstrap. */
  readonly stacks: readonly string[];
  stackJson(name: string): any;
}

/** The environments of one target kind, the drills' scenario first. */
export function envsOf(artifact: Artifact, kind: Environment['target']['kind']): Environment[] {
  return [...artifact.envs.values()].filter((e) => e.target.kind === kind);
}

/** The stand-in a check uses for a generated password (deterministic, so files that share a secret agree). */
export function standIn(id: string): string {
  return `Verify${id.replace(/[^A-Za-z0-9]/g, '')}0`;
}

/** The stand-in for generated random bytes of `length` bytes, as hex. */
export function hexStandIn(id: string, length: number): string {
  return createHash('sha256')
    .update(id)
    .digest('hex')
    .repeat(Math.ceil((2 * length) / 64))
    .slice(0, 2 * length);
}

const bcryptCache = new Map<string, string>();
/** A real bcrypt hash of a stand-in, in the `$2a$` form the random provider's `bcrypt_hash` has. */
export function bcryptOf(plain: string): string {
  let h = bcryptCache.get(plain);
  if (!h) bcryptCache.set(plain, (h = bcrypt.hashSync(plain, 10).replace(/^\$2b\$/, '$2a$')));
  return h;
}

/**
 * Renders what Terraform would: generated secrets become stand-ins (passwords, their bcrypt hashes,
 * hex bytes), escapes are undone. `resources` is the stack's `resource` block (for byte lengths).
 */
/** The stand-in for a generated 4-character salt (`random_string`). */
export function saltStandIn(id: string): string {
  return createHash('sha256')
    .update(id)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 4);
}

/** RabbitMQ's rabbit_password_hashing_sha256 form: base64(salt ++ SHA-256(salt ++ password)). */
export function rabbitmqHashOf(salt: string, password: string): string {
  const s = Buffer.from(salt, 'utf8');
  return Buffer.concat([
    s,
    createHash('sha256')
      .update(Buffer.concat([s, Buffer.from(password, 'utf8')]))
      .digest(),
  ]).toString('base64');
}

/** The Terraform expression of a salted RabbitMQ hash (constructs/render/secrets.ts, `rabbitmqHash`). */
export const RABBITMQ_HASH =
  /(?<!\$)\$\{textencodebase64\(format\("%s%s", random_string\.([A-Za-z0-9_-]+)\.result, textdecodebase64\(base64sha256\(format\("%s%s", random_string\.\1\.result, random_password\.([A-Za-z0-9_-]+)\.result\)\), "ISO-8859-1"\)\), "ISO-8859-1"\)\}/g;

export function terraformRender(content: string, resources: Record<string, Record<string, any>> = {}): string {
  const withSecrets = content
    .replace(/(?<!\$)\$\{sha256\(random_password\.([A-Za-z0-9_-]+)\.result\)\}/g, (_, id: string) =>
      createHash('sha256').update(standIn(id)).digest('hex'),
    )
    .replace(RABBITMQ_HASH, (_, salt: string, id: string) => rabbitmqHashOf(saltStandIn(salt), standIn(id)))
    .replace(/(?<!\$)\$\{random_password\.([A-Za-z0-9_-]+)\.result\}/g, (_, id: string) => standIn(id))
    .replace(/(?<!\$)\$\{random_password\.([A-Za-z0-9_-]+)\.bcrypt_hash\}/g, (_, id: string) => bcryptOf(standIn(id)))
    // A secret the deploy provides (a sensitive variable): its stand-in.
    .replace(/(?<!\$)\$\{var\.([A-Za-z0-9_-]+)\}/g, (_, id: string) => standIn(id))
    .replace(/(?<!\$)\$\{random_bytes\.([A-Za-z0-9_-]+)\.hex\}/g, (_, id: string) => {
      const length = resources.random_bytes?.[id]?.length;
      if (typeof length !== 'number') throw new Error(`random_bytes.${id} has no length in the stack`);
      return hexStandIn(id, length);
    });
  const leftover = /(?<![$%])[$%]\{/.exec(withSecrets);
  if (leftover)
    throw new Error(`unexpected Terraform interpolation left in file: ...${withSecrets.slice(leftover.index, leftover.index + 40)}`);
  return withSecrets.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

export interface ConfigArtifact {
  readonly service: string;
  readonly path: string;
  readonly content: string;
}

/** Every file of a given format in the containers and jobs of a Docker stack, as Terraform would write it. */
export function dockerFiles(artifact: Artifact, env: Environment, format: string): ConfigArtifact[] {
  const tf = artifact.stackJson(env.name);
  const out: ConfigArtifact[] = [];
  for (const spec of env.specs) {
    const workloads = [
      ...spec.containers.map((c) => ({ address: containerAddress(spec.name, c.name), files: c.files })),
      ...spec.jobs.map((j) => ({ address: jobAddress(spec.name, j.name), files: j.files })),
    ];
    for (const { address, files } of workloads) {
      for (const f of files.filter((x) => x.format === format)) {
        const upload = (tf.resource.docker_container[address]?.upload ?? []).find((u: { file: string }) => u.file === f.path);
        if (!upload) throw new Error(`${address} has no upload for ${f.path}`);
        out.push({ service: spec.name, path: f.path, content: terraformRender(upload.content, tf.resource) });
      }
    }
  }
  if (out.length === 0) throw new Error(`no ${format} file in ${env.name}`);
  return out;
}
