/**
 * Migrations flagged at synth: a change that replaces a stateful resource (a StatefulSet's pod
 * management policy or claim templates, a protected release or volume removed) is named by
 * `npm run synth`, with its runbook, by comparing with the previous synthesis in the output directory.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../stacks/cli';
import { describeMigration, migrations } from '../stacks/migrations';
import { prepare } from '../stacks/pipeline';
import { env, source, synth, variant, scratch } from './helpers';

const before = synth(env('staging')).tf;
const after = (edit: (i: any) => void) => synth(prepare(variant('staging', edit))).tf;

describe('migrations, from the previous synthesis', () => {
  it('nothing changed: nothing to say', () => {
    expect(migrations(before, before)).toEqual([]);
  });

  it('one member to three flips a StatefulSet’s pod management policy: flagged with the scaling runbook', () => {
    const found = migrations(
      before,
      after((i) => (i.services.nats = { replicas: 3 })),
    );
    expect(found).toContainEqual({
      address: 'kubernetes_stateful_set_v1.nats',
      change: 'spec.pod_management_policy "OrderedReady" -> "Parallel": Terraform replaces it',
      runbook: 'scaling-a-cluster-up-or-down',
    });
    expect(describeMigration(found.find((m) => m.address === 'kubernetes_stateful_set_v1.nats')!)).toContain(
      'runbook: docs/operations.md#scaling-a-cluster-up-or-down',
    );
  });

  it('a bigger volume changes the claim templates (the provider replaces the StatefulSet)', () => {
    const found = migrations(
      before,
      after((i) => (i.services.qdrant = { persistence: { size: '40Gi' } })),
    );
    expect(found.map((m) => [m.address, m.runbook])).toEqual([['kubernetes_stateful_set_v1.qdrant', 'growing-or-changing-a-volume']]);
  });

  it('a protected stateful resource that leaves the stack is flagged as a destroy', () => {
    const found = migrations(
      before,
      after((i) => delete i.services.neo4j),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        address: 'kubernetes_stateful_set_v1.neo4j',
        change: expect.stringMatching(/destroy it \(prevent_destroy stops the plan\)/),
      }),
    );
  });

  it('changes that update in place (resources, a label) are not migrations', () => {
    expect(
      migrations(
        before,
        after((i) => (i.labels = { team: 'ai' })),
      ),
    ).toEqual([]);
    expect(
      migrations(
        before,
        after(
          (i) => (i.services.qdrant = { resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } } }),
        ),
      ),
    ).toEqual([]);
  });

  it('npm run synth says so, on the second synthesis into the same directory', () => {
    const out = path.join(scratch('migrate-'), 'cdktf.out');
    const quiet = { out: () => {}, err: () => {} };
    expect(run([source('staging')], out, quiet)).toBe(0);
    const err: string[] = [];
    expect(run([variant('staging', (i) => (i.services.nats = { replicas: 3 }))], out, { out: () => {}, err: (l) => err.push(l) })).toBe(0);
    expect(err).toContainEqual(
      expect.stringMatching(
        /^warning: test\/fixtures\/staging\.ts: migration: kubernetes_stateful_set_v1\.nats spec\.pod_management_policy .* runbook: docs\/operations\.md#scaling-a-cluster-up-or-down$/,
      ),
    );
  });
});
