/**
 * Loaded with `node --import` into each process scripts/bench.ts measures: when the process exits,
 * writes one JSON line to the file named by BENCH_PROBE_OUT: the CPU time it used (user + system,
 * every thread) and its peak resident memory. The measured command itself is unchanged.
 */
import * as fs from 'node:fs';

const out = process.env.BENCH_PROBE_OUT;
if (out) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    const sample = { cpuMs: Math.round((user + system) / 1000), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
    fs.writeFileSync(out, `${JSON.stringify(sample)}\n`);
  });
}
