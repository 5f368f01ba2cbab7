/**
 * The metric lists: for each exporter (or server) version the platform pins, the names it serves,
 * one per line in monitoring/metrics/<name>@<version>.txt, taken from its documentation or source
 * (the first line says where). A list may cover other versions of the same program (a patch release
 * the sources at hand did not have): its `# covers:` lines name them and why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricSource } from '../constructs/spec/types';

export const METRICS_DIR = path.join(import.meta.dirname, 'metrics');

export interface MetricList {
  readonly file: string;
  readonly name: string;
  readonly version: string;
  /** Where the names come from (the first line). */
  readonly source: string;
  /** Other versions this list is used for, with the reason. */
  readonly covers: readonly string[];
  readonly names: ReadonlySet<string>;
}

let cache: MetricList[] | undefined;

/** Every list in monitoring/metrics. */
export function metricLists(): readonly MetricList[] {
  if (cache) return cache;
  cache = fs
    .readdirSync(METRICS_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((file) => {
      const lines = fs.readFileSync(path.join(METRICS_DIR, file), 'utf8').split('\n');
      const [name, version] = file.slice(0, -'.txt'.length).split('@') as [string, string];
      return {
        file,
        name,
        version,
        source: (lines[0] ?? '').replace(/^#\s*/, ''),
        covers: lines.filter((l) => l.startsWith('# covers:')).map((l) => l.slice('# covers:'.length).trim()),
        names: new Set(lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))),
      };
    });
  return cache;
}

const bare = (v: string) => v.replace(/^v/, '');

/** The list for a program at a version: its own, or one whose `# covers:` names that version. */
export function listFor(source: MetricSource): MetricList | undefined {
  const lists = metricLists().filter((l) => l.name === source.name);
  return (
    lists.find((l) => bare(l.version) === bare(source.version)) ??
    lists.find((l) => l.covers.some((c) => bare(c.split(/\s/)[0]!) === bare(source.version)))
  );
}
