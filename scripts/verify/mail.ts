/**
 * The mail server's configuration, checked by the real programs from Debian 12's `postfix` and
 * `dovecot-core` (the packages docker-mailserver 15.1.0 installs), as non-root needs none of it:
 *
 * - Postfix: docker-mailserver 15.1.0's own main.cf and master.cf (scripts/verify/docker-mailserver,
 *   copied from its repository at v15.1.0), our postfix-main.cf appended as docker-mailserver does,
 *   our user-patches.sh run against the copy (`MAIL_CONFIG`; the files it installs for Rspamd go
 *   through `install`, replaced by a recorder), then `postconf -n`, `postconf -M` and `postmap -q`
 *   (which reads numeric parameters). postconf only warns about an unknown parameter and exits 0, so
 *   any warning but docker-mailserver's own "overriding earlier entry" fails the check. The PROXY
 *   protocol twins must exist with their settings. Broken variants: a misspelt parameter, a
 *   non-numeric size limit, a twin with too few fields.
 * - Dovecot: Debian's /etc/dovecot with docker-mailserver's conf.d files (its Dockerfile copies them
 *   over Debian's) and our dovecot.cf as local.conf, then `doveconf -n`; a warning fails it too (an
 *   obsolete setting only warns). The PROXY listener and trusted networks must be in the result.
 *   Broken variants: `haproxy = maybe`, an unknown setting.
 * - Accounts: every `{BLF-CRYPT}` line of postfix-accounts.cf (the random provider's bcrypt hash of
 *   a stand-in password) verifies that password with `doveadm pw -t`; broken: a wrong password.
 * - DKIM: the record value Terraform builds from the key (the AWS stack's Route 53 record), evaluated
 *   by `terraform console` with a real RSA 2048 key from openssl: strings of at most 255 characters
 *   that join to `v=DKIM1; k=rsa; p=<base64 DER>`, and that DER is the key's public half (openssl);
 *   broken: the value without the PEM armour stripped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Environment } from '../../environments/parse/load';
import { fileKeys } from '../../constructs/render/kubernetes/pod';
import type { ConfigFile, ServiceSpec } from '../../constructs/spec/types';
import { type Artifact, type Outcome, dockerFiles, needs, note, record, sh, standIn, terraformRender, validator, work } from './lib';

const DMS = path.join(import.meta.dirname, 'docker-mailserver');

/** A file of the mail server as the stack writes it (Docker upload, or the ConfigMap or Secret). */
function mailFile(artifact: Artifact, env: Environment, spec: ServiceSpec, format: string): string {
  if (env.target.kind === 'docker') return dockerFiles(artifact, env, format).find((f) => f.service === spec.name)!.content;
  const file = spec.containers.flatMap((c) => c.files).find((f) => f.format === format);
  if (!file) throw new Error(`${spec.name} has no ${format}`);
  const key = fileKeys([file as ConfigFile])[0]!.key;
  const tf = artifact.stackJson(env.name).resource;
  const content =
    tf.kubernetes_config_map_v1?.[`${spec.name}_config`]?.data?.[key] ?? tf.kubernetes_secret_v1?.[`${spec.name}_secret`]?.data?.[key];
  if (content === undefined) throw new Error(`${env.name}: no ${key} in ${spec.name}'s ConfigMap or Secret`);
  return terraformRender(content, tf);
}

