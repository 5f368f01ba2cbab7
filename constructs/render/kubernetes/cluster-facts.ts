/**
 * What a Kubernetes stack knows of its cluster, from the environment's config (never looked up at
 * plan time): the facts every Kubernetes realization, the pod policy and the operators read.
 * Types only; constructs/render/kubernetes/context.ts hands them on with the render context.
 */
import type { SignalSource } from '../../../monitoring/rules';
import type { ConsumerPlacement } from '../../targets/kubernetes/consumers';
import type { ServiceSpec } from '../../spec/types';

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
  /** The applications that use the platform, where they run. @default none */
  readonly consumers?: readonly ConsumerPlacement[];
  /**
   * A namespace the caller has created for its own objects (the AWS target's managed-service
   * endpoints); the platform's services run in their concern namespaces regardless.
   */
  readonly existingNamespace?: string;
  /** What the monitoring stack watches beyond the cluster's pods, and where it keeps logs (a cloud target's). @default nothing beyond the cluster */
  readonly monitoring?: MonitoringFacts;
  /**
   * Where the cluster's nodes are, for what must reach every node: the scraper to the kubelets'
   * cAdvisor and node-exporter (host network).
   * @default the API server's CIDRs (`apiServerCidrs`)
   */
  readonly nodeCidrs?: readonly string[];
}
