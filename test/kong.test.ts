/**
 * Kong (services.kong), the API gateway, on every target: its declarative configuration generated
 * from the catalogue (the APIs the other specs declare) and checked for its schema essentials, the
 * plugins, a key per application, DB-less and locked down; Docker (TLS on 8443 from the internal CA),
 * Kubernetes (behind the Gateway at api.<domain>: one edge) and AWS (the ALB with its ACM
 * certificate). Ollama, which has no authentication, is reached from outside its network through Kong
 * only: the network-policy evaluator proves only Kong and its declared clients reach it.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prepare } from '../stacks/pipeline';
import { API_KEY_HEADER, KONG_CONFIG, KONG_PLUGINS, apisOf } from '../constructs/services/kong';
import { renderText } from '../constructs/spec/template';
import type { Text } from '../constructs/spec/types';
import { scrapeJobs } from '../monitoring/scrape';
import { PLUGIN_FIELDS, kongConfigProblems } from '../scripts/verify/kong';
import { ConfigError } from '../environments/parse/load';
import { env, spec, synth, variant } from './helpers';
import { type Pod, evaluate, podOf } from './network-policy';

const dev = env('development');
const staging = env('staging');
const prod = env('production');
const kong = spec(staging, 'kong');
const main = kong.containers[0]!;
const literal = (t: Text) =>
  renderText(t, {
    literal: (x) => x,
    secret: (r) => `key-of-${r.name}`,
    host: (r) => `${r.service}.svc`,
    self: () => 'SELF',
    peer: (r) => r.service,
    member: () => 'MEMBER',
  });
const declarative = (e = staging) => parse(literal(spec(e, 'kong').containers[0]!.files.find((f) => f.path === KONG_CONFIG)!.content));
const doc = declarative();

describe('the declarative configuration, from the catalogue', () => {
  it('_format_version 3.0; one service and one route per API the other specs declare (Ollama’s)', () => {
    expect(doc._format_version).toBe('3.0');
    const apis = apisOf(staging.specs);
    expect(apis.map((a) => [a.name, a.service, a.port])).toEqual([['ollama', 'ollama', 11434]]);
    expect(doc.services.map((s: any) => [s.name, s.url, s.routes.map((r: any) => r.paths)])).toEqual([
      ['ollama', 'http://ollama.svc:11434', [['/ollama']]],
    ]);
    // Streaming answers pass on as they come; the API's own path after the prefix.
    expect(doc.services[0].routes[0]).toMatchObject({ strip_path: true, response_buffering: false, protocols: ['http', 'https'] });
    expect(doc.services[0].read_timeout).toBe(300000);
    expect(kong.dependsOn).toEqual(['ollama']);
  });

  it('schema essentials: every route points to a declared service, no name or path used twice, only loaded plugins with their fields', () => {
    expect(kongConfigProblems(doc)).toEqual([]);
    // The check refuses what Kong would refuse or misroute (its broken variants).
    const broken = (edit: (d: any) => void) => {
      const d = structuredClone(doc);
      edit(d);
      return kongConfigProblems(d);
    };
    expect(broken((d) => d.services[0].routes.push({ ...d.services[0].routes[0], name: 'again' }))).toEqual(['path /ollama is used twice']);
    expect(broken((d) => d.services.push({ ...d.services[0], routes: [] }))).toEqual(['service name ollama is used twice']);
    expect(broken((d) => (d.routes = [{ name: 'stray', paths: ['/x'], service: 'nowhere' }]))).toEqual([
      'route stray points to service nowhere, which is not declared',
    ]);
    expect(broken((d) => (d.services[0].plugins[0].config.key_in_query = true))).toEqual([
      'service ollama: key-auth reads keys from the query string',
    ]);
    expect(broken((d) => (d.services[0].plugins[2].config.policy = 'cluster'))).toEqual([
      'service ollama: rate-limiting policy cluster needs a database',
    ]);
    expect(broken((d) => (d.services[0].plugins[1].config.allowed = ['x']))).toEqual(['service ollama: acl has no field allowed']);
    expect(broken((d) => (d._format_version = '4.0'))).toEqual(['_format_version is 4.0']);
  });

  it('plugins: key-auth (a header, never the query, hidden from the API), an ACL per API, rate and size limits, CORS; Prometheus globally', () => {
    const plugins = doc.services[0].plugins;
    expect(plugins.map((p: any) => p.name)).toEqual(['key-auth', 'acl', 'rate-limiting', 'request-size-limiting', 'cors']);
    expect(plugins[0].config).toMatchObject({
      key_names: [API_KEY_HEADER],
      key_in_header: true,
      key_in_query: false,
      key_in_body: false,
      hide_credentials: true,
    });
    expect(plugins[1].config).toEqual({ allow: ['ollama'], hide_groups_header: true });
    expect(plugins[2].config).toMatchObject({ minute: 600, limit_by: 'consumer', policy: 'local' });
    expect(plugins[3].config).toEqual({ allowed_payload_size: 16384, size_unit: 'kilobytes', require_content_length: false });
    expect(plugins[4].config).toMatchObject({ origins: ['*'], credentials: false });
    expect(doc.plugins).toEqual([
      {
        name: 'prometheus',
        config: {
          per_consumer: true,
          status_code_metrics: true,
          latency_metrics: true,
          bandwidth_metrics: true,
          upstream_health_metrics: true,
        },
      },
    ]);
    for (const p of [...plugins, ...doc.plugins]) {
      expect(KONG_PLUGINS).toContain(p.name);
      for (const k of Object.keys(p.config)) expect(PLUGIN_FIELDS[p.name], `${p.name}.${k}`).toContain(k);
    }
  });

  it('a Kong consumer per application, with its generated key and the APIs it asked for (every one by default)', () => {
    expect(doc.consumers).toEqual([
      {
        username: 'apps',
        custom_id: 'apps',
        tags: ['platform'],
        keyauth_credentials: [{ key: 'key-of-consumer-apps-key', tags: ['platform'] }],
        acls: [{ group: 'ollama', tags: ['platform'] }],
      },
    ]);
    expect(kong.secrets).toEqual([expect.objectContaining({ name: 'consumer-apps-key', length: 40, audience: 'application' })]);
    // Kong OSS cannot take key-auth keys from a vault: the file holds them, so it is a secret file.
    expect(main.files.find((f) => f.path === KONG_CONFIG)!.mode).toBe(0o440);
  });

  it('what an application receives: the gateway URL, the API paths, the header, and its key', () => {
    const access = kong.consumers!.find((a) => a.consumer === 'apps')!;
    expect(access.ports).toEqual(['proxy']);
    expect(literal(access.facts.url!)).toBe('http://kong.svc:8080');
    expect(access.facts).toMatchObject({ apis: '/ollama', header: API_KEY_HEADER });
    expect(literal(access.credentials.apikey!)).toBe('key-of-consumer-apps-key');
  });

  it('an application asking for an API no service serves is refused; one asking for none but Ollama directly is its declared client', () => {
    let message = '';
    try {
      prepare(variant('staging', (i) => (i.consumers = [{ name: 'lab', services: { kong: { apis: ['search'] } } }])));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      message = e.message;
    }
    expect(message).toMatch(/consumers: consumer lab asks Kong for API "search", which no enabled service serves \(ollama\)/);
  });
});

describe('the Kong container', () => {
  it('Kong OSS 3.9.3, DB-less, the Admin API and Kong Manager off, only its plugins loaded, no version headers', () => {
    expect(main.image).toEqual({ repository: 'kong', tag: '3.9.3' });
    expect(main.env).toMatchObject({
      KONG_DATABASE: 'off',
      KONG_DECLARATIVE_CONFIG: KONG_CONFIG,
      KONG_ADMIN_LISTEN: 'off',
      KONG_ADMIN_GUI_LISTEN: 'off',
      KONG_STATUS_LISTEN: '0.0.0.0:8100',
      KONG_PLUGINS: KONG_PLUGINS.join(','),
      KONG_ANONYMOUS_REPORTS: 'off',
      KONG_HEADERS: 'off',
      KONG_PROXY_LISTEN: '0.0.0.0:8080, 0.0.0.0:8443 ssl http2',
    });
    // The key's PEM through the entrypoint's file_env, never in the environment.
    expect(main.env.KONG_SSL_CERT_KEY_FILE).toBe(kong.certificates![0]!.paths.key);
    expect(main.env.KONG_SSL_CERT_KEY).toBeUndefined();
  });

  it('non-root (1000), read-only root with /tmp (its prefix) as scratch, `kong health` and the status API as probes, metrics there', () => {
    expect(main.user).toBe('1000:1000');
    expect(main.scratchPaths).toEqual(['/tmp']);
    expect(main.env.KONG_PREFIX).toBe('/tmp/kong');
    expect(main.health.exec).toEqual(['kong', 'health']);
    expect(main.health.http).toEqual({ port: 8100, path: '/status/ready' });
    expect(kong.metrics).toMatchObject({ container: 'main', port: 8100, path: '/metrics', source: 'native', auth: { kind: 'none' } });
    expect(main.ports.find((p) => p.name === 'status')!.purpose).toBe('metrics');
    expect(kong.scaling).toEqual({ kind: 'autoscaled', max: 6, cpuUtilization: 70 });
  });

  it("joins the monitoring stack's scrape jobs like every service (its status listener's /metrics)", () => {
    const jobs = scrapeJobs(staging.specs, {
      address: (s, _c, port) => `${s.name}:${port}`,
      text: (_s, v) => String(v),
      secretFile: (s, n) => `/s/${s}-${n}`,
      volumeFile: (s, v, p) => `/v/${s}/${v}/${p}`,
    });
    expect(jobs.find((j) => j.job_name === 'kong')).toMatchObject({
      metrics_path: '/metrics',
      static_configs: [expect.objectContaining({ targets: ['kong:8100'] })],
    });
    // Its signals (the generic alerts read them: HighErrorRate covers the gateway), from the Prometheus
    // plugin's names at the pinned release, which needs status code metrics on for them.
    expect(kong.metrics!.names).toEqual({ name: 'kong', version: '3.9.3' });
    expect(kong.metrics!.signals.map((x) => x.record)).toEqual([
      'platform:service_up',
      'platform:requests:rate5m',
      'platform:request_errors:rate5m',
    ]);
    expect(
      kong.metrics!.signals.filter((x) => x.record !== 'platform:service_up').every((x) => x.expr.includes('kong_http_requests_total')),
    ).toBe(true);
    expect(doc.plugins.find((x: any) => x.name === 'prometheus').config).toMatchObject({ status_code_metrics: true });
  });
});

describe('Ollama is reached from outside its network through Kong only', () => {
  it('applications get Kong by default, not Ollama (it has no authentication)', () => {
    expect(spec(staging, 'ollama').consumers ?? []).toEqual([]);
    expect(kong.consumers!.map((a) => a.consumer)).toEqual(['apps']);
  });

  it('network policy, evaluated: Ollama’s port admits Kong and its declared clients, nothing else', () => {
    const declared = prepare(
      variant('staging', (i) => {
        i.consumers = [{ name: 'apps' }, { name: 'lab', services: { ollama: {} } }];
      }),
    );
    for (const e of [staging, declared]) {
      const { canReach, platform } = evaluate(synth(e));
      const ollama = podOf(platform.groups.find((g) => g.service === 'ollama' && g.role === 'server')!);
      const kongPod = podOf(platform.groups.find((g) => g.service === 'kong' && g.role === 'server')!);
      expect(canReach(kongPod, ollama, 11434)).toBe(true);
      // Every other pod the platform runs, and every application, only where it named Ollama.
      for (const g of platform.groups.filter((x) => x.service !== 'ollama' && x.service !== 'kong'))
        expect(canReach(podOf(g), ollama, 11434), g.id).toBe(false);
      const clients = new Set((spec(e, 'ollama').consumers ?? []).map((a) => a.consumer));
      for (const r of platform.consumers.filter((x, i, all) => all.findIndex((y) => y.consumer.name === x.consumer.name) === i)) {
        const app: Pod = { id: r.consumer.name, namespace: r.consumer.namespace, labels: { ...r.consumer.podLabels } };
        expect(canReach(app, ollama, 11434), r.consumer.name).toBe(clients.has(r.consumer.name));
        // Kong's proxy port: the applications that use Kong.
        expect(canReach(app, kongPod, 8080), r.consumer.name).toBe(
          (spec(e, 'kong').consumers ?? []).some((a) => a.consumer === r.consumer.name),
        );
      }
      const stranger: Pod = { id: 'stranger', namespace: 'default', labels: {} };
      expect(canReach(stranger, ollama, 11434)).toBe(false);
      expect(canReach(stranger, kongPod, 8080)).toBe(false);
    }
    expect([...(spec(declared, 'ollama').consumers ?? [])].map((a) => a.consumer)).toEqual(['lab']);
  });
});

describe('Kong on every target', () => {
  it('Docker: TLS on 8443 from the internal CA, both listeners on 127.0.0.1 (+11000), the key file readable through the root group', () => {
    const tf = synth(dev).tf;
    const c = tf.resource.docker_container!.kong;
    expect(c.ports.map((p: any) => `${p.external}->${p.internal}`)).toEqual(['19080->8080', '19443->8443']);
    expect(c.upload.find((u: any) => u.file === '/etc/kong/tls/tls.key')).toMatchObject({
      permissions: '0440',
      content: '${tls_private_key.kong_tls.private_key_pem_pkcs8}',
    });
    expect(c.group_add).toEqual(['0']);
    expect(c.user).toBe('1000:1000');
    expect(tf.resource.tls_cert_request!.kong_tls.dns_names).toEqual(['kong', 'localhost']);
    expect(tf.resource.tls_cert_request!.kong_tls.ip_addresses).toEqual(['127.0.0.1']);
  });

  it('Kubernetes: behind the Gateway at api.<domain> (one edge: no Service of its own from outside), autoscaled, its certificate from the private CA', () => {
    const r = synth(staging).tf.resource;
    expect(r.kubernetes_service_v1!.kong_service.spec.type).toBe('ClusterIP');
    expect(
      Object.values<any>(r.kubernetes_service_v1!)
        .filter((s) => s.spec.type === 'LoadBalancer')
        .map((s) => s.metadata.name),
    ).toEqual(['mailserver-public']);
    const route = JSON.parse(r.helm_release!.platform_edge.values[0]).routes.find((x: any) => x.name === 'kong');
    expect(route).toEqual({
      name: 'kong',
      host: 'api.staging.agent-platform.example.com',
      service: 'kong',
      namespace: 'agent-platform-edge',
      port: 8080,
    });
    expect(r.kubernetes_horizontal_pod_autoscaler_v2!.kong_hpa.spec).toMatchObject({ min_replicas: 2, max_replicas: 6 });
    const certs = JSON.parse(r.helm_release!.platform_certificates.values[0]).certificates;
    expect(certs.find((c: any) => c.name === 'kong-tls')).toMatchObject({
      dnsNames: ['kong.agent-platform-edge.svc', 'kong'],
      issuer: { kind: 'Issuer', name: 'platform-private-ca' },
    });
    // The declarative file is in the Secret, never a ConfigMap.
    expect(Object.keys(r.kubernetes_secret_v1!.kong_secret.data)).toEqual(['etc_kong_kong.yml']);
    expect(r.kubernetes_config_map_v1!.kong_config).toBeUndefined();
  });

  it('AWS: behind the ALB with its ACM certificate (TLS 1.2+), api.<domain> to Kong’s node port, which the VPC alone reaches', () => {
    const r = synth(prod).tf.resource;
    expect(r.aws_acm_certificate!.edge).toMatchObject({
      domain_name: 'kibana.agent-platform.example.com',
      subject_alternative_names: expect.arrayContaining(['webmail.agent-platform.example.com', 'api.agent-platform.example.com']),
      validation_method: 'DNS',
    });
    expect(r.aws_lb_listener!.edge_https).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificate_arn: '${aws_acm_certificate_validation.edge.certificate_arn}',
    });
    expect(r.aws_lb_listener!.edge_http.default_action[0]).toMatchObject({
      type: 'redirect',
      redirect: { protocol: 'HTTPS', status_code: 'HTTP_301' },
    });
    expect(r.aws_lb_listener_rule!.edge_kong).toMatchObject({
      condition: [{ host_header: { values: ['api.agent-platform.example.com'] } }],
      action: [{ type: 'forward', target_group_arn: '${aws_lb_target_group.edge_web_kong.arn}' }],
    });
    expect(r.aws_lb_target_group!.edge_web_kong).toMatchObject({ port: 31080, protocol: 'HTTP', target_type: 'instance' });
    expect(r.kubernetes_service_v1!.kong_edge.spec).toMatchObject({
      type: 'NodePort',
      port: [expect.objectContaining({ port: 8080, node_port: 31080 })],
    });
    expect(r.aws_route53_record!.edge_kong).toMatchObject({ name: 'api.agent-platform.example.com', type: 'A' });
    const { canReach, platform } = evaluate(synth(prod));
    const kongPod = podOf(platform.groups.find((g) => g.service === 'kong' && g.role === 'server')!);
    expect(canReach({ id: 'a node', namespace: '', labels: {}, ip: '10.40.1.9' }, kongPod, 8080)).toBe(true);
    expect(canReach({ id: 'internet', namespace: '', labels: {}, ip: '198.51.100.7' }, kongPod, 8080)).toBe(false);
    // Every route its own node port, where ports end alike too (Grafana's 3000, Roundcube's 8000).
    const nodePorts = Object.values<any>(r.aws_lb_target_group!)
      .filter((g) => g.target_type === 'instance' && g.protocol !== 'TCP')
      .map((g) => g.port);
    expect(nodePorts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(nodePorts).size).toBe(nodePorts.length);
  });
});
