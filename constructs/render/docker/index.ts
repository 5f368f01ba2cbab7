/**
 * Docker target: the whole environment on one Docker host.
 *
 * One bridge network, a named volume per persistent volume, one image per distinct pinned image,
 * and per service a main container plus its sidecars (separate containers that reach the main one
 * by its network alias) and its one-shot jobs. Config files are written into containers from the
 * spec (`upload`), never bind-mounted from the author's disk; every container states its user (who
 * reads and deletes what: targets/docker/uploads.ts). Ports are published on 127.0.0.1 only, by the
 * publishing policy (targets/docker/publishing.ts). Images are pulled through the configured mirrors
 * with the configured credentials (targets/docker/registry.ts). Containers start in dependency order
 * and wait to be healthy.
 */
import { withScheduledBackup } from '../../targets/docker/backup';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../../../environments/parse/load';
import { GeneratedSecrets } from '../secrets';
import { AssetType, Construct, TerraformAsset, TerraformOutput, TerraformVariable, type ITerraformDependable } from '../../providers/cdktf';
import {
  Container,
  type ContainerConfig,
  DockerProvider,
  type DockerProviderRegistryAuth,
  Image,
  Network,
  Volume,
} from '../../providers/docker';
import { RandomProvider } from '../../providers/random';
import { TlsProvider } from '../../providers/tls';
import { CPU_PERIOD_US, cpuQuotaMicros, goDuration, memoryMebibytes } from '../../spec/quantity';
import { type TextResolver, referencesOf, renderText } from '../../spec/template';
import type { CertificateSpec, ContainerSpec, HostAccess, ImageRef, JobSpec, SecretRef, ServiceSpec, Text } from '../../spec/types';
import { dockerSpec } from './monitoring';
import { addressOf, escapeLiteral, octalMode, pinAddress } from '../terraform';
import { aliasOf, containerAddress, jobAddress } from '../../targets/docker/addressing';
import { gatewayOf } from '../../targets/docker/network';
import { orderByDependencies } from '../../targets/order';
import { PUBLISH_ADDRESS, type Publication, publicationKey, publishedPorts } from '../../targets/docker/publishing';
import { certificatesOf, dockerGroups, dockerUser, jobDirectories, secretFiles } from '../../targets/docker/uploads';
import { DOCKER_HUB, DOCKER_HUB_PROVIDER_KEYS, pullName, registryVariable } from '../../targets/docker/registry';
import { consumerSpec, consumerVolume } from './consumers';
import { DockerCertificates } from './certificates';
import { dnsRecordsOutput } from '../dns';

/** An empty file: the content of the uploads that are directory entries (the provider needs a source). */
const EMPTY_FILE = fileURLToPath(new URL('./empty', import.meta.url));

export interface Endpoint {
  /** `host:port` on the service network. */
  readonly internal: string;
  /** `127.0.0.1:port` on the Docker host, when published. */
  readonly host?: string;
}

export interface DockerTargetProps {
  readonly environment: Environment;
}

export class DockerTarget extends Construct {
  readonly network: Network;
  readonly secrets: GeneratedSecrets;
  private readonly images = new Map<string, Image>();
  private readonly volumes = new Map<string, Volume>();
  /**
   * Where each port of each service is reachable, by service and port name: the neutral endpoint
   * dependents and monitoring are wired with.
   */
  readonly endpoints: Record<string, Record<string, Endpoint>> = {};
  /** What "service X is ready" means for its dependents: its main container (healthy) and its finished jobs. */
  private readonly ready = new Map<string, Container[]>();
  private readonly env: Environment;
  private readonly published: ReadonlyMap<string, Publication>;
  private readonly logDriver: string;
  private readonly swapLimit: boolean;
  private readonly certificates: DockerCertificates;
  private emptyFile?: TerraformAsset;

