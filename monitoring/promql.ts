/**
 * The metric names a PromQL expression reads (pure; for the check that every name a rule or
 * dashboard uses exists in the metric list of the exporter version it is written for).
 *
 * A reasonable reading, not a parser: string literals, label matchers (`{...}`), range and subquery
 * selectors (`[5m]`, `[1h:5m]`), durations, numbers and the label lists of `by`, `without`, `on`,
 * `ignoring`, `group_left` and `group_right` are removed; what remains and is an identifier not
 * followed by `(` (a function or aggregation) and not a keyword is a metric name. A selector written
 * only as `{__name__="x"}` is read too.
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);

/** Every metric name the expression selects, in order of appearance, without repeats. */
export function metricNames(expr: string): string[] {
  const names: string[] = [];
  // `__name__` matchers name a metric inside braces.
  for (const m of expr.matchAll(/__name__\s*=\s*"([^"]+)"/g)) names.push(m[1]!);
  let rest = expr
    // Strings (label values, label_replace arguments).
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    // Label matchers.
    .replace(/\{[^}]*\}/g, ' ')
    // Range and subquery selectors.
    .replace(/\[[^\]]*\]/g, ' ')
    // Label lists of grouping and matching modifiers.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // `offset 5m`, `@ 1700000000`.
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ')
    .replace(/@\s*[0-9.]+/g, ' ');
  // Numbers (including 1e3 and hex) before identifiers, so `1e3` is not read as `e3`.
  rest = rest.replace(/\b0x[0-9a-fA-F]+\b|\b[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\b/g, ' ');
  for (const m of rest.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)) {
    const [, id, call] = m;
    if (call || KEYWORDS.has(id!)) continue;
    names.push(id!);
  }
  return [...new Set(names)];
}
