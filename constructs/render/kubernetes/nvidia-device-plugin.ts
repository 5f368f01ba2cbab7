/**
 * The NVIDIA device plugin (upstream chart, pinned), for GPU nodes whose image does not carry it
 * (the EKS AL2023 NVIDIA AMI, a plain node with the NVIDIA driver and container toolkit;
 * Bottlerocket's NVIDIA variant, EKS Auto Mode and the GPU Operator do). It advertises
 * `nvidia.com/gpu`, so GPU workloads stay Pending until it runs; they depend on this release.
 *
 * - It runs on the GPU nodes only: the chart's default node affinity asks for NFD labels
 *   (`feature.node.kubernetes.io/pci-10de.present`, ...) or `nvidia.com/gpu.present`, which nodes
 *   without Node Feature Discovery do not carry, so the DaemonSet would run nowhere. Its terms are
 *   replaced (a list in Helm values replaces the default; a map would be merged into it) by the
 *   environment's GPU node selector, and it tolerates what GPU workloads tolerate.
 * - MOFED, GDS and GDRCopy are off: 0.19.0 turned MOFED on by default (mounting every
 *   /dev/infiniband/uverbs*, clashing with the EFA device plugin: NVIDIA/k8s-device-plugin #1692);
 *   it was reverted in 0.19.3, and is written down so a later default cannot reach EFA nodes.
 * - Its own namespace, at Pod Security level `privileged`: the pod mounts hostPath directories
 *   (/var/lib/kubelet/device-plugins, /var/run/cdi), which `baseline` forbids, and the chart always
 *   renders the MPS control daemon (privileged, hostPID; scheduled on MPS-capable nodes only).
 * - Its pods have the `system-node-critical` priority class; clusters that admit that class only
 *   where a ResourceQuota names it (GKE does so outside kube-system) get one here.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease, NamespaceV1, ResourceQuotaV1 } from '../../providers/kubernetes';
import { amountsOf, readsAs } from './footprint';
import { pinAddress } from '../terraform';

export const DEVICE_PLUGIN_CHART = {
  repository: 'https://nvidia.github.io/k8s-device-plugin',
  chart: 'nvidia-device-plugin',
  version: '0.20.0',
} as const;

export const DEVICE_PLUGIN_NAMESPACE = 'nvidia-device-plugin';

/** Why the namespace is `privileged` (an annotation on it, and the docs). */
export const DEVICE_PLUGIN_POD_SECURITY_REASON =
  'the device plugin mounts hostPath directories of the kubelet and CDI (forbidden by baseline), and the chart always renders the privileged MPS control daemon';

/** Why the namespace has no default-deny NetworkPolicy (guardrail PLAT-K8S-002). */
export const DEVICE_PLUGIN_NETWORK_POLICY_REASON =
  "the device plugin and feature discovery serve nothing on the network: they talk to the kubelet over its host socket and to the API server (Node Feature Discovery's master and workers), addresses no NetworkPolicy names on every cluster";

export interface DevicePluginGpu {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly { key: string; operator: string; value?: string; effect?: string; tolerationSeconds?: number }[];
  /** Install Node Feature Discovery and GPU Feature Discovery with the plugin (`gfd.enabled`). @default false */
  readonly featureDiscovery?: boolean;
}

