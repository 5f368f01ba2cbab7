/**
 * What the Elasticsearch and Kibana realizations share on ECK (Elastic Cloud on Kubernetes): the
 * operator from its chart (eck-operator 3.5.0), the custom resources from the small chart kept in
 * this repository (charts/platform-elastic; eck-stack 0.20.0 lacks the keys the platform needs, such
 * as Kibana's pod template), and helper Deployments for what ECK cannot run beside its pods once per
 * cluster (the Elasticsearch exporter, the Kibana probe).
 */
import { fileURLToPath } from 'node:url';
import { AssetType, Construct, type ITerraformDependable, TerraformAsset } from '../../providers/cdktf';
import { ConfigMapV1, DeploymentV1, HelmRelease, JobV1, SecretV1, ServiceV1 } from '../../providers/kubernetes';
import type { ContainerSpec, JobSpec, ServiceSpec } from '../../spec/types';
import { addressOf, pinAddress } from '../terraform';
import type { K8sContext, PodGroup } from './context';
import { jobLabels, podLabels } from '../../targets/kubernetes/naming';
import { fileData, fileKeys, podFiles, podTemplate, portName } from './pod';
import type { OperatorChart } from './operators';
import { apiPod, chartPodLabels } from './pod-policy';
import { type PodShape, amountsOf, apiPodContainers, readsAs } from './footprint';

/** The operator's chart version (its image is the chart's appVersion, the same number). */
export const ECK_VERSION = '3.5.0';

/** The operator's namespace; its pods reach the Elasticsearch API (9200) of the clusters it manages. */
export const ECK_NAMESPACE = 'elastic-system';

/**
 * The ECK operator, watching only the namespace the platform's Elasticsearch runs in.
 *
 * Pod Security `restricted`: the chart's own pod context is `runAsNonRoot` only, without the
 * seccomp profile `restricted` requires (elastic/cloud-on-k8s #7167), but its StatefulSet template
 * copies `.Values.podSecurityContext` verbatim into the pod (deploy/eck-operator/templates/
 * statefulset.yaml at v3.5.0), so the pod policy's context (RuntimeDefault) goes there; its
 * container context already drops every capability and forbids escalation.
 */
