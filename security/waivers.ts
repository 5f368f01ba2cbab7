/**
 * Guardrail waivers in force: a rule an environment is allowed to break, with the reason and how
 * long. The synth summary lists them for every stack (stacks/summary.ts), so a waiver is never
 * silent. This is the hook the guardrails' waivers fill: no rule can be waived yet, so every
 * environment has none.
 */
import type { Environment } from '../environments/parse/load';

export interface Waiver {
  /** The guardrail waived (its id). */
  readonly rule: string;
  /** Where in the environment file the waiver is written. */
  readonly path: string;
  /** Why, in the words of whoever wrote it. */
  readonly reason: string;
  /** Until when (YYYY-MM-DD), if it expires. */
  readonly until?: string;
}

/** The waivers in force for an environment. */
export function waiversInForce(_env: Environment): readonly Waiver[] {
  return [];
}
