/**
 * Internal TLS with the real servers: the host scenario synthesized with `internalTls.enabled`, its
 * NATS and PostgreSQL configurations as the Docker stack uploads them, and a test CA made the way the
 * stack's tls provider resources make it (the environment's one internal CA, ECDSA P-256, signing an
 * RSA 2048 key in PKCS#8 per server, the leaf alone as the chain: constructs/render/docker/certificates.ts;
 * the server certificate's names and uses read from the stack's `tls_cert_request` /
 * `tls_locally_signed_cert`), written where the
 * configurations expect the files:
 * - NATS: `nats-server -t` accepts the configuration (broken variant: a key that is not the
 *   certificate's); a server started on it takes a TLS client that verifies it against the CA and
 *   by name, and logs in (broken variant: a certificate without the name the client asks for);
 * - Redis: redis-server started on its redis.conf (TLS only on the client port): redis-cli over TLS
 *   verifying the CA logs in with the generated password, a plaintext client gets nothing (broken
 *   variant: a key that is not the certificate's, which the server refuses to start with);
 * - PostgreSQL 15: started on its postgresql.conf and pg_hba.conf, a login over TCP with
 *   `sslmode=verify-full` against the CA works and runs encrypted, `sslmode=disable` is refused by
 *   pg_hba (hostssl only) (broken variant: a server certificate without the name verify-full checks);
 * - RabbitMQ (Debian's 3.10): the node started on its generated 20-platform.conf (TLS listener only)
 *   serves AMQP over TLS that `openssl s_client` verifies against the CA and by the name clients use,
 *   and no plaintext AMQP listener (broken variant: a certificate without that name).
 * And the clusters scenario (Kubernetes, large profile) with internal TLS, Redis standalone (with
 * Sentinel: redis-sentinel.ts's drill over TLS), as the pods get the files (ConfigMap/Secret keys behind their subPath
 * mounts) and the certificate cert-manager would issue from the chart's values (its DNS names and IP
 * addresses): NATS (clustered, routes and JetStream) `nats-server -t` and a TLS login that verifies the
 * Service's name and a member's headless name; Redis with TLS only, `openssl s_client` verifying the
 * Service's name; each with a broken variant (a stray key, a certificate without the names); and both
 * started by their pods' own commands serve a renewed certificate without a restart (broken variant:
 * the start without the reload loop); and PostgreSQL 15 on CloudNativePG's pg_hba as the operator
 * assembles it with the stack's rules: TLS accepted, plaintext refused (broken variant: the rules
 * without their closing `hostnossl … reject`, which lets the operator's own `host` line admit it);
 * and Roundcube in the mail namespace: its pod mounts the CA that signs PostgreSQL's certificate from
 * its own namespace's ConfigMap, and its configuration (php -l, PDO pgsql as Roundcube 1.7.3 connects)
 * dials the generated host name with sslmode=verify-full to that server, with that certificate
 * (broken variant: a certificate without the name Roundcube dials).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { TLS_DIR, tlsPaths } from '../../constructs/services/common';
import { TLS_KEY_COPY } from '../../constructs/services/postgres';
import { synthesize } from '../../stacks/app';
import { prepare } from '../../stacks/pipeline';
import host from './scenarios/host';
import clusters from './scenarios/clusters';
import { type Artifact, type Outcome, needs, sh, standIn, terraformRender, validator, work, freePort } from './lib';
import { Processes, bounded, freePorts, waitFor, DrillFailure } from './cluster-lib';
import { ONLY_4X, RABBIT_BIN, rabbitNodeEnv } from './rabbitmq';
import { type CaClient, roundcubeClient } from './managed-postgres';
import { ROUNDCUBE_DB_PASSWORD, ROUNDCUBE_DB_TRUST } from '../../constructs/services/mail';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface Pki {
  readonly dir: string;
  readonly ca: string;
  /** Issues a server certificate (chain file, key file) with these names. */
  issue(label: string, dns: readonly string[], ips: readonly string[], uses: readonly string[]): { chain: string; key: string };
  /** A key that belongs to no certificate. */
  strayKey(): string;
}

export function pki(label: string): Pki {
  const dir = fs.mkdtempSync(path.join(work, `pki-${label}-`));
  const run = (args: string[]) => {
    const r = sh('openssl', args, { cwd: dir });
    if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.out}`);
  };
  const ecKey = (file: string) => run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file]);
  // The servers' keys as the stack uploads them: RSA 2048, PKCS#8 (`private_key_pem_pkcs8`).
  const rsaKey = (file: string) => run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file]);
  ecKey('ca.key');
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '3650',
    '-subj',
    '/CN=verify internal CA/O=agent-platform',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out',
    'ca.crt',
  ]);
  const eku = (uses: readonly string[]) =>
    uses.flatMap((u) => (u === 'server_auth' ? ['serverAuth'] : u === 'client_auth' ? ['clientAuth'] : [])).join(',');
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    issue(name, dns, ips, uses) {
      rsaKey(`${name}.key`);
      run(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
      fs.writeFileSync(
        path.join(dir, `${name}.ext`),
        [
          `subjectAltName=${[...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',')}`,
          `extendedKeyUsage=${eku(uses)}`,
          'keyUsage=critical,digitalSignature,keyEncipherment',
          '',
        ].join('\n'),
      );
      run(
        ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '365', '-sha256'].concat([
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.crt`,
        ]),
      );
      // As the stack uploads it: the server's certificate alone (the internal CA is the root).
      fs.writeFileSync(path.join(dir, `${name}.chain`), fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8'));
      return { chain: path.join(dir, `${name}.chain`), key: path.join(dir, `${name}.key`) };
    },
    strayKey() {
      rsaKey('stray.key');
      return path.join(dir, 'stray.key');
    },
  };
}