  constructor(scope: Construct, id: string, props: DockerTargetProps) {
    super(scope, id);
    const env = props.environment;
    if (env.target.kind !== 'docker') throw new Error(`DockerTarget needs a docker target, got ${env.target.kind}`);
    this.env = env;
    this.published = publishedPorts(env);
    const target = env.target;
    this.logDriver = target.logDriver ?? (target.engine === 'podman' ? 'json-file' : 'local');
    this.swapLimit = target.swapLimit;

    // `host` only when the environment sets it: otherwise the provider's default (DOCKER_HOST) stands.
    const registryAuth = this.registryAuth();
    new DockerProvider(this, 'docker', {
      ...(target.host ? { host: target.host } : {}),
      ...(registryAuth.length > 0 ? { registryAuth } : {}),
    });
    new RandomProvider(this, 'random');
    this.secrets = new GeneratedSecrets(this, 'secrets', env.specs);
    const certified = env.specs.some((s) => (s.certificates ?? []).length > 0);
    // Keys (DKIM) and the certificates of the services that serve TLS themselves.
    if (this.secrets.usesTls || certified) new TlsProvider(this, 'tls');
    this.certificates = new DockerCertificates(this, 'certificates', target.tls, this.resourceName());

    this.network = pinAddress(
      new Network(this, 'network', {
        name: this.resourceName(),
        driver: 'bridge',
        // The gateway is always explicit: a subnet-only IPAM block is replaced after a daemon restart
        // (kreuzwerker/terraform-provider-docker issue #54).
        ipamConfig: [{ subnet: target.network.subnet, gateway: gatewayOf(target.network) }],
        labels: toLabels(this.identityLabels()),
      }),
      'network',
    );

    // Volumes first: a container may mount another service's (the scraper reading a token a job wrote).
    for (const spec of env.specs) this.renderVolumes(withScheduledBackup(spec, env.specs));
    // Dependencies first, so every dependent can refer to the main container it waits for. The
    // monitoring stack's specs get the files that follow what this host runs (monitoring.ts).
    for (const spec of orderByDependencies(env.specs)) this.renderService(dockerSpec(withScheduledBackup(spec, env.specs), env.specs));
    // Each consumer's volume with what it receives, once the services it uses are ready.
    for (const consumer of env.consumers) this.renderConsumer(consumer.name);

    new TerraformOutput(this, 'endpoints', {
      description: 'Where each service port is reachable: on the service network, and on the host (loopback) where published',
      value: this.endpoints,
    }).overrideLogicalId('endpoints');
    new TerraformOutput(this, 'credentials', {
      description: 'Generated secrets by service/name (read with: terraform output -json credentials)',
      value: this.secrets.all(),
      sensitive: true,
    }).overrideLogicalId('credentials');
    const ca = certified ? this.certificates.caOf(...env.specs.flatMap((s) => s.certificates ?? [])) : undefined;
    if (ca) {
      new TerraformOutput(this, 'ca-certificate', {
        description:
          "The internal CA of the services' certificates (PEM): what clients on this host trust (terraform output -raw ca_certificate)",
        value: ca,
      }).overrideLogicalId('ca_certificate');
    }
    // A host manages no DNS: the records the services need, to publish where the domain is hosted.
    dnsRecordsOutput(this, env.specs, this.secrets);
  }

  private resourceName(...parts: string[]): string {
    return [this.env.project, this.env.name, ...parts].join('-');
  }

  /**
   * Labels of containers: not read back by the provider, and a change replaces the container, which
   * makes them the place to record settings the provider cannot update in place (`platform.revision`).
   */
  private labels(extra: Record<string, string>): { label: string; value: string }[] {
    return toLabels({ ...this.identityLabels(), ...this.env.labels, ...extra });
  }

  /**
   * Labels of the network and volumes are read back and a change replaces the resource (for a
   * volume: its data), so they hold only what never changes for that resource.
   */
  private identityLabels(): Record<string, string> {
    return {
      'app.kubernetes.io/part-of': this.env.project,
      'app.kubernetes.io/managed-by': 'cdktf',
      'platform.environment': this.env.name,
    };
  }

