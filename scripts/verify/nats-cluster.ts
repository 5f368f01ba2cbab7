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
import { type Artifact, needs, note, standIn, validator } from './lib';
import { NatsWire } from './nats-wire';
import { Processes, bounded, fileOf, freePorts, httpStatus, memberContainer, memberDir, toLoopback, waitFor } from './cluster-lib';

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
