/**
 * Internal TLS (internalTls): on the Docker target an internal CA from the tls provider, a
 * certificate per service that serves TLS naming its addresses, the files in the containers that
 * need them, NATS and PostgreSQL configured to serve TLS and their clients (sidecars, applications'
 * facts) to verify it; the plaintext move kept visible; on cluster targets the same CA behind
 * cert-manager CA Issuers (below). The servers' own
 * acceptance of these configurations is proven in `npm run verify` (scripts/verify/internal-tls.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlsPaths } from '../constructs/services/common';
import { TLS_KEY_COPY } from '../constructs/services/postgres';
import { ES_TLS_DIR } from '../constructs/services/elasticsearch';
import { ROUNDCUBE_DB_TRUST } from '../constructs/services/mail';
import { INTER_NODE_TLS } from '../constructs/services/rabbitmq';
import { specViolations } from '../security/spec-rules';
import { guardrails, prepare } from '../stacks/pipeline';
import { env, spec, synth, variant } from './helpers';
import { evaluate, podOf } from './network-policy';

const tlsOn = prepare(variant('development', (i) => (i.internalTls = { enabled: true })));
const moving = prepare(variant('development', (i) => (i.internalTls = { enabled: true, plaintext: true })));
const tf = synth(tlsOn).tf as any;
const r = tf.resource;
const f = tlsPaths();
const fileOf = (e: typeof tlsOn, service: string, format: string) =>
  String(spec(e, service).containers[0]!.files.find((x) => x.format === format)!.content);
const uploads = (address: string) => Object.fromEntries(r.docker_container[address].upload.map((u: any) => [u.file, u]));

describe('the services with internal TLS', () => {
  it('NATS serves TLS on its client port with the CA, and asks no client certificate', () => {
    const conf = fileOf(tlsOn, 'nats', 'nats.conf');
    expect(conf).toContain(`tls {\n  cert_file: "${f.cert}"\n  key_file: "${f.key}"\n  ca_file: "${f.ca}"\n  timeout: 2\n}`);
    expect(conf).not.toMatch(/verify: true|allow_non_tls/);
    expect(fileOf(moving, 'nats', 'nats.conf')).toContain('allow_non_tls: true');
    // A renewed certificate reaches the running server: a loop beside it sends a reload when the file changes.
    const args = spec(tlsOn, 'nats').containers[0]!.args!.map(String);
    expect(args.slice(0, 2)).toEqual(['sh', '-c']);
    expect(args[2]).toContain(`cksum <${f.cert}`);
    expect(args[2]).toContain('nats-server --signal "reload=${$}"');
    expect(args[2]).toMatch(/& exec nats-server --config \S+$/);
    // Nothing the kubelet would expand or unescape ($(NAME), $$).
    expect(args[2]).not.toMatch(/\$\(|\$\$/);
    expect(spec(env('development'), 'nats').containers[0]!.args!.map(String)[0]).toBe('nats-server');
  });

  it('PostgreSQL: ssl on with the CA, every network line hostssl, the exporter verifying the name', () => {
    const pg = spec(tlsOn, 'postgres');
    const conf = fileOf(tlsOn, 'postgres', 'postgresql.conf');
    for (const line of ['ssl = on', `ssl_cert_file = '${f.cert}'`, `ssl_key_file = '${TLS_KEY_COPY}'`, `ssl_ca_file = '${f.ca}'`])
      expect(conf).toContain(line);
    const hba = fileOf(tlsOn, 'postgres', 'pg_hba.conf')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(hba.filter((l) => !l.startsWith('local')).every((l) => l.startsWith('hostssl '))).toBe(true);
    expect(fileOf(moving, 'postgres', 'pg_hba.conf')).toMatch(/^host +all +all +0\.0\.0\.0\/0/m);
    const exporter = pg.containers.find((c) => c.name !== 'main')!;
    expect(JSON.stringify(exporter.env.DATA_SOURCE_URI)).toContain(`sslmode=verify-full&sslrootcert=${f.ca}`);
    expect(exporter.trusts).toEqual([{ service: 'postgres', certificate: 'tls', path: f.ca }]);
    // The key is copied for the postgres user before the image's entrypoint runs as usual.
    expect((pg.containers[0]!.args ?? []).join(' ')).toMatch(
      /install -o postgres -g postgres -m 0600 .*tls\.key .*&& exec docker-entrypoint\.sh postgres -c/,
    );
  });

  it('Redis: TLS only on its client port, the health check and the exporter verifying the CA; plaintext during the move', () => {
    const conf = fileOf(tlsOn, 'redis', 'redis.conf');
    for (const line of [
      'port 0',
      'tls-port 6379',
      `tls-cert-file ${f.cert}`,
      `tls-key-file ${f.key}`,
      `tls-ca-cert-file ${f.ca}`,
      'tls-auth-clients no',
    ])
      expect(conf).toContain(line);
    const redis = spec(tlsOn, 'redis');
    expect(redis.containers[0]!.health.exec.join(' ')).toContain(`redis-cli --tls --cacert ${f.ca} ping`);
    const exporter = redis.containers.find((c) => c.name !== 'main')!;
    expect(JSON.stringify(exporter.env.REDIS_ADDR)).toContain('rediss://');
    expect(exporter.env.REDIS_EXPORTER_TLS_CA_CERT_FILE).toBe(f.ca);
    // A renewed certificate reaches the running server: CONFIG SET of the same tls-cert-file reloads it.
    const args = redis.containers[0]!.args!.map(String);
    expect(args.slice(0, 2)).toEqual(['sh', '-c']);
    expect(args[2]).toContain(`cksum <${f.cert}`);
    expect(args[2]).toContain(`CONFIG SET tls-cert-file ${f.cert}`);
    expect(args[2]).not.toMatch(/\$\(|\$\$/);
    expect(spec(moving, 'redis').containers[0]!.args!.map(String)[0]).toBe('redis-server');
    // Redis serves one port: while plaintext is kept it stays plaintext, and says so.
    expect(fileOf(moving, 'redis', 'redis.conf')).toMatch(/^port 6379$/m);
    expect(spec(moving, 'redis').tls).toMatchObject({ ports: [], plaintextPorts: ['client'] });
  });

  it("the applications' facts say TLS is required and against which CA", () => {
    const facts = (e: typeof tlsOn, s: string) => (spec(e, s).consumers ?? [])[0]!.facts;
    expect(facts(tlsOn, 'postgres').sslmode).toBe('verify-full');
    expect(JSON.stringify(facts(tlsOn, 'nats').url)).toContain('tls://');
    expect(facts(env('development'), 'postgres').sslmode).toBe('disable');
  });

  it('RabbitMQ: AMQP over TLS on 5671 only, the CA beside its certificate; applications told amqps; both listeners during the move', () => {
    const conf = fileOf(tlsOn, 'rabbitmq', 'rabbitmq.conf');
    for (const line of [
      'listeners.tcp = none',
      'listeners.ssl.default = 5671',
      `ssl_options.cacertfile = ${f.ca}`,
      `ssl_options.certfile = ${f.cert}`,
      `ssl_options.keyfile = ${f.key}`,
      'ssl_options.verify = verify_none',
    ])
      expect(conf).toContain(line);
    expect(conf).not.toMatch(/^listeners\.tcp\.default/m);
    const rabbit = spec(tlsOn, 'rabbitmq');
    expect(rabbit.containers[0]!.ports.map((p) => p.port)).toContain(5671);
    expect(rabbit.containers[0]!.ports.map((p) => p.port)).not.toContain(5672);
    expect(rabbit.containers[0]!.trusts).toEqual([{ service: 'rabbitmq', certificate: 'tls', path: f.ca }]);
    expect((rabbit.consumers ?? [])[0]).toMatchObject({ ports: ['amqps'], facts: { port: '5671' } });
    const moving5672 = fileOf(moving, 'rabbitmq', 'rabbitmq.conf');
    expect(moving5672).toContain('listeners.tcp.default = 5672');
    expect(moving5672).toContain('listeners.ssl.default = 5671');
    expect(spec(moving, 'rabbitmq').tls).toMatchObject({ ports: ['amqps'], plaintextPorts: ['amqp'] });
  });

  it('Elasticsearch: HTTPS with the certificate inside its config directory; health check, setup job, exporter, Kibana and applications verify the CA', () => {
    const es = spec(tlsOn, 'elasticsearch');
    const e = tlsPaths(ES_TLS_DIR);
    const conf = fileOf(tlsOn, 'elasticsearch', 'elasticsearch.yml');
    for (const line of [
      'xpack.security.http.ssl.enabled: true',
      `xpack.security.http.ssl.certificate: ${e.cert}`,
      `xpack.security.http.ssl.key: ${e.key}`,
      `xpack.security.http.ssl.certificate_authorities: [ "${e.ca}" ]`,
    ])
      expect(conf).toContain(line);
    expect(es.certificates).toEqual([expect.objectContaining({ internal: true, paths: { certificate: e.cert, key: e.key } })]);
    expect(es.containers[0]!.trusts).toEqual([{ service: 'elasticsearch', certificate: 'tls', path: e.ca }]);
    expect(es.containers[0]!.health.exec.join(' ')).toContain(`--cacert ${e.ca} "https://127.0.0.1:9200/`);
    const exporter = es.containers.find((c) => c.name !== 'main')!;
    expect(exporter.args).toContain(`--es.ca=${f.ca}`);
    expect(JSON.stringify(es.metrics?.params?.target)).toContain('https://');
    const setup = es.jobs.find((j) => j.name === 'setup-security')!;
    expect(setup.env.CURL_CA_BUNDLE).toBe(f.ca);
    expect(JSON.stringify(setup.env.ES_URL)).toContain('https://');
    expect(JSON.stringify((es.consumers ?? [])[0]?.facts.url)).toContain('https://');
    const kibanaUpload = Object.entries(uploads('kibana')).find(([file]) => file.endsWith('kibana.yml'))!;
    const kibana = String((kibanaUpload[1] as any).content);
    expect(kibana).toContain(`elasticsearch.ssl.certificateAuthorities: ["${f.ca}"]`);
    expect(kibana).toMatch(/elasticsearch\.hosts: \["https:\/\//);
    // One HTTP port: it stays HTTP while plaintext is kept, and says so.
    expect(fileOf(moving, 'elasticsearch', 'elasticsearch.yml')).toContain('xpack.security.http.ssl.enabled: false');
    expect(spec(moving, 'elasticsearch').tls).toMatchObject({ ports: [], plaintextPorts: ['http'] });
    // On Docker the node gets its certificate, key and CA in its config directory.
    const node = uploads('elasticsearch');
    expect(node[e.cert].content).toBe('${tls_locally_signed_cert.elasticsearch_tls.cert_pem}');
    expect(node[e.ca].content).toBe('${tls_self_signed_cert.internal_ca.cert_pem}');
  });

  it('each port kept in plaintext is a PLAT-NET-005 warning; none without the move', () => {
    const listed = specViolations(moving).filter((v) => v.rule === 'PLAT-NET-005');
    expect(listed.map((v) => v.resource).sort()).toEqual(
      moving.specs
        .filter((s) => s.tls?.plaintextPorts?.length)
        .map((s) => s.configPath)
        .sort(),
    );
    // NATS, PostgreSQL and RabbitMQ keep their plaintext listener; Redis and Elasticsearch (one port each) stay plaintext.
    expect(listed.length).toBe(5);
    expect(specViolations(tlsOn).filter((v) => v.rule === 'PLAT-NET-005')).toEqual([]);
  });
});

describe('the Docker target issues the certificates from its one internal CA', () => {
  it('one CA per environment: the mail stack, Kong and the data services are signed by the same key; its certificate is the ca_certificate output', () => {
    expect(Object.keys(r.tls_self_signed_cert)).toEqual(['internal_ca']);
    const signedBy = new Set(Object.values(r.tls_locally_signed_cert).map((c: any) => c.ca_private_key_pem));
    expect([...signedBy]).toEqual(['${tls_private_key.internal_ca.private_key_pem}']);
    expect(Object.keys(r.tls_locally_signed_cert)).toEqual(
      expect.arrayContaining(['mailserver_tls', 'nats_tls', 'postgres_tls', 'redis_tls']),
    );
    expect(tf.output.ca_certificate.value).toBe('${tls_self_signed_cert.internal_ca.cert_pem}');
    expect(tf.output.internal_ca).toBeUndefined();
  });

  it('a certificate per service that serves TLS, naming its address on the network, localhost and 127.0.0.1', () => {
    const served = tlsOn.specs.filter((s) => s.tls).map((s) => s.name);
    expect(served.sort()).toEqual(['elasticsearch', 'nats', 'postgres', 'rabbitmq', 'redis']);
    for (const name of served) {
      expect(spec(tlsOn, name).certificates).toEqual([expect.objectContaining({ name: 'tls', internal: true, container: 'main' })]);
      const request = r.tls_cert_request[`${name}_tls`];
      expect(request.dns_names).toContain(name);
      expect(request.dns_names).toContain('localhost');
      expect(request.ip_addresses).toEqual(['127.0.0.1']);
      expect(r.tls_locally_signed_cert[`${name}_tls`]).toMatchObject({
        allowed_uses: ['digital_signature', 'key_encipherment', 'server_auth'],
        early_renewal_hours: 720,
      });
    }
  });

  it('servers get their certificate, their key (0440) and the CA; clients the CA only', () => {
    const nats = uploads('nats');
    expect(nats[f.ca]).toMatchObject({ permissions: '0444', content: '${tls_self_signed_cert.internal_ca.cert_pem}' });
    expect(nats[f.cert].content).toBe('${tls_locally_signed_cert.nats_tls.cert_pem}');
    expect(nats[f.key]).toMatchObject({ permissions: '0440', content: '${tls_private_key.nats_tls.private_key_pem_pkcs8}' });
    const exporter = uploads('postgres_exporter');
    expect(Object.keys(exporter)).toContain(f.ca);
    expect(Object.keys(exporter)).not.toContain(f.key);
  });

  it('Roundcube gets the CA its configuration verifies PostgreSQL with (verify-full)', () => {
    expect(uploads('webmail')[ROUNDCUBE_DB_TRUST]).toMatchObject({
      permissions: '0444',
      content: '${tls_self_signed_cert.internal_ca.cert_pem}',
    });
    expect(spec(tlsOn, 'webmail').containers[0]!.trusts).toContainEqual({
      service: 'postgres',
      certificate: 'tls',
      path: ROUNDCUBE_DB_TRUST,
    });
  });

  it('with the public certificate from files, the data services are still issued by the internal CA (their names are internal)', () => {
    const files = prepare(
      variant('development', (i) => {
        i.internalTls = { enabled: true };
        (i.target as any).tls = { source: 'files', certificate: '~/tls/fullchain.pem', key: '~/tls/privkey.pem' };
      }),
    );
    const fr = (synth(files).tf as any).resource;
    expect(Object.keys(fr.tls_self_signed_cert)).toEqual(['internal_ca']);
    expect(Object.keys(fr.tls_locally_signed_cert).sort()).toEqual([
      'elasticsearch_tls',
      'nats_tls',
      'postgres_tls',
      'rabbitmq_tls',
      'redis_tls',
    ]);
    const mail = Object.fromEntries(fr.docker_container.mailserver.upload.map((u: any) => [u.file, u]));
    expect(JSON.stringify(mail)).toContain('fullchain.pem');
  });

  it("the backups' dump steps speak TLS to their servers and verify them against the CA", () => {
    const dump = (name: string) => spec(tlsOn, name).backup!.dump!;
    expect(dump('redis').command.join(' ')).toContain(`redis-cli -h "$REDIS_HOST" -p 6379 --tls --cacert ${f.ca} --rdb`);
    expect(dump('postgres').env).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: f.ca });
    expect(JSON.stringify(dump('nats').env.NATS_URL)).toContain('tls://');
    expect(dump('nats').env.NATS_CA_FILE).toBe(f.ca);
    for (const name of ['redis', 'postgres', 'nats']) {
      expect(dump(name).trusts).toEqual([{ service: name, certificate: 'tls', path: f.ca }]);
      // On Docker the scheduled backup container gets the CA.
      expect(uploads(`${name}_backup`)[f.ca]).toMatchObject({ content: '${tls_self_signed_cert.internal_ca.cert_pem}' });
    }
    const plain = env('development');
    expect(spec(plain, 'redis').backup!.dump!.command.join(' ')).not.toContain('--tls');
    expect(spec(plain, 'postgres').backup!.dump!.env.PGSSLMODE).toBeUndefined();
  });

  it('nothing of it without internalTls, and the guardrails pass with it', () => {
    const plain = synth(env('development')).tf.resource as any;
    expect(Object.keys(plain.tls_locally_signed_cert ?? {}).filter((k) => /^(nats|redis|postgres)_/.test(k))).toEqual([]);
    expect(guardrails(tlsOn, synth(tlsOn).full).failing).toEqual([]);
  });
});

/**
 * Cluster targets: the same CA (tls provider) behind cert-manager CA Issuers in the namespaces of
 * the servers, a Certificate per server naming the Services and members clients use, the Secret
 * mounted as a directory where the spec says, CloudNativePG given the certificate, and the
 * applications given the CA in their own namespace.
 */
