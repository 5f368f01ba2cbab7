/**
 * The default realization: a service's spec as the project's own typed resources, from the same
 * `ServiceSpec` the Docker target renders (same images, files, health checks, generated secrets).
 *
 * - a ServiceAccount that mounts no token;
 * - a ConfigMap with the plain files and a Secret with the files that carry generated values
 *   (a generated value never lands in a ConfigMap);
 * - a StatefulSet when the service has volumes (a claim per volume), else a Deployment with a
 *   HorizontalPodAutoscaler; pod templates carry a checksum of their files so a change rolls them;
 * - a ClusterIP Service for clients, and a headless one for a StatefulSet's members;
 * - a PodDisruptionBudget when there is more than one member: a majority of a stateful service's
 *   members (for a cluster, all but the members it may lose at once), one stateless replica at a time;
 * - for a cluster (`spec.cluster`): `Parallel` pod management where members must start together,
 *   readiness from the health check's `member` form, and ConfigMap `<name>-endpoint` with what clients need;
 * - the spec's jobs as Jobs that run after the workload is ready (and again when what they apply changes);
 * - the backup plan's dump step, when it has one and the platform's object store holds a backup
 *   bucket (or the target gives a store: `ClusterFacts.backupStore`, S3 on AWS): a CronJob on the
 *   plan's schedule (UTC) whose pod runs the dump as an init container and the upload (curl, SigV4,
 *   the backup key; on AWS the Pod Identity credentials of its own service account) after it,
 *   sharing the dump's directory.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import {
  ConfigMapV1,
  CronJobV1,
  DeploymentV1,
  HorizontalPodAutoscalerV2,
  JobV1,
  PodDisruptionBudgetV1,
  RoleBindingV1,
  RoleV1,
  SecretV1,
  ServiceAccountV1,
  ServiceV1,
  StatefulSetV1,
} from '../../providers/kubernetes';
import { renderText } from '../../spec/template';
import type { ContainerSpec, JobSpec, ServiceSpec, StoppedDump } from '../../spec/types';
import { addressOf, logicalId, pinAddress } from '../terraform';
import type { K8sContext, PodGroup, Realization, Realized } from './context';
import { jobLabels, podLabels } from '../../targets/kubernetes/naming';
import { type PodExtras, fileData, fileKeys, podFiles, podTemplate, portName } from './pod';
import { canonicalMemory } from '../../targets/kubernetes/quantities';
import { BACKUP_DIR, platformStore, runSeconds, stoppedDumpCommand, uploadStep } from '../../services/backup';
import { readFileSync } from 'node:fs';
import { memoryBytes } from '../../spec/quantity';

/** Why a service runs as the project's own resources unless it has its own file. */
export const OWN_RESOURCES_REASON =
  'The same spec as Docker (image, files, health checks, generated secrets) as typed kubernetes_*_v1 resources, so the targets cannot drift.';

/**
 * The default realization, with the reason the project's own resources suffice for that service
 * (how it forms a cluster, or why it has none): each service's row in realizations.ts says it.
 */
export function ownResources(because: string): Realization<unknown> {
  return {
    why: () => `${OWN_RESOURCES_REASON} ${because}`,
    describe: (spec) =>
      spec.volumes.length > 0
        ? `own StatefulSet (typed kubernetes_*_v1 resources)${
            spec.cluster ? `: a ${spec.replicas}-member cluster, ${podManagementPolicy(spec)}; ${spec.cluster.discovery}` : ''
          }`
        : spec.scaling.kind === 'autoscaled'
          ? 'own Deployment + HorizontalPodAutoscaler'
          : 'own Deployment',
    render: (scope, ctx, spec, dependsOn) => new Workload(scope, spec.name, ctx, spec, dependsOn).realized,
    // A StatefulSet's members are reached as `<name>-<i>.<name>-headless` by their peers. A certificate the
    // members present to each other (`peers`) names each member exactly too: Erlang's host-name check (the
    // RabbitMQ distribution over TLS) matches no wildcard.
    serverNames: (spec) =>
      spec.volumes.length > 0
        ? [
            `*.${spec.name}-headless`,
            ...((spec.certificates ?? []).some((c) => c.peers)
              ? Array.from({ length: spec.replicas }, (_, i) => `${spec.name}-${i}.${spec.name}-headless`)
              : []),
          ]
        : [],
  };
}

