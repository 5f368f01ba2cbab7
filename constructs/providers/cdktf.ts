/**
 * The boundary to cdktf and constructs: everything else imports from here, so moving to the
 * `cdktn` fork (same API) touches this directory only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AnnotationMetadataEntryType,
  TerraformStack,
  type App,
  type IStackSynthesizer,
  type ISynthesisSession,
  type TerraformResource,
} from 'cdktf';
import { invokeAspects } from 'cdktf/lib/synthesize/synthesizer';
import { TokenMap } from 'cdktf/lib/tokens/private/token-map';
import { ConstructOrder } from 'constructs';
import { installFastResolve } from './resolve';
export { resolveIn, withCdktfResolve } from './resolve';

import { Construct } from 'constructs';
export { Construct };
export {
  App,
  AssetType,
  Fn,
  LocalBackend,
  S3Backend,
  TerraformAsset,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
} from 'cdktf';
export type { ITerraformDependable } from 'cdktf';

// Every stack resolves through the faster, equivalent resolve (./resolve.ts).
installFastResolve();

/** Resource types of the providers the stacks use (`aws_`, `kubernetes_`, ...), in references (`$${` is an escaped `${`). */
const REFERENCE = /(?<!\$)\$\{(?:data\.)?((?:aws|kubernetes|helm|docker|random|tls)_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g;

/**
 * A stack that references no other stack: each environment (and the bootstrap) is planned and applied
 * on its own.
 *
 * cdktf resolves every element of every stack twice: once while preparing, only to find references
 * to other stacks (for which it adds outputs and remote state), and once to write it. That first pass
 * was a sixth of `npm run synth`'s CPU time. Here preparing only makes sure a backend exists; in
 * exchange, writing the stack checks that every reference names a resource or data source the stack
 * declares, so a reference to another stack's resource (or to one that was never created) fails the
 * synthesis with its address instead of reaching Terraform.
 */
export class IsolatedStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.synthesizer = new OneResolutionSynthesizer(this, this.synthesizer);
  }

  override prepareStack(): void {
    (this as unknown as { ensureBackendExists(): void }).ensureBackendExists();
  }

  override toTerraform(): any {
    const tf = super.toTerraform();
    const declared = (kind: 'resource' | 'data', type: string, name: string) => tf[kind]?.[type]?.[name] !== undefined;
    const missing = new Set<string>();
    const scan = (value: unknown): void => {
      if (typeof value === 'string') {
        if (!value.includes('${')) return;
        for (const m of value.matchAll(REFERENCE)) {
          const data = m[0].startsWith('${data.');
          if (!declared(data ? 'data' : 'resource', m[1]!, m[2]!)) missing.add(`${data ? 'data.' : ''}${m[1]}.${m[2]}`);
        }
      } else if (Array.isArray(value)) value.forEach(scan);
      else if (value && typeof value === 'object') Object.values(value).forEach(scan);
    };
    scan({ ...tf, '//': undefined });
    if (missing.size > 0)
      throw new Error(
        `stack ${this.node.id} references what it does not declare: ${[...missing].sort().join(', ')} ` +
          '(a resource of another stack, or one that was never created; the stacks are planned on their own)',
      );
    return tf;
  }
}

const movedBlocks = new WeakMap<TerraformStack, { from: string; to: string }[]>();

/**
 * A `moved` block from `from` (a former address) to the resource: the same block as cdktf's
 * `resource.moveFromId(from)`, written as a stack override. cdktf's own method also makes the
 * synthesis run `terraform version` in a child process to check for Terraform 1.5 (about 0.4 s,
 * and a failed synthesis where Terraform is not installed); the stacks require a newer Terraform
 * in `terraform.required_version` anyway, which Terraform itself enforces.
 */
export function movedFrom(resource: TerraformResource, from: string): void {
  const stack = TerraformStack.of(resource);
  const blocks = movedBlocks.get(stack) ?? [];
  blocks.push({ from, to: `${resource.terraformResourceType}.${resource.friendlyUniqueId}` });
  movedBlocks.set(stack, blocks);
  stack.addOverride('moved', [...blocks]);
}