/** The host scenario with internal TLS, synthesized as `npm run synth` does (guardrails included). */
function tlsArtifact(): { json: any; files: (address: string) => Record<string, string> } {
  const source = { file: 'scripts/verify/scenarios/host-tls.ts', input: { ...host, name: 'host-tls', internalTls: { enabled: true } } };
  const outdir = path.join(work, 'tls-out');
  synthesize([source], outdir);
  prepare(source);
  const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'host-tls', 'cdk.tf.json'), 'utf8'));
  const files = (address: string) =>
    Object.fromEntries(
      (json.resource.docker_container[address].upload as { file: string; content?: string }[])
        .filter((u) => u.content !== undefined && !u.file.startsWith(`${TLS_DIR}/`))
        .map((u) => [u.file, terraformRender(u.content!, json.resource)]),
    );
  return { json, files };
}

/**
 * The clusters scenario with internal TLS, synthesized as `npm run synth` does (guardrails included):
 * Redis standalone (Redis with Sentinel over TLS: redis-sentinel.ts), an own kubeconfig context (two environments
 * may not share one).
 */
function clusterTlsArtifact(): {
  json: any;
  files: (service: string) => Record<string, string>;
  certificate: (service: string) => { dns: string[]; ips: string[]; uses: string[]; namespace: string };
  mountsDirectory: (service: string) => boolean;
} {
  const input = {
    ...clusters,
    name: 'clusters-tls',
    target: { ...clusters.target, cluster: { auth: 'kubeconfig' as const, context: 'agent-platform-clusters-tls' } },
    internalTls: { enabled: true },
    services: { ...clusters.services, redis: { replicas: 1 } },
  };
  const source = { file: 'scripts/verify/scenarios/clusters-tls.ts', input };
  const outdir = path.join(work, 'cluster-tls-out');
  synthesize([source], outdir);
  const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'clusters-tls', 'cdk.tf.json'), 'utf8'));
  const r = json.resource;
  const main = (service: string) => r.kubernetes_stateful_set_v1[service].spec.template.spec.container.find((c: any) => c.name === 'main');
  // A file behind a subPath mount, from the workload's ConfigMap or Secret, as Terraform writes it.
  const files = (service: string) => {
    const data: Record<string, string> = {
      ...(r.kubernetes_config_map_v1?.[`${service}_config`]?.data ?? {}),
      ...(r.kubernetes_secret_v1?.[`${service}_secret`]?.data ?? {}),
    };
    return Object.fromEntries(
      (main(service).volume_mount as any[])
        .filter((m) => m.sub_path && data[m.sub_path] !== undefined)
        .map((m) => [m.mount_path, terraformRender(data[m.sub_path]!, r)]),
    );
  };
  const values = JSON.parse(r.helm_release.platform_certificates.values[0]);
  const certificate = (service: string) => {
    const c = values.certificates.find((x: any) => x.name === `${service}-tls`);
    if (!c) throw new Error(`the chart issues no certificate for ${service}`);
    // cert-manager's usages as the test CA's (server auth; client auth where members present it to each other).
    const uses = (c.usages as string[]).flatMap((u) =>
      u === 'server auth' ? ['server_auth'] : u === 'client auth' ? ['client_auth'] : [],
    );
    return { dns: c.dnsNames as string[], ips: c.ipAddresses as string[], uses, namespace: c.namespace as string };
  };
  // The server reads its certificate from the Secret mounted as a directory (a renewal reaches it), not a subPath.
  const mountsDirectory = (service: string) => {
    const pod = r.kubernetes_stateful_set_v1[service].spec.template.spec;
    const mount = (main(service).volume_mount as any[]).find((m) => m.mount_path === TLS_DIR);
    const volume = mount && (pod.volume as any[]).find((v) => v.name === mount.name);
    return !!volume && !mount.sub_path && volume.secret?.secret_name === `${service}-tls`;
  };
  return { json, files, certificate, mountsDirectory };
}

/** A TLS client that verifies the server against the CA and by `name` (openssl s_client), then closes. */
function verifiesAs(port: number, ca: string, name: string): Outcome {
  const r = sh(
    'openssl',
    [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      name,
      '-CAfile',
      ca,
      '-verify_hostname',
      name,
      '-verify_return_error',
      '-brief',
    ],
    { input: '' },
  );
  return { code: r.code === 0 && /Verification: OK/.test(r.out) ? 0 : 1, out: r.out };
}

/**
 * RabbitMQ 3.10 (Debian) on the host scenario's generated 20-platform.conf with TLS: only ports,
 * addresses and directories rewritten, the certificate and CA at the generated paths' stand-ins.
 */
