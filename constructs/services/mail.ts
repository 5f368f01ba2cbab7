/**
 * The platform's mail: docker-mailserver (Postfix, Dovecot, Rspamd) for the environment's mail
 * domain, and Roundcube as webmail over IMAPS and submission.
 *
 * Accounts and aliases come from the environment file; each account's password is generated and
 * only its bcrypt hash reaches the server (`postfix-accounts.cf`, `{BLF-CRYPT}`, which Dovecot
 * verifies). The DKIM key is generated (RSA 2048, the tls provider) and signs through Rspamd; the
 * DNS records a domain needs (MX, SPF, DKIM, DMARC) follow from the config (`mailDnsRecords`) and
 * are published where the target manages DNS (AWS Route 53) or printed where it does not.
 * Everything Postfix and Dovecot read from us is checked by the real programs in `npm run verify`
 * (`postconf`, `doveconf`).
 *
 * Roundcube keeps its data in the platform's PostgreSQL as a consumer of its own: the role
 * `webmail` owns the database `roundcube` and reaches no other (PostgreSQL builds it exactly as an
 * application's), or in SQLite on its own volume where the environment says so.
 */
import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { hostRef, secretRef, tpl } from '../spec/template';
import type { ConfigFile, DnsRecord, PortSpec, ServiceSpec, Text } from '../spec/types';
import {
  type PlatformConsumer,
  INTERNAL_CERTIFICATE,
  SECRETS_DIR,
  consumerSecret,
  crossCheck,
  defineService,
  health,
  imageOrVersion,
  joinTemplates,
  memoryQuantity,
  persistenceSchema,
  port,
  portNumber,
  resolveImage,
  secretFile,
  secretValueFile,
  serviceFields,
  shellHealth,
  underscored,
  workloadFields,
} from './common';
import { probe } from './sidecars';
import { backupPlan, backupSchedule, withBackup } from './backup';

export const MAILSERVER_IMAGE = 'mailserver/docker-mailserver:15.1.0';
export const ROUNDCUBE_IMAGE = 'roundcube/roundcubemail:1.7.3-apache-nonroot';

/** docker-mailserver's configuration directory (its `config` volume in the upstream compose file). */
export const DMS_CONFIG = '/tmp/docker-mailserver';
/** Where the served certificate and its key go (a directory of their own: renewals replace both). */
export const MAIL_TLS = { certificate: '/etc/dms/tls/tls.crt', key: '/etc/dms/tls/tls.key' } as const;
/** Rspamd's signing configuration as generated; user-patches.sh installs it and the key for Rspamd. */
const DKIM_SIGNING = '/etc/dms/dkim_signing.conf';
/** Roundcube reads its database password and DES key from these fixed paths (docker-entrypoint.sh). */
export const ROUNDCUBE_DB_PASSWORD = `${SECRETS_DIR}/roundcube_db_password`;
const ROUNDCUBE_DES_KEY = `${SECRETS_DIR}/roundcube_des_key`;
/** Every `/var/roundcube/config/*.php` is included after the image's own configuration. */
const ROUNDCUBE_CONFIG = '/var/roundcube/config/platform.php';
/** The CA of the mail server's certificate, where the target knows it (an internal CA). */
export const ROUNDCUBE_TRUST = '/etc/roundcube-trust/ca.crt';
/**
 * The CA of PostgreSQL's server certificate, where the target gives one: the internal CA (internal
 * TLS) or a managed service's (RDS's bundle, downloaded as the pod starts). With it, Roundcube
 * connects with sslmode=verify-full (`roundcubeConfig`).
 */
export const ROUNDCUBE_DB_TRUST = '/etc/roundcube-db-trust/ca.crt';
/** The platform's identity in PostgreSQL for Roundcube (role `webmail`, database `roundcube`). */
export const WEBMAIL_CONSUMER = 'webmail';
export const WEBMAIL_DATABASE = 'roundcube';

/**
 * The public ports and their PROXY protocol twins (the ports the docker-mailserver chart and its
 * Kubernetes docs use: 12525, as 10025 is Amavis's; 10465, 10587, 10993).
 */
export const MAIL_PORTS = {
  smtp: { port: 25, proxy: 12525, appProtocol: 'smtp' },
  submissions: { port: 465, proxy: 10465, appProtocol: 'smtps' },
  submission: { port: 587, proxy: 10587, appProtocol: 'smtp' },
  imaps: { port: 993, proxy: 10993, appProtocol: 'imaps' },
} as const;

const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lower case, digits, hyphens)');
const domainName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS domain in lower case, such as example.com')
  .refine((d) => d.length <= 253, 'is longer than 253 characters');
const address = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be an e-mail address in lower case, such as ops@example.com',
  );
const cidr = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12][0-9]|3[0-2])$/,
    'must be an IPv4 CIDR block such as 10.0.0.0/8',
  );

/** The private ranges a load balancer or node forwarding PROXY protocol comes from (the docker-mailserver chart's default). */
export const PRIVATE_NETWORKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

