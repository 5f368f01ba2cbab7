/**
 * EC2 facts the AWS target checks node pools and pods against. Pure data.
 *
 * - `gpuFamilies`: the NVIDIA families the EKS-optimized AL2023 NVIDIA and Bottlerocket NVIDIA AMIs
 *   cover (docs.aws.amazon.com/eks/latest/userguide/ml-eks-optimized-ami), each with the GPU it
 *   carries. The pool's nodes are labelled `k8s.amazonaws.com/accelerator=<gpu>` (the cluster
 *   autoscaler's GPU label on AWS), so one pool holds one GPU model.
 * - `ec2InstanceTypes`: per instance type what a node offers and what pods may use of it.
 *   Sources, retrieved 2026-12-03:
 *   - vCPUs, memory, GPUs, architecture and the allocatable cpu/memory: the Karpenter project's
 *     generated instance-type reference (aws/karpenter-provider-aws, website/content/en/preview/
 *     reference/instance-types.md at commit 692ccdd, 2026-07-11; generated from EC2
 *     DescribeInstanceTypes, AMI family AL2023, "resources available after the instance overhead
 *     has been subtracted");
 *   - pods per node (ENI limit): aws/amazon-vpc-cni-k8s v1.23.0 misc/eni-max-pods.txt (2026-07-21).
 *   The allocatable values are those of the EKS AL2023 AMI's nodeadm (awslabs/amazon-eks-ami
 *   v20260724, nodeadm/internal/kubelet/config.go): kube-reserved cpu 6% of the first core, 1% of
 *   the second, 0.5% of the third and fourth, 0.25% of the rest; kube-reserved memory 11 MiB per pod
 *   (ENI limit) + 255 MiB; eviction at 100 MiB free; minus Karpenter's 7.5% for what the kernel keeps
 *   (`allocatableCpuMillis`/`allocatableMemoryMiB` below reproduce the x86_64 rows; a test checks).
 *   Bottlerocket reserves the same way (assumed, not verified here). DaemonSets (vpc-cni,
 *   kube-proxy, the EBS CSI node plugin, the Pod Identity agent) take their requests from it too.
 */

export const gpuFamilies: Readonly<Record<string, string>> = {
  g4dn: 'nvidia-t4',
  g5: 'nvidia-a10g',
  g6: 'nvidia-l4',
  g6e: 'nvidia-l40s',
  g6f: 'nvidia-l4',
  gr6: 'nvidia-l4',
  gr6f: 'nvidia-l4',
  g7e: 'nvidia-rtx-pro-6000',
  p3: 'nvidia-v100',
  p3dn: 'nvidia-v100',
  p4d: 'nvidia-a100',
  p4de: 'nvidia-a100',
  p5: 'nvidia-h100',
  p5e: 'nvidia-h200',
  p5en: 'nvidia-h200',
  'p6-b200': 'nvidia-b200',
  'p6-b300': 'nvidia-b300',
};

/** `g5.2xlarge` -> `g5`. */
export const familyOf = (instanceType: string): string => instanceType.split('.')[0] ?? instanceType;

/** The GPU of an instance type, or `undefined` when it has none the NVIDIA AMIs support. */
export const acceleratorOf = (instanceType: string): string | undefined => gpuFamilies[familyOf(instanceType)];

export interface Ec2InstanceType {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  /** Pods per node the VPC CNI can address (ENIs x (IPv4 per ENI - 1) + 2). */
  readonly eniMaxPods: number;
  /** What pods may request in total (after kube-reserved, the eviction threshold and the kernel's share). */
  readonly allocatable: { readonly cpuMillis: number; readonly memoryMiB: number };
  readonly arch: 'x86_64' | 'arm64';
}

/** [vCPUs, memory MiB, GPUs, ENI max pods, allocatable cpu (millicores), allocatable memory MiB, arch?] */
type Row = readonly [number, number, number, number, number, number, 'arm64'?];

