/**
 * The AWS target, family by family, on the synthesized production stack (and one smaller variant
 * for the switches): network, EKS, add-ons, node pools, Pod Identity, the managed services, what
 * goes into the cluster, and the backend.
 */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { eksVersions } from '../constructs/targets/aws/kubernetes-versions';
import { spread, zoneGroups } from '../constructs/targets/aws/node-pools';
import { placeServices } from '../constructs/targets/aws/placement';
import { autoscalerValues } from '../constructs/render/aws/autoscaler';
import { POD_IDENTITY_AGENT, credentialEgressNamespaces } from '../constructs/render/aws/in-cluster';
import { env, spec, synth, variant } from './helpers';
import { evaluate } from './network-policy';
import { imageName } from '../constructs/spec/image';
import { CURL_IMAGE } from '../constructs/services/tools';
import { managedRolesScript } from '../constructs/services/postgres';
import { openSearchUsersScript } from '../constructs/services/elasticsearch';
import { brokerUsersScript } from '../constructs/services/rabbitmq';
import { applicationAclRule, managedAccessString } from '../constructs/services/redis';
import { escapeLiteral } from '../constructs/render/terraform';
import { CA_DIR } from '../constructs/render/aws/admin-jobs';
import { FETCH_CA_SCRIPT } from '../constructs/render/kubernetes/server-ca';
import { RDS_CA_BUNDLE_URL, RDS_CA_FILE } from '../constructs/render/aws/postgres';
import { ROUNDCUBE_DB_TRUST } from '../constructs/services/mail';

const prod = env('production');
const { tf } = synth(prod);
const res = (type: string): Record<string, any> => tf.resource[type] ?? {};
const one = (type: string, name: string) => {
  const r = res(type)[name];
  if (!r) throw new Error(`no ${type}.${name}; have ${Object.keys(res(type)).join(', ')}`);
  return r;
};
const ref = (type: string, name: string, attr: string) => `\${${type}.${name}.${attr}}`;
const json = (s: string) => JSON.parse(s);
const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

// A smaller environment on the same target: medium profile (no high availability), no account id
// (read from the VPC's ARN at apply; generated bucket suffix), Bottlerocket GPU nodes on a pinned
// release in two zones, PostgreSQL and RabbitMQ switched back into the cluster, Elasticsearch as
// OpenSearch on request (zone-aware with a standby, against the profile), cluster replacement
// allowed, extended support, private API endpoint only, no interface endpoints.
const small = prepare(
  variant('production', (i) => {
    i.profile = 'medium';
    delete i.target.accountId;
    i.target.eks.gpuNodePool.amiType = 'BOTTLEROCKET_x86_64_NVIDIA';
    i.target.eks.gpuNodePool.releaseVersion = '1.48.0-a1b2c3d4';
    i.target.eks.gpuNodePool.zones = ['eu-west-1b', 'eu-west-1c'];
    i.target.eks.supportType = 'EXTENDED';
    i.target.managed.postgres = { mode: 'in-cluster' };
    i.target.managed.rabbitmq = { mode: 'in-cluster' };
    i.target.managed.elasticsearch = { mode: 'managed', highAvailability: true, multiAzWithStandby: true };
    i.services.elasticsearch = { replicas: 3 };
    i.target.vpc.interfaceEndpoints = [];
    i.target.eks.preventReplacement = false;
    i.target.eks.publicAccessCidrs = [];
  }),
);
const smallTf = synth(small).tf;
const smallRes = (type: string): Record<string, any> => smallTf.resource[type] ?? {};

