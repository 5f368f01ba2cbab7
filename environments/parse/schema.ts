/**
 * The environment file contract. An environment file default-exports an object that
 * `satisfies EnvironmentInput`; `loadEnvironment` validates it with these schemas before anything is
 * built. Service sections are validated by each service's own schema after the profile is merged in.
 */
import { z } from 'zod';
import { type ServiceInput, type ServiceName, serviceNames } from '../../constructs/services';
import { cidrBlock, cidrContains, ipv4Address, parseCidr, parseIpv4 } from './network';
import { awsRegion, awsTargetSchema } from './aws';
import { parseGoDuration } from '../../constructs/spec/quantity';
import { profileNames } from './profiles';
import { BACKUP_INTERVALS } from '../../constructs/services/backup';
import { bucketName } from '../../constructs/services/objectstore';

export { awsTargetSchema };

const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lower case, digits, hyphens)');

/** Engines the Docker target deploys to through the Docker API. */
export const dockerEngines = ['docker', 'podman'] as const;
/** Log drivers both the pinned provider and the engines read back as written. */
export const logDrivers = ['local', 'json-file', 'journald'] as const;

const DOCKER_HUB_ALIASES = ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com', 'hub.docker.com'];
/** A registry as image names carry it: `docker.io`, `quay.io`, `mirror.example.com:5000`, `localhost:5000`. */
const registryHost = z
  .string()
  .regex(
    /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(:\d{1,5})?$/,
    'must be a registry host such as docker.io, quay.io or mirror.example.com:5000 (no scheme, no path)',
  )
  .refine((r) => !DOCKER_HUB_ALIASES.includes(r), 'write docker.io for Docker Hub');
/** An image-name prefix standing for a registry: a host (with a `.` or a port, or localhost) and an optional path. */
const mirrorPrefix = z
  .string()
  .regex(
    /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
    'must be an image-name prefix such as mirror.example.com/dockerhub or localhost:5000 (no scheme, no trailing slash)',
  );

/** Which ports a single Docker host publishes on 127.0.0.1. */
export const publishModes = ['none', 'web', 'authenticated', 'all'] as const;

/**
 * Added to every published port number by default. Clear of every port the platform's services
 * listen on (10000 would put AMQP on RabbitMQ's management port 15672, and management on its 25672)
 * and below Linux's ephemeral range (32768-60999) for every published port: PostgreSQL on 16432,
 * Redis on 17379, Kibana on 16601.
 */
export const DEFAULT_PUBLISH_OFFSET = 11000;

