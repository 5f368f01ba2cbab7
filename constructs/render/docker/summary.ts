/**
 * What a Docker stack runs, read from its synthesized JSON: every container that must keep running
 * (its memory limit in MB and its CFS quota), the one-shot job containers apart, and the named
 * volumes (Docker does not limit their size). Docker reserves nothing for a container, so there are
 * no requests.
 */
import type { PodShape, StackJson, TargetReading } from '../summary';

export function readDocker(json: StackJson): TargetReading {
  const r = json.resource ?? {};
  const pods: PodShape[] = [];
  let jobs = 0;
  for (const [id, c] of Object.entries(r.docker_container ?? {})) {
    // Jobs are created with must_run false: they run once, at deploy time, and exit.
    if (c.must_run === false) {
      jobs++;
      continue;
    }
    const cpu =
      c.cpu_quota !== undefined && c.cpu_period ? `${Math.round((Number(c.cpu_quota) / Number(c.cpu_period)) * 1000)}m` : undefined;
    const memory = c.memory !== undefined ? `${Number(c.memory)}Mi` : undefined;
    const label = ((c.labels ?? []) as { label: string; value: string }[]).find((l) => l.label === 'app.kubernetes.io/name');
    pods.push({
      // The pinned address (`nats_exporter`), not the Docker name with its project and environment prefix.
      name: id.replace(/_/g, '-'),
      ...(label ? { service: label.value } : {}),
      replicas: 1,
      containers: [
        {
          name: id.replace(/_/g, '-'),
          ...(cpu || memory ? { limits: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } : {}),
        },
      ],
      storage: [],
    });
  }
  return {
    where: 'the Docker host',
    pods,
    jobs,
    unsizedVolumes: Object.keys(r.docker_volume ?? {}).length,
    managed: [],
    nodePools: [],
    billables: [],
    notCounted: [],
  };
}
