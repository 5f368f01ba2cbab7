/**
 * Compiles the app to CommonJS in `.build/` (gitignored), one output file per source file, so that
 * `npm run synth` runs plain JavaScript instead of transpiling TypeScript at every start (scripts/app.mjs).
 *
 * What is compiled: main.ts and every environment file (environments/*.ts, loaded by
 * environments/parse/discover.ts at run time), with every project file they import, as esbuild's
 * dependency scan finds them. Packages stay in node_modules (plain `require`).
 *
 * Only what changed is rebuilt. `.build/manifest.json` records each source's size and modification
 * time as compiled and the environment files; when all match, nothing is read but `stat`s (the common
 * case). Otherwise the imports are scanned again, changed or new sources are compiled, and outputs
 * whose sources are gone are removed (so a deleted environment file is no longer an environment).
 * A change to this script, to tsconfig.json or to esbuild's version rebuilds everything.
 *
 * `import.meta.url`, `.dirname` and `.filename` become the SOURCE file's, so relative reads (charts/,
 * constructs/services/scripts/*.sh) find the files beside the sources. Code that needs the compiled
 * location (environment discovery) uses CommonJS's `__dirname`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Module, createRequire } from 'node:module';
import * as vm from 'node:vm';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project root (this file sits in scripts/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = 'manifest.json';
/**
 * The app as one file, linked from the compiled files (what scripts/app.mjs runs): loading one file
 * instead of 160 is about a tenth of a synthesis. It sits beside the compiled discovery
 * (environments/parse/discover.js), whose `__dirname` finds the compiled environment files.
 */
export const BUNDLE = 'environments/parse/app.bundle.js';
/**
 * V8's code cache for the bundle (`loadCompiled`): written after a run that compiled the bundle
 * anew, removed whenever the bundle is linked again.
 */
export const BUNDLE_CACHE = 'environments/parse/app.bundle.cache';

/**
 * @typedef {{ size: number, mtimeMs: number }} Stamp
 * @typedef {{ key: string, environments: string[], files: Record<string, Stamp> }} Manifest
 * @typedef {{ compiled: string[], removed: string[], scanned: boolean, ms: number }} BuildResult
 */

/**
 * The environment files: `*.ts` directly in environments/ (the rule of environmentFiles() in
 * environments/parse/discover.ts, for TypeScript sources), as root-relative paths.
 * @param {string} root
 * @returns {string[]}
 */
export function environmentEntries(root) {
  return fs
    .readdirSync(path.join(root, 'environments'), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => `environments/${e.name}`)
    .sort();
}

/**
 * Brings `outdir` up to date with the sources under `root`. Throws with esbuild's messages when a
 * source does not compile (the outputs already there are left as they were).
 * @param {{ root?: string, outdir?: string }} [options]
 * @returns {Promise<BuildResult>}
 */
