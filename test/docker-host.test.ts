/**
 * What a fresh Docker host needs for the first apply to succeed, as settings of the docker target:
 * registry mirrors and credentials (Docker Hub's anonymous limit), the engine (Podman's log
 * drivers, rootless CPU limits), swap accounting, GPUs and pull timeouts. Each refused setting names
 * its field; each warning says what to do.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, type EnvironmentSource } from '../environments/parse/load';
import {
  DOCKER_HUB,
  DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR,
  imagesOf,
  providerRegistryKey,
  pullName,
  pulls,
  registryOf,
} from '../constructs/targets/docker/registry';
import { dockerWarnings } from '../constructs/targets/docker/warnings';
import { pinned } from '../constructs/spec/image';
import { prepare } from '../stacks/pipeline';
import { dockerTarget, env, synth, variant } from './helpers';
import * as fs from 'node:fs';

function problems(src: EnvironmentSource): string[] {
  try {
    prepare(src);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}
const target = (edit: (t: any) => void) => variant('development', (i) => edit(i.target));

describe('image names and registries', () => {
  it("reads registries by Docker's reference rules, official images under library/", () => {
    expect(registryOf('nats')).toEqual({ registry: DOCKER_HUB, path: 'library/nats' });
    expect(registryOf('curlimages/curl')).toEqual({ registry: DOCKER_HUB, path: 'curlimages/curl' });
    expect(registryOf('quay.io/minio/mc')).toEqual({ registry: 'quay.io', path: 'minio/mc' });
    expect(registryOf('localhost:5000/x')).toEqual({ registry: 'localhost:5000', path: 'x' });
  });

  it('rewrites a pull through the mirror of its registry, keeping tag and digest', () => {
    const mirrors = { 'docker.io': 'mirror.example.com/hub', 'quay.io': 'localhost:5000/quay' };
    expect(pullName(pinned('nats:2.14.7-alpine'), mirrors)).toBe('mirror.example.com/hub/library/nats:2.14.7-alpine');
    expect(pullName(pinned('quay.io/minio/mc:RELEASE.1'), mirrors)).toBe('localhost:5000/quay/minio/mc:RELEASE.1');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(pullName(pinned(`redis@${digest}`), mirrors)).toBe(`mirror.example.com/hub/library/redis@${digest}`);
    expect(pullName(pinned('docker.elastic.co/kibana/kibana:8.19.22'), mirrors)).toBe('docker.elastic.co/kibana/kibana:8.19.22');
  });

  it('knows the host the pinned provider files credentials under (parseImageOptions, 3.6.2)', () => {
    expect(providerRegistryKey('nats:2.14.7-alpine')).toBe('registry-1.docker.io');
    expect(providerRegistryKey('curlimages/curl:8.22.0')).toBe('registry-1.docker.io');
    expect(providerRegistryKey('docker.io/library/nats:2')).toBe('docker.io');
    expect(providerRegistryKey('quay.io/minio/mc:x')).toBe('quay.io');
    expect(providerRegistryKey('mirror.example.com:5000/quay/minio/mc:x')).toBe('mirror.example.com:5000');
    // Its quirk: any name with two slashes starts with a registry.
    expect(providerRegistryKey('a/b/c:1')).toBe('a');
  });
});

describe('Docker Hub on a fresh host', () => {
  const dev = env('development');
  const hub = pulls(dev).filter((p) => p.registry === DOCKER_HUB);

  it(`pulls more images from Docker Hub than its ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} anonymous pulls per hour: the summary warns`, () => {
    expect(hub.length).toBeGreaterThan(DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR);
    expect(dockerWarnings(dev)).toContainEqual({
      path: 'target.registry',
      message: expect.stringMatching(new RegExp(`pulls ${hub.length} of them from Docker Hub anonymously, which allows 10 pulls per hour`)),
    });
  });

  it('the docs give the same numbers', () => {
    const text = ['README.md', 'docs/operations.md'].map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(text).toContain(`${hub.length} of its ${imagesOf(dev).length} images from Docker Hub`);
  });

  it('credentials or a mirror for Docker Hub end the warning', () => {
    const withAuth = prepare(target((t) => (t.registry = { auth: [{ registry: 'docker.io', from: 'environment' }] })));
    expect(dockerWarnings(withAuth)).toEqual([]);
    const mirrored = prepare(target((t) => (t.registry = { mirrors: { 'docker.io': 'mirror.example.com/hub' } })));
    expect(dockerWarnings(mirrored)).toEqual([]);
    expect(Object.values<any>(synth(mirrored).tf.resource.docker_image!).every((i) => !/^[a-z0-9_-]+(\/[a-z0-9_-]+)?:/.test(i.name))).toBe(
      true,
    );
  });

  it('a mirror or credentials no image uses are named', () => {
    const unused = prepare(
      target(
        (t) =>
          (t.registry = {
            mirrors: { 'gcr.io': 'mirror.example.com/ghcr' },
            auth: [
              { registry: 'docker.io', from: 'environment' },
              { registry: 'gcr.io', from: 'environment' },
            ],
          }),
      ),
    );
    expect(dockerWarnings(unused)).toEqual([
      { path: 'target.registry.mirrors.gcr.io', message: 'no image of this environment comes from gcr.io' },
      {
        path: 'target.registry.auth[1].registry',
        message: expect.stringMatching(/^no image of this environment is pulled from gcr.io \(they come from /),
      },
    ]);
  });
});

describe('registry settings refused, naming the field', () => {
  it('Docker Hub credentials from a Docker config file, which 3.6.2 would silently not find', () => {
    expect(problems(target((t) => (t.registry = { auth: [{ registry: 'docker.io', from: 'docker-config' }] })))).toEqual([
      expect.stringMatching(
        /^target\.registry\.auth\[0\]\.from: the pinned provider .* looks Docker Hub credentials up under registry-1\.docker\.io, .*#591/,
      ),
    ]);
  });

  it('Docker Hub under another name, a URL, a relative config path, a registry twice, a mirror with a scheme', () => {
    expect(problems(target((t) => (t.registry = { auth: [{ registry: 'index.docker.io', from: 'environment' }] })))).toEqual([
      'target.registry.auth[0].registry: write docker.io for Docker Hub',
    ]);
    expect(problems(target((t) => (t.registry = { auth: [{ registry: 'https://quay.io', from: 'environment' }] })))).toEqual([
      expect.stringMatching(/^target\.registry\.auth\[0\]\.registry: must be a registry host/),
    ]);
    expect(problems(target((t) => (t.registry = { auth: [{ registry: 'quay.io', from: 'docker-config', path: 'config.json' }] })))).toEqual(
      [expect.stringMatching(/^target\.registry\.auth\[0\]\.path: must be an absolute path or start with ~\//)],
    );
    expect(
      problems(
        target(
          (t) =>
            (t.registry = {
              auth: [
                { registry: 'quay.io', from: 'environment' },
                { registry: 'quay.io', from: 'docker-config' },
              ],
            }),
        ),
      ),
    ).toEqual(['target.registry.auth[1].registry: quay.io is given twice']);
    expect(problems(target((t) => (t.registry = { mirrors: { 'docker.io': 'https://mirror.example.com' } })))).toEqual([
      expect.stringMatching(/^target\.registry\.mirrors\.docker\.io: must be an image-name prefix/),
    ]);
  });
});

describe('the engine', () => {
  // Podman and rootless engines run the monitoring stack without the host exporters (constructs/targets/docker/monitoring.ts).
  const engine = (edit: (t: any) => void) =>
    variant('development', (i) => {
      edit(i.target);
      i.services.monitoring = { ...i.services.monitoring, hostMetrics: { enabled: false } };
    });

  it('the host exporters need a rootful Docker engine: with Podman or a rootless engine, turning them off is asked for', () => {
    for (const edit of [(t: any) => (t.engine = 'podman'), (t: any) => (t.rootless = { cpuDelegated: true })])
      expect(problems(target(edit))).toEqual([
        expect.stringMatching(/^services\.monitoring\.hostMetrics\.enabled: node-exporter and cAdvisor need a rootful Docker engine/),
      ]);
    expect(problems(engine((t) => (t.engine = 'podman')))).toEqual([]);
  });

  it('the log shipper’s proxy holds the socket the provider talks to', () => {
    const elsewhere = prepare(
      engine((t) => Object.assign(t, { host: 'unix:///run/user/1000/docker.sock', rootless: { cpuDelegated: true } })),
    );
    expect(dockerWarnings(elsewhere)).toContainEqual({
      path: 'services.monitoring.alloy.dockerSocket',
      message: expect.stringMatching(
        /mounts \/var\/run\/docker\.sock: set services\.monitoring\.alloy\.dockerSocket to \/run\/user\/1000\/docker\.sock$/,
      ),
    });
  });

  it('Podman: json-file by default; local is refused (Podman rejects it on every container)', () => {
    const podman = prepare(engine((t) => (t.engine = 'podman')));
    expect(Object.values<any>(synth(podman).tf.resource.docker_container!).every((c) => c.log_driver === 'json-file')).toBe(true);
    expect(problems(engine((t) => Object.assign(t, { engine: 'podman', logDriver: 'local' })))).toEqual([
      expect.stringMatching(/^target\.logDriver: Podman refuses the local log driver/),
    ]);
    expect(problems(target((t) => (t.logDriver = 'k8s-file')))).toEqual([expect.stringMatching(/^target\.logDriver: /)]);
  });

  it('rootless without the cpu controller delegated: the summary warns that CPU limits are dropped', () => {
    const rootless = prepare(engine((t) => (t.rootless = { cpuDelegated: false })));
    expect(dockerWarnings(rootless)).toContainEqual({
      path: 'target.rootless.cpuDelegated',
      message: expect.stringMatching(
        /^rootless Docker without the cpu controller delegated to the user discards every container's CPU limit/,
      ),
    });
    const podman = prepare(engine((t) => Object.assign(t, { engine: 'podman', rootless: { cpuDelegated: false } })));
    expect(dockerWarnings(podman).find((w) => w.path === 'target.rootless.cpuDelegated')!.message).toMatch(/^rootless Podman/);
    const delegated = prepare(engine((t) => (t.rootless = { cpuDelegated: true })));
    expect(dockerWarnings(delegated).filter((w) => w.path.startsWith('target.rootless'))).toEqual([]);
  });

  it('a host without swap accounting gets the swap limit it stores (-1), so plans stay empty', () => {
    const noSwap = prepare(target((t) => (t.swapLimit = false)));
    expect(Object.values<any>(synth(noSwap).tf.resource.docker_container!).every((c) => c.memory_swap === -1)).toBe(true);
    expect(dockerTarget(env('development')).swapLimit).toBe(true);
  });

  it('GPUs are counted: true is refused, with what to write', () => {
    expect(problems(target((t) => (t.gpu = true)))).toEqual([
      'target.gpu: give the number of GPUs the host has (e.g. gpu: 1): a container that asks for GPUs gets all of them',
    ]);
    expect(dockerTarget(prepare(target((t) => (t.gpu = false)))).gpu).toBe(0);
  });

  it('pull timeouts: a duration of at least a minute', () => {
    expect(dockerTarget(env('development')).pullTimeout).toBe('60m');
    expect(problems(target((t) => (t.pullTimeout = '30s')))).toEqual(['target.pullTimeout: must be at least one minute, e.g. 30m']);
    expect(problems(target((t) => (t.pullTimeout = '1 hour')))).toEqual(['target.pullTimeout: must be a duration such as 30m or 1h30m']);
  });
});
