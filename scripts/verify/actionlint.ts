/**
 * The workflows, through actionlint (scripts/ci/actionlint.ts): every file in .github/workflows must
 * pass, and there must be some; the broken variant, the pull-request workflow asking for a
 * permission scope that does not exist (`id-tokens`), must be reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format, lint, workflowFiles } from '../ci/actionlint';
import { type Artifact, validator } from './lib';

export async function verifyActionlint(_artifact: Artifact): Promise<void> {
  const files = workflowFiles();
  const workflows = files.map((f) => ({ file: path.join('.github', 'workflows', path.basename(f)), text: fs.readFileSync(f, 'utf8') }));
  const outcome = async (ws: typeof workflows) => {
    if (ws.length === 0) return { code: 1, out: 'no workflow found: nothing was checked' };
    const findings = await lint(ws);
    return { code: findings.length === 0 ? 0 : 1, out: findings.map(format).join('\n') };
  };
  await validator(
    `actionlint 1.7.7 on the ${workflows.length} workflows in .github/workflows`,
    () => outcome(workflows),
    () => {
      const pr = workflows.find((w) => w.file.endsWith('pr.yml'));
      if (!pr) return { code: 0, out: 'no pull-request workflow to break' };
      return outcome([{ file: pr.file, text: pr.text.replace('id-token: write', 'id-tokens: write') }]);
    },
  );
}
