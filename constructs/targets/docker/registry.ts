/**
 * Where the Docker target pulls each image from, and with which credentials (pure; shared by the
 * renderer, the checks, the warnings and the docs).
 *
 * - Registries by Docker's reference rules: the first path component is a registry when it has a
 *   `.` or a `:` or is `localhost`; otherwise the image is on Docker Hub (`docker.io`), official
 *   images under `library/`.
 * - A mirror prefix (`target.registry.mirrors`) replaces an upstream registry in the image name
 *   (`nats:2.14.7-alpine` through `mirror.example.com/hub` is `mirror.example.com/hub/library/nats:2.14.7-alpine`):
 *   a pull-through cache that is not Docker Hub's daemon-wide `registry-mirrors` needs the name.
 * - Credentials (`target.registry.auth`) become the provider's `registry_auth` blocks. The pinned
 *   provider (kreuzwerker/docker 3.6.2) pulls anonymously unless one matches, and `docker login` on
 *   the host does not count: it looks a pull's credentials up by the exact registry host of the
 *   image name (resource_docker_image_funcs.go, pullImage), which is `registry-1.docker.io` for a
 *   Docker Hub short name and `docker.io` for a `docker.io/...` name: Docker Hub credentials get a
 *   block for each.
 */
import type { Environment } from '../../../environments/parse/load';
import type { ImageRef } from '../../spec/types';

export const DOCKER_HUB = 'docker.io';

/** The hosts the pinned provider files Docker Hub credentials under, by the form of the image name. */
export const DOCKER_HUB_PROVIDER_KEYS = ['registry-1.docker.io', 'docker.io'] as const;

/**
 * Docker Hub's limit for unauthenticated pulls: 10 per hour per IPv4 address or IPv6 /64
 * (docs.docker.com/docker-hub/usage/, since April 2025); authenticated personal accounts get 100.
 */
export const DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR = 10;

/** An image's registry and its path there (official Docker Hub images under `library/`). */
export function registryOf(repository: string): { registry: string; path: string } {
  const slash = repository.indexOf('/');
  const first = slash < 0 ? '' : repository.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first, path: repository.slice(slash + 1) };
  }
  return { registry: DOCKER_HUB, path: slash < 0 ? `library/${repository}` : repository };
}

/** The name the host pulls an image by: through the mirror of its registry, when one is set. */
export function pullName(ref: ImageRef, mirrors: Readonly<Record<string, string>>): string {
  const { registry, path } = registryOf(ref.repository);
  const mirror = mirrors[registry];
  const repository = mirror ? `${mirror}/${path}` : ref.repository;
  return `${repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/**
 * The registry host the pinned provider looks a pull's credentials up under, for an image name: its
 * `parseImageOptions` (resource_docker_image_funcs.go 270-316) reads the first component as the
 * registry when the name has more than one `/`, or the component has a `.` or a `:`, or is
 * `localhost`; otherwise `registry-1.docker.io`.
 */
export function providerRegistryKey(name: string): string {
  const withoutDigest = name.split('@')[0]!;
  const parts = withoutDigest.split('/');
  const first = parts[0]!;
  if (parts.length > 2 || (parts.length === 2 && (first.includes('.') || first.includes(':') || first === 'localhost'))) return first;
  return 'registry-1.docker.io';
}

/** Every image of an environment (containers and jobs), once. */
export function imagesOf(env: Environment): ImageRef[] {
  const byName = new Map<string, ImageRef>();
  for (const spec of env.specs)
    for (const w of [...spec.containers, ...spec.jobs]) byName.set(`${w.image.repository}:${w.image.tag}@${w.image.digest}`, w.image);
  return [...byName.values()];
}

/**
 * The names the provider pulls: `upstream` is the image's own registry, `registry` the one it is
 * pulled from (a mirror's host, or the upstream), `key` the host the pinned provider looks its
 * credentials up under.
 */
export function pulls(env: Environment): { name: string; upstream: string; registry: string; key: string }[] {
  if (env.target.kind !== 'docker') return [];
  const mirrors = env.target.registry.mirrors;
  return imagesOf(env).map((ref) => {
    const name = pullName(ref, mirrors);
    return {
      name,
      upstream: registryOf(ref.repository).registry,
      registry: registryOf(repositoryOf(name)).registry,
      key: providerRegistryKey(name),
    };
  });
}

/** The repository of an image name (without its tag and digest). */
function repositoryOf(name: string): string {
  const base = name.split('@')[0]!;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
}

/** The name of the Terraform variables a registry's credentials come from (`TF_VAR_<name>_username`, `_password`). */
export function registryVariable(registry: string): string {
  return `registry_${registry.replace(/[^A-Za-z0-9]/g, '_')}`;
}
