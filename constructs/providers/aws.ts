/** AWS provider classes (per-resource submodules only: the package root costs seconds to load). */
export { AwsProvider } from '@cdktf/provider-aws/lib/provider';
