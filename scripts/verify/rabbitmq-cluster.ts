/**
 * RabbitMQ's Erlang distribution over internal TLS, on Debian's rabbitmq-server (3.10, Erlang 25): two
 * nodes of the clusters scenario with internalTls started on this host with their pods' own files
 * (conf.d, enabled_plugins, definitions, cookie, start wrapper, inter_node_tls.config) and environment
 * (the node name from the stable address, long names, the server's and the CLI tools' runtime flags),
 * only ports, directories and file paths rewritten. The nodes keep their generated host names
 * (`rabbitmq-<i>.rabbitmq-headless.<namespace>.svc`), which Erlang resolves to 127.0.0.1 through its own
 * resolver file (ERL_INETRC): the dialling side checks that name against the certificate, as in the
 * cluster. Two nodes on one host cannot both be "rabbit" at one epmd, so each node's name part becomes
 * `rabbit-<i>` (the host part, which TLS checks, is untouched). One certificate for both, as cert-manager
 * issues the one Secret every member mounts: the chart's names and usages, signed by a test CA.
 *
 * Checked: the second node reaches the first (`net_adm:ping`, run on it through the CLI tools), joins it with the CLI tools over TLS (`rabbitmqctl stop_app`,
 * `join_cluster`, `start_app`, with the generated RABBITMQ_CTL_ERL_ARGS), `cluster_status` on both lists
 * both nodes running, the generated health checks pass on both (they run rabbitmq-diagnostics with the
 * container's environment), and a CLI tool without the TLS flags cannot reach a node.
 * Broken variants, each of which must keep the cluster from forming: the second node from another CA
 * (its certificate and its CA: a node of another environment), certificates for server authentication
 * only (a peer must present a client certificate), a certificate naming the members by wildcard only
 * (Erlang's host-name check matches no wildcard), and the second node without distribution TLS (what a
 * rolling update from the plaintext distribution meets).
 *
 * 3.10 lacks what only 4.x knows (the header of rabbitmq.ts, ONLY_4X); the readiness check's count of
 * running nodes asks `rabbit_mnesia:cluster_nodes(running)` instead of 4.x's `rabbit_nodes:list_running()`,
 * through `rabbitmqctl eval` (3.10's rabbitmq-diagnostics has no `eval`; both take RABBITMQ_CTL_ERL_ARGS).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TLS_DIR } from '../../constructs/services/common';
import { INTER_NODE_TLS } from '../../constructs/services/rabbitmq';
import { type Artifact, needs, note, sh, validator } from './lib';
import { type Pki, pki } from './internal-tls';
import {
  DrillFailure,
  type Proc,
  Processes,
  bounded,
  clustersStack,
  fileOf,
  freePorts,
  httpStatus,
  memberContainer,
  memberDir,
  waitFor,
} from './cluster-lib';
import { ONLY_4X, RABBIT_BIN, rabbitNodeEnv } from './rabbitmq';

const PLATFORM = '/etc/rabbitmq/conf.d/20-platform.conf';
const PLUGINS = '/etc/rabbitmq/enabled_plugins';
const DEFINITIONS = '/etc/rabbitmq/definitions.json';
const COOKIE = '/run/secrets/rabbitmq-erlang-cookie';
const START = '/usr/local/bin/platform-rabbitmq.sh';
const NODES = 2;
const LIMIT_MS = 120_000;
/** The usages cert-manager is asked for, as the test CA's extended key usages. */
const USES: Record<string, string> = { 'server auth': 'server_auth', 'client auth': 'client_auth' };

type Broken = { foreignCa: Pki } | 'server-auth-only' | 'wildcard-only' | 'no-dist-tls';

