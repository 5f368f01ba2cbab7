import { z } from 'zod';
import { backupPlan, withBackup } from './backup';
import { formatBinarySize, memoryBytes, memoryMebibytes } from '../spec/quantity';
import { hostRef, secretRef, tpl } from '../spec/template';
import type { AlertRule, ConsumerAccess, ImageRef, ResourceRequirements, ServiceSpec } from '../spec/types';
import {
  consumerSecret,
  consumersOf,
  crossCheck,
  defineService,
  identity,
  imageOrVersion,
  internalCertificate,
  joinTemplates,
  job,
  memoryQuantity,
  persistenceSchema,
  port,
  portNumber,
  resolveImage,
  resourcesSchema,
  secretFile,
  secretValueFile,
  serviceFields,
  shellHealth,
  tlsPaths,
  trustInternalCa,
  workloadFields,
} from './common';
import { exporter, probe } from './sidecars';
import { namesOf, serviceUp } from './signals';
import { curlAdminPreamble } from './tools';
import {
  type ElasticsearchSnapshots,
  SNAPSHOT_CLIENT,
  SNAPSHOT_REPOSITORY,
  slmPolicies,
  snapshotJobAs,
  snapshotSetupScript,
} from './elasticsearch-snapshots';

/** The current 8.19 patch: fixes ESA-2025-07 (8.17.6) and ESA-2026-19 (8.19.12); 8.19 is supported until July 2027. */
export const ELASTICSEARCH_IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:8.19.22';
export const KIBANA_IMAGE = 'docker.elastic.co/kibana/kibana:8.19.22';
export const ELASTICSEARCH_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/elasticsearch-exporter:v1.11.0';
const ES_CONFIG_DIR = '/usr/share/elasticsearch/config';
export const ES_CONFIG = `${ES_CONFIG_DIR}/elasticsearch.yml`;
/**
 * Where Elasticsearch reads its internal TLS files: inside its config directory, the only place its
 * security policy lets it read certificates and keys from.
 */
export const ES_TLS_DIR = `${ES_CONFIG_DIR}/tls`;
const KIBANA_CONFIG = '/usr/share/kibana/config/kibana.yml';
/** The exporter's configuration: its auth module with the monitoring user's password. */
export const EXPORTER_CONFIG = '/etc/elasticsearch-exporter/config.yml';
/** The auth module Prometheus names in its /probe requests. */
export const EXPORTER_AUTH_MODULE = 'platform';

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
    /**
     * How a cluster target divides the roles among the nodes (the Docker target runs one node):
     * `combined`: `replicas` nodes, each master-eligible and holding data;
     * `dedicated`: three dedicated master nodes sized by `masters`, plus `replicas` nodes that hold
     * data and run ingest, so indexing load or a full data node never stalls the cluster's coordination.
     * @default 'combined'
     */
    topology: z.enum(['combined', 'dedicated']).default('combined'),
    /**
     * The three dedicated master nodes, used when `topology` is `dedicated` (ignored otherwise): they
     * hold the cluster state, not indices, so they are small.
     * @default none; required when topology is 'dedicated'
     */
    masters: z
      .strictObject({
        resources: resourcesSchema,
        /** JVM heap of a master node; at most half of its memory limit. */
        heap: memoryQuantity,
        persistence: persistenceSchema,
      })
      .optional(),
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
      if (c.topology === 'dedicated' && !c.masters) {
        ctx.addIssue({
          code: 'custom',
          path: ['masters'],
          message: "topology 'dedicated' runs three master nodes: give their resources, heap and persistence here",
        });
      }
      if (c.masters && memoryBytes(c.masters.heap) > memoryBytes(c.masters.resources.limits.memory) / 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['masters', 'heap'],
          message: `${c.masters.heap} is more than half of the ${c.masters.resources.limits.memory} memory limit`,
        });
      }
      const es = resolveImage(ELASTICSEARCH_IMAGE, c);
      if (c.kibana.enabled && es.tag === undefined && !c.kibana.image) {
        ctx.addIssue({
          code: 'custom',
          path: ['kibana', 'image'],
          message: "Elasticsearch is pinned by digest only, so Kibana cannot follow its version; pin Kibana's image as well",
        });
        return;
      }
      const kibana = kibanaImage(es, c.kibana);
      if (c.kibana.enabled && es.tag !== undefined && kibana.tag !== undefined && kibana.tag !== es.tag) {
        ctx.addIssue({
          code: 'custom',
          path: ['kibana', c.kibana.image ? 'image' : 'version'],
          message: `Kibana ${kibana.tag} must run the same version as Elasticsearch ${es.tag}`,
        });
      }
    }),
  );

/** An index pattern an application's role covers (Elasticsearch index names: lower case, `*` wildcards). */
const indexPattern = z
  .string()
  .regex(/^[a-z0-9*][a-z0-9*_.+-]{0,254}$/, 'must be an index name or pattern such as orders-* (lower case, no spaces)')
  .refine((p) => p !== '*' && !p.startsWith('.'), 'must not cover every index or system indices');

