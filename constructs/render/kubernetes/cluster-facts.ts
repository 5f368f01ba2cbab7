/**
 * What a Kubernetes stack knows of its cluster, from the environment's config (never looked up at
 * plan time): the facts every Kubernetes realization, the pod policy and the operators read.
 * Types only; constructs/render/kubernetes/context.ts hands them on with the render context.
 */
import type { ITerraformDependable } from '../../providers/cdktf';
import type { SignalSource } from '../../../monitoring/rules';
import type { ConsumerPlacement } from '../../targets/kubernetes/consumers';
import type { ServiceSpec } from '../../spec/types';
import type { BackupStore } from '../../services/backup';

/** The environment's `target.gateway`, resolved. */
export interface GatewayFacts {
  /** Host names are `<service>.<domain>`. */
  readonly domain: string;
  readonly issuer:
    | { readonly kind: 'self-signed' }
    | { readonly kind: 'ClusterIssuer' | 'Issuer'; readonly name: string }
    | { readonly kind: 'acme'; readonly email?: string | undefined; readonly server: string };
  readonly implementation:
    | { readonly install: 'envoy-gateway' }
    | {
        readonly install: 'none';
        readonly gatewayClass: string;
        readonly proxies: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
      };
  readonly installCertManager: boolean;
}

/**
 * How the certificates services serve (`ServiceSpec.certificates`) are issued, by cert-manager:
 * `public` for a certificate with public names (the mail server's), and a private CA for the others
 * (a certificate only the platform's own clients see, such as Kong's behind the Gateway).
 */
export interface CertificateFacts {
  readonly public:
    | { readonly kind: 'private-ca' }
    /** A ClusterIssuer (ACME through the Gateway's HTTP-01 listener, or the cluster's own). */
    | { readonly kind: 'ClusterIssuer'; readonly name: string; readonly http01: boolean }
    /** An Issuer in the edge namespace (usable by certificates there only). */
    | { readonly kind: 'Issuer'; readonly name: string; readonly namespace: string }
    /** ACME with DNS-01 in a Route 53 hosted zone (the AWS target; cert-manager's role comes from Pod Identity). */
    | {
        readonly kind: 'acme-route53';
        readonly email?: string | undefined;
        readonly server: string;
        readonly region: string;
        readonly hostedZoneId: string;
      };
  /**
   * Who installs cert-manager: the edge (with its Gateway API support; or the cluster's own), or this
   * platform without Gateway API support (a cluster with no Gateway).
   */
  readonly certManager: 'edge' | 'install';
}

/** How SMTP and IMAP reach the mail server from outside the cluster, keeping the client's address. */
export interface MailExposure {
  /**
   * `LoadBalancer`: a Service of that type (the cluster's load balancer implementation);
   * `NodePort`: fixed node ports that a load balancer the stack manages sends to (AWS).
   */
  readonly service:
    | { readonly type: 'LoadBalancer'; readonly annotations: Readonly<Record<string, string>> }
    | { readonly type: 'NodePort'; readonly nodePorts: Readonly<Record<string, number>> };
  /**
   * `local-traffic`: `externalTrafficPolicy: Local` on the plain ports (nodes without a mail pod fail
   * the load balancer's health check, so no second hop hides the address); `proxy-protocol`: the load
   * balancer sends a PROXY header to the twin ports (`PortSpec.internet.proxyProtocolPort`).
   */
  readonly clientAddress: 'local-traffic' | 'proxy-protocol';
}

/** Outgoing mail through a relay the target provides (Amazon SES). */
export interface MailRelay {
  /** `[host]:port`, as Postfix's relayhost takes it. */
  readonly host: string;
  /** The relay's user name (a Terraform reference or a literal; not a secret). */
  readonly username: string;
  /** The relay's password (a Terraform reference to a sensitive value). */
  readonly password: string;
}

/** A service the platform's services use that runs outside the cluster (a cloud target's managed service). */
export interface ExternalService {
  /** Its address (a Terraform reference), for `hostRef` of the spec it stands for. */
  readonly host: string;
  /** Values of the spec's secrets the platform's services read (by secret name; Terraform references). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Where it listens: egress from its dependants' pods goes to these CIDRs on these ports only. */
  readonly cidrs: readonly string[];
  readonly ports: readonly { readonly port: number; readonly protocol: 'TCP' | 'UDP' }[];
  /** What its dependants wait for (their identities in it created). */
  readonly ready: readonly ITerraformDependable[];
  /**
   * Where the CA of its server certificate is published, when no image carries it (RDS's bundle):
   * a dependant that verifies the server (`ContainerSpec.trusts` of it) downloads it as it starts
   * (server-ca.ts). @default none: the service is not verified against a CA of the platform's
   */
  readonly serverCa?: ServerCa;
}

