/**
 * External endpoints on Kubernetes: Envoy Gateway, then cert-manager, then the local chart
 * `platform-edge` (Gateway, routes, certificates, issuer); only ports a spec marks `external` are
 * routed, and only the Gateway's proxies may reach them. Nothing is exposed without `target.gateway`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { parse } from 'yaml';
import { connections } from '../constructs/render/kubernetes/connectivity';
import type { PodGroup } from '../constructs/render/kubernetes/context';
import { ACME_SOLVER_PORT, EDGE_IMAGE_DIGESTS, edgeValues, exposedPorts, type GatewayFacts } from '../constructs/render/kubernetes/edge';
import { namespaceOf } from '../constructs/targets/kubernetes/naming';
import type { ServiceSpec } from '../constructs/spec/types';
import { synthesize } from '../stacks/app';
import { env, source, spec, synth, variant } from './helpers';

const staging = env('staging');
const { tf } = synth(staging);
const res = (t: { resource: Record<string, Record<string, any>> }, type: string): Record<string, any> => t.resource[type] ?? {};
const values = (r: any) => JSON.parse(r.values[0]);
const DOMAIN = 'staging.agent-platform.example.com';
const EDGE = 'agent-platform-edge';
const CHART = path.join(import.meta.dirname, '..', 'charts', 'platform-edge');
const PROXIES = {
  'app.kubernetes.io/name': 'envoy',
  'app.kubernetes.io/component': 'proxy',
  'app.kubernetes.io/managed-by': 'envoy-gateway',
  'gateway.envoyproxy.io/owning-gateway-name': 'edge',
  'gateway.envoyproxy.io/owning-gateway-namespace': EDGE,
};

const gatewayVariant = (edit: (gateway: any, input: any) => void) =>
  synth(prepare(variant('staging', (i) => edit(i.target.gateway, i)))).tf;

/** Every ingress rule of every policy whose sources include the given namespace. */
function rulesFrom(t: typeof tf, namespace: string) {
  return Object.entries(res(t, 'kubernetes_network_policy_v1')).flatMap(([name, p]) =>
    (p.spec.ingress ?? [])
      .filter((rule: any) => rule.from.some((f: any) => f.namespace_selector?.match_labels?.['kubernetes.io/metadata.name'] === namespace))
      .map((rule: any) => ({ name, namespace: p.metadata.namespace, selector: p.spec.pod_selector.match_labels, rule })),
  );
}

