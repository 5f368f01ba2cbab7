/** Kubernetes and Helm provider classes (per-resource submodules only). */
export { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
export { HelmProvider } from '@cdktf/provider-helm/lib/provider';
