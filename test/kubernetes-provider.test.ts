/**
 * The forms the pinned kubernetes (2.38.0) and helm (3.1.1) providers apply and read back, over every
 * Kubernetes and Helm resource of every stack: what the API would default is written, quantities are
 * canonical where the provider compares text, and nothing needs the cluster at plan time. The rules
 * come from reading the providers' source (docs/operations.md, "Kubernetes provider").
 */
import { describe, expect, it } from 'vitest';
import { everyEnvironment, synth, type TerraformJson } from './helpers';

const stacks: [string, TerraformJson][] = (await everyEnvironment()).map(({ label, env }) => [label, synth(env).tf]);
const k8sStacks = stacks.filter(([, tf]) =>
  Object.keys(tf.resource ?? {}).some((t) => t.startsWith('kubernetes_') || t === 'helm_release'),
);
const resources = (type: string) =>
  k8sStacks.flatMap(([file, tf]) =>
    Object.entries<any>(tf.resource[type] ?? {}).map(([name, r]) => [`${file} ${type}.${name}`, r] as const),
  );
/** The namespace object a workload runs in, in its own stack. */
const namespaceOf = (where: string, r: any) => {
  const tf = k8sStacks.find(([file]) => where.startsWith(`${file} `))![1];
  return Object.values<any>(tf.resource.kubernetes_namespace_v1 ?? {}).find((n) => n.metadata.name === r.metadata.namespace);
};
const BASELINE = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

const CPU = /^([1-9][0-9]*|[1-9][0-9]*m)$/;
const MEMORY = /^[1-9][0-9]*(Ki|Mi|Gi|Ti)$/;
const canonicalCpu = (v: string) => CPU.test(v) && !(v.endsWith('m') && Number(v.slice(0, -1)) % 1000 === 0);
const canonicalMemory = (v: string) => {
  // Zero (a quota's storage where the namespace holds no claim) is written as Kubernetes writes it.
  if (v === '0') return true;
  const m = MEMORY.exec(v);
  return m !== null && (m[1] === 'Ti' || Number(v.slice(0, -2)) % 1024 !== 0);
};

/** Every object at any depth, with its path. */
function walk(node: unknown, at: string, visit: (value: any, path: string) => void): void {
  visit(node, at);
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}[${i}]`, visit));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`, visit);
}

const workloads = [...resources('kubernetes_stateful_set_v1'), ...resources('kubernetes_deployment_v1'), ...resources('kubernetes_job_v1')];
const containersOf = (r: any) => [...(r.spec.template.spec.container ?? []), ...(r.spec.template.spec.init_container ?? [])];

