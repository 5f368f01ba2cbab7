/** Small helpers every renderer needs when it writes Terraform JSON. */
import { TerraformResource } from '../providers/cdktf';

/**
 * Escapes Terraform template syntax in a literal: `${` and `%{` in config files and shell
 * commands must reach the container verbatim, not be evaluated by Terraform.
 */
export function escapeLiteral(value: string): string {
  // A replacer function, not a string: in a replacement string `$$` would itself collapse to `$`.
  return value.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

/** A Terraform identifier from readable parts: `redis`, `data` -> `redis_data`. */
export function logicalId(...parts: string[]): string {
  const id = parts.join('_').replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`;
}

/**
 * Pins a resource's Terraform address to `<type>.<id>`, independent of where it sits in the
 * construct tree. Addresses of stateful resources are a contract (tests pin them): a rename
 * destroys data.
 */
export function pinAddress<T extends TerraformResource>(resource: T, ...parts: string[]): T {
  resource.overrideLogicalId(logicalId(...parts));
  return resource;
}

/** Octal file mode as the docker provider validates it (`^0[0-7]{3}$`: `0644`, `0440`, `0040`). */
export function octalMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new Error(`not a file mode: ${mode}`);
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/**
 * The address of a resource as a plain string (`docker_container.redis`), for meta-arguments that
 * Terraform's JSON syntax reads as references, not templates: cdktf 0.21 renders a resource object in
 * `replace_triggered_by` as `${docker_container.redis}`, which `terraform validate` rejects.
 */
export function addressOf(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}

/**
 * Marks a resource that holds data although its type does not say so (a Helm release of an
 * operator's database): the guardrails (security/resource-rules.ts) then hold it to what they hold
 * every stateful resource to (prevent_destroy where the environment keeps its data). Written in the
 * resource's `//` comment, which Terraform ignores.
 */
export function holdsData<T extends TerraformResource>(resource: T, what: string): T {
  resource.addOverride('//.platform.holdsData', what);
  return resource;
}
