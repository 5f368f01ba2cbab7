/**
 * The forms the pinned docker provider (kreuzwerker/docker 3.6.2) applies and reads back, checked over
 * every docker resource of every environment (the shipped ones and Docker variants that exercise the
 * other code paths). A value written in another form than the one read back shows as a change on
 * every plan; some attributes crash the provider or are accepted but never applied. Each rule cites
 * what was read in the provider's source (notes in docs/operations.md, "Docker provider").
 */
import { describe, expect, it } from 'vitest';
import { goDuration, parseGoDuration } from '../constructs/spec/quantity';
import { REVISION_LABEL, revision } from '../constructs/render/docker';
import { providerRegistryKey } from '../constructs/targets/docker/registry';
import { everyEnvironment, synth, variant, type TerraformJson } from './helpers';
import { prepare } from '../stacks/pipeline';
import type { Environment } from '../environments/parse/load';
import { dockerTarget } from './helpers';

const variants = [
  variant('development', (i) => {
    i.target.host = 'unix:///run/user/1000/docker.sock';
    i.target.gpu = 1;
    i.target.publish = { ports: 'web', offset: 10000 };
    i.services.ollama.gpus = 1;
    i.services.objectstore = { engine: 'minio', versioning: true };
    i.labels = { team: 'platform' };
    // Podman, rootless, on a host without swap accounting, through mirrors with credentials.
    i.target.engine = 'podman';
    i.target.rootless = { cpuDelegated: true };
    i.target.swapLimit = false;
    i.target.pullTimeout = '2h';
    // The host exporters need a rootful Docker engine; the log shipper's proxy holds this engine's socket.
    i.services.monitoring = { hostMetrics: { enabled: false }, alloy: { dockerSocket: '/run/user/1000/docker.sock' } };
    i.target.registry = {
      mirrors: {
        'docker.io': 'mirror.example.com/dockerhub',
        'quay.io': 'mirror.example.com:5000/quay',
        'nvcr.io': 'mirror.example.com/nvcr',
      },
      auth: [
        { registry: 'mirror.example.com', from: 'environment' },
        { registry: 'mirror.example.com:5000', from: 'docker-config', path: '~/.docker/config.json' },
        { registry: 'docker.elastic.co', from: 'docker-config', path: '/etc/platform/docker.json' },
      ],
    };
  }),
  variant('development', (i) => (i.target.publish = { ports: 'none' })),
  variant('development', (i) => {
    i.target.publish = { ports: 'all', offset: 0 };
    i.target.logDriver = 'journald';
    i.target.registry = { auth: [{ registry: 'docker.io', from: 'environment' }] };
  }),
];
const environments = await everyEnvironment();
const stacks: [string, TerraformJson, Environment][] = [
  ...environments
    .filter(({ env }) => env.target.kind === 'docker')
    .map(({ label, env }) => [label, synth(env).tf, env] as [string, TerraformJson, Environment]),
  ...variants.map((src, n) => {
    const e = prepare(src);
    return [`docker variant ${n + 1}`, synth(e).tf, e] as [string, TerraformJson, Environment];
  }),
];
const dockerStacks = stacks.filter(([, tf]) => tf.resource?.docker_container);
const containers = dockerStacks.flatMap(([name, tf, e]) =>
  Object.entries<any>(tf.resource.docker_container!).map(([address, c]) => [`${name} ${address}`, c, e] as const),
);
const isJob = (c: any) => c.labels.some((l: any) => l.label === 'platform.job');
const label = (c: any, key: string) => c.labels.find((l: any) => l.label === key)?.value;

/**
 * Runs `check` on every container and fails once, listing every container that broke the rule (one
 * test per rule, not per rule and container: thousands of tests cost a second of the runner's own work).
 */
