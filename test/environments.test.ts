/**
 * The user's environments (every file in environments/): only checks that hold for any valid
 * environment, and one reviewed snapshot per environment that `npx vitest run -u` regenerates
 * (test/__snapshots__/environments/<name>.tf.json). Editing an environment, then `npm run docs`
 * and `npx vitest run -u`, leaves this suite green; what the product does is asserted on fixtures.
 * (The provider read-back rules and the network-policy evaluator run over these environments too:
 * test/docker-provider.test.ts, test/kubernetes-provider.test.ts, test/kubernetes-network.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { environmentFiles } from '../environments/parse/discover';
import { shipped, synth } from './helpers';

const environments = await shipped();

/** Resource types that hold data or identity: a new address destroys the old one (and its data). */
const STATEFUL = [
  'docker_volume',
  'docker_container',
  'random_password',
  'random_bytes',
  'kubernetes_stateful_set_v1',
  'kubernetes_secret_v1',
  'helm_release',
  'aws_db_instance',
  'aws_elasticache_replication_group',
  'aws_mq_broker',
  'aws_opensearch_domain',
  'aws_s3_bucket',
  'aws_kms_key',
  'aws_eks_cluster',
  'aws_secretsmanager_secret',
];

describe('the environments in environments/', () => {
  it('are every file there, each loaded, composed and checked', () => {
    expect(environments.map((e) => e.file)).toEqual(environmentFiles().map((f) => f.replace(/\.[cm]?js$/, '.ts')));
    expect(environments.length).toBeGreaterThan(0);
  });

  describe.each(environments.map((e) => [e.name, e] as const))('%s', (name, e) => {
    const { tf, text } = synth(e);

    it('matches its reviewed snapshot (npx vitest run -u to update, then review the diff)', async () => {
      await expect(text).toMatchFileSnapshot(`./__snapshots__/environments/${name}.tf.json`);
    });

    it('gives every stateful resource a pinned address (never one cdktf derives from the construct path)', () => {
      const unpinned = STATEFUL.flatMap((type) =>
        Object.keys(tf.resource[type] ?? {})
          .filter((n) => /_[0-9A-F]{8}$/.test(n))
          .map((n) => `${type}.${n}`),
      );
      expect(unpinned).toEqual([]);
    });

    it('keeps every generated secret under the name of the service that declares it', () => {
      const declared = new Set(e.specs.flatMap((s) => s.secrets.map((x) => `${s.name}_${x.name}`)));
      const generated = ['random_password', 'random_bytes'].flatMap((t) => Object.keys(tf.resource[t] ?? {}));
      const services = new Set(e.specs.map((s) => s.name));
      for (const id of generated) {
        const service = [...services].find((s) => id.startsWith(`${s}_`));
        if (service) expect(declared.has(id), id).toBe(true);
      }
    });
  });
});
