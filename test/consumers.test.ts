/**
 * Consumers: the applications that use the platform. Each service gives each consumer its own
 * identity (never the administrator's), connection facts and the client ports network policy opens
 * (evaluated in test/kubernetes-network.test.ts); on Kubernetes both land in the consumer's namespace
 * as ConfigMap `<component>-endpoint` and Secret `<component>-credentials`; on Docker in the consumer's
 * volume. Bad consumer config is refused with the file and the field.
 */
import { describe, expect, it } from 'vitest';
import { consumable } from '../constructs/services';
import { defaultServices } from '../environments/parse/load';
import { referencesOf } from '../constructs/spec/template';
import type { SecretRef } from '../constructs/spec/types';
import { ConfigError, type EnvironmentSource } from '../environments/parse/load';
import { checkEnvironment } from '../security/guardrails';
import { prepare } from '../stacks/pipeline';
import { consumerFiles } from '../constructs/render/docker/consumers';
import { env, spec, synth, variant } from './helpers';

function rejects(src: EnvironmentSource, fieldPath: string, says: RegExp) {
  let found: string[] = [];
  try {
    prepare(src);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    found = e.issues.map((i) => `${e.file}: ${i.path}: ${i.message}`);
  }
  const match = found.filter((p) => p.startsWith(`${src.file}: ${fieldPath}: `));
  expect(match, `problems were:\n${found.join('\n')}`).toHaveLength(1);
  expect(match[0]).toMatch(says);
}

const several = prepare(
  variant('staging', (i) => {
    i.consumers = [
      {
        name: 'orders',
        services: {
          postgres: { database: 'orders_db' },
          nats: { subjects: ['orders.>'], streams: ['ORDERS'] },
          redis: { keys: ['orders:*', 'carts:*'] },
        },
        namespace: { name: 'shop', create: false },
        podLabels: { 'app.kubernetes.io/name': 'orders' },
      },
      { name: 'search', services: { elasticsearch: { indices: ['search-*'] }, qdrant: {}, objectstore: { buckets: ['agent-outputs'] } } },
    ];
  }),
);