function everyContainer(check: (c: any, target: ReturnType<typeof dockerTarget>) => void): void {
  const failures: string[] = [];
  for (const [name, c, e] of containers) {
    try {
      check(c, dockerTarget(e));
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  expect(failures).toEqual([]);
}

describe('docker resources in the forms the pinned provider reads back', () => {
  it('covers every docker stack, with services and jobs', () => {
    const docker = environments.filter(({ env }) => env.target.kind === 'docker').map(({ label }) => label);
    expect(docker).toContain('test/fixtures/development.ts');
    expect(dockerStacks.map(([name]) => name)).toEqual([...docker, 'docker variant 1', 'docker variant 2', 'docker variant 3']);
    expect(containers.length).toBeGreaterThan(60);
    expect(containers.some(([, c]) => isJob(c))).toBe(true);
  });

  describe('every container (a failure lists each container that breaks the rule)', () => {
    it('limits cpu by period and quota, never `cpus`', () =>
      everyContainer((c) => {
        // `cpus` panics on create in 3.6.2 ("interface {} is string, not float32": CF.go 328;
        // kreuzwerker/terraform-provider-docker issue #759, fixed in 3.7.0 by #771).
        expect(c.cpus).toBeUndefined();
        expect(c.cpu_period).toBe(100_000);
        expect(Number.isInteger(c.cpu_quota) && c.cpu_quota > 0).toBe(true);
      }));

    it('records what the provider cannot update in place in a label, so a change replaces the container', () =>
      everyContainer((c) => {
        // Update applies only restart, max_retry_count, cpu_shares, memory, cpu_set and memory_swap
        // (CF.go 882-884): a changed health check or cpu quota would be "updated" and never applied.
        expect(label(c, REVISION_LABEL)).toMatch(/^[0-9a-f]{16}$/);
        const { healthcheck, cpu_period, cpu_quota } = c;
        const expected = healthcheck
          ? revision({
              healthcheck: {
                test: healthcheck.test,
                interval: healthcheck.interval,
                timeout: healthcheck.timeout,
                retries: healthcheck.retries,
                startPeriod: healthcheck.start_period,
              },
              cpuPeriod: cpu_period,
              cpuQuota: cpu_quota,
            })
          : revision({ cpuPeriod: cpu_period, cpuQuota: cpu_quota });
        expect(label(c, REVISION_LABEL)).toBe(expected);
      }));

    it('writes health-check durations as Go does, all above zero, and no start_interval', () =>
      everyContainer((c) => {
        if (isJob(c)) return expect(c.healthcheck).toBeUndefined();
        // Read back as time.Duration.String() (CF.go 804-807): 90s would come back as 1m30s. A zero
        // field inherits the image's own HEALTHCHECK value.
        for (const key of ['interval', 'timeout', 'start_period'] as const) {
          const value = c.healthcheck[key] as string;
          const seconds = parseGoDuration(value);
          expect(seconds, `${key} ${value}`).toBeGreaterThan(0);
          expect(goDuration(seconds!), key).toBe(value);
        }
        expect(c.healthcheck.retries).toBeGreaterThan(0);
        expect(c.healthcheck.start_interval).toBeUndefined();
        expect(c.healthcheck.test[0]).toBe('CMD');
      }));

    it('sets swap equal to memory (omitted, it reads back as twice the memory), or -1 where the host accounts no swap', () =>
      everyContainer((c, target) => {
        // Without swap accounting the daemon stores MemorySwap = -1 whatever is asked (moby
        // daemon_unix.go 417-419), and 3.6.2 reads it back raw (CF.go 782-786): -1 is the stable form.
        expect(Number.isInteger(c.memory) && c.memory > 0).toBe(true);
        expect(c.memory_swap).toBe(target.swapLimit ? c.memory : -1);
      }));

    it('states the user it starts as, numerically (unset, the image decides and may not read its files)', () =>
      everyContainer((c) => {
        // `user` is ForceNew and read back as Config.User (CF.go 730): written as the daemon stores it.
        expect(c.user).toMatch(/^\d+:\d+$/);
      }));

    it('uploads with permissions as the provider validates them, never onto a read-only root', () =>
      everyContainer((c) => {
        for (const u of c.upload ?? []) expect(u.permissions, u.file).toMatch(/^0[0-7]{3}$/);
        if ((c.upload ?? []).length > 0) expect(c.read_only).not.toBe(true);
      }));

    it('uploads a directory only as an entry named with a trailing slash and empty content from a file', () =>
      everyContainer((c) => {
        // The provider needs one of content, content_base64 or source, non-empty (CF.go 464-476), and
        // writes a header without a type: Go's archive/tar makes it a directory when the name ends in
        // "/" (writer.go, WriteHeader), which holds no data, so the content must be empty: a source file.
        for (const u of c.upload ?? []) {
          if (u.file.endsWith('/')) {
            expect(u).toEqual({
              file: expect.stringMatching(/^\/[^]*\/$/),
              source: expect.stringMatching(/^assets\/.*\/empty$/),
              permissions: u.permissions,
            });
          } else {
            expect(u.source).toBeUndefined();
            expect(typeof u.content).toBe('string');
          }
        }
      }));

    it('logs to the configured driver without options (options read back merged with the daemon defaults: #473, #873)', () =>
      everyContainer((c, target) => {
        // Podman refuses `local` and reads k8s-file back as json-file (compat containers.go 530-533):
        // only drivers read back as written.
        expect(c.log_driver).toBe(target.logDriver ?? (target.engine === 'podman' ? 'json-file' : 'local'));
        expect(['local', 'json-file', 'journald']).toContain(c.log_driver);
        if (target.engine === 'podman') expect(c.log_driver).not.toBe('local');
        expect(c.log_opts).toBeUndefined();
      }));

    it('joins the network by id (not read back by 3.6.2; a new network replaces its containers)', () =>
      everyContainer((c) => {
        expect(c.networks_advanced).toEqual([{ name: '${docker_network.network.id}', aliases: [expect.any(String)] }]);
      }));

    it('publishes on 127.0.0.1 with explicit host ports and lower-case protocols (0.0.0.0 reads back twice: #909)', () =>
      everyContainer((c) => {
        for (const p of c.ports ?? []) {
          expect(p).toEqual({
            internal: expect.any(Number),
            external: expect.any(Number),
            ip: '127.0.0.1',
            protocol: expect.stringMatching(/^(tcp|udp)$/),
          });
        }
      }));

    it('asks for GPUs only as "all" (3.6.2 reads any request back as "all": CF.go 819-825)', () =>
      everyContainer((c) => {
        expect([undefined, 'all']).toContain(c.gpus);
      }));

    it('adds only the root group, as a string set', () =>
      everyContainer((c) => {
        expect([undefined, ['0']]).toContainEqual(c.group_add);
      }));

    it('sets no attribute whose changes are never applied or that misbehaves with attach', () =>
      everyContainer((c) => {
        expect(c.rm).toBeUndefined(); // rm + attach: "No such container" (#173, #339, #639)
        expect(c.tmpfs).toBeUndefined();
        expect(c.init).toBeUndefined();
        // Names read back as CAP_* (moby NormalizeLegacyCapabilities): a replace loop unless written so.
        if (c.capabilities !== undefined) {
          expect(c.capabilities.drop).toEqual(['ALL']);
          for (const cap of c.capabilities.add) expect(cap).toMatch(/^CAP_[A-Z_]+$/);
        }
        expect(c.logs).not.toBe(true); // raw output into state; log.Fatal on long lines (fixed in 4.2.0 by #899)
      }));

    it("stops gracefully on destroy, and waits less than the provider's fixed 20-minute create limit", () =>
      everyContainer((c) => {
        expect(c.destroy_grace_seconds).toBeGreaterThan(0);
        if (c.wait) expect(c.wait_timeout).toBeLessThan(20 * 60);
      }));

    it('uses plain resource addresses where Terraform reads references (replace_triggered_by)', () =>
      everyContainer((c) => {
        for (const ref of c.lifecycle?.replace_triggered_by ?? []) expect(ref).toMatch(/^docker_container\.[A-Za-z0-9_-]+$/);
      }));
  });

  it.each(dockerStacks)('%s: the network has an explicit gateway and identity labels only', (_, tf) => {
    for (const n of Object.values<any>(tf.resource.docker_network!)) {
      expect(n.ipam_config).toEqual([{ subnet: expect.any(String), gateway: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) }]);
      // Read back; a change replaces the network (and fails while containers are attached).
      expect(n.labels.map((l: any) => l.label).sort()).toEqual([
        'app.kubernetes.io/managed-by',
        'app.kubernetes.io/part-of',
        'platform.environment',
      ]);
    }
  });

  it.each(dockerStacks)('%s: volumes carry only labels that never change, and ignore label drift', (_, tf) => {
    for (const v of Object.values<any>(tf.resource.docker_volume!)) {
      // Volume labels are read back and a change replaces the volume: its data would go.
      expect(v.labels.map((l: any) => l.label).sort()).toEqual([
        'app.kubernetes.io/managed-by',
        'app.kubernetes.io/name',
        'app.kubernetes.io/part-of',
        // Whether it holds data to back up and keep (the guardrails read it): fixed for the volume.
        'platform.backup',
        'platform.environment',
        'platform.volume',
      ]);
      expect(v.lifecycle.ignore_changes).toEqual(['labels']);
    }
  });

  it.each(dockerStacks)('%s: images are pinned, kept locally, and pulled within the configured time', (_, tf, e) => {
    const target = dockerTarget(e);
    for (const i of Object.values<any>(tf.resource.docker_image!)) {
      expect(i.keep_locally).toBe(true);
      expect(i.name).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$|@sha256:[a-f0-9]{64}$/);
      // Terraform's own timeouts (the provider's default is 20 minutes for create and update: image.go 10-27).
      expect(i.timeouts).toEqual({ create: target.pullTimeout, update: target.pullTimeout });
    }
  });

  it('writes the provider host only when the environment sets it', () => {
    const byName = new Map(dockerStacks.map(([name, tf]) => [name, tf]));
    expect(byName.get('test/fixtures/development.ts')!.provider!.docker[0]).toEqual({});
    expect(byName.get('docker variant 1')!.provider!.docker[0].host).toBe('unix:///run/user/1000/docker.sock');
  });

  it('gives the provider registry credentials from variables or a config file, never a literal', () => {
    const byName = new Map(dockerStacks.map(([name, tf]) => [name, tf]));
    const one = byName.get('docker variant 1')!;
    expect(one.provider!.docker[0].registry_auth).toEqual([
      {
        address: 'mirror.example.com',
        username: '${var.registry_mirror_example_com_username}',
        password: '${var.registry_mirror_example_com_password}',
      },
      // An explicit empty user name, or DOCKER_REGISTRY_USER (the attribute's default) would win over the file (provider.go 331-375).
      { address: 'mirror.example.com:5000', config_file: '~/.docker/config.json', username: '' },
      { address: 'docker.elastic.co', config_file: '/etc/platform/docker.json', username: '' },
    ]);
    for (const part of ['username', 'password'])
      expect((one as any).variable[`registry_mirror_example_com_${part}`]).toEqual({
        type: 'string',
        sensitive: true,
        nullable: false,
        description: expect.stringContaining(`TF_VAR_registry_mirror_example_com_${part}`),
      });
    // Docker Hub: one block for each host 3.6.2 files a pull under (registry-1.docker.io for short names, docker.io).
    const hub = byName.get('docker variant 3')!.provider!.docker[0].registry_auth;
    expect(hub.map((a: any) => a.address)).toEqual(['registry-1.docker.io', 'docker.io']);
    for (const a of hub)
      expect(a).toEqual({
        address: a.address,
        username: '${var.registry_docker_io_username}',
        password: '${var.registry_docker_io_password}',
      });
  });

  it('pulls through the mirrors, and each mirrored pull finds its credentials under the host the provider looks up', () => {
    const one = new Map(dockerStacks.map(([name, tf]) => [name, tf])).get('docker variant 1')!;
    const names = Object.values<any>(one.resource.docker_image!).map((i) => i.name as string);
    expect(names).toContain('mirror.example.com/dockerhub/library/nats:2.14.7-alpine');
    expect(names.some((n) => n.startsWith('mirror.example.com/dockerhub/oliver006/redis_exporter:'))).toBe(true);
    expect(names.filter((n) => n.startsWith('mirror.example.com:5000/quay/')).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.startsWith('docker.elastic.co/')).length).toBeGreaterThan(0);
    const covered = new Set(one.provider!.docker[0].registry_auth.map((a: any) => a.address));
    for (const n of names) expect(covered.has(providerRegistryKey(n)), n).toBe(true);
  });

  it('a changed cpu limit changes the revision label', () => {
    expect(revision({ cpuPeriod: 100_000, cpuQuota: 50_000 })).not.toBe(revision({ cpuPeriod: 100_000, cpuQuota: 100_000 }));
  });
});