export function eckOperator(managedNamespace: string): OperatorChart {
  return {
    name: 'eck',
    namespace: ECK_NAMESPACE,
    repository: 'https://helm.elastic.co',
    chart: 'eck-operator',
    version: ECK_VERSION,
    podSecurity: 'restricted',
    values: {
      // The CRDs come with the chart (its eck-operator-crds subchart keeps them on uninstall).
      installCRDs: true,
      managedNamespaces: [managedNamespace],
      resources: { requests: { cpu: '100m', memory: '150Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      telemetry: { disabled: true },
      // The default `auto-detect` gives the same off OpenShift; written so it cannot change under us.
      config: { setDefaultSecurityContext: 'true' },
    },
    pod: (p) => ({ podLabels: chartPodLabels(p), podSecurityContext: p.podSecurityContext, securityContext: p.containerSecurityContext }),
    // replicaCount: the chart's default, 1 (eck-operator 3.5.0 values.yaml).
    footprint: (v) => [
      {
        name: 'eck-operator',
        namespace: ECK_NAMESPACE,
        replicas: v.replicaCount ?? 1,
        containers: [amountsOf('manager', v.resources)],
        storage: [],
        ...(v.replicaCount === undefined ? { source: 'replicas: eck-operator 3.5.0 default replicaCount' } : {}),
      },
    ],
  };
}

/** What a release of the platform-elastic chart runs: Elasticsearch's node sets and Kibana's pods. */
export function elasticFootprint(namespace: string): (values: Record<string, any>) => PodShape[] {
  return (v) => [
    ...((v.elasticsearch?.enabled ? v.elasticsearch.nodeSets : []) as any[]).map((set) => ({
      name: set.name === 'default' ? String(v.elasticsearch.name) : `${v.elasticsearch.name} ${set.name}`,
      service: String(v.elasticsearch.name),
      namespace,
      replicas: Number(set.count),
      containers: apiPodContainers(set.podTemplate),
      storage: ((set.volumeClaimTemplates ?? []) as any[]).map((t) => String(t.spec.resources.requests.storage)),
    })),
    ...(v.kibana?.enabled
      ? [
          {
            name: String(v.kibana.name),
            service: String(v.kibana.name),
            namespace,
            replicas: Number(v.kibana.count),
            containers: apiPodContainers(v.kibana.podTemplate),
            storage: [],
          },
        ]
      : []),
  ];
}

/**
 * What every ECK resource of a spec starts from: its namespace, main container and version (the
 * image's tag), the operator it waits for, the labels of the objects beside it, and the labels its
 * pods carry (ECK adds its own; these select the pods in network policies and dashboards).
 */
export function eckBasis(ctx: K8sContext, spec: ServiceSpec, product: 'Elasticsearch' | 'Kibana') {
  const ns = ctx.namespaceOf(spec);
  const main = spec.containers[0]!;
  const version = main.image.tag;
  if (!version) throw new Error(`${spec.configPath}: ECK needs the ${product} version; pin the image by tag`);
  return {
    ns,
    main,
    version,
    /** The operator's release to wait for (none when the cluster runs it) and its namespace. */
    operator: ctx.operators.use(eckOperator(ns)),
    labels: { ...ctx.commonLabels, ...podLabels(spec) },
    /**
     * The pod policy of a set of the resource's pods (ECK's own labels select them; these are added),
     * with ECK's volume group (1000: `defaultFsGroup` in nodespec/podspec.go and kibana/pod.go at v3.5.0).
     */
    policy: (selector: Readonly<Record<string, string>>, replicas: number, opts: { spreadZones?: boolean } = {}) => {
      const p = ctx.podPolicy({ selector, replicas, data: spec.concern === 'data', fsGroup: ECK_FS_GROUP, ...opts });
      return { metadata: { labels: { ...p.labels, ...podLabels(spec) } }, spec: apiPod(p) };
    },
  };
}

/** The volumes' group ECK gives Elasticsearch and Kibana pods. */
const ECK_FS_GROUP = 1000;

/** The chart with the Elasticsearch and Kibana resources, kept in this repository. */
export const ELASTIC_CHART = 'platform-elastic';
const ELASTIC_CHART_DIR = fileURLToPath(new URL(`../../../charts/${ELASTIC_CHART}`, import.meta.url));

/** Where a helper mounts the CA of the service it reads (ECK's `<name>-<kind>-http-certs-public`). */
export const CA_DIR = '/etc/platform/ca';

/**
 * A release of the local chart. The chart is copied into the stack as an asset whose path carries
 * a hash of its files, so a template change changes the release and upgrades it (Helm would not
 * notice a changed template under an unchanged path and version).
 */
export function elasticRelease(
  scope: Construct,
  ctx: K8sContext,
  spec: ServiceSpec,
  values: Record<string, unknown>,
  dependsOn: readonly ITerraformDependable[],
  opts: { readonly timeoutSeconds: number; readonly preventDestroy: boolean },
): HelmRelease {
  const chart = new TerraformAsset(scope, ELASTIC_CHART, { path: ELASTIC_CHART_DIR, type: AssetType.DIRECTORY });
  const release = pinAddress(
    new HelmRelease(scope, 'release', {
      name: spec.name,
      namespace: ctx.namespaceOf(spec),
      chart: chart.path,
      values: [JSON.stringify(values, null, 2)],
      createNamespace: false,
      // Helm waits for nothing here (it does not read a custom resource's status); the operator
      // rolls the nodes out afterwards and the realization's helpers wait for its certificates.
      wait: true,
      timeout: opts.timeoutSeconds,
      maxHistory: 10,
      lifecycle: { preventDestroy: opts.preventDestroy },
      dependsOn: [...dependsOn],
    }),
    spec.name,
    'eck',
  );
  return readsAs(release, elasticFootprint(ctx.namespaceOf(spec)));
}

export interface HelperOptions {
  /** `exporter`, `probe`: names the objects (`<service>-<part>`) and the pods' component label. */
  readonly part: string;
  /** The container, from the spec (its files become a ConfigMap and a Secret of the helper's own). */
  readonly container: ContainerSpec;
  /** ECK's Secret with the served certificate's CA (`ca.crt`), mounted at CA_DIR. */
  readonly caSecret: string;
  readonly dependsOn: readonly ITerraformDependable[];
}

/**
 * A helper's or setup job's pod: its files as a ConfigMap and a Secret where it has any (pinned
 * under `part`), its template (restricted, no service account token, rolled when a file changes)
 * and the service's CA mounted read-only at CA_DIR.
 */
function podWithFiles(
  scope: Construct,
  ctx: K8sContext,
  spec: ServiceSpec,
  opts: {
    readonly part: string;
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly selector: Record<string, string>;
    readonly container: ContainerSpec | JobSpec;
    readonly caSecret: string;
    readonly restartPolicy: 'Always' | 'Never';
    readonly terminationGracePeriodSeconds: number;
  },
) {
  const ns = ctx.namespaceOf(spec);
  const keys = fileKeys(podFiles([opts.container]));
  const data = fileData(ctx, spec, keys);
  const configMap =
    Object.keys(data.config).length > 0
      ? pinAddress(
          new ConfigMapV1(scope, 'config', {
            metadata: { name: opts.name, namespace: ns, labels: opts.labels },
            data: data.config,
            dependsOn: [...ctx.foundation],
          }),
          spec.name,
          opts.part,
          'config',
        )
      : undefined;
  const secret =
    Object.keys(data.secret).length > 0
      ? pinAddress(
          new SecretV1(scope, 'secret', {
            metadata: { name: opts.name, namespace: ns, labels: opts.labels },
            type: 'Opaque',
            data: data.secret,
            dependsOn: [...ctx.foundation],
          }),
          spec.name,
          opts.part,
          'secret',
        )
      : undefined;
  const base = podTemplate(ctx, spec, [opts.container], {
    ...(configMap ? { configMap: configMap.metadata.name } : {}),
    ...(secret ? { secret: secret.metadata.name } : {}),
    keys,
    claims: [],
    serviceAccount: 'default',
    annotations: {
      ...(configMap ? { 'platform/config-checksum': `\${sha256(jsonencode(${addressOf(configMap)}.data))}` } : {}),
      ...(secret ? { 'platform/secret-checksum': `\${nonsensitive(sha256(jsonencode(${addressOf(secret)}.data)))}` } : {}),
    },
    pod: { selector: opts.selector },
    restartPolicy: opts.restartPolicy,
    terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds,
  });
  const ca = { name: 'ca', secret: { secretName: opts.caSecret, defaultMode: '0444', items: [{ key: 'ca.crt', path: 'ca.crt' }] } };
  const template = {
    ...base,
    spec: {
      ...base.spec,
      container: base.spec.container.map((c) => ({
        ...c,
        volumeMount: [...c.volumeMount, { name: 'ca', mountPath: CA_DIR, readOnly: true }],
      })),
      volume: [...base.spec.volume, ca],
    },
  };
  return { configMap, secret, template };
}

/**
 * A helper of an operator-managed service as its own one-replica Deployment and ClusterIP Service:
 * the spec's sidecar container with its files, the CA of the service it reads, restricted security
 * context, no service account token; a changed file (a rotated password) rolls it.
 */
export class Helper extends Construct {
  readonly deployment: DeploymentV1;
  readonly group: PodGroup;

  constructor(scope: Construct, ctx: K8sContext, spec: ServiceSpec, opts: HelperOptions) {
    super(scope, opts.part);
    const ns = ctx.namespaceOf(spec);
    const name = `${spec.name}-${opts.part}`;
    const selector = podLabels(spec, opts.part);
    const labels = { ...ctx.commonLabels, ...selector };
    const {
      configMap,
      secret,
      template: withCa,
    } = podWithFiles(this, ctx, spec, {
      part: opts.part,
      name,
      labels,
      selector,
      container: opts.container,
      caSecret: opts.caSecret,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: opts.container.stopGracePeriodSeconds,
    });
    this.deployment = pinAddress(
      new DeploymentV1(this, 'deployment', {
        metadata: { name, namespace: ns, labels },
        spec: {
          replicas: '1',
          revisionHistoryLimit: 10,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
          selector: { matchLabels: selector },
          template: withCa,
        },
        // Its pod starts once the operator has issued the CA Secret (after the resource exists).
        waitForRollout: true,
        timeouts: { create: '15m', update: '15m', delete: '10m' },
        dependsOn: [...opts.dependsOn, ...ctx.foundation, ...(configMap ? [configMap] : []), ...(secret ? [secret] : [])],
      }),
      spec.name,
      opts.part,
    );
    const ports = opts.container.ports.map((p) => ({
      port: p.port,
      purpose: p.purpose,
      protocol: (p.protocol === 'udp' ? 'UDP' : 'TCP') as 'TCP' | 'UDP',
    }));
    pinAddress(
      new ServiceV1(this, 'service', {
        metadata: { name, namespace: ns, labels },
        spec: {
          type: 'ClusterIP',
          sessionAffinity: 'None',
          selector,
          port: opts.container.ports.map((p) => ({
            name: portName(p.name),
            port: p.port,
            targetPort: String(p.port),
            protocol: p.protocol.toUpperCase(),
            appProtocol: p.appProtocol,
          })),
        },
        dependsOn: [...ctx.foundation],
      }),
      spec.name,
      opts.part,
      'service',
    );
    this.group = { id: `${spec.name}/${opts.part}`, service: spec.name, namespace: ns, labels: selector, ports, role: 'helper' };
  }
}

/**
 * A setup job of an operator-managed service (it talks to the service's API once the operator has
 * rolled it out): the spec's job with its files as a Secret/ConfigMap of its own, the CA of ECK's
 * HTTP certificate at CA_DIR, no service account token; Terraform waits for it to complete. A
 * changed file (a rotated password) replaces the Job, so it runs again.
 */
export class SetupJob extends Construct {
  readonly job: JobV1;
  readonly group: PodGroup;

  constructor(
    scope: Construct,
    ctx: K8sContext,
    spec: ServiceSpec,
    opts: { readonly job: JobSpec; readonly caSecret: string; readonly dependsOn: readonly ITerraformDependable[] },
  ) {
    const part = `job-${opts.job.name}`;
    super(scope, part);
    const ns = ctx.namespaceOf(spec);
    const name = `${spec.name}-${opts.job.name}`;
    const selector = jobLabels(spec, opts.job.name);
    const labels = { ...ctx.commonLabels, ...selector };
    const {
      configMap,
      secret,
      template: withCa,
    } = podWithFiles(this, ctx, spec, {
      part,
      name,
      labels,
      selector,
      container: opts.job,
      caSecret: opts.caSecret,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
    });
    const minutes = Math.ceil(opts.job.timeoutSeconds / 60) + 2;
    this.job = pinAddress(
      new JobV1(this, 'job', {
        metadata: { name, namespace: ns, labels },
        spec: { backoffLimit: 3, activeDeadlineSeconds: opts.job.timeoutSeconds, template: withCa },
        waitForCompletion: true,
        timeouts: { create: `${minutes}m`, update: `${minutes}m` },
        dependsOn: [...opts.dependsOn, ...ctx.foundation, ...(configMap ? [configMap] : []), ...(secret ? [secret] : [])],
      }),
      spec.name,
      part,
    );
    this.group = { id: `${spec.name}/${part}`, service: spec.name, namespace: ns, labels: selector, ports: [], role: 'job' };
  }
}