/** What a consumer may ask for: the indices its role covers, and how it logs in. */
export const elasticsearchAccess = z.strictObject({
  /** Index names or patterns it may create, write, read and manage. @default ['<name>-*'] */
  indices: z.array(indexPattern).min(1).optional(),
  /**
   * How it logs in: `password` (its own user with a generated password, in its credentials Secret),
   * or `iam` (Amazon OpenSearch Service only: no user and no password; the application signs each
   * request with its Pod Identity role, SigV4 for service `es`, and the domain's security plugin maps
   * that IAM role to its index role as a backend role). `iam` only where search is the managed
   * service (an AWS target with `target.managed.elasticsearch.mode: 'managed'`); switching is a
   * two-step change (docs/operations.md). @default 'password'
   */
  auth: z.enum(['password', 'iam']).default('password'),
});

/** How a consumer logs in to search (`elasticsearchAccess.auth`). */
export type ElasticsearchAuth = z.output<typeof elasticsearchAccess>['auth'];

/** Where IAM authentication exists, for the messages that refuse it elsewhere. */
export const IAM_AUTH_NEEDS_OPENSEARCH =
  "IAM authentication is Amazon OpenSearch Service's: it needs an AWS target with target.managed.elasticsearch: { mode: 'managed' }; use auth: 'password' here";

/** The index privileges of an application's role on its own indices (no other index, no cluster changes). */
export const APPLICATION_INDEX_PRIVILEGES = ['create_index', 'read', 'write', 'view_index_metadata', 'manage'] as const;

/** An application's file-realm user and its role. */
export interface ElasticsearchApplication {
  readonly consumer: string;
  /** The user's name (the consumer's). */
  readonly user: string;
  /** Its role, `app-<consumer>`. */
  readonly role: string;
  readonly indices: readonly string[];
  /** With its password, or (Amazon OpenSearch Service only) by signing requests with its IAM role: no user, no password. */
  readonly auth: ElasticsearchAuth;
  /** The password's secret (audience `application`); declared by the spec for `password` applications only. */
  readonly secret: string;
  /** Where the consumer's access is declared in the environment file (`consumers[1].services.elasticsearch`), for messages. */
  readonly configPath?: string;
}

/** The applications that log in with a password (every one, unless some use IAM on Amazon OpenSearch Service). */
export const passwordApplications = <A extends { readonly auth: ElasticsearchAuth }>(apps: readonly A[]): A[] =>
  apps.filter((a) => a.auth === 'password');

/** roles.yml: each application's role (its indices, cluster `monitor` for the clients' version check). */
export function applicationRoles(apps: readonly ElasticsearchApplication[]): string {
  return apps
    .map(
      (a) =>
        `${a.role}:\n  cluster: ["monitor"]\n  indices:\n    - names: ${JSON.stringify(a.indices)}\n      privileges: ${JSON.stringify(APPLICATION_INDEX_PRIVILEGES)}\n`,
    )
    .join('');
}

/** Kibana's encryption settings and the generated secrets that hold them. */
export const KIBANA_ENCRYPTION_KEYS: Readonly<Record<string, string>> = {
  'xpack.encryptedSavedObjects.encryptionKey': 'saved-objects-key',
  'xpack.security.encryptionKey': 'security-key',
  'xpack.reporting.encryptionKey': 'reporting-key',
};

/**
 * What Elasticsearch's realizations know beyond the spec: the settings of elasticsearch.yml any
 * deployment takes (not the single node's layout), the heap, and the topology a cluster target runs.
 */
export interface ElasticsearchFacet {
  readonly settings: Readonly<Record<string, string | boolean>>;
  /** JVM options of the data (or combined) nodes: the heap. */
  readonly javaOpts: string;
  readonly topology: 'combined' | 'dedicated';
  /** The three dedicated masters, when the topology has them. */
  readonly masters?: { readonly resources: ResourceRequirements; readonly javaOpts: string; readonly size: string };
  /** The applications' file-realm users and their roles. */
  readonly applications: readonly ElasticsearchApplication[];
  /** The snapshot repository and its lifecycle policies, where backups are on. */
  readonly snapshots?: ElasticsearchSnapshots;
}