export const dockerTargetSchema = z
  .strictObject({
    kind: z.literal('docker'),
    /**
     * Docker daemon address, written into the provider only when set.
     * @default the provider's own default: `DOCKER_HOST`, else the local socket (so rootless Docker,
     * Colima, Podman and Docker Desktop work as they are configured)
     */
    host: z
      .string()
      .regex(/^(unix|tcp|ssh|npipe):\/\/\S+$/, 'must be a unix://, tcp://, ssh:// or npipe:// address')
      .optional(),
    network: z
      .strictObject({
        /** Bridge network subnet. @default '172.28.0.0/16' (the platform's documented network) */
        subnet: cidrBlock(8, 28).default('172.28.0.0/16'),
        /**
         * Gateway address inside the subnet, always written explicitly (a subnet-only IPAM block is
         * replaced after a daemon restart: kreuzwerker/terraform-provider-docker issue #54).
         * @default the subnet's first host address
         */
        gateway: ipv4Address.optional(),
      })
      .prefault({})
      .superRefine((n, ctx) => {
        const cidr = parseCidr(n.subnet);
        const gw = n.gateway === undefined ? undefined : parseIpv4(n.gateway);
        if (typeof cidr === 'string' || gw === undefined) return;
        if (!cidrContains(cidr, gw)) ctx.addIssue({ code: 'custom', path: ['gateway'], message: `${n.gateway} is outside ${n.subnet}` });
        else if (gw === cidr.network || gw === cidr.network + 2 ** (32 - cidr.prefix) - 1) {
          ctx.addIssue({ code: 'custom', path: ['gateway'], message: `${n.gateway} is the network or broadcast address of ${n.subnet}` });
        }
      }),
    /** Host ports on 127.0.0.1 (services may override single ports with `hostPorts`). */
    publish: z
      .strictObject({
        /**
         * `none`: nothing is published (reach services with `docker exec` or from other containers);
         * `web`: only the web UIs (Kibana, the RabbitMQ management UI, the Neo4j browser, ...);
         * `authenticated`: the web UIs and every client and admin port that requires credentials;
         * `all`: also the ports that answer without any (Ollama's API, NATS monitoring), each with a
         * synth warning; `services.<name>.hostPorts.<port>` publishes one of them alone.
         * @default 'authenticated'
         */
        ports: z.enum(publishModes).default('authenticated'),
        /**
         * Added to every published port number, to stay clear of servers already running on the host;
         * 0 publishes on the standard numbers (a PostgreSQL, Redis or Ollama already running on the host
         * makes the first apply fail: the synth summary warns).
         * @default 11000 (PostgreSQL on 16432, Redis on 17379, Kibana on 16601)
         */
        offset: z.number().int().min(0).max(60000).default(DEFAULT_PUBLISH_OFFSET),
      })
      .prefault({}),
    /**
     * The certificates of the services that serve TLS themselves (the mail server, the API
     * gateway). `internal-ca`: a private CA generated with the tls provider signs one certificate
     * per service (renewed by the first apply in its last 30 days); clients trust the CA from the
     * `ca_certificate` output. `files`: one certificate for every service from files on the deploying
     * machine (a public one, e.g. from certbot), read by Terraform at each plan; its names must cover
     * the services' (the mail server's `<hostname>.<domain>`). Renewing it is a new apply.
     * @default { source: 'internal-ca' }
     */
    tls: z
      .discriminatedUnion('source', [
        z.strictObject({ source: z.literal('internal-ca') }),
        z.strictObject({
          source: z.literal('files'),
          /** The PEM chain, leaf first (absolute or `~/`-relative). */
          certificate: z.string().regex(/^(\/|~\/)\S+$/, 'must be an absolute path or start with ~/'),
          /** The PEM private key (absolute or `~/`-relative); it reaches the state, as generated keys do. */
          key: z.string().regex(/^(\/|~\/)\S+$/, 'must be an absolute path or start with ~/'),
        }),
      ])
      .default({ source: 'internal-ca' }),
    /**
     * NVIDIA GPUs on the host (with the NVIDIA container toolkit), by count. A container that asks for
     * GPUs gets all of them: the pinned provider (kreuzwerker/docker 3.6.2) reads any GPU request back
     * as "all", so a smaller count would replace the container on every apply. A service therefore
     * asks for exactly this many (or none).
     * @default 0 (none; `false` is read as 0)
     */
    gpu: z
      .union([z.boolean(), z.number().int().min(0).max(64)])
      .default(0)
      .superRefine((v, ctx) => {
        if (v === true)
          ctx.addIssue({
            code: 'custom',
            message: 'give the number of GPUs the host has (e.g. gpu: 1): a container that asks for GPUs gets all of them',
          });
      })
      .transform((v) => (typeof v === 'number' ? v : 0)),
    /**
     * The engine behind the Docker API, for what differs between them: Podman refuses Docker's
     * `local` log driver (its compat API accepts journald, k8s-file, json-file, none and passthrough).
     * @default 'docker'
     */
    engine: z.enum(dockerEngines).default('docker'),
    /**
     * The engine runs rootless (rootless Docker, rootless Podman). Its containers' cgroups sit under
     * the user's, and systemd delegates only the memory and pids controllers to a user by default:
     * without the cpu controller, rootless Docker discards every CPU limit with a daemon warning that
     * the provider does not show (the synth summary warns until `cpuDelegated` is true).
     * @default not rootless
     */
    rootless: z
      .strictObject({
        /**
         * The cpu controller is delegated to the user (`/etc/systemd/system/user@.service.d/delegate.conf`:
         * `[Service]` `Delegate=cpu cpuset io memory pids`), so CPU limits apply.
         */
        cpuDelegated: z.boolean(),
      })
      .optional(),
    /**
     * Log driver of every container. `local`: Docker's own format, rotated and compressed by default
     * (5 files of 20 MB). `json-file`: the one both engines accept (Podman stores it as k8s-file;
     * rotation is the daemon's `log-opts` on Docker, `log_size_max` in containers.conf on Podman).
     * `journald`: the host's journal (systemd hosts). No per-container options are written: the
     * pinned provider reads them back merged with the daemon's defaults and would replace every
     * container on every plan (upstream issues #473, #873).
     * @default 'local' on Docker, 'json-file' on Podman
     */
    logDriver: z.enum(logDrivers).optional(),
    /**
     * The host accounts swap per container (cgroup v2 `memory.swap.max`; `docker info` prints "WARNING:
     * No swap limit support" when it does not). With it, containers get no swap beyond their memory
     * limit. Without it, Docker stores a swap limit of -1 whatever is asked, so that is what is written
     * (otherwise every plan shows an update and replaces every setup job).
     * @default true
     */
    swapLimit: z.boolean().default(true),
    /** Where images are pulled from, and with which credentials. @default Docker Hub, quay.io and docker.elastic.co, anonymously */
    registry: z
      .strictObject({
        /**
         * A pull-through cache per upstream registry, as an image-name prefix (`host[:port][/path]`,
         * no scheme): `{ 'docker.io': 'mirror.example.com/dockerhub' }` pulls `nats:2.14.7-alpine` as
         * `mirror.example.com/dockerhub/library/nats:2.14.7-alpine`. Keys: `docker.io` (Docker Hub),
         * `quay.io`, `docker.elastic.co`, or any registry an image names. (Docker Hub alone can also be
         * mirrored daemon-wide with `registry-mirrors` in daemon.json, without renaming anything.)
         * @default {}
         */
        mirrors: z.record(registryHost, mirrorPrefix).default({}),
        /**
         * Credentials the provider pulls with, per registry (the provider pulls anonymously otherwise;
         * `docker login` on the host does not count). Never in this file:
         * - `from: 'environment'`: Terraform reads them from `TF_VAR_registry_<registry>_username` and
         *   `TF_VAR_registry_<registry>_password` (the registry with every character but letters and
         *   digits as `_`: `TF_VAR_registry_docker_io_password`), e.g. a Docker Hub access token;
         * - `from: 'docker-config'`: the provider reads a Docker config file (`docker login` writes
         *   one); not for Docker Hub, whose entry the pinned provider does not find there.
         * @default []
         */
        auth: z
          .array(
            z.discriminatedUnion('from', [
              z.strictObject({ registry: registryHost, from: z.literal('environment') }),
              z.strictObject({
                registry: registryHost,
                from: z.literal('docker-config'),
                /** Absolute or `~/`-relative. @default '~/.docker/config.json' */
                path: z
                  .string()
                  .regex(/^(\/|~\/)\S+$/, 'must be an absolute path or start with ~/ (Terraform runs in the stack directory)')
                  .default('~/.docker/config.json'),
              }),
            ]),
          )
          .default([])
          .superRefine((auth, ctx) => {
            const seen = new Set<string>();
            auth.forEach((a, i) => {
              if (seen.has(a.registry)) ctx.addIssue({ code: 'custom', path: [i, 'registry'], message: `${a.registry} is given twice` });
              seen.add(a.registry);
              if (a.registry === 'docker.io' && a.from === 'docker-config')
                ctx.addIssue({
                  code: 'custom',
                  path: [i, 'from'],
                  message:
                    "the pinned provider (kreuzwerker/docker 3.6.2) looks Docker Hub credentials up under registry-1.docker.io, while docker login files them under https://index.docker.io/v1/, so it would pull anonymously without a word (upstream issue #591); use from: 'environment' with a Docker Hub access token",
                });
            });
          }),
      })
      .prefault({}),
    /**
     * How long pulling one image may take (Terraform's create and update timeouts of each
     * docker_image; the provider's default is 20 minutes, which a slow link exceeds for Ollama's or
     * Elasticsearch's image). A Go duration: `30m`, `1h30m`.
     * @default '60m'
     */
    pullTimeout: z
      .string()
      .superRefine((d, ctx) => {
        if (!/^(\d+h)?(\d+m)?(\d+s)?$/.test(d) || d === '')
          ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30m or 1h30m' });
        else if ((parseGoDuration(d) ?? 0) < 60) ctx.addIssue({ code: 'custom', message: 'must be at least one minute, e.g. 30m' });
      })
      .default('60m'),
  })
  .superRefine((t, ctx) => {
    if (t.engine === 'podman' && t.logDriver === 'local')
      ctx.addIssue({
        code: 'custom',
        path: ['logDriver'],
        message:
          "Podman refuses the local log driver (it accepts journald, k8s-file, json-file, none and passthrough); use 'json-file' or 'journald'",
      });
  });

