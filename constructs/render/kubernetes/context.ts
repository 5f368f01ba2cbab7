/**
 * What a Kubernetes realization of a service gets from the platform, and what it gives back. The
 * default realization renders the spec as the project's own typed resources (workload.ts); a
 * service whose high availability needs an operator has its own file named after it, chosen
 * through the table in realizations.ts.
 */
import type { GeneratedSecrets } from '../secrets';
import type { Construct, ITerraformDependable } from '../../providers/cdktf';
import type { TextResolver } from '../../spec/template';
import type { MetricsEndpoint, PortPurpose, ServiceSpec, Text } from '../../spec/types';
import type { Operators } from './operators';
import type { PodPolicy, PodPolicyInput } from './pod-policy';
import type { CertificateFacts, ClusterFacts, GatewayFacts, MailExposure, MailRelay, MonitoringFacts } from './cluster-facts';

export type { CertificateFacts, ClusterFacts, GatewayFacts, MailExposure, MailRelay, MonitoringFacts };

/** What a realization knows of its environment: names and policies, never the environment file. */
export interface EnvironmentFacts {
  readonly name: string;
  readonly project: string;
  /** Keep stateful resources from `destroy` (prevent_destroy on what holds data). */
  readonly protectData: boolean;
}

export interface K8sContext {
  readonly environment: EnvironmentFacts;
  /**
   * The certificates a spec serves, issued: the Secret (`tls.crt`, `tls.key`, `ca.crt`) cert-manager
   * writes for each, in the spec's namespace, and what a pod mounting them waits for.
   */
  certificatesOf(spec: ServiceSpec): {
    readonly secrets: Readonly<Record<string, string>>;
    readonly ready: readonly ITerraformDependable[];
  };
  readonly cluster: ClusterFacts;
  readonly secrets: GeneratedSecrets;
  /** The namespace a service runs in (by its concern). */
  namespaceOf(spec: ServiceSpec): string;
  /** Text resolution for a spec's files, env and commands (host references become Service DNS names). */
  resolver(spec: ServiceSpec): TextResolver;
  /** What a dependent waits for: the service's workload and its setup jobs. */
  readyOf(service: string): readonly ITerraformDependable[];
  /** Created before any workload: namespaces, quotas, limit ranges, priority classes. */
  readonly foundation: readonly ITerraformDependable[];
  /** The platform's labels on every object it creates (a final pass adds the environment's: stacks/labels). */
  readonly commonLabels: Readonly<Record<string, string>>;
  /** Labels of the objects a chart creates (the final pass reaches only the stack's own): the platform's and the environment's. */
  readonly chartLabels: Readonly<Record<string, string>>;
  /** The pod policy: labels, scheduling and security context of every pod, whoever builds it. */
  podPolicy(input: PodPolicyInput): PodPolicy;
  /** The PriorityClass of data services. */
  readonly dataPriorityClass: string;
  /** Operators installed from their charts, once each. */
  readonly operators: Operators;
  /**
   * cert-manager, for a chart whose objects need its CRDs (a plugin's Issuer and Certificates): what
   * to wait for. The edge's where there is one (nothing where the cluster runs its own), else this
   * platform's install without Gateway API support.
   */
  certManager(): readonly ITerraformDependable[];
  /**
   * The environment's internal CA in one of the platform's namespaces: ConfigMap `internal-ca` (its
   * `key` the CA's PEM), the one the applications' namespaces get, for a pod that verifies an
   * in-cluster server's internal TLS (`internalTls`) from another namespace than the server's, whose
   * certificate Secret it cannot mount; `ready`: what the pod waits for. Made on first use, one per
   * namespace. Undefined where the environment has no internal CA.
   */
  internalCa(namespace: string): InternalCaMap | undefined;
  /** Every spec the cluster runs (the monitoring stack observes them). */
  readonly specs: readonly ServiceSpec[];
  /** The pods of a service rendered so far (the monitoring stack renders after everything it watches). */
  podsOf(service: string): readonly PodGroup[];
}

/** The internal CA's ConfigMap in a namespace (K8sContext.internalCa). */
export interface InternalCaMap {
  readonly configMap: string;
  readonly key: string;
  readonly ready: readonly ITerraformDependable[];
}

