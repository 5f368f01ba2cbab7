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
  /**
   * What is inserted: the value itself, or a one-way hash of it for servers that verify a password
   * against a hash in their config, so the file holds no password:
   * - `bcrypt`: NATS, Elasticsearch's file realm;
   * - `sha256`: the lower-case hex SHA-256 of the value (Redis ACL `#<hash>` passwords);
   * - `rabbitmq-sha256`: RabbitMQ's `rabbit_password_hashing_sha256` form, base64 of a 4-byte salt
   *   followed by SHA-256(salt + value), for a definitions file's `password_hash` (the salt is
   *   generated once per secret).
   *
   * Of a private key (`SecretSpec.kind: 'rsa-private-key'`), `value` is the key in PEM (PKCS#8), and:
   * - `public-key-base64`: the public key as base64 DER (SubjectPublicKeyInfo) on one line, what a
   *   DKIM record's `p=` carries (not a secret: targets publish it in DNS);
   * - `private-key-base64`: the private key's PKCS#8 DER as base64 on one line (Amazon SES's
   *   BYODKIM form).
   * @default 'value'
   */
  readonly form?: 'value' | 'bcrypt' | 'sha256' | 'rabbitmq-sha256' | 'public-key-base64' | 'private-key-base64';
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

/**
 * The stable address of one member of a replicated service (`index` from 0), for peer lists and
 * cluster routes: on Kubernetes `<service>-<index>.<service>-headless.<namespace>.svc`; on a single
 * host (one member) the service's name.
 */
export interface PeerRef {
  readonly kind: 'peer';
  readonly service: string;
  readonly index: number;
}

/**
 * This member's own stable name (a pod's name on Kubernetes, the container's on Docker), or with
 * `form: 'address'` its stable address: the address its peers reach it at, the one `PeerRef` gives
 * for its index (on Kubernetes `<pod>.<service>-headless.<namespace>.svc`). Only in environment
 * variables and command lines: a target expands it per member at start.
 */
export interface MemberRef {
  readonly kind: 'member';
  /** @default 'name' */
  readonly form?: 'name' | 'address';
}

export type TemplatePart = string | SecretRef | HostRef | SelfRef | PeerRef | MemberRef;
export type Reference = SecretRef | HostRef | SelfRef | PeerRef | MemberRef;

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
  /** Exact version tag; never `latest`. Absent only when a digest pins the image by itself. */
  readonly tag?: string;
  /** Content digest (`sha256:...`), pinning beyond the tag or instead of it. */
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

/**
 * What a port is for, which decides where it may be reached from:
 * - `client`: the service's API for other services and applications;
 * - `ui`: a web UI for people (Kibana, the RabbitMQ management UI, the Neo4j browser, ...);
 * - `admin`: an operator's HTTP/API port that is not a UI (NATS monitoring, ...);
 * - `metrics`: scraped by monitoring only;
 * - `cluster`: between members of the same service only.
 */
export type PortPurpose = 'client' | 'ui' | 'admin' | 'metrics' | 'cluster';

export interface PortSpec {
  /** Stable name, used for host port overrides and Kubernetes service port names. */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly purpose: PortPurpose;
  /** Application protocol (`http`, `grpc`, `redis`, ...), informational for targets and docs. */
  readonly appProtocol: string;
  /**
   * Host port the environment asks for explicitly (`services.<name>.hostPorts.<port>`), honoured by
   * single-host targets only. Which other ports a single host publishes, and where, is the target's
   * publishing policy (`target.publish` on Docker), not part of the spec.
   */
  readonly hostPort?: number;
  /**
   * Present when the port answers without any credential: what anyone who reaches it can do, and
   * why it has none. A single-host target publishes such a port only when the environment asks for
   * it explicitly, and warns when it does. Every other client, UI or admin port authenticates its
   * callers (a password, a token, a key).
   * @default none (the port requires credentials)
   */
  readonly anonymous?: string;
  /**
   * Reachable from outside the platform: a cluster target routes it through its Gateway under
   * `<service>.<domain>` with a TLS certificate (an HTTP port; at most one per service). Decided per
   * port, not by purpose: the RabbitMQ management UI and the Neo4j browser are UIs that stay
   * internal. Single-host targets ignore it (their publishing policy is `target.publish`).
   * @default false (internal only)
   */
  readonly external?: true;
  /**
   * The host name an external port is routed under, as a label under the environment's domain
   * (`api` for `api.<domain>`). @default the service's name
   */
  readonly externalHost?: string;
  /**
   * Faces the internet directly as plain TCP (not through the HTTP gateway): SMTP and IMAP. A cluster
   * target exposes it through a load balancer that keeps the client's address (docs/operations.md,
   * "Mail"); a single host publishes it by its publishing policy like any other port.
   * @default internal only
   */
  readonly internet?: InternetExposure;
  /**
   * Served to the outside through the platform's API gateway (Kong) as API `name`: a route
   * `/<name>` with the gateway's authentication, rate limit, size limit and CORS. A port without
   * authentication of its own (`anonymous`) is reached from outside its network through the
   * gateway only.
   * @default not an API of the gateway
   */
  readonly api?: ApiExposure;
  /**
   * A single-host target never publishes the port, whatever its publishing policy, and refuses a
   * `hostPorts` entry for it: an anonymous port whose data is everyone's (Loki's API holds every
   * service's logs, Jaeger's every trace), with the reason. Cluster targets admit only the peers
   * their policy names, as for every port.
   * @default absent (the publishing policy decides)
   */
  readonly neverPublished?: string;
}