/**
 * What `Testing.synth(stack)` returns (as text, and as the object that text parses to), and the
 * configuration with its `//` comments, from ONE resolution of the stack. `Testing.synth` resolves
 * the stack itself, copies every object once per key to drop the comments (quadratic in an object's
 * keys) and then sorts again while printing; a test that also wants the comments had to resolve the
 * stack a second time, and one that wants the object parsed the text back. The text (printed when
 * first read) is byte-identical to `Testing.synth`'s (json-stable-stringify with two spaces: keys in
 * code-unit order, an empty object or array printed over two lines, `undefined` members left out);
 * test/stacks.test.ts compares the two.
 */
export function synthOnce(stack: TerraformStack): { readonly text: string; readonly tf: any; readonly full: any } {
  invokeAspects(stack);
  const full = stack.toTerraform();
  const { tree: tf, ordered } = copied(full, true);
  let text: string | undefined;
  return {
    full,
    tf,
    get text() {
      return (text ??= printed(tf, ordered).toString('utf8'));
    },
  };
}

/** Object keys JavaScript orders before the others whatever the order they were added in. */
const INTEGER_KEY = /^(?:0|[1-9][0-9]*)$/;
let keysInOrder = true;

/** `plain`'s copy, and whether its keys follow code-unit order. */
function copied(node: any, dropComments: boolean): { tree: any; ordered: boolean } {
  keysInOrder = true;
  const tree = plain(node, dropComments);
  return { tree, ordered: keysInOrder };
}

/**
 * A copy as JSON carries it (`toJSON` applied; `undefined`, functions and symbols left out of
 * objects and `null` in arrays), keys in code-unit order, optionally without the `//` comments.
 * Notes (`copied` returns it) when a key (an integer, or `__proto__`) keeps the copy's keys from
 * following that order.
 */
function plain(node: any, dropComments: boolean): any {
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.toJSON === 'function') return plain(node.toJSON(), dropComments);
  if (Array.isArray(node)) return node.map((item) => (omitted(item) ? null : plain(item, dropComments)));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(node).sort()) {
    const value = node[key];
    if ((dropComments && key === '//') || omitted(value)) continue;
    if (key === '__proto__' || INTEGER_KEY.test(key)) keysInOrder = false;
    out[key] = plain(value, dropComments);
  }
  return out;
}

const omitted = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';

/**
 * `tree` (a copy `plain` made) printed as json-stable-stringify prints it with two spaces: by
 * JavaScript's own printer, then each empty object or array opened over two lines as that library
 * does (`{` newline, the line's indent, `}`); a structural empty one is the only `{}` or `[]` that
 * ends a line, since a string cannot hold a raw newline and ends with a quote. Where the copy's keys
 * are not in order (see `plain`), printed key by key instead.
 */
function printed(tree: any, ordered: boolean): Buffer {
  if (!ordered) return Buffer.from(stableText(tree) ?? 'undefined');
  const bytes = Buffer.from(JSON.stringify(tree, null, 2) ?? 'undefined');
  const empties: number[] = [];
  for (const pair of ['{}', '[]'])
    for (let i = bytes.indexOf(pair); i !== -1; i = bytes.indexOf(pair, i + 2)) {
      const next = bytes[i + 2];
      if (next === undefined || next === NEWLINE || (next === COMMA && bytes[i + 3] === NEWLINE)) empties.push(i);
    }
  if (empties.length === 0) return bytes;
  empties.sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const i of empties) {
    const lineStart = bytes.lastIndexOf(NEWLINE, i) + 1;
    let indent = 0;
    while (bytes[lineStart + indent] === SPACE) indent++;
    chunks.push(bytes.subarray(from, i + 1), Buffer.from('\n' + ' '.repeat(indent)));
    from = i + 1;
  }
  chunks.push(bytes.subarray(from));
  return Buffer.concat(chunks);
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;
const SPACE = 0x20;

function stableText(node: any): string | undefined {
  const parts: string[] = [];
  return printStable(node, 0, parts) ? parts.join('') : undefined;
}

const INDENTS = Array.from({ length: 32 }, (_, level) => '\n' + '  '.repeat(level));
const indentOf = (level: number) => INDENTS[level] ?? '\n' + '  '.repeat(level);

