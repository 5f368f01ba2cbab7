/**
 * What a cluster target cannot do with a spec, refused before anything is rendered (file: field: message).
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { consumerChecks, placementsOf } from './consumers';
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

/** The consumers of a Kubernetes environment, placed in the cluster and checked (the Docker target has no namespaces). */
export function kubernetesConsumerChecks(env: Environment): Issue[] {
  switch (env.target.kind) {
    case 'kubernetes':
      return consumerChecks(env.consumers, placementsOf(env.consumers, env.target.namespacePrefix), env.target.namespacePrefix);
    case 'aws': {
      // The AWS target's default consumer is its applications' namespace (the same rule as its renderer).
      const prefix = env.target.eks.namespace;
      return consumerChecks(env.consumers, placementsOf(env.consumers, prefix, { name: prefix, create: false }), prefix);
    }
    case 'docker':
      return [];
  }
}
