/**
 * A plan, for people: what a pull request's comment, the deploy job's summary and the drift check
 * show. Read from `terraform show -json <plan>` (its `resource_changes`, terraform v1.11
 * internal/command/jsonplan), not from cdktf's terminal output:
 *
 *   terraform -chdir=cdktf.out/stacks/production show -json plan > plan.json
 *   node --import tsx scripts/ci/plan-summary.ts production plan.json > comment.md
 *
 * Counts as Terraform counts them (a replacement adds one and destroys one), and names every
 * replacement with the attributes that force it (`replace_paths`) and its order (create before
 * destroy or not), every destroy and every change; additions are listed in a folded section. The
 * first line is a hidden marker (`<!-- cdktf-plan:<stack> -->`) by which the workflow finds and
 * updates its own comment on each push.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ResourceChange {
  readonly address: string;
  readonly mode?: string;
  readonly change: { readonly actions: readonly string[]; readonly replace_paths?: readonly (readonly (string | number)[])[] };
  readonly action_reason?: string;
}

export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
}

export interface PlanReading {
  readonly counts: PlanCounts;
  readonly created: string[];
  readonly updated: string[];
  readonly deleted: string[];
  /** Address, order and the attributes forcing it. */
  readonly replaced: { readonly address: string; readonly createFirst: boolean; readonly forcedBy: string[] }[];
}

export const marker = (stack: string) => `<!-- cdktf-plan:${stack} -->`;

export function readPlan(showJson: string): PlanReading {
  const plan = JSON.parse(showJson) as { resource_changes?: ResourceChange[]; format_version?: string };
  if (!plan.format_version) throw new Error('not the output of terraform show -json <plan>');
  const changes = (plan.resource_changes ?? []).filter((c) => c.mode !== 'data');
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  const replaced: PlanReading['replaced'] = [];
  for (const c of changes) {
    const a = c.change.actions.join('+');
    if (a === 'create') created.push(c.address);
    else if (a === 'update') updated.push(c.address);
    else if (a === 'delete') deleted.push(c.address);
    else if (a === 'create+delete' || a === 'delete+create')
      replaced.push({
        address: c.address,
        createFirst: a === 'create+delete',
        forcedBy: (c.change.replace_paths ?? []).map((p) => p.join('.')),
      });
  }
  return {
    counts: {
      add: created.length + replaced.length,
      change: updated.length,
      destroy: deleted.length + replaced.length,
      replace: replaced.length,
    },
    created,
    updated,
    deleted,
    replaced,
  };
}

const list = (items: readonly string[]) => items.map((i) => `- \`${i}\``);

/** The Markdown of a plan of `stack` (`context`: where and when it was planned). */
export function planMarkdown(stack: string, reading: PlanReading, context = ''): string {
  const { counts } = reading;
  const none = counts.add + counts.change + counts.destroy === 0;
  const lines = [
    marker(stack),
    `### \`${stack}\`: ${none ? 'no changes' : `${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy${counts.replace ? ` (${counts.replace} replaced)` : ''}`}`,
  ];
  if (context) lines.push('', context);
  if (reading.replaced.length > 0) {
    lines.push('', `**Replaced** (destroyed and created again; ${reading.replaced.length}):`);
    for (const r of reading.replaced)
      lines.push(
        `- \`${r.address}\` (${r.createFirst ? 'the new one is created first' : '**destroyed first**'})${r.forcedBy.length ? `, forced by ${r.forcedBy.map((p) => `\`${p}\``).join(', ')}` : ''}`,
      );
  }
  if (reading.deleted.length > 0) lines.push('', `**Destroyed** (${reading.deleted.length}):`, ...list(reading.deleted));
  if (reading.updated.length > 0) lines.push('', `**Changed in place** (${reading.updated.length}):`, ...list(reading.updated));
  if (reading.created.length > 0)
    lines.push('', '<details>', `<summary>Added (${reading.created.length})</summary>`, '', ...list(reading.created), '', '</details>');
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const [stack, file, ...context] = process.argv.slice(2);
  if (!stack || !file) {
    console.error('usage: scripts/ci/plan-summary.ts <stack> <terraform show -json output> [context...]');
    process.exit(2);
  }
  process.stdout.write(planMarkdown(stack, readPlan(fs.readFileSync(file, 'utf8')), context.join(' ')));
}
