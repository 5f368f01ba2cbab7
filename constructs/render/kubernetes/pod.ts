/**
 * A pod template from a spec's containers (or a job), as the kubernetes provider's typed
 * `*_v1` resources take it: images, commands, environment, ports, files from a ConfigMap and a
 * Secret, scratch volumes where the root filesystem is read-only, resources, probes from the spec's
 * health check, and a security context that meets the `restricted` Pod Security Standard. Every
 * field the API would otherwise default and the provider read back is written explicitly.
 */
import { hasSecret, referencesOf, renderText } from '../../spec/template';
import type { ConfigFile, ContainerSpec, HealthCheck, JobSpec, ServiceSpec, Text } from '../../spec/types';
import { escapeLiteral, octalMode } from '../terraform';
import type { K8sContext } from './context';
import { type PodPolicyInput, typedContainerSecurity, typedPod } from './pod-policy';
import { canonicalMemory, canonicalResources } from '../../targets/kubernetes/quantities';
import { certificateSecret } from './certificates';

/** Where a file's content is stored: a key in the workload's ConfigMap or Secret. */
export interface FileKey {
  readonly file: ConfigFile;
  readonly key: string;
  readonly secret: boolean;
}

/** Stable, unique keys for the files of a pod (the path with its separators replaced). */
export function fileKeys(files: readonly ConfigFile[]): FileKey[] {
  const seen = new Set<string>();
  return files.map((file) => {
    const key = file.path.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_');
    if (seen.has(key)) throw new Error(`two files map to the key ${key}`);
    seen.add(key);
    return { file, key, secret: hasSecret(file.content) };
  });
}

/** Every file of a pod, deduplicated by path (sidecars may mount the same secret file). */
export function podFiles(workloads: readonly (ContainerSpec | JobSpec)[]): ConfigFile[] {
  const byPath = new Map<string, ConfigFile>();
  for (const w of workloads) for (const f of w.files) if (!byPath.has(f.path)) byPath.set(f.path, f);
  return [...byPath.values()];
}

export interface PodOptions {
  readonly configMap?: string;
  readonly secret?: string;
  readonly keys: readonly FileKey[];
  /** Persistent volumes by spec volume name (a StatefulSet's claim templates carry the same names). */
  readonly claims: readonly string[];
  readonly serviceAccount: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** What the pod policy needs beyond the containers (their user and GPUs come from the workloads). */
  readonly pod: Omit<PodPolicyInput, 'user' | 'gpu'>;
  readonly restartPolicy: 'Always' | 'Never' | 'OnFailure';
  readonly terminationGracePeriodSeconds: number;
  readonly initContainers?: ({ name: string } & Record<string, any>)[];
  /**
   * Jobs run as init containers, in order, before the pod's containers start (built like them: the
   * same security context, mounts, scratch volumes and file keys).
   */
  readonly initJobs?: readonly JobSpec[];
  /**
   * Scratch paths every workload of the pod shares (one emptyDir, mounted at the path in each
   * workload that lists it in `scratchPaths`): a backup's dump hands its files to the upload there.
   * @default none
   */
  readonly shared?: readonly { readonly path: string; readonly sizeLimit: string }[];
  /**
   * What a realization adds to the spec's containers (values the target provides, such as a relay's
   * credentials): volumes of the pod, and by container name environment variables and mounts.
   */
  readonly extra?: PodExtras;
}

export interface PodExtras {
  readonly volumes?: readonly Record<string, unknown>[];
  readonly env?: Readonly<Record<string, readonly { name: string; value: string }[]>>;
  /** Environment variables of the pod's jobs, by job name (a Terraform reference the target provides, written as is). */
  readonly jobEnv?: Readonly<Record<string, readonly { name: string; value: string }[]>>;
  readonly mounts?: Readonly<Record<string, readonly { name: string; mountPath: string; subPath?: string; readOnly: boolean }[]>>;
  /** Mounts of the pod's jobs, by job name (a projected service account token). */
  readonly jobMounts?: Readonly<Record<string, readonly { name: string; mountPath: string; readOnly: boolean }[]>>;
}

/** The pod template (`metadata` + `spec`) in the binding's camelCase form. */
/**
 * The pod annotation (`<this>.<container>`) carrying why a container has privileges
 * (`ContainerSpec.privileges`): guardrail PLAT-CTR-004 admits root, escalation and added
 * capabilities on a container that says why here.
 */
