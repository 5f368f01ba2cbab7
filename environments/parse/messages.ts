/**
 * Plain-words messages for configuration mistakes. zod's own messages speak about types
 * ("expected int, received number"); people editing an environment file need to read what to write
 * instead: "must be a whole number", "required", "unknown field; did you mean maxmemory?".
 */
import type { z } from 'zod';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/** The closest candidate, if one is close enough to be what the user meant. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const scored = candidates
    .map((c) => ({ c, d: distance(lower, c.toLowerCase()) }))
    .filter(({ c, d }) => d <= Math.max(1, Math.min(3, Math.floor(c.length / 3))))
    .sort((x, y) => x.d - y.d);
  return scored[0]?.c;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: Schema): Schema {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: Schema; in?: Schema };
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

function childAt(schema: Schema, key: PropertyKey, input: unknown): Schema | undefined {
  const s = unwrap(schema);
  const def = s._zod.def as any;
  switch (def.type) {
    case 'object':
      return typeof key === 'string' ? def.shape[key] : undefined;
    case 'record':
      return def.valueType;
    case 'array':
      return def.element;
    case 'union': {
      const option = optionFor(s, input);
      return option ? childAt(option, key, input) : undefined;
    }
    default:
      return undefined;
  }
}

/** The option of a (discriminated) union that the input selects. */
function optionFor(union: Schema, input: unknown): Schema | undefined {
  const def = union._zod.def as any;
  const options = def.options as Schema[];
  const disc = def.discriminator as string | undefined;
  if (disc && input && typeof input === 'object') {
    const value = (input as Record<string, unknown>)[disc];
    return options.find((o) => {
      const field = (unwrap(o)._zod.def as any).shape?.[disc];
      return field && (unwrap(field)._zod.def as any).values?.includes(value);
    });
  }
  return options.length === 1 ? options[0] : undefined;
}

/** Field names the schema accepts at `path` (for "unknown field" suggestions). */
export function knownKeys(schema: Schema, path: readonly PropertyKey[], input: unknown): string[] {
  let s: Schema | undefined = schema;
  let value = input;
  for (const key of path) {
    if (!s) return [];
    s = childAt(s, key, value);
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  if (!s) return [];
  let inner = unwrap(s);
  if ((inner._zod.def as any).type === 'union') inner = optionFor(inner, value) ? unwrap(optionFor(inner, value)!) : inner;
  const shape = (inner._zod.def as any).shape;
  return shape ? Object.keys(shape) : [];
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text (in quotes)',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a section ({ ... })',
  array: 'a list ([ ... ])',
  record: 'a section ({ ... })',
};

const quoteList = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** zod's own wording (its default error map); a message written by a schema author is kept as it is. */
const ZOD_DEFAULT =
  /^(Invalid input|Invalid option|Invalid discriminator|Invalid element|Invalid key|Invalid value|Too small|Too big|Unrecognized key)/;

/** One issue in plain words (without its path). */
export function plainMessage(issue: Issue): string {
  const i = issue as any;
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      if (!('input' in i) || i.input === undefined) return 'required';
      if (i.expected === 'int' && typeof i.input === 'number') return 'must be a whole number';
      return `must be ${TYPE_WORDS[i.expected] ?? i.expected}, not ${describe(i.input)}`;
    }
    case 'too_small': {
      const n = Number(i.minimum);
      if (i.origin === 'array' || i.origin === 'set') return n === 1 ? 'must list at least one entry' : `must list at least ${n} entries`;
      if (i.origin === 'string') return n === 1 ? 'must not be empty' : `must be at least ${n} characters long`;
      return i.inclusive ? `must be at least ${n}` : `must be more than ${n}`;
    }
    case 'too_big': {
      const n = Number(i.maximum);
      if (i.origin === 'array' || i.origin === 'set') return `must list at most ${n} entries`;
      if (i.origin === 'string') return `must be at most ${n} characters long`;
      return i.inclusive ? `must be at most ${n}` : `must be less than ${n}`;
    }
    case 'invalid_value': {
      const values = i.values as unknown[];
      const hint = typeof i.input === 'string' ? didYouMean(i.input, values.map(String)) : undefined;
      if (values.length === 1) return `must be ${JSON.stringify(values[0])}`;
      return `must be one of ${quoteList(values)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}`;
    }
    case 'invalid_union': {
      if (i.discriminator) {
        const got = i.input && typeof i.input === 'object' ? i.input[i.discriminator] : undefined;
        const options = (i.options as unknown[]).map(String);
        const hint = typeof got === 'string' ? didYouMean(got, options) : undefined;
        return `must be one of ${quoteList(options)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}`;
      }
      return 'is not in any of the accepted forms';
    }
    case 'invalid_format':
      return issue.message;
    default:
      return issue.message;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'a section';
  return `${typeof value === 'number' ? 'the number' : typeof value} ${String(value)}`;
}
