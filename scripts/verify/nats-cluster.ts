/**
 * NATS cluster drill: three Debian nats-server processes on the loopback interface, each started on
 * the files its pod gets in the clusters environment (nats-server.conf, auth.conf, routes.conf;
 * SERVER_NAME from its pod name), with only listen addresses, ports, route addresses and the store
 * directory rewritten. The cluster must form (the readiness check, the full /healthz, passes on
 * all three), an R3 stream is created, the server leading it is killed, and the stream still
 * accepts a message and serves both. Broken variant: one server with another cluster name, which
 * must keep the cluster from forming.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TLS_DIR } from '../../constructs/services/common';
import { type Artifact, needs, note, standIn, validator } from './lib';
import { NatsWire } from './nats-wire';
import { type Pki, pki } from './internal-tls';
import {
  Processes,
  bounded,
  clustersStack,
  fileOf,
  freePorts,
  httpStatus,
  memberContainer,
  memberDir,
  memberHost,
  toLoopback,
  waitFor,
} from './cluster-lib';

const CONFIG = '/etc/nats/nats-server.conf';
const AUTH = '/etc/nats/auth.conf';
const ROUTES = '/etc/nats/routes.conf';
const SERVERS = 3;
/** The whole drill, the broken variant included, stays well under a minute each. */
const LIMIT_MS = 50_000;

interface Server {
  readonly name: string;
  readonly client: number;
  readonly http: number;
  readonly dir: string;
}

export async function verifyNatsCluster(_artifact: Artifact): Promise<void> {
  if (!needs({ 'nats-server': 'nats-server' }, 'NATS cluster drill')) return;
  await validator(
    'NATS cluster (3 Debian nats-server, generated config): forms, R3 stream survives losing its leader',
    () => drill(false),
    () => drill(true),
  );
  const ca = pki('nats-routes');
  const foreign = pki('nats-routes-foreign');
  await validator(
    "NATS cluster over internal TLS (3 Debian nats-server, the clusters scenario with internalTls, certificates for the chart's names): routes form over TLS",
    () => tlsDrill({ pki: ca }),
    async () => {
      // Each must keep the routes from forming: a member whose CA did not sign the others' certificates,
      // certificates for server authentication only (nats-server requires the peer's on routes), a
      // certificate without the name the routes dial (the dialling server checks it), and a member
      // without route TLS (a rolling update from plaintext routes).
      const outcomes = [
        await tlsDrill({ pki: ca, broken: { foreignCa: foreign } }),
        await tlsDrill({ pki: ca, broken: 'server-auth-only' }),
        await tlsDrill({ pki: ca, broken: 'wrong-name' }),
        await tlsDrill({ pki: ca, broken: 'no-route-tls' }),
      ];
      return {
        code: outcomes.every((o) => o.code !== 0) ? 1 : 0,
        out: outcomes.map((o, i) => `--- broken variant ${i + 1}: ${o.code === 0 ? 'routes formed' : 'refused'}\n${o.out}`).join('\n'),
      };
    },
  );
}

/** The usages cert-manager is asked for, as the test CA's extended key usages. */
const USES: Record<string, string> = { 'server auth': 'server_auth', 'client auth': 'client_auth' };

/**
 * The clustered configuration of the clusters scenario with internal TLS: three servers on the loopback
 * interface, each with its pod's files (routes to `localhost:<its port>` instead of the members'
 * headless names, which only a cluster's DNS resolves: the dialling server then checks the name
 * `localhost`, which the certificate carries as it carries the headless names) and one certificate,
 * as cert-manager issues the one Secret every member mounts: the chart's names and usages, signed by
 * the test CA. Routes have formed when every server's /routez shows the other two and every server is
 * ready (the full /healthz: current with the JetStream meta leader, reached over the routes).
 */
