/** The environments `main.ts` synthesizes, each with the file it came from (for error messages). */
import development from './development';
import type { EnvironmentSource } from './load';
import production from './production';
import staging from './staging';

export const environments: readonly EnvironmentSource[] = [
  { file: 'environments/development.ts', input: development },
  { file: 'environments/staging.ts', input: staging },
  { file: 'environments/production.ts', input: production },
];
