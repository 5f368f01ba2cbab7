/**
 * What a cluster target cannot do with a spec, refused before anything is rendered (file: field: message).
 */
import type { Issue } from '../../../environments/parse/load';
import type { ServiceSpec } from '../../spec/types';

/** Checks the services that will run in a cluster (the Kubernetes target's, or what AWS keeps in-cluster). */
export function clusterChecks(specs: readonly ServiceSpec[]): Issue[] {
  const issues: Issue[] = [];
  for (const spec of specs) {
    const single = spec.requirements?.singleHost;
    if (single) {
      issues.push({ path: single.path, message: `${spec.name} runs on a single host only: ${single.message}` });
    }
  }
  return issues;
}