/** A port on the internet (see `PortSpec.internet`). */
export interface InternetExposure {
  /** Why it faces the internet, for the docs. */
  readonly reason: string;
  /** The public name clients connect to (`mail.<domain>`): a target that manages DNS points it at its load balancer. */
  readonly hostname: string;
  /**
   * The container port serving the same protocol after a PROXY protocol header (v1 or v2): a load
   * balancer that sends one passes the client's address on, which spam filtering needs. Internal
   * clients keep the plain port; targets route a PROXY-speaking load balancer here.
   */
  readonly proxyProtocolPort: number;
}

/** An API the gateway serves (see `PortSpec.api`). */
export interface ApiExposure {
  /** The API's name: its route is `/<name>`, and consumers are granted APIs by name. */
  readonly name: string;
  /** What the API is, for the docs and the gateway's service tags. */
  readonly description: string;
}

export interface VolumeMount {
  /** Name of a volume in `ServiceSpec.volumes` (of `service`, when given). */
  readonly volume: string;
  /**
   * Another service's volume, mounted (read-only) where a single host shares it: the scraper reading
   * the token a service's job wrote. Cluster targets refuse it (pods cannot share a volume).
   * @default the spec's own volume
   */
  readonly service?: string;
  readonly path: string;
  readonly readOnly?: boolean;
}

export interface ConfigFile {
  /** Absolute path inside the container. */
  readonly path: string;
  /**
   * The file's text. A file whose content references a secret is a secret file: targets keep it out
   * of plain config objects (a Kubernetes Secret, never a ConfigMap) and it must have a tight mode.
   */
  readonly content: Text;
  /** Octal file mode, e.g. `0o644`. Secret files are at most `0o440` (guardrails enforce it). */
  readonly mode: number;
  /** What the file is, for docs and validators (`nats.conf`, `redis.conf`, `postgresql.conf`, ...). */
  readonly format: string;
}

export interface HealthCheck {
  /** Command run inside the container; exit code 0 means ready. */
  readonly exec: readonly string[];
  /** The same check reachable over HTTP, for targets that can probe directly (Kubernetes). */
  readonly http?: { readonly port: number; readonly path: string };
  /**
   * For a member of a cluster (`ServiceSpec.cluster`): the stricter check that it has joined its
   * cluster and caught up with it, not only that its process answers. Targets that tell readiness
   * from liveness (Kubernetes) make readiness this check, so a rolling update moves to the next
   * member only once this one has rejoined; liveness and the start period keep the base check, so
   * a cluster that lost its quorum is not made worse by restarts.
   */
  readonly member?: { readonly exec: readonly string[]; readonly http?: { readonly port: number; readonly path: string } };
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
}

/** One DNS record a service needs in its domain's zone (see `ServiceSpec.dnsRecords`). */
export interface DnsRecord {
  /** Fully qualified, without the trailing dot. */
  readonly name: string;
  readonly type: 'MX' | 'TXT';
  /** One per record value; a target splits a TXT value longer than 255 characters into strings. */
  readonly values: readonly Text[];
  /** What it is for, for the docs and the outputs. */
  readonly purpose: string;
}

/** What a container needs beyond an unprivileged user (see `ContainerSpec.privileges`). */
export interface Privileges {
  /** Why, in plain words (docs, the namespace's `platform/pod-security-reason`). */
  readonly reason: string;
  /** It runs as root (uid 0): `user` is `0:0`. */
  readonly root: boolean;
  /** Set-user/group-id helpers must work (no `no-new-privileges`, `allowPrivilegeEscalation`). */
  readonly privilegeEscalation: boolean;
  /**
   * Linux capabilities added after dropping all (names without `CAP_`). Pod Security `baseline`
   * allows AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE,
   * SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.
   */
  readonly capabilities: readonly string[];
}

/** The CA of a certificate a container verifies (see `ContainerSpec.trusts`). */
export interface TrustedCertificate {
  /** The service that declares the certificate (`ServiceSpec.certificates`). */
  readonly service: string;
  readonly certificate: string;
  /** Where the CA's certificate (PEM) goes. */
  readonly path: string;
}

