/**
 * Acceptance (issue 11): a user's configuration change costs nothing. Each edit below is made in a
 * fresh copy of the project (the files git knows of in the working tree, as they are now, with
 * node_modules linked), then exactly what the README tells the user to run:
 * `npm run docs && npx vitest run -u`; after which `npx vitest run` and `npx tsc --noEmit` must pass,
 * the edited environment's snapshot must have changed (or, for a new file, appeared), and
 * `npm run synth` must give the same stacks from the incrementally rebuilt app as from a clean build.
 *
 * The broken variant: the first edit followed by the tests WITHOUT `-u` must fail, on the snapshot.
 *
 * Minutes long (each copy runs the whole test suite twice); copies run two at a time.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { note, record, sh, work } from './lib';
import { setProperty } from './literal-edit';

const root = path.resolve(import.meta.dirname, '..', '..');

interface Edit {
  readonly name: string;
  /** The environment file changed or created. */
  readonly file: string;
  /** For a new file: the environment file it starts as a copy of. */
  readonly from?: string;
  /** Property paths of the default export and their new values (TypeScript source). */
  readonly set: readonly (readonly [readonly string[], string])[];
  /** The snapshot that must change (or appear). */
  readonly snapshot: string;
}

const edits: readonly Edit[] = [
  {
    name: '3 NATS replicas in staging',
    file: 'environments/staging.ts',
    set: [[['services', 'nats', 'replicas'], '3']],
    snapshot: 'staging',
  },
  {
    name: 'a 4Gi Redis memory limit in staging',
    file: 'environments/staging.ts',
    set: [[['services', 'redis', 'resources', 'limits', 'memory'], "'4Gi'"]],
    snapshot: 'staging',
  },
  {
    name: 'production PostgreSQL in-cluster',
    file: 'environments/production.ts',
    set: [[['target', 'managed', 'postgres'], "{ mode: 'in-cluster' }"]],
    snapshot: 'production',
  },
  {
    name: 'a new environment file, environments/qa.ts (development copied)',
    file: 'environments/qa.ts',
    from: 'environments/development.ts',
    set: [
      [['name'], "'qa'"],
      [['backend'], "{ kind: 'local', path: 'terraform.qa.tfstate' }"],
    ],
    snapshot: 'qa',
  },
];

interface Run {
  readonly code: number;
  readonly out: string;
}

/** Runs a command in `cwd` without blocking (copies run side by side). */
function run(cwd: string, command: string, args: readonly string[], timeoutMs = 900_000): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, out: `${out}${String(e)}` });
    });
  });
}

/** A fresh copy of the project as it is in the working tree (tracked and untracked-not-ignored files). */
function copyProject(dest: string): void {
  const listed = sh('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { maxBuffer: 64 * 1024 * 1024 });
  if (listed.code !== 0) throw new Error(`git ls-files failed (the acceptance check copies a git checkout): ${listed.out}`);
  for (const rel of new Set(listed.out.split('\0').filter(Boolean))) {
    const from = path.join(root, rel);
    const stat = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!stat) continue; // deleted in the working tree
    const to = path.join(dest, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else if (stat.isFile()) fs.copyFileSync(from, to);
  }
  fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(dest, 'node_modules'));
}

function applyEdit(dir: string, edit: Edit): void {
  let text = fs.readFileSync(path.join(dir, edit.from ?? edit.file), 'utf8');
  for (const [property, value] of edit.set) text = setProperty(text, property, value);
  fs.writeFileSync(path.join(dir, edit.file), text);
}

