/**
 * What a cluster stack runs, read from its synthesized JSON: the project's own workloads
 * (StatefulSets, Deployments, DaemonSets; replicas, containers' and init containers' requests and
 * limits, volume claim templates), standalone claims, and every Helm release through the reader its
 * code declared (footprint.ts). Jobs run once at deploy time and are counted apart.
 */
import type { Construct } from '../../providers/cdktf';
import type { ContainerAmounts, PodShape, StackJson, TargetReading } from '../summary';
import { releaseReader, type ReleaseReader } from './footprint';

/** The Terraform JSON form of a container's `resources` (`{ requests: {cpu, memory}, limits: {...} }`). */
function containerOf(c: any): ContainerAmounts {
  const pick = (a: any) =>
    a && (a.cpu !== undefined || a.memory !== undefined)
      ? { ...(a.cpu !== undefined ? { cpu: String(a.cpu) } : {}), ...(a.memory !== undefined ? { memory: String(a.memory) } : {}) }
      : undefined;
  const requests = pick(c.resources?.requests);
  const limits = pick(c.resources?.limits);
  const gpu = Object.entries(c.resources?.limits ?? {}).find(([k]) => k.endsWith('/gpu'));
  return {
    name: String(c.name),
    ...(requests ? { requests } : {}),
    ...(limits ? { limits } : {}),
    ...(gpu ? { gpus: Number(gpu[1]) } : {}),
  };
}

const WORKLOAD_TYPES = ['kubernetes_stateful_set_v1', 'kubernetes_deployment_v1', 'kubernetes_daemon_set_v1'] as const;

/** The readers of the stack's Helm releases, by logical id. */
export function releaseReaders(stack: Construct): Map<string, ReleaseReader> {
  const out = new Map<string, ReleaseReader>();
  for (const c of stack.node.findAll()) {
    const reader = releaseReader(c);
    if (reader) out.set((c as unknown as { friendlyUniqueId: string }).friendlyUniqueId, reader);
  }
  return out;
}

export interface ClusterReading {
  readonly pods: PodShape[];
  readonly jobs: number;
  readonly notCounted: string[];
}

export function readCluster(json: StackJson, readers: ReadonlyMap<string, ReleaseReader>): ClusterReading {
  const r = json.resource ?? {};
  const pods: PodShape[] = [];
  const autoscaled = new Map<string, { min: number; max: number }>();
  for (const hpa of Object.values(r.kubernetes_horizontal_pod_autoscaler_v2 ?? {})) {
    const ref = hpa.spec?.scale_target_ref;
    autoscaled.set(`${hpa.metadata?.namespace}/${ref?.name}`, {
      min: Number(hpa.spec?.min_replicas ?? 1),
      max: Number(hpa.spec?.max_replicas),
    });
  }
  for (const type of WORKLOAD_TYPES) {
    for (const w of Object.values(r[type] ?? {})) {
      const spec = w.spec ?? {};
      const pod = spec.template?.spec ?? {};
      const name = String(w.metadata?.name);
      const namespace = w.metadata?.namespace as string | undefined;
      const hpa = autoscaled.get(`${namespace}/${name}`);
      const replicas =
        type === 'kubernetes_daemon_set_v1' ? { perNode: 'node' } : spec.replicas !== undefined ? Number(spec.replicas) : (hpa?.min ?? 1);
      pods.push({
        name,
        ...(w.metadata?.labels?.['app.kubernetes.io/name'] ? { service: String(w.metadata.labels['app.kubernetes.io/name']) } : {}),
        ...(namespace ? { namespace } : {}),
        replicas,
        containers: ((pod.container ?? []) as any[]).map(containerOf),
        ...(pod.init_container ? { init: (pod.init_container as any[]).map(containerOf) } : {}),
        storage: ((spec.volume_claim_template ?? []) as any[]).map((t) => String(t.spec?.resources?.requests?.storage)),
        ...(hpa && spec.replicas === undefined ? { source: `autoscaled ${hpa.min}..${hpa.max}: counted at its minimum` } : {}),
      });
    }
  }
  for (const pvc of Object.values(r.kubernetes_persistent_volume_claim_v1 ?? {}))
    pods.push({
      name: `volume ${pvc.metadata?.name}`,
      ...(pvc.metadata?.namespace ? { namespace: String(pvc.metadata.namespace) } : {}),
      replicas: 1,
      containers: [],
      storage: [String(pvc.spec?.resources?.requests?.storage)],
    });
  const notCounted: string[] = [];
  for (const [id, release] of Object.entries(r.helm_release ?? {})) {
    const reader = readers.get(id);
    if (!reader) {
      notCounted.push(
        `Helm release ${release.name} (chart ${String(release.chart).replace(/^assets\/.*$/, 'in this repository')}): no reader says what it runs`,
      );
      continue;
    }
    const values = Object.assign({}, ...((release.values ?? []) as string[]).map((v) => JSON.parse(v) as Record<string, unknown>));
    pods.push(...reader(values));
  }
  const jobs = Object.keys(r.kubernetes_job_v1 ?? {}).length;
  return { pods, jobs, notCounted };
}

/** A Kubernetes target's stack: everything it runs is in the cluster it deploys to. */
export function readKubernetes(json: StackJson, readers: ReadonlyMap<string, ReleaseReader>, where: string): TargetReading {
  const c = readCluster(json, readers);
  return { where, pods: c.pods, jobs: c.jobs, unsizedVolumes: 0, managed: [], nodePools: [], billables: [], notCounted: c.notCounted };
}
