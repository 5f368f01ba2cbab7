/**
 * The synth summary's figures (stacks/summary.ts), each proved against the synthesized fixture it
 * describes: counted again here from the Terraform JSON by other means (an independent walk of
 * every `resources` block, the resource maps themselves), never from the environment file.
 */
import { describe, expect, it } from 'vitest';
import { env, synth, variant } from './helpers';
import { prepare } from '../stacks/pipeline';
import { footprintOf, resourcesByType, summarizeStack } from '../stacks/summary';
import { formatStack } from '../stacks/cli';
import { cpuMillicores, memoryMebibytes } from '../constructs/spec/quantity';
import { HOURS_PER_MONTH, PRICES, estimate } from '../constructs/targets/aws/prices';
import { placeServices } from '../constructs/targets/aws/placement';
import type { Environment } from '../environments/parse/load';

const summaryOf = (e: Environment) => {
  const s = synth(e);
  return { summary: summarizeStack(e, s.tf, s.stack, `cdktf.out/stacks/${e.name}/cdk.tf.json`), tf: s.tf as any };
};

/**
 * Every `resources` block of a cluster stack, helm values included, times the replica count of its
 * nearest enclosing object that has one (`replicas`, `count`, `instances`, `replicaCount`), or its
 * autoscaler's minimum; init containers and Jobs left out. The independent count the summary's totals must match.
 */
function walkLimits(tf: any): { cpuMillis: number; memoryMiB: number } {
  const total = { cpuMillis: 0, memoryMiB: 0 };
  const walk = (v: any, times: number): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, times));
    if (!v || typeof v !== 'object') return;
    const n = v.replicas ?? v.count ?? v.instances ?? v.replicaCount;
    const t = typeof n === 'number' || (typeof n === 'string' && /^\d+$/.test(n)) ? times * Number(n) : times;
    for (const [k, x] of Object.entries<any>(v)) {
      if (k === 'init_container' || k === 'initContainers') continue;
      if (k === 'resources' && x && typeof x === 'object' && x.limits) {
        if (x.limits.cpu) total.cpuMillis += t * cpuMillicores(String(x.limits.cpu));
        if (x.limits.memory) total.memoryMiB += t * memoryMebibytes(String(x.limits.memory));
        continue;
      }
      walk(x, t);
    }
  };
  // A Deployment an autoscaler sizes sets no replicas: it runs the autoscaler's minimum.
  const minimum = new Map<string, number>(
    Object.values<any>(tf.resource.kubernetes_horizontal_pod_autoscaler_v2 ?? {}).map((h) => [
      `${h.metadata.namespace}/${h.spec.scale_target_ref.name}`,
      Number(h.spec.min_replicas),
    ]),
  );
  for (const type of ['kubernetes_stateful_set_v1', 'kubernetes_deployment_v1'])
    for (const w of Object.values<any>(tf.resource[type] ?? {}))
      walk(w, w.spec.replicas === undefined ? (minimum.get(`${w.metadata.namespace}/${w.metadata.name}`) ?? 1) : 1);
  for (const h of Object.values<any>(tf.resource.helm_release ?? {})) for (const v of h.values ?? []) walk(JSON.parse(v), 1);
  return total;
}

/**
 * Resources blocks that size more than one container (chart templates at the pinned versions), so the
 * walk above counts them once too few: the Prometheus operator's config reloader runs in every
 * Prometheus and Alertmanager pod; Grafana's dashboards and datasources sidecars share
 * `sidecar.resources`.
 */
