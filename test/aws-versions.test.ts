/** The EKS support table and the warnings the synth summary prints from it. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsWarnings } from '../constructs/targets/aws/checks';
import { eksVersionWarnings, supportedNow } from '../constructs/targets/aws/kubernetes-versions';
import { run } from '../stacks/cli';
import { prepare } from '../stacks/pipeline';
import { env, source, variant } from './helpers';

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe('EKS versions', () => {
  it('in standard support in November 2026: 1.34, 1.35 and 1.36 (1.33 left in July)', () => {
    expect(supportedNow(day('2026-11-23'))).toEqual(['1.34', '1.35', '1.36']);
  });

  it('production runs a version with no warning today (its edge warns about its placeholders only)', () => {
    expect(awsWarnings(env('production'), day('2026-11-23')).map((w) => w.path)).toEqual(['target.edge.issuer.kind', 'target.mail.relay']);
  });

  it('warns within 60 days of the end of standard support', () => {
    expect(eksVersionWarnings('1.34', day('2026-11-23'))).toEqual([
      'EKS 1.34 leaves standard support on 2026-12-02 (in 9 days); plan the upgrade.',
      expect.stringContaining('cluster-autoscaler 1.35.0 (chart 9.59.0) is built for Kubernetes 1.35; the cluster runs 1.34'),
    ]);
    expect(eksVersionWarnings('1.35', day('2027-01-26'))[0]).toBe(
      'EKS 1.35 leaves standard support on 2027-03-27 (in 60 days); plan the upgrade.',
    );
    expect(eksVersionWarnings('1.35', day('2027-01-25'))).toEqual([]);
  });

  it('warns past the end of standard support (extended support is billed) and past extended support', () => {
    expect(eksVersionWarnings('1.33', day('2026-11-23'))[0]).toBe(
      'EKS 1.33 left standard support on 2026-07-29 and bills extended support until 2027-07-29; upgrade to 1.34 or 1.35 or 1.36.',
    );
    expect(eksVersionWarnings('1.33', day('2027-08-01'))[0]).toMatch(/left extended support on 2027-07-29/);
  });

  it('other targets have no AWS warnings', () => {
    expect(awsWarnings(env('development'), day('2026-11-23'))).toEqual([]);
  });

  it('the synth summary prints the warnings of each stack', () => {
    const err: string[] = [];
    const old = variant('production', (i) => {
      i.target.eks.version = '1.33';
      i.target.eks.addonVersions = {
        'vpc-cni': 'v1.21.1-eksbuild.3',
        coredns: 'v1.12.1-eksbuild.2',
        'kube-proxy': 'v1.33.3-eksbuild.10',
        'aws-ebs-csi-driver': 'v1.57.1-eksbuild.1',
        'eks-pod-identity-agent': 'v1.3.10-eksbuild.3',
      };
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-warn-'));
    const outdir = path.join(dir, 'cdktf.out');
    expect(run([source('development'), old], outdir, { out: () => {}, err: (l) => err.push(l) })).toBe(0);
    // Past its standard support whatever today is: the summary says so.
    expect(err.some((l) => l.startsWith('warning: test/fixtures/production.ts: target.eks.version: EKS 1.33 left '))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('what deploys but should be acted on (AWS)', () => {
  // The edge's own warnings (the placeholder domain, SES's sandbox) have their test below.
  const warnings = (edit: (i: any) => void) =>
    awsWarnings(prepare(variant('production', edit)), day('2026-11-23'))
      .filter((w) => !/^target\.(edge|mail)\./.test(w.path))
      .map((w) => `${w.path}: ${w.message}`);

  it("the edge: ACME for a placeholder domain, SES's sandbox, or EC2's throttled port 25 when delivering directly", () => {
    const edge = (edit: (i: any) => void) =>
      awsWarnings(prepare(variant('production', edit)), day('2026-11-23'))
        .filter((w) => /^target\.(edge|mail)\./.test(w.path))
        .map((w) => `${w.path}: ${w.message}`);
    expect(edge(() => {})).toEqual([
      expect.stringMatching(
        /^target\.edge\.issuer\.kind: ACME cannot issue certificates for mail\.agent-platform\.example\.com \(a reserved domain/,
      ),
      expect.stringMatching(
        /^target\.mail\.relay: Amazon SES starts in its sandbox: it sends to verified addresses only, 200 messages a day/,
      ),
    ]);
    expect(edge((i) => (i.target.mail = { relay: 'direct' }))[1]).toMatch(
      /^target\.mail\.relay: EC2 throttles outgoing port 25 by default/,
    );
    // A domain the team owns, and a private CA: nothing to act on but the relay.
    expect(edge((i) => (i.target.edge.issuer = { kind: 'self-signed' }))).toHaveLength(1);
  });

  it('with supportType STANDARD, that AWS upgrades the control plane itself once standard support ends', () => {
    expect(eksVersionWarnings('1.35', day('2027-01-26'), 'STANDARD')[0]).toBe(
      'EKS 1.35 leaves standard support on 2027-03-27 (in 60 days); plan the upgrade. After that day AWS upgrades the control plane itself (supportType STANDARD).',
    );
    expect(eksVersionWarnings('1.33', day('2026-11-23'), 'STANDARD')[0]).toMatch(
      /^EKS 1\.33 left standard support on 2026-07-29; with supportType STANDARD AWS upgrades the control plane itself, ahead of this config/,
    );
  });

  it('OpenSearch instead of Elasticsearch: the clients must change', () => {
    expect(warnings((i) => (i.target.managed.elasticsearch = { mode: 'managed' }))).toEqual([
      expect.stringMatching(
        /^target\.managed\.elasticsearch\.mode: Elasticsearch runs as Amazon OpenSearch Service here, .* Elasticsearch clients from 7\.14 on refuse OpenSearch/,
      ),
    ]);
  });

  it('a limit above what the node has for pods, an RDS major other than the image’s, bucket names without suffix', () => {
    expect(
      warnings((i) => {
        delete i.services.ollama.resources; // the large profile's 8 cpu / 48Gi limit
        i.target.managed.postgres.engineVersion = '17';
        i.target.managed.objectstore = { mode: 'managed', bucketSuffix: 'none' };
      }),
    ).toEqual([
      'services.ollama.resources.limits: one ollama pod is limited to 8.5 cpu, 48.3Gi memory (all its containers); g5.2xlarge nodes (target.eks.gpuNodePool) have 7.91 cpu, 28.6Gi memory and 1 GPU for pods, so the limit is never reached (throttled, or out of memory first). Lower the limits to fit',
      expect.stringMatching(
        /^target\.managed\.postgres\.engineVersion: RDS runs PostgreSQL 17 while the catalogue's image \(services\.postgres, .*\) is 18/,
      ),
      expect.stringMatching(/^target\.managed\.objectstore\.bucketSuffix: bucket names carry no suffix/),
    ]);
  });
});
