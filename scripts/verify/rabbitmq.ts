/**
 * RabbitMQ drill on Debian's rabbitmq-server (3.10): one node of the clusters environment started on
 * the loopback interface by the generated start wrapper (platform-rabbitmq.sh) with the files its pod
 * gets (enabled_plugins, conf.d/10-credentials.conf and 20-platform.conf, the password and Erlang
 * cookie files) and its environment (node name from its stable address, long names, HOME), only
 * ports, addresses and directories rewritten. Checked: the configuration and the plugins are
 * accepted and the node starts, the wrapper installs the generated cookie owner-only (the CLI tools
 * reach the node with it) and applies the current password from its secret file (a rotated password
 * logs in, the one the database was created with no longer does), writes its marker, and the
 * generated liveness check passes. Broken variants: a misspelt key, which the node must refuse; a
 * rotation that fails (no password file), after which the node runs but the liveness check fails.
 *
 * Lines only RabbitMQ 4.x knows are left out for 3.10 (and said so in the output):
 * - `cluster_formation.peer_discovery_backend = k8s`: 3.10's k8s backend is the old one (v1), which
 *   reads a service account token and queries the Kubernetes API; boot fails without them. The 4.1+
 *   backend the image runs derives the seed node from the node's name and needs no API.
 * - `default_queue_type = quorum`: a node-wide setting since 4.0 ("no setting with that name" in 3.10).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PASSWORD_APPLIED } from '../../constructs/services/rabbitmq';
import { type Artifact, needs, note, sh, standIn, validator } from './lib';
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

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const PLUGINS = '/etc/rabbitmq/enabled_plugins';
const CREDENTIALS = '/etc/rabbitmq/conf.d/10-credentials.conf';
const PLATFORM = '/etc/rabbitmq/conf.d/20-platform.conf';
const PASSWORD = '/run/secrets/rabbitmq-password';
const COOKIE = '/run/secrets/rabbitmq-erlang-cookie';
const START = '/usr/local/bin/platform-rabbitmq.sh';
const LIMIT_MS = 55_000;
/** What 3.10 cannot take (see the header); everything else is the generated file as it is. */
export const ONLY_4X = [/^cluster_formation\.peer_discovery_backend = k8s$/m, /^default_queue_type = quorum$/m];

export async function verifyRabbitmq(_artifact: Artifact): Promise<void> {
  if (!needs({ [`${RABBIT_BIN}/rabbitmq-server`]: 'rabbitmq-server', epmd: 'erlang-base' }, 'RabbitMQ drill')) return;
  note(
    `rabbitmq drill on ${sh('dpkg-query', ['-W', '-f', '${Version}', 'rabbitmq-server']).out.trim() || 'rabbitmq-server'}; left out for 3.10: ${ONLY_4X.map((r) => r.source.replace(/[\\^$]/g, '')).join(', ')}`,
  );
  // One run of the files as generated serves both checks.
  const asGenerated = drill('as-generated');
  await validator(
    'RabbitMQ (Debian rabbitmq-server, generated conf.d, plugins and start wrapper): node starts, cookie installed, rotated password applied',
    () => asGenerated,
    () => drill('misspelt'),
  );
  // A rotation that fails (here: the secret file cannot be read) must leave the node unhealthy.
  await validator(
    'RabbitMQ: the liveness check passes only once the start wrapper has applied the current password',
    () => asGenerated,
    async () => {
      const r = await drill('rotation-fails');
      return r.code !== 0 && r.out.includes(UNHEALTHY) ? r : { code: 0, out: `not refused by the liveness check: ${r.out}` };
    },
  );
}

const UNHEALTHY = 'the generated liveness check failed on the running node';

/**
 * `as-generated`: the files as synthesized. `misspelt`: a misspelt key in 20-platform.conf, which
 * the node must refuse. `rotation-fails`: no password secret file, so the wrapper cannot apply it.
 */
