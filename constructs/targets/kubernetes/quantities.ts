/**
 * Quantities in the canonical form the Kubernetes API returns: whole cores as `2`, otherwise
 * millicores (`500m`); memory in the largest binary unit that represents it exactly (`1536Mi`,
 * `2Gi`). The kubernetes provider compares container resources and quotas as parsed quantities, but
 * not LimitRange values or HPA targets, which it reads back in this form: writing it everywhere keeps
 * every plan after a deploy empty.
 */
import { cpuMillicores, memoryBytes } from '../../spec/quantity';
import type { ResourceAmounts, ResourceRequirements } from '../../spec/types';

type Amounts = { cpu: string; memory: string } & Record<string, string>;

export function canonicalCpu(value: string): string {
  return canonicalMillicores(cpuMillicores(value));
}

export function canonicalMillicores(m: number): string {
  if (!Number.isInteger(m) || m <= 0) throw new Error(`not a cpu amount: ${m}m`);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

export function canonicalMemory(value: string): string {
  return canonicalBytes(memoryBytes(value));
}

export function canonicalBytes(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes <= 0) throw new Error(`not a memory amount: ${bytes}`);
  for (const [unit, size] of [
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** A container's requests and limits in canonical form. */
export function canonicalResources(r: ResourceRequirements): { requests: Amounts; limits: Amounts } {
  const amounts = (a: ResourceAmounts): Amounts => ({ cpu: canonicalCpu(a.cpu), memory: canonicalMemory(a.memory) });
  return { requests: amounts(r.requests), limits: amounts(r.limits) };
}
