/**
 * `npm run bench`: how long `npm run synth` takes, as a ratio to a yardstick measured in the same
 * run, so that a slow or busy machine moves both and the ratio stays: the yardstick is a bare root
 * import of `@cdktf/provider-aws` (`node -e "require('@cdktf/provider-aws')"`), the cost of loading
 * one big provider binding. Each round runs both in fresh processes, back to back (their order
 * alternating); the figures are medians over the rounds, the ratio the median of the rounds' ratios.
 *
 * The synth command is the one `npm run synth` runs (package.json), with its output in a scratch
 * folder; a warm-up round first brings the compiled app (.build/) up to date. Memory: peak resident
 * memory, also as a ratio to the yardstick's.
 *
 * `--check` fails when synth takes more than the budget (0.5x the yardstick) or regressed beyond the
 * tolerance against scripts/bench-baseline.json (ratios only; never absolute milliseconds).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Sample {
  /** Wall time from spawn to exit, measured here. */
  wallMs: number;
  peakRssMiB: number;
}

interface Baseline {
  measuredOn: string;
  /** Median over the rounds of synth wall time / yardstick wall time. */
  synthRatio: number;
  /** Peak resident memory of synth / of the yardstick. */
  memoryRatio: number;
  /** How much worse than the baseline's ratios a run may be. */
  timeTolerance: number;
  memoryTolerance: number;
  /** The budget: synth at most this many yardsticks. */
  budgetRatio: number;
}

const runs = Number(process.env.BENCH_RUNS ?? 7);
const root = path.resolve(import.meta.dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-bench-'));
const probe = path.join(root, 'scripts', 'bench-probe.mjs');
const synthCommand = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  .synth!;
const yardstick = [process.execPath, '-e', "require('@cdktf/provider-aws')"];

/** Runs `argv` (or a shell command) in a fresh process with the probe loaded; wall time and peak memory. */
function measure(command: readonly string[] | string): Sample {
  const out = path.join(scratch, 'probe.json');
  fs.rmSync(out, { force: true });
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(probe)}`.trim(),
    BENCH_PROBE_OUT: out,
    CDKTF_OUTDIR: path.join(scratch, 'cdktf.out'),
  };
  const started = performance.now();
  const result =
    typeof command === 'string'
      ? spawnSync(command, { cwd: root, env, shell: true, encoding: 'utf8' })
      : spawnSync(command[0]!, command.slice(1), { cwd: root, env, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${String(command)} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  const { peakRssMiB } = JSON.parse(fs.readFileSync(out, 'utf8')) as { peakRssMiB: number };
  return { wallMs, peakRssMiB };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

try {
  measure(synthCommand); // warm-up: compiles what changed into .build/, fills the file cache
  measure(yardstick);
  const synth: Sample[] = [];
  const yard: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      yard.push(measure(yardstick));
      synth.push(measure(synthCommand));
    } else {
      synth.push(measure(synthCommand));
      yard.push(measure(yardstick));
    }
  }
  const result = {
    synthMs: Math.round(median(synth.map((s) => s.wallMs))),
    yardstickMs: Math.round(median(yard.map((s) => s.wallMs))),
    synthRatio: round2(median(synth.map((s, i) => s.wallMs / yard[i]!.wallMs))),
    synthRssMiB: Math.max(...synth.map((s) => s.peakRssMiB)),
    yardstickRssMiB: Math.max(...yard.map((s) => s.peakRssMiB)),
    memoryRatio: 0,
  };
  result.memoryRatio = round2(result.synthRssMiB / result.yardstickRssMiB);
  console.log(`${runs} rounds, fresh processes, medians:`);
  console.log(`  npm run synth (${synthCommand})   ${result.synthMs} ms   peak ${result.synthRssMiB} MiB`);
  console.log(`  yardstick (require('@cdktf/provider-aws'))   ${result.yardstickMs} ms   peak ${result.yardstickRssMiB} MiB`);
  console.log(`  synth / yardstick   time ${result.synthRatio}x (median of the rounds' ratios)   memory ${result.memoryRatio}x`);
  console.log(`  rounds' ratios      ${synth.map((s, i) => round2(s.wallMs / yard[i]!.wallMs)).join(' ')}`);

  if (process.argv.includes('--check')) {
    const baseline = JSON.parse(fs.readFileSync(path.join(root, 'scripts/bench-baseline.json'), 'utf8')) as Baseline;
    const problems: string[] = [];
    if (result.synthRatio > baseline.budgetRatio)
      problems.push(`synth takes ${result.synthRatio}x the yardstick, over the budget of ${baseline.budgetRatio}x`);
    if (result.synthRatio > baseline.synthRatio * baseline.timeTolerance)
      problems.push(
        `synth time ratio ${result.synthRatio}x regressed beyond ${baseline.timeTolerance}x the baseline ${baseline.synthRatio}x`,
      );
    if (result.memoryRatio > baseline.memoryRatio * baseline.memoryTolerance)
      problems.push(
        `synth memory ratio ${result.memoryRatio}x regressed beyond ${baseline.memoryTolerance}x the baseline ${baseline.memoryRatio}x`,
      );
    console.log(
      `  baseline            time ${baseline.synthRatio}x (tolerance ${baseline.timeTolerance}, budget ${baseline.budgetRatio}x)   memory ${baseline.memoryRatio}x (tolerance ${baseline.memoryTolerance})`,
    );
    if (problems.length > 0) {
      console.log(`bench check failed:\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    } else console.log('bench check passed');
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