  /**
   * The provider's credentials, per registry: from Terraform variables set through the environment
   * (TF_VAR_...), or a Docker config file the provider reads. Docker Hub's get a block for each key
   * the pinned provider looks them up under (registry-1.docker.io for short names, docker.io).
   */
  private registryAuth(): DockerProviderRegistryAuth[] {
    const target = this.env.target;
    if (target.kind !== 'docker') return [];
    return target.registry.auth.flatMap((a): DockerProviderRegistryAuth[] => {
      const addresses = a.registry === DOCKER_HUB ? [...DOCKER_HUB_PROVIDER_KEYS] : [a.registry];
      if (a.from === 'docker-config') {
        // An explicit empty user name: DOCKER_REGISTRY_USER, the attribute's default, would win over the file.
        return addresses.map((address) => ({ address, configFile: a.path, username: '' }));
      }
      const name = registryVariable(a.registry);
      const variable = (part: 'username' | 'password') =>
        new TerraformVariable(this, `${name}_${part}`, {
          type: 'string',
          sensitive: true,
          nullable: false,
          description: `${part === 'username' ? 'User name' : 'Password or access token'} for pulling from ${a.registry} (set TF_VAR_${name}_${part})`,
        });
      const username = variable('username');
      const password = variable('password');
      username.overrideLogicalId(`${name}_username`);
      password.overrideLogicalId(`${name}_password`);
      return addresses.map((address) => ({ address, username: username.stringValue, password: password.stringValue }));
    });
  }

  private image(ref: ImageRef): Image {
    const key = `${ref.repository}:${ref.tag}@${ref.digest}`;
    let image = this.images.get(key);
    if (!image) {
      const target = this.env.target;
      if (target.kind !== 'docker') throw new Error('not a docker target');
      const name = pullName(ref, target.registry.mirrors);
      image = pinAddress(
        new Image(this, `image-${key}`, {
          name,
          keepLocally: true,
          // A slow link needs more than the provider's 20 minutes for the larger images.
          timeouts: { create: target.pullTimeout, update: target.pullTimeout },
        }),
        'image',
        `${ref.repository}_${ref.tag ?? ref.digest!.slice('sha256:'.length, 'sha256:'.length + 12)}`,
      );
      this.images.set(key, image);
    }
    return image;
  }

  /** A service's declared certificate (`ContainerSpec.trusts` names it). */
  private certificateSpec(service: string, name: string): CertificateSpec {
    const cert = this.env.specs.find((s) => s.name === service)?.certificates?.find((c) => c.name === name);
    if (!cert) throw new Error(`trusts the certificate ${service}/${name}, which no enabled service declares`);
    return cert;
  }

  /** The empty file directory entries are uploaded from (one asset per stack). */
  private empty(): string {
    this.emptyFile ??= new TerraformAsset(this, 'empty-file', { path: EMPTY_FILE, type: AssetType.FILE });
    return this.emptyFile.path;
  }

  private resolver(spec: ServiceSpec): TextResolver {
    return {
      literal: escapeLiteral,
      secret: (ref) => this.secrets.value(ref),
      // Every service is reachable by its name as a network alias.
      host: (ref) => ref.service,
      // Sidecars run as separate containers and reach the main one by its alias.
      self: () => aliasOf(spec.name, 'main'),
      // One member per service on a single host (guardrails): member 0 is the service itself.
      peer: (ref) => ref.service,
      // Its name is its main container's alias; its address, as its peers see it, the service's.
      member: (ref) => (ref.form === 'address' ? spec.name : aliasOf(spec.name, 'main')),
    };
  }

