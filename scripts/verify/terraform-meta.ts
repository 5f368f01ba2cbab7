/**
 * Terraform's own check of the meta-arguments of stacks whose providers cannot be installed here
 * (docker, random): every resource becomes a `terraform_data` stand-in (Terraform's built-in
 * provider, nothing to download) that keeps its `depends_on`, `lifecycle` (`replace_triggered_by`,
 * `prevent_destroy`, postconditions) and `count`/`for_each`, with addresses renamed accordingly; then
 * `terraform validate`. This is what caught cdktf 0.21 rendering `replace_triggered_by` as a template.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type Outcome, needs, sh, validator, work } from './lib';

const standInName = (type: string, name: string) => `${type}__${name}`.replace(/[^A-Za-z0-9_-]/g, '_');

/** The stack with every resource replaced by a terraform_data that keeps its meta-arguments. */
export function metaOnly(json: any): any {
  const rename = (ref: string) =>
    ref.replace(/\b([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)/g, (whole, type: string, name: string) =>
      json.resource?.[type]?.[name] !== undefined ? `terraform_data.${standInName(type, name)}` : whole,
    );
  const data: Record<string, any> = {};
  for (const [type, byName] of Object.entries<any>(json.resource ?? {})) {
    for (const [name, r] of Object.entries<any>(byName)) {
      const lifecycle = r.lifecycle
        ? {
            ...(r.lifecycle.prevent_destroy !== undefined ? { prevent_destroy: r.lifecycle.prevent_destroy } : {}),
            ...(r.lifecycle.create_before_destroy !== undefined ? { create_before_destroy: r.lifecycle.create_before_destroy } : {}),
            ...(r.lifecycle.replace_triggered_by ? { replace_triggered_by: r.lifecycle.replace_triggered_by.map(rename) } : {}),
            ...(r.lifecycle.ignore_changes ? { ignore_changes: ['input'] } : {}),
            ...(r.lifecycle.postcondition
              ? {
                  postcondition: r.lifecycle.postcondition.map((p: any) => ({
                    // The provider's attributes are unknown here: the condition keeps its shape on `output`.
                    condition: String(p.condition).replace(/self\.[a-z_]+/g, 'self.output'),
                    error_message: p.error_message,
                  })),
                }
              : {}),
          }
        : undefined;
      data[standInName(type, name)] = {
        input: `${type}.${name}`,
        ...(r.depends_on ? { depends_on: r.depends_on.map(rename) } : {}),
        ...(r.count !== undefined ? { count: r.count } : {}),
        ...(lifecycle ? { lifecycle } : {}),
      };
    }
  }
  return { terraform: { required_version: json.terraform?.required_version }, resource: { terraform_data: data } };
}

function validate(json: any, label: string): Outcome {
  const dir = path.join(work, `tf-meta-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(json, null, 2));
  const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const init = sh('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: dir, env });
  if (init.code !== 0) return init;
  return sh('terraform', ['validate', '-no-color'], { cwd: dir, env });
}

export async function verifyTerraformMeta(artifact: Artifact): Promise<void> {
  if (!needs({ terraform: 'the Terraform CLI' }, 'terraform validate (meta-arguments)')) return;
  // The Terraform releases a cluster stack accepts: the installed one passes, one from 1.12 on would not.
  const installed = /Terraform v(\d+\.\d+\.\d+)/.exec(sh('terraform', ['version']).out)?.[1] ?? 'unknown';
  for (const env of envsOf(artifact, 'kubernetes')) {
    const meta = metaOnly(artifact.stackJson(env.name));
    await validator(
      `${env.name} stack: required_version ${meta.terraform.required_version} (terraform ${installed} accepts it; a constraint of >= 1.12.0 is refused)`,
      () => validate(meta, `${env.name}-version-good`),
      () => validate({ ...meta, terraform: { required_version: '>= 1.12.0' } }, `${env.name}-version-bad`),
    );
  }
  for (const env of envsOf(artifact, 'docker')) {
    const meta = metaOnly(artifact.stackJson(env.name));
    const count = Object.keys(meta.resource.terraform_data).length;
    await validator(
      `${env.name} stack: depends_on and lifecycle of its ${count} resources (terraform validate on terraform_data stand-ins)`,
      () => validate(meta, `${env.name}-good`),
      // The form cdktf 0.21 writes for a resource object in replace_triggered_by.
      () => {
        const broken = structuredClone(meta);
        const job = Object.values<any>(broken.resource.terraform_data).find((r) => r.lifecycle?.replace_triggered_by);
        job.lifecycle.replace_triggered_by = job.lifecycle.replace_triggered_by.map((r: string) => `\${${r}}`);
        return validate(broken, `${env.name}-bad`);
      },
    );
  }
}