describe('consumers in config', () => {
  it('default to one consumer, apps, that uses every enabled service applications can use (the gateway instead of Ollama)', () => {
    for (const name of ['development', 'staging', 'production', 'clusters'] as const) {
      const e = env(name);
      expect(e.consumers).toEqual([{ name: 'apps' }]);
      const defaults = new Set<string>(defaultServices(e.services));
      // Ollama has no authentication of its own: with the API gateway on, apps get the gateway instead.
      expect(defaults.has('kong'), name).toBe(true);
      expect(defaults.has('ollama'), name).toBe(false);
      for (const s of e.specs.filter((x) => (consumable as string[]).includes(x.component) && x.configPath === `services.${x.component}`)) {
        expect(
          (s.consumers ?? []).filter((a) => a.platform === undefined).map((a) => a.consumer),
          `${name}: ${s.name}`,
        ).toEqual(defaults.has(s.component) ? ['apps'] : []);
      }
    }
    // Kibana is a UI, not an application's service.
    expect(spec(env('staging'), 'kibana').consumers).toBeUndefined();
  });

  it("the platform's own consumer: Roundcube's role in PostgreSQL, built as an application's, published nowhere", () => {
    const staging = env('staging');
    const own = spec(staging, 'postgres').consumers!.filter((a) => a.platform !== undefined);
    expect(own).toEqual([expect.objectContaining({ consumer: 'webmail', platform: 'webmail', ports: ['client'] })]);
    expect(spec(staging, 'postgres').facet.applications).toContainEqual({
      consumer: 'webmail',
      role: 'webmail',
      database: 'roundcube',
      // Roundcube takes no IAM token: its role logs in with its generated password.
      auth: 'password',
      secret: 'consumer-webmail-password',
    });
    // Nothing lands in a namespace for it (it reaches PostgreSQL through its declared dependency).
    expect(Object.keys(synth(staging).tf.resource.kubernetes_config_map_v1!).filter((k) => k.startsWith('consumer_webmail'))).toEqual([]);
    expect(spec(staging, 'webmail').dependsOn).toContain('postgres');
    // An application may not take its name.
    rejects(
      variant('staging', (i) => (i.consumers = [{ name: 'webmail' }])),
      'consumers[0].name',
      /platform's own identity for webmail \(services\.mail\.webmail\.database\)/,
    );
    // With SQLite, Roundcube needs no role.
    const sqlite = prepare(variant('staging', (i) => (i.services.mail.webmail = { database: 'sqlite' })));
    expect(spec(sqlite, 'postgres').consumers!.map((a) => a.consumer)).toEqual(['apps']);
  });

  it('an empty list: nothing is published and no application is admitted', () => {
    const none = prepare(variant('staging', (i) => (i.consumers = [])));
    expect(none.specs.flatMap((s) => (s.consumers ?? []).filter((a) => a.platform === undefined))).toEqual([]);
    const tf = synth(none).tf;
    expect(Object.keys(tf.resource.kubernetes_config_map_v1!).filter((k) => k.startsWith('consumer_'))).toEqual([]);
  });

  it.each([
    [(i: any) => (i.consumers = [{ name: 'platform' }]), 'consumers[0].name', /one of the platform's own user names/],
    [(i: any) => (i.consumers = [{ name: 'a' }, { name: 'a' }]), 'consumers[1].name', /named twice/],
    [(i: any) => (i.consumers = [{ name: 'a', services: { vault: {} } }]), 'consumers[0].services.vault', /unknown service/],
    [(i: any) => (i.consumers = [{ name: 'a', services: { postgress: {} } }]), 'consumers[0].services.postgress', /did you mean postgres/],
    [
      (i: any) => {
        delete i.services.neo4j;
        i.consumers = [{ name: 'a', services: { neo4j: {} } }];
      },
      'consumers[0].services.neo4j',
      /not enabled in this environment/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { elasticsearch: { indices: ['*'] } } }]),
      'consumers[0].services.elasticsearch.indices[0]',
      /every index/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { nats: { subjects: ['>'] } } }]),
      'consumers[0].services.nats.subjects[0]',
      /every subject/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { nats: { subjects: ['$SYS.>'] } } }]),
      'consumers[0].services.nats.subjects[0]',
      /NATS subject/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { redis: { keys: ['a b'] } } }]),
      'consumers[0].services.redis.keys[0]',
      /without spaces/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { postgres: { database: 'platform' } } }]),
      'consumers[0].services.postgres',
      /PostgreSQL name the platform uses itself/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { objectstore: { buckets: ['elsewhere'] } } }]),
      'consumers[0].services.objectstore',
      /elsewhere are not among services\.objectstore\.buckets/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', services: { qdrant: { write: true } } }]),
      'consumers[0].services.qdrant.write',
      /unknown field/,
    ],
    [
      (i: any) => (i.consumers = [{ name: 'a', namespace: { name: 'agent-platform-data', create: true } }]),
      'consumers[0].namespace.name',
      /platform's own namespaces/,
    ],
    [
      (i: any) =>
        (i.consumers = [
          { name: 'a', namespace: { name: 'shared', create: true } },
          { name: 'b', namespace: { name: 'shared', create: true } },
        ]),
      'consumers[1].namespace.name',
      /created for consumers\[0\] too/,
    ],
  ])('refuses bad consumer config (%#) on Kubernetes, naming the field', (edit, field, says) =>
    rejects(variant('staging', edit), field, says),
  );

  it('refuses a namespace or pod labels on the docker target', () => {
    rejects(
      variant('development', (i) => (i.consumers = [{ name: 'a', podLabels: { app: 'a' } }])),
      'consumers[0].podLabels',
      /for cluster targets; on the docker target an application joins the platform network and mounts the volume agent-platform-development-consumer-a/,
    );
  });
});

