/**
 * What a Docker host publishes by default and on request: UIs and authenticated endpoints at an
 * offset that clashes with no server of the platform's kinds, unauthenticated APIs only when asked
 * (with a warning), and the synth summary listing every published address.
 */
import { describe, expect, it } from 'vitest';
import { publications, publishedAddresses } from '../constructs/targets/docker/publishing';
import { EPHEMERAL_PORTS, dockerWarnings as allWarnings } from '../constructs/targets/docker/warnings';
import { DEFAULT_PUBLISH_OFFSET } from '../environments/parse/schema';
import { run } from '../stacks/cli';
import { prepare } from '../stacks/pipeline';
import { env, synth, variant, scratch } from './helpers';

/** The publishing warnings (the fixture also pulls anonymously from Docker Hub: test/docker-host.test.ts). */
const dockerWarnings = (e: Parameters<typeof allWarnings>[0]) => allWarnings(e).filter((w) => w.path !== 'target.registry');

const defaults = prepare(variant('development', (i) => delete i.target.publish));
const everyPort = (e: typeof defaults) => e.specs.flatMap((s) => s.containers.flatMap((c) => c.ports.map((p) => ({ spec: s, c, p }))));

describe('the default publishing policy', () => {
  it('is the web UIs and every client and admin port that requires credentials, at +11000', () => {
    expect(defaults.target.kind === 'docker' && defaults.target.publish).toEqual({
      ports: 'authenticated',
      offset: DEFAULT_PUBLISH_OFFSET,
    });
    const expected = everyPort(defaults)
      .filter(({ p }) => ['client', 'ui', 'admin'].includes(p.purpose) && p.anonymous === undefined)
      .map(({ spec, p }) => `${spec.name}/${p.name}@${p.port + DEFAULT_PUBLISH_OFFSET}`);
    expect(publications(defaults).map((p) => `${p.spec.name}/${p.port.name}@${p.hostPort}`)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(10);
  });

  it('publishes no port that answers without credentials (Ollama, NATS monitoring, the MX port of the mail server)', () => {
    const anonymous = everyPort(defaults).filter(({ p }) => p.anonymous !== undefined);
    expect(anonymous.map(({ spec, p }) => `${spec.name}/${p.name}`).sort()).toEqual([
      // Jaeger's and Loki's APIs (monitoring): never published, whatever the policy (PortSpec.neverPublished).
      'jaeger/health',
      'jaeger/otlp-grpc',
      'jaeger/otlp-http',
      'jaeger/query',
      'loki/http',
      'mailserver/smtp',
      'nats/monitoring',
      'ollama/http',
    ]);
    const published = new Set(publications(defaults).map((p) => `${p.spec.name}/${p.port.name}`));
    for (const { spec, p } of anonymous) expect(published.has(`${spec.name}/${p.name}`)).toBe(false);
    const all = new Set(
      publications(prepare(variant('development', (i) => (i.target.publish = { ports: 'all' })))).map(
        (p) => `${p.spec.name}/${p.port.name}`,
      ),
    );
    for (const { spec, p } of anonymous) expect(all.has(`${spec.name}/${p.name}`)).toBe(p.neverPublished === undefined);
  });

  it("cannot clash with a server of the platform's kinds on the host, nor fall in the ephemeral range, even publishing every port", () => {
    // Every port any service listens on, single host or clustered (Sentinel 26379, Erlang 25672, ...).
    const standard = new Set([...everyPort(env('development')), ...everyPort(env('clusters'))].map(({ p }) => p.port));
    const all = prepare(variant('development', (i) => (i.target.publish = { ports: 'all' })));
    for (const p of publications(all)) {
      expect(standard.has(p.hostPort), `${p.spec.name} ${p.port.name} on ${p.hostPort}`).toBe(false);
      expect(p.hostPort).toBeLessThan(EPHEMERAL_PORTS.from);
    }
    expect(dockerWarnings(defaults)).toEqual([]);
  });
});

describe('publishing warnings name the field and say why', () => {
  it('publishing every port warns for each unauthenticated one, with what anyone can do (DNS rebinding for Ollama)', () => {
    const all = prepare(variant('development', (i) => (i.target.publish = { ports: 'all' })));
    const w = dockerWarnings(all);
    expect(w.map((x) => x.path)).toEqual(['target.publish.ports', 'target.publish.ports', 'target.publish.ports']);
    expect(w[0]!.message).toMatch(/^publishes nats monitoring \(127\.0\.0\.1:19222\) without authentication: .*connections/);
    expect(w[1]!.message).toMatch(/^publishes ollama http \(127\.0\.0\.1:22434\) without authentication: .*DNS rebinding/);
    expect(w[2]!.message).toMatch(/^publishes mailserver smtp \(127\.0\.0\.1:11025\) without authentication: .*as an MX must/);
  });

  it('a single unauthenticated port published on request warns, blaming its hostPorts entry', () => {
    const one = prepare(variant('development', (i) => (i.services.ollama.hostPorts = { http: 21434 })));
    expect(dockerWarnings(one)).toEqual([
      {
        path: 'services.ollama.hostPorts.http',
        message: expect.stringMatching(/^publishes ollama http \(127\.0\.0\.1:21434\) without authentication/),
      },
    ]);
    expect(synth(one).tf.output!.endpoints.value.ollama.http).toEqual({ internal: 'ollama:11434', host: '127.0.0.1:21434' });
  });

  it('standard port numbers warn: a PostgreSQL, Redis or RabbitMQ already on the host makes the first apply fail', () => {
    const standard = prepare(variant('development', (i) => (i.target.publish = { offset: 0 })));
    const messages = dockerWarnings(standard).map((w) => `${w.path}: ${w.message}`);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^target\.publish\.ports: publishes postgres client \(127\.0\.0\.1:5432\) on the standard port of postgres client/,
      ),
    );
    expect(messages.length).toBe(publications(standard).length);
    // 10000, the offset the docs used to suggest: AMQP lands on RabbitMQ's management port.
    const tenThousand = prepare(variant('development', (i) => (i.target.publish = { offset: 10000 })));
    expect(dockerWarnings(tenThousand).map((w) => w.message)).toEqual([
      expect.stringMatching(/^publishes rabbitmq amqp \(127\.0\.0\.1:15672\) on the standard port of rabbitmq management/),
    ]);
  });

  it('ports in the ephemeral range warn', () => {
    const high = prepare(variant('development', (i) => (i.target.publish = { offset: 30000 })));
    const w = dockerWarnings(high).filter((x) => /ephemeral/.test(x.message));
    // Every published port from 32768 on (the mail ports, 25 to 993, land below it).
    expect(w.length).toBe(publications(high).filter((p) => p.hostPort >= EPHEMERAL_PORTS.from).length);
    expect(w.length).toBeGreaterThan(10);
    expect(w[0]!.path).toBe('target.publish.offset');
  });
});