/** The chart's own tolerations of Node Feature Discovery's workers (values.yaml `nfd.worker.tolerations`). */
const NFD_WORKER_TOLERATIONS = [
  { key: 'node-role.kubernetes.io/master', operator: 'Equal', value: '', effect: 'NoSchedule' },
  { key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' },
];

/** The chart values, as data so tests can check every key against the chart's values.yaml. */
export function devicePluginValues(gpu: DevicePluginGpu): Record<string, unknown> {
  const selector = Object.entries(gpu.nodeSelector);
  if (selector.length === 0) throw new Error("the NVIDIA device plugin needs the GPU nodes' selector (target.gpu.nodeSelector)");
  const tolerations = gpu.tolerations.map((t) => ({
    ...(t.key ? { key: t.key } : {}),
    operator: t.operator,
    ...(t.value ? { value: t.value } : {}),
    ...(t.effect ? { effect: t.effect } : {}),
    ...(t.tolerationSeconds !== undefined ? { tolerationSeconds: t.tolerationSeconds } : {}),
  }));
  return {
    nodeSelector: { ...gpu.nodeSelector },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: selector.map(([key, value]) => ({ key, operator: 'In', values: [value] })) }],
        },
      },
    },
    tolerations,
    mofedEnabled: false,
    gdsEnabled: false,
    gdrcopyEnabled: false,
    // A GPU node without a usable driver shows up as a crashing pod, not as a node without GPUs.
    failOnInitError: true,
    // GPU Feature Discovery, and with it Node Feature Discovery (the chart's dependency, condition
    // `nfd.enabled,gfd.enabled`): NFD's workers label every node with an NVIDIA PCI device
    // feature.node.kubernetes.io/pci-10de.present=true, so they run on every node, the GPU nodes'
    // taints tolerated (a list replaces the chart's: its own two are kept).
    gfd: { enabled: gpu.featureDiscovery ?? false },
    ...(gpu.featureDiscovery ? { nfd: { worker: { tolerations: [...NFD_WORKER_TOLERATIONS, ...tolerations] } } } : {}),
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
  };
}

export class NvidiaDevicePlugin extends Construct {
  readonly release: HelmRelease;

  constructor(scope: Construct, id: string, props: { readonly gpu: DevicePluginGpu; readonly after: readonly ITerraformDependable[] }) {
    super(scope, id);
    const namespace = pinAddress(
      new NamespaceV1(this, 'namespace', {
        metadata: {
          name: DEVICE_PLUGIN_NAMESPACE,
          annotations: {
            'platform/pod-security-reason': DEVICE_PLUGIN_POD_SECURITY_REASON,
            'platform/network-policy-reason': DEVICE_PLUGIN_NETWORK_POLICY_REASON,
          },
          labels: {
            'pod-security.kubernetes.io/enforce': 'privileged',
            'pod-security.kubernetes.io/audit': 'privileged',
            'pod-security.kubernetes.io/warn': 'privileged',
          },
        },
        waitForDefaultServiceAccount: false,
        dependsOn: [...props.after],
      }),
      'namespace',
      'nvidia_device_plugin',
    );
    const critical = pinAddress(
      new ResourceQuotaV1(this, 'critical-pods', {
        metadata: { name: 'critical-pods', namespace: DEVICE_PLUGIN_NAMESPACE },
        spec: {
          // One plugin pod (and at most one MPS daemon) per GPU node.
          hard: { pods: '200' },
          scopeSelector: { matchExpression: [{ scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical'] }] },
        },
        dependsOn: [namespace],
      }),
      'quota',
      'nvidia_device_plugin',
    );
    this.release = pinAddress(
      new HelmRelease(this, 'release', {
        name: 'nvidia-device-plugin',
        namespace: DEVICE_PLUGIN_NAMESPACE,
        ...DEVICE_PLUGIN_CHART,
        values: [JSON.stringify(devicePluginValues(props.gpu), null, 2)],
        createNamespace: false,
        // A DaemonSet on a pool that may be at zero nodes: nothing to wait for (the GPU workload
        // waits for its own rollout, which needs the plugin).
        wait: false,
        maxHistory: 10,
        dependsOn: [namespace, critical],
      }),
      'nvidia_device_plugin',
    );
    // A DaemonSet: one pod on every GPU node.
    readsAs(this.release, (v) => [
      {
        name: 'nvidia-device-plugin',
        namespace: DEVICE_PLUGIN_NAMESPACE,
        replicas: { perNode: 'GPU node' },
        containers: [amountsOf('nvidia-device-plugin', v.resources)],
        storage: [],
      },
    ]);
  }
}
