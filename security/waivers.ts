/**
 * The guardrails' verdict on one environment: its violations (the rules over the specs and over the
 * synthesized Terraform) sorted into what fails the synthesis, what is only listed, and what a
 * waiver of the environment file excuses; the waivers that match nothing or have expired; and the
 * report the synthesis fails with. `waiversInForce` is what the synth summary lists for each stack
 * (stacks/summary.ts), so a waiver is never silent.
 */
import type { Waiver } from '../environments/parse/schema';
import { type Rule, type RuleId, type Violation, isRuleId, ruleOf } from './rules';

export interface WaivedViolation extends Violation {
  readonly waiver: Waiver;
  /** Where the waiver is written in the environment file (`guardrails.waivers[2]`). */
  readonly waiverPath: string;
}

/** A waiver in force, as the synth summary lists it. */
export interface WaiverInForce {
  /** The guardrail waived (its id). */
  readonly rule: string;
  /** The resource it is waived for, as the violation names it. */
  readonly resource: string;
  /** Where in the environment file the waiver is written (`guardrails.waivers[0]`). */
  readonly path: string;
  /** Why, in the words of whoever wrote it. */
  readonly reason: string;
  /** Until when (YYYY-MM-DD), if it expires. */
  readonly until?: string;
}

/** A waiver that matches nothing. (One that names no rule is refused with the environment file: checkEnvironment.) */
export interface WaiverProblem {
  /** The field in the environment file (`guardrails.waivers[2].rule`). */
  readonly path: string;
  readonly message: string;
}

export interface Verdict {
  /** The environment's file, for the report. */
  readonly file: string;
  readonly environment: string;
  /** Violations of `error` rules that no waiver covers: the synthesis fails on them. */
  readonly failing: readonly Violation[];
  /** Violations of `warning` rules that no waiver covers: listed. */
  readonly warnings: readonly Violation[];
  /** Violations a waiver covers, with the waiver (and its reason). */
  readonly waived: readonly WaivedViolation[];
  /** Waivers that matched no violation (listed: remove them, or they outlive their reason). */
  readonly unused: readonly WaiverProblem[];
}

/** Whether a waiver covers a violation: same rule, and the resource named by its address, construct path or settings path. */
export function covers(w: Waiver, v: Violation): boolean {
  return w.rule === v.rule && (w.resource === v.resource || (v.path !== undefined && w.resource === v.path));
}

/** Whether a waiver has expired on `today` (YYYY-MM-DD): it is in force through its `until` day. */
export function expired(w: Waiver, today: string): boolean {
  return w.until !== undefined && w.until < today;
}

export function verdict(args: {
  readonly file: string;
  readonly environment: string;
  readonly violations: readonly Violation[];
  readonly waivers: readonly Waiver[];
  /** The day the waivers' `until` is compared with. @default today (UTC) */
  readonly today?: string;
}): Verdict {
  const today = args.today ?? new Date().toISOString().slice(0, 10);
  const used = new Set<number>();
  const failing: Violation[] = [];
  const warnings: Violation[] = [];
  const waived: WaivedViolation[] = [];
  for (const v of dedupe(args.violations)) {
    const i = args.waivers.findIndex((w) => covers(w, v) && !expired(w, today));
    if (i >= 0) {
      used.add(i);
      waived.push({ ...v, waiver: args.waivers[i]!, waiverPath: `guardrails.waivers[${i}]` });
    } else if (ruleOf(v.rule).severity === 'error') failing.push(v);
    else warnings.push(v);
  }
  const unused: WaiverProblem[] = [];
  args.waivers.forEach((w, i) => {
    if (expired(w, today)) {
      unused.push({
        path: `guardrails.waivers[${i}].until`,
        message: `the waiver of ${w.rule} for ${w.resource} expired on ${w.until}: the rule applies again; fix the resource or renew the waiver with a reason`,
      });
    } else if (isRuleId(w.rule) && !used.has(i)) {
      unused.push({
        path: `guardrails.waivers[${i}]`,
        message: `the waiver of ${w.rule} for ${w.resource} matches no violation; remove it (or name the resource as a violation names it)`,
      });
    }
  });
  return { file: args.file, environment: args.environment, failing, warnings, waived, unused };
}

/** The same violation found twice (by two paths to one resource) is reported once. */
function dedupe(vs: readonly Violation[]): Violation[] {
  const seen = new Set<string>();
  return vs.filter((v) => {
    const key = `${v.rule}\u0000${v.resource}\u0000${v.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether a verdict stops the synthesis. */
export function refuses(v: Verdict): boolean {
  return v.failing.length > 0;
}

const where = (v: Violation) => (v.path && v.path !== v.resource ? `${v.resource} (${v.path})` : v.resource);

/** One violation, as the report and the summary print it: where, which rule, what, how to fix. */
export function describe(v: Violation, indent = '  '): string[] {
  const rule: Rule = ruleOf(v.rule);
  return [`${indent}- ${where(v)}: ${v.rule} [${rule.severity}] ${v.message}`, `${indent}    fix: ${rule.fix}`];
}

/** The one report a refused synthesis prints: every failing violation of every environment. */
export function report(verdicts: readonly Verdict[]): string {
  const refused = verdicts.filter(refuses);
  const count = refused.reduce((n, v) => n + v.failing.length, 0);
  const lines = [
    `guardrails: ${count} violation${count === 1 ? '' : 's'} in ${refused.length} environment${refused.length === 1 ? '' : 's'}`,
  ];
  for (const v of refused) {
    lines.push(`${v.file} (${v.environment}):`);
    for (const f of v.failing) lines.push(...describe(f));
    const listed = v.warnings.length + v.waived.length;
    if (listed) lines.push(`  (and ${v.warnings.length} warning${v.warnings.length === 1 ? '' : 's'}, ${v.waived.length} waived)`);
  }
  lines.push(
    'A waiver excuses one rule for one resource, with a reason: guardrails.waivers in the environment file (docs/operations.md, "Guardrails").',
  );
  return lines.join('\n');
}

/**
 * The waivers in force in a stack (each once, however many violations it covers), for the synth
 * summary: every synth shows what is excused, where it is written, and why.
 */
export function waiversInForce(v: Verdict): WaiverInForce[] {
  const seen = new Map<string, WaiverInForce>();
  for (const w of v.waived) {
    if (seen.has(w.waiverPath)) continue;
    seen.set(w.waiverPath, {
      rule: w.rule,
      resource: w.waiver.resource,
      path: w.waiverPath,
      reason: w.waiver.reason,
      ...(w.waiver.until ? { until: w.waiver.until } : {}),
    });
  }
  return [...seen.values()];
}

/** One waiver in force, as the summary prints it. */
export function describeWaiver(w: WaiverInForce): string {
  return `${w.rule} for ${w.resource} (${w.path}${w.until ? `, until ${w.until}` : ''}): ${w.reason}`;
}

/** The warnings a stack's summary lists: warning rules' violations, and waivers that match nothing. */
export function guardrailWarnings(v: Verdict): string[] {
  return [
    ...v.warnings.map((w) => `${v.file}: ${where(w)}: ${w.rule} ${w.message} (fix: ${ruleOf(w.rule).fix})`),
    ...v.unused.map((p) => `${v.file}: ${p.path}: ${p.message}`),
  ];
}

/** Thrown by the synthesis when a verdict refuses it: the message is the one report. */
export class GuardrailError extends Error {
  override readonly name = 'GuardrailError';
  constructor(readonly verdicts: readonly Verdict[]) {
    super(report(verdicts));
  }
}

export type { RuleId };