describe('the synth summary lists the published addresses', () => {
  it('from the environment alone, the same as the endpoints the renderer writes', () => {
    const listed = publishedAddresses(defaults);
    const endpoints = synth(defaults).tf.output!.endpoints.value as Record<string, Record<string, { host?: string }>>;
    const rendered = Object.entries(endpoints).flatMap(([service, ports]) =>
      Object.entries(ports).flatMap(([, e]) => (e.host ? [`${service} ${e.host}`] : [])),
    );
    expect(listed.map((p) => `${p.service} ${p.address}`).sort()).toEqual(rendered.sort());
  });

  it('prints them under the table, marking any that answers without credentials', () => {
    const out: string[] = [];
    const err: string[] = [];
    const src = variant('development', (i) => (i.services.ollama.hostPorts = { http: 21434 }));
    expect(run([src], scratch('published-') + '/out', { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(0);
    const start = out.indexOf('development publishes on the host:');
    expect(start).toBeGreaterThan(0);
    const lines = out.slice(start + 1);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}postgres client +127\.0\.0\.1:16432$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}kibana http +127\.0\.0\.1:16601$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}ollama http +127\.0\.0\.1:21434 {2}\(no authentication\)$/));
    expect(lines.length).toBe(publishedAddresses(prepare(src)).length);
    expect(err).toContainEqual(
      expect.stringMatching(/^warning: test\/fixtures\/development\.ts: services\.ollama\.hostPorts\.http: publishes ollama http/),
    );
  });
});
