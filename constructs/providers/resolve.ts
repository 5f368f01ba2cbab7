/**
 * cdktf's `resolve` (cdktf/lib/tokens/private/resolve.js, 0.21.0), the function every stack's
 * configuration goes through on its way to JSON, with the same results and errors but without its
 * per-value overhead. cdktf's version builds, for every string, number, array element and object
 * key, the whole path from the root as text (`"/" + prefix.join("/")`, used only in error
 * messages), a copy of the path, a context object with two closures, and runs two or three regular
 * expressions through fresh `TokenString` objects; that was a quarter of a synthesis's CPU time.
 *
 * Here:
 * - the path is a linked list, printed only for an error;
 * - a context is made only where cdktf hands one to a token or a resolver (a string with tokens in
 *   it, a number token, a list or map token, a resolvable). Plain arrays and objects pass their
 *   parent's context on instead of a copy of it: a copy holds the same four inherited fields
 *   (suppressBraces, ignoreEscapes, warnEscapes, iteratorContext) read at the same moment, and
 *   nothing else reads it;
 * - a string is searched for each token marker's fixed prefix before a regular expression runs
 *   (no marker, no match), and for a number token with one expression equivalent to cdktf's for a
 *   test.
 *
 * Installed by `installFastResolve()` in place of the module's export, which is what cdktf's one
 * caller (`Tokenization.resolve`) calls. test/stacks.test.ts resolves the same values with both.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cdktfResolve = require('cdktf/lib/tokens/private/resolve') as { resolve: Resolve };
const encoding = require('cdktf/lib/tokens/private/encoding');
const errors = require('cdktf/lib/errors');
const { TokenMap } = require('cdktf/lib/tokens/private/token-map');
const { StringConcat } = require('cdktf/lib/tokens/resolvable');
const { Token } = require('cdktf/lib/tokens/token');

type Resolve = (obj: any, options: ResolveOptions) => any;

interface ResolveOptions {
  readonly scope: unknown;
  readonly preparing: boolean;
  readonly resolver: any;
  readonly prefix?: readonly string[];
  readonly previousContext?: any;
}

/** The path from the root to a value, for error messages. */
interface Path {
  readonly parent: Path | undefined;
  readonly key: string;
  readonly depth: number;
}

/** cdktf's resolve, as its module exported it. */
export const cdktfResolveFunction: Resolve = cdktfResolve.resolve;

let installed = false;

/** Makes cdktf resolve through `fastResolve` (once; idempotent). */
export function installFastResolve(): void {
  if (installed) return;
  cdktfResolve.resolve = fastResolve;
  installed = true;
}

/** Same arguments and results as cdktf's `resolve`. */
export function fastResolve(obj: any, options: ResolveOptions): any {
  let path: Path | undefined;
  for (const key of options.prefix ?? []) path = { parent: path, key, depth: (path?.depth ?? 0) + 1 };
  return resolveValue(obj, options, path);
}

const tokenMap = TokenMap.instance();
const lookupToken = tokenMap.lookupToken.bind(tokenMap);
const lookupNumber = (id: string) => TokenMap.instance().lookupNumberToken(parseFloat(id));

const STRING_MARKER = encoding.BEGIN_STRING_TOKEN_MARKER as string;
const LIST_MARKER = encoding.BEGIN_LIST_TOKEN_MARKER as string;
const MAP_MARKER = encoding.BEGIN_MAP_TOKEN_MARKER as string;
/** True exactly where cdktf's NUMBER_TOKEN_REGEX (`[-|\d|.\+]+(e[-|\d|.|e|E|\+]+)`) finds a match. */
const NUMBER_TOKEN = /[-|\d.+]e[-|\d.eE+]/;

function pathName(path: Path | undefined): string {
  const keys: string[] = [];
  for (let p = path; p; p = p.parent) keys.push(p.key);
  return '/' + keys.reverse().join('/');
}

const child = (path: Path | undefined, key: string): Path => ({ parent: path, key, depth: (path?.depth ?? 0) + 1 });

/** cdktf's `makeContext`: a context inheriting from `options.previousContext`, and its post-processor. */
function makeContext(options: ResolveOptions, path: Path | undefined): [any, { postProcess(x: any): any }] {
  let postProcessor: { postProcess(x: any, context: any): any } | undefined;
  const previous = options.previousContext;
  const context = {
    preparing: options.preparing,
    scope: options.scope,
    suppressBraces: previous?.suppressBraces,
    ignoreEscapes: previous?.ignoreEscapes,
    warnEscapes: previous?.warnEscapes,
    iteratorContext: previous?.iteratorContext,
    registerPostProcessor(pp: typeof postProcessor) {
      postProcessor = pp;
    },
    resolve(x: any) {
      return resolveValue(
        x,
        { scope: options.scope, preparing: options.preparing, resolver: options.resolver, previousContext: context },
        path,
      );
    },
  };
  return [context, { postProcess: (x: any) => (postProcessor ? postProcessor.postProcess(x, context) : x) }];
}