/** What Kibana's realizations know beyond the spec: the kibana.yml settings any deployment takes, its encryption keys, its environment. */
export interface KibanaFacet {
  readonly settings: Readonly<Record<string, string | boolean>>;
  /** Setting -> the Kibana secret holding it. */
  readonly encryptionKeys: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * What the Elasticsearch exporter tells (run once per cluster): whether it reaches the cluster, the
 * cluster's health colour, and the data nodes' free disk.
 */
function elasticsearchMetrics() {
  const s = 'service="elasticsearch"';
  const at = 'instance="elasticsearch-exporter:9114",cluster="platform"';
  return {
    names: namesOf('elasticsearch_exporter', ELASTICSEARCH_EXPORTER_IMAGE),
    signals: [
      serviceUp('elasticsearch', `max by (service, instance) (elasticsearch_clusterinfo_up{${s}})`, {
        [`elasticsearch_clusterinfo_up{${s},${at}}`]: 1,
      }),
      {
        record: 'platform:elasticsearch_health_green',
        expr: `max by (service, cluster) (elasticsearch_cluster_health_status{${s},color="green"})`,
        example: {
          series: {
            [`elasticsearch_cluster_health_status{${s},${at},color="green"}`]: 1,
            [`elasticsearch_cluster_health_status{${s},${at},color="yellow"}`]: 0,
            [`elasticsearch_cluster_health_status{${s},${at},color="red"}`]: 0,
          },
          service: 'elasticsearch',
          value: 1,
        },
      },
      {
        record: 'platform:elasticsearch_disk_free:ratio',
        expr: `min by (service, name) (elasticsearch_filesystem_data_available_bytes{${s}} / elasticsearch_filesystem_data_size_bytes{${s}})`,
        example: {
          series: {
            [`elasticsearch_filesystem_data_available_bytes{${s},${at},name="es-0"}`]: 25,
            [`elasticsearch_filesystem_data_size_bytes{${s},${at},name="es-0"}`]: 100,
          },
          service: 'elasticsearch',
          value: 0.25,
        },
      },
    ],
    alerts: [ELASTICSEARCH_NOT_GREEN],
    panels: [
      { title: 'Cluster health green', expr: 'platform:elasticsearch_health_green', unit: 'short', legend: '{{cluster}}' },
      { title: 'Free data disk', expr: 'platform:elasticsearch_disk_free:ratio', unit: 'percentunit', legend: '{{name}}' },
    ],
  };
}

/** Elasticsearch's own alert (OpenSearch on AWS records the same signal through CloudWatch). */
export const ELASTICSEARCH_NOT_GREEN: AlertRule = {
  name: 'ElasticsearchNotGreen',
  expr: 'platform:elasticsearch_health_green == 0',
  for: '10m',
  severity: 'warning',
  summary: 'Search cluster {{ $labels.cluster }} has not been green for ten minutes',
  description:
    'The cluster is yellow (replica shards unassigned: one more node loss may lose data) or red (primary shards unassigned: some data cannot be read or written).',
  test: {
    firing: {
      series: { 'platform:elasticsearch_health_green{service="elasticsearch",cluster="platform"}': 0 },
      labels: { service: 'elasticsearch', cluster: 'platform' },
    },
    healthy: { 'platform:elasticsearch_health_green{service="elasticsearch",cluster="platform"}': 1 },
  },
};

/** Kibana follows the Elasticsearch version unless pinned separately. */
function kibanaImage(es: ImageRef, k: { image?: string | undefined; version?: string | undefined }): ImageRef {
  return resolveImage(KIBANA_IMAGE, k.image || k.version ? k : { version: es.tag });
}

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'elasticsearch',
  title: 'Elasticsearch + Kibana',
  description: 'Full-text search and log analytics with security enabled, and Kibana wired to it.',
  concern: 'data',
} as const;

