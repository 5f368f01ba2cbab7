/** The order services are rendered in (pure; shared by the renderers). */
import type { ServiceSpec } from '../spec/types';

/** Specs ordered so that every service comes after the services it depends on. */
export function orderByDependencies(specs: readonly ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: ServiceSpec[] = [];
  const visit = (spec: ServiceSpec, chain: string[]) => {
    if (done.has(spec.name)) return;
    if (visiting.has(spec.name)) throw new Error(`dependency cycle: ${[...chain, spec.name].join(' -> ')}`);
    visiting.add(spec.name);
    for (const dep of spec.dependsOn) {
      const d = byName.get(dep);
      if (d) visit(d, [...chain, spec.name]);
    }
    visiting.delete(spec.name);
    done.add(spec.name);
    out.push(spec);
  };
  for (const spec of specs) visit(spec, []);
  return out;
}