/**
 * A TLS certificate a service serves with. The target issues it (Docker: an internal CA from the tls
 * provider, or the certificate the environment names; Kubernetes: cert-manager) and puts the chain
 * and the key where the container expects them; the key is a secret file.
 */
export interface CertificateSpec {
  readonly name: string;
  readonly description: string;
  /** Names from the service's own config (`mail.example.com`); the first is the subject. */
  readonly dnsNames: readonly string[];
  /**
   * The container that serves it; the target adds the names it is reached by there (its network
   * alias, its Service's DNS name).
   */
  readonly container: string;
  /** Where the PEM chain (leaf first) and the PEM private key go in that container. */
  readonly paths: { readonly certificate: string; readonly key: string };
  /**
   * Only the platform's own clients connect, by the names the target gives the service (internal
   * TLS of the data services, `internalTls`): always issued by the environment's internal CA, even
   * where the target serves the public names with a certificate from files.
   * @default false
   */
  readonly internal?: true;
  /**
   * The service's members also connect to each other with it (NATS routes, RabbitMQ's Erlang
   * distribution over TLS), and the peer requires a client certificate: it is issued for client
   * authentication too (`clientAuth`), besides the server's; on a cluster it names each member exactly
   * too. @default false (a server certificate only)
   */
  readonly peers?: true;
}

/** Host access a container needs, with the reason (see `ContainerSpec.host`). */
export interface HostAccess {
  readonly reason: string;
  /** Share the host's process namespace. @default false */
  readonly pid?: boolean;
  /** Run privileged (every device and capability; cAdvisor's documented mode). @default false */
  readonly privileged?: boolean;
  /** Host paths, mounted read-only. */
  readonly mounts?: readonly { readonly hostPath: string; readonly path: string; readonly propagation?: 'rslave' }[];
  /** Host devices. */
  readonly devices?: readonly string[];
  /**
   * Sees every GPU of the host (a GPU exporter), without allocating any: a single host gives the
   * container its GPUs as to a GPU workload; cluster targets run such an agent on the GPU nodes
   * through the runtime, with no GPU request. @default false
   */
  readonly gpus?: true;
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
  /**
   * The non-root identity (`uid:gid`) the process runs as. Kubernetes runs the container as it
   * (runAsUser/runAsGroup, fsGroup for volumes); Docker starts the container as it, unless
   * `startsAsRoot`.
   */
  readonly user: string;
  /**
   * On Docker, start as the image's default user (root) instead, with the reason: the image's
   * entrypoint prepares its data directory and drops to `user` itself, or the process must write a
   * named volume that Docker creates owned by root. Kubernetes always starts as `user` (fsGroup makes
   * volumes writable). The reason is recorded beside the container (guardrail PLAT-CTR-004).
   * @default absent (starts as `user`)
   */
  readonly startsAsRoot?: string;
  /**
   * Directories the process writes outside its volumes. Where a target runs the root filesystem
   * read-only (Kubernetes), each gets an empty scratch volume; `undefined` means the image needs a
   * writable root filesystem, and `writableRoot` says why.
   */
  readonly scratchPaths?: readonly string[];
  /**
   * Why the root filesystem stays writable (what the image writes there), when `scratchPaths` is
   * absent. Renderers refuse a container with neither; docs/services.md lists every one.
   */
  readonly writableRoot?: string;
  /**
   * What the process needs beyond an unprivileged user, with the reason (docker-mailserver starts
   * as root and drops to each daemon's user itself). Absent for every container that runs as its
   * non-root `user` with no capability. Targets grant exactly this (Kubernetes: the namespace's Pod
   * Security level becomes `baseline`, which must cover it; Docker: these capabilities only, and
   * `no-new-privileges` off where escalation is needed).
   * @default none
   */
  readonly privileges?: Privileges;
  /**
   * Certificates of other services (or its own) whose issuing CA this container must trust to verify
   * TLS connections: the CA's certificate at `path`, where the target knows it (an internal CA);
   * absent where the certificate comes from a public CA the image trusts already.
   * @default []
   */
  readonly trusts?: readonly TrustedCertificate[];
  readonly ulimits?: readonly Ulimit[];
  /**
   * What of the host the process needs (a host metrics exporter): the host's process namespace,
   * host paths mounted read-only, privileged mode, devices. Targets that can grant it record the
   * reason beside the container; the others realize the service differently or refuse it.
   * @default none
   */
  readonly host?: HostAccess;
  /** Seconds to wait after SIGTERM before killing (databases need time to flush). */
  readonly stopGracePeriodSeconds: number;
  /** Size of `/dev/shm` (a memory quantity), for servers that use shared memory (PostgreSQL). */
  readonly shmSize?: string;
}

