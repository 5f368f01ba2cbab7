/** Kubernetes and Helm provider classes (per-resource submodules only). */
export { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
export { HelmProvider } from '@cdktf/provider-helm/lib/provider';
export { Release as HelmRelease } from '@cdktf/provider-helm/lib/release';
export { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
export { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
export { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
export { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
export { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
export { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
export { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
// Deployments, Jobs and CronJobs without their bindings' modules (kubernetes-workloads.ts says why).
export { CronJobV1, DeploymentV1, JobV1 } from './kubernetes-workloads';
export { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
export { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
export { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
export { PriorityClassV1 } from '@cdktf/provider-kubernetes/lib/priority-class-v1';
export { ResourceQuotaV1 } from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
export { LimitRangeV1 } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
export { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
export { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
