/**
 * Warnings the synth summary prints under the table: things that synthesize and deploy but that a
 * platform team should act on (an archived engine, a version near the end of its support). Each
 * spec says its own (`notices`); each target's pure part says what it knows.
 */
import { awsWarnings } from '../constructs/targets/aws/kubernetes-versions';
import { gpuNotices } from '../constructs/targets/kubernetes/notices';
import type { Environment } from '../environments/parse/load';

export function warningsFor(env: Environment, today: Date = new Date()): string[] {
  return [
    ...awsWarnings(env, today).map((w) => `${env.file}: target.eks.version: ${w}`),
    ...env.specs.flatMap((spec) => (spec.notices ?? []).map((n) => `${env.file}: ${n.path}: ${n.message}`)),
    ...gpuNotices(env).map((n) => `${env.file}: ${n}`),
  ];
}
