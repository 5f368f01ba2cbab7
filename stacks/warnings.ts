/**
 * Warnings the synth summary prints under the table: things that synthesize and deploy but that a
 * platform team should act on (an archived engine, a version near the end of its support).
 */
import { ARCHIVED_ENGINES, type ObjectStoreEngine } from '../constructs/services/objectstore';
import { awsWarnings } from '../constructs/targets/aws/kubernetes-versions';
import type { Environment } from '../environments/load';

export function warningsFor(env: Environment, today: Date = new Date()): string[] {
  const out: string[] = awsWarnings(env, today).map((w) => `${env.file}: target.eks.version: ${w}`);
  for (const spec of env.specs) {
    const archived = ARCHIVED_ENGINES[spec.name as ObjectStoreEngine];
    if (spec.component === 'objectstore' && archived) {
      out.push(`${env.file}: ${spec.configPath}.engine: runs ${archived}; move to engine: garage (docs/operations.md, "Object store")`);
    }
  }
  return out;
}
