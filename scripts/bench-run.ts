/**
 * One measured synthesis of every environment, in a fresh process (spawned by scripts/bench.ts).
 * Prints one JSON line: process time until done (module loading included), the synthesis itself,
 * and peak resident memory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverEnvironments } from '../environments/parse/discover';
import { synthesize } from '../stacks/app';

const environments = await discoverEnvironments();
const loaded = performance.now();
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-bench-'));
const started = performance.now();
const stacks = synthesize(environments, path.join(outdir, 'cdktf.out'));
const done = performance.now();
fs.rmSync(outdir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    processMs: Math.round(done),
    loadMs: Math.round(loaded),
    synthMs: Math.round(done - started),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    resources: stacks.reduce((n, s) => n + s.resources, 0),
  })}\n`,
);