export async function tlsDrill(opts: { pki: Pki; broken?: { foreignCa: Pki } | 'server-auth-only' | 'wrong-name' | 'no-route-tls' }) {
  const procs = new Processes();
  const { tf } = clustersStack('internalTls');
  const values = JSON.parse(tf.resource.helm_release.platform_certificates.values[0]);
  const c = values.certificates.find((x: any) => x.name === 'nats-tls');
  if (!c) throw new Error('the chart issues no certificate nats-tls');
  const uses = opts.broken === 'server-auth-only' ? ['server_auth'] : (c.usages as string[]).map((u) => USES[u]).filter(Boolean);
  const label = typeof opts.broken === 'object' ? 'foreign' : (opts.broken ?? 'tls');
  const cert =
    opts.broken === 'wrong-name'
      ? opts.pki.issue(`nats-routes-${label}`, ['nats.elsewhere.svc'], [], uses as string[])
      : opts.pki.issue(`nats-routes-${label}`, c.dnsNames, c.ipAddresses ?? [], uses as string[]);
  return bounded(LIMIT_MS, procs, async () => {
    const ports = await freePorts(SERVERS * 3);
    const at = (i: number) => ({ client: ports[i * 3]!, http: ports[i * 3 + 1]!, cluster: ports[i * 3 + 2]! });
    const servers: Server[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const m = memberContainer('nats', i, 'main', 'internalTls');
      const dir = memberDir(`nats-routes-${label}`, i);
      const last = i === SERVERS - 1;
      // The Secret mounted as a directory: tls.crt, tls.key, ca.crt.
      const tlsDir = path.join(dir, 'tls');
      fs.mkdirSync(tlsDir);
      fs.copyFileSync(cert.chain, path.join(tlsDir, 'tls.crt'));
      fs.copyFileSync(cert.key, path.join(tlsDir, 'tls.key'));
      fs.copyFileSync(last && typeof opts.broken === 'object' ? opts.broken.foreignCa.ca : opts.pki.ca, path.join(tlsDir, 'ca.crt'));
      let conf = fileOf(m, CONFIG)
        .replace(/^listen: 0\.0\.0\.0:4222$/m, `listen: 127.0.0.1:${at(i).client}`)
        .replace(/^http: 0\.0\.0\.0:8222$/m, `http: 127.0.0.1:${at(i).http}`)
        .replace(/^ {2}listen: 0\.0\.0\.0:6222$/m, `  listen: 127.0.0.1:${at(i).cluster}`)
        .replace('store_dir: "/data/jetstream"', `store_dir: ${JSON.stringify(path.join(dir, 'jetstream'))}`)
        .replaceAll(`${TLS_DIR}/`, `${tlsDir}/`);
      const routeTls = /\n {2}tls \{\n(?: {4}.*\n)+ {2}\}\n/;
      const block = conf.slice(conf.indexOf('cluster {'), conf.indexOf('\n}\n', conf.indexOf('cluster {')));
      if (!routeTls.test(block + '\n')) throw new Error('the generated cluster block has no tls block');
      if (opts.broken === 'no-route-tls' && last) conf = conf.replace(routeTls, '\n');
      fs.writeFileSync(path.join(dir, 'nats-server.conf'), conf);
      fs.writeFileSync(path.join(dir, 'auth.conf'), fileOf(m, AUTH), { mode: 0o600 });
      let routes = fileOf(m, ROUTES);
      for (let j = 0; j < SERVERS; j++) {
        const host = `${memberHost('nats', j)}:6222`;
        if (!routes.includes(host)) throw new Error(`routes.conf has no route to ${host}`);
        routes = routes.replaceAll(host, `localhost:${at(j).cluster}`);
      }
      fs.writeFileSync(path.join(dir, 'routes.conf'), routes, { mode: 0o600 });
      const name = m.env.SERVER_NAME!;
      procs.start(name, 'nats-server', ['-c', path.join(dir, 'nats-server.conf')], { env: { SERVER_NAME: name } });
      servers.push({ name, client: at(i).client, http: at(i).http, dir });
    }
    const remotes = async (s: Server): Promise<string[]> => {
      const r = await fetch(`http://127.0.0.1:${s.http}/routez`, { signal: AbortSignal.timeout(2000) });
      const z = (await r.json()) as { routes?: { remote_id: string }[] };
      return [...new Set((z.routes ?? []).map((x) => x.remote_id))];
    };
    // A broken variant fails here: 15 s is several route reconnect attempts (nats-server retries each second).
    await waitFor('every server to route to the other two over TLS (/routez) and be ready (/healthz 200)', 15_000, async () => {
      const counts = await Promise.all(servers.map(async (s) => (await remotes(s)).length));
      const ready = await Promise.all(servers.map((s) => httpStatus(s.http, '/healthz')));
      if (counts.every((n) => n === SERVERS - 1) && ready.every((code) => code === 200)) return true;
      throw new Error(`peers routed per server ${counts.join('/')}, /healthz ${ready.join('/')}`);
    });
    const varz = (await (await fetch(`http://127.0.0.1:${servers[0]!.http}/varz`)).json()) as { cluster?: Record<string, unknown> };
    if (!opts.broken) note(`nats routes over TLS: every server routes to the other two; /varz cluster ${JSON.stringify(varz.cluster)}`);
  });
}

