/**
 * What a Helm release runs, read back from its synthesized values (the synth summary's requests,
 * limits and storage, stacks/summary.ts). A chart's values have the chart's own layout, so the code
 * that writes a release's values declares how to read them (`readsAs`), next to the chart it knows;
 * the summary finds the reader through the release's construct and feeds it the values exactly as
 * they were synthesized. A release without a reader is reported as not counted, never as zero.
 *
 * Chart defaults a reader falls back to (a replica count the values do not set) name their source:
 * the chart's values.yaml at the pinned version (/work/shared/charts in the steering repository).
 */

import type { Amounts, ContainerAmounts, PodShape } from '../summary';

export type { Amounts, ContainerAmounts, PodShape };

export type ReleaseReader = (values: Record<string, any>) => PodShape[];

const readers = new WeakMap<object, ReleaseReader>();

/** Declares how to read what `release` runs from its values; returns the release. */
export function readsAs<T extends object>(release: T, reader: ReleaseReader): T {
  readers.set(release, reader);
  return release;
}

/** The reader declared for a release, if any. */
export function releaseReader(release: object): ReleaseReader | undefined {
  return readers.get(release);
}

/** `{ requests, limits }` in the Kubernetes API's form (chart values), with the GPU count. */
export function amountsOf(name: string, resources: any): ContainerAmounts {
  const pick = (a: any): Amounts | undefined =>
    a && (a.cpu !== undefined || a.memory !== undefined)
      ? { ...(a.cpu !== undefined ? { cpu: String(a.cpu) } : {}), ...(a.memory !== undefined ? { memory: String(a.memory) } : {}) }
      : undefined;
  const gpu = Object.entries(resources?.limits ?? {}).find(([k]) => k.endsWith('/gpu'));
  return {
    name,
    ...(pick(resources?.requests) ? { requests: pick(resources?.requests)! } : {}),
    ...(pick(resources?.limits) ? { limits: pick(resources?.limits)! } : {}),
    ...(gpu ? { gpus: Number(gpu[1]) } : {}),
  };
}

/** A pod template in the Kubernetes API's form (`spec.containers[]`), as operators' custom resources take it. */
export function apiPodContainers(template: any): ContainerAmounts[] {
  return ((template?.spec?.containers ?? []) as any[]).map((c) => amountsOf(String(c.name), c.resources));
}
