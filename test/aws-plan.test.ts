/**
 * The reviewed plan of production, without Terraform: the committed plan summary lists exactly the
 * AWS-provider resources of the synthesized stack (all created), and the longest dependency chain
 * computed from the synthesized references equals the committed one. `npm run verify` checks the
 * same two files against the real `terraform plan` and `terraform graph`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { offlineCopy } from '../scripts/verify/aws-offline';
import { formatChain, graphFromDot, graphFromJson, isAwsAddress, longestChain } from '../scripts/verify/chain';
import { env, synth } from './helpers';

const { tf } = synth(env('production'));
const snapshot = (f: string) => fs.readFileSync(path.join(import.meta.dirname, '__snapshots__', f), 'utf8');
const awsResources = Object.entries(tf.resource)
  .filter(([type]) => type.startsWith('aws_'))
  .flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`))
  .sort();

describe('the reviewed plan of production', () => {
  it('lists exactly the AWS-provider resources of the synthesized stack, each to be created', () => {
    const lines = snapshot('production.plan.txt').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(awsResources);
    expect(new Set(lines.map((l) => l.split(' ')[1]))).toEqual(new Set(['create']));
  });

  it('its longest dependency chain is the committed one', () => {
    const chain = longestChain(graphFromJson(tf, isAwsAddress));
    expect(formatChain(chain)).toBe(snapshot('production.chain.txt'));
    // The data services are created side by side with the cluster: none of them is on the chain.
    expect(chain.some((a) => /aws_(db_instance|elasticache|mq_broker|opensearch|s3_bucket)/.test(a))).toBe(false);
  });

  it('no managed service waits for the cluster or its node groups', () => {
    const graph = graphFromJson(tf, isAwsAddress);
    const reaches = (from: string, to: RegExp, seen = new Set<string>()): boolean =>
      [...(graph.get(from) ?? [])].some((d) => to.test(d) || (!seen.has(d) && (seen.add(d), reaches(d, to, seen))));
    for (const svc of [
      'aws_db_instance.postgres',
      'aws_elasticache_replication_group.redis',
      'aws_mq_broker.rabbitmq',
      'aws_opensearch_domain.opensearch',
    ]) {
      expect(reaches(svc, /^aws_eks_/), svc).toBe(false);
    }
  });
});

describe('the offline copy verify plans', () => {
  const offline = offlineCopy(tf);

  it('keeps every AWS resource and leaves out (and counts) the other providers’ ones', () => {
    expect(Object.keys(offline.json.resource).every((t) => t.startsWith('aws_'))).toBe(true);
    const others = Object.entries(tf.resource).filter(([t]) => !t.startsWith('aws_'));
    expect(Object.values(offline.leftOut).reduce((a, b) => a + b, 0)).toBe(others.reduce((n, [, r]) => n + Object.keys(r).length, 0));
    expect(Object.keys(offline.json.provider)).toEqual(['aws']);
    expect(Object.keys(offline.json.terraform.required_providers)).toEqual(['aws']);
    expect(offline.json.terraform.backend).toBeUndefined();
  });

  it('replaces references to left-out resources with stand-ins and fake credentials go into the copy only', () => {
    const text = JSON.stringify(offline.json);
    expect(text).not.toMatch(/random_password\.|kubernetes_|helm_release\./);
    expect(offline.standIns).toBeGreaterThan(0);
    expect(offline.json.provider.aws[0]).toMatchObject({ skip_credentials_validation: true, skip_requesting_account_id: true });
    expect(JSON.stringify(tf)).not.toContain('skip_credentials_validation');
  });

  it('reads terraform graph output the same way as the JSON', () => {
    const dot = [
      'digraph G {',
      '  "aws_vpc.vpc" [label="aws_vpc.vpc"];',
      '  "aws_subnet.a" [label="aws_subnet.a"];',
      '  "aws_route_table_association.a" [label="aws_route_table_association.a"];',
      '  "aws_subnet.a" -> "aws_vpc.vpc";',
      '  "aws_route_table_association.a" -> "aws_subnet.a";',
      '  "aws_route_table_association.a" -> "aws_vpc.vpc";',
      '}',
    ].join('\n');
    expect(longestChain(graphFromDot(dot, isAwsAddress))).toEqual(['aws_vpc.vpc', 'aws_subnet.a', 'aws_route_table_association.a']);
  });
});
