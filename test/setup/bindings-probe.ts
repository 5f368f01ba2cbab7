/**
 * Global setup (vitest.config.ts): starts, when the run starts, the child process that
 * test/boundaries.test.ts reads. A fresh Node (tsx's loader) loads and checks every environment and
 * lists what it loaded of cdktf, constructs and the provider bindings (`loaded`: none), then, as the
 * control that the counting works, imports one binding module through the boundary, the smallest
 * provider (`afterControl`).
 *
 * It runs beside the workers' start, when their cores wait on module loading, instead of inside a test
 * file, where the worker would wait a second for it. Its outcome (the child's output, or its error) is
 * written to a file whose path the tests get with `inject('bindingsProbe')`.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The file the probe's outcome is written to (JSON: `{ stdout }` or `{ error }`), once it ends. */
    bindingsProbe: string;
  }
}

const root = path.resolve(import.meta.dirname, '..', '..');
const script = `import { createRequire } from 'node:module';
  const bindings = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules[\\\\/](cdktf|@cdktf|constructs)[\\\\/]/.test(k));
  const { discoverEnvironments } = await import('./environments/parse/discover.ts');
  const { prepareAll } = await import('./stacks/pipeline.ts');
  const envs = prepareAll(await discoverEnvironments()).length;
  const loaded = bindings();
  await import('./constructs/providers/random.ts');
  console.log(JSON.stringify({ envs, loaded, afterControl: bindings() }));`;

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bindings-probe-'));
  const outcome = path.join(dir, 'outcome.json');
  const write = (value: object) => {
    // Written whole, then renamed: a reader never sees half of it.
    fs.writeFileSync(`${outcome}.part`, JSON.stringify(value));
    fs.renameSync(`${outcome}.part`, outcome);
  };
  let stopped = false;
  const child: ChildProcess = execFile(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8' },
    // Not after teardown (a run that ends first, such as one of a few files): the folder is gone.
    (error, stdout, stderr) => stopped || write(error ? { error: `${error.message}\n${stderr}` } : { stdout }),
  );
  project.provide('bindingsProbe', outcome);
  return () => {
    stopped = true;
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
