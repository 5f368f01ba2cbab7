/**
 * The scale part of `npm run bench`: a scratch copy of the project whose environments/ holds N
 * generated environments, a third each on Docker, Kubernetes and AWS (the drills' three scenarios,
 * renamed, each with its own state), synthesized by `npm run synth`'s own command in that copy.
 * The copy holds the sources the app compiles and reads (not the tests, docs or the user's
 * environments) and links node_modules.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cloud from './verify/scenarios/cloud';
import clusters from './verify/scenarios/clusters';
import host from './verify/scenarios/host';
import bootstrap from '../bootstrap/account';
import { BOOTSTRAP_FILE, loadBootstrap, stateKeyAliasArn } from '../environments/parse/bootstrap';

/** What the app needs to compile and run. */
const COPIED = [
  'main.ts',
  'tsconfig.json',
  'package.json',
  'cdktf.json',
  'constructs',
  'stacks',
  'security',
  'monitoring',
  'charts',
  'bootstrap',
  'locks',
  'environments/parse',
  'scripts/app.mjs',
  'scripts/build.mjs',
];

export function scaleProject(root: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-scale-'));
  for (const entry of COPIED)
    if (fs.existsSync(path.join(root, entry))) fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'));
  return dir;
}

/** The i-th generated environment's input: the scenarios in turn, renamed, with their own state. */
export function generatedEnvironment(i: number): { name: string; input: Record<string, any> } {
  const name = `gen-${String(i).padStart(2, '0')}`;
  const template = structuredClone([host, clusters, cloud][i % 3]!) as Record<string, any>;
  template.name = name;
  // Each generated cluster environment on its own cluster: environments sharing a cluster must share
  // its operators and take distinct namespace prefixes, which a copy of one scenario does not.
  if (template.target.kind === 'kubernetes' && template.target.cluster?.auth === 'kubeconfig')
    template.target.cluster = { ...template.target.cluster, context: `agent-platform-${name}` };
  template.backend =
    template.backend.kind === 'local'
      ? { kind: 'local', path: `terraform.${name}.tfstate` }
      : // State in the bootstrap's bucket, encrypted with its key, as the bootstrap expects.
        {
          ...template.backend,
          key: `${name}/terraform.tfstate`,
          kmsKeyId: stateKeyAliasArn(loadBootstrap({ file: BOOTSTRAP_FILE, input: bootstrap })),
        };
  return { name, input: template };
}

/** Replaces the copy's environments with `n` generated ones. */
export function writeEnvironments(dir: string, n: number): void {
  const envDir = path.join(dir, 'environments');
  for (const f of fs.readdirSync(envDir)) if (f.endsWith('.ts')) fs.rmSync(path.join(envDir, f));
  for (let i = 0; i < n; i++) {
    const { name, input } = generatedEnvironment(i);
    fs.writeFileSync(
      path.join(envDir, `${name}.ts`),
      `import type { EnvironmentInput } from './parse/schema';\n\nexport default ${JSON.stringify(input, null, 2)} satisfies EnvironmentInput;\n`,
    );
  }
}

export interface Fit {
  /** ms per environment (least squares). */
  readonly slope: number;
  readonly intercept: number;
  readonly r2: number;
}

export function fit(points: readonly (readonly [number, number])[]): Fit {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssr = points.reduce((s, [x, y]) => s + (y - (intercept + slope * x)) ** 2, 0);
  const sst = points.reduce((s, [, y]) => s + (y - my) ** 2, 0);
  return { slope, intercept, r2: sst === 0 ? 1 : 1 - ssr / sst };
}