function resolveValue(obj: any, options: ResolveOptions, path: Path | undefined): any {
  if ((path?.depth ?? 0) > 200) throw errors.unableToResolveCircularReference(pathName(path));
  if (obj === undefined) return undefined;
  if (obj === null) return null;
  if (typeof obj === 'function') throw errors.cannotResolveFunction(pathName(path), obj);
  if (typeof obj === 'string') return resolveString(obj, options, path);
  if (typeof obj === 'number') {
    if (obj === Token.NUMBER_MAP_TOKEN_VALUE) throw errors.encodedMapTokenInScalarNumberContext();
    const token = TokenMap.instance().lookupNumberToken(obj);
    return token === undefined ? obj : makeContext(options, path)[0].resolve(token);
  }
  if (typeof obj !== 'object' || obj instanceof Date) return obj;
  if (Array.isArray(obj)) {
    if (obj.some((x) => typeof x === 'string' && x.includes(LIST_MARKER) && encoding.TokenString.forListToken(x).test()))
      return options.resolver.resolveList(obj, makeContext(options, path)[0]);
    if (encoding.containsNumberListTokenElement(obj)) return options.resolver.resolveNumberList(obj, makeContext(options, path)[0]);
    const out: any[] = [];
    for (let i = 0; i < obj.length; i++) {
      const value = resolveValue(obj[i], options, child(path, `${i}`));
      if (value !== undefined) out.push(value);
    }
    return out;
  }
  const keys = Object.keys(obj);
  if (keys.some((k) => k.includes(MAP_MARKER) && encoding.TokenString.forMapToken(k).test()))
    return options.resolver.resolveMap(obj, makeContext(options, path)[0]);
  if (typeof obj.resolve === 'function') {
    const [context, postProcessor] = makeContext(options, path);
    return options.resolver.resolveToken(obj, context, postProcessor);
  }
  if (obj._children !== undefined && obj._metadata !== undefined) throw errors.constructsCannotBeResolved(pathName(path));
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const resolvedKey = resolveValue(key, options, path);
    if (typeof resolvedKey !== 'string') throw errors.mapKeyMustResolveToString(pathName(path), key, resolvedKey);
    const value = resolveValue(obj[key], options, child(path, key));
    if (value === undefined) continue;
    result[resolvedKey] = value;
  }
  return result;
}

function resolveString(obj: string, options: ResolveOptions, path: Path | undefined): any {
  if (obj.includes(LIST_MARKER) && encoding.TokenString.forListToken(obj).test()) throw errors.encodedListTokenInScalarStringContext();
  if (obj === Token.STRING_MAP_TOKEN_VALUE || obj === Token.ANY_MAP_TOKEN_VALUE) throw errors.encodedMapTokenInScalarStringContext();
  let str: any = obj;
  if (obj.includes(STRING_MARKER)) {
    const previous = options.previousContext;
    const tokenStr = encoding.TokenString.forString(str, !previous?.ignoreEscapes, previous?.warnEscapes);
    if (tokenStr.test()) str = options.resolver.resolveString(tokenStr.split(lookupToken), makeContext(options, path)[0]);
  }
  // cdktf tests what the string resolved to, whatever it is (a resolver may return a non-string).
  const text = String(str);
  if (NUMBER_TOKEN.test(text)) {
    const numbers = encoding.TokenString.forNumbers(str);
    if (numbers.test()) str = numbers.split(lookupNumber).mapTokens(makeContext(options, path)[0]).join(new StringConcat());
  }
  return str;
}

/** Runs `fn` with cdktf's own resolve (for the tests that compare the two). */
export function withCdktfResolve<T>(fn: () => T): T {
  const current = cdktfResolve.resolve;
  cdktfResolve.resolve = cdktfResolveFunction;
  try {
    return fn();
  } finally {
    cdktfResolve.resolve = current;
  }
}

/** What cdktf makes of `value` where it writes a stack's configuration (its `resolve(scope, value)`). */
export function resolveIn(scope: unknown, value: unknown, preparing = false): any {
  return require('cdktf/lib/_tokens').resolve(scope, value, preparing);
}