/** A one-shot, idempotent task run after the service's main container is healthy, on every deploy. */
export interface JobSpec {
  readonly name: string;
  readonly description: string;
  readonly image: ImageRef;
  readonly command: readonly Text[];
  readonly env: Readonly<Record<string, Text>>;
  readonly files: readonly ConfigFile[];
  readonly mounts: readonly VolumeMount[];
  readonly resources: ResourceRequirements;
  /** The non-root identity (`uid:gid`) the job runs as. */
  readonly user: string;
  /** On Docker, start as the image's default user (root), with the reason, as for containers (`ContainerSpec.startsAsRoot`). @default absent */
  readonly startsAsRoot?: string;
  /**
   * CAs of the certificates it verifies, as for containers (`ContainerSpec.trusts`): a backup's dump
   * step connecting to a server with internal TLS. @default []
   */
  readonly trusts?: readonly TrustedCertificate[];
  /** Directories the job writes (scratch volumes where the root filesystem is read-only). @default [] */
  readonly scratchPaths?: readonly string[];
  /**
   * Credentials this job sets inside the service (roles, users, passwords). Every workload that uses
   * one of them waits for the job, so nothing starts with a credential the service does not know yet.
   * @default []
   */
  readonly applies?: readonly SecretRef[];
  /**
   * `setup`: short; the deploy waits for it and fails when it fails. `background`: may run for a
   * long time (model downloads); the deploy starts it and does not wait, it resumes where it left off
   * when restarted, and it stops at `timeoutSeconds`.
   * @default 'setup'
   */
  readonly run?: 'setup' | 'background';
  /** Time limit, after which the job is stopped (and fails). */
  readonly timeoutSeconds: number;
}

/**
 * The TLS a service serves with a certificate of the platform's internal CA. The certificate names
 * every address the target gives the service (its name on the service network; on a cluster its
 * Service's DNS names and each member's stable address), `localhost` and 127.0.0.1 (sidecars and
 * health checks), for server authentication, and for client authentication too where members present
 * it to each other (`CertificateSpec.peers`).
 */
export interface ServiceTls {
  /** The ports that speak TLS (names of the spec's ports), for docs, network policy and clients. */
  readonly ports: readonly string[];
  /** The ports kept in plaintext while applications move to TLS (`internalTls.plaintext`). @default none */
  readonly plaintextPorts?: readonly string[];
  /** What speaks TLS, in plain words (client connections, replication, routes), for the docs. */
  readonly description: string;
}

export interface VolumeSpec {
  readonly name: string;
  readonly size: string;
  readonly description: string;
  /**
   * Whether the volume holds data that must be backed up (vs. caches that can be rebuilt). A spec
   * with such a volume states how it is backed up in `ServiceSpec.backup`, covering it.
   */
  readonly backup: boolean;
}

/**
 * How a backup captures a service's data, in the product's own terms:
 * - `logical-dump`: the server's dump tool while it serves (pg_dumpall of the roles + pg_dump of each database);
 * - `wal-archive`: a base backup plus every WAL segment, continuously (point-in-time recovery);
 * - `rdb-copy`: a point-in-time RDB the server streams to a replica (`redis-cli --rdb`);
 * - `stream-snapshot`: each JetStream stream's snapshot through the JetStream API, with its consumers;
 * - `collection-snapshot`: each collection's snapshot through the Qdrant API, from every member;
 * - `snapshot-repository`: the server's snapshots into an object-store repository, on its own schedule (Elasticsearch SLM);
 * - `definitions-export`: the broker's definitions (users, vhosts, queues, policies); messages are not kept;
 * - `volume-snapshot`: a snapshot of the volume taken at once (crash-consistent: the server recovers it from its own log);
 * - `stopped-dump`: the server stopped in a window and its offline dump tool run;
 * - `replicas`: none beyond the copies the service keeps itself (see `gaps`).
 */
export type BackupMethod =
  | 'logical-dump'
  | 'wal-archive'
  | 'rdb-copy'
  | 'stream-snapshot'
  | 'collection-snapshot'
  | 'snapshot-repository'
  | 'definitions-export'
  | 'volume-snapshot'
  | 'stopped-dump'
  | 'replicas';

/** How many backups are kept: every one of the last hours, then the newest of each day, week and month. */
export interface BackupRetention {
  /** Every backup younger than this many hours (what the RPO is met with). */
  readonly recentHours: number;
  /** The newest backup of each of the last N days (UTC). */
  readonly daily: number;
  /** The newest backup of each of the last N ISO weeks. */
  readonly weekly: number;
  /** The newest backup of each of the last N months. */
  readonly monthly: number;
}

/** Recovery objectives, in minutes: the data a restore may lose (RPO) and the time it may take (RTO). */
export interface BackupObjectives {
  readonly rpoMinutes: number;
  readonly rtoMinutes: number;
}

