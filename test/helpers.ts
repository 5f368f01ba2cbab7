/**
 * Shared fixtures: the product's tests run on environments that live with them (test/fixtures, and
 * the clusters scenario of the drills), loaded once; stacks are synthesized once per environment.
 * The user's environments (environments/*.ts) are reached only through `shipped()`, for the checks
 * that hold for any valid environment and the snapshots `npx vitest run -u` regenerates.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onTestFinished } from 'vitest';
import { Testing, forgetTokens, synthOnce, tokenMark, withoutTraces } from '../constructs/providers/cdktf';
import type { SpecName, SpecOf } from '../constructs/services';
import type { ServiceSpec } from '../constructs/spec/types';
import { discoverEnvironments } from '../environments/parse/discover';
import type { Environment, EnvironmentSource } from '../environments/parse/load';
import clusters, { CLUSTERS_FILE } from '../scripts/verify/scenarios/clusters';
import { prepare } from '../stacks/pipeline';
import { EnvironmentStack } from '../stacks/environment-stack';
import { BootstrapStack } from '../stacks/bootstrap-stack';
import { type Bootstrap, loadBootstrap } from '../environments/parse/bootstrap';
import bootstrapFixture from './fixtures/bootstrap';
import development from './fixtures/development';
import production from './fixtures/production';
import staging from './fixtures/staging';

/** The fixtures: a Docker host, a Kubernetes cluster, AWS, and a Kubernetes cluster with clusters. */
const fixtures = {
  development: { file: 'test/fixtures/development.ts', input: development },
  staging: { file: 'test/fixtures/staging.ts', input: staging },
  production: { file: 'test/fixtures/production.ts', input: production },
  clusters: { file: CLUSTERS_FILE, input: clusters },
} satisfies Record<string, EnvironmentSource>;

export type FixtureName = keyof typeof fixtures;

export function source(name: FixtureName): EnvironmentSource {
  return fixtures[name];
}

/** A deep copy of a fixture's input with `edit` applied, under the fixture's file name (or `file`). */
export function variant(name: FixtureName, edit: (input: any) => void, file: string = fixtures[name].file): EnvironmentSource {
  const input = structuredClone(fixtures[name].input) as any;
  edit(input);
  return { file, input };
}

const loaded = new Map<string, Environment>();
/** A fixture, parsed, composed and checked (once). */
export function env(name: FixtureName): Environment {
  let e = loaded.get(name);
  if (!e) loaded.set(name, (e = prepare(source(name))));
  return e;
}

/** The user's environments (every file in environments/), prepared. */
let shippedOnce: Promise<Environment[]> | undefined;
export function shipped(): Promise<Environment[]> {
  return (shippedOnce ??= discoverEnvironments().then((sources) => sources.map(prepare)));
}

/** A spec of an environment by name, typed with its facet when the name is one the catalogue builds. */
export function spec<N extends SpecName>(e: Environment, name: N): SpecOf<N>;
export function spec(e: Environment, name: string): ServiceSpec;
export function spec(e: Environment, name: string): ServiceSpec {
  const s = e.specs.find((x) => x.name === name);
  if (!s) throw new Error(`no spec ${name} in ${e.name}`);
  return s;
}

export interface Synthesized {
  /** Metadata-free, key-sorted JSON as cdktf's Testing.synth returns it (what snapshots hold). */
  readonly text: string;
  readonly tf: TerraformJson;
  /**
   * The same configuration with the `//` comments `cdktf synth` writes (each resource's construct
   * path, what the guardrails read of it): what stacks/app.ts checks before anything is written.
   */
  readonly full: TerraformJson;
  /**
   * The construct tree it came from, to inspect what renderers computed. Its tokens are dropped once
   * the configuration is resolved (so that a worker does not keep every stack it ever synthesized):
   * it cannot be synthesized or resolved again; build a new stack for that.
   */
  readonly stack: EnvironmentStack;
}