  private renderVolumes(spec: ServiceSpec): void {
    for (const v of spec.volumes) {
      const volume = pinAddress(
        new Volume(this, `${spec.name}-volume-${v.name}`, {
          name: this.resourceName(spec.name, v.name),
          // What the guardrails read: whether the volume holds data that must be backed up and kept.
          labels: toLabels({
            ...this.identityLabels(),
            'app.kubernetes.io/name': spec.name,
            'platform.volume': v.name,
            'platform.backup': String(v.backup),
          }),
          lifecycle: {
            preventDestroy: this.env.protectData && v.backup,
            // Labels are read back and a change would replace the volume (and lose its data).
            ignoreChanges: ['labels'],
          },
        }),
        spec.name,
        v.name,
      );
      this.volumes.set(`${spec.name}/${v.name}`, volume);
    }
  }

  private renderService(spec: ServiceSpec): void {
    const resolve = this.resolver(spec);
    const text = (t: Text) => renderText(t, resolve);

    const dependsOn: ITerraformDependable[] = spec.dependsOn.flatMap((d) => {
      const ready = this.ready.get(d);
      if (!ready) throw new Error(`${spec.name} depends on ${d}, which has not been rendered`);
      return ready;
    });

    const [main, ...sidecars] = spec.containers;
    if (!main || main.name !== 'main') throw new Error(`${spec.name}: the first container must be "main"`);
    const mainContainer = this.renderContainer(spec, main, text, dependsOn);
    // Jobs that set credentials run before the workloads that use those credentials.
    const jobs = new Map<JobSpec, Container>();
    for (const job of spec.jobs) jobs.set(job, this.renderJob(spec, job, text, [mainContainer, ...this.appliers(job, jobs)]));
    for (const sidecar of sidecars) this.renderContainer(spec, sidecar, text, [mainContainer, ...this.appliers(sidecar, jobs)]);
    const setup = [...jobs].filter(([j]) => (j.run ?? 'setup') === 'setup').map(([, c]) => c);
    this.ready.set(spec.name, [mainContainer, ...setup]);
  }

  /**
   * A consumer's volume (`<project>-<environment>-consumer-<name>`) and the job that writes its files
   * (constructs/render/docker/consumers.ts), after the services it uses are ready.
   */
  private renderConsumer(consumer: string): void {
    const c = consumerSpec(this.env.specs, consumer);
    if (!c) return;
    const volume = pinAddress(
      new Volume(this, `${c.spec.name}-volume`, {
        name: consumerVolume(this.env.project, this.env.name, consumer),
        labels: toLabels({
          ...this.identityLabels(),
          'app.kubernetes.io/name': c.spec.name,
          'platform.volume': 'files',
          'platform.backup': 'false',
        }),
        // Labels are read back and a change would replace the volume.
        lifecycle: { ignoreChanges: ['labels'] },
      }),
      'consumer',
      consumer,
    );
    this.volumes.set(`${c.spec.name}/files`, volume);
    const resolve = this.resolver(c.spec);
    const dependsOn = c.spec.dependsOn.flatMap((d) => this.ready.get(d) ?? []);
    this.renderJob(c.spec, c.job, (t) => renderText(t, resolve), dependsOn);
  }

  /** The already-rendered jobs of the service that apply a credential `w` uses. */
  private appliers(w: ContainerSpec | JobSpec, jobs: ReadonlyMap<JobSpec, Container>): Container[] {
    const used = new Set(secretsUsedBy(w).map((r) => `${r.service}/${r.name}`));
    return [...jobs].filter(([job]) => job !== w && (job.applies ?? []).some((r) => used.has(`${r.service}/${r.name}`))).map(([, c]) => c);
  }

