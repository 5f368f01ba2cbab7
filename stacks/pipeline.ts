/**
 * The pipeline up to rendering, in one place: parse and compose every environment
 * (environments/parse), check each (security/), then the checks across environments. Pure: it loads
 * no provider binding, so `npm test`, the docs and the checks never pay for the renderers.
 *
 *   environments/*.ts ─parse─► Environment ─compose─► specs + facets ─check─► issues or OK ─render─► stacks
 *                                                                                    └─ guardrails (specs, then the rendered stack) ─┘
 *
 * The guardrails (security/rules.ts) run in two places of the same stage: over the specs here, and
 * over each stack's synthesized Terraform JSON once rendered (stacks/app.ts calls `guardrails` before
 * anything is written to the output directory). Their verdict fails the synthesis with one report.
 */
import { ConfigError, type Environment, type EnvironmentSource, loadEnvironment } from '../environments/parse/load';
import { ConfigErrors } from '../environments/parse/discover';
import { checkEnvironment } from '../security/guardrails';
import { type TerraformConfig, resourceViolations } from '../security/resource-rules';
import { specViolations } from '../security/spec-rules';
import { type Verdict, verdict } from '../security/waivers';
import { clusterOf, installedOperators } from '../constructs/targets/kubernetes/sharing';
import { BOOTSTRAP_STACK } from '../environments/parse/bootstrap';

export { ConfigErrors };

/** One environment, parsed, composed and checked (a `ConfigError` lists every problem). */
export function prepare(source: EnvironmentSource): Environment {
  const env = loadEnvironment(source);
  const problems = checkEnvironment(env);
  if (problems.length > 0) throw new ConfigError(env.file, problems);
  return env;
}

/**
 * The guardrails' verdict on an environment: the rules over its specs and over its stack's
 * synthesized Terraform JSON (`json`), with the environment's waivers applied.
 */
export function guardrails(env: Environment, json: TerraformConfig): Verdict {
  return verdict({
    file: env.file,
    environment: env.name,
    violations: [...specViolations(env), ...resourceViolations(json, { protectData: env.protectData })],
    waivers: env.waivers,
  });
}

/** Every environment, prepared. All environments' problems are reported together. */
export function prepareAll(sources: readonly EnvironmentSource[]): Environment[] {
  const errors: ConfigError[] = [];
  const envs: Environment[] = [];
  for (const source of sources) {
    try {
      envs.push(prepare(source));
    } catch (e) {
      if (e instanceof ConfigError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  const clashes = [...reservedNames(envs), ...sharedNames(envs), ...sharedState(envs), ...sharedCluster(envs)];
  if (clashes.length === 1) throw clashes[0];
  if (clashes.length > 1) throw new ConfigErrors(clashes);
  return envs;
}

/** Stack ids the app takes for itself. */
function reservedNames(envs: readonly Environment[]): ConfigError[] {
  return envs
    .filter((env) => env.name === BOOTSTRAP_STACK)
    .map(
      (env) =>
        new ConfigError(env.file, [
          {
            path: 'name',
            message: `"${BOOTSTRAP_STACK}" is the id of the once-per-account stack (bootstrap/account.ts); choose another name`,
          },
        ]),
    );
}

/** Two files declaring one environment: the second is blamed and the message names the first. */
function sharedNames(envs: readonly Environment[]): ConfigError[] {
  const first = new Map<string, Environment>();
  return envs.flatMap((env) => {
    const earlier = first.get(env.name);
    if (!earlier) first.set(env.name, env);
    return earlier
      ? [
          new ConfigError(env.file, [
            { path: 'name', message: `environment "${env.name}" is also defined in ${earlier.file} (name); stack ids must be unique` },
          ]),
        ]
      : [];
  });
}

/** Two environments writing one Terraform state would overwrite each other's resources. */
function sharedState(envs: readonly Environment[]): ConfigError[] {
  const first = new Map<string, Environment>();
  return envs.flatMap((env) => {
    const state = stateLocation(env);
    if (!state) return [];
    const earlier = first.get(state.where);
    if (!earlier) first.set(state.where, env);
    return earlier
      ? [
          new ConfigError(env.file, [
            {
              path: state.path,
              message: `state ${state.where} is already used by ${earlier.file} (${state.fields}); each environment needs its own ${state.own}`,
            },
          ]),
        ]
      : [];
  });
}

/**
 * Environments on one cluster: each needs its own namespace prefix (its namespaces, PriorityClass,
 * GatewayClass and issuers are named after it), and each operator is installed by one of them only
 * (the others use it: its CRDs, webhooks and cluster roles exist once per cluster). The second
 * environment is blamed, and the message names the first. (Two kubeconfig contexts for one cluster
 * cannot be told apart here: docs/operations.md, "Sharing a cluster".)
 */
function sharedCluster(envs: readonly Environment[]): ConfigError[] {
  const seen = new Map<string, Environment[]>();
  const errors: ConfigError[] = [];
  for (const env of envs) {
    const cluster = clusterOf(env);
    if (!cluster || env.target.kind !== 'kubernetes') continue;
    const earlier = seen.get(cluster) ?? [];
    const issues = [];
    const prefix = env.target.namespacePrefix;
    const samePrefix = earlier.find((e) => e.target.kind === 'kubernetes' && e.target.namespacePrefix === prefix);
    if (samePrefix) {
      issues.push({
        path: 'target.namespacePrefix',
        message: `"${prefix}" is also the namespace prefix of ${samePrefix.file} in the same cluster (${cluster}); each environment on a cluster needs its own`,
      });
    }
    for (const op of installedOperators(env)) {
      const installer = earlier.find((e) => installedOperators(e).some((o) => o.name === op.name));
      if (installer) {
        issues.push({
          path: op.path,
          message: `${op.name} is installed into ${op.namespace} by ${installer.file} in the same cluster (${cluster}); use that one here: ${op.path}: ${op.instead}`,
        });
      }
    }
    if (issues.length) errors.push(new ConfigError(env.file, issues));
    seen.set(cluster, [...earlier, env]);
  }
  return errors;
}

/** Where a remote backend keeps the environment's state, and the fields that say so (none for local files). */
function stateLocation(env: Environment): { where: string; path: string; fields: string; own: string } | undefined {
  const b = env.backend;
  switch (b.kind) {
    case 'local':
      return undefined;
    case 's3':
      return { where: `s3://${b.bucket}/${b.key}`, path: 'backend.key', fields: 'backend.bucket, backend.key', own: 'state key' };
    case 'kubernetes': {
      const cluster = b.cluster ?? (env.target.kind === 'kubernetes' ? env.target.cluster : undefined);
      const at = !cluster ? '?' : cluster.auth === 'kubeconfig' ? `${cluster.context}@${cluster.path}` : cluster.host;
      return {
        where: `kubernetes ${at} secret ${b.namespace}/tfstate-default-${b.secretSuffix ?? env.name}`,
        path: 'backend.secretSuffix',
        fields: 'backend.namespace, backend.secretSuffix',
        own: 'secret suffix',
      };
    }
  }
}