/** Appends `node` as json-stable-stringify prints it with two spaces; false (nothing appended) for what JSON leaves out. */
function printStable(node: any, level: number, parts: string[]): boolean {
  if (node && typeof node.toJSON === 'function') node = node.toJSON();
  if (node === undefined) return false;
  if (typeof node !== 'object' || node === null) {
    const text = JSON.stringify(node);
    if (text === undefined) return false;
    parts.push(text);
    return true;
  }
  const indent = indentOf(level);
  const inner = indentOf(level + 1);
  if (Array.isArray(node)) {
    parts.push('[');
    for (let i = 0; i < node.length; i++) {
      parts.push(i > 0 ? ',' + inner : inner);
      if (!printStable(node[i], level + 1, parts)) parts.push('null');
    }
    parts.push(indent + ']');
    return true;
  }
  parts.push('{');
  let first = true;
  for (const key of Object.keys(node).sort()) {
    const mark = parts.length;
    parts.push((first ? inner : ',' + inner) + JSON.stringify(key) + ': ');
    if (printStable(node[key], level + 1, parts)) first = false;
    else parts.length = mark;
  }
  parts.push(indent + '}');
  return true;
}

/**
 * Runs `build` (constructing and synthesizing stacks) without the stack traces cdktf captures for
 * every token it creates. `stackTraces: false` does not stop that: tokens/private/stack-trace.js
 * raises the limit to the whole stack and calls `Error.captureStackTrace`, and the trace is formatted
 * at once (and source-mapped, where source maps are on, as under tsx or the test runner). None is
 * read. Meanwhile capturing leaves the trace empty (as cdktf's own code expects when there is none)
 * and traces format to nothing; everything is restored after, so an error thrown meanwhile formats
 * its trace when it is read.
 */
export function withoutTraces<T>(build: () => T): T {
  const sourceMaps = process.sourceMapsEnabled;
  const errors = Error as { prepareStackTrace?: unknown; captureStackTrace: (target: object, below?: unknown) => void };
  const prepareTrace = errors.prepareStackTrace;
  const captureTrace = errors.captureStackTrace;
  process.setSourceMapsEnabled(false);
  errors.prepareStackTrace = () => '';
  errors.captureStackTrace = (target) => void Object.defineProperty(target, 'stack', { value: '', writable: true, configurable: true });
  try {
    return build();
  } finally {
    errors.prepareStackTrace = prepareTrace;
    errors.captureStackTrace = captureTrace;
    process.setSourceMapsEnabled(sourceMaps);
  }
}

/** What a stack's synthesis wrote to its `cdk.tf.json`: its bytes, as text, and what it parses to. */
export interface WrittenStack {
  readonly bytes: Buffer;
  readonly text: string;
  readonly json: any;
}

const written = new WeakMap<TerraformStack, WrittenStack>();

/** What `stack` wrote when the app last synthesized it (an `IsolatedStack`), without reading it back. */
export function writtenStack(stack: TerraformStack): WrittenStack {
  const w = written.get(stack);
  if (!w) throw new Error(`stack ${stack.node.id} has not been synthesized`);
  return w;
}

/**
 * `app.synth()`, one stack at a time: each stack is built, synthesized, handed to `each` (which
 * reads what it wrote and may read its constructs), and then dropped, with the tokens it registered,
 * before the next is built. `app.synth()` builds every stack first and keeps them all until the
 * end: with 50 environments the heap grew past 400 MiB and the garbage collector's cost grew with
 * it, so each environment cost more the more there were.
 *
 * The stacks must be isolated (`IsolatedStack`: nothing refers to another stack), which is also
 * why a dropped stack's tokens can go: no later stack resolves them. cdktf's token map keeps every
 * token it ever registered; a token used again after its stack was dropped would fail its lookup
 * ("Unrecognized token key") instead of resolving to a stale value. The files and the manifest are
 * the ones `app.synth()` writes (test/stacks.test.ts compares them).
 */
export function synthesizeEach<S extends TerraformStack, R>(
  app: App,
  builders: readonly (() => S)[],
  each: (stack: S, written: WrittenStack) => R,
): R[] {
  const session: ISynthesisSession = { outdir: app.outdir, skipValidation: app.skipValidation, manifest: app.manifest };
  const results: R[] = [];
  for (const build of builders) {
    const mark = tokenMark();
    const stack = build();
    if (!(stack instanceof IsolatedStack))
      throw new Error(`stack ${stack.node.id} is not an IsolatedStack: it cannot be synthesized on its own`);
    stack.prepareStack();
    stack.synthesizer.synthesize(session);
    results.push(each(stack, writtenStack(stack)));
    app.node.tryRemoveChild(stack.node.id);
    forgetTokens(mark);
  }
  if (!app.skipValidation) {
    const problems = app.node.validate();
    if (problems.length > 0) throw new Error(`Validation failed with the following errors:\n  ${problems.join('\n  ')}`);
  }
  app.manifest.writeToFile();
  return results;
}