export const elasticsearch = defineService({
  ...SERVICE,
  schema: elasticsearchSchema,
  consumerAccess: elasticsearchAccess,
  build(c, ctx) {
    const es = resolveImage(ELASTICSEARCH_IMAGE, c);
    const applications: ElasticsearchApplication[] = consumersOf(ctx, elasticsearchAccess).map((a) => ({
      consumer: a.name,
      user: a.name,
      role: `app-${a.name}`,
      indices: a.access.indices ?? [`${a.name}-*`],
      auth: a.access.auth,
      secret: consumerSecret(a.name, 'password'),
      ...(a.configPath ? { configPath: a.configPath } : {}),
    }));
    // The users with a generated password: every one where search runs as this container or in a
    // cluster (IAM identities are Amazon OpenSearch Service's, and the checks refuse them elsewhere:
    // `requirements.managed`).
    const apps = passwordApplications(applications);
    const iam = applications.filter((a) => a.auth === 'iam');
    // elasticsearch.yml in order; `layout` settings describe this single node (discovery, addresses,
    // paths, TLS, realms), the rest suit any deployment and are the facet's settings.
    // Internal TLS on the HTTP port (internalTls): HTTPS with the internal CA's certificate; the clients
    // (health check, setup job, exporter, Kibana, applications) verify it. One port serves one protocol:
    // under internalTls.plaintext it stays HTTP (PLAT-NET-005 lists it). The transport port stays as it is
    // (a single node has no peers; ECK serves its own transport TLS on a cluster).
    const tlsOn = ctx.tls !== undefined && !ctx.tls.plaintext;
    const scheme = tlsOn ? 'https' : 'http';
    const esTls = tlsPaths(ES_TLS_DIR);
    const clientTls = tlsPaths();
    const esSettings: { key: string; value: string | boolean; layout?: true }[] = [
      { key: 'cluster.name', value: `platform-${ctx.environment}`, layout: true },
      { key: 'node.name', value: 'elasticsearch', layout: true },
      { key: 'network.host', value: '0.0.0.0', layout: true },
      { key: 'http.port', value: '9200', layout: true },
      { key: 'discovery.type', value: 'single-node', layout: true },
      { key: 'path.data', value: '/usr/share/elasticsearch/data', layout: true },
      { key: 'xpack.security.enabled', value: true, layout: true },
      { key: 'xpack.security.enrollment.enabled', value: false },
      // A single node has no transport peers; HTTP stays on the private service network unless internalTls.
      ...(tlsOn
        ? [
            { key: 'xpack.security.http.ssl.enabled', value: true, layout: true as const },
            { key: 'xpack.security.http.ssl.certificate', value: esTls.cert, layout: true as const },
            { key: 'xpack.security.http.ssl.key', value: esTls.key, layout: true as const },
            { key: 'xpack.security.http.ssl.certificate_authorities', value: `[ "${esTls.ca}" ]`, layout: true as const },
          ]
        : [{ key: 'xpack.security.http.ssl.enabled', value: false, layout: true as const }]),
      { key: 'xpack.security.transport.ssl.enabled', value: false, layout: true },
      // The file realm holds the platform's administrator (a bcrypt hash in config/users), so its
      // password follows the generated secret on every start; the native realm holds the rest.
      { key: 'xpack.security.authc.realms.file.platform.order', value: '0', layout: true },
      { key: 'xpack.security.authc.realms.native.native.order', value: '1', layout: true },
      { key: 'ingest.geoip.downloader.enabled', value: false },
      { key: 'action.destructive_requires_name', value: true },
    ];
    const esConfig = [...esSettings.map((x) => `${x.key}: ${x.value}`), ''].join('\n');
    const javaOpts = (q: string) => {
      const size = formatBinarySize(memoryBytes(q), { k: 'k', m: 'm', g: 'g' });
      return `-Xms${size} -Xmx${size}`;
    };
    // Backups: the cluster's own snapshots (SLM) into the platform's backup bucket, at the RPO's
    // interval and in daily/weekly/monthly tiers (elasticsearch-snapshots.ts). The realizations
    // register the repository where the target has a store: the platform's (a key in the keystore)
    // or S3 on EKS (an IAM role for the nodes' service account).
    const plan = backupPlan(ctx.backups, {
      service: 'elasticsearch',
      method: 'snapshot-repository',
      description: `snapshots by the cluster's snapshot lifecycle management into ${ctx.backups?.bucket ?? 'the backup bucket'}/elasticsearch/ (repository ${SNAPSHOT_REPOSITORY}): every index and the cluster state at the RPO's interval, and daily, weekly and monthly snapshots kept by count and age`,
      volumes: ['data'],
      consistency: 'online',
      gaps: "no repository where the environment has no object store; with the platform's object store the snapshots stay in the same store as everything else (copy it off the host, docs/operations.md \"Object store\"); on EKS they go to the environment's S3 backup bucket through an IAM role for the nodes' service account (IRSA: repository-s3 reads Pod Identity credentials from Elasticsearch 9.6 on only)",
    });
    const repository =
      plan && ctx.backups
        ? {
            repository: SNAPSHOT_REPOSITORY,
            client: SNAPSHOT_CLIENT,
            bucket: ctx.backups.bucket,
            basePath: plan.prefix,
            policies: slmPolicies(plan, plan.retention, ctx.backups.windowMinute),
          }
        : undefined;
    const snapshotScript = repository ? snapshotSetupScript(repository) : undefined;
    const snapshots: ElasticsearchSnapshots | undefined =
      plan && repository && snapshotScript
        ? {
            ...repository,
            job: snapshotJobAs(
              job(ctx, {
                name: 'snapshot-repository',
                description: `Registers the snapshot repository ${SNAPSHOT_REPOSITORY} (${ctx.backups!.bucket}/${plan.prefix}/) and the snapshot lifecycle policies, and has the nodes reload the store's key`,
                image: es,
                user: '1000:0',
                command: ['/bin/bash', '-c', snapshotScript],
                env: {
                  ES_URL: tpl`${scheme}://${hostRef('elasticsearch')}:9200`,
                  ...(tlsOn ? { CURL_CA_BUNDLE: clientTls.ca } : {}),
                },
                timeoutSeconds: 900,
                // mktemp: curl's config file and the bodies (a read-only root elsewhere).
                scratchPaths: ['/tmp'],
                ...(tlsOn ? { trusts: trustInternalCa('elasticsearch') } : {}),
              }),
              'platform_admin',
              'admin-password',
            ),
          }
        : undefined;
    const facet: ElasticsearchFacet = {
      settings: Object.fromEntries(esSettings.filter((x) => !x.layout).map((x) => [x.key, x.value])),
      javaOpts: javaOpts(c.heap),
      topology: c.topology,
      applications,
      ...(snapshots ? { snapshots } : {}),
      ...(c.topology === 'dedicated' && c.masters
        ? { masters: { resources: c.masters.resources, javaOpts: javaOpts(c.masters.heap), size: c.masters.persistence.size } }
        : {}),
    };
    const adminPassword = secretValueFile('elasticsearch', 'admin-password');
    const elasticPassword = secretValueFile('elasticsearch', 'elastic-password');
    const kibanaSystemPassword = secretValueFile('elasticsearch', 'kibana-system-password');
    const exporterPassword = secretValueFile('elasticsearch', 'exporter-password');
    // Curl reads the credentials from a file, never from its command line.
    const curlAuth = (user: string, file: string) => `printf 'user = "${user}:%s"\\n' "$(cat ${file})" | curl -K - -fsS`;
    // Runs after the node is healthy and whenever a password it applies changes: sets the built-in
    // users' passwords and the exporter's user to the current generated values, as the file-realm
    // administrator (whose password the node always knows), so rotation needs no old password.
    const setup = [
      'set -euo pipefail',
      'umask 077',
      'tmp=$(mktemp -d)',
      'trap \'rm -rf "$tmp"\' EXIT',
      `printf 'user = "platform_admin:%s"\\n' "$(cat "$ADMIN_PASSWORD_FILE")" >"$tmp/auth"`,
      'es() { curl -fsS -K "$tmp/auth" -H "Content-Type: application/json" "$@" >/dev/null; }',
      'body() { printf "$1" "$(cat "$2")" >"$tmp/body"; }',
      'for attempt in $(seq 1 60); do',
      '  es "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=10s" && break',
      '  [ "$attempt" -eq 60 ] && { echo "elasticsearch did not become ready" >&2; exit 1; }',
      '  sleep 5',
      'done',
      `body '{"password":"%s"}' "$ELASTIC_PASSWORD_FILE"`,
      'es -X POST "$ES_URL/_security/user/elastic/_password" --data-binary @"$tmp/body"',
      `body '{"password":"%s"}' "$KIBANA_SYSTEM_PASSWORD_FILE"`,
      'es -X POST "$ES_URL/_security/user/kibana_system/_password" --data-binary @"$tmp/body"',
      `es -X PUT "$ES_URL/_security/role/prometheus_exporter" --data-binary '{"cluster":["monitor"],"indices":[{"names":["*"],"privileges":["monitor"]}]}'`,
      `body '{"password":"%s","roles":["prometheus_exporter"]}' "$EXPORTER_PASSWORD_FILE"`,
      'es -X PUT "$ES_URL/_security/user/prometheus_exporter" --data-binary @"$tmp/body"',
      '',
    ].join('\n');
    // The exporter's credentials in a file: its auth module (`--config.file`), which only its /probe
    // endpoint uses (v1.11.0 reads a password for /metrics from ES_PASSWORD in its environment only).
    // Prometheus scrapes /probe with the target and the module; the exporter reaches only its service.
    const exporterConfig = secretFile(
      EXPORTER_CONFIG,
      tpl`auth_modules:\n  ${EXPORTER_AUTH_MODULE}:\n    type: userpass\n    userpass:\n      username: prometheus_exporter\n      password: "${secretRef('elasticsearch', 'exporter-password')}"\n`,
      { format: 'elasticsearch-exporter.yml' },
    );
    const esMetrics = exporter(ctx, {
      image: ELASTICSEARCH_EXPORTER_IMAGE,
      port: 9114,
      healthPath: '/healthz',
      args: [
        `--config.file=${EXPORTER_CONFIG}`,
        '--es.all',
        '--es.indices',
        '--web.listen-address=:9114',
        // The internal CA for every target it probes.
        ...(tlsOn ? [`--es.ca=${clientTls.ca}`] : []),
      ],
      files: [exporterConfig],
      metricsPath: '/probe',
      ...elasticsearchMetrics(),
    });
    const esMetricsEndpoint = {
      ...esMetrics.metrics,
      params: { target: [tpl`${scheme}://${hostRef('elasticsearch')}:9200`], auth_module: [EXPORTER_AUTH_MODULE] },
    };
    const search: ServiceSpec<'elasticsearch', ElasticsearchFacet> = {
      ...identity(SERVICE, c.replicas),
      description: 'Full-text search and log analytics, security enabled.',
      facet,
      managed: 'opensearch',
      ...(c.topology === 'dedicated' || iam.length > 0
        ? {
            requirements: {
              ...(c.topology === 'dedicated'
                ? {
                    cluster: {
                      path: 'services.elasticsearch.topology',
                      message:
                        "dedicated master nodes need a cluster target (a single Docker host runs one node); use topology: 'combined'",
                    },
                  }
                : {}),
              // IAM authentication exists where Amazon OpenSearch Service replaces this spec only: each consumer asking for it is refused elsewhere.
              ...(iam.length > 0
                ? {
                    managed: iam.map((a) => ({
                      path: `${a.configPath ?? `consumers (${a.consumer}).services.elasticsearch`}.auth`,
                      message: `consumer ${a.consumer} asks for IAM authentication: ${IAM_AUTH_NEEDS_OPENSEARCH}`,
                    })),
                  }
                : {}),
            },
          }
        : {}),
      secrets: [
        {
          name: 'admin-password',
          description: 'Password of platform_admin, the file-realm superuser the setup job and health check use',
          length: 32,
        },
        { name: 'elastic-password', description: 'Password of the elastic superuser (for people; set by the setup job)', length: 32 },
        { name: 'kibana-system-password', description: 'Password of the kibana_system user (set by the setup job)', length: 32 },
        { name: 'exporter-password', description: 'Password of the prometheus_exporter user (monitor privileges only)', length: 32 },
        ...apps.map((a) => ({
          name: a.secret,
          description: `Password of the "${a.user}" user (consumer ${a.consumer}: role ${a.role}, indices ${a.indices.join(' ')})`,
          length: 32,
          audience: 'application' as const,
        })),
      ],
      volumes: [{ name: 'data', size: c.persistence.size, description: 'Indices', backup: true }],
      ...withBackup(plan),
      jobs: [
        job(ctx, {
          name: 'setup-security',
          description:
            'Sets the elastic and kibana_system passwords and the least-privilege prometheus_exporter user to the current generated values',
          image: es,
          user: '1000:0',
          command: ['/bin/bash', '-c', setup],
          env: {
            ES_URL: tpl`${scheme}://${hostRef('elasticsearch')}:9200`,
            // curl verifies the server against the internal CA.
            ...(tlsOn ? { CURL_CA_BUNDLE: clientTls.ca } : {}),
            ADMIN_PASSWORD_FILE: adminPassword.path,
            ELASTIC_PASSWORD_FILE: elasticPassword.path,
            KIBANA_SYSTEM_PASSWORD_FILE: kibanaSystemPassword.path,
            EXPORTER_PASSWORD_FILE: exporterPassword.path,
          },
          files: [adminPassword, elasticPassword, kibanaSystemPassword, exporterPassword],
          applies: [
            secretRef('elasticsearch', 'elastic-password'),
            secretRef('elasticsearch', 'kibana-system-password'),
            secretRef('elasticsearch', 'exporter-password'),
          ],
          timeoutSeconds: 600,
          ...(tlsOn ? { trusts: trustInternalCa('elasticsearch') } : {}),
        }),
      ],
      dependsOn: [],
      containers: [
        {
          name: 'main',
          image: es,
          // The image's own identity (uid 1000, group 0), which owns its config and data directories.
          user: '1000:0',
          env: { ES_JAVA_OPTS: facet.javaOpts },
          ports: [
            port('http', 9200, 'client', 'http', c.hostPorts),
            port('transport', 9300, 'cluster', 'elasticsearch-transport', c.hostPorts),
          ],
          mounts: [{ volume: 'data', path: '/usr/share/elasticsearch/data' }],
          // xpack.security.http.ssl.certificate_authorities, and the health check's curl.
          ...(tlsOn ? { trusts: trustInternalCa('elasticsearch', ES_TLS_DIR) } : {}),
          files: [
            { path: ES_CONFIG, content: esConfig, mode: 0o644, format: 'elasticsearch.yml' },
            // The file realm: the administrator and each application (bcrypt hashes), their roles.
            secretFile(
              `${ES_CONFIG_DIR}/users`,
              joinTemplates(
                [
                  tpl`platform_admin:${{ ...secretRef('elasticsearch', 'admin-password'), form: 'bcrypt' }}\n`,
                  ...apps.map((a) => tpl`${a.user}:${{ ...secretRef('elasticsearch', a.secret), form: 'bcrypt' }}\n`),
                ],
                '',
              ),
              { format: 'es-users' },
            ),
            {
              path: `${ES_CONFIG_DIR}/users_roles`,
              content: ['superuser:platform_admin', ...apps.map((a) => `${a.role}:${a.user}`), ''].join('\n'),
              mode: 0o644,
              format: 'es-users-roles',
            },
            ...(apps.length
              ? [{ path: `${ES_CONFIG_DIR}/roles.yml`, content: applicationRoles(apps), mode: 0o644, format: 'es-roles' }]
              : []),
            adminPassword,
          ],
          health: shellHealth(
            `${curlAuth('platform_admin', adminPassword.path)}${tlsOn ? ` --cacert ${esTls.ca}` : ''} "${scheme}://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null`,
            { intervalSeconds: 15, timeoutSeconds: 10, startPeriodSeconds: 90, retries: 8 },
          ),
          resources: c.resources,
          ulimits: [{ name: 'nofile', soft: 65535, hard: 65535 }],
          stopGracePeriodSeconds: 120,
        },
        tlsOn ? { ...esMetrics.container, trusts: trustInternalCa('elasticsearch') } : esMetrics.container,
      ],
      metrics: esMetricsEndpoint,
      ...(tlsOn
        ? {
            certificates: [internalCertificate('HTTPS client connections to Elasticsearch (internalTls)', 'main', ES_TLS_DIR)],
            tls: { ports: ['http'], description: 'HTTPS on 9200 (the internal CA; clients log in with their passwords)' },
          }
        : ctx.tls
          ? {
              tls: {
                ports: [],
                plaintextPorts: ['http'],
                description: 'none while internalTls.plaintext: Elasticsearch serves one HTTP port',
              },
            }
          : {}),
      consumers: applications.map((a): ConsumerAccess => ({
        consumer: a.consumer,
        ports: ['http'],
        facts: {
          url: tpl`${scheme}://${hostRef('elasticsearch')}:9200`,
          indices: a.indices.join(' '),
          ...(tlsOn ? { tls: "required: verify the server against the environment's internal CA (the ca_certificate output)" } : {}),
        },
        credentials: a.auth === 'iam' ? {} : { username: a.user, password: tpl`${secretRef('elasticsearch', a.secret)}` },
        grants:
          a.auth === 'iam'
            ? `role ${a.role}, mapped to the consumer's IAM role (a backend role): ${APPLICATION_INDEX_PRIVILEGES.join(', ')} on ${a.indices.join(' ')}; cluster monitor; nothing else; signs its requests with that role (SigV4, service es; no user, no password)`
            : `user ${a.user}, role ${a.role}: ${APPLICATION_INDEX_PRIVILEGES.join(', ')} on ${a.indices.join(' ')}; cluster monitor; nothing else`,
      })),
    };
    if (!c.kibana.enabled) return [search];

    const k = c.kibana;
    const probePassword = secretValueFile('elasticsearch', 'exporter-password');
    // kibana.yml: the layout (name, listener, the Elasticsearch connection as kibana_system and the
    // encryption keys, which carry generated values), then the settings any deployment takes. A
    // secret file as a whole: Kibana reads its settings only from here or from the environment.
    const kibanaSettings: Readonly<Record<string, string | boolean>> = {
      'server.shutdownTimeout': '10s',
      'status.allowAnonymous': false,
      'telemetry.optIn': false,
      'telemetry.allowChangingOptInStatus': false,
      'monitoring.ui.container.elasticsearch.enabled': true,
    };
    const yamlValue = (v: string | boolean) => (typeof v === 'string' ? `"${v}"` : String(v));
    const kibanaFacet: KibanaFacet = {
      settings: kibanaSettings,
      encryptionKeys: KIBANA_ENCRYPTION_KEYS,
      env: { NODE_OPTIONS: `--max-old-space-size=${Math.floor(memoryMebibytes(k.resources.limits.memory) * 0.75)}` },
    };
    // The server.* settings sit with the server's own lines.
    const server = Object.entries(kibanaSettings).filter(([key]) => key.startsWith('server.'));
    const rest = Object.entries(kibanaSettings).filter(([key]) => !key.startsWith('server.'));
    const kibanaConfig = joinTemplates(
      [
        'server.name: kibana',
        'server.host: "0.0.0.0"',
        'server.port: 5601',
        ...server.map(([key, v]) => `${key}: ${yamlValue(v)}`),
        tpl`elasticsearch.hosts: ["${scheme}://${hostRef('elasticsearch')}:9200"]`,
        ...(tlsOn ? [`elasticsearch.ssl.certificateAuthorities: ["${clientTls.ca}"]`, 'elasticsearch.ssl.verificationMode: full'] : []),
        'elasticsearch.username: "kibana_system"',
        tpl`elasticsearch.password: "${secretRef('elasticsearch', 'kibana-system-password')}"`,
        ...Object.entries(KIBANA_ENCRYPTION_KEYS).map(([setting, secret]) => tpl`${setting}: "${secretRef('kibana', secret)}"`),
        ...rest.map(([key, v]) => `${key}: ${yamlValue(v)}`),
        '',
      ],
      '\n',
    );
    const kibanaMetrics = probe(ctx, {
      service: 'kibana',
      port: 5601,
      path: '/api/status',
      bodyMatches: '"level":"available"',
      basicAuth: { username: 'prometheus_exporter', passwordFile: probePassword },
    });
    const kibana: ServiceSpec<'kibana', KibanaFacet> = {
      name: 'kibana',
      component: 'elasticsearch',
      configPath: 'services.elasticsearch.kibana',
      description: 'Kibana, connected to Elasticsearch as kibana_system.',
      concern: 'data',
      replicas: k.replicas,
      scaling: { kind: 'fixed' },
      facet: kibanaFacet,
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
          user: '1000:0',
          env: { ...kibanaFacet.env },
          ports: [{ ...port('http', 5601, 'ui', 'http', k.hostPorts), external: true }],
          mounts: [],
          files: [secretFile(KIBANA_CONFIG, kibanaConfig, { format: 'kibana.yml' }), probePassword],
          // elasticsearch.ssl.certificateAuthorities (internalTls).
          ...(tlsOn ? { trusts: trustInternalCa('elasticsearch') } : {}),
          // Status is not anonymous: the check signs in as the monitoring user.
          health: shellHealth(
            `${curlAuth('prometheus_exporter', probePassword.path)} http://127.0.0.1:5601/api/status | grep -q '"level":"available"'`,
            { intervalSeconds: 15, timeoutSeconds: 10, startPeriodSeconds: 120, retries: 8 },
          ),
          resources: k.resources,
          stopGracePeriodSeconds: 30,
        },
        kibanaMetrics.container,
      ],
      metrics: kibanaMetrics.metrics,
    };
    return [search, kibana];
  },
});

