/**
 * Real validators against what the product synthesizes (`npm run verify`).
 *
 * Config files are taken from the synthesized development stack (the `upload` contents Terraform
 * would write into the containers), with generated secrets replaced by stand-ins and Terraform's
 * escaping undone, then handed to the servers' own checks: nats-server -t, a real redis-server
 * and PostgreSQL started on the file, the blackbox exporter's --config.check. The AWS stack is
 * checked with `terraform validate` against the hashicorp/aws provider from a filesystem mirror
 * (TERRAFORM_PROVIDER_MIRROR). Every validator is also fed a deliberately broken input and must
 * reject it, so no check here can pass by not checking.
 *
 * Prints one line per check and ends with `verify: N passed, N failed`; exits non-zero on failure.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { environments } from '../environments';
import { type Environment } from '../environments/load';
import { loadAll, synthesize } from '../stacks/app';
import { containerAddress, dockerScrapeResolver } from '../constructs/targets/docker/addressing';
import { prometheusConfig, scrapeJobs } from '../monitoring/scrape';

interface Result {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const results: Result[] = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-verify-'));
fs.chmodSync(work, 0o755);

function record(name: string, ok: boolean, detail = ''): void {
  results.push({ name, ok, detail });
  process.stdout.write(
    `${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `\n      ${detail.trim().split('\n').slice(-6).join('\n      ')}` : ''}\n`,
  );
}

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  return { code: r.error ? -1 : (r.status ?? -1), out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function have(tool: string): boolean {
  return sh('sh', ['-c', `command -v ${tool}`]).code === 0;
}

/** A check that needs a tool: a missing tool is a failure with the package to install. */
function needs(tools: Record<string, string>, name: string): boolean {
  const missing = Object.entries(tools).filter(([tool]) => !have(tool));
  if (missing.length === 0) return true;
  record(name, false, `missing ${missing.map(([t, pkg]) => `${t} (install ${pkg})`).join(', ')}`);
  return false;
}

/** Expected outcome of a validator on a good input (accept) and on a broken one (reject). */
function validator(name: string, good: () => { code: number; out: string }, bad: () => { code: number; out: string }): void {
  const g = good();
  record(`${name}: accepts the synthesized file`, g.code === 0, g.code === 0 ? '' : g.out);
  const b = bad();
  record(`${name}: rejects a broken variant`, b.code !== 0, b.code !== 0 ? '' : `broken input was accepted:\n${b.out}`);
}

// --- The artifact -----------------------------------------------------------------------------------

const outdir = path.join(work, 'cdktf.out');
synthesize(environments, outdir);
const envs = new Map(loadAll(environments).map((e) => [e.name, e]));
const stackJson = (name: string) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));

/** Renders what Terraform would: secrets become stand-ins, escapes are undone. */
function terraformRender(content: string): string {
  const withSecrets = content.replace(
    /(?<!\$)\$\{random_password\.([A-Za-z0-9_-]+)\.result\}/g,
    (_, id: string) => `Verify${id.replace(/[^A-Za-z0-9]/g, '')}0`,
  );
  const leftover = /(?<![$%])[$%]\{/.exec(withSecrets);
  if (leftover)
    throw new Error(`unexpected Terraform interpolation left in file: ...${withSecrets.slice(leftover.index, leftover.index + 40)}`);
  return withSecrets.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

interface ConfigArtifact {
  readonly service: string;
  readonly path: string;
  readonly content: string;
}

/** Every config file of a given format, as synthesized for the development stack. */
function artifacts(env: Environment, format: string): ConfigArtifact[] {
  const tf = stackJson(env.name);
  const out: ConfigArtifact[] = [];
  for (const spec of env.specs) {
    for (const c of spec.containers) {
      for (const f of c.files.filter((x) => x.format === format)) {
        const address = containerAddress(spec.name, c.name);
        const upload = (tf.resource.docker_container[address]?.upload ?? []).find((u: { file: string }) => u.file === f.path);
        if (!upload) throw new Error(`${address} has no upload for ${f.path}`);
        out.push({ service: spec.name, path: f.path, content: terraformRender(upload.content) });
      }
    }
  }
  if (out.length === 0) throw new Error(`no ${format} file in ${env.name}`);
  return out;
}

function write(name: string, content: string): string {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode: 0o644 });
  return file;
}

const dev = envs.get('development')!;

// --- NATS -------------------------------------------------------------------------------------------

