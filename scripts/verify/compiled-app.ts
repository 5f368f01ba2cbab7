/**
 * The compiled app (scripts/build.mjs, what `npm run synth` runs) discovers the same environments
 * from its compiled JavaScript as the sources do: the whole project compiled into a scratch folder,
 * the compiled discovery run (it lists the compiled folder through CommonJS's __dirname, reports
 * source names and unwraps the default exports) and compared with the sources' discovery; a second
 * build compiles nothing. The broken variant: the compiled folder with one environment removed,
 * which the comparison must notice. (Moved from the tests: compiling the project is seconds of CPU.)
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ROOT, build, environmentEntries, stopCompiler } from '../build.mjs';
import { discoverEnvironments, environmentFiles } from '../../environments/parse/discover';
import { type Artifact, type Outcome, validator, work } from './lib';

async function compare(outdir: string): Promise<Outcome> {
  const require = createRequire(import.meta.url);
  for (const loaded of Object.keys(require.cache)) if (loaded.startsWith(outdir + path.sep)) delete require.cache[loaded];
  const compiled = require(path.join(outdir, 'environments/parse/discover.js')) as {
    discoverEnvironments: typeof discoverEnvironments;
    ENVIRONMENTS_DIR: string;
  };
  const problems: string[] = [];
  if (compiled.ENVIRONMENTS_DIR !== path.join(outdir, 'environments'))
    problems.push(`the compiled discovery lists ${compiled.ENVIRONMENTS_DIR}, not the compiled folder`);
  const fromJs = await compiled.discoverEnvironments();
  const fromTs = await discoverEnvironments();
  if (
    !isDeepStrictEqual(
      fromJs.map((s) => s.file),
      environmentFiles(),
    )
  )
    problems.push(`compiled: ${fromJs.map((s) => s.file).join(', ')}; sources: ${environmentFiles().join(', ')}`);
  else if (!isDeepStrictEqual(fromJs, fromTs)) problems.push('the compiled environments differ from the sources');
  return problems.length ? { code: 1, out: problems.join('\n') } : { code: 0, out: '' };
}

export async function verifyCompiledApp(_artifact: Artifact): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(work, 'compiled-'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
  const outdir = path.join(scratch, 'project');
  try {
    const first = await build({ root: ROOT, outdir });
    const missing = ['main.ts', 'environments/parse/discover.ts', ...environmentEntries(ROOT)].filter((f) => !first.compiled.includes(f));
    const again = await build({ root: ROOT, outdir });
    await validator(
      'the compiled app discovers the same environments as the sources (scripts/build.mjs into a scratch folder; a second build compiles nothing)',
      async () => {
        const r = await compare(outdir);
        const problems = [
          ...(missing.length ? [`not compiled: ${missing.join(', ')}`] : []),
          ...(again.compiled.length || again.removed.length || again.scanned
            ? [`the second build compiled ${again.compiled.length}, removed ${again.removed.length}, scanned: ${again.scanned}`]
            : []),
        ];
        return problems.length ? { code: 1, out: `${problems.join('\n')}\n${r.out}` } : r;
      },
      async () => {
        const broken = path.join(scratch, 'broken');
        fs.cpSync(outdir, broken, { recursive: true });
        const [first] = environmentFiles();
        fs.rmSync(path.join(broken, first!.replace(/\.ts$/, '.js')), { force: true });
        return compare(broken);
      },
    );
  } finally {
    await stopCompiler();
  }
}