/** A label key as Kubernetes accepts it: an optional DNS-subdomain prefix and `/`, then a name of up to 63 characters. */
export const labelKey = z
  .string()
  .regex(
    /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\/)?[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/,
    'must be a label key: an optional prefix such as example.com/ and a name of letters, digits, - _ . (at most 63 characters)',
  );
export const labelValue = z
  .string()
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/, 'must be a label value: up to 63 letters, digits, - _ .');

/**
 * A toleration, checked as the Kubernetes API validates it: `Exists` takes no value, an empty key
 * needs `Exists`, and `tolerationSeconds` only goes with `NoExecute`. Without an effect it tolerates
 * every effect of the matching taint.
 */
export const toleration = z
  .strictObject({
    /** Taint key; empty (with `Exists`) tolerates every taint. */
    key: z.union([labelKey, z.literal('')]).default(''),
    /** @default 'Equal' */
    operator: z.enum(['Equal', 'Exists']).default('Equal'),
    value: labelValue.optional(),
    /** @default every effect */
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    /** How long a NoExecute taint is tolerated before eviction. @default forever */
    tolerationSeconds: z.number().int().min(0).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.operator === 'Exists' && t.value) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be empty when operator is Exists (Kubernetes rejects it)' });
    }
    if (t.key === '' && t.operator !== 'Exists') {
      ctx.addIssue({ code: 'custom', path: ['operator'], message: 'must be Exists when key is empty (Kubernetes rejects it)' });
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      ctx.addIssue({ code: 'custom', path: ['tolerationSeconds'], message: 'is only valid with effect NoExecute (Kubernetes rejects it)' });
    }
  });

const pemCertificate = z
  .string()
  .regex(
    /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/,
    'must be a PEM certificate (-----BEGIN CERTIFICATE----- ...), not base64',
  );
const httpsUrl = z.string().regex(/^https:\/\/[^\s/]+(:\d+)?\/?$/, 'must be the API server URL, e.g. https://203.0.113.10:6443');

/**
 * How Terraform reaches the cluster. A token is never written here: with `auth: 'token'` the providers
 * read it from the KUBE_TOKEN environment variable.
 */
