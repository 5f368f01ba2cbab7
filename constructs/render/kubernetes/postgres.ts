/**
 * PostgreSQL on CloudNativePG: automated failover (promotion, fencing, replica rewiring) needs an
 * operator. The operator comes from its chart (cloudnative-pg 0.29.0); the `Cluster` resource from
 * CloudNativePG's own `cluster` chart (0.8.1), so nothing needs the CRD at plan time.
 *
 * From the spec: the tuning (as PostgreSQL parameters), the database and its owner, the resources and
 * the volume size. Passwords: the generated owner and exporter passwords go into
 * `kubernetes.io/basic-auth` Secrets that the cluster's managed roles reference, so the operator
 * re-applies a rotated password (the Docker target's apply-roles job). The superuser has no password
 * (break-glass access through `kubectl cnpg psql`). Metrics: each instance serves them natively on
 * 9187 (the spec's exporter sidecar is not needed). Clients use `postgres-rw` (the primary).
 *
 * Backups (with a backup plan and the platform's object store holding the backup bucket): the Barman
 * Cloud plugin (chart plugin-barman-cloud, in the operator's namespace; its Issuer and Certificates
 * need cert-manager) archives every WAL segment to `s3://<bucket>/<plan prefix>/<cluster>/wals` as it
 * fills or after CloudNativePG's `archive_timeout` (5 min), and takes a base backup daily at the
 * environment's backup window (a ScheduledBackup from the cluster chart). The plugin's ObjectStore
 * (`<cluster>-backups`, a Helm hook of the cluster chart) signs with the backup key from a Secret
 * the stack writes; its recovery window is the retention's daily days. The in-tree
 * `barmanObjectStore` is not used: it is deprecated since 1.26, removed in 1.31, and the `minimal`
 * operand images have no barman-cloud tools.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease, SecretV1 } from '../../providers/kubernetes';
import { type PostgresFacet, applicationHba, passwordApplications } from '../../services/postgres';
import type { ServiceSpec } from '../../spec/types';
import { secretRef } from '../../spec/template';
import { holdsData, pinAddress } from '../terraform';
import type { K8sContext, Realization, Realized } from './context';
import type { OperatorChart } from './operators';
import { chartPodLabels } from './pod-policy';
import { amountsOf, readsAs } from './footprint';
import { canonicalMemory, canonicalResources } from '../../targets/kubernetes/quantities';
import { BARMAN_CLOUD, BARMAN_CLOUD_PLUGIN, barmanSidecar } from '../../targets/kubernetes/postgres';
import { type BackupStore, platformStore, storeEndpoint } from '../../services/backup';
import { renderText } from '../../spec/template';

export const CNPG_OPERATOR: OperatorChart = {
  name: 'cnpg',
  namespace: 'cnpg-system',
  repository: 'https://cloudnative-pg.github.io/charts',
  chart: 'cloudnative-pg',
  version: '0.29.0',
  // Its pods run as uid 10001, read-only, all capabilities dropped, RuntimeDefault seccomp.
  podSecurity: 'restricted',
  values: {
    crds: { create: true },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    monitoring: { podMonitorEnabled: false },
  },
  pod: (p) => ({
    podLabels: chartPodLabels(p),
    podSecurityContext: p.podSecurityContext,
    containerSecurityContext: p.containerSecurityContext,
    // Labels a Cluster's instances inherit from the Cluster (internal/configuration: INHERITED_LABELS,
    // glob patterns): the pod policy's, which the Cluster carries (cluster.additionalLabels).
    config: { data: { INHERITED_LABELS: Object.keys(chartPodLabels(p)).join(', ') } },
  }),
  // replicaCount: the chart's default, 1 (cloudnative-pg 0.29.0 values.yaml).
  footprint: (v) => [
    {
      name: 'cloudnative-pg',
      namespace: 'cnpg-system',
      replicas: v.replicaCount ?? 1,
      containers: [amountsOf('manager', v.resources)],
      storage: [],
      ...(v.replicaCount === undefined ? { source: 'replicas: cloudnative-pg 0.29.0 default replicaCount' } : {}),
    },
  ],
};

/**
 * The Barman Cloud plugin (chart 0.7.0), beside the CloudNativePG operator in its namespace: the
 * operator finds it by its Service's `cnpg.io/pluginName` label there. Its pods run as uid 10001,
 * read-only, all capabilities dropped (the chart's defaults), with the platform's pod policy.
 */
