/**
 * The NVIDIA device plugin (upstream chart, pinned), for GPU nodes whose image does not carry it
 * (the EKS AL2023 NVIDIA AMI; Bottlerocket's NVIDIA variant and EKS Auto Mode do). It advertises
 * `nvidia.com/gpu` so GPU workloads can be scheduled. Runs on the GPU nodes only (their selector;
 * the chart tolerates the `nvidia.com/gpu` taint by default). MOFED support is off: from v0.19 it
 * defaults to on and conflicts with the EFA device plugin (EKS user guide).
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease } from '../../providers/kubernetes';
import { pinAddress } from '../terraform';

export const DEVICE_PLUGIN_CHART = {
  repository: 'https://nvidia.github.io/k8s-device-plugin',
  chart: 'nvidia-device-plugin',
  version: '0.20.0',
} as const;

/** The chart values, as data so tests can check every key against the chart's values.yaml. */
export function devicePluginValues(nodeSelector: Readonly<Record<string, string>>): Record<string, unknown> {
  return { mofedEnabled: false, nodeSelector: { ...nodeSelector } };
}

export class NvidiaDevicePlugin extends Construct {
  readonly release: HelmRelease;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly gpu: { readonly nodeSelector: Readonly<Record<string, string>> }; readonly after: readonly ITerraformDependable[] },
  ) {
    super(scope, id);
    this.release = pinAddress(
      new HelmRelease(this, 'release', {
        name: 'nvidia-device-plugin',
        namespace: 'kube-system',
        ...DEVICE_PLUGIN_CHART,
        values: [JSON.stringify(devicePluginValues(props.gpu.nodeSelector), null, 2)],
        // A DaemonSet on a pool that may be at zero nodes: nothing to wait for.
        wait: false,
        dependsOn: [...props.after],
      }),
      'nvidia_device_plugin',
    );
  }
}