export async function drill(brokenClusterName: boolean) {
  const procs = new Processes();
  return bounded(LIMIT_MS, procs, async () => {
    const ports = await freePorts(SERVERS * 3);
    const at = (i: number) => ({ client: ports[i * 3]!, http: ports[i * 3 + 1]!, cluster: ports[i * 3 + 2]! });
    const routePorts = Array.from({ length: SERVERS }, (_, i) => ({ 6222: at(i).cluster }));
    const servers: Server[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const m = memberContainer('nats', i);
      const dir = memberDir(brokenClusterName ? 'nats-broken' : 'nats', i);
      let conf = fileOf(m, CONFIG)
        .replace(/^listen: 0\.0\.0\.0:4222$/m, `listen: 127.0.0.1:${at(i).client}`)
        .replace(/^http: 0\.0\.0\.0:8222$/m, `http: 127.0.0.1:${at(i).http}`)
        .replace(/^ {2}listen: 0\.0\.0\.0:6222$/m, `  listen: 127.0.0.1:${at(i).cluster}`)
        .replace('store_dir: "/data/jetstream"', `store_dir: ${JSON.stringify(path.join(dir, 'jetstream'))}`);
      if (brokenClusterName && i === SERVERS - 1) conf = conf.replace(/^( {2}name: ")([^"]+)"/m, '$1$2-other"');
      for (const [from, to] of [
        [`listen: 127.0.0.1:${at(i).client}`, 'client listen'],
        [`http: 127.0.0.1:${at(i).http}`, 'http listen'],
        [`listen: 127.0.0.1:${at(i).cluster}`, 'cluster listen'],
      ] as const) {
        if (!conf.includes(from)) throw new Error(`the generated nats-server.conf has no ${to} to rewrite`);
      }
      fs.writeFileSync(path.join(dir, 'nats-server.conf'), conf);
      fs.writeFileSync(path.join(dir, 'auth.conf'), fileOf(m, AUTH), { mode: 0o600 });
      fs.writeFileSync(path.join(dir, 'routes.conf'), toLoopback(fileOf(m, ROUTES), 'nats', routePorts), { mode: 0o600 });
      const name = m.env.SERVER_NAME;
      if (name !== `nats-${i}`) throw new Error(`SERVER_NAME of member ${i} is ${name}`);
      procs.start(name, 'nats-server', ['-c', path.join(dir, 'nats-server.conf')], { env: { SERVER_NAME: name } });
      servers.push({ name, client: at(i).client, http: at(i).http, dir });
    }

    // Readiness as the pods have it: the full /healthz (current with the meta leader and its assets).
    await waitFor('every server to be ready (/healthz 200)', 15_000, async () =>
      (await Promise.all(servers.map((s) => httpStatus(s.http, '/healthz')))).every((c) => c === 200) ? true : undefined,
    );

    const password = standIn('nats_password');
    let conn = await NatsWire.connect(servers[0]!.client, 'platform', password);
    try {
      const js = async (subject: string, body: object) => JSON.parse(await conn.request(subject, JSON.stringify(body), 3000));
      const created = await js('$JS.API.STREAM.CREATE.VERIFY', {
        name: 'VERIFY',
        subjects: ['verify.>'],
        num_replicas: 3,
        storage: 'file',
      });
      if (created.error) throw new Error(`R3 stream refused: ${JSON.stringify(created.error)}`);
      // The stream's own leader is elected right after it is created: publish once it answers.
      await waitFor('the new stream to acknowledge its first message', 10_000, async () => {
        const ack = JSON.parse(await conn.request('verify.one', 'first', 1000));
        return ack.stream === 'VERIFY' && ack.seq === 1 ? ack : undefined;
      });
      const info = await waitFor('the stream to report three current replicas', 10_000, async () => {
        const i = await js('$JS.API.STREAM.INFO.VERIFY', {});
        return i.cluster?.leader && (i.cluster.replicas ?? []).filter((r: any) => r.current).length === 2 ? i : undefined;
      });
      const leader = servers.find((s) => s.name === info.cluster.leader);
      if (!leader) throw new Error(`unknown stream leader ${info.cluster.leader}`);

      // Stop the server that leads the stream; talk to one that stays.
      conn.close();
      // Killed, not shut down: a lost server does not hand its leadership over.
      await procs.stopOne(leader.name, true);
      const lost = Date.now();
      const survivor = servers.find((s) => s !== leader)!;
      conn = await NatsWire.connect(survivor.client, 'platform', password);
      await waitFor('a new stream leader to acknowledge a message', 20_000, async () => {
        const ack = JSON.parse(await conn.request('verify.two', 'second', 2000));
        return ack.stream === 'VERIFY' && !ack.error ? ack : undefined;
      });
      if (!brokenClusterName)
        note(
          `nats drill: the stream took a message again ${((Date.now() - lost) / 1000).toFixed(1)} s after its leader ${leader.name} was killed`,
        );
      const get = async (body: object) => {
        const r = await js('$JS.API.STREAM.MSG.GET.VERIFY', body);
        if (r.error) throw new Error(JSON.stringify(r.error));
        return Buffer.from(r.message.data, 'base64').toString();
      };
      const first = await get({ seq: 1 });
      const second = await get({ last_by_subj: 'verify.two' });
      if (first !== 'first' || second !== 'second') throw new Error(`the stream served ${JSON.stringify([first, second])}`);
      // The two that remain are still ready.
      await waitFor('the remaining servers to be ready again', 15_000, async () =>
        (await Promise.all(servers.filter((s) => s !== leader).map((s) => httpStatus(s.http, '/healthz')))).every((c) => c === 200)
          ? true
          : undefined,
      );
    } finally {
      conn.close();
    }
  });
}