/** Seconds a rollout may take: every member starting in turn, within its health check's budget. */
export function rolloutSeconds(spec: ServiceSpec): number {
  const h = spec.containers[0]!.health;
  return spec.replicas * (h.startPeriodSeconds + h.retries * (h.intervalSeconds + h.timeoutSeconds)) + 300;
}

/** A majority of the members. */
export function quorum(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

/**
 * What a PodDisruptionBudget keeps available: a majority, and for a cluster also all but the
 * members it may lose at once without losing quorum or the last copy of data (`cluster.maxUnavailable`:
 * a stream's, queue's or shard's replicas, not the member count, decide that).
 */
export function minAvailable(spec: Pick<ServiceSpec, 'replicas' | 'cluster'>): number {
  const majority = quorum(spec.replicas);
  return spec.cluster ? Math.max(majority, spec.replicas - spec.cluster.maxUnavailable) : majority;
}

/**
 * The budget's rule: members of a stateful service keep `minAvailable`; stateless replicas (a
 * Deployment the autoscaler may grow) lose at most one at a time, so a node drain never waits on a
 * budget that counts every replica (two of two would block every drain).
 */
export function disruptionBudget(
  spec: Pick<ServiceSpec, 'replicas' | 'cluster' | 'volumes'>,
): { minAvailable: string } | { maxUnavailable: string } {
  return spec.volumes.length > 0 || spec.cluster ? { minAvailable: String(minAvailable(spec)) } : { maxUnavailable: '1' };
}

/**
 * `Parallel` for clusters whose members become ready only once several of them run (they must
 * start together to form or re-form the cluster); `OrderedReady` otherwise. Either way a rolling
 * update replaces one member at a time and waits for it to be ready (the policy governs scaling and
 * recreation, not updates). The field cannot change on an existing StatefulSet (the provider
 * replaces it): docs/operations.md says how to go from one member to a cluster.
 */
export function podManagementPolicy(spec: Pick<ServiceSpec, 'cluster'>): 'Parallel' | 'OrderedReady' {
  return spec.cluster?.start === 'together' ? 'Parallel' : 'OrderedReady';
}

/** What a service's own realization adds to the default one. */
export interface WorkloadOptions {
  /** Jobs run as init containers of every member before it starts (and so before it is ready). */
  readonly initJobs?: readonly JobSpec[];
  /** What the realization adds to the pod (values the target provides), and what the workload waits for besides. */
  readonly extra?: PodExtras & { readonly after?: readonly ITerraformDependable[] };
}

interface Objects {
  readonly configMap?: ConfigMapV1;
  readonly secret?: SecretV1;
  readonly annotations: Record<string, string>;
  readonly keys: ReturnType<typeof fileKeys>;
}

export class Workload extends Construct {
  readonly realized: Realized;
  readonly namespace: string;

  constructor(
    scope: Construct,
    id: string,
    ctx: K8sContext,
    spec: ServiceSpec,
    dependsOn: readonly ITerraformDependable[],
    options: WorkloadOptions = {},
  ) {
    super(scope, id);
    const ns = ctx.namespaceOf(spec);
    this.namespace = ns;
    const initJobs = options.initJobs ?? [];
    const labels = { ...ctx.commonLabels, ...podLabels(spec) };
    const selector = podLabels(spec);
    const stateful = spec.volumes.length > 0;

    const sa = pinAddress(
      new ServiceAccountV1(this, 'service-account', {
        metadata: { name: spec.name, namespace: ns, labels },
        automountServiceAccountToken: false,
        dependsOn: [...ctx.foundation],
      }),
      spec.name,
      'service_account',
    );

    const files = this.objects(ctx, spec, 'files', podFiles([...spec.containers, ...initJobs]), labels);
    const template = podTemplate(ctx, spec, spec.containers, {
      ...(files.configMap ? { configMap: files.configMap.metadata.name } : {}),
      ...(files.secret ? { secret: files.secret.metadata.name } : {}),
      keys: files.keys,
      claims: spec.volumes.map((v) => v.name),
      serviceAccount: sa.metadata.name,
      annotations: files.annotations,
      pod: { selector, replicas: spec.replicas, data: spec.concern === 'data' && stateful },
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: Math.max(...spec.containers.map((c) => c.stopGracePeriodSeconds)),
      ...(initJobs.length ? { initJobs } : {}),
      ...(options.extra ? { extra: options.extra } : {}),
    });
    const waitFor = [
      ...dependsOn,
      ...ctx.foundation,
      // The certificates it serves: their Secrets exist before its pods mount them.
      ...ctx.certificatesOf(spec).ready,
      ...(options.extra?.after ?? []),
      sa,
      ...(files.configMap ? [files.configMap] : []),
      ...(files.secret ? [files.secret] : []),
    ];
    // Members start one after the other, each after its init jobs (bounded by their time limits).
    const initSeconds = initJobs.reduce((n, j) => n + j.timeoutSeconds, 0);
    const timeout = `${Math.ceil((rolloutSeconds(spec) + spec.replicas * initSeconds) / 60)}m`;
    const scaling = spec.scaling;
    const autoscaled = scaling.kind === 'autoscaled';
    // A GPU workload waits for GPU nodes that may not exist (or are scaled from zero): the apply
    // waits for it only where the environment says so (target.gpu.waitForRollout; synth says which).
    const needsGpu = spec.containers.some((c) => (c.gpus ?? 0) > 0);
    const waitForRollout = !needsGpu || (ctx.cluster.gpu?.waitForRollout ?? true);

    const server = stateful
      ? pinAddress(
          new StatefulSetV1(this, 'statefulset', {
            metadata: { name: spec.name, namespace: ns, labels },
            spec: {
              serviceName: `${spec.name}-headless`,
              replicas: String(spec.replicas),
              podManagementPolicy: podManagementPolicy(spec),
              revisionHistoryLimit: 10,
              updateStrategy: [{ type: 'RollingUpdate', rollingUpdate: [{ partition: 0 }] }],
              persistentVolumeClaimRetentionPolicy: [{ whenDeleted: 'Retain', whenScaled: 'Retain' }],
              selector: { matchLabels: selector },
              template,
              volumeClaimTemplate: spec.volumes.map((v) => ({
                metadata: { name: v.name, labels: { ...selector, 'platform/volume': v.name, 'platform/backup': String(v.backup) } },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  resources: { requests: { storage: canonicalMemory(v.size) } },
                  ...(ctx.cluster.storageClass ? { storageClassName: ctx.cluster.storageClass } : {}),
                },
              })),
            },
            waitForRollout,
            timeouts: { create: timeout, update: timeout, delete: '10m' },
            lifecycle: { preventDestroy: ctx.environment.protectData && spec.volumes.some((v) => v.backup) },
            dependsOn: waitFor,
          }),
          spec.name,
        )
      : pinAddress(
          new DeploymentV1(this, 'deployment', {
            metadata: { name: spec.name, namespace: ns, labels },
            spec: {
              // The autoscaler owns the replica count (a count here would fight it on every apply).
              ...(autoscaled ? {} : { replicas: String(spec.replicas) }),
              revisionHistoryLimit: 10,
              strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
              selector: { matchLabels: selector },
              template,
            },
            waitForRollout,
            timeouts: { create: timeout, update: timeout, delete: '10m' },
            dependsOn: waitFor,
          }),
          spec.name,
        );

    this.services(ctx, spec, ns, labels, selector, stateful);
    if (scaling.kind === 'autoscaled') this.autoscaler(spec, scaling, ns, labels);
    if (spec.replicas > 1) {
      pinAddress(
        new PodDisruptionBudgetV1(this, 'pdb', {
          metadata: { name: spec.name, namespace: ns, labels },
          spec: { ...disruptionBudget(spec), selector: { matchLabels: selector } },
        }),
        spec.name,
        'pdb',
      );
    }
    if (spec.connection) this.connection(ctx, spec, ns, labels);

    const jobs = spec.jobs.map((job) => this.job(ctx, spec, job, ns, sa, [server]));
    const backup = this.backup(ctx, spec, ns, sa, [server]);
    const setupJobs = jobs.filter((j) => (j.job.run ?? 'setup') === 'setup').map((j) => j.resource);

    const ports = spec.containers.flatMap((c) =>
      c.ports.map((p) => ({ port: p.port, purpose: p.purpose, protocol: (p.protocol === 'udp' ? 'UDP' : 'TCP') as 'TCP' | 'UDP' })),
    );
    const internet = (spec.egress ?? []).filter((e) => e.to === 'internet');
    const pods: PodGroup[] = [
      {
        id: spec.name,
        service: spec.name,
        namespace: ns,
        labels: selector,
        ports,
        role: 'server',
        ...(internet.length ? { egress: internet.map((e) => ({ cidrs: ['0.0.0.0/0'], ports: e.ports, reason: e.reason })) } : {}),
      },
      ...jobs.map(({ job }): PodGroup => ({
        id: `${spec.name}/job-${job.name}`,
        service: spec.name,
        namespace: ns,
        labels: jobLabels(spec, job.name),
        ports: [],
        role: 'job',
        ...(job.run === 'background' && internet.length
          ? { egress: internet.map((e) => ({ cidrs: ['0.0.0.0/0'], ports: e.ports, reason: e.reason })) }
          : {}),
      })),
      ...(backup ? [backup] : []),
    ];
    this.realized = { ready: [server, ...setupJobs], pods };
  }

  /** The ConfigMap and Secret holding a pod's files, and the pod annotations that roll it when they change. */
  private objects(
    ctx: K8sContext,
    spec: ServiceSpec,
    part: string,
    files: ReturnType<typeof podFiles>,
    labels: Record<string, string>,
  ): Objects {
    const keys = fileKeys(files);
    const data = fileData(ctx, spec, keys);
    const ns = ctx.namespaceOf(spec);
    const name = part === 'files' ? spec.name : `${spec.name}-${part}`;
    const configMap =
      Object.keys(data.config).length > 0
        ? pinAddress(
            new ConfigMapV1(this, `${part}-config`, {
              metadata: { name, namespace: ns, labels },
              data: data.config,
              dependsOn: [...ctx.foundation],
            }),
            spec.name,
            part === 'files' ? 'config' : `${part}_config`,
          )
        : undefined;
    const secret =
      Object.keys(data.secret).length > 0
        ? pinAddress(
            new SecretV1(this, `${part}-secret`, {
              metadata: { name, namespace: ns, labels },
              type: 'Opaque',
              data: data.secret,
              dependsOn: [...ctx.foundation],
            }),
            spec.name,
            part === 'files' ? 'secret' : `${part}_secret`,
          )
        : undefined;
    // A checksum of the content, so a changed file (a rotated secret) rolls the pods; the Secret's
    // data is sensitive, its hash is not.
    const annotations: Record<string, string> = {
      ...(configMap ? { 'platform/config-checksum': `\${sha256(jsonencode(${addressOf(configMap)}.data))}` } : {}),
      ...(secret ? { 'platform/secret-checksum': `\${nonsensitive(sha256(jsonencode(${addressOf(secret)}.data)))}` } : {}),
    };
    return { ...(configMap ? { configMap } : {}), ...(secret ? { secret } : {}), annotations, keys };
  }

  private services(
    ctx: K8sContext,
    spec: ServiceSpec,
    ns: string,
    labels: Record<string, string>,
    selector: Record<string, string>,
    stateful: boolean,
  ) {
    const all = spec.containers.flatMap((c: ContainerSpec) => c.ports);
    const portsOf = (ps: typeof all) =>
      ps.map((p) => ({
        name: portName(p.name),
        port: p.port,
        targetPort: String(p.port),
        protocol: p.protocol.toUpperCase(),
        appProtocol: p.appProtocol,
      }));
    const clientPorts = all.filter((p) => p.purpose !== 'cluster');
    if (clientPorts.length > 0) {
      pinAddress(
        new ServiceV1(this, 'service', {
          metadata: { name: spec.name, namespace: ns, labels },
          spec: { type: 'ClusterIP', sessionAffinity: 'None', selector, port: portsOf(clientPorts) },
          dependsOn: [...ctx.foundation],
        }),
        spec.name,
        'service',
      );
    }
    if (stateful) {
      // Stable member names (`<name>-0.<name>-headless`) for peers, reachable before they are ready.
      pinAddress(
        new ServiceV1(this, 'headless', {
          metadata: { name: `${spec.name}-headless`, namespace: ns, labels },
          spec: {
            type: 'ClusterIP',
            clusterIp: 'None',
            publishNotReadyAddresses: true,
            sessionAffinity: 'None',
            selector,
            port: portsOf(all),
          },
          dependsOn: [...ctx.foundation],
        }),
        spec.name,
        'headless',
      );
    }
  }

  /** ConfigMap `<service>-endpoint`: what clients need beyond the Service's name (every member, a Sentinel master name). */
  private connection(ctx: K8sContext, spec: ServiceSpec, ns: string, labels: Record<string, string>) {
    const resolve = ctx.resolver(spec);
    pinAddress(
      new ConfigMapV1(this, 'endpoint', {
        metadata: { name: `${spec.name}-endpoint`, namespace: ns, labels },
        data: Object.fromEntries(Object.entries(spec.connection!).map(([k, v]) => [k, renderText(v, resolve)])),
        dependsOn: [...ctx.foundation],
      }),
      spec.name,
      'connection',
    );
  }

  private autoscaler(
    spec: ServiceSpec,
    scaling: Extract<ServiceSpec['scaling'], { kind: 'autoscaled' }>,
    ns: string,
    labels: Record<string, string>,
  ) {
    pinAddress(
      new HorizontalPodAutoscalerV2(this, 'hpa', {
        metadata: { name: spec.name, namespace: ns, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
          minReplicas: spec.replicas,
          maxReplicas: scaling.max,
          metric: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.cpuUtilization } } },
          ],
          behavior: {
            // Every field written: the provider would send "" and 0 for the ones left out.
            scaleUp: [{ selectPolicy: 'Max', stabilizationWindowSeconds: 0, policy: [{ type: 'Percent', value: 100, periodSeconds: 60 }] }],
            scaleDown: [{ selectPolicy: 'Max', stabilizationWindowSeconds: 300, policy: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }],
          },
        },
      }),
      spec.name,
      'hpa',
    );
  }

  /** The backup plan's CronJob (see the file's comment), and its pods for the network policies. */
  private backup(
    ctx: K8sContext,
    spec: ServiceSpec,
    ns: string,
    sa: ServiceAccountV1,
    after: ITerraformDependable[],
  ): PodGroup | undefined {
    const plan = spec.backup;
    const target = ctx.cluster.backupStore;
    const store = target?.store ?? platformStore(ctx.specs);
    if (!plan || !store || (store.kind === 'keys' && store.service === spec.name)) return undefined;
    // A volume-snapshot plan's stopped dump, where nothing snapshots the volumes (see stoppedDumpJob).
    const sd = !plan.dump && !ctx.cluster.volumeSnapshots ? plan.stoppedDump : undefined;
    const dump = plan.dump ?? (sd ? stoppedDumpJob(spec, sd, ns) : undefined);
    if (!dump) return undefined;
    // Through Pod Identity, or for a stopped dump's rights on the API: a service account of its own,
    // which the target binds to the backup role, or the Role below (the service's own account, which
    // its servers use, gets neither).
    const account =
      store.kind === 'pod-identity' || sd
        ? pinAddress(
            new ServiceAccountV1(this, 'backup-service-account', {
              metadata: {
                name: backupServiceAccount(spec.name),
                namespace: ns,
                labels: { ...ctx.commonLabels, ...jobLabels(spec, 'backup') },
              },
              automountServiceAccountToken: false,
              dependsOn: [...ctx.foundation],
            }),
            spec.name,
            'backup',
            'service_account',
          )
        : sa;
    // The upload runs as the dump's user, so both read the pod's files (the pod's fsGroup is one user's group).
    const step = uploadStep(plan, store, plan.dump ? dump.resources : (sd?.uploadResources ?? dump.resources));
    // An S3 bucket's name is the target's Terraform reference (its generated suffix): written as is, not as a literal.
    const { S3_BUCKET: bucket, ...env } = step.env;
    const upload = { ...step, user: dump.user, ...(store.kind === 'pod-identity' ? { env } : {}) };
    const labels = { ...ctx.commonLabels, ...jobLabels(spec, 'backup') };
    if (sd) this.scaleRole(ctx, spec, ns, labels, account.metadata.name);
    const files = this.objects(ctx, spec, 'backup', podFiles([dump, upload]), labels);
    const largest = Math.max(...spec.volumes.filter((v) => plan.volumes.includes(v.name)).map((v) => memoryBytes(v.size)));
    const built = podTemplate(ctx, spec, [{ ...upload, scratchPaths: [...(upload.scratchPaths ?? []), BACKUP_DIR] }], {
      ...(files.configMap ? { configMap: files.configMap.metadata.name } : {}),
      ...(files.secret ? { secret: files.secret.metadata.name } : {}),
      keys: files.keys,
      claims: sd ? [sd.volume] : [],
      serviceAccount: account.metadata.name,
      annotations: files.annotations,
      pod: { selector: jobLabels(spec, 'backup') },
      restartPolicy: 'Never',
      // A stopped dump scales the server back on SIGTERM (a few API calls, retried).
      terminationGracePeriodSeconds: sd ? 60 : 30,
      initJobs: [dump],
      // The dump may be as large as the data it copies.
      shared: [{ path: BACKUP_DIR, sizeLimit: canonicalMemory(`${Math.ceil(largest / 2 ** 30)}Gi`) }],
      ...(store.kind === 'pod-identity' || sd
        ? {
            extra: {
              ...(store.kind === 'pod-identity' ? { jobEnv: { [upload.name]: [{ name: 'S3_BUCKET', value: String(bucket) }] } } : {}),
              ...(sd ? stoppedDumpExtras(spec, sd, dump.name) : {}),
            },
          }
        : {}),
    });
    // The stopped dump's pod mounts the server's ReadWriteOnce volume while the server still runs
    // (volumes are mounted before the init step scales it down): only a pod on the server's node can.
    const template = sd
      ? {
          ...built,
          spec: {
            ...built.spec,
            affinity: {
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: [{ matchLabels: podLabels(spec) }], topologyKey: 'kubernetes.io/hostname' },
                ],
              },
            },
          },
        }
      : built;
    const deadline = Math.min(dump.timeoutSeconds + upload.timeoutSeconds, runSeconds(plan));
    pinAddress(
      new CronJobV1(this, 'backup', {
        metadata: { name: `${spec.name}-backup`, namespace: ns, labels },
        spec: {
          schedule: plan.schedule.cron,
          timezone: 'Etc/UTC',
          // A run never overlaps the previous one; one that could not start in time is skipped, not queued.
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: Math.min(600, plan.schedule.everyMinutes * 30),
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          suspend: false,
          jobTemplate: {
            metadata: { labels },
            spec: {
              // A stopped dump's retry would stop the server once more: a failed run waits for the next
              // window (BackupFailed says so).
              backoffLimit: sd ? 0 : 2,
              activeDeadlineSeconds: deadline,
              ttlSecondsAfterFinished: String(24 * 3600),
              template: template as any,
            },
          },
        },
        dependsOn: [...after, ...(files.configMap ? [files.configMap] : []), ...(files.secret ? [files.secret] : [])],
      }),
      spec.name,
      'backup',
    );
    return {
      id: `${spec.name}/backup`,
      service: spec.name,
      namespace: ns,
      labels: jobLabels(spec, 'backup'),
      ports: [],
      role: 'job',
      ...(store.kind === 'keys'
        ? { reaches: [{ service: store.service, reason: `the ${spec.name} backup uploads to ${store.bucket}` }] }
        : { backupAccount: { serviceAccount: backupServiceAccount(spec.name), prefix: plan.prefix } }),
      ...(store.kind === 'pod-identity' || sd
        ? {
            egress: [
              ...(store.kind === 'pod-identity' ? (target?.egress ?? []) : []),
              ...(sd
                ? [
                    {
                      cidrs: ctx.cluster.apiServerCidrs,
                      ports: [443, 6443],
                      reason: `the ${spec.name} stopped dump scales its StatefulSet through the Kubernetes API`,
                    },
                  ]
                : []),
            ],
          }
        : {}),
    };
  }

  /**
   * The stopped dump's rights: get and patch the scale of the service's StatefulSet, and get its
   * member's pod (to see it gone), by name: nothing else of the namespace.
   */
  private scaleRole(ctx: K8sContext, spec: ServiceSpec, ns: string, labels: Record<string, string>, account: string) {
    const name = `${spec.name}-backup`;
    const role = pinAddress(
      new RoleV1(this, 'backup-role', {
        metadata: { name, namespace: ns, labels },
        rule: [
          { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: [spec.name], verbs: ['get', 'patch'] },
          { apiGroups: [''], resources: ['pods'], resourceNames: [`${spec.name}-0`], verbs: ['get'] },
        ],
        dependsOn: [...ctx.foundation],
      }),
      spec.name,
      'backup',
    );
    pinAddress(
      new RoleBindingV1(this, 'backup-role-binding', {
        metadata: { name, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subject: [{ kind: 'ServiceAccount', name: account, namespace: ns }],
        dependsOn: [role],
      }),
      spec.name,
      'backup',
    );
  }

  private job(ctx: K8sContext, spec: ServiceSpec, job: JobSpec, ns: string, sa: ServiceAccountV1, after: ITerraformDependable[]) {
    const labels = { ...ctx.commonLabels, ...jobLabels(spec, job.name) };
    const part = `job-${job.name}`;
    const files = this.objects(ctx, spec, part, podFiles([job]), labels);
    const template = podTemplate(ctx, spec, [job], {
      ...(files.configMap ? { configMap: files.configMap.metadata.name } : {}),
      ...(files.secret ? { secret: files.secret.metadata.name } : {}),
      keys: files.keys,
      claims: [],
      serviceAccount: sa.metadata.name,
      annotations: files.annotations,
      pod: { selector: jobLabels(spec, job.name) },
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
    });
    const background = job.run === 'background';
    const resource = pinAddress(
      new JobV1(this, part, {
        metadata: { name: `${spec.name}-${job.name}`, namespace: ns, labels },
        spec: {
          backoffLimit: background ? 5 : 3,
          activeDeadlineSeconds: job.timeoutSeconds,
          template,
        },
        // Setup jobs finish before dependents start; a background job is started and left to run.
        waitForCompletion: !background,
        timeouts: { create: `${Math.ceil(job.timeoutSeconds / 60) + 2}m`, update: `${Math.ceil(job.timeoutSeconds / 60) + 2}m` },
        dependsOn: [...after, ...(files.configMap ? [files.configMap] : []), ...(files.secret ? [files.secret] : [])],
      }),
      logicalId(spec.name, 'job', job.name),
    );
    return { job, resource };
  }
}

