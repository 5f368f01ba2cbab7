/**
 * The app's faster resolve (constructs/providers/resolve.ts) against cdktf's own, on every
 * environment verify synthesizes (the drills' scenarios and the user's): each stack's whole
 * configuration resolved by both must be equal. test/stacks.test.ts holds the edge cases (escapes,
 * number, list and map tokens, the errors); this is the whole of what the product writes, once per
 * run instead of in every `npm test`. The broken variant is the comparison itself given a
 * configuration with one value dropped, which it must notice.
 *
 * And the text the app writes (`synthOnce`'s, from the same resolution) against what cdktf's
 * `Testing.synth` prints for the stack, byte for byte (the user's snapshots were written by
 * Testing.synth and are read back through synthOnce), with the stack's comments kept beside it and
 * none in the text. The broken variant: the text with one character changed.
 */
import { isDeepStrictEqual } from 'node:util';
import { Testing, synthOnce, withCdktfResolve, withoutTraces } from '../../constructs/providers/cdktf';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { type Artifact, type Outcome, validator } from './lib';

function compare(fast: any, cdktf: any): Outcome {
  if (isDeepStrictEqual(fast, cdktf)) return { code: 0, out: '' };
  const differing = Object.keys({ ...fast.resource, ...cdktf.resource }).filter(
    (type) => !isDeepStrictEqual(fast.resource?.[type], cdktf.resource?.[type]),
  );
  return { code: 1, out: `the two resolutions differ${differing.length ? ` in ${differing.join(', ')}` : ' outside the resources'}` };
}

/** A copy of `tf` with one value of its first resource dropped. */
function dropOne(tf: any): any {
  const copy = structuredClone(tf);
  const [type] = Object.keys(copy.resource ?? {});
  const [name] = Object.keys(copy.resource?.[type!] ?? {});
  const resource = copy.resource[type!][name!];
  delete resource[Object.keys(resource)[0]!];
  return copy;
}

/** The app's text against Testing.synth's, and the comments kept out of the text but in the configuration. */
function compareText(text: string, printed: string, full: any): Outcome {
  if (!full['//']) return { code: 1, out: 'the configuration lost the stack comments' };
  if (text.includes('"//"')) return { code: 1, out: 'the text carries the stack comments' };
  if (text === printed) return { code: 0, out: '' };
  let at = 0;
  while (text[at] === printed[at]) at++;
  return {
    code: 1,
    out: `the texts differ from character ${at}: ${JSON.stringify(text.slice(at, at + 40))} against ${JSON.stringify(printed.slice(at, at + 40))}`,
  };
}

/** `text` with its first digit changed. */
function oneCharacterChanged(text: string): string {
  const at = text.search(/[0-9]/);
  return `${text.slice(0, at)}${text[at] === '1' ? '2' : '1'}${text.slice(at + 1)}`;
}

export async function verifyResolveEquivalence(artifact: Artifact): Promise<void> {
  for (const environment of artifact.envs.values()) {
    const { fast, cdktf, text, printed } = withoutTraces(() => {
      const stack = new EnvironmentStack(Testing.app({ stackTraces: false }), { environment });
      const { full, text } = synthOnce(stack);
      return { fast: full, cdktf: withCdktfResolve(() => stack.toTerraform()), text, printed: Testing.synth(stack) };
    });
    await validator(
      `${environment.name}: the faster resolve writes what cdktf's own resolve writes, for the whole stack`,
      () => compare(fast, cdktf),
      () => compare(fast, dropOne(cdktf)),
    );
    await validator(
      `${environment.name}: the text the app writes is what Testing.synth prints, byte for byte, without the comments`,
      () => compareText(text, printed, fast),
      () => compareText(oneCharacterChanged(text), printed, fast),
    );
  }
}