function sharedBlocks(tf: any): { cpuMillis: number; memoryMiB: number } {
  const total = { cpuMillis: 0, memoryMiB: 0 };
  const add = (r: any, extra: number) => {
    if (!r?.limits || extra <= 0) return;
    if (r.limits.cpu) total.cpuMillis += extra * cpuMillicores(String(r.limits.cpu));
    if (r.limits.memory) total.memoryMiB += extra * memoryMebibytes(String(r.limits.memory));
  };
  for (const h of Object.values<any>(tf.resource.helm_release ?? {})) {
    if (h.chart !== 'kube-prometheus-stack') continue;
    const v = JSON.parse(h.values[0]);
    const pods =
      Number(v.prometheus.prometheusSpec.replicas) + (v.alertmanager.enabled ? Number(v.alertmanager.alertmanagerSpec.replicas) : 0);
    add(v.prometheusOperator.prometheusConfigReloader.resources, pods - 1);
    if (v.grafana.enabled)
      add(
        v.grafana.sidecar.resources,
        [v.grafana.sidecar.dashboards.enabled, v.grafana.sidecar.datasources.enabled].filter(Boolean).length - 1,
      );
  }
  return total;
}

describe('development (Docker)', () => {
  const { summary, tf } = summaryOf(env('development'));
  const containers = Object.values<any>(tf.resource.docker_container);
  const running = containers.filter((c) => c.must_run !== false);

  it("resources by type are the JSON's, and add up", () => {
    expect(Object.fromEntries(summary.resources.byType)).toEqual(
      Object.fromEntries(Object.entries<any>(tf.resource).map(([t, byName]) => [t, Object.keys(byName).length])),
    );
    expect(summary.resources.total).toBe(Object.values<any>(tf.resource).reduce((n, x) => n + Object.keys(x).length, 0));
  });

  it('runs every container that keeps running, on the host; the jobs apart', () => {
    expect(summary.reading.where).toBe('the Docker host');
    expect(summary.reading.pods).toHaveLength(running.length);
    expect(summary.reading.jobs).toBe(containers.length - running.length);
    expect(summary.reading.jobs).toBeGreaterThan(0);
    expect(summary.reading.unsizedVolumes).toBe(Object.keys(tf.resource.docker_volume).length);
  });

  it("limits: the sum of the running containers' memory and CFS quotas; no requests (Docker reserves nothing)", () => {
    expect(summary.footprint.limits.memoryMiB).toBe(running.reduce((n, c) => n + Number(c.memory), 0));
    expect(summary.footprint.limits.cpuMillis).toBe(running.reduce((n, c) => n + Math.round((1000 * c.cpu_quota) / c.cpu_period), 0));
    expect(summary.footprint.requests).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    expect(formatStack(summary).join('\n')).toMatch(/requests\s+none: Docker reserves nothing/);
  });

  it('has no cost and no waivers', () => {
    expect(summary.cost).toBeUndefined();
    expect(summary.waivers).toEqual([]);
  });
});