export async function verifyRabbitmqDistTls(_artifact: Artifact): Promise<void> {
  if (!needs({ [`${RABBIT_BIN}/rabbitmq-server`]: 'rabbitmq-server', epmd: 'erlang-base' }, 'RabbitMQ distribution over TLS')) return;
  const ca = pki('rabbit-dist');
  const foreign = pki('rabbit-dist-foreign');
  await validator(
    "RabbitMQ cluster over internal TLS (2 Debian rabbitmq-server nodes, the clusters scenario with internalTls, the pods' files, certificates for the chart's names and usages): the second joins the first with the CLI over TLS, both running, health checks pass",
    () => distDrill({ pki: ca }),
    async () => {
      const outcomes = [];
      for (const broken of [{ foreignCa: foreign }, 'server-auth-only', 'wildcard-only', 'no-dist-tls'] as const)
        outcomes.push(await distDrill({ pki: ca, broken }));
      return {
        code: outcomes.every((o) => o.code !== 0) ? 1 : 0,
        out: outcomes.map((o, i) => `--- broken variant ${i + 1}: ${o.code === 0 ? 'clustered' : 'refused'}\n${o.out}`).join('\n'),
      };
    },
  );
}

/** The liveness and readiness checks of the clustered StatefulSet's main container (`sh -c <script>`). */
function healthChecks(): { liveness: string; readiness: string } {
  const c = clustersStack('internalTls').tf.resource.kubernetes_stateful_set_v1.rabbitmq.spec.template.spec.container.find(
    (x: any) => x.name === 'main',
  );
  const readiness = rewrite(c.readiness_probe.exec.command[2], [
    ['rabbit_nodes:list_running()', 'rabbit_mnesia:cluster_nodes(running)'],
    ['rabbitmq-diagnostics -q eval', 'rabbitmqctl -q eval'],
  ]);
  return { liveness: c.liveness_probe.exec.command[2], readiness };
}

interface Node {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly management: number;
  readonly proc: Proc;
}

