/**
 * The stacks' base (constructs/providers/cdktf.ts): stacks are planned on their own, so synthesis
 * skips cdktf's cross-stack preparation and instead refuses a reference to what a stack does not
 * declare; `movedFrom` writes the same `moved` block as cdktf's `moveFromId`; `synthOnce` prints
 * what `Testing.synth` prints, from one resolution; `synthesizeEach` writes what `app.synth()` writes,
 * one stack at a time; the faster resolve (constructs/providers/resolve.ts) gives cdktf's results
 * and errors.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  App,
  Fn,
  IsolatedStack,
  TerraformStack,
  Testing,
  Token,
  movedFrom,
  resolveIn,
  synthesizeEach,
  synthOnce,
  withCdktfResolve,
  writtenStack,
} from '../constructs/providers/cdktf';
import { testApp } from './helpers';
import { Id, RandomProvider } from '../constructs/providers/random';

function stackPair() {
  const app = testApp();
  const a = new IsolatedStack(app, 'a');
  const b = new IsolatedStack(app, 'b');
  new RandomProvider(a, 'random');
  new RandomProvider(b, 'random');
  const first = new Id(a, 'first', { byteLength: 8 });
  return { app, a, b, first };
}

describe('IsolatedStack', () => {
  it('writes references to its own resources', () => {
    const { a, first } = stackPair();
    new Id(a, 'second', { byteLength: 8, keepers: { first: first.hex } });
    const json = JSON.parse(Testing.synth(a));
    expect(json.resource.random_id.second.keepers.first).toBe('${random_id.first.hex}');
  });

  it("refuses a reference to another stack's resource, naming it", () => {
    const { b, first } = stackPair();
    new Id(b, 'second', { byteLength: 8, keepers: { first: first.hex } });
    expect(() => Testing.synth(b)).toThrow(/stack b references what it does not declare: random_id\.first/);
  });

  it('leaves escaped interpolations and non-provider expressions alone', () => {
    const { a } = stackPair();
    new Id(a, 'second', { byteLength: 8, keepers: { text: '$${random_id.ghost.hex}', path: '${path.module}' } });
    expect(() => Testing.synth(a)).not.toThrow();
  });
});

describe('movedFrom', () => {
  it("writes the moved block cdktf's moveFromId writes", () => {
    const ours = stackPair();
    movedFrom(ours.first, 'random_id.old');
    const app = testApp();
    const theirs = new TerraformStack(app, 'a');
    new RandomProvider(theirs, 'random');
    new Id(theirs, 'first', { byteLength: 8 }).moveFromId('random_id.old');
    const moved = (json: string) => JSON.parse(json).moved;
    expect(moved(Testing.synth(ours.a))).toEqual([{ from: 'random_id.old', to: 'random_id.first' }]);
    expect(moved(Testing.synth(ours.a))).toEqual(moved(Testing.synth(theirs)));
  });
});

describe('synthOnce', () => {
  // The user's environments' snapshots (test/environments.test.ts) were written by Testing.synth and
  // are read back through synthOnce. Every whole stack's text is compared with Testing.synth's, byte
  // for byte, in `npm run verify` (scripts/verify/resolve-equivalence.ts); here the edge cases.
  it('prints a stack byte for byte as Testing.synth, and keeps the comments beside it', () => {
    const { a } = stackPair();
    a.addOverride('//', { note: 'a comment' });
    const { text, full } = synthOnce(a);
    expect(text).toBe(Testing.synth(a));
    expect(Object.keys(full.resource).length).toBeGreaterThan(0);
    expect((full as any)['//']).toBeDefined();
    expect(text).not.toContain('"//"');
  });

  it('prints empty objects and arrays, undefined members and nested comments as json-stable-stringify does', () => {
    const { a } = stackPair();
    new Id(a, 'second', { byteLength: 8, keepers: {} });
    a.addOverride('locals', { empty: [], nested: { '//': 'dropped', z: 1, a: [undefined, 'x', {}], gone: undefined }, '7': {}, '10': [] });
    expect(synthOnce(a).text).toBe(Testing.synth(a));
    const { a: b } = stackPair();
    b.addOverride('locals', { text: '{}', list: [[], {}, 'x: {}'], 'key {}': {} });
    expect(synthOnce(b).text).toBe(Testing.synth(b));
  });
});

describe("an IsolatedStack's synthesizer", () => {
  it("writes the file cdktf's writes, byte for byte, and keeps what it wrote", () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'platform-synthesizer-')));
    try {
      const build = (Stack: typeof TerraformStack, outdir: string, integerKeys = false) => {
        const app = new App({ outdir, stackTraces: false });
        const stack = new Stack(app, 'a');
        new RandomProvider(stack, 'random');
        new Id(stack, 'first', { byteLength: 8, keepers: { empty: '', text: 'é "quoted"' } });
        stack.addOverride('locals', { empty: [], nested: { z: 1, a: [null, 'x', {}, []] }, none: {}, text: 'ends {}' });
        if (integerKeys) stack.addOverride('locals.ports', { '10': 'a', '9': 'b', x: 'c' });
        app.synth();
        return { stack, file: fs.readFileSync(path.join(outdir, 'stacks', 'a', 'cdk.tf.json')) };
      };
      const ours = build(IsolatedStack, dirs[0]!);
      const theirs = build(TerraformStack, dirs[1]!);
      expect(ours.file.equals(theirs.file)).toBe(true);
      expect(writtenStack(ours.stack).bytes.equals(ours.file)).toBe(true);
      expect(JSON.parse(writtenStack(ours.stack).text)['//']).toBeDefined();
      expect(fs.readFileSync(path.join(dirs[0]!, 'manifest.json'), 'utf8')).toBe(
        fs.readFileSync(path.join(dirs[1]!, 'manifest.json'), 'utf8'),
      );
    } finally {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('synthesizeEach', () => {
  const build = (app: App, id: string) => {
    const stack = new IsolatedStack(app, id);
    new RandomProvider(stack, 'random');
    const first = new Id(stack, 'first', { byteLength: 8, keepers: { id } });
    new Id(stack, 'second', { byteLength: 8, keepers: { first: first.hex, joined: Fn.join(',', [first.hex, first.b64Std]) } });
    stack.addOverride('locals', { empty: [], none: {}, text: 'ends {}' });
    return stack;
  };

  it("writes app.synth()'s files and manifest, handing each stack over before dropping it and its tokens", () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'platform-each-')));
    try {
      const all = new App({ outdir: dirs[0]!, stackTraces: false });
      for (const id of ['a', 'b']) build(all, id);
      all.synth();
      const app = new App({ outdir: dirs[1]!, stackTraces: false });
      const tokens = (globalThis as any).__cdktfTokenMap.stringTokenMap as Map<string, unknown>;
      const before = tokens.size;
      const seen: string[] = [];
      const results = synthesizeEach(
        app,
        ['a', 'b'].map((id) => () => build(app, id)),
        (stack, written) => {
          // Handed over whole: its constructs are still there, and what it wrote.
          seen.push(`${stack.node.id}:${app.node.children.length}:${tokens.size > before}`);
          return written.json.resource.random_id.second.keepers.first;
        },
      );
      expect(seen).toEqual(['a:1:true', 'b:1:true']);
      expect(results).toEqual(['${random_id.first.hex}', '${random_id.first.hex}']);
      expect(app.node.children).toHaveLength(0);
      expect(tokens.size).toBe(before);
      for (const file of ['manifest.json', 'stacks/a/cdk.tf.json', 'stacks/b/cdk.tf.json'])
        expect(fs.readFileSync(path.join(dirs[1]!, file), 'utf8'), file).toBe(fs.readFileSync(path.join(dirs[0]!, file), 'utf8'));
    } finally {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('fails loudly where a token of a dropped stack is used again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-each-'));
    try {
      const app = new App({ outdir: dir, stackTraces: false });
      let kept: string | undefined;
      const make = (id: string) => () => {
        const stack = build(app, id);
        if (kept) new Id(stack, 'stale', { byteLength: 8, keepers: { stale: kept } });
        else kept = new Id(stack, 'source', { byteLength: 8 }).hex;
        return stack;
      };
      expect(() => synthesizeEach(app, [make('a'), make('b')], () => undefined)).toThrow(/Unrecognized Token Key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a stack that is not isolated', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'platform-each-')), stackTraces: false });
    try {
      expect(() => synthesizeEach(app, [() => new TerraformStack(app, 'plain')], () => undefined)).toThrow(/not an IsolatedStack/);
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });
});

describe("the faster resolve gives cdktf's results and errors", () => {
  const both = (fn: () => unknown) => {
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    };
    return { fast: outcome(fn), cdktf: withCdktfResolve(() => outcome(fn)) };
  };

  // The whole of every stack, resolved by both, is compared in `npm run verify`
  // (scripts/verify/resolve-equivalence.ts); here the edge cases.
  it('on tokens in strings, numbers, lists and map keys, escapes, dates and empty members', () => {
    const { a, first } = stackPair();
    const lazy = (value: unknown) => ({ creationStack: [], resolve: () => value, toString: () => 'lazy' });
    const count = Token.asNumber(lazy(3));
    const values = {
      plain: ['x', 1, true, null, undefined, { nested: { deep: [undefined, 'y'] } }],
      reference: first.hex,
      text: `id ${first.hex} and ${count} of ${Token.asString(lazy('n'))}`,
      escaped: '$${not.a.reference} and ${path.module} and {braces}',
      joined: Fn.join('-', [first.hex, Token.asString(lazy('z'))]),
      number: count,
      numbers: Token.asNumberList(lazy([1, 2])),
      list: Token.asList(lazy(['p', 'q'])),
      map: Token.asStringMap(lazy({ k: 'v' })),
      inList: [Token.asString(lazy({ an: 'object' })), 'x'],
      scientific: '1e5 and 2.5E-3 -7e+2',
      when: new Date(0),
      [Token.asString(lazy('computed-key'))]: 'value',
    };
    const { fast, cdktf } = both(() => resolveIn(a, values));
    expect(fast).toEqual(cdktf);
    expect((fast as any).value.reference).toBe('${random_id.first.hex}');
    expect((fast as any).value['computed-key']).toBe('value');
  });

  it('on what cannot be resolved', () => {
    const { a } = stackPair();
    let deep: any = 'bottom';
    for (let i = 0; i < 205; i++) deep = { level: deep };
    const cases: unknown[] = [
      { fn: () => 1 },
      { construct: a },
      deep,
      { inText: `x ${Token.asList({ creationStack: [], resolve: () => ['a'], toString: () => '' })}` },
      { key: { [Token.asString({ creationStack: [], resolve: () => 7, toString: () => '' })]: 'v' } },
    ];
    for (const value of cases) {
      const { fast, cdktf } = both(() => resolveIn(a, value));
      expect(cdktf).toHaveProperty('error');
      expect(fast).toEqual(cdktf);
    }
  });
});
