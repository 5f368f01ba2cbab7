/** Docker provider classes used by the Docker target (per-resource submodules only). */
export { DockerProvider } from '@cdktf/provider-docker/lib/provider';
export type { DockerProviderRegistryAuth } from '@cdktf/provider-docker/lib/provider';
export { Network } from '@cdktf/provider-docker/lib/network';
export { Volume } from '@cdktf/provider-docker/lib/volume';
export { Image } from '@cdktf/provider-docker/lib/image';
export { Container } from '@cdktf/provider-docker/lib/container';
export type { ContainerConfig } from '@cdktf/provider-docker/lib/container';