export async function distDrill(opts: { pki: Pki; broken?: Broken }) {
  const procs = new Processes();
  const { tf } = clustersStack('internalTls');
  const values = JSON.parse(tf.resource.helm_release.platform_certificates.values[0]);
  const c = values.certificates.find((x: any) => x.name === 'rabbitmq-tls');
  if (!c) throw new Error('the chart issues no certificate rabbitmq-tls');
  const label = typeof opts.broken === 'object' ? 'foreign' : (opts.broken ?? 'tls');
  const uses = opts.broken === 'server-auth-only' ? ['server_auth'] : (c.usages as string[]).flatMap((u) => (USES[u] ? [USES[u]] : []));
  const names = opts.broken === 'wildcard-only' ? (c.dnsNames as string[]).filter((n) => !/^rabbitmq-\d\./.test(n)) : c.dnsNames;
  const cert = opts.pki.issue(`rabbit-dist-${label}`, names, c.ipAddresses ?? [], uses);
  const foreignCert =
    typeof opts.broken === 'object' ? opts.broken.foreignCa.issue('rabbit-dist-foreign', c.dnsNames, c.ipAddresses ?? [], uses) : undefined;
  const checks = healthChecks();
  return bounded(LIMIT_MS, procs, async () => {
    const ports = await freePorts(NODES * 4 + 1);
    const epmd = ports[NODES * 4]!;
    const hosts = Array.from({ length: NODES }, (_, i) => {
      const m = memberContainer('rabbitmq', i, 'main', 'internalTls');
      return m.env.RABBITMQ_NODENAME!.replace(/^rabbit@/, '');
    });
    // Erlang's own resolver file: the members' headless names are this host (only a cluster's DNS knows them).
    const inetrc = path.join(memberDir(`rabbit-dist-${label}-inetrc`, 0), 'inetrc');
    fs.writeFileSync(inetrc, `{host, {127,0,0,1}, [${hosts.map((h) => JSON.stringify(h)).join(', ')}]}.\n{lookup, [file, native]}.\n`);
    procs.start('epmd', 'epmd', ['-port', String(epmd)], { env: { ERL_EPMD_PORT: String(epmd) } });

    const nodes: Node[] = [];
    for (let i = 0; i < NODES; i++) {
      const m = memberContainer('rabbitmq', i, 'main', 'internalTls');
      const [amqps, management, prometheus, dist] = ports.slice(i * 4, i * 4 + 4) as [number, number, number, number];
      const dir = memberDir(`rabbit-dist-${label}`, i);
      const home = path.join(dir, 'home');
      const bin = path.join(dir, 'bin');
      const tlsDir = path.join(dir, 'tls');
      for (const d of [home, bin, tlsDir, path.join(dir, 'conf.d'), path.join(dir, 'secrets')]) fs.mkdirSync(d, { recursive: true });
      // The Secret mounted as a directory: tls.crt, tls.key (0440), ca.crt.
      const own =
        i === NODES - 1 && foreignCert && typeof opts.broken === 'object'
          ? { cert: foreignCert, ca: opts.broken.foreignCa.ca }
          : { cert, ca: opts.pki.ca };
      fs.copyFileSync(own.cert.chain, path.join(tlsDir, 'tls.crt'));
      fs.copyFileSync(own.cert.key, path.join(tlsDir, 'tls.key'));
      fs.chmodSync(path.join(tlsDir, 'tls.key'), 0o440);
      fs.copyFileSync(own.ca, path.join(tlsDir, 'ca.crt'));

      let platform = fileOf(m, PLATFORM);
      for (const line of ONLY_4X) {
        if (!line.test(platform)) throw new Error(`20-platform.conf no longer has ${line.source}: update the drill`);
        platform = platform.replace(line, '# (left out for 3.10)');
      }
      platform = rewrite(platform, [
        [`listeners.ssl.default = 5671`, `listeners.ssl.default = 127.0.0.1:${amqps}`],
        ['management.tcp.port = 15672', `management.tcp.port = ${management}\nmanagement.tcp.ip = 127.0.0.1`],
        ['prometheus.tcp.port = 15692', `prometheus.tcp.port = ${prometheus}\nprometheus.tcp.ip = 127.0.0.1`],
        [`definitions.local.path = ${DEFINITIONS}`, `definitions.local.path = ${path.join(dir, 'definitions.json')}`],
        [`${TLS_DIR}/`, `${tlsDir}/`],
      ]);
      fs.writeFileSync(path.join(dir, 'conf.d', '20-platform.conf'), platform);
      fs.writeFileSync(path.join(dir, 'enabled_plugins'), fileOf(m, PLUGINS));
      fs.writeFileSync(path.join(dir, 'definitions.json'), fileOf(m, DEFINITIONS), { mode: 0o600 });
      fs.writeFileSync(path.join(dir, 'secrets', 'rabbitmq-erlang-cookie'), fileOf(m, COOKIE), { mode: 0o600 });
      fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
      // The image's entrypoint only execs its arguments for a non-root user; Debian's scripts stand in for the image's.
      fs.writeFileSync(path.join(bin, 'docker-entrypoint.sh'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
      fs.writeFileSync(
        path.join(dir, 'start.sh'),
        rewrite(fileOf(m, START), [[COOKIE, path.join(dir, 'secrets', 'rabbitmq-erlang-cookie')]]),
        {
          mode: 0o755,
        },
      );
      const optfile = path.join(dir, 'inter_node_tls.config');
      fs.writeFileSync(optfile, rewrite(fileOf(m, INTER_NODE_TLS), [[`${TLS_DIR}/`, `${tlsDir}/`]]));

      const flags = { server: m.env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS, ctl: m.env.RABBITMQ_CTL_ERL_ARGS };
      if (!flags.server || !flags.ctl) throw new Error('the member has no distribution TLS flags for the server and the CLI tools');
      const tlsEnv: Record<string, string> =
        opts.broken === 'no-dist-tls' && i === NODES - 1
          ? {}
          : {
              RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: rewrite(flags.server, [[INTER_NODE_TLS, optfile]]),
              RABBITMQ_CTL_ERL_ARGS: rewrite(flags.ctl, [[INTER_NODE_TLS, optfile]]),
            };
      if (m.env.RABBITMQ_USE_LONGNAME !== 'true') throw new Error('the member does not use long names');
      const name = `rabbit-${i}@${hosts[i]}`;
      const env: Record<string, string> = {
        ...m.env,
        ...tlsEnv,
        PATH: `${bin}:${RABBIT_BIN}:/usr/bin:/bin`,
        HOME: home,
        RABBITMQ_NODENAME: name,
        ERL_INETRC: inetrc,
        ...rabbitNodeEnv(dir, dist, epmd),
      };
      if (!('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS' in tlsEnv)) {
        delete env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS;
        delete env.RABBITMQ_CTL_ERL_ARGS;
      }
      const proc = procs.start(name, '/bin/sh', [path.join(dir, 'start.sh')], { env, cwd: home });
      nodes.push({ name, env, management, proc });
    }
    // Up: each node serves its management API (which needs no distribution).
    await waitFor(
      'both nodes to serve the management API',
      60_000,
      async () => {
        const gone = nodes.find((n) => n.proc.exited());
        if (gone) throw new DrillFailure(`${gone.name} stopped`);
        const codes = await Promise.all(nodes.map((n) => httpStatus(n.management, '/api/overview')));
        return codes.every((code) => code === 401) ? true : undefined;
      },
      500,
    );
    const ctl = (n: Node, ...args: string[]) => {
      const r = sh(path.join(RABBIT_BIN, 'rabbitmqctl'), ['-q', '-n', n.name, ...args], { env: n.env });
      if (r.code !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} on ${n.name}: ${r.out.trim()}`);
      return r.out;
    };
    const [first, second] = nodes as [Node, Node];
    // The second node itself dials the first (its client side against the first's server side).
    const ping = ctl(second, 'eval', `net_adm:ping('${first.name}').`).trim();
    if (ping !== 'pong') throw new Error(`${second.name} cannot reach ${first.name} over the distribution (net_adm:ping: ${ping})`);
    ctl(second, 'stop_app');
    ctl(second, 'join_cluster', first.name);
    ctl(second, 'start_app');
    for (const n of nodes) {
      const status = JSON.parse(ctl(n, 'cluster_status', '--formatter', 'json')) as { running_nodes?: string[] };
      const running = [...(status.running_nodes ?? [])].sort();
      if (running.join(',') !== nodes.map((x) => x.name).join(','))
        throw new Error(`cluster_status on ${n.name} lists running ${running.join(', ') || 'nothing'}`);
    }
    // The generated health checks, with the container's environment (the CLI tools' TLS flags).
    for (const n of nodes) {
      for (const [kind, script] of Object.entries(checks)) {
        const r = sh('sh', ['-c', script], { env: n.env });
        if (r.code !== 0) throw new Error(`the generated ${kind} check failed on ${n.name}: ${r.out}`);
      }
    }
    // A CLI tool without the TLS flags cannot reach a node: the distribution speaks TLS only.
    const { RABBITMQ_CTL_ERL_ARGS: _, ...plainEnv } = first.env;
    const plain = sh(path.join(RABBIT_BIN, 'rabbitmq-diagnostics'), ['-q', '-n', first.name, 'check_running'], { env: plainEnv });
    if (plain.code === 0) throw new Error('a CLI tool without the TLS flags reached the node');
    if (!opts.broken)
      note(
        `rabbitmq distribution over TLS: ${second.name} joined ${first.name}; both running in cluster_status; the health checks pass; a CLI tool without the TLS flags is refused`,
      );
  });
}

function rewrite(text: string, pairs: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`the generated text has no "${from}" to rewrite`);
    out = out.replaceAll(from, to);
  }
  return out;
}
