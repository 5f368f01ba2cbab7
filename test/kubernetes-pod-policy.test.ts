/**
 * One policy for every pod and object on Kubernetes (constructs/render/kubernetes/pod-policy.ts and
 * the final labels pass, constructs/render/labels.ts), walked over every cluster stack: every
 * `kubernetes_*` object carries the environment's labels; every pod the stack defines carries them
 * and the restricted security context; every chart the stack installs gets them at the chart's own
 * keys for its pods. A fixture with labels (staging plus two labels) makes the labels visible.
 */
import { describe, expect, it } from 'vitest';
import type { Environment } from '../environments/parse/load';
import { prepare } from '../stacks/pipeline';
import { everyEnvironment, synth, variant } from './helpers';
import { BASELINE_CAPABILITIES } from '../constructs/targets/kubernetes/naming';

const labelled = prepare(
  variant('staging', (i) => (i.labels = { team: 'platform', 'example.com/cost-center': 'ai-42' }), 'test/fixtures/staging.ts'),
);
const stacks: { label: string; env: Environment }[] = [
  { label: 'staging with labels', env: labelled },
  ...(await everyEnvironment()).filter(({ env }) => env.target.kind !== 'docker'),
];

/** Where each chart takes its pods' labels (and, where it runs restricted pods, their security contexts). */
const CHART_POD_KEYS: Readonly<Record<string, { labels: string[]; podSecurityContext?: string[] }>> = {
  'cloudnative-pg': { labels: ['podLabels'], podSecurityContext: ['podSecurityContext'] },
  cluster: { labels: ['cluster.additionalLabels'], podSecurityContext: ['cluster.podSecurityContext'] },
  // plugin-barman-cloud-v0.7.0 templates/deployment.yaml: podLabels, podSecurityContext.
  'plugin-barman-cloud': { labels: ['podLabels'], podSecurityContext: ['podSecurityContext'] },
  'eck-operator': { labels: ['podLabels'], podSecurityContext: ['podSecurityContext'] },
  'gateway-helm': { labels: ['deployment.pod.labels', 'certgen.job.pod.labels'], podSecurityContext: ['deployment.pod.securityContext'] },
  'cert-manager': {
    labels: ['podLabels', 'webhook.podLabels', 'cainjector.podLabels', 'startupapicheck.podLabels', 'global.commonLabels'],
    podSecurityContext: ['securityContext', 'webhook.securityContext', 'cainjector.securityContext', 'startupapicheck.securityContext'],
  },
  'cluster-autoscaler': { labels: ['podLabels'], podSecurityContext: ['securityContext'] },
  'platform-elastic': { labels: ['labels'] },
  'platform-edge': { labels: ['labels'] },
  // Issuers and Certificates only (cert-manager's solver pods take cert-manager's global.commonLabels).
  'platform-certificates': { labels: ['labels'] },
  // The monitoring stack: kube-prometheus-stack's Prometheus, Alertmanager, operator, Grafana, kube-state-metrics,
  // node-exporter (its node agents' namespace is privileged: its pods need the host); Loki, Alloy, Jaeger,
  // the DCGM exporter (privileged namespace too: hostPath).
  'kube-prometheus-stack': {
    labels: [
      'prometheus.prometheusSpec.podMetadata.labels',
      'alertmanager.alertmanagerSpec.podMetadata.labels',
      'prometheusOperator.podLabels',
      'grafana.podLabels',
      'kube-state-metrics.podLabels',
      'prometheus-node-exporter.podLabels',
    ],
    podSecurityContext: [
      'prometheus.prometheusSpec.securityContext',
      'alertmanager.alertmanagerSpec.securityContext',
      'prometheusOperator.securityContext',
      'grafana.securityContext',
      'kube-state-metrics.securityContext',
    ],
  },
  loki: { labels: ['loki.podLabels'], podSecurityContext: ['loki.podSecurityContext'] },
  alloy: { labels: ['controller.podLabels'], podSecurityContext: ['global.podSecurityContext'] },
  jaeger: { labels: ['jaeger.podLabels'], podSecurityContext: ['jaeger.podSecurityContext'] },
  'dcgm-exporter': { labels: ['podLabels'], podSecurityContext: ['podSecurityContext'] },
  // The NVIDIA device plugin's chart has no key for its pods' labels (only selectorLabelsOverride,
  // which would change an immutable DaemonSet selector); its pods are privileged by necessity.
  'nvidia-device-plugin': { labels: [] },
};

