/**
 * Warnings the synth summary prints under the table: things that synthesize and deploy but that a
 * platform team should act on (an archived engine, a version near the end of its support, a port
 * published without authentication). Each spec says its own (`notices`); each target's pure part
 * says what it knows. And notes: facts about a stack the reader must know to trust it (who enforces
 * its network policies).
 */
import { awsWarnings } from '../constructs/targets/aws/checks';
import { capabilitiesOf } from '../constructs/targets/capabilities';
import { dockerWarnings } from '../constructs/targets/docker/warnings';
import { gpuNotices } from '../constructs/targets/kubernetes/notices';
import type { Environment } from '../environments/parse/load';

export function warningsFor(env: Environment, today: Date = new Date()): string[] {
  return [
    ...awsWarnings(env, today).map((w) => `${env.file}: ${w.path}: ${w.message}`),
    ...dockerWarnings(env).map((w) => `${env.file}: ${w.path}: ${w.message}`),
    ...env.specs.flatMap((spec) => (spec.notices ?? []).map((n) => `${env.file}: ${n.path}: ${n.message}`)),
    ...gpuNotices(env).map((n) => `${env.file}: ${n}`),
  ];
}

/** Notes on a synthesized stack: who enforces its NetworkPolicies (`count` of them). */
export function notesFor(env: Environment, networkPolicies: number): string[] {
  if (networkPolicies === 0) return [];
  switch (capabilitiesOf(env.target).networkPolicy) {
    case 'stack':
      return [
        `${env.name}: ${networkPolicies} NetworkPolicies, enforced by the vpc-cni add-on this stack configures (enableNetworkPolicy)`,
      ];
    case 'cluster':
      return [
        `${env.name}: ${networkPolicies} NetworkPolicies; this stack relies on the cluster's CNI to enforce them (Calico, Cilium, a cloud's policy engine): without one they are accepted and do nothing`,
      ];
    case 'none':
      return [];
  }
}