describe('releases, in order', () => {
  const releases = res(tf, 'helm_release');

  it('Envoy Gateway v1.9.0 from its OCI chart, with the Gateway API CRDs, in its own restricted namespace', () => {
    const eg = releases['operator_envoy-gateway'];
    expect(eg).toMatchObject({
      repository: 'oci://docker.io/envoyproxy',
      chart: 'gateway-helm',
      version: 'v1.9.0',
      namespace: 'envoy-gateway-system',
      wait: true,
    });
    expect(values(eg).crds).toEqual({ enabled: true });
    const ns = res(tf, 'kubernetes_namespace_v1')['namespace_envoy-gateway'];
    expect(ns.metadata.name).toBe('envoy-gateway-system');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(eg.depends_on).toContain('kubernetes_namespace_v1.namespace_envoy-gateway');
  });

  it('cert-manager v1.21.1 with its CRDs and Gateway API support, after Envoy Gateway (the CRDs it needs at start)', () => {
    const cm = releases['operator_cert-manager'];
    expect(cm).toMatchObject({
      repository: 'https://charts.jetstack.io',
      chart: 'cert-manager',
      version: 'v1.21.1',
      namespace: 'cert-manager',
      wait: true,
    });
    expect(values(cm)).toMatchObject({
      crds: { enabled: true, keep: true },
      config: { kind: 'ControllerConfiguration', gatewayAPI: { enabled: true } },
    });
    expect(cm.depends_on).toContain('helm_release.operator_envoy-gateway');
    expect(res(tf, 'kubernetes_namespace_v1')['namespace_cert-manager'].metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });

  it('pins the images of both by digest where one is known (every cert-manager image; the Envoy proxies)', () => {
    const digest = /^sha256:[0-9a-f]{64}$/;
    const cm = values(releases['operator_cert-manager']) as any;
    for (const image of [cm.image, cm.webhook.image, cm.cainjector.image, cm.acmesolver.image, cm.startupapicheck.image]) {
      expect(image.digest).toMatch(digest);
    }
    expect(
      new Set([cm.image, cm.webhook.image, cm.cainjector.image, cm.acmesolver.image, cm.startupapicheck.image].map((i) => i.digest)).size,
    ).toBe(5);
    const eg = values(releases['operator_envoy-gateway']) as any;
    expect(eg.global.images.envoyProxy.image).toMatch(/^docker\.io\/envoyproxy\/envoy:distroless-v1\.39\.0@sha256:[0-9a-f]{64}$/);
    // The controller's digest was not found: it stays on the chart's tag, and says so.
    expect(eg.deployment.envoyGateway.image).toBeUndefined();
    expect(EDGE_IMAGE_DIGESTS.envoyGatewayController).toBeUndefined();
  });

  it('the local platform-edge chart in the edge namespace, through an asset, after both controllers', () => {
    const edge = releases.platform_edge;
    expect(edge.namespace).toBe(EDGE);
    expect(edge.chart).toMatch(/^assets\/[^/]+\/[0-9A-F]{32}$/);
    expect(edge.repository).toBeUndefined();
    expect(edge.version).toBeUndefined();
    expect(edge.depends_on).toEqual(
      expect.arrayContaining([
        'helm_release.operator_envoy-gateway',
        'helm_release.operator_cert-manager',
        'kubernetes_namespace_v1.namespace_edge',
      ]),
    );
    // The ReferenceGrants go into the backends' namespaces: those exist first.
    expect(edge.depends_on).toContain('kubernetes_namespace_v1.namespace_data');
  });

  it('the edge namespace exists, restricted, with a default deny and DNS like every platform namespace', () => {
    const ns = res(tf, 'kubernetes_namespace_v1').namespace_edge;
    expect(ns.metadata.name).toBe(EDGE);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(res(tf, 'kubernetes_network_policy_v1')[`${EDGE}_default_deny`].spec.policy_types).toEqual(['Ingress', 'Egress']);
    expect(res(tf, 'kubernetes_network_policy_v1')[`${EDGE}_allow_dns`]).toBeDefined();
  });

  it('values carry names, hosts and ports only: no Terraform reference, so no generated secret', () => {
    expect(releases.platform_edge.values[0]).not.toContain('${');
  });
});

describe('hosts, routes and certificates (staging: Kibana and Grafana are the external ports on Kubernetes)', () => {
  const v = values(res(tf, 'helm_release').platform_edge);

  it('one route per external port: <service>.<domain> to the realization’s client Service and port', () => {
    // Kibana runs on ECK: its Service is kibana-kb-http, HTTPS with ECK's own CA.
    expect(v.routes).toEqual([
      {
        name: 'kibana',
        host: `kibana.${DOMAIN}`,
        service: 'kibana-kb-http',
        namespace: 'agent-platform-data',
        port: 5601,
        tls: { caSecret: 'kibana-kb-http-certs-public', hostname: 'kibana-kb-http.agent-platform-data.svc' },
      },
      // Roundcube, the webmail, as its own service.
      { name: 'webmail', host: `webmail.${DOMAIN}`, service: 'webmail', namespace: 'agent-platform-mail', port: 8000 },
      // Kong under api.<domain> (its port's externalHost): one edge, the Gateway, in front of it.
      { name: 'kong', host: `api.${DOMAIN}`, service: 'kong', namespace: EDGE, port: 8080 },
      // Grafana from kube-prometheus-stack (its Service `grafana`, plain HTTP inside the cluster), with its own login.
      { name: 'grafana', host: `grafana.${DOMAIN}`, service: 'grafana', namespace: 'agent-platform-monitoring', port: 3000 },
    ]);
  });

  it('a ReferenceGrant per backend namespace naming exactly the routed Services', () => {
    expect(v.referenceGrants).toEqual([
      { namespace: 'agent-platform-data', services: ['kibana-kb-http'] },
      { namespace: EDGE, services: ['kong'] },
      { namespace: 'agent-platform-mail', services: ['webmail'] },
      { namespace: 'agent-platform-monitoring', services: ['grafana'] },
    ]);
  });

  it('UIs that are not external stay internal (RabbitMQ management, the Neo4j browser)', () => {
    const ui = staging.specs.flatMap((s) =>
      s.containers.flatMap((c) => c.ports.filter((p) => p.purpose === 'ui').map((p) => `${s.name}:${p.port}`)),
    );
    expect(ui).toEqual(expect.arrayContaining(['rabbitmq:15672', 'neo4j:7474', 'kibana:5601']));
    expect(v.routes.map((r: any) => `${r.name}:${r.port}`)).toEqual(['kibana:5601', 'webmail:8000', 'kong:8080', 'grafana:3000']);
  });

  it('our GatewayClass for Envoy Gateway, and the Gateway whose certificates a private CA issues (staging: any cluster)', () => {
    expect(v.gatewayClass).toEqual({
      create: true,
      name: 'agent-platform',
      controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
    });
    // A self-signed root and the CA Issuer signing with it, both in the edge namespace.
    // The mail server's certificate comes from a private CA of its own namespace (no HTTP-01 challenge).
    expect(v.gateway).toEqual({ name: 'edge', issuer: { kind: 'Issuer', name: 'agent-platform-ca' }, challengeNamespaces: [] });
    expect(v.selfSigned).toEqual({ create: true, name: 'agent-platform-ca' });
    expect(v.acme.create).toBe(false);
    const template = fs.readFileSync(path.join(CHART, 'templates', 'selfsigned.yaml'), 'utf8');
    expect(template).toContain('selfSigned: {}');
    expect(template).toMatch(/isCA: true[\s\S]*issuerRef:[\s\S]*kind: Issuer\n\s+name: \{\{ \.Values\.selfSigned\.name \}\}-root/);
    expect(template).toMatch(/ca:\n\s+secretName: \{\{ \.Values\.selfSigned\.name \}\}/);
  });

  it('an ACME ClusterIssuer for a domain the team owns: the contact e-mail is optional', () => {
    const acme = (issuer: object) =>
      edgeValues({
        gateway: {
          domain: 'platform.acme-corp.io',
          issuer,
          implementation: { install: 'envoy-gateway' },
          installCertManager: true,
        } as GatewayFacts,
        prefix: 'agent-platform',
        exposed: [],
        labels: {},
      }) as any;
    const v2 = acme({ kind: 'acme', email: 'platform@acme-corp.io', server: 'https://acme-v02.api.letsencrypt.org/directory' });
    expect(v2.gateway).toEqual({ name: 'edge', issuer: { kind: 'ClusterIssuer', name: 'agent-platform-acme' }, challengeNamespaces: [] });
    expect(v2.acme).toEqual({
      create: true,
      name: 'agent-platform-acme',
      email: 'platform@acme-corp.io',
      server: 'https://acme-v02.api.letsencrypt.org/directory',
    });
    expect(v2.selfSigned.create).toBe(false);
    expect(acme({ kind: 'acme', server: 'https://acme-v02.api.letsencrypt.org/directory' }).acme.email).toBe('');
    expect(fs.readFileSync(path.join(CHART, 'templates', 'clusterissuer.yaml'), 'utf8')).toContain('{{- with .Values.acme.email }}');
  });

  it.each([
    [
      (i: any) => (i.target.gateway.issuer = { kind: 'acme', email: 'platform-team@example.com' }),
      'target.gateway.issuer.email',
      /reserved domain/,
    ],
    [
      (i: any) => (i.target.gateway.issuer = { kind: 'acme' }),
      'target.gateway.issuer.kind',
      /ACME cannot issue certificates for staging\.agent-platform\.example\.com/,
    ],
  ])('ACME with a reserved domain or contact is refused at synth (%#)', (edit, field, says) => {
    let message = '';
    try {
      prepare(variant('staging', edit));
    } catch (e) {
      message = String((e as Error).message);
    }
    expect(message).toMatch(new RegExp(`test/fixtures/staging\\.ts: ${field.replaceAll('.', '\\.')}: `));
    expect(message).toMatch(says);
  });

  it('several external services: a host each, grants grouped by namespace (Kibana and the MinIO console)', () => {
    const dev = prepare(variant('development', (i) => (i.services.objectstore = { engine: 'minio' })));
    const exposed = exposedPorts(dev.specs, 'example.org', (s) => ({ service: s.name, namespace: namespaceOf('p', s.concern) }));
    expect(exposed).toEqual([
      { service: 'minio', host: 'minio.example.org', backend: 'minio', namespace: 'p-data', port: 9001 },
      { service: 'kibana', host: 'kibana.example.org', backend: 'kibana', namespace: 'p-data', port: 5601 },
      { service: 'webmail', host: 'webmail.example.org', backend: 'webmail', namespace: 'p-mail', port: 8000 },
      { service: 'kong', host: 'api.example.org', backend: 'kong', namespace: 'p-edge', port: 8080 },
      { service: 'grafana', host: 'grafana.example.org', backend: 'grafana', namespace: 'p-monitoring', port: 3000 },
    ]);
    const gateway = staging.target.kind === 'kubernetes' ? (staging.target.gateway as GatewayFacts) : undefined;
    const ev = edgeValues({ gateway: gateway!, prefix: 'p', exposed, labels: {} }) as any;
    expect(ev.routes.map((r: any) => r.host)).toEqual([
      'minio.example.org',
      'kibana.example.org',
      'webmail.example.org',
      'api.example.org',
      'grafana.example.org',
    ]);
    expect(ev.referenceGrants).toEqual([
      { namespace: 'p-data', services: ['kibana', 'minio'] },
      { namespace: 'p-edge', services: ['kong'] },
      { namespace: 'p-mail', services: ['webmail'] },
      { namespace: 'p-monitoring', services: ['grafana'] },
    ]);
  });

  it('an external port must be one HTTP port per service', () => {
    const kibana = spec(staging, 'kibana');
    const twice: ServiceSpec = {
      ...kibana,
      containers: [
        {
          ...kibana.containers[0]!,
          ports: [
            ...kibana.containers[0]!.ports,
            { name: 'other', port: 5602, protocol: 'tcp', purpose: 'ui', appProtocol: 'http', external: true },
          ],
        },
      ],
    };
    expect(() => exposedPorts([twice], 'x.org', () => ({ service: 'kibana', namespace: 'd' }))).toThrow(
      /http, other are all external; one per service/,
    );
    const grpc: ServiceSpec = {
      ...kibana,
      containers: [{ ...kibana.containers[0]!, ports: [{ ...kibana.containers[0]!.ports[0]!, appProtocol: 'grpc' }] }],
    };
    expect(() => exposedPorts([grpc], 'x.org', () => ({ service: 'kibana', namespace: 'd' }))).toThrow(/must be HTTP over TCP/);
  });
});

describe('the chart', () => {
  const dir = path.join(import.meta.dirname, '..', 'charts', 'platform-edge');
  const templates = Object.fromEntries(
    fs.readdirSync(path.join(dir, 'templates')).map((f) => [f, fs.readFileSync(path.join(dir, 'templates', f), 'utf8')]),
  );
  const defaults = parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8'));

  it('every .Values path a template reads exists in values.yaml (a misspelt one would render empty)', () => {
    const paths = Object.values(templates).flatMap((t) => [...t.matchAll(/\$?\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!));
    expect(paths.length).toBeGreaterThan(15);
    for (const p of paths) {
      let node: any = defaults;
      for (const key of p.split('.')) {
        expect(node !== null && typeof node === 'object' && key in node, `.Values.${p}`).toBe(true);
        node = node[key];
      }
    }
  });

  it('TLS from cert-manager: the issuer annotation on the Gateway, a Terminate listener per host with its own Secret', () => {
    expect(templates['gateway.yaml']).toContain(
      'cert-manager.io/cluster-issuer: {{ required "gateway.issuer.name" .Values.gateway.issuer.name | quote }}',
    );
    expect(templates['gateway.yaml']).toContain(
      'cert-manager.io/issuer: {{ required "gateway.issuer.name" .Values.gateway.issuer.name | quote }}',
    );
    expect(templates['gateway.yaml']).toMatch(
      /protocol: HTTPS\s+port: 443\s+hostname: \{\{ \.host \| quote \}\}\s+tls:\s+mode: Terminate\s+certificateRefs:\s+- group: ""\s+kind: Secret\s+name: \{\{ \.name \}\}-tls/,
    );
  });

  it('a backend with its own CA gets a BackendTLSPolicy in its namespace: the proxies verify its Service name', () => {
    const t = templates['routes.yaml']!;
    expect(t).toMatch(
      /\{\{- if \.tls \}\}\n---[\s\S]*kind: BackendTLSPolicy\s+metadata:\s+name: edge-\{\{ \.name \}\}\s+namespace: \{\{ \.namespace \}\}/,
    );
    expect(t).toMatch(/targetRefs:\s+- group: ""\s+kind: Service\s+name: \{\{ \.service \}\}/);
    expect(t).toMatch(
      /caCertificateRefs:\s+- group: ""\s+kind: Secret\s+name: \{\{ \.tls\.caSecret \}\}\s+hostname: \{\{ \.tls\.hostname \| quote \}\}/,
    );
  });

  it('HTTP redirects to HTTPS; the ACME solver answers through the same `http` listener', () => {
    expect(templates['routes.yaml']).toMatch(
      /sectionName: http\n[\s\S]*type: RequestRedirect\s+requestRedirect:\s+scheme: https\s+statusCode: 301/,
    );
    expect(templates['clusterissuer.yaml']).toMatch(/http01:\s+gatewayHTTPRoute:\s+parentRefs:[\s\S]*sectionName: http/);
  });

  it('routes attach to their own listener and cross namespaces only through the grants', () => {
    expect(templates['routes.yaml']).toContain('sectionName: https-{{ .name }}');
    expect(templates['referencegrants.yaml']).toMatch(
      /kind: ReferenceGrant[\s\S]*from:\s+- group: gateway.networking.k8s.io\s+kind: HTTPRoute/,
    );
    expect(templates['gateway.yaml']!.match(/from: Same/g)).toHaveLength(2);
  });
});

describe('network policy: the proxies reach exactly the external ports', () => {
  it('from Envoy Gateway’s namespace, only our Gateway’s proxy pods, to Kibana, the webmail, Kong, Grafana and the ACME solver', () => {
    const rules = rulesFrom(tf, 'envoy-gateway-system');
    expect(rules.map((r) => `${r.namespace}/${r.name}`).sort()).toEqual([
      'agent-platform-data/kibana_ingress',
      `${EDGE}/acme-http01-solver_ingress`,
      `${EDGE}/kong_ingress`,
      'agent-platform-mail/webmail_ingress',
      'agent-platform-monitoring/grafana_ingress',
    ]);
    const grafana = rules.find((r) => r.name === 'grafana_ingress')!;
    expect(grafana.rule.ports).toEqual([{ port: '3000', protocol: 'TCP' }]);
    expect(grafana.selector).toEqual({ 'platform/monitoring': 'grafana' });
    for (const r of rules) {
      expect(r.rule.from).toEqual([
        {
          namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } },
          pod_selector: { match_labels: PROXIES },
        },
      ]);
    }
    const kibana = rules.find((r) => r.name === 'kibana_ingress')!;
    expect(kibana.rule.ports).toEqual([{ port: '5601', protocol: 'TCP' }]);
    // The pods ECK runs for Kibana, as its realization reports them.
    expect(kibana.selector).toEqual({ 'kibana.k8s.elastic.co/name': 'kibana' });
    expect(rules.find((r) => r.name === 'kong_ingress')!.rule.ports).toEqual([{ port: '8080', protocol: 'TCP' }]);
    expect(rules.find((r) => r.name === 'webmail_ingress')!.rule.ports).toEqual([{ port: '8000', protocol: 'TCP' }]);
    const solver = rules.find((r) => r.name === 'acme-http01-solver_ingress')!;
    expect(solver.rule.ports).toEqual([{ port: String(ACME_SOLVER_PORT), protocol: 'TCP' }]);
    expect(solver.selector).toEqual({ 'acme.cert-manager.io/http01-solver': 'true' });
  });

  it('connectivity refuses an external port the realization’s pods do not serve', () => {
    const kibana = spec(staging, 'kibana');
    const group: PodGroup = {
      id: 'kibana',
      service: 'kibana',
      namespace: 'd',
      labels: { a: 'b' },
      ports: [{ port: 9999, purpose: 'client', protocol: 'TCP' }],
      role: 'server',
    };
    const es: PodGroup = { ...group, id: 'elasticsearch', service: 'elasticsearch' };
    expect(() =>
      connections({
        specs: [kibana],
        groups: [group, es],
        scraper: { namespace: 'm', labels: {} },
        proxies: { namespace: 'p', labels: {} },
      }),
    ).toThrow(/do not serve external port 5601/);
    // Without a gateway there is no rule for the external port at all.
    expect(
      connections({ specs: [kibana], groups: [group, es], scraper: { namespace: 'm', labels: {} } }).filter(
        (c) => c.from.namespace === 'p',
      ),
    ).toEqual([]);
  });
});

