/** Service specs tested as data: no provider, no synthesis. */
import { describe, expect, it } from 'vitest';
import { catalogue } from '../constructs/services';
import { imageName, parseImage } from '../constructs/spec/image';
import { cpuCores, formatBinarySize, isCpuQuantity, isMemoryQuantity, memoryBytes, memoryMebibytes } from '../constructs/spec/quantity';
import { referencesOf, renderText, tpl, secretRef, hostRef, selfHost } from '../constructs/spec/template';
import type { ConfigFile, ServiceSpec, Text } from '../constructs/spec/types';
import { env, spec, variant } from './helpers';
import { loadEnvironment } from '../environments/load';
import { parseCidr } from '../environments/network';
import { SECRET_ENV } from '../security/guardrails';

const dev = env('development');
const file = (s: ServiceSpec, format: string): ConfigFile => {
  const f = s.containers.flatMap((c) => c.files).find((x) => x.format === format);
  if (!f) throw new Error(`${s.name} has no ${format}`);
  return f;
};
const literal = (t: Text) =>
  renderText(t, { literal: (x) => x, secret: (r) => `<${r.service}/${r.name}>`, host: (r) => r.service, self: () => 'SELF' });

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
    expect(cpuCores('250m')).toBe('0.25');
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
  it('the development environment builds every catalogue service (Kibana with Elasticsearch)', () => {
    expect(dev.specs.map((s) => s.name).sort()).toEqual(
      ['elasticsearch', 'kibana', 'minio', 'nats', 'neo4j', 'ollama', 'postgres', 'qdrant', 'rabbitmq', 'redis'].sort(),
    );
    expect(new Set(dev.specs.map((s) => s.component))).toEqual(new Set(Object.keys(catalogue)));
  });

  for (const s of env('development').specs) {
    describe(s.name, () => {
      it('pins every image to an exact version', () => {
        for (const image of [...s.containers, ...s.jobs].map((c) => c.image)) {
          expect(image.tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
          expect(image.tag.toLowerCase()).not.toBe('latest');
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

      it('mounts only declared volumes and publishes only client/admin ports', () => {
        const volumes = new Set(s.volumes.map((v) => v.name));
        for (const c of s.containers) {
          for (const m of c.mounts) expect(volumes.has(m.volume)).toBe(true);
          for (const p of c.ports) if (p.purpose === 'metrics' || p.purpose === 'cluster') expect(p.hostPort).toBeUndefined();
        }
      });

      it('passes every secret by reference', () => {
        for (const c of [...s.containers, ...s.jobs]) {
          for (const [key, value] of Object.entries(c.env)) {
            if (SECRET_ENV.test(key)) {
              expect(
                referencesOf(value).some((r) => r.kind === 'secret'),
                `${s.name} ${c.name} ${key}`,
              ).toBe(true);
            }
          }
        }
      });
    });
  }
});

describe('service specifics', () => {
  it('NATS runs JetStream with the monitoring port and a password from the environment', () => {
    const nats = spec(dev, 'nats');
    const conf = literal(file(nats, 'nats.conf').content);
    expect(conf).toMatch(
      /jetstream \{\n\s+store_dir: "\/data\/jetstream"\n\s+max_memory_store: 134217728\n\s+max_file_store: 1932735283\n\}/,
    );
    expect(conf).toContain('http: 0.0.0.0:8222');
    expect(conf).toContain('password: $NATS_PASSWORD');
    expect(nats.containers[0]!.health.exec.join(' ')).toContain('/healthz?js-enabled-only=true');
    expect(nats.metrics).toMatchObject({ container: 'exporter', port: 7777, source: 'exporter' });
  });

  it('Redis takes maxmemory and the eviction policy from config, with AOF on and a password', () => {
    const redis = spec(dev, 'redis');
    const conf = literal(file(redis, 'redis.conf').content);
    expect(conf).toContain('maxmemory 512mb\n');
    expect(conf).toContain('maxmemory-policy allkeys-lru\n');
    expect(conf).toContain('appendonly yes\n');
    expect(conf).not.toMatch(/^requirepass/m);
    expect(redis.containers[0]!.args!.join(' ')).toContain('--requirepass "$REDIS_PASSWORD"');
    const tuned = loadEnvironment(
      variant('development', (i) => (i.services.redis = { maxmemory: '256Mi', maxmemoryPolicy: 'volatile-ttl' })),
    );
    expect(literal(file(spec(tuned, 'redis'), 'redis.conf').content)).toMatch(/maxmemory 256mb\nmaxmemory-policy volatile-ttl/);
  });

  it('Qdrant requires API keys and keeps storage and snapshots on volumes', () => {
    const q = spec(dev, 'qdrant');
    expect(Object.keys(q.containers[0]!.env)).toEqual(
      expect.arrayContaining(['QDRANT__SERVICE__API_KEY', 'QDRANT__SERVICE__READ_ONLY_API_KEY']),
    );
    expect(q.volumes.map((v) => v.name)).toEqual(['storage', 'snapshots']);
    expect(q.metrics.auth).toEqual({ kind: 'bearer', token: secretRef('qdrant', 'read-only-api-key') });
    expect(q.containers[0]!.health.http).toEqual({ port: 6333, path: '/readyz' });
  });

  it('Neo4j Community gets generated auth and memory settings from config', () => {
    const n = spec(dev, 'neo4j');
    const e = n.containers[0]!.env;
    expect(literal(e.NEO4J_AUTH!)).toBe('neo4j/<neo4j/password>');
    expect(e.NEO4J_server_memory_heap_max__size).toBe('512m');
    expect(e.NEO4J_server_memory_pagecache_size).toBe('512m');
    expect(n.containers[0]!.image.tag).toMatch(/-community$/);
  });

  it('PostgreSQL takes its tuning from config and a generated password', () => {
    const tuned = loadEnvironment(
      variant(
        'development',
        (i) => (i.services.postgres.tuning = { sharedBuffers: '512Mi', effectiveCacheSize: '1Gi', maxConnections: 250 }),
      ),
    );
    const conf = literal(file(spec(tuned, 'postgres'), 'postgresql.conf').content);
    expect(conf).toContain('shared_buffers = 512MB\n');
    expect(conf).toContain('effective_cache_size = 1GB\n');
    expect(conf).toContain('max_connections = 250\n');
    const pg = spec(dev, 'postgres');
    expect(literal(pg.containers[0]!.env.POSTGRES_PASSWORD!)).toBe('<postgres/password>');
    expect(pg.containers[0]!.args).toEqual(['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']);
    expect(pg.managed).toBe('rds-postgresql');
  });

  it('RabbitMQ enables management and Prometheus plugins, generated credentials, limit-aware memory alarm', () => {
    const r = spec(dev, 'rabbitmq');
    expect(literal(r.containers[0]!.files.find((f) => f.path === '/etc/rabbitmq/enabled_plugins')!.content)).toBe(
      '[rabbitmq_management,rabbitmq_prometheus].\n',
    );
    expect(literal(file(r, 'rabbitmq.conf').content)).toContain(`total_memory_available_override_value = ${1024 ** 3}`);
    expect(literal(r.containers[0]!.env.RABBITMQ_DEFAULT_PASS!)).toBe('<rabbitmq/password>');
    expect(r.metrics).toMatchObject({ container: 'main', port: 15692, source: 'native' });
  });

  it('MinIO generates root credentials and creates the three buckets at deploy', () => {
    const m = spec(dev, 'minio');
    expect(literal(m.containers[0]!.env.MINIO_ROOT_USER!)).toBe('<minio/root-user>');
    expect(literal(m.containers[0]!.env.MINIO_ROOT_PASSWORD!)).toBe('<minio/root-password>');
    const job = m.jobs.find((j) => j.name === 'create-buckets')!;
    const script = literal(job.command[2]!);
    for (const bucket of ['workflow-artifacts', 'agent-outputs', 'user-uploads']) {
      expect(script).toContain(`mc mb --ignore-existing "platform/${bucket}"`);
    }
    expect(literal(job.env.MINIO_URL!)).toBe('http://minio:9000');
  });

  it('Elasticsearch runs one secured node with the heap from config, and Kibana is wired to it', () => {
    const es = spec(dev, 'elasticsearch');
    const yml = literal(file(es, 'elasticsearch.yml').content);
    expect(yml).toContain('discovery.type: single-node');
    expect(yml).toContain('xpack.security.enabled: true');
    expect(es.containers[0]!.env.ES_JAVA_OPTS).toBe('-Xms1g -Xmx1g');
    const kibana = spec(dev, 'kibana');
    expect(kibana.dependsOn).toEqual(['elasticsearch']);
    expect(literal(kibana.containers[0]!.env.ES_URL!)).toBe('http://elasticsearch:9200');
    expect(literal(kibana.containers[0]!.env.ES_PASSWORD!)).toBe('<elasticsearch/kibana-system-password>');
    expect(kibana.containers[0]!.image.tag).toBe(es.containers[0]!.image.tag);
    expect(literal(es.jobs[0]!.command[2]!)).toContain('/_security/user/kibana_system/_password');
  });

  it('Kibana follows an Elasticsearch version override', () => {
    const e = loadEnvironment(variant('development', (i) => (i.services.elasticsearch.version = '8.17.3')));
    expect(spec(e, 'kibana').containers[0]!.image).toEqual({ repository: 'docker.elastic.co/kibana/kibana', tag: '8.17.3' });
  });

  it('Ollama keeps models on a volume, pulls the configured models and asks for GPUs only when configured', () => {
    const o = spec(dev, 'ollama');
    expect(o.volumes).toEqual([expect.objectContaining({ name: 'models', backup: false })]);
    expect(literal(o.jobs[0]!.command[2]!)).toContain('ollama pull "llama3.2:3b"');
    expect(o.containers[0]!.gpus).toBe(0);
    const prod = env('production');
    expect(spec(prod, 'ollama').containers[0]!.gpus).toBe(1);
    expect(spec(prod, 'ollama').jobs[0]!.description).toBe('Pulls llama3.1:8b, nomic-embed-text:v1.5');
  });

  it('an image override replaces the pin, a version override keeps the repository', () => {
    const e = loadEnvironment(
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
    const e = loadEnvironment(variant('development', (i) => (i.services.qdrant.resources = { limits: { memory: '2Gi' } })));
    expect(spec(e, 'qdrant').containers[0]!.resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '500m', memory: '2Gi' },
    });
  });
});
