/**
 * `npm run bench`: times the full synthesis of every environment over several fresh processes and
 * prints the medians and the peak memory. `--check` compares against scripts/bench-baseline.json
 * and fails on a regression beyond the tolerance (and beyond the absolute budget).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Sample {
  processMs: number;
  loadMs: number;
  synthMs: number;
  peakRssMiB: number;
  resources: number;
}

const runs = Number(process.env.BENCH_RUNS ?? 7);
const root = path.resolve(import.meta.dirname, '..');
// The same way main.ts runs (package.json "synth", cdktf.json "app"): node with tsx's loader.
const command = [process.execPath, '--import', 'tsx', path.join(root, 'scripts/bench-run.ts')] as const;
const samples: Sample[] = [];
execFileSync(command[0], command.slice(1), { cwd: root }); // warm tsx's transform cache
for (let i = 0; i < runs; i++) {
  const out = execFileSync(command[0], command.slice(1), { cwd: root, encoding: 'utf8' });
  samples.push(JSON.parse(out.trim().split('\n').pop()!) as Sample);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const result = {
  runs,
  synthMs: median(samples.map((s) => s.synthMs)),
  loadMs: median(samples.map((s) => s.loadMs)),
  processMs: median(samples.map((s) => s.processMs)),
  peakRssMiB: Math.max(...samples.map((s) => s.peakRssMiB)),
  resources: samples[0]!.resources,
};
console.log(`full synth of every environment, ${runs} fresh processes (median):`);
console.log(`  synthesis (app time)     ${result.synthMs} ms`);
console.log(`  module loading           ${result.loadMs} ms`);
console.log(`  process total            ${result.processMs} ms`);
console.log(`  peak memory (max RSS)    ${result.peakRssMiB} MiB`);
console.log(`  resources synthesized    ${result.resources}`);

if (process.argv.includes('--check')) {
  const baseline = JSON.parse(fs.readFileSync(path.join(root, 'scripts/bench-baseline.json'), 'utf8')) as {
    synthMs: number;
    processMs: number;
    peakRssMiB: number;
    /** Timing is noisy on shared machines; memory is not. */
    timeTolerance: number;
    memoryTolerance: number;
    budgetSynthMs: number;
  };
  const problems: string[] = [];
  if (result.synthMs > baseline.budgetSynthMs)
    problems.push(`synthesis ${result.synthMs} ms exceeds the ${baseline.budgetSynthMs} ms budget`);
  for (const [key, tolerance] of [
    ['synthMs', baseline.timeTolerance],
    ['processMs', baseline.timeTolerance],
    ['peakRssMiB', baseline.memoryTolerance],
  ] as const) {
    if (result[key] > baseline[key] * tolerance) {
      problems.push(`${key} ${result[key]} regressed beyond ${tolerance}x the baseline ${baseline[key]}`);
    }
  }
  if (problems.length > 0) {
    console.log(`bench check failed:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log('bench check passed');
}