describe('variants', () => {
  it('an existing ClusterIssuer: no ACME issuer is created, the Gateway names the existing one', () => {
    const t = gatewayVariant((g) => (g.issuer = { kind: 'ClusterIssuer', name: 'corp-ca' }));
    const v = values(res(t, 'helm_release').platform_edge);
    expect(v.gateway.issuer).toEqual({ kind: 'ClusterIssuer', name: 'corp-ca' });
    expect(v.acme.create).toBe(false);
  });

  it('an existing Issuer (in the edge namespace): it serves that namespace only, so the mail server cannot use it', () => {
    const t = gatewayVariant((g, i) => {
      g.issuer = { kind: 'Issuer', name: 'edge-ca' };
      delete i.services.mail;
    });
    const v = values(res(t, 'helm_release').platform_edge);
    expect(v.gateway.issuer).toEqual({ kind: 'Issuer', name: 'edge-ca' });
    expect(v.acme.create).toBe(false);
    expect(() => prepare(variant('staging', (i) => (i.target.gateway.issuer = { kind: 'Issuer', name: 'edge-ca' })))).toThrow(
      /target\.gateway\.issuer\.kind: an Issuer serves its own namespace only \(agent-platform-edge\), and mailserver runs in agent-platform-mail/,
    );
  });

  it('a Gateway API implementation the cluster runs: no Envoy Gateway, its class, its proxies admitted', () => {
    const t = gatewayVariant((g) => {
      g.implementation = {
        install: 'none',
        gatewayClass: 'cilium',
        proxies: { namespace: 'kube-system', podLabels: { 'k8s-app': 'cilium-envoy' } },
      };
    });
    const releases = res(t, 'helm_release');
    expect(releases['operator_envoy-gateway']).toBeUndefined();
    expect(releases['operator_cert-manager'].depends_on).toEqual(['kubernetes_namespace_v1.namespace_cert-manager']);
    expect(values(releases.platform_edge).gatewayClass).toMatchObject({ create: false, name: 'cilium' });
    const rules = rulesFrom(t, 'kube-system');
    expect(rules.map((r) => r.name).sort()).toEqual([
      'acme-http01-solver_ingress',
      'grafana_ingress',
      'kibana_ingress',
      'kong_ingress',
      'webmail_ingress',
    ]);
    expect(rules[0]!.rule.from[0].pod_selector).toEqual({ match_labels: { 'k8s-app': 'cilium-envoy' } });
    expect(rulesFrom(t, 'envoy-gateway-system')).toEqual([]);
  });

  it('the cluster’s own cert-manager: none installed, the edge waits for Envoy Gateway only', () => {
    const releases = res(
      gatewayVariant((g) => (g.installCertManager = false)),
      'helm_release',
    );
    expect(releases['operator_cert-manager']).toBeUndefined();
    expect(releases.platform_edge.depends_on).toContain('helm_release.operator_envoy-gateway');
    expect(releases.platform_edge.depends_on).not.toContain('helm_release.operator_cert-manager');
  });

  it('an implementation of our own choice must say where its proxies run', () => {
    expect(() =>
      prepare(variant('staging', (i) => (i.target.gateway.implementation = { install: 'none', gatewayClass: 'cilium' }))),
    ).toThrow(/target\.gateway\.implementation\.proxies/);
  });

  it('without target.gateway nothing is exposed: no controllers, no edge namespace, no route, no rule from outside', () => {
    // The mail server and Kong serve certificates cert-manager issues, which comes with the Gateway.
    expect(() => prepare(variant('staging', (i) => delete i.target.gateway))).toThrow(
      /services\.mail: mailserver serves TLS with a certificate cert-manager issues, which comes with the Gateway on this target: set target\.gateway/,
    );
    const t = synth(
      prepare(
        variant('staging', (i) => {
          delete i.target.gateway;
          delete i.services.mail;
          delete i.services.kong;
        }),
      ),
    ).tf;
    const releases = res(t, 'helm_release');
    expect(Object.keys(releases).filter((n) => /envoy|edge/.test(n))).toEqual([]);
    // cert-manager only for the Barman Cloud plugin's certificates (PostgreSQL's backups), without Gateway API support.
    expect(JSON.parse(releases['operator_cert-manager'].values[0]).config.gatewayAPI).toBeUndefined();
    expect(releases['operator_barman-cloud'].depends_on).toContain('helm_release.operator_cert-manager');
    expect(res(t, 'kubernetes_namespace_v1').namespace_edge).toBeUndefined();
    expect(Object.keys(res(t, 'kubernetes_network_policy_v1')).filter((n) => n.includes('edge') || n.includes('acme'))).toEqual([]);
    const kibana = res(t, 'kubernetes_network_policy_v1').kibana_ingress;
    const sources = kibana.spec.ingress.flatMap((r: any) =>
      r.from.map((f: any) => f.namespace_selector.match_labels['kubernetes.io/metadata.name']),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).toMatch(/^agent-platform-(data|monitoring)$/);
  });
});

describe('the synthesized output', () => {
  it('carries the chart next to the stack, and a second synthesis replaces it (assets are directories)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-synth-'));
    try {
      for (let i = 0; i < 2; i++) synthesize([source('staging')], out);
      const stack = path.join(out, 'stacks', 'staging');
      const json = JSON.parse(fs.readFileSync(path.join(stack, 'cdk.tf.json'), 'utf8'));
      const chart = path.join(stack, json.resource.helm_release.platform_edge.chart);
      expect(parse(fs.readFileSync(path.join(chart, 'Chart.yaml'), 'utf8')).name).toBe('platform-edge');
      expect(fs.existsSync(path.join(chart, 'templates', 'gateway.yaml'))).toBe(true);
      expect(fs.readdirSync(path.dirname(chart))).toHaveLength(1);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