/** When a backup runs (UTC): every `everyMinutes` minutes, `offsetMinutes` past the start of each period. */
export interface BackupSchedule {
  /** A divisor of 60, or a multiple of 60 that divides 1440 (a day). */
  readonly everyMinutes: number;
  /** Minutes past the start of each period (spreads the services' runs over the hour). */
  readonly offsetMinutes: number;
  /** The same schedule as a five-field cron expression (UTC). */
  readonly cron: string;
}

/**
 * A daily window in which the server is stopped and its offline dump tool runs: how a target that
 * does not snapshot the volume (a single host; a cluster without volume snapshots) takes a
 * `volume-snapshot` plan's backup. The dump runs in the server's image (same version, so the dump's
 * format is the one the server loads) as the server's user, with the volume mounted where the
 * server mounts it, and writes into `$BACKUP_DIR`; targets upload what it wrote like a dump step's.
 */
export interface StoppedDump {
  /** Minutes after midnight (UTC) the window opens. */
  readonly atMinute: number;
  /** The volume the dump reads (the spec's), mounted at `path`. */
  readonly volume: string;
  readonly path: string;
  /**
   * Shell command run with the server stopped, writing the dump into `$BACKUP_DIR` (the server's own
   * tool). It runs in the server's image, as the server's user.
   */
  readonly command: string;
  /**
   * How the server starts in its container (the image's own entrypoint script and command, run as
   * the image's user, root): a single host runs it under a supervisor that stops it in the window,
   * dumps, and starts it again.
   */
  readonly server: readonly string[];
  /** The image's init process, kept as PID 1 in front of the supervisor (`tini -g --`). */
  readonly init: readonly string[];
  /** The image's tool that runs the dump as the server's user from root (`su-exec <user>:<group>`). */
  readonly runAs: readonly string[];
  /** Where the dump tool writes besides `$BACKUP_DIR` (logs, temporary files), where its root is read-only. */
  readonly scratchPaths: readonly string[];
  /** Environment of the dump beyond the server's (its tool's memory). @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** What the dump may use where it runs in a pod of its own (a cluster). */
  readonly resources: ResourceRequirements;
  /** What the upload of the dump may use (curl). */
  readonly uploadResources: ResourceRequirements;
  /** The longest the dump may take. */
  readonly timeoutSeconds: number;
}

/**
 * How a stateful service is backed up: present on every spec with a volume marked `backup: true`,
 * covering those volumes. The plan is the service's own (its product's tools); each target runs it
 * where the service runs, or states what replaces it there (an operator's continuous archiving, a
 * managed service's snapshots).
 */
export interface BackupPlan {
  readonly method: BackupMethod;
  /** What is captured, with which of the product's tools, for the docs. */
  readonly description: string;
  /** The spec's volumes (`backup: true`) the plan protects. */
  readonly volumes: readonly string[];
  /** `online`: taken while the service serves; `stopped`: in a window with the server stopped; `crash-consistent`: a volume snapshot. */
  readonly consistency: 'online' | 'stopped' | 'crash-consistent';
  readonly schedule: BackupSchedule;
  readonly retention: BackupRetention;
  /** What this configuration achieves (the RPO is the schedule's interval, or less where the plan is continuous). */
  readonly objectives: BackupObjectives;
  /** Key prefix of the service's backups in the platform's backup bucket (`<prefix>/<UTC stamp>/...`). */
  readonly prefix: string;
  /**
   * The step that takes a backup while the service runs, with the product's own tool: it writes
   * files into the directory `$BACKUP_DIR` names and exits 0. Targets run it on the schedule beside
   * the service (a Kubernetes CronJob, a scheduler container on a single host) and upload what it
   * wrote, with `SHA256SUMS` and a `COMPLETE` marker, to `<prefix>/<stamp>/`. It reaches the service
   * over the network only (it shares no volume). @default none (the service or a realization takes it)
   */
  readonly dump?: JobSpec;
  /** The offline alternative of a `volume-snapshot` plan, for targets that cannot snapshot a volume. @default none */
  readonly stoppedDump?: StoppedDump;
  /** What the plan does not protect, in plain words (the guardrails and docs show it). @default nothing */
  readonly gaps?: string;
}

