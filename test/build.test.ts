/**
 * The compiled app (scripts/build.mjs, run by scripts/app.mjs for `npm run synth`): the incremental
 * build stays correct after
 * edits: a changed file, a new or deleted environment, a new import, a source that does not compile.
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE, BUNDLE_CACHE, build, loadCompiled, ROOT, stopCompiler } from '../scripts/build.mjs';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-build-test-'));
// Compiled code in the scratch folder finds the packages as the project's does.
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
afterAll(async () => {
  await stopCompiler();
  fs.rmSync(scratch, { recursive: true, force: true });
});

// The whole project compiled, and its compiled discovery compared with the sources', runs in
// `npm run verify` (scripts/verify/compiled-app.ts): seconds of CPU; here the incremental build on a
// small project.

describe('the incremental build', () => {
  const root = path.join(scratch, 'mini');
  const outdir = path.join(root, '.build');
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  /** Loads a compiled module afresh (with what it requires from the build). */
  const run = (file: string) => {
    const require = createRequire(import.meta.url);
    for (const loaded of Object.keys(require.cache)) if (loaded.startsWith(outdir + path.sep)) delete require.cache[loaded];
    return require(path.join(outdir, file)) as Record<string, unknown>;
  };

  it('compiles what main.ts and the environment files import, and only what changed after', async () => {
    write('tsconfig.json', fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
    write('main.ts', "import { greet } from './lib/greet';\nexport const main = greet('main');\n");
    write('lib/greet.ts', 'export const greet = (who: string): string => `hello ${who}`;\n');
    write('lib/unused.ts', 'export const unused = 1;\n');
    write('environments/one.ts', "import { greet } from '../lib/greet';\nexport default { name: greet('one') };\n");
    write('lib/data.txt', 'beside the source\n');
    write(
      'lib/read.ts',
      "import { readFileSync } from 'node:fs';\nexport const text = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');\nexport const dir = import.meta.dirname;\n",
    );
    write('environments/two.ts', "import { text } from '../lib/read';\nexport default { name: 'two', text };\n");

    const first = await build({ root, outdir });
    expect(first.compiled).toEqual(['environments/one.ts', 'environments/two.ts', 'lib/greet.ts', 'lib/read.ts', 'main.ts']);
    expect(run('main.js').main).toBe('hello main');
    // import.meta names the source file: relative reads find the files beside the sources.
    expect(run('lib/read.js')).toMatchObject({ text: 'beside the source\n', dir: path.join(root, 'lib') });
    // The environment's default export, as discovery receives it from CommonJS.
    expect(run('environments/one.js')).toMatchObject({ __esModule: true, default: { name: 'hello one' } });
    expect(fs.readFileSync(path.join(outdir, 'package.json'), 'utf8')).toContain('"commonjs"');

    expect(await build({ root, outdir })).toMatchObject({ compiled: [], scanned: false });

    write('lib/greet.ts', 'export const greet = (who: string): string => `hi ${who}`;\n');
    expect((await build({ root, outdir })).compiled).toEqual(['lib/greet.ts']);
    expect(run('main.js').main).toBe('hi main');
  });

  it('compiles a new environment file and removes the output of a deleted one', async () => {
    write('environments/three.ts', "export default { name: 'three' };\n");
    expect((await build({ root, outdir })).compiled).toEqual(['environments/three.ts']);
    fs.rmSync(path.join(root, 'environments/one.ts'));
    expect(await build({ root, outdir })).toMatchObject({ compiled: [], removed: ['environments/one.js'] });
    // parse/: the linked app (BUNDLE) beside where the compiled discovery sits.
    expect(fs.readdirSync(path.join(outdir, 'environments')).sort()).toEqual(['parse', 'three.js', 'two.js']);
  });

  it('links the compiled files into one file that runs the same, and links again after a change', async () => {
    expect(run(BUNDLE).main).toBe(run('main.js').main);
    const before = fs.readFileSync(path.join(root, 'lib/greet.ts'), 'utf8');
    write('lib/greet.ts', 'export const greet = (who: string): string => `hey ${who}`;\n');
    await build({ root, outdir });
    expect(run(BUNDLE).main).toBe('hey main');
    write('lib/greet.ts', before);
    await build({ root, outdir });
  });

  it('follows a new import, and removes outputs (and emptied folders) no longer imported', async () => {
    write('extra/name.ts', "export const name = 'extra';\n");
    write('main.ts', "import { greet } from './lib/greet';\nimport { name } from './extra/name';\nexport const main = greet(name);\n");
    expect((await build({ root, outdir })).compiled.sort()).toEqual(['extra/name.ts', 'main.ts']);
    expect(run('main.js').main).toBe('hi extra');
    write('main.ts', "import { greet } from './lib/greet';\nexport const main = greet('main');\n");
    expect(await build({ root, outdir })).toMatchObject({ compiled: ['main.ts'], removed: ['extra/name.js'] });
    expect(fs.existsSync(path.join(outdir, 'extra'))).toBe(false);
  });

  it('refuses a source that does not compile, naming the file, and keeps the previous outputs', async () => {
    const before = fs.readFileSync(path.join(outdir, 'lib/greet.js'), 'utf8');
    write('lib/greet.ts', 'export const greet = (who: string): string => `hi ${who}`\nexport const = 1;\n');
    await expect(build({ root, outdir })).rejects.toThrow(/Expected identifier[^]*lib\/greet\.ts:2:13/);
    expect(fs.readFileSync(path.join(outdir, 'lib/greet.js'), 'utf8')).toBe(before);
  });

  it('refuses what it cannot compile faithfully: import.meta beyond url, dirname and filename; an imported non-TypeScript file', async () => {
    write('lib/greet.ts', "export const greet = (who: string): string => `${who} ${import.meta.resolve('./x')}`;\n");
    await expect(build({ root, outdir })).rejects.toThrow(/lib\/greet\.ts cannot run as compiled CommonJS/);
    write('lib/greet.ts', "import data from './data.json';\nexport const greet = (who: string): string => `hi ${who} ${data.x}`;\n");
    write('lib/data.json', '{ "x": 1 }\n');
    await expect(build({ root, outdir })).rejects.toThrow(/only TypeScript sources are compiled; imported: lib\/data\.json/);
    write('lib/greet.ts', 'export const greet = (who: string): string => `hi ${who}`;\n');
    expect((await build({ root, outdir })).compiled).toEqual(['lib/greet.ts']);
  });
});

