/**
 * Elasticsearch on ECK: the operator handles what a cluster needs beyond configuration (discovery
 * and voting exclusions when the topology changes, shard migration before a node leaves, transport
 * TLS, rolling restarts one node at a time while the cluster stays green, a health-aware
 * PodDisruptionBudget). The operator comes from its chart (eck-operator 3.5.0), the `Elasticsearch`
 * resource from charts/platform-elastic.
 *
 * From the spec: the version (the image's tag), the image, the resources, the volume size and the
 * replicas; from its facet: the heap, the elasticsearch.yml settings any deployment takes (ECK owns
 * discovery, addresses, TLS and the realms), and the topology (`combined` nodes, or three
 * dedicated masters beside the data nodes).
 * `node.store.allow_mmap: false`, so no privileged sysctl init container is needed and the pods meet
 * the `restricted` Pod Security Standard with ECK's default security context.
 *
 * Users: the file realm holds `elastic` (for people) and `prometheus_exporter` (the exporter), each
 * from a `kubernetes.io/basic-auth` Secret with the generated password; ECK hashes the password,
 * watches the Secret and re-applies a changed one (cloud-on-k8s `pkg/controller/elasticsearch/user/
 * user_provided.go` at v3.5.0: `WatchUserProvidedSecrets`, `ReuseOrGenerateHash`), so rotation is a
 * Terraform apply. Because `elastic` is in the file realm, ECK does not create its own
 * `<name>-es-elastic-user` Secret (`user/predefined.go`). The Docker target's setup job, its
 * `platform_admin` and the `kibana_system` password are not used: ECK has internal users for its
 * probes and gives Kibana its own service account token.
 *
 * Readiness is ECK's: for 8.2 and later a TCP check of `readiness.port`, which a node opens once it has
 * joined a cluster with an elected master (`nodespec/readiness_probe.go`, `settings/merged_config.go`).
 *
 * Metrics: the spec's exporter runs once as its own Deployment (`--es.all` on every node would
 * report the cluster's metrics several times); Prometheus scrapes its `/probe` with ECK's HTTPS
 * Service as the target (`metricsOf`), verified with the CA ECK publishes in
 * `<name>-es-http-certs-public`, and the credentials from its auth module (a file). Clients use `<name>-es-http` (ECK's Service, HTTPS).
 */
import { type ElasticsearchFacet, applicationRoles, passwordApplications } from '../../services/elasticsearch';
import {
  snapshotClientSettings,
  snapshotJobAs,
  snapshotKeystore,
  snapshotSetupScript,
  webIdentityPod,
} from '../../services/elasticsearch-snapshots';
import { platformStore } from '../../services/backup';
import { hostRef, renderText, secretRef, tpl } from '../../spec/template';
import type { ServiceSpec } from '../../spec/types';
import { exporterOf, nodeSetShapes } from '../../targets/kubernetes/elasticsearch';
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { SecretV1, ServiceAccountV1 } from '../../providers/kubernetes';
import { holdsData, pinAddress } from '../terraform';
import type { K8sContext, PodGroup, Realization, Realized } from './context';
import { CA_DIR, ECK_VERSION, Helper, SetupJob, eckBasis, elasticRelease } from './eck';
import { imageOf } from './pod';
import { canonicalMemory, canonicalResources } from '../../targets/kubernetes/quantities';

/** The data volume's claim name: ECK mounts the claim of this name at the data path. */
const DATA_CLAIM = 'elasticsearch-data';

/** The role prometheus_exporter, as on Docker: cluster and index monitoring, nothing else. */
export const EXPORTER_ROLE = `prometheus_exporter:
  cluster: ["monitor"]
  indices:
    - names: ["*"]
      privileges: ["monitor"]
`;

