/**
 * The monitoring stack per target, beyond what every target shares (test/monitoring.test.ts):
 * - Docker: the host exporters' host access (and nothing more), the log shipper without the engine's
 *   socket (a read-only API proxy holds it), every part's image pinned and its user stated;
 * - Kubernetes: kube-prometheus-stack, Loki, Alloy, Jaeger and the DCGM exporter as charts, node
 *   agents in their own privileged namespace with the reason, stable addresses of what holds data;
 * - AWS: the CloudWatch exporter with a read-only Pod Identity role, Grafana's CloudWatch datasource
 *   with its own, Loki in an S3 bucket through Pod Identity, the managed services' alerts on
 *   CloudWatch signals.
 */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { dockerApiProxyConfig } from '../constructs/services/alloy';
import { CLOUDWATCH_EXPORTER, YACE_ACTIONS, awsMonitored } from '../constructs/targets/aws/cloudwatch';
import { alertsOf } from '../monitoring/rules';
import { clusterRuleInputs } from '../constructs/targets/kubernetes/monitoring';
import { env, spec, synth, variant } from './helpers';

const values = (release: any) => Object.assign({}, ...(release.values ?? []).map((v: string) => JSON.parse(v.replaceAll('$${', '${'))));

describe('Docker: host and container metrics, the log shipper', () => {
  const dev = env('development');
  const { tf } = synth(dev);
  const c = tf.resource.docker_container!;

  it('node-exporter sees the host (its PID namespace, / read-only with rslave) as nobody, nothing more', () => {
    expect(c['node-exporter']).toMatchObject({ pid_mode: 'host', user: '65534:65534' });
    expect(c['node-exporter'].mounts).toEqual([
      { type: 'bind', source: '/', target: '/host', read_only: true, bind_options: { propagation: 'rslave' } },
    ]);
    expect(c['node-exporter'].privileged).toBeUndefined();
    expect(c['node-exporter'].ports).toEqual([]);
  });

  it('cAdvisor reads cgroups and Docker’s state read-only, /dev/kmsg, as root but not privileged, and the engine only through the proxy', () => {
    const ca = c.cadvisor;
    expect(ca.user).toBe('0:0');
    expect(ca.privileged).toBeUndefined();
    expect(ca.devices).toEqual([{ host_path: '/dev/kmsg', container_path: '/dev/kmsg', permissions: 'rwm' }]);
    expect(ca.mounts.map((m: any) => m.source).sort()).toEqual(['/', '/dev/disk', '/sys', '/var/lib/docker']);
    expect(ca.mounts.some((m: any) => m.source.endsWith('docker.sock'))).toBe(false);
    expect(ca.command).toContain('--docker=unix:///run/docker-api/docker.sock');
    expect(ca.volumes).toEqual([
      { volume_name: '${docker_volume.alloy_docker-api.name}', container_path: '/run/docker-api', read_only: true },
    ]);
  });

  it('Alloy runs as its own user with the proxy’s socket read-only; only the proxy mounts the engine’s socket', () => {
    expect(c.alloy.user).toBe('473:473');
    expect(c.alloy.mounts).toBeUndefined();
    const withSocket = Object.entries<any>(c).filter(([, x]) => (x.mounts ?? []).some((m: any) => m.source?.endsWith('docker.sock')));
    expect(withSocket.map(([k]) => k)).toEqual(['alloy_docker-api']);
    expect(c['alloy_docker-api'].labels).toContainEqual(expect.objectContaining({ label: 'platform.host-access' }));
    // GET and HEAD on container lists, inspection, logs and events; nothing else (the drill runs it: npm run verify).
    const cfg = dockerApiProxyConfig();
    expect(cfg).toContain('http-request deny unless read allowed');
    expect(cfg).toMatch(
      /acl allowed path -m reg \^\(\/v\[0-9\.\]\+\)\?\/\(_ping\|version\|info\|events\|networks\|containers\/json\|containers\/\[A-Za-z0-9_\.-\]\+\/\(json\|logs\|stats\)\)\$/,
    );
    // Another engine socket (rootless Docker, Podman) is a setting.
    const rootless = prepare(
      variant('development', (i) => (i.services.monitoring = { alloy: { dockerSocket: '/run/user/1000/docker.sock' } })),
    );
    expect(spec(rootless, 'alloy').containers[1]!.host!.mounts![0]!.hostPath).toBe('/run/user/1000/docker.sock');
  });

  it('ships every container’s log with its service and container labels, and counts Ollama’s refused requests', () => {
    const config = c.alloy.upload.find((u: any) => u.file === '/etc/alloy/config.alloy').content as string;
    expect(config).toContain('loki.source.docker "containers"');
    expect(config).toContain('values = ["app.kubernetes.io/part-of=agent-platform", "platform.environment=development"]');
    expect(config).toContain('url = "http://loki:3100/loki/api/v1/push"');
    expect(config).toContain('selector = "{service=\\"ollama\\"}"');
    expect(config).toContain('name        = "ollama_queue_full_total"');
  });

  it('without host metrics, neither host exporter runs', () => {
    const off = prepare(variant('development', (i) => (i.services.monitoring = { hostMetrics: { enabled: false } })));
    expect(off.specs.map((s) => s.name)).not.toContain('node-exporter');
    expect(off.specs.map((s) => s.name)).not.toContain('cadvisor');
  });

  it('the GPU exporter runs where a service uses GPUs', () => {
    expect(dev.specs.map((s) => s.name)).not.toContain('dcgm-exporter');
    const gpu = prepare(
      variant('development', (i) => {
        i.target.gpu = 2;
        i.services.ollama.gpus = 2;
      }),
    );
    // It sees the host's GPUs without asking for any (Docker: all of them, as a GPU workload gets).
    const dcgm = spec(gpu, 'dcgm-exporter').containers[0]!;
    expect(dcgm.gpus).toBeUndefined();
    expect(dcgm.host).toMatchObject({ gpus: true });
    expect(synth(gpu).tf.resource.docker_container!['dcgm-exporter'].gpus).toBe('all');
  });
});