async function rabbitTls(files: Record<string, string>, p: Pki, cert: { chain: string; key: string }, label: string, name: string) {
  const procs = new Processes();
  return bounded(60_000, procs, async () => {
    const [amqps, management, prometheus, dist, epmd] = (await freePorts(5)) as [number, number, number, number, number];
    const dir = fs.mkdtempSync(path.join(work, `rabbit-tls-${label}-`));
    const home = path.join(dir, 'home');
    for (const d of [home, path.join(dir, 'conf.d')]) fs.mkdirSync(d, { recursive: true });
    const f = tlsPaths();
    const conf = files['/etc/rabbitmq/conf.d/20-platform.conf'];
    const definitions = files['/etc/rabbitmq/definitions.json'];
    if (!conf || !definitions) throw new DrillFailure('the RabbitMQ container has no 20-platform.conf or definitions');
    for (const line of ['listeners.tcp = none', 'listeners.ssl.default = 5671', `ssl_options.certfile = ${f.cert}`])
      if (!conf.includes(line)) throw new DrillFailure(`20-platform.conf has no "${line}"`);
    let platform = conf;
    for (const line of ONLY_4X) platform = platform.replace(line, '# (left out for 3.10)');
    platform = platform
      .replace('listeners.ssl.default = 5671', `listeners.ssl.default = 127.0.0.1:${amqps}`)
      .replace('management.tcp.port = 15672', `management.tcp.port = ${management}\nmanagement.tcp.ip = 127.0.0.1`)
      .replace('prometheus.tcp.port = 15692', `prometheus.tcp.port = ${prometheus}\nprometheus.tcp.ip = 127.0.0.1`)
      .replace(/^definitions\.local\.path = .*$/m, `definitions.local.path = ${path.join(dir, 'definitions.json')}`)
      .replace(`= ${f.cert}`, `= ${cert.chain}`)
      .replace(`= ${f.key}`, `= ${cert.key}`)
      .replace(`= ${f.ca}`, `= ${p.ca}`);
    fs.writeFileSync(path.join(dir, 'conf.d', '20-platform.conf'), platform);
    fs.writeFileSync(path.join(dir, 'definitions.json'), definitions, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'enabled_plugins'), files['/etc/rabbitmq/enabled_plugins'] ?? '[rabbitmq_management].\n');
    fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
    const env = {
      PATH: `${RABBIT_BIN}:/usr/bin:/bin`,
      HOME: home,
      RABBITMQ_USE_LONGNAME: 'true',
      RABBITMQ_NODENAME: 'rabbit@127.0.0.1',
      ...rabbitNodeEnv(dir, dist, epmd),
    };
    procs.start('epmd', 'epmd', ['-port', String(epmd)], { env: { ERL_EPMD_PORT: String(epmd) } });
    const node = procs.start('rabbitmq', path.join(RABBIT_BIN, 'rabbitmq-server'), [], { env, cwd: home });
    await waitFor(
      'the node to listen for AMQP over TLS',
      45_000,
      async () => {
        if (node.exited()) throw new DrillFailure('the node stopped');
        const ok = await new Promise<boolean>((resolve) => {
          const s = net.connect(amqps, '127.0.0.1', () => (s.destroy(), resolve(true)));
          s.on('error', () => resolve(false));
        });
        return ok ? true : undefined;
      },
      500,
    );
    const verified = verifiesAs(amqps, p.ca, name);
    if (verified.code !== 0) throw new DrillFailure(`AMQP over TLS, verified as ${name}: ${verified.out}`);
    const listeners = sh(path.join(RABBIT_BIN, 'rabbitmq-diagnostics'), ['-q', 'listeners'], { env });
    if (!/amqp\/ssl/.test(listeners.out) || /protocol: amqp,/.test(listeners.out)) throw new DrillFailure(`listeners: ${listeners.out}`);
  });
}

/** The common name of the certificate a NATS server serves (INFO in plaintext, then the TLS handshake, verified). */
function servedCommonName(port: number, ca: string, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(5000, () => (socket.destroy(), resolve('timed out')));
    socket.on('error', (e) => resolve(String(e)));
    socket.once('data', () => {
      const secure = tls.connect({ socket, ca: fs.readFileSync(ca), servername, rejectUnauthorized: true });
      secure.on('error', (e) => (socket.destroy(), resolve(String(e))));
      secure.on('secureConnect', () => {
        const cn = String(secure.getPeerCertificate().subject?.CN ?? '');
        secure.destroy();
        resolve(cn);
      });
    });
  });
}

/**
 * NATS started the way its pod starts it (the container's generated `sh -c` with the reload loop, the
 * check interval shortened to 1 s) on certificate `first`; the mounted files then replaced by `second`
 * (a renewal as the kubelet writes it): the running server must serve `second` within seconds.
 */
async function natsRenewal(
  script: string,
  conf: { dir: string; conf: string },
  kp: Pki,
  first: { chain: string; key: string },
  second: { chain: string; key: string },
  name: string,
): Promise<Outcome> {
  const procs = new Processes();
  const f = tlsPaths();
  const tlsDir = path.join(conf.dir, 'tls');
  fs.mkdirSync(tlsDir);
  const place = placer(tlsDir);
  place(first);
  const port = freePort();
  const confFile = path.join(conf.dir, 'nats-server.conf');
  fs.writeFileSync(
    confFile,
    conf.conf
      .replace(/listen: 0\.0\.0\.0:4222/, `listen: 127.0.0.1:${port}`)
      .replace(/http: 0\.0\.0\.0:8222/, 'http: 127.0.0.1:0')
      .replaceAll(JSON.stringify(first.chain), JSON.stringify(path.join(tlsDir, 'tls.crt')))
      .replaceAll(JSON.stringify(first.key), JSON.stringify(path.join(tlsDir, 'tls.key'))),
  );
  const start = script
    .replaceAll(f.cert, path.join(tlsDir, 'tls.crt'))
    .replace(/--config \S+/, `--config ${confFile}`)
    .replace(/sleep \d+/, 'sleep 1');
  return bounded(30_000, procs, () =>
    servesRenewal(
      procs.start('nats', 'sh', ['-c', start], { env: { SERVER_NAME: 'nats-0' }, cwd: conf.dir }),
      () => servedCommonName(port, kp.ca, name),
      { first, second, place },
    ),
  );
}

/** The common name of the certificate a TLS server serves (openssl s_client, verified against the CA). */
function servedByOpenssl(port: number, ca: string): string {
  const r = sh('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', ca, '-verify_return_error', '-brief'], { input: '' });
  return r.out.match(/Peer certificate: .*CN ?= ?([^,\s]+)/)?.[1] ?? r.out;
}

/**
 * Standalone Redis started the way its pod starts it (the container's generated `sh -c` with the
 * reload loop, the check interval shortened to 1 s), its files where the drill keeps them, on
 * certificate `first`; the files then replaced by `second`: the running server must serve `second`.
 */