export interface SecretSpec {
  readonly name: string;
  readonly description: string;
  /**
   * `password`: random characters (`alphabet`, `length`). `rsa-private-key`: an RSA private key of
   * `length` bits from the tls provider (a DKIM signing key), read in the forms of `SecretRef.form`.
   * @default 'password'
   */
  readonly kind?: 'password' | 'rsa-private-key';
  /** Generated length in characters (without the prefix); bits for a key. */
  readonly length: number;
  /**
   * `alphanumeric`: letters and digits, safe unquoted in URLs, shells and config files. `hex`: lower-case
   * hex digits from random bytes, for servers that require it (Garage's RPC secret and keys).
   * @default 'alphanumeric'
   */
  readonly alphabet?: 'alphanumeric' | 'hex';
  /** Fixed text before the generated part (Garage key ids start with `GK`). @default '' */
  readonly prefix?: string;
  /**
   * Not generated: provided at deploy time (a receiver's webhook token, an SMTP password), as the
   * sensitive Terraform variable of this name (`TF_VAR_<variable>`). Never written in a file.
   * @default generated
   */
  readonly provided?: { readonly variable: string };
  /**
   * Who may hold it. `service`: the service itself, its jobs, sidecars and monitoring (passwords of
   * its administrator and internal users): never handed to an application. `application`: handed to
   * applications through `ServiceSpec.consumers` (a consumer's own credentials, a read-only key).
   * Guardrails refuse a consumer's credential that references a `service` secret. `person`: a
   * person's own password (a mailbox's): every target lets the operator read it (Terraform's
   * sensitive `credentials` output) and hands it to no application.
   * @default 'service'
   */
  readonly audience?: 'service' | 'application' | 'person';
}

/** The program (server or exporter) whose metric names an endpoint serves, at its version. */
export interface MetricSource {
  /** As the metric lists name it: `monitoring/metrics/<name>@<version>.txt`. */
  readonly name: string;
  readonly version: string;
}

/**
 * A signal: a recording rule that states one fact about a service in the platform's names
 * (`platform:<what>:<unit>`, labelled `service`), computed from the names its metric source serves.
 * Alerts and dashboards read signals only, so they are the same whichever exporter, operator or
 * cloud service provides the numbers.
 */
export interface Signal {
  readonly record: string;
  /** PromQL over the source's metric names (every name must be in the source's metric list). */
  readonly expr: string;
  /**
   * A unit test of the rule: input series in the source's names (promtool notation, one sample a
   * minute) and the value `sum by (service) (<record>)` must have after ten minutes.
   */
  readonly example: { readonly series: Readonly<Record<string, SeriesValues>>; readonly service: string; readonly value: number };
}

export type Severity = 'critical' | 'warning';

/**
 * Samples of a synthetic series for a rule's unit test, one a minute: a number held for the whole
 * test, or promtool's expanding notation (`0+60x30`: from 0, 60 more each minute, 30 times).
 */
export type SeriesValues = number | string;

/**
 * An alert on signals: the same rule on every target. Its runbook is docs/runbooks/<name>.md.
 */
export interface AlertRule {
  /** PascalCase; also the runbook's file name. */
  readonly name: string;
  /** PromQL over signals (`platform:*`) and Prometheus' own series (`up`). */
  readonly expr: string;
  /** How long the condition holds before the alert fires (a Prometheus duration). */
  readonly for: string;
  readonly severity: Severity;
  /** One line for the notification; may name `{{ $labels.<label> }}` of the firing series. */
  readonly summary: string;
  /** What it means, in a sentence or two. */
  readonly description: string;
  /**
   * The unit test promtool runs: signal series (promtool notation, one sample a minute) on which the
   * alert fires, with the labels it fires with, and series on which it stays quiet.
   */
  readonly test: {
    readonly firing: { readonly series: Readonly<Record<string, SeriesValues>>; readonly labels: Readonly<Record<string, string>> };
    readonly healthy: Readonly<Record<string, SeriesValues>>;
  };
}

/** A dashboard panel over signals. */
export interface Panel {
  readonly title: string;
  readonly expr: string;
  /** Grafana unit: `percentunit`, `s`, `bytes`, `short`, `reqps`, `ops`. */
  readonly unit: string;
  /** Series legend, e.g. `{{instance}}`. @default '{{service}}' */
  readonly legend?: string;
}

/**
 * What one application (a consumer named in the environment's `consumers`) receives from a service:
 * the client ports it may connect to, plain connection facts, and credentials scoped to it alone,
 * never the service's administrator's. Targets publish it where the application runs (Kubernetes:
 * ConfigMap `<component>-endpoint` and Secret `<component>-credentials` in the consumer's namespace,
 * and network policy admitting its pods on `ports` only; Docker: files in the consumer's volume,
 * `<component>/<fact>` and `<component>-credentials/<key>`).
 */
export interface ConsumerAccess {
  /** The consumer's name (its identity inside the service: role, user, vhost, key name). */
  readonly consumer: string;
  /** Names of the client ports it may connect to (`purpose: 'client'` ports of the spec). */
  readonly ports: readonly string[];
  /** Plain connection facts (host, port, database, vhost, URL, ...): never a secret. */
  readonly facts: Readonly<Record<string, Text>>;
  /**
   * Credentials scoped to this consumer: texts that reference `application` secrets only (and
   * literals such as its user name). Empty where the service has no application identity.
   */
  readonly credentials: Readonly<Record<string, Text>>;
  /** What the credentials allow (or why there are none), in plain words, for the docs. */
  readonly grants: string;
  /**
   * Set when the consumer is one of the platform's own services (Roundcube's database role), named
   * here: it uses the credentials by reference from its spec, nothing is published for it, and it
   * reaches the service through its declared dependency.
   * @default an application of the environment's `consumers`
   */
  readonly platform?: string;
}

