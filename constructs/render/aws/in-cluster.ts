/**
 * Everything this stack puts into the EKS cluster it creates.
 *
 * The kubernetes and helm providers are configured from the cluster's own attributes with exec
 * authentication (`aws eks get-token`, fresh on every call). HashiCorp advises against configuring a
 * provider from a cluster created in the same configuration: it works for creation only when
 * nothing needs the cluster at plan time. So nothing here reads the cluster while planning: typed
 * `*_v1` resources and Helm releases only, no `kubernetes_manifest`, no kubernetes data sources.
 * docs/operations.md covers the cases where the provider configuration is unknown (a cluster
 * replacement, a destroy).
 *
 * AWS-specific pieces live here (the gp3 default StorageClass, the cluster autoscaler, the managed
 * services' endpoints and credentials as ConfigMaps and Secrets, the applications' Pod Identity);
 * the services themselves are the Kubernetes renderer's (`InClusterPlatform`).
 */
import type { Environment } from '../../../environments/parse/load';
import { Construct, Fn, TerraformOutput, type ITerraformDependable } from '../../providers/cdktf';
import {
  ConfigMapV1,
  HelmProvider,
  KubernetesProvider,
  NamespaceV1,
  NetworkPolicyV1,
  SecretV1,
  ServiceAccountV1,
  StorageClassV1,
} from '../../providers/kubernetes';
import { type ClusterFacts, InClusterPlatform } from '../kubernetes/platform';
import { CONSUMER_NETWORK_POLICY_REASON } from '../kubernetes/consumers';
import { type ConsumerPlacement, placementsOf } from '../../targets/kubernetes/consumers';
import type { ServiceSpec } from '../../spec/types';
import { logicalId, pinAddress } from '../terraform';
import { AdminJobs } from './admin-jobs';
import { ClusterAutoscaler } from './autoscaler';
import type { AwsContext, Statement } from './context';
import type { Cluster } from './eks';
import type { ManagedEndpoint } from './managed';
import { GPU_TAINT, type NodePools, POOL_LABEL } from './node-pools';
import { POD_IDENTITY_AGENT, PodIdentity } from './pod-identity';
import { AwsEdge } from './edge';
import { SesRelay } from './mail';
import type { Network } from './network';
import type { CertificateFacts } from '../kubernetes/context';
import { renderRecords } from '../dns';
import type { MailFacet } from '../../services/mail';
import { inClusterBackups } from '../../targets/aws/backup';
import { internetNodePort, internetPortsOf } from '../../targets/aws/edge';
import { consumerIdentityName } from '../../targets/aws/placement';
import { AwsMonitoringResources } from './monitoring';
import { InClusterBackups } from './in-cluster-backups';
import type { Keys } from './keys';
import { podSecurityLabels } from '../../targets/kubernetes/naming';

/** The service account the platform's applications run as, to reach the managed services by IAM. */
export const APP_SERVICE_ACCOUNT = 'platform-app';

export { POD_IDENTITY_AGENT };

/**
 * The namespaces in which a workload with a Pod Identity role runs under the platform's default-deny
 * egress: with the VPC CNI enforcing NetworkPolicy, its pods could not fetch their credentials from
 * the agent unless a policy lets them (the agent is no pod and no node IP of theirs: nothing else
 * allows it).
 */
export function credentialEgressNamespaces(workloadNamespaces: readonly string[], policed: readonly string[]): string[] {
  return [...new Set(workloadNamespaces.filter((ns) => policed.includes(ns)))];
}

export interface InClusterInputs {
  /** The environment, for the in-cluster platform (the Kubernetes target's renderer). */
  readonly environment: Environment;
  readonly ctx: AwsContext;
  readonly cluster: Cluster;
  readonly pools: NodePools;
  /** Add-ons that need nodes (CoreDNS, EBS CSI): workloads wait for them. */
  readonly addons: readonly ITerraformDependable[];
  readonly managed: ReadonlyMap<string, ManagedEndpoint>;
  readonly inClusterSpecs: readonly ServiceSpec[];
  readonly network: Network;
  /** The KMS keys (the backup bucket is encrypted with the data key). */
  readonly keys: Keys;
}

export class InCluster extends Construct {
  readonly platform: InClusterPlatform;

