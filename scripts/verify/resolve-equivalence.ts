/**
 * The app's faster resolve (constructs/providers/resolve.ts) against cdktf's own, on every
 * environment verify synthesizes (the drills' scenarios and the user's): each stack's whole
 * configuration resolved by both must be equal. test/stacks.test.ts holds the edge cases (escapes,
 * number, list and map tokens, the errors); this is the whole of what the product writes, once per
 * run instead of in every `npm test`. The broken variant is the comparison itself given a
 * configuration with one value dropped, which it must notice.
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

export async function verifyResolveEquivalence(artifact: Artifact): Promise<void> {
  for (const environment of artifact.envs.values()) {
    const { fast, cdktf } = withoutTraces(() => {
      const stack = new EnvironmentStack(Testing.app({ stackTraces: false }), { environment });
      const { full } = synthOnce(stack);
      return { fast: full, cdktf: withCdktfResolve(() => stack.toTerraform()) };
    });
    await validator(
      `${environment.name}: the faster resolve writes what cdktf's own resolve writes, for the whole stack`,
      () => compare(fast, cdktf),
      () => compare(fast, dropOne(cdktf)),
    );
  }
}