async function redisRenewal(
  files: Record<string, string>,
  script: string,
  kp: Pki,
  first: { chain: string; key: string },
  second: { chain: string; key: string },
  label: string,
): Promise<Outcome> {
  const procs = new Processes();
  const f = tlsPaths();
  const dir = fs.mkdtempSync(path.join(work, `redis-renewal-${label}-`));
  const tlsDir = path.join(dir, 'tls');
  fs.mkdirSync(tlsDir);
  fs.copyFileSync(kp.ca, path.join(tlsDir, 'ca.crt'));
  const place = placer(tlsDir);
  place(first);
  const authPath = Object.keys(files).find((k) => k.endsWith('/auth.conf'))!;
  const usersPath = Object.keys(files).find((k) => k.endsWith('/users.acl'))!;
  const confPath = Object.keys(files).find((k) => k.endsWith('/redis.conf'))!;
  const port = freePort();
  const paths: [string, string][] = [
    [confPath, path.join(dir, 'redis.conf')],
    [authPath, path.join(dir, 'auth.conf')],
    [usersPath, path.join(dir, 'users.acl')],
    [f.cert, path.join(tlsDir, 'tls.crt')],
    [f.key, path.join(tlsDir, 'tls.key')],
    [f.ca, path.join(tlsDir, 'ca.crt')],
  ];
  const local = (text: string) => paths.reduce((t, [from, to]) => t.replaceAll(from, to), text);
  fs.writeFileSync(path.join(dir, 'auth.conf'), local(files[authPath]!), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'users.acl'), files[usersPath]!, { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, 'redis.conf'),
    local(files[confPath]!)
      .replace(/^dir \/data$/m, `dir ${dir}`)
      .replace(/^tls-port 6379$/m, `tls-port ${port}`)
      .replace(/^bind 0\.0\.0\.0$/m, 'bind 127.0.0.1'),
  );
  const start = local(script)
    .replace('-p 6379', `-p ${port}`)
    .replace(/sleep \d+/, 'sleep 1');
  return bounded(30_000, procs, () =>
    servesRenewal(procs.start('redis', 'sh', ['-c', start], { cwd: dir }), async () => servedByOpenssl(port, kp.ca), {
      first,
      second,
      place,
    }),
  );
}

/** Puts a certificate and its key into `tlsDir` as the kubelet renews a mounted Secret: each file replaced whole. */
function placer(tlsDir: string): (c: { chain: string; key: string }) => void {
  return (c) => {
    fs.copyFileSync(c.key, path.join(tlsDir, 'tls.key.new'));
    fs.copyFileSync(c.chain, path.join(tlsDir, 'tls.crt.new'));
    fs.renameSync(path.join(tlsDir, 'tls.key.new'), path.join(tlsDir, 'tls.key'));
    fs.renameSync(path.join(tlsDir, 'tls.crt.new'), path.join(tlsDir, 'tls.crt'));
  };
}

/**
 * A server started with its pod's own command serves the first certificate, then (once `place`
 * swaps in the second, as the kubelet does on a renewal) the second, without a restart.
 */
async function servesRenewal(
  server: { exited(): boolean },
  served: () => Promise<string | undefined>,
  certs: { first: { chain: string }; second: { chain: string }; place: (c: any) => void },
): Promise<void> {
  const cn = (c: { chain: string }) =>
    sh('openssl', ['x509', '-noout', '-subject', '-nameopt', 'multiline', '-in', c.chain]).out.match(/commonName\s*=\s*(\S+)/)?.[1];
  const serving = (c: { chain: string }) => async () => {
    if (server.exited()) throw new DrillFailure('the server stopped');
    return (await served()) === cn(c) ? true : undefined;
  };
  await waitFor('the server to serve TLS', 10_000, serving(certs.first), 200);
  certs.place(certs.second);
  await waitFor(`the running server to serve the renewed certificate (${cn(certs.second)})`, 8_000, serving(certs.second), 500);
}

/** The names and uses the stack gives a service's certificate. */
function certificateOf(json: any, service: string): { dns: string[]; ips: string[]; uses: string[] } {
  const request = json.resource.tls_cert_request[`${service}_tls`];
  const cert = json.resource.tls_locally_signed_cert[`${service}_tls`];
  return { dns: request.dns_names, ips: request.ip_addresses, uses: cert.allowed_uses };
}

/** A NATS client over TLS: plain INFO, then the TLS handshake verifying the CA and `servername`, CONNECT, PING -> PONG. */
function natsTlsLogin(port: number, ca: string, servername: string, user: string, pass: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const done = (code: number, out: string) => {
      socket.destroy();
      resolve({ code, out });
    };
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(5000, () => done(1, 'timed out'));
    let buffer = '';
    socket.on('error', (e) => done(1, String(e)));
    socket.on('data', function onInfo(chunk) {
      buffer += chunk.toString('utf8');
      if (!buffer.includes('\r\n')) return;
      socket.off('data', onInfo);
      const info = JSON.parse(buffer.slice(buffer.indexOf('{'), buffer.indexOf('\r\n')));
      if (!info.tls_required) return done(1, `the server does not require TLS: ${buffer}`);
      const secure = tls.connect({ socket, ca: fs.readFileSync(ca), servername, rejectUnauthorized: true });
      secure.on('error', (e) => done(1, String(e)));
      secure.on('secureConnect', () => {
        secure.write(`CONNECT ${JSON.stringify({ user, pass, verbose: false, pedantic: false, tls_required: true })}\r\nPING\r\n`);
      });
      let reply = '';
      secure.on('data', (d) => {
        reply += d.toString('utf8');
        if (reply.includes('PONG')) done(0, `${secure.getProtocol()} PONG`);
        else if (reply.includes('-ERR')) done(1, reply);
      });
    });
  });
}

async function natsServer(conf: string, dir: string, port: number, run: (port: number) => Promise<Outcome>): Promise<Outcome> {
  const file = path.join(dir, 'nats-server.conf');
  fs.writeFileSync(
    file,
    conf.replace(/listen: 0\.0\.0\.0:4222/, `listen: 127.0.0.1:${port}`).replace(/http: 0\.0\.0\.0:8222/, 'http: 127.0.0.1:0'),
  );
  const server = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  try {
    for (let i = 0; i < 50 && !log.includes('Server is ready'); i++) await new Promise((r) => setTimeout(r, 100));
    if (!log.includes('Server is ready')) return { code: 1, out: log };
    const r = await run(port);
    return { code: r.code, out: `${r.out}\n${log}` };
  } finally {
    server.kill();
  }
}

const asPostgres = (args: string[], env: Record<string, string> = {}) => {
  const withEnv = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args];
  return process.getuid?.() === 0 ? sh('runuser', ['-u', 'postgres', '--', ...withEnv]) : sh(withEnv[0]!, withEnv.slice(1));
};

/**
 * PostgreSQL on the synthesized files with this certificate: encrypted login with verify-full, plaintext
 * refused; with a `client`, that client first (its statements run as the owner, then its connection,
 * verifying the server against the CA).
 */
