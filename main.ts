/**
 * Synthesizes every environment (`npm run synth`, or `npx cdktf synth|diff|deploy <env>`): each
 * file in environments/ is one. Beside them, the stack `bootstrap` (bootstrap/account.ts): what an
 * AWS account needs once before CI can deploy (docs/delivery.md). cdktf's CLI passes the output
 * directory in CDKTF_OUTDIR. Both run this file compiled (scripts/app.mjs); `npx tsx main.ts` runs
 * it from the source.
 */
import bootstrap from './bootstrap/account';
import { discoverEnvironments } from './environments/parse/discover';
import { BOOTSTRAP_FILE } from './environments/parse/bootstrap';
import { run } from './stacks/cli';

async function main(): Promise<number> {
  return run(await discoverEnvironments(), process.env.CDKTF_OUTDIR ?? 'cdktf.out', undefined, {
    bootstrap: { file: BOOTSTRAP_FILE, input: bootstrap },
  });
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
