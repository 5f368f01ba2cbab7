/**
 * What the synth summary says about a cluster environment before anything is applied (pure): what
 * the apply will not wait for, and why.
 */
import type { Environment } from '../../../environments/parse/load';
import { footprintOf } from './index';
import { namespaceOf } from './naming';

/** GPU workloads the apply does not wait for (target.gpu.waitForRollout off), and what happens on a cluster without GPU nodes. */
export function gpuNotices(env: Environment): string[] {
  if (env.target.kind !== 'kubernetes' || !env.target.gpu || env.target.gpu.waitForRollout) return [];
  const gpu = env.target.gpu;
  const selector =
    Object.entries(gpu.nodeSelector)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || `any node advertising ${gpu.resourceName}`;
  return env.specs
    .flatMap((s) => footprintOf(s))
    .flatMap((spec) => {
      const gpus = Math.max(0, ...spec.containers.map((c) => c.gpus ?? 0));
      if (gpus === 0) return [];
      const ns = namespaceOf(env.target.kind === 'kubernetes' ? env.target.namespacePrefix : '', spec.concern);
      return [
        `${spec.configPath}: needs ${gpus} GPU${gpus > 1 ? 's' : ''} per member on nodes with ${selector}; the apply creates it and does not wait (target.gpu.waitForRollout): ` +
          `without such nodes its pods stay Pending and nothing else is held up; with them it is ready once its models are pulled ` +
          `(kubectl -n ${ns} rollout status statefulset/${spec.name})`,
      ];
    });
}
