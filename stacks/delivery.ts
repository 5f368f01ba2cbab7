/**
 * How CI plans and deploys each stack (pure): the workflows' matrix comes from here
 * (scripts/ci/stacks.ts prints it), so a new environment file is planned and deployed without
 * touching a workflow. Per stack:
 *
 * - AWS environments in the bootstrap's account: the plan role on pull requests and for the drift
 *   check, the deploy role for the deploy job (OIDC, no stored keys);
 * - Kubernetes environments reached through a kubeconfig: the repository secret
 *   `KUBECONFIG_<NAME>` (a read-only identity) for plans, the `KUBECONFIG` secret of the GitHub
 *   environment `<name>` for deploys, written where the environment file says the file is; with a
 *   token, `KUBE_TOKEN_<NAME>` and `KUBE_TOKEN`. State in S3 adds the AWS roles;
 * - the bootstrap: planned once its state is in its bucket; deployed by an administrator only;
 * - Docker environments, and clusters reached through a credential plugin: not from CI, with why.
 */
import type { Environment } from '../environments/parse/load';
import { BOOTSTRAP_STACK, type Bootstrap, roleArn } from '../environments/parse/bootstrap';

export interface CiStack {
  readonly stack: string;
  readonly target: string;
  /** Planned on pull requests and by the drift check. */
  readonly plan: boolean;
  /** Deployed on the deploy branch, through the GitHub environment of the same name. */
  readonly deploy: boolean;
  /** Why not planned or deployed from CI. */
  readonly why?: string;
  /** AWS: the account the repository variable CI_AWS_ACCOUNT must name, the region and the roles. */
  readonly aws?: { readonly account: string; readonly region: string; readonly planRole: string; readonly deployRole: string };
  /** Kubernetes: where the kubeconfig goes and the secrets that hold it (or the token). */
  readonly kubernetes?: { readonly kubeconfigPath?: string; readonly planSecret: string; readonly deploySecret: string };
}

/** `KUBECONFIG_STAGING` for `staging`. */
export const secretName = (prefix: string, env: string) => `${prefix}_${env.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** One entry per stack, environments first (Kubernetes before AWS, so a deploy reaches production last), then the bootstrap. */
export function ciStacks(envs: readonly Environment[], bootstrap?: Bootstrap): CiStack[] {
  const rank = { kubernetes: 0, aws: 1, docker: 2 } as const;
  const ordered = [...envs].sort((a, b) => rank[a.target.kind] - rank[b.target.kind] || a.name.localeCompare(b.name));
  const roles = (region: string) =>
    bootstrap
      ? {
          account: bootstrap.accountId,
          region,
          planRole: roleArn(bootstrap, bootstrap.roles.plan),
          deployRole: roleArn(bootstrap, bootstrap.roles.deploy),
        }
      : undefined;
  const out: CiStack[] = ordered.map((env): CiStack => {
    const base = { stack: env.name, target: env.target.kind };
    const s3 = env.backend.kind === 's3' ? env.backend : undefined;
    const stateRoles = s3 && bootstrap && s3.bucket === bootstrap.stateBucket ? roles(s3.region) : undefined;
    if (s3 && !stateRoles)
      return { ...base, plan: false, deploy: false, why: `its state is in s3://${s3.bucket}, which no bootstrap's CI roles may read` };
    switch (env.target.kind) {
      case 'docker':
        return { ...base, plan: false, deploy: false, why: 'a Docker host is reached from the host itself (npx cdktf diff/deploy there)' };
      case 'aws': {
        const t = env.target;
        if (!bootstrap || t.accountId !== bootstrap.accountId)
          return {
            ...base,
            plan: false,
            deploy: false,
            why: `no CI roles for account ${t.accountId ?? '(not set)'}: bootstrap/account.ts prepares another`,
          };
        return { ...base, plan: true, deploy: true, aws: roles(t.region)! };
      }
      case 'kubernetes': {
        const cluster = env.target.cluster;
        const stateCluster = env.backend.kind === 'kubernetes' ? (env.backend.cluster ?? cluster) : cluster;
        if (cluster.auth === 'exec' || stateCluster.auth === 'exec')
          return {
            ...base,
            plan: false,
            deploy: false,
            why: `the cluster is reached through a credential plugin (${cluster.auth === 'exec' ? cluster.exec.command : 'backend.cluster'}), which CI does not have`,
          };
        const kubernetes =
          cluster.auth === 'kubeconfig'
            ? { kubeconfigPath: cluster.path, planSecret: secretName('KUBECONFIG', env.name), deploySecret: 'KUBECONFIG' }
            : { planSecret: secretName('KUBE_TOKEN', env.name), deploySecret: 'KUBE_TOKEN' };
        return { ...base, plan: true, deploy: true, kubernetes, ...(stateRoles ? { aws: stateRoles } : {}) };
      }
    }
  });
  if (bootstrap) {
    const planned = bootstrap.backend.kind === 's3';
    out.push({
      stack: BOOTSTRAP_STACK,
      target: 'aws',
      plan: planned,
      deploy: false,
      ...(planned ? { aws: roles(bootstrap.region)! } : {}),
      why: planned
        ? 'deployed by an administrator, never from CI (it creates the CI roles)'
        : 'its state is still a local file (first deploy); planned once it is in its bucket',
    });
  }
  return out;
}

/** The matrix GitHub Actions takes (`strategy.matrix: ${{ fromJSON(...) }}`): flat string fields. */
export function ciMatrix(stacks: readonly CiStack[], job: 'plan' | 'deploy'): { include: Record<string, string>[] } {
  return {
    include: stacks
      .filter((s) => s[job])
      .map((s) => ({
        stack: s.stack,
        target: s.target,
        aws_account: s.aws?.account ?? '',
        aws_region: s.aws?.region ?? '',
        aws_role: (job === 'plan' ? s.aws?.planRole : s.aws?.deployRole) ?? '',
        kubeconfig_path: s.kubernetes?.kubeconfigPath ?? '',
        kube_secret: (job === 'plan' ? s.kubernetes?.planSecret : s.kubernetes?.deploySecret) ?? '',
        kube_secret_kind: s.kubernetes ? (s.kubernetes.kubeconfigPath ? 'kubeconfig' : 'token') : '',
      })),
  };
}