describe('Kubernetes: the charts', () => {
  const staging = env('staging');
  const { tf } = synth(staging);
  const releases = tf.resource.helm_release!;

  it('kube-prometheus-stack 88.5.3, Loki 18.11.0 (grafana-community), Alloy 1.11.1, Jaeger 4.11.1, DCGM 4.8.2 (GPU nodes)', () => {
    const chart = (name: string) => `${releases[name].chart}@${releases[name].version}`;
    expect(chart('monitoring_kube_prometheus_stack')).toBe('kube-prometheus-stack@88.5.3');
    expect(releases.monitoring_loki).toMatchObject({
      repository: 'https://grafana-community.github.io/helm-charts',
      chart: 'loki',
      version: '18.11.0',
    });
    expect(chart('monitoring_alloy')).toBe('alloy@1.11.1');
    expect(chart('monitoring_jaeger')).toBe('jaeger@4.11.1');
    expect(chart('monitoring_dcgm_exporter')).toBe('dcgm-exporter@4.8.2');
    for (const r of Object.values<any>(releases)) expect(r.values[0]).not.toContain('kubernetes_manifest');
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
  });

  it('Loki is one binary, single tenant, filesystem storage on its volume, gateway, caches and canary off', () => {
    const v = values(releases.monitoring_loki);
    expect(v).toMatchObject({
      deploymentMode: 'Monolithic',
      singleBinary: { replicas: 1, persistence: { enabled: true, size: '50Gi' } },
      read: { replicas: 0 },
      write: { replicas: 0 },
      backend: { replicas: 0 },
      gateway: { enabled: false },
      chunksCache: { enabled: false },
      resultsCache: { enabled: false },
      lokiCanary: { enabled: false },
    });
    expect(v.loki).toMatchObject({ auth_enabled: false, storage: { type: 'filesystem' }, commonConfig: { replication_factor: 1 } });
    // Staging names no storage class: the cluster's default one, as every other volume.
    expect(v.singleBinary.persistence.storageClass).toBeUndefined();
  });

  it('Alloy is a DaemonSet on every node reading logs through the Kubernetes API, restricted (no hostPath, its own user)', () => {
    const v = values(releases.monitoring_alloy);
    expect(v.controller).toMatchObject({ type: 'daemonset', tolerations: [{ operator: 'Exists' }] });
    expect(v.alloy.mounts).toMatchObject({ varlog: false, dockercontainers: false });
    expect(v.alloy.configMap.content).toContain('loki.source.kubernetes "pods"');
    expect(v.alloy.configMap.content).toContain('url = "http://loki.agent-platform-monitoring.svc:3100/loki/api/v1/push"');
    expect(v.global.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 473 });
  });

  it('node-exporter and the DCGM exporter run in the node agents’ namespace, privileged with the reason; DCGM on the GPU nodes, non-root', () => {
    const kps = values(releases.monitoring_kube_prometheus_stack);
    expect(kps['prometheus-node-exporter'].namespaceOverride).toBe('agent-platform-node-agents');
    expect(releases.monitoring_dcgm_exporter.namespace).toBe('agent-platform-node-agents');
    const dcgm = values(releases.monitoring_dcgm_exporter);
    expect(dcgm).toMatchObject({
      // The GPU nodes as the environment names them (staging: NFD's NVIDIA PCI label).
      nodeSelector: { 'feature.node.kubernetes.io/pci-10de.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
      serviceMonitor: { enabled: false },
    });
    expect(JSON.stringify(dcgm)).not.toContain('SYS_ADMIN');
    const ns = tf.resource.kubernetes_namespace_v1!.namespace_node_agents;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.annotations['platform/pod-security-reason']).toContain('host network');
  });

  it('the stateful parts keep their addresses (a new address would recreate their volumes)', () => {
    expect(Object.keys(releases)).toEqual(expect.arrayContaining(['monitoring_kube_prometheus_stack', 'monitoring_loki']));
    expect(Object.keys(tf.resource.kubernetes_secret_v1!)).toEqual(expect.arrayContaining(['grafana_admin', 'monitoring_scrape_secret']));
    const dev = synth(env('development')).tf.resource.docker_volume!;
    expect(Object.keys(dev)).toEqual(expect.arrayContaining(['prometheus_data', 'alertmanager_data', 'grafana_data', 'loki_data']));
  });
});

