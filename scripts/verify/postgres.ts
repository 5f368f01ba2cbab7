/**
 * PostgreSQL, with a scratch PostgreSQL 15 cluster started on the synthesized files:
 * - postgresql.conf is accepted and its settings take effect;
 * - pg_hba.conf (+ pg_ident.conf) allow no passwordless network login;
 * - the apply-roles job script sets the current passwords: initialised with one set, rotated to
 *   another, the exporter and the owner log in with the new passwords and no longer with the old;
 * - each application's role: created by the job with its own database, it logs in there (and
 *   creates a table) with its current password, and pg_hba.conf keeps it out of every other database
 *   (broken variant: the hba lines that keep it there left out).
 * The image's entrypoint is not run here (it needs Docker); the server is initialised as it does it:
 * `initdb --username=<owner>` without a password.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type ConfigArtifact, type Outcome, dockerFiles, needs, sh, validator, work, freePort } from './lib';

const PG_BIN = '/usr/lib/postgresql/15/bin';

interface PgFiles {
  readonly conf: string;
  readonly hba: string;
  readonly ident: string;
  readonly applyRoles: string;
  /** The applications' roles and databases (their password files are written by the check). */
  readonly apps: readonly { readonly consumer: string; readonly role: string; readonly database: string }[];
}

interface Server {
  readonly dir: string;
  readonly port: string;
  psql(args: string[], env?: Record<string, string>): Outcome;
  tcpLogin(user: string, password: string | undefined, db?: string): boolean;
  stop(): void;
}

const asPostgres = (args: string[], env: Record<string, string> = {}) => {
  const withEnv = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args];
  return process.getuid?.() === 0 ? sh('runuser', ['-u', 'postgres', '--', ...withEnv]) : sh(withEnv[0]!, withEnv.slice(1));
};