  constructor(scope: Construct, id: string, inputs: InClusterInputs) {
    super(scope, id);
    const { ctx, cluster, pools } = inputs;
    const eks = cluster.cluster;
    const connection = {
      host: eks.endpoint,
      clusterCaCertificate: Fn.base64decode(eks.certificateAuthority.get(0).data),
    };
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', eks.name, '--region', ctx.region, '--output', 'json'],
    };
    new KubernetesProvider(this, 'kubernetes', { ...connection, exec: [exec] });
    new HelmProvider(this, 'helm', { kubernetes: { ...connection, exec } });

    // The deploying role must hold its access entry before the providers talk to the cluster.
    const access: ITerraformDependable[] = [...cluster.access];
    const nodes: ITerraformDependable[] = [...pools.allGroups, ...inputs.addons];

    // The first Kubernetes calls wait for a node group too, not only for the access-policy
    // association: access entries are eventually consistent ("may take several seconds to be
    // effective", EKS user guide), and the node groups take minutes after them.
    const ready: ITerraformDependable[] = [...access, ...pools.system.groups.map((g) => g.group)];

    // gp3, encrypted, the default class; volumes are kept after their claim goes when data is protected.
    pinAddress(
      new StorageClassV1(this, 'gp3', {
        metadata: { name: 'gp3', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        storageProvisioner: 'ebs.csi.aws.com',
        parameters: {
          type: 'gp3',
          encrypted: 'true',
          'csi.storage.k8s.io/fstype': 'ext4',
          // The EBS CSI driver tags each volume it creates (docs/tagging.md): AWS Backup selects them by it.
          ...Object.fromEntries(Object.entries(ctx.backupTags()).map(([k, v], i) => [`tagSpecification_${i + 1}`, `${k}=${v}`])),
        },
        reclaimPolicy: ctx.protectData ? 'Retain' : 'Delete',
        volumeBindingMode: 'WaitForFirstConsumer',
        allowVolumeExpansion: true,
        dependsOn: ready,
      }),
      'gp3',
    );

    // The cluster's name as a plain value (known at synthesis): Helm values compare as text.
    new ClusterAutoscaler(this, 'autoscaler', ctx, ctx.prefix, [...access, ...pools.system.groups.map((g) => g.group), ...inputs.addons]);

    const namespace = pinAddress(
      new NamespaceV1(this, 'namespace', {
        // The applications' namespace (the default consumer's): restricted, its own traffic the application's.
        metadata: {
          name: ctx.target.eks.namespace,
          annotations: { 'platform/network-policy-reason': CONSUMER_NETWORK_POLICY_REASON },
          labels: {
            'app.kubernetes.io/part-of': ctx.project,
            ...podSecurityLabels('restricted'),
          },
        },
        dependsOn: ready,
      }),
      'platform',
    );
    const ns = namespace.metadata.name;

    // Where each consumer runs (the default consumer in the applications' namespace this stack creates).
    const placements = consumerPlacements(inputs.environment, ctx.target.eks.namespace);
    // What each consumer's own Pod Identity may do (RDS IAM authentication), by consumer.
    const consumerStatements = consumerIdentities(inputs.managed, placements, ctx.target.eks.namespace);

    // Managed services' endpoints (ConfigMap) and credentials (Secret, values by reference only):
    // in the applications' namespace for a service with one shared identity; in each consumer's own
    // namespace for a service that gives each its own (after the platform's consumers, below).
    const clientStatements: Statement[] = [];
    const managedLabels = (service: string) => ({
      'app.kubernetes.io/name': service,
      'app.kubernetes.io/part-of': ctx.project,
      'agent-platform.io/managed-by': 'aws',
    });
    for (const [service, m] of inputs.managed) {
      clientStatements.push(...m.clientStatements);
      if (m.applications) continue;
      const labels = managedLabels(service);
      pinAddress(
        new ConfigMapV1(this, `${service}-endpoint`, {
          metadata: { name: `${service}-endpoint`, namespace: ns, labels },
          data: { ...m.endpoint },
        }),
        service,
        'endpoint',
      );
      if (m.credentials) {
        pinAddress(
          new SecretV1(this, `${service}-credentials`, {
            metadata: { name: `${service}-credentials`, namespace: ns, labels },
            type: 'Opaque',
            data: { ...m.credentials },
          }),
          service,
          'credentials',
        );
      }
    }

    // A consumer in the applications' namespace uses the applications' identity (platform-app).
    for (const c of consumerStatements) if (c.serviceAccount === APP_SERVICE_ACCOUNT) clientStatements.push(...c.statements);
    // Workloads with a Pod Identity role, by namespace (the autoscaler's and the EBS CSI driver's run in kube-system).
    const identityNamespaces = ['kube-system'];
    // The applications' identity: may read the managed credentials and use the buckets, nothing else.
    if (clientStatements.length > 0) {
      identityNamespaces.push(ctx.target.eks.namespace);
      new PodIdentity(this, ctx, eks.name, {
        name: APP_SERVICE_ACCOUNT,
        namespace: ctx.target.eks.namespace,
        serviceAccount: APP_SERVICE_ACCOUNT,
        statements: dedupe(clientStatements),
      });
      pinAddress(new ServiceAccountV1(this, 'app-sa', { metadata: { name: APP_SERVICE_ACCOUNT, namespace: ns } }), 'platform_app');
    }

    // The public edge: certificates the services serve themselves (cert-manager, ACME DNS-01 in the
    // hosted zone through its own Pod Identity role), the mail server on node ports behind the NLB
    // with PROXY protocol, and SES as its relay where asked.
    const edge = ctx.target.edge;
    const specs = inputs.inClusterSpecs;
    const certified = specs.some((x) => (x.certificates ?? []).length > 0);
    const acme = edge?.issuer.kind === 'acme' ? edge.issuer : undefined;
    const certificates: CertificateFacts = {
      public:
        edge && acme
          ? { kind: 'acme-route53', email: acme.email, server: acme.server, region: ctx.region, hostedZoneId: edge.hostedZone.id }
          : { kind: 'private-ca' },
      certManager: 'install',
    };
    const identities: ITerraformDependable[] = [];
    if (certified && edge && acme) {
      const zone = `arn:aws:route53:::hostedzone/${edge.hostedZone.id}`;
      const certManager = new PodIdentity(this, ctx, eks.name, {
        name: 'cert-manager',
        namespace: 'cert-manager',
        serviceAccount: 'cert-manager',
        // cert-manager's documented Route 53 policy, limited to TXT records under _acme-challenge.
        statements: [
          { Sid: 'ReadChanges', Effect: 'Allow', Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*' },
          {
            Sid: 'WriteChallenges',
            Effect: 'Allow',
            Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
            Resource: zone,
            Condition: {
              'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
              'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'] },
            },
          },
          { Sid: 'FindZone', Effect: 'Allow', Action: 'route53:ListHostedZonesByName', Resource: '*' },
        ],
      });
      if (certManager.association) identities.push(certManager.association);
    }
    const mailSpec = specs.find((x) => x.name === 'mailserver') as ServiceSpec<string, MailFacet> | undefined;
    const ses = ctx.target.mail.relay === 'ses' && mailSpec ? new SesRelay(this, 'ses', ctx, mailSpec) : undefined;
    const mailPorts = specs.flatMap(internetPortsOf);

