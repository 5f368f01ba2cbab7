/**
 * Finding the environments: every `*.ts` file directly in `environments/` is one, named after its
 * file, and default-exports its input (`export default { ... } satisfies EnvironmentInput`).
 * Adding an environment is adding one file; a file there that exports no environment is an error
 * that names it, never silently skipped.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type EnvironmentSource } from './load';

/**
 * The folder that holds the environment files (this module sits in its `parse/` folder). Run from
 * the compiled app (scripts/app.mjs: CommonJS in .build/), that is the compiled folder, which holds
 * every environment file compiled: there `import.meta` names the source file and `__dirname` the
 * compiled one; run from the sources (tsx, vitest), `__dirname` is not defined.
 */
export const ENVIRONMENTS_DIR = path.resolve(typeof __dirname === 'string' ? __dirname : import.meta.dirname, '..');

/** The environment files in a folder, in name order, as paths relative to the project root. */
export function environmentFiles(dir: string = ENVIRONMENTS_DIR): string[] {
  const root = path.dirname(dir);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.[cm]?[jt]s$/.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.map'))
    .map((e) => path.relative(root, path.join(dir, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * Every environment in the folder, loaded. The `file` of each is its source path as the user knows
 * it (`environments/qa.ts`), also when the app runs from compiled JavaScript.
 */
export async function discoverEnvironments(dir: string = ENVIRONMENTS_DIR): Promise<EnvironmentSource[]> {
  const found: EnvironmentSource[] = [];
  const problems: ConfigError[] = [];
  for (const rel of environmentFiles(dir)) {
    const file = rel.replace(/\.[cm]?js$/, '.ts');
    const full = path.join(path.dirname(dir), rel);
    // Compiled environment files (.js) are CommonJS, loaded with `require`: the compiled app runs
    // from V8's code cache (scripts/build.mjs, `loadCompiled`), where there is no dynamic import.
    const compiled = /\.c?js$/.test(rel);
    const mod = (compiled ? { default: createRequire(full)(full) } : await import(pathToFileURL(full).href)) as { default?: unknown };
    // Compiled to CommonJS, the module's exports arrive as `default`, with the environment in theirs.
    const exported = mod.default as { __esModule?: boolean; default?: unknown } | undefined;
    const input = exported?.__esModule ? exported.default : exported;
    if (typeof input !== 'object' || input === null) {
      problems.push(
        new ConfigError(file, [
          {
            path: '(file)',
            message:
              'exports no environment; every file in environments/ is one: export default { name, profile, target, ... } satisfies EnvironmentInput (helpers belong in environments/parse/)',
          },
        ]),
      );
      continue;
    }
    found.push({ file, input });
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new ConfigErrors(problems);
  return found;
}

/** Several files' problems, reported together. */
export class ConfigErrors extends Error {
  override readonly name = 'ConfigErrors';
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}
