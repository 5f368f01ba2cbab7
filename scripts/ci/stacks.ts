/**
 * The workflows' matrix, from the environments and the bootstrap (stacks/delivery.ts):
 *
 *   node --import tsx scripts/ci/stacks.ts plan     # {"include":[{"stack":"staging",...},...]}
 *   node --import tsx scripts/ci/stacks.ts deploy
 *   node --import tsx scripts/ci/stacks.ts          # a table: every stack, and why one is not in CI
 *
 * In a workflow (GITHUB_OUTPUT set) it also writes `matrix=<json>` and `count=<n>` there.
 */
import * as fs from 'node:fs';
import bootstrap from '../../bootstrap/account';
import { BOOTSTRAP_FILE, loadBootstrap } from '../../environments/parse/bootstrap';
import { discoverEnvironments } from '../../environments/parse/discover';
import { ciMatrix, ciStacks } from '../../stacks/delivery';
import { prepareAll } from '../../stacks/pipeline';

const job = process.argv[2];
const stacks = ciStacks(prepareAll(await discoverEnvironments()), loadBootstrap({ file: BOOTSTRAP_FILE, input: bootstrap }));
if (job === 'plan' || job === 'deploy') {
  const matrix = ciMatrix(stacks, job);
  const json = JSON.stringify(matrix);
  console.log(json);
  if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `matrix=${json}\ncount=${matrix.include.length}\n`);
} else if (job === undefined) {
  for (const s of stacks)
    console.log(
      `${s.stack.padEnd(14)} ${s.target.padEnd(11)} plan ${s.plan ? 'yes' : 'no '}  deploy ${s.deploy ? 'yes' : 'no '}${s.why ? `  (${s.why})` : ''}`,
    );
} else {
  console.error(`usage: scripts/ci/stacks.ts [plan|deploy]`);
  process.exitCode = 2;
}
