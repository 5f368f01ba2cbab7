/**
 * What `cdktf destroy` does to a Docker stack with `protectData`, run with Terraform itself: the host
 * scenario synthesized with `protectData: true`, every resource stood in for by a `terraform_data`
 * (Terraform's built-in resource, so no Docker engine and no provider are needed) with the same
 * dependencies and the same `prevent_destroy`, which is Terraform's own rule, applied to a local
 * state. Then, as docs/operations.md ("Tearing down a Docker environment") says:
 *
 * - `terraform destroy` is refused before anything is removed ("Instance cannot be destroyed"), the
 *   state unchanged;
 * - the documented command (read from the docs, addresses adapted to the stand-ins) removes every
 *   resource but the data volumes and the generated secrets, and keeps all of those.
 *
 * Broken variants: the same stack with `protectData: false` (the destroy goes through), and the
 * documented command without its filter of the generated secrets (it removes them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from '../../constructs/providers/cdktf';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { prepare } from '../../stacks/pipeline';
import host from './scenarios/host';
import { graphFromJson } from './chain';
import { type Artifact, type Outcome, needs, sh, validator, work } from './lib';

const DOCS = 'docs/operations.md';

/** The host scenario's Docker stack, with data protected or not. */
function stack(protectData: boolean): any {
  const env = prepare({ file: 'scripts/verify/scenarios/host.ts', input: { ...host, protectData } });
  const app = Testing.app({ stackTraces: false });
  return JSON.parse(Testing.synth(new EnvironmentStack(app, { environment: env })));
}

const standInName = (address: string) => address.replace('.', '__');

/** Every resource as a terraform_data with the same dependencies and prevent_destroy. */
function standIns(tf: any): { json: object; protectedCount: number } {
  const graph = graphFromJson(tf, () => true);
  const data: Record<string, object> = {};
  let protectedCount = 0;
  for (const [type, byName] of Object.entries<Record<string, any>>(tf.resource))
    for (const [name, body] of Object.entries(byName)) {
      const address = `${type}.${name}`;
      const keep = body.lifecycle?.prevent_destroy === true;
      if (keep) protectedCount++;
      data[standInName(address)] = {
        input: address,
        depends_on: [...(graph.get(address) ?? [])].sort().map((d) => `terraform_data.${standInName(d)}`),
        ...(keep ? { lifecycle: { prevent_destroy: true } } : {}),
      };
    }
  return { json: { resource: { terraform_data: data } }, protectedCount };
}

/** The documented "keep the data" command, its addresses adapted to the stand-ins. */
function documentedCommand(dropSecretsFilter: boolean): string {
  const line = fs
    .readFileSync(DOCS, 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith('terraform destroy $(terraform state list | grep -v'));
  if (!line) throw new Error(`${DOCS} no longer shows the command that keeps the data`);
  let cmd = line
    .trim()
    .replace(`'^docker_volume\\.'`, `'^terraform_data\\.docker_volume__'`)
    .replace(`'^random_'`, `'^terraform_data\\.random_'`)
    .replace(/^terraform destroy /, 'terraform destroy -auto-approve -input=false -no-color ');
  if (!cmd.includes('docker_volume__') || !cmd.includes('terraform_data\\.random_') || !cmd.includes('-auto-approve'))
    throw new Error(`cannot adapt the documented command: ${line}`);
  if (dropSecretsFilter) cmd = cmd.replace(` -e '^terraform_data\\.random_'`, '');
  return cmd;
}

/** No registry, no user CLI configuration: only the built-in provider is used. */
function terraformEnv(dir: string): NodeJS.ProcessEnv {
  const cli = path.join(dir, 'terraform.rc');
  if (!fs.existsSync(cli)) fs.writeFileSync(cli, '');
  return { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cli };
}

function workspace(label: string, tf: any): { dir: string; run: (...args: string[]) => Outcome; list: () => string[] } {
  const dir = fs.mkdtempSync(path.join(work, `destroy-${label}-`));
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(standIns(tf).json, null, 2));
  const run = (...args: string[]) => sh('terraform', args, { cwd: dir, env: terraformEnv(dir), maxBuffer: 64 * 1024 * 1024 });
  const list = () =>
    run('state', 'list')
      .out.split('\n')
      .filter((l) => l.startsWith('terraform_data.'))
      .sort();
  return { dir, run, list };
}

/** Applied, then `terraform destroy`: code 0 when it is refused with the state untouched. */
function refused(tf: any): Outcome {
  const w = workspace('refused', tf);
  const init = w.run('init', '-input=false', '-no-color');
  if (init.code !== 0) return init;
  const apply = w.run('apply', '-auto-approve', '-input=false', '-no-color');
  if (apply.code !== 0) return apply;
  const before = w.list();
  const destroy = w.run('destroy', '-auto-approve', '-input=false', '-no-color');
  const after = w.list();
  if (destroy.code === 0) return { code: 1, out: `the destroy went through (${before.length} resources, ${after.length} left)` };
  if (!/Instance cannot be destroyed/.test(destroy.out)) return { code: 1, out: `refused for another reason:\n${destroy.out}` };
  if (after.join('\n') !== before.join('\n')) return { code: 1, out: 'the state changed although the destroy was refused' };
  return { code: 0, out: '' };
}

/** Applied, then the documented command: code 0 when exactly the volumes and the generated secrets are left. */
function keepsData(tf: any, dropSecretsFilter: boolean): Outcome {
  const w = workspace('keep', tf);
  const init = w.run('init', '-input=false', '-no-color');
  if (init.code !== 0) return init;
  const apply = w.run('apply', '-auto-approve', '-input=false', '-no-color');
  if (apply.code !== 0) return apply;
  const expected = w.list().filter((a) => /^terraform_data\.(docker_volume__|random_)/.test(a));
  const r = sh('sh', ['-c', documentedCommand(dropSecretsFilter)], { cwd: w.dir, env: terraformEnv(w.dir) });
  if (r.code !== 0) return r;
  const left = w.list();
  return left.join('\n') === expected.join('\n') && expected.some((a) => a.includes('docker_volume__'))
    ? { code: 0, out: '' }
    : { code: 1, out: `left ${left.length} (${left.slice(0, 5).join(', ')}...), expected ${expected.length}` };
}

export async function verifyDockerDestroy(_artifact: Artifact): Promise<void> {
  if (!needs({ terraform: 'the Terraform CLI' }, 'docker destroy drill')) return;
  const protectedStack = stack(true);
  const count = standIns(protectedStack).protectedCount;
  await validator(
    `destroy with protectData (Terraform, ${count} protected volumes): refused before anything is removed`,
    () => (count > 0 ? refused(protectedStack) : { code: 1, out: 'no protected volume' }),
    () => refused(stack(false)),
  );
  await validator(
    `destroy with protectData: the documented command (${DOCS}) removes all but the data volumes and the generated secrets`,
    () => keepsData(protectedStack, false),
    () => keepsData(protectedStack, true),
  );
}