function postgresTls(
  files: Record<string, string>,
  p: Pki,
  cert: { chain: string; key: string },
  label: string,
  owner: string,
  client?: CaClient,
): Outcome {
  const dir = fs.mkdtempSync(path.join(work, `pg-tls-${label}-`));
  const f = tlsPaths();
  const keyCopy = path.join(dir, 'tls.key');
  fs.copyFileSync(cert.key, keyCopy);
  fs.copyFileSync(cert.chain, path.join(dir, 'tls.crt'));
  fs.copyFileSync(p.ca, path.join(dir, 'ca.crt'));
  const conf = files['/etc/postgresql/postgresql.conf']!.replace(/^hba_file = .*$/m, `hba_file = '${dir}/pg_hba.conf'`)
    .replace(/^ident_file = .*$/m, `ident_file = '${dir}/pg_ident.conf'`)
    .replace(/^unix_socket_directories = .*$/m, `unix_socket_directories = '${dir}'`)
    .replace(`'${f.cert}'`, `'${dir}/tls.crt'`)
    .replace(`'${f.ca}'`, `'${dir}/ca.crt'`)
    .replace(`'${TLS_KEY_COPY}'`, `'${keyCopy}'`);
  if (!/^ssl = on$/m.test(conf)) return { code: 1, out: 'postgresql.conf does not turn ssl on' };
  fs.writeFileSync(path.join(dir, 'postgresql.conf'), conf);
  fs.writeFileSync(path.join(dir, 'pg_hba.conf'), files['/etc/postgresql/pg_hba.conf']!);
  fs.writeFileSync(path.join(dir, 'pg_ident.conf'), files['/etc/postgresql/pg_ident.conf']!);
  if (process.getuid?.() === 0) sh('chown', ['-R', 'postgres:postgres', dir]);
  // As the start command leaves it: owned by postgres, 0600.
  fs.chmodSync(keyCopy, 0o600);
  const data = path.join(dir, 'data');
  const init = asPostgres([`${PG_BIN}/initdb`, '-D', data, `--username=${owner}`]);
  if (init.code !== 0) return init;
  const port = String(freePort());
  const opts = `-c config_file=${dir}/postgresql.conf -c port=${port} -c listen_addresses=127.0.0.1`;
  const started = asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
  if (started.code !== 0) return { code: 1, out: `${started.out}\n${fs.readFileSync(path.join(dir, 'log'), 'utf8')}` };
  try {
    const password = standIn('postgres_password');
    // As the owner, over the socket.
    const psql = (...args: string[]) => asPostgres([`${PG_BIN}/psql`, '-X', '-h', dir, '-p', port, '-U', owner, '-d', 'postgres', ...args]);
    const set = psql('-c', `ALTER ROLE ${owner} PASSWORD '${password}'`);
    if (set.code !== 0) return set;
    let first = '';
    if (client) {
      const setup = psql('-v', 'ON_ERROR_STOP=1', ...client.sql.flatMap((q) => ['-c', q]));
      if (setup.code !== 0) return setup;
      const c = client.connect({ port, bundle: path.join(dir, 'ca.crt'), dir });
      if (c.code !== 0) return c;
      first = `${c.out}; `;
    }
    const conn = (mode: string) =>
      `host=localhost hostaddr=127.0.0.1 port=${port} user=${owner} dbname=postgres sslmode=${mode} sslrootcert=${dir}/ca.crt`;
    const query = 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
    const secure = asPostgres([`${PG_BIN}/psql`, conn('verify-full'), '-w', '-Atc', query], { PGPASSWORD: password });
    if (secure.code !== 0 || !secure.out.startsWith('t|TLS')) return { code: 1, out: `verify-full: ${secure.out}` };
    const plain = asPostgres([`${PG_BIN}/psql`, conn('disable'), '-w', '-Atc', 'SELECT 1'], { PGPASSWORD: password });
    if (plain.code === 0 || !/(no pg_hba\.conf entry|pg_hba\.conf rejects connection).*no encryption/.test(plain.out))
      return { code: 1, out: `a plaintext login was not refused by pg_hba.conf: ${plain.out}` };
    return { code: 0, out: `${first}verify-full: ${secure.out.trim()}; sslmode=disable refused` };
  } finally {
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', 'stop']);
  }
}