export const clusterAccessSchema = z.discriminatedUnion('auth', [
  z.strictObject({
    auth: z.literal('kubeconfig'),
    /** @default '~/.kube/config' (written explicitly: the providers read no kubeconfig by default) */
    path: z.string().min(1).default('~/.kube/config'),
    /** kubeconfig context to deploy into (explicit, so a deploy never lands on the wrong cluster). */
    context: z.string().min(1),
  }),
  z.strictObject({
    auth: z.literal('exec'),
    host: httpsUrl,
    caCertificate: pemCertificate,
    /** A credential plugin, e.g. `{ command: 'gke-gcloud-auth-plugin' }`. */
    exec: z.strictObject({
      /** @default 'client.authentication.k8s.io/v1beta1' */
      apiVersion: z.string().default('client.authentication.k8s.io/v1beta1'),
      command: z.string().min(1),
      /** @default [] */
      args: z.array(z.string()).default([]),
      /** Environment for the plugin (no secrets: the plugin fetches those itself). @default {} */
      env: z.record(z.string(), z.string()).default({}),
    }),
  }),
  z.strictObject({
    auth: z.literal('token'),
    host: httpsUrl,
    caCertificate: pemCertificate,
  }),
]);

/**
 * Names an ACME server refuses: the reserved example domains and special-use top-level domains
 * (RFC 2606, RFC 6761; Let's Encrypt's policy refuses contacts at example.com/net/org and names
 * without a public suffix).
 */
export const RESERVED_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost|local|internal)$/;

/** How the cluster's TLS certificates for external endpoints are issued (cert-manager). */
export const issuerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    /**
     * A private CA this stack creates with cert-manager in the Gateway's namespace (a self-signed
     * root, then an Issuer signing with it): works on any cluster without DNS or an ACME account;
     * clients must trust the CA (`kubectl -n <namespacePrefix>-edge get secret <namespacePrefix>-ca
     * -o jsonpath='{.data.ca\.crt}'`).
     */
    kind: z.literal('self-signed'),
  }),
  z.strictObject({
    /**
     * An issuer that already exists: a ClusterIssuer, or an Issuer in the Gateway's namespace
     * (`<namespacePrefix>-edge`, which this stack creates; certificates wait until the Issuer is there).
     */
    kind: z.enum(['ClusterIssuer', 'Issuer']),
    name: dnsLabel,
  }),
  z.strictObject({
    /** An ACME (Let's Encrypt) ClusterIssuer this stack creates, solving HTTP-01 through the Gateway. */
    kind: z.literal('acme'),
    /**
     * Contact for expiry notices (optional for ACME); not at a reserved domain, which the server refuses.
     * @default none
     */
    email: z
      .string()
      .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an e-mail address')
      .refine((e) => !RESERVED_DOMAIN.test(e.split('@')[1]!.toLowerCase()), {
        message: 'is at a reserved domain (example.com, .test, ...), which ACME servers refuse; use a real address or leave it out',
      })
      .optional(),
    /** @default "https://acme-v02.api.letsencrypt.org/directory" */
    server: z
      .string()
      .regex(/^https:\/\//, 'must be an https:// URL')
      .default('https://acme-v02.api.letsencrypt.org/directory'),
  }),
]);

/** An operator this stack installs, or one the cluster runs already (its namespace: network policy admits it). */
function operatorChoice() {
  return z
    .discriminatedUnion('use', [
      z.strictObject({ use: z.literal('install') }),
      z.strictObject({
        use: z.literal('existing'),
        /** Where its pods run: the platform's pods admit them on the ports the operator needs. */
        namespace: dnsLabel,
      }),
    ])
    .default({ use: 'install' });
}