/** Postfix as docker-mailserver sets it up, with our additions; fails on any warning but its own. */
function postfixCheck(label: string, main: string, patches: string): Outcome {
  const dir = path.join(work, `postfix-${label}`);
  const conf = path.join(dir, 'conf');
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(conf, { recursive: true });
  fs.mkdirSync(bin, { recursive: true });
  for (const f of ['main.cf', 'master.cf']) fs.copyFileSync(path.join(DMS, 'postfix', f), path.join(conf, f));
  fs.appendFileSync(path.join(conf, 'main.cf'), main);
  // user-patches.sh installs Rspamd's files with `install`: recorded here, not done.
  fs.writeFileSync(path.join(bin, 'install'), `#!/bin/sh\necho "install $*" >> ${dir}/install.log\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'user-patches.sh'), patches);
  fs.writeFileSync(path.join(dir, 'probe'), 'probe ok\n');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, MAIL_CONFIG: conf };
  const ran = sh('bash', [path.join(dir, 'user-patches.sh')], { env });
  if (ran.code !== 0) return { code: 1, out: `user-patches.sh failed:\n${ran.out}` };
  const steps = [
    sh('postconf', ['-c', conf, '-n']),
    sh('postconf', ['-c', conf, '-M']),
    sh('postmap', ['-c', conf, '-q', 'probe', `texthash:${path.join(dir, 'probe')}`]),
  ];
  const failed = steps.find((s) => s.code !== 0);
  if (failed) return failed;
  const warnings = steps
    .flatMap((s) => s.out.split('\n'))
    .filter((l) => /(warning|fatal|error):/.test(l) && !l.includes('overriding earlier entry'));
  if (warnings.length) return { code: 1, out: warnings.join('\n') };
  // The PROXY protocol twins of 25, 465 and 587, with their settings.
  const twins = sh('postconf', [
    '-c',
    conf,
    '-P',
    '12525/inet/postscreen_upstream_proxy_protocol',
    '10465/inet/smtpd_upstream_proxy_protocol',
    '10587/inet/smtpd_upstream_proxy_protocol',
  ]);
  const set = twins.out.split('\n').filter((l) => / = haproxy$/.test(l));
  if (set.length !== 3) return { code: 1, out: `the PROXY protocol twins are not set:\n${twins.out}` };
  const log = fs.existsSync(path.join(dir, 'install.log')) ? fs.readFileSync(path.join(dir, 'install.log'), 'utf8') : '';
  if (!/install -D -o _rspamd -g _rspamd -m 0400 \S+ \/etc\/rspamd\/dkim\/\S+\.key/.test(log))
    return { code: 1, out: `the DKIM key is not installed for Rspamd:\n${log}` };
  return { code: 0, out: '' };
}

/** Debian's Dovecot tree, docker-mailserver's conf.d, our local.conf; fails on any warning. */
function dovecotCheck(label: string, local: string, trusted: string): Outcome {
  const dir = path.join(work, `dovecot-${label}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync('/etc/dovecot', dir, { recursive: true });
  for (const f of fs.readdirSync(path.join(DMS, 'dovecot'))) fs.copyFileSync(path.join(DMS, 'dovecot', f), path.join(dir, 'conf.d', f));
  fs.writeFileSync(path.join(dir, 'local.conf'), local);
  const r = sh('doveconf', ['-c', path.join(dir, 'dovecot.conf'), '-n']);
  if (r.code !== 0) return r;
  const stderr = sh('sh', ['-c', `doveconf -c ${path.join(dir, 'dovecot.conf')} -n 2>&1 >/dev/null`]).out.trim();
  if (stderr) return { code: 1, out: stderr };
  if (!r.out.includes(`haproxy_trusted_networks = ${trusted}`)) return { code: 1, out: 'haproxy_trusted_networks is not in effect' };
  if (!/inet_listener imaps_proxyprotocol \{\s+haproxy = yes\s+port = 10993\s+ssl = yes/.test(r.out))
    return { code: 1, out: 'the PROXY protocol listener on 10993 is not in effect' };
  return { code: 0, out: '' };
}

/** Every account line's hash verifies its stand-in password (Dovecot's own verifier). */
function accountsCheck(accounts: string, password: (address: string) => string): Outcome {
  const lines = accounts.split('\n').filter(Boolean);
  if (lines.length === 0) return { code: 1, out: 'no account' };
  for (const line of lines) {
    const [address, hash] = line.split('|');
    if (!address || !hash?.startsWith('{BLF-CRYPT}$2a$')) return { code: 1, out: `not an account line: ${line}` };
    const r = sh('doveadm', ['pw', '-t', hash, '-p', password(address)]);
    if (r.code !== 0) return { code: 1, out: `${address}: ${r.out}` };
  }
  return { code: 0, out: '' };
}

/** The DKIM record's Terraform expression evaluated with a real key: strings of at most 255 that make the key's record. */
function dkimCheck(label: string, expression: string): Outcome {
  const dir = path.join(work, `dkim-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, 'key.pem');
  const pub = path.join(dir, 'pub.pem');
  const gen = sh('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
  if (gen.code !== 0) return gen;
  const out = sh('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  if (out.code !== 0) return out;
  // The key's reference becomes the real PEM; the record value is evaluated as Terraform evaluates it.
  const inner = expression.replace(/^\$\{([\s\S]*)\}$/, '$1').replace(/tls_private_key\.[A-Za-z0-9_-]+\.public_key_pem/g, `file("${pub}")`);
  fs.writeFileSync(path.join(dir, 'main.tf'), '');
  fs.writeFileSync(path.join(dir, 'expression'), `${inner}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  delete env.TF_CLI_CONFIG_FILE;
  // The value alone on stdout (Terraform's notes go to stderr).
  const r = sh('sh', ['-c', 'terraform console < expression 2> console.err'], { cwd: dir, env });
  if (r.code !== 0) return { code: r.code, out: `${r.out}${fs.readFileSync(path.join(dir, 'console.err'), 'utf8')}` };
  const value = JSON.parse(r.out.trim()) as string;
  const strings = value.split('""');
  if (strings.some((s) => s.length > 255))
    return { code: 1, out: `a string is longer than 255: ${strings.map((s) => s.length).join(', ')}` };
  const joined = strings.join('');
  const m = /^v=DKIM1; k=rsa; p=([A-Za-z0-9+/]+={0,2})$/.exec(joined);
  if (!m) return { code: 1, out: `not a DKIM record: ${joined.slice(0, 80)}...` };
  fs.writeFileSync(path.join(dir, 'p.der'), Buffer.from(m[1]!, 'base64'));
  const parsed = sh('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', path.join(dir, 'p.der'), '-outform', 'PEM']);
  if (parsed.code !== 0) return parsed;
  if (parsed.out.trim() !== fs.readFileSync(pub, 'utf8').trim()) return { code: 1, out: 'p= is not the key' };
  return { code: 0, out: `${strings.length} strings` };
}

export async function verifyMail(artifact: Artifact): Promise<void> {
  const tools = {
    postconf: 'postfix',
    postmap: 'postfix',
    doveconf: 'dovecot-core',
    doveadm: 'dovecot-core',
    openssl: 'openssl',
    terraform: 'the Terraform CLI',
  };
  if (!needs(tools, 'mail configuration (postconf, doveconf, doveadm)')) return;
  const withMail = [...artifact.envs.values()].filter((e) => e.specs.some((s) => s.name === 'mailserver'));
  record(`environments with the mail server found (${withMail.map((e) => e.name).join(', ') || 'none'})`, withMail.length > 0);
  let first = true;
  for (const env of withMail) {
    const spec = env.specs.find((s) => s.name === 'mailserver')!;
    const at = `${env.name}/${spec.name}`;
    const main = mailFile(artifact, env, spec, 'postfix-main.cf');
    const patches = mailFile(artifact, env, spec, 'user-patches.sh');
    const local = mailFile(artifact, env, spec, 'dovecot.cf');
    const accounts = mailFile(artifact, env, spec, 'postfix-accounts.cf');
    const trusted = (spec.facet as { trustedNetworks: string[] }).trustedNetworks.join(' ');
    const password = (address: string) => standIn(`mailserver_account-${address.replace(/@/g, '-at-').replace(/[^a-z0-9-]/g, '-')}`);
    const postfix = () => postfixCheck(`${env.name}`, main, patches);
    const dovecot = () => dovecotCheck(env.name, local, trusted);
    const verified = () => accountsCheck(accounts, password);
    if (first) {
      // Each check once with its broken variants (the drills' scenario); the rest must pass.
      await validator(
        `${at} postfix-main.cf + user-patches.sh (postconf -n/-M with docker-mailserver's main.cf and master.cf)`,
        postfix,
        () => postfixCheck(`${env.name}-misspelt`, main.replace('smtpd_client_auth_rate_limit', 'smtpd_client_auth_rate_limt'), patches),
      );
      await validator(`${at} postfix-main.cf numeric settings (postmap -c)`, postfix, () =>
        postfixCheck(`${env.name}-numeric`, main.replace(/^message_size_limit = \d+$/m, 'message_size_limit = lots'), patches),
      );
      await validator(`${at} user-patches.sh PROXY protocol twins (postconf -M)`, postfix, () =>
        postfixCheck(`${env.name}-fields`, main, patches.replace('>> "$MASTER"', `>> "$MASTER"\necho '12525 inet n' >> "$MASTER"`)),
      );
      await validator(`${at} dovecot.cf as local.conf (doveconf -n with docker-mailserver's conf.d)`, dovecot, () =>
        dovecotCheck(`${env.name}-boolean`, local.replace('haproxy = yes', 'haproxy = maybe'), trusted),
      );
      await validator(`${at} dovecot.cf unknown settings`, dovecot, () =>
        dovecotCheck(`${env.name}-unknown`, local.replace('haproxy_trusted_networks', 'haproxy_trusted_netwroks'), trusted),
      );
      await validator(`${at} postfix-accounts.cf {BLF-CRYPT} hashes (doveadm pw -t)`, verified, () =>
        accountsCheck(accounts, (a) => `${password(a)}x`),
      );
      first = false;
    } else {
      for (const [name, check] of [
        ['postfix-main.cf + user-patches.sh (postconf, postmap)', postfix],
        ['dovecot.cf (doveconf -n)', dovecot],
        ['postfix-accounts.cf hashes (doveadm pw -t)', verified],
      ] as const) {
        const r = check();
        record(`${at} ${name}: accepts the synthesized file`, r.code === 0, r.code === 0 ? '' : r.out);
      }
    }
  }
  // The DKIM record as Route 53 gets it (the AWS stacks).
  const aws = withMail.filter((e) => e.target.kind === 'aws');
  if (aws.length === 0) note('no AWS environment with the mail server: the DKIM record expression is not evaluated');
  for (const env of aws) {
    const records = artifact.stackJson(env.name).resource.aws_route53_record ?? {};
    const dkim = Object.entries<any>(records).find(([n]) => n.startsWith('dns_txt_') && n.includes('_domainkey_'))?.[1];
    if (!dkim) {
      record(`${env.name}: the DKIM record exists in Route 53`, false);
      continue;
    }
    await validator(
      `${env.name} DKIM record (terraform console with a real RSA 2048 key: strings of 255 at most, p= the key)`,
      () => dkimCheck(env.name, dkim.records[0]),
      () =>
        dkimCheck(
          `${env.name}-armour`,
          dkim.records[0].replace(/replace\((tls_private_key\.[A-Za-z0-9_-]+\.public_key_pem), "[^"]*", ""\)/, '$1'),
        ),
    );
  }
}
