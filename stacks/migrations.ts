/**
 * Migrations flagged at synth: a change that makes Terraform replace (destroy and create) a stateful
 * resource, found by comparing a stack with the one synthesized before it in the same output
 * directory, so `npm run synth` names it with its runbook before `cdktf diff` fails on
 * `prevent_destroy` or, without it, before a plan quietly replaces a database.
 *
 * What replaces what comes from the pinned providers' schemas (ForceNew attributes):
 * hashicorp/kubernetes 2.38.0 `kubernetes_stateful_set_v1` (schema_stateful_set_spec.go:
 * pod_management_policy, revision_history_limit, selector, service_name, volume_claim_template;
 * schema_metadata.go: name, namespace), hashicorp/helm 3.1.1 `helm_release` (name, namespace),
 * kreuzwerker/docker 3.6.2 `docker_volume` (name, driver, driver_opts).
 *
 * Its limit, said in docs/operations.md ("Migrations"): it knows only the previous synthesis in the
 * output directory (what the last `cdktf diff` or `deploy` from this checkout saw), not the state.
 * CI synthesizes the base branch into the same directory first.
 */

/** A synthesized stack, as much of it as this needs. */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, any>>>>;
}

export interface Migration {
  /** `type.name` of the resource. */
  readonly address: string;
  /** What changes, in plain words. */
  readonly change: string;
  /** docs/operations.md anchor of the runbook. */
  readonly runbook: string;
}

/** The attributes of each stateful resource type whose change replaces the resource (their paths in the JSON). */
const REPLACING: Readonly<Record<string, readonly { readonly path: string; readonly runbook: string }[]>> = {
  kubernetes_stateful_set_v1: [
    { path: 'metadata.name', runbook: 'replacing-a-stateful-workload' },
    { path: 'metadata.namespace', runbook: 'replacing-a-stateful-workload' },
    { path: 'spec.pod_management_policy', runbook: 'scaling-a-cluster-up-or-down' },
    { path: 'spec.revision_history_limit', runbook: 'replacing-a-stateful-workload' },
    { path: 'spec.selector', runbook: 'replacing-a-stateful-workload' },
    { path: 'spec.service_name', runbook: 'replacing-a-stateful-workload' },
    { path: 'spec.volume_claim_template', runbook: 'growing-or-changing-a-volume' },
  ],
  helm_release: [
    { path: 'name', runbook: 'replacing-a-stateful-workload' },
    { path: 'namespace', runbook: 'replacing-a-stateful-workload' },
  ],
  docker_volume: [
    { path: 'name', runbook: 'replacing-a-stateful-workload' },
    { path: 'driver', runbook: 'replacing-a-stateful-workload' },
    { path: 'driver_opts', runbook: 'replacing-a-stateful-workload' },
  ],
};

const at = (r: any, path: string): unknown => path.split('.').reduce((node, key) => (node == null ? undefined : node[key]), r);

/** Resources whose loss loses data or takes a workload down: StatefulSets, and whatever is `prevent_destroy`. */
const stateful = (type: string, r: any) => type === 'kubernetes_stateful_set_v1' || r?.lifecycle?.prevent_destroy === true;

const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));

/** The replacements `next` would plan over `previous`, and the stateful resources it would destroy. */
export function migrations(previous: StackJson, next: StackJson): Migration[] {
  if (previous === next) return [];
  const out: Migration[] = [];
  for (const [type, byName] of Object.entries(previous.resource ?? {})) {
    for (const [name, before] of Object.entries(byName)) {
      if (!stateful(type, before)) continue;
      const address = `${type}.${name}`;
      const after = next.resource?.[type]?.[name];
      if (after === undefined) {
        out.push({
          address,
          change: `is no longer in the stack: Terraform would destroy it${before?.lifecycle?.prevent_destroy ? ' (prevent_destroy stops the plan)' : ''}`,
          runbook: 'replacing-a-stateful-workload',
        });
        continue;
      }
      for (const { path, runbook } of REPLACING[type] ?? []) {
        const a = at(before, path);
        const b = at(after, path);
        if (JSON.stringify(a) === JSON.stringify(b)) continue;
        const detail =
          path === 'spec.volume_claim_template'
            ? 'its volume claim templates change (size, class or names)'
            : `${path} ${show(a)} -> ${show(b)}`;
        out.push({ address, change: `${detail}: Terraform replaces it`, runbook });
      }
    }
  }
  return out;
}

/** The synth summary's line for a migration. */
export function describeMigration(m: Migration): string {
  return `${m.address} ${m.change}; runbook: docs/operations.md#${m.runbook}`;
}
