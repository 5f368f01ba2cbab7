/**
 * The RDS roles job of every AWS stack with a managed PostgreSQL, run for real against a fresh
 * PostgreSQL 15 standing in for RDS (its master a LOGIN CREATEROLE CREATEDB role that is no
 * superuser, as RDS's is not; password authentication over TCP, as RDS's pg_hba):
 * - the job's first container (fetch-secret.sh, under busybox's sh and awk as in curlimages/curl)
 *   decodes a GetSecretValue response holding the master's JSON secret, with a password full of
 *   characters JSON escapes, into the files the second reads;
 * - its second container's script (the synthesized one, for the stack's applications) runs twice
 *   (idempotent), then again with rotated application passwords;
 * - each application's role logs in to its own database with its current password (and creates a
 *   table there), not with the old one, not to the master's database nor another application's,
 *   and is neither superuser nor able to create roles or databases.
 * - a role on IAM authentication (`auth: 'iam'`) has no password and is a member of rds_iam (RDS's
 *   role, created here as RDS has it), so no password logs it in.
 * - the job's CA step (`caCheck`): the bundle downloaded over verified HTTPS lets psql connect
 *   with sslmode=verify-full to a server whose certificate one of its CAs issued.
 * - Roundcube on RDS (`roundcubeClient`): its pod's own fetch-ca step, then its configuration file
 *   (php -l, included after the image's DSN, connected through PDO pgsql as Roundcube 1.7.3 does)
 *   reaching that server as its role with verify-full, its password full of URL characters.
 * Broken variants: the script without its REVOKE statements must be caught (a role reaches the
 * master's database); with an IAM role, the script without its `GRANT rds_iam` must be caught; a
 * bundle of another CA (psql, and Roundcube, refuse the server) and a trust store the curl CAs do not vouch for
 * (the download fails) must be caught.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type Outcome, needs, note, sh, validator, work, freePort } from './lib';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const MASTER = { username: 'platform', password: `M4ster\\'&<>$x\`y%{z}` };

interface App {
  readonly consumer: string;
  readonly role: string;
  readonly database: string;
  readonly auth: 'password' | 'iam';
}

const asPostgres = (args: string[], env: Record<string, string> = {}) => {
  const withEnv = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args];
  return process.getuid?.() === 0 ? sh('runuser', ['-u', 'postgres', '--', ...withEnv]) : sh('env', withEnv.slice(1));
};

/** Terraform's escaping of a literal undone (the job's command is a literal in the stack). */
const literal = (s: string) => s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');