export const PRIVILEGES_ANNOTATION = 'platform/privileges';

export function podTemplate(ctx: K8sContext, spec: ServiceSpec, workloads: readonly (ContainerSpec | JobSpec)[], opts: PodOptions) {
  const resolve = ctx.resolver(spec);
  const text = (t: Text) => renderText(t, resolve);
  const main = workloads[0]!;
  const gpus = Math.max(0, ...workloads.map((w) => ('gpus' in w ? (w.gpus ?? 0) : 0)));
  const gpu = gpus > 0 ? ctx.cluster.gpu : undefined;
  if (gpus > 0 && !gpu) throw new Error(`${spec.name} needs GPUs but the cluster has none configured`);
  const policy = ctx.podPolicy({ ...opts.pod, user: main.user, gpu: gpus > 0 });

  const initJobs = opts.initJobs ?? [];
  const all = [...workloads, ...initJobs];
  const shared = opts.shared ?? [];
  const sharedName = (path: string) => `shared-${shared.findIndex((x) => x.path === path)}`;
  const scratch = all.flatMap((w, i) =>
    (w.scratchPaths ?? []).map((path, j) => ({
      w,
      name: shared.some((x) => x.path === path) ? sharedName(path) : `scratch-${i}-${j}`,
      path,
    })),
  );
  const shm = workloads.flatMap((w) => ('shmSize' in w && w.shmSize ? [{ w, size: w.shmSize }] : []));
  // The certificates a container serves, from the Secret cert-manager writes (a directory mount, so a
  // renewal reaches the running pod), and the CAs it verifies other services with (ca.crt, optional:
  // a public issuer writes none, and the image's trust store applies).
  const issued = ctx.certificatesOf(spec).secrets;
  const certs = workloads.flatMap((w, i) =>
    'health' in w
      ? (spec.certificates ?? [])
          .filter((c) => c.container === w.name)
          .map((c) => {
            const dir = dirOf(c.paths.certificate);
            if (dirOf(c.paths.key) !== dir) throw new Error(`${spec.name}: certificate ${c.name}'s files must share a directory`);
            const secret = issued[c.name];
            if (!secret) throw new Error(`${spec.name}: certificate ${c.name} is not issued`);
            return { w, name: `certificate-${i}-${c.name}`, dir, secret, cert: c };
          })
      : [],
  );
  const host = (service: string) => resolve.host({ kind: 'host', service });
  // A server that verifies with its own certificate's CA in the same directory (internal TLS: NATS's
  // ca_file, PostgreSQL's ssl_ca_file) reads `ca.crt` from its certificate's Secret: one volume per
  // directory (the CA issuer writes the CA there as ca.crt).
  const ownCa = (w: ContainerSpec | JobSpec, t: { service: string; certificate: string; path: string }) =>
    certs.find((c) => c.w === w && t.service === spec.name && c.cert.name === t.certificate && c.dir === dirOf(t.path));
  // Jobs too: a backup's dump step connects to its server with internal TLS.
  const trusts = all.flatMap((w, i) =>
    'health' in w || initJobs.includes(w as JobSpec)
      ? (w.trusts ?? [])
          .filter((t) => !ownCa(w, t))
          .map((t, j) => {
            const own = host(spec.name).split('.')[1];
            if (host(t.service).split('.')[1] !== own)
              throw new Error(`${spec.name}: it trusts ${t.service}'s CA, which is in another namespace`);
            return {
              w,
              name: `trust-${i}-${j}`,
              dir: dirOf(t.path),
              file: t.path.slice(t.path.lastIndexOf('/') + 1),
              secret: certificateSecret({ name: t.service }, { name: t.certificate }),
            };
          })
      : [],
  );
  const volumes = [
    ...(opts.configMap
      ? [
          {
            name: 'config',
            configMap: {
              name: opts.configMap,
              defaultMode: '0444',
              items: opts.keys.filter((k) => !k.secret).map((k) => ({ key: k.key, path: k.key, mode: octalMode(k.file.mode) })),
            },
          },
        ]
      : []),
    ...(opts.secret
      ? [
          {
            name: 'secrets',
            secret: {
              secretName: opts.secret,
              defaultMode: '0440',
              items: opts.keys.filter((k) => k.secret).map((k) => ({ key: k.key, path: k.key, mode: octalMode(k.file.mode) })),
            },
          },
        ]
      : []),
    ...certs.map((c) => ({
      name: c.name,
      secret: {
        secretName: c.secret,
        defaultMode: '0440',
        items: [
          { key: 'tls.crt', path: baseOf(c.cert.paths.certificate), mode: '0444' },
          { key: 'tls.key', path: baseOf(c.cert.paths.key), mode: '0440' },
          ...(c.w.trusts ?? []).flatMap((t) => (ownCa(c.w, t) === c ? [{ key: 'ca.crt', path: baseOf(t.path), mode: '0444' }] : [])),
        ],
      },
    })),
    ...trusts.map((t) => ({
      name: t.name,
      secret: { secretName: t.secret, defaultMode: '0444', optional: true, items: [{ key: 'ca.crt', path: t.file, mode: '0444' }] },
    })),
    ...(opts.extra?.volumes ?? []),
    ...scratch.filter((s) => !s.name.startsWith('shared-')).map((s) => ({ name: s.name, emptyDir: { sizeLimit: '256Mi' } })),
    ...shared.map((x) => ({ name: sharedName(x.path), emptyDir: { sizeLimit: x.sizeLimit } })),
    ...shm.map((s, i) => ({ name: `shm-${i}`, emptyDir: { medium: 'Memory', sizeLimit: canonicalMemory(s.size) } })),
  ];

  const container = (w: ContainerSpec | JobSpec, index: number) => {
    const isJob = !('health' in w);
    const c = w as ContainerSpec;
    const j = w as JobSpec;
    if (!isJob && c.scratchPaths === undefined && !c.writableRoot)
      throw new Error(
        `${spec.name}/${w.name}: no scratchPaths for a read-only root filesystem, and no writableRoot saying why it needs a writable one`,
      );
    const keys = opts.keys.filter((k) => w.files.some((f) => f.path === k.file.path));
    const resources = canonicalResources(w.resources);
    const limits: Record<string, string> = {
      ...resources.limits,
      ...(!isJob && c.gpus && gpu ? { [gpu.resourceName]: String(c.gpus) } : {}),
    };
    const command = isJob ? j.command.map(text) : c.command?.map(text);
    return {
      name: w.name,
      image: imageOf(w),
      imagePullPolicy: 'IfNotPresent',
      ...(command ? { command } : {}),
      ...(!isJob && c.args ? { args: c.args.map(text) } : {}),
      env: [
        // A member's own name, for `$(POD_NAME)` in later variables and in commands (downward API).
        ...(usesMemberName(w) ? [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] : []),
        ...Object.entries(w.env).map(([name, value]) => ({ name, value: text(value) })),
        ...(isJob ? (opts.extra?.jobEnv?.[w.name] ?? []) : (opts.extra?.env?.[w.name] ?? [])),
      ],
      ...(!isJob
        ? {
            port: c.ports.map((p) => ({ name: portName(p.name), containerPort: p.port, protocol: p.protocol.toUpperCase() })),
          }
        : {}),
      resources: { requests: resources.requests, limits },
      volumeMount: [
        ...w.mounts.map((m) => {
          if (!opts.claims.includes(m.volume))
            throw new Error(`${spec.name}/${w.name}: volume ${m.volume} cannot be shared with this pod on Kubernetes`);
          return { name: m.volume, mountPath: m.path, readOnly: m.readOnly ?? false };
        }),
        ...keys.map((k) => ({ name: k.secret ? 'secrets' : 'config', mountPath: k.file.path, subPath: k.key, readOnly: true })),
        ...certs.filter((c) => c.w === w).map((c) => ({ name: c.name, mountPath: c.dir, readOnly: true })),
        ...(isJob ? (opts.extra?.jobMounts?.[w.name] ?? []) : (opts.extra?.mounts?.[w.name] ?? [])),
        ...trusts.filter((t) => t.w === w).map((t) => ({ name: t.name, mountPath: t.dir, readOnly: true })),
        ...scratch.filter((s) => s.w === w).map((s) => ({ name: s.name, mountPath: s.path, readOnly: false })),
        ...shm.filter((s) => s.w === w).map((_, i) => ({ name: `shm-${i}`, mountPath: '/dev/shm', readOnly: false })),
      ],
      ...(!isJob ? probes(c.health, c.ports) : {}),
      securityContext: typedContainerSecurity(policy, w.user, isJob || w.scratchPaths !== undefined, isJob ? undefined : c.privileges),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      _index: index,
    };
  };

  return {
    metadata: {
      labels: { ...policy.labels },
      annotations: {
        ...opts.annotations,
        // What a container gets beyond an unprivileged user, with the reason (guardrail PLAT-CTR-004 reads it).
        ...Object.fromEntries(
          workloads.flatMap((w) =>
            'privileges' in w && w.privileges ? [[`${PRIVILEGES_ANNOTATION}.${w.name}`, w.privileges.reason]] : [],
          ),
        ),
      },
    },
    spec: {
      serviceAccountName: opts.serviceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: opts.restartPolicy,
      terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds,
      // The pod policy: priority, scheduling, and a security context whose fsGroup (the main
      // container's group) owns the volumes (claims, the ConfigMap, the Secret).
      ...typedPod(policy),
      ...(opts.initContainers?.length || initJobs.length
        ? {
            initContainer: [
              ...initJobs.map((j, i) => container(j, workloads.length + i)).map(({ _index, ...c }) => c),
              ...(opts.initContainers ?? []),
            ],
          }
        : {}),
      container: workloads.map(container).map(({ _index, ...c }) => c),
      volume: volumes,
    },
  };
}