export interface TerraformJson {
  resource: Record<string, Record<string, any>>;
  output?: Record<string, any>;
  provider?: Record<string, any>;
  terraform: any;
}

/**
 * The output folder of every app the tests build: one, under node_modules/.cache, reused by every
 * run. `Testing.app` would make a temporary folder per app (its `stacks` folder inside) and leave it
 * behind: over a hundred per run. The tests synthesize in memory; nothing else is written there.
 */
const TEST_OUTDIR = path.join(import.meta.dirname, '..', 'node_modules', '.cache', 'agent-platform-test-app');
// With its `stacks` folder made here (recursive: no error when it exists): cdktf's App makes it
// with an exists-then-mkdir, which throws EEXIST when two workers build their first app at the same
// moment on a fresh clone (seen in CI: a whole test file failed at load; reproduced with six
// processes starting apps together, once in 40 tries).
fs.mkdirSync(path.join(TEST_OUTDIR, 'stacks'), { recursive: true });

/** An app for a test's stacks, without stack traces, writing (if ever) into the tests' one folder. */
export function testApp(options: { stackTraces?: boolean } = {}) {
  return Testing.app({ stackTraces: false, ...options, outdir: TEST_OUTDIR });
}

/** A temporary folder for the running test, removed when the test finishes (passed or not). */
export function scratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const synthesized = new WeakMap<Environment, Synthesized>();
/**
 * The same environment built twice (a variant several test files make, such as "backups off") is
 * synthesized once per worker: the cache is keyed by the environment's content as well.
 */
const byContent = new Map<string, Synthesized>();
export function synth(e: Environment): Synthesized {
  let s = synthesized.get(e);
  if (s) return s;
  const key = createHash('sha256').update(JSON.stringify(e)).digest('hex');
  s = byContent.get(key);
  if (!s) {
    s = withoutTraces(() => {
      const mark = tokenMark();
      const stack = new EnvironmentStack(testApp(), { environment: e });
      const once = synthOnce(stack);
      forgetTokens(mark);
      return {
        tf: once.tf as TerraformJson,
        full: once.full as TerraformJson,
        stack,
        get text() {
          return once.text;
        },
      };
    });
    byContent.set(key, s);
  }
  synthesized.set(e, s);
  return s;
}

/** Docker environment variables as a map. */
export function envMap(container: { env?: string[] }): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/**
 * Every environment the invariant checks run over (rules that hold for any valid environment): the
 * fixtures and the drills' clusters scenario, then each of the user's environments.
 */
export async function everyEnvironment(): Promise<{ label: string; env: Environment }[]> {
  const fixtures = (['development', 'staging', 'production', 'clusters'] as const).map((n) => ({ label: source(n).file, env: env(n) }));
  return [...fixtures, ...(await shipped()).map((e) => ({ label: e.file, env: e }))];
}

/** The docker target of an environment (throws for the other targets). */
export function dockerTarget(e: Environment): Extract<Environment['target'], { kind: 'docker' }> {
  if (e.target.kind !== 'docker') throw new Error(`${e.name} is not on docker`);
  return e.target;
}

/** The bootstrap fixture (test/fixtures/bootstrap.ts) with `edit` applied, loaded. */
export function bootstrapOf(edit: (input: any) => void = () => {}): Bootstrap {
  const input = structuredClone(bootstrapFixture) as any;
  edit(input);
  return loadBootstrap({ file: 'test/fixtures/bootstrap.ts', input });
}

/** The bootstrap stack of `b` serving `envs`, synthesized (metadata-free JSON). */
export function synthBootstrap(b: Bootstrap, envs: readonly Environment[]): { tf: TerraformJson; stack: BootstrapStack } {
  return withoutTraces(() => {
    const stack = new BootstrapStack(testApp(), { bootstrap: b, environments: envs });
    return { tf: synthOnce(stack).tf as TerraformJson, stack };
  });
}