describe.each(['staging', 'production'] as const)('%s (in a cluster)', (name) => {
  const { summary, tf } = summaryOf(env(name));
  const f = summary.footprint;

  it('limits equal an independent walk of every resources block in the stack, less per-node pods, plus chart defaults', () => {
    const walked = walkLimits(tf);
    const shared = sharedBlocks(tf);
    const perNode = f.perNode.flatMap((p) => p.containers);
    const fromDefaults = summary.reading.pods.filter((p) => p.source?.startsWith('resources:'));
    const sum = (cs: readonly { limits?: { cpu?: string; memory?: string } }[], times = 1) =>
      cs.reduce(
        (t, c) => ({
          cpuMillis: t.cpuMillis + times * (c.limits?.cpu ? cpuMillicores(c.limits.cpu) : 0),
          memoryMiB: t.memoryMiB + times * (c.limits?.memory ? memoryMebibytes(c.limits.memory) : 0),
        }),
        { cpuMillis: 0, memoryMiB: 0 },
      );
    const defaults = fromDefaults.reduce(
      (t, p) => {
        const x = sum(p.containers, p.replicas as number);
        return { cpuMillis: t.cpuMillis + x.cpuMillis, memoryMiB: t.memoryMiB + x.memoryMiB };
      },
      { cpuMillis: 0, memoryMiB: 0 },
    );
    expect(f.limits.cpuMillis).toBe(walked.cpuMillis + shared.cpuMillis - sum(perNode).cpuMillis + defaults.cpuMillis);
    expect(f.limits.memoryMiB).toBe(walked.memoryMiB + shared.memoryMiB - sum(perNode).memoryMiB + defaults.memoryMiB);
  });

  it("init containers never raise a pod's amounts here (so the walk above may leave them out)", () => {
    for (const w of Object.values<any>(tf.resource.kubernetes_stateful_set_v1 ?? {})) {
      const pod = w.spec.template.spec;
      for (const init of pod.init_container ?? [])
        expect(memoryMebibytes(init.resources.limits.memory)).toBeLessThanOrEqual(
          pod.container.reduce((n: number, c: any) => n + memoryMebibytes(c.resources.limits.memory), 0),
        );
    }
  });

  it("storage: every volume claim template times its replicas, and the Helm releases' volumes", () => {
    const claims = Object.values<any>(tf.resource.kubernetes_stateful_set_v1 ?? {}).reduce(
      (n, w) =>
        n +
        Number(w.spec.replicas) *
          (w.spec.volume_claim_template ?? []).reduce((m: number, t: any) => m + memoryMebibytes(t.spec.resources.requests.storage), 0),
      0,
    );
    const fromReleases = Object.values<any>(tf.resource.helm_release).reduce((n, h) => {
      const v = JSON.parse(h.values[0]);
      const es = (v.elasticsearch?.enabled ? v.elasticsearch.nodeSets : []).reduce(
        (m: number, s: any) =>
          m + s.count * s.volumeClaimTemplates.reduce((k: number, t: any) => k + memoryMebibytes(t.spec.resources.requests.storage), 0),
        0,
      );
      const pg = v.cluster ? v.cluster.instances * memoryMebibytes(v.cluster.storage.size) : 0;
      // The monitoring charts: Loki's volume, Prometheus' and Alertmanager's claim templates, Grafana's volume.
      const claim = (s: any) => (s ? memoryMebibytes(s.volumeClaimTemplate.spec.resources.requests.storage) : 0);
      const loki = v.singleBinary?.persistence?.enabled ? v.singleBinary.replicas * memoryMebibytes(v.singleBinary.persistence.size) : 0;
      const kps = v.prometheus?.prometheusSpec
        ? v.prometheus.prometheusSpec.replicas * claim(v.prometheus.prometheusSpec.storageSpec) +
          (v.alertmanager.enabled ? v.alertmanager.alertmanagerSpec.replicas * claim(v.alertmanager.alertmanagerSpec.storage) : 0) +
          (v.grafana.enabled && v.grafana.persistence.enabled ? memoryMebibytes(v.grafana.persistence.size) : 0)
        : 0;
      return n + es + pg + loki + kps;
    }, 0);
    expect(Math.round(f.storageGiB * 1024)).toBe(claims + fromReleases);
  });

  it('every Helm release is read (nothing left uncounted), and what sets no amount is named', () => {
    expect(summary.reading.notCounted).toEqual([]);
    for (const p of summary.reading.pods) expect(p.containers.length + p.storage.length, p.name).toBeGreaterThan(0);
    const unset = new Set([...f.withoutLimits]);
    for (const p of summary.reading.pods)
      for (const c of p.containers)
        if (!c.limits) expect(unset.has(p.containers.length > 1 ? `${p.name}/${c.name}` : p.name), p.name).toBe(true);
  });

  it('Kibana is counted exactly when its release is in the stack', () => {
    const kibanaInStack = Object.values<any>(tf.resource.helm_release).some((h) => JSON.parse(h.values[0]).kibana?.enabled);
    expect(summary.reading.pods.some((p) => p.service === 'kibana' && p.name === 'kibana')).toBe(kibanaInStack);
  });
});