    // The jobs that act as a managed service's master user, the only holders of its credentials;
    // the platform's services that use such a service wait for them (their roles exist then).
    const adminJobs = [...inputs.managed].flatMap(([service, m]) => (m.adminJobs ?? []).map((job) => ({ service, job })));
    const admin = adminJobs.length > 0 ? new AdminJobs(this, 'admin', ctx, eks.name, adminJobs, [...access, ...nodes]) : undefined;
    const privateCidrs = ctx.target.vpc.zones.map((z) => z.private);
    const external = Object.fromEntries(
      [...inputs.managed].flatMap(([service, m]) =>
        m.references
          ? [
              [
                m.references.service,
                {
                  host: m.references.host,
                  secrets: m.references.secrets,
                  cidrs: privateCidrs,
                  ports: m.references.ports.map((port) => ({ port, protocol: 'TCP' as const })),
                  ready: admin?.jobs.get(service) ?? [],
                  ...(m.references.serverCa ? { serverCa: m.references.serverCa } : {}),
                },
              ],
            ]
          : [],
      ),
    );

    const gpuPool = ctx.target.eks.gpuNodePool;
    const facts: ClusterFacts = {
      certificates,
      ...(mailPorts.length
        ? {
            mail: {
              service: { type: 'NodePort', nodePorts: Object.fromEntries(mailPorts.map((p) => [p.name, internetNodePort(p.port)])) },
              clientAddress: 'proxy-protocol',
            },
          }
        : {}),
      ...(ses ? { mailRelay: ses.relay } : {}),
      // The ALB reaches the external ports through the nodes (their addresses, in the VPC).
      ...(edge ? { loadBalancerSources: [ctx.target.vpc.cidr], publishesDns: true } : {}),
      namespacePrefix: ctx.target.eks.namespace,
      external,
      apiServerCidrs: [ctx.target.vpc?.cidr ?? '0.0.0.0/0'],
      storageClass: 'gp3',
      zones: ctx.zones,
      existingNamespace: ctx.target.eks.namespace,
      // The default consumer is the applications' namespace this stack creates (where the managed
      // services' endpoints and the Pod Identity service account are); others get their own.
      consumers: placements,
      ...(gpuPool && pools.gpu
        ? {
            gpu: {
              resourceName: 'nvidia.com/gpu',
              nodeSelector: { [POOL_LABEL]: 'gpu' },
              tolerations: [{ key: GPU_TAINT.key, operator: 'Equal', value: GPU_TAINT.value, effect: 'NoSchedule' }],
              // The AL2023 NVIDIA AMI ships drivers but not the device plugin; Bottlerocket's carries it.
              installDevicePlugin: gpuPool.amiType === 'AL2023_x86_64_NVIDIA',
              // The pool exists (desired >= 1 at creation): the apply waits for GPU workloads, as before.
              waitForRollout: true,
            },
          }
        : {}),
    };
    // Monitoring: the managed services through CloudWatch, Grafana's CloudWatch datasource, Loki in S3 (monitoring.ts).
    const monitoring = new AwsMonitoringResources(this, 'monitoring', {
      ctx,
      environment: inputs.environment,
      clusterName: eks.name,
      namespacePrefix: facts.namespacePrefix,
    }).result;
    // Its Pod Identity workloads (the CloudWatch exporter, Grafana, Loki) run in the monitoring namespace.
    if (monitoring) identityNamespaces.push(monitoring.identityNamespace);
    // Backups of the in-cluster services: the dump CronJobs upload to an S3 bucket through Pod Identity.
    const traits = inClusterBackups(inputs.environment, specs);
    const backups =
      traits.podIdentityStore && ctx.backups ? new InClusterBackups(this, 'backups', ctx, inputs.keys, ctx.backups, cluster) : undefined;
    this.platform = new InClusterPlatform(this, 'platform', {
      environment: inputs.environment,
      specs: inputs.inClusterSpecs,
      cluster: {
        ...facts,
        ...(monitoring ? { monitoring: monitoring.facts } : {}),
        ...(backups ? { backupStore: backups.facts } : {}),
        // AWS Backup (backup.ts) snapshots the EBS volumes the gp3 class tags, daily.
        ...(traits.volumeSnapshots
          ? { volumeSnapshots: 'AWS Backup snapshots the EBS volumes daily (crash-consistent), copied to the copy region' }
          : {}),
      },
      after: [...access, namespace, ...nodes, ...identities],
      ...(monitoring ? { extra: monitoring.extra } : {}),
    });
    if (backups) identityNamespaces.push(...backups.bind(eks.name, this.platform.groups));
    // A consumer in a namespace of its own: a Pod Identity role of its own, for its ServiceAccount
    // (named after it; the stack creates it with the namespace, else the team does).
    for (const c of consumerStatements) {
      if (c.serviceAccount === APP_SERVICE_ACCOUNT) continue;
      identityNamespaces.push(c.namespace);
      new PodIdentity(this, ctx, eks.name, {
        name: consumerIdentityName(c.consumer),
        namespace: c.namespace,
        serviceAccount: c.serviceAccount,
        statements: c.statements,
      });
    }
    // Each consumer's own identity in a managed service, in its namespace (the applications'
    // namespace keeps the addresses it had for the default consumer).
    for (const [service, m] of inputs.managed) {
      for (const app of m.applications ?? []) {
        const placement = facts.consumers?.find((p) => p.name === app.consumer);
        if (!placement) throw new Error(`${service}: consumer ${app.consumer} has no placement`);
        const labels = { ...managedLabels(service), 'platform/consumer': app.consumer };
        // The applications' namespace keeps the addresses (and the namespace reference) its objects had.
        const own = placement.namespace === ctx.target.eks.namespace;
        const address = own ? [service] : [logicalId('consumer', app.consumer, service)];
        const where = own ? ns : placement.namespace;
        const waitFor = [...this.platform.consumerNamespace(app.consumer), namespace];
        pinAddress(
          new ConfigMapV1(this, `${service}-${app.consumer}-endpoint`, {
            metadata: { name: `${service}-endpoint`, namespace: where, labels },
            data: { ...app.endpoint },
            dependsOn: waitFor,
          }),
          ...address,
          'endpoint',
        );
        pinAddress(
          new SecretV1(this, `${service}-${app.consumer}-credentials`, {
            metadata: { name: `${service}-credentials`, namespace: where, labels },
            type: 'Opaque',
            data: { ...app.credentials },
            dependsOn: waitFor,
          }),
          ...address,
          'credentials',
        );
      }
    }
    if (edge) {
      ses?.identity(this.platform.secrets);
      const recordSpecs = specs.map((x) => (ses && x === mailSpec ? { ...x, dnsRecords: ses.records() } : x));
      new AwsEdge(this, 'edge', {
        ctx,
        edge,
        network: inputs.network,
        cluster,
        pools,
        platform: this.platform,
        specs,
        records: renderRecords(recordSpecs, this.platform.secrets),
        after: [...access, namespace, ...nodes],
      });
    }