const webmailSchema = z
  .strictObject({
    /** @default true */
    enabled: z.boolean().default(true),
    ...workloadFields,
    hostPorts: z.record(z.string(), portNumber).default({}),
    /**
     * Where Roundcube keeps users' settings, contacts and sessions: `postgres`, the platform's
     * PostgreSQL (a role `webmail` owning the database `roundcube`, nothing else), or `sqlite` on a
     * volume of its own (one replica; where the platform's PostgreSQL cannot give it a role).
     * @default 'postgres'
     */
    database: z.enum(['postgres', 'sqlite']).default('postgres'),
    /** The SQLite volume (database `sqlite` only). @default 1Gi */
    persistence: persistenceSchema.optional(),
  })
  .superRefine(imageOrVersion)
  .superRefine((w, ctx) => {
    if (w.database === 'sqlite' && w.replicas > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['replicas'],
        message: `one SQLite file cannot serve ${w.replicas} replicas; use 1, or database: 'postgres'`,
      });
    if (w.database === 'postgres' && w.persistence)
      ctx.addIssue({ code: 'custom', path: ['persistence'], message: "is for database: 'sqlite' only (PostgreSQL keeps the data)" });
  });

export const mailSchema = z
  .strictObject({
    ...serviceFields,
    /** The mail volume (mailboxes); the server's state (queue, Rspamd's learning) takes a tenth of it, at least 1Gi. */
    persistence: persistenceSchema,
    /** The mail domain: accounts and aliases are at it, and its MX is the server. */
    domain: domainName,
    /** The server's host name under the domain: `<hostname>.<domain>`, its MX and certificate name. @default 'mail' */
    hostname: dnsLabel.default('mail'),
    /** Mailboxes, each with a generated password (only its bcrypt hash reaches the server). */
    accounts: z
      .array(
        z.strictObject({
          address,
          /** Storage the mailbox may use (Dovecot quota). @default no quota */
          quota: memoryQuantity.optional(),
        }),
      )
      .min(1, 'needs at least one mailbox'),
    /**
     * Addresses that deliver to others (accounts here, or anywhere). `postmaster@` and `abuse@`
     * (RFC 2142) deliver to the first account unless listed here or as accounts.
     * @default []
     */
    aliases: z.array(z.strictObject({ address, to: z.array(address).min(1) })).default([]),
    /** DKIM signing (Rspamd), with a generated RSA 2048 key. */
    dkim: z
      .strictObject({
        /** The selector: the key's record is `<selector>._domainkey.<domain>`. @default 'mail' */
        selector: dnsLabel.default('mail'),
      })
      .prefault({}),
    /** The domain's DMARC policy (the `_dmarc` record). */
    dmarc: z
      .strictObject({
        /** What receivers do with mail that fails DKIM and SPF alignment. @default 'quarantine' */
        policy: z.enum(['none', 'quarantine', 'reject']).default('quarantine'),
        /** Where aggregate reports go (`rua`). @default postmaster@<domain> */
        reports: address.optional(),
      })
      .prefault({}),
    /** Largest message accepted (Postfix message_size_limit). @default '25Mi' */
    maxMessageSize: memoryQuantity.default('25Mi'),
    /**
     * The PROXY protocol twins of the public ports (12525, 10465, 10587, 10993) trust a header only
     * from these networks (Dovecot `haproxy_trusted_networks`); network policy admits the load
     * balancer alone to them where the target uses them. Postfix has no such setting.
     * @default the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)
     */
    proxyProtocol: z
      .strictObject({
        trustedNetworks: z
          .array(cidr)
          .min(1)
          .default([...PRIVATE_NETWORKS]),
      })
      .prefault({}),
    /** Roundcube, the webmail. */
    webmail: webmailSchema,
  })
  .superRefine(imageOrVersion)
  .superRefine(
    crossCheck((c, ctx) => {
      if (c.replicas > 1)
        ctx.addIssue({
          code: 'custom',
          path: ['replicas'],
          message: `docker-mailserver runs one instance (its queue and mailboxes are on one volume); ${c.replicas} would be unconnected copies, so use 1`,
        });
      const own = new Map<string, string>();
      c.accounts.forEach((a, i) => {
        if (a.address.split('@')[1] !== c.domain)
          ctx.addIssue({ code: 'custom', path: ['accounts', i, 'address'], message: `is not at the mail domain ${c.domain}` });
        if (own.has(a.address)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'address'], message: `${a.address} is listed twice` });
        own.set(a.address, `accounts[${i}]`);
        if (a.quota && memoryBytes(a.quota) < 1024 ** 2)
          ctx.addIssue({ code: 'custom', path: ['accounts', i, 'quota'], message: 'is less than 1Mi' });
      });
      c.aliases.forEach((a, i) => {
        if (a.address.split('@')[1] !== c.domain)
          ctx.addIssue({ code: 'custom', path: ['aliases', i, 'address'], message: `is not at the mail domain ${c.domain}` });
        const clash = own.get(a.address);
        if (clash) ctx.addIssue({ code: 'custom', path: ['aliases', i, 'address'], message: `${a.address} is also ${clash}` });
        own.set(a.address, `aliases[${i}]`);
        if (a.to.includes(a.address))
          ctx.addIssue({ code: 'custom', path: ['aliases', i, 'to'], message: `delivers ${a.address} to itself` });
      });
    }),
  );

export type MailConfig = z.output<typeof mailSchema>;

