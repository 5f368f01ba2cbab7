/** The command-line entry: synthesize every environment (and the bootstrap) and print what each stack holds. */
import type { EnvironmentSource } from '../environments/parse/load';
import { ConfigError } from '../environments/parse/load';
import type { BootstrapSource } from '../environments/parse/bootstrap';
import { subjectPrefix } from '../environments/parse/bootstrap';
import { type BootstrapSummary, type Synthesis, synthesize } from './app';
import { ConfigErrors } from './pipeline';
import { GuardrailError, describeWaiver } from '../security/waivers';
import type { PodShape } from '../constructs/render/summary';
import { PRICED_REGION } from '../constructs/targets/aws/prices';
import type { StackSummary, Totals } from './summary';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

const WIDTH = 118;
const cores = (m: number) => `${(m / 1000).toFixed(m % 1000 === 0 ? 0 : 1)}`;
const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;
/** Whole dollars with thousands separators (without Intl: loading its locale data costs more than the rest). */
const usd = (x: number) => `$${String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
const plural = (n: number, word: string) => `${n} ${n === 1 ? word : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`;
const totals = (t: Totals) => `cpu ${cores(t.cpuMillis)}, memory ${gib(t.memoryMiB)}`;

/** `label` then `items` joined by `, ` (none after an item ending in `:` or `;`), wrapped under the label's indent. */
function wrapped(label: string, items: readonly string[]): string[] {
  const indent = `  ${label.padEnd(9)} `;
  const lines: string[] = [];
  let line = '';
  items.forEach((item, i) => {
    const piece = item + (i < items.length - 1 && !/[:;]$/.test(item) ? ',' : '');
    if (line.length > 0 && indent.length + line.length + 1 + piece.length > WIDTH) {
      lines.push(indent + line);
      line = '';
    }
    line += (line.length > 0 ? ' ' : '') + piece;
  });
  lines.push(indent + line);
  return lines.map((l, i) => (i === 0 ? l : ' '.repeat(indent.length) + l.slice(indent.length))).map((l) => l.trimEnd());
}

const replicas = (p: PodShape) => (typeof p.replicas === 'number' ? (p.replicas === 1 ? '' : ` ×${p.replicas}`) : '');
const gpusOf = (p: PodShape) => p.containers.reduce((n, c) => n + (c.gpus ?? 0), 0);

/** The lines `npm run synth` prints for one environment's stack. */
export function formatStack(s: StackSummary): string[] {
  const r = s.reading;
  const f = s.footprint;
  const out = [`${s.stack}  (${s.target})  ${s.file}`];
  out.push(...wrapped('resources', [`${s.resources.total}:`, ...s.resources.byType.map(([t, n]) => `${n} ${t}`)]));
  const services = r.pods.filter((p) => p.service && typeof p.replicas === 'number');
  const others = r.pods.filter((p) => !p.service && typeof p.replicas === 'number' && p.containers.length > 0);
  const runs = [
    `on ${r.where}:`,
    ...services.map((p) => `${p.name}${replicas(p)}${gpusOf(p) > 0 ? ` (${plural(gpusOf(p), 'GPU')} each)` : ''}`),
  ];
  out.push(...wrapped('runs', runs));
  if (others.length > 0) out.push(...wrapped('', ['operators and add-ons:', ...others.map((p) => `${p.name}${replicas(p)}`)]));
  if (f.perNode.length > 0)
    out.push(...wrapped('', [`on every ${(f.perNode[0]!.replicas as { perNode: string }).perNode}:`, ...f.perNode.map((p) => p.name)]));
  if (r.jobs > 0) out.push(`  ${''.padEnd(9)} and ${plural(r.jobs, 'one-shot job')} at deploy time (not summed: they end)`);
  for (const m of r.managed) out.push(...wrapped('managed', [`${m.service} → ${m.title}: ${m.what}`]));
  for (const p of r.nodePools)
    out.push(
      ...wrapped('nodes', [
        `${p.pool}: ${p.desired} × ${p.instanceTypes.join('/')} (min ${p.min}, max ${p.max}) in ${plural(p.groups, 'node group')}, ${p.diskGiB} GiB disks`,
      ]),
    );
  const requests =
    s.target === 'docker'
      ? 'none: Docker reserves nothing for a container'
      : `${totals(f.requests)}${f.gpus ? `, ${plural(f.gpus, 'GPU')}` : ''}`;
  out.push(...wrapped('requests', [requests]));
  out.push(...wrapped('limits', [totals(f.limits)]));
  const storage =
    r.unsizedVolumes > 0
      ? `${plural(r.unsizedVolumes, 'named volume')}; Docker does not limit their size`
      : `${Math.round(f.storageGiB)} GiB in ${plural(f.volumes, 'persistent volume')}${
          r.managed.some((m) => m.storageGiB > 0)
            ? `; managed: ${r.managed
                .filter((m) => m.storageGiB > 0)
                .map((m) => `${m.service} ${m.storageGiB} GiB`)
                .join(', ')}`
            : ''
        }`;
  out.push(...wrapped('storage', [storage]));
  for (const c of s.capacity)
    out.push(
      `  ${'capacity'.padEnd(9)} ${c.pool} nodes at desired size offer ${totals(c.allocatable)} to pods; their pods request ${totals(c.requested)}${c.requested.cpuMillis > c.allocatable.cpuMillis || c.requested.memoryMiB > c.allocatable.memoryMiB ? ' (the autoscaler adds nodes)' : ''}`,
    );
  const unset = [
    ...(s.target === 'docker' ? [] : f.withoutRequests.map((x) => `${x} (no requests)`)),
    ...f.withoutLimits.map((x) => `${x} (no limits)`),
    ...r.notCounted,
  ];
  if (unset.length > 0) out.push(...wrapped('unset', unset));
  if (s.cost) {
    const c = s.cost;
    const priced = c.lines.filter((l) => l.monthlyUsd !== undefined);
    out.push(
      ...wrapped('cost', [
        c.region === PRICED_REGION
          ? `${usd(c.pricedMonthlyUsd)}/month for the priced items (${c.region} on-demand; prices and their sources: constructs/targets/aws/prices.ts):`
          : `not estimated: the price table has ${PRICED_REGION} only, this stack is in ${c.region}`,
        ...priced.map((l) => `${l.label} ${usd(l.monthlyUsd!)}`),
      ]),
    );
    const unpriced = c.unpriced.filter((l) => !l.byUse).map((l) => l.label);
    const byUse = c.unpriced.filter((l) => l.byUse).map((l) => l.label);
    if (unpriced.length > 0) out.push(...wrapped('', ['not priced (no sourced price; not in the total):', ...unpriced]));
    if (byUse.length > 0) out.push(...wrapped('', ['billed by use, not estimated:', ...byUse]));
  }
  if (s.waivers.length === 0) out.push(`  ${'waivers'.padEnd(9)} none`);
  else s.waivers.forEach((w, i) => out.push(`  ${(i === 0 ? 'waivers' : '').padEnd(9)} ${describeWaiver(w)}`));
  return out;
}

/** The lines for the bootstrap stack. */
export function formatBootstrap(b: BootstrapSummary): string[] {
  const c = b.bootstrap;
  const prefix = subjectPrefix(c.github);
  const out = [`${b.stack}  (aws, account ${c.accountId}, once per account)  ${b.file}`];
  out.push(...wrapped('resources', [`${b.resources.total}:`, ...b.resources.byType.map(([t, n]) => `${n} ${t}`)]));
  out.push(
    ...wrapped('state', [
      `s3://${c.stateBucket} (${c.region}), SSE-KMS, versioned, TLS only, CI roles and ${plural(c.adminPrincipalArns.length, 'administrator')} only`,
    ]),
  );
  if (b.deployEnvironments.length > 0)
    out.push(
      ...wrapped('deploy', [
        `${c.roles.deploy}: jobs of ${b.deployEnvironments.map((e) => `${prefix}:environment:${e}`).join(', ')} on refs/heads/${c.github.branch};`,
        plural(b.policies[c.roles.deploy] ?? 0, 'policy'),
      ]),
    );
  else out.push(`  ${'deploy'.padEnd(9)} no deploy role: no environment deploys to account ${c.accountId}`);
  out.push(
    ...wrapped('plan', [
      `${c.roles.plan}: ${prefix}:pull_request, ${prefix}:ref:refs/heads/${c.github.branch};`,
      `read only, ${plural(b.policies[c.roles.plan] ?? 0, 'policy')}`,
    ]),
  );
  out.push(
    `  ${'backend'.padEnd(9)} ${c.backend.kind === 'local' ? `local file ${c.backend.path} (first deploy; then s3 and --migrate-state)` : `s3://${c.stateBucket}/${c.backend.key}`}`,
  );
  return out;
}

