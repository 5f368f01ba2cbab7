/**
 * The stacks' base (constructs/providers/cdktf.ts): stacks are planned on their own, so synthesis
 * skips cdktf's cross-stack preparation and instead refuses a reference to what a stack does not
 * declare; `movedFrom` writes the same `moved` block as cdktf's `moveFromId`; `synthOnce` prints
 * what `Testing.synth` prints, from one resolution.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, IsolatedStack, TerraformStack, Testing, movedFrom, synthOnce, writtenStack } from '../constructs/providers/cdktf';
import { env, synth } from './helpers';
import { Id, RandomProvider } from '../constructs/providers/random';

function stackPair() {
  const app = Testing.app({ stackTraces: false });
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
    const app = Testing.app({ stackTraces: false });
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
  // are read back through synthOnce; this compares one fixture directly, at the cost of one more synthesis.
  it('prints a stack byte for byte as Testing.synth, and keeps the comments beside it', () => {
    const { stack, text, full } = synth(env('development'));
    expect(text).toBe(Testing.synth(stack));
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