describe('kubernetes and helm resources in the forms the pinned providers read back', () => {
  it('covers the cluster stacks', () => {
    expect(k8sStacks.map(([f]) => f)).toEqual(
      expect.arrayContaining(['test/fixtures/staging.ts', 'test/fixtures/production.ts', 'scripts/verify/scenarios/clusters.ts']),
    );
    expect(workloads.length).toBeGreaterThan(10);
  });

  it('every stack names the Terraform releases it runs on; where the kubernetes provider 2.38.0 runs, none from 1.12 (its identity bug)', () => {
    const satisfies = (constraint: string, version: string) =>
      constraint.split(',').every((c) => {
        const [, op, v] = /^\s*(>=|<)\s*(\S+)\s*$/.exec(c)!;
        const cmp = version
          .split('.')
          .map(Number)
          .reduce((d, x, i) => d || x - Number(v!.split('.')[i]), 0);
        return op === '>=' ? cmp >= 0 : cmp < 0;
      });
    for (const [file, tf] of stacks) {
      const constraint = tf.terraform.required_version as string;
      expect(constraint, file).toMatch(/^>= 1\.11\.0/);
      expect(satisfies(constraint, '1.11.4'), file).toBe(true);
      const usesKubernetes = Object.keys(tf.resource ?? {}).some((t) => t.startsWith('kubernetes_') || t === 'helm_release');
      for (const v of ['1.12.0', '1.13.3', '1.14.0']) expect(satisfies(constraint, v), `${file} on ${v}`).toBe(!usesKubernetes);
    }
  });

  it('nothing needs the cluster at plan time: no kubernetes_manifest, no kubernetes data source, versioned resources only', () => {
    for (const [file, tf] of k8sStacks) {
      const types = Object.keys(tf.resource);
      expect(
        types.filter((t) => t === 'kubernetes_manifest'),
        file,
      ).toEqual([]);
      expect(
        Object.keys((tf as any).data ?? {}).filter((t) => t.startsWith('kubernetes_')),
        file,
      ).toEqual([]);
      for (const t of types.filter((x) => x.startsWith('kubernetes_'))) expect(t, file).toMatch(/_v[12]$/);
    }
  });

  it('writes cpu and memory in canonical form everywhere (LimitRange and HPA values are compared as text)', () => {
    for (const type of [
      'kubernetes_stateful_set_v1',
      'kubernetes_deployment_v1',
      'kubernetes_job_v1',
      'kubernetes_resource_quota_v1',
      'kubernetes_limit_range_v1',
    ]) {
      for (const [where, r] of resources(type)) {
        walk(r, where, (v, path) => {
          if (typeof v !== 'string') return;
          if (/\.(cpu|requests\.cpu|limits\.cpu)$/.test(path)) expect(canonicalCpu(v), `${path} = ${v}`).toBe(true);
          if (/\.(memory|requests\.memory|limits\.memory|storage|requests\.storage|size_limit)$/.test(path)) {
            expect(canonicalMemory(v), `${path} = ${v}`).toBe(true);
          }
        });
      }
    }
  });

  it.each(workloads)('%s: every container meets the restricted Pod Security Standard, or baseline in a baseline namespace', (where, r) => {
    const pod = r.spec.template.spec;
    const baseline = namespaceOf(where, r)?.metadata.labels['pod-security.kubernetes.io/enforce'] === 'baseline';
    const root = containersOf(r).some((c: any) => c.security_context.run_as_user === '0');
    // Root only where the namespace is baseline (docker-mailserver: its spec's privileges say why).
    if (root) expect(baseline, where).toBe(true);
    expect(pod.security_context).toMatchObject({ seccomp_profile: { type: 'RuntimeDefault' } });
    expect(pod.security_context.run_as_non_root).toBe(root ? undefined : true);
    if (!root) expect(Number(pod.security_context.run_as_user)).toBeGreaterThan(0);
    expect(pod.automount_service_account_token).toBe(false);
    for (const c of containersOf(r)) {
      if (c.security_context.run_as_user === '0' || c.security_context.allow_privilege_escalation) {
        // Baseline: never privileged, no host namespaces, capabilities within its list, RuntimeDefault.
        expect(c.security_context, c.name).toMatchObject({
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccomp_profile: { type: 'RuntimeDefault' },
        });
        for (const cap of c.security_context.capabilities.add ?? []) expect(BASELINE, `${c.name} ${cap}`).toContain(cap);
        expect(pod.host_network ?? false).toBe(false);
        continue;
      }
      expect(c.security_context, c.name).toMatchObject({
        allow_privilege_escalation: false,
        privileged: false,
        run_as_non_root: true,
        capabilities: { drop: ['ALL'] },
        seccomp_profile: { type: 'RuntimeDefault' },
      });
      expect(Number(c.security_context.run_as_user), c.name).toBeGreaterThan(0);
    }
  });

  it.each(workloads)('%s: probes set every field, HTTP probes a path', (_, r) => {
    for (const c of r.spec.template.spec.container) {
      for (const kind of ['startup_probe', 'readiness_probe', 'liveness_probe']) {
        const p = c[kind];
        if (!p) continue;
        expect(p, `${c.name} ${kind}`).toMatchObject({
          initial_delay_seconds: 0,
          period_seconds: expect.any(Number),
          timeout_seconds: expect.any(Number),
          success_threshold: 1,
          failure_threshold: expect.any(Number),
        });
        if (p.http_get) expect(p.http_get.path, `${c.name} ${kind}`).toMatch(/^\//);
      }
    }
  });

  it.each(workloads)('%s: volume modes in the form the provider validates', (_, r) => {
    for (const v of r.spec.template.spec.volume ?? []) {
      for (const src of [v.config_map, v.secret].filter(Boolean)) {
        expect(src.default_mode).toMatch(/^0[0-7]{3}$/);
        for (const item of src.items ?? []) if (item.mode !== undefined) expect(item.mode).toMatch(/^0[0-7]{3}$/);
      }
    }
  });

  it('StatefulSets: explicit revision history, a full rolling update strategy, Retain claims, no empty storage class', () => {
    for (const [where, r] of resources('kubernetes_stateful_set_v1')) {
      expect(r.spec.revision_history_limit, where).toBeGreaterThan(0);
      expect(r.spec.update_strategy, where).toEqual([{ type: 'RollingUpdate', rolling_update: [{ partition: 0 }] }]);
      // Every workload waits for its rollout, except GPU workloads where the environment says not to.
      const gpu = (r.spec.template.spec.container ?? []).some((c: any) => c.resources?.limits?.['nvidia.com/gpu']);
      if (!gpu) expect(r.wait_for_rollout, where).toBe(true);
      for (const vct of r.spec.volume_claim_template ?? []) {
        expect(vct.spec.storage_class_name, where).not.toBe('');
        expect(vct.metadata.namespace, where).toBeUndefined();
      }
    }
  });

  it('Jobs: a create timeout that covers their time limit, no TTL (it would re-run them on every apply: #2531)', () => {
    for (const [where, r] of resources('kubernetes_job_v1')) {
      expect(r.spec.ttl_seconds_after_finished, where).toBeUndefined();
      const minutes = Number(String(r.timeouts.create).replace(/m$/, ''));
      expect(minutes * 60, where).toBeGreaterThan(r.spec.active_deadline_seconds);
    }
  });

  it('HPAs write every scaling-rule field (the provider sends "" and 0 for missing ones) and own the replica count', () => {
    for (const [where, r] of resources('kubernetes_horizontal_pod_autoscaler_v2')) {
      for (const dir of ['scale_up', 'scale_down']) {
        expect(r.spec.behavior[dir][0], where).toMatchObject({
          select_policy: expect.stringMatching(/^(Max|Min|Disabled)$/),
          stabilization_window_seconds: expect.any(Number),
        });
      }
      const target = resources('kubernetes_deployment_v1').find(
        ([, d]) => d.metadata.name === r.spec.scale_target_ref.name && d.metadata.namespace === r.metadata.namespace,
      );
      expect(target, where).toBeDefined();
      expect(target![1].spec.replicas, where).toBeUndefined();
    }
  });

  it('LimitRanges: every key of max also has a default (the API copies max into default otherwise)', () => {
    for (const [where, r] of resources('kubernetes_limit_range_v1')) {
      for (const l of r.spec.limit) for (const key of Object.keys(l.max ?? {})) expect(l.default?.[key], `${where} ${key}`).toBeDefined();
    }
  });

  it('every namespaced object names its namespace (the provider defaults to "default" and replaces on change)', () => {
    const clusterScoped = new Set(['kubernetes_namespace_v1', 'kubernetes_priority_class_v1', 'kubernetes_storage_class_v1']);
    for (const [file, tf] of k8sStacks) {
      for (const [type, byName] of Object.entries<any>(tf.resource)) {
        if (!type.startsWith('kubernetes_') || clusterScoped.has(type)) continue;
        for (const [name, r] of Object.entries<any>(byName)) {
          expect(r.metadata.namespace, `${file} ${type}.${name}`).toMatch(
            /^([a-z0-9-]+|\$\{kubernetes_namespace_v1\.[a-z0-9_]+\.metadata\[0\]\.name\})$/,
          );
        }
      }
    }
  });

  it('Secrets carry plain text (the provider encodes), ConfigMaps never carry a generated value', () => {
    for (const [where, r] of resources('kubernetes_config_map_v1'))
      expect(JSON.stringify(r.data), where).not.toMatch(/random_(password|bytes)/);
    for (const [where, r] of resources('kubernetes_secret_v1')) expect(r.binary_data, where).toBeUndefined();
  });

  it('Helm releases: namespace set, exact versions, no empty strings, history bounded, no values carrying a generated value', () => {
    for (const [where, r] of resources('helm_release')) {
      expect(r.namespace, where).toMatch(/^[a-z0-9-]+$/);
      if (r.repository) expect(r.version, where).toMatch(/^v?\d+\.\d+\.\d+$/);
      else expect(r.chart, where).toMatch(/^assets\//);
      for (const [k, v] of Object.entries(r)) if (typeof v === 'string') expect(v, `${where} ${k}`).not.toBe('');
      expect(JSON.stringify(r.values ?? []), where).not.toMatch(/random_(password|bytes)/);
      // Plain values: a Terraform reference inside a values string is compared as text and hides what it is.
      expect(JSON.stringify(r.values ?? []), where).not.toMatch(/\$\{[a-z]/);
      expect(r.set_sensitive, where).toBeUndefined();
    }
  });

  it('providers: a kubeconfig path always with its context, helm with the attribute (not block) syntax', () => {
    const staging = k8sStacks.find(([f]) => f === 'environments/staging.ts')![1];
    expect(staging.provider!.kubernetes).toEqual([{ config_path: '~/.kube/config', config_context: 'agent-platform-staging' }]);
    expect(staging.provider!.helm).toEqual([{ kubernetes: { config_path: '~/.kube/config', config_context: 'agent-platform-staging' } }]);
  });
});
