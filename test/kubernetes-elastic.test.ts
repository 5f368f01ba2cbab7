/**
 * Elasticsearch and Kibana on Kubernetes through ECK: the operator from its chart, the custom
 * resources from charts/platform-elastic after it, generated secrets only in Kubernetes Secrets,
 * the spec's version, heap, resources and volumes in the node sets, the replicated profile as
 * dedicated masters plus data nodes spread over nodes and zones, and the network policy around it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { parse } from 'yaml';
import { TerraformStack } from '../constructs/providers/cdktf';
import { EXPORTER_ROLE, elasticsearch } from '../constructs/render/kubernetes/elasticsearch';
import { DATA_ROLES, MASTER_COUNT } from '../constructs/targets/kubernetes/elasticsearch';
import { footprintOf } from '../constructs/targets/kubernetes';
import { ECK_NAMESPACE, ECK_VERSION } from '../constructs/render/kubernetes/eck';
import { kibana, withCaFile } from '../constructs/render/kubernetes/kibana';
import { Operators } from '../constructs/render/kubernetes/operators';
import { canonicalCpu, canonicalMemory } from '../constructs/targets/kubernetes/quantities';
import { realizationOf } from '../constructs/render/kubernetes/realizations';
import { ConfigError } from '../environments/parse/load';
import { env, spec, synth, variant, testApp } from './helpers';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const staging = env('staging');
const large = prepare(
  variant('staging', (i) => {
    i.profile = 'large';
    i.target.zones = ZONES;
  }),
);
const tfOf = (e: typeof staging) => synth(e).tf;
const releases = (e: typeof staging) => tfOf(e).resource.helm_release!;
const valuesOf = (e: typeof staging, release: string) => JSON.parse(releases(e)[release].values[0]);
const esValues = (e: typeof staging) => valuesOf(e, 'elasticsearch_eck').elasticsearch;
const kbValues = (e: typeof staging) => valuesOf(e, 'kibana_eck').kibana;
const secrets = (e: typeof staging) => tfOf(e).resource.kubernetes_secret_v1!;
const policies = (e: typeof staging) => tfOf(e).resource.kubernetes_network_policy_v1!;
const DATA_NS = 'agent-platform-data';

describe('the ECK operator (chart eck-operator)', () => {
  const op = releases(staging).operator_eck;

  it("comes from Elastic's repository at the pinned version, into its own namespace", () => {
    expect(op).toMatchObject({
      repository: 'https://helm.elastic.co',
      chart: 'eck-operator',
      version: ECK_VERSION,
      namespace: ECK_NAMESPACE,
      wait: true,
      create_namespace: false,
    });
    expect(op.depends_on).toEqual(['kubernetes_namespace_v1.namespace_eck']);
  });

  it('runs restricted: the chart copies podSecurityContext into its pod, where RuntimeDefault seccomp goes', () => {
    const ns = tfOf(staging).resource.kubernetes_namespace_v1!.namespace_eck.metadata;
    expect(ns.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(ns.annotations?.['platform/pod-security-reason']).toBeUndefined();
    expect(JSON.parse(op.values[0]).podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it("installs its CRDs and watches only the namespace the platform's Elasticsearch runs in", () => {
    const values = JSON.parse(op.values[0]);
    expect(values.installCRDs).toBe(true);
    expect(values.managedNamespaces).toEqual([DATA_NS]);
    expect(values.config.setDefaultSecurityContext).toBe('true');
  });

  it('its namespace is restricted: the pod policy gives the operator pod the RuntimeDefault seccomp profile the chart lacks', () => {
    const ns = tfOf(staging).resource.kubernetes_namespace_v1!.namespace_eck;
    expect(ns.metadata.name).toBe(ECK_NAMESPACE);
    for (const mode of ['enforce', 'audit', 'warn']) expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
    expect(ns.metadata.annotations?.['platform/pod-security-reason']).toBeUndefined();
    const values = JSON.parse(op.values[0]);
    expect(values.podSecurityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
    });
  });

  it("the platform's own namespaces stay restricted", () => {
    expect(tfOf(staging).resource.kubernetes_namespace_v1!.namespace_data.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });

  it('an operator namespace below restricted without a reason is refused', () => {
    const stack = new TerraformStack(testApp({ stackTraces: true }), 'ops');
    const ops = new Operators(stack, 'operators', [], () => ({}) as never);
    expect(() =>
      ops.ensure({
        name: 'x',
        namespace: 'x',
        repository: 'https://x',
        chart: 'x',
        version: '1.0.0',
        podSecurity: 'baseline',
        values: {},
        pod: () => ({}),
        footprint: () => [],
      }),
    ).toThrow(/x-system|namespace x is baseline; say why/);
  });
});

describe('the custom resources (charts/platform-elastic)', () => {
  const es = releases(staging).elasticsearch_eck;
  const kb = releases(staging).kibana_eck;

  it("come from the chart in this repository, through an asset whose path carries the chart's hash", () => {
    for (const r of [es, kb]) {
      expect(r.repository).toBeUndefined();
      expect(r.chart).toMatch(/^assets\/[A-Za-z0-9_-]+_platform-elastic_[0-9A-F]{8}\/[0-9A-F]+$/);
      expect(r.namespace).toBe(DATA_NS);
    }
    expect(es.name).toBe('elasticsearch');
    expect(kb.name).toBe('kibana');
  });

  it('are installed after the operator release, and Kibana after Elasticsearch', () => {
    expect(es.depends_on).toContain('helm_release.operator_eck');
    expect(kb.depends_on).toEqual(expect.arrayContaining(['helm_release.operator_eck', 'helm_release.elasticsearch_eck']));
  });

  it('wait for the Secrets they name', () => {
    expect(es.depends_on).toEqual(
      expect.arrayContaining([
        'kubernetes_secret_v1.elasticsearch_user_elastic_secret',
        'kubernetes_secret_v1.elasticsearch_user_prometheus_exporter_secret',
        'kubernetes_secret_v1.elasticsearch_roles_secret',
      ]),
    );
    expect(kb.depends_on).toContain('kubernetes_secret_v1.kibana_encryption_keys_secret');
  });

  it("the Elasticsearch release is protected where data is, Kibana's is not", () => {
    expect(staging.protectData).toBe(true);
    expect(es.lifecycle).toEqual({ prevent_destroy: true });
    expect(kb.lifecycle).toEqual({ prevent_destroy: false });
  });

  it('each release renders only its own resource', () => {
    expect(valuesOf(staging, 'elasticsearch_eck').kibana).toBeUndefined();
    expect(esValues(staging).enabled).toBe(true);
    expect(valuesOf(staging, 'kibana_eck').elasticsearch).toBeUndefined();
    expect(kbValues(staging).enabled).toBe(true);
  });

  it('values reference Secrets by name only', () => {
    const names = [...esValues(staging).fileRealm, ...esValues(staging).roles, ...kbValues(staging).secureSettings];
    // Two platform users and the default consumer's, the roles, Kibana's keys.
    expect(names).toHaveLength(5);
    // Plain names of Secrets this stack creates (each a dependency of the release).
    const created = Object.values<any>(synth(staging).tf.resource.kubernetes_secret_v1!).map((x) => x.metadata.name);
    for (const n of names) expect(created).toContain(n);
  });

  it.each([
    ['staging', staging],
    ['staging on the large profile', large],
  ])('no generated value in any Helm values string (%s)', (_, e) => {
    const all = Object.entries<any>(releases(e));
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const [name, r] of all) {
      for (const v of r.values ?? []) {
        expect(v, name).not.toMatch(/random_password|random_bytes|\.result\b|bcrypt/);
        // No Terraform reference at all: values carry plain names.
        expect(String(v), name).not.toMatch(/\$\{[a-z]/);
      }
      expect(r.set_sensitive, name).toBeUndefined();
    }
  });

  it("the old default realization is gone (no StatefulSet, Deployment or the spec's setup-security job; only the snapshot repository's)", () => {
    const r = tfOf(staging).resource;
    expect(r.kubernetes_stateful_set_v1!.elasticsearch).toBeUndefined();
    expect(r.kubernetes_deployment_v1!.kibana).toBeUndefined();
    expect(Object.keys(r.kubernetes_job_v1 ?? {}).filter((k) => k.startsWith('elasticsearch'))).toEqual([
      'elasticsearch_job-snapshot-repository',
    ]);
  });
});

describe('users and keys: generated values in Kubernetes Secrets', () => {
  const s = secrets(staging);

  it("generates no password ECK does not use (the Docker target's file-realm administrator, kibana_system)", () => {
    const generated = Object.keys(synth(staging).tf.resource.random_password!);
    expect(generated).not.toContain('elasticsearch_admin-password');
    expect(generated).not.toContain('elasticsearch_kibana-system-password');
    expect(generated).toEqual(expect.arrayContaining(['elasticsearch_elastic-password', 'elasticsearch_exporter-password']));
    expect(JSON.stringify(synth(staging).tf.resource)).not.toMatch(/elasticsearch_admin-password|kibana-system-password/);
  });

  it('elastic is a file-realm superuser from a basic-auth Secret (so ECK makes no elastic-user Secret of its own)', () => {
    expect(s.elasticsearch_user_elastic_secret.type).toBe('kubernetes.io/basic-auth');
    expect(s.elasticsearch_user_elastic_secret.data).toEqual({
      username: 'elastic',
      password: '${random_password.elasticsearch_elastic-password.result}',
      roles: 'superuser',
    });
  });

  it('prometheus_exporter is a file-realm user with the monitoring role only', () => {
    expect(s.elasticsearch_user_prometheus_exporter_secret.type).toBe('kubernetes.io/basic-auth');
    expect(s.elasticsearch_user_prometheus_exporter_secret.data).toEqual({
      username: 'prometheus_exporter',
      password: '${random_password.elasticsearch_exporter-password.result}',
      roles: 'prometheus_exporter',
    });
  });

  it('the role is defined in roles.yml: cluster monitor and indices monitor, as on Docker', () => {
    expect(s.elasticsearch_roles_secret.data['roles.yml'].startsWith(EXPORTER_ROLE)).toBe(true);
    expect(parse(EXPORTER_ROLE)).toEqual({
      prometheus_exporter: { cluster: ['monitor'], indices: [{ names: ['*'], privileges: ['monitor'] }] },
    });
    // Each consumer's role, as on Docker: its own indices only.
    expect(parse(s.elasticsearch_roles_secret.data['roles.yml'])['app-apps']).toEqual({
      cluster: ['monitor'],
      indices: [{ names: ['apps-*'], privileges: ['create_index', 'read', 'write', 'view_index_metadata', 'manage'] }],
    });
  });

  it('the file realm takes both users and the roles Secret', () => {
    const v = esValues(staging);
    expect(v.fileRealm).toEqual(['elasticsearch-user-elastic', 'elasticsearch-user-prometheus-exporter', 'elasticsearch-consumer-apps']);
    expect(s.elasticsearch_consumer_apps_secret).toMatchObject({
      type: 'kubernetes.io/basic-auth',
      data: { username: 'apps', roles: 'app-apps', password: '${random_password.elasticsearch_consumer-apps-password.result}' },
    });
    expect(v.roles).toEqual(['elasticsearch-roles']);
    expect(releases(staging).elasticsearch_eck.depends_on).toEqual(
      expect.arrayContaining([
        'kubernetes_secret_v1.elasticsearch_user_elastic_secret',
        'kubernetes_secret_v1.elasticsearch_user_prometheus_exporter_secret',
        'kubernetes_secret_v1.elasticsearch_roles_secret',
      ]),
    );
  });

  it("Kibana's three encryption keys reach its keystore through secureSettings", () => {
    expect(s.kibana_encryption_keys_secret.type).toBe('Opaque');
    expect(s.kibana_encryption_keys_secret.data).toEqual({
      'xpack.security.encryptionKey': '${random_password.kibana_security-key.result}',
      'xpack.encryptedSavedObjects.encryptionKey': '${random_password.kibana_saved-objects-key.result}',
      'xpack.reporting.encryptionKey': '${random_password.kibana_reporting-key.result}',
    });
    expect(kbValues(staging).secureSettings).toEqual(['kibana-encryption-keys']);
  });
});

describe('Elasticsearch from the spec (staging: one node)', () => {
  const v = esValues(staging);
  const s = spec(staging, 'elasticsearch');
  const main = s.containers[0]!;
  const [node] = v.nodeSets;

  it("version is the image's tag and the image is the spec's", () => {
    expect(v.version).toBe(main.image.tag);
    expect(v.version).toBe('8.19.22');
    expect(v.image).toBe(`${main.image.repository}:${main.image.tag}`);
  });

  it("one combined node set of the spec's replicas", () => {
    expect(v.nodeSets).toHaveLength(1);
    expect(node.name).toBe('default');
    expect(node.count).toBe(s.replicas);
    expect(node.config['node.roles']).toBeUndefined();
  });

  it("no mmap, so no privileged sysctl init container; the pod policy's context is ECK's default plus runAsNonRoot", () => {
    expect(node.config['node.store.allow_mmap']).toBe(false);
    expect(node.podTemplate.spec.initContainers).toBeUndefined();
    // ECK keeps a given pod context whole: its own default (fsGroup 1000, RuntimeDefault) is written out.
    expect(node.podTemplate.spec.securityContext).toEqual({
      runAsNonRoot: true,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(node.podTemplate.spec.containers[0].securityContext).toBeUndefined();
  });

  it("the settings of the spec's elasticsearch.yml that ECK leaves to the user, nothing ECK owns; the snapshot repository's S3 client", () => {
    expect(node.config).toEqual({
      'xpack.security.enrollment.enabled': false,
      'ingest.geoip.downloader.enabled': false,
      'action.destructive_requires_name': true,
      'node.store.allow_mmap': false,
      's3.client.platform.endpoint': 'http://garage.agent-platform-data.svc:3900',
      's3.client.platform.path_style_access': 'true',
      's3.client.platform.region': 'garage',
    });
  });

  it('heap from the environment as ES_JAVA_OPTS, resources canonical', () => {
    const c = node.podTemplate.spec.containers[0];
    expect(c.name).toBe('elasticsearch');
    expect(c.env).toEqual([{ name: 'ES_JAVA_OPTS', value: '-Xms2g -Xmx2g' }]);
    expect(staging.services.elasticsearch!.heap).toBe('2Gi');
    expect(c.resources).toEqual({
      requests: { cpu: canonicalCpu(main.resources.requests.cpu), memory: canonicalMemory(main.resources.requests.memory) },
      limits: { cpu: canonicalCpu(main.resources.limits.cpu), memory: canonicalMemory(main.resources.limits.memory) },
    });
    expect(c.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } });
  });

  it("the data volume of the spec's size on the environment's storage class, kept when the resource is deleted", () => {
    expect(node.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'elasticsearch-data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
      },
    ]);
    expect(v.volumeClaimDeletePolicy).toBe('DeleteOnScaledownOnly');
  });

  it('data priority, and no spread for a single node', () => {
    expect(node.podTemplate.spec.priorityClassName).toBe('agent-platform-data');
    expect(node.podTemplate.spec.topologySpreadConstraints).toBeUndefined();
    expect(node.zoneAwareness).toBeUndefined();
  });

  it("clients reach ECK's HTTPS Service, <name>-es-http", () => {
    expect(realizationOf(s)).toBe(elasticsearch);
    expect(elasticsearch.serviceName!(s)).toBe('elasticsearch-es-http');
    // The exporter probes it: the scrape target is ECK's HTTPS Service, with the auth module from its file.
    const metrics = elasticsearch.metricsOf!(s);
    expect(metrics.path).toBe('/probe');
    expect(metrics.params!.auth_module).toEqual(['platform']);
    expect(metrics.params!.target).toEqual([
      { kind: 'template', parts: ['https://', { kind: 'host', service: 'elasticsearch' }, ':9200'] },
    ]);
  });
});

describe('the exporter as its own Deployment', () => {
  const d = tfOf(staging).resource.kubernetes_deployment_v1!.elasticsearch_exporter;
  const pod = d.spec.template.spec;
  const c = pod.container[0];
  const exporter = spec(staging, 'elasticsearch').containers.find((x) => x.name === 'exporter')!;

  it("one replica of the spec's exporter image, flags and password file", () => {
    expect(d.spec.replicas).toBe('1');
    expect(c.image).toBe(`${exporter.image.repository}:${exporter.image.tag}`);
    expect(c.args).toEqual([
      '--es.ca=/etc/platform/ca/ca.crt',
      '--config.file=/etc/elasticsearch-exporter/config.yml',
      '--es.all',
      '--es.indices',
      '--web.listen-address=:9114',
    ]);
    // No password in its environment or command line: the auth module file holds it.
    expect(c.command).toBeUndefined();
    expect(c.env ?? []).toEqual([]);
  });

  it("ECK's CA for the HTTPS API, from <name>-es-http-certs-public", () => {
    expect(pod.volume).toContainEqual({
      name: 'ca',
      secret: { secret_name: 'elasticsearch-es-http-certs-public', default_mode: '0444', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(c.volume_mount).toContainEqual({ name: 'ca', mount_path: '/etc/platform/ca', read_only: true });
  });

  it('its password in its own Secret (never in the pod spec), a change rolls the pod', () => {
    const s = secrets(staging).elasticsearch_exporter_secret;
    expect(Object.keys(s.data)).toEqual(['etc_elasticsearch-exporter_config.yml']);
    expect(Object.values<string>(s.data)[0]).toBe(
      'auth_modules:\n  platform:\n    type: userpass\n    userpass:\n      username: prometheus_exporter\n      password: "${random_password.elasticsearch_exporter-password.result}"\n',
    );
    expect(d.spec.template.metadata.annotations['platform/secret-checksum']).toContain(
      'kubernetes_secret_v1.elasticsearch_exporter_secret.data',
    );
    expect(JSON.stringify(d)).not.toContain('random_password');
  });

  it('restricted security context and no service account token', () => {
    expect(pod.automount_service_account_token).toBe(false);
    expect(c.security_context).toMatchObject({
      allow_privilege_escalation: false,
      run_as_non_root: true,
      read_only_root_filesystem: true,
      capabilities: { drop: ['ALL'] },
      seccomp_profile: { type: 'RuntimeDefault' },
    });
  });

  it('waits for the Elasticsearch release, and Kibana waits for it', () => {
    expect(d.depends_on).toContain('helm_release.elasticsearch_eck');
    expect(releases(staging).kibana_eck.depends_on).toContain('kubernetes_deployment_v1.elasticsearch_exporter');
  });

  it('a Service on the metrics port', () => {
    const svc = tfOf(staging).resource.kubernetes_service_v1!.elasticsearch_exporter_service;
    expect(svc.spec.port).toEqual([{ name: 'metrics', port: 9114, target_port: '9114', protocol: 'TCP', app_protocol: 'http' }]);
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'elasticsearch', 'app.kubernetes.io/component': 'exporter' });
  });
});

describe('Kibana from the spec', () => {
  const v = kbValues(staging);
  const s = spec(staging, 'kibana');

  it('the same version as Elasticsearch, connected to it by reference', () => {
    expect(v.version).toBe(s.containers[0]!.image.tag);
    expect(v.version).toBe(esValues(staging).version);
    expect(v.image).toBe('docker.elastic.co/kibana/kibana:8.19.22');
    expect(v.elasticsearchRef).toBe('elasticsearch');
    expect(v.count).toBe(s.replicas);
    expect(realizationOf(s)).toBe(kibana);
    expect(kibana.serviceName!(s)).toBe('kibana-kb-http');
  });

  it('anonymous status off as on Docker, no secret and nothing ECK owns in the config', () => {
    expect(v.config).toEqual({
      'server.shutdownTimeout': '10s',
      'status.allowAnonymous': false,
      'telemetry.optIn': false,
      'telemetry.allowChangingOptInStatus': false,
      'monitoring.ui.container.elasticsearch.enabled': true,
    });
  });

  it('the pod meets restricted: runAsNonRoot on the pod, the keystore init container locked down', () => {
    const pod = v.podTemplate.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.initContainers).toEqual([
      {
        name: 'elastic-internal-init-keystore',
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
          readOnlyRootFilesystem: false,
        },
      },
    ]);
  });

  it("the spec's resources (canonical) and NODE_OPTIONS", () => {
    const [c] = v.podTemplate.spec.containers;
    expect(c.name).toBe('kibana');
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '1536Mi' } });
    expect(c.env).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=1152' }]);
  });

  it("the probe runs as its own Deployment against ECK's HTTPS Service with its CA", () => {
    const r = tfOf(staging).resource;
    const d = r.kubernetes_deployment_v1!.kibana_probe;
    expect(d.spec.template.spec.volume).toContainEqual({
      name: 'ca',
      secret: { secret_name: 'kibana-kb-http-certs-public', default_mode: '0444', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    const conf = parse(Object.values<string>(r.kubernetes_config_map_v1!.kibana_probe_config.data)[0]!);
    expect(conf.modules.service.http.tls_config).toEqual({ ca_file: '/etc/platform/ca/ca.crt' });
    expect(conf.modules.service.http.basic_auth).toEqual({
      username: 'prometheus_exporter',
      password_file: '/run/secrets/elasticsearch-exporter-password',
    });
  });

  it('no budget for a single instance', () => {
    expect(tfOf(staging).resource.kubernetes_pod_disruption_budget_v1?.kibana_pdb).toBeUndefined();
  });
});

describe('the replicated profile: a real cluster (staging on the large profile, zones named)', () => {
  const v = esValues(large);
  const s = spec(large, 'elasticsearch');
  const byName = Object.fromEntries(v.nodeSets.map((n: any) => [n.name, n]));

  it("dedicated roles: three masters and the profile's data nodes", () => {
    expect(large.services.elasticsearch!.topology).toBe('dedicated');
    expect(v.nodeSets.map((n: any) => [n.name, n.count])).toEqual([
      ['masters', MASTER_COUNT],
      ['data', 3],
    ]);
    expect(s.replicas).toBe(3);
    expect(byName.masters.config['node.roles']).toEqual(['master']);
    expect(byName.data.config['node.roles']).toEqual([...DATA_ROLES]);
    for (const n of v.nodeSets) expect(n.config['node.store.allow_mmap']).toBe(false);
  });

  it('masters sized by services.elasticsearch.masters, data nodes by the service', () => {
    const m = large.services.elasticsearch!.masters!;
    expect(byName.masters.podTemplate.spec.containers[0].env).toEqual([{ name: 'ES_JAVA_OPTS', value: '-Xms2g -Xmx2g' }]);
    expect(byName.masters.podTemplate.spec.containers[0].resources.limits).toEqual({
      cpu: canonicalCpu(m.resources.limits.cpu),
      memory: canonicalMemory(m.resources.limits.memory),
    });
    expect(byName.masters.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(byName.data.podTemplate.spec.containers[0].env).toEqual([{ name: 'ES_JAVA_OPTS', value: '-Xms8g -Xmx8g' }]);
    expect(byName.data.podTemplate.spec.containers[0].resources.limits).toEqual({ cpu: '4', memory: '16Gi' });
    expect(byName.data.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('200Gi');
  });

  it('each node set spread over nodes (required) and, with zones named, over the zones with shard awareness', () => {
    for (const n of v.nodeSets) {
      expect(n.podTemplate.spec.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: {
            matchLabels: {
              'elasticsearch.k8s.elastic.co/cluster-name': 'elasticsearch',
              'elasticsearch.k8s.elastic.co/statefulset-name': `elasticsearch-es-${n.name}`,
            },
          },
        },
      ]);
      expect(n.zoneAwareness).toEqual({ zones: ZONES });
    }
  });

  it("ECK's own PodDisruptionBudget (one node at a time, only while green) and one-at-a-time changes", () => {
    expect(v.podDisruptionBudget).toBeUndefined();
    expect(tfOf(large).resource.kubernetes_pod_disruption_budget_v1!.elasticsearch_pdb).toBeUndefined();
    expect(v.maxUnavailable).toBe(1);
  });

  it('two Kibanas on different nodes (zones preferred), one of them may be disrupted', () => {
    const kv = kbValues(large);
    expect(kv.count).toBe(2);
    const sel = { matchLabels: { 'kibana.k8s.elastic.co/name': 'kibana' } };
    expect(kv.podTemplate.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: sel },
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: sel },
    ]);
    expect(tfOf(large).resource.kubernetes_pod_disruption_budget_v1!.kibana_pdb.spec).toEqual({
      max_unavailable: '1',
      selector: { match_labels: { 'kibana.k8s.elastic.co/name': 'kibana' } },
    });
  });

  it("the namespace's quota counts what ECK runs: masters, data nodes, one exporter, the snapshot job", () => {
    const parts = footprintOf(s);
    expect(parts.map((p) => [p.name, p.replicas, p.containers.map((c) => c.name), p.volumes.map((x) => x.size)])).toEqual([
      ['elasticsearch-masters', 3, ['main'], ['10Gi']],
      ['elasticsearch-data', 3, ['main'], ['200Gi']],
      ['elasticsearch-exporter', 1, ['exporter'], []],
    ]);
    // The snapshot repository's registration job (backups on), nothing else of the spec's jobs.
    expect(parts.map((p) => p.jobs.map((j) => j.name))).toEqual([[], [], s.backup ? ['snapshot-repository'] : []]);
    const claims = Number(tfOf(large).resource.kubernetes_resource_quota_v1!.quota_data.spec.hard.persistentvolumeclaims);
    const withoutMasters = Number(tfOf(staging).resource.kubernetes_resource_quota_v1!.quota_data.spec.hard.persistentvolumeclaims);
    expect(claims).toBeGreaterThan(withoutMasters);
  });
});

describe('network policy around ECK', () => {
  const p = policies(staging);
  const from = (policy: any) => policy.spec.ingress.map((r: any) => ({ from: r.from, ports: r.ports.map((x: any) => x.port) }));
  const to = (policy: any) => policy.spec.egress.map((r: any) => ({ to: r.to, ports: r.ports.map((x: any) => x.port) }));
  const ns = (name: string) => ({ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': name } } });
  const pods = (labels: Record<string, string>) => ({ ...ns(DATA_NS), pod_selector: { match_labels: labels } });
  const ES = { 'elasticsearch.k8s.elastic.co/cluster-name': 'elasticsearch' };
  const KB = { 'kibana.k8s.elastic.co/name': 'kibana' };
  const EXPORTER = { 'app.kubernetes.io/name': 'elasticsearch', 'app.kubernetes.io/component': 'exporter' };
  const PROBE = { 'app.kubernetes.io/name': 'kibana', 'app.kubernetes.io/component': 'probe' };
  const SNAPSHOT_JOB = { 'app.kubernetes.io/name': 'elasticsearch', 'app.kubernetes.io/component': 'job-snapshot-repository' };

  it('select the pods by the labels ECK puts on them', () => {
    expect(p.elasticsearch_ingress.spec.pod_selector.match_labels).toEqual(ES);
    expect(p.kibana_ingress.spec.pod_selector.match_labels).toEqual(KB);
  });

  it('Elasticsearch admits its own nodes (HTTP, transport), Kibana, the exporter, the snapshot job and the operator (API only)', () => {
    expect(from(p.elasticsearch_ingress)).toEqual([
      { from: [pods(ES)], ports: ['9200', '9300'] },
      { from: [pods(KB)], ports: ['9200'] },
      // The default consumer's namespace, on the client port.
      { from: [ns('agent-platform-apps')], ports: ['9200'] },
      { from: [ns(ECK_NAMESPACE)], ports: ['9200'] },
      { from: [pods(EXPORTER)], ports: ['9200'] },
      { from: [pods(SNAPSHOT_JOB)], ports: ['9200'] },
    ]);
    // Its own nodes, and the object store (the snapshots): a `reaches` opens the store's served
    // ports, S3 (3900) and the admin API (3903, which takes a bearer token the nodes do not have).
    expect(to(p.elasticsearch_egress)).toEqual([
      { to: [pods(ES)], ports: ['9200', '9300'] },
      { to: [pods({ 'app.kubernetes.io/name': 'garage', 'app.kubernetes.io/component': 'server' })], ports: ['3900', '3903'] },
    ]);
  });

  it('Kibana reaches Elasticsearch; the operator does not reach Kibana (it has no Kibana client)', () => {
    expect(to(p.kibana_egress)).toContainEqual({ to: [pods(ES)], ports: ['9200'] });
    expect(JSON.stringify(p.kibana_ingress)).not.toContain(ECK_NAMESPACE);
  });

  it('the exporter and the probe: the scraper (Prometheus in the monitoring namespace) in, their service out', () => {
    const monitoring = { ...ns('agent-platform-monitoring'), pod_selector: { match_labels: { 'platform/monitoring': 'prometheus' } } };
    expect(from(p['elasticsearch-exporter_ingress'])).toEqual([{ from: [monitoring], ports: ['9114'] }]);
    expect(to(p['elasticsearch-exporter_egress'])).toEqual([{ to: [pods(ES)], ports: ['9200'] }]);
    expect(from(p['kibana-probe_ingress'])).toEqual([{ from: [monitoring], ports: ['9115'] }]);
    expect(to(p['kibana-probe_egress'])).toEqual([{ to: [pods(KB)], ports: ['5601'] }]);
    expect(p['kibana-probe_ingress'].spec.pod_selector.match_labels).toEqual(PROBE);
  });
});

describe('Docker keeps its single node', () => {
  it('development is unchanged: one combined node', () => {
    const dev = env('development');
    expect(dev.services.elasticsearch!.topology).toBe('combined');
    expect(spec(dev, 'elasticsearch').replicas).toBe(1);
  });

  const problems = (edit: (i: any) => void, base: 'development' | 'staging' = 'development') => {
    try {
      prepare(variant(base, edit));
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.issues.map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('the docker target refuses dedicated masters, naming the field', () => {
    expect(
      problems((i) => {
        i.services.elasticsearch.topology = 'dedicated';
        i.services.elasticsearch.masters = {
          resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
          heap: '1Gi',
          persistence: { size: '1Gi' },
        };
      }),
    ).toEqual([
      expect.stringMatching(
        /^services\.elasticsearch\.topology: the docker target runs on one host: dedicated master nodes need a cluster target/,
      ),
    ]);
  });

  it('dedicated without masters, or a master heap above half its limit, is refused', () => {
    expect(problems((i) => (i.services.elasticsearch.topology = 'dedicated'), 'staging')).toEqual([
      expect.stringMatching(/^services\.elasticsearch\.masters: topology 'dedicated' runs three master nodes/),
    ]);
    expect(
      problems((i) => {
        i.profile = 'large';
        i.services.elasticsearch.masters = { heap: '3Gi' };
      }, 'staging'),
    ).toEqual([expect.stringMatching(/^services\.elasticsearch\.masters\.heap: 3Gi is more than half of the 4Gi memory limit/)]);
  });
});

describe('the chart and the pure helpers', () => {
  const chart = path.join(import.meta.dirname, '..', 'charts', 'platform-elastic');
  const values = parse(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'));

  it('Chart.yaml names the chart after its directory', () => {
    expect(parse(fs.readFileSync(path.join(chart, 'Chart.yaml'), 'utf8'))).toMatchObject({ apiVersion: 'v2', name: 'platform-elastic' });
  });

  it('the templates read only keys declared in values.yaml', () => {
    const has = (keys: string[]) =>
      keys.reduce<any>((node, k) => (node && typeof node === 'object' && k in node ? node[k] : undefined), values) !== undefined;
    const read: string[][] = [];
    for (const file of fs.readdirSync(path.join(chart, 'templates'))) {
      const text = fs.readFileSync(path.join(chart, 'templates', file), 'utf8');
      const aliases = Object.fromEntries([...text.matchAll(/\$(\w+) := \.Values\.([\w.]+)/g)].map((m) => [m[1]!, m[2]!.split('.')]));
      for (const m of text.matchAll(/\.Values\.([\w.]+)/g)) read.push(m[1]!.split('.'));
      for (const m of text.matchAll(/\$(\w+)\.([\w.]+)/g)) if (aliases[m[1]!]) read.push([...aliases[m[1]!]!, ...m[2]!.split('.')]);
    }
    expect(read.length).toBeGreaterThan(20);
    expect(read.filter((k) => !has(k)).map((k) => k.join('.'))).toEqual([]);
  });

  it("the facets carry the settings any deployment takes, not the single Docker node's layout", () => {
    const es = spec(staging, 'elasticsearch').facet as { settings: Record<string, unknown> };
    expect(es.settings).toEqual({
      'xpack.security.enrollment.enabled': false,
      'ingest.geoip.downloader.enabled': false,
      'action.destructive_requires_name': true,
    });
    const kb = spec(staging, 'kibana').facet as { settings: Record<string, unknown>; encryptionKeys: Record<string, string> };
    expect(Object.keys(kb.settings).filter((k) => /^(elasticsearch\.|server\.(host|name|port))/.test(k) || k in kb.encryptionKeys)).toEqual(
      [],
    );
    expect(kb.settings['status.allowAnonymous']).toBe(false);
  });

  it('withCaFile adds the CA under the http prober and refuses a module without one', () => {
    expect(withCaFile('modules:\n  s:\n    http:\n      x: 1\n', '/ca')).toBe(
      'modules:\n  s:\n    http:\n      tls_config:\n        ca_file: /ca\n      x: 1\n',
    );
    expect(() => withCaFile('modules:\n  s:\n    tcp:\n', '/ca')).toThrow(/no http prober/);
  });
});
