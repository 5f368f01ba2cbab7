/**
 * The once-per-account bootstrap (stack `bootstrap`): the Terraform state bucket and its KMS key,
 * GitHub's OIDC provider, the deploy role (the `production` GitHub environment on `main` only) and
 * the read-only plan role (pull requests, the drift check). Deployed by an administrator before the
 * first CI run, in the order docs/delivery.md gives; not an environment (it is not in environments/).
 *
 * 111122223333, example-org and platform-admin are placeholders, as in environments/production.ts:
 * put in the account, the repository and the administrators' role before the first deploy.
 */
import type { BootstrapInput } from '../environments/parse/bootstrap';

export default {
  project: 'agent-platform',
  accountId: '111122223333',
  region: 'eu-west-1',
  // Repositories created on or after 15 July 2026 (or opted in) sign immutable subject claims:
  // add ids: { owner: <org id>, repository: <repo id> } (GitHub's API: GET /repos/{owner}/{repo}).
  github: { owner: 'example-org', repository: 'agent-platform', branch: 'main' },
  // The environments' backends name it (environments/production.ts).
  stateBucket: 'agent-platform-terraform-state',
  // The environments list them: the deploy role in target.eks.adminRoleArns, the plan role in viewRoleArns.
  roles: { deploy: 'platform-deploy', plan: 'platform-plan' },
  // Who else may read and write the state (and administer its key): the bootstrap's operators.
  adminPrincipalArns: ['arn:aws:iam::111122223333:role/platform-admin'],
  // First deploy: local. Then { kind: 's3' } and `npx cdktf deploy bootstrap --migrate-state`.
  backend: { kind: 'local' },
} satisfies BootstrapInput;
