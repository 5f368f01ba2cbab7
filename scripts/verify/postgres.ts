/** postgresql.conf and the first-start script: a scratch PostgreSQL 15 cluster started on them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, dockerFiles, needs, sh, validator, work } from './lib';

const PG_BIN = '/usr/lib/postgresql/15/bin';
function postgresCheck(conf: string, label: string, initScript?: string): Outcome {
  const dir = path.join(work, `pg-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  const confFile = path.join(dir, 'postgresql.conf');
  fs.writeFileSync(confFile, conf);
  const asPostgres = (args: string[]) =>
    process.getuid?.() === 0 ? sh('runuser', ['-u', 'postgres', '--', ...args]) : sh(args[0]!, args.slice(1));
  if (process.getuid?.() === 0) sh('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const init = asPostgres([`${PG_BIN}/initdb`, '-D', data, '--auth=trust', '-U', 'postgres']);
  if (init.code !== 0) return init;
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const opts = `-c config_file=${confFile} -c port=${port} -c listen_addresses='' -c unix_socket_directories=${dir}`;
  const start = asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
  if (start.code !== 0)
    return { code: 1, out: `${start.out}\n${fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : ''}` };
  try {
    const show = (setting: string) =>
      asPostgres([`${PG_BIN}/psql`, '-h', dir, '-p', port, '-U', 'postgres', '-Atc', `SHOW ${setting}`]).out.trim();
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
    if (initScript !== undefined) {
      // The first-start script the image runs from /docker-entrypoint-initdb.d, against this server.
      const script = path.join(dir, 'init.sh');
      fs.writeFileSync(script, initScript, { mode: 0o755 });
      const env = [
        'env',
        `PGHOST=${dir}`,
        `PGPORT=${port}`,
        'POSTGRES_USER=postgres',
        'POSTGRES_DB=postgres',
        'EXPORTER_PASSWORD=VerifyPassword0',
      ];
      const ran = asPostgres([...env, 'sh', script]);
      if (ran.code !== 0) return ran;
      const granted = asPostgres([
        `${PG_BIN}/psql`,
        '-h',
        dir,
        '-p',
        port,
        '-U',
        'postgres',
        '-Atc',
        "SELECT pg_has_role('prometheus_exporter', 'pg_monitor', 'member')",
      ]).out.trim();
      if (granted !== 't') return { code: 1, out: `prometheus_exporter is not a pg_monitor member: ${granted}` };
    }
    return { code: 0, out: '' };
  } finally {
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', 'stop']);
  }
}

export async function verifyPostgres(artifact: Artifact): Promise<void> {
  if (!needs({ [`${PG_BIN}/postgres`]: 'postgresql-15', runuser: 'util-linux' }, 'postgres')) return;
  const dev = artifact.envs.get('development')!;
  const [conf] = dockerFiles(artifact, dev, 'postgresql.conf');
  const [init] = dockerFiles(artifact, dev, 'shell').filter((a) => a.path.startsWith('/docker-entrypoint-initdb.d/'));
  await validator(
    'postgresql.conf (PostgreSQL 15 started on it)',
    () => postgresCheck(conf!.content, 'good'),
    () => postgresCheck(conf!.content.replace(/^shared_buffers = .*$/m, 'shared_buffers = 256XB'), 'bad'),
  );
  await validator(
    'postgres init script (run against PostgreSQL 15: exporter role with pg_monitor)',
    () => postgresCheck(conf!.content, 'init-good', init!.content),
    () => postgresCheck(conf!.content, 'init-bad', init!.content.replace('GRANT pg_monitor', 'GRANT pg_monitorr')),
  );
}
