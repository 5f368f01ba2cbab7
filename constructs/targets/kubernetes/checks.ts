/**
 * What a cluster target cannot do with a spec, refused before anything is rendered (file: field: message).
 */
import type { Issue } from '../../../environments/load';
import type { ServiceSpec } from '../../spec/types';

/** Checks the services that will run in a cluster (the Kubernetes target's, or what AWS keeps in-cluster). */
export function clusterChecks(specs: readonly ServiceSpec[]): Issue[] {
  const issues: Issue[] = [];
  for (const spec of specs) {
    for (const job of spec.jobs) {
      for (const m of job.mounts) {
        // Pods cannot share a ReadWriteOnce volume with the server's pod (Docker containers can).
        if (spec.component === 'objectstore') {
          issues.push({
            path: `${spec.configPath}.engine`,
            message: `${spec.name} runs on the docker target only (its ${job.name} job shares the ${m.volume} volume with the server); use engine: garage`,
          });
        }
      }
    }
  }
  return issues;
}
