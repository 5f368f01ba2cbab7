/**
 * Every stack that uses the AWS provider, offline: `terraform init` from a local provider mirror
 * (TERRAFORM_PROVIDER_MIRROR), `terraform validate`, `terraform plan -refresh=false` of everything
 * the AWS provider owns (other providers' resources left out, see aws-offline.ts), then:
 * - the plan creates exactly the AWS resources of the synthesized stack, nothing else;
 * - the longest dependency chain from `terraform graph` equals the one computed from the
 *   synthesized references (what test/aws-plan.test.ts pins for its fixture, without Terraform);
 * - a change of a node group's instance types, planned against a state in which the group exists,
 *   creates the new group before destroying the old (terraform-replace.ts).
 * Each step is also given a broken input it must reject.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, needs, note, record, sh, validator, work } from './lib';
import { offlineCopy } from './aws-offline';
import { formatChain, graphFromDot, graphFromJson, isAwsAddress, longestChain } from './chain';
import { planInstanceTypeChange } from './terraform-replace';
import { LOCKS_DIR } from '../../stacks/app';
import { committedLocks, knownHashes, lockFor, requiredProviders } from '../../stacks/locks';
import { planMarkdown, readPlan } from '../ci/plan-summary';

function terraformEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  delete env.AWS_PROFILE;
  const mirror = process.env.TERRAFORM_PROVIDER_MIRROR;
  if (mirror) {
    const cli = path.join(dir, 'terraform.rc');
    fs.writeFileSync(cli, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`);
    env.TF_CLI_CONFIG_FILE = cli;
  }
  return env;
}

/**
 * A directory holding `json` as main.tf.json, initialised; returns a runner for Terraform there.
 * With `lock`, that lock file is put there first and init may not change it (-lockfile=readonly).
 */
function workspace(label: string, json: unknown, lock?: string): { dir: string; run: (...args: string[]) => Outcome; init: Outcome } {
  const dir = path.join(work, `tf-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(json, null, 2));
  if (lock !== undefined) fs.writeFileSync(path.join(dir, '.terraform.lock.hcl'), lock);
  const env = terraformEnv(dir);
  const run = (...args: string[]) => sh('terraform', args, { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
  return {
    dir,
    run,
    init: run('init', '-backend=false', '-input=false', '-no-color', ...(lock !== undefined ? ['-lockfile=readonly'] : [])),
  };
}

const then = (a: Outcome, b: () => Outcome): Outcome => (a.code === 0 ? b() : a);

/** What the plan of an offline copy must be: every resource in it created. */
function expectedSummary(json: { resource?: Record<string, Record<string, unknown>> }): string {
  const lines = Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n} create`));
  return `${lines.sort().join('\n')}\n`;
}

/** `address action` per resource change, sorted. */
export function planSummary(showJson: string): string {
  const plan = JSON.parse(showJson) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
  const lines = (plan.resource_changes ?? []).map((c) => `${c.address} ${c.change.actions.join('+')}`).sort();
  return `${lines.join('\n')}\n`;
}

function compareText(actual: string, expected: string): Outcome {
  return actual === expected ? { code: 0, out: '' } : { code: 1, out: lineDiff(expected, actual) };
}