export const elasticsearch: Realization<ElasticsearchFacet> = {
  describe: () =>
    `ECK operator (chart eck-operator ${ECK_VERSION}) + Elasticsearch resource (chart platform-elastic, in this repository); exporter as its own Deployment`,
  why: () =>
    "What a cluster needs beyond configuration is ECK's work: discovery and the initial masters, rolling changes that keep the cluster green, TLS between nodes, a disruption budget; the operator comes from its chart and the Elasticsearch resource from a chart kept here, so nothing needs the CRD at plan time.",
  serviceName: (spec) => `${spec.name}-es-http`,
  // ECK has its own internal users and gives Kibana a service account token: the Docker target's
  // file-realm administrator (its setup job and health check) and the kibana_system password are not used.
  unusedSecrets: () => ['admin-password', 'kibana-system-password'],
  // The exporter probes ECK's HTTPS Service (its CA from --es.ca), with the spec's auth module.
  metricsOf: (spec) => ({ ...spec.metrics, params: { ...spec.metrics.params, target: [tpl`https://${hostRef(spec.name)}:9200`] } }),
  // ECK serves HTTPS with its own CA: consumers get the https URL and may read the CA's public Secret.
  consumerFacts: (spec, facts, namespace) => ({
    ...facts,
    url: tpl`https://${hostRef(spec.name)}:9200`,
    'ca-secret': `${spec.name}-es-http-certs-public`,
    'ca-secret-namespace': namespace,
  }),
  consumerCa: (spec) => ({ secret: `${spec.name}-es-http-certs-public` }),
  render: (scope, ctx, spec, dependsOn) => new EckElasticsearch(scope, spec.name, ctx, spec, dependsOn).realized,
};

class EckElasticsearch extends Construct {
  readonly realized: Realized;

