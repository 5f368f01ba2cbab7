/**
 * Synthesizing the whole app: validate every environment first, synthesize into a private staging
 * directory, and only when everything succeeded move the stack files into the output directory.
 * A bad environment file therefore leaves `cdktf.out` exactly as it was (including the
 * `.terraform` directories and lock files Terraform keeps there).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type WrittenStack, synthesizeEach, withoutTraces } from '../constructs/providers/cdktf';
import type { Environment, EnvironmentSource } from '../environments/parse/load';
import { type Bootstrap, type BootstrapSource, loadBootstrap } from '../environments/parse/bootstrap';
import { guardrails, prepareAll } from './pipeline';
import { GuardrailError, refuses, verdict } from '../security/waivers';
import { resourceViolations } from '../security/resource-rules';
import { containerSpecs } from '../constructs/targets';
import { EnvironmentStack } from './environment-stack';
import { BootstrapStack, bootstrapWarnings, servedEnvironments } from './bootstrap-stack';
import { memoryMebibytes } from '../constructs/spec/quantity';
import { type StackSummary, resourcesByType, summarizeStack } from './summary';
import { installLocks } from './locks';

export type { StackSummary };

/** The once-per-account stack, summarized: its resources, the CI roles and what does not fit. */
export interface BootstrapSummary {
  readonly stack: string;
  readonly file: string;
  readonly bootstrap: Bootstrap;
  readonly resources: StackSummary['resources'];
  /** The environments whose deploy jobs assume the deploy role. */
  readonly deployEnvironments: readonly string[];
  /** Managed policies per role. */
  readonly policies: Readonly<Record<string, number>>;
  readonly warnings: readonly string[];
}

export interface Synthesis {
  readonly environments: readonly StackSummary[];
  readonly bootstrap?: BootstrapSummary;
}

export interface SynthesizeOptions {
  /** The bootstrap file (bootstrap/account.ts): adds the stack `bootstrap`. */
  readonly bootstrap?: BootstrapSource;
  /** Committed lock files copied into each stack's directory. @default the project's locks/ */
  readonly locksDir?: string;
}

export function synthesize(sources: readonly EnvironmentSource[], outdir: string, options: SynthesizeOptions = {}): Synthesis {
  const envs = prepareAll(sources);
  const bootstrap = options.bootstrap ? loadBootstrap(options.bootstrap) : undefined;
  const parent = path.dirname(path.resolve(outdir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}.staging-`));
  try {
    return withoutTraces(() => {
      const app = new App({ outdir: staging, stackTraces: false });
      const rel = (name: string) => path.join(outdir, 'stacks', name, 'cdk.tf.json');
      // What each stack synthesized before in this output directory (the last diff or deploy from
      // here); the same object when nothing changed (then nothing is compared).
      const previous = (name: string, now: WrittenStack) => {
        const before = path.join(outdir, 'stacks', name, 'cdk.tf.json');
        const bytes = fs.existsSync(before) ? fs.readFileSync(before) : undefined;
        return bytes === undefined ? undefined : bytes.equals(now.bytes) ? now.json : JSON.parse(bytes.toString('utf8'));
      };
      // Each stack is built, synthesized into the staging directory, checked by the guardrails and
      // summarized, then dropped before the next (synthesizeEach). Nothing reaches the output
      // directory before every stack passed: one report of every violation of every environment, or
      // nothing written.
      const done = synthesizeEach(
        app,
        envs.map((environment) => () => new EnvironmentStack(app, { environment, outdir })),
        (stack, written) => {
          const env = stack.environment;
          const verdict = guardrails(env, written.json);
          return { verdict, summary: summarizeStack(env, written.json, stack, rel(env.name), previous(env.name, written), verdict) };
        },
      );
      // The bootstrap stack (the state bucket, its key, the CI roles) is held to the same rules; its
      // file takes no waivers: the account's foundation has no exception to make.
      const [boot] =
        bootstrap && options.bootstrap
          ? synthesizeEach(app, [() => new BootstrapStack(app, { bootstrap, environments: envs, outdir })], (stack, written) => ({
              stack: stack.node.id,
              json: written.json,
              verdict: verdict({
                file: options.bootstrap!.file,
                environment: stack.node.id,
                violations: resourceViolations(written.json, { protectData: true }),
                waivers: [],
              }),
            }))
          : [];
      const all = [...done.map((d) => d.verdict), ...(boot ? [boot.verdict] : [])];
      if (all.some(refuses)) throw new GuardrailError(all);
      const environments = done.map((d) => d.summary);
      const names = [...envs.map((e) => e.name), ...(boot ? [boot.stack] : [])];
      install(staging, outdir, names);
      installLocks(options.locksDir ?? LOCKS_DIR, outdir, names);
      if (!boot || !bootstrap) return { environments };
      const json = boot.json;
      const policies: Record<string, number> = {};
      for (const p of Object.values<any>(json.resource?.aws_iam_policy ?? {})) {
        const role = String(p.name).replace(/-\d+$/, '');
        policies[role] = (policies[role] ?? 0) + 1;
      }
      return {
        environments,
        bootstrap: {
          stack: boot.stack,
          file: rel(boot.stack),
          bootstrap,
          resources: resourcesByType(json),
          deployEnvironments: servedEnvironments(bootstrap, envs).deploy.map((e) => e.name),
          policies,
          warnings: bootstrapWarnings(bootstrap, envs),
        },
      };
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
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

/** The committed lock files (locks/<stack>.terraform.lock.hcl). */
export const LOCKS_DIR = path.resolve(import.meta.dirname, '..', 'locks');
