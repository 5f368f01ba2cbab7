/**
 * Where each consumer of the platform runs on a cluster (pure): its namespace (created by the stack,
 * or one that exists) and the labels of its pods, and what a cluster refuses before rendering.
 */
import type { Issue } from '../../../environments/parse/load';
import type { Consumer } from '../../../environments/parse/schema';
import type { Concern } from '../../spec/types';
import { namespaceOf } from './naming';

/** A consumer as a cluster sees it. */
export interface ConsumerPlacement {
  /** The consumer's name (its identity in the services, and its ServiceAccount's name when the stack creates the namespace). */
  readonly name: string;
  readonly namespace: string;
  /** The stack creates the namespace (Pod Security `restricted`, a ServiceAccount named after the consumer). */
  readonly create: boolean;
  /** Only the pods with these labels are admitted (`{}`: every pod of the namespace). */
  readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * The consumers' placements: the namespace each names, else `<prefix>-<name>` created by the stack.
 * `defaultNamespace` places the default consumer (`apps`, when the environment lists none) in a
 * namespace the caller provides instead (the AWS target's application namespace).
 */
export function placementsOf(
  consumers: readonly Consumer[],
  prefix: string,
  defaultNamespace?: { readonly name: string; readonly create: boolean },
): ConsumerPlacement[] {
  return consumers.map((c) => {
    const ns = c.namespace ?? (defaultNamespace && isDefault(consumers) ? defaultNamespace : { name: `${prefix}-${c.name}`, create: true });
    return { name: c.name, namespace: ns.name, create: ns.create, podLabels: { ...(c.podLabels ?? {}) } };
  });
}

const isDefault = (consumers: readonly Consumer[]) =>
  consumers.length === 1 && consumers[0]!.name === 'apps' && consumers[0]!.namespace === undefined && !consumers[0]!.services;

/** Every concern's namespace of a prefix: none of them may hold a consumer (its policies admit only the platform). */
export const CONCERNS: readonly Concern[] = ['data', 'messaging', 'ai', 'monitoring', 'mail', 'edge'];

/**
 * The namespace of the jobs that hold a managed service's master credentials (the AWS target's):
 * no application runs there.
 */
export const adminNamespace = (prefix: string) => `${prefix}-admin`;

/** What a cluster refuses in the consumers (file: field: message); `reserved`: the target's own namespaces beyond the concerns'. */
export function consumerChecks(
  consumers: readonly Consumer[],
  placements: readonly ConsumerPlacement[],
  prefix: string,
  reserved: readonly string[] = [],
): Issue[] {
  const platform = new Set([...CONCERNS.map((c) => namespaceOf(prefix, c)), ...reserved]);
  const issues: Issue[] = [];
  const created = new Map<string, number>();
  placements.forEach((p, i) => {
    const at = consumers[i]!.namespace ? `consumers[${i}].namespace.name` : `consumers[${i}].name`;
    if (p.namespace.length > 63) {
      issues.push({
        path: at,
        message: `namespace ${p.namespace} is longer than 63 characters; name the namespace (namespace: { name, create })`,
      });
    }
    if (platform.has(p.namespace)) {
      issues.push({ path: at, message: `${p.namespace} is one of the platform's own namespaces; applications run in their own` });
    }
    if (p.create) {
      const first = created.get(p.namespace);
      if (first !== undefined) {
        issues.push({
          path: at,
          message: `namespace ${p.namespace} is created for consumers[${first}] too; share it with create: false here`,
        });
      } else created.set(p.namespace, i);
    }
  });
  return issues;
}
