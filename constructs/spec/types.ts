/**
 * The target-neutral service specification.
 *
 * A `ServiceSpec` is pure data: it says what a service needs (images, ports, files, secrets,
 * persistence, health, resources, metrics, dependencies) and nothing about how a target provides it.
 * Renderers in `constructs/targets/<target>/` turn specs into provider resources. No cdktf import
 * may appear in this module or in `constructs/services/`.
 */

/** A reference to a generated secret declared by a service (`ServiceSpec.secrets`). */
export interface SecretRef {
  readonly kind: 'secret';
  /** Service that declares the secret. */
  readonly service: string;
  /** Secret name within that service. */
  readonly name: string;
}

/** A reference to the network host name under which another service is reachable. */
export interface HostRef {
  readonly kind: 'host';
  readonly service: string;
}

/**
 * The address of this workload's main container as seen from its own sidecars. Targets that
 * co-locate sidecars (a Kubernetes pod) resolve it to the loopback address; targets that run them
 * as separate containers resolve it to the service's network name.
 */
export interface SelfRef {
  readonly kind: 'self';
}

export type TemplatePart = string | SecretRef | HostRef | SelfRef;
export type Reference = SecretRef | HostRef | SelfRef;

/** Text assembled from literals and references, resolved by the target at render time. */
export interface Template {
  readonly kind: 'template';
  readonly parts: readonly TemplatePart[];
}

/** A literal string or a template. Secrets only ever travel inside templates. */
export type Text = string | Template;

export interface ImageRef {
  /** Repository including registry, e.g. `docker.elastic.co/elasticsearch/elasticsearch`. */
  readonly repository: string;
  /** Exact version tag; never `latest`. */
  readonly tag: string;
  /** Optional content digest (`sha256:...`) to pin beyond the tag. */
  readonly digest?: string;
}

/** Kubernetes-style quantities: cpu as `500m` / `2`, memory as `512Mi` / `2Gi`. */
export interface ResourceAmounts {
  readonly cpu: string;
  readonly memory: string;
}

export interface ResourceRequirements {
  readonly requests: ResourceAmounts;
  readonly limits: ResourceAmounts;
}

export type PortPurpose = 'client' | 'admin' | 'metrics' | 'cluster';

export interface PortSpec {
  /** Stable name, used for host port overrides and Kubernetes service port names. */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly purpose: PortPurpose;
  /** Application protocol (`http`, `grpc`, `redis`, ...), informational for targets and docs. */
  readonly appProtocol: string;
  /**
   * Host port to publish on the loopback address of a single-host target, or `undefined` when the
   * port stays on the service network only.
   */
  readonly hostPort?: number;
}

export interface VolumeMount {
  /** Name of a volume in `ServiceSpec.volumes`. */
  readonly volume: string;
  readonly path: string;
  readonly readOnly?: boolean;
}

export interface ConfigFile {
  /** Absolute path inside the container. */
  readonly path: string;
  readonly content: Text;
  /** Octal file mode, e.g. `0o644`. Files with secrets should be `0o600` or `0o640`. */
  readonly mode: number;
  /** What the file is, for docs and validators (`nats.conf`, `redis.conf`, `postgresql.conf`, ...). */
  readonly format: string;
}

export interface HealthCheck {
  /** Command run inside the container; exit code 0 means ready. */
  readonly exec: readonly string[];
  /** The same check reachable over HTTP, for targets that can probe directly (Kubernetes). */
  readonly http?: { readonly port: number; readonly path: string };
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
}

export interface Ulimit {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

export interface ContainerSpec {
  /** Unique within the service: `main` for the service itself, a role name for sidecars. */
  readonly name: string;
  readonly image: ImageRef;
  /** Replaces the image entrypoint when set. */
  readonly command?: readonly Text[];
  /** Replaces the image command (arguments to the entrypoint) when set. */
  readonly args?: readonly Text[];
  readonly env: Readonly<Record<string, Text>>;
  readonly ports: readonly PortSpec[];
  readonly mounts: readonly VolumeMount[];
  readonly files: readonly ConfigFile[];
  readonly health: HealthCheck;
  readonly resources: ResourceRequirements;
  /** Number of GPUs the container needs; 0 or absent means none. */
  readonly gpus?: number;
  /** `uid[:gid]` to run as, when the image default is not right. */
  readonly user?: string;
  readonly ulimits?: readonly Ulimit[];
  /** Seconds to wait after SIGTERM before killing (databases need time to flush). */
  readonly stopGracePeriodSeconds: number;
}

/** A one-shot, idempotent task run after the service's main container is healthy. */
export interface JobSpec {
  readonly name: string;
  readonly description: string;
  readonly image: ImageRef;
  readonly command: readonly Text[];
  readonly env: Readonly<Record<string, Text>>;
  readonly files: readonly ConfigFile[];
  readonly mounts: readonly VolumeMount[];
  readonly resources: ResourceRequirements;
}

export interface VolumeSpec {
  readonly name: string;
  readonly size: string;
  readonly description: string;
  /** Whether the volume holds data that must be backed up (vs. caches that can be rebuilt). */
  readonly backup: boolean;
}

export interface SecretSpec {
  readonly name: string;
  readonly description: string;
  /** Generated length in characters (alphanumeric: safe in URLs, shells and config files). */
  readonly length: number;
}

export interface MetricsEndpoint {
  /** Container that serves the endpoint (`main` for native metrics, an exporter sidecar otherwise). */
  readonly container: string;
  readonly port: number;
  readonly path: string;
  /** Query parameters (blackbox-style probes). */
  readonly params?: Readonly<Record<string, readonly Text[]>>;
  /** How the scraper authenticates, if the endpoint requires it. */
  readonly auth?:
    | { readonly kind: 'bearer'; readonly token: SecretRef }
    | { readonly kind: 'basic'; readonly username: string; readonly password: SecretRef };
  /** `native` when the service exposes Prometheus metrics itself. */
  readonly source: 'native' | 'exporter' | 'probe';
}

/** Managed equivalents a cloud target may substitute for the self-hosted service. */
export type ManagedEquivalent = 'rds-postgresql' | 'elasticache-redis' | 'amazon-mq-rabbitmq' | 'opensearch' | 's3';

export interface ServiceSpec {
  /** Unique service name; also its host name on the service network. */
  readonly name: string;
  /** Catalogue entry that produced this spec (e.g. `elasticsearch` for `kibana`). */
  readonly component: string;
  /** Where the spec's settings live in an environment file (e.g. `services.elasticsearch.kibana`). */
  readonly configPath: string;
  readonly description: string;
  readonly replicas: number;
  readonly containers: readonly ContainerSpec[];
  readonly volumes: readonly VolumeSpec[];
  readonly secrets: readonly SecretSpec[];
  readonly jobs: readonly JobSpec[];
  readonly dependsOn: readonly string[];
  readonly metrics: MetricsEndpoint;
  readonly managed?: ManagedEquivalent;
}
