/**
 * The AWS target, family by family, on the synthesized production stack (and one smaller variant
 * for the switches): network, EKS, add-ons, node pools, Pod Identity, the managed services, what
 * goes into the cluster, and the backend.
 */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { eksVersions } from '../constructs/targets/aws/kubernetes-versions';
import { placeServices } from '../constructs/targets/aws/placement';
import { env, synth, variant } from './helpers';

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

// A smaller environment on the same target: medium profile (no high availability), Bottlerocket GPU
// nodes, PostgreSQL and RabbitMQ switched back into the cluster, cluster replacement allowed, private API endpoint only.
const small = prepare(
  variant('production', (i) => {
    i.profile = 'medium';
    i.target.eks.gpuNodePool.amiType = 'BOTTLEROCKET_x86_64_NVIDIA';
    i.target.managed.postgres = { mode: 'in-cluster' };
    i.target.managed.rabbitmq = { mode: 'in-cluster' };
    i.services.elasticsearch = { replicas: 1 };
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

  it('flow logs of all traffic to CloudWatch Logs with retention', () => {
    const log = one('aws_flow_log', 'vpc');
    expect(log).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs', vpc_id: ref('aws_vpc', 'vpc', 'id') });
    expect(log.log_destination).toBe(ref('aws_cloudwatch_log_group', 'flow_logs', 'arn'));
    expect(one('aws_cloudwatch_log_group', 'flow_logs').retention_in_days).toBe(90);
    expect(json(one('aws_iam_role', 'flow_logs').assume_role_policy).Statement[0].Principal.Service).toBe('vpc-flow-logs.amazonaws.com');
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

  it('control-plane interfaces in the intra subnets, nodes in the private ones', () => {
    expect(cluster.vpc_config.subnet_ids).toEqual(zones.map((z) => ref('aws_subnet', `intra_${z}`, 'id')));
    expect(one('aws_eks_node_group', 'system').subnet_ids).toEqual(zones.map((z) => ref('aws_subnet', `private_${z}`, 'id')));
  });

  it('Secrets envelope-encrypted with a rotating KMS key', () => {
    expect(cluster.encryption_config).toEqual({ resources: ['secrets'], provider: { key_arn: ref('aws_kms_key', 'eks', 'arn') } });
    for (const key of Object.values(res('aws_kms_key'))) expect(key.enable_key_rotation).toBe(true);
  });

  it('every control-plane log type on, into a log group with retention created first', () => {
    expect(cluster.enabled_cluster_log_types).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    expect(one('aws_cloudwatch_log_group', 'eks_cluster').name).toBe('/aws/eks/agent-platform-production/cluster');
    expect(cluster.depends_on).toContain('aws_cloudwatch_log_group.eks_cluster');
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
    expect(cluster.lifecycle).toEqual({ prevent_destroy: true });
    expect(smallRes('aws_eks_cluster').cluster.lifecycle).toEqual({ prevent_destroy: false });
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
    for (const pool of ['system', 'gpu']) {
      expect(one('aws_eks_node_group', pool).depends_on).toEqual(
        expect.arrayContaining(['aws_eks_addon.vpc_cni', 'aws_eks_addon.kube_proxy', 'aws_eks_addon.eks_pod_identity_agent']),
      );
    }
    expect(one('aws_eks_addon', 'coredns').depends_on).toEqual(['aws_eks_node_group.system']);
    expect(one('aws_eks_addon', 'aws_ebs_csi_driver').depends_on).toEqual(['aws_eks_node_group.system']);
    expect(one('aws_eks_addon', 'vpc_cni').depends_on).toBeUndefined();
    expect(one('aws_eks_cluster', 'cluster').bootstrap_self_managed_addons).toBe(false);
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
  it('launch templates require IMDSv2 and encrypt a gp3 disk of the configured size', () => {
    for (const [pool, size] of [
      ['system', 100],
      ['gpu', 200],
    ] as const) {
      const lt = one('aws_launch_template', pool);
      expect(lt.metadata_options).toMatchObject({ http_tokens: 'required', http_endpoint: 'enabled' });
      expect(lt.block_device_mappings[0].ebs).toMatchObject({ volume_type: 'gp3', encrypted: 'true', volume_size: size });
      expect(lt.vpc_security_group_ids).toEqual([ref('aws_security_group', 'nodes', 'id')]);
      expect(one('aws_eks_node_group', pool).launch_template.id).toBe(ref('aws_launch_template', pool, 'id'));
    }
  });

  it('sizes and instance types from config; the autoscaler owns the size afterwards', () => {
    expect(one('aws_eks_node_group', 'system')).toMatchObject({
      instance_types: ['m6i.2xlarge'],
      ami_type: 'AL2023_x86_64_STANDARD',
      scaling_config: { min_size: 3, max_size: 9, desired_size: 3 },
    });
    expect(one('aws_eks_node_group', 'gpu').scaling_config).toEqual({ min_size: 0, max_size: 4, desired_size: 1 });
    expect(one('aws_eks_node_group', 'gpu').lifecycle.ignore_changes).toEqual(['scaling_config[0].desired_size']);
  });

  it('the GPU pool runs the AL2023 NVIDIA AMI, tainted nvidia.com/gpu=true:NoSchedule and labelled', () => {
    const gpu = one('aws_eks_node_group', 'gpu');
    expect(gpu.ami_type).toBe('AL2023_x86_64_NVIDIA');
    expect(gpu.instance_types).toEqual(['g5.2xlarge']);
    expect(gpu.taint).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }]);
    expect(gpu.labels).toEqual({
      'agent-platform.io/pool': 'gpu',
      'k8s.amazonaws.com/accelerator': 'nvidia-a10g',
      'nvidia.com/gpu.present': 'true',
    });
    expect(one('aws_eks_node_group', 'system').taint).toEqual([]);
  });

  it('scale from zero: the node-template label, taint and resource tags are on the GPU pool ASG', () => {
    const tags = Object.values(res('aws_autoscaling_group_tag')).filter((t) =>
      t.autoscaling_group_name.includes('aws_eks_node_group.gpu.'),
    );
    expect(tags.map((t) => t.autoscaling_group_name)).toEqual(
      Array(tags.length).fill('${aws_eks_node_group.gpu.resources[0].autoscaling_groups[0].name}'),
    );
    const byKey = Object.fromEntries(tags.map((t) => [t.tag.key, t.tag.value]));
    const p = 'k8s.io/cluster-autoscaler/node-template';
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

  it('one role per workload, trusted by pods.eks.amazonaws.com only', () => {
    for (const role of ['pod_cluster_autoscaler', 'pod_platform_app', 'pod_ebs_csi_driver']) {
      expect(trust(role)).toEqual({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      });
    }
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

  it('the applications may read the managed credentials and use the buckets, named one by one', () => {
    const statements = json(one('aws_iam_role_policy', 'pod_platform_app').policy).Statement;
    const resources = statements.flatMap((s: any) => [s.Resource].flat());
    expect(resources).not.toContain('*');
    expect(resources).toContain(ref('aws_db_instance', 'postgres', 'master_user_secret[0].secret_arn'));
    expect(resources).toContain(`${ref('aws_s3_bucket', 'objectstore_agent-outputs', 'arn')}/*`);
  });
});

describe('managed services', () => {
  it('are chosen by the specs’ managed hint; Kibana is not run when Elasticsearch is OpenSearch', () => {
    const placement = placeServices(prod);
    expect(placement.managed.map((m) => m.configKey).sort()).toEqual(['elasticsearch', 'objectstore', 'postgres', 'rabbitmq', 'redis']);
    expect(placement.inCluster.map((s) => s.name).sort()).toEqual(['nats', 'neo4j', 'ollama', 'qdrant']);
  });

  it('each admits the cluster’s nodes and pods only', () => {
    const rules = Object.entries(res('aws_vpc_security_group_ingress_rule')).filter(([n]) => n.includes('_from_nodes'));
    expect(rules.map(([n]) => n).sort()).toEqual([
      'opensearch_from_nodes_443',
      'postgres_from_nodes_5432',
      'rabbitmq_from_nodes_443',
      'rabbitmq_from_nodes_5671',
      'redis_from_nodes_6379',
    ]);
    for (const [, r] of rules) {
      expect(r.referenced_security_group_id).toBe(ref('aws_security_group', 'nodes', 'id'));
      expect(r.cidr_ipv4).toBeUndefined();
    }
    for (const r of Object.values(res('aws_vpc_security_group_ingress_rule'))) expect(r.cidr_ipv4).toBeUndefined();
  });

  it('PostgreSQL: RDS, Multi-AZ, gp3 encrypted with KMS, protected, backed up, Performance Insights, password in Secrets Manager', () => {
    const db = one('aws_db_instance', 'postgres');
    expect(db).toMatchObject({
      engine: 'postgres',
      engine_version: '18',
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

  it('Redis: ElastiCache (Valkey), Multi-AZ with failover, encrypted in transit and at rest, AUTH token from Secrets Manager, snapshots', () => {
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
      auth_token: '${jsondecode(aws_secretsmanager_secret_version.redis.secret_string).password}',
      final_snapshot_identifier: 'agent-platform-production-redis-final',
    });
    expect(rg.snapshot_retention_limit).toBeGreaterThanOrEqual(1);
    expect(one('aws_secretsmanager_secret_version', 'redis').secret_string).toContain('random_password.redis_password.result');
    expect(one('aws_elasticache_parameter_group', 'redis').parameter).toEqual([{ name: 'maxmemory-policy', value: 'allkeys-lru' }]);
  });

  it('RabbitMQ: Amazon MQ in the cluster deployment mode, private, credentials from Secrets Manager', () => {
    const mq = one('aws_mq_broker', 'rabbitmq');
    expect(mq).toMatchObject({ engine_type: 'RabbitMQ', deployment_mode: 'CLUSTER_MULTI_AZ', publicly_accessible: false });
    expect(mq.subnet_ids).toHaveLength(3);
    expect(mq.user).toEqual([
      { username: 'platform', password: '${jsondecode(aws_secretsmanager_secret_version.rabbitmq.secret_string).password}' },
    ]);
  });

  it('Elasticsearch: OpenSearch in the VPC, zone-aware with dedicated masters, encrypted, HTTPS with TLS 1.2+, fine-grained access control', () => {
    const d = one('aws_opensearch_domain', 'opensearch');
    expect(d.cluster_config).toMatchObject({
      instance_count: 3,
      zone_awareness_enabled: true,
      zone_awareness_config: { availability_zone_count: 3 },
      dedicated_master_enabled: true,
      dedicated_master_count: 3,
    });
    expect(d.vpc_options.subnet_ids).toHaveLength(3);
    expect(d.encrypt_at_rest).toEqual({ enabled: true, kms_key_id: ref('aws_kms_key', 'data', 'arn') });
    expect(d.node_to_node_encryption).toEqual({ enabled: true });
    expect(d.domain_endpoint_options).toEqual({ enforce_https: true, tls_security_policy: 'Policy-Min-TLS-1-2-PFS-2023-10' });
    expect(d.advanced_security_options).toMatchObject({ enabled: true, internal_user_database_enabled: true });
    expect(d.advanced_security_options.master_user_options.master_user_password).toBe(
      '${jsondecode(aws_secretsmanager_secret_version.opensearch.secret_string).password}',
    );
    expect(d.ebs_options).toMatchObject({ volume_type: 'gp3', volume_size: 200 });
  });

  it('Object store: S3 buckets with the catalogue names prefixed, versioned, SSE-KMS, private, HTTPS only, lifecycle rules', () => {
    const buckets = res('aws_s3_bucket');
    expect(
      Object.values(buckets)
        .map((b) => b.bucket)
        .sort(),
    ).toEqual(['agent-outputs', 'user-uploads', 'workflow-artifacts'].map((b) => `agent-platform-production-${b}`));
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
    // The medium profile has no high availability: one OpenSearch node, no standby Redis zone.
    expect(smallRes('aws_opensearch_domain').opensearch.cluster_config).toMatchObject({
      zone_awareness_enabled: false,
      dedicated_master_enabled: false,
    });
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
      expect.arrayContaining(['aws_eks_pod_identity_association.pod_cluster_autoscaler', 'aws_eks_node_group.system']),
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
    expect(Object.keys(cms).sort()).toEqual([
      'elasticsearch_endpoint',
      'objectstore_endpoint',
      'postgres_endpoint',
      'rabbitmq_endpoint',
      'redis_endpoint',
    ]);
    expect(cms.postgres_endpoint.data).toMatchObject({
      host: ref('aws_db_instance', 'postgres', 'address'),
      'password-secret-arn': ref('aws_db_instance', 'postgres', 'master_user_secret[0].secret_arn'),
    });
    const secrets = Object.fromEntries(
      Object.entries(res('kubernetes_secret_v1')).filter(([k]) => k.endsWith('_credentials') && !k.startsWith('consumer_')),
    );
    expect(Object.keys(secrets).sort()).toEqual(['elasticsearch_credentials', 'rabbitmq_credentials', 'redis_credentials']);
    for (const s of Object.values(secrets)) {
      expect(s.data.password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
      expect(s.metadata.namespace).toBe('${kubernetes_namespace_v1.platform.metadata[0].name}');
    }
  });

  it("the in-cluster services publish the default consumer's connection facts into the applications' namespace", () => {
    const inCluster = env('production').specs.filter((x) => ['nats', 'neo4j', 'qdrant', 'ollama'].includes(x.name));
    for (const spec of inCluster) {
      const cm = res('kubernetes_config_map_v1')[`consumer_apps_${spec.component}_endpoint`];
      expect(cm?.metadata, spec.name).toMatchObject({ name: `${spec.component}-endpoint`, namespace: 'platform' });
    }
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