describe('AWS: managed services through CloudWatch, logs in S3, through Pod Identity', () => {
  const prod = env('production');
  const { tf } = synth(prod);
  const r = tf.resource;

  it('the CloudWatch exporter reads CloudWatch and the tags, nothing else, through its service account', () => {
    const policy = JSON.parse(r.aws_iam_role_policy!.pod_cloudwatch_exporter.policy);
    expect(policy.Statement).toEqual([{ Sid: 'ReadCloudWatch', Effect: 'Allow', Action: YACE_ACTIONS, Resource: '*' }]);
    expect(YACE_ACTIONS.every((a) => /^(cloudwatch:(Get|List)|tag:Get)/.test(a))).toBe(true);
    expect(r.aws_eks_pod_identity_association!.pod_cloudwatch_exporter).toMatchObject({
      namespace: 'platform-monitoring',
      service_account: CLOUDWATCH_EXPORTER,
    });
    const deployment = r.kubernetes_deployment_v1![CLOUDWATCH_EXPORTER];
    expect(deployment.spec.template.spec.service_account_name).toBe(
      '${kubernetes_service_account_v1.cloudwatch-exporter_service_account.metadata[0].name}',
    );
    expect(r.kubernetes_service_account_v1!['cloudwatch-exporter_service_account'].metadata.name).toBe(CLOUDWATCH_EXPORTER);
  });

  it('its jobs read this environment’s resources only (the default tags), every five minutes', () => {
    const exporter = awsMonitored(prod).inCluster.find((s) => s.name === CLOUDWATCH_EXPORTER)!;
    const config = JSON.parse(exporter.containers[0]!.files[0]!.content as string);
    expect(config.discovery.jobs.map((j: any) => j.type).sort()).toEqual(
      ['AWS/AmazonMQ', 'AWS/ApplicationELB', 'AWS/ElastiCache', 'AWS/NetworkELB', 'AWS/RDS'].sort(),
    );
    // Elasticsearch runs in the cluster (its exporter is scraped); OpenSearch, when asked for, through CloudWatch.
    const opensearch = prepare(
      variant('production', (i) => {
        i.target.managed.elasticsearch = { mode: 'managed', instanceType: 'r6g.large.search' };
      }),
    );
    const withOpensearch = awsMonitored(opensearch).inCluster.find((s) => s.name === CLOUDWATCH_EXPORTER)!;
    expect(JSON.parse(withOpensearch.containers[0]!.files[0]!.content as string).discovery.jobs.map((j: any) => j.type)).toContain(
      'AWS/ES',
    );
    for (const j of config.discovery.jobs) {
      expect(j.searchTags).toEqual([
        { key: 'Project', value: '^agent-platform$' },
        { key: 'Environment', value: '^production$' },
      ]);
      expect(j).toMatchObject({ regions: ['eu-west-1'], period: 300, length: 300 });
    }
  });

  it('the managed services keep their alerts, on CloudWatch signals (no Sentinel, no members to count for a managed cache)', () => {
    const w = awsMonitored(prod);
    const alerts = alertsOf(
      clusterRuleInputs({
        specs: w.inCluster,
        managed: w.managed.map((m) => m.spec),
        managedSources: w.sources,
        certManager: false,
        runbookBase: '',
      }),
    );
    const names = alerts.map((a) => a.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'PostgresConnectionsNearMax',
        'RedisMemoryNearMax',
        'RedisEvictingKeys',
        'ElasticsearchNotGreen',
        'LoadBalancerUnhealthyTargets',
      ]),
    );
    expect(names).not.toContain('RedisSentinelNoQuorum');
    expect(alerts.filter((a) => a.name === 'ClusterMemberLost').map((a) => a.expr)).not.toContain(
      'platform:cluster_members{service="redis"} < 3',
    );
    const kps = values(r.helm_release!.monitoring_kube_prometheus_stack);
    const signals = JSON.stringify(
      kps.additionalPrometheusRulesMap.platform.groups.find((g: any) => g.name === 'platform-signals-postgres'),
    );
    expect(signals).toContain('aws_rds_database_connections_average');
    // RDS reports connections; the limit is the parameter group's max_connections (the spec's tuning).
    expect(signals).toContain(`/ ${spec(prod, 'postgres').facet.tuning.maxConnections}`);
  });

  it('Grafana’s CloudWatch datasource uses its service account’s read-only role', () => {
    const policy = JSON.parse(r.aws_iam_role_policy!.pod_grafana_cloudwatch.policy);
    for (const a of policy.Statement[0].Action) expect(a).toMatch(/^(cloudwatch|logs|ec2|tag):(Get|List|Describe|StartQuery|StopQuery)/);
    expect(r.aws_eks_pod_identity_association!.pod_grafana_cloudwatch).toMatchObject({
      namespace: 'platform-monitoring',
      service_account: 'grafana',
    });
  });

  it('Loki keeps its chunks in the environment’s bucket (TLS only, private, encrypted, expiring after the retention), reached through Pod Identity', () => {
    // Named as the catalogue's buckets: the account id makes the global name one nobody else holds.
    expect(r.aws_s3_bucket!.monitoring_logs.bucket).toBe('agent-platform-production-monitoring-logs-111122223333');
    const noAccount = synth(prepare(variant('production', (i) => delete i.target.accountId))).tf.resource;
    expect(noAccount.aws_s3_bucket!.monitoring_logs.bucket).toBe(
      'agent-platform-production-monitoring-logs-${random_id.monitoring_logs_suffix.hex}',
    );
    expect(r.aws_s3_bucket_public_access_block!.monitoring_logs).toMatchObject({ block_public_acls: true, restrict_public_buckets: true });
    expect(r.aws_s3_bucket_lifecycle_configuration!.monitoring_logs.rule[0]).toMatchObject({
      id: 'expire-past-retention',
      expiration: [{ days: 31 + 7 }],
    });
    const loki = values(r.helm_release!.monitoring_loki);
    expect(loki.loki.storage).toEqual({
      type: 's3',
      bucketNames: {
        chunks: 'agent-platform-production-monitoring-logs-111122223333',
        ruler: 'agent-platform-production-monitoring-logs-111122223333',
        admin: 'agent-platform-production-monitoring-logs-111122223333',
      },
      s3: { region: 'eu-west-1' },
    });
    expect(JSON.stringify(loki)).not.toMatch(/accessKeyId|secretAccessKey/);
    const policy = JSON.parse(r.aws_iam_role_policy!.pod_loki.policy);
    expect(policy.Statement.map((s: any) => s.Resource)).toEqual([
      '${aws_s3_bucket.monitoring_logs.arn}',
      '${aws_s3_bucket.monitoring_logs.arn}/*',
    ]);
    expect(r.aws_eks_pod_identity_association!.pod_loki).toMatchObject({ service_account: 'loki' });
  });

  it('per-node agents count the node pools’ maximum in the quota', () => {
    expect(awsMonitored(prod).maxNodes).toBe(9 + 4);
  });
});
