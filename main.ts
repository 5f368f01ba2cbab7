/**
 * Synthesizes every environment (`npm run synth`, or `npx cdktf synth|diff|deploy <env>`): each
 * file in environments/ is one. cdktf's CLI passes the output directory in CDKTF_OUTDIR. Both run
 * this file compiled (scripts/app.mjs); `npx tsx main.ts` runs it from the source.
 */
import { discoverEnvironments } from './environments/parse/discover';
import { run } from './stacks/cli';

async function main(): Promise<number> {
  return run(await discoverEnvironments(), process.env.CDKTF_OUTDIR ?? 'cdktf.out');
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
