/**
 * Kibana on a cluster, the part checks need (pure): what the cluster runs for it, Kibana's own pods
 * (ECK) and the spec's probe once, as its own pod.
 */
import type { ContainerSpec, ServiceSpec } from '../../spec/types';

/** The spec's blackbox probe container (run once, as its own Deployment). */
export function probeOf(spec: ServiceSpec): ContainerSpec {
  const c = spec.containers.find((x) => x.name === 'probe');
  if (!c) throw new Error(`${spec.name}: the spec has no probe container`);
  return c;
}

export function kibanaFootprint(spec: ServiceSpec): ServiceSpec[] {
  return [
    { ...spec, containers: [spec.containers[0]!] },
    { ...spec, name: `${spec.name}-probe`, replicas: 1, containers: [probeOf(spec)] },
  ];
}
