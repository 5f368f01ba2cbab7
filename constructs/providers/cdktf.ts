/**
 * The boundary to cdktf and constructs: everything else imports from here, so moving to the
 * `cdktn` fork (same API) touches this directory only.
 */
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
