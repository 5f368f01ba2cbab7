/**
 * Edits an environment file the way a user would: sets one property of its default-exported object
 * literal, by path, keeping every other character (comments, formatting) as it was. A missing
 * property is added (with the objects on its path); an existing one has its value replaced.
 *
 * A small scanner, not a parser: it knows strings, template literals, comments and brackets, enough
 * to find property keys and value extents in an object literal. It refuses what it cannot edit
 * (a value on the path that is not an object literal, a spread or computed key in the way).
 */

interface Property {
  readonly key: string;
  /** The value's extent in the text: [start, end). */
  readonly start: number;
  readonly end: number;
}

interface ObjectLiteral {
  /** Offsets of `{` and `}`. */
  readonly open: number;
  readonly close: number;
  readonly properties: readonly Property[];
}

/** `text` with `path` (property names from the default export) set to `value` (TypeScript source). */
export function setProperty(text: string, path: readonly string[], value: string): string {
  if (path.length === 0) throw new Error('setProperty: empty path');
  const exported = /\bexport\s+default\s+/.exec(text);
  if (!exported) throw new Error('no `export default` in the file');
  let at = skipTrivia(text, exported.index + exported[0].length);
  if (text[at] !== '{') throw new Error('the default export is not an object literal');
  for (let i = 0; i < path.length; i++) {
    const object = readObject(text, at);
    const key = path[i]!;
    const found = object.properties.find((p) => p.key === key);
    if (!found) {
      // Insert `key: { rest: ... value }` as the object's first property.
      const nested = path.slice(i + 1).reduceRight((inner, k) => `{ ${k}: ${inner} }`, value);
      const entry = `${propertyName(key)}: ${nested}`;
      const empty = object.properties.length === 0 && skipTrivia(text, object.open + 1) === object.close;
      return empty
        ? `${text.slice(0, object.open)}{ ${entry} }${text.slice(object.close + 1)}`
        : `${text.slice(0, object.open + 1)} ${entry},${text.slice(object.open + 1)}`;
    }
    if (i === path.length - 1) return `${text.slice(0, found.start)}${value}${text.slice(found.end)}`;
    if (text[found.start] !== '{')
      throw new Error(`${path.slice(0, i + 1).join('.')} is not an object literal; cannot set ${path.join('.')}`);
    at = found.start;
  }
  throw new Error('unreachable');
}

function propertyName(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

/** The object literal whose `{` is at `open`: its properties (keys and value extents) and its `}`. */
function readObject(text: string, open: number): ObjectLiteral {
  const properties: Property[] = [];
  let at = open + 1;
  for (;;) {
    at = skipTrivia(text, at);
    if (text[at] === '}') return { open, close: at, properties };
    if (text.startsWith('...', at) || text[at] === '[') throw new Error(`a spread or computed key at offset ${at}: cannot edit around it`);
    const key = readKey(text, at);
    at = skipTrivia(text, key.end);
    if (text[at] !== ':')
      throw new Error(`property ${key.name} at offset ${key.end} has no value (shorthand or method): cannot edit around it`);
    const start = skipTrivia(text, at + 1);
    const end = valueEnd(text, start);
    properties.push({ key: key.name, start, end });
    at = skipTrivia(text, end);
    if (text[at] === ',') at++;
    else if (text[at] !== '}') throw new Error(`unexpected ${JSON.stringify(text[at])} at offset ${at}`);
  }
}

function readKey(text: string, at: number): { name: string; end: number } {
  if (text[at] === '"' || text[at] === "'") {
    const end = skipString(text, at);
    const raw = text.slice(at + 1, end - 1);
    return { name: text[at] === '"' ? (JSON.parse(`"${raw}"`) as string) : raw.replace(/\\(.)/g, '$1'), end };
  }
  const m = /^[A-Za-z_$0-9][A-Za-z0-9_$]*/.exec(text.slice(at));
  if (!m) throw new Error(`no property key at offset ${at}`);
  return { name: m[0], end: at + m[0].length };
}

/** Where the value starting at `at` ends: before the `,` or `}` that closes it at its own depth. */
function valueEnd(text: string, at: number): number {
  let depth = 0;
  let i = at;
  let lastCode = at;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = c === '`' ? skipTemplate(text, i) : skipString(text, i);
      lastCode = i;
      continue;
    }
    if (text.startsWith('//', i) || text.startsWith('/*', i)) {
      i = skipTrivia(text, i);
      continue;
    }
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') {
      if (depth === 0) return lastCode;
      depth--;
    } else if (c === ',' && depth === 0) return lastCode;
    i++;
    if (!/\s/.test(c)) lastCode = i;
  }
  throw new Error('unterminated object literal');
}

/** Past whitespace and comments. */
function skipTrivia(text: string, at: number): number {
  let i = at;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new Error('unterminated comment');
      i = close + 2;
    } else return i;
  }
}

/** Past a '...' or "..." string starting at `at`. */
function skipString(text: string, at: number): number {
  const quote = text[at];
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
    else if (text[i] === '\n') break;
  }
  throw new Error(`unterminated string at offset ${at}`);
}

/** Past a template literal starting at `at`, `${...}` substitutions included. */
function skipTemplate(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '`') return i + 1;
    else if (text.startsWith('${', i)) {
      // The substitution's expression ends at its matching `}`.
      const end = valueEnd(text, i + 2);
      i = skipTrivia(text, end);
      if (text[i] !== '}') throw new Error(`unterminated template substitution at offset ${at}`);
    }
  }
  throw new Error(`unterminated template literal at offset ${at}`);
}