export const kubernetesTargetSchema = z.strictObject({
  kind: z.literal('kubernetes'),
  cluster: clusterAccessSchema,
  /**
   * Prefix of the platform's namespaces: one per concern, `<prefix>-data`, `<prefix>-messaging`,
   * `<prefix>-ai`, `<prefix>-edge`, ...
   * @default 'agent-platform'
   */
  namespacePrefix: dnsLabel.default('agent-platform'),
  /** StorageClass for persistent volumes. @default the cluster's default class */
  storageClass: z.string().min(1).optional(),
  /** Zones to spread replicas across (`topology.kubernetes.io/zone`). @default spread across nodes only */
  zones: z.array(z.string().min(1)).optional(),
  /**
   * Where pods that talk to the Kubernetes API (operators' instances) may connect, port 443/6443.
   * @default ['0.0.0.0/0'] (the API server's address is not known at plan time)
   */
  apiServerCidrs: z.array(cidrBlock(0, 32)).default(['0.0.0.0/0']),
  /**
   * Where pods resolve names (network policy allows UDP and TCP 53 there and nowhere else).
   * @default the kube-dns pods in kube-system, no other address
   */
  dns: z
    .strictObject({
      /** The cluster DNS pods (CoreDNS labels itself k8s-app: kube-dns on most distributions). */
      pods: z
        .strictObject({ namespace: dnsLabel, podLabels: z.record(labelKey, labelValue) })
        .default({ namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } }),
      /**
       * Resolvers that are not pods a selector can match, port 53 only: NodeLocal DNSCache
       * (`169.254.20.10/32`, host network), GKE Cloud DNS (`169.254.169.254/32`: the metadata
       * server's address, whose port 80 stays closed).
       * @default []
       */
      addresses: z.array(cidrBlock(0, 32)).default([]),
    })
    .prefault({}),
  /**
   * External endpoints (Kibana, the object store's console, later Grafana, webmail, the API gateway)
   * through the Gateway API, with TLS certificates from cert-manager. Without it nothing is exposed.
   * @default nothing exposed
   */
  gateway: z
    .strictObject({
      /** Host names are `<service>.<domain>`. */
      domain: z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, 'must be a DNS domain such as staging.example.com'),
      issuer: issuerSchema,
      /**
       * Install Envoy Gateway (and its GatewayClass `<namespacePrefix>`), or use a Gateway API
       * implementation the cluster already runs, by its GatewayClass name.
       * @default { install: 'envoy-gateway' }
       */
      implementation: z
        .discriminatedUnion('install', [
          z.strictObject({ install: z.literal('envoy-gateway') }),
          z.strictObject({
            install: z.literal('none'),
            gatewayClass: dnsLabel,
            /**
             * Where that implementation runs its proxies: the exposed ports admit connections from
             * these pods only (network policy), so it cannot be guessed.
             */
            proxies: z.strictObject({
              namespace: dnsLabel,
              /** Labels of the proxy pods in that namespace. @default {} (every pod of the namespace) */
              podLabels: z.record(labelKey, labelValue).default({}),
            }),
          }),
        ])
        .default({ install: 'envoy-gateway' }),
      /**
       * Install cert-manager (with its Gateway API support on), or use the cluster's, which must run
       * with Gateway API support (`config.gatewayAPI.enabled`).
       * @default true
       */
      installCertManager: z.boolean().default(true),
    })
    .superRefine((g, ctx) => {
      if (g.issuer.kind === 'acme' && RESERVED_DOMAIN.test(g.domain)) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuer', 'kind'],
          message: `ACME cannot issue certificates for ${g.domain} (a reserved domain); use kind: 'self-signed' or a domain you own`,
        });
      }
    })
    .optional(),
  /**
   * How the mail server's SMTP and IMAP ports (services.mail) reach the cluster from the internet: a
   * LoadBalancer Service that keeps the client's address, which spam filtering needs.
   * `local-traffic`: `externalTrafficPolicy: Local` on the ports themselves (any load balancer;
   * only nodes running the mail pod receive). `proxy-protocol`: the load balancer sends a PROXY
   * protocol header to the server's twin ports (12525, 10465, 10587, 10993); give it the annotations
   * that make your load balancer send one, and list its addresses in
   * `services.mail.proxyProtocol.trustedNetworks` (only they may reach the twins).
   * @default { clientAddress: 'local-traffic', annotations: {} }
   */
  mail: z
    .strictObject({
      /** @default 'local-traffic' */
      clientAddress: z.enum(['local-traffic', 'proxy-protocol']).default('local-traffic'),
      /** Annotations of the LoadBalancer Service (the cloud's load balancer settings). @default {} */
      annotations: z.record(z.string().min(1), z.string()).default({}),
    })
    .prefault({}),
  /**
   * The operators this environment needs, each installed by this stack (its chart into its fixed
   * namespace) or used as the cluster already runs it: a second environment on one cluster uses the
   * first one's (an operator's CRDs, webhooks and cluster roles exist once per cluster). An existing
   * operator must watch this environment's namespaces (CloudNativePG does cluster-wide by default;
   * ECK's `managedNamespaces` must include `<namespacePrefix>-data`). cert-manager and Envoy Gateway:
   * `gateway.installCertManager` and `gateway.implementation`; the NVIDIA device plugin: `gpu.devicePlugin`.
   * @default each installed
   */
  operators: z
    .strictObject({
      /** CloudNativePG (PostgreSQL). @default { use: 'install' } (into cnpg-system) */
      cloudnativePg: operatorChoice(),
      /** ECK (Elasticsearch and Kibana). @default { use: 'install' } (into elastic-system) */
      eck: operatorChoice(),
    })
    .prefault({}),
  /** GPU nodes, when the cluster has them. @default none */
  gpu: z
    .strictObject({
      /** @default 'nvidia.com/gpu' */
      resourceName: z.string().default('nvidia.com/gpu'),
      /**
       * Labels of the GPU nodes; GPU workloads (and the device plugin, when installed) run there only.
       * @default {} (any node that advertises the resource; not allowed with `devicePlugin: 'install'`)
       */
      nodeSelector: z.record(labelKey, labelValue).default({}),
      tolerations: z.array(toleration).default([]),
      /**
       * `present`: the nodes advertise GPUs already (GPU Operator, Bottlerocket, a managed add-on);
       * `install`: this stack installs the NVIDIA device plugin on the GPU nodes.
       * @default 'present'
       */
      devicePlugin: z.enum(['present', 'install']).default('present'),
      /**
       * With `devicePlugin: 'install'`: also install Node Feature Discovery and GPU Feature
       * Discovery (the plugin chart's `gfd`), which label every node with an NVIDIA PCI device
       * `feature.node.kubernetes.io/pci-10de.present=true` on any cluster. Leave off where the
       * cluster runs Node Feature Discovery already (the GPU Operator does).
       * @default false
       */
      featureDiscovery: z.boolean().default(false),
      /**
       * Whether the apply waits until GPU workloads are ready (a GPU node found or scaled up, the
       * models pulled: up to services.ollama.pullTimeout). Off, the apply creates them and goes on;
       * on a cluster without matching GPU nodes they stay Pending, and `npm run synth` says so.
       * @default false
       */
      waitForRollout: z.boolean().default(false),
    })
    .superRefine((g, ctx) => {
      if (g.devicePlugin === 'install' && Object.keys(g.nodeSelector).length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodeSelector'],
          message:
            "must name a label the GPU nodes carry when the device plugin is installed (it runs on those nodes only): your provider's (GKE: cloud.google.com/gke-accelerator, AKS: kubernetes.azure.com/accelerator), your node pool's own, or with featureDiscovery: true { 'feature.node.kubernetes.io/pci-10de.present': 'true' }",
        });
      }
      if (g.devicePlugin === 'install' && 'nvidia.com/gpu.present' in g.nodeSelector) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodeSelector', 'nvidia.com/gpu.present'],
          message:
            "is set only by the NVIDIA GPU Operator (which brings its own device plugin: use devicePlugin: 'present'); name a label the nodes carry, or set featureDiscovery: true and select 'feature.node.kubernetes.io/pci-10de.present': 'true'",
        });
      }
      if (g.featureDiscovery && g.devicePlugin !== 'install') {
        ctx.addIssue({
          code: 'custom',
          path: ['featureDiscovery'],
          message: "comes with the device plugin this stack installs: set devicePlugin: 'install'",
        });
      }
    })
    .optional(),
});

