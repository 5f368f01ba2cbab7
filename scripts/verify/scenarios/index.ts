/**
 * The drills' own environments, one per target: verify validates what the product synthesizes for
 * them, whatever the user's environments enable, and then every user environment of the same kind.
 */
import type { EnvironmentSource } from '../../../environments/parse/load';
import cloud from './cloud';
import clusters, { CLUSTERS_FILE } from './clusters';
import host from './host';

export const scenarios: readonly EnvironmentSource[] = [
  { file: 'scripts/verify/scenarios/host.ts', input: host },
  { file: CLUSTERS_FILE, input: clusters },
  { file: 'scripts/verify/scenarios/cloud.ts', input: cloud },
];
