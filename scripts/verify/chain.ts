/**
 * The longest dependency chain of a plan: a first deploy takes at least as long as creating the
 * resources of that chain one after the other. Two readings of the same graph:
 * - from the synthesized JSON (references inside `${...}` and `depends_on`), for the test;
 * - from `terraform graph` (DOT), for verify.
 * Both keep AWS resources only and must find the same chain. Among chains of equal length the
 * lexicographically smallest wins, so the answer is one and stable. (Terraform's graph may be
 * transitively reduced; that never changes a longest path.)
 */
import { addressesOf, referencesIn, strings } from './aws-offline';

/** Node -> the nodes it depends on. */
export type Graph = Map<string, Set<string>>;

export function graphFromJson(json: any, include: (address: string) => boolean): Graph {
  const known = addressesOf(json);
  const graph: Graph = new Map();
  for (const section of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries<Record<string, any>>(json[section] ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        const address = `${section === 'data' ? 'data.' : ''}${type}.${name}`;
        if (!include(address)) continue;
        const { depends_on: explicit = [], ...rest } = body;
        const deps = new Set<string>([
          ...strings(rest).flatMap((s) => referencesIn(s, known)),
          ...(explicit as string[]).filter((d) => known.has(d)),
        ]);
        deps.delete(address);
        graph.set(address, new Set([...deps].filter(include)));
      }
    }
  }
  return graph;
}

/** `terraform graph` output: `"a" -> "b"` means a depends on b. */
export function graphFromDot(dot: string, include: (address: string) => boolean): Graph {
  const graph: Graph = new Map();
  const clean = (s: string) => s.replace(/^\[root\]\s*/, '').replace(/\s*\((expand|close)\)$/, '');
  const node = (name: string) => {
    if (!graph.has(name)) graph.set(name, new Set());
    return graph.get(name)!;
  };
  for (const m of dot.matchAll(/^\s*"([^"]+)"\s*\[label="([^"]+)"/gm)) {
    const name = clean(m[1]!);
    if (include(name)) node(name);
  }
  for (const m of dot.matchAll(/^\s*"([^"]+)"\s*->\s*"([^"]+)"/gm)) {
    const from = clean(m[1]!);
    const to = clean(m[2]!);
    if (include(from) && include(to) && from !== to) node(from).add(to);
    else if (include(from)) node(from);
  }
  return graph;
}

/** The longest path (most resources), dependencies first. */
export function longestChain(graph: Graph): string[] {
  const memo = new Map<string, string[]>();
  const visiting = new Set<string>();
  const longestTo = (n: string): string[] => {
    const known = memo.get(n);
    if (known) return known;
    if (visiting.has(n)) throw new Error(`dependency cycle through ${n}`);
    visiting.add(n);
    let best: string[] = [];
    for (const d of [...(graph.get(n) ?? [])].sort()) {
      const path = longestTo(d);
      if (path.length > best.length || (path.length === best.length && compare(path, best) < 0)) best = path;
    }
    visiting.delete(n);
    const result = [...best, n];
    memo.set(n, result);
    return result;
  };
  let best: string[] = [];
  for (const n of [...graph.keys()].sort()) {
    const path = longestTo(n);
    if (path.length > best.length || (path.length === best.length && compare(path, best) < 0)) best = path;
  }
  return best;
}

function compare(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** The committed form: one address per line, dependencies first. */
export const formatChain = (chain: readonly string[]) => `${chain.join('\n')}\n`;

export const isAwsAddress = (address: string) => /^(data\.)?aws_/.test(address);
