/**
 * What an AWS stack runs and is billed for, read from its synthesized JSON: the EKS cluster and its
 * node pools (one managed node group per pool and zone, with their sizes and root volumes), the
 * network's billed parts (a NAT gateway and its public address per zone, interface endpoints in
 * every zone), keys and secrets, each managed data service through its renderer's `summarize`
 * (placed as the environment's placement says), and what runs in the cluster
 * (kubernetes/summary.ts).
 */
import type { Environment } from '../../../environments/parse/load';
import { placeServices } from '../../targets/aws/placement';
import { type Billable, HOURS_PER_MONTH } from '../../targets/aws/prices';
import { memoryMebibytes } from '../../spec/quantity';
import type { ReleaseReader } from '../kubernetes/footprint';
import { readCluster } from '../kubernetes/summary';
import type { ManagedSummary, NodePoolSummary, StackJson, TargetReading } from '../summary';
import { managedRenderers } from './managed-renderers';

const count = (r: Record<string, unknown> | undefined) => Object.keys(r ?? {}).length;
/** `${aws_launch_template.system.id}` → `system`. */
const launchTemplateOf = (group: any) => /aws_launch_template\.([\w-]+)\./.exec(String(group.launch_template?.id ?? ''))?.[1];

export function nodePoolsOf(json: StackJson): NodePoolSummary[] {
  const r = json.resource ?? {};
  const pools = new Map<string, { types: Set<string>; groups: number; min: number; desired: number; max: number; disk: number }>();
  for (const [id, g] of Object.entries(r.aws_eks_node_group ?? {})) {
    // Addresses are pinned as `<pool>_<zone>` (node-pools.ts).
    const pool = id.slice(0, id.indexOf('_'));
    const lt = launchTemplateOf(g);
    const disk = Number(r.aws_launch_template?.[lt ?? '']?.block_device_mappings?.[0]?.ebs?.volume_size ?? g.disk_size ?? 20);
    const p = pools.get(pool) ?? { types: new Set<string>(), groups: 0, min: 0, desired: 0, max: 0, disk };
    for (const t of g.instance_types ?? []) p.types.add(String(t));
    p.groups++;
    p.min += Number(g.scaling_config.min_size);
    p.desired += Number(g.scaling_config.desired_size);
    p.max += Number(g.scaling_config.max_size);
    pools.set(pool, p);
  }
  return [...pools].map(([pool, p]) => ({
    pool,
    instanceTypes: [...p.types],
    groups: p.groups,
    min: p.min,
    desired: p.desired,
    max: p.max,
    diskGiB: p.disk,
  }));
}

export function readAws(env: Environment, json: StackJson, readers: ReadonlyMap<string, ReleaseReader>): TargetReading {
  if (env.target.kind !== 'aws') throw new Error('readAws needs an aws environment');
  const r = json.resource ?? {};
  const cluster = Object.values(r.aws_eks_cluster ?? {})[0];
  const support = String(cluster?.upgrade_policy?.support_type ?? 'STANDARD').toLowerCase();
  const nodePools = nodePoolsOf(json);
  const inCluster = readCluster(json, readers);

  const managed: ManagedSummary[] = placeServices(env).managed.map((m) => {
    const renderer = managedRenderers[m.equivalent];
    return { service: m.spec.component, title: renderer.title, ...renderer.summarize(r) };
  });

  const interfaceZones = Object.values(r.aws_vpc_endpoint ?? {})
    .filter((e) => e.vpc_endpoint_type === 'Interface')
    .reduce((n, e) => n + (e.subnet_ids?.length ?? 0), 0);
  const gp3 = Object.values(r.kubernetes_storage_class_v1 ?? {}).some((c) => c.parameters?.type === 'gp3');
  const volumesGiB = inCluster.pods.reduce(
    (sum, p) => sum + (typeof p.replicas === 'number' ? p.replicas : 0) * p.storage.reduce((s, q) => s + memoryMebibytes(q) / 1024, 0),
    0,
  );
  const nat = count(r.aws_nat_gateway);
  const billables: Billable[] = [
    ...(cluster
      ? [
          {
            item: `eks:cluster:${support}`,
            label: `EKS control plane (${support} support)`,
            quantity: HOURS_PER_MONTH,
            unit: 'hour' as const,
          },
        ]
      : []),
    ...nodePools.flatMap((p): Billable[] => [
      {
        item: `ec2:${p.instanceTypes[0]}`,
        label: `${p.pool} nodes: ${p.desired} × ${p.instanceTypes[0]} at desired size (${p.min}..${p.max})`,
        quantity: p.desired * HOURS_PER_MONTH,
        unit: 'hour',
      },
      {
        item: 'ebs:gp3',
        label: `${p.pool} nodes' root volumes: ${p.desired} × ${p.diskGiB} GB gp3`,
        quantity: p.desired * p.diskGiB,
        unit: 'GB-month',
      },
    ]),
    ...(volumesGiB > 0
      ? [
          {
            item: gp3 ? 'ebs:gp3' : 'ebs:volume',
            label: `the cluster's persistent volumes: ${Math.round(volumesGiB)} GB${gp3 ? ' gp3' : ''}`,
            quantity: Math.round(volumesGiB),
            unit: 'GB-month' as const,
          },
        ]
      : []),
    ...(nat > 0
      ? [
          {
            item: 'ec2:nat-gateway',
            label: `${nat} NAT gateway${nat === 1 ? '' : 's'}`,
            quantity: nat * HOURS_PER_MONTH,
            unit: 'hour' as const,
          },
          {
            item: 'ec2:nat-gateway-data',
            label: 'data processed by the NAT gateways',
            quantity: 0,
            unit: 'GB-month' as const,
            byUse: true,
          },
        ]
      : []),
    ...(count(r.aws_eip) > 0
      ? [
          {
            item: 'ec2:public-ipv4',
            label: `${count(r.aws_eip)} public IPv4 addresses`,
            quantity: count(r.aws_eip) * HOURS_PER_MONTH,
            unit: 'hour' as const,
          },
        ]
      : []),
    ...(interfaceZones > 0
      ? [
          {
            item: 'ec2:vpc-endpoint-az',
            label: `interface endpoints: ${interfaceZones} endpoint-zones`,
            quantity: interfaceZones * HOURS_PER_MONTH,
            unit: 'hour' as const,
          },
        ]
      : []),
    ...managed.flatMap((m) => m.billables),
    ...(count(r.aws_kms_key) > 0
      ? [{ item: 'kms:key', label: `${count(r.aws_kms_key)} KMS keys`, quantity: count(r.aws_kms_key), unit: 'month' as const }]
      : []),
    ...(count(r.aws_secretsmanager_secret) > 0
      ? [
          {
            item: 'secretsmanager:secret',
            label: `${count(r.aws_secretsmanager_secret)} Secrets Manager secrets`,
            quantity: count(r.aws_secretsmanager_secret),
            unit: 'month' as const,
          },
        ]
      : []),
    ...(count(r.aws_cloudwatch_log_group) > 0
      ? [
          {
            item: 'logs:ingestion',
            label: 'CloudWatch Logs (control plane, flow logs)',
            quantity: 0,
            unit: 'GB-month' as const,
            byUse: true,
          },
        ]
      : []),
  ];
  return {
    where: cluster ? `EKS cluster ${cluster.name} (Kubernetes ${cluster.version})` : 'the cluster',
    pods: inCluster.pods,
    jobs: inCluster.jobs,
    unsizedVolumes: 0,
    managed,
    nodePools,
    billables,
    region: env.target.region,
    notCounted: inCluster.notCounted,
  };
}
