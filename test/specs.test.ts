/** Service specs tested as data: no provider, no synthesis. */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { catalogue } from '../constructs/services';
import { imageName, parseImage } from '../constructs/spec/image';
import {
  cpuQuotaMicros,
  formatBinarySize,
  goDuration,
  isCpuQuantity,
  isMemoryQuantity,
  memoryBytes,
  memoryMebibytes,
  parseGoDuration,
} from '../constructs/spec/quantity';
import { hasSecret, referencesOf, renderText, tpl, secretRef, hostRef, selfHost } from '../constructs/spec/template';
import type { ConfigFile, ServiceSpec, Text } from '../constructs/spec/types';
import { env, spec, variant } from './helpers';
import { parseCidr } from '../environments/parse/network';
import { SECRET_ENV, checkEnvironment, secretArguments } from '../security/guardrails';
import { specRules } from '../security/spec-rules';

const shellHealthOf = (script: string) => ['sh', '-c', script];

const dev = env('development');
const file = (s: ServiceSpec, format: string): ConfigFile => {
  const f = s.containers.flatMap((c) => c.files).find((x) => x.format === format);
  if (!f) throw new Error(`${s.name} has no ${format}`);
  return f;
};
const literal = (t: Text) =>
  renderText(t, {
    literal: (x) => x,
    secret: (r) => `<${r.service}/${r.name}>`,
    host: (r) => r.service,
    self: () => 'SELF',
    peer: (r) => `${r.service}#${r.index}`,
    member: (r) => (r.form === 'address' ? 'MEMBER-ADDRESS' : 'MEMBER'),
  });

describe('quantities, images and networks', () => {
  it('accepts binary memory quantities and rejects decimal or unit-less ones', () => {
    expect(['512Mi', '2Gi', '1.5Gi', '64Ki'].every(isMemoryQuantity)).toBe(true);
    expect(['2GB', '512M', '1024', '2 Gi', 'Gi', '-1Gi'].some(isMemoryQuantity)).toBe(false);
    expect(memoryBytes('1.5Gi')).toBe(1536 * 1024 * 1024);
    expect(memoryMebibytes('2Gi')).toBe(2048);
  });

  it('accepts cpu as cores or millicores', () => {
    expect(['250m', '0.5', '2', '1.25'].every(isCpuQuantity)).toBe(true);
    expect(['0', '0m', '2 cores', '-1', '1.2345'].some(isCpuQuantity)).toBe(false);
    expect(cpuQuotaMicros('250m')).toBe(25_000);
    expect(cpuQuotaMicros('2')).toBe(200_000);
  });

  it('writes durations as Go does, and reads Go durations', () => {
    expect([0, 5, 10, 60, 90, 120, 3600, 5400].map(goDuration)).toEqual(['0s', '5s', '10s', '1m0s', '1m30s', '2m0s', '1h0m0s', '1h30m0s']);
    expect(() => goDuration(1.5)).toThrow();
    expect(parseGoDuration('1h30m')).toBe(5400);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('90s')).toBe(90);
    expect(parseGoDuration('1.5h')).toBe(5400);
    expect(parseGoDuration('soon')).toBeUndefined();
    expect(parseGoDuration('1h 30m')).toBeUndefined();
  });

  it('formats sizes in the largest exact unit of the target syntax', () => {
    expect(formatBinarySize(memoryBytes('512Mi'), { k: 'kb', m: 'mb', g: 'gb' })).toBe('512mb');
    expect(formatBinarySize(memoryBytes('1Gi'), { k: 'kB', m: 'MB', g: 'GB' })).toBe('1GB');
    expect(formatBinarySize(memoryBytes('1536Mi'), { k: 'k', m: 'm', g: 'g' })).toBe('1536m');
  });

  it('parses pinned images and refuses unpinned ones', () => {
    expect(parseImage('docker.elastic.co/kibana/kibana:8.17.2')).toEqual({ repository: 'docker.elastic.co/kibana/kibana', tag: '8.17.2' });
    expect(parseImage('localhost:5000/redis:7.4.2')).toEqual({ repository: 'localhost:5000/redis', tag: '7.4.2' });
    expect(parseImage('localhost:5000/redis')).toMatch(/no tag/);
    expect(parseImage('redis:LATEST')).toMatch(/"latest" tag/);
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(imageName(parseImage(`redis:7.4.2@${digest}`) as never)).toBe(`redis:7.4.2@${digest}`);
    expect(parseImage('redis:7.4.2@sha256:abc')).toMatch(/malformed digest/);
    // A digest pins the content without a tag.
    expect(parseImage(`redis@${digest}`)).toEqual({ repository: 'redis', digest });
    expect(imageName(parseImage(`redis@${digest}`) as never)).toBe(`redis@${digest}`);
  });

  it('parses CIDR blocks strictly', () => {
    expect(parseCidr('172.28.0.0/16')).toEqual({ network: (172 * 256 + 28) * 65536, prefix: 16 });
    expect(parseCidr('172.28.0.0/33')).toMatch(/not an IPv4 CIDR/);
    expect(parseCidr('172.028.0.0/16')).toMatch(/not an IPv4 CIDR/);
    expect(parseCidr('172.28.1.0/16')).toMatch(/host bits set/);
  });

  it('templates keep references apart from literals', () => {
    const t = tpl`redis://${selfHost}:${6379}/0?password=${secretRef('redis', 'password')}&peer=${hostRef('nats')}`;
    expect(referencesOf(t)).toEqual([selfHost, secretRef('redis', 'password'), hostRef('nats')]);
    expect(literal(t)).toBe('redis://SELF:6379/0?password=<redis/password>&peer=nats');
  });
});

