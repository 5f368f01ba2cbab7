/**
 * The boundary to cdktf and constructs: everything else imports from here, so moving to the
 * `cdktn` fork (same API) touches this directory only.
 */
import { TerraformStack, type TerraformResource } from 'cdktf';

export { Construct } from 'constructs';
export {
  App,
  AssetType,
  Fn,
  LocalBackend,
  S3Backend,
  TerraformAsset,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
} from 'cdktf';
export type { ITerraformDependable } from 'cdktf';

/** Resource types of the providers the stacks use (`aws_`, `kubernetes_`, ...), in references (`$${` is an escaped `${`). */
const REFERENCE = /(?<!\$)\$\{(?:data\.)?((?:aws|kubernetes|helm|docker|random|tls)_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g;

/**
 * A stack that references no other stack: each environment (and the bootstrap) is planned and applied
 * on its own.
 *
 * cdktf resolves every element of every stack twice: once while preparing, only to find references
 * to other stacks (for which it adds outputs and remote state), and once to write it. That first pass
 * was a sixth of `npm run synth`'s CPU time. Here preparing only makes sure a backend exists; in
 * exchange, writing the stack checks that every reference names a resource or data source the stack
 * declares, so a reference to another stack's resource (or to one that was never created) fails the
 * synthesis with its address instead of reaching Terraform.
 */
export class IsolatedStack extends TerraformStack {
  override prepareStack(): void {
    (this as unknown as { ensureBackendExists(): void }).ensureBackendExists();
  }

  override toTerraform(): any {
    const tf = super.toTerraform();
    const declared = (kind: 'resource' | 'data', type: string, name: string) => tf[kind]?.[type]?.[name] !== undefined;
    const missing = new Set<string>();
    const scan = (value: unknown): void => {
      if (typeof value === 'string') {
        if (!value.includes('${')) return;
        for (const m of value.matchAll(REFERENCE)) {
          const data = m[0].startsWith('${data.');
          if (!declared(data ? 'data' : 'resource', m[1]!, m[2]!)) missing.add(`${data ? 'data.' : ''}${m[1]}.${m[2]}`);
        }
      } else if (Array.isArray(value)) value.forEach(scan);
      else if (value && typeof value === 'object') Object.values(value).forEach(scan);
    };
    scan({ ...tf, '//': undefined });
    if (missing.size > 0)
      throw new Error(
        `stack ${this.node.id} references what it does not declare: ${[...missing].sort().join(', ')} ` +
          '(a resource of another stack, or one that was never created; the stacks are planned on their own)',
      );
    return tf;
  }
}

const movedBlocks = new WeakMap<TerraformStack, { from: string; to: string }[]>();

/**
 * A `moved` block from `from` (a former address) to the resource: the same block as cdktf's
 * `resource.moveFromId(from)`, written as a stack override. cdktf's own method also makes the
 * synthesis run `terraform version` in a child process to check for Terraform 1.5 (about 0.4 s,
 * and a failed synthesis where Terraform is not installed); the stacks require a newer Terraform
 * in `terraform.required_version` anyway, which Terraform itself enforces.
 */
export function movedFrom(resource: TerraformResource, from: string): void {
  const stack = TerraformStack.of(resource);
  const blocks = movedBlocks.get(stack) ?? [];
  blocks.push({ from, to: `${resource.terraformResourceType}.${resource.friendlyUniqueId}` });
  movedBlocks.set(stack, blocks);
  stack.addOverride('moved', [...blocks]);
}