const at = (obj: any, path: string) => path.split('.').reduce((o, k) => o?.[k], obj);
/** A repository chart's name, or the local chart (charts/<name>) an asset path names. */
const chartOf = (r: any) => (r.repository ? String(r.chart) : /(platform-[a-z]+)_[0-9A-F]{8}\//.exec(String(r.chart))![1]!);

describe.each(stacks.map((s) => [s.label, s.env] as const))('%s', (_label, env) => {
  const { tf } = synth(env);
  const resources = Object.entries(tf.resource).filter(([t]) => t.startsWith('kubernetes_'));
  const envLabels = env.labels;

  it('every kubernetes_* object carries the environment’s labels', () => {
    expect(resources.length).toBeGreaterThan(0);
    for (const [type, byName] of resources)
      for (const [name, r] of Object.entries<any>(byName)) expect(r.metadata?.labels ?? {}, `${type}.${name}`).toMatchObject(envLabels);
  });

  it('every pod the stack defines carries them, with the restricted security context (or exactly the privileges its spec declares, within baseline)', () => {
    const templates = resources.flatMap(([type, byName]) =>
      Object.entries<any>(byName)
        .filter(([, r]) => r.spec?.template ?? r.spec?.job_template)
        .map(([name, r]) => [`${type}.${name}`, name, r.spec.template ?? r.spec.job_template.spec.template] as const),
    );
    expect(templates.length).toBeGreaterThan(3);
    for (const [where, name, t] of templates) {
      const spec = env.specs.find((s) => s.name === name);
      const privileged = (c: { name: string }) => spec?.containers.find((x) => x.name === c.name)?.privileges;
      const root = [...t.spec.container].some((c: any) => privileged(c)?.root);
      expect(t.metadata.labels, where).toMatchObject(envLabels);
      expect(t.spec.security_context, where).toMatchObject({ seccomp_profile: { type: 'RuntimeDefault' } });
      // A pod with a root container (docker-mailserver) leaves runAsNonRoot to each container.
      expect(t.spec.security_context.run_as_non_root, where).toBe(root ? undefined : true);
      for (const c of [...t.spec.container, ...(t.spec.init_container ?? [])]) {
        const p = privileged(c);
        expect(c.security_context, `${where} ${c.name}`).toMatchObject(
          p
            ? {
                allow_privilege_escalation: p.privilegeEscalation,
                privileged: false,
                run_as_non_root: !p.root,
                capabilities: { drop: ['ALL'], add: [...p.capabilities] },
              }
            : { allow_privilege_escalation: false, privileged: false, run_as_non_root: true, capabilities: { drop: ['ALL'] } },
        );
        if (p) {
          // Within Pod Security baseline, in a namespace labelled baseline with the reason.
          for (const cap of p.capabilities) expect(BASELINE_CAPABILITIES as readonly string[]).toContain(cap);
          const ns = Object.values<any>(tf.resource.kubernetes_namespace_v1!).find(
            (n) =>
              n.metadata.name === t.metadata.namespace || n.metadata.name === tf.resource[where.split('.')[0]!]![name].metadata.namespace,
          );
          expect(ns.metadata.labels['pod-security.kubernetes.io/enforce'], where).toBe('baseline');
          expect(ns.metadata.annotations['platform/pod-security-reason']).toContain(p.reason);
        }
      }
    }
  });

  it('every chart gets them at its own keys for its pods', () => {
    const releases = Object.entries<any>(tf.resource.helm_release ?? {});
    expect(releases.length).toBeGreaterThan(0);
    for (const [name, r] of releases) {
      const chart = chartOf(r);
      const keys = CHART_POD_KEYS[chart];
      expect(keys, `helm_release.${name}: chart ${chart} says where its pods take the policy`).toBeDefined();
      const values = Object.assign({}, ...(r.values ?? []).map((v: string) => JSON.parse(v)));
      for (const path of keys!.labels) expect(at(values, path), `helm_release.${name} ${path}`).toMatchObject(envLabels);
      for (const path of keys!.podSecurityContext ?? [])
        expect(at(values, path), `helm_release.${name} ${path}`).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
    }
  });

  it("the custom resources' pods (ECK's node sets and Kibana, CloudNativePG's instances) carry them too", () => {
    for (const [name, r] of Object.entries<any>(tf.resource.helm_release ?? {})) {
      const values = Object.assign({}, ...(r.values ?? []).map((v: string) => JSON.parse(v)));
      for (const set of values.elasticsearch?.nodeSets ?? [])
        expect(set.podTemplate.metadata.labels, `${name} ${set.name}`).toMatchObject(envLabels);
      if (values.kibana?.podTemplate) expect(values.kibana.podTemplate.metadata.labels, name).toMatchObject(envLabels);
      if (values.cluster?.additionalLabels) {
        expect(values.cluster.additionalLabels, name).toMatchObject(envLabels);
        const operator = Object.values<any>(tf.resource.helm_release ?? {}).find((x) => x.chart === 'cloudnative-pg');
        const inherited = String(JSON.parse(operator.values[0]).config.data.INHERITED_LABELS).split(/,\s*/);
        expect(inherited, 'the operator copies them to the instances').toEqual(expect.arrayContaining(Object.keys(envLabels)));
      }
    }
  });
});

it('the labelled fixture has labels to find (the walk above is not vacuous)', () => {
  expect(Object.keys(labelled.labels)).toEqual(['team', 'example.com/cost-center']);
});