  private common(
    spec: ServiceSpec,
    name: string,
    text: (t: Text) => string,
    w: ContainerSpec | JobSpec,
    directories: { path: string; mode: number }[] = [],
  ) {
    const memory = memoryMebibytes(w.resources.limits.memory);
    const isContainer = 'health' in w;
    const certs = isContainer ? certificatesOf(spec, w.name) : [];
    const groups = dockerGroups(w, certs.length);
    // The certificates it serves (chain 0444, key 0440 like every secret file) and the CAs it verifies with.
    const tlsUploads = certs.flatMap((c) => {
      const issued = this.certificates.certificate(spec, c);
      return [
        { file: c.paths.certificate, content: issued.certificate, permissions: octalMode(0o444) },
        { file: c.paths.key, content: issued.key, permissions: octalMode(0o440) },
      ];
    });
    const trusts = w.trusts ?? [];
    const trustUploads = trusts.flatMap((t) => {
      const ca = this.certificates.caOf(this.certificateSpec(t.service, t.certificate));
      return ca ? [{ file: t.path, content: ca, permissions: octalMode(0o444) }] : [];
    });
    const privileges = isContainer ? w.privileges : undefined;
    return {
      image: this.image(w.image).imageId,
      env: Object.entries(w.env).map(([k, v]) => `${k}=${text(v)}`),
      // Always explicit: unset, a container runs as its image's user, which may not be able to read
      // its files (uploads are root:root; see targets/docker/uploads.ts).
      user: dockerUser(w),
      // A non-root process reads its root-owned 0440 secret files through the root group.
      ...(groups.length > 0 ? { groupAdd: groups } : {}),
      // By id: the pinned provider never reads networks_advanced back, and a new network (a changed
      // subnet) has a new id, so its containers are replaced with it instead of holding the old one.
      networksAdvanced: [{ name: this.network.id, aliases: [aliasOf(spec.name, name)] }],
      // A mount of another service's volume (`VolumeMount.service`) names that service.
      volumes: w.mounts.map((m) => {
        const volume = this.volumes.get(`${m.service ?? spec.name}/${m.volume}`);
        if (!volume) throw new Error(`${spec.name}/${w.name}: no volume ${m.service ?? spec.name}/${m.volume}`);
        return { volumeName: volume.name, containerPath: m.path, readOnly: m.readOnly ?? false };
      }),
      ...hostAccess('host' in w ? w.host : undefined),
      upload: [
        // Directory entries: a name ending in `/` with empty content is a directory in the tar.
        ...directories.map((d) => ({ file: `${d.path}/`, source: this.empty(), permissions: octalMode(d.mode) })),
        ...w.files.map((f) => ({ file: f.path, content: text(f.content), permissions: octalMode(f.mode) })),
        ...tlsUploads,
        ...trustUploads,
      ],
      memory,
      // No swap: the memory limit is the limit (and omitting it reads back as twice the memory). A
      // host without swap accounting stores -1 whatever is asked, so -1 is what it gets.
      memorySwap: this.swapLimit ? memory : -1,
      // CPU limit as a CFS quota: the pinned provider (kreuzwerker/docker 3.6.2) panics on `cpus`
      // (upstream issue #759, fixed in 3.7.0 by #771); period + quota is what `--cpus` sets.
      cpuPeriod: CPU_PERIOD_US,
      cpuQuota: cpuQuotaMicros(w.resources.limits.cpu),
      // No process gains privileges (setuid binaries), except where the spec says why it needs them
      // (Postfix's setgid postdrop); a privileged container gets exactly its capabilities, in the
      // CAP_ form the daemon stores and the provider reads back (moby NormalizeLegacyCapabilities).
      ...(privileges?.privilegeEscalation ? {} : { securityOpts: ['no-new-privileges:true'] }),
      ...(privileges ? { capabilities: { drop: ['ALL'], add: privileges.capabilities.map((c) => `CAP_${c}`) } } : {}),
      // No log options are written: they would be read back merged with the daemon's defaults and
      // replace the container on every plan (upstream issues #473, #873).
      logDriver: this.logDriver,
    } satisfies Partial<ContainerConfig>;
  }