/** redis-server on the synthesized redis.conf with this certificate: a TLS login verified against the CA; plaintext gets nothing. */
async function redisTls(
  files: Record<string, string>,
  p: Pki,
  cert: { chain: string; key: string },
  label: string,
  /** The name clients verify (redis-cli does not check it): checked with openssl s_client. */
  verifyName?: string,
): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(work, `redis-tls-${label}-`));
  const f = tlsPaths();
  const authPath = Object.keys(files).find((k) => k.endsWith('/auth.conf'))!;
  const usersPath = Object.keys(files).find((k) => k.endsWith('/users.acl'))!;
  fs.writeFileSync(
    path.join(dir, 'auth.conf'),
    files[authPath]!.replace(`aclfile ${usersPath}`, `aclfile ${path.join(dir, 'users.acl')}`),
    {
      mode: 0o600,
    },
  );
  fs.writeFileSync(path.join(dir, 'users.acl'), files[usersPath]!, { mode: 0o600 });
  const port = freePort();
  const conf = Object.entries(files)
    .find(([k]) => k.endsWith('/redis.conf'))![1]
    .replace(/^dir \/data$/m, `dir ${dir}`)
    .replace(`include ${authPath}`, `include ${path.join(dir, 'auth.conf')}`)
    .replace(/^tls-port 6379$/m, `tls-port ${port}`)
    .replace(/^bind 0\.0\.0\.0$/m, 'bind 127.0.0.1')
    .replace(` ${f.cert}`, ` ${cert.chain}`)
    .replace(` ${f.key}`, ` ${cert.key}`)
    .replace(` ${f.ca}`, ` ${p.ca}`);
  if (!/^port 0$/m.test(conf) || !conf.includes(`tls-port ${port}`))
    return { code: 1, out: `redis.conf serves no TLS-only port:\n${conf}` };
  fs.writeFileSync(path.join(dir, 'redis.conf'), conf);
  const server = spawn('redis-server', [path.join(dir, 'redis.conf'), '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number>((resolve) => server.on('exit', (code) => resolve(code ?? -1)));
  try {
    for (let i = 0; i < 50 && !log.includes('Ready to accept connections'); i++) {
      const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (done !== undefined) return { code: 1, out: log };
    }
    if (!log.includes('Ready to accept connections')) return { code: 1, out: `redis-server did not start\n${log}` };
    const env = { ...process.env, REDISCLI_AUTH: standIn('redis_password') };
    const secure = sh('redis-cli', ['--tls', '--cacert', p.ca, '-h', '127.0.0.1', '-p', String(port), 'PING'], { env });
    if (secure.out.trim() !== 'PONG') return { code: 1, out: `TLS login: ${secure.out}\n${log}` };
    const plain = sh('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], { env });
    if (plain.out.trim() === 'PONG') return { code: 1, out: 'a plaintext client was answered' };
    if (verifyName) {
      const named = verifiesAs(port, p.ca, verifyName);
      if (named.code !== 0) return { code: 1, out: `verified as ${verifyName}: ${named.out}` };
    }
    return { code: 0, out: 'TLS PONG; plaintext unanswered' };
  } finally {
    server.kill();
  }
}

export async function verifyInternalTls(_artifact: Artifact): Promise<void> {
  if (
    !needs(
      {
        openssl: 'openssl',
        'nats-server': 'nats-server',
        'redis-server': 'redis-server',
        'redis-cli': 'redis-tools',
        [`${PG_BIN}/postgres`]: 'postgresql-15',
      },
      'internal TLS',
    )
  )
    return;
  const { json, files } = tlsArtifact();
  const p = pki('host');

  // NATS
  const natsFiles = files('nats');
  const natsName = certificateOf(json, 'nats');
  const natsCert = p.issue('nats', natsName.dns, natsName.ips, natsName.uses);
  const natsDir = (label: string, cert: { chain: string; key: string }) => {
    const d = fs.mkdtempSync(path.join(work, `nats-tls-${label}-`));
    fs.writeFileSync(path.join(d, 'auth.conf'), Object.entries(natsFiles).find(([k]) => k.endsWith('auth.conf'))![1], { mode: 0o600 });
    const f = tlsPaths();
    const conf = Object.entries(natsFiles)
      .find(([k]) => k.endsWith('nats-server.conf'))![1]
      .replace('"/data/jetstream"', JSON.stringify(path.join(d, 'js')))
      .replace(`"${f.cert}"`, JSON.stringify(cert.chain))
      .replace(`"${f.key}"`, JSON.stringify(cert.key))
      .replace(`"${f.ca}"`, JSON.stringify(p.ca));
    if (!conf.includes(cert.chain)) throw new Error('nats-server.conf has no TLS certificate');
    fs.writeFileSync(path.join(d, 'nats-server.conf'), conf);
    return { dir: d, conf };
  };
  await validator(
    'internal TLS: NATS configuration with the CA-issued certificate (nats-server -t)',
    () => sh('nats-server', ['-t', '-c', path.join(natsDir('t', natsCert).dir, 'nats-server.conf')]),
    // A key that is not the certificate's.
    () => sh('nats-server', ['-t', '-c', path.join(natsDir('t-bad', { ...natsCert, key: p.strayKey() }).dir, 'nats-server.conf')]),
  );
  const wrongName = p.issue('elsewhere', ['elsewhere.example'], [], natsName.uses);
  const login = (cert: { chain: string; key: string }, label: string) => {
    const d = natsDir(label, cert);
    return natsServer(d.conf, d.dir, freePort(), (port) => natsTlsLogin(port, p.ca, 'localhost', 'platform', standIn('nats_password')));
  };
  await validator(
    'internal TLS: NATS takes a TLS client that verifies it against the CA and by name (localhost), and logs it in',
    () => login(natsCert, 'login'),
    // The server's certificate does not name the address the client asks for.
    () => login(wrongName, 'login-bad'),
  );

  // Redis
  const redisName = certificateOf(json, 'redis');
  const redisCert = p.issue('redis', redisName.dns, redisName.ips, redisName.uses);
  await validator(
    'internal TLS: Redis with TLS only on its client port: redis-cli over TLS verifying the CA logs in, plaintext gets nothing',
    () => redisTls(files('redis'), p, redisCert, 'good'),
    // A key that is not the certificate's: the server must refuse to start.
    () => redisTls(files('redis'), p, { ...redisCert, key: p.strayKey() }, 'bad'),
  );

  // RabbitMQ (Debian's 3.10 stands in for the image's 4.3, as in the RabbitMQ drill)
  if (needs({ '/usr/lib/rabbitmq/bin/rabbitmq-server': 'rabbitmq-server', epmd: 'erlang-base' }, 'internal TLS: RabbitMQ')) {
    const rabbitName = certificateOf(json, 'rabbitmq');
    const rabbitCert = p.issue('rabbitmq', rabbitName.dns, rabbitName.ips, rabbitName.uses);
    await validator(
      'internal TLS: RabbitMQ serves AMQP over TLS only (5671), verified against the CA and by the name clients use (openssl s_client)',
      () => rabbitTls(files('rabbitmq'), p, rabbitCert, 'good', 'rabbitmq'),
      // A certificate that does not name the service: the client must refuse it.
      () => rabbitTls(files('rabbitmq'), p, p.issue('rabbit-elsewhere', ['elsewhere.example'], [], rabbitName.uses), 'bad', 'rabbitmq'),
    );
  }

  // The clusters scenario on Kubernetes: the pods' own files, the certificate the chart asks cert-manager for.
  const k8s = clusterTlsArtifact();
  const kp = pki('cluster');
  for (const service of ['nats', 'redis', 'rabbitmq', 'postgres'])
    if (!(service === 'postgres' || k8s.mountsDirectory(service)))
      throw new Error(`${service}: its certificate Secret is not mounted as a directory at ${TLS_DIR}`);
  const natsK8s = k8s.certificate('nats');
  const natsK8sFiles = k8s.files('nats');
  const serviceName = `nats.${natsK8s.namespace}.svc`;
  const memberName = `nats-1.nats-headless.${natsK8s.namespace}.svc`;
  const natsK8sDir = (label: string, cert: { chain: string; key: string }) => {
    const d = fs.mkdtempSync(path.join(work, `nats-k8s-tls-${label}-`));
    for (const [file, content] of Object.entries(natsK8sFiles)) {
      if (file.endsWith('.conf') && !file.endsWith('nats-server.conf'))
        fs.writeFileSync(path.join(d, path.basename(file)), content, { mode: 0o600 });
    }
    const f = tlsPaths();
    const conf = Object.entries(natsK8sFiles)
      .find(([k]) => k.endsWith('nats-server.conf'))![1]
      .replace('"/data/jetstream"', JSON.stringify(path.join(d, 'js')))
      .replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${freePort()}`)
      // Every TLS block: the client port's and, clustered, the routes'.
      .replaceAll(`"${f.cert}"`, JSON.stringify(cert.chain))
      .replaceAll(`"${f.key}"`, JSON.stringify(cert.key))
      .replaceAll(`"${f.ca}"`, JSON.stringify(kp.ca));
    if (!conf.includes(cert.chain)) throw new Error('the cluster nats-server.conf has no TLS certificate');
    fs.writeFileSync(path.join(d, 'nats-server.conf'), conf);
    return { dir: d, conf };
  };
  // The member's name, as the pod's environment gives it ($SERVER_NAME in the file).
  process.env.SERVER_NAME = 'nats-0';
  const natsK8sCert = kp.issue('nats-k8s', natsK8s.dns, natsK8s.ips, natsK8s.uses);
  await validator(
    'internal TLS (Kubernetes): the clustered NATS configuration with the certificate cert-manager issues (nats-server -t)',
    () => sh('nats-server', ['-t', '-c', path.join(natsK8sDir('t', natsK8sCert).dir, 'nats-server.conf')]),
    () => sh('nats-server', ['-t', '-c', path.join(natsK8sDir('t-bad', { ...natsK8sCert, key: kp.strayKey() }).dir, 'nats-server.conf')]),
  );
  const k8sLogin = async (cert: { chain: string; key: string }, label: string): Promise<Outcome> => {
    const d = natsK8sDir(label, cert);
    return natsServer(d.conf, d.dir, freePort(), async (port) => {
      const outcomes: Outcome[] = [];
      for (const name of [serviceName, memberName])
        outcomes.push(await natsTlsLogin(port, kp.ca, name, 'platform', standIn('nats_password')));
      return { code: outcomes.every((o) => o.code === 0) ? 0 : 1, out: outcomes.map((o) => o.out).join('\n') };
    });
  };
  await validator(
    `internal TLS (Kubernetes): NATS takes TLS clients that verify it as its Service (${serviceName}) and as a member (${memberName})`,
    () => k8sLogin(natsK8sCert, 'login'),
    () => k8sLogin(kp.issue('nats-k8s-elsewhere', ['nats.elsewhere.svc'], [], ['server_auth']), 'login-bad'),
  );
  // The pod's own start command: a renewed certificate reaches the running server.
  const natsArgs: string[] = k8s.json.resource.kubernetes_stateful_set_v1.nats.spec.template.spec.container.find(
    (c: any) => c.name === 'main',
  ).args;
  const script = terraformRender(natsArgs[2] ?? '');
  if (natsArgs[0] !== 'sh' || natsArgs[1] !== '-c' || !script.includes('--signal'))
    throw new Error(`NATS starts without its reload loop: ${natsArgs.join(' ')}`);
  const renewed = kp.issue('nats-k8s-renewed', natsK8s.dns, natsK8s.ips, ['server_auth']);
  await validator(
    'internal TLS (Kubernetes): NATS started as its pod starts it serves a renewed certificate within seconds, without a restart',
    () => natsRenewal(script, natsK8sDir('renewal', natsK8sCert), kp, natsK8sCert, renewed, serviceName),
    // Without the reload loop (the plain start) the running server keeps the old certificate.
    () => natsRenewal(script.replace(/^.*& exec /, 'exec '), natsK8sDir('renewal-bad', natsK8sCert), kp, natsK8sCert, renewed, serviceName),
  );
  const redisK8s = k8s.certificate('redis');
  const redisK8sCert = kp.issue('redis-k8s', redisK8s.dns, redisK8s.ips, ['server_auth']);
  await validator(
    `internal TLS (Kubernetes): standalone Redis with TLS only: redis-cli over TLS logs in, openssl verifies redis.${redisK8s.namespace}.svc`,
    () => redisTls(k8s.files('redis'), kp, redisK8sCert, 'k8s-good', `redis.${redisK8s.namespace}.svc`),
    () =>
      redisTls(
        k8s.files('redis'),
        kp,
        kp.issue('redis-k8s-elsewhere', ['redis.elsewhere.svc'], [], ['server_auth']),
        'k8s-bad',
        `redis.${redisK8s.namespace}.svc`,
      ),
  );

  const redisArgs: string[] = k8s.json.resource.kubernetes_stateful_set_v1.redis.spec.template.spec.container.find(
    (c: any) => c.name === 'main',
  ).args;
  const redisScript = terraformRender(redisArgs[2] ?? '');
  if (redisArgs[0] !== 'sh' || !redisScript.includes('CONFIG SET tls-cert-file'))
    throw new Error(`Redis starts without its reload loop: ${redisArgs.join(' ')}`);
  const redisRenewed = kp.issue('redis-k8s-renewed', redisK8s.dns, redisK8s.ips, ['server_auth']);
  await validator(
    'internal TLS (Kubernetes): standalone Redis started as its pod starts it serves a renewed certificate within seconds, without a restart',
    () => redisRenewal(k8s.files('redis'), redisScript, kp, redisK8sCert, redisRenewed, 'good'),
    // Without the reload loop (the plain start) the running server keeps the old certificate.
    () => redisRenewal(k8s.files('redis'), redisScript.replace(/^.*& exec /, 'exec '), kp, redisK8sCert, redisRenewed, 'bad'),
  );

  // PostgreSQL
  const pgFiles = files('postgres');
  const pgName = certificateOf(json, 'postgres');
  const owner = String(prepare({ file: 'scripts/verify/scenarios/host.ts', input: host }).services.postgres?.username ?? 'platform');
  await validator(
    'internal TLS: PostgreSQL 15 with ssl on: sslmode=verify-full against the CA logs in encrypted, sslmode=disable is refused',
    () => postgresTls(pgFiles, p, p.issue('postgres', pgName.dns, pgName.ips, pgName.uses), 'good', owner),
    // A certificate that does not name the host: verify-full must refuse it.
    () => postgresTls(pgFiles, p, p.issue('pg-elsewhere', ['elsewhere.example'], [], pgName.uses), 'bad', owner),
  );

  // CloudNativePG's pg_hba as its operator assembles it (pkg/postgres/configuration.go, hbaTemplateString: its
  // fixed lines, the Cluster's `postgresql.pg_hba`, then `host all all all scram-sha-256`), with the rules this
  // stack gives the clusters scenario's Cluster; the fixed lines' maps replaced by the drill's own ident map.
  const cnpgRules: string[] = JSON.parse(k8s.json.resource.helm_release.postgres_cluster.values[0]).cluster.postgresql.pg_hba;
  const cnpgHba = (rules: readonly string[]) =>
    [
      'local all all peer map=socket',
      'hostssl postgres streaming_replica all cert',
      'hostssl replication streaming_replica all cert',
      'hostssl all cnpg_pooler_pgbouncer all cert',
      ...rules,
      'host all all all scram-sha-256',
      '',
    ].join('\n');
  const pgHost = files('postgres');
  const pgCert = (label: string) => {
    const n = certificateOf(json, 'postgres');
    return p.issue(`postgres-${label}`, n.dns, n.ips, n.uses);
  };
  await validator(
    "internal TLS (Kubernetes): CloudNativePG's pg_hba with the stack's rules: a TLS login works, a plaintext one is refused before the operator's `host` line",
    () => postgresTls({ ...pgHost, '/etc/postgresql/pg_hba.conf': cnpgHba(cnpgRules) }, p, pgCert('cnpg'), 'cnpg', owner),
    // Without the stack's closing `hostnossl … reject`, the operator's own last line admits plaintext.
    () =>
      postgresTls(
        { ...pgHost, '/etc/postgresql/pg_hba.conf': cnpgHba(cnpgRules.filter((r) => !r.startsWith('hostnossl'))) },
        p,
        pgCert('cnpg-bad'),
        'cnpg-bad',
        owner,
      ),
  );

  // Roundcube (mail namespace) verifying CloudNativePG (data namespace): the CA its pod mounts from its
  // own namespace's ConfigMap must be the one that signs PostgreSQL's certificate, and its configuration
  // (the ConfigMap's platform.php, the DSN's host as the pod's environment gives it) must connect with
  // verify-full to a server holding the certificate cert-manager issues from the chart's values.
  const kr = k8s.json.resource;
  const webmail = kr.kubernetes_deployment_v1?.webmail;
  const webmailPhp = kr.kubernetes_config_map_v1?.webmail_config?.data?.['var_roundcube_config_platform.php'];
  if (webmail && webmailPhp && needs({ php: 'php-cli php-pgsql' }, 'internal TLS (Kubernetes): Roundcube')) {
    const pod = webmail.spec.template.spec;
    const main = pod.container.find((c: any) => c.name === 'main');
    const trustDir = path.dirname(ROUNDCUBE_DB_TRUST);
    const mount = (main.volume_mount as any[]).find((m) => m.mount_path === trustDir);
    const volume = mount && (pod.volume as any[]).find((v) => v.name === mount.name);
    const item = volume?.config_map?.items?.find((i: any) => i.path === path.basename(ROUNDCUBE_DB_TRUST));
    const ns = webmail.metadata.namespace as string;
    const map = Object.values<any>(kr.kubernetes_config_map_v1).find(
      (m) => m.metadata.namespace === ns && m.metadata.name === volume?.config_map?.name,
    );
    const pgK8s = k8s.certificate('postgres');
    const signing = kr.kubernetes_secret_v1?.[`internal_ca_${pgK8s.namespace}`]?.data?.['tls.crt'];
    if (!mount?.read_only || !item || !signing || map?.data?.[item.key] !== signing)
      throw new Error(`Roundcube (${ns}) does not mount, read-only at ${trustDir}, the CA that signs PostgreSQL's certificate`);
    const dbHost = String(main.env.find((e: any) => e.name === 'ROUNDCUBEMAIL_DB_HOST')?.value);
    const client = roundcubeClient(terraformRender(webmailPhp, kr), ROUNDCUBE_DB_TRUST, ROUNDCUBE_DB_PASSWORD, dbHost, '127.0.0.1');
    const cnpg = { ...pgHost, '/etc/postgresql/pg_hba.conf': cnpgHba(cnpgRules) };
    await validator(
      `internal TLS (Kubernetes): Roundcube (${ns}) verifies PostgreSQL (${pgK8s.namespace}) with the internal CA of its own namespace's ConfigMap ${map.metadata.name}: its configuration (php -l; included after the image's DSN, connected as Roundcube 1.7.3 does with PDO pgsql) dials ${dbHost} with sslmode=verify-full, the server holding the certificate cert-manager issues (PostgreSQL 15, CloudNativePG's pg_hba)`,
      () => postgresTls(cnpg, kp, kp.issue('postgres-roundcube', pgK8s.dns, pgK8s.ips, pgK8s.uses), 'roundcube', owner, client),
      // A certificate without the name Roundcube dials: verify-full must refuse it.
      () =>
        postgresTls(
          cnpg,
          kp,
          kp.issue('postgres-roundcube-elsewhere', ['postgres-rw.elsewhere.svc', 'localhost'], pgK8s.ips, pgK8s.uses),
          'roundcube-bad',
          owner,
          client,
        ),
    );
  }
}
