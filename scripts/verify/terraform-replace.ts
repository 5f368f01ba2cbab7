/**
 * Day two, planned by the real provider: a change that replaces a node group (new instance types)
 * must create the new group before the old one is destroyed, or every node of the pool goes before
 * any new one exists.
 *
 * Terraform needs a state to plan a change against. This builds one by hand, as the provider would
 * have written it after creating the resource: one node group of the synthesized stack, its
 * references to other resources replaced by literals (the same in the state and in the config), its
 * attributes laid out by the provider's own schema (`terraform providers schema -json`), computed ones
 * filled in. Then, offline and without refresh:
 * - the unchanged config plans no replacement (the state is faithful: nothing else forces one);
 * - the config with other instance types plans `create`, then `delete`, replacing because of
 *   `instance_types` (what `create_before_destroy` and a name prefix give);
 * - the broken variant, the same without `create_before_destroy`, plans `delete` first and is rejected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Outcome } from './lib';

interface Block {
  readonly attributes?: Record<string, { readonly computed?: boolean; readonly optional?: boolean; readonly type: unknown }>;
  readonly block_types?: Record<string, { readonly nesting_mode: string; readonly block: Block }>;
}

/** Literals of the form the provider validates, for references to other resources (`type.attribute`). */
const LITERALS: readonly [RegExp, (n: number) => string][] = [
  [/^aws_launch_template\.\w+\.id$/, (n) => `lt-0ff11e${String(n).padStart(11, '0')}`],
  [/\.latest_version$/, () => '1'],
  [/^aws_subnet\.[\w-]+\.id$/, (n) => `subnet-0ff11e${String(n).padStart(11, '0')}`],
  [/^aws_security_group\.[\w-]+\.id$/, (n) => `sg-0ff11e${String(n).padStart(11, '0')}`],
  [/\.arn$/, (n) => `arn:aws:iam::000000000000:role/offline-${n}`],
  [/^aws_eks_cluster\.\w+\.version$/, () => '1.35'],
];

/** A resource's body with every reference replaced by a literal of the form the provider accepts there. */
export function literalBody(body: Record<string, any>): Record<string, any> {
  let n = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string' && v.includes('${')) {
      n++;
      const ref = /\$\{([^}]+)\}/.exec(v)![1]!.trim();
      const literal = LITERALS.find(([re]) => re.test(ref));
      return literal ? literal[1](n) : `offline-${n}`;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const { depends_on: _ignored, ...rest } = body;
  return walk(rest) as Record<string, any>;
}

/** The state attributes of a resource created from `config`: the config's values in the schema's shape, computed ones from `computed`, the rest null. */
export function stateAttributes(
  block: Block,
  config: Record<string, any>,
  computed: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    out[name] =
      name in config ? config[name] : name in computed ? computed[name] : a.computed && isCollection(a.type) ? empty(a.type) : null;
  }
  for (const [name, b] of Object.entries(block.block_types ?? {})) {
    const given = config[name];
    const items = given === undefined ? [] : Array.isArray(given) ? given : [given];
    const nested = items.map((item: Record<string, any>) => stateAttributes(b.block, item));
    out[name] = b.nesting_mode === 'single' ? (nested[0] ?? null) : nested;
  }
  return out;
}

const isCollection = (t: unknown) => Array.isArray(t) && ['list', 'set', 'map'].includes(t[0] as string);
const empty = (t: unknown) => ((t as string[])[0] === 'map' ? {} : []);

/** A v4 state file holding one managed resource. */
export function stateFile(type: string, name: string, attributes: Record<string, unknown>): string {
  return JSON.stringify(
    {
      version: 4,
      terraform_version: '1.11.0',
      serial: 1,
      lineage: 'offline-verify',
      outputs: {},
      resources: [
        {
          mode: 'managed',
          type,
          name,
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [{ schema_version: 0, attributes }],
        },
      ],
    },
    null,
    2,
  );
}

/** The actions and replace paths of a plan's change to one resource (`terraform show -json`). */
export function changeOf(showJson: string, address: string): { actions: string[]; replacePaths: string[] } {
  const plan = JSON.parse(showJson) as {
    resource_changes?: { address: string; change: { actions: string[]; replace_paths?: unknown[][] } }[];
  };
  const c = (plan.resource_changes ?? []).find((r) => r.address === address);
  return { actions: c?.change.actions ?? [], replacePaths: (c?.change.replace_paths ?? []).map((p) => p.join('.')) };
}

export interface ReplaceWorkspace {
  readonly dir: string;
  run(...args: string[]): Outcome;
}

/**
 * Plans an instance-type change of node group `name` of the offline copy `offline` in `ws` (the
 * config with only that resource and the provider, `json` written there by the caller's workspace);
 * returns the outcome the validator reads: 0 when the new group is created first.
 */
export function planInstanceTypeChange(ws: ReplaceWorkspace, offline: any, name: string, schema: Block, otherType: string): Outcome {
  const type = 'aws_eks_node_group';
  const address = `${type}.${name}`;
  const body = literalBody(offline.resource[type][name]);
  const prefix: string = body.node_group_name_prefix ?? '';
  const attributes = stateAttributes(schema, body, {
    id: `offline-cluster:${prefix}20261203000000000000000001`,
    arn: 'arn:aws:eks:eu-west-1:000000000000:nodegroup/offline-cluster/offline/00000000-0000-0000-0000-000000000000',
    node_group_name: `${prefix}20261203000000000000000001`,
    status: 'ACTIVE',
    release_version: '1.35.3-20260724',
    disk_size: 0,
    tags_all: body.tags ?? {},
  });
  fs.writeFileSync(path.join(ws.dir, 'terraform.tfstate'), stateFile(type, name, attributes));
  const config = (b: Record<string, any>) => ({
    provider: offline.provider,
    terraform: offline.terraform,
    resource: { [type]: { [name]: b } },
  });
  const plan = (b: Record<string, any>): Outcome & { change?: ReturnType<typeof changeOf> } => {
    fs.writeFileSync(path.join(ws.dir, 'main.tf.json'), JSON.stringify(config(b), null, 2));
    const p = ws.run('plan', '-refresh=false', '-input=false', '-no-color', '-lock=false', '-out=replace.bin');
    if (p.code !== 0) return p;
    const show = ws.run('show', '-json', '-no-color', 'replace.bin');
    // Kept for the plan summary's check (scripts/ci/plan-summary.ts on a real replacement).
    if (show.code === 0) fs.writeFileSync(path.join(ws.dir, 'replace.json'), show.out);
    return show.code === 0 ? { ...show, change: changeOf(show.out, address) } : show;
  };

  const same = plan(body);
  if (!same.change) return { code: 1, out: `the unchanged node group did not plan:\n${same.out}` };
  if (same.change.actions.includes('delete')) {
    return {
      code: 1,
      out: `the hand-made state is not faithful: the unchanged config replaces it (${same.change.replacePaths.join(', ')})`,
    };
  }
  const changed = plan({ ...body, instance_types: [otherType] });
  if (!changed.change) return { code: 1, out: `the changed node group did not plan:\n${changed.out}` };
  const { actions, replacePaths } = changed.change;
  const ok = actions.join(',') === 'create,delete' && replacePaths.includes('instance_types');
  return {
    code: ok ? 0 : 1,
    out: `${address}: instance_types -> [${otherType}] plans ${actions.join(', ')} (replacing because of ${replacePaths.join(', ') || 'nothing'})`,
  };
}