export const targetSchema = z.discriminatedUnion('kind', [dockerTargetSchema, kubernetesTargetSchema, awsTargetSchema]);

export const backendSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('local'),
    /** State file, relative to the project root. @default 'terraform.<environment>.tfstate' */
    path: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    key: z.string().min(1),
    region: awsRegion,
    /**
     * KMS key the state is encrypted with (key or alias, as an ARN or id): the bootstrap's bucket
     * refuses anything else (`arn:aws:kms:<region>:<account>:alias/<project>-terraform-state`).
     * @default S3's own key (SSE-S3): Terraform then asks for AES256 explicitly, which overrides a
     * bucket's default KMS encryption (terraform v1.11 internal/backend/remote-state/s3/client.go)
     */
    kmsKeyId: z
      .string()
      .regex(
        /^(arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+|alias\/[\w/-]+|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/,
        'must be a KMS key or alias (an ARN, alias/<name> or a key id)',
      )
      .optional(),
  }),
  z.strictObject({
    /**
     * State in the cluster (Terraform's `kubernetes` backend): a Secret `tfstate-default-<secretSuffix>`
     * in `namespace`, locked with a Lease there. Planning and deploying then need only the cluster's
     * credentials (no AWS account). The namespace must exist before the first `terraform init`; the
     * identity needs get/list/create/update/delete on secrets and get/create/update/delete on leases
     * there (docs/delivery.md lists the Role).
     */
    kind: z.literal('kubernetes'),
    /** @default 'terraform-state' */
    namespace: dnsLabel.default('terraform-state'),
    /** The state Secret is `tfstate-default-<secretSuffix>`. @default the environment's name */
    secretSuffix: dnsLabel.optional(),
    /**
     * How Terraform reaches the cluster that holds the state.
     * @default the Kubernetes target's own cluster (required on the other targets; on AWS the stack
     * creates its cluster, which cannot hold the state that creates it)
     */
    cluster: clusterAccessSchema.optional(),
  }),
]);

/** Label key prefixes the platform and Kubernetes set themselves; an environment's label may not take them over. */
export const RESERVED_LABEL_PREFIXES = [
  'app.kubernetes.io/',
  'platform/',
  'platform.',
  'kubernetes.io/',
  'k8s.io/',
  'pod-security.kubernetes.io/',
];

/** Labels applied to every resource that takes them (every Kubernetes object and pod, Docker containers, AWS default tags). */
const labels = z.record(labelKey, labelValue).superRefine((l, ctx) => {
  for (const key of Object.keys(l)) {
    if (RESERVED_LABEL_PREFIXES.some((p) => key.startsWith(p))) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `is reserved for the platform's own labels (keys starting with ${RESERVED_LABEL_PREFIXES.join(', ')})`,
      });
    }
  }
});

/**
 * Names a consumer may not take: the platform's own users in its services (administrators,
 * replication and monitoring users), so an application never shares an identity with them.
 */
export const RESERVED_CONSUMER_NAMES = [
  'platform',
  'platform-admin',
  'default',
  'route',
  'replica',
  'sentinel',
  'postgres',
  'prometheus-exporter',
  'exporter',
  'elastic',
  'kibana-system',
  'neo4j',
  'guest',
  'admin',
  'root',
  'anonymous',
] as const;