export function rolesCheck(fetchScript: string, rolesScript: string, apps: readonly App[], label: string): Outcome {
  const dir = fs.mkdtempSync(path.join(work, `rds-${label}-`));
  fs.mkdirSync(path.join(dir, 'master'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'inputs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  // The job's image has busybox's sh and awk: run the fetch step with them.
  for (const tool of ['sh', 'awk']) fs.symlinkSync('/usr/bin/busybox', path.join(dir, 'bin', tool));
  fs.writeFileSync(path.join(dir, 'fetch-secret.sh'), fetchScript, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'roles.sh'), rolesScript, { mode: 0o755 });
  // As Secrets Manager returns it: the secret's JSON as a string inside the response's JSON, and
  // with the escapes a Go encoder writes for <, > and &.
  const inner = JSON.stringify(MASTER).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  fs.writeFileSync(
    path.join(dir, 'response.json'),
    JSON.stringify({ ARN: 'arn:aws:secretsmanager:eu-west-1:0:secret:x', SecretString: inner }),
  );
  fs.writeFileSync(path.join(dir, 'pg_hba.conf'), ['local all rdsadmin trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'));
  if (process.getuid?.() === 0) sh('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const init = asPostgres([`${PG_BIN}/initdb`, '-D', data, '--username=rdsadmin', '--auth-local=trust']);
  if (init.code !== 0) return init;
  const port = String(freePort());
  const opts = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c hba_file=${dir}/pg_hba.conf -c password_encryption=scram-sha-256`;
  const started = asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
  if (started.code !== 0)
    return { code: 1, out: `${started.out}${fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : ''}` };
  const admin = (sql: string, db = 'postgres') =>
    asPostgres([`${PG_BIN}/psql`, '-X', '-h', dir, '-p', port, '-U', 'rdsadmin', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql]);
  const login = (user: string, password: string, db: string, sql = 'SELECT 1') =>
    asPostgres([`${PG_BIN}/psql`, '-X', '-h', '127.0.0.1', '-p', port, '-U', user, '-d', db, '-w', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], {
      PGPASSWORD: password,
    });
  try {
    // RDS's master: no superuser; CREATEROLE and CREATEDB (rds_superuser grants more, never less).
    for (const sql of [
      // RDS's role for IAM authentication (every RDS PostgreSQL has it).
      'CREATE ROLE rds_iam NOLOGIN',
      `CREATE ROLE ${MASTER.username} LOGIN CREATEROLE CREATEDB`,
      `CREATE DATABASE ${MASTER.username} OWNER ${MASTER.username}`,
    ]) {
      const setup = admin(sql);
      if (setup.code !== 0) return setup;
    }
    const setPw = admin(`ALTER ROLE ${MASTER.username} PASSWORD '${MASTER.password.replace(/'/g, "''")}'`);
    if (setPw.code !== 0) return setPw;
    const fetch = asPostgres(['sh', path.join(dir, 'fetch-secret.sh')], {
      PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
      SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:0:secret:x',
      AWS_REGION: 'eu-west-1',
      OUT_DIR: path.join(dir, 'master'),
      SECRET_RESPONSE_FILE: path.join(dir, 'response.json'),
    });
    if (fetch.code !== 0) return { code: 1, out: `fetch-secret.sh failed: ${fetch.out}` };
    const got = fs.readFileSync(path.join(dir, 'master', 'password'), 'utf8');
    if (got !== MASTER.password) return { code: 1, out: `fetch-secret.sh decoded the password as ${JSON.stringify(got)}` };
    const run = (round: string): Outcome => {
      for (const a of apps) fs.writeFileSync(path.join(dir, 'inputs', a.consumer), `${a.consumer}${round}0`, { mode: 0o644 });
      return asPostgres(['sh', path.join(dir, 'roles.sh')], {
        PATH: `${PG_BIN}:/usr/bin:/bin`,
        HOME: dir,
        MASTER_DIR: path.join(dir, 'master'),
        INPUTS_DIR: path.join(dir, 'inputs'),
        PGHOST: '127.0.0.1',
        PGPORT: port,
        PGDATABASE: MASTER.username,
        PGSSLMODE: 'disable',
      });
    };
    for (const round of ['First', 'First', 'Second']) {
      const r = run(round);
      if (r.code !== 0) return { code: 1, out: `the roles script failed (round ${round}): ${r.out}` };
    }
    const problems: string[] = [];
    for (const a of apps.filter((x) => x.auth === 'iam')) {
      // No password at all, and RDS takes IAM tokens only for a member of rds_iam.
      const state = admin(
        `SELECT rolpassword IS NULL, pg_has_role(rolname, 'rds_iam', 'MEMBER') FROM pg_authid WHERE rolname = '${a.role}'`,
      );
      if (state.out.trim() !== 't|t')
        problems.push(`${a.role} (IAM authentication): password absent, rds_iam member = ${state.out.trim()}`);
      if (login(a.role, `${a.consumer}Second0`, a.database).code === 0)
        problems.push(`${a.role} (IAM authentication) logs in with a password`);
      const owner = admin(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${a.database}'`);
      if (owner.out.trim() !== a.role) problems.push(`${a.database} is owned by ${owner.out.trim()}, not ${a.role}`);
    }
    for (const a of apps.filter((x) => x.auth === 'password')) {
      const current = `${a.consumer}Second0`;
      const table = login(a.role, current, a.database, 'CREATE TABLE IF NOT EXISTS verify (id int); INSERT INTO verify VALUES (1)');
      if (table.code !== 0) problems.push(`${a.role} cannot log in to ${a.database} and write there: ${table.out}`);
      if (login(a.role, `${a.consumer}First0`, a.database).code === 0) problems.push(`${a.role} still logs in with its old password`);
      if (login(a.role, current, MASTER.username).code === 0) problems.push(`${a.role} reaches the master's database`);
      const iam = admin(`SELECT pg_has_role('${a.role}', 'rds_iam', 'MEMBER')`);
      if (iam.out.trim() !== 'f') problems.push(`${a.role} (password authentication) is a member of rds_iam`);
      for (const o of apps.filter((x) => x.database !== a.database))
        if (login(a.role, current, o.database).code === 0) problems.push(`${a.role} reaches ${o.role}'s database ${o.database}`);
      const attrs = admin(
        `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = '${a.role}'`,
      );
      if (attrs.out.trim() !== 'f|f|f|f|f')
        problems.push(`${a.role} has attributes ${attrs.out.trim()} (superuser, createrole, createdb, replication, bypassrls)`);
      const owner = admin(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${a.database}'`);
      if (owner.out.trim() !== a.role) problems.push(`${a.database} is owned by ${owner.out.trim()}, not ${a.role}`);
    }
    return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: problems.join('\n') };
  } finally {
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', 'stop']);
  }
}

