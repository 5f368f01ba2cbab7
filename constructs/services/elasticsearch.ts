import { z } from 'zod';
import { formatBinarySize, memoryBytes, memoryMebibytes } from '../spec/quantity';
import { hostRef, secretRef, selfHost, tpl } from '../spec/template';
import type { ImageRef } from '../spec/types';
import {
  crossCheck,
  defineService,
  imageOrVersion,
  job,
  memoryQuantity,
  persistenceSchema,
  port,
  portNumber,
  resolveImage,
  serviceFields,
  shellHealth,
  workloadFields,
} from './common';
import { exporter, probe } from './sidecars';

export const ELASTICSEARCH_IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:8.17.2';
export const KIBANA_IMAGE = 'docker.elastic.co/kibana/kibana:8.17.2';
const ES_CONFIG = '/usr/share/elasticsearch/config/elasticsearch.yml';
const KIBANA_CONFIG = '/usr/share/kibana/config/kibana.yml';

const kibanaSchema = z
  .strictObject({
    /** @default true */
    enabled: z.boolean().default(true),
    ...workloadFields,
    hostPorts: z.record(z.string(), portNumber).default({}),
  })
  .superRefine(imageOrVersion);

export const elasticsearchSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /** JVM heap (-Xms = -Xmx); at most half of the memory limit, the rest is file-system cache. */
    heap: memoryQuantity,
    kibana: kibanaSchema,
  })
  .superRefine(imageOrVersion)
  .superRefine(
    crossCheck((c, ctx) => {
      if (memoryBytes(c.heap) > memoryBytes(c.resources.limits.memory) / 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['heap'],
          message: `${c.heap} is more than half of the ${c.resources.limits.memory} memory limit`,
        });
      }
      const es = resolveImage(ELASTICSEARCH_IMAGE, c);
      const kibana = kibanaImage(es, c.kibana);
      if (c.kibana.enabled && kibana.tag !== es.tag) {
        ctx.addIssue({
          code: 'custom',
          path: ['kibana', c.kibana.image ? 'image' : 'version'],
          message: `Kibana ${kibana.tag} must run the same version as Elasticsearch ${es.tag}`,
        });
      }
    }),
  );

/** Kibana follows the Elasticsearch version unless pinned separately. */
function kibanaImage(es: ImageRef, k: { image?: string | undefined; version?: string | undefined }): ImageRef {
  return resolveImage(KIBANA_IMAGE, k.image || k.version ? k : { version: es.tag });
}