const dirOf = (file: string) => file.slice(0, file.lastIndexOf('/')) || '/';
const baseOf = (file: string) => file.slice(file.lastIndexOf('/') + 1);

function usesMemberName(w: ContainerSpec | JobSpec): boolean {
  const texts: Text[] = [...Object.values(w.env), ...(w.command ?? []), ...('args' in w ? (w.args ?? []) : [])];
  return texts.some((t) => referencesOf(t).some((r) => r.kind === 'member'));
}

export function imageOf(w: ContainerSpec | JobSpec): string {
  const i = w.image;
  return `${i.repository}${i.tag !== undefined ? `:${i.tag}` : ''}${i.digest ? `@${i.digest}` : ''}`;
}

/** A port name as Kubernetes accepts it (IANA_SVC_NAME: at most 15 lower-case characters). */
export function portName(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 15);
  return n;
}

/**
 * Probes from the spec's health check: readiness is the check itself (for a cluster member, its
 * stricter `member` check: joined and caught up), liveness the base check with twice the tolerance
 * (a slow moment is not a dead process, and a cluster without quorum is not fixed by restarts), and
 * a startup probe on the base check that allows the spec's start period before either applies.
 * HTTP where the spec names an anonymous HTTP endpoint, else the same command Docker runs.
 */
