/**
 * RabbitMQ drill on Debian's rabbitmq-server (3.10): one node of the clusters environment started on
 * the loopback interface by the generated start wrapper (platform-rabbitmq.sh) with the files its pod
 * gets (enabled_plugins, conf.d/20-platform.conf, the definitions file with the password hashes
 * Terraform computes, the Erlang cookie file) and its environment (node name from its stable address,
 * long names, HOME), only ports, addresses and directories rewritten. Checked: the configuration and
 * the plugins are accepted and the node starts and imports the definitions (no default user: the
 * administrator and the application come from the file), the administrator logs in with the generated
 * password, the application's user authenticates and may work in its own vhost only, a rotated
 * definitions file (what the next boot imports) replaces the passwords, the wrapper installs the
 * generated cookie owner-only, and the generated liveness check passes. Broken variants: a misspelt
 * key, which the node must refuse; an application's hash of another password, which must not log in.
 * Separately, Terraform itself evaluates the synthesized hash expression (stand-ins for the generated
 * values) and must produce RabbitMQ's hash; a naive variant without the byte-exact decoding must not.
 *
 * Lines only RabbitMQ 4.x knows are left out for 3.10 (and said so in the output):
 * - `cluster_formation.peer_discovery_backend = k8s`: 3.10's k8s backend is the old one (v1), which
 *   reads a service account token and queries the Kubernetes API; boot fails without them. The 4.1+
 *   backend the image runs derives the seed node from the node's name and needs no API.
 * - `default_queue_type = quorum`: a node-wide setting since 4.0 ("no setting with that name" in 3.10).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RABBITMQ_HASH, type Artifact, envsOf, needs, note, rabbitmqHashOf, saltStandIn, sh, standIn, validator, work } from './lib';
import {
  DrillFailure,
  Processes,
  bounded,
  clustersStack,
  fileOf,
  freePorts,
  httpStatus,
  memberContainer,
  memberDir,
  memberHost,
  waitFor,
} from './cluster-lib';

export const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

/** The environment of a RabbitMQ node the drills run from files in `dir` (conf.d, enabled_plugins), on their own ports. */
export function rabbitNodeEnv(dir: string, dist: number, epmd: number): Record<string, string> {
  return {
    RABBITMQ_CONFIG_FILES: path.join(dir, 'conf.d'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'no-rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_DIST_PORT: String(dist),
    ERL_EPMD_PORT: String(epmd),
    LANG: 'C.UTF-8',
  };
}
const PLUGINS = '/etc/rabbitmq/enabled_plugins';
const PLATFORM = '/etc/rabbitmq/conf.d/20-platform.conf';
const DEFINITIONS = '/etc/rabbitmq/definitions.json';
const COOKIE = '/run/secrets/rabbitmq-erlang-cookie';
const START = '/usr/local/bin/platform-rabbitmq.sh';
const LIMIT_MS = 55_000;
/** What 3.10 cannot take (see the header); everything else is the generated file as it is. */
export const ONLY_4X = [/^cluster_formation\.peer_discovery_backend = k8s$/m, /^default_queue_type = quorum$/m];

export async function verifyRabbitmq(artifact: Artifact): Promise<void> {
  if (needs({ terraform: 'terraform' }, 'RabbitMQ password hash (terraform console)')) await hashCheck(artifact);
  if (!needs({ [`${RABBIT_BIN}/rabbitmq-server`]: 'rabbitmq-server', epmd: 'erlang-base' }, 'RabbitMQ drill')) return;
  note(
    `rabbitmq drill on ${sh('dpkg-query', ['-W', '-f', '${Version}', 'rabbitmq-server']).out.trim() || 'rabbitmq-server'}; left out for 3.10: ${ONLY_4X.map((r) => r.source.replace(/[\\^$]/g, '')).join(', ')}`,
  );
  await validator(
    'RabbitMQ (Debian rabbitmq-server, generated conf.d, plugins, definitions and start wrapper): node starts, users from the definitions, the application limited to its vhost, rotation by import',
    () => drill('good'),
    () => drill('misspelt'),
  );
  await validator(
    "RabbitMQ definitions: an application's hash of another password must not log in",
    () => drill('good'),
    () => drill('wrong-hash'),
  );
}

/**
 * Terraform evaluates the hash expression of the synthesized definitions file (random values
 * replaced by stand-ins) and must give RabbitMQ's rabbit_password_hashing_sha256 of the stand-in.
 */
async function hashCheck(artifact: Artifact): Promise<void> {
  const env = envsOf(artifact, 'docker').find((e) => e.specs.some((x) => x.name === 'rabbitmq'));
  if (!env) return;
  const upload = artifact
    .stackJson(env.name)
    .resource.docker_container.rabbitmq.upload.find((u: { file: string }) => u.file === DEFINITIONS);
  const matches = [...(upload.content as string).matchAll(RABBITMQ_HASH)];
  if (matches.length === 0) throw new Error('the definitions file has no Terraform hash expression');
  const evaluate = (expression: string) => {
    const dir = fs.mkdtempSync(path.join(work, 'tf-console-'));
    return sh('terraform', ['console'], { cwd: dir, input: `${expression}\n`, env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
  };
  const check = (naive: boolean) => {
    for (const m of matches) {
      const [whole, salt, id] = m as unknown as [string, string, string];
      let expression = whole
        .slice(2, -1)
        .replaceAll(`random_string.${salt}.result`, JSON.stringify(saltStandIn(salt)))
        .replaceAll(`random_password.${id}.result`, JSON.stringify(standIn(id)));
      // Naive: the digest's base64 text concatenated instead of its bytes (a valid, wrong hash).
      if (naive) expression = expression.replace(/textdecodebase64\((base64sha256\(format\([^)]*\)\)), "ISO-8859-1"\)/, '$1');
      const out = evaluate(expression);
      const expected = rabbitmqHashOf(saltStandIn(salt), standIn(id));
      if (out.code !== 0) return out;
      if (out.out.trim() !== JSON.stringify(expected))
        return { code: 1, out: `${id}: Terraform gave ${out.out.trim()}, RabbitMQ expects ${expected}` };
    }
    return { code: 0, out: '' };
  };
  await validator(
    `${env.name}: RabbitMQ password hashes (terraform console evaluates the synthesized expression; RabbitMQ's salted SHA-256)`,
    () => check(false),
    () => check(true),
  );
}

export async function drill(mode: 'good' | 'misspelt' | 'wrong-hash') {
  const procs = new Processes();
  return bounded(LIMIT_MS, procs, async () => {
    const m = memberContainer('rabbitmq', 0);
    const [amqp, management, prometheus, dist, epmdPort] = (await freePorts(5)) as [number, number, number, number, number];
    const dir = memberDir(mode === 'good' ? 'rabbitmq' : `rabbitmq-${mode}`, 0);
    const home = path.join(dir, 'home');
    const bin = path.join(dir, 'bin');
    for (const d of [home, bin, path.join(dir, 'conf.d'), path.join(dir, 'secrets')]) fs.mkdirSync(d, { recursive: true });

    let platform = fileOf(m, PLATFORM);
    for (const line of ONLY_4X) {
      if (!line.test(platform)) throw new Error(`20-platform.conf no longer has ${line.source}: update the drill`);
      platform = platform.replace(line, '# (left out for 3.10)');
    }
    platform = rewrite(platform, [
      ['listeners.tcp.default = 5672', `listeners.tcp.default = 127.0.0.1:${amqp}`],
      ['management.tcp.port = 15672', `management.tcp.port = ${management}\nmanagement.tcp.ip = 127.0.0.1`],
      ['prometheus.tcp.port = 15692', `prometheus.tcp.port = ${prometheus}\nprometheus.tcp.ip = 127.0.0.1`],
      [`definitions.local.path = ${DEFINITIONS}`, `definitions.local.path = ${path.join(dir, 'definitions.json')}`],
    ]);
    if (mode === 'misspelt') platform = platform.replace('vm_memory_high_watermark.relative', 'vm_memory_high_watermark.relativ');
    fs.writeFileSync(path.join(dir, 'conf.d', '20-platform.conf'), platform);
    fs.writeFileSync(path.join(dir, 'enabled_plugins'), fileOf(m, PLUGINS));
    // The definitions as Terraform writes them: hashes of the generated passwords (stand-ins here).
    const admin = standIn('rabbitmq_password');
    const app = standIn('rabbitmq_consumer-apps-password');
    const definitions = JSON.parse(fileOf(m, DEFINITIONS)) as { users: { name: string; password_hash: string }[] };
    if (definitions.users.map((u) => u.name).join(',') !== 'platform,apps') throw new Error('unexpected users in the definitions');
    if (mode === 'wrong-hash') definitions.users[1]!.password_hash = rabbitmqHashOf('abcd', `${app}x`);
    fs.writeFileSync(path.join(dir, 'definitions.json'), JSON.stringify(definitions), { mode: 0o600 });
    const cookie = fileOf(m, COOKIE);
    fs.writeFileSync(path.join(dir, 'secrets', 'rabbitmq-erlang-cookie'), cookie, { mode: 0o600 });
    // The image's entrypoint only execs its arguments for a non-root user; Debian's scripts stand in for the image's.
    fs.writeFileSync(path.join(bin, 'docker-entrypoint.sh'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    const start = rewrite(fileOf(m, START), [[COOKIE, path.join(dir, 'secrets', 'rabbitmq-erlang-cookie')]]);
    fs.writeFileSync(path.join(dir, 'start.sh'), start, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');

    const nodename = m.env.RABBITMQ_NODENAME!.replace(memberHost('rabbitmq', 0), '127.0.0.1');
    if (nodename !== 'rabbit@127.0.0.1' || m.env.RABBITMQ_USE_LONGNAME !== 'true')
      throw new Error(`unexpected node name ${m.env.RABBITMQ_NODENAME}`);
    const env = {
      ...m.env,
      PATH: `${bin}:${RABBIT_BIN}:/usr/bin:/bin`,
      HOME: home,
      RABBITMQ_NODENAME: nodename,
      ...rabbitNodeEnv(dir, dist, epmdPort),
    };
    // Our own epmd in the foreground, so it is stopped with the drill (a node would start a detached one).
    procs.start('epmd', 'epmd', ['-port', String(epmdPort)], { env: { ERL_EPMD_PORT: String(epmdPort) } });
    const node = procs.start('rabbitmq', '/bin/sh', [path.join(dir, 'start.sh')], { env, cwd: home });

    await waitFor(
      'the node to serve the management API',
      40_000,
      async () => {
        if (node.exited()) throw new DrillFailure('the node stopped');
        return (await httpStatus(management, '/api/overview')) === 401 ? true : undefined;
      },
      500,
    );
    const login = async (password: string) => {
      const r = await fetch(`http://127.0.0.1:${management}/api/whoami`, {
        headers: { Authorization: `Basic ${Buffer.from(`platform:${password}`).toString('base64')}` },
        signal: AbortSignal.timeout(3000),
      }).catch(() => undefined);
      return r?.status ?? 0;
    };
    const ctl = (...args: string[]) => sh(path.join(RABBIT_BIN, 'rabbitmqctl'), ['--quiet', ...args], { env });
    await waitFor(
      'the administrator from the definitions to log in',
      20_000,
      async () => ((await login(admin)) === 200 ? true : undefined),
      500,
    );
    if ((await login(`${admin}x`)) !== 401) throw new Error('a wrong administrator password logs in');
    // The application: its own user authenticates, it may work in its vhost and nowhere else.
    const authenticated = ctl('authenticate_user', 'apps', app);
    if (authenticated.code !== 0) throw new Error(`the application's user did not authenticate: ${authenticated.out}`);
    const perms = ctl('list_user_permissions', 'apps').out;
    if (!/^apps\s+\.\*\s+\.\*\s+\.\*\s*$/m.test(perms) || /^\/\s/m.test(perms)) {
      throw new Error(`the application's user is not limited to its vhost: ${perms}`);
    }
    if (ctl('list_user_tags', 'apps').out.includes('administrator')) throw new Error("the application's user is an administrator");
    // Rotation: the next boot imports the definitions with new hashes; importing them now does the same.
    const rotated = {
      ...definitions,
      users: definitions.users.map((u, i) => ({ ...u, password_hash: rabbitmqHashOf('Rot8', `${[admin, app][i]}Rotated`) })),
    };
    fs.writeFileSync(path.join(dir, 'rotated.json'), JSON.stringify(rotated), { mode: 0o600 });
    const imported = ctl('import_definitions', path.join(dir, 'rotated.json'));
    if (imported.code !== 0) throw new Error(`import_definitions failed: ${imported.out}`);
    if ((await login(`${admin}Rotated`)) !== 200 || (await login(admin)) !== 401)
      throw new Error('the rotated administrator password did not replace the old one');
    if (ctl('authenticate_user', 'apps', `${app}Rotated`).code !== 0 || ctl('authenticate_user', 'apps', app).code === 0) {
      throw new Error('the rotated application password did not replace the old one');
    }

    const installed = path.join(home, '.erlang.cookie');
    const cookieMode = fs.statSync(installed).mode & 0o777;
    if (cookieMode !== 0o400 || fs.readFileSync(installed, 'utf8') !== cookie)
      throw new Error(`the cookie was installed with mode 0${cookieMode.toString(8)}`);
    const check = sh('sh', ['-c', livenessCheck()], { env });
    if (check.code !== 0) throw new Error(`the generated liveness check failed on the running node: ${check.out}`);
  });
}

/** The generated liveness check (`sh -c <script>`) of the RabbitMQ container. */
function livenessCheck(): string {
  const c = clustersStack().tf.resource.kubernetes_stateful_set_v1.rabbitmq.spec.template.spec.container.find(
    (x: any) => x.name === 'main',
  );
  return c.liveness_probe.exec.command[2];
}

function rewrite(text: string, pairs: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`the generated file has no "${from}" to rewrite`);
    out = out.replaceAll(from, to);
  }
  return out;
}