describe('internal TLS on a cluster (staging, Kubernetes)', () => {
  const k8s = prepare(variant('staging', (i) => (i.internalTls = { enabled: true })));
  const k8sMoving = prepare(variant('staging', (i) => (i.internalTls = { enabled: true, plaintext: true })));
  const out = synth(k8s);
  const kr = (out.tf as any).resource;
  const values = JSON.parse(kr.helm_release.platform_certificates.values[0]);
  const certOf = (service: string) => values.certificates.find((c: any) => c.name === `${service}-tls`);
  const internalSpecs = k8s.specs.filter((x) => (x.certificates ?? []).some((c) => c.internal));
  const nsOf = (service: string) => certOf(service).namespace as string;
  const first = (x: any) => (Array.isArray(x) ? x[0] : x);
  const podSpec = (kind: string, name: string) => first(first(first(kr[kind][name].spec).template).spec);

  it('is accepted on a cluster target, and nothing is issued without it', () => {
    expect(internalSpecs.map((x) => x.name).sort()).toEqual(['elasticsearch', 'nats', 'postgres', 'rabbitmq', 'redis']);
    const plain = JSON.parse((synth(env('staging')).tf as any).resource.helm_release.platform_certificates.values[0]);
    expect(plain.certificates.filter((c: any) => c.ipAddresses.length > 0)).toEqual([]);
  });

  it('one internal CA: the tls provider key and certificate, a kubernetes.io/tls Secret beside each CA Issuer, the ca_certificate output', () => {
    expect(Object.keys(kr.tls_self_signed_cert)).toEqual(['internal_ca']);
    expect(kr.tls_self_signed_cert.internal_ca).toMatchObject({
      is_ca_certificate: true,
      allowed_uses: ['cert_signing', 'crl_signing', 'digital_signature'],
    });
    expect(kr.tls_private_key.internal_ca).toMatchObject({ algorithm: 'ECDSA', ecdsa_curve: 'P256' });
    // Every namespace with a certificate of the CA has its Issuer and the Secret it signs with.
    const signing = [
      ...new Set(values.certificates.filter((c: any) => c.issuer.name === 'platform-private-ca').map((c: any) => c.namespace)),
    ].sort();
    expect(values.privateCa).toEqual({ issuerName: 'platform-private-ca', secretName: 'platform-internal-ca', namespaces: signing });
    for (const ns of signing) {
      const secret = kr.kubernetes_secret_v1[`internal_ca_${ns}`];
      expect(secret.metadata).toMatchObject({ name: 'platform-internal-ca', namespace: ns });
      expect(secret.type).toBe('kubernetes.io/tls');
      expect(secret.data).toEqual({
        'tls.crt': '${tls_self_signed_cert.internal_ca.cert_pem}',
        'tls.key': '${tls_private_key.internal_ca.private_key_pem}',
      });
      expect(kr.helm_release.platform_certificates.depends_on).toContain(`kubernetes_secret_v1.internal_ca_${ns}`);
    }
    expect((out.tf as any).output.ca_certificate.value).toBe('${tls_self_signed_cert.internal_ca.cert_pem}');
  });

  it('a Certificate per server naming its Service, its members (headless) and its own pod (localhost, 127.0.0.1)', () => {
    for (const x of internalSpecs) {
      const c = certOf(x.name);
      const ns = nsOf(x.name);
      // The Service clients use: CloudNativePG's read-write one, ECK's HTTP one.
      const service = ({ postgres: 'postgres-rw', elasticsearch: 'elasticsearch-es-http' } as Record<string, string>)[x.name] ?? x.name;
      expect(c.issuer).toEqual({ kind: 'Issuer', name: 'platform-private-ca' });
      expect(c.dnsNames[0]).toBe(`${service}.${ns}.svc`);
      expect(c.dnsNames).toEqual(expect.arrayContaining([`${service}.${ns}.svc.cluster.local`, service, 'localhost']));
      expect(c.ipAddresses).toEqual(['127.0.0.1']);
      // A year, as on Docker.
      expect(c.duration).toBe('8760h');
      if (kr.kubernetes_stateful_set_v1?.[x.name])
        expect(c.dnsNames).toEqual(
          expect.arrayContaining([`*.${x.name}-headless.${ns}.svc`, `*.${x.name}-headless.${ns}.svc.cluster.local`]),
        );
    }
    // CloudNativePG's other Services, and the label it reloads a renewed certificate on.
    expect(certOf('postgres').dnsNames).toEqual(
      expect.arrayContaining([`postgres-r.${nsOf('postgres')}.svc`, `postgres-ro.${nsOf('postgres')}.svc`]),
    );
    expect(certOf('postgres').secretLabels).toEqual({ 'cnpg.io/reload': 'true' });
  });

  it('the servers mount their Secret as a directory where the spec says (tls.crt, tls.key, ca.crt), no subPath', () => {
    for (const name of ['nats', 'redis', 'rabbitmq']) {
      const pod = podSpec('kubernetes_stateful_set_v1', name);
      const volume = pod.volume.find((v: any) => v.secret?.secret_name === `${name}-tls` && v.name.startsWith('certificate-'));
      expect(volume.secret.items).toEqual([
        { key: 'tls.crt', path: 'tls.crt', mode: '0444' },
        { key: 'tls.key', path: 'tls.key', mode: '0440' },
        { key: 'ca.crt', path: 'ca.crt', mode: '0444' },
      ]);
      const main = pod.container.find((c: any) => c.name === 'main');
      const mounts = main.volume_mount.filter((m: any) => m.mount_path.startsWith(f.cert.slice(0, f.cert.lastIndexOf('/'))));
      expect(mounts).toEqual([{ name: volume.name, mount_path: '/etc/platform/tls', read_only: true }]);
      expect(kr.kubernetes_stateful_set_v1[name].depends_on).toContain('helm_release.platform_certificates');
    }
    // A sidecar that verifies the server mounts the CA alone.
    const redis = podSpec('kubernetes_stateful_set_v1', 'redis');
    const exporter = redis.container.find((c: any) => c.name !== 'main');
    const trust = redis.volume.find(
      (v: any) => v.name === exporter.volume_mount.find((m: any) => m.mount_path === '/etc/platform/tls').name,
    );
    expect(trust.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt', mode: '0444' }]);
  });

  it("CloudNativePG serves the internal CA's certificate and refuses connections without TLS; plaintext kept during the move", () => {
    const cluster = (e: typeof k8s) => JSON.parse((synth(e).tf as any).resource.helm_release.postgres_cluster.values[0]).cluster;
    expect(cluster(k8s).certificates).toEqual({ serverTLSSecret: 'postgres-tls', serverCASecret: 'postgres-tls' });
    const hba: string[] = cluster(k8s).postgresql.pg_hba;
    expect(hba.at(-1)).toBe('hostnossl all all all reject');
    expect(hba.slice(0, -1).every((l) => l.startsWith('hostssl '))).toBe(true);
    // While plaintext is kept: `host` lines, and no refusal of plaintext.
    expect(cluster(k8sMoving).postgresql.pg_hba.every((l: string) => l.startsWith('host '))).toBe(true);
    expect(cluster(env('staging')).certificates).toBeUndefined();
    expect(kr.helm_release.postgres_cluster.depends_on).toContain('helm_release.platform_certificates');
  });

  it("ECK serves HTTPS with the internal CA's certificate; its exporter verifies it through ECK's public Secret", () => {
    const values = JSON.parse(kr.helm_release.elasticsearch_eck.values[0]);
    expect(values.elasticsearch.httpCertificate).toBe('elasticsearch-tls');
    expect(kr.helm_release.elasticsearch_eck.depends_on).toContain('helm_release.platform_certificates');
    const plain = JSON.parse((synth(env('staging')).tf as any).resource.helm_release.elasticsearch_eck.values[0]);
    expect(plain.elasticsearch.httpCertificate).toBe('');
    const address = Object.keys(kr.kubernetes_deployment_v1).find((k) => k.startsWith('elasticsearch') && k.includes('exporter'))!;
    const helper = first(first(first(kr.kubernetes_deployment_v1[address].spec).template).spec);
    const args: string[] = helper.container[0].args;
    expect(args.filter((a) => a.startsWith('--es.ca='))).toEqual(['--es.ca=/etc/platform/ca/ca.crt']);
  });

  it("the applications get the CA in their own namespace and facts that say TLS (tls://, verify-full, rediss's tls, amqps on 5671)", () => {
    const maps = kr.kubernetes_config_map_v1;
    expect(k8s.consumers.length).toBeGreaterThan(0);
    for (const placement of k8s.consumers) {
      const endpoint = (component: string) => maps[`consumer_${placement.name}_${component}_endpoint`]?.data;
      // In the namespace the consumer's endpoints are published in.
      const ns = maps[`consumer_${placement.name}_nats_endpoint`].metadata.namespace;
      const ca = maps[`consumer_ca_${ns}`];
      expect(ca.metadata).toMatchObject({ name: 'internal-ca', namespace: ns });
      expect(ca.data).toEqual({ 'ca.crt': '${tls_self_signed_cert.internal_ca.cert_pem}' });
      for (const x of internalSpecs) {
        const data = endpoint(x.component);
        if (!data) continue;
        expect(data['ca-config-map'], x.name).toBe('internal-ca (key ca.crt)');
      }
      if (endpoint('nats')) expect(endpoint('nats').url).toMatch(/^tls:\/\//);
      if (endpoint('postgres')) expect(endpoint('postgres').sslmode).toBe('verify-full');
      if (endpoint('redis')) expect(endpoint('redis').tls).toMatch(/^required/);
      if (endpoint('rabbitmq')) expect(endpoint('rabbitmq').port).toBe('5671');
    }
  });

  it('Roundcube (mail namespace) verifies PostgreSQL (data namespace): the internal CA from ConfigMap internal-ca in its own namespace, read-only at ROUNDCUBE_DB_TRUST, dialling a name the server certificate carries', () => {
    const deployment = kr.kubernetes_deployment_v1.webmail;
    const ns = first(deployment.metadata).namespace as string;
    expect(ns).not.toBe(nsOf('postgres'));
    const pod = podSpec('kubernetes_deployment_v1', 'webmail');
    const main = pod.container.find((c: any) => c.name === 'main');
    const dir = ROUNDCUBE_DB_TRUST.slice(0, ROUNDCUBE_DB_TRUST.lastIndexOf('/'));
    const mounts = main.volume_mount.filter((m: any) => m.mount_path.startsWith(dir));
    expect(mounts).toHaveLength(1);
    expect(mounts[0]).toMatchObject({ mount_path: dir, read_only: true });
    const volume = pod.volume.find((v: any) => v.name === mounts[0].name);
    expect(volume.config_map).toEqual({
      name: 'internal-ca',
      default_mode: '0444',
      items: [{ key: 'ca.crt', path: ROUNDCUBE_DB_TRUST.slice(dir.length + 1), mode: '0444' }],
    });
    // The applications' CA ConfigMap, in the mail namespace: the environment's CA and labels; the pod waits for it.
    const map = kr.kubernetes_config_map_v1[`consumer_ca_${ns}`];
    expect(map.metadata).toMatchObject({ name: 'internal-ca', namespace: ns, labels: k8s.labels });
    expect(map.data).toEqual({ 'ca.crt': '${tls_self_signed_cert.internal_ca.cert_pem}' });
    expect(deployment.depends_on).toContain(`kubernetes_config_map_v1.consumer_ca_${ns}`);
    // No download step: the CA is in the stack.
    expect(pod.init_container).toBeUndefined();
    // verify-full checks the name Roundcube dials: the host of its DSN is one the PostgreSQL certificate names.
    const host = main.env.find((e: any) => e.name === 'ROUNDCUBEMAIL_DB_HOST').value as string;
    expect(host).toBe(`postgres-rw.${nsOf('postgres')}.svc`);
    expect(certOf('postgres').dnsNames).toContain(host);
    const php = kr.kubernetes_config_map_v1.webmail_config.data['var_roundcube_config_platform.php'] as string;
    expect(php).toContain(`if (is_readable('${ROUNDCUBE_DB_TRUST}')) {`);
    expect(php).toContain(`. '@${host}:5432/roundcube?sslmode=verify-full&sslrootcert=${ROUNDCUBE_DB_TRUST}';`);
    // Network policy: the same port as before (5432), and no new way out.
    const { canReach, platform } = evaluate(out);
    const webmail = podOf(platform.groups.find((g) => g.service === 'webmail' && g.role === 'server')!);
    const pg = podOf(platform.groups.find((g) => g.service === 'postgres' && g.role === 'server')!);
    expect(canReach(webmail, pg, 5432)).toBe(true);
    expect(canReach(webmail, { id: 'internet', namespace: '', labels: {}, ip: '198.51.100.7' }, 443)).toBe(false);
    // The same while plaintext is kept beside TLS (the server still serves TLS).
    const moving = first(first(first((synth(k8sMoving).tf as any).resource.kubernetes_deployment_v1.webmail.spec).template).spec);
    expect(moving.volume).toContainEqual(volume);
  });

  it('Roundcube without internal TLS: no CA for PostgreSQL, no internal-ca ConfigMap in the mail namespace', () => {
    const plain = (synth(env('staging')).tf as any).resource;
    const deployment = plain.kubernetes_deployment_v1.webmail;
    const ns = first(deployment.metadata).namespace as string;
    const pod = first(first(first(deployment.spec).template).spec);
    const dir = ROUNDCUBE_DB_TRUST.slice(0, ROUNDCUBE_DB_TRUST.lastIndexOf('/'));
    expect(pod.container[0].volume_mount.filter((m: any) => m.mount_path.startsWith(dir))).toEqual([]);
    expect(pod.volume.filter((v: any) => v.config_map?.name === 'internal-ca')).toEqual([]);
    expect(plain.kubernetes_config_map_v1[`consumer_ca_${ns}`]).toBeUndefined();
  });

  it("the backups' dump steps (CronJob init containers) mount the CA they verify the server with", () => {
    for (const name of ['nats', 'redis']) {
      const pod = first(first(first(first(first(kr.kubernetes_cron_job_v1[`${name}_backup`].spec).job_template).spec).template).spec);
      const dump = pod.init_container.find((c: any) => c.name === 'dump');
      const mount = dump.volume_mount.find((m: any) => m.mount_path === '/etc/platform/tls');
      const volume = pod.volume.find((v: any) => v.name === mount.name);
      expect(volume.secret).toMatchObject({ secret_name: `${name}-tls`, items: [{ key: 'ca.crt', path: 'ca.crt', mode: '0444' }] });
    }
  });

  it('a cluster without a Gateway: the platform installs cert-manager for the internal certificates (mail and Kong still need the Gateway)', () => {
    const bare = prepare(
      variant('staging', (i) => {
        delete i.target.gateway;
        delete i.services.mail;
        delete i.services.kong;
        i.internalTls = { enabled: true };
      }),
    );
    const br = (synth(bare).tf as any).resource;
    expect(Object.keys(br.helm_release)).toEqual(expect.arrayContaining(['operator_cert-manager', 'platform_certificates']));
    expect(br.helm_release.platform_certificates.depends_on).toContain('helm_release.operator_cert-manager');
    const planned = JSON.parse(br.helm_release.platform_certificates.values[0]).certificates.map((c: any) => c.name);
    expect(planned.sort()).toEqual(
      bare.specs
        .filter((x) => (x.certificates ?? []).some((c) => c.internal))
        .map((x) => `${x.name}-tls`)
        .sort(),
    );
    // A certificate with a public name still needs the Gateway's issuer.
    expect(() =>
      prepare(
        variant('staging', (i) => {
          delete i.target.gateway;
          delete i.services.kong;
          i.internalTls = { enabled: true };
        }),
      ),
    ).toThrow(/services\.mail|target\.gateway/);
  });

  it('consumers sharing a namespace share one internal-ca ConfigMap', () => {
    const shared = prepare(
      variant('staging', (i) => {
        i.internalTls = { enabled: true };
        i.consumers = [
          { name: 'orders', namespace: { name: 'shop', create: false } },
          { name: 'billing', namespace: { name: 'shop', create: false } },
        ];
      }),
    );
    const maps = (synth(shared).tf as any).resource.kubernetes_config_map_v1;
    const cas = Object.entries<any>(maps).filter(([, m]) => m.metadata.name === 'internal-ca');
    // The consumers' one, and Roundcube's in the mail namespace (it verifies PostgreSQL).
    const mail = first((synth(shared).tf as any).resource.kubernetes_deployment_v1.webmail.metadata).namespace;
    expect(cas.map(([address, m]) => [address, m.metadata.namespace])).toEqual([
      [`consumer_ca_${mail}`, mail],
      ['consumer_ca_shop', 'shop'],
    ]);
  });

  it('plaintext kept beside TLS on a cluster is a PLAT-NET-005 warning per port, and the guardrails pass', () => {
    const listed = specViolations(k8sMoving).filter((v) => v.rule === 'PLAT-NET-005');
    expect(listed.map((v) => v.resource).sort()).toEqual([
      'services.elasticsearch',
      'services.nats',
      'services.postgres',
      'services.rabbitmq',
      'services.redis',
    ]);
    expect(specViolations(k8s).filter((v) => v.rule === 'PLAT-NET-005')).toEqual([]);
    expect(guardrails(k8s, out.full).failing).toEqual([]);
  });

  describe('Redis with Sentinel (a replicated profile): TLS everywhere Redis speaks it', () => {
    const withSentinel = (plaintext: boolean) =>
      prepare(
        variant('staging', (i) => {
          i.internalTls = { enabled: true, ...(plaintext ? { plaintext: true } : {}) };
          i.services.redis = { ...(i.services.redis ?? {}), replicas: 3 };
        }),
      );
    const sentinelEnv = withSentinel(false);
    const redis = spec(sentinelEnv, 'redis');
    const main = redis.containers.find((c) => c.name === 'main')!;
    const sentinel = redis.containers.find((c) => c.name === 'sentinel')!;
    const exporter = redis.containers.find((c) => c.name !== 'main' && c.name !== 'sentinel')!;
    const file = (c: typeof main, format: string) => String(c.files.find((x) => x.format === format)!.content);
    const sr = (synth(sentinelEnv).tf as any).resource;
    const sentinelValues = JSON.parse(sr.helm_release.platform_certificates.values[0]);
    const redisPod = first(first(first(sr.kubernetes_stateful_set_v1.redis.spec).template).spec);
    const container = (name: string) => redisPod.container.find((c: any) => c.name === name);
    const mountedSecret = (name: string) => {
      const mount = container(name).volume_mount.find((m: any) => m.mount_path === f.cert.slice(0, f.cert.lastIndexOf('/')));
      return redisPod.volume.find((v: any) => v.name === mount.name).secret;
    };

    /** What a member's and a sentinel's configuration hold to serve TLS only on `port` and replicate over TLS. */
    const tlsOnly = (port: number) => [
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${f.cert}`,
      `tls-key-file ${f.key}`,
      `tls-ca-cert-file ${f.ca}`,
      'tls-replication yes',
      'tls-auth-clients no',
    ];

    it('the members serve TLS only and replicate over TLS, without client certificates', () => {
      const conf = file(main, 'redis.conf').split('\n');
      for (const line of tlsOnly(6379)) expect(conf).toContain(line);
      expect(conf).not.toContain('port 6379');
    });

    it('each sentinel serves TLS only and speaks TLS to the members and the other sentinels', () => {
      // A template (it names member 0): its literal lines, as the ConfigMap carries them.
      // With applications' sentinel users it is a secret file.
      const conf = [...Object.values<any>(sr.kubernetes_config_map_v1), ...Object.values<any>(sr.kubernetes_secret_v1)]
        .flatMap((m) => Object.values<string>(m.data ?? {}))
        .find((d) => d.includes('sentinel monitor'))!
        .split('\n');
      for (const line of tlsOnly(26379)) expect(conf).toContain(line);
      expect(conf).not.toContain('port 26379');
    });

    it('the member script, the health checks and the reload loops use TLS with the CA', () => {
      for (const c of [main, sentinel]) expect(c.env.REDIS_TLS_CA).toBe(f.ca);
      const checks = [main, sentinel].flatMap((c) => [...(c.health.exec ?? []), ...(c.health.member?.exec ?? [])].map(String));
      const cli = checks.filter((x) => x.includes('redis-cli'));
      expect(cli.length).toBe(4);
      for (const x of cli) expect(x).toContain(`redis-cli --tls --cacert ${f.ca}`);
      const mainArgs = main.args!.map(String);
      expect(mainArgs.slice(0, 2)).toEqual(['sh', '-c']);
      expect(mainArgs[2]).toContain('CONFIG SET tls-cert-file');
      expect(mainArgs[2]).toMatch(/& exec \/bin\/sh \S+redis-member\.sh server$/);
      const sentinelArgs = sentinel.args!.map(String);
      expect(sentinelArgs[2]).toContain(`cksum <${f.cert}`);
      expect(sentinelArgs[2]).toContain("SENTINEL CKQUORUM platform | grep -q '^OK' && kill -TERM ${$}");
      expect(sentinelArgs[2]).toMatch(/& exec \/bin\/sh \S+redis-member\.sh sentinel$/);
      for (const a of [mainArgs[2], sentinelArgs[2]]) expect(a).not.toMatch(/\$\(|\$\$/);
    });

    it('the member script asks the sentinels with TLS and the CA only when REDIS_TLS_CA is set (run with stand-in redis-cli/redis-server)', () => {
      const script = String(main.files.find((x) => x.format === 'shell')!.content);
      const dir = mkdtempSync(join(tmpdir(), 'redis-member-'));
      writeFileSync(join(dir, 'redis-member.sh'), script);
      writeFileSync(join(dir, 'auth.conf'), 'requirepass stand-in\n');
      // redis-cli records its arguments and names a primary; redis-server prints how it was started.
      writeFileSync(join(dir, 'redis-cli'), `#!/bin/sh\necho "$*" >>${dir}/cli.log\nprintf '10.0.0.9\\n6379\\n'\n`, { mode: 0o755 });
      writeFileSync(join(dir, 'redis-server'), '#!/bin/sh\necho "redis-server $*"\n', { mode: 0o755 });
      const run = (tlsCa?: string) => {
        rmSync(join(dir, 'cli.log'), { force: true });
        const out = execFileSync('sh', [join(dir, 'redis-member.sh'), 'server'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          env: {
            PATH: `${dir}:${process.env.PATH}`,
            REDIS_AUTH_FILE: join(dir, 'auth.conf'),
            REDIS_CONFIG: '/etc/redis.conf',
            REDIS_SELF: 'redis-1.x:6379',
            REDIS_FIRST_PRIMARY: 'redis-0.x:6379',
            SENTINELS: 'redis-0.x:26379 redis-1.x:26379',
            SENTINEL_SELF: 'redis-1.x:26379',
            MASTER_NAME: 'platform',
            ...(tlsCa ? { REDIS_TLS_CA: tlsCa } : {}),
          },
        });
        return { out, cli: readFileSync(join(dir, 'cli.log'), 'utf8') };
      };
      const secure = run(f.ca);
      expect(secure.cli).toBe(
        `--tls --cacert ${f.ca} --no-auth-warning -h redis-0.x -p 26379 --raw SENTINEL get-master-addr-by-name platform\n`,
      );
      expect(secure.out).toContain('--replicaof 10.0.0.9 6379');
      expect(run().cli).toBe('--no-auth-warning -h redis-0.x -p 26379 --raw SENTINEL get-master-addr-by-name platform\n');
      rmSync(dir, { recursive: true });
    });

    it('the exporter reaches the member and its sentinel over TLS, verifying the CA', () => {
      expect(JSON.stringify(exporter.env.REDIS_ADDR)).toContain('rediss://');
      expect(exporter.env.REDIS_EXPORTER_TLS_CA_CERT_FILE).toBe(f.ca);
      const auth = JSON.stringify(exporter.files.find((x) => x.format === 'json')!.content);
      expect(auth).not.toContain('redis://');
      expect(auth.match(/rediss:\/\//g)?.length).toBe(2);
      expect(JSON.stringify(redis.metrics?.also)).toContain('rediss://');
      expect(JSON.stringify(redis.metrics?.also)).not.toContain('"redis://');
    });

    it('the member and its sentinel each mount their own certificate (same names) with the CA', () => {
      expect(redis.certificates!.map((c) => [c.name, c.container, c.internal])).toEqual([
        ['tls', 'main', true],
        ['sentinel-tls', 'sentinel', true],
      ]);
      const certs = sentinelValues.certificates.filter((c: any) => c.name.startsWith('redis-'));
      expect(certs.map((c: any) => c.name).sort()).toEqual(['redis-sentinel-tls', 'redis-tls']);
      expect(certs[0].dnsNames).toEqual(certs[1].dnsNames);
      expect(certs[0].dnsNames).toEqual(expect.arrayContaining([expect.stringMatching(/^\*\.redis-headless\./)]));
      expect(mountedSecret('main')).toMatchObject({ secret_name: 'redis-tls' });
      expect(mountedSecret('sentinel')).toMatchObject({ secret_name: 'redis-sentinel-tls' });
      expect(mountedSecret('sentinel').items.map((i: any) => i.key)).toEqual(['tls.crt', 'tls.key', 'ca.crt']);
    });

    it('applications are told TLS on the members and the sentinels (same ports) and get the CA; the policies admit both ports', () => {
      const endpoints = Object.values<any>(sr.kubernetes_config_map_v1).filter(
        (m) => m.metadata.name === 'redis-endpoint' || String(m.metadata.name).includes('redis'),
      );
      const data = endpoints.map((m) => m.data).find((d) => d?.mode === 'sentinel');
      expect(data.tls).toMatch(/^required on the sentinels and the members/);
      expect(data['ca-config-map']).toBe('internal-ca (key ca.crt)');
      expect(data.sentinels).toMatch(/:26379/);
      for (const a of redis.consumers ?? []) expect(a.ports).toEqual(['client', 'sentinel']);
      const ingress = sr.kubernetes_network_policy_v1.redis_ingress.spec.ingress;
      const ports = new Set(ingress.flatMap((r: any) => (r.ports ?? []).map((p: any) => Number(p.port))));
      expect([...ports]).toEqual(expect.arrayContaining([6379, 26379]));
    });

    it('PLAT-NET-005 is quiet with TLS on, and lists both ports while plaintext is kept', () => {
      expect(redis.tls).toEqual(expect.objectContaining({ ports: ['client', 'sentinel'] }));
      expect(redis.tls?.plaintextPorts).toBeUndefined();
      expect(specViolations(sentinelEnv).filter((v) => v.rule === 'PLAT-NET-005')).toEqual([]);
      const moving = withSentinel(true);
      const plain = spec(moving, 'redis');
      expect(plain.certificates ?? []).toEqual([]);
      expect(plain.tls).toMatchObject({ ports: [], plaintextPorts: ['client', 'sentinel'] });
      expect(
        specViolations(moving)
          .filter((v) => v.rule === 'PLAT-NET-005' && v.resource === 'services.redis')
          .map((v) => v.resource),
      ).toEqual(['services.redis', 'services.redis']);
      expect(file(plain.containers[0]!, 'redis.conf')).toMatch(/^port 6379$/m);
      expect(plain.containers[0]!.env.REDIS_TLS_CA).toBeUndefined();
    });
  });
});

describe('clustered NATS (three members on a cluster): the routes over TLS', () => {
  const clustered = (internalTls: { enabled: true; plaintext?: true }) =>
    prepare(
      variant('staging', (i) => {
        i.internalTls = internalTls;
        i.services.nats = { ...(i.services.nats ?? {}), replicas: 3 } as typeof i.services.nats;
      }),
    );
  const on = clustered({ enabled: true });
  const moving = clustered({ enabled: true, plaintext: true });
  const nr = (synth(on).tf as any).resource;
  const conf = nr.kubernetes_config_map_v1.nats_config.data['etc_nats_nats-server.conf'] as string;
  const routes = nr.kubernetes_secret_v1.nats_secret.data['etc_nats_routes.conf'] as string;
  const values = JSON.parse(nr.helm_release.platform_certificates.values[0]);
  const cert = values.certificates.find((c: any) => c.name === 'nats-tls');
  const clusterBlock = (text: string) => text.slice(text.indexOf('cluster {'), text.indexOf('\n}\n', text.indexOf('cluster {')) + 2);
  /** A certificate name covers a host (one leftmost wildcard label, as TLS clients match). */
  const covers = (name: string, host: string) =>
    name.startsWith('*.') ? host.slice(host.indexOf('.') + 1) === name.slice(2) && host.indexOf('.') > 0 : name === host;

  it('each member presents its certificate on the routes and verifies the peer against the CA (no `verify`: nats-server requires it on routes)', () => {
    expect(spec(on, 'nats').replicas).toBe(3);
    const block = clusterBlock(conf);
    expect(block).toContain(
      `  tls {\n    cert_file: "${f.cert}"\n    key_file: "${f.key}"\n    ca_file: "${f.ca}"\n    timeout: 2\n  }\n}`,
    );
    expect(block).not.toMatch(/verify|insecure/);
    // The client port's TLS is still there, outside the cluster block.
    expect(conf.replace(block, '')).toContain(`tls {\n  cert_file: "${f.cert}"`);
    // Route authentication stays: the route user with its hash, the routes carrying the password.
    expect(block).toContain('include "routes.conf"');
    expect(routes).toContain('user: "route"');
    expect(routes).toContain('${random_password.nats_route-password.bcrypt_hash}');
  });

  it("applications' member list for failover says tls:// as their url does", () => {
    const nats = spec(on, 'nats');
    const servers = JSON.stringify([nats.connection?.servers, ...(nats.consumers ?? []).map((a) => a.facts.servers)]);
    expect(servers).toContain('tls://');
    expect(servers).not.toContain('nats://');
  });

  it("the certificate names every address the routes dial (each member's headless name) and is a client certificate too", () => {
    const hosts = [...routes.matchAll(/@([^:"]+):6222"/g)].map((m) => m[1]!);
    expect(hosts).toHaveLength(3);
    for (const host of hosts) {
      expect(host).toMatch(/^nats-\d\.nats-headless\./);
      expect(cert.dnsNames.some((n: string) => covers(n, host))).toBe(true);
    }
    expect(cert.usages).toEqual(['digital signature', 'key encipherment', 'server auth', 'client auth']);
    expect(spec(on, 'nats').certificates).toEqual([expect.objectContaining({ internal: true, peers: true })]);
    // The other servers' certificates stay server certificates.
    for (const c of values.certificates.filter((x: any) => x.name !== 'nats-tls'))
      expect(c.usages).toEqual(['digital signature', 'key encipherment', 'server auth']);
  });

  it('the spec says the route port speaks TLS; while plaintext is kept, the routes stay plaintext and PLAT-NET-005 says so', () => {
    expect(spec(on, 'nats').tls).toMatchObject({ ports: ['client', 'cluster'] });
    expect(spec(on, 'nats').tls?.plaintextPorts).toBeUndefined();
    expect(specViolations(on).filter((v) => v.rule === 'PLAT-NET-005')).toEqual([]);
    const plain = spec(moving, 'nats');
    expect(plain.tls).toMatchObject({ ports: ['client'], plaintextPorts: ['client', 'cluster'] });
    expect(plain.certificates).toEqual([expect.not.objectContaining({ peers: true })]);
    const listed = specViolations(moving).filter((v) => v.rule === 'PLAT-NET-005' && v.resource === 'services.nats');
    expect(listed.map((v) => v.message.match(/port (\w+)/)![1])).toEqual(['client', 'cluster']);
    const movingConf = String(plain.containers[0]!.files.find((x) => x.format === 'nats.conf')!.content);
    expect(clusterBlock(movingConf)).not.toContain('tls {');
    expect(movingConf).toContain('allow_non_tls: true');
  });

  it('one server (Docker, or a single member): no cluster block, a server certificate only', () => {
    const single = spec(tlsOn, 'nats');
    expect(single.replicas).toBe(1);
    expect(fileOf(tlsOn, 'nats', 'nats.conf')).not.toContain('cluster {');
    expect(single.certificates).toEqual([expect.not.objectContaining({ peers: true })]);
    expect(single.tls).toMatchObject({ ports: ['client'] });
    expect(r.tls_locally_signed_cert.nats_tls.allowed_uses).toEqual(['digital_signature', 'key_encipherment', 'server_auth']);
  });
});

describe('clustered RabbitMQ (three nodes on a cluster): the Erlang distribution over mutual TLS', () => {
  const clustered = (internalTls?: { enabled: true; plaintext?: true }) =>
    prepare(
      variant('staging', (i) => {
        if (internalTls) i.internalTls = internalTls;
        i.services.rabbitmq = { ...(i.services.rabbitmq ?? {}), replicas: 3 } as typeof i.services.rabbitmq;
      }),
    );
  const on = clustered({ enabled: true });
  const moving = clustered({ enabled: true, plaintext: true });
  const off = clustered();
  const resources = (e: typeof on) => (synth(e).tf as any).resource;
  const rr = resources(on);
  const main = (res: any) => res.kubernetes_stateful_set_v1.rabbitmq.spec.template.spec.container.find((c: any) => c.name === 'main');
  const envOf = (res: any) => Object.fromEntries(main(res).env.map((e: any) => [e.name, e.value]));
  const configOf = (res: any) => res.kubernetes_config_map_v1.rabbitmq_config.data as Record<string, string>;
  const cert = JSON.parse(rr.helm_release.platform_certificates.values[0]).certificates.find((c: any) => c.name === 'rabbitmq-tls');
  const flags = `-proto_dist inet_tls -ssl_dist_optfile ${INTER_NODE_TLS}`;
  const optfileKey = INTER_NODE_TLS.slice(1).replaceAll('/', '_');

  it("the node and its CLI tools get the distribution's TLS flags and the options file: both sides present the certificate and verify the peer's against the CA", () => {
    expect(spec(on, 'rabbitmq').replicas).toBe(3);
    expect(envOf(rr)).toMatchObject({ RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: flags, RABBITMQ_CTL_ERL_ARGS: flags });
    const side = (extra: string[]) => [
      `    {cacertfile, "${f.ca}"},`,
      `    {certfile, "${f.cert}"},`,
      `    {keyfile, "${f.key}"},`,
      '    {secure_renegotiate, true},',
      "    {versions, ['tlsv1.3', 'tlsv1.2']},",
      ...extra,
    ];
    const terms = configOf(rr)[optfileKey]!;
    expect(terms.split('\n').filter((l) => !l.startsWith('%%'))).toEqual([
      '[',
      '  {server, [',
      ...side(['    {verify, verify_peer},', '    {fail_if_no_peer_cert, true}']),
      '  ]},',
      '  {client, [',
      ...side(['    {verify, verify_peer}']),
      '  ]}',
      '].',
      '',
    ]);
    expect(terms).not.toMatch(/verify_none|server_name_indication|disable/);
    // Mounted where the flags point, from the config map (no secret in it).
    expect(main(rr).volume_mount).toContainEqual(expect.objectContaining({ mount_path: INTER_NODE_TLS, sub_path: optfileKey }));
    // The AMQP listener's TLS is unchanged: no client certificates there.
    expect(configOf(rr)['etc_rabbitmq_conf.d_20-platform.conf']).toContain('ssl_options.fail_if_no_peer_cert = false');
  });

  it('the health checks run the CLI tools with the container environment, which carries the TLS flags', () => {
    const c = main(rr);
    for (const probe of [c.liveness_probe, c.readiness_probe, c.startup_probe].filter(Boolean)) {
      const script = probe.exec.command.join(' ');
      expect(script).toContain('rabbitmq-diagnostics');
      // No probe overrides the flags: each CLI run reads RABBITMQ_CTL_ERL_ARGS from the container.
      expect(script).not.toContain('RABBITMQ_CTL_ERL_ARGS');
    }
    expect(envOf(rr).RABBITMQ_CTL_ERL_ARGS).toBe(flags);
  });

  it("the certificate names each node's host exactly (Erlang's check matches no wildcard) and is a client certificate too", () => {
    const nodename = envOf(rr).RABBITMQ_NODENAME as string;
    expect(nodename).toMatch(/^rabbit@\$\(POD_NAME\)\.rabbitmq-headless\./);
    for (let i = 0; i < 3; i++) {
      const host = nodename.replace('rabbit@', '').replace('$(POD_NAME)', `rabbitmq-${i}`);
      expect(cert.dnsNames).toContain(host);
    }
    expect(cert.usages).toEqual(['digital signature', 'key encipherment', 'server auth', 'client auth']);
    expect(spec(on, 'rabbitmq').certificates).toEqual([expect.objectContaining({ internal: true, peers: true })]);
  });

  it('the spec says the distribution port speaks TLS; while plaintext is kept, it stays plaintext and PLAT-NET-005 says so', () => {
    expect(spec(on, 'rabbitmq').tls).toMatchObject({ ports: ['amqps', 'dist'] });
    expect(spec(on, 'rabbitmq').tls?.plaintextPorts).toBeUndefined();
    expect(specViolations(on).filter((v) => v.rule === 'PLAT-NET-005')).toEqual([]);
    const plain = spec(moving, 'rabbitmq');
    expect(plain.tls).toMatchObject({ ports: ['amqps'], plaintextPorts: ['amqp', 'dist'] });
    expect(plain.certificates).toEqual([expect.not.objectContaining({ peers: true })]);
    const listed = specViolations(moving).filter((v) => v.rule === 'PLAT-NET-005' && v.resource === 'services.rabbitmq');
    expect(listed.map((v) => v.message.match(/port (\w+)/)![1])).toEqual(['amqp', 'dist']);
    const mr = resources(moving);
    expect(envOf(mr).RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).toBeUndefined();
    expect(envOf(mr).RABBITMQ_CTL_ERL_ARGS).toBeUndefined();
    expect(configOf(mr)[optfileKey]).toBeUndefined();
  });

  it('nothing of it without internal TLS, or on one node (Docker, or a single member)', () => {
    const or = resources(off);
    expect(envOf(or).RABBITMQ_CTL_ERL_ARGS).toBeUndefined();
    expect(envOf(or).RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).toBeUndefined();
    expect(configOf(or)[optfileKey]).toBeUndefined();
    const single = spec(tlsOn, 'rabbitmq');
    expect(single.replicas).toBe(1);
    expect(single.containers[0]!.env).toEqual({});
    expect(single.containers[0]!.files.map((x) => x.path)).not.toContain(INTER_NODE_TLS);
    expect(single.certificates).toEqual([expect.not.objectContaining({ peers: true })]);
    expect(single.tls).toMatchObject({ ports: ['amqps'] });
    expect(r.tls_locally_signed_cert.rabbitmq_tls.allowed_uses).toEqual(['digital_signature', 'key_encipherment', 'server_auth']);
  });
});

describe('internal TLS on AWS (production): the services it runs in the cluster', () => {
  const aws = prepare(variant('production', (i) => (i.internalTls = { enabled: true })));
  const out = synth(aws);
  const ar = (out.tf as any).resource;
  const values = JSON.parse(ar.helm_release.platform_certificates.values[0]);

  it('the in-cluster servers get certificates of the one internal CA; the managed services keep their own TLS', () => {
    const inCluster = values.certificates.filter((c: any) => c.ipAddresses.length > 0).map((c: any) => c.name.replace(/-tls$/, ''));
    expect(inCluster.length).toBeGreaterThan(0);
    for (const name of inCluster) expect(aws.specs.find((x) => x.name === name)?.tls?.ports.length, name).toBeGreaterThan(0);
    expect(Object.keys(ar.tls_self_signed_cert)).toEqual(['internal_ca']);
    expect(out.tf.provider).toHaveProperty('tls');
    // The applications' namespace gets the CA.
    const cas = Object.values<any>(ar.kubernetes_config_map_v1).filter((m) => m.metadata.name === 'internal-ca');
    expect(cas.map((m) => m.data)).toEqual([{ 'ca.crt': '${tls_self_signed_cert.internal_ca.cert_pem}' }]);
    expect(guardrails(aws, out.full).failing).toEqual([]);
    // Roundcube verifies RDS against its bundle, downloaded as its pod starts (not the internal CA).
    const webmail = ar.kubernetes_deployment_v1.webmail.spec.template.spec;
    expect(webmail.init_container.map((c: any) => c.name)).toEqual(['fetch-ca']);
    expect(webmail.volume.map((v: any) => v.name)).not.toContain('trust-0-1');
    expect(webmail.volume.filter((v: any) => v.config_map?.name === 'internal-ca')).toEqual([]);
  });

  it('PostgreSQL in the cluster instead of RDS: Roundcube verifies it against the internal CA of its own namespace, no download', () => {
    const own = prepare(
      variant('production', (i) => {
        i.internalTls = { enabled: true };
        i.target.managed.postgres = { mode: 'in-cluster' };
      }),
    );
    const res = (synth(own).tf as any).resource;
    const deployment = res.kubernetes_deployment_v1.webmail;
    const pod = deployment.spec.template.spec;
    expect(pod.init_container).toBeUndefined();
    const dir = ROUNDCUBE_DB_TRUST.slice(0, ROUNDCUBE_DB_TRUST.lastIndexOf('/'));
    const mount = pod.container[0].volume_mount.find((m: any) => m.mount_path === dir);
    expect(mount.read_only).toBe(true);
    expect(pod.volume.find((v: any) => v.name === mount.name).config_map.name).toBe('internal-ca');
    const ns = deployment.metadata.namespace;
    expect(res.kubernetes_config_map_v1[`consumer_ca_${ns}`].data).toEqual({ 'ca.crt': '${tls_self_signed_cert.internal_ca.cert_pem}' });
    const names = JSON.parse(res.helm_release.platform_certificates.values[0]).certificates.find(
      (c: any) => c.name === 'postgres-tls',
    ).dnsNames;
    expect(names).toContain(pod.container[0].env.find((e: any) => e.name === 'ROUNDCUBEMAIL_DB_HOST').value);
  });
});