export function formatSynthesis(s: Synthesis, ms: number): { out: string[]; err: string[] } {
  const out: string[] = [];
  for (const st of s.environments) out.push(...formatStack(st));
  if (s.bootstrap) out.push(...formatBootstrap(s.bootstrap));
  const count = s.environments.length + (s.bootstrap ? 1 : 0);
  out.push(`synthesized ${plural(count, 'stack')} in ${ms} ms`);
  for (const st of s.environments) for (const n of st.notes) out.push(`note: ${n}`);
  for (const st of s.environments) {
    if (st.published.length === 0) continue;
    out.push(`${st.stack} publishes on the host:`);
    const width = Math.max(...st.published.map((p) => `${p.service} ${p.port}`.length));
    for (const p of st.published)
      out.push(`  ${`${p.service} ${p.port}`.padEnd(width)}  ${p.address}${p.anonymous ? '  (no authentication)' : ''}`);
  }
  const err = [...s.environments.flatMap((st) => st.warnings), ...(s.bootstrap?.warnings ?? [])].map((w) => `warning: ${w}`);
  return { out, err };
}

export interface RunOptions {
  readonly bootstrap?: BootstrapSource;
}

/** Returns the process exit code. */
export function run(sources: readonly EnvironmentSource[], outdir: string, io: Io = consoleIo, options: RunOptions = {}): number {
  const started = performance.now();
  try {
    const synthesis = synthesize(sources, outdir, options.bootstrap ? { bootstrap: options.bootstrap } : {});
    const { out, err } = formatSynthesis(synthesis, Math.round(performance.now() - started));
    for (const l of out) io.out(l);
    for (const l of err) io.err(l);
    return 0;
  } catch (e) {
    if (e instanceof GuardrailError) {
      io.err(`error: the guardrails refused the synthesis; nothing was written to ${outdir}`);
      io.err(e.message);
      return 1;
    }
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      io.err(`error: invalid environment configuration; nothing was written to ${outdir}`);
      io.err(e.message);
      return 1;
    }
    io.err(`error: synthesis failed; nothing was written to ${outdir}`);
    io.err(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  }
}