describe("what a consumer receives: its own identity, never the administrator's", () => {
  it('every credential references an application secret of the service itself (guardrails)', () => {
    for (const e of [env('development'), env('staging'), several]) {
      for (const s of e.specs) {
        for (const a of s.consumers ?? []) {
          for (const text of Object.values(a.credentials)) {
            for (const r of referencesOf(text) as SecretRef[]) {
              expect(r.service).toBe(s.name);
              expect(s.secrets.find((x) => x.name === r.name)?.audience, `${s.name}/${r.name}`).toBe('application');
            }
          }
          for (const text of Object.values(a.facts))
            expect(referencesOf(text).every((r) => r.kind === 'host' || r.kind === 'peer')).toBe(true);
        }
      }
    }
  });

  it("guardrails refuse a consumer credential that is an administrator's secret", () => {
    const e = env('staging');
    const redis = spec(e, 'redis');
    const leaked = {
      ...e,
      specs: e.specs.map((s) =>
        s === redis
          ? {
              ...s,
              consumers: [
                {
                  ...s.consumers![0]!,
                  credentials: {
                    password: { kind: 'template' as const, parts: [{ kind: 'secret' as const, service: 'redis', name: 'password' }] },
                  },
                },
              ],
            }
          : s,
      ),
    };
    expect(checkEnvironment(leaked).map((i) => i.message)).toContainEqual(expect.stringMatching(/admin credentials are never published/));
  });

  it('the identities follow the access asked for', () => {
    const pg = spec(several, 'postgres');
    expect(pg.facet.applications).toEqual([
      // Roundcube's own role (the platform's consumer), then the application's.
      { consumer: 'webmail', role: 'webmail', database: 'roundcube', auth: 'password', secret: 'consumer-webmail-password' },
      {
        consumer: 'orders',
        role: 'orders',
        database: 'orders_db',
        auth: 'password',
        secret: 'consumer-orders-password',
        configPath: 'consumers[0].services.postgres',
      },
    ]);
    const nats = spec(several, 'nats').consumers!.find((a) => a.consumer === 'orders')!;
    expect(nats.facts).toMatchObject({ subjects: 'orders.>', streams: 'ORDERS' });
    const es = spec(several, 'elasticsearch');
    expect(es.facet.applications.map((a) => [a.user, a.role, a.indices])).toEqual([['search', 'app-search', ['search-*']]]);
    expect(spec(several, 'garage').consumers!.map((a) => [a.consumer, a.facts.buckets])).toEqual([['search', 'agent-outputs']]);
    // Qdrant gives its read-only key; Neo4j Community no credential at all (every user would be an admin).
    expect(Object.keys(spec(several, 'qdrant').consumers![0]!.credentials)).toEqual(['api-key']);
    expect(spec(env('staging'), 'neo4j').consumers![0]!.credentials).toEqual({});
    expect(spec(env('staging'), 'neo4j').consumers![0]!.grants).toMatch(/Neo4j Community has no roles/);
  });
});

