/**
 * How a node pool of the environment becomes managed node groups: one group per zone (pure).
 *
 * Why per zone: the cluster autoscaler builds the node template of a multi-zone group from the
 * group's first zone only (kubernetes/autoscaler cluster-autoscaler-1.35.2,
 * cloudprovider/aws/aws_manager.go: `az := asg.AvailabilityZones[0]`), so a pod bound to an EBS
 * volume in another zone never triggers a scale-up, and a node added for it may land where the
 * volume cannot follow. The autoscaler's AWS README recommends "an ASG-per-AZ while enabling
 * --balance-similar-node-groups" (which this stack sets): groups with the same instance types,
 * labels and taints are kept balanced across zones, and each group's template carries its zone.
 */
import type { AwsTarget } from '../../../environments/parse/aws';

export type PoolName = 'system' | 'gpu';

export interface ZoneGroup {
  readonly zone: string;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
}

/** `total` spread over `n` parts, the first parts taking the remainder: 4 over 3 -> [2, 1, 1]. */
export function spread(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** Where the environment's setting of a pool lives, for messages. */
export const poolPath = (pool: PoolName) => `target.eks.${pool === 'system' ? 'systemNodePool' : 'gpuNodePool'}`;

/** The pool's config, or `undefined` when the environment has no such pool. */
export function poolConfig(target: AwsTarget, pool: PoolName) {
  return pool === 'system' ? target.eks.systemNodePool : target.eks.gpuNodePool;
}

/** The zones a pool has nodes in: its own list, or every zone of the VPC. */
export function poolZones(target: AwsTarget, pool: PoolName): string[] {
  const cfg = poolConfig(target, pool);
  return cfg?.zones ? [...cfg.zones] : target.vpc.zones.map((z) => z.name);
}

/** One group per zone, with the pool's totals spread over them. */
export function zoneGroups(target: AwsTarget, pool: PoolName): ZoneGroup[] {
  const cfg = poolConfig(target, pool);
  if (!cfg) return [];
  const zones = poolZones(target, pool);
  const [min, max, desired] = [cfg.min, cfg.max, cfg.desired].map((n) => spread(n, zones.length));
  return zones.map((zone, i) => ({ zone, min: min![i]!, max: max![i]!, desired: desired![i]! }));
}
