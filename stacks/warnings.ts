/**
 * Warnings the synth summary prints under the table: things that synthesize and deploy but that a
 * platform team should act on (an archived engine, a version near the end of its support, a port
 * published without authentication). Each spec says its own (`notices`); each target's pure part
 * says what it knows. And notes: facts about a stack the reader must know to trust it (who enforces
 * its network policies).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

/**
 * A note when the state lives in a cluster reached through a kubeconfig file that is not on this
 * machine: Terraform's kubernetes backend does not fail on a missing file, it falls back to
 * http://localhost and reports a refused connection, which says nothing about the cause.
 */
export function stateNotes(env: Environment, exists: (file: string) => boolean = fs.existsSync): string[] {
  const b = env.backend;
  if (b.kind !== 'kubernetes') return [];
  const cluster = b.cluster ?? (env.target.kind === 'kubernetes' ? env.target.cluster : undefined);
  if (cluster?.auth !== 'kubeconfig') return [];
  const file = cluster.path.startsWith('~/') ? path.join(os.homedir(), cluster.path.slice(2)) : cluster.path;
  if (exists(file)) return [];
  return [
    `${env.name}: its state is in the cluster (Secret ${b.namespace}/tfstate-default-${b.secretSuffix ?? env.name}, context ${cluster.context}) but ${cluster.path} does not exist here: \`cdktf diff ${env.name}\` would fail with a refused connection to localhost (Terraform's kubernetes backend falls back to it); CI writes the file from the KUBECONFIG_${env.name.toUpperCase().replace(/-/g, '_')} secret`,
  ];
}