  constructor(
    scope: Construct,
    id: string,
    ctx: K8sContext,
    spec: ServiceSpec<string, ElasticsearchFacet>,
    dependsOn: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    const { ns, main, version, operator, labels, policy } = eckBasis(ctx, spec, 'Elasticsearch');

    const secret = (name: string, part: string, type: string, data: Record<string, string>) =>
      pinAddress(
        new SecretV1(this, name, { metadata: { name, namespace: ns, labels }, type, data, dependsOn: [...ctx.foundation] }),
        spec.name,
        part,
        'secret',
      );
    const user = (username: string, password: string, roles: string) =>
      secret(`${spec.name}-user-${username.replace(/_/g, '-')}`, `user_${username}`, 'kubernetes.io/basic-auth', {
        username,
        password: ctx.secrets.value(secretRef(spec.name, password)),
        roles,
      });
    const elastic = user('elastic', 'elastic-password', 'superuser');
    const exporterUser = user('prometheus_exporter', 'exporter-password', 'prometheus_exporter');
    // Each application: a file-realm user with its own role (its indices only), as on Docker (IAM
    // authentication is Amazon OpenSearch Service's: the checks refuse it before a cluster renders it).
    const passwordApps = passwordApplications(spec.facet.applications);
    const apps = passwordApps.map((a) =>
      secret(`${spec.name}-consumer-${a.consumer}`, `consumer_${a.consumer}`, 'kubernetes.io/basic-auth', {
        username: a.user,
        password: ctx.secrets.value(secretRef(spec.name, a.secret)),
        roles: a.role,
      }),
    );
    const roles = secret(`${spec.name}-roles`, 'roles', 'Opaque', {
      'roles.yml': `${EXPORTER_ROLE}${applicationRoles(passwordApps)}`,
    });

    // Snapshots: the S3 client's settings on every node and the job that registers the repository and
    // the lifecycle policies. Where the cluster's store takes a key (Garage or MinIO): its endpoint, and
    // the key in the keystore (ECK's secureSettings: each key of the Secret is an entry). On EKS (S3):
    // the region, and an IAM role for the nodes' service account (IRSA), since repository-s3 reads Pod
    // Identity credentials from 9.6 on only (elastic/elasticsearch#151614) and a web identity token in
    // 8.19: the token projected into its config directory (webIdentityPod).
    const target = ctx.cluster.backupStore;
    const store = target?.store ?? platformStore(ctx.specs);
    const snapshots =
      spec.facet.snapshots && store?.kind === 'keys' && store.service !== spec.name
        ? { ...spec.facet.snapshots, store }
        : spec.facet.snapshots && store?.kind === 'pod-identity' && target?.webIdentity
          ? { ...spec.facet.snapshots, store, bucket: store.bucket }
          : undefined;
    // The nodes' own service account on EKS: its annotation names the role (the token's projection in
    // the pod template below does not need the EKS webhook; the annotation says which role it is for).
    const grant =
      snapshots?.store.kind === 'pod-identity' && target?.webIdentity
        ? target.webIdentity({ service: spec.name, namespace: ns, serviceAccount: spec.name, prefix: snapshots.basePath })
        : undefined;
    const identity =
      grant && snapshots
        ? {
            grant,
            account: pinAddress(
              new ServiceAccountV1(this, 'service-account', {
                metadata: { name: spec.name, namespace: ns, labels, annotations: { 'eks.amazonaws.com/role-arn': grant.roleArn } },
                automountServiceAccountToken: false,
                dependsOn: [...ctx.foundation],
              }),
              spec.name,
              'service_account',
            ),
            pod: webIdentityPod({ roleArn: grant.roleArn, audience: grant.audience, region: snapshots.store.region }),
          }
        : undefined;
    const resolve = ctx.resolver(spec);
    const keystore =
      snapshots?.store.kind === 'keys'
        ? secret(
            `${spec.name}-snapshot-keys`,
            'snapshot_keys',
            'Opaque',
            Object.fromEntries(snapshotKeystore(snapshots.store).map((k) => [k.setting, renderText(k.file.content, resolve)])),
          )
        : undefined;
    const config = {
      ...spec.facet.settings,
      ...(snapshots
        ? Object.fromEntries(Object.entries(snapshotClientSettings(snapshots.store)).map(([k, v]) => [k, renderText(v, resolve)]))
        : {}),
    };
    const zones = ctx.cluster.zones?.length ? [...ctx.cluster.zones] : undefined;
    const nodeSets = nodeSetShapes(spec).map((n) => ({
      name: n.name,
      count: n.count,
      config: { ...config, ...(n.roles ? { 'node.roles': [...n.roles] } : {}), 'node.store.allow_mmap': false },
      podTemplate: (() => {
        // Members of a node set on different Kubernetes nodes; zones through zoneAwareness below.
        const pod = policy(
          {
            'elasticsearch.k8s.elastic.co/cluster-name': spec.name,
            'elasticsearch.k8s.elastic.co/statefulset-name': `${spec.name}-es-${n.name}`,
          },
          n.count,
          { spreadZones: false },
        );
        return {
          metadata: pod.metadata,
          spec: {
            ...pod.spec,
            ...(identity ? { serviceAccountName: spec.name, volumes: identity.pod.volumes } : {}),
            containers: [
              {
                name: 'elasticsearch',
                env: [{ name: 'ES_JAVA_OPTS', value: n.javaOpts }, ...(identity?.pod.env ?? [])],
                ...(identity ? { volumeMounts: identity.pod.volumeMounts } : {}),
                resources: canonicalResources(n.resources),
              },
            ],
          },
        };
      })(),
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_CLAIM },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: canonicalMemory(n.size) } },
            ...(ctx.cluster.storageClass ? { storageClassName: ctx.cluster.storageClass } : {}),
          },
        },
      ],
      // Pods spread over the zones (required) and shard copies kept in different zones.
      ...(zones ? { zoneAwareness: { zones } } : {}),
    }));

    const internal = (spec.certificates ?? []).find((c) => c.internal);
    const httpCertificate = internal ? ctx.certificatesOf(spec).secrets[internal.name] : undefined;
    const values = {
      // The objects the chart creates: the platform's labels and the environment's.
      labels: ctx.chartLabels,
      elasticsearch: {
        enabled: true,
        name: spec.name,
        version,
        image: imageOf(main),
        // Plain names (the Secrets are dependencies of the release): values stay free of references.
        fileRealm: [
          `${spec.name}-user-elastic`,
          `${spec.name}-user-prometheus-exporter`,
          ...passwordApps.map((a) => `${spec.name}-consumer-${a.consumer}`),
        ],
        roles: [`${spec.name}-roles`],
        volumeClaimDeletePolicy: 'DeleteOnScaledownOnly',
        maxUnavailable: 1,
        nodeSets,
        // Internal TLS: ECK serves HTTPS with the internal CA's certificate (cert-manager's Secret: tls.crt,
        // tls.key, ca.crt) instead of its own CA's, and publishes that CA in <name>-es-http-certs-public.
        httpCertificate: httpCertificate ?? '',
        // The keystore's entries (the store's key for the snapshot repository).
        secureSettings: keystore ? [`${spec.name}-snapshot-keys`] : [],
      },
    };
    const release = holdsData(
      elasticRelease(
        this,
        ctx,
        spec,
        values,
        [
          ...dependsOn,
          ...ctx.foundation,
          ...operator.ready,
          elastic,
          exporterUser,
          ...apps,
          roles,
          ...(keystore ? [keystore] : []),
          ...(identity ? [identity.account, ...identity.grant.ready] : []),
          ...ctx.certificatesOf(spec).ready,
        ],
        {
          timeoutSeconds: 300,
          // Deleting the resource would take the nodes (their volumes stay: DeleteOnScaledownOnly).
          preventDestroy: ctx.environment.protectData,
        },
      ),
      `the Elasticsearch resource ${spec.name} owns the nodes that hold the indices`,
    );

    const { trusts: _internalCa, ...exporter } = exporterOf(spec);
    const helper = new Helper(this, ctx, spec, {
      part: 'exporter',
      container: {
        ...exporter,
        // The CA of ECK's certificate for every target it probes (the auth module keeps the credentials);
        // with internal TLS ECK's public Secret carries the internal CA, so the spec's own CA flag goes.
        args: [`--es.ca=${CA_DIR}/ca.crt`, ...(exporter.args ?? []).filter((a) => !(typeof a === 'string' && a.startsWith('--es.ca=')))],
      },
      caSecret: `${spec.name}-es-http-certs-public`,
      dependsOn: [release],
    });

    // As elastic (ECK's file realm), over ECK's HTTPS Service with its CA; after the store is ready.
    // The store's setup job (its bucket and key) first where it is rendered before; else the job's retries wait for it.
    const storeReady = (service: string) => {
      try {
        return ctx.readyOf(service);
      } catch {
        return [];
      }
    };
    const setup = snapshots
      ? (() => {
          const { trusts: _internalCa, ...job } = snapshotJobAs(snapshots.job, 'elastic', 'elastic-password');
          // On S3 through the role: the environment's bucket by its S3 name, and no key to reload.
          const s3 =
            snapshots.store.kind === 'keys'
              ? {}
              : {
                  description: `Registers the snapshot repository ${snapshots.repository} (${snapshots.bucket}/${snapshots.basePath}/, S3 through the nodes' IAM role) and the snapshot lifecycle policies`,
                  command: ['/bin/bash', '-c', snapshotSetupScript(snapshots, { reload: false })],
                };
          return new SetupJob(this, ctx, spec, {
            job: {
              ...job,
              ...s3,
              env: { ...job.env, ES_URL: tpl`https://${hostRef(spec.name)}:9200`, CURL_CA_BUNDLE: `${CA_DIR}/ca.crt` },
            },
            caSecret: `${spec.name}-es-http-certs-public`,
            dependsOn: [release, ...(snapshots.store.kind === 'keys' ? storeReady(snapshots.store.service) : [])],
          });
        })()
      : undefined;

    const server: PodGroup = {
      id: spec.name,
      service: spec.name,
      namespace: ns,
      labels: { 'elasticsearch.k8s.elastic.co/cluster-name': spec.name },
      ports: main.ports.map((p) => ({ port: p.port, purpose: p.purpose, protocol: 'TCP' as const })),
      role: 'server',
      ingressFrom: [{ namespace: operator.namespace, ports: [9200], reason: 'the ECK operator manages the cluster through its API' }],
      ...(snapshots?.store.kind === 'keys'
        ? {
            reaches: [
              { service: snapshots.store.service, reason: `the nodes write snapshots to ${snapshots.bucket}/${snapshots.basePath}/` },
            ],
          }
        : {}),
      // S3 and STS (their regional endpoints, HTTPS), where the backup jobs go too.
      ...(snapshots?.store.kind === 'pod-identity' && target
        ? {
            egress: target.egress.map((e) => ({
              ...e,
              reason: `the nodes write snapshots to S3 (${snapshots.bucket}/${snapshots.basePath}/) and exchange their token at STS (HTTPS)`,
            })),
          }
        : {}),
    };
    this.realized = {
      ready: [release, helper.deployment, ...(setup ? [setup.job] : [])],
      pods: [server, helper.group, ...(setup ? [setup.group] : [])],
    };
  }
}