describe('production (AWS): what runs where, and what it costs', () => {
  const e = env('production');
  const { summary, tf } = summaryOf(e);
  const r = tf.resource;

  it("managed services: exactly the placement's, each described from its resource", () => {
    expect(summary.reading.managed.map((m) => m.service).sort()).toEqual(
      placeServices(e)
        .managed.map((m) => m.spec.component)
        .sort(),
    );
    const db = Object.values<any>(r.aws_db_instance)[0];
    const pg = summary.reading.managed.find((m) => m.service === 'postgres')!;
    expect(pg.what).toContain(db.instance_class);
    expect(pg.storageGiB).toBe(db.allocated_storage);
    const redis = summary.reading.managed.find((m) => m.service === 'redis')!;
    const group = Object.values<any>(r.aws_elasticache_replication_group)[0];
    expect(redis.billables[0]!.quantity).toBe(group.num_cache_clusters * HOURS_PER_MONTH);
  });

  it('nothing of a managed service is counted as running in the cluster', () => {
    const managed = new Set(placeServices(e).managed.map((m) => m.spec.name));
    expect(summary.reading.pods.filter((p) => p.service && managed.has(p.service))).toEqual([]);
  });

  it('node pools: the node groups summed per pool, with their instance types', () => {
    const groups = Object.entries<any>(r.aws_eks_node_group);
    for (const pool of summary.reading.nodePools) {
      const mine = groups.filter(([id]) => id.startsWith(`${pool.pool}_`)).map(([, g]) => g);
      expect(pool.groups).toBe(mine.length);
      expect(pool.desired).toBe(mine.reduce((n, g) => n + g.scaling_config.desired_size, 0));
      expect(pool.max).toBe(mine.reduce((n, g) => n + g.scaling_config.max_size, 0));
      expect(pool.instanceTypes).toEqual([...new Set(mine.flatMap((g) => g.instance_types))]);
    }
    expect(summary.reading.nodePools.reduce((n, p) => n + p.groups, 0)).toBe(groups.length);
  });

  it('cost: per-zone NAT, the EKS control plane and the node pools at desired size, priced from the table', () => {
    const c = summary.cost!;
    const line = (item: string) => c.lines.filter((l) => l.item === item);
    expect(line('ec2:nat-gateway')[0]!.quantity).toBe(Object.keys(r.aws_nat_gateway).length * HOURS_PER_MONTH);
    expect(Object.keys(r.aws_nat_gateway)).toHaveLength(3);
    expect(line('eks:cluster:standard')[0]!.monthlyUsd).toBeCloseTo(HOURS_PER_MONTH * PRICES['eks:cluster:standard']!.usd);
    for (const pool of summary.reading.nodePools) {
      const l = c.lines.find((x) => x.item === `ec2:${pool.instanceTypes[0]}`)!;
      expect(l.quantity).toBe(pool.desired * HOURS_PER_MONTH);
      expect(l.monthlyUsd).toBeCloseTo(pool.desired * HOURS_PER_MONTH * PRICES[l.item]!.usd);
    }
    expect(c.pricedMonthlyUsd).toBeCloseTo(c.lines.reduce((n, l) => n + (l.monthlyUsd ?? 0), 0));
  });

  it('what has no sourced price is listed as not priced and left out of the total, never counted as zero', () => {
    const c = summary.cost!;
    const unpriced = c.unpriced.map((l) => l.item);
    expect(unpriced).toContain('rds:db.r6g.xlarge:postgres:multi-az');
    expect(unpriced).toContain('elasticache:cache.r7g.large');
    expect(unpriced).toContain('mq:mq.m7g.large');
    for (const l of c.unpriced) expect(l.monthlyUsd).toBeUndefined();
    for (const l of c.lines) if (l.monthlyUsd !== undefined) expect(PRICES[l.item], l.item).toBeDefined();
    const text = formatStack(summary).join('\n');
    expect(text).toMatch(/not priced \(no sourced price; not in the total\):/);
    expect(text).toContain('RDS db.r6g.xlarge multi-az');
  });

  it('every price names its source and when it was read', () => {
    for (const [item, p] of Object.entries(PRICES)) {
      expect(p.source.length, item).toBeGreaterThan(30);
      expect(p.retrieved, item).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
      expect(p.usd, item).toBeGreaterThan(0);
    }
  });

  it('a region without prices is not estimated at all', () => {
    const c = estimate('us-east-1', summary.reading.billables);
    expect(c.pricedMonthlyUsd).toBe(0);
    expect(c.unpriced).toHaveLength(summary.reading.billables.length);
  });

  it('capacity: what the pools offer at desired size against what their pods request', () => {
    const gpu = summary.capacity.find((x) => x.pool === 'gpu')!;
    const ollama = summary.reading.pods.find((p) => p.service === 'ollama')!;
    expect(gpu.requested.cpuMillis).toBe(
      ollama.containers.reduce((n, c) => n + cpuMillicores(c.requests!.cpu!), 0) * (ollama.replicas as number),
    );
    expect(summary.capacity.map((x) => x.pool).sort()).toEqual(summary.reading.nodePools.map((p) => p.pool).sort());
  });

  it('with OpenSearch, Kibana leaves the cluster and the domain appears among the managed services', () => {
    const os = prepare(
      variant('production', (i) => (i.target.managed.elasticsearch = { mode: 'managed', instanceType: 'r6g.large.search' })),
    );
    const { summary: s } = summaryOf(os);
    expect(s.reading.pods.some((p) => p.service === 'kibana')).toBe(false);
    const domain = s.reading.managed.find((m) => m.service === 'elasticsearch')!;
    expect(domain.title).toBe('Amazon OpenSearch Service');
    expect(domain.billables.map((b) => b.item)).toContain('es:r6g.large.search');
  });
});

