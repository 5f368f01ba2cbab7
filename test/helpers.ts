/** Shared fixtures: environments loaded once, stacks synthesized once per environment. */
import { Testing } from '../constructs/providers/cdktf';
import type { ServiceSpec } from '../constructs/spec/types';
import { environments } from '../environments';
import { type Environment, type EnvironmentSource, loadEnvironment } from '../environments/load';
import { EnvironmentStack } from '../stacks/environment-stack';

export type EnvName = 'development' | 'staging' | 'production';

export function source(name: EnvName): EnvironmentSource {
  const found = environments.find((e) => e.file === `environments/${name}.ts`);
  if (!found) throw new Error(`no environment ${name}`);
  return found;
}

/** A deep copy of an environment's input with `edit` applied, under a test file name. */
export function variant(name: EnvName, edit: (input: any) => void, file = `environments/${name}.ts`): EnvironmentSource {
  const input = structuredClone(source(name).input) as any;
  edit(input);
  return { file, input };
}

const loaded = new Map<string, Environment>();
export function env(name: EnvName): Environment {
  let e = loaded.get(name);
  if (!e) loaded.set(name, (e = loadEnvironment(source(name))));
  return e;
}

export function spec(e: Environment, name: string): ServiceSpec {
  const s = e.specs.find((x) => x.name === name);
  if (!s) throw new Error(`no spec ${name} in ${e.name}`);
  return s;
}

export interface Synthesized {
  /** Metadata-free, key-sorted JSON as cdktf's Testing.synth returns it (what snapshots hold). */
  readonly text: string;
  readonly tf: TerraformJson;
  /** The construct tree it came from (to inspect what renderers computed). */
  readonly stack: EnvironmentStack;
}

export interface TerraformJson {
  resource: Record<string, Record<string, any>>;
  output?: Record<string, any>;
  provider?: Record<string, any>;
  terraform: any;
}

const synthesized = new WeakMap<Environment, Synthesized>();
export function synth(e: Environment): Synthesized {
  let s = synthesized.get(e);
  if (!s) {
    // cdktf captures a stack trace for every token it creates; the test runner source-maps each one,
    // which costs more than the synthesis. Plain V8 frames while synthesizing (restored after).
    const errors = Error as { prepareStackTrace?: unknown };
    const prepare = errors.prepareStackTrace;
    errors.prepareStackTrace = undefined;
    let text: string;
    let stack: EnvironmentStack;
    try {
      const app = Testing.app({ stackTraces: false });
      stack = new EnvironmentStack(app, { environment: e });
      text = Testing.synth(stack);
    } finally {
      errors.prepareStackTrace = prepare;
    }
    s = { text, tf: JSON.parse(text) as TerraformJson, stack };
    synthesized.set(e, s);
  }
  return s;
}

/** Docker environment variables as a map. */
export function envMap(container: { env?: string[] }): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}