/**
 * The OpenSearch security plugin's action groups an application's role gets on its own indices: the
 * equivalents of APPLICATION_INDEX_PRIVILEGES (read and write, create and manage its indices), and
 * on the cluster what clients need for bulk and multi-search requests and the version check.
 */
export const OPENSEARCH_INDEX_ACTIONS = ['crud', 'create_index', 'manage'] as const;
export const OPENSEARCH_CLUSTER_ACTIONS = ['cluster_monitor', 'cluster_composite_ops'] as const;

/**
 * An application of an OpenSearch domain (the managed equivalent's): its internal user, or with
 * `iamRole` the name of the IAM role its pods sign their requests with (no internal user then).
 */
export interface OpenSearchApplication {
  readonly consumer: string;
  readonly user: string;
  readonly role: string;
  readonly indices: readonly string[];
  /** The IAM role's name (its ARN: `$IAM_ROLE_ARN_PREFIX<name>`), mapped to `role` as a backend role. @default none: a password user */
  readonly iamRole?: string;
}

/**
 * The script of the job that applies the applications' internal users, roles and role mappings on
 * an OpenSearch domain through the security plugin's REST API, as its master user. Every call is a
 * PUT of the whole object, so a run creates what is missing and sets the current passwords (a rerun
 * changes nothing else). Reads the master's user name and password from `$MASTER_DIR`, each
 * password application's password from `$INPUTS_DIR/<consumer>`, the domain's URL from
 * OPENSEARCH_URL. Credentials go into curl's config file (0600, removed on exit), never on argv.
 *
 * An application on IAM authentication gets no internal user: its role's mapping names its IAM role's
 * ARN (`$IAM_ROLE_ARN_PREFIX` and the role's name) as a backend role and no user, and the internal
 * user it had while it logged in with a password is deleted (absent already: fine), so that password
 * stops working. Back on a password, the mapping (a PUT replaces it whole) names the user again and
 * no backend role, and the user is put with a new password.
 */