const snapshotFile = (dir: string, name: string) => path.join(dir, 'test', '__snapshots__', 'environments', `${name}.tf.json`);
const readIf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
const tail = (out: string, lines = 25) => out.trim().split('\n').slice(-lines).join('\n');
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** One edit in its own copy: the user's steps, then everything that must be green. */
async function accept(edit: Edit, index: number): Promise<{ ok: boolean; detail: string; ms: number }> {
  const started = performance.now();
  const dir = path.join(work, `acceptance-${index}`);
  const done = (ok: boolean, detail: string) => ({ ok, detail, ms: performance.now() - started });
  copyProject(dir);
  // The app as the user last ran it, so that the synth after the edit is an incremental build.
  const before = await run(dir, 'npm', ['run', '--silent', 'synth']);
  if (before.code !== 0) return done(false, `npm run synth before the edit failed:\n${tail(before.out)}`);
  const snapshotBefore = readIf(snapshotFile(dir, edit.snapshot));
  applyEdit(dir, edit);
  const steps: [string, string, string[]][] = [
    ['npm run docs', 'npm', ['run', '--silent', 'docs']],
    ['npx vitest run -u', 'npx', ['--no-install', 'vitest', 'run', '-u']],
    ['npx vitest run', 'npx', ['--no-install', 'vitest', 'run']],
    ['npx tsc --noEmit', 'npx', ['--no-install', 'tsc', '--noEmit']],
    ['npm run synth (incremental build)', 'npm', ['run', '--silent', 'synth']],
  ];
  for (const [label, command, args] of steps) {
    const r = await run(dir, command, args);
    if (r.code !== 0) return done(false, `${label} failed:\n${tail(r.out)}`);
  }
  const snapshotAfter = readIf(snapshotFile(dir, edit.snapshot));
  if (snapshotAfter === undefined || snapshotAfter === snapshotBefore)
    return done(false, `the edit did not reach test/__snapshots__/environments/${edit.snapshot}.tf.json`);
  // The incremental build must equal a clean one.
  fs.renameSync(path.join(dir, 'cdktf.out'), path.join(dir, 'cdktf.incremental'));
  fs.rmSync(path.join(dir, '.build'), { recursive: true, force: true });
  const clean = await run(dir, 'npm', ['run', '--silent', 'synth']);
  if (clean.code !== 0) return done(false, `npm run synth from a clean build failed:\n${tail(clean.out)}`);
  const diff = sh('diff', ['-r', 'cdktf.incremental', 'cdktf.out'], { cwd: dir });
  if (diff.code !== 0) return done(false, `the incrementally built app synthesized other stacks than a clean build:\n${tail(diff.out)}`);
  fs.rmSync(dir, { recursive: true, force: true });
  return done(true, '');
}

/** The broken variant: the first edit, the tests without `-u`: they must fail, on that snapshot only. */
async function withoutUpdate(edit: Edit): Promise<{ ok: boolean; detail: string; ms: number }> {
  const started = performance.now();
  const dir = path.join(work, 'acceptance-without-u');
  copyProject(dir);
  applyEdit(dir, edit);
  const report = path.join(dir, 'vitest-report.json');
  const docs = await run(dir, 'npm', ['run', '--silent', 'docs']);
  const tests = await run(dir, 'npx', ['--no-install', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`]);
  const ms = performance.now() - started;
  const failed = failedTests(readIf(report));
  fs.rmSync(dir, { recursive: true, force: true });
  if (docs.code !== 0) return { ok: false, detail: `npm run docs failed:\n${tail(docs.out)}`, ms };
  if (tests.code === 0) return { ok: false, detail: 'npx vitest run passed although the snapshot is out of date', ms };
  const expected = (t: string) => t.includes(` ${edit.snapshot} `) && t.includes('snapshot');
  const ok = failed.length > 0 && failed.every(expected);
  return {
    ok,
    detail: ok ? '' : `vitest failed, but not only on the ${edit.snapshot} snapshot: ${failed.join('; ') || tail(tests.out)}`,
    ms,
  };
}

/** The full names of the failed tests in a vitest JSON report. */
function failedTests(json: string | undefined): string[] {
  if (!json) return [];
  const report = JSON.parse(json) as { testResults: { assertionResults: { status: string; fullName: string }[] }[] };
  return report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName));
}

export async function verifyAcceptance(): Promise<void> {
  const present = edits.filter((e) => {
    const source = e.from ?? e.file;
    if (fs.existsSync(path.join(root, source))) return true;
    note(`acceptance: ${e.name} skipped: ${source} is not in this project`);
    return false;
  });
  if (present.length === 0) {
    record('acceptance: the configuration edits', false, 'no environment file to edit');
    return;
  }
  type Job = { label: string; start: () => Promise<{ ok: boolean; detail: string; ms: number }> };
  const jobs: Job[] = [
    ...present.map((e, i) => ({
      label: `acceptance: ${e.name}, then npm run docs && npx vitest run -u: tests, typecheck and synth green`,
      start: () => accept(e, i),
    })),
    {
      label: `acceptance (broken variant): ${present[0]!.name} without -u: npx vitest run fails on the snapshot`,
      start: () => withoutUpdate(present[0]!),
    },
  ];
  // Two at a time (the machine has two cores; each copy's test run is the heavy part).
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      let result: { ok: boolean; detail: string; ms: number };
      try {
        result = await job.start();
      } catch (e) {
        result = { ok: false, detail: e instanceof Error ? e.message : String(e), ms: 0 };
      }
      record(`${job.label} (${seconds(result.ms)})`, result.ok, result.detail);
    }
  };
  await Promise.all([worker(), worker()]);
}