/** Where cdktf's token map stands: `forgetTokens` drops what was registered after. */
export interface TokenMark {
  readonly strings: number;
  readonly numbers: number;
}

const tokenMap = () => TokenMap.instance() as unknown as { stringTokenMap: Map<string, unknown>; numberTokenMap: Map<number, unknown> };

export function tokenMark(): TokenMark {
  const tokens = tokenMap();
  return { strings: tokens.stringTokenMap.size, numbers: tokens.numberTokenMap.size };
}

/**
 * Drops the tokens registered since `mark` (and with them what they hold: the constructs they refer
 * to). Only for tokens no one resolves again: a stack already synthesized and isolated. A token used
 * after fails its lookup ("Unrecognized Token Key").
 */
export function forgetTokens(mark: TokenMark): void {
  const tokens = tokenMap();
  forgetAfter(tokens.stringTokenMap, mark.strings);
  forgetAfter(tokens.numberTokenMap, mark.numbers);
}

/** Deletes a map's entries after its first `keep` (a Map iterates in insertion order). */
function forgetAfter(map: Map<unknown, unknown>, keep: number): void {
  let i = 0;
  for (const key of map.keys()) if (i++ >= keep) map.delete(key);
}

const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');
const ANNOTATIONS: readonly string[] = [
  AnnotationMetadataEntryType.INFO,
  AnnotationMetadataEntryType.WARN,
  AnnotationMetadataEntryType.ERROR,
];

/**
 * cdktf's `StackSynthesizer`, step for step, except the printing: cdktf prints the configuration with
 * json-stable-stringify (a sixth of a synthesis, once the stack is resolved); this prints the same
 * bytes (`stableText`) and keeps them, so the app checks and summarizes the stack without reading the
 * file back. A stack with cdktf's own resource moves (which adds a Terraform version check) goes
 * through cdktf's synthesizer. test/stacks.test.ts compares the files the two write.
 */
class OneResolutionSynthesizer {
  constructor(
    private readonly stack: TerraformStack,
    private readonly cdktf: IStackSynthesizer,
  ) {}

  synthesize(session: ISynthesisSession): void {
    if (this.stack.hasResourceMove() || process.env.SYNTH_HCL_OUTPUT === 'true') return this.cdktf.synthesize(session);
    invokeAspects(this.stack);
    if (!session.skipValidation) this.stack.runAllValidations();
    const stackManifest = session.manifest.forStack(this.stack);
    const workingDirectory = path.join(session.outdir, stackManifest.workingDirectory);
    if (!fs.existsSync(workingDirectory)) fs.mkdirSync(workingDirectory);
    for (const node of this.stack.node.findAll(ConstructOrder.POSTORDER)) (node as any)[CUSTOM_SYNTHESIS]?.onSynthesize(session);
    const annotations = this.stack.node
      .findAll()
      .flatMap((node) =>
        node.node.metadata
          .filter((m) => ANNOTATIONS.includes(m.type))
          .map((m) => ({ constructPath: node.node.path, level: m.type, message: m.data, stacktrace: m.trace })),
      );
    (stackManifest as { annotations: unknown }).annotations = annotations;
    const errors = annotations.filter((a) => a.level === AnnotationMetadataEntryType.ERROR);
    if (errors.length > 0 && process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS === undefined)
      throw new Error(`Encountered Annotations with level "ERROR":\n${errors.map((a) => `[${a.constructPath}] ${a.message}`).join('\n')}`);
    const { tree: json, ordered } = copied(this.stack.toTerraform(), false);
    const bytes = printed(json, ordered);
    fs.writeFileSync(path.join(session.outdir, stackManifest.synthesizedStackPath), bytes);
    written.set(this.stack, {
      bytes,
      json,
      get text() {
        return bytes.toString('utf8');
      },
    });
  }
}