describe('network', () => {
  it('a VPC with public, private and intra subnets in each configured zone, CIDRs from config', () => {
    expect(one('aws_vpc', 'vpc').cidr_block).toBe('10.40.0.0/16');
    const subnets = res('aws_subnet');
    expect(Object.keys(subnets)).toHaveLength(9);
    for (const [i, zone] of zones.entries()) {
      const cfg = (prod.target as any).vpc.zones[i];
      for (const tier of ['public', 'private', 'intra']) {
        const s = one('aws_subnet', `${tier}_${zone}`);
        expect(s.availability_zone).toBe(zone);
        expect(s.cidr_block).toBe(cfg[tier]);
        expect(s.map_public_ip_on_launch).toBe(false);
      }
    }
  });

  it('a NAT gateway per zone in production, each private subnet routed through its own zone', () => {
    expect(Object.keys(res('aws_nat_gateway')).sort()).toEqual(zones.map((z) => `nat_${z}`));
    for (const z of zones) {
      expect(one('aws_route', `private_default_${z}`).nat_gateway_id).toBe(ref('aws_nat_gateway', `nat_${z}`, 'id'));
      expect(one('aws_nat_gateway', `nat_${z}`).subnet_id).toBe(ref('aws_subnet', `public_${z}`, 'id'));
    }
  });

  it('one NAT gateway on a smaller profile, shared by every zone', () => {
    expect(Object.keys(smallRes('aws_nat_gateway'))).toEqual(['nat_eu-west-1a']);
    for (const z of zones)
      expect(smallRes('aws_route')[`private_default_${z}`].nat_gateway_id).toBe(ref('aws_nat_gateway', 'nat_eu-west-1a', 'id'));
  });

  it('intra subnets have no route out', () => {
    const routes = Object.values(res('aws_route'));
    expect(routes.some((r) => r.route_table_id === ref('aws_route_table', 'intra', 'id'))).toBe(false);
    for (const z of zones)
      expect(one('aws_route_table_association', `intra_${z}`).route_table_id).toBe(ref('aws_route_table', 'intra', 'id'));
  });

  it('flow logs of all traffic to CloudWatch Logs with retention, encrypted with the logs key', () => {
    const log = one('aws_flow_log', 'vpc');
    expect(log).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs', vpc_id: ref('aws_vpc', 'vpc', 'id') });
    expect(log.log_destination).toBe(ref('aws_cloudwatch_log_group', 'flow_logs', 'arn'));
    expect(one('aws_cloudwatch_log_group', 'flow_logs')).toMatchObject({
      retention_in_days: 90,
      kms_key_id: ref('aws_kms_key', 'logs', 'arn'),
    });
  });

  it('the flow-log role may be assumed only by the flow-logs service acting for this account', () => {
    expect(json(one('aws_iam_role', 'flow_logs').assume_role_policy).Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:eu-west-1:111122223333:vpc-flow-log/*' },
        },
      },
    ]);
    // Without target.accountId the account comes from the VPC's ARN at apply (no STS lookup at plan);
    // Terraform evaluates the interpolation inside the policy text.
    const account = '${element(split(":", aws_vpc.vpc.arn), 4)}';
    const text = smallRes('aws_iam_role').flow_logs.assume_role_policy as string;
    expect(json(text.replaceAll(account, 'ACCOUNT')).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': 'ACCOUNT' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:eu-west-1:ACCOUNT:vpc-flow-log/*' },
    });
  });

  it('the logs key admits the account and the logs service for exactly the two log groups', () => {
    const statements = json(one('aws_kms_key', 'logs').policy).Statement;
    expect(statements).toEqual([
      {
        Sid: 'AccountAdministersTheKey',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'CloudWatchLogsEncryptsTheseLogGroups',
        Effect: 'Allow',
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': [
              `arn:aws:logs:eu-west-1:111122223333:log-group:${one('aws_cloudwatch_log_group', 'eks_cluster').name}`,
              `arn:aws:logs:eu-west-1:111122223333:log-group:${one('aws_cloudwatch_log_group', 'flow_logs').name}`,
            ],
          },
        },
      },
    ]);
  });

  it('interface endpoints for ECR and STS in the private subnets, private DNS on, HTTPS from the nodes only', () => {
    for (const service of ['ecr.api', 'ecr.dkr', 'sts']) {
      expect(one('aws_vpc_endpoint', service.replace('.', '_'))).toMatchObject({
        service_name: `com.amazonaws.eu-west-1.${service}`,
        vpc_endpoint_type: 'Interface',
        private_dns_enabled: true,
        subnet_ids: zones.map((z) => ref('aws_subnet', `private_${z}`, 'id')),
        security_group_ids: [ref('aws_security_group', 'vpc_endpoints', 'id')],
      });
    }
    expect(one('aws_vpc_security_group_ingress_rule', 'vpc_endpoints_from_nodes')).toMatchObject({
      referenced_security_group_id: ref('aws_security_group', 'nodes', 'id'),
      from_port: 443,
      to_port: 443,
    });
    expect(Object.keys(smallRes('aws_vpc_endpoint'))).toEqual(['s3']);
  });

  it('an S3 gateway endpoint on the private and intra route tables', () => {
    const ep = one('aws_vpc_endpoint', 's3');
    expect(ep).toMatchObject({ vpc_endpoint_type: 'Gateway', service_name: 'com.amazonaws.eu-west-1.s3' });
    expect(ep.route_table_ids).toEqual([
      ...zones.map((z) => ref('aws_route_table', `private_${z}`, 'id')),
      ref('aws_route_table', 'intra', 'id'),
    ]);
  });

  it('no data source reads AWS at plan time (nothing is looked up)', () => {
    expect((tf as any).data).toBeUndefined();
  });
});

describe('EKS', () => {
  const cluster = one('aws_eks_cluster', 'cluster');

  it('runs a Kubernetes version in standard support, from config', () => {
    expect(cluster.version).toBe('1.35');
    expect(Date.parse(eksVersions['1.35']!.endOfStandardSupport)).toBeGreaterThan(Date.parse('2026-11-23'));
  });

  it('a private endpoint; the public one only for the configured CIDRs', () => {
    expect(cluster.vpc_config).toMatchObject({
      endpoint_private_access: true,
      endpoint_public_access: true,
      public_access_cidrs: ['203.0.113.0/24'],
    });
    const vpc = smallRes('aws_eks_cluster').cluster.vpc_config;
    expect(vpc.endpoint_public_access).toBe(false);
    expect(vpc.public_access_cidrs).toBeUndefined();
  });

  it('control-plane interfaces in the intra subnets, nodes in the private ones (each group in its zone)', () => {
    expect(cluster.vpc_config.subnet_ids).toEqual(zones.map((z) => ref('aws_subnet', `intra_${z}`, 'id')));
    for (const z of zones) expect(one('aws_eks_node_group', `system_${z}`).subnet_ids).toEqual([ref('aws_subnet', `private_${z}`, 'id')]);
  });

  it('Secrets envelope-encrypted with a rotating KMS key of this stack, which is kept while the cluster is', () => {
    expect(cluster.encryption_config).toEqual({ resources: ['secrets'], provider: { key_arn: ref('aws_kms_key', 'eks', 'arn') } });
    for (const key of Object.values(res('aws_kms_key'))) expect(key.enable_key_rotation).toBe(true);
    // EKS cannot move a cluster to another key (the provider plans it in place and changes nothing).
    expect(one('aws_kms_key', 'eks').lifecycle).toEqual({ prevent_destroy: true });
    expect(smallRes('aws_kms_key').eks.lifecycle).toEqual({ prevent_destroy: false });
    expect(one('aws_kms_key', 'data').lifecycle).toEqual({ prevent_destroy: true });
    expect(one('aws_kms_key', 'logs').lifecycle).toEqual({ prevent_destroy: true });
  });

  it('every control-plane log type on, into a log group with retention created first, encrypted with the logs key', () => {
    expect(cluster.enabled_cluster_log_types).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    expect(one('aws_cloudwatch_log_group', 'eks_cluster')).toMatchObject({
      name: '/aws/eks/agent-platform-production/cluster',
      kms_key_id: ref('aws_kms_key', 'logs', 'arn'),
    });
    expect(cluster.depends_on).toContain('aws_cloudwatch_log_group.eks_cluster');
  });

  it('an explicit support policy: AWS upgrades at the end of standard support unless extended support is chosen', () => {
    expect(cluster.upgrade_policy).toEqual({ support_type: 'STANDARD' });
    expect(smallRes('aws_eks_cluster').cluster.upgrade_policy).toEqual({ support_type: 'EXTENDED' });
  });

  it('authentication mode API with access entries for the admin roles, no aws-auth ConfigMap', () => {
    expect(cluster.access_config).toEqual({ authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false });
    const arns = (prod.target as any).eks.adminRoleArns as string[];
    expect(
      Object.values(res('aws_eks_access_entry'))
        .map((e) => e.principal_arn)
        .sort(),
    ).toEqual([...arns].sort());
    for (const a of Object.values(res('aws_eks_access_policy_association'))) {
      expect(a.policy_arn).toBe('arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
      expect(a.access_scope).toEqual({ type: 'cluster' });
    }
    expect(JSON.stringify(tf)).not.toContain('aws-auth');
  });

  it('protected from replacement and destroy unless the config allows it for a planned replacement', () => {
    // bootstrap_self_managed_addons replaces the cluster and matters only at creation: drift is ignored.
    expect(cluster.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ['bootstrap_self_managed_addons'] });
    expect(smallRes('aws_eks_cluster').cluster.lifecycle.prevent_destroy).toBe(false);
  });
});

describe('add-ons', () => {
  it('vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver and eks-pod-identity-agent, each at its pinned version', () => {
    const addons = res('aws_eks_addon');
    const pins = eksVersions['1.35']!.addons!;
    expect(
      Object.values(addons)
        .map((a) => [a.addon_name, a.addon_version])
        .sort(),
    ).toEqual(Object.entries(pins).sort());
  });

  it('the CNI, kube-proxy and the Pod Identity agent are in before any node group; CoreDNS and EBS CSI after the system nodes', () => {
    for (const group of Object.values(res('aws_eks_node_group'))) {
      expect(group.depends_on).toEqual(
        expect.arrayContaining(['aws_eks_addon.vpc_cni', 'aws_eks_addon.kube_proxy', 'aws_eks_addon.eks_pod_identity_agent']),
      );
    }
    const systemGroups = zones.map((z) => `aws_eks_node_group.system_${z}`);
    expect(one('aws_eks_addon', 'coredns').depends_on).toEqual(systemGroups);
    expect(one('aws_eks_addon', 'aws_ebs_csi_driver').depends_on).toEqual(systemGroups);
    expect(one('aws_eks_addon', 'vpc_cni').depends_on).toBeUndefined();
    expect(one('aws_eks_cluster', 'cluster').bootstrap_self_managed_addons).toBe(false);
  });

  it('the VPC CNI enforces the NetworkPolicies (enableNetworkPolicy), at a version that can (1.14 or newer)', () => {
    const cni = one('aws_eks_addon', 'vpc_cni');
    expect(json(cni.configuration_values)).toEqual({ enableNetworkPolicy: 'true' });
    const [major, minor] = /^v(\d+)\.(\d+)\./.exec(cni.addon_version)!.slice(1).map(Number);
    expect(major! > 1 || minor! >= 14).toBe(true);
    expect(Object.keys(res('kubernetes_network_policy_v1')).length).toBeGreaterThan(0);
  });

  it('the EBS CSI controller gets its role through Pod Identity', () => {
    expect(one('aws_eks_addon', 'aws_ebs_csi_driver').pod_identity_association).toEqual([
      { role_arn: ref('aws_iam_role', 'pod_ebs_csi_driver', 'arn'), service_account: 'ebs-csi-controller-sa' },
    ]);
    expect(one('aws_iam_role_policy_attachment', 'pod_ebs_csi_driver_AmazonEBSCSIDriverPolicy').policy_arn).toBe(
      'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    );
  });
});

describe('node pools', () => {
  const groups = (pool: string) => zones.map((z) => one('aws_eks_node_group', `${pool}_${z}`));

  it('launch templates require IMDSv2 with a hop limit of 1 and encrypt a gp3 disk of the configured size', () => {
    for (const [pool, size] of [
      ['system', 100],
      ['gpu', 200],
    ] as const) {
      const lt = one('aws_launch_template', pool);
      // Hop limit 1: pods (not on the host network) cannot reach the metadata service, so not the node's role.
      expect(lt.metadata_options).toEqual({ http_tokens: 'required', http_endpoint: 'enabled', http_put_response_hop_limit: 1 });
      expect(lt.block_device_mappings[0].ebs).toMatchObject({ volume_type: 'gp3', encrypted: 'true', volume_size: size });
      expect(lt.vpc_security_group_ids).toEqual([ref('aws_security_group', 'nodes', 'id')]);
      for (const g of groups(pool)) expect(g.launch_template.id).toBe(ref('aws_launch_template', pool, 'id'));
    }
  });

  it('a change that replaces a node group creates the new one first: name prefixes and create_before_destroy', () => {
    for (const pool of ['system', 'gpu']) {
      expect(one('aws_launch_template', pool)).toMatchObject({
        name_prefix: `agent-platform-production-${pool}-`,
        lifecycle: { create_before_destroy: true },
      });
      expect(one('aws_launch_template', pool).name).toBeUndefined();
      for (const [i, g] of groups(pool).entries()) {
        expect(g.node_group_name).toBeUndefined();
        expect(g.node_group_name_prefix).toBe(`${pool}-${zones[i]}-`);
        // The autoscaler owns the size after creation.
        expect(g.lifecycle).toEqual({ create_before_destroy: true, ignore_changes: ['scaling_config[0].desired_size'] });
      }
    }
    // The single group of each pool before becomes its first zone's (replaced create-before-destroy, not destroyed beside).
    expect((tf as any).moved).toEqual([
      { from: 'aws_eks_node_group.system', to: 'aws_eks_node_group.system_eu-west-1a' },
      { from: 'aws_eks_node_group.gpu', to: 'aws_eks_node_group.gpu_eu-west-1a' },
    ]);
  });

  it('node groups follow the cluster version, on the latest AMI release at creation or the configured one', () => {
    for (const g of Object.values(res('aws_eks_node_group'))) {
      expect(g.version).toBe(ref('aws_eks_cluster', 'cluster', 'version'));
      expect(g.release_version).toBeUndefined();
    }
    expect(smallRes('aws_eks_node_group')['gpu_eu-west-1b'].release_version).toBe('1.48.0-a1b2c3d4');
    expect(smallRes('aws_eks_node_group')['system_eu-west-1a'].release_version).toBeUndefined();
  });

  it('one node group per pool and zone, the pool totals spread over the zones, the first zones taking the remainder', () => {
    expect(spread(4, 3)).toEqual([2, 1, 1]);
    expect(spread(0, 3)).toEqual([0, 0, 0]);
    const scaling = (pool: string) => groups(pool).map((g) => g.scaling_config);
    expect(scaling('system')).toEqual(Array(3).fill({ min_size: 1, max_size: 3, desired_size: 1 }));
    // min 0, max 4, desired 1: the GPU node of the first deploy (and the model volume) in the first zone.
    expect(scaling('gpu')).toEqual([
      { min_size: 0, max_size: 2, desired_size: 1 },
      { min_size: 0, max_size: 1, desired_size: 0 },
      { min_size: 0, max_size: 1, desired_size: 0 },
    ]);
    for (const g of groups('system')) expect(g).toMatchObject({ instance_types: ['m6i.2xlarge'], ami_type: 'AL2023_x86_64_STANDARD' });
    // A pool may keep to some zones (GPU capacity is not in every zone).
    expect(Object.keys(smallRes('aws_eks_node_group')).filter((n) => n.startsWith('gpu_'))).toEqual(['gpu_eu-west-1b', 'gpu_eu-west-1c']);
    expect(zoneGroups(small.target as any, 'gpu').map((z) => z.zone)).toEqual(['eu-west-1b', 'eu-west-1c']);
  });

  it('the GPU pool and its model volume stay in one zone: each GPU group is one zone, alike, balanced by the autoscaler', () => {
    const gpu = groups('gpu');
    for (const [i, g] of gpu.entries()) {
      expect(g.subnet_ids).toEqual([ref('aws_subnet', `private_${zones[i]}`, 'id')]);
      // What --balance-similar-node-groups compares: instance types, labels, taints, AMI.
      for (const key of ['ami_type', 'instance_types', 'labels', 'taint', 'capacity_type']) expect(g[key]).toEqual(gpu[0]![key]);
    }
    expect(autoscalerValues('c', 'eu-west-1').extraArgs).toMatchObject({ 'balance-similar-node-groups': true });
  });

  it('the GPU pool runs the AL2023 NVIDIA AMI, tainted nvidia.com/gpu=true:NoSchedule and labelled', () => {
    for (const gpu of groups('gpu')) {
      expect(gpu.ami_type).toBe('AL2023_x86_64_NVIDIA');
      expect(gpu.instance_types).toEqual(['g5.2xlarge']);
      expect(gpu.taint).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }]);
      expect(gpu.labels).toEqual({
        'agent-platform.io/pool': 'gpu',
        'k8s.amazonaws.com/accelerator': 'nvidia-a10g',
        'nvidia.com/gpu.present': 'true',
      });
    }
    for (const g of groups('system')) expect(g.taint).toEqual([]);
  });

  it('scale from zero: the node-template label, taint and resource tags are on each GPU group’s ASG', () => {
    const p = 'k8s.io/cluster-autoscaler/node-template';
    for (const z of zones) {
      const tags = Object.values(res('aws_autoscaling_group_tag')).filter((t) =>
        t.autoscaling_group_name.includes(`aws_eks_node_group.gpu_${z}.`),
      );
      expect(tags.map((t) => t.autoscaling_group_name)).toEqual(
        Array(tags.length).fill(`\${aws_eks_node_group.gpu_${z}.resources[0].autoscaling_groups[0].name}`),
      );
      const byKey = Object.fromEntries(tags.map((t) => [t.tag.key, t.tag.value]));
      expect(byKey).toEqual({
        [`${p}/label/agent-platform.io/pool`]: 'gpu',
        [`${p}/label/k8s.amazonaws.com/accelerator`]: 'nvidia-a10g',
        [`${p}/label/nvidia.com/gpu.present`]: 'true',
        [`${p}/taint/nvidia.com/gpu`]: 'true:NoSchedule',
        [`${p}/resources/ephemeral-storage`]: '200G',
      });
      for (const t of tags) {
        expect(t.tag.propagate_at_launch).toBe(false);
        expect(t.for_each).toBeUndefined();
        expect(t.count).toBeUndefined();
      }
    }
  });

  it('the node role keeps the CNI policy and pulls images only', () => {
    const policies = Object.values(res('aws_iam_role_policy_attachment'))
      .filter((a) => a.role === ref('aws_iam_role', 'eks_node', 'name'))
      .map((a) => a.policy_arn.split('/').pop());
    expect(policies.sort()).toEqual(['AmazonEC2ContainerRegistryPullOnly', 'AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy']);
  });
});

describe('Pod Identity', () => {
  const assoc = res('aws_eks_pod_identity_association');
  const trust = (role: string) => json(one('aws_iam_role', role).assume_role_policy).Statement[0];

  it('one role per workload, trusted by pods.eks.amazonaws.com for that service account of this cluster only', () => {
    for (const [role, namespace, sa] of [
      ['pod_cluster_autoscaler', 'kube-system', 'cluster-autoscaler'],
      ['pod_platform_app', 'platform', 'platform-app'],
      ['pod_ebs_csi_driver', 'kube-system', 'ebs-csi-controller-sa'],
    ] as const) {
      expect(trust(role)).toEqual({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        // The session tags Pod Identity sets on every assumption.
        Condition: {
          StringEquals: {
            'aws:RequestTag/eks-cluster-arn': 'arn:aws:eks:eu-west-1:111122223333:cluster/agent-platform-production',
            'aws:RequestTag/kubernetes-namespace': namespace,
            'aws:RequestTag/kubernetes-service-account': sa,
          },
        },
      });
    }
  });

  it('every workload with a role can reach the Pod Identity agent under the enforced NetworkPolicies', () => {
    const { canReach, platform } = evaluate(synth(prod));
    const agent = { id: 'pod identity agent', namespace: '', labels: {}, ip: POD_IDENTITY_AGENT.cidr.split('/')[0] };
    const workloads = [
      ...Object.values(res('aws_eks_pod_identity_association')).map((a) => ({ namespace: a.namespace, sa: a.service_account })),
      { namespace: 'kube-system', sa: one('aws_eks_addon', 'aws_ebs_csi_driver').pod_identity_association[0].service_account },
    ];
    for (const w of workloads) {
      expect(canReach({ id: w.sa, namespace: w.namespace, labels: {} }, agent, POD_IDENTITY_AGENT.port), `${w.namespace}/${w.sa}`).toBe(
        true,
      );
    }
    // A workload with a role in one of the platform's default-deny namespaces gets the agent egress.
    expect(credentialEgressNamespaces(['kube-system', 'platform'], platform.namespaces)).toEqual([]);
    expect(credentialEgressNamespaces(['kube-system', platform.namespaces[0]!, platform.namespaces[0]!], platform.namespaces)).toEqual([
      platform.namespaces[0],
    ]);
  });

  it('associations bind the cluster autoscaler and the platform applications to their roles', () => {
    expect(assoc.pod_cluster_autoscaler).toMatchObject({
      namespace: 'kube-system',
      service_account: 'cluster-autoscaler',
      role_arn: ref('aws_iam_role', 'pod_cluster_autoscaler', 'arn'),
    });
    expect(assoc.pod_platform_app).toMatchObject({
      namespace: 'platform',
      service_account: 'platform-app',
      role_arn: ref('aws_iam_role', 'pod_platform_app', 'arn'),
    });
  });

  it('the autoscaler may resize only the ASGs EKS tagged as this cluster’s', () => {
    const statements = json(one('aws_iam_role_policy', 'pod_cluster_autoscaler').policy).Statement;
    const scale = statements.find((s: any) => s.Sid === 'ScaleOwnGroupsOnly');
    expect(scale.Action).toEqual(['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup']);
    expect(scale.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/k8s.io/cluster-autoscaler/agent-platform-production': 'owned' } });
    expect(statements.find((s: any) => s.Sid === 'Discover').Action).toContain('eks:DescribeNodegroup');
  });

  it('the applications may read the managed credentials and use the buckets, named one by one; never the RDS master secret', () => {
    const statements = json(one('aws_iam_role_policy', 'pod_platform_app').policy).Statement;
    const resources = statements.flatMap((s: any) => [s.Resource].flat());
    expect(resources).not.toContain('*');
    expect(resources).not.toContain(ref('aws_db_instance', 'postgres', 'master_user_secret[0].secret_arn'));
    expect(JSON.stringify(statements)).not.toContain('master_user_secret');
    expect(resources).toContain(`${ref('aws_s3_bucket', 'objectstore_agent-outputs', 'arn')}/*`);
  });
});

describe('managed services', () => {
  it('are chosen by the specs’ managed hint; Elasticsearch and Kibana run in the cluster unless OpenSearch is asked for', () => {
    const placement = placeServices(prod);
    expect(placement.managed.map((m) => m.configKey).sort()).toEqual(['objectstore', 'postgres', 'rabbitmq', 'redis']);
    const monitoring = prod.specs.filter((s) => s.component === 'monitoring').map((s) => s.name);
    expect(monitoring.length).toBeGreaterThan(5);
    expect(placement.inCluster.map((s) => s.name).sort()).toEqual(
      ['elasticsearch', 'kibana', 'kong', 'mailserver', 'nats', 'neo4j', 'ollama', 'qdrant', 'webmail', ...monitoring].sort(),
    );
    // ECK in the cluster, the API development and staging run.
    expect(Object.keys(res('helm_release'))).toEqual(expect.arrayContaining(['operator_eck', 'elasticsearch_eck', 'kibana_eck']));
    expect(res('aws_opensearch_domain')).toEqual({});
    // OpenSearch when the config asks: then Kibana does not run (the domain serves OpenSearch Dashboards).
    expect(placeServices(small).managed.map((m) => m.configKey)).toContain('elasticsearch');
    expect(placeServices(small).inCluster.map((s) => s.name)).not.toContain('kibana');
  });

  it('each admits the cluster’s nodes and pods only', () => {
    const rules = Object.entries(res('aws_vpc_security_group_ingress_rule')).filter(([n]) => n.includes('_from_nodes'));
    expect(rules.map(([n]) => n).sort()).toEqual([
      'postgres_from_nodes_5432',
      'rabbitmq_from_nodes_443',
      'rabbitmq_from_nodes_5671',
      'redis_from_nodes_6379',
      'vpc_endpoints_from_nodes',
    ]);
    expect(Object.keys(smallRes('aws_vpc_security_group_ingress_rule'))).toContain('opensearch_from_nodes_443');
    for (const [, r] of rules) {
      expect(r.referenced_security_group_id).toBe(ref('aws_security_group', 'nodes', 'id'));
      expect(r.cidr_ipv4).toBeUndefined();
    }
    // Addresses only where the internet comes in: the edge's load balancers, from target.edge.allowedCidrs.
    for (const [n, r] of Object.entries(res('aws_vpc_security_group_ingress_rule')))
      if (/^edge_(web|mail)_\d+_\d+$/.test(n)) expect(r.cidr_ipv4, n).toBe('0.0.0.0/0');
      else expect(r.cidr_ipv4, n).toBeUndefined();
  });

  it('PostgreSQL: RDS, Multi-AZ, gp3 encrypted with KMS, protected, backed up, Performance Insights, password in Secrets Manager', () => {
    const db = one('aws_db_instance', 'postgres');
    expect(db).toMatchObject({
      engine: 'postgres',
      engine_version: '18',
      auto_minor_version_upgrade: true,
      allow_major_version_upgrade: false,
      multi_az: true,
      storage_type: 'gp3',
      storage_encrypted: true,
      kms_key_id: ref('aws_kms_key', 'data', 'arn'),
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'agent-platform-production-postgres-final',
      performance_insights_enabled: true,
      manage_master_user_password: true,
      publicly_accessible: false,
      allocated_storage: 200,
      lifecycle: { prevent_destroy: true },
    });
    expect(db.backup_retention_period).toBeGreaterThanOrEqual(7);
    expect(db.password).toBeUndefined();
  });

  it('PostgreSQL: the parameter group carries the shared tuning and rds.force_ssl', () => {
    const params = Object.fromEntries(one('aws_db_parameter_group', 'postgres').parameter.map((p: any) => [p.name, p.value]));
    // large profile: shared_buffers 4Gi, effective_cache_size 12Gi (8 kB pages), 400 connections.
    expect(params).toMatchObject({
      'rds.force_ssl': '1',
      shared_buffers: String((4 * 2 ** 30) / 8192),
      effective_cache_size: String((12 * 2 ** 30) / 8192),
      max_connections: '400',
      work_mem: '4096',
    });
    expect(one('aws_db_parameter_group', 'postgres').family).toBe('postgres18');
  });

  it('PostgreSQL: the engine version is its own setting, not the image tag; a major upgrade is allowed only when asked', () => {
    const rds = (edit: (i: any) => void) => synth(prepare(variant('production', edit))).tf.resource;
    const upgraded = rds((i) => {
      i.services.postgres = { version: '17.7-alpine' };
      i.target.managed.postgres = { mode: 'managed', engineVersion: '17.7', allowMajorVersionUpgrade: true };
    });
    expect(upgraded.aws_db_instance!.postgres).toMatchObject({
      engine_version: '17.7',
      // A pinned minor is not upgraded behind the config's back.
      auto_minor_version_upgrade: false,
      allow_major_version_upgrade: true,
      parameter_group_name: ref('aws_db_parameter_group', 'postgres', 'name'),
    });
    expect(upgraded.aws_db_parameter_group!.postgres).toMatchObject({
      family: 'postgres17',
      name: 'agent-platform-production-postgres-17',
    });
  });

  it('Redis: ElastiCache (Valkey), Multi-AZ with failover, encrypted in transit and at rest, users (RBAC) instead of an AUTH token, snapshots', () => {
    const rg = one('aws_elasticache_replication_group', 'redis');
    expect(rg).toMatchObject({
      engine: 'valkey',
      num_cache_clusters: 3,
      multi_az_enabled: true,
      automatic_failover_enabled: true,
      transit_encryption_enabled: true,
      transit_encryption_mode: 'required',
      at_rest_encryption_enabled: 'true',
      kms_key_id: ref('aws_kms_key', 'data', 'arn'),
      user_group_ids: [ref('aws_elasticache_user_group', 'redis', 'user_group_id')],
      final_snapshot_identifier: 'agent-platform-production-redis-final',
    });
    expect(rg.auth_token).toBeUndefined();
    expect(rg.snapshot_retention_limit).toBeGreaterThanOrEqual(1);
    expect(one('aws_secretsmanager_secret_version', 'redis').secret_string).toContain('random_password.redis_password.result');
    expect(one('aws_elasticache_parameter_group', 'redis').parameter).toEqual([{ name: 'maxmemory-policy', value: 'allkeys-lru' }]);
  });

  it('RabbitMQ: Amazon MQ 4.2 on mq.m7g in the cluster deployment mode, private, credentials from Secrets Manager', () => {
    const mq = one('aws_mq_broker', 'rabbitmq');
    expect(mq).toMatchObject({
      engine_type: 'RabbitMQ',
      engine_version: '4.2',
      host_instance_type: 'mq.m7g.large',
      deployment_mode: 'CLUSTER_MULTI_AZ',
      publicly_accessible: false,
    });
    expect(mq.subnet_ids).toHaveLength(3);
    expect(mq.user).toEqual([
      { username: 'platform', password: '${jsondecode(aws_secretsmanager_secret_version.rabbitmq.secret_string).password}' },
    ]);
  });

  it('Elasticsearch as OpenSearch (when asked): in the VPC, zone-aware with dedicated masters and a standby, encrypted, HTTPS with TLS 1.2+, fine-grained access control', () => {
    const osRes = (type: string): Record<string, any> => smallRes(type);
    expect(Object.keys(osRes('aws_opensearch_domain'))).toEqual(['opensearch']);
    const d = osRes('aws_opensearch_domain').opensearch;
    expect(d.cluster_config).toMatchObject({
      instance_count: 3,
      zone_awareness_enabled: true,
      zone_awareness_config: { availability_zone_count: 3 },
      dedicated_master_enabled: true,
      dedicated_master_count: 3,
      multi_az_with_standby_enabled: true,
    });
    expect(d.vpc_options.subnet_ids).toHaveLength(3);
    expect(d.encrypt_at_rest).toEqual({ enabled: true, kms_key_id: ref('aws_kms_key', 'data', 'arn') });
    expect(d.node_to_node_encryption).toEqual({ enabled: true });
    expect(d.domain_endpoint_options).toEqual({ enforce_https: true, tls_security_policy: 'Policy-Min-TLS-1-2-PFS-2023-10' });
    expect(d.advanced_security_options).toMatchObject({ enabled: true, internal_user_database_enabled: true });
    expect(d.advanced_security_options.master_user_options.master_user_password).toBe(
      '${jsondecode(aws_secretsmanager_secret_version.opensearch.secret_string).password}',
    );
    expect(d.ebs_options).toMatchObject({ volume_type: 'gp3', volume_size: 50 });
  });

  it('Object store: S3 buckets named with project, environment and the account id, versioned, SSE-KMS, private, HTTPS only, lifecycle rules', () => {
    // The catalogue's buckets (Loki's is the monitoring stack's: test/monitoring-targets.test.ts).
    const buckets = Object.fromEntries(Object.entries(res('aws_s3_bucket')).filter(([k]) => k.startsWith('objectstore_')));
    expect(
      Object.values(buckets)
        .map((b) => b.bucket)
        .sort(),
    ).toEqual(['agent-outputs', 'user-uploads', 'workflow-artifacts'].map((b) => `agent-platform-production-${b}-111122223333`));
    // Without an account id, a suffix generated once (and kept in the state).
    expect(smallRes('random_id')['objectstore_bucket-suffix']).toEqual({ byte_length: 4 });
    expect(smallRes('aws_s3_bucket')['objectstore_agent-outputs'].bucket).toBe(
      'agent-platform-production-agent-outputs-${random_id.objectstore_bucket-suffix.hex}',
    );
    for (const name of Object.keys(buckets)) {
      expect(one('aws_s3_bucket_versioning', name).versioning_configuration).toEqual({ status: 'Enabled' });
      expect(one('aws_s3_bucket_server_side_encryption_configuration', name).rule[0]).toEqual({
        apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: ref('aws_kms_key', 'data', 'arn') },
        bucket_key_enabled: true,
      });
      expect(one('aws_s3_bucket_public_access_block', name)).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      const deny = json(one('aws_s3_bucket_policy', name).policy).Statement[0];
      expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
      const rules = one('aws_s3_bucket_lifecycle_configuration', name).rule;
      expect(rules.map((r: any) => r.id)).toEqual(['expire-old-versions', 'abort-incomplete-uploads']);
      expect(buckets[name].lifecycle).toEqual({ prevent_destroy: true });
    }
  });

  it('switch back to in-cluster by config: no RDS or Amazon MQ, the specs run in the cluster, other services stay managed', () => {
    expect(smallRes('aws_db_instance')).toEqual({});
    expect(smallRes('aws_mq_broker')).toEqual({});
    expect(placeServices(small).inCluster.map((s) => s.name)).toEqual(expect.arrayContaining(['postgres', 'rabbitmq']));
    expect(smallRes('kubernetes_config_map_v1').postgres_endpoint).toBeUndefined();
    // The medium profile has no high availability: no standby Redis zone.
    expect(smallRes('aws_elasticache_replication_group').redis.multi_az_enabled).toBe(false);
  });
});

describe('in the cluster', () => {
  it('kubernetes and helm providers are configured from the cluster with exec authentication', () => {
    const exec = {
      api_version: 'client.authentication.k8s.io/v1beta1',
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', ref('aws_eks_cluster', 'cluster', 'name'), '--region', 'eu-west-1', '--output', 'json'],
    };
    const k8s = tf.provider!.kubernetes[0];
    expect(k8s.host).toBe(ref('aws_eks_cluster', 'cluster', 'endpoint'));
    expect(k8s.cluster_ca_certificate).toBe('${base64decode(aws_eks_cluster.cluster.certificate_authority[0].data)}');
    expect(k8s.exec).toEqual([exec]);
    expect(tf.provider!.helm[0].kubernetes).toMatchObject({ host: k8s.host, exec });
  });

  it('nothing needs the cluster at plan time: no kubernetes_manifest, no kubernetes data sources', () => {
    expect(Object.keys(tf.resource).filter((t) => t === 'kubernetes_manifest')).toEqual([]);
    expect((tf as any).data).toBeUndefined();
  });

  it('the first Kubernetes calls wait for a node group, not only for the access-policy associations', () => {
    const waitsFor = [
      'aws_eks_access_policy_association.admin_platform-deploy',
      'aws_eks_access_policy_association.admin_platform-admin',
      ...zones.map((z) => `aws_eks_node_group.system_${z}`),
    ];
    expect(one('kubernetes_storage_class_v1', 'gp3').depends_on).toEqual(expect.arrayContaining(waitsFor));
    expect(one('kubernetes_namespace_v1', 'platform').depends_on).toEqual(expect.arrayContaining(waitsFor));
  });

  it('gp3 is the default StorageClass, encrypted, provisioned by the EBS CSI driver, volumes kept', () => {
    const sc = one('kubernetes_storage_class_v1', 'gp3');
    expect(sc.metadata.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(sc).toMatchObject({
      storage_provisioner: 'ebs.csi.aws.com',
      volume_binding_mode: 'WaitForFirstConsumer',
      reclaim_policy: 'Retain',
    });
    expect(sc.parameters).toMatchObject({ type: 'gp3', encrypted: 'true' });
  });

  it('the cluster autoscaler chart, pinned, discovering this cluster, after its Pod Identity association', () => {
    const ca = one('helm_release', 'cluster_autoscaler');
    expect(ca).toMatchObject({ chart: 'cluster-autoscaler', version: '9.59.0', namespace: 'kube-system' });
    expect(json(ca.values[0])).toMatchObject({
      autoDiscovery: { clusterName: 'agent-platform-production' },
      awsRegion: 'eu-west-1',
    });
    expect(ca.depends_on).toEqual(
      expect.arrayContaining(['aws_eks_pod_identity_association.pod_cluster_autoscaler', 'aws_eks_node_group.system_eu-west-1a']),
    );
  });

  it('the NVIDIA device plugin for the AL2023 NVIDIA AMI, not for Bottlerocket (which carries it)', () => {
    expect(one('helm_release', 'nvidia_device_plugin')).toMatchObject({ chart: 'nvidia-device-plugin', version: '0.20.0' });
    expect(smallRes('helm_release').nvidia_device_plugin).toBeUndefined();
  });

  it('managed endpoints as ConfigMaps, credentials as Secrets whose values are Terraform references', () => {
    const cms = Object.fromEntries(
      Object.entries(res('kubernetes_config_map_v1')).filter(([k]) => k.endsWith('_endpoint') && !k.startsWith('consumer_')),
    );
    expect(Object.keys(cms).sort()).toEqual(['objectstore_endpoint', 'postgres_endpoint', 'rabbitmq_endpoint', 'redis_endpoint']);
    // PostgreSQL: the default consumer's own role and database, nothing of the master's.
    expect(cms.postgres_endpoint.data).toEqual({
      host: ref('aws_db_instance', 'postgres', 'address'),
      port: '5432',
      database: 'apps',
      username: 'apps',
      sslmode: 'verify-full',
      'sslrootcert-url': RDS_CA_BUNDLE_URL,
    });
    const secrets = Object.fromEntries(
      Object.entries(res('kubernetes_secret_v1')).filter(([k]) => k.endsWith('_credentials') && !k.startsWith('consumer_')),
    );
    expect(Object.keys(secrets).sort()).toEqual(['postgres_credentials', 'rabbitmq_credentials', 'redis_credentials']);
    for (const s of Object.values(secrets)) {
      expect(s.data.password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
      expect(s.metadata.namespace).toBe('${kubernetes_namespace_v1.platform.metadata[0].name}');
    }
  });

  it("the in-cluster services publish the default consumer's connection facts into the applications' namespace", () => {
    const inCluster = env('production').specs.filter((x) => ['nats', 'neo4j', 'qdrant', 'kong'].includes(x.name));
    expect(inCluster).toHaveLength(4);
    for (const spec of inCluster) {
      const cm = res('kubernetes_config_map_v1')[`consumer_apps_${spec.component}_endpoint`];
      expect(cm?.metadata, spec.name).toMatchObject({ name: `${spec.component}-endpoint`, namespace: 'platform' });
    }
    // Ollama has no authentication: with the API gateway on, the default consumer reaches it through Kong.
    expect(res('kubernetes_config_map_v1').consumer_apps_ollama_endpoint).toBeUndefined();
  });

  it('no password anywhere in the stack is a literal', () => {
    const literal: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
      else if (typeof v === 'string' && /(password|auth_token|secret_string)$/i.test(path) && !v.startsWith('${')) literal.push(path);
    };
    walk(tf.resource, 'resource');
    expect(literal).toEqual([]);
  });
});

describe('state', () => {
  it('production: S3 backend with encryption and a lock file, bucket, key and region from config', () => {
    expect(tf.terraform.backend.s3).toEqual({
      bucket: 'agent-platform-terraform-state',
      key: 'production/terraform.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
    expect(tf.terraform.backend.s3.dynamodb_table).toBeUndefined();
  });

  it('development keeps a local backend', () => {
    expect(Object.keys(synth(env('development')).tf.terraform.backend)).toEqual(['local']);
  });
});

describe('scoped credentials (issue 14, point 7)', () => {
  const master = ref('aws_db_instance', 'postgres', 'master_user_secret[0].secret_arn');
  const pg = spec(prod, 'postgres');
  const job = () => one('kubernetes_job_v1', 'postgres_roles');

  it('RDS: each consumer gets its own role; its Secret holds that role and its generated password, in its namespace', () => {
    const apps = pg.facet.applications;
    // The environment's applications, and Roundcube (the platform's own consumer, not published).
    expect(apps.map((a) => a.consumer).sort()).toEqual([...prod.consumers.map((c) => c.name), 'webmail'].sort());
    const secret = one('kubernetes_secret_v1', 'postgres_credentials');
    expect(secret.metadata).toMatchObject({
      name: 'postgres-credentials',
      namespace: ref('kubernetes_namespace_v1', 'platform', 'metadata[0].name'),
    });
    expect(secret.data).toEqual({ username: 'apps', password: ref('random_password', 'postgres_consumer-apps-password', 'result') });
    // No Secret or ConfigMap in the cluster names the master secret or the master user's role.
    const objects = JSON.stringify([res('kubernetes_secret_v1'), res('kubernetes_config_map_v1')]);
    expect(objects).not.toContain('master_user_secret');
    const postgresSecrets = Object.values(res('kubernetes_secret_v1')).filter(
      (s: any) => s.metadata.labels?.['app.kubernetes.io/name'] === 'postgres',
    );
    expect(postgresSecrets.map((s: any) => s.data.username)).toEqual(['apps']);
  });

  it('RDS: only the roles job’s Pod Identity role may read the master secret', () => {
    const readers = Object.entries(res('aws_iam_role_policy'))
      .filter(([, p]) => p.policy.includes('master_user_secret'))
      .map(([k]) => k);
    expect(readers).toEqual(['pod_postgres_roles']);
    const statements = json(one('aws_iam_role_policy', 'pod_postgres_roles').policy).Statement;
    expect(statements.flatMap((s: any) => [s.Resource].flat()).sort()).toEqual([master, ref('aws_kms_key', 'data', 'arn')].sort());
    expect(res('aws_eks_pod_identity_association').pod_postgres_roles).toMatchObject({
      namespace: 'platform-admin',
      service_account: 'postgres-roles',
      role_arn: ref('aws_iam_role', 'pod_postgres_roles', 'arn'),
    });
  });

  it('RDS: the roles job fetches the master into memory, runs the catalogue’s psql non-root on a read-only root, and waits', () => {
    const j = job();
    expect(j.metadata).toMatchObject({ name: 'postgres-roles', namespace: 'platform-admin' });
    expect(j.wait_for_completion).toBe(true);
    const pod = j.spec.template.spec;
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, seccomp_profile: { type: 'RuntimeDefault' } });
    const [fetch, fetchCa] = pod.init_container;
    const [apply] = pod.container;
    expect(apply.image).toBe(imageName(pg.containers[0]!.image));
    expect(fetch.image).toBe(CURL_IMAGE);
    expect(fetchCa.image).toBe(CURL_IMAGE);
    for (const c of [fetch, fetchCa, apply]) {
      expect(c.security_context).toMatchObject({
        read_only_root_filesystem: true,
        allow_privilege_escalation: false,
        run_as_non_root: true,
      });
      expect(c.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    }
    const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(envOf(fetch)).toMatchObject({ SECRET_ARN: master, AWS_REGION: 'eu-west-1', OUT_DIR: '/run/master' });
    expect(envOf(apply)).toMatchObject({
      PGHOST: ref('aws_db_instance', 'postgres', 'address'),
      PGDATABASE: 'platform',
      // The server's certificate and name verified against the RDS bundle the second init container downloads.
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: `${CA_DIR}/${RDS_CA_FILE}`,
    });
    expect(envOf(fetchCa)).toMatchObject({ CA_URL: RDS_CA_BUNDLE_URL, CA_FILE: `${CA_DIR}/${RDS_CA_FILE}` });
    expect(fetchCa.command).toEqual(['sh', '-c', escapeLiteral(FETCH_CA_SCRIPT)]);
    expect(fetchCa.volume_mount.find((m: any) => m.name === 'ca')).toMatchObject({ mount_path: CA_DIR });
    expect(apply.volume_mount.find((m: any) => m.name === 'ca')).toMatchObject({ mount_path: CA_DIR, read_only: true });
    // The bundle is fetched over HTTPS only, and a download without a certificate fails the job.
    expect(FETCH_CA_SCRIPT).toContain("--proto '=https'");
    expect(FETCH_CA_SCRIPT).toContain('BEGIN CERTIFICATE');
    // The master lives in an in-memory volume of this pod only; the inputs Secret holds the applications' passwords.
    const volumes = Object.fromEntries(pod.volume.map((v: any) => [v.name, v]));
    expect(volumes.master.empty_dir).toMatchObject({ medium: 'Memory' });
    expect(volumes.ca.empty_dir).toMatchObject({ medium: 'Memory' });
    expect(apply.volume_mount.find((m: any) => m.name === 'master')).toMatchObject({ mount_path: '/run/master', read_only: true });
    expect(one('kubernetes_secret_v1', 'postgres_roles_inputs').data).toEqual({
      apps: ref('random_password', 'postgres_consumer-apps-password', 'result'),
      webmail: ref('random_password', 'postgres_consumer-webmail-password', 'result'),
    });
    // The script is the service's, for these applications: a changed password re-runs the job.
    expect(apply.command).toEqual(['sh', '-c', managedRolesScript(pg.facet.applications)]);
    expect(envOf(apply).INPUTS_SHA256).toContain('random_password.postgres_consumer-apps-password.result');
  });

  it('RDS: network policy lets the roles job reach PostgreSQL in the private subnets, the agent and DNS; nothing else of it', () => {
    const { canReach } = evaluate(synth(prod));
    const jobPod = { id: 'postgres-roles', namespace: 'platform-admin', labels: { ...job().spec.template.metadata.labels } };
    const other = { id: 'stray', namespace: 'platform-admin', labels: {} };
    const rds = { id: 'rds', namespace: '', labels: {}, ip: '10.40.33.10' }; // eu-west-1b's private subnet
    const elsewhere = { id: 'public subnet', namespace: '', labels: {}, ip: '10.40.96.10' };
    const agent = { id: 'agent', namespace: '', labels: {}, ip: POD_IDENTITY_AGENT.cidr.split('/')[0] };
    const dns = { id: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
    expect(canReach(jobPod, rds, 5432)).toBe(true);
    expect(canReach(jobPod, agent, POD_IDENTITY_AGENT.port)).toBe(true);
    expect(canReach(jobPod, dns, 53, 'UDP')).toBe(true);
    expect(canReach(jobPod, rds, 6379)).toBe(false);
    // HTTPS to AWS APIs outside the VPC (Secrets Manager through NAT), not to anything inside it.
    expect(canReach(jobPod, { id: 'secrets manager', namespace: '', labels: {}, ip: '52.94.1.1' }, 443)).toBe(true);
    // ... and the RDS trust store (truststore.pki.rds.amazonaws.com, a public address) for the CA bundle.
    expect(canReach(jobPod, { id: 'rds trust store', namespace: '', labels: {}, ip: '18.66.1.1' }, 443)).toBe(true);
    expect(canReach(jobPod, rds, 443)).toBe(false);
    expect(canReach(jobPod, elsewhere, 5432)).toBe(false);
    // Another pod in the namespace reaches no database; nothing reaches the job.
    expect(canReach(other, rds, 5432)).toBe(false);
    expect(canReach({ id: 'app', namespace: 'platform', labels: {} }, jobPod, 5432)).toBe(false);
  });

  it('RDS: consumers in their own namespaces each get their role there; none at all: no job, no application Secret', () => {
    const two = prepare(
      variant('production', (i) => {
        i.consumers = [{ name: 'agents' }, { name: 'billing', services: { postgres: { database: 'ledger' } } }];
      }),
    );
    const r = synth(two).tf.resource as any;
    expect(r.kubernetes_secret_v1.consumer_agents_postgres_credentials.metadata).toMatchObject({
      name: 'postgres-credentials',
      namespace: 'platform-agents',
    });
    expect(r.kubernetes_config_map_v1.consumer_billing_postgres_endpoint.data).toMatchObject({ database: 'ledger', username: 'billing' });
    expect(Object.keys(r.kubernetes_secret_v1.postgres_roles_inputs.data).sort()).toEqual(['agents', 'billing', 'webmail']);
    expect(r.kubernetes_secret_v1.postgres_credentials).toBeUndefined();
    // No application and Roundcube on SQLite: nobody needs a role, no job holds the master.
    const none = synth(
      prepare(
        variant('production', (i) => {
          i.consumers = [];
          i.services.mail.webmail = { database: 'sqlite', replicas: 1 };
        }),
      ),
    ).tf.resource as any;
    expect(none.kubernetes_job_v1?.postgres_roles).toBeUndefined();
    expect(none.kubernetes_secret_v1.postgres_credentials).toBeUndefined();
    expect(JSON.stringify(none.aws_iam_role_policy)).not.toContain('master_user_secret');
  });

  it('Roundcube keeps its data in RDS with its own role, waits for the roles job, and reaches PostgreSQL only in the private subnets', () => {
    const webmail = one('kubernetes_deployment_v1', 'webmail');
    const pod = webmail.spec.template.spec;
    const envOf = Object.fromEntries(pod.container[0].env.map((e: any) => [e.name, e.value]));
    expect(envOf).toMatchObject({
      ROUNDCUBEMAIL_DB_TYPE: 'pgsql',
      ROUNDCUBEMAIL_DB_HOST: ref('aws_db_instance', 'postgres', 'address'),
      ROUNDCUBEMAIL_DB_USER: 'webmail',
      ROUNDCUBEMAIL_DB_NAME: 'roundcube',
    });
    expect(Object.values(one('kubernetes_secret_v1', 'webmail_secret').data)).toContain(
      ref('random_password', 'postgres_consumer-webmail-password', 'result'),
    );
    expect(webmail.depends_on).toContain('kubernetes_job_v1.postgres_roles');
    expect(webmail.depends_on).not.toContain('kubernetes_job_v1.rabbitmq_users');
    expect(JSON.stringify(pod.volume ?? [])).not.toContain('persistent_volume_claim');
    // Roundcube's role is no application's: nothing is published for it.
    expect(Object.values(res('kubernetes_secret_v1')).map((x: any) => x.data?.username)).not.toContain('webmail');
    const { canReach } = evaluate(synth(prod));
    const rc = { id: 'webmail', namespace: 'platform-mail', labels: { ...pod.metadata?.labels, ...webmail.spec.template.metadata.labels } };
    expect(canReach(rc, { id: 'rds', namespace: '', labels: {}, ip: '10.40.64.20' }, 5432)).toBe(true);
    expect(canReach(rc, { id: 'rds', namespace: '', labels: {}, ip: '10.40.64.20' }, 6379)).toBe(false);
    expect(canReach(rc, { id: 'elsewhere', namespace: '', labels: {}, ip: '192.0.2.1' }, 5432)).toBe(false);
  });

  it('Roundcube verifies RDS (verify-full): its pod downloads the RDS bundle first, and its configuration connects with it', () => {
    const webmail = one('kubernetes_deployment_v1', 'webmail');
    const pod = webmail.spec.template.spec;
    // The roles job's download step (fetch-ca.sh, verified HTTPS), as an init container of the pod.
    expect(pod.init_container.map((c: any) => c.name)).toEqual(['fetch-ca']);
    const fetchCa = pod.init_container[0];
    expect(fetchCa.image).toBe(CURL_IMAGE);
    expect(fetchCa.command).toEqual(['sh', '-c', escapeLiteral(FETCH_CA_SCRIPT)]);
    const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(envOf(fetchCa)).toMatchObject({ CA_URL: RDS_CA_BUNDLE_URL, CA_FILE: ROUNDCUBE_DB_TRUST });
    expect(fetchCa.security_context).toMatchObject({
      read_only_root_filesystem: true,
      run_as_non_root: true,
      allow_privilege_escalation: false,
    });
    const dir = ROUNDCUBE_DB_TRUST.slice(0, ROUNDCUBE_DB_TRUST.lastIndexOf('/'));
    const volume = pod.volume.find((v: any) => v.name === 'server-ca');
    expect(volume.empty_dir).toMatchObject({ medium: 'Memory' });
    expect(fetchCa.volume_mount).toContainEqual(expect.objectContaining({ name: 'server-ca', mount_path: dir, read_only: false }));
    expect(pod.container[0].volume_mount).toContainEqual(expect.objectContaining({ name: 'server-ca', mount_path: dir, read_only: true }));
    // The configuration Roundcube includes replaces the image's DSN: verify-full against that file,
    // the password read from its file at run time (never in the ConfigMap).
    const php = one('kubernetes_config_map_v1', 'webmail_config').data['var_roundcube_config_platform.php'];
    expect(php).toContain(`if (is_readable('${ROUNDCUBE_DB_TRUST}'))`);
    expect(php).toContain("file_get_contents('/run/secrets/roundcube_db_password')");
    expect(php).toContain(
      `'@${ref('aws_db_instance', 'postgres', 'address')}:5432/roundcube?sslmode=verify-full&sslrootcert=${ROUNDCUBE_DB_TRUST}'`,
    );
    expect(php).not.toContain('random_password');
    // The download needs HTTPS to the trust store (a public address); nothing else opens.
    const { canReach } = evaluate(synth(prod));
    const rc = { id: 'webmail', namespace: 'platform-mail', labels: { ...webmail.spec.template.metadata.labels } };
    expect(canReach(rc, { id: 'truststore', namespace: '', labels: {}, ip: '203.0.113.10' }, 443)).toBe(true);
    expect(canReach(rc, { id: 'truststore', namespace: '', labels: {}, ip: '203.0.113.10' }, 80)).toBe(false);
  });

  it('OpenSearch (when asked): the master user sits in no Kubernetes Secret; a users job alone reads it, each application gets its own user', () => {
    const secrets = smallRes('kubernetes_secret_v1');
    const master = ref('aws_secretsmanager_secret', 'opensearch', 'arn');
    expect(JSON.stringify(secrets)).not.toContain('opensearch_master-password');
    expect(JSON.stringify(secrets)).not.toContain('aws_secretsmanager_secret.opensearch');
    expect(JSON.stringify(secrets)).not.toContain('aws_secretsmanager_secret_version.opensearch');
    expect(secrets.elasticsearch_credentials.data).toEqual({
      username: 'apps',
      password: ref('random_password', 'opensearch_consumer-apps-password', 'result'),
    });
    const readers = Object.entries(smallRes('aws_iam_role_policy'))
      .filter(([, p]) => p.policy.includes('aws_secretsmanager_secret.opensearch'))
      .map(([k]) => k);
    expect(readers).toEqual(['pod_opensearch_users']);
    const job = smallRes('kubernetes_job_v1').opensearch_users;
    const pod = job.spec.template.spec;
    expect(job.metadata.namespace).toBe('platform-admin');
    expect(pod.init_container[0].env).toContainEqual({ name: 'SECRET_ARN', value: master });
    expect(pod.container[0].image).toBe(CURL_IMAGE);
    const apps = spec(small, 'elasticsearch').facet.applications;
    expect(pod.container[0].command[2]).toBe(escapeLiteral(openSearchUsersScript(apps)));
    expect(Object.keys(smallRes('kubernetes_secret_v1').opensearch_users_inputs.data)).toEqual(apps.map((a) => a.consumer));
  });

  it('Amazon MQ: each application its own user on its own vhost; the administrator stays with the users job', () => {
    const secret = one('kubernetes_secret_v1', 'rabbitmq_credentials');
    expect(secret.data).toEqual({ username: 'apps', password: ref('random_password', 'rabbitmq_consumer-apps-password', 'result') });
    expect(one('kubernetes_config_map_v1', 'rabbitmq_endpoint').data).toMatchObject({ vhost: 'apps', username: 'apps' });
    // The administrator's password (the broker's user) is in no Kubernetes Secret but the job's own Pod Identity reads it.
    expect(JSON.stringify(res('kubernetes_secret_v1'))).not.toContain('random_password.rabbitmq_password.result');
    const readers = Object.entries(res('aws_iam_role_policy'))
      .filter(([, p]) => p.policy.includes('aws_secretsmanager_secret.rabbitmq'))
      .map(([k]) => k);
    expect(readers).toEqual(['pod_rabbitmq_users']);
    const pod = one('kubernetes_job_v1', 'rabbitmq_users').spec.template.spec;
    expect(pod.container[0].env).toContainEqual({
      name: 'RABBITMQ_API',
      value: ref('aws_mq_broker', 'rabbitmq', 'instances[0].console_url'),
    });
    expect(pod.container[0].command[2]).toBe(escapeLiteral(brokerUsersScript([{ consumer: 'apps', vhost: 'apps' }])));
    expect(one('kubernetes_secret_v1', 'rabbitmq_users_inputs').data).toEqual({
      apps: ref('random_password', 'rabbitmq_consumer-apps-password', 'result'),
    });
  });

  it('ElastiCache: each application its own user with the in-cluster ACL user’s grants; the administrator (`default`) in Secrets Manager only', () => {
    const redisSpec = spec(prod, 'redis');
    const apps = (redisSpec.consumers ?? []).filter((c) => c.platform === undefined);
    expect(apps.map((c) => c.consumer)).toEqual(prod.consumers.map((c) => c.name));
    const users = res('aws_elasticache_user');
    for (const c of apps) {
      const keys = String(c.facts['key-patterns']).split(' ');
      expect(users[`redis_consumer_${c.consumer}`]).toMatchObject({
        user_id: `agent-platform-production-redis-${c.consumer}`,
        user_name: c.consumer,
        engine: 'redis',
        // The in-cluster users.acl rule, as ElastiCache takes it (no `reset` keyword, `on` first).
        access_string: managedAccessString(keys),
        authentication_mode: { type: 'password', passwords: [ref('random_password', `redis_consumer-${c.consumer}-password`, 'result')] },
      });
      expect(applicationAclRule(keys)).toBe(`resetchannels ${managedAccessString(keys).slice('on '.length)}`);
      expect(managedAccessString(keys)).not.toMatch(/~\*|&\*|\+@dangerous|reset/);
    }
    expect(users.redis_default).toMatchObject({
      user_name: 'default',
      access_string: 'on ~* &* +@all',
      authentication_mode: {
        type: 'password',
        passwords: ['${jsondecode(aws_secretsmanager_secret_version.redis.secret_string).password}'],
      },
    });
    expect(one('aws_elasticache_user_group', 'redis')).toMatchObject({
      engine: 'redis',
      user_ids: [
        ref('aws_elasticache_user', 'redis_default', 'user_id'),
        ...apps.map((c) => ref('aws_elasticache_user', `redis_consumer_${c.consumer}`, 'user_id')),
      ],
    });
    // Each application's Secret holds its user; the administrator's password is in no Kubernetes Secret and no role reads it.
    expect(one('kubernetes_secret_v1', 'redis_credentials').data).toEqual({
      username: 'apps',
      password: ref('random_password', 'redis_consumer-apps-password', 'result'),
    });
    expect(one('kubernetes_config_map_v1', 'redis_endpoint').data).toMatchObject({
      username: 'apps',
      'key-patterns': 'apps:*',
      tls: 'true',
    });
    expect(JSON.stringify(res('kubernetes_secret_v1'))).not.toContain('random_password.redis_password.result');
    expect(Object.values(res('aws_iam_role_policy')).filter((p: any) => p.policy.includes('aws_secretsmanager_secret.redis'))).toEqual([]);
  });

  it('ElastiCache: a consumer’s own key patterns become its user’s', () => {
    const e = prepare(
      variant('production', (i) => void (i.consumers = [{ name: 'apps', services: { redis: { keys: ['sessions:*', 'jobs:*'] } } }])),
    );
    const user = synth(e).tf.resource.aws_elasticache_user!.redis_consumer_apps;
    expect(user.access_string).toBe('on ~sessions:* ~jobs:* &sessions:* &jobs:* +@all -@dangerous');
  });

  it('a consumer cannot take the admin jobs’ namespace', () => {
    expect(() => prepare(variant('production', (i) => void (i.consumers = [{ name: 'admin' }])))).toThrow(/platform-admin/);
  });
});