describe('every service spec', () => {
  it('the development environment builds every catalogue service (Kibana with Elasticsearch, the monitoring stack’s parts)', () => {
    expect(dev.specs.map((s) => s.name).sort()).toEqual(
      [
        'elasticsearch',
        'garage',
        'kibana',
        'kong',
        'mailserver',
        'nats',
        'neo4j',
        'ollama',
        'postgres',
        'qdrant',
        'rabbitmq',
        'redis',
        'webmail',
        'prometheus',
        'alertmanager',
        'grafana',
        'loki',
        'alloy',
        'jaeger',
        'node-exporter',
        'cadvisor',
      ].sort(),
    );
    expect(new Set(dev.specs.map((s) => s.component))).toEqual(new Set(Object.keys(catalogue)));
  });

  for (const s of env('development').specs) {
    describe(s.name, () => {
      it('pins every image to an exact version', () => {
        for (const image of [...s.containers, ...s.jobs].map((c) => c.image)) {
          expect(image.tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
          expect(image.tag!.toLowerCase()).not.toBe('latest');
          expect(image.tag).toMatch(/\d/);
        }
      });

      it('gives every container a health check and cpu/memory requests and limits', () => {
        for (const c of s.containers) {
          expect(c.health.exec.length).toBeGreaterThan(0);
          expect(c.health.intervalSeconds).toBeGreaterThan(0);
          expect(isCpuQuantity(c.resources.limits.cpu) && isMemoryQuantity(c.resources.limits.memory)).toBe(true);
          expect(memoryBytes(c.resources.requests.memory)).toBeLessThanOrEqual(memoryBytes(c.resources.limits.memory));
        }
      });

      it('serves metrics from a declared container and port', () => {
        const c = s.containers.find((x) => x.name === s.metrics.container);
        expect(c, `metrics container ${s.metrics.container}`).toBeDefined();
        expect(c!.ports.map((p) => p.port)).toContain(s.metrics.port);
        expect(s.metrics.path.startsWith('/')).toBe(true);
      });

      it('mounts only declared volumes (its own, or a dependency’s) and publishes only client/admin ports', () => {
        const volumes = new Set(s.volumes.map((v) => v.name));
        for (const c of s.containers) {
          for (const m of c.mounts) {
            if (m.service) {
              expect(s.dependsOn).toContain(m.service);
              expect(spec(dev, m.service).volumes.map((v) => v.name)).toContain(m.volume);
            } else expect(volumes.has(m.volume)).toBe(true);
          }
          for (const p of c.ports) if (p.purpose === 'metrics' || p.purpose === 'cluster') expect(p.hostPort).toBeUndefined();
        }
      });

      it('passes secrets only in files with a tight mode, never in the environment or on a command line', () => {
        for (const w of [...s.containers, ...s.jobs]) {
          for (const [key, value] of Object.entries(w.env)) {
            expect(hasSecret(value), `${s.name} ${w.name} env ${key}`).toBe(false);
            if (SECRET_ENV.test(key)) expect.fail(`${s.name} ${w.name}: ${key} looks like a secret but is not a *_FILE path`);
          }
          for (const t of [...(w.command ?? []), ...('args' in w ? (w.args ?? []) : [])]) expect(hasSecret(t)).toBe(false);
          for (const f of w.files.filter((x) => hasSecret(x.content))) expect([0o400, 0o440], `${s.name} ${f.path}`).toContain(f.mode);
        }
      });

      it("never hands a secret file's content to a command on its command line (health checks, commands, arguments)", () => {
        for (const w of [...s.containers, ...s.jobs]) {
          const secretPaths = w.files.filter((f) => hasSecret(f.content)).map((f) => f.path);
          const texts = [...(w.command ?? []), ...('args' in w ? (w.args ?? []) : []), ...('health' in w ? w.health.exec : [])];
          for (const t of texts) expect(secretArguments(literal(t), secretPaths), `${s.name} ${w.name}`).toEqual([]);
        }
      });

      it('runs every container and job as a declared non-root identity (root only with its privileges or the host access that say why)', () => {
        for (const w of [...s.containers, ...s.jobs]) {
          const privileges = 'privileges' in w ? w.privileges : undefined;
          if (privileges?.root) {
            expect(w.user, `${s.name} ${w.name}`).toBe('0:0');
            expect(privileges.reason.length).toBeGreaterThan(60);
          } else if ('host' in w && w.host) {
            expect(w.host.reason.length, `${s.name} ${w.name}`).toBeGreaterThan(40);
            expect(w.user).toMatch(/^[0-9]+:[0-9]+$/);
          } else expect(w.user, `${s.name} ${w.name}`).toMatch(/^[1-9][0-9]*:[0-9]+$/);
        }
      });

      it('declares how a scraper authenticates to its metrics endpoint', () => {
        expect(['bearer', 'basic', 'bearer-file', 'none']).toContain(s.metrics.auth.kind);
        if (s.metrics.auth.kind === 'none') expect(s.metrics.auth.reason.length).toBeGreaterThan(20);
      });
    });
  }
});

describe('secret file contents on command lines', () => {
  const auth = '/run/secrets/neo4j-auth';
  it('finds the command that receives them (what ps on the host shows), not builtins or variables', () => {
    // Neo4j's health check until issue 12: wget --password on the command line every 15 s.
    expect(
      secretArguments(`wget -q -O /dev/null --user=neo4j --password="$(cut -d/ -f2- ${auth})" http://127.0.0.1:7474/`, [auth]),
    ).toEqual(['wget']);
    expect(secretArguments(`curl -u "neo4j:$(cat ${auth})" http://x`, [auth])).toEqual(['curl']);
    expect(secretArguments(`(umask 077 && printf '%s' "$(cat ${auth})" >"$f") && wget --config="$f" x`, [auth])).toEqual([]);
    expect(secretArguments(`PASS="$(cat ${auth})" exec server`, [auth])).toEqual([]);
    expect(secretArguments(`wget "$(cat /etc/hosts)"`, [auth])).toEqual([]);
    // Two substitutions as one builtin's arguments: the first is a word, not where a command starts.
    expect(secretArguments(`printf '%s %s' "$(cat ${auth})" "$(cat ${auth})" | mc admin user add x`, [auth])).toEqual([]);
    expect(secretArguments(`printf '%s' "$(cat /etc/hosts)" && mc x --user "$(cat ${auth})"`, [auth])).toEqual(['mc']);
  });

  it('refuses a spec whose health check does it, naming the command', () => {
    const e = env('development');
    const neo4j = spec(e, 'neo4j');
    const old = shellHealthOf(`wget -q --password="$(cut -d/ -f2- ${auth})" http://127.0.0.1:7474/`);
    const broken = { ...neo4j, containers: neo4j.containers.map((c, i) => (i === 0 ? { ...c, health: { ...c.health, exec: old } } : c)) };
    expect(specRules(broken)).toEqual([
      {
        rule: 'PLAT-SEC-004',
        resource: 'services.neo4j',
        message: expect.stringMatching(
          /^neo4j: container main: health\[2\] passes a secret file's content to wget on its command line, which ps shows on the host/,
        ),
      },
    ]);
    expect(checkEnvironment({ ...e, specs: e.specs.map((x) => (x === neo4j ? broken : x)) })).toEqual([]);
  });
});

describe('service specifics', () => {
  const path = (s: ServiceSpec, p: string) => {
    const f = [...s.containers, ...s.jobs].flatMap((c) => c.files).find((x) => x.path === p);
    if (!f) throw new Error(`${s.name} has no file ${p}`);
    return f;
  };

  it('NATS runs JetStream with the monitoring port and verifies clients against a bcrypt hash', () => {
    const nats = spec(dev, 'nats');
    const conf = literal(path(nats, '/etc/nats/nats-server.conf').content);
    expect(conf).toMatch(
      /jetstream \{\n\s+store_dir: "\/data\/jetstream"\n\s+max_memory_store: 134217728\n\s+max_file_store: 1932735283\n\}/,
    );
    expect(conf).toContain('http: 0.0.0.0:8222');
    expect(conf).toContain('include "auth.conf"');
    const auth = path(nats, '/etc/nats/auth.conf');
    // The administrator, then each consumer (development has the default one, `apps`): bcrypt hashes only.
    expect(referencesOf(auth.content)).toEqual([
      { ...secretRef('nats', 'password'), form: 'bcrypt' },
      { ...secretRef('nats', 'consumer-apps-password'), form: 'bcrypt' },
    ]);
    expect(auth.mode).toBe(0o440);
    expect(nats.containers[0]!.health.exec.join(' ')).toContain('/healthz?js-enabled-only=true');
    expect(nats.metrics).toMatchObject({ container: 'exporter', port: 7777, source: 'exporter' });
  });

  it('Redis takes maxmemory and the eviction policy from config, with AOF on and the password in an included file', () => {
    const redis = spec(dev, 'redis');
    const conf = literal(file(redis, 'redis.conf').content);
    expect(conf).toContain('maxmemory 512mb\n');
    expect(conf).toContain('maxmemory-policy allkeys-lru\n');
    expect(conf).toContain('appendonly yes\n');
    expect(conf).toContain('include /usr/local/etc/redis/auth.conf\n');
    expect(literal(path(redis, '/usr/local/etc/redis/auth.conf').content)).toBe(
      'requirepass <redis/password>\nmasterauth <redis/password>\naclfile /usr/local/etc/redis/users.acl\n',
    );
    expect(literal(path(redis, '/usr/local/etc/redis/users.acl').content)).toBe(
      'user default on #<redis/password> ~* &* +@all\nuser apps on #<redis/consumer-apps-password> resetchannels ~apps:* &apps:* +@all -@dangerous\n',
    );
    expect(referencesOf(path(redis, '/usr/local/etc/redis/users.acl').content).map((r) => (r as { form?: string }).form)).toEqual([
      'sha256',
      'sha256',
    ]);
    expect(redis.containers[0]!.args).toEqual(['redis-server', '/usr/local/etc/redis/redis.conf']);
    // The exporter's password file is the JSON map it expects, keyed by the address it scrapes.
    const exporter = redis.containers.find((c) => c.name === 'exporter')!;
    expect(exporter.env.REDIS_PASSWORD_FILE).toBe('/run/secrets/redis-exporter.json');
    expect(JSON.parse(literal(exporter.files[0]!.content))).toEqual({ 'redis://SELF:6379': '<redis/password>' });
    expect(literal(exporter.env.REDIS_ADDR!)).toBe('redis://SELF:6379');
    const tuned = prepare(variant('development', (i) => (i.services.redis = { maxmemory: '448Mi', maxmemoryPolicy: 'volatile-ttl' })));
    expect(literal(file(spec(tuned, 'redis'), 'redis.conf').content)).toMatch(/maxmemory 448mb\nmaxmemory-policy volatile-ttl/);
  });

  it('Redis maxmemory follows a changed memory limit (three quarters of it), and an explicit one far below the limit is refused', () => {
    const raised = prepare(
      variant(
        'staging',
        (i) => (i.services.redis = { resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '4Gi' } } }),
      ),
    );
    expect(literal(file(spec(raised, 'redis'), 'redis.conf').content)).toContain('maxmemory 3gb\n');
    expect(literal(file(spec(env('staging'), 'redis'), 'redis.conf').content)).toContain('maxmemory 1536mb\n');
    expect(() =>
      prepare(
        variant(
          'staging',
          (i) =>
            (i.services.redis = {
              maxmemory: '1536Mi',
              resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '4Gi' } },
            }),
        ),
      ),
    ).toThrow(/services\.redis\.maxmemory: 1536Mi is less than half of the 4Gi memory limit; raise it, or leave maxmemory out/);
  });

  it('Qdrant requires API keys (from its local config file) and keeps storage and snapshots on volumes', () => {
    const q = spec(dev, 'qdrant');
    expect(literal(path(q, '/qdrant/config/local.yaml').content)).toBe(
      'service:\n  api_key: "<qdrant/api-key>"\n  read_only_api_key: "<qdrant/read-only-api-key>"\n',
    );
    expect(q.containers[0]!.image.tag).toMatch(/-unprivileged$/);
    expect(q.volumes.map((v) => v.name)).toEqual(['storage', 'snapshots']);
    expect(q.metrics.auth).toEqual({ kind: 'bearer', token: secretRef('qdrant', 'read-only-api-key') });
    expect(q.containers[0]!.health.http).toEqual({ port: 6333, path: '/readyz' });
  });

  it('Neo4j Community gets its initial password from a file and memory settings from config', () => {
    const n = spec(dev, 'neo4j');
    const e = n.containers[0]!.env;
    expect(e.NEO4J_AUTH_PATH).toBe('/run/secrets/neo4j-auth');
    expect(e.NEO4J_AUTH_FILE).toBeUndefined(); // exported into the server's environment by the entrypoint
    expect(literal(path(n, '/run/secrets/neo4j-auth').content)).toBe('neo4j/<neo4j/password>');
    expect(e.NEO4J_server_memory_heap_max__size).toBe('512m');
    expect(e.NEO4J_server_memory_pagecache_size).toBe('512m');
    expect(n.containers[0]!.image.tag).toMatch(/^5\.26\.\d+-community$/);
  });

  it('PostgreSQL takes its tuning from config; no password at initialisation, a job applies them every deploy', () => {
    const tuned = prepare(
      variant(
        'development',
        (i) => (i.services.postgres.tuning = { sharedBuffers: '512Mi', effectiveCacheSize: '1Gi', maxConnections: 250 }),
      ),
    );
    const conf = literal(file(spec(tuned, 'postgres'), 'postgresql.conf').content);
    expect(conf).toContain('shared_buffers = 512MB\n');
    expect(conf).toContain('effective_cache_size = 1GB\n');
    expect(conf).toContain('max_connections = 250\n');
    expect(conf).toContain("hba_file = '/etc/postgresql/pg_hba.conf'\n");
    const pg = spec(dev, 'postgres');
    const main = pg.containers[0]!;
    // Nothing secret in the server's container at all.
    expect(main.files.some((f) => hasSecret(f.content))).toBe(false);
    expect(main.env.POSTGRES_HOST_AUTH_METHOD).toBe('trust');
    // ...which is safe only because the server reads our hba file: passwords over the network.
    expect(literal(file(pg, 'pg_hba.conf').content)).toMatch(/^host +all +all +0\.0\.0\.0\/0 +scram-sha-256$/m);
    expect(literal(file(pg, 'pg_hba.conf').content)).not.toMatch(/^host .* trust$/m);
    expect(main.args).toEqual(['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']);
    expect(main.shmSize).toBe('256Mi');
    const job = pg.jobs.find((j) => j.name === 'apply-roles')!;
    expect(job.applies).toEqual([
      secretRef('postgres', 'password'),
      secretRef('postgres', 'exporter-password'),
      // Roundcube's role (the platform's own consumer), and the default application's.
      secretRef('postgres', 'consumer-webmail-password'),
      secretRef('postgres', 'consumer-apps-password'),
    ]);
    expect(job.mounts).toEqual([{ volume: 'socket', path: '/var/run/postgresql' }]);
    expect(literal(path(pg, '/usr/local/bin/apply-roles.sh').content)).toContain(
      "ALTER ROLE prometheus_exporter WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'exporter_password';",
    );
    const exporter = pg.containers.find((c) => c.name === 'exporter')!;
    expect(exporter.env.DATA_SOURCE_PASS_FILE).toBe('/run/secrets/postgres-exporter-password');
    expect(pg.managed).toBe('rds-postgresql');
  });

  it('RabbitMQ enables management and Prometheus plugins, credentials from files, a limit-aware memory alarm', () => {
    const r = spec(dev, 'rabbitmq');
    expect(literal(path(r, '/etc/rabbitmq/enabled_plugins').content)).toBe('[rabbitmq_management,rabbitmq_prometheus].\n');
    expect(literal(path(r, '/etc/rabbitmq/conf.d/20-platform.conf').content)).toContain(
      `total_memory_available_override_value = ${1024 ** 3}`,
    );
    // Users come from the definitions file (imported at every boot, so a rotated password takes effect
    // on restart): hashes computed from the generated passwords, never the passwords.
    expect(literal(path(r, '/etc/rabbitmq/conf.d/20-platform.conf').content)).toContain(
      'definitions.local.path = /etc/rabbitmq/definitions.json\n',
    );
    const defs = path(r, '/etc/rabbitmq/definitions.json');
    expect(referencesOf(defs.content).map((x) => [(x as { name: string }).name, (x as { form?: string }).form])).toEqual([
      ['password', 'rabbitmq-sha256'],
      ['consumer-apps-password', 'rabbitmq-sha256'],
    ]);
    expect(JSON.parse(literal(defs.content))).toMatchObject({
      users: [
        { name: 'platform', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] },
        { name: 'apps', tags: [] },
      ],
      vhosts: [{ name: '/' }, { name: 'apps' }],
      permissions: [
        { user: 'platform', vhost: '/' },
        { user: 'platform', vhost: 'apps' },
        { user: 'apps', vhost: 'apps', configure: '.*', write: '.*', read: '.*' },
      ],
    });
    expect([...r.containers, ...r.jobs].flatMap((c) => c.files).map((f) => f.path)).not.toContain(
      '/etc/rabbitmq/conf.d/10-credentials.conf',
    );
    expect(r.containers[0]!.command).toEqual(['/usr/local/bin/platform-rabbitmq.sh']);
    expect(r.metrics).toMatchObject({ container: 'main', port: 15692, source: 'native', auth: { kind: 'none' } });
  });

  it('RabbitMQ takes its users from the definitions file at every boot: a rotation is the import, no step that can fail silently', () => {
    const r = spec(dev, 'rabbitmq');
    const conf = literal(path(r, '/etc/rabbitmq/conf.d/20-platform.conf').content);
    expect(conf).toContain('definitions.local.path = ');
    expect(conf).toContain('definitions.import_backend = local_filesystem');
    expect(conf).not.toMatch(/default_(user|pass)/);
    const start = literal(path(r, '/usr/local/bin/platform-rabbitmq.sh').content);
    expect(start).not.toContain('change_password');
    // A definitions file the node cannot import stops its boot: the container is not healthy then.
    const definitions = r.containers[0]!.files.find((f) => f.format === 'rabbitmq-definitions')!;
    expect(definitions.mode & 0o007).toBe(0);
  });

  it('the object store runs Garage by default: secrets as 0400 files, a token on metrics, the three buckets at deploy', () => {
    const g = spec(dev, 'garage');
    expect(g.component).toBe('objectstore');
    expect(g.configPath).toBe('services.objectstore');
    const toml = literal(path(g, '/etc/garage.toml').content);
    expect(toml).toContain('rpc_secret_file = "/run/secrets/garage-rpc-secret"');
    expect(toml).toContain('metrics_require_token = true');
    for (const secret of ['rpc-secret', 'admin-token', 'metrics-token']) expect(path(g, `/run/secrets/garage-${secret}`).mode).toBe(0o400);
    expect(g.secrets.find((x) => x.name === 'rpc-secret')).toMatchObject({ alphabet: 'hex', length: 64 });
    expect(g.secrets.find((x) => x.name === 'access-key-id')).toMatchObject({ alphabet: 'hex', length: 24, prefix: 'GK' });
    expect(g.metrics.auth).toEqual({ kind: 'bearer', token: secretRef('garage', 'metrics-token') });
    const job = g.jobs.find((j) => j.name === 'setup')!;
    // The applications' buckets, then the backup bucket (its own key reaches it only).
    expect(job.env.BUCKETS).toBe('workflow-artifacts agent-outputs user-uploads platform-backups');
    expect(literal(job.env.ADMIN_URL!)).toBe('http://garage:3903');
    expect(g.containers[0]!.health.exec).toEqual(['/garage', 'status']);
  });

  it('MinIO stays selectable: credentials as files, metrics behind the JWT it issues, never public', () => {
    const e = prepare(variant('development', (i) => (i.services.objectstore = { engine: 'minio', versioning: true })));
    const m = spec(e, 'minio');
    expect(m.containers[0]!.env.MINIO_ROOT_USER_FILE).toBe('/run/secrets/minio-root-user');
    expect(m.containers[0]!.env.MINIO_PROMETHEUS_AUTH_TYPE).toBe('jwt');
    expect(m.metrics.auth).toEqual({ kind: 'bearer-file', volume: 'metrics-token', path: 'token', writtenBy: 'create-buckets' });
    const script = literal(m.jobs[0]!.command[2]!);
    for (const bucket of ['workflow-artifacts', 'agent-outputs', 'user-uploads']) {
      expect(script).toContain(`mc mb --ignore-existing "platform/${bucket}"`);
      expect(script).toContain(`mc version enable "platform/${bucket}"`);
    }
    expect(script).toContain('mc admin prometheus generate platform');
    expect(literal(m.jobs[0]!.env.MINIO_URL!)).toBe('http://minio:9000');
  });

  it('Elasticsearch: a file-realm administrator whose hash follows the secret, a job that applies the built-in users', () => {
    const es = spec(dev, 'elasticsearch');
    const yml = literal(file(es, 'elasticsearch.yml').content);
    expect(yml).toContain('discovery.type: single-node');
    expect(yml).toContain('xpack.security.enabled: true');
    expect(referencesOf(path(es, '/usr/share/elasticsearch/config/users').content)).toEqual([
      { ...secretRef('elasticsearch', 'admin-password'), form: 'bcrypt' },
      { ...secretRef('elasticsearch', 'consumer-apps-password'), form: 'bcrypt' },
    ]);
    expect(literal(path(es, '/usr/share/elasticsearch/config/users_roles').content)).toBe('superuser:platform_admin\napp-apps:apps\n');
    expect(es.containers[0]!.env).toEqual({ ES_JAVA_OPTS: '-Xms1g -Xmx1g' });
    const setup = es.jobs[0]!;
    expect(literal(setup.command[2]!)).toContain('/_security/user/kibana_system/_password');
    expect(literal(setup.command[2]!)).toContain('/_security/user/elastic/_password');
    expect(setup.applies).toHaveLength(3);
    const kibana = spec(dev, 'kibana');
    expect(kibana.dependsOn).toEqual(['elasticsearch']);
    const kyml = literal(path(kibana, '/usr/share/kibana/config/kibana.yml').content);
    expect(kyml).toContain('elasticsearch.hosts: ["http://elasticsearch:9200"]');
    expect(kyml).toContain('elasticsearch.password: "<elasticsearch/kibana-system-password>"');
    expect(kyml).toContain('status.allowAnonymous: false');
    expect(kibana.containers[0]!.image.tag).toBe(es.containers[0]!.image.tag);
    expect(kibana.containers[0]!.image.tag).toMatch(/^8\.19\.\d+$/);
  });

  it('Kibana follows an Elasticsearch version override', () => {
    const e = prepare(variant('development', (i) => (i.services.elasticsearch.version = '8.19.23')));
    expect(spec(e, 'kibana').containers[0]!.image).toEqual({ repository: 'docker.elastic.co/kibana/kibana', tag: '8.19.23' });
  });

  it('Ollama keeps models on a volume, pulls the configured models and asks for GPUs only when configured', () => {
    const o = spec(dev, 'ollama');
    expect(o.volumes).toEqual([expect.objectContaining({ name: 'models', backup: false })]);
    expect(literal(o.jobs[0]!.command[2]!)).toContain(`exec timeout 7200 sh -c 'ollama pull "llama3.2:3b"'`);
    expect(o.jobs[0]).toMatchObject({ run: 'background', timeoutSeconds: 7200 });
    expect(o.containers[0]!.env.OLLAMA_MODELS).toBe('/var/lib/ollama/models');
    expect(o.containers[0]!.gpus).toBe(0);
    const prod = env('production');
    expect(spec(prod, 'ollama').containers[0]!.gpus).toBe(1);
    expect(spec(prod, 'ollama').jobs[0]!.description).toBe(
      'Pulls llama3.1:8b, nomic-embed-text:v1.5 in the background (resumable, stopped after 2h)',
    );
  });

  it('an image override replaces the pin, a version override keeps the repository', () => {
    const e = prepare(
      variant('development', (i) => {
        i.services.redis.image = 'registry.internal:5000/mirror/redis:7.4.3-alpine';
        i.services.nats.version = '2.10.25-alpine';
      }),
    );
    expect(spec(e, 'redis').containers[0]!.image).toEqual({ repository: 'registry.internal:5000/mirror/redis', tag: '7.4.3-alpine' });
    expect(spec(e, 'nats').containers[0]!.image).toEqual({ repository: 'nats', tag: '2.10.25-alpine' });
  });

  it('profiles size services; environment overrides win', () => {
    expect(spec(env('development'), 'postgres').containers[0]!.resources.limits.memory).toBe('1536Mi');
    expect(spec(env('production'), 'postgres').containers[0]!.resources.limits.memory).toBe('16Gi');
    expect(spec(env('production'), 'nats').replicas).toBe(3);
    const e = prepare(variant('development', (i) => (i.services.qdrant.resources = { limits: { memory: '2Gi' } })));
    expect(spec(e, 'qdrant').containers[0]!.resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '500m', memory: '2Gi' },
    });
  });
});
