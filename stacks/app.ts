/**
 * Synthesizing the whole app: validate every environment first, synthesize into a private staging
 * directory, and only when everything succeeded move the stack files into the output directory.
 * A bad environment file therefore leaves `cdktf.out` exactly as it was (including the
 * `.terraform` directories and lock files Terraform keeps there).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from '../constructs/providers/cdktf';
import type { Environment, EnvironmentSource } from '../environments/parse/load';
import { guardrails, prepareAll } from './pipeline';
import { GuardrailError, type Verdict, guardrailWarnings, refuses } from '../security/waivers';
import { containerSpecs } from '../constructs/targets';
import { EnvironmentStack } from './environment-stack';
import { notesFor, warningsFor } from './warnings';
import { memoryMebibytes } from '../constructs/spec/quantity';
import { type PublishedAddress, publishedAddresses } from '../constructs/targets/docker/publishing';
import { describeMigration, migrations } from './migrations';

export interface StackSummary {
  readonly stack: string;
  readonly target: string;
  /** Services rendered into the stack (0 while the target's renderer is pending). */
  readonly services: number;
  readonly resources: number;
  /** Sum of the memory limits of everything that runs at once (every replica of every container and background job), in MiB. */
  readonly memoryMiB: number;
  readonly file: string;
  /** Things to act on soon (an archived engine, a Kubernetes version near the end of its support). */
  readonly warnings: readonly string[];
  /** Facts to know about the stack (who enforces its NetworkPolicies). */
  readonly notes: readonly string[];
  /** Where a single-host target publishes ports on the host (empty for the others). */
  readonly published: readonly PublishedAddress[];
  /** The guardrails' verdict: what is waived (`waiversInForce`), what is only listed (in `warnings`). */
  readonly guardrails: Verdict;
}

/** Builds one stack per environment into `app`. */
export function buildStacks(app: App, envs: readonly Environment[], outdir: string): EnvironmentStack[] {
  return envs.map((environment) => new EnvironmentStack(app, { environment, outdir }));
}

export function synthesize(sources: readonly EnvironmentSource[], outdir: string): StackSummary[] {
  const envs = prepareAll(sources);
  const parent = path.dirname(path.resolve(outdir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}.staging-`));
  // cdktf captures a full stack trace for every token it creates (stackTraces: false does not stop
  // that) and formats it at once; with source maps on (tsx turns them on) each one is also mapped.
  // Neither is read: while synthesizing, traces format to nothing. Both restored after.
  const sourceMaps = process.sourceMapsEnabled;
  const errors = Error as { prepareStackTrace?: unknown };
  const prepareTrace = errors.prepareStackTrace;
  process.setSourceMapsEnabled(false);
  errors.prepareStackTrace = () => '';
  try {
    const app = new App({ outdir: staging, stackTraces: false });
    buildStacks(app, envs, outdir);
    app.synth();
    // The guardrails over each synthesized stack, before anything reaches the output directory: one
    // report of every violation of every environment, or nothing written.
    const stacks = envs.map((env) => ({ env, json: readStack(staging, env) }));
    const verdicts = stacks.map(({ env, json }) => guardrails(env, json));
    if (verdicts.some(refuses)) throw new GuardrailError(verdicts);
    const summaries = stacks.map(({ env, json }, i) => summarize(env, json, verdicts[i]!, outdir));
    install(
      staging,
      outdir,
      envs.map((e) => e.name),
    );
    return summaries;
  } finally {
    errors.prepareStackTrace = prepareTrace;
    process.setSourceMapsEnabled(sourceMaps);
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

type StackJson = { resource?: Record<string, Record<string, any>> };

function readStack(staging: string, env: Environment): StackJson {
  return JSON.parse(fs.readFileSync(path.join(staging, 'stacks', env.name, 'cdk.tf.json'), 'utf8')) as StackJson;
}

function summarize(env: Environment, json: StackJson, verdict: Verdict, outdir: string): StackSummary {
  const rel = path.join('stacks', env.name, 'cdk.tf.json');
  const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
  // What the stack synthesized before in this output directory (the last diff or deploy from here).
  const previousFile = path.join(outdir, rel);
  const previous = fs.existsSync(previousFile) ? JSON.parse(fs.readFileSync(previousFile, 'utf8')) : undefined;
  const moved = previous ? migrations(previous, json).map((m) => `${env.file}: migration: ${describeMigration(m)}`) : [];
  return {
    stack: env.name,
    target: env.target.kind,
    services: env.specs.length,
    resources,
    memoryMiB: memoryMiB(env),
    file: path.join(outdir, rel),
    warnings: [...moved, ...warningsFor(env), ...guardrailWarnings(verdict)],
    notes: notesFor(env, Object.keys(json.resource?.kubernetes_network_policy_v1 ?? {}).length),
    published: publishedAddresses(env),
    guardrails: verdict,
  };
}

/** What the environment's workloads may use at once: every replica's containers and background jobs. */
export function memoryMiB(env: Environment): number {
  return containerSpecs[env.target.kind](env).reduce(
    (sum, spec) =>
      sum +
      spec.replicas * spec.containers.reduce((n, c) => n + memoryMebibytes(c.resources.limits.memory), 0) +
      spec.jobs.filter((j) => j.run === 'background').reduce((n, j) => n + memoryMebibytes(j.resources.limits.memory), 0),
    0,
  );
}

/**
 * Moves each synthesized file into place (rename is atomic per file), the manifest last. Other
 * files in the stack directories (Terraform's `.terraform/`, lock files, plans) are kept.
 */
function install(staging: string, outdir: string, stacks: readonly string[]): void {
  for (const stack of stacks) {
    const from = path.join(staging, 'stacks', stack);
    const to = path.join(outdir, 'stacks', stack);
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from)) {
      // A directory (the assets: local Helm charts) replaces the previous synthesis's whole; rename
      // cannot replace a non-empty directory.
      if (fs.statSync(path.join(from, entry)).isDirectory()) fs.rmSync(path.join(to, entry), { recursive: true, force: true });
      fs.renameSync(path.join(from, entry), path.join(to, entry));
    }
  }
  fs.renameSync(path.join(staging, 'manifest.json'), path.join(outdir, 'manifest.json'));
}