export interface MetricsEndpoint {
  /** Container that serves the endpoint (`main` for native metrics, an exporter sidecar otherwise). */
  readonly container: string;
  readonly port: number;
  readonly path: string;
  /** Query parameters (blackbox-style probes). */
  readonly params?: Readonly<Record<string, readonly Text[]>>;
  /**
   * How the scraper authenticates. Every endpoint declares it: a token or password, or `none` with
   * the reason no credential is needed (an exporter or probe that reveals nothing but metrics and is
   * reachable only on the service network / inside the pod).
   */
  readonly auth:
    | { readonly kind: 'bearer'; readonly token: SecretRef }
    /** A bearer token the service issues itself, written by one of its jobs into one of its volumes. */
    | { readonly kind: 'bearer-file'; readonly volume: string; readonly path: string; readonly writtenBy: string }
    | { readonly kind: 'basic'; readonly username: string; readonly password: SecretRef }
    | { readonly kind: 'none'; readonly reason: string };
  /** `native` when the service exposes Prometheus metrics itself. */
  readonly source: 'native' | 'exporter' | 'probe';
  /** The program and version whose metric names the endpoint serves (the metric-name check reads its list). */
  readonly names: MetricSource;
  /**
   * More scrapes of the same port, each its own job `<service>-<name>` (a Redis exporter asking the
   * member's Sentinel through its multi-target `/scrape` path). @default none
   */
  readonly also?: readonly { readonly name: string; readonly path: string; readonly params: Readonly<Record<string, readonly Text[]>> }[];
  /**
   * The service's signals in these names. Every service records `platform:service_up` (1 when a
   * member is up, per member); a realization serving other names (CloudNativePG's) records the same
   * signals in its own.
   */
  readonly signals: readonly Signal[];
  /** Alerts specific to the service (the generic ones are monitoring/rules.ts's). @default none */
  readonly alerts?: readonly AlertRule[];
  /** The service's panels on its family's dashboard (besides up, CPU and memory). @default none */
  readonly panels?: readonly Panel[];
  /**
   * Counters the log shipper derives from the service's log lines, for what the service counts
   * nowhere else (Ollama's refused requests); served as `loki_process_custom_<name>` by the shipper,
   * labelled with the log stream's labels (`service` becomes `exported_service` when scraped). @default none
   */
  readonly fromLogs?: readonly LogMetric[];
}

/** A counter derived from a service's log lines (see `MetricsEndpoint.fromLogs`). */
export interface LogMetric {
  /** Counter name, without the shipper's prefix. */
  readonly name: string;
  readonly description: string;
  /** RE2 expression with one named group `(?P<value>...)`: a line counts when the group matches. */
  readonly regex: string;
  /** Count only lines whose group has this value. @default any value */
  readonly equals?: string;
}

/**
 * What a service is for; a cluster target puts each concern in its own namespace (policy, quotas and
 * Pod Security labels per concern).
 */
export type Concern = 'data' | 'messaging' | 'ai' | 'monitoring' | 'mail' | 'edge';

/** A connection a service needs beyond its declared dependencies (network policy allows exactly these). */
export interface ExternalEgress {
  /** `internet`: any address outside the cluster. */
  readonly to: 'internet';
  readonly ports: readonly number[];
  /** Why; shown in the docs next to the policy. */
  readonly reason: string;
}

/** Managed equivalents a cloud target may substitute for the self-hosted service. */
export type ManagedEquivalent = 'rds-postgresql' | 'elasticache-redis' | 'amazon-mq-rabbitmq' | 'opensearch' | 's3';

/**
 * How the members of a replicated service (`replicas` > 1) form one cluster: present exactly when
 * there is more than one member, and only for services whose members are real peers (routes,
 * replication, consensus), never N unconnected copies.
 */
export interface ClusterSpec {
  /**
   * `together`: a member becomes ready only once it has joined a cluster that needs several members
   * to exist (a Raft quorum, a seed that waits for peers), so all members start at once (Kubernetes
   * `podManagementPolicy: Parallel`). `in-order`: member 0 can be ready alone and the others join it,
   * so members start one after another (`OrderedReady`). Updates replace one member at a time either way.
   */
  readonly start: 'together' | 'in-order';
  /**
   * Members that may be down at once (a node drain, an update) without losing quorum or the last
   * copy of any data: what a disruption budget allows.
   */
  readonly maxUnavailable: number;
  /** How members find each other, for the docs. */
  readonly discovery: string;
}

