/**
 * Architectural rules, checked on the source:
 * - cdktf and the providers are imported only behind the boundary (constructs/providers), provider
 *   classes only from per-resource submodules;
 * - one pipeline, one way: parse (environments/) → compose (constructs/services) → check (security/
 *   and each target's pure part, constructs/targets) → render (constructs/render, the only code
 *   that reaches the boundary). Parsing imports no target, check or render code; nothing before
 *   render reaches cdktf, which a child process also proves by loading and checking every
 *   environment and counting the provider modules it loaded (none);
 * - no cycles, neither between files at run time nor between folders with type imports included;
 * - the drills in scripts/verify import no test fixture.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const sources = ['main.ts', 'stacks', 'constructs', 'environments', 'security', 'monitoring', 'scripts', 'test'].flatMap((entry) => {
  const full = path.join(root, entry);
  if (fs.statSync(full).isFile()) return [entry];
  return (fs.readdirSync(full, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(entry, f));
});
const product = sources.filter((f) => !f.startsWith(`test${path.sep}`));
const text = new Map(sources.map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));

interface Import {
  readonly spec: string;
  /** The project file it names, for relative imports. */
  readonly file?: string;
  /** `import type` / `export type`: erased at run time. */
  readonly typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  return [...text.get(file)!.matchAll(/^\s*(import|export)(\s+type\b)?[^'";]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => {
    const spec = m[3]!;
    if (!spec.startsWith('.')) return { spec, typeOnly: Boolean(m[2]) };
    const target = path.normalize(path.join(path.dirname(file), spec));
    const found = [`${target}.ts`, path.join(target, 'index.ts'), target].find((c) => text.has(c));
    return { spec, typeOnly: Boolean(m[2]), ...(found ? { file: found } : {}) };
  });
}

/**
 * What a fresh Node (tsx's loader) has loaded of cdktf, constructs and the provider bindings after
 * loading and checking every environment (`loaded`), and then, as the control that the counting
 * works, after importing one binding module through the boundary (`afterControl`): one child process,
 * started by the global setup (test/setup/bindings-probe.ts) when the run starts.
 */
async function bindingsLoaded(): Promise<{ envs: number; loaded: string[]; afterControl: string[] }> {
  const file = inject('bindingsProbe');
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the probe started by test/setup/bindings-probe.ts wrote nothing to ${file} in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const outcome = JSON.parse(fs.readFileSync(file, 'utf8')) as { stdout?: string; error?: string };
  if (outcome.error !== undefined) throw new Error(outcome.error);
  return JSON.parse(outcome.stdout!.trim().split('\n').pop()!);
}

const under = (dir: string) => (f: string) => f.startsWith(dir.split('/').join(path.sep) + path.sep);

function cycles(graph: Map<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

/** Every project file `file` loads at run time, directly or not. */
function runtimeClosure(file: string, seen = new Set<string>()): Set<string> {
  for (const i of importsOf(file)) {
    if (i.typeOnly || !i.file || seen.has(i.file)) continue;
    seen.add(i.file);
    runtimeClosure(i.file, seen);
  }
  return seen;
}

describe('the provider boundary', () => {
  it('finds the sources', () => {
    expect(product.length).toBeGreaterThan(60);
  });

  it('only constructs/providers imports cdktf, constructs or a provider package', () => {
    const offenders = sources
      .filter((f) => !under('constructs/providers')(f))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => i.spec === 'cdktf' || i.spec === 'constructs' || i.spec.startsWith('@cdktf/'))
          .map((i) => `${f}: ${i.spec}`),
      );
    expect(offenders).toEqual([]);
  });

  it('provider classes come from per-resource submodules, never a package root', () => {
    const providerImports = sources.flatMap((f) => importsOf(f).filter((i) => i.spec.startsWith('@cdktf/provider-')));
    expect(providerImports.length).toBeGreaterThan(5);
    for (const i of providerImports) expect(i.spec).toMatch(/^@cdktf\/provider-[a-z]+\/lib\/[a-z0-9-]+$/);
  });

  it('nothing runs through ts-node', () => {
    for (const f of [...product, 'package.json', 'cdktf.json'])
      expect(fs.readFileSync(path.join(root, f), 'utf8'), f).not.toContain('ts-node');
  });
});