// Generated from the two sources above for the general-purpose, compute, memory and GPU families a
// node pool is likely to use (no metal sizes). Add rows from the same sources when a pool needs another type.
const rows: Readonly<Record<string, Row>> = {
  'c5.large': [2, 4096, 0, 29, 1930, 3114],
  'c5.xlarge': [4, 8192, 0, 58, 3920, 6584],
  'c5.2xlarge': [8, 16384, 0, 58, 7910, 14162],
  'c5.4xlarge': [16, 32768, 0, 234, 15890, 27381],
  'c5.9xlarge': [36, 73728, 0, 234, 35840, 65269],
  'c5.12xlarge': [48, 98304, 0, 234, 47810, 88002],
  'c5.18xlarge': [72, 147456, 0, 737, 71750, 127934],
  'c5.24xlarge': [96, 196608, 0, 737, 95690, 173400],
  'c6a.large': [2, 4096, 0, 29, 1930, 3114],
  'c6a.xlarge': [4, 8192, 0, 58, 3920, 6584],
  'c6a.2xlarge': [8, 16384, 0, 58, 7910, 14162],
  'c6a.4xlarge': [16, 32768, 0, 234, 15890, 27381],
  'c6a.8xlarge': [32, 65536, 0, 234, 31850, 57691],
  'c6a.12xlarge': [48, 98304, 0, 234, 47810, 88002],
  'c6a.16xlarge': [64, 131072, 0, 737, 63770, 112779],
  'c6a.24xlarge': [96, 196608, 0, 737, 95690, 173400],
  'c6a.32xlarge': [128, 262144, 0, 737, 127610, 234021],
  'c6a.48xlarge': [192, 393216, 0, 737, 191450, 355262],
  'c6g.medium': [1, 2048, 0, 8, 940, 1392, 'arm64'],
  'c6g.large': [2, 4096, 0, 29, 1930, 3055, 'arm64'],
  'c6g.xlarge': [4, 8192, 0, 58, 3920, 6525, 'arm64'],
  'c6g.2xlarge': [8, 16384, 0, 58, 7910, 14103, 'arm64'],
  'c6g.4xlarge': [16, 32768, 0, 234, 15890, 27322, 'arm64'],
  'c6g.8xlarge': [32, 65536, 0, 234, 31850, 57632, 'arm64'],
  'c6g.12xlarge': [48, 98304, 0, 234, 47810, 87943, 'arm64'],
  'c6g.16xlarge': [64, 131072, 0, 737, 63770, 112720, 'arm64'],
  'c6i.large': [2, 4096, 0, 29, 1930, 3114],
  'c6i.xlarge': [4, 8192, 0, 58, 3920, 6584],
  'c6i.2xlarge': [8, 16384, 0, 58, 7910, 14162],
  'c6i.4xlarge': [16, 32768, 0, 234, 15890, 27381],
  'c6i.8xlarge': [32, 65536, 0, 234, 31850, 57691],
  'c6i.12xlarge': [48, 98304, 0, 234, 47810, 88002],
  'c6i.16xlarge': [64, 131072, 0, 737, 63770, 112779],
  'c6i.24xlarge': [96, 196608, 0, 737, 95690, 173400],
  'c6i.32xlarge': [128, 262144, 0, 737, 127610, 234021],
  'c7a.medium': [1, 2048, 0, 8, 940, 1451],
  'c7a.large': [2, 4096, 0, 29, 1930, 3114],
  'c7a.xlarge': [4, 8192, 0, 58, 3920, 6584],
  'c7a.2xlarge': [8, 16384, 0, 58, 7910, 14162],
  'c7a.4xlarge': [16, 32768, 0, 234, 15890, 27381],
  'c7a.8xlarge': [32, 65536, 0, 234, 31850, 57691],
  'c7a.12xlarge': [48, 98304, 0, 234, 47810, 88002],
  'c7a.16xlarge': [64, 131072, 0, 737, 63770, 112779],
  'c7a.24xlarge': [96, 196608, 0, 737, 95690, 173400],
  'c7a.32xlarge': [128, 262144, 0, 737, 127610, 234021],
  'c7a.48xlarge': [192, 393216, 0, 737, 191450, 355262],
  'c7g.medium': [1, 2048, 0, 8, 940, 1392, 'arm64'],
  'c7g.large': [2, 4096, 0, 29, 1930, 3055, 'arm64'],
  'c7g.xlarge': [4, 8192, 0, 58, 3920, 6525, 'arm64'],
  'c7g.2xlarge': [8, 16384, 0, 58, 7910, 14103, 'arm64'],
  'c7g.4xlarge': [16, 32768, 0, 234, 15890, 27322, 'arm64'],
  'c7g.8xlarge': [32, 65536, 0, 234, 31850, 57632, 'arm64'],
  'c7g.12xlarge': [48, 98304, 0, 234, 47810, 87943, 'arm64'],
  'c7g.16xlarge': [64, 131072, 0, 737, 63770, 112720, 'arm64'],
  'c7i.large': [2, 4096, 0, 29, 1930, 3114],
  'c7i.xlarge': [4, 8192, 0, 58, 3920, 6584],
  'c7i.2xlarge': [8, 16384, 0, 58, 7910, 14162],
  'c7i.4xlarge': [16, 32768, 0, 234, 15890, 27381],
  'c7i.8xlarge': [32, 65536, 0, 234, 31850, 57691],
  'c7i.12xlarge': [48, 98304, 0, 234, 47810, 88002],
  'c7i.16xlarge': [64, 131072, 0, 737, 63770, 112779],
  'c7i.24xlarge': [96, 196608, 0, 737, 95690, 173400],
  'c7i.48xlarge': [192, 393216, 0, 737, 191450, 355262],
  'g4dn.xlarge': [4, 16384, 1, 29, 3920, 14481],
  'g4dn.2xlarge': [8, 32768, 1, 29, 7910, 29636],
  'g4dn.4xlarge': [16, 65536, 1, 29, 15890, 59946],
  'g4dn.8xlarge': [32, 131072, 1, 58, 31850, 120248],
  'g4dn.12xlarge': [48, 196608, 4, 234, 47810, 178933],
  'g4dn.16xlarge': [64, 262144, 1, 58, 63770, 241490],
  'g5.xlarge': [4, 16384, 1, 58, 3920, 14162],
  'g5.2xlarge': [8, 32768, 1, 58, 7910, 29317],
  'g5.4xlarge': [16, 65536, 1, 234, 15890, 57691],
  'g5.8xlarge': [32, 131072, 1, 234, 31850, 118312],
  'g5.12xlarge': [48, 196608, 4, 737, 47810, 173400],
  'g5.16xlarge': [64, 262144, 1, 234, 63770, 239554],
  'g5.24xlarge': [96, 393216, 4, 737, 95690, 355262],
  'g5.48xlarge': [192, 786432, 8, 345, 191450, 723299],
  'g6.xlarge': [4, 16384, 1, 58, 3920, 14162],
  'g6.2xlarge': [8, 32768, 1, 58, 7910, 29317],
  'g6.4xlarge': [16, 65536, 1, 234, 15890, 57691],
  'g6.8xlarge': [32, 131072, 1, 234, 31850, 118312],
  'g6.12xlarge': [48, 196608, 4, 234, 47810, 178933],
  'g6.16xlarge': [64, 262144, 1, 737, 63770, 234021],
  'g6.24xlarge': [96, 393216, 4, 737, 95690, 355262],
  'g6.48xlarge': [192, 786432, 8, 737, 191450, 718987],
  'g6e.xlarge': [4, 32768, 1, 58, 3920, 29317],
  'g6e.2xlarge': [8, 65536, 1, 58, 7910, 59627],
  'g6e.4xlarge': [16, 131072, 1, 234, 15890, 118312],
  'g6e.8xlarge': [32, 262144, 1, 234, 31850, 239554],
  'g6e.12xlarge': [48, 393216, 4, 292, 47810, 360157],
  'g6e.16xlarge': [64, 524288, 1, 737, 63770, 476504],
  'g6e.24xlarge': [96, 786432, 4, 492, 95690, 721682],
  'g6e.48xlarge': [192, 1572864, 8, 492, 191450, 1449132],
  'm5.large': [2, 8192, 0, 29, 1930, 6903],
  'm5.xlarge': [4, 16384, 0, 58, 3920, 14162],
  'm5.2xlarge': [8, 32768, 0, 58, 7910, 29317],
  'm5.4xlarge': [16, 65536, 0, 234, 15890, 57691],
  'm5.8xlarge': [32, 131072, 0, 234, 31850, 118312],
  'm5.12xlarge': [48, 196608, 0, 234, 47810, 178933],
  'm5.16xlarge': [64, 262144, 0, 737, 63770, 234021],
  'm5.24xlarge': [96, 393216, 0, 737, 95690, 355262],
  'm6a.large': [2, 8192, 0, 29, 1930, 6903],
  'm6a.xlarge': [4, 16384, 0, 58, 3920, 14162],
  'm6a.2xlarge': [8, 32768, 0, 58, 7910, 29317],
  'm6a.4xlarge': [16, 65536, 0, 234, 15890, 57691],
  'm6a.8xlarge': [32, 131072, 0, 234, 31850, 118312],
  'm6a.12xlarge': [48, 196608, 0, 234, 47810, 178933],
  'm6a.16xlarge': [64, 262144, 0, 737, 63770, 234021],
  'm6a.24xlarge': [96, 393216, 0, 737, 95690, 355262],
  'm6a.32xlarge': [128, 524288, 0, 737, 127610, 476504],
  'm6a.48xlarge': [192, 786432, 0, 737, 191450, 718987],
  'm6g.medium': [1, 4096, 0, 8, 940, 3286, 'arm64'],
  'm6g.large': [2, 8192, 0, 29, 1930, 6844, 'arm64'],
  'm6g.xlarge': [4, 16384, 0, 58, 3920, 14103, 'arm64'],
  'm6g.2xlarge': [8, 32768, 0, 58, 7910, 29258, 'arm64'],
  'm6g.4xlarge': [16, 65536, 0, 234, 15890, 57632, 'arm64'],
  'm6g.8xlarge': [32, 131072, 0, 234, 31850, 118253, 'arm64'],
  'm6g.12xlarge': [48, 196608, 0, 234, 47810, 178874, 'arm64'],
  'm6g.16xlarge': [64, 262144, 0, 737, 63770, 233962, 'arm64'],
  'm6i.large': [2, 8192, 0, 29, 1930, 6903],
  'm6i.xlarge': [4, 16384, 0, 58, 3920, 14162],
  'm6i.2xlarge': [8, 32768, 0, 58, 7910, 29317],
  'm6i.4xlarge': [16, 65536, 0, 234, 15890, 57691],
  'm6i.8xlarge': [32, 131072, 0, 234, 31850, 118312],
  'm6i.12xlarge': [48, 196608, 0, 234, 47810, 178933],
  'm6i.16xlarge': [64, 262144, 0, 737, 63770, 234021],
  'm6i.24xlarge': [96, 393216, 0, 737, 95690, 355262],
  'm6i.32xlarge': [128, 524288, 0, 737, 127610, 476504],
  'm7a.medium': [1, 4096, 0, 8, 940, 3345],
  'm7a.large': [2, 8192, 0, 29, 1930, 6903],
  'm7a.xlarge': [4, 16384, 0, 58, 3920, 14162],
  'm7a.2xlarge': [8, 32768, 0, 58, 7910, 29317],
  'm7a.4xlarge': [16, 65536, 0, 234, 15890, 57691],
  'm7a.8xlarge': [32, 131072, 0, 234, 31850, 118312],
  'm7a.12xlarge': [48, 196608, 0, 234, 47810, 178933],
  'm7a.16xlarge': [64, 262144, 0, 737, 63770, 234021],
  'm7a.24xlarge': [96, 393216, 0, 737, 95690, 355262],
  'm7a.32xlarge': [128, 524288, 0, 737, 127610, 476504],
  'm7a.48xlarge': [192, 786432, 0, 737, 191450, 718987],
  'm7g.medium': [1, 4096, 0, 8, 940, 3286, 'arm64'],
  'm7g.large': [2, 8192, 0, 29, 1930, 6844, 'arm64'],
  'm7g.xlarge': [4, 16384, 0, 58, 3920, 14103, 'arm64'],
  'm7g.2xlarge': [8, 32768, 0, 58, 7910, 29258, 'arm64'],
  'm7g.4xlarge': [16, 65536, 0, 234, 15890, 57632, 'arm64'],
  'm7g.8xlarge': [32, 131072, 0, 234, 31850, 118253, 'arm64'],
  'm7g.12xlarge': [48, 196608, 0, 234, 47810, 178874, 'arm64'],
  'm7g.16xlarge': [64, 262144, 0, 737, 63770, 233962, 'arm64'],
  'm7i.large': [2, 8192, 0, 29, 1930, 6903],
  'm7i.xlarge': [4, 16384, 0, 58, 3920, 14162],
  'm7i.2xlarge': [8, 32768, 0, 58, 7910, 29317],
  'm7i.4xlarge': [16, 65536, 0, 234, 15890, 57691],
  'm7i.8xlarge': [32, 131072, 0, 234, 31850, 118312],
  'm7i.12xlarge': [48, 196608, 0, 234, 47810, 178933],
  'm7i.16xlarge': [64, 262144, 0, 737, 63770, 234021],
  'm7i.24xlarge': [96, 393216, 0, 737, 95690, 355262],
  'm7i.48xlarge': [192, 786432, 0, 737, 191450, 718987],
  'm8g.medium': [1, 4096, 0, 8, 940, 3286, 'arm64'],
  'm8g.large': [2, 8192, 0, 29, 1930, 6844, 'arm64'],
  'm8g.xlarge': [4, 16384, 0, 58, 3920, 14103, 'arm64'],
  'm8g.2xlarge': [8, 32768, 0, 58, 7910, 29258, 'arm64'],
  'm8g.4xlarge': [16, 65536, 0, 234, 15890, 57632, 'arm64'],
  'm8g.8xlarge': [32, 131072, 0, 234, 31850, 118253, 'arm64'],
  'm8g.12xlarge': [48, 196608, 0, 234, 47810, 178874, 'arm64'],
  'm8g.16xlarge': [64, 262144, 0, 737, 63770, 233962, 'arm64'],
  'm8g.24xlarge': [96, 393216, 0, 737, 95690, 355203, 'arm64'],
  'm8g.48xlarge': [192, 786432, 0, 737, 191450, 718928, 'arm64'],
  'p4d.24xlarge': [96, 1179648, 8, 737, 95690, 1082712],
  'p4de.24xlarge': [96, 1179648, 8, 737, 95690, 1082712],
  'p5.4xlarge': [16, 262144, 1, 118, 15890, 240830],
  'p5.48xlarge': [192, 2097152, 8, 100, 191450, 1938410],
  'p5e.48xlarge': [192, 2097152, 8, 100, 191450, 1938410],
  'p5en.48xlarge': [192, 2097152, 8, 198, 191450, 1937332],
  'r5.large': [2, 16384, 0, 29, 1930, 14481],
  'r5.xlarge': [4, 32768, 0, 58, 3920, 29317],
  'r5.2xlarge': [8, 65536, 0, 58, 7910, 59627],
  'r5.4xlarge': [16, 131072, 0, 234, 15890, 118312],
  'r5.8xlarge': [32, 262144, 0, 234, 31850, 239554],
  'r5.12xlarge': [48, 393216, 0, 234, 47810, 360795],
  'r5.16xlarge': [64, 524288, 0, 737, 63770, 476504],
  'r5.24xlarge': [96, 786432, 0, 737, 95690, 718987],
  'r6a.large': [2, 16384, 0, 29, 1930, 14481],
  'r6a.xlarge': [4, 32768, 0, 58, 3920, 29317],
  'r6a.2xlarge': [8, 65536, 0, 58, 7910, 59627],
  'r6a.4xlarge': [16, 131072, 0, 234, 15890, 118312],
  'r6a.8xlarge': [32, 262144, 0, 234, 31850, 239554],
  'r6a.12xlarge': [48, 393216, 0, 234, 47810, 360795],
  'r6a.16xlarge': [64, 524288, 0, 737, 63770, 476504],
  'r6a.24xlarge': [96, 786432, 0, 737, 95690, 718987],
  'r6a.32xlarge': [128, 1048576, 0, 737, 127610, 961470],
  'r6a.48xlarge': [192, 1572864, 0, 737, 191450, 1446437],
  'r6g.medium': [1, 8192, 0, 8, 940, 7075, 'arm64'],
  'r6g.large': [2, 16384, 0, 29, 1930, 14422, 'arm64'],
  'r6g.xlarge': [4, 32768, 0, 58, 3920, 29258, 'arm64'],
  'r6g.2xlarge': [8, 65536, 0, 58, 7910, 59568, 'arm64'],
  'r6g.4xlarge': [16, 131072, 0, 234, 15890, 118253, 'arm64'],
  'r6g.8xlarge': [32, 262144, 0, 234, 31850, 239495, 'arm64'],
  'r6g.12xlarge': [48, 393216, 0, 234, 47810, 360736, 'arm64'],
  'r6g.16xlarge': [64, 524288, 0, 737, 63770, 476445, 'arm64'],
  'r6i.large': [2, 16384, 0, 29, 1930, 14481],
  'r6i.xlarge': [4, 32768, 0, 58, 3920, 29317],
  'r6i.2xlarge': [8, 65536, 0, 58, 7910, 59627],
  'r6i.4xlarge': [16, 131072, 0, 234, 15890, 118312],
  'r6i.8xlarge': [32, 262144, 0, 234, 31850, 239554],
  'r6i.12xlarge': [48, 393216, 0, 234, 47810, 360795],
  'r6i.16xlarge': [64, 524288, 0, 737, 63770, 476504],
  'r6i.24xlarge': [96, 786432, 0, 737, 95690, 718987],
  'r6i.32xlarge': [128, 1048576, 0, 737, 127610, 961470],
  'r7a.medium': [1, 8192, 0, 8, 940, 7134],
  'r7a.large': [2, 16384, 0, 29, 1930, 14481],
  'r7a.xlarge': [4, 32768, 0, 58, 3920, 29317],
  'r7a.2xlarge': [8, 65536, 0, 58, 7910, 59627],
  'r7a.4xlarge': [16, 131072, 0, 234, 15890, 118312],
  'r7a.8xlarge': [32, 262144, 0, 234, 31850, 239554],
  'r7a.12xlarge': [48, 393216, 0, 234, 47810, 360795],
  'r7a.16xlarge': [64, 524288, 0, 737, 63770, 476504],
  'r7a.24xlarge': [96, 786432, 0, 737, 95690, 718987],
  'r7a.32xlarge': [128, 1048576, 0, 737, 127610, 961470],
  'r7a.48xlarge': [192, 1572864, 0, 737, 191450, 1446437],
  'r7g.medium': [1, 8192, 0, 8, 940, 7075, 'arm64'],
  'r7g.large': [2, 16384, 0, 29, 1930, 14422, 'arm64'],
  'r7g.xlarge': [4, 32768, 0, 58, 3920, 29258, 'arm64'],
  'r7g.2xlarge': [8, 65536, 0, 58, 7910, 59568, 'arm64'],
  'r7g.4xlarge': [16, 131072, 0, 234, 15890, 118253, 'arm64'],
  'r7g.8xlarge': [32, 262144, 0, 234, 31850, 239495, 'arm64'],
  'r7g.12xlarge': [48, 393216, 0, 234, 47810, 360736, 'arm64'],
  'r7g.16xlarge': [64, 524288, 0, 737, 63770, 476445, 'arm64'],
  'r7i.large': [2, 16384, 0, 29, 1930, 14481],
  'r7i.xlarge': [4, 32768, 0, 58, 3920, 29317],
  'r7i.2xlarge': [8, 65536, 0, 58, 7910, 59627],
  'r7i.4xlarge': [16, 131072, 0, 234, 15890, 118312],
  'r7i.8xlarge': [32, 262144, 0, 234, 31850, 239554],
  'r7i.12xlarge': [48, 393216, 0, 234, 47810, 360795],
  'r7i.16xlarge': [64, 524288, 0, 737, 63770, 476504],
  'r7i.24xlarge': [96, 786432, 0, 737, 95690, 718987],
  'r7i.48xlarge': [192, 1572864, 0, 737, 191450, 1446437],
  'r8g.medium': [1, 8192, 0, 8, 940, 7075, 'arm64'],
  'r8g.large': [2, 16384, 0, 29, 1930, 14422, 'arm64'],
  'r8g.xlarge': [4, 32768, 0, 58, 3920, 29258, 'arm64'],
  'r8g.2xlarge': [8, 65536, 0, 58, 7910, 59568, 'arm64'],
  'r8g.4xlarge': [16, 131072, 0, 234, 15890, 118253, 'arm64'],
  'r8g.8xlarge': [32, 262144, 0, 234, 31850, 239495, 'arm64'],
  'r8g.12xlarge': [48, 393216, 0, 234, 47810, 360736, 'arm64'],
  'r8g.16xlarge': [64, 524288, 0, 737, 63770, 476445, 'arm64'],
  'r8g.24xlarge': [96, 786432, 0, 737, 95690, 718928, 'arm64'],
  'r8g.48xlarge': [192, 1572864, 0, 737, 191450, 1446378, 'arm64'],
  't3.nano': [2, 512, 0, 4, 1930, 74],
  't3.micro': [2, 1024, 0, 4, 1930, 548],
  't3.small': [2, 2048, 0, 11, 1930, 1418],
  't3.medium': [2, 4096, 0, 17, 1930, 3246],
  't3.large': [2, 8192, 0, 35, 1930, 6837],
  't3.xlarge': [4, 16384, 0, 58, 3920, 14162],
  't3.2xlarge': [8, 32768, 0, 58, 7910, 29317],
  't4g.nano': [2, 512, 0, 4, 1930, 15, 'arm64'],
  't4g.micro': [2, 1024, 0, 4, 1930, 489, 'arm64'],
  't4g.small': [2, 2048, 0, 11, 1930, 1359, 'arm64'],
  't4g.medium': [2, 4096, 0, 17, 1930, 3187, 'arm64'],
  't4g.large': [2, 8192, 0, 35, 1930, 6778, 'arm64'],
  't4g.xlarge': [4, 16384, 0, 58, 3920, 14103, 'arm64'],
  't4g.2xlarge': [8, 32768, 0, 58, 7910, 29258, 'arm64'],
};