  private renderContainer(spec: ServiceSpec, c: ContainerSpec, text: (t: Text) => string, dependsOn: ITerraformDependable[]): Container {
    const isMain = c.name === 'main';
    const h = c.health;
    const endpoints = (this.endpoints[spec.name] ??= {});
    const published = c.ports.flatMap((p) => {
      const pub = this.published.get(publicationKey(spec.name, c.name, p.name));
      return pub ? [pub] : [];
    });
    for (const p of c.ports) {
      const pub = published.find((x) => x.port.name === p.name);
      endpoints[p.name] = {
        internal: `${aliasOf(spec.name, c.name)}:${p.port}`,
        ...(pub ? { host: `${PUBLISH_ADDRESS}:${pub.hostPort}` } : {}),
      };
    }
    const metricsHere = spec.metrics.container === c.name;
    // Durations in Go's canonical form, which is what the provider reads back (90s -> 1m30s).
    const healthcheck = {
      test: ['CMD', ...h.exec.map(escapeLiteral)],
      interval: goDuration(h.intervalSeconds),
      timeout: goDuration(h.timeoutSeconds),
      retries: h.retries,
      startPeriod: goDuration(h.startPeriodSeconds),
    };
    const common = this.common(spec, c.name, text, c);
    const shm = c.shmSize ? { shmSize: memoryMebibytes(c.shmSize) } : {};
    const container = new Container(this, `${spec.name}-${c.name}`, {
      ...common,
      ...shm,
      name: isMain ? this.resourceName(spec.name) : this.resourceName(spec.name, c.name),
      hostname: aliasOf(spec.name, c.name),
      ...(c.command ? { entrypoint: c.command.map(text) } : {}),
      ...(c.args ? { command: c.args.map(text) } : {}),
      ports: published.map((p) => ({ internal: p.port.port, external: p.hostPort, ip: PUBLISH_ADDRESS, protocol: p.port.protocol })),
      healthcheck,
      ...(c.ulimits ? { ulimit: c.ulimits.map((u) => ({ name: u.name, soft: u.soft, hard: u.hard })) } : {}),
      // All of the host's GPUs, the only request the pinned provider reads back as written (the
      // checks refuse a count other than the host's).
      ...(c.gpus || c.host?.gpus ? { gpus: 'all' } : {}),
      restart: 'unless-stopped',
      mustRun: true,
      // Apply waits until the container reports healthy, so dependents start in order.
      wait: true,
      waitTimeout: h.startPeriodSeconds + h.retries * (h.intervalSeconds + h.timeoutSeconds) + 30,
      stopTimeout: c.stopGracePeriodSeconds,
      destroyGraceSeconds: c.stopGracePeriodSeconds,
      labels: this.labels({
        'app.kubernetes.io/name': spec.name,
        'app.kubernetes.io/component': c.name,
        ...(metricsHere
          ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(spec.metrics.port), 'prometheus.io/path': spec.metrics.path }
          : {}),
        ...(c.host ? { 'platform.host-access': c.host.reason } : {}),
        // What it needs beyond an unprivileged user (root, capabilities), with the reason (guardrail PLAT-CTR-004).
        ...(c.privileges ? { 'platform.privileges': c.privileges.reason } : {}),
        ...(c.startsAsRoot ? { 'platform.starts-as-root': c.startsAsRoot } : {}),
        [REVISION_LABEL]: revision({ healthcheck, cpuPeriod: common.cpuPeriod, cpuQuota: common.cpuQuota }),
      }),
      dependsOn,
    });
    return pinAddress(container, containerAddress(spec.name, c.name));
  }

  private renderJob(spec: ServiceSpec, job: JobSpec, text: (t: Text) => string, dependsOn: Container[]): Container {
    // An exited container keeps its files: a job that holds secret files deletes them when it ends,
    // however it ends, from the directory its uploads create group-writable for it.
    const secretPaths = secretFiles(job).map((f) => f.path);
    const common = this.common(spec, job.name, text, job, jobDirectories(job));
    const command = job.command.map(text);
    const entrypoint =
      secretPaths.length === 0
        ? command
        : ['/bin/sh', '-c', `trap 'rm -f ${secretPaths.join(' ')}' EXIT; "$@"`, 'with-secrets', ...command];
    const labels = this.labels({
      'app.kubernetes.io/name': spec.name,
      'app.kubernetes.io/component': job.name,
      'platform.job': job.run ?? 'setup',
      ...(job.startsAsRoot ? { 'platform.starts-as-root': job.startsAsRoot } : {}),
      [REVISION_LABEL]: revision({ cpuPeriod: common.cpuPeriod, cpuQuota: common.cpuQuota }),
    });
    const base = {
      ...common,
      name: this.resourceName(spec.name, job.name),
      entrypoint,
      // Never restarted by Terraform once finished: it runs again when its definition changes or its
      // service's main container is replaced.
      mustRun: false,
      labels,
      dependsOn,
      stopTimeout: 10,
      destroyGraceSeconds: 10,
    } satisfies Partial<ContainerConfig>;
    const container =
      (job.run ?? 'setup') === 'setup'
        ? new Container(this, `${spec.name}-job-${job.name}`, {
            ...base,
            restart: 'no',
            // The apply waits for the job and fails when it fails (postcondition). `logs` stays off: the
            // pinned provider would store the raw output in state and can crash on long lines (#899);
            // `docker logs <name>` shows it, since the container is kept.
            attach: true,
            logs: false,
            lifecycle: {
              postcondition: [
                {
                  condition: '${self.exit_code == 0}',
                  errorMessage: `${spec.name} job ${job.name} failed (docker logs ${this.resourceName(spec.name, job.name)}): ${job.description}`,
                },
              ],
              replaceTriggeredBy: [addressOf(dependsOn[0]!)],
            },
          })
        : // Long-running work (model downloads) is started and left running: an attached create is
          // capped at 20 minutes by the pinned provider and would leave it tainted. Docker restarts it
          // on failure; the work resumes where it stopped.
          new Container(this, `${spec.name}-job-${job.name}`, {
            ...base,
            restart: 'on-failure',
            maxRetryCount: BACKGROUND_RETRIES,
            attach: false,
            logs: false,
            lifecycle: { replaceTriggeredBy: [addressOf(dependsOn[0]!)] },
          });
    return pinAddress(container, jobAddress(spec.name, job.name));
  }
}