describe("the compiled app's code cache (loadCompiled)", () => {
  const dir = path.join(scratch, 'cache');
  const file = path.join(dir, 'app.js');
  const cache = path.join(dir, 'app.cache');
  fs.mkdirSync(dir, { recursive: true });
  const source = (n: number) =>
    `const path = require('node:path');\nexports.value = ${n};\nexports.fromRequire = require('./helper.js').helper;\nexports.where = [__filename, __dirname, module.exports === exports];\nexports.twice = (x) => x * 2;\n`;
  fs.writeFileSync(path.join(dir, 'helper.js'), 'exports.helper = "beside it";\n');

  it('runs the file as CommonJS, writes a cache after the run and uses it for the same source', () => {
    fs.writeFileSync(file, source(1));
    const first = loadCompiled(file, cache);
    expect(first.accepted).toBe(false);
    expect(first.exports).toMatchObject({ value: 1, fromRequire: 'beside it', where: [file, dir, true] });
    (first.exports as { twice(x: number): number }).twice(2); // compiled, so in the cache
    first.saveCache();
    const second = loadCompiled(file, cache);
    expect(second.accepted).toBe(true);
    expect(second.exports).toMatchObject({ value: 1, fromRequire: 'beside it' });
  });

  it('never uses a cache for another source, even of the same length (V8 checks only the length), nor a damaged one', () => {
    fs.writeFileSync(file, source(2));
    const changed = loadCompiled(file, cache);
    expect(changed.accepted).toBe(false);
    expect(changed.exports).toMatchObject({ value: 2 });
    changed.saveCache();
    const bytes = fs.readFileSync(cache);
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0xff;
    fs.writeFileSync(cache, bytes);
    const damaged = loadCompiled(file, cache);
    expect(damaged.accepted).toBe(false);
    expect(damaged.exports).toMatchObject({ value: 2 });
  });

  it('a new link of the bundle removes its cache', async () => {
    const root = path.join(scratch, 'mini');
    const outdir = path.join(root, '.build');
    fs.writeFileSync(path.join(outdir, BUNDLE_CACHE), 'stale');
    fs.writeFileSync(path.join(root, 'main.ts'), "export const main = 'relinked';\n");
    await build({ root, outdir });
    expect(fs.existsSync(path.join(outdir, BUNDLE))).toBe(true);
    expect(fs.existsSync(path.join(outdir, BUNDLE_CACHE))).toBe(false);
  });
});

describe('how the app is run', () => {
  const synth = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    .synth!;
  const app = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;
  /** The options before the script: `node <options> scripts/app.mjs`. */
  const options = (command: string) =>
    command
      .match(/^node((?: --[a-z-]+(?:=\S+)?)*) scripts\/app\.mjs$/)?.[1]
      ?.trim()
      .split(' ') ?? [];

  it('cdktf (cdktf.json) and npm run synth run the same command: the compiled app, with the same Node options', () => {
    expect(app).toBe(synth);
    expect(synth).toMatch(/^node( --[a-z-]+(=\S+)?)* scripts\/app\.mjs$/);
  });

  it("this Node accepts the command's options (a misspelt V8 option stops node before the app starts)", () => {
    const accepts = (opts: readonly string[]) => spawnSync(process.execPath, [...opts, '-e', '0'], { encoding: 'utf8' }).status === 0;
    expect(options(synth).length).toBeGreaterThan(0);
    expect(accepts(options(synth))).toBe(true);
    expect(accepts(['--interrupt-budjet=524288'])).toBe(false);
  });
});