export async function drill(variant: 'as-generated' | 'misspelt' | 'rotation-fails') {
  const misspelt = variant === 'misspelt';
  const procs = new Processes();
  return bounded(LIMIT_MS, procs, async () => {
    const m = memberContainer('rabbitmq', 0);
    const [amqp, management, prometheus, dist, epmdPort] = (await freePorts(5)) as [number, number, number, number, number];
    const dir = memberDir(misspelt ? 'rabbitmq-broken' : 'rabbitmq', 0);
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
    ]);
    if (misspelt) platform = platform.replace('vm_memory_high_watermark.relative', 'vm_memory_high_watermark.relativ');
    fs.writeFileSync(path.join(dir, 'conf.d', '20-platform.conf'), platform);
    fs.writeFileSync(path.join(dir, 'conf.d', '10-credentials.conf'), fileOf(m, CREDENTIALS), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'enabled_plugins'), fileOf(m, PLUGINS));
    // The database is created with the password of 10-credentials.conf; the secret file holds a rotated one.
    const created = standIn('rabbitmq_password');
    const rotated = `${created}Rotated`;
    if (!fileOf(m, CREDENTIALS).includes(`default_pass = ${created}`))
      throw new Error('10-credentials.conf does not carry the generated password');
    if (variant !== 'rotation-fails') fs.writeFileSync(path.join(dir, 'secrets', 'rabbitmq-password'), rotated, { mode: 0o600 });
    const cookie = fileOf(m, COOKIE);
    fs.writeFileSync(path.join(dir, 'secrets', 'rabbitmq-erlang-cookie'), cookie, { mode: 0o600 });
    // The image's entrypoint only execs its arguments for a non-root user; Debian's scripts stand in for the image's.
    fs.writeFileSync(path.join(bin, 'docker-entrypoint.sh'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    const marker = path.join(dir, 'password-applied');
    const start = rewrite(fileOf(m, START), [
      [PASSWORD, path.join(dir, 'secrets', 'rabbitmq-password')],
      [COOKIE, path.join(dir, 'secrets', 'rabbitmq-erlang-cookie')],
      [PASSWORD_APPLIED, marker],
    ]);
    // A marker left from an earlier run of the container (Docker restarts keep /tmp): the wrapper removes it.
    fs.writeFileSync(marker, '');
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
      RABBITMQ_CONFIG_FILES: path.join(dir, 'conf.d'),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'no-rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_DIST_PORT: String(dist),
      ERL_EPMD_PORT: String(epmdPort),
      LANG: 'C.UTF-8',
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
    if (variant === 'rotation-fails') {
      await waitFor(
        'the wrapper to give up',
        30_000,
        () => (node.log().includes('could not apply the platform password') ? true : undefined),
        500,
      );
      if (fs.existsSync(marker)) throw new Error('the marker is there although the password was not applied');
      const base = sh('sh', ['-c', 'rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms'], { env });
      if (base.code !== 0) throw new Error(`the node itself is not running: ${base.out}`);
      const check = sh('sh', ['-c', livenessCheck(marker)], { env });
      if (check.code !== 0) throw new Error(`${UNHEALTHY}: ${check.out || `exit ${check.code}`}`);
      return;
    }
    await waitFor(
      'the wrapper to apply the password from its secret file',
      20_000,
      async () => {
        return (await login(rotated)) === 200 ? true : undefined;
      },
      500,
    );
    if ((await login(created)) !== 401) throw new Error('the password the database was created with still logs in');
    await waitFor('the wrapper to write its marker', 10_000, () => (fs.existsSync(marker) ? true : undefined), 250);

    const installed = path.join(home, '.erlang.cookie');
    const mode = fs.statSync(installed).mode & 0o777;
    if (mode !== 0o400 || fs.readFileSync(installed, 'utf8') !== cookie)
      throw new Error(`the cookie was installed with mode 0${mode.toString(8)}`);
    const check = sh('sh', ['-c', livenessCheck(marker)], { env });
    if (check.code !== 0) throw new Error(`${UNHEALTHY}: ${check.out}`);
  });
}

/** The generated liveness check (`sh -c <script>`) of the RabbitMQ container, its marker moved to `marker`. */
function livenessCheck(marker: string): string {
  const c = clustersStack().tf.resource.kubernetes_stateful_set_v1.rabbitmq.spec.template.spec.container.find(
    (x: any) => x.name === 'main',
  );
  return rewrite(c.liveness_probe.exec.command[2], [[PASSWORD_APPLIED, marker]]);
}

function rewrite(text: string, pairs: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`the generated file has no "${from}" to rewrite`);
    out = out.replaceAll(from, to);
  }
  return out;
}
