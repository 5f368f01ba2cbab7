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
import { everyEnvironment, synth, variant, type TerraformJson } from './helpers';
import { prepare } from '../stacks/pipeline';

const variants = [
  variant('development', (i) => {
    i.target.host = 'unix:///run/user/1000/docker.sock';
    i.target.gpu = true;
    i.target.publish = { ports: 'web', offset: 10000 };
    i.services.ollama.gpus = 1;
    i.services.objectstore = { engine: 'minio', versioning: true };
    i.labels = { team: 'platform' };
  }),
  variant('development', (i) => (i.target.publish = { ports: 'none' })),
];
const environments = await everyEnvironment();
const stacks: [string, TerraformJson][] = [
  ...environments.map(({ label, env }) => [label, synth(env).tf] as [string, TerraformJson]),
  ...variants.map((src, n) => [`docker variant ${n + 1}`, synth(prepare(src)).tf] as [string, TerraformJson]),
];
const dockerStacks = stacks.filter(([, tf]) => tf.resource?.docker_container);
const containers = dockerStacks.flatMap(([name, tf]) =>
  Object.entries<any>(tf.resource.docker_container!).map(([address, c]) => [`${name} ${address}`, c] as const),
);
const isJob = (c: any) => c.labels.some((l: any) => l.label === 'platform.job');
const label = (c: any, key: string) => c.labels.find((l: any) => l.label === key)?.value;

describe('docker resources in the forms the pinned provider reads back', () => {
  it('covers every docker stack, with services and jobs', () => {
    const docker = environments.filter(({ env }) => env.target.kind === 'docker').map(({ label }) => label);
    expect(docker).toContain('test/fixtures/development.ts');
    expect(dockerStacks.map(([name]) => name)).toEqual([...docker, 'docker variant 1', 'docker variant 2']);
    expect(containers.length).toBeGreaterThan(60);
    expect(containers.some(([, c]) => isJob(c))).toBe(true);
  });

  describe.each(containers)('%s', (_, c) => {
    it('limits cpu by period and quota, never `cpus`', () => {
      // `cpus` panics on create in 3.6.2 ("interface {} is string, not float32": CF.go 328;
      // kreuzwerker/terraform-provider-docker issue #759, fixed in 3.7.0 by #771).
      expect(c.cpus).toBeUndefined();
      expect(c.cpu_period).toBe(100_000);
      expect(Number.isInteger(c.cpu_quota) && c.cpu_quota > 0).toBe(true);
    });

    it('records what the provider cannot update in place in a label, so a change replaces the container', () => {
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
    });

    it('writes health-check durations as Go does, all above zero, and no start_interval', () => {
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
    });

    it('sets swap equal to memory (omitted, it reads back as twice the memory)', () => {
      expect(Number.isInteger(c.memory) && c.memory > 0).toBe(true);
      expect(c.memory_swap).toBe(c.memory);
    });

    it('states the user it starts as, numerically (unset, the image decides and may not read its files)', () => {
      // `user` is ForceNew and read back as Config.User (CF.go 730): written as the daemon stores it.
      expect(c.user).toMatch(/^\d+:\d+$/);
    });

    it('uploads with permissions as the provider validates them, never onto a read-only root', () => {
      for (const u of c.upload ?? []) expect(u.permissions, u.file).toMatch(/^0[0-7]{3}$/);
      if ((c.upload ?? []).length > 0) expect(c.read_only).not.toBe(true);
    });

    it('uploads a directory only as an entry named with a trailing slash and empty content from a file', () => {
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
    });

    it('logs to the local driver without options (options read back merged with the daemon defaults: #473, #873)', () => {
      expect(c.log_driver).toBe('local');
      expect(c.log_opts).toBeUndefined();
    });

    it('publishes on 127.0.0.1 with explicit host ports and lower-case protocols (0.0.0.0 reads back twice: #909)', () => {
      for (const p of c.ports ?? []) {
        expect(p).toEqual({
          internal: expect.any(Number),
          external: expect.any(Number),
          ip: '127.0.0.1',
          protocol: expect.stringMatching(/^(tcp|udp)$/),
        });
      }
    });

    it('asks for GPUs only as "all" (the only value read back unchanged)', () => {
      expect([undefined, 'all']).toContain(c.gpus);
    });

    it('adds only the root group, as a string set', () => {
      expect([undefined, ['0']]).toContainEqual(c.group_add);
    });

    it('sets no attribute whose changes are never applied or that misbehaves with attach', () => {
      expect(c.rm).toBeUndefined(); // rm + attach: "No such container" (#173, #339, #639)
      expect(c.tmpfs).toBeUndefined();
      expect(c.init).toBeUndefined();
      expect(c.capabilities).toBeUndefined(); // names read back as CAP_*: a replace loop unless written so
      expect(c.logs).not.toBe(true); // raw output into state; log.Fatal on long lines (fixed in 4.2.0 by #899)
    });

    it("stops gracefully on destroy, and waits less than the provider's fixed 20-minute create limit", () => {
      expect(c.destroy_grace_seconds).toBeGreaterThan(0);
      if (c.wait) expect(c.wait_timeout).toBeLessThan(20 * 60);
    });

    it('uses plain resource addresses where Terraform reads references (replace_triggered_by)', () => {
      for (const ref of c.lifecycle?.replace_triggered_by ?? []) expect(ref).toMatch(/^docker_container\.[A-Za-z0-9_-]+$/);
    });
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
        'platform.environment',
        'platform.volume',
      ]);
      expect(v.lifecycle.ignore_changes).toEqual(['labels']);
    }
  });

  it.each(dockerStacks)('%s: images are pinned and kept locally', (_, tf) => {
    for (const i of Object.values<any>(tf.resource.docker_image!)) {
      expect(i.keep_locally).toBe(true);
      expect(i.name).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$|@sha256:[a-f0-9]{64}$/);
    }
  });

  it('writes the provider host only when the environment sets it', () => {
    const byName = new Map(dockerStacks);
    expect(byName.get('test/fixtures/development.ts')!.provider!.docker[0]).toEqual({});
    expect(byName.get('docker variant 1')!.provider!.docker[0]).toEqual({ host: 'unix:///run/user/1000/docker.sock' });
  });

  it('a changed cpu limit changes the revision label', () => {
    expect(revision({ cpuPeriod: 100_000, cpuQuota: 50_000 })).not.toBe(revision({ cpuPeriod: 100_000, cpuQuota: 100_000 }));
  });
});