/** Where the stopped dump's pod reads its service account token and the cluster's CA. */
const API_TOKEN_DIR = '/var/run/secrets/platform/kubernetes-api';
const STOPPED_DUMP = '/usr/local/bin/stopped-dump-k8s.sh';
const stoppedDumpScript = readFileSync(new URL('../../services/scripts/stopped-dump-k8s.sh', import.meta.url), 'utf8');

/**
 * A stopped dump as the backup pod's first step (stopped-dump-k8s.sh): in the server's image and as
 * its user, with the server's volume where the server mounts it, it scales the StatefulSet to 0,
 * waits for the member to stop, dumps with the server's tool, and scales back whatever happened.
 * Neo4j Community runs one member (its schema refuses more), the only one whose volume it mounts.
 */
export function stoppedDumpJob(spec: ServiceSpec, sd: StoppedDump, ns: string): JobSpec {
  const server = spec.containers.find((c) => c.mounts.some((m) => m.volume === sd.volume && m.path === sd.path));
  if (!server) throw new Error(`${spec.name}: no container mounts ${sd.volume} at ${sd.path} for the stopped dump`);
  if (spec.replicas !== 1) throw new Error(`${spec.name}: a stopped dump mounts one member's volume; ${spec.replicas} members`);
  // The member's graceful stop, and the kubelet's removal of its pod object after it.
  const stopSeconds = server.stopGracePeriodSeconds + 60;
  return {
    name: 'dump',
    description: `Scales ${spec.name} to 0 in the daily window, dumps its ${sd.volume} volume with the server's offline tool, and scales it back`,
    image: server.image,
    user: server.user,
    command: ['/bin/sh', STOPPED_DUMP],
    env: {
      BACKUP_DIR,
      NAMESPACE: ns,
      STATEFULSET: spec.name,
      TOKEN_DIR: API_TOKEN_DIR,
      STOP_SECONDS: String(stopSeconds),
      RUN_SECONDS: String(sd.timeoutSeconds),
      DUMP_COMMAND: stoppedDumpCommand(sd),
    },
    files: [{ path: STOPPED_DUMP, content: stoppedDumpScript, mode: 0o555, format: 'shell' }],
    mounts: [{ volume: sd.volume, path: sd.path }],
    resources: sd.resources,
    // Where the server's tool writes beside the dump; the root stays read-only.
    scratchPaths: [BACKUP_DIR, ...sd.scratchPaths],
    timeoutSeconds: stopSeconds + sd.timeoutSeconds + 120,
  };
}

/** The stopped dump pod's volumes: the member's claim, and a projected token with the cluster's CA. */
function stoppedDumpExtras(spec: ServiceSpec, sd: StoppedDump, job: string): Pick<PodExtras, 'volumes' | 'jobMounts'> {
  return {
    volumes: [
      // The StatefulSet's claim of its only member: `<claim template>-<statefulset>-0`.
      { name: sd.volume, persistentVolumeClaim: { claimName: `${sd.volume}-${spec.name}-0`, readOnly: false } },
      {
        name: 'kubernetes-api',
        // The binding's list blocks: projected, its sources, a source's configMap (the CA every
        // namespace gets from the controller manager); serviceAccountToken is a single block.
        projected: [
          {
            defaultMode: '0440',
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
              { configMap: [{ name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] }] },
            ],
          },
        ],
      },
    ],
    jobMounts: { [job]: [{ name: 'kubernetes-api', mountPath: API_TOKEN_DIR, readOnly: true }] },
  };
}

/** The service account a backup CronJob runs as where the store is reached through Pod Identity. */
export function backupServiceAccount(service: string): string {
  return `${service}-backup`;
}
