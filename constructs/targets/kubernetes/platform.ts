/**
 * The in-cluster part of an environment: what the Kubernetes target renders into a cluster whose
 * providers (kubernetes, helm) the caller has configured. The Kubernetes target calls it with a
 * cluster reached through a kubeconfig; the AWS target calls it for what runs on EKS.
 *
 * (Skeleton: the service renderer lands with the Kubernetes target issue; the NVIDIA device plugin,
 * when the cluster's GPU nodes need it, is already installed here.)
 */
import type { Environment } from '../../../environments/load';
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import type { ServiceSpec } from '../../spec/types';
import { NvidiaDevicePlugin } from './nvidia-device-plugin';

/** What the cluster offers, from the environment's config (never looked up at plan time). */
export interface ClusterFacts {
  /** StorageClass for persistent volumes; `undefined` = the cluster's default class. */
  readonly storageClass?: string;
  /** GPU nodes: how to schedule onto them, and whether this stack must install the NVIDIA device plugin. */
  readonly gpu?: {
    readonly resourceName: string;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly { key: string; operator: 'Equal' | 'Exists'; value?: string; effect?: string }[];
    readonly installDevicePlugin: boolean;
  };
  /** Zones to spread replicas across (topology.kubernetes.io/zone), when known. */
  readonly zones?: readonly string[];
  /**
   * The platform namespace when the caller has created it (the AWS target does, to put the managed
   * services' endpoint ConfigMaps and credential Secrets there); `undefined` = the renderer creates it.
   */
  readonly existingNamespace?: string;
}

export interface InClusterProps {
  readonly environment: Environment;
  /** The specs to run in the cluster (a cloud target may have taken some as managed services). */
  readonly specs: readonly ServiceSpec[];
  readonly cluster: ClusterFacts;
  /** Resources that must exist before anything is installed into the cluster (node groups, add-ons). */
  readonly after?: readonly ITerraformDependable[];
}

export class InClusterPlatform extends Construct {
  constructor(scope: Construct, id: string, props: InClusterProps) {
    super(scope, id);
    if (props.cluster.gpu?.installDevicePlugin) {
      new NvidiaDevicePlugin(this, 'nvidia-device-plugin', { gpu: props.cluster.gpu, after: props.after ?? [] });
    }
  }
}
