/**
 * What a cluster target cannot do with a spec, refused before anything is rendered (file: field: message).
 */
import type { Environment, Issue } from '../../../environments/parse/load';
import { adminNamespace, consumerChecks, placementsOf } from './consumers';
import type { ServiceSpec } from '../../spec/types';
import { BASELINE_CAPABILITIES } from './naming';

/** Checks the services that will run in a cluster (the Kubernetes target's, or what AWS keeps in-cluster). */
export function clusterChecks(specs: readonly ServiceSpec[]): Issue[] {
  const issues: Issue[] = [];
  // What only a managed equivalent offers is asked of the catalogue entry: once, under its name, even
  // where the cluster runs it as several specs (Elasticsearch's node sets and exporter).
  const managedNeeds = new Set<string>();
  for (const spec of specs) {
    // A namespace goes no further than Pod Security baseline: a container's capabilities must fit it.
    for (const c of spec.containers) {
      const beyond = (c.privileges?.capabilities ?? []).filter((x) => !(BASELINE_CAPABILITIES as readonly string[]).includes(x));
      if (beyond.length)
        issues.push({
          path: spec.configPath,
          message: `${spec.name}/${c.name} needs ${beyond.join(', ')}, beyond what Pod Security baseline allows (${BASELINE_CAPABILITIES.join(', ')}); a cluster target runs no privileged namespace for it`,
        });
    }
    // What only its managed equivalent offers: here the spec runs in the cluster.
    for (const needs of spec.requirements?.managed ?? []) {
      const issue = { path: needs.path, message: `${spec.component} runs in the cluster here, not as a managed service: ${needs.message}` };
      const key = `${issue.path}\n${issue.message}`;
      if (managedNeeds.has(key)) continue;
      managedNeeds.add(key);
      issues.push(issue);
    }
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
      return consumerChecks(env.consumers, placementsOf(env.consumers, prefix, { name: prefix, create: false }), prefix, [
        adminNamespace(prefix),
      ]);
    }
    case 'docker':
      return [];
  }
}

/**
 * What the Kubernetes target needs for the services that serve a certificate themselves (the mail
 * server, Kong): cert-manager and an issuer, which come with `target.gateway`; an `Issuer` (a
 * namespaced one, in the Gateway's namespace) serves certificates in that namespace only.
 */
export function kubernetesCertificateChecks(env: Environment): Issue[] {
  if (env.target.kind !== 'kubernetes') return [];
  const gateway = env.target.gateway;
  const issues: Issue[] = [];
  for (const spec of env.specs) {
    // Internal TLS certificates (`internal`) come from the environment's internal CA, with or without a Gateway.
    const certs = (spec.certificates ?? []).filter((c) => !c.internal);
    if (certs.length === 0) continue;
    if (!gateway) {
      issues.push({
        path: spec.configPath,
        message: `${spec.name} serves TLS with a certificate cert-manager issues, which comes with the Gateway on this target: set target.gateway (its issuer signs the certificate)`,
      });
      continue;
    }
    if (gateway.issuer.kind === 'Issuer' && spec.concern !== 'edge' && certs.some((c) => c.dnsNames.length > 0)) {
      issues.push({
        path: 'target.gateway.issuer.kind',
        message: `an Issuer serves its own namespace only (${env.target.namespacePrefix}-edge), and ${spec.name} runs in ${env.target.namespacePrefix}-${spec.concern}: use a ClusterIssuer, acme or self-signed`,
      });
    }
  }
  return issues;
}
