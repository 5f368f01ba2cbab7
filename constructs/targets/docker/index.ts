/**
 * Docker target: the whole environment on one Docker host.
 *
 * One bridge network, a named volume per persistent volume, one image per distinct pinned image,
 * and per service a main container plus its sidecars (separate containers that reach the main one
 * by its network alias) and its one-shot jobs. Config files are written into containers from the
 * spec (`upload`), never bind-mounted from the author's disk. Client and admin ports are published
 * on 127.0.0.1 only. Containers start in dependency order and wait to be healthy.
 */
import type { Environment } from '../../../environments/load';
import { GeneratedSecrets } from '../../../security/secrets';
import { Construct, TerraformOutput, type ITerraformDependable } from '../../providers/cdktf';
import { Container, type ContainerConfig, DockerProvider, Image, Network, Volume } from '../../providers/docker';
import { RandomProvider } from '../../providers/random';
import { imageName } from '../../spec/image';
import { cpuCores, memoryMebibytes } from '../../spec/quantity';
import { type TextResolver, renderText } from '../../spec/template';
import type { ContainerSpec, ImageRef, JobSpec, ServiceSpec, Text } from '../../spec/types';
import { escapeLiteral, octalMode, pinAddress } from '../terraform';
import { aliasOf, containerAddress, jobAddress } from './addressing';