    // The vpc-cni add-on enforces the platform's NetworkPolicies (addons.ts). A Pod Identity workload
    // in one of the platform's default-deny namespaces gets egress to the agent (AWS API calls are
    // its own declared egress). None today: the applications' namespace and kube-system carry no
    // platform policy; test/aws.test.ts checks every workload with a role can reach the agent.
    for (const ns of credentialEgressNamespaces(identityNamespaces, this.platform.namespaces)) {
      pinAddress(
        new NetworkPolicyV1(this, `${ns}-pod-identity-agent`, {
          metadata: {
            name: 'allow-pod-identity-agent',
            namespace: ns,
            annotations: { 'platform/reasons': 'pods with a Pod Identity role fetch their AWS credentials from the agent' },
          },
          spec: {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [
              { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: String(POD_IDENTITY_AGENT.port), protocol: 'TCP' }] },
            ],
          },
          dependsOn: [...access, namespace, ...nodes],
        }),
        ns,
        'pod_identity_agent',
      );
    }

    new TerraformOutput(this, 'kubeconfig', {
      description: 'Write a kubeconfig entry for this cluster',
      value: `aws eks update-kubeconfig --name ${ctx.prefix} --region ${ctx.region}`,
    }).overrideLogicalId('kubeconfig_command');
  }
}

