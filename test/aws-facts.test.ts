/** The AWS target's fact tables (constructs/targets/aws): consistent with the rules they come from. */
import { describe, expect, it } from 'vitest';
import {
  allocatableCpuMillis,
  allocatableMemoryMiB,
  instanceType,
  knownInstanceTypes,
  kubeReservedCpuMillis,
} from '../constructs/targets/aws/instance-types';
import { cacheNodeTypes, mqRabbitVersions, rdsClassProblem, searchTypeProblem } from '../constructs/targets/aws/offerings';

describe('EC2 instance types', () => {
  it('the allocatable cpu and memory of every x86_64 row follow nodeadm’s kube-reserved rule', () => {
    const x86 = knownInstanceTypes().filter((t) => instanceType(t)!.arch === 'x86_64');
    expect(x86.length).toBeGreaterThan(100);
    for (const t of x86) {
      const i = instanceType(t)!;
      expect([allocatableCpuMillis(i.vcpus), allocatableMemoryMiB(i.memoryMiB, i.eniMaxPods)], t).toEqual([
        i.allocatable.cpuMillis,
        i.allocatable.memoryMiB,
      ]);
    }
  });

  it('kube-reserved cpu: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the rest', () => {
    expect(kubeReservedCpuMillis(1)).toBe(60);
    expect(kubeReservedCpuMillis(2)).toBe(70);
    expect(kubeReservedCpuMillis(4)).toBe(80);
    expect(kubeReservedCpuMillis(8)).toBe(90);
  });

  it('what production’s pools run: m6i.2xlarge and g5.2xlarge (one A10G)', () => {
    expect(instanceType('m6i.2xlarge')).toMatchObject({ vcpus: 8, memoryMiB: 32768, gpus: 0, arch: 'x86_64' });
    expect(instanceType('g5.2xlarge')).toMatchObject({
      vcpus: 8,
      gpus: 1,
      eniMaxPods: 58,
      allocatable: { cpuMillis: 7910, memoryMiB: 29317 },
    });
    expect(instanceType('m7g.large')?.arch).toBe('arm64');
    expect(instanceType('x9.nonexistent')).toBeUndefined();
  });
});

describe('managed-service offerings', () => {
  it('RDS for PostgreSQL 18 runs on current generations, not on db.m1 or the classes that stopped at 12', () => {
    expect(rdsClassProblem('db.r6g.xlarge', 18)).toBeUndefined();
    expect(rdsClassProblem('db.m8g.large', 18)).toBeUndefined();
    expect(rdsClassProblem('db.m1.small', 18)).toMatch(/RDS offers no db\.m1 class for PostgreSQL 18/);
    expect(rdsClassProblem('db.t2.micro', 18)).toMatch(/runs PostgreSQL 9-12 on RDS, not 18/);
    expect(rdsClassProblem('db.t2.micro', 12)).toBeUndefined();
  });

  it('Amazon MQ runs RabbitMQ 4.x on mq.m7g only, 3.13 also on mq.m5 and mq.t3.micro', () => {
    expect(new Set(mqRabbitVersions['4.2']!.map((t) => t.split('.')[1]))).toEqual(new Set(['m7g']));
    expect(mqRabbitVersions['3.13']).toEqual(expect.arrayContaining(['mq.t3.micro', 'mq.m5.large', 'mq.m7g.large']));
  });

  it('ElastiCache: current generations only; OpenSearch: EBS-backed 2.x types only', () => {
    expect(cacheNodeTypes).toContain('cache.r7g.large');
    expect(cacheNodeTypes).not.toContain('cache.t2.micro');
    expect(searchTypeProblem('r6g.large.search')).toBeUndefined();
    expect(searchTypeProblem('i3.large.search')).toMatch(/instance storage/);
    expect(searchTypeProblem('m4.large.search')).toMatch(/not an OpenSearch Service instance type for OpenSearch 2\.x/);
  });
});
