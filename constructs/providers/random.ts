/** Random provider classes used to generate secrets (per-resource submodules only). */
export { RandomProvider } from '@cdktf/provider-random/lib/provider';
export { Password } from '@cdktf/provider-random/lib/password';
export { Bytes } from '@cdktf/provider-random/lib/bytes';
export { Id } from '@cdktf/provider-random/lib/id';
export { StringResource } from '@cdktf/provider-random/lib/string-resource';
