/**
 * What a target's synthesized stack runs and is billed for, read back from the stack's Terraform
 * JSON (the synth summary, stacks/summary.ts): each target reads its own resources
 * (docker/summary.ts, kubernetes/summary.ts, aws/summary.ts), so the figures are those of the
 * stack Terraform receives, not of the configuration it came from.
 */
import type { Billable } from '../targets/aws/prices';

/** Kubernetes quantities as written (`500m`, `2Gi`); absent when nothing sets them. */
export interface Amounts {
  readonly cpu?: string;
  readonly memory?: string;
}

export interface ContainerAmounts {
  readonly name: string;
  readonly requests?: Amounts;
  readonly limits?: Amounts;
  /** GPUs the container asks for (the extended resource's limit). */
  readonly gpus?: number;
}

/** A set of identical pods: a StatefulSet, a Deployment, an operator's node set, a DaemonSet. */
export interface PodShape {
  /** What the pods are (`elasticsearch masters`, `eck-operator`). */
  readonly name: string;
  /** The catalogue service they realize (absent for operators and add-ons). */
  readonly service?: string;
  readonly namespace?: string;
  /** A count, or one per node of a kind (a DaemonSet: `GPU nodes`). */
  readonly replicas: number | { readonly perNode: string };
  readonly containers: readonly ContainerAmounts[];
  /** Init containers: a pod's effective request is the larger of their largest and its containers' sum. */
  readonly init?: readonly ContainerAmounts[];
  /** Persistent volume sizes of each replica. */
  readonly storage: readonly string[];
  /** Where a figure comes from when the stack does not hold it (a chart's default). */
  readonly source?: string;
}

/** The synthesized Terraform JSON of a stack (`resource` by type, then by logical id). */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, any>>>>;
  readonly terraform?: any;
  readonly provider?: any;
}

/** An AWS managed service in place of a catalogue service. */
export interface ManagedSummary {
  /** The catalogue service it replaces. */
  readonly service: string;
  /** What AWS calls it. */
  readonly title: string;
  /** Engine, size and layout (`db.r6g.xlarge, Multi-AZ, 200 GiB gp3`). */
  readonly what: string;
  readonly billables: readonly Billable[];
  /** Provisioned storage, GiB (0 where it grows with use, as S3's). */
  readonly storageGiB: number;
}

/** One node pool: its managed node groups (one per zone) together. */
export interface NodePoolSummary {
  readonly pool: string;
  readonly instanceTypes: readonly string[];
  readonly groups: number;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  /** Root volume of each node, GiB. */
  readonly diskGiB: number;
}

export interface TargetReading {
  /** Where the workloads run (`the Docker host`, `the cluster`, `EKS cluster agent-platform-production`). */
  readonly where: string;
  /** What runs continuously there (a Deployment, a StatefulSet, an operator's node set, a container). */
  readonly pods: readonly PodShape[];
  /** One-shot jobs (setup, model pulls): they run at deploy time and end, so they are not summed. */
  readonly jobs: number;
  /** Volumes whose size the target does not limit (Docker's named volumes). */
  readonly unsizedVolumes: number;
  readonly managed: readonly ManagedSummary[];
  readonly nodePools: readonly NodePoolSummary[];
  readonly billables: readonly Billable[];
  /** The region the billables are priced in (AWS). */
  readonly region?: string;
  /** What could not be counted, and why (a chart release nothing reads). */
  readonly notCounted: readonly string[];
}