if (needs({ 'nats-server': 'nats-server' }, 'nats-server -t')) {
  const [conf] = artifacts(dev, 'nats.conf');
  const env = { ...process.env, NATS_PASSWORD: 'VerifyPassword0' };
  validator(
    'nats.conf (nats-server -t)',
    () => sh('nats-server', ['-t', '-c', write('nats/nats.conf', conf!.content)], { env }),
    // A misspelt key inside the jetstream block must be caught.
    () =>
      sh(
        'nats-server',
        ['-t', '-c', write('nats/broken.conf', conf!.content.replace('jetstream {', 'jetstream {\n  max_memory_stor: 1'))],
        { env },
      ),
  );
}

// --- Redis: start a real server on the file ------------------------------------------------------------

async function redisCheck(conf: string): Promise<{ code: number; out: string }> {
  const dir = fs.mkdtempSync(path.join(work, 'redis-'));
  const sock = path.join(dir, 'redis.sock');
  const file = path.join(dir, 'redis.conf');
  // The file's own settings are checked; only where it listens and writes is moved into the scratch directory.
  fs.writeFileSync(file, conf.replace(/^dir \/data$/m, `dir ${dir}`));
  const server = spawn(
    'redis-server',
    [file, '--port', '0', '--unixsocket', sock, '--dir', dir, '--requirepass', 'VerifyPassword0', '--daemonize', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number>((resolve) => server.on('exit', (code) => resolve(code ?? -1)));
  try {
    for (let i = 0; i < 50 && !fs.existsSync(sock); i++) {
      const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (done !== undefined) return { code: 1, out: log };
    }
    if (!fs.existsSync(sock)) return { code: 1, out: `redis-server did not start\n${log}` };
    const get = (key: string) =>
      sh('redis-cli', ['-s', sock, '-a', 'VerifyPassword0', '--no-auth-warning', 'CONFIG', 'GET', key]).out.split('\n')[1];
    const expected: Record<string, string | undefined> = {
      maxmemory: String(512 * 1024 * 1024),
      'maxmemory-policy': 'allkeys-lru',
      appendonly: 'yes',
      appendfsync: 'everysec',
    };
    const wrong = Object.entries(expected).filter(([k, v]) => get(k) !== v);
    return wrong.length === 0
      ? { code: 0, out: log }
      : { code: 1, out: `unexpected settings: ${wrong.map(([k, v]) => `${k}=${get(k)} (want ${v})`).join(', ')}` };
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

// --- PostgreSQL: initdb a scratch cluster and start it on the file -----------------------------------------

const PG_BIN = '/usr/lib/postgresql/15/bin';
function postgresCheck(conf: string, label: string, initScript?: string): { code: number; out: string } {
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

// --- Terraform + the AWS provider ---------------------------------------------------------------------

function terraformCheck(stack: string, mutate: (json: any) => void, label: string): { code: number; out: string } {
  const dir = path.join(work, `tf-${stack}-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  const json = stackJson(stack);
  delete json.terraform.backend; // validate offline; the backend is checked by the snapshot
  mutate(json);
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(json, null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const mirror = process.env.TERRAFORM_PROVIDER_MIRROR;
  if (mirror) {
    const cli = path.join(dir, 'terraform.rc');
    fs.writeFileSync(cli, `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
    env.TF_CLI_CONFIG_FILE = cli;
  }
  const init = sh('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: dir, env });
  if (init.code !== 0) return init;
  return sh('terraform', ['validate', '-no-color'], { cwd: dir, env });
}

async function main(): Promise<void> {
  if (needs({ 'redis-server': 'redis-server', 'redis-cli': 'redis-tools' }, 'redis-server')) {
    const [conf] = artifacts(dev, 'redis.conf');
    const good = await redisCheck(conf!.content);
    const bad = await redisCheck(conf!.content.replace('maxmemory-policy allkeys-lru', 'maxmemory-policy evict-whatever'));
    validator(
      'redis.conf (redis-server started on it)',
      () => good,
      () => bad,
    );
  }

  if (needs({ [`${PG_BIN}/postgres`]: 'postgresql-15', runuser: 'util-linux' }, 'postgres')) {
    const [conf] = artifacts(dev, 'postgresql.conf');
    const [init] = artifacts(dev, 'shell').filter((a) => a.path.startsWith('/docker-entrypoint-initdb.d/'));
    validator(
      'postgresql.conf (PostgreSQL 15 started on it)',
      () => postgresCheck(conf!.content, 'good'),
      () => postgresCheck(conf!.content.replace(/^shared_buffers = .*$/m, 'shared_buffers = 256XB'), 'bad'),
    );
    validator(
      'postgres init script (run against PostgreSQL 15: exporter role with pg_monitor)',
      () => postgresCheck(conf!.content, 'init-good', init!.content),
      () => postgresCheck(conf!.content, 'init-bad', init!.content.replace('GRANT pg_monitor', 'GRANT pg_monitorr')),
    );
  }

  if (needs({ 'prometheus-blackbox-exporter': 'prometheus-blackbox-exporter' }, 'blackbox_exporter --config.check')) {
    for (const conf of artifacts(dev, 'blackbox.yml')) {
      validator(
        `blackbox.yml of ${conf.service} (blackbox_exporter --config.check)`,
        () =>
          sh('prometheus-blackbox-exporter', ['--config.check', `--config.file=${write(`blackbox/${conf.service}.yml`, conf.content)}`]),
        () =>
          sh('prometheus-blackbox-exporter', [
            '--config.check',
            `--config.file=${write(`blackbox/${conf.service}-broken.yml`, conf.content.replace('timeout: 5s', 'timeout: soon'))}`,
          ]),
      );
    }
  }

  if (needs({ sh: 'dash', bash: 'bash' }, 'shell syntax')) {
    // Every `sh -c` / `bash -c` script synthesized into a container: health checks, commands, jobs.
    const scripts: { where: string; shell: string; script: string }[] = [];
    for (const [address, c] of Object.entries<any>(stackJson('development').resource.docker_container)) {
      for (const [field, argv] of [
        ['healthcheck', (c.healthcheck?.test ?? []).slice(1)],
        ['entrypoint', c.entrypoint ?? []],
        ['command', c.command ?? []],
      ] as [string, string[]][]) {
        const i = argv.findIndex((a, k) => /^(\/bin\/)?(sh|bash)$/.test(a) && argv[k + 1] === '-c');
        if (i >= 0)
          scripts.push({ where: `${address} ${field}`, shell: argv[i]!.replace('/bin/', ''), script: terraformRender(argv[i + 2]!) });
      }
    }
    const parse = (items: typeof scripts) => {
      const bad = items.map((x) => ({ ...x, r: sh(x.shell, ['-n', '-c', x.script]) })).filter((x) => x.r.code !== 0);
      return bad.length === 0 ? { code: 0, out: '' } : { code: 1, out: bad.map((x) => `${x.where}: ${x.r.out}`).join('\n') };
    };
    validator(
      `shell scripts in containers, ${scripts.length} of them (sh -n / bash -n)`,
      () => (scripts.length >= 8 ? parse(scripts) : { code: 1, out: `only ${scripts.length} scripts found` }),
      () => parse(scripts.map((x) => ({ ...x, script: `${x.script} 'unterminated` }))),
    );
  }

  if (needs({ promtool: 'prometheus' }, 'promtool check config')) {
    const secrets = path.join(work, 'prometheus', 'secrets');
    fs.mkdirSync(secrets, { recursive: true });
    for (const spec of dev.specs)
      for (const s of spec.secrets) fs.writeFileSync(path.join(secrets, `${spec.name}-${s.name}`), 'VerifySecret0\n');
    const jobs = scrapeJobs(dev.specs, dockerScrapeResolver(secrets));
    const config = prometheusConfig(jobs, { scrapeInterval: '15s', environment: dev.name });
    validator(
      'scrape config derived from the specs (promtool check config)',
      () => sh('promtool', ['check', 'config', write('prometheus/prometheus.yml', config)]),
      () =>
        sh('promtool', [
          'check',
          'config',
          write('prometheus/broken.yml', config.replace('"scrape_interval": "15s"', '"scrape_interval": "soon"')),
        ]),
    );
  }

  if (needs({ terraform: 'the Terraform CLI' }, 'terraform validate')) {
    if (!process.env.TERRAFORM_PROVIDER_MIRROR) {
      process.stdout.write('note  TERRAFORM_PROVIDER_MIRROR is not set; terraform init will try the registry\n');
    }
    validator(
      'production stack (terraform validate, hashicorp/aws 5.100.0)',
      () => terraformCheck('production', () => {}, 'good'),
      () =>
        terraformCheck('production', (json) => (json.resource = { aws_s3_bucket: { probe: { bucket_name: 'not-an-argument' } } }), 'bad'),
    );
  }

  fs.rmSync(work, { recursive: true, force: true });
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`verify: ${results.length - failed} passed, ${failed} failed\n`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stdout.write(`FAIL  verify crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.stdout.write(`verify: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed\n`);
  process.exitCode = 1;
});
