/**
 * The synth summary of a stack, computed from the stack as synthesized (its Terraform JSON, read by
 * its target: stacks/renderers.ts `readers`) and the environment's placement:
 *
 * - its target and its resources by Terraform type;
 * - what runs where: workloads in the cluster or on the host, managed services with their sizes,
 *   node pools with their instance types;
 * - requests and limits of CPU and memory, GPUs and storage: every pod's effective amounts (the
 *   larger of its init containers' largest and its containers' sum) times its replicas. A pod that
 *   runs on every node of a kind (a DaemonSet) is listed apart; containers without amounts are
 *   named, never counted as zero;
 * - on AWS, a monthly estimate from the sourced price table (constructs/targets/aws/prices.ts):
 *   what has no sourced price is listed as not priced and left out of the total;
 * - the guardrail waivers in force and the guardrails' warnings (security/waivers.ts), from the
 *   verdict the synthesis computed.
 *
 * test/summary.test.ts proves each figure against the synthesized fixtures.
 */
import type { Construct } from '../constructs/providers/cdktf';
import type { PodShape, StackJson, TargetReading } from '../constructs/render/summary';
import { type CostEstimate, estimate } from '../constructs/targets/aws/prices';
import { allocatableCpuMillis, allocatableMemoryMiB, instanceType } from '../constructs/targets/aws/instance-types';
import { type PublishedAddress, publishedAddresses } from '../constructs/targets/docker/publishing';
import { cpuMillicores, memoryMebibytes } from '../constructs/spec/quantity';
import type { Environment } from '../environments/parse/load';
import { type Verdict, type WaiverInForce, guardrailWarnings, waiversInForce } from '../security/waivers';
import { readers } from './renderers';
import { describeMigration, migrations } from './migrations';
import { notesFor, stateNotes, warningsFor } from './warnings';

export interface Totals {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
}

export interface Footprint {
  /** Summed over every replica of every pod with a count. */
  readonly requests: Totals;
  readonly limits: Totals;
  readonly gpus: number;
  /** Persistent volumes, GiB, over every replica. */
  readonly storageGiB: number;
  readonly volumes: number;
  /** Pods that run once per node of a kind (not in the sums). */
  readonly perNode: readonly PodShape[];
  /** `pod/container` of every container that sets no request (or no limit), for the reader. */
  readonly withoutRequests: readonly string[];
  readonly withoutLimits: readonly string[];
}

export interface PoolCapacity {
  readonly pool: string;
  readonly instanceType: string;
  /** What the pool's nodes offer pods at its desired size. */
  readonly allocatable: Totals;
  /** What the pods meant for it request (GPU pods on the GPU pool, the others on the rest). */
  readonly requested: Totals;
}

export interface StackSummary {
  readonly stack: string;
  readonly target: string;
  readonly file: string;
  readonly resources: { readonly total: number; readonly byType: readonly (readonly [string, number])[] };
  readonly reading: TargetReading;
  readonly footprint: Footprint;
  readonly capacity: readonly PoolCapacity[];
  readonly cost?: CostEstimate;
  /** The guardrail waivers in force (each with its rule, resource, place in the environment file and reason). */
  readonly waivers: readonly WaiverInForce[];
  /** Things to act on soon. */
  readonly warnings: readonly string[];
  /** Facts to know about the stack. */
  readonly notes: readonly string[];
  /** Where a single-host target publishes ports on the host. */
  readonly published: readonly PublishedAddress[];
}

export function resourcesByType(json: StackJson): StackSummary['resources'] {
  const byType = Object.entries(json.resource ?? {})
    .map(([type, byName]) => [type, Object.keys(byName).length] as const)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return { total: byType.reduce((n, [, c]) => n + c, 0), byType };
}

const ZERO: Totals = { cpuMillis: 0, memoryMiB: 0 };
const add = (a: Totals, b: Totals, times = 1): Totals => ({
  cpuMillis: a.cpuMillis + times * b.cpuMillis,
  memoryMiB: a.memoryMiB + times * b.memoryMiB,
});
const max = (a: Totals, b: Totals): Totals => ({
  cpuMillis: Math.max(a.cpuMillis, b.cpuMillis),
  memoryMiB: Math.max(a.memoryMiB, b.memoryMiB),
});
const amounts = (a: { cpu?: string; memory?: string } | undefined): Totals => ({
  cpuMillis: a?.cpu ? cpuMillicores(a.cpu) : 0,
  memoryMiB: a?.memory ? memoryMebibytes(a.memory) : 0,
});

/**
 * One pod's effective amounts. On Kubernetes a container that sets a limit and no request gets the
 * limit as its request (the API's defaulting), so `limitsAsRequests` is true there; Docker reserves
 * nothing.
 */