/**
 * An application that uses the platform: its identity in every service it uses (a PostgreSQL role
 * and database, a RabbitMQ vhost and user, Redis and NATS users, an Elasticsearch user and role, an
 * object-store key), and where it runs. On Kubernetes the platform admits its pods on the client ports
 * of those services only and publishes ConfigMap `<service>-endpoint` (connection facts) and Secret
 * `<service>-credentials` (its own credentials) into its namespace; on Docker the same as files in
 * the volume `<project>-<environment>-consumer-<name>`.
 */
export const consumerSchema = z.strictObject({
  /** A DNS label of at most 40 characters, not one of the platform's own user names. */
  name: dnsLabel
    .max(40, 'must be at most 40 characters (it names roles, users and Kubernetes objects)')
    .refine((n) => !(RESERVED_CONSUMER_NAMES as readonly string[]).includes(n), {
      message: `is one of the platform's own user names (${RESERVED_CONSUMER_NAMES.join(', ')}); choose another`,
    }),
  /**
   * The services it uses, each with what it asks for (each service's options: PostgreSQL
   * `database`, Elasticsearch `indices`, NATS `subjects` and `streams`, Redis `keys`, the object
   * store's `buckets`, ...).
   * @default every enabled service applications can use, with its default access
   */
  services: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /**
   * Kubernetes: the namespace its pods run in, created by the stack (Pod Security `restricted`, a
   * ServiceAccount named after the consumer) or already there.
   * @default { name: '<namespacePrefix>-<name>', create: true }
   */
  namespace: z.strictObject({ name: dnsLabel, create: z.boolean() }).optional(),
  /** Kubernetes: only the pods with these labels are admitted. @default every pod of the namespace */
  podLabels: z.record(labelKey, labelValue).optional(),
});

export type Consumer = z.output<typeof consumerSchema>;

/**
 * The form of a guardrail rule id (`PLAT-K8S-002`). The rules themselves are the check stage's
 * (security/rules.ts), which parsing does not import: an id of this form that names no rule is
 * refused there, with the same plain message.
 */
export const GUARDRAIL_RULE_ID = /^PLAT-[A-Z0-9]+-\d{3}$/;

/**
 * An exception to one guardrail for one resource, with the reason. Every synth lists the waivers in
 * force; a waiver that matches nothing is reported so that it does not outlive its reason.
 */
export const waiverSchema = z.strictObject({
  /** The rule's id, e.g. 'PLAT-K8S-002' (docs/operations.md, "Guardrails", lists them). */
  rule: z.string().regex(GUARDRAIL_RULE_ID, "must be a guardrail rule id such as 'PLAT-K8S-002' (docs/operations.md lists them)"),
  /**
   * The resource it applies to, as the violation names it: a Terraform address
   * (`kubernetes_namespace_v1.namespace_gpu`), a construct path (`staging/kubernetes/platform/...`),
   * or for the rules over the services' specs the service's settings (`services.redis`).
   */
  resource: z.string().trim().min(1, 'name the resource: a Terraform address, a construct path or services.<name>'),
  /** Why the exception is right, and until when: shown by every synth. */
  reason: z.string().trim().min(20, 'say why in a sentence (at least 20 characters): every synth shows it next to the waiver'),
  /**
   * The last day it is in force (YYYY-MM-DD); after it the rule applies again and the synth says so.
   * @default no end
   */
  until: z
    .string()
    .refine(
      (d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d)),
      'a date as YYYY-MM-DD (the last day the waiver is in force)',
    )
    .optional(),
});

export type Waiver = z.output<typeof waiverSchema>;
const backupInterval = z
  .number()
  .int()
  .refine((m) => (BACKUP_INTERVALS as readonly number[]).includes(m), {
    message: `must be one of ${BACKUP_INTERVALS.join(', ')} minutes (a divisor of an hour, or whole hours that divide a day)`,
  });

/**
 * Scheduled backups of every stateful service (docs/operations.md, "Back up and restore"): each
 * service's own tool, on a schedule that meets the recovery point objective, into the backup bucket
 * (the platform's object store; S3 on AWS), kept by the retention.
 */
export const backupsSchema = z
  .strictObject({
    /**
     * Off: no service is backed up (a disposable environment); the guardrails list every stateful
     * service as unprotected.
     * @default true
     */
    enabled: z.boolean().default(true),
    /**
     * Recovery point objective: the most data a restore may lose, in minutes; each service's backup runs
     * this often (PostgreSQL's continuous WAL archive, where it runs, does better).
     * @default the profile's (60 on small and medium, 15 on large)
     */
    rpoMinutes: backupInterval.optional(),
    /** Recovery time objective the runbooks are written for, in minutes. @default the profile's (240; 60 on large) */
    rtoMinutes: z.number().int().min(5).max(10080).optional(),
    retention: z
      .strictObject({
        /** Every backup of the last this many hours. @default 24 */
        recentHours: z.number().int().min(1).max(168).default(24),
        /** The newest backup of each of the last N days. @default 7 */
        daily: z.number().int().min(1).max(366).default(7),
        /** The newest backup of each of the last N ISO weeks. @default 4 */
        weekly: z.number().int().min(0).max(104).default(4),
        /** The newest backup of each of the last N months. @default 6 */
        monthly: z.number().int().min(0).max(120).default(6),
      })
      .prefault({}),
    /** The daily window (UTC, `HH:MM`) for what runs once a day (a stopped dump, daily snapshots). @default '03:00' */
    window: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 03:00 (UTC)')
      .default('03:00'),
    /** The backup bucket (in the platform's object store; on AWS an S3 bucket of that name with the account suffix). @default 'platform-backups' */
    bucket: bucketName.default('platform-backups'),
  })
  .prefault({});