export async function build({ root = ROOT, outdir = path.join(root, '.build') } = {}) {
  const started = performance.now();
  const key = buildKey(root);
  const previous = readManifest(outdir);
  const environments = environmentEntries(root);
  if (
    previous &&
    previous.key === key &&
    sameList(previous.environments, environments) &&
    Object.entries(previous.files).every(([file, stamp]) => sameStamp(stampOf(path.join(root, file)), stamp)) &&
    fs.existsSync(path.join(outdir, BUNDLE))
  ) {
    return { compiled: [], removed: [], scanned: false, ms: Math.round(performance.now() - started) };
  }

  const esbuild = await (compiler ??= import('esbuild'));
  const tsconfigRaw = fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
  try {
    // The dependency scan: a bundle that is never written, for its list of inputs.
    const scan = await esbuild.build({
      absWorkingDir: root,
      entryPoints: ['main.ts', ...environments],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: path.join(outdir, '.scan'),
      logLevel: 'silent',
    });
    const sources = Object.keys(scan.metafile.inputs)
      .filter((f) => !f.startsWith('node_modules/'))
      .sort();
    const other = sources.filter((f) => !/\.[cm]?ts$/.test(f) || f.endsWith('.d.ts'));
    if (other.length > 0)
      throw new Error(`only TypeScript sources are compiled; imported: ${other.join(', ')} (read such files at run time instead)`);
    const known = previous && previous.key === key ? previous.files : {};
    /** @type {Record<string, Stamp>} */
    const files = {};
    fs.mkdirSync(outdir, { recursive: true });
    fs.writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
    const stale = sources.filter((file) => {
      const stamp = stampOf(path.join(root, file));
      if (!stamp) throw new Error(`${file}: vanished while building`);
      files[file] = stamp;
      return !(known[file] && sameStamp(stamp, known[file]) && fs.existsSync(path.join(outdir, outputName(file))));
    });
    // One request per file, all at once: esbuild's service compiles them in parallel.
    const results = await Promise.all(
      stale.map((file) => {
        const full = path.join(root, file);
        return esbuild.transform(fs.readFileSync(full, 'utf8'), {
          loader: 'ts',
          format: 'cjs',
          platform: 'node',
          target: 'es2022',
          sourcefile: file,
          sourcemap: 'inline',
          tsconfigRaw,
          define: {
            'import.meta.url': JSON.stringify(pathToFileURL(full).href),
            'import.meta.dirname': JSON.stringify(path.dirname(full)),
            'import.meta.filename': JSON.stringify(full),
          },
          logLevel: 'silent',
        });
      }),
    );
    for (const [i, file] of stale.entries()) {
      const result = results[i];
      if (!result) continue;
      // Anything else under import.meta would be empty in CommonJS: refuse rather than run wrong.
      if (result.warnings.length > 0) {
        const text = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
        throw new Error(`${file} cannot run as compiled CommonJS:\n${text.join('\n')}`.trimEnd());
      }
    }
    for (const [i, file] of stale.entries()) {
      const out = path.join(outdir, outputName(file));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, results[i]?.code ?? '');
      fs.renameSync(tmp, out);
    }
    const compiled = stale;
    const expected = new Set([...sources.map(outputName), BUNDLE, BUNDLE_CACHE]);
    const removed = removeStale(outdir, expected);
    // The compiled files linked into one (packages stay in node_modules; nothing is compiled again).
    await esbuild.build({
      absWorkingDir: outdir,
      entryPoints: [path.join(outdir, 'main.js')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'es2022',
      packages: 'external',
      outfile: path.join(outdir, BUNDLE),
      logLevel: 'silent',
    });
    fs.rmSync(path.join(outdir, BUNDLE_CACHE), { force: true });
    /** @type {Manifest} */
    const manifest = { key, environments, files };
    const tmp = path.join(outdir, `${MANIFEST}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
    fs.renameSync(tmp, path.join(outdir, MANIFEST));
    return { compiled, removed, scanned: true, ms: Math.round(performance.now() - started) };
  } catch (e) {
    // esbuild's build errors carry formatted messages; show them as the compiler would.
    const errors = /** @type {{ errors?: import('esbuild').Message[] }} */ (e).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const text = await esbuild.formatMessages(errors, { kind: 'error' });
      throw new Error(text.join('\n').trimEnd());
    }
    throw e;
  }
}

/**
 * Loads a compiled CommonJS file as Node's `require` would (module wrapper, `require` relative to
 * it), but compiled with V8's code cache in `cacheFile` when it holds one for this very source: V8
 * then neither parses the file nor compiles the functions the cached run compiled (most of the
 * app's). `saveCache()` writes the cache (after the run, so that it holds the functions it ran; call
 * it when the cache was not accepted). A cache is for one source (its SHA-256 leads the file: V8's
 * own check compares only the source's length) and is used only whole (the data's SHA-256 follows:
 * release builds of V8 verify no checksum); V8 rejects one made by another V8 or under other V8
 * options. Whatever is not used, the file is compiled as usual.
 *
 * Code loaded this way has no dynamic `import()` (Node gives a script compiled by `vm` none):
 * compiled code loads files with `require`.
 * @param {string} file
 * @param {string} cacheFile
 * @returns {{ exports: unknown, accepted: boolean, saveCache(): void }}
 */
export function loadCompiled(file, cacheFile) {
  const source = fs.readFileSync(file, 'utf8');
  const sha = (/** @type {string | Buffer} */ data) => createHash('sha256').update(data).digest();
  const hash = sha(source);
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    // The source's SHA-256, the data's (V8 verifies no checksum in release builds), the data.
    const cache = fs.readFileSync(cacheFile);
    const data = cache.subarray(64);
    if (cache.subarray(0, 32).equals(hash) && cache.subarray(32, 64).equals(sha(data))) cachedData = data;
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = new Module(file);
  module.filename = file;
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return {
    exports: module.exports,
    accepted: cachedData !== undefined && !script.cachedDataRejected,
    saveCache() {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const data = script.createCachedData();
      fs.writeFileSync(tmp, Buffer.concat([hash, sha(data), data]));
      fs.renameSync(tmp, cacheFile);
    },
  };
}

/** @type {Promise<typeof import('esbuild')> | undefined} esbuild, once a build needed it */
let compiler;

/**
 * Ends esbuild's service process, if a build started it (it does not keep Node running, but holds
 * memory while the app synthesizes). The next build starts it again.
 */
export async function stopCompiler() {
  const loaded = compiler;
  compiler = undefined;
  if (loaded) await (await loaded).stop();
}

/** `stacks/app.ts` → `stacks/app.js`. @param {string} file */
function outputName(file) {
  return file.replace(/\.[cm]?ts$/, '.js');
}

/**
 * Deletes the compiled files under `outdir` that no source produces any more, and folders left empty.
 * @param {string} outdir
 * @param {Set<string>} expected root-relative output names
 * @returns {string[]} the removed files, relative to outdir
 */
function removeStale(outdir, expected) {
  /** @type {string[]} */
  const removed = [];
  /** @param {string} rel */
  const walk = (rel) => {
    const dir = path.join(outdir, rel);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(name);
        if (fs.readdirSync(path.join(outdir, name)).length === 0) fs.rmdirSync(path.join(outdir, name));
      } else if (rel === '' && (entry.name === 'package.json' || entry.name === MANIFEST)) {
        continue;
      } else if (!expected.has(name)) {
        fs.rmSync(path.join(outdir, name), { force: true });
        removed.push(name);
      }
    }
  };
  walk('');
  return removed;
}

/** What makes every output stale when it changes: this script, the compiler options, esbuild. @param {string} root */
function buildKey(root) {
  return createHash('sha256')
    .update(fs.readFileSync(fileURLToPath(import.meta.url)))
    .update(fs.readFileSync(path.join(root, 'tsconfig.json')))
    .update(fs.readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json')))
    .digest('hex');
}

/** @param {string} outdir @returns {Manifest | undefined} */
function readManifest(outdir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(outdir, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
}

/** @param {string} file @returns {Stamp | undefined} */
function stampOf(file) {
  try {
    const s = fs.statSync(file);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/** @param {Stamp | undefined} a @param {Stamp} b */
function sameStamp(a, b) {
  return a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** @param {readonly string[]} a @param {readonly string[]} b */
function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