export function probes(h: HealthCheck, ports: readonly { port: number; name: string }[]) {
  const handler = (c: Pick<HealthCheck, 'exec' | 'http'>) => {
    if (c.http && !ports.some((p) => p.port === c.http!.port)) throw new Error(`health check port ${c.http.port} is not a container port`);
    return c.http
      ? { httpGet: { path: c.http.path, port: String(c.http.port), scheme: 'HTTP' } }
      : { exec: { command: c.exec.map(escapeLiteral) } };
  };
  const timing = { initialDelaySeconds: 0, periodSeconds: h.intervalSeconds, timeoutSeconds: h.timeoutSeconds, successThreshold: 1 };
  const base = { ...handler(h), ...timing };
  return {
    startupProbe: { ...base, failureThreshold: Math.ceil(h.startPeriodSeconds / h.intervalSeconds) + h.retries },
    readinessProbe: { ...(h.member ? handler(h.member) : handler(h)), ...timing, failureThreshold: h.retries },
    livenessProbe: { ...base, failureThreshold: h.retries * 2 },
  };
}

/** Files of a pod split into ConfigMap data (plain) and Secret data (carrying generated values). */
export function fileData(ctx: K8sContext, spec: ServiceSpec, keys: readonly FileKey[]) {
  const resolve = ctx.resolver(spec);
  const config: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const k of keys) (k.secret ? secret : config)[k.key] = renderText(k.file.content, resolve);
  return { config, secret };
}
