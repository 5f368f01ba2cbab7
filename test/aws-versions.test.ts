/** The EKS support table and the warnings the synth summary prints from it. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsWarnings, eksVersionWarnings, supportedNow } from '../constructs/targets/aws/kubernetes-versions';
import { run } from '../stacks/cli';
import { env, source, variant } from './helpers';

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe('EKS versions', () => {
  it('in standard support in November 2026: 1.34, 1.35 and 1.36 (1.33 left in July)', () => {
    expect(supportedNow(day('2026-11-23'))).toEqual(['1.34', '1.35', '1.36']);
  });

  it('production runs a version with no warning today', () => {
    expect(awsWarnings(env('production'), day('2026-11-23'))).toEqual([]);
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