export async function verifyManagedPostgres(artifact: Artifact): Promise<void> {
  const name = 'RDS roles job';
  if (!needs({ [`${PG_BIN}/postgres`]: 'postgresql-15', runuser: 'util-linux', busybox: 'busybox' }, name)) return;
  let checked = 0;
  for (const env of envsOf(artifact, 'aws')) {
    const job = artifact.stackJson(env.name).resource?.kubernetes_job_v1?.postgres_roles;
    if (!job) continue;
    const pod = job.spec.template.spec;
    const fetchScript = literal(pod.init_container[0].command[2]);
    const rolesScript = literal(pod.container[0].command[2]);
    const apps = (env.specs.find((s) => s.name === 'postgres')!.facet as { applications: App[] }).applications;
    checked++;
    await validator(
      `${env.name}: RDS roles job (${apps.map((a) => a.role).join(', ')}): the master fetched and decoded, roles applied twice and rotated; each reaches its own database only (PostgreSQL 15, master no superuser)`,
      () => rolesCheck(fetchScript, rolesScript, apps, `${env.name}-good`),
      // Without the REVOKEs every role may connect to the master's database (and to each other's).
      () =>
        rolesCheck(
          fetchScript,
          rolesScript
            .split('\n')
            .filter((l) => !l.includes('REVOKE'))
            .join('\n'),
          apps,
          `${env.name}-bad`,
        ),
    );
    // The server's certificate: the bundle the job downloads verifies it (verify-full), another CA's does not.
    const fetchCa = pod.init_container.find((c: { name: string }) => c.name === 'fetch-ca');
    const applyEnv = Object.fromEntries(pod.container[0].env.map((e: { name: string; value: string }) => [e.name, e.value])) as Record<
      string,
      string
    >;
    if (fetchCa && needs({ openssl: 'openssl', curl: 'curl' }, name)) {
      const caScript = literal(fetchCa.command[2]);
      await validator(
        `${env.name}: RDS roles job, server certificate: fetch-ca downloads the bundle over verified HTTPS and psql (${applyEnv.PGSSLMODE}, sslrootcert = that file) connects to a server of one of its CAs (PostgreSQL 15 with ssl on; HTTPS stand-in of the trust store)`,
        () => caCheck(caScript, applyEnv, `${env.name}-good`),
        () => caCheck(caScript, applyEnv, `${env.name}-other-bundle`, 'bundle'),
      );
      await validator(
        `${env.name}: RDS roles job, server certificate: a trust store whose HTTPS certificate the curl image's CAs do not vouch for fails the job`,
        () => caCheck(caScript, applyEnv, `${env.name}-good-store`),
        () => caCheck(caScript, applyEnv, `${env.name}-other-store`, 'store'),
      );
    } else if (!fetchCa) note(`${env.name}: the RDS roles job downloads no CA bundle`);
    // Roundcube on RDS: its pod's own download step, then its configuration's connection (PHP, PDO pgsql).
    const webmail = artifact.stackJson(env.name).resource?.kubernetes_deployment_v1?.webmail?.spec.template.spec;
    const webmailCa = webmail?.init_container?.find((c: { name: string }) => c.name === 'fetch-ca');
    const config = artifact.stackJson(env.name).resource?.kubernetes_config_map_v1?.webmail_config?.data?.[
      'var_roundcube_config_platform.php'
    ];
    if (webmailCa && config && needs({ openssl: 'openssl', curl: 'curl', php: 'php-cli php-pgsql' }, name)) {
      const caEnv = Object.fromEntries(webmailCa.env.map((e: { name: string; value: string }) => [e.name, e.value])) as Record<
        string,
        string
      >;
      const script = literal(webmailCa.command[2]);
      const client = roundcubeClient(
        literal(config),
        caEnv.CA_FILE!,
        '/run/secrets/roundcube_db_password',
        '${aws_db_instance.postgres.address}',
      );
      const settings = { PGSSLMODE: 'verify-full', PGSSLROOTCERT: caEnv.CA_FILE! };
      await validator(
        `${env.name}: Roundcube on RDS, server certificate: its pod's fetch-ca downloads the bundle, and its configuration (php -l; included after the image's DSN, connected as Roundcube 1.7.3 does with PDO pgsql) reaches a server of one of its CAs with sslmode=verify-full, its password URL-encoded (PostgreSQL 15 with ssl on, scram-sha-256)`,
        () => caCheck(script, settings, `${env.name}-roundcube`, undefined, client),
        () => caCheck(script, settings, `${env.name}-roundcube-other-bundle`, 'bundle', client),
      );
    } else if (!webmailCa && config?.includes('db_dsnw')) note(`${env.name}: Roundcube on RDS downloads no CA bundle`);
    // An IAM role without rds_iam would still be refused by RDS for tokens: caught.
    const iam = apps.filter((a) => a.auth === 'iam');
    if (iam.length > 0)
      await validator(
        `${env.name}: RDS roles job, IAM authentication (${iam.map((a) => a.role).join(', ')}): no password, a member of rds_iam (PostgreSQL 15 with an rds_iam role)`,
        () => rolesCheck(fetchScript, rolesScript, apps, `${env.name}-iam-good`),
        () =>
          rolesCheck(
            fetchScript,
            rolesScript
              .split('\n')
              .filter((l) => !l.startsWith('GRANT rds_iam'))
              .join('\n'),
            apps,
            `${env.name}-iam-bad`,
          ),
      );
  }
  if (checked === 0) note('no AWS stack with a managed PostgreSQL roles job: nothing to run');
}

