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

/**
 * A whole number of seconds as Go's `time.Duration.String()` writes it (`10s`, `1m30s`, `2m0s`,
 * `1h0m0s`, `0s`): the form Docker's API returns and the docker provider reads back, so a plan after
 * apply shows no change.
 */
export function goDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new QuantityError(`not a whole number of seconds: ${seconds}`);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** CFS scheduler period Docker uses for `--cpus` (100 ms), in microseconds. */
export const CPU_PERIOD_US = 100_000;

/** A cpu limit as a CFS quota per {@link CPU_PERIOD_US} (what `--cpus` sets): 500m -> 50000. */
export function cpuQuotaMicros(value: string): number {
  return cpuMillicores(value) * (CPU_PERIOD_US / 1000);
}

const GO_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds in a Go duration (`1h30m`, `90s`, `0`); `undefined` when it is not one. */
export function parseGoDuration(value: string): number | undefined {
  if (value === '0') return 0;
  const parts = [...value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * GO_UNITS[p[2]!]!, 0);
}