describe('one pipeline: parse → compose → check → render', () => {
  const parse = product.filter(under('environments'));
  const compose = product.filter((f) => under('constructs/services')(f) || under('constructs/spec')(f));
  const check = product.filter((f) => under('constructs/targets')(f) || under('security')(f) || f === path.join('stacks', 'pipeline.ts'));
  const render = product.filter(under('constructs/render'));

  it('finds every stage', () => {
    for (const stage of [parse, compose, check, render]) expect(stage.length).toBeGreaterThan(3);
  });

  it('parsing imports neither targets, checks nor renderers (type imports included)', () => {
    const offenders = parse.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.file && (under('constructs/targets')(i.file) || under('security')(i.file) || under('constructs/render')(i.file)))
        .map((i) => `${f}: ${i.spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('services and the spec model are pure data: they import nothing past compose', () => {
    const offenders = compose.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.file && !compose.includes(i.file))
        .map((i) => `${f}: ${i.spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('parse, compose and check never load a renderer or the provider boundary, directly or not', () => {
    const offenders = [...parse, ...compose, ...check, ...product.filter(under('monitoring'))].flatMap((f) =>
      [...runtimeClosure(f)].filter((d) => under('constructs/render')(d) || under('constructs/providers')(d)).map((d) => `${f} loads ${d}`),
    );
    expect(offenders).toEqual([]);
  });

  it('only renderers (and the stacks that run them) import the provider boundary', () => {
    const offenders = product
      .filter((f) => !under('constructs/render')(f) && !under('constructs/providers')(f) && !under('stacks')(f) && !under('scripts')(f))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => i.file && under('constructs/providers')(i.file))
          .map((i) => `${f}: ${i.spec}`),
      );
    expect(offenders).toEqual([]);
  });

  it('loading and checking every environment loads no provider binding (a child process counts them)', async () => {
    const result = await bindingsLoaded();
    expect(result.envs).toBeGreaterThan(0);
    expect(result.loaded).toEqual([]);
  });

  it('the counting works: loading one provider binding through the boundary counts cdktf, constructs and the binding', async () => {
    const { afterControl: loaded } = await bindingsLoaded();
    for (const pkg of ['cdktf', 'constructs', '@cdktf/provider-random'])
      expect(
        loaded.some((k) => k.split(path.sep).join('/').includes(`/node_modules/${pkg}/`)),
        pkg,
      ).toBe(true);
  });
});

describe('module graph', () => {
  it('has no import cycles between files at run time', () => {
    const graph = new Map(
      product.map((f) => [
        f,
        importsOf(f)
          .filter((i) => !i.typeOnly && i.file)
          .map((i) => i.file!),
      ]),
    );
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('has no cycles between folders, type imports included', () => {
    const folder = (f: string) => path.dirname(f);
    const edges = new Map<string, Set<string>>();
    for (const f of product) {
      for (const i of importsOf(f)) {
        if (!i.file || folder(i.file) === folder(f)) continue;
        if (!edges.has(folder(f))) edges.set(folder(f), new Set());
        edges.get(folder(f))!.add(folder(i.file));
      }
    }
    const graph = new Map([...edges].map(([k, v]) => [k, [...v]]));
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('the cycle finder finds one (a -> b -> a)', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', []],
        ]),
      ),
    ).toEqual([['a', 'b', 'a']]);
  });

  it('scripts/verify imports no test fixture', () => {
    const offenders = product.filter(under('scripts')).flatMap((f) =>
      importsOf(f)
        .filter((i) => i.file && under('test')(i.file))
        .map((i) => `${f}: ${i.spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
