/**
 * `npm run synth` and cdktf.json's `app`: brings the compiled app in .build/ up to date
 * (scripts/build.mjs: only what changed is recompiled) and runs it. Plain JavaScript, so that no
 * TypeScript loader sits between Node and every module the app loads: that loading is most of the
 * synthesis time (`npm run bench`). The app's own code is compiled with V8's code cache from the run
 * before (`loadCompiled`). `npx tsx main.ts` runs the same app from the sources.
 */
import { Module, createRequire } from 'node:module';
import * as path from 'node:path';
import { BUNDLE, BUNDLE_CACHE, ROOT, build, loadCompiled, stopCompiler } from './build.mjs';

const outdir = path.join(ROOT, '.build');
try {
  await build({ root: ROOT, outdir });
  await stopCompiler();
} catch (e) {
  process.stderr.write(`error: the app does not compile; nothing was synthesized\n${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

/**
 * cdktf loads `archiver` (with its streams and globbing, about a third of loading cdktf) as soon as
 * it is imported, for zip assets only; the stacks' assets are files and directories. It is loaded on
 * first use instead: the module cdktf gets is a function that loads the real one when called (a zip
 * asset still works).
 */
function deferArchiver() {
  const require = createRequire(path.join(ROOT, 'node_modules/cdktf/lib/private/fs.js'));
  const file = require.resolve('archiver');
  /** @type {any} */
  let real;
  const load = () => {
    if (!real) {
      delete require.cache[file];
      real = require(file);
    }
    return real;
  };
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = Object.assign(/** @param {any[]} args */ (...args) => load()(...args), {
    create: /** @param {any[]} args */ (...args) => load().create(...args),
  });
  require.cache[file] = stub;
}

deferArchiver();
const app = loadCompiled(path.join(outdir, BUNDLE), path.join(outdir, BUNDLE_CACHE));
// A cache for the next run, written once the app has run (it then holds what the run compiled).
// Not writing it (a read-only folder, a full disk) costs the next run its speed, not this run its result.
if (!app.accepted)
  process.once('exit', (code) => {
    if (code !== 0) return;
    try {
      app.saveCache();
    } catch (e) {
      process.stderr.write(`note: V8's code cache for the next run was not written: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