/** Roundcube's password in the check: characters a DSN's user-info must carry URL-encoded. */
const ROUNDCUBE_PASSWORD = `Rc:p@ss/w?rd#&=%2F+ 'q"\\`;

/**
 * Roundcube as the client of `caCheck`: the synthesized configuration file it includes (from the
 * stack's ConfigMap), with the sandbox's addresses and paths in place of the pod's (the RDS address,
 * port 5432, the password file, the CA file the init step writes), checked by `php -l`, then
 * included after the image's own `db_dsnw` by roundcube-dsn.php, which connects as Roundcube 1.7.3
 * does (PDO pgsql, the DSN's libpq options). It must reach the server over TLS as the role webmail,
 * with sslmode=verify-full and the downloaded bundle. With `hostAddress` the configuration keeps its
 * own host name, which libpq dials at that address (PGHOSTADDR) and verify-full checks against the
 * server's certificate; else the host becomes `localhost`.
 */
export function roundcubeClient(php: string, caFile: string, passwordFile: string, host: string, hostAddress?: string): CaClient {
  return {
    sql: [`CREATE ROLE webmail LOGIN PASSWORD '${ROUNDCUBE_PASSWORD.replace(/'/g, "''")}'`, 'CREATE DATABASE roundcube OWNER webmail'],
    connect: ({ port, bundle, dir }) => {
      const secret = path.join(dir, 'roundcube_db_password');
      fs.writeFileSync(secret, ROUNDCUBE_PASSWORD);
      const file = path.join(dir, 'platform.php');
      const files = php.split(caFile).join(bundle).split(passwordFile).join(secret);
      const at = hostAddress ? files : files.split(host).join('localhost');
      if (!at.includes(`@${hostAddress ? host : 'localhost'}:5432/`))
        return { code: 1, out: `the configuration names no PostgreSQL at ${host}:5432` };
      fs.writeFileSync(file, at.replace(':5432/', `:${port}/`));
      const lint = sh('php', ['-l', file]);
      if (lint.code !== 0) return { code: 1, out: `php -l: ${lint.out}` };
      const r = sh('php', [path.join(import.meta.dirname, 'roundcube-dsn.php'), file], {
        // The image's own DSN (docker-entrypoint.sh: no option), which the file must replace.
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...(hostAddress ? { PGHOSTADDR: hostAddress } : {}),
          IMAGE_DSNW: `pgsql://webmail:${encodeURIComponent(ROUNDCUBE_PASSWORD)}@localhost:${port}/roundcube`,
        },
      });
      if (r.code !== 0) return { code: 1, out: `Roundcube's connection failed: ${r.out.trim()}` };
      const got = JSON.parse(r.out.trim().split('\n').pop()!) as { pdo_dsn: string; user: string; connection: string };
      if (got.user !== 'webmail' || got.connection !== 'tls' || !got.pdo_dsn.includes('sslmode=verify-full'))
        return { code: 1, out: `Roundcube connected, but not as asked: ${JSON.stringify(got)}` };
      return { code: 0, out: `php -l clean; Roundcube's DSN ${got.pdo_dsn} connected as ${got.user} over TLS` };
    },
  };
}

