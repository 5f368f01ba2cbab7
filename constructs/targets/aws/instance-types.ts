/**
 * EC2 instance families the GPU node pool may use: the NVIDIA families the EKS-optimized AL2023
 * NVIDIA and Bottlerocket NVIDIA AMIs cover (docs.aws.amazon.com/eks/latest/userguide/ml-eks-optimized-ami),
 * each with the GPU it carries. The pool's nodes are labelled `k8s.amazonaws.com/accelerator=<gpu>`
 * (the cluster autoscaler's GPU label on AWS), so one pool holds one GPU model. Pure data.
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
