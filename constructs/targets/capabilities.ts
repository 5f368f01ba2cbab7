/**
 * What each target can provide, as data, so guardrails check specs against it before rendering
 * (and no renderer re-implements the checks).
 */
import type { Target } from '../../environments/parse/schema';

export interface TargetCapabilities {
  /** Whether GPU workloads can be scheduled. */
  readonly gpu: boolean;
  /** Most instances of one service the target can run as a real cluster; `undefined` = no limit here. */
  readonly maxReplicas?: number;
  /** Whether client/admin ports are published on the host (so host ports must not collide). */
  readonly publishesHostPorts: boolean;
  /**
   * Who enforces the NetworkPolicies a cluster target renders: `stack` when this stack configures
   * the CNI to enforce them (AWS: the vpc-cni add-on with `enableNetworkPolicy`), `cluster` when it
   * relies on the cluster's CNI (which may accept policies and enforce none), `none` without policies.
   */
  readonly networkPolicy: 'stack' | 'cluster' | 'none';
  /**
   * Whether the target issues the internal CA's certificates (`internalTls`): the tls provider on
   * Docker; on a cluster the same CA (tls provider) behind cert-manager's CA Issuers.
   */
  readonly internalTls: boolean;
}

export function capabilitiesOf(target: Target): TargetCapabilities {
  switch (target.kind) {
    case 'docker':
      return { gpu: target.gpu > 0, maxReplicas: 1, publishesHostPorts: true, networkPolicy: 'none', internalTls: true };
    case 'kubernetes':
      return { gpu: target.gpu !== undefined, publishesHostPorts: false, networkPolicy: 'cluster', internalTls: true };
    case 'aws':
      return { gpu: target.eks.gpuNodePool !== undefined, publishesHostPorts: false, networkPolicy: 'stack', internalTls: true };
  }
}

/** Where in the environment file the target's GPU capacity is declared, for messages. */
export function gpuSettingPath(target: Target): string {
  return target.kind === 'aws' ? 'target.eks.gpuNodePool' : 'target.gpu';
}