/** Container label recording the settings the provider cannot change in place (see `revision`). */
export const REVISION_LABEL = 'platform.revision';

/** Times Docker restarts a failed background job before leaving it exited. */
export const BACKGROUND_RETRIES = 5;

/**
 * A short hash of the settings the pinned provider accepts as in-place updates but never applies
 * (health check, CPU quota: its update function changes only restart, memory and cpu shares). As a
 * container label, which forces replacement, it makes a change to them take effect.
 */
export function revision(settings: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

/**
 * A container's host access as the provider writes it (and reads it back: host binds as `mounts`
 * with their propagation, devices with all three fields, `pid_mode`), and the reason as a label.
 */
function hostAccess(host: HostAccess | undefined): Partial<ContainerConfig> {
  if (!host) return {};
  return {
    ...(host.pid ? { pidMode: 'host' } : {}),
    ...(host.privileged ? { privileged: true } : {}),
    ...(host.mounts?.length
      ? {
          mounts: host.mounts.map((m) => ({
            type: 'bind',
            source: m.hostPath,
            target: m.path,
            readOnly: true,
            ...(m.propagation ? { bindOptions: { propagation: m.propagation } } : {}),
          })),
        }
      : {}),
    ...(host.devices?.length ? { devices: host.devices.map((d) => ({ hostPath: d, containerPath: d, permissions: 'rwm' })) } : {}),
  };
}

function toLabels(all: Record<string, string>): { label: string; value: string }[] {
  return Object.entries(all).map(([label, value]) => ({ label, value }));
}

/** Every secret a workload uses, in env, command, args or files. */
function secretsUsedBy(w: ContainerSpec | JobSpec): SecretRef[] {
  const texts: Text[] = [
    ...Object.values(w.env),
    ...(w.command ?? []),
    ...('args' in w ? (w.args ?? []) : []),
    ...w.files.map((f) => f.content),
  ];
  return texts.flatMap((t) => referencesOf(t).filter((r): r is SecretRef => r.kind === 'secret'));
}