/** Loopback only: a developer's services are never reachable from the network they sit on. */
export const PUBLISH_ADDRESS = '127.0.0.1';

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

  constructor(scope: Construct, id: string, props: DockerTargetProps) {
    super(scope, id);
    const env = props.environment;
    if (env.target.kind !== 'docker') throw new Error(`DockerTarget needs a docker target, got ${env.target.kind}`);
    this.env = env;
    const target = env.target;

    new DockerProvider(this, 'docker', { host: target.host });
    new RandomProvider(this, 'random');
    this.secrets = new GeneratedSecrets(this, 'secrets', env.specs);

    this.network = pinAddress(
      new Network(this, 'network', {
        name: this.resourceName(),
        driver: 'bridge',
        ipamConfig: [{ subnet: target.network.subnet, ...(target.network.gateway ? { gateway: target.network.gateway } : {}) }],
        labels: this.labels({}),
      }),
      'network',
    );

    // Dependencies first, so every dependent can refer to the main container it waits for.
    for (const spec of orderByDependencies(env.specs)) this.renderService(spec);

    new TerraformOutput(this, 'endpoints', {
      description: 'Where each service port is reachable: on the service network, and on the host (loopback) where published',
      value: this.endpoints,
    }).overrideLogicalId('endpoints');
    new TerraformOutput(this, 'credentials', {
      description: 'Generated secrets by service/name (read with: terraform output -json credentials)',
      value: this.secrets.all(),
      sensitive: true,
    }).overrideLogicalId('credentials');
  }

  private resourceName(...parts: string[]): string {
    return [this.env.project, this.env.name, ...parts].join('-');
  }

  private labels(extra: Record<string, string>): { label: string; value: string }[] {
    const all: Record<string, string> = {
      'app.kubernetes.io/part-of': this.env.project,
      'app.kubernetes.io/managed-by': 'cdktf',
      'platform.environment': this.env.name,
      ...this.env.labels,
      ...extra,
    };
    return Object.entries(all).map(([label, value]) => ({ label, value }));
  }

  private image(ref: ImageRef): Image {
    const name = imageName(ref);
    let image = this.images.get(name);
    if (!image) {
      image = pinAddress(new Image(this, `image-${name}`, { name, keepLocally: true }), 'image', `${ref.repository}_${ref.tag}`);
      this.images.set(name, image);
    }
    return image;
  }

  private resolver(spec: ServiceSpec): TextResolver {
    return {
      literal: escapeLiteral,
      secret: (ref) => this.secrets.value(ref),
      // Every service is reachable by its name as a network alias.
      host: (ref) => ref.service,
      // Sidecars run as separate containers and reach the main one by its alias.
      self: () => aliasOf(spec.name, 'main'),
    };
  }

  private renderService(spec: ServiceSpec): void {
    const resolve = this.resolver(spec);
    const text = (t: Text) => renderText(t, resolve);

    for (const v of spec.volumes) {
      const volume = pinAddress(
        new Volume(this, `${spec.name}-volume-${v.name}`, {
          name: this.resourceName(spec.name, v.name),
          labels: this.labels({
            'app.kubernetes.io/name': spec.name,
            'platform.volume': v.name,
            'platform.backup': String(v.backup),
            'platform.size': v.size,
          }),
          lifecycle: { preventDestroy: this.env.protectData && v.backup },
        }),
        spec.name,
        v.name,
      );
      this.volumes.set(`${spec.name}/${v.name}`, volume);
    }

    const dependsOn: ITerraformDependable[] = spec.dependsOn.flatMap((d) => {
      const ready = this.ready.get(d);
      if (!ready) throw new Error(`${spec.name} depends on ${d}, which has not been rendered`);
      return ready;
    });

    const [main, ...sidecars] = spec.containers;
    if (!main || main.name !== 'main') throw new Error(`${spec.name}: the first container must be "main"`);
    const mainContainer = this.renderContainer(spec, main, text, dependsOn);
    for (const sidecar of sidecars) this.renderContainer(spec, sidecar, text, [mainContainer]);
    const jobs = spec.jobs.map((job) => this.renderJob(spec, job, text, [mainContainer]));
    this.ready.set(spec.name, [mainContainer, ...jobs]);
  }

  private common(spec: ServiceSpec, name: string, text: (t: Text) => string, w: ContainerSpec | JobSpec) {
    const memory = memoryMebibytes(w.resources.limits.memory);
    return {
      image: this.image(w.image).imageId,
      env: Object.entries(w.env).map(([k, v]) => `${k}=${text(v)}`),
      networksAdvanced: [{ name: this.network.name, aliases: [aliasOf(spec.name, name)] }],
      volumes: w.mounts.map((m) => ({
        volumeName: this.volumes.get(`${spec.name}/${m.volume}`)!.name,
        containerPath: m.path,
        readOnly: m.readOnly ?? false,
      })),
      upload: w.files.map((f) => ({ file: f.path, content: text(f.content), permissions: octalMode(f.mode) })),
      memory,
      // No swap: the memory limit is the limit.
      memorySwap: memory,
      cpus: cpuCores(w.resources.limits.cpu),
      securityOpts: ['no-new-privileges:true'],
      logDriver: 'json-file',
      logOpts: { 'max-size': '10m', 'max-file': '3' },
    } satisfies Partial<ContainerConfig>;
  }

  private renderContainer(spec: ServiceSpec, c: ContainerSpec, text: (t: Text) => string, dependsOn: ITerraformDependable[]): Container {
    const isMain = c.name === 'main';
    const h = c.health;
    const endpoints = (this.endpoints[spec.name] ??= {});
    for (const p of c.ports) {
      endpoints[p.name] = {
        internal: `${aliasOf(spec.name, c.name)}:${p.port}`,
        ...(p.hostPort !== undefined ? { host: `${PUBLISH_ADDRESS}:${p.hostPort}` } : {}),
      };
    }
    const metricsHere = spec.metrics.container === c.name;
    const container = new Container(this, `${spec.name}-${c.name}`, {
      ...this.common(spec, c.name, text, c),
      name: isMain ? this.resourceName(spec.name) : this.resourceName(spec.name, c.name),
      hostname: aliasOf(spec.name, c.name),
      ...(c.command ? { entrypoint: c.command.map(text) } : {}),
      ...(c.args ? { command: c.args.map(text) } : {}),
      ...(c.user ? { user: c.user } : {}),
      ports: c.ports
        .filter((p) => p.hostPort !== undefined)
        .map((p) => ({ internal: p.port, external: p.hostPort!, ip: PUBLISH_ADDRESS, protocol: p.protocol })),
      healthcheck: {
        test: ['CMD', ...h.exec.map(escapeLiteral)],
        interval: `${h.intervalSeconds}s`,
        timeout: `${h.timeoutSeconds}s`,
        retries: h.retries,
        startPeriod: `${h.startPeriodSeconds}s`,
      },
      ...(c.ulimits ? { ulimit: c.ulimits.map((u) => ({ name: u.name, soft: u.soft, hard: u.hard })) } : {}),
      ...(c.gpus ? { gpus: 'all' } : {}),
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
      }),
      dependsOn,
    });
    return pinAddress(container, containerAddress(spec.name, c.name));
  }

  private renderJob(spec: ServiceSpec, job: JobSpec, text: (t: Text) => string, dependsOn: ITerraformDependable[]): Container {
    const container = new Container(this, `${spec.name}-job-${job.name}`, {
      ...this.common(spec, job.name, text, job),
      name: this.resourceName(spec.name, job.name),
      entrypoint: job.command.map(text),
      restart: 'no',
      // Run to completion during apply; a failed job fails the apply (postcondition below).
      mustRun: false,
      attach: true,
      logs: true,
      labels: this.labels({ 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/component': job.name, 'platform.job': 'true' }),
      dependsOn,
      lifecycle: {
        postcondition: [{ condition: '${self.exit_code == 0}', errorMessage: `${spec.name} job ${job.name} failed: ${job.description}` }],
      },
    });
    return pinAddress(container, jobAddress(spec.name, job.name));
  }
}

/** Specs ordered so that every service comes after the services it depends on. */
export function orderByDependencies(specs: readonly ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: ServiceSpec[] = [];
  const visit = (spec: ServiceSpec, chain: string[]) => {
    if (done.has(spec.name)) return;
    if (visiting.has(spec.name)) throw new Error(`dependency cycle: ${[...chain, spec.name].join(' -> ')}`);
    visiting.add(spec.name);
    for (const dep of spec.dependsOn) {
      const d = byName.get(dep);
      if (d) visit(d, [...chain, spec.name]);
    }
    visiting.delete(spec.name);
    done.add(spec.name);
    out.push(spec);
  };
  for (const spec of specs) visit(spec, []);
  return out;
}