export const BARMAN_CLOUD_OPERATOR: OperatorChart = {
  name: 'barman-cloud',
  namespace: CNPG_OPERATOR.namespace,
  ...BARMAN_CLOUD.chart,
  podSecurity: 'restricted',
  values: {
    crds: { create: true },
    image: { registry: 'ghcr.io', repository: 'cloudnative-pg/plugin-barman-cloud', tag: BARMAN_CLOUD.image.tag },
    sidecarImage: { registry: 'ghcr.io', repository: 'cloudnative-pg/plugin-barman-cloud-sidecar', tag: BARMAN_CLOUD.sidecar.tag },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  },
  pod: (p) => ({
    podLabels: chartPodLabels(p),
    podSecurityContext: p.podSecurityContext,
    containerSecurityContext: p.containerSecurityContext,
  }),
  // replicaCount: the chart's default, 1 (plugin-barman-cloud 0.7.0 values.yaml).
  footprint: (v) => [
    {
      name: 'plugin-barman-cloud',
      namespace: CNPG_OPERATOR.namespace,
      replicas: v.replicaCount ?? 1,
      containers: [amountsOf('barman-cloud', v.resources)],
      storage: [],
      ...(v.replicaCount === undefined ? { source: 'replicas: plugin-barman-cloud 0.7.0 default replicaCount' } : {}),
    },
  ],
};

/** The uid and gid CloudNativePG runs PostgreSQL as (Cluster.spec.postgresUID/GID default). */
const CNPG_UID = 26;

export const CNPG_CLUSTER_CHART = { repository: 'https://cloudnative-pg.github.io/charts', chart: 'cluster', version: '0.8.1' } as const;

/** CloudNativePG's operand images (Debian trixie, `minimal`: core + contrib, which has pg_stat_statements). */
export const CNPG_IMAGES: Readonly<Record<string, string>> = {
  '18': 'ghcr.io/cloudnative-pg/postgresql:18.6-minimal-trixie',
  '17': 'ghcr.io/cloudnative-pg/postgresql:17.11-minimal-trixie',
  '16': 'ghcr.io/cloudnative-pg/postgresql:16.15-minimal-trixie',
  '15': 'ghcr.io/cloudnative-pg/postgresql:15.19-minimal-trixie',
};

/** The operator's ports on an instance: 8000 status (the operator asks it), 9187 metrics. */
const STATUS_PORT = 8000;

export const postgres: Realization<PostgresFacet> = {
  describe: () =>
    `CloudNativePG operator (chart cloudnative-pg ${CNPG_OPERATOR.version}) + Cluster (chart cluster ${CNPG_CLUSTER_CHART.version}); backups: Barman Cloud plugin (chart plugin-barman-cloud ${BARMAN_CLOUD.chart.version}), WAL archive + daily base backup`,
  why: () =>
    'Failover (promotion, fencing, rewiring replicas) needs an operator; CloudNativePG is maintained and ships a chart for its Cluster resource, so nothing needs the CRD at plan time; managed roles re-apply rotated passwords.',
  serviceName: (spec) => `${spec.name}-rw`,
  // With internal TLS the server certificate (cert-manager, the internal CA) names every Service of the Cluster.
  serverNames: (spec) => [`${spec.name}-r`, `${spec.name}-ro`],
  // CloudNativePG watches Secrets with this label and reloads PostgreSQL when a renewed certificate lands.
  certificateLabels: { 'cnpg.io/reload': 'true' },
  // Without internal TLS CloudNativePG serves TLS with its own CA (whose Secret also holds the CA's key,
  // so it is not shared): the connection is encrypted; a client that must verify the server asks the
  // platform team for the CA. With it, the spec's facts stand: verify-full against the internal CA.
  consumerFacts: (spec, facts) => (internalTlsOf(spec) ? { ...facts } : { ...facts, sslmode: 'require' }),
  render: (scope, ctx, spec, dependsOn) => new CloudNativePg(scope, spec.name, ctx, spec, dependsOn).realized,
};

/** The spec's internal TLS certificate (`internalTls`), and whether plaintext is kept beside it. */
function internalTlsOf(spec: ServiceSpec): { readonly certificate: string; readonly plaintext: boolean } | undefined {
  const cert = (spec.certificates ?? []).find((c) => c.internal);
  return cert ? { certificate: cert.name, plaintext: (spec.tls?.plaintextPorts ?? []).length > 0 } : undefined;
}

