/**
 * The mail stack (services.mail: docker-mailserver and Roundcube) on every target: the spec (accounts
 * with hashes only, aliases, DKIM, the Postfix and Dovecot additions, the webmail's database role),
 * the DNS records' syntax (SPF, DKIM, DMARC), Docker (an internal CA or a certificate from files,
 * exactly the capabilities it needs), Kubernetes (Pod Security baseline with its reason, a public
 * Service keeping the client address, certificates from cert-manager, network policy evaluated) and
 * AWS (the NLB with PROXY protocol v2, Route 53, SES). The configuration's validity is the real
 * programs' job (scripts/verify/mail.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { mailDnsRecords, MAIL_PORTS, type MailFacet, ROUNDCUBE_DB_TRUST, ROUNDCUBE_TRUST } from '../constructs/services/mail';
import { hasSecret, renderText, secretRef } from '../constructs/spec/template';
import type { Text } from '../constructs/spec/types';
import { route53Txt } from '../constructs/render/dns';
import { BASELINE_CAPABILITIES } from '../constructs/targets/kubernetes/naming';
import { ConfigError, type EnvironmentSource } from '../environments/parse/load';
import { env, envMap, spec, synth, variant } from './helpers';
import { type Pod, evaluate, podOf } from './network-policy';

const dev = env('development');
const staging = env('staging');
const prod = env('production');
const clusters = env('clusters');
const server = spec(staging, 'mailserver');
const main = server.containers[0]!;
const fileOf = (format: string) => main.files.find((f) => f.format === format)!;
const literal = (t: Text, dkim = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA') =>
  renderText(t, {
    literal: (x) => x,
    secret: (r) => (r.form === 'public-key-base64' ? dkim : `<${r.service}/${r.name}${r.form ? `:${r.form}` : ''}>`),
    host: (r) => r.service,
    self: () => 'SELF',
    peer: (r) => r.service,
    member: () => 'MEMBER',
  });

function problems(src: EnvironmentSource): string[] {
  try {
    prepare(src);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe('the mail server spec', () => {
  it('docker-mailserver 15.1.0 with Rspamd (DKIM, SPF, DMARC), nothing that would duplicate it, no open relay, no update check', () => {
    expect(main.image).toEqual({ repository: 'mailserver/docker-mailserver', tag: '15.1.0' });
    expect(main.env).toMatchObject({
      OVERRIDE_HOSTNAME: 'mail.staging.agent-platform.example.com',
      ENABLE_RSPAMD: '1',
      ENABLE_OPENDKIM: '0',
      ENABLE_OPENDMARC: '0',
      ENABLE_POLICYD_SPF: '0',
      ENABLE_AMAVIS: '0',
      ENABLE_FAIL2BAN: '0',
      ENABLE_UPDATE_CHECK: '0',
      SPOOF_PROTECTION: '1',
      PERMIT_DOCKER: 'none',
      SSL_TYPE: 'manual',
      SSL_CERT_PATH: server.certificates![0]!.paths.certificate,
      SSL_KEY_PATH: server.certificates![0]!.paths.key,
    });
  });

  it('SMTP 25, 465, 587 and IMAPS 993 face the internet, each with its PROXY protocol twin; 25 answers anyone (an MX)', () => {
    const ports = main.ports.map((p) => [p.name, p.port, p.internet?.proxyProtocolPort, p.anonymous !== undefined]);
    expect(ports).toEqual([
      ['smtp', 25, 12525, true],
      ['submissions', 465, 10465, false],
      ['submission', 587, 10587, false],
      ['imaps', 993, 10993, false],
    ]);
    for (const p of main.ports) expect(p.internet!.hostname).toBe('mail.staging.agent-platform.example.com');
  });

  it('persists mail and state, runs as root with exactly the capabilities it needs (within baseline), and says why', () => {
    expect(server.volumes.map((v) => [v.name, v.backup])).toEqual([
      ['mail', true],
      ['state', true],
    ]);
    expect(main.mounts.map((m) => m.path)).toEqual(['/var/mail', '/var/mail-state']);
    expect(main.user).toBe('0:0');
    expect(main.privileges).toMatchObject({ root: true, privilegeEscalation: true });
    for (const c of main.privileges!.capabilities) expect(BASELINE_CAPABILITIES as readonly string[]).toContain(c);
    // Fail2Ban's NET_ADMIN and NET_RAW are not among them (it is off).
    expect(main.privileges!.capabilities).not.toContain('NET_ADMIN');
    expect(main.privileges!.reason).toMatch(/postdrop/);
  });

  it('accounts: one bcrypt hash per mailbox ({BLF-CRYPT}), a generated password each, in a secret file; no password anywhere', () => {
    const accounts = fileOf('postfix-accounts.cf');
    expect(accounts.mode).toBe(0o440);
    expect(literal(accounts.content)).toBe(
      'ops@staging.agent-platform.example.com|{BLF-CRYPT}<mailserver/account-ops-at-staging-agent-platform-example-com:bcrypt>\n',
    );
    expect(server.secrets.find((s) => s.name === 'account-ops-at-staging-agent-platform-example-com')).toMatchObject({ length: 24 });
    for (const f of main.files.filter((x) => x !== accounts)) expect(literal(f.content), f.path).not.toMatch(/account-/);
  });

  it('aliases, with postmaster@ and abuse@ delivering to the first mailbox unless the config says otherwise', () => {
    const c = spec(clusters, 'mailserver');
    const virtual = literal(c.containers[0]!.files.find((f) => f.format === 'postfix-virtual.cf')!.content);
    expect(virtual.split('\n')).toEqual([
      'team@clusters.agent-platform.example.com ops@clusters.agent-platform.example.com',
      'postmaster@clusters.agent-platform.example.com ops@clusters.agent-platform.example.com',
      'abuse@clusters.agent-platform.example.com ops@clusters.agent-platform.example.com',
      '',
    ]);
    const own = prepare(
      variant(
        'staging',
        (i) => (i.services.mail.aliases = [{ address: 'postmaster@staging.agent-platform.example.com', to: ['it@corp.example'] }]),
      ),
    );
    const v = literal(spec(own, 'mailserver').containers[0]!.files.find((f) => f.format === 'postfix-virtual.cf')!.content);
    expect(v).toContain('postmaster@staging.agent-platform.example.com it@corp.example');
    expect(v.match(/^postmaster@/gm)).toHaveLength(1);
  });

  it('quotas where a mailbox has one (Dovecot quota, bytes)', () => {
    const quotas = spec(dev, 'mailserver').containers[0]!.files.find((f) => f.format === 'dovecot-quotas.cf')!;
    expect(quotas.content).toBe('agents@platform.test:1073741824\n');
    expect(fileOf('dovecot-quotas.cf' as never)).toBeUndefined();
  });

  it('Postfix and Dovecot additions: limits, TLS 1.2+, per-client rate limits (no Fail2Ban), the PROXY listeners and who may send a header', () => {
    const postfix = literal(fileOf('postfix-main.cf').content);
    expect(postfix).toMatch(/^message_size_limit = 26214400$/m);
    expect(postfix).toMatch(/^smtpd_tls_protocols = >=TLSv1\.2$/m);
    expect(postfix).toMatch(/^smtpd_client_auth_rate_limit = \d+$/m);
    expect(postfix).toMatch(/^postscreen_cache_map = proxy:btree:\$data_directory\/postscreen_cache$/m);
    const patches = literal(fileOf('user-patches.sh').content);
    for (const [name, p] of Object.entries(MAIL_PORTS).filter(([n]) => n !== 'imaps'))
      expect(patches, name).toMatch(new RegExp(`postconf -P ${p.proxy}/inet/(postscreen|smtpd)_upstream_proxy_protocol=haproxy`));
    expect(patches).toMatch(
      /install -D -o _rspamd -g _rspamd -m 0400 \/run\/secrets\/mailserver-dkim-key \/etc\/rspamd\/dkim\/mail\.staging\.agent-platform\.example\.com\.key/,
    );
    const dovecot = literal(fileOf('dovecot.cf').content);
    expect(dovecot).toMatch(/^haproxy_trusted_networks = 10\.0\.0\.0\/8 172\.16\.0\.0\/12 192\.168\.0\.0\/16$/m);
    expect(dovecot).toMatch(/inet_listener imaps_proxyprotocol \{\n\s+port = 10993\n\s+ssl = yes\n\s+haproxy = yes/);
    expect(literal(fileOf('rspamd dkim_signing.conf').content)).toMatch(/selector = "mail";/);
  });

  it('the DKIM key: RSA 2048, generated, read by Rspamd alone (0400, installed for _rspamd)', () => {
    expect(server.secrets.find((s) => s.name === 'dkim-key')).toMatchObject({ kind: 'rsa-private-key', length: 2048 });
    const key = main.files.find((f) => f.path === '/run/secrets/mailserver-dkim-key')!;
    expect(key.mode).toBe(0o400);
    expect(key.content).toEqual({ kind: 'template', parts: [secretRef('mailserver', 'dkim-key')] });
  });

  it('metrics: a probe that holds an SMTP dialogue with the submission service (220, QUIT, 221)', () => {
    expect(server.metrics).toMatchObject({ container: 'probe', source: 'probe', port: 9115 });
    const config = server.containers.find((c) => c.name === 'probe')!.files[0]!.content as string;
    expect(config).toMatch(/prober: tcp[\s\S]*query_response:\n\s+- expect: "\^220 "\n\s+- send: "QUIT\\r"\n\s+- expect: "\^221 "/);
    expect(literal(server.metrics.params!.target![0]!)).toBe('SELF:587');
  });

  it.each([
    [
      (i: any) => (i.services.mail.accounts = [{ address: 'ops@elsewhere.example' }]),
      'services.mail.accounts[0].address',
      /not at the mail domain/,
    ],
    [(i: any) => (i.services.mail.accounts = []), 'services.mail.accounts', /at least one mailbox/],
    [
      (i: any) => (i.services.mail.aliases = [{ address: 'ops@staging.agent-platform.example.com', to: ['x@corp.example'] }]),
      'services.mail.aliases[0].address',
      /is also accounts\[0\]/,
    ],
    [(i: any) => (i.services.mail.replicas = 2), 'services.mail.replicas', /runs one instance/],
    [(i: any) => (i.services.mail.webmail = { database: 'sqlite', replicas: 2 }), 'services.mail.webmail.replicas', /one SQLite file/],
    [
      (i: any) => (i.services.mail.accounts = [{ address: 'Ops@staging.agent-platform.example.com' }]),
      'services.mail.accounts[0].address',
      /e-mail address in lower case/,
    ],
  ])('refuses bad mail config with the field (%#)', (edit, field, says) => {
    const found = problems(variant('staging', edit));
    expect(
      found.filter((p) => p.startsWith(`${field}: `)),
      found.join('\n'),
    ).toContainEqual(expect.stringMatching(says));
  });
});

describe('the DNS records of the mail domain, and their syntax', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const records = server.dnsRecords!.map((r) => ({ ...r, values: r.values.map((v) => literal(v, p)) }));
  const one = (name: string, type: string) => records.find((r) => r.name === name && r.type === type)!.values;

  it('MX to the server, SPF, DKIM under its selector, DMARC', () => {
    expect(records.map((r) => `${r.type} ${r.name}`)).toEqual([
      'MX staging.agent-platform.example.com',
      'TXT staging.agent-platform.example.com',
      'TXT mail._domainkey.staging.agent-platform.example.com',
      'TXT _dmarc.staging.agent-platform.example.com',
    ]);
    expect(one('staging.agent-platform.example.com', 'MX')).toEqual(['10 mail.staging.agent-platform.example.com']);
  });

  it('SPF (RFC 7208): v=spf1, mechanisms, a hard fail for everything else', () => {
    const [spf] = one('staging.agent-platform.example.com', 'TXT');
    expect(spf).toMatch(/^v=spf1( (mx|a|include:[a-z0-9.-]+|ip4:[0-9./]+))+ -all$/);
    const ses = mailDnsRecords(server.facet as MailFacet, 'mailserver', { spfIncludes: ['amazonses.com'] })[1]!.values[0];
    expect(ses).toBe('v=spf1 mx include:amazonses.com -all');
  });

  it('DKIM (RFC 6376): v=DKIM1; k=rsa; p= the key (base64 SPKI), longer than one TXT string, split at 255 for Route 53', () => {
    const [dkim] = one('mail._domainkey.staging.agent-platform.example.com', 'TXT');
    const tags = Object.fromEntries(dkim!.split('; ').map((t) => t.split(/=(.*)/s).slice(0, 2) as [string, string]));
    expect(Object.keys(tags)).toEqual(['v', 'k', 'p']);
    expect(tags).toMatchObject({ v: 'DKIM1', k: 'rsa' });
    expect(Buffer.from(tags.p!, 'base64').equals(publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(dkim!.length).toBeGreaterThan(255);
    const split = route53Txt(dkim!);
    expect(split.split('""').every((s) => s.length <= 255)).toBe(true);
    expect(split.split('""').join('')).toBe(dkim);
  });

  it('DMARC (RFC 7489): v=DMARC1 first, a policy, reports to a mailto: address', () => {
    const [dmarc] = one('_dmarc.staging.agent-platform.example.com', 'TXT');
    const tags = dmarc!.split('; ').map((t) => t.split('='));
    expect(tags[0]).toEqual(['v', 'DMARC1']);
    expect(tags[1]).toEqual(['p', 'quarantine']);
    expect(Object.fromEntries(tags).rua).toMatch(/^mailto:[a-z0-9.+-]+@[a-z0-9.-]+$/);
    const reject = spec(prod, 'mailserver').dnsRecords!.find((r) => r.name.startsWith('_dmarc'))!.values[0];
    expect(reject).toMatch(/^v=DMARC1; p=reject; /);
  });
});

describe('the webmail (Roundcube)', () => {
  const webmail = spec(staging, 'webmail');
  const w = webmail.containers[0]!;

  it('the nonroot image as www-data on 8000, external (webmail.<domain>), its des_key exactly 24 characters with no newline', () => {
    expect(w.image.repository).toBe('roundcube/roundcubemail');
    expect(w.image.tag).toMatch(/^1\.7\.\d+-apache-nonroot$/);
    expect(w.user).toBe('33:33');
    expect(w.ports).toEqual([expect.objectContaining({ name: 'http', port: 8000, purpose: 'ui', external: true })]);
    expect(webmail.secrets).toEqual([expect.objectContaining({ name: 'des-key', length: 24 })]);
    const des = w.files.find((f) => f.path === '/run/secrets/roundcube_des_key')!;
    expect(des.content).toEqual({ kind: 'template', parts: [secretRef('webmail', 'des-key')] });
  });

  it('its data in PostgreSQL as the role webmail (database roundcube), the password from the file the image reads', () => {
    expect(w.env).toMatchObject({ ROUNDCUBEMAIL_DB_TYPE: 'pgsql', ROUNDCUBEMAIL_DB_USER: 'webmail', ROUNDCUBEMAIL_DB_NAME: 'roundcube' });
    expect(literal(w.env.ROUNDCUBEMAIL_DB_HOST!)).toBe('postgres');
    const password = w.files.find((f) => f.path === '/run/secrets/roundcube_db_password')!;
    expect(password.content).toEqual({ kind: 'template', parts: [secretRef('postgres', 'consumer-webmail-password')] });
    expect(webmail.dependsOn).toEqual(['mailserver', 'postgres']);
  });

  it('IMAPS and submission to the mail server, verified by its public name, against its CA where the platform has one', () => {
    expect(literal(w.env.ROUNDCUBEMAIL_DEFAULT_HOST!)).toBe('ssl://mailserver');
    expect(w.env.ROUNDCUBEMAIL_DEFAULT_PORT).toBe('993');
    expect(literal(w.env.ROUNDCUBEMAIL_SMTP_SERVER!)).toBe('tls://mailserver');
    expect(w.env.ROUNDCUBEMAIL_SMTP_PORT).toBe('587');
    const php = literal(w.files.find((f) => f.path === '/var/roundcube/config/platform.php')!.content);
    expect(php).toContain("'peer_name' => 'mail.staging.agent-platform.example.com'");
    expect(php).toContain(`if (is_readable('${ROUNDCUBE_TRUST}'))`);
    expect(w.trusts).toEqual([{ service: 'mailserver', certificate: 'tls', path: ROUNDCUBE_TRUST }]);
  });

  it('PostgreSQL with verify-full where the target gives its CA: the image DSN replaced, the password read from its file', () => {
    const php = literal(w.files.find((f) => f.path === '/var/roundcube/config/platform.php')!.content);
    expect(php).toContain(`if (is_readable('${ROUNDCUBE_DB_TRUST}')) {`);
    expect(php).toContain("$platform_db_password = file_get_contents('/run/secrets/roundcube_db_password');");
    expect(php).toContain(
      `$config['db_dsnw'] = 'pgsql://webmail:' . rawurlencode(rtrim($platform_db_password, "\\n"))\n        . '@postgres:5432/roundcube?sslmode=verify-full&sslrootcert=${ROUNDCUBE_DB_TRUST}';`,
    );
    // No secret in the file: it stays a ConfigMap's.
    expect(hasSecret(w.files.find((f) => f.path === '/var/roundcube/config/platform.php')!.content)).toBe(false);
    // Where the CA goes, for a target whose PostgreSQL is outside (RDS); the internal CA only with internal TLS.
    expect(webmail.facet.databaseCa).toBe(ROUNDCUBE_DB_TRUST);
    expect((w.trusts ?? []).filter((t) => t.service === 'postgres')).toEqual([]);
    // Nothing of it on a cluster without internal TLS: no download, no CA volume.
    const pod = synth(staging).tf.resource.kubernetes_deployment_v1!.webmail.spec.template.spec as any;
    expect(pod.init_container).toBeUndefined();
    expect(JSON.stringify(pod.volume)).not.toContain('server-ca');
  });

  it('SQLite on its own volume when asked (one replica), and no PostgreSQL role then', () => {
    const sqliteEnv = prepare(
      variant('production', (i) => (i.services.mail.webmail = { database: 'sqlite', replicas: 1, persistence: { size: '5Gi' } })),
    );
    const sqlite = spec(sqliteEnv, 'webmail');
    expect(spec(sqliteEnv, 'postgres').facet.applications.map((a) => a.consumer)).not.toContain('webmail');
    expect(sqlite.containers[0]!.env).toMatchObject({ ROUNDCUBEMAIL_DB_TYPE: 'sqlite', ROUNDCUBEMAIL_DB_DIR: '/var/roundcube/db' });
    expect(sqlite.volumes).toEqual([expect.objectContaining({ name: 'data', size: '5Gi', backup: true })]);
    expect(sqlite.dependsOn).toEqual(['mailserver']);
    expect(sqlite.facet.databaseCa).toBeUndefined();
    expect(String(sqlite.containers[0]!.files.find((f) => f.format === 'roundcube config.php')!.content)).not.toContain('db_dsnw');
  });
});

describe('mail on Docker', () => {
  const tf = synth(dev).tf;
  const c = tf.resource.docker_container!.mailserver;
  const w = tf.resource.docker_container!.webmail;
  const upload = (container: any, file: string) => container.upload.find((u: any) => u.file === file);

  it('exactly its capabilities after dropping all, privilege escalation for postdrop (no no-new-privileges), as root', () => {
    expect(c.user).toBe('0:0');
    expect(c.capabilities).toEqual({ drop: ['ALL'], add: main.privileges!.capabilities.map((x) => `CAP_${x}`) });
    expect(c.security_opts).toBeUndefined();
    // Every other container keeps no-new-privileges.
    for (const [name, other] of Object.entries<any>(tf.resource.docker_container!))
      if (name !== 'mailserver') expect(other.security_opts, name).toEqual(['no-new-privileges:true']);
  });

  it('a certificate from the internal CA (the tls provider), for its public name, its alias and localhost', () => {
    expect(upload(c, '/etc/dms/tls/tls.crt')).toMatchObject({
      content: '${tls_locally_signed_cert.mailserver_tls.cert_pem}',
      permissions: '0444',
    });
    expect(upload(c, '/etc/dms/tls/tls.key')).toMatchObject({
      content: '${tls_private_key.mailserver_tls.private_key_pem_pkcs8}',
      permissions: '0440',
    });
    expect(tf.resource.tls_cert_request!.mailserver_tls.dns_names).toEqual(['mail.platform.test', 'mailserver', 'localhost']);
    expect(tf.resource.tls_locally_signed_cert!.mailserver_tls).toMatchObject({ validity_period_hours: 8760, early_renewal_hours: 720 });
    expect(tf.resource.tls_self_signed_cert!.internal_ca).toMatchObject({ is_ca_certificate: true, validity_period_hours: 87600 });
    expect(tf.output!.ca_certificate.value).toBe('${tls_self_signed_cert.internal_ca.cert_pem}');
    // Roundcube trusts the internal CA for IMAPS and submission.
    expect(upload(w, ROUNDCUBE_TRUST)).toMatchObject({ content: '${tls_self_signed_cert.internal_ca.cert_pem}', permissions: '0444' });
    // PostgreSQL serves no TLS here (no internalTls): no CA for it, the image's DSN stands.
    expect(upload(w, ROUNDCUBE_DB_TRUST)).toBeUndefined();
  });

  it('the DKIM key (0400) and the accounts (bcrypt hashes, 0440) as files; passwords in the sensitive output only', () => {
    expect(upload(c, '/run/secrets/mailserver-dkim-key')).toMatchObject({
      content: '${tls_private_key.mailserver_dkim-key.private_key_pem_pkcs8}',
      permissions: '0400',
    });
    expect(upload(c, '/tmp/docker-mailserver/postfix-accounts.cf').content).toMatch(
      /^ops@platform\.test\|\{BLF-CRYPT\}\$\{random_password\.mailserver_account-ops-at-platform-test\.bcrypt_hash\}\n/,
    );
    expect(tf.output!.credentials.value['mailserver/account-ops-at-platform-test']).toBe(
      '${random_password.mailserver_account-ops-at-platform-test.result}',
    );
    expect(Object.keys(tf.output!.credentials.value)).not.toContain('mailserver/dkim-key');
  });

  it('publishes submission and IMAPS on 127.0.0.1 (+11000), not the MX port; prints the DNS records to publish', () => {
    expect(c.ports.map((p: any) => `${p.ip}:${p.external}->${p.internal}`)).toEqual([
      '127.0.0.1:11465->465',
      '127.0.0.1:11587->587',
      '127.0.0.1:11993->993',
    ]);
    expect(envMap(w).ROUNDCUBEMAIL_DB_HOST).toBe('postgres');
    const records = tf.output!.dns_records.value as any[];
    expect(records.map((r) => `${r.type} ${r.name}`)).toEqual([
      'MX platform.test',
      'TXT platform.test',
      'TXT mail._domainkey.platform.test',
      'TXT _dmarc.platform.test',
    ]);
    expect(records[2].values[0]).toMatch(/^v=DKIM1; k=rsa; p=\$\{replace\(tls_private_key\.mailserver_dkim-key\.public_key_pem, /);
  });

  it('a certificate from files on the deploying machine instead: read at plan, no CA, Roundcube trusts the image store', () => {
    const files = synth(
      prepare(
        variant(
          'development',
          (i) => (i.target.tls = { source: 'files', certificate: '~/certs/fullchain.pem', key: '/etc/certs/privkey.pem' }),
        ),
      ),
    ).tf;
    const m = files.resource.docker_container!.mailserver;
    expect(upload(m, '/etc/dms/tls/tls.crt').content).toBe('${file(pathexpand("~/certs/fullchain.pem"))}');
    expect(upload(m, '/etc/dms/tls/tls.key').content).toBe('${sensitive(file(pathexpand("/etc/certs/privkey.pem")))}');
    expect(files.resource.tls_self_signed_cert).toBeUndefined();
    expect(files.output!.ca_certificate).toBeUndefined();
    expect(upload(files.resource.docker_container!.webmail, ROUNDCUBE_TRUST)).toBeUndefined();
    expect(problems(variant('development', (i) => (i.target.tls = { source: 'files', certificate: 'certs/x.pem', key: '/k' })))).toEqual([
      expect.stringMatching(/^target\.tls\.certificate: must be an absolute path or start with ~\//),
    ]);
  });
});

describe('mail on Kubernetes', () => {
  const tf = synth(staging).tf;
  const r = tf.resource;
  const pod = r.kubernetes_stateful_set_v1!.mailserver.spec.template.spec;

  it('the namespace is baseline with the reason; the mail server’s pod: root and its capabilities, never privileged', () => {
    const ns = r.kubernetes_namespace_v1!.namespace_mail;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(ns.metadata.annotations['platform/pod-security-reason']).toContain(main.privileges!.reason);
    expect(pod.security_context).toEqual({ run_as_user: '0', run_as_group: '0', seccomp_profile: { type: 'RuntimeDefault' } });
    expect(pod.container[0].security_context).toMatchObject({
      privileged: false,
      allow_privilege_escalation: true,
      run_as_non_root: false,
    });
  });

  it('its certificate from cert-manager, mounted as a directory (a renewal reaches it), issued for its public name', () => {
    expect(pod.volume.find((v: any) => v.name === 'certificate-0-tls').secret).toEqual({
      secret_name: 'mailserver-tls',
      default_mode: '0440',
      items: [
        { key: 'tls.crt', path: 'tls.crt', mode: '0444' },
        { key: 'tls.key', path: 'tls.key', mode: '0440' },
      ],
    });
    expect(pod.container[0].volume_mount).toContainEqual({ name: 'certificate-0-tls', mount_path: '/etc/dms/tls', read_only: true });
    const values = JSON.parse(r.helm_release!.platform_certificates.values[0]);
    // staging's Gateway issuer is self-signed: the environment's internal CA issues it in the mail namespace (and Kong's in the edge).
    expect(values.privateCa.namespaces).toEqual(['agent-platform-edge', 'agent-platform-mail']);
    expect(Object.keys(r.kubernetes_secret_v1!).filter((k) => k.startsWith('internal_ca_'))).toEqual([
      'internal_ca_agent-platform-edge',
      'internal_ca_agent-platform-mail',
    ]);
    expect(values.certificates[0]).toEqual({
      name: 'mailserver-tls',
      namespace: 'agent-platform-mail',
      secretName: 'mailserver-tls',
      dnsNames: ['mail.staging.agent-platform.example.com', 'mailserver.agent-platform-mail.svc', 'mailserver'],
      ipAddresses: [],
      // A server certificate (no client auth: the mail server presents it to no peer).
      usages: ['digital signature', 'key encipherment', 'server auth'],
      secretLabels: {},
      duration: '2160h',
      issuer: { kind: 'Issuer', name: 'platform-private-ca' },
    });
    expect(r.kubernetes_stateful_set_v1!.mailserver.depends_on).toContain('helm_release.platform_certificates');
    // Roundcube mounts the CA of that certificate (optional: a public issuer writes none).
    const webmail = r.kubernetes_deployment_v1!.webmail.spec.template.spec;
    expect(webmail.volume.find((v: any) => v.name.startsWith('trust-')).secret).toMatchObject({
      secret_name: 'mailserver-tls',
      optional: true,
    });
  });

  it('mailbox passwords for the operator, and the records to publish, as outputs (a cluster manages no DNS)', () => {
    expect(tf.output!.credentials).toEqual({
      description: expect.stringContaining('mailboxes'),
      sensitive: true,
      value: {
        'mailserver/account-ops-at-staging-agent-platform-example-com':
          '${random_password.mailserver_account-ops-at-staging-agent-platform-example-com.result}',
      },
    });
    expect((tf.output!.dns_records.value as any[]).map((r) => `${r.type} ${r.name}`)).toEqual([
      'MX staging.agent-platform.example.com',
      'TXT staging.agent-platform.example.com',
      'TXT mail._domainkey.staging.agent-platform.example.com',
      'TXT _dmarc.staging.agent-platform.example.com',
    ]);
    // AWS publishes them in Route 53 instead.
    expect(synth(prod).tf.output!.dns_records).toBeUndefined();
    expect(Object.keys(synth(prod).tf.output!.credentials.value).sort()).toEqual([
      'mailserver/account-alerts-at-agent-platform-example-com',
      'mailserver/account-ops-at-agent-platform-example-com',
    ]);
  });

  it('a LoadBalancer Service with externalTrafficPolicy Local on the public ports, not waited for', () => {
    expect(r.kubernetes_service_v1!.mailserver_public).toMatchObject({
      spec: {
        type: 'LoadBalancer',
        external_traffic_policy: 'Local',
        port: [25, 465, 587, 993].map((p) => expect.objectContaining({ port: p, target_port: String(p) })),
      },
      wait_for_load_balancer: false,
    });
  });

  it('network policy: the internet reaches the public ports (its address kept), not the PROXY twins; the webmail reaches IMAPS and submission', () => {
    const { canReach, platform } = evaluate(synth(staging));
    const mail = podOf(platform.groups.find((g) => g.service === 'mailserver' && g.role === 'server')!);
    const webmail = podOf(platform.groups.find((g) => g.service === 'webmail' && g.role === 'server')!);
    const internet: Pod = { id: 'a mail client', namespace: '', labels: {}, ip: '198.51.100.7' };
    for (const p of [25, 465, 587, 993]) expect(canReach(internet, mail, p), String(p)).toBe(true);
    for (const p of [12525, 10465, 10587, 10993, 9115]) expect(canReach(internet, mail, p), String(p)).toBe(false);
    expect(canReach(webmail, mail, 993)).toBe(true);
    expect(canReach(webmail, mail, 587)).toBe(true);
    expect(canReach(webmail, mail, 12525)).toBe(false);
    // It delivers to other domains' servers itself.
    expect(canReach(mail, { ...internet, id: 'another MX' }, 25)).toBe(true);
  });

  it('PROXY protocol (the clusters scenario): the Service sends to the twins with its annotations; only the trusted networks reach them', () => {
    const s = synth(clusters);
    expect(s.tf.resource.kubernetes_service_v1!.mailserver_public).toMatchObject({
      metadata: { annotations: { 'service.beta.kubernetes.io/example-proxy-protocol': 'v2' } },
      spec: {
        type: 'LoadBalancer',
        external_traffic_policy: 'Cluster',
        port: [
          expect.objectContaining({ port: 25, target_port: '12525' }),
          expect.objectContaining({ port: 465, target_port: '10465' }),
          expect.objectContaining({ port: 587, target_port: '10587' }),
          expect.objectContaining({ port: 993, target_port: '10993' }),
        ],
      },
    });
    const { canReach, platform } = evaluate(s);
    const mail = podOf(platform.groups.find((g) => g.service === 'mailserver' && g.role === 'server')!);
    const lb: Pod = { id: 'load balancer', namespace: '', labels: {}, ip: '10.0.3.4' };
    const internet: Pod = { id: 'internet', namespace: '', labels: {}, ip: '198.51.100.7' };
    for (const p of [12525, 10465, 10587, 10993]) {
      expect(canReach(lb, mail, p), String(p)).toBe(true);
      expect(canReach(internet, mail, p), String(p)).toBe(false);
    }
    for (const p of [25, 993]) expect(canReach(internet, mail, p), String(p)).toBe(false);
  });

  it('ACME through the Gateway: the challenge route attaches from the mail namespace, whose solver the proxies alone reach', () => {
    const acme = prepare(
      variant('staging', (i) => {
        i.target.gateway = { domain: 'platform.acme-corp.io', issuer: { kind: 'acme', email: 'ops@acme-corp.io' } };
        i.services.mail.domain = 'acme-corp.io';
        i.services.mail.accounts = [{ address: 'ops@acme-corp.io' }];
      }),
    );
    const s = synth(acme);
    const certs = JSON.parse(s.tf.resource.helm_release!.platform_certificates.values[0]);
    expect(certs.certificates[0]).toMatchObject({
      dnsNames: ['mail.acme-corp.io'],
      issuer: { kind: 'ClusterIssuer', name: 'agent-platform-acme' },
    });
    expect(JSON.parse(s.tf.resource.helm_release!.platform_edge.values[0]).gateway.challengeNamespaces).toEqual(['agent-platform-mail']);
    const { canReach, platform } = evaluate(s);
    const solver = platform.edgeGroups.find((g) => g.namespace === 'agent-platform-mail')!;
    const proxy: Pod = { id: 'proxy', namespace: platform.proxies!.namespace, labels: { ...platform.proxies!.labels } };
    expect(canReach(proxy, podOf(solver), 8089)).toBe(true);
    expect(canReach({ id: 'x', namespace: 'default', labels: {} }, podOf(solver), 8089)).toBe(false);
  });
});

describe('mail on AWS (production)', () => {
  const tf = synth(prod).tf;
  const r = tf.resource;

  it('a Network Load Balancer in the public subnets on 25, 465, 587, 993, TCP to the node ports with PROXY protocol v2', () => {
    expect(r.aws_lb!.edge_mail).toMatchObject({ load_balancer_type: 'network', internal: false, name: 'agent-platform-production-mail' });
    const listeners = Object.entries<any>(r.aws_lb_listener!).filter(([n]) => n.startsWith('edge_mail_'));
    expect(listeners.map(([, l]) => [l.port, l.protocol]).sort((a, b) => a[0] - b[0])).toEqual([
      [25, 'TCP'],
      [465, 'TCP'],
      [587, 'TCP'],
      [993, 'TCP'],
    ]);
    for (const p of ['smtp', 'submissions', 'submission', 'imaps']) {
      const tg = r.aws_lb_target_group![`edge_mail_mailserver_${p}`];
      expect(tg).toMatchObject({ protocol: 'TCP', target_type: 'instance', proxy_protocol_v2: true, preserve_client_ip: 'false' });
      expect(tg.port).toBe(30000 + MAIL_PORTS[p as keyof typeof MAIL_PORTS].port);
      // Attached to the system nodes' groups, one per zone (never the GPU pool).
      const attached = Object.entries<any>(r.aws_autoscaling_attachment!).filter(([n]) => n.startsWith(`edge_mail_mailserver_${p}_`));
      expect(attached.map(([n]) => n.slice(-10))).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
      for (const [, a] of attached) expect(a.autoscaling_group_name).toMatch(/aws_eks_node_group\.system_/);
    }
    // The node ports' Service sends to the PROXY twins.
    expect(r.kubernetes_service_v1!.mailserver_public.spec).toMatchObject({
      type: 'NodePort',
      external_traffic_policy: 'Cluster',
      port: [
        expect.objectContaining({ port: 25, node_port: 30025, target_port: '12525' }),
        expect.objectContaining({ port: 465, node_port: 30465, target_port: '10465' }),
        expect.objectContaining({ port: 587, node_port: 30587, target_port: '10587' }),
        expect.objectContaining({ port: 993, node_port: 30993, target_port: '10993' }),
      ],
    });
  });

  it('Route 53: the server’s name aliases the NLB; MX, SPF with SES, DKIM split at 255, DMARC reject; the MAIL FROM domain’s MX and SPF', () => {
    expect(r.aws_route53_record!['edge_mail_mail_agent-platform_example_com']).toMatchObject({
      name: 'mail.agent-platform.example.com',
      type: 'A',
      alias: { name: '${aws_lb.edge_mail.dns_name}', zone_id: '${aws_lb.edge_mail.zone_id}', evaluate_target_health: true },
    });
    const rec = (n: string) => r.aws_route53_record![n];
    expect(rec('dns_mx_agent-platform_example_com').records).toEqual(['10 mail.agent-platform.example.com']);
    expect(rec('dns_txt_agent-platform_example_com').records).toEqual(['v=spf1 mx include:amazonses.com -all']);
    expect(rec('dns_txt_mail__domainkey_agent-platform_example_com').records[0]).toMatch(
      /^\$\{join\("\\"\\"", regexall\("\.\{1,255\}", "v=DKIM1; k=rsa; p=\$\{replace\(tls_private_key\.mailserver_dkim-key\.public_key_pem, /,
    );
    expect(rec('dns_txt__dmarc_agent-platform_example_com').records[0]).toMatch(
      /^v=DMARC1; p=reject; rua=mailto:postmaster@agent-platform\.example\.com/,
    );
    expect(rec('dns_mx_bounce_agent-platform_example_com').records).toEqual(['10 feedback-smtp.eu-west-1.amazonses.com']);
    expect(rec('dns_txt_bounce_agent-platform_example_com').records).toEqual(['v=spf1 include:amazonses.com -all']);
    for (const x of Object.values<any>(r.aws_route53_record!)) expect(x.zone_id).toBe('Z00000000PLACEHOLDER0');
  });

  it('SES: the domain identity signs with the same DKIM key (BYODKIM, same selector); an IAM user that may only send as it; the relay reaches the pod as a file', () => {
    expect(r.aws_sesv2_email_identity!.ses).toMatchObject({
      email_identity: 'agent-platform.example.com',
      dkim_signing_attributes: {
        domain_signing_selector: 'mail',
        domain_signing_private_key: expect.stringMatching(/^\$\{replace\(tls_private_key\.mailserver_dkim-key\.private_key_pem_pkcs8, /),
      },
    });
    expect(r.aws_sesv2_email_identity_mail_from_attributes!.ses.mail_from_domain).toBe('bounce.agent-platform.example.com');
    const policy = JSON.parse(r.aws_iam_user_policy!.ses_smtp.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'SendAsTheMailDomain',
        Effect: 'Allow',
        Action: 'ses:SendRawEmail',
        Resource: 'arn:aws:ses:eu-west-1:111122223333:identity/agent-platform.example.com',
      },
    ]);
    const pod = r.kubernetes_stateful_set_v1!.mailserver.spec.template.spec;
    const envs = Object.fromEntries(pod.container[0].env.map((e: any) => [e.name, e.value]));
    expect(envs).toMatchObject({
      DEFAULT_RELAY_HOST: '[email-smtp.eu-west-1.amazonaws.com]:587',
      RELAY_USER: '${aws_iam_access_key.ses_smtp.id}',
      RELAY_PASSWORD__FILE: '/run/secrets/mail-relay/password',
    });
    expect(r.kubernetes_secret_v1!.mailserver_relay.data).toEqual({ password: '${aws_iam_access_key.ses_smtp.ses_smtp_password_v4}' });
  });

  it("the certificate by ACME DNS-01 in the hosted zone; cert-manager's role may write TXT records under _acme-challenge only", () => {
    const values = JSON.parse(r.helm_release!.platform_certificates.values[0]);
    expect(values.acmeRoute53).toMatchObject({ create: true, region: 'eu-west-1', hostedZoneId: 'Z00000000PLACEHOLDER0' });
    expect(values.certificates.find((c: any) => c.name === 'mailserver-tls')).toMatchObject({
      dnsNames: ['mail.agent-platform.example.com'],
      issuer: { kind: 'ClusterIssuer', name: 'platform-acme-dns' },
    });
    const statements = JSON.parse(r.aws_iam_role_policy!.pod_cert_manager.policy).Statement;
    expect(statements.find((s: any) => s.Sid === 'WriteChallenges')).toMatchObject({
      Resource: 'arn:aws:route53:::hostedzone/Z00000000PLACEHOLDER0',
      Condition: {
        'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
        'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'] },
      },
    });
    expect(r.aws_eks_pod_identity_association!.pod_cert_manager).toMatchObject({
      namespace: 'cert-manager',
      service_account: 'cert-manager',
    });
    // cert-manager without Gateway API support: there is no Gateway on this target.
    expect(JSON.parse(r.helm_release!['operator_cert-manager'].values[0]).config.gatewayAPI).toBeUndefined();
  });

  it('refuses what cannot work: no edge, a mail domain outside the hosted zone, Roundcube on RDS without a role', () => {
    expect(problems(variant('production', (i) => delete i.target.edge))).toEqual([
      expect.stringMatching(/^services\.mail: mailserver faces the internet .* set target\.edge/),
    ]);
    expect(
      problems(
        variant('production', (i) => {
          i.services.mail.domain = 'other.example.net';
          i.services.mail.accounts = [{ address: 'ops@other.example.net' }];
          i.services.mail.aliases = [];
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^services\.mail: mailserver needs records for mail\.other\.example\.net, which is not in the hosted zone agent-platform\.example\.com/,
      ),
      expect.stringMatching(/^services\.mail: mailserver needs records for other\.example\.net, which is not in the hosted zone/),
      expect.stringMatching(/^services\.mail: mailserver needs records for mail\._domainkey\.other\.example\.net/),
      expect.stringMatching(/^services\.mail: mailserver needs records for _dmarc\.other\.example\.net/),
    ]);
    // Roundcube on RDS: the managed PostgreSQL gives it its role (the roles job), as SQLite needs nothing.
    expect(problems(variant('production', (i) => (i.services.mail.webmail = { database: 'postgres' })))).toEqual([]);
    expect(problems(variant('production', (i) => (i.services.mail.webmail = { database: 'sqlite', replicas: 1 })))).toEqual([]);
  });
});