describe('the summary lines', () => {
  it('name the target, resources by type, what runs where, requests, limits, storage and waivers', () => {
    const text = formatStack(summaryOf(env('production')).summary).join('\n');
    for (const label of ['resources', 'runs', 'managed', 'nodes', 'requests', 'limits', 'storage', 'capacity', 'cost', 'waivers'])
      expect(text, label).toMatch(new RegExp(`^  ${label}\\s`, 'm'));
    expect(text).toMatch(/^production {2}\(aws\)/);
    expect(text).toMatch(/waivers\s+none$/m);
  });

  it('resourcesByType sorts by count, then name', () => {
    expect(resourcesByType({ resource: { b_x: { a: {}, b: {} }, a_y: { a: {} }, c_z: { a: {} } } }).byType).toEqual([
      ['b_x', 2],
      ['a_y', 1],
      ['c_z', 1],
    ]);
  });

  it("a pod's request is the larger of its init containers' largest and its containers' sum; limits stand in for missing requests on a cluster", () => {
    const f = footprintOf(
      {
        where: 'x',
        pods: [
          {
            name: 'p',
            replicas: 2,
            containers: [
              { name: 'a', requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
              { name: 'b', limits: { cpu: '1', memory: '1Gi' } },
            ],
            init: [{ name: 'i', requests: { cpu: '2', memory: '32Mi' }, limits: { cpu: '2', memory: '32Mi' } }],
            storage: ['10Gi'],
          },
        ],
        jobs: 0,
        unsizedVolumes: 0,
        managed: [],
        nodePools: [],
        billables: [],
        notCounted: [],
      },
      true,
    );
    expect(f.requests).toEqual({ cpuMillis: 4000, memoryMiB: 2 * (64 + 1024) });
    expect(f.limits).toEqual({ cpuMillis: 4000, memoryMiB: 2 * (128 + 1024) });
    expect(f.storageGiB).toBe(20);
    expect(f.withoutRequests).toEqual([]);
  });
});
