/**
 * The platform's namespaces, one per concern, each labelled for Pod Security Standards and bounded by
 * a ResourceQuota (what its workloads need, with room for a rolling update and the jobs) and a
 * LimitRange (defaults for a container that declares nothing, and the largest it may ask for).
 * Data services get a PriorityClass so they are the last to be preempted.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { LimitRangeV1, NamespaceV1, PriorityClassV1, ResourceQuotaV1 } from '../../providers/kubernetes';
import { cpuMillicores, memoryBytes } from '../../spec/quantity';
import type { Concern, ServiceSpec } from '../../spec/types';
import { pinAddress } from '../terraform';
import { podSecurityOf, podSecurityLabels } from '../../targets/kubernetes/naming';
import { canonicalBytes, canonicalMillicores } from '../../targets/kubernetes/quantities';

/** Headroom of a quota over what the namespace's workloads declare (a surge pod per rollout, the jobs). */
export const QUOTA_HEADROOM = 1.5;

export interface NamespaceUse {
  readonly name: string;
  readonly concern: Concern;
  readonly specs: readonly ServiceSpec[];
  /** Names its Terraform addresses. @default the concern */
  readonly key?: string;
  /** A level other than the concern's, with the reason (a realization's own namespace for node agents). */
  readonly podSecurity?: { readonly level: 'restricted' | 'baseline' | 'privileged'; readonly reason: string };
}

export interface Totals {
  readonly requestsCpu: number;
  readonly requestsMemory: number;
  readonly limitsCpu: number;
  readonly limitsMemory: number;
  readonly pods: number;
  readonly claims: number;
  readonly storage: number;
  readonly gpus: number;
  readonly maxCpu: number;
  readonly maxMemory: number;
}

/** What the services of a namespace declare (every replica, every job). */
export function totals(specs: readonly ServiceSpec[]): Totals {
  const t = {
    requestsCpu: 0,
    requestsMemory: 0,
    limitsCpu: 0,
    limitsMemory: 0,
    pods: 0,
    claims: 0,
    storage: 0,
    gpus: 0,
    maxCpu: 0,
    maxMemory: 0,
  };
  for (const s of specs) {
    for (const w of [
      ...s.containers.map((c) => ({ w: c, n: s.replicas, gpus: c.gpus ?? 0 })),
      ...s.jobs.map((j) => ({ w: j, n: 1, gpus: 0 })),
    ]) {
      t.requestsCpu += w.n * cpuMillicores(w.w.resources.requests.cpu);
      t.requestsMemory += w.n * memoryBytes(w.w.resources.requests.memory);
      t.limitsCpu += w.n * cpuMillicores(w.w.resources.limits.cpu);
      t.limitsMemory += w.n * memoryBytes(w.w.resources.limits.memory);
      t.gpus += w.n * w.gpus;
      t.maxCpu = Math.max(t.maxCpu, cpuMillicores(w.w.resources.limits.cpu));
      t.maxMemory = Math.max(t.maxMemory, memoryBytes(w.w.resources.limits.memory));
    }
    t.pods += s.replicas + s.jobs.length;
    t.claims += s.replicas * s.volumes.length;
    t.storage += s.replicas * s.volumes.reduce((n, v) => n + memoryBytes(v.size), 0);
  }
  return t;
}

const MiB = 1024 ** 2;
/** Rounded up to whole mebibytes / tens of millicores, so the canonical form stays short. */
const mem = (b: number) => canonicalBytes(Math.ceil((b * QUOTA_HEADROOM) / MiB) * MiB);
const cpu = (m: number) => canonicalMillicores(Math.ceil((m * QUOTA_HEADROOM) / 10) * 10);

export class Namespaces extends Construct {
  readonly namespaces: NamespaceV1[] = [];
  readonly all: ITerraformDependable[] = [];
  readonly dataPriorityClass: string;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly prefix: string;
      readonly uses: readonly NamespaceUse[];
      readonly labels: Record<string, string>;
      readonly after: readonly ITerraformDependable[];
    },
  ) {
    super(scope, id);
    this.dataPriorityClass = `${props.prefix}-data`;
    this.all.push(
      pinAddress(
        new PriorityClassV1(this, 'data-priority', {
          metadata: { name: this.dataPriorityClass, labels: props.labels },
          value: 100000,
          globalDefault: false,
          preemptionPolicy: 'PreemptLowerPriority',
          description: 'Stateful data services of the agent platform: preempted last.',
          dependsOn: [...props.after],
        }),
        'priority_data',
      ),
    );
    for (const use of props.uses) {
      const pss = use.podSecurity ?? podSecurityOf(use.specs);
      const ns = pinAddress(
        new NamespaceV1(this, use.name, {
          metadata: {
            name: use.name,
            ...(pss.reason ? { annotations: { 'platform/pod-security-reason': pss.reason } } : {}),
            labels: {
              ...props.labels,
              'platform/concern': use.concern,
              ...podSecurityLabels(pss.level),
            },
          },
          waitForDefaultServiceAccount: false,
          dependsOn: [...props.after],
        }),
        'namespace',
        (use.key ?? use.concern).replace(/-/g, '_'),
      );
      this.namespaces.push(ns);
      this.all.push(ns);
      if (use.specs.length === 0) continue;
      const t = totals(use.specs);
      this.all.push(
        pinAddress(
          new ResourceQuotaV1(this, `${use.name}-quota`, {
            metadata: { name: 'platform', namespace: use.name, labels: props.labels },
            spec: {
              hard: {
                'requests.cpu': cpu(t.requestsCpu),
                'requests.memory': mem(t.requestsMemory),
                'limits.cpu': cpu(t.limitsCpu),
                'limits.memory': mem(t.limitsMemory),
                pods: String(Math.ceil(t.pods * 2) + 4),
                // Node agents claim no volume: none may be claimed there.
                persistentvolumeclaims: String(t.claims > 0 ? t.claims + 2 : 0),
                ...(t.storage > 0 ? { 'requests.storage': mem(t.storage) } : {}),
                ...(t.gpus > 0 ? { 'requests.nvidia.com/gpu': String(t.gpus) } : {}),
              },
            },
            dependsOn: [ns],
          }),
          'quota',
          (use.key ?? use.concern).replace(/-/g, '_'),
        ),
        pinAddress(
          new LimitRangeV1(this, `${use.name}-limits`, {
            metadata: { name: 'platform', namespace: use.name, labels: props.labels },
            spec: {
              limit: [
                {
                  type: 'Container',
                  // Written in the canonical form: the provider reads LimitRange values back unparsed.
                  default: { cpu: '500m', memory: '512Mi' },
                  defaultRequest: { cpu: '50m', memory: '64Mi' },
                  max: { cpu: canonicalMillicores(Math.max(t.maxCpu, 500)), memory: canonicalBytes(Math.max(t.maxMemory, 512 * MiB)) },
                },
              ],
            },
            dependsOn: [ns],
          }),
          'limits',
          (use.key ?? use.concern).replace(/-/g, '_'),
        ),
      );
    }
  }
}