/** A set of pods, as network policies select them. */
export interface PodGroup {
  /** Unique within the environment (`postgres`, `garage/job-setup`, `cnpg-operator`). */
  readonly id: string;
  /** The service the pods belong to (dependency edges are between services). */
  readonly service: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Ports the pods serve, by purpose. */
  readonly ports: readonly { readonly port: number; readonly purpose: PortPurpose; readonly protocol: 'TCP' | 'UDP' }[];
  /**
   * `server`: the service's pods; `job`: a one-shot job of the service (reaches its own service only);
   * `helper`: a long-running helper beside an operator-managed service (its exporter or probe): it
   * reaches its own service like a job, and monitoring reaches its metrics ports.
   */
  readonly role: 'server' | 'job' | 'helper';
  /**
   * The service account these pods write backups to the target's store as (`ClusterFacts.backupStore`,
   * S3 through Pod Identity: the target binds it to a role limited to `backupPrefix`). @default none
   */
  readonly backupAccount?: { readonly serviceAccount: string; readonly prefix: string };
  /** Other services of the platform the pods reach, on their client and admin ports (a backup's store). @default none */
  readonly reaches?: readonly { readonly service: string; readonly reason: string }[];
  /**
   * Extra destinations the pods need (the API server, the internet, or the pods of a namespace the
   * platform does not police, such as an operator's), with the ports.
   */
  readonly egress?: readonly (
    | { readonly cidrs: readonly string[]; readonly ports: readonly number[]; readonly reason: string }
    | { readonly namespace: string; readonly ports: readonly number[]; readonly reason: string }
  )[];
  /**
   * Extra sources allowed in (an operator managing these pods, the Gateway's proxies), by namespace
   * and, where given, by the labels of the pods in it, with the ports.
   */
  readonly ingressFrom?: readonly (
    | {
        readonly namespace: string;
        readonly labels?: Readonly<Record<string, string>>;
        readonly ports: readonly number[];
        readonly reason: string;
      }
    /** Addresses outside the cluster (the internet, a load balancer's): the mail server's public ports. */
    | { readonly cidrs: readonly string[]; readonly ports: readonly number[]; readonly reason: string }
  )[];
}

export interface Realized {
  /** What dependents wait for. */
  readonly ready: readonly ITerraformDependable[];
  /** The service's pods, for network policy. */
  readonly pods: readonly PodGroup[];
}

/**
 * How a service runs on Kubernetes. `F` is its facet (what the service's definition lets its
 * realizations know beyond the spec); every spec name has one row (realizations.ts).
 */
export interface Realization<F = unknown> {
  /**
   * When the realization runs the spec's pods outside its concern's namespace: a namespace of its
   * own, `<prefix>-<name>`, at a Pod Security level other than `restricted`, with the reason (shown
   * on the namespace and in the docs). Its quota counts what the realization runs there.
   * @default the concern's namespace
   */
  readonly namespace?: { readonly name: string; readonly podSecurity: 'baseline' | 'privileged'; readonly reason: string };
  /** Which resources realize the service, for the docs (`own StatefulSet`, `CloudNativePG 0.29.0`, ...). */
  readonly describe: (spec: ServiceSpec<string, F>) => string;
  /** Why this realization for this service, for the docs (docs/services.md, "On Kubernetes"). */
  readonly why: (spec: ServiceSpec<string, F>) => string;
  /** The Service name clients use, when it is not the service's own name (`postgres-rw`). @default spec.name */
  readonly serviceName?: (spec: ServiceSpec) => string;
  /**
   * Other names in its namespace the realization's Services give the server, which an internal
   * certificate (`CertificateSpec.internal`) must name too: a StatefulSet's members
   * (`*.<name>-headless`, and each member's exact name for a certificate the members present to each
   * other), an operator's read-only Services. @default none
   */
  readonly serverNames?: (spec: ServiceSpec) => readonly string[];
  /** Labels the Secret of its internal certificate carries (an operator that reloads a labelled Secret). @default none */
  readonly certificateLabels?: Readonly<Record<string, string>>;
  /**
   * When that Service speaks TLS with a certificate of the realization's own CA: the Secret (key
   * `ca.crt`) in the service's namespace that holds the CA. The Gateway's route to it verifies the
   * Service's DNS name against that CA (a BackendTLSPolicy). @default plain HTTP
   */
  readonly serviceTls?: (spec: ServiceSpec) => { readonly caSecret: string };
  /**
   * What a consumer's connection facts are on this realization, when they differ from the spec's
   * (HTTPS where the operator serves TLS, the CA to verify it); `namespace` is the service's.
   * @default the spec's facts
   */
  readonly consumerFacts?: (spec: ServiceSpec, facts: Readonly<Record<string, Text>>, namespace: string) => Record<string, Text>;
  /**
   * A Secret in the service's namespace holding only public material (key `ca.crt`: the CA of the
   * served certificate) that consumers may read: each consumer's service accounts get `get` on it
   * alone. @default none
   */
  readonly consumerCa?: (spec: ServiceSpec) => { readonly secret: string };
  /**
   * Where the realization's metrics are scraped, when that differs from the spec's endpoint (the
   * Elasticsearch exporter probes ECK's HTTPS Service): what a cluster's monitoring reads.
   * @default the spec's `metrics`
   */
  readonly metricsOf?: (spec: ServiceSpec<string, F>) => MetricsEndpoint;
  /**
   * The spec's secrets this realization does not use (an operator replaces the job or the users
   * that need them): they are not generated, so no unused password sits in the state. @default none
   */
  readonly unusedSecrets?: (spec: ServiceSpec<string, F>) => readonly string[];
  render(scope: Construct, ctx: K8sContext, spec: ServiceSpec<string, F>, dependsOn: readonly ITerraformDependable[]): Realized;
}
