/**
 * `npm run synth` and cdktf.json's `app`: brings the compiled app in .build/ up to date
 * (scripts/build.mjs: only what changed is recompiled) and runs it. Plain JavaScript, so that no
 * TypeScript loader sits between Node and every module the app loads: that loading is most of the
 * synthesis time (`npm run bench`). `npx tsx main.ts` runs the same app from the sources.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT, build, stopCompiler } from './build.mjs';

const outdir = path.join(ROOT, '.build');
try {
  await build({ root: ROOT, outdir });
  await stopCompiler();
} catch (e) {
  process.stderr.write(`error: the app does not compile; nothing was synthesized\n${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
createRequire(import.meta.url)(path.join(outdir, 'main.js'));
