/**
 * Two environments on one cluster: each its own namespace prefix, each operator installed by one of
 * them and used by the others (its CRDs, webhooks and cluster roles exist once per cluster); refused
 * otherwise, naming both files and the field to change.
 */
import { describe, expect, it } from 'vitest';
import { ConfigErrors, prepareAll } from '../stacks/pipeline';
import { ConfigError } from '../environments/parse/load';
import { env, source, synth, variant } from './helpers';
import { prepare } from '../stacks/pipeline';
import { evaluate, podOf } from './network-policy';

/** A second staging environment on the staging fixture's cluster, edited by `edit`. */
const second = (edit: (i: any) => void) =>
  variant(
    'staging',
    (i) => {
      i.name = 'staging-b';
      i.backend.key = 'staging-b/terraform.tfstate';
      edit(i);
    },
    'test/fixtures/staging-b.ts',
  );

function problems(...sources: Parameters<typeof prepareAll>[0]): string[] {
  try {
    prepareAll(sources);
  } catch (e) {
    const all = e instanceof ConfigErrors ? e.errors : e instanceof ConfigError ? [e] : [];
    if (all.length === 0) throw e;
    return all.flatMap((x) => x.issues.map((i) => `${x.file}: ${i.path}: ${i.message}`));
  }
  return [];
}

/** What a second environment sets to share the first one's cluster. */
const sharing = (i: any) => {
  i.target.namespacePrefix = 'agent-platform-b';
  i.target.operators = {
    cloudnativePg: { use: 'existing', namespace: 'cnpg-system' },
    eck: { use: 'existing', namespace: 'elastic-system' },
  };
  i.target.gateway.implementation = {
    install: 'none',
    gatewayClass: 'agent-platform',
    proxies: { namespace: 'envoy-gateway-system', podLabels: { 'app.kubernetes.io/name': 'envoy' } },
  };
  i.target.gateway.installCertManager = false;
  i.target.gpu.devicePlugin = 'present';
  i.target.gpu.featureDiscovery = false;
};

describe('two environments on one cluster', () => {
  it('the same cluster context and namespace prefix is refused, naming both files', () => {
    const found = problems(
      source('staging'),
      second(() => {}),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /^test\/fixtures\/staging-b\.ts: target\.namespacePrefix: "agent-platform" is also the namespace prefix of test\/fixtures\/staging\.ts in the same cluster \(kubeconfig ~\/\.kube\/config context agent-platform-staging\)/,
      ),
    );
  });

  it('an operator installed twice is refused, with the field that uses the first one instead', () => {
    const found = problems(
      source('staging'),
      second((i) => (i.target.namespacePrefix = 'agent-platform-b')),
    );
    for (const [path, name] of [
      ['target.operators.cloudnativePg', 'CloudNativePG is installed into cnpg-system'],
      ['target.operators.eck', 'ECK is installed into elastic-system'],
      ['target.gateway.implementation', 'Envoy Gateway is installed into envoy-gateway-system'],
      ['target.gateway.installCertManager', 'cert-manager is installed into cert-manager'],
      ['target.gpu.devicePlugin', 'the NVIDIA device plugin is installed into nvidia-device-plugin'],
    ]) {
      expect(found).toContainEqual(expect.stringContaining(`test/fixtures/staging-b.ts: ${path}: ${name} by test/fixtures/staging.ts`));
    }
  });

  it('another prefix that uses the operators already there is accepted; another cluster needs neither', () => {
    expect(problems(source('staging'), second(sharing))).toEqual([]);
    expect(
      problems(
        source('staging'),
        second((i) => (i.target.cluster.context = 'another-cluster')),
      ),
    ).toEqual([]);
  });

  it('an existing operator: nothing installed, its namespace admitted by the pods it manages', () => {
    const b = prepare(second(sharing));
    const tf = synth(b).tf;
    const releases = Object.keys(tf.resource.helm_release ?? {});
    // The Barman Cloud plugin is the existing CloudNativePG installation's (one per operator); the backups still point at it.
    expect(JSON.parse(tf.resource.helm_release!.postgres_cluster.values[0]).backups.enabled).toBe(true);
    for (const op of [
      'operator_cnpg',
      'operator_barman-cloud',
      'operator_eck',
      'operator_envoy-gateway',
      'operator_cert-manager',
      'nvidia_device_plugin',
    ]) {
      expect(releases, op).not.toContain(op);
    }
    expect(Object.keys(tf.resource.kubernetes_namespace_v1!).filter((n) => /cnpg|eck|envoy|cert-manager|nvidia/.test(n))).toEqual([]);
    expect(tf.resource.helm_release!.postgres_cluster.depends_on.some((d: string) => d.includes('operator'))).toBe(false);
    const { platform, canReach } = evaluate(synth(b));
    const pg = podOf(platform.groups.find((g) => g.service === 'postgres' && g.role === 'server')!);
    expect(canReach({ id: 'cnpg', namespace: 'cnpg-system', labels: {} }, pg, 8000)).toBe(true);
    expect(platform.namespaces.every((n) => n.startsWith('agent-platform-b-'))).toBe(true);
    // The first environment's installs are untouched by the second's.
    expect(Object.keys(synth(env('staging')).tf.resource.helm_release!)).toContain('operator_cnpg');
  });
});