/** What the mail server's realizations know beyond the spec. */
export interface MailFacet {
  readonly domain: string;
  /** The server's public name (`mail.<domain>`): its MX target, certificate subject and HELO name. */
  readonly hostname: string;
  readonly dkim: {
    readonly selector: string;
    /** The generated key (`SecretSpec.kind: 'rsa-private-key'`) of the spec. */
    readonly secret: string;
  };
  readonly dmarc: { readonly policy: 'none' | 'quarantine' | 'reject'; readonly reports: string };
  /** Account addresses and their generated passwords' secrets, for the operator's copy of them. */
  readonly accounts: readonly { readonly address: string; readonly secret: string }[];
  /** Networks whose PROXY headers the twins trust. */
  readonly trustedNetworks: readonly string[];
}

/** What the webmail's realizations know beyond the spec. */
export interface WebmailFacet {
  readonly database: 'postgres' | 'sqlite';
  /**
   * With PostgreSQL: where Roundcube reads the CA it verifies the database server with
   * (ROUNDCUBE_DB_TRUST), for a target to put its CA where the container's `trusts` cannot bring it:
   * a managed PostgreSQL's (RDS), or the internal CA where PostgreSQL runs in another namespace.
   * @default none (SQLite)
   */
  readonly databaseCa?: string;
}

/** Where Roundcube's PostgreSQL is and who it is there (`roundcubeConfig`); the password stays in its file. */
export interface RoundcubeDatabase {
  readonly host: Text;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The file holding the password (the one the image reads). */
  readonly passwordFile: string;
  /** The CA that verifies the server, where the target puts one. */
  readonly ca: string;
}

/**
 * The DNS records the mail domain needs: MX to the server, SPF (only the MX sends, plus the senders
 * a target relays through, e.g. `include:amazonses.com`), DKIM (the generated key under its
 * selector) and DMARC. Records for the server's own address are the target's (they point at its
 * load balancer).
 */
export function mailDnsRecords(f: MailFacet, service: string, opts: { readonly spfIncludes?: readonly string[] } = {}): DnsRecord[] {
  const spf = ['v=spf1', 'mx', ...(opts.spfIncludes ?? []).map((d) => `include:${d}`), '-all'].join(' ');
  return [
    { name: f.domain, type: 'MX', values: [`10 ${f.hostname}`], purpose: 'mail for the domain goes to the server' },
    { name: f.domain, type: 'TXT', values: [spf], purpose: 'SPF: who may send as the domain' },
    {
      name: `${f.dkim.selector}._domainkey.${f.domain}`,
      type: 'TXT',
      values: [tpl`v=DKIM1; k=rsa; p=${{ ...secretRef(service, f.dkim.secret), form: 'public-key-base64' }}`],
      purpose: "DKIM: the public key of the domain's signatures",
    },
    {
      name: `_dmarc.${f.domain}`,
      type: 'TXT',
      values: [`v=DMARC1; p=${f.dmarc.policy}; rua=mailto:${f.dmarc.reports}; adkim=r; aspf=r`],
      purpose: 'DMARC: what receivers do with mail that fails, and where they report',
    },
  ];
}

/** The catalogue entry's identity. */
const SERVICE = {
  name: 'mail',
  title: 'Mail (docker-mailserver and Roundcube)',
  description:
    "The platform's own mail: SMTP and IMAP for its domain with spam filtering and DKIM (docker-mailserver), and webmail (Roundcube).",
  concern: 'mail',
} as const;

const accountSecret = (addr: string) => `account-${addr.replace(/@/g, '-at-').replace(/[^a-z0-9-]/g, '-')}`;

/** The aliases after the RFC 2142 defaults (postmaster@, abuse@ to the first account). */
function aliasesOf(c: MailConfig): { address: string; to: readonly string[] }[] {
  const taken = new Set([...c.accounts.map((a) => a.address), ...c.aliases.map((a) => a.address)]);
  const first = c.accounts[0]!.address;
  const defaults = ['postmaster', 'abuse'].map((l) => `${l}@${c.domain}`).filter((a) => !taken.has(a));
  return [...c.aliases, ...defaults.map((a) => ({ address: a, to: [first] }))];
}

/** `postfix-main.cf`: appended to docker-mailserver's main.cf (checked with `postconf` in verify). */
export function postfixMain(c: Pick<MailConfig, 'maxMessageSize'>): string {
  return [
    '# Generated by the platform (services.mail): appended to docker-mailserver main.cf.',
    `message_size_limit = ${memoryBytes(c.maxMessageSize)}`,
    '# One postscreen cache for port 25 and its PROXY protocol twin (12525), shared through proxymap.',
    'postscreen_cache_map = proxy:btree:$data_directory/postscreen_cache',
    '# TLS 1.2 and later on every SMTP listener.',
    'smtpd_tls_protocols = >=TLSv1.2',
    'smtpd_tls_mandatory_protocols = >=TLSv1.2',
    '# Fail2Ban is off (it needs NET_ADMIN and cannot ban behind a proxy): Postfix limits each client',
    '# address itself, per minute; behind a load balancer that address is the real one (PROXY protocol).',
    'anvil_rate_time_unit = 60s',
    'smtpd_client_connection_rate_limit = 60',
    'smtpd_client_auth_rate_limit = 20',
    'smtpd_client_message_rate_limit = 200',
    '',
  ].join('\n');
}