export function openSearchUsersScript(apps: readonly OpenSearchApplication[]): string {
  const json = (v: unknown) => `'${JSON.stringify(v)}'`;
  const role = (a: OpenSearchApplication) => [
    `printf '%s' ${json({
      cluster_permissions: OPENSEARCH_CLUSTER_ACTIONS,
      index_permissions: [{ index_patterns: a.indices, allowed_actions: OPENSEARCH_INDEX_ACTIONS }],
    })} >"$W/role"`,
    `put roles/${a.role} "$W/role"`,
  ];
  const iam = apps.some((a) => a.iamRole !== undefined);
  return [
    ...curlAdminPreamble(),
    "# put PATH FILE: the object at _plugins/_security/api/PATH, replaced by the file's JSON",
    'put() { curl -K "$W/cfg" -X PUT --data-binary @"$2" "${OPENSEARCH_URL%/}/_plugins/_security/api/$1"; echo; }',
    ...(iam
      ? [
          '# gone PATH: the object at _plugins/_security/api/PATH deleted; already absent (404) is fine, anything else fails',
          'gone() {',
          `  code=$(curl -K "$W/cfg" --no-fail-with-body -o "$W/out" -w '%{http_code}' -X DELETE "\${OPENSEARCH_URL%/}/_plugins/_security/api/$1")`,
          '  case "$code" in',
          '    200 | 404) echo "$1: $code" ;;',
          '    *) cat "$W/out" >&2; echo "DELETE $1: HTTP $code" >&2; return 1 ;;',
          '  esac',
          '}',
        ]
      : []),
    ...apps.flatMap((a) =>
      a.iamRole === undefined
        ? [
            `# ${a.consumer}: user ${a.user}, role ${a.role} on ${a.indices.join(' ')}`,
            `password=$(cat "$INPUTS_DIR/${a.consumer}")`,
            `printf '{"password":"%s","backend_roles":[],"attributes":{}}' "$password" >"$W/user"`,
            `put internalusers/${a.user} "$W/user"`,
            ...role(a),
            // The user alone: a backend role it had on IAM authentication goes with the old mapping.
            `printf '%s' ${json({ users: [a.user], backend_roles: [] })} >"$W/mapping"`,
            `put rolesmapping/${a.role} "$W/mapping"`,
          ]
        : [
            `# ${a.consumer}: IAM role ${a.iamRole} (a backend role, no internal user), role ${a.role} on ${a.indices.join(' ')}`,
            ...role(a),
            `printf '{"users":[],"backend_roles":["%s%s"]}' "$IAM_ROLE_ARN_PREFIX" '${a.iamRole}' >"$W/mapping"`,
            `put rolesmapping/${a.role} "$W/mapping"`,
            `# the internal user it had while it logged in with a password, if any: its password no longer works`,
            `gone internalusers/${a.user}`,
          ],
    ),
    `echo "applied: ${apps.map((a) => (a.iamRole === undefined ? `user ${a.user}` : `IAM role ${a.iamRole} as ${a.role}`)).join(', ')}"`,
    '',
  ].join('\n');
}
