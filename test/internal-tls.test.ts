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
    expect(served.sort()).toEqual(['nats', 'postgres', 'redis']);
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

  it('with the public certificate from files, the data services are still issued by the internal CA (their names are internal)', () => {
    const files = prepare(
      variant('development', (i) => {
        i.internalTls = { enabled: true };
        (i.target as any).tls = { source: 'files', certificate: '~/tls/fullchain.pem', key: '~/tls/privkey.pem' };
      }),
    );
    const fr = (synth(files).tf as any).resource;
    expect(Object.keys(fr.tls_self_signed_cert)).toEqual(['internal_ca']);
    expect(Object.keys(fr.tls_locally_signed_cert).sort()).toEqual(['nats_tls', 'postgres_tls', 'redis_tls']);
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

  it('a cluster target refuses it, naming the field', () => {
    expect(() => prepare(variant('staging', (i) => (i.internalTls = { enabled: true })))).toThrow(ConfigError);
    try {
      prepare(variant('staging', (i) => (i.internalTls = { enabled: true })));
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(['internalTls.enabled']);
    }
  });
});
