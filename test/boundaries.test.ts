/**
 * Architectural rules, checked on the source: cdktf and providers are imported only behind the
 * boundary (constructs/providers), provider classes only from per-resource submodules, and specs
 * stay pure data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const sources = ['main.ts', 'stacks', 'constructs', 'environments', 'security', 'monitoring', 'scripts'].flatMap((entry) => {
  const full = path.join(root, entry);
  if (fs.statSync(full).isFile()) return [entry];
  return (fs.readdirSync(full, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(entry, f));
});
const importsOf = (file: string) =>
  [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

describe('import boundaries', () => {
  it('finds the sources', () => {
    expect(sources.length).toBeGreaterThan(30);
  });

  it('only constructs/providers imports cdktf, constructs or a provider package', () => {
    const offenders = sources
      .filter((f) => !f.startsWith(path.join('constructs', 'providers')))
      .flatMap((f) =>
        importsOf(f)
          .filter((m) => m === 'cdktf' || m === 'constructs' || m.startsWith('@cdktf/'))
          .map((m) => `${f}: ${m}`),
      );
    expect(offenders).toEqual([]);
  });

  it('provider classes come from per-resource submodules, never a package root', () => {
    const providerImports = sources.flatMap((f) => importsOf(f).filter((m) => m.startsWith('@cdktf/provider-')));
    expect(providerImports.length).toBeGreaterThan(5);
    for (const m of providerImports) expect(m).toMatch(/^@cdktf\/provider-[a-z]+\/lib\/[a-z0-9-]+$/);
  });

  it('service specs and the spec model are pure data (no provider boundary, no targets)', () => {
    const pure = sources.filter((f) => f.startsWith(path.join('constructs', 'services')) || f.startsWith(path.join('constructs', 'spec')));
    expect(pure.length).toBeGreaterThan(10);
    for (const f of pure) {
      for (const m of importsOf(f)) expect(`${f}: ${m}`).not.toMatch(/providers|targets|cdktf/);
    }
  });

  it('nothing runs through ts-node', () => {
    for (const f of [...sources, 'package.json', 'cdktf.json'])
      expect(fs.readFileSync(path.join(root, f), 'utf8')).not.toContain('ts-node');
  });
});

describe('module graph', () => {
  /** Relative imports that load code at run time (`import type` is erased and cannot form a cycle). */
  const runtimeImports = (file: string): string[] =>
    [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/^\s*(import|export)(?!\s+type\b)[^'"]*from\s+['"](\.[^'"]+)['"]/gm)].map((m) => {
      const target = path.normalize(path.join(path.dirname(file), m[2]!));
      for (const candidate of [`${target}.ts`, path.join(target, 'index.ts'), target]) if (sources.includes(candidate)) return candidate;
      return target;
    });

  function cycles(graph: Map<string, string[]>): string[][] {
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

  it('has no import cycles', () => {
    const graph = new Map(sources.map((f) => [f, runtimeImports(f)]));
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('the cycle finder finds one (a -> b -> a)', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['a']], ['c', []]]))).toEqual([['a', 'b', 'a']]);
  });
});
