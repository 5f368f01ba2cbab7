/**
 * `npm run bench`: how long `npm run synth` takes, as ratios to two yardsticks measured in the same
 * run, each in fresh processes, back to back (their order turning each round):
 *
 * - the reference synthesis (scripts/bench-reference.cjs): a frozen cdktf program that does the kind
 *   of work a synthesis does (loads cdktf and the bindings' per-resource submodules, builds about 670
 *   resources with references, resolves them, writes the JSON) and none of this project's code. The
 *   regression check compares synth with it: a machine that is faster at one kind of work than at
 *   another moves the two more alike than it moves synth and the import.
 * - a bare root import of `@cdktf/provider-aws` (`node -e "require('@cdktf/provider-aws')"`), the cost
 *   of loading one big provider binding: issue 11's measure (synth at most 0.5x of it) and the memory
 *   yardstick. It is mostly compiling and reading files, so how it compares with a synthesis depends
 *   on the machine: on 2026-12-04 a new CI machine loaded it 1.9x as fast as the one before and
 *   synthesized 1.5x as fast (0.43x became 0.54x to 0.61x with no change to the code, and the check that
 *   compared with it failed).
 *
 * A warm-up round first brings the compiled app (.build/) up to date. Per process: wall time (spawn
 * to exit), CPU time (user + system, all threads) and peak resident memory. The checked ratios are
 * CPU time's: on a busy machine a process waits for a core, which stretches wall time unevenly
 * between two programs, but not the work each does (measured on two shared cores at load 6-8:
 * rounds' wall ratios spread 0.27-1.05, CPU ratios 0.40-0.44). Wall ratios are printed too.
 *
 * `--check` fails when synth's CPU time regressed beyond the tolerance against the reference
 * (`referenceRatio` in scripts/bench-baseline.json), when it is over the hard budget against the
 * import (`budgetRatio`), or when its memory ratio regressed. Ratios only; never absolute milliseconds.
 *
 * Then the scale part (scripts/bench-scale.ts; `--no-scale` skips it): 5, 15, 25, 35 and 50
 * generated environments, a third on each target, synthesized by the same command in a scratch copy
 * of the project per size, in three rounds that each run every size once (the best run per size
 * counts); the CPU time per size, a least-squares line through them and the marginal cost per
 * environment in the lower and upper half. `--check` also fails when 50 environments take more than
 * `scaleBudgetRatio` times the CPU time of the reference synthesis with 12 copies of its stacks (as
 * much building and resolving, the kind of work that grows with environments) run beside them (the
 * best of three pairs: the load of a shared machine moves between the two parts), or the growth is
 * not linear (R² below 0.97, or the upper half's marginal cost above 1.5x the lower's).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Fit, fit, scaleProject, writeEnvironments } from './bench-scale';

interface Sample {
  /** From spawn to exit, measured here. */
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
}

interface Baseline {
  measuredOn: string;
  /** Median over the rounds of synth CPU time / the reference synthesis' CPU time. */
  referenceRatio: number;
  /** Median over the rounds of synth CPU time / the import's CPU time (issue 11's measure). */
  synthRatio: number;
  /** Median peak resident memory of synth / of the import. */
  memoryRatio: number;
  /** How much worse than the baseline's ratios a run may be. */
  timeTolerance: number;
  memoryTolerance: number;
  /** A hard budget: synth at most this many imports (issue 11 asks for 0.5x; kept with headroom). */
  budgetRatio: number;
  /** The scale part's budget: 50 environments' CPU time at most this many reference syntheses'. */
  scaleBudgetRatio: number;
}

