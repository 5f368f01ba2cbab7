import type { HostRef, MemberRef, PeerRef, Reference, SecretRef, SelfRef, Template, TemplatePart, Text } from './types';

export function secretRef(service: string, name: string): SecretRef {
  return { kind: 'secret', service, name };
}

export function hostRef(service: string): HostRef {
  return { kind: 'host', service };
}

export const selfHost: SelfRef = { kind: 'self' };

export function peerRef(service: string, index: number): PeerRef {
  return { kind: 'peer', service, index };
}

export const memberName: MemberRef = { kind: 'member' };

/** This member's own stable address (what `peerRef` gives for its index); env and commands only. */
export const memberAddress: MemberRef = { kind: 'member', form: 'address' };

export function isTemplate(value: Text): value is Template {
  return typeof value !== 'string';
}

/**
 * Tagged template for text that embeds references:
 * `` tpl`requirepass ${secretRef('redis', 'password')}` ``. Interpolated strings and numbers are
 * kept as literals; adjacent literals are merged so renderers see the smallest number of parts.
 */
export function tpl(strings: TemplateStringsArray, ...values: (TemplatePart | number)[]): Template {
  const parts: TemplatePart[] = [];
  const push = (part: TemplatePart) => {
    const last = parts[parts.length - 1];
    if (typeof part === 'string' && typeof last === 'string') parts[parts.length - 1] = last + part;
    else if (part !== '') parts.push(part);
  };
  strings.forEach((literal, i) => {
    push(literal);
    if (i < values.length) {
      const value = values[i]!;
      push(typeof value === 'number' ? String(value) : value);
    }
  });
  return { kind: 'template', parts };
}

/** Every reference a text carries. */
export function referencesOf(text: Text): Reference[] {
  if (typeof text === 'string') return [];
  return text.parts.filter((p): p is Reference => typeof p !== 'string');
}

/** Whether a text carries a secret (a file with one is a secret file; see `ConfigFile`). */
export function hasSecret(text: Text): boolean {
  return referencesOf(text).some((r) => r.kind === 'secret');
}

/** Renders a text with the given resolvers; targets pass functions that return their own tokens. */
export function renderText(text: Text, resolve: TextResolver): string {
  if (typeof text === 'string') return resolve.literal(text);
  return text.parts.map((part) => resolvePart(part, resolve)).join('');
}

export interface TextResolver {
  literal(s: string): string;
  secret(ref: SecretRef): string;
  host(ref: HostRef): string;
  self(): string;
  peer(ref: PeerRef): string;
  member(ref: MemberRef): string;
}

function resolvePart(part: TemplatePart, resolve: TextResolver): string {
  if (typeof part === 'string') return resolve.literal(part);
  switch (part.kind) {
    case 'secret':
      return resolve.secret(part);
    case 'host':
      return resolve.host(part);
    case 'self':
      return resolve.self();
    case 'peer':
      return resolve.peer(part);
    case 'member':
      return resolve.member(part);
  }
}
