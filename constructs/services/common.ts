/**
 * Building blocks shared by every service definition: the zod fields each service config carries
 * (image/version, replicas, resources, persistence, host ports) and small helpers to turn a resolved
 * config into spec parts. Pure data; no cdktf import.
 */
import { z } from 'zod';
import { parseImage, pinned } from '../spec/image';
import { QuantityError, cpuMillicores, isCpuQuantity, isMemoryQuantity, memoryBytes } from '../spec/quantity';
import { secretRef, tpl } from '../spec/template';
import type { BackupPolicy } from './backup';
import type {
  CertificateSpec,
  Concern,
  ConfigFile,
  ContainerSpec,
  HealthCheck,
  ImageRef,
  JobSpec,
  PortSpec,
  ResourceRequirements,
  ServiceSpec,
  Template,
  Text,
  TrustedCertificate,
} from '../spec/types';

/**
 * Wraps a cross-field refinement so it runs only on fields that are themselves valid: zod runs
 * object refinements even when a field failed, and that field's own message is already reported.
 */
export function crossCheck<T>(check: (value: T, ctx: z.RefinementCtx) => void): (value: T, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    try {
      check(value, ctx);
    } catch (e) {
      if (!(e instanceof QuantityError) && !(e instanceof TypeError)) throw e;
    }
  };
}

export const memoryQuantity = z.string().superRefine((value, ctx) => {
  if (!isMemoryQuantity(value))
    ctx.addIssue({ code: 'custom', message: 'must be a memory quantity with a binary unit, e.g. 512Mi or 2Gi' });
  else if (memoryBytes(value) === 0) ctx.addIssue({ code: 'custom', message: `must be more than zero (${value} was given)` });
});

/** Bare core counts at or above this are millicores written without their `m` (250 for 250m). */
const IMPLAUSIBLE_CORES = 100;

export const cpuQuantity = z.union([z.string(), z.number().transform(String)]).superRefine((value, ctx) => {
  if (!isCpuQuantity(value)) {
    ctx.addIssue({
      code: 'custom',
      message: /^0+(\.0+)?m?$/.test(value) ? 'must be more than zero' : 'must be a cpu quantity, e.g. 250m, 0.5 or 2',
      continue: false,
    });
  } else if (!value.endsWith('m') && Number(value) >= IMPLAUSIBLE_CORES) {
    ctx.addIssue({ code: 'custom', message: `${value} would be ${value} cores; for millicores write "${value}m"`, continue: false });
  }
});

export const portNumber = z.number().int().min(1).max(65535);

const amounts = z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity });

export const resourcesSchema = z
  .strictObject({
    /** What the scheduler reserves. */
    requests: amounts,
    /** Hard ceiling; the container is throttled (cpu) or killed (memory) above it. */
    limits: amounts,
  })
  .superRefine(
    crossCheck((r, ctx) => {
      if (cpuMillicores(r.requests.cpu) > cpuMillicores(r.limits.cpu)) {
        ctx.addIssue({ code: 'custom', path: ['requests', 'cpu'], message: `request ${r.requests.cpu} exceeds limit ${r.limits.cpu}` });
      }
      if (memoryBytes(r.requests.memory) > memoryBytes(r.limits.memory)) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', 'memory'],
          message: `request ${r.requests.memory} exceeds limit ${r.limits.memory}`,
        });
      }
    }),
  );

