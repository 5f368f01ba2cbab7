/**
 * What each target can provide, as data, so guardrails check specs against it before rendering
 * (and no renderer re-implements the checks).
 */
import type { Target } from '../../environments/schema';

export interface TargetCapabilities {
  /** Whether GPU workloads can be scheduled. */
  readonly gpu: boolean;
  /** Most instances of one service the target can run as a real cluster; `undefined` = no limit here. */
  readonly maxReplicas?: number;
  /** Whether client/admin ports are published on the host (so host ports must not collide). */
  readonly publishesHostPorts: boolean;
  /** Whether the renderer for this target exists yet. */
  readonly rendersServices: boolean;
}

export function capabilitiesOf(target: Target): TargetCapabilities {
  switch (target.kind) {
    case 'docker':
      return { gpu: target.gpu, maxReplicas: 1, publishesHostPorts: true, rendersServices: true };
    case 'kubernetes':
      return { gpu: target.gpu !== undefined, publishesHostPorts: false, rendersServices: true };
    case 'aws':
      return { gpu: target.eks.gpuNodePool !== undefined, publishesHostPorts: false, rendersServices: true };
  }
}

/** Where in the environment file the target's GPU capacity is declared, for messages. */
export function gpuSettingPath(target: Target): string {
  return target.kind === 'aws' ? 'target.eks.gpuNodePool' : 'target.gpu';
}