export function podAmounts(pod: PodShape, limitsAsRequests: boolean): { requests: Totals; limits: Totals; gpus: number } {
  const request = (c: PodShape['containers'][number]) => amounts(c.requests ?? (limitsAsRequests ? c.limits : undefined));
  const sum = (cs: PodShape['containers']) =>
    cs.reduce((t, c) => ({ requests: add(t.requests, request(c)), limits: add(t.limits, amounts(c.limits)) }), {
      requests: ZERO,
      limits: ZERO,
    });
  const main = sum(pod.containers);
  const init = (pod.init ?? []).reduce((t, c) => ({ requests: max(t.requests, request(c)), limits: max(t.limits, amounts(c.limits)) }), {
    requests: ZERO,
    limits: ZERO,
  });
  return {
    requests: max(main.requests, init.requests),
    limits: max(main.limits, init.limits),
    gpus: pod.containers.reduce((n, c) => n + (c.gpus ?? 0), 0),
  };
}

export function footprintOf(reading: TargetReading, limitsAsRequests: boolean): Footprint {
  let requests = ZERO;
  let limits = ZERO;
  let gpus = 0;
  let storageGiB = 0;
  let volumes = 0;
  const perNode: PodShape[] = [];
  const withoutRequests: string[] = [];
  const withoutLimits: string[] = [];
  for (const pod of reading.pods) {
    for (const c of [...pod.containers, ...(pod.init ?? [])]) {
      const id = pod.containers.length + (pod.init?.length ?? 0) > 1 ? `${pod.name}/${c.name}` : pod.name;
      if (!c.requests && !(limitsAsRequests && c.limits)) withoutRequests.push(id);
      if (!c.limits) withoutLimits.push(id);
    }
    if (typeof pod.replicas !== 'number') {
      perNode.push(pod);
      continue;
    }
    const a = podAmounts(pod, limitsAsRequests);
    requests = add(requests, a.requests, pod.replicas);
    limits = add(limits, a.limits, pod.replicas);
    gpus += a.gpus * pod.replicas;
    storageGiB += pod.replicas * pod.storage.reduce((s, q) => s + memoryMebibytes(q) / 1024, 0);
    volumes += pod.replicas * pod.storage.length;
  }
  return { requests, limits, gpus, storageGiB, volumes, perNode, withoutRequests, withoutLimits };
}

/** Node pools' allocatable capacity at desired size against what their pods request. */
export function capacityOf(reading: TargetReading): PoolCapacity[] {
  const gpuPods = reading.pods.filter((p) => typeof p.replicas === 'number' && p.containers.some((c) => (c.gpus ?? 0) > 0));
  const otherPods = reading.pods.filter((p) => typeof p.replicas === 'number' && !gpuPods.includes(p));
  const requested = (pods: readonly PodShape[]) => pods.reduce((t, p) => add(t, podAmounts(p, true).requests, p.replicas as number), ZERO);
  return reading.nodePools.flatMap((pool) => {
    const type = instanceType(pool.instanceTypes[0] ?? '');
    if (!type) return [];
    const forGpu = type.gpus > 0;
    return [
      {
        pool: pool.pool,
        instanceType: pool.instanceTypes[0]!,
        allocatable: {
          cpuMillis: pool.desired * allocatableCpuMillis(type.vcpus),
          memoryMiB: pool.desired * allocatableMemoryMiB(type.memoryMiB, type.eniMaxPods),
        },
        requested: requested(forGpu ? gpuPods : otherPods),
      },
    ];
  });
}

/**
 * The summary of one environment's synthesized stack; `previous`, what the stack synthesized before
 * in the same output directory, adds a warning for every resource that moves or is replaced.
 */
export function summarizeStack(
  env: Environment,
  json: StackJson,
  stack: Construct,
  file: string,
  previous?: StackJson,
  verdict?: Verdict,
): StackSummary {
  const reading = readers[env.target.kind](env, json, stack);
  const limitsAsRequests = env.target.kind !== 'docker';
  return {
    stack: env.name,
    target: env.target.kind,
    file,
    resources: resourcesByType(json),
    reading,
    footprint: footprintOf(reading, limitsAsRequests),
    capacity: capacityOf(reading),
    ...(reading.region ? { cost: estimate(reading.region, reading.billables) } : {}),
    waivers: verdict ? waiversInForce(verdict) : [],
    warnings: [
      ...(previous ? migrations(previous, json).map((m) => `${env.file}: migration: ${describeMigration(m)}`) : []),
      ...warningsFor(env),
      ...(verdict ? guardrailWarnings(verdict) : []),
    ],
    notes: [...notesFor(env, Object.keys(json.resource?.kubernetes_network_policy_v1 ?? {}).length), ...stateNotes(env)],
    published: publishedAddresses(env),
  };
}