/**
 * `user-patches.sh`: run by docker-mailserver as root after its own setup, before the daemons start.
 * It adds the PROXY protocol twins of the public SMTP ports to master.cf (new services cannot be
 * added by postfix-master.cf: docker-mailserver's docs, "Kubernetes: PROXY protocol"), and installs
 * Rspamd's DKIM key and signing configuration owned by `_rspamd` (the mounted key is root's 0440).
 * Every file outside Postfix's configuration is written with `install`, so verify can run the script
 * against a copy of the configuration.
 */
export function userPatches(f: Pick<MailFacet, 'domain' | 'dkim'>, dkimKey: string): string {
  const key = `/etc/rspamd/dkim/${f.dkim.selector}.${f.domain}.key`;
  return [
    '#!/bin/bash',
    '# Generated by the platform (services.mail).',
    'set -euo pipefail',
    'MASTER="$(postconf -h config_directory)/master.cf"',
    '',
    '# PROXY protocol twins of the public ports, for a load balancer that sends the client address.',
    `postconf -Mf submission/inet | sed -e 's/^submission /${MAIL_PORTS.submission.proxy} /' -e 's|syslog_name=postfix/submission|syslog_name=postfix/submission-proxyprotocol|' >> "$MASTER"`,
    `postconf -Mf submissions/inet | sed -e 's/^submissions /${MAIL_PORTS.submissions.proxy} /' -e 's|syslog_name=postfix/submissions|syslog_name=postfix/submissions-proxyprotocol|' >> "$MASTER"`,
    `postconf -Mf smtp/inet | sed -e 's/^smtp /${MAIL_PORTS.smtp.proxy} /' >> "$MASTER"`,
    `postconf -P ${MAIL_PORTS.submission.proxy}/inet/smtpd_upstream_proxy_protocol=haproxy`,
    `postconf -P ${MAIL_PORTS.submissions.proxy}/inet/smtpd_upstream_proxy_protocol=haproxy`,
    `postconf -P ${MAIL_PORTS.smtp.proxy}/inet/postscreen_upstream_proxy_protocol=haproxy ${MAIL_PORTS.smtp.proxy}/inet/syslog_name=postfix/smtpd-proxyprotocol`,
    '',
    "# Rspamd's DKIM key, readable by Rspamd alone, and its signing configuration.",
    `install -D -o _rspamd -g _rspamd -m 0400 ${dkimKey} ${key}`,
    `install -D -o root -g root -m 0644 ${DKIM_SIGNING} /etc/rspamd/override.d/dkim_signing.conf`,
    '',
  ].join('\n');
}