export const imageString = z.string().superRefine((ref, ctx) => {
  const parsed = parseImage(ref);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

export const imageTag = z.string().superRefine((tag, ctx) => {
  if (tag.toLowerCase() === 'latest') ctx.addIssue({ code: 'custom', message: 'the "latest" tag is not allowed; pin an exact version' });
  else if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) ctx.addIssue({ code: 'custom', message: `"${tag}" is not a valid image tag` });
});

/** Fields every workload (a service or a sub-component such as Kibana) accepts. */
export const workloadFields = {
  /**
   * Full image reference replacing the catalogue pin, e.g. `registry.local/redis:7.4.3-alpine`.
   * Must carry an exact tag; `latest` is rejected.
   * @default the catalogue's pinned image
   */
  image: imageString.optional(),
  /**
   * Tag replacing the catalogue pin's tag, keeping its repository.
   * @default the catalogue's pinned tag
   */
  version: imageTag.optional(),
  /** Instances to run. Single-host targets accept 1 only. */
  replicas: z.number().int().min(1).max(15),
  resources: resourcesSchema,
};

/**
 * Fields every service accepts. Services with persistent data add `persistence`.
 */
export const serviceFields = {
  /** @default true (a service listed in an environment is on unless this says otherwise) */
  enabled: z.boolean().default(true),
  ...workloadFields,
  /**
   * Host ports on 127.0.0.1 by port name, overriding the Docker target's publishing policy
   * (`target.publish`) for this service. Docker target only; other targets refuse it.
   * @default the policy: each published port on its own number plus `target.publish.offset`
   */
  hostPorts: z.record(z.string(), portNumber).default({}),
};

export const persistenceSchema = z.strictObject({
  /** Size of the data volume (a quantity, e.g. 10Gi). */
  size: memoryQuantity,
});

/** Refinement shared by workloads: `image` and `version` are alternatives. */
export function imageOrVersion(value: { image?: string | undefined; version?: string | undefined }, ctx: z.RefinementCtx) {
  if (value.image && value.version) {
    ctx.addIssue({ code: 'custom', path: ['version'], message: 'set either image or version, not both' });
  }
}

export function resolveImage(pin: string, config: { image?: string | undefined; version?: string | undefined }): ImageRef {
  if (config.image) return pinned(config.image);
  const base = pinned(pin);
  return config.version ? { repository: base.repository, tag: config.version } : base;
}

/** One consumer of a service, as its definition receives it: its name and the access it asked for. */
export interface ConsumerRequest<A = Readonly<Record<string, unknown>>> {
  /** The consumer's name (a DNS label): its identity inside the service. */
  readonly name: string;
  /** What it asked for, already checked by the service's `consumerAccess` schema (defaults applied). */
  readonly access: A;
  /** Set for one of the platform's own services (`ServiceDefinition.platformConsumers`): its spec name. */
  readonly platform?: string;
  /** Where the access is declared in the environment file (`consumers[1].services.postgres`), for messages. @default unknown */
  readonly configPath?: string;
}

/**
 * A consumer the platform declares for one of its own services (Roundcube's database): a role of its
 * own in the services it uses, built exactly as an application's, used by reference, published nowhere.
 */
export interface PlatformConsumer {
  /** Its identity in the services (a role name); no environment consumer may take it. */
  readonly name: string;
  /** The spec that uses it. */
  readonly spec: string;
  /** By catalogue entry, what it asks for (checked by that entry's `consumerAccess`). */
  readonly services: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Where in the environment file the choice is made, for messages. */
  readonly configPath: string;
}

/** Context a definition builds in: values that are per-environment but not per-service. */
export interface BuildContext {
  readonly environment: string;
  /** The project's name (resources and labels carry it). @default 'agent-platform' */
  readonly project?: string;
  /** Resources of exporter and probe sidecars. */
  readonly sidecarResources: ResourceRequirements;
  /** Resources of one-shot setup jobs. */
  readonly jobResources: ResourceRequirements;
  /** The consumers of this service (the environment's `consumers` that use it). @default [] */
  readonly consumers?: readonly ConsumerRequest[];
  /**
   * Internal TLS (the environment's `internalTls`): services that support it serve TLS with a
   * certificate of the internal CA (`internalCertificate`, `trustInternalCa`; `ServiceSpec.tls` says
   * what speaks TLS); with `plaintext` they keep their plaintext listeners beside. @default absent: plaintext
   */
  readonly tls?: { readonly plaintext: boolean };
  /**
   * The specs of the other enabled services, for an entry that watches them (`observes`: the API
   * gateway routes the APIs the other specs declare; monitoring runs the GPU exporter only where a
   * service uses GPUs). @default none (the services build first)
   */
  readonly observed?: readonly ServiceSpec[];
  /** The environment's backup policy; absent where backups are off (`backups.enabled: false`). @default none */
  readonly backups?: BackupPolicy;
}

/** The consumers of the service being built, with their access typed by the service's own schema. */
export function consumersOf<S extends z.ZodType>(ctx: BuildContext, schema: S): ConsumerRequest<z.output<S>>[] {
  return (ctx.consumers ?? []).map((c) => ({
    name: c.name,
    access: schema.parse(c.access) as z.output<S>,
    ...(c.configPath ? { configPath: c.configPath } : {}),
  }));
}

/** The name of a consumer's own generated secret (`consumer-<name>-<what>`, audience `application`). */
export function consumerSecret(consumer: string, what: string): string {
  return `consumer-${consumer}-${what}`;
}

/** A consumer's name as an SQL or Elasticsearch identifier (hyphens become underscores). */
export function underscored(name: string): string {
  return name.replace(/-/g, '_');
}

/**
 * A catalogue entry: its config schema and a pure function from the resolved config to the specs
 * it runs (`B`: their names and facets, typed, so each target's realization table is checked
 * against them).
 */
export interface ServiceDefinition<
  N extends string = string,
  S extends z.ZodType = z.ZodType,
  B extends readonly ServiceSpec[] = readonly ServiceSpec[],
> {
  readonly name: N;
  readonly title: string;
  readonly description: string;
  readonly concern: Concern;
  readonly schema: S;
  /**
   * What a consumer may ask for from this service (`consumers[].services.<name>` in an environment
   * file), with defaults; absent when applications cannot use the service.
   */
  readonly consumerAccess?: z.ZodType;
  /** Problems of the consumers against the service's own config (a name already taken by it). @default none */
  consumerIssues?(config: z.output<S>, consumers: readonly ConsumerRequest[]): { readonly consumer: string; readonly message: string }[];
  /** Consumers the entry's own specs are, in other services (Roundcube's PostgreSQL role). @default none */
  platformConsumers?(config: z.output<S>): readonly PlatformConsumer[];
  /**
   * The entry watches the other specs (`BuildContext.observed`) and builds after them: the API
   * gateway, which routes the APIs they declare, and monitoring. @default false
   */
  readonly observes?: boolean;
  /**
   * The entry is the platform's API gateway: with it enabled, an application reaches services that
   * have no authentication of their own (`PortSpec.api` on an `anonymous` port) through it, unless it
   * names them in its `services`. @default false
   */
  readonly apiGateway?: boolean;
  /**
   * The service has no authentication of its own (Ollama): with the API gateway enabled,
   * applications reach it through the gateway unless they name it. @default false
   */
  readonly unauthenticated?: boolean;
  build(config: z.output<S>, ctx: BuildContext): B;
}

export function defineService<const N extends string, S extends z.ZodType, B extends readonly ServiceSpec[]>(
  def: ServiceDefinition<N, S, B>,
): ServiceDefinition<N, S, B> {
  return def;
}

/** A facet for services whose realizations need nothing beyond the spec. */
export type NoFacet = Readonly<Record<string, never>>;
export const NO_FACET: NoFacet = {};

/**
 * The identity of a service's own spec: named after its definition, configured at
 * `services.<name>`, with a fixed number of members (a spec that autoscales says so).
 */
export function identity<N extends string>(
  def: { readonly name: N; readonly description: string; readonly concern: Concern },
  replicas: number,
) {
  return {
    name: def.name,
    component: def.name as string,
    configPath: `services.${def.name}`,
    description: def.description,
    concern: def.concern,
    replicas,
    scaling: { kind: 'fixed' } as const,
  };
}

/** A one-shot setup job, sized by the profile's job resources. */
export function job(
  ctx: BuildContext,
  spec: Omit<JobSpec, 'resources' | 'files' | 'mounts'> & Partial<Pick<JobSpec, 'files' | 'mounts'>>,
): JobSpec {
  return { files: [], mounts: [], resources: ctx.jobResources, ...spec };
}

/** Where secret files live in containers (the Docker secrets convention). */
export const SECRETS_DIR = '/run/secrets';

/**
 * Where a data service's internal TLS files go (internalTls): `ca.crt` (the internal CA, through
 * `ContainerSpec.trusts`), and for the server `tls.crt` and `tls.key` (its `certificates` entry; the
 * key 0440, like secret files). The names are a cert-manager Secret's.
 */
export const TLS_DIR = '/etc/platform/tls';

/** The internal TLS files in `dir` (`TLS_DIR` unless a server needs them elsewhere). */
export function tlsPaths(dir: string = TLS_DIR): { readonly ca: string; readonly cert: string; readonly key: string } {
  return { ca: `${dir}/ca.crt`, cert: `${dir}/tls.crt`, key: `${dir}/tls.key` };
}

/** The name of a data service's internal TLS certificate (`ServiceSpec.certificates`). */
export const INTERNAL_CERTIFICATE = 'tls';

/** How often a TLS server's start loop checks its certificate file for a renewal (seconds). */
export const CERTIFICATE_CHECK_SECONDS = 60;

/**
 * A server's start with internal TLS that takes a renewed certificate without a restart: a loop
 * beside the server runs `reload` (the server's own way to re-read its TLS files) whenever the
 * certificate file changes (cert-manager's Secret is mounted as a directory, so a renewal replaces
 * the file in the running container), checked every CERTIFICATE_CHECK_SECONDS; then `exec start`.
 * Backquotes and `${$}` (the shell's pid, which `exec` hands to the server), never `$(...)` or `$$`:
 * the kubelet expands `$(NAME)` and turns `$$` into `$` in a container's args.
 */
export function startWithCertificateReload(reload: string, start: string, cert: string = tlsPaths().cert): string[] {
  const script = [
    `(last=\`cksum <${cert}\`; while sleep ${CERTIFICATE_CHECK_SECONDS}; do`,
    `now=\`cksum <${cert}\`; [ "$now" = "$last" ] || { ${reload} && last=$now; }; done) &`,
    `exec ${start}`,
  ].join(' ');
  if (/\$\(|\$\$/.test(script)) throw new Error(`a start script with $( or $$, which the kubelet rewrites: ${script}`);
  return ['sh', '-c', script];
}

/**
 * The certificate a data service serves internal TLS with (internalTls): issued by the environment's
 * internal CA for the names the target gives `container` (its network alias, `localhost`, 127.0.0.1).
 */
export function internalCertificate(description: string, container = 'main', dir: string = TLS_DIR): CertificateSpec {
  const f = tlsPaths(dir);
  return { name: INTERNAL_CERTIFICATE, description, dnsNames: [], container, paths: { certificate: f.cert, key: f.key }, internal: true };
}

/** The internal CA, at `tlsPaths().ca`, for a container that verifies `service`'s internal TLS certificate. */
export function trustInternalCa(service: string, dir: string = TLS_DIR): TrustedCertificate[] {
  return [{ service, certificate: INTERNAL_CERTIFICATE, path: tlsPaths(dir).ca }];
}

/**
 * A secret file: readable by its owner and group only (`0440`; `0400` for servers that refuse any
 * group bit). Its content carries a generated secret (or a hash of one), so targets keep it out of
 * plain config objects.
 */
export function secretFile(path: string, content: Text, opts: { mode?: 0o400 | 0o440; format?: string } = {}): ConfigFile {
  return { path, content, mode: opts.mode ?? 0o440, format: opts.format ?? 'secret' };
}

/** A file holding just one generated secret, at `/run/secrets/<service>-<name>`. */
export function secretValueFile(service: string, name: string, opts: { mode?: 0o400 | 0o440 } = {}): ConfigFile {
  return secretFile(secretValuePath(service, name), tpl`${secretRef(service, name)}`, opts);
}

export function secretValuePath(service: string, name: string): string {
  return `${SECRETS_DIR}/${service}-${name}`;
}

/** A port, with the host port the environment asked for explicitly (if any). */
export function port(
  name: string,
  number: number,
  purpose: PortSpec['purpose'],
  appProtocol: string,
  hostPorts: Readonly<Record<string, number>>,
  protocol: PortSpec['protocol'] = 'tcp',
): PortSpec {
  const hostPort = hostPorts[name];
  return hostPort === undefined
    ? { name, port: number, protocol, purpose, appProtocol }
    : { name, port: number, protocol, purpose, appProtocol, hostPort };
}

/** Health check timings shared by most services; slow starters pass a longer start period. */
export function health(exec: readonly string[], opts: Partial<Omit<HealthCheck, 'exec'>> = {}): HealthCheck {
  return {
    exec,
    intervalSeconds: 10,
    timeoutSeconds: 5,
    retries: 6,
    startPeriodSeconds: 30,
    ...opts,
  };
}

/**
 * An HTTP health check run with `wget` inside the container (busybox or GNU), which a target that can
 * probe directly (Kubernetes) may use as an HTTP probe instead.
 */
export function httpHealth(port: number, path: string, opts: Partial<Omit<HealthCheck, 'exec' | 'http'>> = {}): HealthCheck {
  return health(['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}${path}`], { http: { port, path }, ...opts });
}

/** Shell form of a health check (`sh -c`), for checks that need environment variables or pipes. */
export function shellHealth(script: string, opts: Partial<Omit<HealthCheck, 'exec'>> = {}): HealthCheck {
  return health(['sh', '-c', script], opts);
}

/** Texts joined with a separator into one text (literals stay literals, references stay references). */
export function joinTemplates(texts: readonly Text[], separator: string): Text {
  const parts: (string | Text)[] = [];
  texts.forEach((t, i) => {
    if (i > 0 && separator) parts.push(separator);
    parts.push(t);
  });
  if (parts.every((p) => typeof p === 'string')) return parts.join('');
  const strings: string[] = [''];
  const values: Template['parts'][number][] = [];
  for (const p of parts) {
    for (const part of typeof p === 'string' ? [p] : p.parts) {
      if (typeof part === 'string') strings[strings.length - 1] += part;
      else {
        values.push(part);
        strings.push('');
      }
    }
  }
  return tpl(Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray, ...values);
}

export type Container = ContainerSpec;
