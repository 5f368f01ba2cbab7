/** The command-line entry: synthesize every environment and print a short summary. */
import type { EnvironmentSource } from '../environments/parse/load';
import { ConfigError } from '../environments/parse/load';
import { synthesize } from './app';
import { ConfigErrors } from './pipeline';
import { GuardrailError, waiversInForce } from '../security/waivers';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Returns the process exit code. */
export function run(sources: readonly EnvironmentSource[], outdir: string, io: Io = consoleIo): number {
  const started = performance.now();
  try {
    const stacks = synthesize(sources, outdir);
    const gib = (mib: number) => (mib === 0 ? '-' : `${(mib / 1024).toFixed(1)} GiB`);
    const rows = [
      ['stack', 'target', 'services', 'resources', 'memory', 'output'],
      ...stacks.map((s) => [s.stack, s.target, String(s.services), String(s.resources), gib(s.memoryMiB), s.file]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      io.out(
        r
          .map((cell, i) => (i >= 2 && i <= 4 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      );
    io.out(`synthesized ${stacks.length} stack${stacks.length === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms`);
    io.out('memory: the sum of the memory limits of every replica, sidecar and background job: the most the workloads may use at once');
    for (const s of stacks) for (const n of s.notes) io.out(`note: ${n}`);
    for (const s of stacks) {
      if (s.published.length === 0) continue;
      io.out(`${s.stack} publishes on the host:`);
      const width = Math.max(...s.published.map((p) => `${p.service} ${p.port}`.length));
      for (const p of s.published)
        io.out(`  ${`${p.service} ${p.port}`.padEnd(width)}  ${p.address}${p.anonymous ? '  (no authentication)' : ''}`);
    }
    // Every exception to the guardrails in force, with its reason, on every synth.
    for (const s of stacks) for (const w of waiversInForce(s.guardrails)) io.out(`waiver: ${w}`);
    for (const s of stacks) for (const w of s.warnings) io.err(`warning: ${w}`);
    return 0;
  } catch (e) {
    if (e instanceof GuardrailError) {
      io.err(`error: the guardrails refused the synthesis; nothing was written to ${outdir}`);
      io.err(e.message);
      return 1;
    }
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      io.err(`error: invalid environment configuration; nothing was written to ${outdir}`);
      io.err(e.message);
      return 1;
    }
    io.err(`error: synthesis failed; nothing was written to ${outdir}`);
    io.err(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  }
}