export const elasticsearch = defineService({
  name: 'elasticsearch',
  title: 'Elasticsearch + Kibana',
  description: 'Full-text search and log analytics with security enabled, and Kibana wired to it.',
  schema: elasticsearchSchema,
  build(c, ctx) {
    const es = resolveImage(ELASTICSEARCH_IMAGE, c);
    const heap = formatBinarySize(memoryBytes(c.heap), { k: 'k', m: 'm', g: 'g' });
    const elasticPassword = tpl`${secretRef('elasticsearch', 'elastic-password')}`;
    const esConfig = [
      `cluster.name: platform-${ctx.environment}`,
      'node.name: elasticsearch',
      'network.host: 0.0.0.0',
      'http.port: 9200',
      'discovery.type: single-node',
      'path.data: /usr/share/elasticsearch/data',
      'xpack.security.enabled: true',
      'xpack.security.enrollment.enabled: false',
      // A single node has no transport peers; HTTP stays on the private service network.
      'xpack.security.http.ssl.enabled: false',
      'xpack.security.transport.ssl.enabled: false',
      'ingest.geoip.downloader.enabled: false',
      'action.destructive_requires_name: true',
      '',
    ].join('\n');
    const setup = [
      'set -eu',
      'auth="elastic:$ELASTIC_PASSWORD"',
      'for attempt in $(seq 1 60); do',
      '  curl -fsS -u "$auth" "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=10s" >/dev/null && break',
      '  [ "$attempt" -eq 60 ] && { echo "elasticsearch did not become ready" >&2; exit 1; }',
      '  sleep 5',
      'done',
      'curl -fsS -u "$auth" -X POST "$ES_URL/_security/user/kibana_system/_password" -H "Content-Type: application/json" -d "{\\"password\\":\\"$KIBANA_SYSTEM_PASSWORD\\"}"',
      'curl -fsS -u "$auth" -X PUT "$ES_URL/_security/role/prometheus_exporter" -H "Content-Type: application/json" -d \'{"cluster":["monitor"],"indices":[{"names":["*"],"privileges":["monitor"]}]}\'',
      'curl -fsS -u "$auth" -X PUT "$ES_URL/_security/user/prometheus_exporter" -H "Content-Type: application/json" -d "{\\"password\\":\\"$EXPORTER_PASSWORD\\",\\"roles\\":[\\"prometheus_exporter\\"]}"',
    ].join('\n');
    const exporterPassword = tpl`${secretRef('elasticsearch', 'exporter-password')}`;
    const esMetrics = exporter(ctx, {
      image: 'quay.io/prometheuscommunity/elasticsearch-exporter:v1.8.0',
      port: 9114,
      healthPath: '/healthz',
      args: [tpl`--es.uri=http://${selfHost}:9200`, '--es.all', '--es.indices', '--web.listen-address=:9114'],
      env: { ES_USERNAME: 'prometheus_exporter', ES_PASSWORD: exporterPassword },
    });
    const specs = [
      {
        name: 'elasticsearch',
        component: 'elasticsearch',
        configPath: 'services.elasticsearch',
        description: 'Full-text search and log analytics, security enabled.',
        replicas: c.replicas,
        managed: 'opensearch' as const,
        secrets: [
          { name: 'elastic-password', description: 'Password of the elastic superuser', length: 32 },
          { name: 'kibana-system-password', description: 'Password of the kibana_system user (set by the setup job)', length: 32 },
          { name: 'exporter-password', description: 'Password of the prometheus_exporter user (monitor privileges only)', length: 32 },
        ],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Indices', backup: true }],
        jobs: [
          job(ctx, {
            name: 'setup-security',
            description: 'Sets the kibana_system password and creates the least-privilege prometheus_exporter user',
            image: es,
            command: ['/bin/bash', '-c', setup],
            env: {
              ES_URL: tpl`http://${hostRef('elasticsearch')}:9200`,
              ELASTIC_PASSWORD: elasticPassword,
              KIBANA_SYSTEM_PASSWORD: tpl`${secretRef('elasticsearch', 'kibana-system-password')}`,
              EXPORTER_PASSWORD: exporterPassword,
            },
          }),
        ],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: es,
            env: {
              ELASTIC_PASSWORD: elasticPassword,
              ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`,
            },
            ports: [
              port('http', 9200, 'client', 'http', c.hostPorts),
              port('transport', 9300, 'cluster', 'elasticsearch-transport', c.hostPorts),
            ],
            mounts: [{ volume: 'data', path: '/usr/share/elasticsearch/data' }],
            files: [{ path: ES_CONFIG, content: esConfig, mode: 0o644, format: 'elasticsearch.yml' }],
            health: shellHealth(
              'curl -fsS -u "elastic:$ELASTIC_PASSWORD" "http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null',
              { intervalSeconds: 15, timeoutSeconds: 10, startPeriodSeconds: 90, retries: 8 },
            ),
            resources: c.resources,
            ulimits: [{ name: 'nofile', soft: 65535, hard: 65535 }],
            stopGracePeriodSeconds: 120,
          },
          esMetrics.container,
        ],
        metrics: esMetrics.metrics,
      },
    ];
    if (!c.kibana.enabled) return specs;

    const k = c.kibana;
    const kibanaConfig = [
      'server.name: kibana',
      'server.host: "0.0.0.0"',
      'server.port: 5601',
      'server.shutdownTimeout: "10s"',
      'elasticsearch.hosts: ["${ES_URL}"]',
      'elasticsearch.username: "kibana_system"',
      'elasticsearch.password: "${ES_PASSWORD}"',
      'xpack.encryptedSavedObjects.encryptionKey: "${SAVED_OBJECTS_KEY}"',
      'xpack.security.encryptionKey: "${SECURITY_KEY}"',
      'xpack.reporting.encryptionKey: "${REPORTING_KEY}"',
      // Anonymous callers see only the overall level, which is what health checks need.
      'status.allowAnonymous: true',
      'telemetry.optIn: false',
      'telemetry.allowChangingOptInStatus: false',
      'monitoring.ui.container.elasticsearch.enabled: true',
      '',
    ].join('\n');
    const kibanaMetrics = probe(ctx, { port: 5601, path: '/api/status', bodyMatches: '"level":"available"' });
    return [
      ...specs,
      {
        name: 'kibana',
        component: 'elasticsearch',
        configPath: 'services.elasticsearch.kibana',
        description: 'Kibana, connected to Elasticsearch as kibana_system.',
        replicas: k.replicas,
        secrets: [
          { name: 'saved-objects-key', description: 'xpack.encryptedSavedObjects.encryptionKey', length: 48 },
          { name: 'security-key', description: 'xpack.security.encryptionKey', length: 48 },
          { name: 'reporting-key', description: 'xpack.reporting.encryptionKey', length: 48 },
        ],
        volumes: [],
        jobs: [],
        dependsOn: ['elasticsearch'],
        containers: [
          {
            name: 'main',
            image: kibanaImage(es, k),
            env: {
              ES_URL: tpl`http://${hostRef('elasticsearch')}:9200`,
              ES_PASSWORD: tpl`${secretRef('elasticsearch', 'kibana-system-password')}`,
              SAVED_OBJECTS_KEY: tpl`${secretRef('kibana', 'saved-objects-key')}`,
              SECURITY_KEY: tpl`${secretRef('kibana', 'security-key')}`,
              REPORTING_KEY: tpl`${secretRef('kibana', 'reporting-key')}`,
              NODE_OPTIONS: `--max-old-space-size=${Math.floor(memoryMebibytes(k.resources.limits.memory) * 0.75)}`,
            },
            ports: [port('http', 5601, 'client', 'http', k.hostPorts)],
            mounts: [],
            files: [{ path: KIBANA_CONFIG, content: kibanaConfig, mode: 0o644, format: 'kibana.yml' }],
            health: shellHealth('curl -fsS http://127.0.0.1:5601/api/status | grep -q \'"level":"available"\'', {
              http: { port: 5601, path: '/api/status' },
              intervalSeconds: 15,
              timeoutSeconds: 10,
              startPeriodSeconds: 120,
              retries: 8,
            }),
            resources: k.resources,
            stopGracePeriodSeconds: 30,
          },
          kibanaMetrics.container,
        ],
        metrics: kibanaMetrics.metrics,
      },
    ];
  },
});