/** What the cluster offers, from the environment's config (never looked up at plan time). */
export interface ClusterFacts {
  /** Prefix of the platform's namespaces (`<prefix>-data`, ...). */
  readonly namespacePrefix: string;
  /** StorageClass for persistent volumes; `undefined` = the cluster's default class. */
  readonly storageClass?: string;
  /** GPU nodes: how to schedule onto them, and whether this stack must install the NVIDIA device plugin. */
  readonly gpu?: {
    readonly resourceName: string;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly {
      key: string;
      operator: 'Equal' | 'Exists';
      value?: string;
      effect?: string;
      tolerationSeconds?: number;
    }[];
    readonly installDevicePlugin: boolean;
    /** Install Node Feature Discovery and GPU Feature Discovery with the plugin. @default false */
    readonly featureDiscovery?: boolean;
    /** The apply waits until GPU workloads are ready. */
    readonly waitForRollout: boolean;
  };
  /** Zones to spread replicas across (topology.kubernetes.io/zone), when known. */
  readonly zones?: readonly string[];
  /** Where pods that use the Kubernetes API may connect (443/6443). */
  readonly apiServerCidrs: readonly string[];
  /** Where pods resolve names (UDP/TCP 53): the DNS pods, and addresses no selector matches. @default kube-dns in kube-system */
  readonly dns?: {
    readonly pods: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
    readonly addresses: readonly string[];
  };
  /** External endpoints through the Gateway API; `undefined`: nothing is exposed. */
  readonly gateway?: GatewayFacts;
  /** Operators the cluster already runs (by OperatorChart name: `cnpg`, `eck`), with their namespaces. @default none: each installed */
  readonly existingOperators?: Readonly<Record<string, string>>;
  /**
   * Services by spec name that run outside the cluster and that services in it depend on (a cloud
   * target's managed services that give them their own identities). @default none
   */
  readonly external?: Readonly<Record<string, ExternalService>>;
  /** The applications that use the platform, where they run. @default none */
  readonly consumers?: readonly ConsumerPlacement[];
  /**
   * A namespace the caller has created for its own objects (the AWS target's managed-service
   * endpoints); the platform's services run in their concern namespaces regardless.
   */
  readonly existingNamespace?: string;
  /** How certificates are issued; absent where the cluster has no cert-manager for this platform. */
  readonly certificates?: CertificateFacts;
  /**
   * Where the backup CronJobs of the services' own workloads upload when the cluster has no platform
   * object store (AWS: an S3 bucket through EKS Pod Identity). Each CronJob then runs as its own
   * service account, `backupServiceAccount(<service>)`, which the target binds to a role limited to
   * the service's prefix; `egress`: where those pods connect (S3). @default the platform's object store
   */
  readonly backupStore?: {
    readonly store: Extract<BackupStore, { kind: 'pod-identity' }>;
    readonly egress: readonly { readonly cidrs: readonly string[]; readonly ports: readonly number[]; readonly reason: string }[];
    /**
     * For a service whose S3 client reads a web identity token but not Pod Identity's credentials
     * (Elasticsearch 8.19): an IAM role for its service account (IRSA) limited to its prefix. Returns
     * the role's ARN (the service account's `eks.amazonaws.com/role-arn` and the pods' AWS_ROLE_ARN)
     * and what the pods wait for (the role and its policy). The pods project their service account's
     * token for STS's audience (`WEB_IDENTITY_AUDIENCE`) themselves.
     */
    readonly webIdentity?: (w: {
      readonly service: string;
      readonly namespace: string;
      readonly serviceAccount: string;
      readonly prefix: string;
    }) => { readonly roleArn: string; readonly audience: string; readonly ready: readonly ITerraformDependable[] };
  };
  /**
   * What snapshots the platform's persistent volumes on a schedule (AWS: AWS Backup's EBS snapshots),
   * in plain words; a `volume-snapshot` plan is then met by it, and its stopped dump is not run.
   * @default none: a plan with a stopped dump gets its CronJob
   */
  readonly volumeSnapshots?: string;
  /** How the mail server's public ports are exposed. @default a LoadBalancer Service with externalTrafficPolicy Local */
  readonly mail?: MailExposure;
  /** Outgoing mail through a relay. @default direct delivery */
  readonly mailRelay?: MailRelay;
  /**
   * Where a load balancer the stack manages itself sends from (through node ports: the nodes'
   * addresses), without the Gateway: the external ports admit these addresses too (AWS's ALB).
   * @default none
   */
  readonly loadBalancerSources?: readonly string[];
  /** The target publishes the services' DNS records itself (AWS: Route 53); else they are an output. @default false */
  readonly publishesDns?: boolean;
  /** What the monitoring stack watches beyond the cluster's pods, and where it keeps logs (a cloud target's). @default nothing beyond the cluster */
  readonly monitoring?: MonitoringFacts;
  /**
   * Where the cluster's nodes are, for what must reach every node: the scraper to the kubelets'
   * cAdvisor and node-exporter (host network).
   * @default the API server's CIDRs (`apiServerCidrs`)
   */
  readonly nodeCidrs?: readonly string[];
}

/** What a cloud target adds to the monitoring stack (AWS: managed services through CloudWatch, logs in S3). */
export interface MonitoringFacts {
  /** Services the cloud runs (managed): their alerts and panels apply; their signals come from the CloudWatch exporter. */
  readonly managed: readonly ServiceSpec[];
  /** Those services' signal sources (in the CloudWatch exporter's names). */
  readonly managedSources: readonly SignalSource[];
  /** Grafana's CloudWatch datasource (the SDK's default credentials: Pod Identity). */
  readonly cloudwatch?: { readonly region: string; readonly grafanaServiceAccount: string };
  /** Loki's chunks in S3 through Pod Identity (its service account is `serviceAccount`). */
  readonly logsBucket?: { readonly name: string; readonly region: string; readonly serviceAccount: string };
  /** The most nodes the cluster has (per-node agents), when the target knows it. */
  readonly nodes?: number;
}

/** Where a managed service's server CA is published, and the file name it is kept under. */
export interface ServerCa {
  /** An `https://` URL of the PEM bundle. */
  readonly url: string;
  /** Its file name in the volume the init step writes. */
  readonly file: string;
}
