/**
 * The stacks' base (constructs/providers/cdktf.ts): stacks are planned on their own, so synthesis
 * skips cdktf's cross-stack preparation and instead refuses a reference to what a stack does not
 * declare; `movedFrom` writes the same `moved` block as cdktf's `moveFromId`; `synthOnce` prints
 * what `Testing.synth` prints, from one resolution.
 */
import { describe, expect, it } from 'vitest';
import { IsolatedStack, TerraformStack, Testing, movedFrom, synthOnce } from '../constructs/providers/cdktf';
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
    a.addOverride('locals', { empty: [], nested: { '//': 'dropped', z: 1, a: [undefined, 'x'], gone: undefined } });
    expect(synthOnce(a).text).toBe(Testing.synth(a));
  });
});