/** Another client of the server `caCheck` starts (after `sql` ran as its master), instead of psql. */
export interface CaClient {
  /** Statements run first, one by one, as the master (over the socket). */
  readonly sql: readonly string[];
  /** Connects to localhost:`port`, verifying the server with `bundle` (the file fetch-ca wrote). */
  connect(at: { port: string; bundle: string; dir: string }): Outcome;
}

/**
 * The roles job's CA step for real: its `fetch-ca` script (busybox sh, curl) downloads the bundle
 * from an HTTPS stand-in of the RDS trust store, trusted through CURL_CA_BUNDLE as the curl image's
 * store is, and psql then connects to a PostgreSQL 15 with ssl on (its certificate for `localhost`
 * issued by the stand-in's "RDS" CA) with the job's settings: sslmode=verify-full and the
 * downloaded file as sslrootcert. `bundle: 'other'` serves a bundle of another CA (psql must refuse
 * the server); `store: 'other'` gives curl a store that does not trust the trust store's server
 * (the download, and so the job, must fail).
 */
export function caCheck(
  fetchCaScript: string,
  env: Record<string, string>,
  label: string,
  broken?: 'bundle' | 'store',
  client?: CaClient,
): Outcome {
  const dir = fs.mkdtempSync(path.join(work, `rds-ca-${label}-`));
  const ssl = (args: string[]) => sh('openssl', args, { cwd: dir });
  // Three CAs: the "RDS" CA that signs the database's certificate, another one, and the web PKI's
  // stand-in that signs the trust store's HTTPS certificate.
  for (const ca of ['rds', 'other', 'web']) {
    const r = ssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}-ca.key`,
      '-out',
      `${ca}-ca.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${ca} test CA`,
    ]);
    if (r.code !== 0) return r;
  }
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  for (const [leaf, ca] of [
    ['db', 'rds'],
    ['https', 'web'],
  ]) {
    for (const args of [
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', '/CN=localhost'],
      [
        'x509',
        '-req',
        '-in',
        `${leaf}.csr`,
        '-CA',
        `${ca}-ca.pem`,
        '-CAkey',
        `${ca}-ca.key`,
        '-CAcreateserial',
        '-out',
        `${leaf}.pem`,
        '-days',
        '2',
        '-extfile',
        'san.ext',
      ],
    ]) {
      const r = ssl(args);
      if (r.code !== 0) return r;
    }
  }
  // The bundle as the trust store serves it: several CAs, the right one among them (or not).
  const served = broken === 'bundle' ? ['other'] : ['other', 'rds'];
  fs.mkdirSync(path.join(dir, 'www'));
  fs.writeFileSync(
    path.join(dir, 'www', 'global-bundle.pem'),
    served.map((c) => fs.readFileSync(path.join(dir, `${c}-ca.pem`), 'utf8')).join(''),
  );
  const httpsPort = freePort();
  const server = spawn(
    process.execPath,
    [
      '-e',
      `const fs=require('fs');require('https').createServer({key:fs.readFileSync('https.key'),cert:fs.readFileSync('https.pem')},(q,r)=>{try{if(q.url.includes('..'))throw 0;r.end(fs.readFileSync('www'+q.url))}catch{r.statusCode=404;r.end()}}).listen(${httpsPort},'127.0.0.1',()=>console.log('up'))`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  server.stdout.on('data', (d) => (log += String(d)));
  server.stderr.on('data', (d) => (log += String(d)));
  const serverLog = () => (log ? ` (trust store stand-in: ${log.trim()})` : '');
  const caDir = path.join(dir, 'ca');
  fs.mkdirSync(caDir);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.symlinkSync('/usr/bin/busybox', path.join(dir, 'bin', 'sh'));
  fs.writeFileSync(path.join(dir, 'fetch-ca.sh'), fetchCaScript);
  const bundle = path.join(caDir, path.basename(env.PGSSLROOTCERT ?? 'bundle.pem'));
  const data = path.join(dir, 'data');
  try {
    // Wait for the HTTPS stand-in (at most 5 s).
    sh('sh', [
      '-c',
      `for i in $(seq 50); do curl -s -o /dev/null --cacert ${dir}/web-ca.pem https://localhost:${httpsPort}/ && exit 0; sleep 0.1; done`,
    ]);
    const fetched = sh(path.join(dir, 'bin', 'sh'), [path.join(dir, 'fetch-ca.sh')], {
      env: {
        PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
        CURL_CA_BUNDLE: path.join(dir, broken === 'store' ? 'other-ca.pem' : 'web-ca.pem'),
        CA_URL: `https://localhost:${httpsPort}/global-bundle.pem`,
        CA_FILE: bundle,
      },
    });
    if (fetched.code !== 0) return { code: 1, out: `fetch-ca failed: ${fetched.out}${serverLog()}` };
    if (process.getuid?.() === 0) sh('chown', ['-R', 'postgres:postgres', dir]);
    const init = asPostgres([`${PG_BIN}/initdb`, '-D', data, '--username=rdsadmin', '--auth-local=trust']);
    if (init.code !== 0) return init;
    fs.writeFileSync(
      path.join(dir, 'pg_hba.conf'),
      [
        'local all all trust',
        // A client with a password logs in with it, as on RDS; psql as the master without one.
        `hostssl all all 127.0.0.1/32 ${client ? 'scram-sha-256' : 'trust'}`,
        `hostssl all all ::1/128 ${client ? 'scram-sha-256' : 'trust'}`,
        '',
      ].join('\n'),
    );
    fs.chmodSync(path.join(dir, 'db.key'), 0o600);
    if (process.getuid?.() === 0) sh('chown', ['-R', 'postgres:postgres', dir]);
    const port = String(freePort());
    const opts = `-c port=${port} -c listen_addresses=localhost -c unix_socket_directories=${dir} -c hba_file=${dir}/pg_hba.conf -c ssl=on -c ssl_cert_file=${dir}/db.pem -c ssl_key_file=${dir}/db.key`;
    const started = asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
    if (started.code !== 0)
      return {
        code: 1,
        out: `${started.out}${fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : ''}`,
      };
    if (client) {
      const setup = asPostgres([
        `${PG_BIN}/psql`,
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        dir,
        '-p',
        port,
        '-U',
        'rdsadmin',
        '-d',
        'postgres',
        ...client.sql.flatMap((q) => ['-c', q]),
      ]);
      if (setup.code !== 0) return setup;
      const c = client.connect({ port, bundle, dir });
      return c.code === 0 ? { code: 0, out: `bundle fetched (${fetched.out.trim()}); ${c.out}` } : c;
    }
    // The job's own settings, its host the server's name.
    const q = asPostgres(
      [
        `${PG_BIN}/psql`,
        '-X',
        '-w',
        '-U',
        'rdsadmin',
        '-d',
        'postgres',
        '-Atc',
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      ],
      {
        PGHOST: 'localhost',
        PGPORT: port,
        PGSSLMODE: env.PGSSLMODE ?? '',
        PGSSLROOTCERT: bundle,
        PGCONNECT_TIMEOUT: '10',
      },
    );
    if (q.code !== 0 || q.out.trim() !== 't') return { code: 1, out: `psql with ${env.PGSSLMODE}: ${q.out}` };
    return { code: 0, out: `bundle fetched (${fetched.out.trim()}); psql sslmode=${env.PGSSLMODE} against it: connected over TLS` };
  } finally {
    server.kill();
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', 'stop']);
  }
}