/** First pass: the environment's own fields; service sections are checked by their schemas next. */
export const environmentSchema = z
  .strictObject({
    name: dnsLabel,
    /** Prefix of every resource name. @default 'agent-platform' */
    project: dnsLabel.default('agent-platform'),
    /** Sizing profile supplying defaults for every service (see environments/parse/profiles.ts). */
    profile: z.enum(profileNames),
    target: targetSchema,
    backend: backendSchema,
    /** @default {} */
    labels: labels.default({}),
    /** Scheduled backups and their objectives. @default on, with the profile's objectives */
    backups: backupsSchema,
    /**
     * Protect stateful resources from `destroy` (Terraform prevent_destroy on data volumes, deletion
     * protection on managed databases). Turn off only where data is disposable.
     * @default true
     */
    protectData: z.boolean().default(true),
    /**
     * TLS between the platform's services and to the applications, with certificates of the
     * environment's own internal CA (generated by the hashicorp/tls provider on every target; its
     * certificate is the `ca_certificate` output). With it, NATS serves TLS on its client port,
     * PostgreSQL requires TLS for every network connection (`hostssl`), Redis serves TLS only (with
     * Sentinel: replication and the sentinels too), RabbitMQ AMQP over TLS on 5671 and Elasticsearch HTTPS; the services' own sidecars
     * verify the server against the CA, and the applications' connection facts say TLS is required
     * (docs/operations.md, "Internal TLS"). On a cluster cert-manager issues the certificates from the
     * same CA (a CA Issuer per namespace) and each consumer's namespace gets ConfigMap `internal-ca`.
     * @default off
     */
    internalTls: z
      .strictObject({
        /** Turn internal TLS on. @default false */
        enabled: z.boolean().default(false),
        /**
         * Keep the plaintext listeners beside the TLS ones while applications move to TLS: PostgreSQL
         * accepts unencrypted network connections again and NATS clients that do not ask for TLS, a
         * clustered NATS keeps its routes plaintext and a clustered RabbitMQ its Erlang distribution
         * (members switch together when it is removed).
         * Every synth warns while it is on (PLAT-NET-005).
         * @default false
         */
        plaintext: z.boolean().default(false),
      })
      .prefault({}),
    /**
     * Exceptions to the guardrails (security/rules.ts; docs/operations.md, "Guardrails"): one rule
     * for one resource each, with the reason. A synth fails on any violation of an `error` rule that
     * no waiver covers, and lists every waiver in force.
     * @default none
     */
    guardrails: z
      .strictObject({
        waivers: z
          .array(waiverSchema)
          .default([])
          .superRefine((ws, ctx) => {
            const seen = new Set<string>();
            ws.forEach((w, i) => {
              const key = `${w.rule} ${w.resource}`;
              if (seen.has(key))
                ctx.addIssue({ code: 'custom', path: [i, 'resource'], message: `${w.rule} is waived for ${w.resource} twice` });
              seen.add(key);
            });
          }),
      })
      .prefault({}),
    /**
     * The applications that use the platform (see `consumerSchema`). An empty list: no application
     * reaches any service (network policy) and nothing is published.
     * @default [{ name: 'apps' }] (on Kubernetes the namespace `<namespacePrefix>-apps`, created)
     */
    consumers: z
      .array(consumerSchema)
      .default([{ name: 'apps' }])
      .superRefine((cs, ctx) => {
        const seen = new Set<string>();
        cs.forEach((c, i) => {
          if (seen.has(c.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${c.name}" is named twice; consumers need unique names` });
          seen.add(c.name);
        });
      }),
    services: z.strictObject(
      Object.fromEntries(serviceNames.map((n) => [n, z.record(z.string(), z.unknown()).optional()])) as Record<
        ServiceName,
        z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>
      >,
    ),
  })
  .superRefine((env, ctx) => {
    if (env.backend.kind !== 'kubernetes' || env.backend.cluster || env.target.kind === 'kubernetes') return;
    ctx.addIssue({
      code: 'custom',
      path: ['backend', 'cluster'],
      message:
        env.target.kind === 'aws'
          ? 'must name an existing cluster to keep the state in: this stack creates its own cluster, which cannot hold the state that creates it (or use an s3 backend)'
          : 'must say how to reach the cluster that holds the state (auth: kubeconfig, exec or token), since the target is not a Kubernetes cluster',
    });
  });

export type Target = z.output<typeof targetSchema>;
export type TargetKind = Target['kind'];
export type Backend = z.output<typeof backendSchema>;

/** What an environment file writes (`export default { ... } satisfies EnvironmentInput`). */
export type EnvironmentInput = Omit<z.input<typeof environmentSchema>, 'services'> & {
  services: { [K in ServiceName]?: ServiceInput<K> };
};