export function lineDiff(expected: string, actual: string): string {
  const a = new Set(expected.split('\n').filter(Boolean));
  const b = new Set(actual.split('\n').filter(Boolean));
  const removed = [...a].filter((l) => !b.has(l)).map((l) => `- ${l}`);
  const added = [...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`);
  return [...removed, ...added].join('\n') || '(same lines, different order)';
}

/** The stacks whose Terraform uses the AWS provider (the environments' and the bootstrap). */
function awsStacks(artifact: Artifact): string[] {
  return artifact.stacks.filter((name) => artifact.stackJson(name).provider?.aws !== undefined);
}

export async function verifyTerraform(artifact: Artifact): Promise<void> {
  if (!needs({ terraform: 'the Terraform CLI' }, 'terraform (AWS stacks)')) return;
  if (!process.env.TERRAFORM_PROVIDER_MIRROR) note('TERRAFORM_PROVIDER_MIRROR is not set; terraform init will try the registry');
  const stacks = awsStacks(artifact);
  record(`stacks using the AWS provider found (${stacks.join(', ') || 'none'})`, stacks.length > 0);
  for (const stack of stacks) await verifyStack(artifact, stack);
}

async function verifyStack(artifact: Artifact, stack: string): Promise<void> {
  const offline = offlineCopy(artifact.stackJson(stack));
  const leftOut = Object.entries(offline.leftOut).sort();
  const total = leftOut.reduce((n, [, c]) => n + c, 0);
  const awsCount = Object.entries<Record<string, unknown>>(offline.json.resource ?? {}).reduce((n, [, r]) => n + Object.keys(r).length, 0);
  note(
    `${stack}: planning the ${awsCount} AWS resources offline; left out ${total} resources of other providers (${leftOut.map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}), ${offline.standIns} references to them replaced by stand-ins`,
  );

  const good = workspace(`${stack}-good`, offline.json);
  record(`${stack}: terraform init from the provider mirror`, good.init.code === 0, good.init.code === 0 ? '' : good.init.out);
  if (good.init.code !== 0) return;

  // validate: the provider's schema and argument checks.
  await validator(
    `${stack}: terraform validate (hashicorp/aws from the mirror)`,
    () => good.run('validate', '-no-color'),
    () => {
      const broken = structuredClone(offline.json);
      const group = Object.values<any>(broken.resource.aws_eks_node_group ?? {})[0];
      if (group)
        group.ami_type = 'AL2_x86_64_GPU_RETIRED'; // not an AMI type the provider accepts
      else Object.values<any>(Object.values<any>(broken.resource)[0])[0].not_an_argument = true;
      const w = workspace(`${stack}-bad-validate`, broken);
      return then(w.init, () => w.run('validate', '-no-color'));
    },
  );

  // The committed lock file: its aws hashes must match the provider Terraform installs.
  const lock = lockFor(requiredProviders(offline.json), knownHashes([...committedLocks(LOCKS_DIR).values()]));
  await validator(
    `${stack}: terraform init -lockfile=readonly with the committed lock file's hashes`,
    () => workspace(`${stack}-lock`, { terraform: offline.json.terraform }, lock).init,
    () =>
      workspace(
        `${stack}-bad-lock`,
        { terraform: offline.json.terraform },
        lock.replace(/"h1:[^"]+"/g, '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="').replace(/\s*"zh:[^"]+",/g, ''),
      ).init,
  );

  // plan: offline, nothing refreshed, everything the AWS provider owns.
  const plan = () => good.run('plan', '-refresh=false', '-input=false', '-no-color', '-lock=false', '-out=plan.bin');
  await validator(`${stack}: terraform plan -refresh=false (offline, fake credentials)`, plan, () => {
    const broken = structuredClone(offline.json);
    const tags = broken.resource.aws_autoscaling_group_tag;
    if (!tags) {
      // A count that depends on what only an apply knows: Terraform cannot plan it.
      const [type, byName] = Object.entries<any>(broken.resource)[0]!;
      const [name, body] = Object.entries<any>(byName)[0]!;
      body.count = `\${length(${type}.${name}_twin.arn)}`;
      byName[`${name}_twin`] = structuredClone({ ...body, count: undefined });
      const w = workspace(`${stack}-bad-plan`, broken);
      return then(w.init, () => w.run('plan', '-refresh=false', '-input=false', '-no-color', '-lock=false'));
    }
    // The pitfall the ASG tags avoid: for_each over ASG names, unknown until the node group exists.
    const [name, tag] = Object.entries<any>(tags)[0]!;
    const group = /aws_eks_node_group\.([\w-]+)\./.exec(tag.autoscaling_group_name)![1];
    tags[name] = {
      ...tag,
      for_each: `\${toset(flatten(aws_eks_node_group.${group}.resources[*].autoscaling_groups[*].name))}`,
      autoscaling_group_name: '${each.value}',
    };
    const w = workspace(`${stack}-bad-plan`, broken);
    return then(w.init, () => w.run('plan', '-refresh=false', '-input=false', '-no-color', '-lock=false'));
  });
  const show = good.run('show', '-json', '-no-color', 'plan.bin');
  if (show.code !== 0) {
    record(`${stack}: terraform show -json`, false, show.out);
    return;
  }
  const summary = planSummary(show.out);
  const expected = expectedSummary(offline.json);
  const count = summary.split('\n').filter(Boolean).length;
  await validator(
    `${stack}: the plan creates exactly the ${count} AWS resources of the synthesized stack`,
    () => compareText(summary, expected),
    () => compareText(summary, expected.split('\n').slice(1).join('\n')),
  );

  const graph = good.run('graph');
  if (graph.code !== 0) {
    record(`${stack}: terraform graph`, false, graph.out);
    return;
  }
  const chain = longestChain(graphFromDot(graph.out, isAwsAddress));
  note(`${stack}: longest dependency chain, ${chain.length} resources: ${chain.join(' -> ')}`);
  const fromJson = formatChain(longestChain(graphFromJson(artifact.stackJson(stack), isAwsAddress)));
  await validator(
    `${stack}: the longest chain from terraform graph is the one the synthesized references give`,
    () => compareText(formatChain(chain), fromJson),
    () => compareText(formatChain(chain), formatChain([...chain].reverse())),
  );

  // The plan, as pull requests and the deploy job show it (scripts/ci/plan-summary.ts).
  const reading = readPlan(show.out);
  note(`${stack}: plan summary: ${reading.counts.add} to add, ${reading.counts.change} to change, ${reading.counts.destroy} to destroy`);
  record(
    `${stack}: the plan summary counts the plan's ${count} creations`,
    reading.counts.add === count && reading.counts.destroy === 0 && planMarkdown(stack, reading).includes(`${count} to add`),
  );

  // Day two: an instance-type change replaces a node group; the new one must come first.
  if (!offline.json.resource.aws_eks_node_group) return;
  const schemaOut = good.run('providers', 'schema', '-json');
  if (schemaOut.code !== 0) {
    record(`${stack}: terraform providers schema -json`, false, schemaOut.out);
    return;
  }
  const nodeGroup = JSON.parse(schemaOut.out).provider_schemas['registry.terraform.io/hashicorp/aws'].resource_schemas.aws_eks_node_group
    .block;
  const [group, body] = Object.entries<any>(offline.json.resource.aws_eks_node_group)[0]!;
  const other = body.instance_types?.[0] === 'm7i.2xlarge' ? 'm6i.2xlarge' : 'm7i.2xlarge';
  const replacing = (label: string, json: any) => {
    const w = workspace(label, { provider: json.provider, terraform: json.terraform });
    return then(w.init, () => planInstanceTypeChange(w, json, group, nodeGroup, other));
  };
  await validator(
    `${stack}: a new instance type for node group ${group}, planned against a state holding it, creates the new group before destroying the old`,
    () => {
      const r = replacing(`${stack}-replace`, offline.json);
      note(`${stack}: ${r.out}`);
      return r;
    },
    () => {
      const broken = structuredClone(offline.json);
      delete broken.resource.aws_eks_node_group[group].lifecycle.create_before_destroy;
      return replacing(`${stack}-bad-replace`, broken);
    },
  );

  // The plan summary names the replacement, its order and what forces it, from the real plans above.
  const summaryOf = (label: string): Outcome => {
    const file = path.join(work, `tf-${label}`, 'replace.json');
    if (!fs.existsSync(file)) return { code: 1, out: `${file} was not written` };
    const md = planMarkdown(stack, readPlan(fs.readFileSync(file, 'utf8')));
    const ok = md.includes(`\`aws_eks_node_group.${group}\` (the new one is created first), forced by \`instance_types\``);
    return { code: ok ? 0 : 1, out: md };
  };
  await validator(
    `${stack}: the plan summary names the replaced node group, its order and what forces it`,
    () => summaryOf(`${stack}-replace`),
    () => summaryOf(`${stack}-bad-replace`),
  );
}