/** A consumer's own AWS permissions (RDS IAM authentication), and the ServiceAccount that gets them. */
export interface ConsumerIdentity {
  readonly consumer: string;
  readonly namespace: string;
  /** `platform-app` in the applications' namespace (its role gets the statements), else the consumer's name. */
  readonly serviceAccount: string;
  readonly statements: readonly Statement[];
}

/**
 * The name of the IAM role a consumer's pods run with (what a managed service maps to the consumer's
 * own identity, OpenSearch's backend role): the applications' role (`platform-app`) in the
 * applications' namespace, else the consumer's own Pod Identity role (`consumerIdentities`).
 */
export function consumerRoleName(
  ctx: { name(...parts: string[]): string },
  placements: readonly ConsumerPlacement[],
  appsNamespace: string,
): (consumer: string) => string {
  return (consumer) => {
    const placement = placements.find((p) => p.name === consumer);
    if (!placement) throw new Error(`consumer ${consumer} has no placement`);
    return ctx.name(placement.namespace === appsNamespace ? APP_SERVICE_ACCOUNT : consumerIdentityName(consumer));
  };
}

/** The consumers' placements as the stack puts them (the default consumer in the applications' namespace). */
export const consumerPlacements = (environment: Environment, appsNamespace: string) =>
  placementsOf(environment.consumers, appsNamespace, { name: appsNamespace, create: false });

/** The consumers with statements of their own from the managed services, by consumer. */
export function consumerIdentities(
  managed: ReadonlyMap<string, ManagedEndpoint>,
  placements: readonly ConsumerPlacement[],
  appsNamespace: string,
): ConsumerIdentity[] {
  const byConsumer = new Map<string, Statement[]>();
  for (const m of managed.values())
    for (const app of m.applications ?? [])
      if (app.statements?.length) byConsumer.set(app.consumer, [...(byConsumer.get(app.consumer) ?? []), ...app.statements]);
  return [...byConsumer].map(([consumer, statements]) => {
    const placement = placements.find((p) => p.name === consumer);
    if (!placement) throw new Error(`consumer ${consumer} has no placement`);
    return {
      consumer,
      namespace: placement.namespace,
      serviceAccount: placement.namespace === appsNamespace ? APP_SERVICE_ACCOUNT : consumer,
      statements,
    };
  });
}

/** Statements with the same Sid (the data key, twice) are merged to one. */
function dedupe(statements: readonly Statement[]): Statement[] {
  const seen = new Map<string, Statement>();
  for (const s of statements) seen.set(s.Sid ?? JSON.stringify(s), s);
  return [...seen.values()];
}