const runs = Number(process.env.BENCH_RUNS ?? 7);
/** Environments synthesized at once in the scale part. */
const SCALE_SIZES = [5, 15, 25, 35, 50];
/** What "linear" means here (the budget for 50 environments is the baseline's scaleBudgetRatio). */
const SCALE_MIN_R2 = 0.97;
const SCALE_MAX_GROWTH = 1.5;
let scaleResult: { line: Fit; lower: number; upper: number; largest: { n: number; sample: Sample } } | undefined;
const root = path.resolve(import.meta.dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-bench-'));
const probe = path.join(root, 'scripts', 'bench-probe.mjs');
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const synthCommand = packageJson.scripts.synth!;
const yardstick = [process.execPath, '-e', "require('@cdktf/provider-aws')"];
const reference = [process.execPath, path.join(root, 'scripts', 'bench-reference.cjs')];
/** The scale part's reference: the reference synthesis 12 times over, about the CPU time of 50 environments, mostly building and resolving. */
const SCALE_REFERENCE_COPIES = 12;
const scaleReference = [...reference, `--copies=${SCALE_REFERENCE_COPIES}`];

/** Runs `argv` (or a shell command) in a fresh process with the probe loaded, in `cwd` (the project). */
function measure(
  command: readonly string[] | string,
  cwd: string = root,
  outdir = path.join(scratch, 'cdktf.out'),
): Sample & { stdout: string } {
  const out = path.join(scratch, 'probe.json');
  fs.rmSync(out, { force: true });
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(probe)}`.trim(),
    BENCH_PROBE_OUT: out,
    CDKTF_OUTDIR: outdir,
  };
  const started = performance.now();
  const result =
    typeof command === 'string'
      ? spawnSync(command, { cwd, env, shell: true, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      : spawnSync(command[0]!, command.slice(1), { cwd, env, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${String(command)} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return { wallMs, stdout: result.stdout, ...(JSON.parse(fs.readFileSync(out, 'utf8')) as { cpuMs: number; peakRssMiB: number }) };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

try {
  measure(synthCommand); // warm-up: compiles what changed into .build/, fills the file cache
  measure(yardstick);
  measure(reference);
  const programs = { synth: [] as Sample[], reference: [] as Sample[], yard: [] as Sample[] };
  const commands = { synth: synthCommand, reference, yard: yardstick };
  const order = ['yard', 'reference', 'synth'] as const;
  for (let i = 0; i < runs; i++) for (const k of i % 2 === 0 ? order : [...order].reverse()) programs[k].push(measure(commands[k]));
  const { synth, yard } = programs;
  const ratios = (key: keyof Sample, against: readonly Sample[] = yard) => synth.map((s, i) => s[key] / against[i]![key]);
  const figure = (xs: readonly Sample[], key: keyof Sample) => Math.round(median(xs.map((s) => s[key])));
  const result = {
    referenceRatio: round2(median(ratios('cpuMs', programs.reference))),
    referenceWallRatio: round2(median(ratios('wallMs', programs.reference))),
    synthRatio: round2(median(ratios('cpuMs'))),
    wallRatio: round2(median(ratios('wallMs'))),
    memoryRatio: round2(figure(synth, 'peakRssMiB') / figure(yard, 'peakRssMiB')),
  };
  const row = (label: string, xs: readonly Sample[]) =>
    `  ${label.padEnd(46)} ${String(figure(xs, 'wallMs')).padStart(6)} ms ${String(figure(xs, 'cpuMs')).padStart(6)} ms ${String(figure(xs, 'peakRssMiB')).padStart(5)} MiB`;
  console.log(`npm run synth runs \`${synthCommand}\`.`);
  console.log(`${runs} rounds in fresh processes, medians:                wall      CPU    peak`);
  console.log(row('npm run synth', synth));
  console.log(row('reference synthesis (bench-reference.cjs)', programs.reference));
  console.log(row("import (require('@cdktf/provider-aws'))", yard));
  console.log(`  synth / reference: CPU time ${result.referenceRatio}x, wall time ${result.referenceWallRatio}x`);
  console.log(`  rounds' CPU ratios  ${ratios('cpuMs', programs.reference).map(round2).join(' ')}`);
  console.log(`  synth / import:    CPU time ${result.synthRatio}x, wall time ${result.wallRatio}x, memory ${result.memoryRatio}x`);
  console.log(`  rounds' CPU ratios  ${ratios('cpuMs').map(round2).join(' ')}`);
  console.log(`  rounds' wall ratios ${ratios('wallMs').map(round2).join(' ')}`);

  // Scale: N generated environments, a third on each target, in a scratch copy of the project.
  const scale: { n: number; stacks: number; sample: Sample }[] = [];
  let besideLargest: { ratio: number; sample: Sample; reference: Sample } | undefined;
  if (!process.argv.includes('--no-scale')) {
    // One scratch project per size, each compiled once; then three rounds, each running every size
    // once (smallest first), and each size's best run counts. A load that comes and goes on a shared
    // machine then lands on every size alike instead of on one size's three runs (which once read as
    // growth that is not linear: R² 0.960).
    const projects = SCALE_SIZES.map((n) => {
      const dir = scaleProject(root);
      writeEnvironments(dir, n);
      return { n, dir, outdir: path.join(scratch, `cdktf.out.${n}`) };
    });
    try {
      for (const p of projects) measure(synthCommand, p.dir, p.outdir); // compiles the generated environment files
      const byN = new Map<number, { sample: Sample & { stdout: string }; reference?: Sample }[]>(SCALE_SIZES.map((n) => [n, []]));
      for (let round = 0; round < 3; round++)
        for (const p of projects) {
          // The largest N is compared with the reference synthesis measured beside each of its runs
          // (the load of a shared machine moves between the first part and this one): the best of
          // the three pairs.
          const largest = p.n === SCALE_SIZES[SCALE_SIZES.length - 1];
          const before = largest && round !== 1 ? measure(scaleReference) : undefined;
          const sample = measure(synthCommand, p.dir, p.outdir);
          const after = largest && round === 1 ? measure(scaleReference) : undefined;
          byN.get(p.n)!.push({ sample, reference: before ?? after });
        }
      for (const [n, pairs] of byN) {
        const best = pairs.map((p) => p.sample).reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
        const stacks = Number(/synthesized (\d+) stacks/.exec(best.stdout)?.[1] ?? NaN);
        scale.push({ n, stacks, sample: best });
        if (n === SCALE_SIZES[SCALE_SIZES.length - 1])
          besideLargest = pairs
            .map((p) => ({ ratio: p.sample.cpuMs / p.reference!.cpuMs, sample: p.sample, reference: p.reference! }))
            .reduce((a, b) => (b.ratio < a.ratio ? b : a));
      }
    } finally {
      for (const p of projects) fs.rmSync(p.dir, { recursive: true, force: true });
    }
    console.log(`\nscale: N generated environments (Docker, Kubernetes, AWS in turn) and the bootstrap; the best of 3 runs:`);
    console.log('  environments  stacks     wall      CPU    peak   CPU per environment');
    for (const { n, stacks, sample } of scale)
      console.log(
        `  ${String(n).padStart(12)}  ${String(stacks).padStart(6)}  ${String(Math.round(sample.wallMs)).padStart(6)} ms ${String(Math.round(sample.cpuMs)).padStart(6)} ms ${String(Math.round(sample.peakRssMiB)).padStart(4)} MiB   ${Math.round(sample.cpuMs / n)} ms`,
      );
    const line = fit(scale.map((x) => [x.n, x.sample.cpuMs] as const));
    const half = Math.floor(scale.length / 2);
    const slope = (a: (typeof scale)[number], b: (typeof scale)[number]) => (b.sample.cpuMs - a.sample.cpuMs) / (b.n - a.n);
    const lower = slope(scale[0]!, scale[half]!);
    const upper = slope(scale[half]!, scale[scale.length - 1]!);
    console.log(
      `  CPU time = ${Math.round(line.intercept)} ms + ${Math.round(line.slope)} ms per environment (least squares, R² ${line.r2.toFixed(3)}); marginal cost ${Math.round(lower)} ms per environment up to ${scale[half]!.n}, ${Math.round(upper)} ms after`,
    );
    scaleResult = { line, lower, upper, largest: scale[scale.length - 1]! };
  }

  if (process.argv.includes('--check')) {
    const baseline = JSON.parse(fs.readFileSync(path.join(root, 'scripts/bench-baseline.json'), 'utf8')) as Baseline;
    const problems: string[] = [];
    if (result.referenceRatio > baseline.referenceRatio * baseline.timeTolerance)
      problems.push(
        `synth time ratio to the reference synthesis ${result.referenceRatio}x regressed beyond ${baseline.timeTolerance}x the baseline ${baseline.referenceRatio}x`,
      );
    if (result.synthRatio > baseline.budgetRatio)
      problems.push(`synth takes ${result.synthRatio}x the import's CPU time, over the hard budget of ${baseline.budgetRatio}x`);
    if (result.memoryRatio > baseline.memoryRatio * baseline.memoryTolerance)
      problems.push(
        `synth memory ratio ${result.memoryRatio}x regressed beyond ${baseline.memoryTolerance}x the baseline ${baseline.memoryRatio}x`,
      );
    console.log(
      `  baseline: CPU time ${baseline.referenceRatio}x the reference (tolerance ${baseline.timeTolerance}x), ${baseline.synthRatio}x the import (hard budget ${baseline.budgetRatio}x; issue 11 asks for 0.5x), memory ${baseline.memoryRatio}x the import (tolerance ${baseline.memoryTolerance}x)`,
    );
    if (scaleResult) {
      const { line, lower, upper, largest } = scaleResult;
      const pair = besideLargest!;
      const scaleRatio = round2(pair.ratio);
      const against = `${Math.round(pair.sample.cpuMs)} ms against ${Math.round(pair.reference.cpuMs)} ms, the reference synthesis with ${SCALE_REFERENCE_COPIES} copies of its stacks run beside it`;
      console.log(
        `  scale: ${largest.n} environments take ${scaleRatio}x the reference synthesis' CPU time (${against}), within ${baseline.scaleBudgetRatio}x (scripts/bench-baseline.json says why); linear (R² at least ${SCALE_MIN_R2}, the upper half's marginal cost at most ${SCALE_MAX_GROWTH}x the lower's)`,
      );
      if (scaleRatio > baseline.scaleBudgetRatio)
        problems.push(
          `${largest.n} environments take ${scaleRatio}x the reference synthesis' CPU time (${against}), over the budget of ${baseline.scaleBudgetRatio}x`,
        );
      if (line.r2 < SCALE_MIN_R2) problems.push(`synth time is not linear in the environments (R² ${line.r2.toFixed(3)})`);
      if (upper > lower * SCALE_MAX_GROWTH)
        problems.push(`each environment costs more as there are more (${Math.round(lower)} ms, then ${Math.round(upper)} ms)`);
    }
    if (problems.length > 0) {
      console.log(`bench check failed:\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    } else console.log('bench check passed');
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