class CloudNativePg extends Construct {
  readonly realized: Realized;

  constructor(
    scope: Construct,
    id: string,
    ctx: K8sContext,
    spec: ServiceSpec<string, PostgresFacet>,
    dependsOn: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    const ns = ctx.namespaceOf(spec);
    const main = spec.containers[0]!;
    const operator = ctx.operators.use(CNPG_OPERATOR);
    const { database, owner, majorVersion: major, parameters } = spec.facet;
    const image = major ? CNPG_IMAGES[major] : undefined;
    if (!image) throw new Error(`${spec.configPath}: no CloudNativePG image for PostgreSQL ${main.image.tag}`);
    const labels = { ...ctx.commonLabels, 'app.kubernetes.io/name': spec.name };
    // CloudNativePG's instances run as its postgres user (26), which also owns the volumes.
    const policy = ctx.podPolicy({
      selector: { 'cnpg.io/cluster': spec.name },
      replicas: spec.replicas,
      data: true,
      user: `${CNPG_UID}:${CNPG_UID}`,
    });

    // `cnpg.io/reload`: the operator re-applies a changed password at once (declarative role management).
    const basicAuth = (name: string, username: string, secret: string) =>
      pinAddress(
        new SecretV1(this, name, {
          metadata: { name, namespace: ns, labels: { ...labels, 'cnpg.io/reload': 'true' } },
          type: 'kubernetes.io/basic-auth',
          data: { username, password: ctx.secrets.value(secretRef(spec.name, secret)) },
          dependsOn: [...ctx.foundation],
        }),
        spec.name,
        name.replace(`${spec.name}-`, ''),
        'secret',
      );
    const app = basicAuth(`${spec.name}-app`, owner, 'password');
    const exporter = basicAuth(`${spec.name}-exporter`, 'prometheus_exporter', 'exporter-password');
    // Password roles only: IAM authentication is RDS's (the checks refuse it in a cluster).
    const apps = passwordApplications(spec.facet.applications).map((a) => ({
      ...a,
      secretName: `${spec.name}-consumer-${a.consumer}`,
      basicAuth: basicAuth(`${spec.name}-consumer-${a.consumer}`, a.role, a.secret),
    }));
    const volume = spec.volumes.find((v) => v.name === 'data')!;
    // Internal TLS: the server certificate and its CA from cert-manager's Secret (tls.crt, tls.key, ca.crt),
    // and every network connection over TLS unless plaintext is kept for the move.
    const tls = internalTlsOf(spec);
    const tlsSecret = tls ? ctx.certificatesOf(spec).secrets[tls.certificate] : undefined;
    const hbaType = tls && !tls.plaintext ? 'hostssl' : 'host';

    // Backups: WAL archiving and daily base backups through the Barman Cloud plugin, to the platform's store.
    // The target's store where it gives one (AWS: S3 through Pod Identity, as the instances' service
    // account, which CloudNativePG names after the cluster), else the platform's object store.
    const store = ctx.cluster.backupStore?.store ?? platformStore(ctx.specs);
    const plan = spec.backup;
    const sidecar = barmanSidecar(spec);
    const backups =
      plan && sidecar && store && !(store.kind === 'keys' && store.service === spec.name) && spec.facet.baseBackupMinute !== undefined
        ? { plan, store, sidecar, minute: spec.facet.baseBackupMinute }
        : undefined;
    const resolve = ctx.resolver(spec);
    const backupCredentials =
      backups?.store.kind === 'keys'
        ? pinAddress(
            new SecretV1(this, 'backup-s3', {
              metadata: { name: `${spec.name}-backup-s3`, namespace: ns, labels: { ...labels, 'cnpg.io/reload': 'true' } },
              // The keys the cluster chart's s3Credentials name (backups.secret.name).
              data: {
                ACCESS_KEY_ID: renderText(backups.store.accessKeyId.content, resolve),
                ACCESS_SECRET_KEY: renderText(backups.store.secretAccessKey.content, resolve),
              },
              dependsOn: [...ctx.foundation],
            }),
            spec.name,
            'backup-s3',
            'secret',
          )
        : undefined;
    // Beside an operator the cluster already runs (another environment's, or the cluster's own), the
    // plugin is that installation's too: a second one would clash with its Service and CRDs.
    const ownOperator = ctx.cluster.existingOperators?.[CNPG_OPERATOR.name] === undefined;
    const plugin =
      backups && ownOperator
        ? [ctx.operators.companion(BARMAN_CLOUD_OPERATOR, operator.namespace, [...operator.ready, ...ctx.certManager()])]
        : [];

    const values = {
      fullnameOverride: spec.name,
      type: 'postgresql',
      mode: 'standalone',
      version: { postgresql: major },
      cluster: {
        instances: spec.replicas,
        imageName: image,
        storage: { size: canonicalMemory(volume.size), ...(ctx.cluster.storageClass ? { storageClass: ctx.cluster.storageClass } : {}) },
        resources: canonicalResources(main.resources),
        // The pod policy: the Cluster's labels (the operator copies them to the instances: its
        // INHERITED_LABELS), priority, and the security contexts. Instances spread over nodes by
        // CloudNativePG's own anti-affinity.
        additionalLabels: chartPodLabels(policy),
        affinity: { topologyKey: 'kubernetes.io/hostname' },
        ...(policy.priorityClassName ? { priorityClassName: policy.priorityClassName } : {}),
        podSecurityContext: policy.podSecurityContext,
        securityContext: policy.containerSecurityContext,
        // A budget on a single instance would block every node drain.
        enablePDB: spec.replicas > 1,
        enableSuperuserAccess: false,
        initdb: { database, owner, secret: { name: `${spec.name}-app` }, dataChecksums: true },
        roles: [
          // Plain names (the Secrets are dependencies of the release): values stay free of references.
          { name: owner, ensure: 'present', login: true, passwordSecret: { name: `${spec.name}-app` } },
          {
            name: 'prometheus_exporter',
            ensure: 'present',
            login: true,
            inRoles: ['pg_monitor'],
            passwordSecret: { name: `${spec.name}-exporter` },
          },
          // Each application: a login role without privileges beyond its own database.
          ...apps.map((a) => ({ name: a.role, ensure: 'present', login: true, passwordSecret: { name: a.secretName } })),
        ],
        // The operator's own lines come first, then these, then `host all all all scram-sha-256`:
        // an application's role reaches its own database only.
        // With internal TLS, a last line of its own refuses every connection without TLS before the operator's `host` line.
        postgresql: {
          parameters: { ...parameters },
          pg_hba: [...applicationHba(apps, 'all', hbaType), ...(hbaType === 'hostssl' ? ['hostnossl all all all reject'] : [])],
        },
        ...(tlsSecret ? { certificates: { serverTLSSecret: tlsSecret, serverCASecret: tlsSecret } } : {}),
        monitoring: { enabled: false, instrumentation: { pgStatStatements: true } },
      },
      backups: backups ? backupValues(spec.name, backups, resolve) : { enabled: false },
      // The applications' databases (Database resources), owned by their roles; kept when removed here.
      databases: apps.map((a) => ({ name: a.database, ensure: 'present', owner: a.role, databaseReclaimPolicy: 'retain' })),
    };
    const release = holdsData(
      pinAddress(
        new HelmRelease(this, 'cluster', {
          name: spec.name,
          namespace: ns,
          ...CNPG_CLUSTER_CHART,
          values: [JSON.stringify(values, null, 2)],
          createNamespace: false,
          wait: true,
          timeout: 900,
          maxHistory: 10,
          // The Cluster owns its volumes: removing the release would delete the data (cloudnative-pg #8442).
          lifecycle: { preventDestroy: ctx.environment.protectData },
          dependsOn: [
            ...dependsOn,
            ...ctx.foundation,
            ...operator.ready,
            ...plugin,
            app,
            exporter,
            ...apps.map((a) => a.basicAuth),
            ...(backupCredentials ? [backupCredentials] : []),
            ...ctx.certificatesOf(spec).ready,
          ],
        }),
        spec.name,
        'cluster',
      ),
      `the CloudNativePG Cluster ${spec.name} owns the database's volumes (removing the release deletes them)`,
    );
    // The Cluster's instances: one PostgreSQL container each, with its data (and WAL) volume.
    readsAs(release, (v) => [
      {
        name: `${v.fullnameOverride} (CloudNativePG)`,
        service: spec.name,
        namespace: ns,
        replicas: Number(v.cluster.instances),
        containers: [
          amountsOf('postgres', v.cluster.resources),
          ...(v.backups.enabled ? [amountsOf('plugin-barman-cloud', v.backups.instanceSidecarConfiguration.resources)] : []),
        ],
        storage: [String(v.cluster.storage.size), ...(v.cluster.walStorage?.enabled ? [String(v.cluster.walStorage.size)] : [])],
      },
    ]);

    this.realized = {
      ready: [release],
      pods: [
        {
          id: spec.name,
          service: spec.name,
          namespace: ns,
          labels: { 'cnpg.io/cluster': spec.name },
          ports: [
            { port: 5432, purpose: 'client', protocol: 'TCP' },
            { port: 9187, purpose: 'metrics', protocol: 'TCP' },
            { port: STATUS_PORT, purpose: 'cluster', protocol: 'TCP' },
          ],
          role: 'server',
          ...(backups?.store.kind === 'keys'
            ? {
                reaches: [
                  {
                    service: backups.store.service,
                    reason: `the Barman Cloud sidecar archives WAL and base backups to ${backups.store.bucket}`,
                  },
                ],
              }
            : {}),
          ...(backups?.store.kind === 'pod-identity' ? { backupAccount: { serviceAccount: spec.name, prefix: backups.plan.prefix } } : {}),
          egress: [
            { cidrs: ctx.cluster.apiServerCidrs, ports: [443, 6443], reason: 'the instance manager talks to the Kubernetes API' },
            ...(backups?.store.kind === 'pod-identity' ? (ctx.cluster.backupStore?.egress ?? []) : []),
          ],
          ingressFrom: [
            { namespace: operator.namespace, ports: [STATUS_PORT, 5432], reason: 'the CloudNativePG operator manages its instances' },
          ],
        },
      ],
    };
  }
}