/** Something a spec cannot do on every target, with the field that chose it and what to do instead. */
export interface Requirement {
  /** Where the choice is made in an environment file (`services.objectstore.engine`). */
  readonly path: string;
  /** Why, and what to change, in plain words. */
  readonly message: string;
}

/**
 * How a service grows:
 * - `fixed`: exactly `replicas` members (stateful services, clusters, and caches whose clients
 *   shard keys or keep sessions: an autoscaler would move their data or cut their sessions);
 * - `autoscaled`: stateless replicas behind one address, between `replicas` and `max`, added when
 *   the average CPU use passes `cpuUtilization` percent of the requests.
 */
export type Scaling = { readonly kind: 'fixed' } | { readonly kind: 'autoscaled'; readonly max: number; readonly cpuUtilization: number };

/**
 * A service as targets render it. `N` is its name and `F` its facet: what the service's
 * realizations may know beyond the spec (PostgreSQL's database, owner and parameters,
 * Elasticsearch's topology and heap, Ollama's models), typed per service so a realization
 * receives exactly that and never reads around the spec (the environment, a generated file, an
 * environment variable).
 */
export interface ServiceSpec<N extends string = string, F = unknown> {
  /** Unique service name; also its host name on the service network. */
  readonly name: N;
  /** Catalogue entry that produced this spec (e.g. `elasticsearch` for `kibana`). */
  readonly component: string;
  /** Where the spec's settings live in an environment file (e.g. `services.elasticsearch.kibana`). */
  readonly configPath: string;
  readonly description: string;
  readonly concern: Concern;
  readonly replicas: number;
  readonly containers: readonly ContainerSpec[];
  readonly volumes: readonly VolumeSpec[];
  readonly secrets: readonly SecretSpec[];
  /** TLS certificates the target issues for the service. @default none */
  readonly certificates?: readonly CertificateSpec[];
  /**
   * Records the service needs in its domain's DNS (a mail domain's MX, SPF, DKIM and DMARC): a
   * target that manages DNS publishes them (AWS: Route 53), the others print them to publish.
   * @default none
   */
  readonly dnsRecords?: readonly DnsRecord[];
  readonly jobs: readonly JobSpec[];
  readonly dependsOn: readonly string[];
  /**
   * How the service's data is backed up (every volume marked `backup: true` is covered). Absent on a
   * service without such volumes, and where the environment turned backups off (`backups.enabled`).
   * @default none
   */
  readonly backup?: BackupPlan;
  /** Connections outside the platform the service needs (model downloads, ...). @default none */
  readonly egress?: readonly ExternalEgress[];
  readonly metrics: MetricsEndpoint;
  readonly managed?: ManagedEquivalent;
  /** Present when the members form a cluster (replicas > 1). @default none (a single member) */
  readonly cluster?: ClusterSpec;
  /**
   * What a client needs to connect beyond the service's name and client ports (every member's
   * address, a Sentinel master name, the stream replication to ask for). Plain facts, never a
   * secret; targets publish them next to the service (Kubernetes: ConfigMap `<service>-endpoint`).
   * @default none
   */
  readonly connection?: Readonly<Record<string, Text>>;
  /** How the service grows (fixed members, or autoscaled stateless replicas). */
  readonly scaling: Scaling;
  /**
   * What each consumer of the service receives (one entry per consumer that uses it): its client
   * ports, connection facts and application-scoped credentials.
   * @default none (no application uses the service)
   */
  readonly consumers?: readonly ConsumerAccess[];
  /** What a target must offer, or the environment is refused with the requirement's message. @default none */
  readonly requirements?: {
    /** Runs on a single host only (a job shares a volume with the server). */
    readonly singleHost?: Requirement;
    /** Runs on a cluster target only (more nodes than its replicas, such as dedicated masters). */
    readonly cluster?: Requirement;
    /**
     * Needs its managed equivalent (`managed`) in place of itself, one requirement per choice that
     * does (a PostgreSQL consumer on IAM authentication, which only RDS offers): refused where the
     * spec runs as containers (Docker, a cluster, or in the cluster on AWS).
     */
    readonly managed?: readonly Requirement[];
  };
  /**
   * The service serves TLS with a certificate of the platform's internal CA (issued per target: the
   * tls provider on a single host, cert-manager on a cluster). @default plaintext
   */
  readonly tls?: ServiceTls;
  /** Things to act on soon that do not stop a deploy (an archived engine): the synth summary prints them. @default none */
  readonly notices?: readonly Requirement[];
  /**
   * Problems of the environment only the built specs reveal (an application asking the gateway for
   * an API no service serves): the checks refuse the environment with each. @default none
   */
  readonly configIssues?: readonly Requirement[];
  /** What the service's realizations may know beyond the spec. */
  readonly facet: F;
}