/** Rspamd's DKIM signing (the settings `setup config dkim` writes, with our key and selector). */
export function dkimSigning(f: Pick<MailFacet, 'domain' | 'dkim'>): string {
  return [
    '# Generated by the platform (services.mail): Rspamd DKIM signing.',
    'enabled = true;',
    'sign_authenticated = true;',
    'sign_local = true;',
    'try_fallback = false;',
    'use_domain = "header";',
    'use_redis = false;',
    'use_esld = true;',
    'allow_username_mismatch = false;',
    'check_pubkey = true;',
    'domain {',
    `  ${f.domain} {`,
    `    path = "/etc/rspamd/dkim/${f.dkim.selector}.${f.domain}.key";`,
    `    selector = "${f.dkim.selector}";`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** `dovecot.cf` (docker-mailserver copies it to /etc/dovecot/local.conf; checked with `doveconf` in verify). */
export function dovecotConf(f: Pick<MailFacet, 'trustedNetworks'>): string {
  return [
    '# Generated by the platform (services.mail): /etc/dovecot/local.conf.',
    '# PROXY protocol headers are honoured from these networks only.',
    `haproxy_trusted_networks = ${f.trustedNetworks.join(' ')}`,
    'service imap-login {',
    '  inet_listener imaps {',
    `    port = ${MAIL_PORTS.imaps.port}`,
    '    ssl = yes',
    '  }',
    '  # The PROXY protocol twin of 993, for a load balancer that sends the client address.',
    '  inet_listener imaps_proxyprotocol {',
    `    port = ${MAIL_PORTS.imaps.proxy}`,
    '    ssl = yes',
    '    haproxy = yes',
    '  }',
    '}',
    '# TLS 1.2 and later.',
    'ssl_min_protocol = TLSv1.2',
    '# Slow down password guessing (no Fail2Ban): every failed login waits this long.',
    'auth_failure_delay = 2 secs',
    '',
  ].join('\n');
}

/**
 * The Roundcube settings the image has no variable for: verify the mail server by its public name,
 * and PostgreSQL (`database`) by its certificate and name where the target gives its CA.
 *
 * The image builds `db_dsnw` from ROUNDCUBEMAIL_DB_* without any option (docker-entrypoint.sh, no
 * sslmode: libpq's default `prefer` encrypts where the server offers TLS and verifies nothing).
 * Roundcube passes a DSN's `sslmode` and `sslrootcert` query options to libpq (rcube_db_pgsql
 * `$libpq_connect_params`; rcube_db::parse_dsn rawurldecodes the password), so this file, included
 * after the image's configuration and before its schema update (bin/initdb.sh), replaces `db_dsnw`
 * with one that says verify-full: the password read from its file at run time and URL-encoded,
 * never written here.
 */
export function roundcubeConfig(hostname: string, database?: RoundcubeDatabase): Text {
  const db = database
    ? [
        '// PostgreSQL over TLS verified against its CA and by its name (sslmode=verify-full), where the',
        "// target gives the CA: the internal CA (internalTls) or the managed service's (RDS's bundle).",
        `if (is_readable('${database.ca}')) {`,
        `    $platform_db_password = file_get_contents('${database.passwordFile}');`,
        '    if ($platform_db_password === false) {',
        `        throw new RuntimeException('cannot read ${database.passwordFile}');`,
        '    }',
        `    $config['db_dsnw'] = 'pgsql://${database.user}:' . rawurlencode(rtrim($platform_db_password, "\\n"))`,
        joinTemplates(
          ["        . '@", database.host, `:${database.port}/${database.database}?sslmode=verify-full&sslrootcert=${database.ca}';`],
          '',
        ),
        '    unset($platform_db_password);',
        '}',
      ]
    : [];
  return joinTemplates(
    [
      '<?php',
      '// Generated by the platform (services.mail.webmail): included after the image configuration.',
      `// IMAP and SMTP are verified against the mail server's public name; its CA where the platform has one.`,
      `$platform_tls = ['ssl' => ['verify_peer' => true, 'verify_peer_name' => true, 'peer_name' => '${hostname}']];`,
      `if (is_readable('${ROUNDCUBE_TRUST}')) {`,
      `    $platform_tls['ssl']['cafile'] = '${ROUNDCUBE_TRUST}';`,
      '}',
      "$config['imap_conn_options'] = $platform_tls;",
      "$config['smtp_conn_options'] = $platform_tls;",
      "$config['product_name'] = 'Webmail';",
      "$config['session_lifetime'] = 30;",
      "$config['login_autocomplete'] = 0;",
      ...db,
      '',
    ],
    '\n',
  );
}

export const mail = defineService({
  ...SERVICE,
  schema: mailSchema,
  platformConsumers(c): PlatformConsumer[] {
    return c.webmail.enabled && c.webmail.database === 'postgres'
      ? [
          {
            name: WEBMAIL_CONSUMER,
            spec: 'webmail',
            services: { postgres: { database: WEBMAIL_DATABASE } },
            configPath: 'services.mail.webmail.database',
          },
        ]
      : [];
  },
  build(c, ctx) {
    const image = resolveImage(MAILSERVER_IMAGE, c);
    const hostname = `${c.hostname}.${c.domain}`;
    const accounts = c.accounts.map((a) => ({ address: a.address, secret: accountSecret(a.address), quota: a.quota }));
    const facet: MailFacet = {
      domain: c.domain,
      hostname,
      dkim: { selector: c.dkim.selector, secret: 'dkim-key' },
      dmarc: { policy: c.dmarc.policy, reports: c.dmarc.reports ?? `postmaster@${c.domain}` },
      accounts: accounts.map(({ address, secret }) => ({ address, secret })),
      trustedNetworks: c.proxyProtocol.trustedNetworks,
    };
    const dkimKey = secretValueFile('mailserver', 'dkim-key', { mode: 0o400 });
    // `user@domain|{BLF-CRYPT}<bcrypt>`: Dovecot honours the scheme prefix over the passdb's default.
    const accountsFile = secretFile(
      `${DMS_CONFIG}/postfix-accounts.cf`,
      joinTemplates(
        [...accounts.map((a) => tpl`${a.address}|{BLF-CRYPT}${{ ...secretRef('mailserver', a.secret), form: 'bcrypt' }}`), ''],
        '\n',
      ),
      { format: 'postfix-accounts.cf' },
    );
    const quotas = accounts.filter((a) => a.quota);
    const files: ConfigFile[] = [
      accountsFile,
      {
        path: `${DMS_CONFIG}/postfix-virtual.cf`,
        content: [...aliasesOf(c).map((a) => `${a.address} ${a.to.join(',')}`), ''].join('\n'),
        mode: 0o444,
        format: 'postfix-virtual.cf',
      },
      ...(quotas.length
        ? [
            {
              path: `${DMS_CONFIG}/dovecot-quotas.cf`,
              content: [...quotas.map((a) => `${a.address}:${memoryBytes(a.quota!)}`), ''].join('\n'),
              mode: 0o444,
              format: 'dovecot-quotas.cf',
            },
          ]
        : []),
      { path: `${DMS_CONFIG}/postfix-main.cf`, content: postfixMain(c), mode: 0o444, format: 'postfix-main.cf' },
      { path: `${DMS_CONFIG}/dovecot.cf`, content: dovecotConf(facet), mode: 0o444, format: 'dovecot.cf' },
      { path: `${DMS_CONFIG}/user-patches.sh`, content: userPatches(facet, dkimKey.path), mode: 0o555, format: 'user-patches.sh' },
      { path: DKIM_SIGNING, content: dkimSigning(facet), mode: 0o444, format: 'rspamd dkim_signing.conf' },
      dkimKey,
    ];
    const mailPort = (name: keyof typeof MAIL_PORTS, reason: string, anonymous?: string): PortSpec => ({
      ...port(name, MAIL_PORTS[name].port, 'client', MAIL_PORTS[name].appProtocol, c.hostPorts),
      ...(anonymous ? { anonymous } : {}),
      internet: { reason, hostname, proxyProtocolPort: MAIL_PORTS[name].proxy },
    });
    const metrics = probe(ctx, {
      service: 'mailserver',
      port: MAIL_PORTS.submission.port,
      // The submission service's greeting, then a clean goodbye.
      dialogue: [{ expect: '^220 ' }, { send: 'QUIT\r' }, { expect: '^221 ' }],
    });
    const server: ServiceSpec<'mailserver', MailFacet> = {
      name: 'mailserver',
      component: 'mail',
      configPath: 'services.mail',
      description: `SMTP and IMAP for ${c.domain} as ${hostname} (docker-mailserver: Postfix, Dovecot, Rspamd with DKIM signing)`,
      concern: 'mail',
      replicas: 1,
      scaling: { kind: 'fixed' },
      facet,
      dnsRecords: mailDnsRecords(facet, 'mailserver'),
      secrets: [
        {
          name: 'dkim-key',
          kind: 'rsa-private-key',
          length: 2048,
          description: `DKIM signing key of ${c.domain} (selector ${c.dkim.selector})`,
        },
        ...accounts.map((a) => ({
          name: a.secret,
          description: `Password of the mailbox ${a.address} (its owner's: terraform output -json credentials)`,
          length: 24,
          audience: 'person' as const,
        })),
      ],
      certificates: [
        {
          name: 'tls',
          description: `The certificate SMTP and IMAP serve (${hostname})`,
          dnsNames: [hostname],
          container: 'main',
          paths: MAIL_TLS,
        },
      ],
      volumes: [
        { name: 'mail', size: c.persistence.size, description: 'Mailboxes (/var/mail)', backup: true },
        {
          name: 'state',
          size: `${Math.max(1, Math.ceil(memoryBytes(c.persistence.size) / 10 / 1024 ** 3))}Gi`,
          description: "The server's state: the mail queue, Rspamd's and Dovecot's data (/var/mail-state)",
          backup: true,
        },
      ],
      // Maildir keeps one file per message (written whole, then renamed): a snapshot taken while it
      // serves loses at most the messages being delivered, which the sending servers retry.
      ...withBackup(
        backupPlan(ctx.backups, {
          service: 'mailserver',
          method: 'volume-snapshot',
          description:
            'a snapshot of the mailboxes (Maildir) and the state volume (queue, Dovecot and Rspamd data) where the target takes one',
          volumes: ['mail', 'state'],
          consistency: 'crash-consistent',
          schedule: backupSchedule('mailserver', 1440, ctx.backups?.windowMinute ?? 0),
          gaps: 'only AWS snapshots the volumes (AWS Backup, daily); on Docker and other clusters nothing copies them yet: copy /var/mail with the runbook (docs/operations.md, Mail) until a scheduled copy lands',
        }),
      ),
      jobs: [],
      dependsOn: [],
      egress: [
        {
          to: 'internet',
          ports: [25, 465, 587],
          reason: "delivers outgoing mail to other domains' servers (25), or to a relay (587, 465)",
        },
      ],
      containers: [
        {
          name: 'main',
          image,
          user: '0:0',
          privileges: {
            reason:
              "docker-mailserver's supervisord starts as root and each daemon drops to its own user; Postfix's setgid postdrop needs privilege escalation. Capabilities are the upstream Kubernetes docs' set without Fail2Ban's NET_ADMIN and NET_RAW (Fail2Ban is off), all within Pod Security baseline",
            root: true,
            privilegeEscalation: true,
            capabilities: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETGID', 'SETUID', 'SYS_CHROOT'],
          },
          writableRoot:
            'docker-mailserver writes its generated configuration into /etc (postfix, dovecot, rspamd, supervisor) and its logs into /var/log/mail at every start',
          env: {
            OVERRIDE_HOSTNAME: hostname,
            POSTMASTER_ADDRESS: `postmaster@${c.domain}`,
            LOG_LEVEL: 'info',
            TZ: 'UTC',
            // Rspamd does spam filtering, DKIM signing and verification, SPF and DMARC.
            ENABLE_RSPAMD: '1',
            ENABLE_OPENDKIM: '0',
            ENABLE_OPENDMARC: '0',
            ENABLE_POLICYD_SPF: '0',
            ENABLE_AMAVIS: '0',
            ENABLE_SPAMASSASSIN: '0',
            ENABLE_CLAMAV: '0',
            // Needs NET_ADMIN, and cannot ban behind a load balancer; Postfix's and Dovecot's own limits instead.
            ENABLE_FAIL2BAN: '0',
            ENABLE_POP3: '0',
            ENABLE_IMAP: '1',
            ENABLE_MANAGESIEVE: '0',
            ENABLE_QUOTAS: '1',
            // It would contact GitHub and mail the postmaster about new releases.
            ENABLE_UPDATE_CHECK: '0',
            // Authenticated users send as their own addresses (and their aliases) only.
            SPOOF_PROTECTION: '1',
            // No network is trusted to relay without a login (other values can make an open relay).
            PERMIT_DOCKER: 'none',
            SSL_TYPE: 'manual',
            SSL_CERT_PATH: MAIL_TLS.certificate,
            SSL_KEY_PATH: MAIL_TLS.key,
          },
          ports: [
            mailPort(
              'smtp',
              'receives mail for the domain from other servers (an MX)',
              'accepts mail for the domain from anyone, as an MX must; relaying to other domains needs a login',
            ),
            mailPort('submissions', "the users' mail clients send mail (implicit TLS)"),
            mailPort('submission', "the users' mail clients send mail (STARTTLS)"),
            mailPort('imaps', "the users' mail clients read mail (implicit TLS)"),
          ],
          mounts: [
            { volume: 'mail', path: '/var/mail' },
            { volume: 'state', path: '/var/mail-state' },
          ],
          files,
          health: shellHealth(
            `ss --listening --tcp --numeric | grep -qE ':${MAIL_PORTS.smtp.port}[[:space:]]' && ss --listening --tcp --numeric | grep -qE ':${MAIL_PORTS.imaps.port}[[:space:]]'`,
            { startPeriodSeconds: 120, intervalSeconds: 15, retries: 8 },
          ),
          resources: c.resources,
          stopGracePeriodSeconds: 60,
        },
        metrics.container,
      ],
      metrics: metrics.metrics,
    };
    if (!c.webmail.enabled) return [server] as const;
    return [server, webmail(c, hostname, ctx)] as const;
  },
});

function webmail(c: MailConfig, hostname: string, ctx: Parameters<typeof probe>[0]): ServiceSpec<'webmail', WebmailFacet> {
  const w = c.webmail;
  const image = resolveImage(ROUNDCUBE_IMAGE, w);
  const postgres = w.database === 'postgres';
  const desKey = secretFile(ROUNDCUBE_DES_KEY, tpl`${secretRef('webmail', 'des-key')}`);
  const metrics = probe(ctx, { service: 'webmail', port: 8000, path: '/', bodyMatches: 'rcmloginuser' });
  return {
    name: 'webmail',
    component: 'mail',
    configPath: 'services.mail.webmail',
    description: `Roundcube webmail for ${c.domain}, over IMAPS (993) and submission (587) to ${hostname}`,
    concern: 'mail',
    replicas: w.replicas,
    scaling: { kind: 'fixed' },
    facet: { database: w.database, ...(postgres ? { databaseCa: ROUNDCUBE_DB_TRUST } : {}) },
    secrets: [
      {
        name: 'des-key',
        // Roundcube's default cipher (DES-EDE3-CBC) takes exactly 24 characters, with no newline.
        length: 24,
        description: "Roundcube's des_key: encrypts the IMAP password kept in the user's session (exactly 24 characters)",
      },
    ],
    volumes: postgres
      ? []
      : [
          {
            name: 'data',
            size: w.persistence?.size ?? '1Gi',
            description: "Roundcube's SQLite database (settings, contacts, sessions)",
            backup: true,
          },
        ],
    ...withBackup(
      postgres
        ? undefined
        : backupPlan(ctx.backups, {
            service: 'webmail',
            method: 'volume-snapshot',
            description: "a snapshot of the data volume (Roundcube's SQLite database) where the target takes one",
            volumes: ['data'],
            consistency: 'crash-consistent',
            schedule: backupSchedule('webmail', 1440, ctx.backups?.windowMinute ?? 0),
            gaps: 'only AWS snapshots the volume (AWS Backup, daily); on Docker and other clusters nothing copies it: users’ settings and contacts are lost with the volume (mail stays on the mail server)',
          }),
    ),
    jobs: [],
    dependsOn: ['mailserver', ...(postgres ? ['postgres'] : [])],
    containers: [
      {
        name: 'main',
        image,
        // The nonroot image's www-data (uid 33) serving on 8000. With SQLite on Docker it starts as
        // root: the entrypoint makes the database directory on the root-owned volume Apache's.
        user: '33:33',
        ...(postgres
          ? {}
          : {
              startsAsRoot:
                "the entrypoint makes the SQLite database directory on the volume Docker creates owned by root Apache's (www-data)",
            }),
        writableRoot:
          'the entrypoint copies Roundcube into /var/www/html and writes its configuration (database password included) there at every start; a fresh root filesystem per container start keeps it on that path, never the update path that runs composer',
        env: {
          ...(postgres
            ? {
                ROUNDCUBEMAIL_DB_TYPE: 'pgsql',
                ROUNDCUBEMAIL_DB_HOST: tpl`${hostRef('postgres')}`,
                ROUNDCUBEMAIL_DB_PORT: '5432',
                ROUNDCUBEMAIL_DB_USER: underscored(WEBMAIL_CONSUMER),
                ROUNDCUBEMAIL_DB_NAME: WEBMAIL_DATABASE,
              }
            : { ROUNDCUBEMAIL_DB_TYPE: 'sqlite', ROUNDCUBEMAIL_DB_DIR: '/var/roundcube/db' }),
          ROUNDCUBEMAIL_DEFAULT_HOST: tpl`ssl://${hostRef('mailserver')}`,
          ROUNDCUBEMAIL_DEFAULT_PORT: String(MAIL_PORTS.imaps.port),
          ROUNDCUBEMAIL_SMTP_SERVER: tpl`tls://${hostRef('mailserver')}`,
          ROUNDCUBEMAIL_SMTP_PORT: String(MAIL_PORTS.submission.port),
          ROUNDCUBEMAIL_USERNAME_DOMAIN: c.domain,
          ROUNDCUBEMAIL_PLUGINS: 'archive,zipdownload',
          ROUNDCUBEMAIL_SKIN: 'elastic',
        },
        ports: [{ ...port('http', 8000, 'ui', 'http', w.hostPorts), external: true }],
        mounts: postgres ? [] : [{ volume: 'data', path: '/var/roundcube/db' }],
        files: [
          {
            path: ROUNDCUBE_CONFIG,
            content: roundcubeConfig(
              hostname,
              postgres
                ? {
                    host: tpl`${hostRef('postgres')}`,
                    port: 5432,
                    user: underscored(WEBMAIL_CONSUMER),
                    database: WEBMAIL_DATABASE,
                    passwordFile: ROUNDCUBE_DB_PASSWORD,
                    ca: ROUNDCUBE_DB_TRUST,
                  }
                : undefined,
            ),
            mode: 0o444,
            format: 'roundcube config.php',
          },
          desKey,
          ...(postgres
            ? [
                secretFile(ROUNDCUBE_DB_PASSWORD, tpl`${secretRef('postgres', consumerSecret(WEBMAIL_CONSUMER, 'password'))}`, {
                  format: 'secret',
                }),
              ]
            : []),
        ],
        trusts: [
          { service: 'mailserver', certificate: 'tls', path: ROUNDCUBE_TRUST },
          // PostgreSQL's internal TLS: its CA, and the configuration connects with verify-full.
          ...(postgres && ctx.tls ? [{ service: 'postgres', certificate: INTERNAL_CERTIFICATE, path: ROUNDCUBE_DB_TRUST }] : []),
        ],
        // The image has curl (no wget); the login page answers 200.
        health: health(['curl', '--fail', '--silent', '--output', '/dev/null', 'http://127.0.0.1:8000/'], {
          http: { port: 8000, path: '/' },
          startPeriodSeconds: 60,
        }),
        resources: w.resources,
        stopGracePeriodSeconds: 15,
      },
      metrics.container,
    ],
    metrics: metrics.metrics,
  };
}

/**
 * Mailcow (mailcow-dockerized, 2026-07a), which the platform's documents name: what of it this stack
 * covers, and what it does not, for docs/services.md. Mailcow is compose-only and drives the Docker API
 * (its dockerapi and ofelia containers mount /var/run/docker.sock), so it fits neither a cluster nor
 * one spec rendered for three targets; docker-mailserver and Roundcube take its place.
 */
export const MAILCOW_COVERAGE: {
  readonly covered: readonly { readonly what: string; readonly by: string }[];
  readonly notCovered: readonly { readonly what: string; readonly instead: string }[];
} = {
  covered: [
    { what: 'SMTP (Postfix) with submission 465/587, IMAP (Dovecot) on 993', by: 'docker-mailserver 15.1.0' },
    {
      what: 'spam filtering, DKIM signing and verification, SPF and DMARC checks (Rspamd)',
      by: 'docker-mailserver (Rspamd; OpenDKIM, OpenDMARC, policyd-spf off)',
    },
    {
      what: 'mailboxes and aliases, quotas',
      by: 'services.mail.accounts and aliases (generated passwords, bcrypt hashes only), Dovecot quota',
    },
    { what: 'webmail (SOGo in Mailcow)', by: 'Roundcube 1.7 (IMAPS and submission), its data in the platform PostgreSQL' },
    {
      what: 'TLS certificates (its acme container)',
      by: 'cert-manager on clusters (ACME through the Gateway or DNS-01 in Route 53), an internal CA or files on Docker',
    },
    { what: 'DNS records for the domain', by: 'Route 53 on AWS (MX, SPF, DKIM, DMARC); the dns_records output elsewhere' },
    {
      what: 'brute-force protection (its netfilter container)',
      by: "Postfix's per-client rate limits and Dovecot's auth_failure_delay (Fail2Ban needs NET_ADMIN and cannot ban behind a load balancer)",
    },
  ],
  notCovered: [
    { what: 'groupware: calendars and contacts (CalDAV, CardDAV), ActiveSync (SOGo)', instead: 'a groupware server of its own, if needed' },
    { what: 'a web administration UI for domains and mailboxes', instead: 'the environment file (accounts, aliases), then a deploy' },
    { what: 'several mail domains in one installation', instead: 'one domain per environment (services.mail.domain)' },
    { what: 'POP3 and ManageSieve', instead: 'off (ENABLE_POP3, ENABLE_MANAGESIEVE); IMAP only' },
    { what: 'virus scanning (ClamAV)', instead: 'off: docker-mailserver has it (ENABLE_CLAMAV), at about 850 MB more memory' },
    {
      what: 'its watchdog and Docker-API helpers (dockerapi, ofelia)',
      instead: "the targets' own health checks, restarts and jobs; no container gets the Docker socket",
    },
  ],
};
