/** Stacks that use the AWS provider: `terraform init` from a local provider mirror, then `terraform validate`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, needs, note, sh, validator, work } from './lib';

function terraformCheck(artifact: Artifact, stack: string, mutate: (json: any) => void, label: string): Outcome {
  const dir = path.join(work, `tf-${stack}-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  const json = artifact.stackJson(stack);
  delete json.terraform.backend; // validate offline; the backend is checked by the snapshot
  mutate(json);
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(json, null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const mirror = process.env.TERRAFORM_PROVIDER_MIRROR;
  if (mirror) {
    const cli = path.join(dir, 'terraform.rc');
    fs.writeFileSync(cli, `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
    env.TF_CLI_CONFIG_FILE = cli;
  }
  const init = sh('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: dir, env });
  if (init.code !== 0) return init;
  return sh('terraform', ['validate', '-no-color'], { cwd: dir, env });
}

export async function verifyTerraform(artifact: Artifact): Promise<void> {
  if (!needs({ terraform: 'the Terraform CLI' }, 'terraform validate')) return;
  if (!process.env.TERRAFORM_PROVIDER_MIRROR) note('TERRAFORM_PROVIDER_MIRROR is not set; terraform init will try the registry');
  await validator(
    'production stack (terraform validate, hashicorp/aws 5.100.0)',
    () => terraformCheck(artifact, 'production', () => {}, 'good'),
    () =>
      terraformCheck(
        artifact,
        'production',
        (json) => (json.resource = { aws_s3_bucket: { probe: { bucket_name: 'not-an-argument' } } }),
        'bad',
      ),
  );
}
