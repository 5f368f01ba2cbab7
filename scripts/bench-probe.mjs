/**
 * Loaded with `node --import` into each process scripts/bench.ts measures: when the process exits,
 * writes one JSON line to the file named by BENCH_PROBE_OUT: its time since start and its peak
 * resident memory. The measured command itself is unchanged.
 */
import * as fs from 'node:fs';

const out = process.env.BENCH_PROBE_OUT;
if (out) {
  process.on('exit', () => {
    const sample = { processMs: Math.round(performance.now()), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
    fs.writeFileSync(out, `${JSON.stringify(sample)}\n`);
  });
}