/**
 * The cluster chart's `backups` values (cluster 0.8.1: values.yaml `backups`, templates
 * backup-objectstore.yaml, scheduled-backups.yaml, _barman_object_store.tpl): method `plugin` makes
 * the chart render the ObjectStore `<fullname>-backups` and add the plugin to the Cluster as its WAL
 * archiver; `secret.create: false` keeps the chart from writing the keys itself (it would take them
 * as literal values).
 */
function backupValues(
  cluster: string,
  b: {
    readonly plan: NonNullable<ServiceSpec['backup']>;
    readonly store: BackupStore;
    readonly sidecar: { readonly resources: ServiceSpec['containers'][number]['resources'] };
    readonly minute: number;
  },
  resolve: ReturnType<K8sContext['resolver']>,
) {
  return {
    enabled: true,
    method: 'plugin',
    pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
    provider: 's3',
    endpointURL: renderText(storeEndpoint(b.store), resolve),
    // barman-cloud adds the server name (the cluster's) below it: <prefix>/<cluster>/{base,wals}.
    destinationPath: `s3://${b.store.bucket}/${b.plan.prefix}/`,
    // With endpointURL and destinationPath given, the chart reads only this of `s3`. Through Pod
    // Identity: botocore's container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, which the
    // agent's webhook sets on the instances' pods).
    s3: { inheritFromIAMRole: b.store.kind === 'pod-identity' },
    ...(b.store.kind === 'keys' ? { secret: { create: false, name: `${cluster}-backup-s3` } } : { secret: { create: false } }),
    // No server-side encryption header: the platform's stores (Garage, MinIO without KMS) do not
    // implement SSE-S3, and S3 applies its bucket's default (SSE-KMS with the data key on AWS); an
    // empty value leaves the field out (the chart writes it only when set).
    wal: { compression: 'gzip', encryption: '', maxParallel: 2 },
    data: { compression: 'gzip', encryption: '', jobs: 2 },
    instanceSidecarConfiguration: {
      resources: canonicalResources(b.sidecar.resources),
      // botocore signs for the region it is given; Garage refuses another (its s3_region).
      env: [{ name: 'AWS_DEFAULT_REGION', value: b.store.region }],
    },
    // A recovery window (the plugin keeps base backups and WAL to restore any point within it).
    retentionPolicy: `${b.plan.retention.daily}d`,
    scheduledBackups: [
      {
        name: 'daily',
        // Six fields (seconds first): the environment's backup window, UTC.
        schedule: `0 ${b.minute % 60} ${Math.floor(b.minute / 60)} * * *`,
        backupOwnerReference: 'self',
        method: 'plugin',
        pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
      },
    ],
  };
}
