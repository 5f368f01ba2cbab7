import type { ImageRef } from './types';

/**
 * Parses `registry/repo:tag[@sha256:digest]`. Returns an error message instead of throwing so the
 * config schema can report it at the right field path.
 */
export function parseImage(ref: string): ImageRef | string {
  const [name, digest, ...rest] = ref.split('@');
  if (rest.length > 0 || !name) return `"${ref}" is not an image reference`;
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    return `"${ref}" has a malformed digest (expected sha256:<64 hex>)`;
  }
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  // A digest pins the content by itself (`redis@sha256:...`); without one, a tag is required.
  if (!hasTag && !digest) return `image "${ref}" has no tag; pin an exact version (e.g. redis:7.4.2-alpine) or a digest`;
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : undefined;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    return `image "${ref}" has an invalid repository name`;
  }
  if (tag !== undefined) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `image "${ref}" has an invalid tag`;
    if (tag.toLowerCase() === 'latest') return `image "${ref}" uses the "latest" tag; pin an exact version`;
  }
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function imageName(image: ImageRef): string {
  return `${image.repository}${image.tag !== undefined ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}

/** The catalogue's own pins go through the same check as user input, so a bad pin fails at load. */
export function pinned(ref: string): ImageRef {
  const parsed = parseImage(ref);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}
