/**
 * Internal TLS (internalTls): on the Docker target an internal CA from the tls provider, a
 * certificate per service that serves TLS naming its addresses, the files in the containers that
 * need them, NATS and PostgreSQL configured to serve TLS and their clients (sidecars, applications'
 * facts) to verify it; the plaintext move kept visible; cluster targets refuse it. The servers' own
 * acceptance of these configurations is proven in `npm run verify` (scripts/verify/internal-tls.ts).
 */
import { describe, expect, it } from 'vitest';
import { tlsPaths } from '../constructs/services/common';
import { TLS_KEY_COPY } from '../constructs/services/postgres';
import { ConfigError } from '../environments/parse/load';
import { specViolations } from '../security/spec-rules';
import { guardrails, prepare } from '../stacks/pipeline';
import { env, spec, synth, variant } from './helpers';

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
    expect(exporter.tls).toEqual({ dir: '/etc/platform/tls' });
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

  it('each port kept in plaintext is a PLAT-NET-005 warning; none without the move', () => {
    const listed = specViolations(moving).filter((v) => v.rule === 'PLAT-NET-005');
    expect(listed.map((v) => v.resource).sort()).toEqual(
      moving.specs
        .filter((s) => s.tls?.plaintextPorts?.length)
        .map((s) => s.configPath)
        .sort(),
    );
    expect(listed.length).toBe(3);
    expect(specViolations(tlsOn).filter((v) => v.rule === 'PLAT-NET-005')).toEqual([]);
  });
});

describe('the Docker target issues the certificates', () => {
  it('an ECDSA P-256 CA with a subject, valid ten years; its certificate an output', () => {
    expect(r.tls_private_key['internal-ca']).toMatchObject({ algorithm: 'ECDSA', ecdsa_curve: 'P256' });
    const ca = r.tls_self_signed_cert['internal-ca'];
    expect(ca).toMatchObject({ is_ca_certificate: true, allowed_uses: ['cert_signing', 'crl_signing', 'digital_signature'] });
    expect(ca.subject[0].common_name).toMatch(/internal CA/);
    expect(tf.output.internal_ca.value).toBe('${tls_self_signed_cert.internal-ca.cert_pem}');
  });

  it('a certificate per service that serves TLS, naming its addresses on the network, localhost and 127.0.0.1', () => {
    const served = tlsOn.specs.filter((s) => s.tls).map((s) => s.name);
    expect(served.sort()).toEqual(['nats', 'postgres', 'redis']);
    for (const name of served) {
      const request = r.tls_cert_request[`${name}_tls`];
      expect(request.dns_names).toContain(name);
      expect(request.dns_names).toContain('localhost');
      expect(request.ip_addresses).toEqual(['127.0.0.1']);
      expect(r.tls_locally_signed_cert[`${name}_tls`]).toMatchObject({
        allowed_uses: ['digital_signature', 'key_encipherment', 'server_auth', 'client_auth'],
        early_renewal_hours: 720,
      });
    }
  });

  it('servers get the chain and their key (0440), clients the CA only', () => {
    const nats = uploads('nats');
    expect(nats[f.ca]).toMatchObject({ permissions: '0444', content: '${tls_self_signed_cert.internal-ca.cert_pem}' });
    expect(nats[f.cert].content).toBe('${tls_locally_signed_cert.nats_tls.cert_pem}${tls_self_signed_cert.internal-ca.cert_pem}');
    expect(nats[f.key]).toMatchObject({ permissions: '0440', content: '${tls_private_key.nats_tls.private_key_pem}' });
    const exporter = uploads('postgres_exporter');
    expect(Object.keys(exporter)).toContain(f.ca);
    expect(Object.keys(exporter)).not.toContain(f.key);
  });

  it('nothing of it without internalTls, and the guardrails pass with it', () => {
    expect(synth(env('development')).tf.resource.tls_private_key).toBeUndefined();
    expect(guardrails(tlsOn, synth(tlsOn).full).failing).toEqual([]);
  });

  it('a cluster target refuses it, naming the field', () => {
    expect(() => prepare(variant('staging', (i) => (i.internalTls = { enabled: true })))).toThrow(ConfigError);
    try {
      prepare(variant('staging', (i) => (i.internalTls = { enabled: true })));
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(['internalTls.enabled']);
    }
  });
});
