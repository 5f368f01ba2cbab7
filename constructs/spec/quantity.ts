/**
 * Kubernetes-style resource quantities, the one unit system used in environment files.
 * Memory is binary (`Ki`, `Mi`, `Gi`, `Ti`); cpu is cores (`2`, `0.5`) or millicores (`500m`).
 */

const MEMORY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti)$/;
const CPU = /^(?:[0-9]+(?:\.[0-9]{1,3})?|[0-9]+m)$/;
const UNIT: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

export function isMemoryQuantity(value: string): boolean {
  return MEMORY.test(value);
}

export function isCpuQuantity(value: string): boolean {
  return CPU.test(value) && cpuMillicores(value) > 0;
}

/** Thrown when a value that should have been validated is not a quantity. */
export class QuantityError extends Error {}

export function memoryBytes(value: string): number {
  const m = MEMORY.exec(value);
  if (!m) throw new QuantityError(`not a memory quantity: ${value}`);
  return Math.round(Number(m[1]) * UNIT[m[2]!]!);
}

export function cpuMillicores(value: string): number {
  if (!CPU.test(value)) throw new QuantityError(`not a cpu quantity: ${value}`);
  return value.endsWith('m') ? Number(value.slice(0, -1)) : Math.round(Number(value) * 1000);
}

/** Whole mebibytes, rounded down (Docker's `memory` takes MB; never exceed the requested limit). */
export function memoryMebibytes(value: string): number {
  return Math.floor(memoryBytes(value) / 1024 ** 2);
}

/** Cores as a decimal string (`0.5`, `2`), the form Docker's `--cpus` takes. */
export function cpuCores(value: string): string {
  return String(cpuMillicores(value) / 1000);
}

/**
 * A size in the largest whole unit that represents it exactly, with unit suffixes chosen by the
 * caller: Redis (`kb`/`mb`/`gb`, binary), PostgreSQL (`kB`/`MB`/`GB`, binary), JVM (`k`/`m`/`g`).
 */
export function formatBinarySize(bytes: number, units: { k: string; m: string; g: string }): string {
  const table: [number, string][] = [
    [1024 ** 3, units.g],
    [1024 ** 2, units.m],
    [1024, units.k],
  ];
  for (const [size, suffix] of table) {
    if (bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return `${Math.ceil(bytes / 1024)}${units.k}`;
}
