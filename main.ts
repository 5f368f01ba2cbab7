/**
 * Synthesizes every environment (`npm run synth`, or `npx cdktf synth|diff|deploy <env>`).
 * cdktf's CLI passes the output directory in CDKTF_OUTDIR.
 */
import { environments } from './environments';
import { run } from './stacks/cli';

process.exitCode = run(environments, process.env.CDKTF_OUTDIR ?? 'cdktf.out');
