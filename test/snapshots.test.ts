/**
 * One snapshot per environment stack: the whole synthesized Terraform, metadata-free and
 * key-sorted, reviewed in pull requests. Update with `npx vitest run -u` and review the diff.
 */
import { describe, expect, it } from 'vitest';
import { env, synth } from './helpers';

describe.each(['development', 'staging', 'production'] as const)('%s', (name) => {
  it('matches the reviewed snapshot', async () => {
    await expect(synth(env(name)).text).toMatchFileSnapshot(`./__snapshots__/${name}.tf.json`);
  });
});