/** What the table knows of an instance type, or `undefined` (not checked then, and said so). */
export function instanceType(name: string): Ec2InstanceType | undefined {
  const r = rows[name];
  if (!r) return undefined;
  return {
    vcpus: r[0],
    memoryMiB: r[1],
    gpus: r[2],
    eniMaxPods: r[3],
    allocatable: { cpuMillis: r[4], memoryMiB: r[5] },
    arch: r[6] ?? 'x86_64',
  };
}

/** Every instance type in the table. */
export const knownInstanceTypes = (): string[] => Object.keys(rows);

/** nodeadm's kube-reserved cpu (millicores) for a node with `vcpus` cores. */
export function kubeReservedCpuMillis(vcpus: number): number {
  const m = vcpus * 1000;
  const tier = (lo: number, hi: number, basisPoints: number) => (m <= lo ? 0 : ((Math.min(m, hi) - lo) * basisPoints) / 10000);
  return Math.floor(tier(0, 1000, 600) + tier(1000, 2000, 100) + tier(2000, 4000, 50) + tier(4000, m, 25));
}

/** Allocatable cpu by nodeadm's rule (the table's values for x86_64 types). */
export const allocatableCpuMillis = (vcpus: number): number => vcpus * 1000 - kubeReservedCpuMillis(vcpus);

/** Allocatable memory: memory less the kernel's 7.5%, kube-reserved (11 MiB per pod + 255) and the 100 MiB eviction threshold. */
export const allocatableMemoryMiB = (memoryMiB: number, eniMaxPods: number): number =>
  Math.floor(memoryMiB * (1 - 0.075) - (11 * eniMaxPods + 255) - 100);