/** initdb as the image does (owner as superuser, no password), then start on the synthesized files. */
function start(files: PgFiles, label: string, owner: string, database: string): Server | Outcome {
  const dir = path.join(work, `pg-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pg_hba.conf'), files.hba);
  fs.writeFileSync(path.join(dir, 'pg_ident.conf'), files.ident);
  const conf = files.conf
    .replace(/^hba_file = .*$/m, `hba_file = '${dir}/pg_hba.conf'`)
    .replace(/^ident_file = .*$/m, `ident_file = '${dir}/pg_ident.conf'`)
    .replace(/^unix_socket_directories = .*$/m, `unix_socket_directories = '${dir}'`);
  fs.writeFileSync(path.join(dir, 'postgresql.conf'), conf);
  if (process.getuid?.() === 0) sh('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const init = asPostgres([`${PG_BIN}/initdb`, '-D', data, `--username=${owner}`, '--data-checksums']);
  if (init.code !== 0) return init;
  const port = String(freePort());
  const opts = `-c config_file=${dir}/postgresql.conf -c port=${port} -c listen_addresses=127.0.0.1`;
  const started = asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
  if (started.code !== 0) {
    return {
      code: 1,
      out: `${started.out}\n${fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : ''}`,
    };
  }
  const psql = (args: string[], env: Record<string, string> = {}) => asPostgres([`${PG_BIN}/psql`, '-p', port, ...args], env);
  // The image creates the database named by POSTGRES_DB at initialisation.
  psql(['-h', dir, '-U', owner, '-d', 'postgres', '-c', `CREATE DATABASE ${database}`]);
  return {
    dir,
    port,
    psql,
    tcpLogin: (user, password, db = database) =>
      psql(['-h', '127.0.0.1', '-U', user, '-d', db, '-w', '-Atc', 'SELECT 1'], password === undefined ? {} : { PGPASSWORD: password })
        .code === 0,
    stop: () => void asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', 'stop']),
  };
}

function settingsCheck(files: PgFiles, label: string): Outcome {
  const server = start(files, label, 'platform', 'platform');
  if (!('stop' in server)) return server;
  try {
    const show = (setting: string) =>
      server.psql(['-h', server.dir, '-U', 'platform', '-d', 'platform', '-Atc', `SHOW ${setting}`]).out.trim();
    const expected: Record<string, string> = {
      shared_buffers: '256MB',
      effective_cache_size: '1GB',
      max_connections: '100',
      password_encryption: 'scram-sha-256',
      shared_preload_libraries: 'pg_stat_statements',
    };
    const wrong = Object.entries(expected).filter(([k, v]) => show(k) !== v);
    if (wrong.length > 0)
      return { code: 1, out: `unexpected settings: ${wrong.map(([k, v]) => `${k}=${show(k)} (want ${v})`).join(', ')}` };
    // No passwordless login over the network, even for the owner that has no password yet.
    if (server.tcpLogin('platform', undefined)) return { code: 1, out: 'a network login without a password was accepted' };
    return { code: 0, out: '' };
  } finally {
    server.stop();
  }
}

/** Initialise with passwords A, rotate to B: only the current passwords log in. */
function rotationCheck(files: PgFiles, label: string): Outcome {
  const server = start(files, label, 'platform', 'platform');
  if (!('stop' in server)) return server;
  const script = path.join(server.dir, 'apply-roles.sh');
  // The applications' password files, where the job reads them, are in the scratch directory here.
  fs.writeFileSync(
    script,
    files.applyRoles
      .replaceAll('/run/secrets/postgres-consumer-', `${server.dir}/consumer-`)
      .replaceAll(/consumer-([a-z0-9-]+)-password/g, 'consumer-$1'),
    {
      mode: 0o755,
    },
  );
  const apply = (owner: string, exporter: string): Outcome => {
    fs.writeFileSync(path.join(server.dir, 'owner'), owner, { mode: 0o644 });
    fs.writeFileSync(path.join(server.dir, 'exporter'), exporter, { mode: 0o644 });
    for (const app of files.apps)
      fs.writeFileSync(path.join(server.dir, `consumer-${app.consumer}`), `${app.consumer}${owner}`, { mode: 0o644 });
    return asPostgres(['sh', script], {
      PATH: `${PG_BIN}:/usr/bin:/bin`,
      PGHOST: server.dir,
      PGPORT: server.port,
      POSTGRES_USER: 'platform',
      POSTGRES_DB: 'platform',
      OWNER_PASSWORD_FILE: path.join(server.dir, 'owner'),
      EXPORTER_PASSWORD_FILE: path.join(server.dir, 'exporter'),
    });
  };
  try {
    const first = apply('OwnerFirst0', 'ExporterFirst0');
    if (first.code !== 0) return first;
    const problems: string[] = [];
    if (!server.tcpLogin('prometheus_exporter', 'ExporterFirst0')) problems.push('the exporter cannot log in after the first run');
    const member = server.psql([
      '-h',
      server.dir,
      '-U',
      'platform',
      '-d',
      'platform',
      '-Atc',
      "SELECT pg_has_role('prometheus_exporter', 'pg_monitor', 'member')",
    ]);
    if (member.out.trim() !== 't') problems.push(`prometheus_exporter is not a pg_monitor member: ${member.out.trim()}`);
    const second = apply('OwnerSecond0', 'ExporterSecond0');
    if (second.code !== 0) return second;
    if (!server.tcpLogin('prometheus_exporter', 'ExporterSecond0')) problems.push('the exporter cannot log in with the rotated password');
    if (server.tcpLogin('prometheus_exporter', 'ExporterFirst0')) problems.push('the exporter still logs in with the old password');
    if (!server.tcpLogin('platform', 'OwnerSecond0')) problems.push('the owner cannot log in with the rotated password');
    if (server.tcpLogin('platform', 'OwnerFirst0')) problems.push('the owner still logs in with the old password');
    for (const app of files.apps) {
      const current = `${app.consumer}OwnerSecond0`;
      if (!server.tcpLogin(app.role, current, app.database))
        problems.push(`${app.role} cannot log in to ${app.database} with its rotated password`);
      if (server.tcpLogin(app.role, `${app.consumer}OwnerFirst0`, app.database))
        problems.push(`${app.role} still logs in with its old password`);
      if (server.tcpLogin(app.role, current, 'platform')) problems.push(`${app.role} reaches the platform database`);
      const table = server.psql(
        ['-h', '127.0.0.1', '-U', app.role, '-d', app.database, '-w', '-Atc', 'CREATE TABLE IF NOT EXISTS verify (id int)'],
        {
          PGPASSWORD: current,
        },
      );
      if (table.code !== 0) problems.push(`${app.role} cannot create a table in its database: ${table.out}`);
    }
    return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: problems.join('\n') };
  } finally {
    server.stop();
  }
}

export async function verifyPostgres(artifact: Artifact): Promise<void> {
  if (!needs({ [`${PG_BIN}/postgres`]: 'postgresql-15', runuser: 'util-linux' }, 'postgres')) return;
  for (const dev of envsOf(artifact, 'docker').filter((e) => e.specs.some((s) => s.name === 'postgres'))) {
    const one = (format: string, pick: (f: ConfigArtifact) => boolean = () => true) =>
      dockerFiles(artifact, dev, format).find(pick)!.content;
    const files: PgFiles = {
      conf: one('postgresql.conf'),
      hba: one('pg_hba.conf'),
      ident: one('pg_ident.conf'),
      applyRoles: one('shell', (f) => f.path.endsWith('/apply-roles.sh')),
      apps: (dev.specs.find((x) => x.name === 'postgres')!.facet as { applications: PgFiles['apps'] }).applications,
    };
    await validator(
      `${dev.name}: postgresql.conf + pg_hba.conf (PostgreSQL 15 started on them; no passwordless network login)`,
      () => settingsCheck(files, `${dev.name}-good`),
      () => settingsCheck({ ...files, conf: files.conf.replace(/^shared_buffers = .*$/m, 'shared_buffers = 256XB') }, `${dev.name}-bad`),
    );
    await validator(
      `${dev.name}: pg_hba.conf (a trust rule for the network must be caught)`,
      () => settingsCheck(files, `${dev.name}-hba-good`),
      () =>
        settingsCheck(
          { ...files, hba: files.hba.replace(/^host(\s+all\s+all\s+0\.0\.0\.0\/0\s+)scram-sha-256$/m, 'host$1trust') },
          `${dev.name}-hba-bad`,
        ),
    );
    await validator(
      `${dev.name}: apply-roles job: rotating the passwords takes effect (new ones log in, old ones do not; PostgreSQL 15)`,
      () => rotationCheck(files, `${dev.name}-rotate-good`),
      // A job that only creates the role and never applies the current password: rotation silently fails.
      () =>
        rotationCheck(
          {
            ...files,
            applyRoles: files.applyRoles.replace(
              /^ALTER ROLE prometheus_exporter .*$/m,
              'ALTER ROLE prometheus_exporter WITH LOGIN;\\set x 1',
            ),
          },
          `${dev.name}-rotate-bad`,
        ),
    );
    if (files.apps.length > 0) {
      await validator(
        `${dev.name}: pg_hba.conf + apply-roles: each application's role reaches its own database only (${files.apps.map((a) => a.role).join(', ')})`,
        () => rotationCheck(files, `${dev.name}-apps-good`),
        // Without the lines that keep an application's role in its database, it reaches the platform's.
        () => rotationCheck({ ...files, hba: files.hba.replace(/^host\s+all\s+\S+\s+all\s+reject$/gm, '') }, `${dev.name}-apps-bad`),
      );
    }
  }
}
