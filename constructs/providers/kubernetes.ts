/** Kubernetes and Helm provider classes (per-resource submodules only). */
export { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
export { HelmProvider } from '@cdktf/provider-helm/lib/provider';
export { Release as HelmRelease } from '@cdktf/provider-helm/lib/release';
export { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
export { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
export { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
export { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
export { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