describe('on Kubernetes', () => {
  const tf = synth(env('staging')).tf;
  const r = tf.resource;

  it("creates the default consumer's namespace, restricted, with a ServiceAccount that mounts no token", () => {
    expect(r.kubernetes_namespace_v1!.namespace_consumer_apps.metadata).toMatchObject({
      name: 'agent-platform-apps',
      labels: expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted', 'platform/consumer': 'apps' }),
    });
    expect(r.kubernetes_service_account_v1!.consumer_apps).toMatchObject({
      metadata: { name: 'apps', namespace: 'agent-platform-apps' },
      automount_service_account_token: false,
    });
  });

  it('publishes a ConfigMap and a Secret per service it uses into its namespace, with its own credentials', () => {
    const consumed = env('staging').specs.filter((s) => s.consumers?.length);
    for (const s of consumed) {
      const cm = r.kubernetes_config_map_v1![`consumer_apps_${s.component}_endpoint`];
      expect(cm?.metadata, s.name).toMatchObject({ name: `${s.component}-endpoint`, namespace: 'agent-platform-apps' });
      const secret = r.kubernetes_secret_v1![`consumer_apps_${s.component}_credentials`];
      if (Object.keys(s.consumers![0]!.credentials).length === 0) expect(secret, s.name).toBeUndefined();
      else {
        expect(secret.metadata.namespace).toBe('agent-platform-apps');
        for (const v of Object.values<string>(secret.data)) if (v.includes('random_')) expect(v).toMatch(/consumer-apps|read-only-api-key/);
      }
    }
    expect(r.kubernetes_config_map_v1!.consumer_apps_postgres_endpoint.data).toEqual({
      host: 'postgres-rw.agent-platform-data.svc',
      port: '5432',
      database: 'apps',
      sslmode: 'require',
    });
    expect(r.kubernetes_secret_v1!.consumer_apps_postgres_credentials.data).toEqual({
      username: 'apps',
      password: '${random_password.postgres_consumer-apps-password.result}',
    });
  });

  it('Elasticsearch on ECK: the https URL, and its service account may read the public CA Secret alone', () => {
    expect(r.kubernetes_config_map_v1!.consumer_apps_elasticsearch_endpoint.data).toMatchObject({
      url: 'https://elasticsearch-es-http.agent-platform-data.svc:9200',
      'ca-secret': 'elasticsearch-es-http-certs-public',
      'ca-secret-namespace': 'agent-platform-data',
    });
    expect(r.kubernetes_role_v1!.consumer_apps_elasticsearch_ca).toMatchObject({
      metadata: { name: 'consumer-apps-ca', namespace: 'agent-platform-data' },
      rule: [{ api_groups: [''], resources: ['secrets'], resource_names: ['elasticsearch-es-http-certs-public'], verbs: ['get'] }],
    });
    expect(r.kubernetes_role_binding_v1!.consumer_apps_elasticsearch_ca.subject).toEqual([
      { kind: 'ServiceAccount', name: 'apps', namespace: 'agent-platform-apps' },
    ]);
  });

  it('PostgreSQL on CloudNativePG: a managed role, its database, and pg_hba keeping the role there', () => {
    const values = JSON.parse(r.helm_release!.postgres_cluster.values[0]);
    expect(values.databases).toEqual([
      { name: 'roundcube', ensure: 'present', owner: 'webmail', databaseReclaimPolicy: 'retain' },
      { name: 'apps', ensure: 'present', owner: 'apps', databaseReclaimPolicy: 'retain' },
    ]);
    expect(values.cluster.postgresql.pg_hba).toEqual([
      'host    roundcube  webmail  all  scram-sha-256',
      'host    all  webmail  all  reject',
      'host    apps  apps  all  scram-sha-256',
      'host    all  apps  all  reject',
    ]);
    expect(r.kubernetes_secret_v1!['postgres_consumer-apps_secret'].metadata.labels).toMatchObject({ 'cnpg.io/reload': 'true' });
  });

  it('an existing namespace is used as it is: nothing created, objects published into it', () => {
    const t = synth(several).tf.resource;
    expect(Object.keys(t.kubernetes_namespace_v1!)).not.toContain('namespace_consumer_orders');
    expect(t.kubernetes_config_map_v1!.consumer_orders_postgres_endpoint.metadata.namespace).toBe('shop');
    expect(t.kubernetes_namespace_v1!.namespace_consumer_search.metadata.name).toBe('agent-platform-search');
  });
});

describe('on Docker', () => {
  const dev = env('development');
  const r = synth(dev).tf.resource;

  it("each consumer's volume is written by a publish job after the services it uses are ready", () => {
    expect(r.docker_volume!.consumer_apps.name).toBe('agent-platform-development-consumer-apps');
    const job = r.docker_container!['consumer-apps_job_publish'];
    expect(job.volumes).toEqual([{ volume_name: '${docker_volume.consumer_apps.name}', container_path: '/out', read_only: false }]);
    expect(job.depends_on).toEqual(expect.arrayContaining(['docker_container.postgres', 'docker_container.postgres_job_apply-roles']));
    // Secret files are deleted from the job's own filesystem when it ends.
    expect(job.entrypoint[2]).toMatch(/^trap 'rm -f .*\/seed\/postgres-credentials\/password/);
  });

  it('lays the files out as Kubernetes mounts them: <component>/<fact> and <component>-credentials/<key>', () => {
    const files = consumerFiles(dev.specs, 'apps');
    expect(files.filter((f) => f.path.startsWith('/seed/postgres')).map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ['/seed/postgres/host', '444'],
      ['/seed/postgres/port', '444'],
      ['/seed/postgres/database', '444'],
      ['/seed/postgres/sslmode', '444'],
      ['/seed/postgres-credentials/username', '440'],
      ['/seed/postgres-credentials/password', '440'],
    ]);
    expect(files.some((f) => f.path.startsWith('/seed/objectstore-credentials/access-key-id'))).toBe(true);
  });
});
