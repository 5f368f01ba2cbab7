/**
 * The guardrails (security/): every rule fires on a bad construct (a spec variant, or a minimal
 * synthesized JSON), the shipped environments and the fixtures pass with no unwaived error, waivers
 * are validated, applied per resource and listed, and a refused synthesis prints one report and
 * writes nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tpl, secretRef } from '../constructs/spec/template';
import type { ContainerSpec, ServiceSpec } from '../constructs/spec/types';
import { GUARDRAIL_RULE_ID } from '../environments/parse/schema';
import { ConfigError } from '../environments/parse/load';
import { type TerraformConfig, resourceViolations } from '../security/resource-rules';
import { RULES, RULE_ID_FORM, type RuleId, ruleIds } from '../security/rules';
import { backupRules, specRules } from '../security/spec-rules';
import { GuardrailError, covers, refuses, report, verdict, waiversInForce } from '../security/waivers';
import { run } from '../stacks/cli';
import { guardrails, prepare } from '../stacks/pipeline';
import { renderers } from '../stacks/renderers';
import { TerraformResource } from '../constructs/providers/cdktf';
import { bootstrapOf, env, everyEnvironment, spec, synth, synthBootstrap, variant, scratch } from './helpers';

const docs = fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'operations.md'), 'utf8');
const rulesOf = (vs: readonly { rule: RuleId }[]) => [...new Set(vs.map((v) => v.rule))].sort();

describe('the rules', () => {
  it('have unique ids of one form, which the environment schema checks waivers against', () => {
    expect(ruleIds.length).toBeGreaterThanOrEqual(20);
    for (const id of ruleIds) expect(id).toMatch(RULE_ID_FORM);
    expect(GUARDRAIL_RULE_ID.source).toBe(RULE_ID_FORM.source);
  });

  it('each say what they refuse, how to fix it, and where they look', () => {
    for (const id of ruleIds) {
      const r = RULES[id];
      expect(r.title.length, id).toBeGreaterThan(20);
      expect(r.fix.length, id).toBeGreaterThan(20);
      expect(r.stages.length, id).toBeGreaterThan(0);
      expect(['error', 'warning']).toContain(r.severity);
    }
  });

  it('are documented in docs/operations.md with their severity and their checkov counterparts', () => {
    for (const id of ruleIds) {
      const row = docs.split('\n').find((l) => l.startsWith(`| ${id} `));
      expect(row, id).toBeDefined();
      expect(row, id).toContain(RULES[id].severity);
      for (const prior of RULES[id].priorArt.filter((p) => p.startsWith('CKV'))) expect(row, `${id} ${prior}`).toContain(prior);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Spec-level rules: a fixture's spec, broken one way at a time.

const dev = env('development');
const redis = spec(dev, 'redis');
const withMain = (s: ServiceSpec, edit: (c: ContainerSpec) => ContainerSpec): ServiceSpec => ({
  ...s,
  containers: s.containers.map((c, i) => (i === 0 ? edit(c) : c)),
});
const firing = (s: ServiceSpec) => rulesOf(specRules(s));

describe('a stateful service without a backup (PLAT-DATA-004, PLAT-DATA-005)', () => {
  const pg = spec(dev, 'postgres');
  const kept = { backups: dev.backups, protectData: true };

  it('the fixture spec with its plan breaks neither', () => {
    expect(pg.volumes.some((v) => v.backup)).toBe(true);
    expect(backupRules(pg, kept)).toEqual([]);
  });

  it('fires on a spec with a volume marked for backup and no plan', () => {
    const { backup: _plan, ...bare } = pg;
    expect(rulesOf(backupRules(bare, kept))).toEqual(['PLAT-DATA-004']);
    expect(backupRules(bare, kept)[0]!.resource).toBe(pg.configPath);
  });

  it('fires on a plan that leaves a marked volume out', () => {
    const partial = { ...pg, volumes: [...pg.volumes, { name: 'extra', size: '1Gi', description: 'x', backup: true }] };
    expect(backupRules(partial, kept).map((v) => v.message)).toEqual([expect.stringContaining('volumes extra are marked for backup')]);
  });

  it('backups off: a warning per stateful service where the environment keeps its data, nothing where it is disposable', () => {
    const { backup: _plan, ...bare } = pg;
    expect(rulesOf(backupRules(bare, { protectData: true }))).toEqual(['PLAT-DATA-005']);
    expect(RULES['PLAT-DATA-005'].severity).toBe('warning');
    expect(backupRules(bare, { protectData: false })).toEqual([]);
    const off = prepare(
      variant('development', (i) => {
        i.backups = { enabled: false };
        i.protectData = true;
      }),
    );
    const v = guardrails(off, synth(off).full);
    expect(v.failing).toEqual([]);
    expect(new Set(v.warnings.map((w) => w.rule))).toContain('PLAT-DATA-005');
  });
});

describe('spec rules fire on a bad spec', () => {
  it('a spec as built breaks none of them', () => {
    expect(specRules(redis)).toEqual([]);
  });

  const cases: [RuleId, string, (s: ServiceSpec) => ServiceSpec][] = [
    ['PLAT-CTR-001', 'an image on latest', (s) => withMain(s, (c) => ({ ...c, image: { repository: 'redis', tag: 'latest' } }))],
    ['PLAT-CTR-001', 'an image without tag or digest', (s) => withMain(s, (c) => ({ ...c, image: { repository: 'redis' } }))],
    [
      'PLAT-CTR-002',
      'no memory limit',
      (s) => withMain(s, (c) => ({ ...c, resources: { ...c.resources, limits: { cpu: '1', memory: '0Mi' } } })),
    ],
    ['PLAT-CTR-003', 'no health check', (s) => withMain(s, (c) => ({ ...c, health: { ...c.health, exec: [] } }))],
    ['PLAT-CTR-004', 'root without host access', (s) => withMain(s, (c) => ({ ...c, user: '0:0' }))],
    ['PLAT-CTR-004', 'starts as root without a reason', (s) => withMain(s, (c) => ({ ...c, startsAsRoot: ' ' }))],
    [
      'PLAT-SEC-001',
      'a literal password variable',
      (s) => withMain(s, (c) => ({ ...c, env: { ...c.env, REDIS_PASSWORD: 'hunter2hunter2' } })),
    ],
    ['PLAT-SEC-002', 'a default credential', (s) => withMain(s, (c) => ({ ...c, args: ['redis-server', '--requirepass', 'changeme'] }))],
    [
      'PLAT-SEC-003',
      'a secret in the environment',
      (s) => withMain(s, (c) => ({ ...c, env: { ...c.env, REDIS_PASSWORD: tpl`${secretRef('redis', 'password')}` } })),
    ],
    [
      'PLAT-SEC-004',
      "a secret file's content on a command line",
      (s) =>
        withMain(s, (c) => ({
          ...c,
          health: {
            ...c.health,
            exec: ['sh', '-c', `redis-cli -a "$(cat ${c.files.find((f) => f.path.endsWith('auth.conf'))!.path})" ping`],
          },
        })),
    ],
    [
      'PLAT-SEC-005',
      'a secret file readable by everyone',
      (s) => withMain(s, (c) => ({ ...c, files: c.files.map((f) => (f.path.endsWith('auth.conf') ? { ...f, mode: 0o644 } : f)) })),
    ],
    ['PLAT-SEC-006', 'a short secret', (s) => ({ ...s, secrets: s.secrets.map((x, i) => (i === 0 ? { ...x, length: 8 } : x)) })],
    [
      'PLAT-NET-003',
      "a data service's client port routed from outside",
      (s) => withMain(s, (c) => ({ ...c, ports: c.ports.map((p, i) => (i === 0 ? { ...p, external: true as const } : p)) })),
    ],
  ];
  for (const [rule, what, edit] of cases) {
    it(`${rule}: ${what}`, () => {
      const violations = specRules(edit(redis));
      expect(rulesOf(violations)).toEqual([rule]);
      expect(violations[0]!.resource).toBe('services.redis');
    });
  }

  it('PLAT-CTR-004: root with host access that says why is not refused', () => {
    expect(firing(withMain(redis, (c) => ({ ...c, user: '0:0', host: { reason: 'reads the host', pid: true } })))).toEqual([]);
  });

  it('PLAT-NET-003: a web UI routed from outside is not a data port', () => {
    expect(firing(spec(env('staging'), 'kibana'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Resource-level rules: a minimal synthesized configuration, broken one way at a time.

const cfg = (...resources: [string, string, any][]): TerraformConfig => {
  const resource: Record<string, Record<string, any>> = {};
  for (const [type, name, body] of resources) (resource[type] ??= {})[name] = body;
  return { resource };
};
const check = (json: TerraformConfig, protectData = true) => resourceViolations(json, { protectData });
const fires = (json: TerraformConfig, protectData = true) => rulesOf(check(json, protectData));

const goodContainer = {
  image: '${docker_image.redis.image_id}',
  user: '999:1000',
  memory: 512,
  cpu_quota: 100000,
  healthcheck: { test: ['CMD', 'redis-cli', 'ping'] },
  ports: [{ internal: 6380, external: 17380, ip: '127.0.0.1' }],
  env: ['REDIS_PASSWORD_FILE=/run/secrets/redis-password'],
  labels: [{ label: 'app.kubernetes.io/name', value: 'redis' }],
};
const podOf = (container: any, pod: any = {}) => ({
  security_context: { run_as_non_root: true, run_as_user: '999' },
  container: [container],
  ...pod,
});
const goodK8sContainer = {
  name: 'main',
  image: 'redis:7.4.11-alpine',
  resources: { limits: { cpu: '1', memory: '1Gi' } },
  readiness_probe: { exec: { command: ['true'] } },
  security_context: { allow_privilege_escalation: false, privileged: false, run_as_non_root: true, capabilities: { drop: ['ALL'] } },
};
const deployment = (container: any = goodK8sContainer, pod: any = {}) => ({
  metadata: { name: 'x', namespace: 'agent-platform-data' },
  spec: { template: { metadata: { labels: { app: 'x' } }, spec: podOf(container, pod) } },
});
const namespace = (name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({
  metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', ...labels }, annotations },
});
const denyAll = (ns: string) => ({
  metadata: { name: 'default-deny', namespace: ns },
  spec: { pod_selector: {}, policy_types: ['Ingress', 'Egress'] },
});

describe('resource rules fire on a bad resource', () => {
  it('a good container, pod and namespace break none of them', () => {
    expect(
      check(
        cfg(
          ['docker_image', 'redis', { name: 'redis:7.4.11-alpine' }],
          ['docker_container', 'redis', goodContainer],
          ['kubernetes_namespace_v1', 'data', namespace('agent-platform-data', { 'platform/concern': 'data' })],
          ['kubernetes_network_policy_v1', 'deny', denyAll('agent-platform-data')],
          ['kubernetes_deployment_v1', 'x', deployment()],
        ),
      ),
    ).toEqual([]);
  });

  const cases: [RuleId, string, TerraformConfig, boolean?][] = [
    ['PLAT-CTR-001', 'a Docker image on latest', cfg(['docker_image', 'x', { name: 'redis:latest' }])],
    ['PLAT-CTR-001', 'a Docker image without a tag', cfg(['docker_image', 'x', { name: 'registry:5000/redis' }])],
    [
      'PLAT-CTR-001',
      'a pod image without a tag',
      cfg(['kubernetes_deployment_v1', 'x', deployment({ ...goodK8sContainer, image: 'redis' })]),
    ],
    ['PLAT-CTR-002', 'a Docker container without a memory limit', cfg(['docker_container', 'x', { ...goodContainer, memory: 0 }])],
    [
      'PLAT-CTR-002',
      'a pod container without limits',
      cfg(['kubernetes_deployment_v1', 'x', deployment({ ...goodK8sContainer, resources: { requests: { cpu: '1' } } })]),
    ],
    [
      'PLAT-CTR-003',
      'a Docker container without a health check',
      cfg(['docker_container', 'x', { ...goodContainer, healthcheck: undefined }]),
    ],
    [
      'PLAT-CTR-003',
      'a Deployment container without probes',
      cfg(['kubernetes_deployment_v1', 'x', deployment({ ...goodK8sContainer, readiness_probe: undefined })]),
    ],
    [
      'PLAT-CTR-004',
      'a privileged Docker container without a reason',
      cfg(['docker_container', 'x', { ...goodContainer, privileged: true }]),
    ],
    ['PLAT-CTR-004', 'a Docker container in the host network', cfg(['docker_container', 'x', { ...goodContainer, network_mode: 'host' }])],
    [
      'PLAT-CTR-004',
      'a Docker container running as root without a reason',
      cfg(['docker_container', 'x', { ...goodContainer, user: '0:0' }]),
    ],
    [
      'PLAT-CTR-004',
      'a pod in the host network',
      cfg(['kubernetes_deployment_v1', 'x', deployment(goodK8sContainer, { host_network: true })]),
    ],
    [
      'PLAT-CTR-004',
      'a privileged pod container',
      cfg([
        'kubernetes_deployment_v1',
        'x',
        deployment({ ...goodK8sContainer, security_context: { ...goodK8sContainer.security_context, privileged: true } }),
      ]),
    ],
    [
      'PLAT-CTR-004',
      'a pod container as uid 0',
      cfg([
        'kubernetes_deployment_v1',
        'x',
        deployment(
          { ...goodK8sContainer, security_context: { ...goodK8sContainer.security_context, run_as_non_root: false, run_as_user: '0' } },
          {
            security_context: {},
          },
        ),
      ]),
    ],
    [
      'PLAT-SEC-001',
      'a literal password in a Docker environment',
      cfg(['docker_container', 'x', { ...goodContainer, env: ['DB_PASSWORD=hunter2hunter2'] }]),
    ],
    [
      'PLAT-SEC-001',
      'a literal token in a pod environment',
      cfg(['kubernetes_deployment_v1', 'x', deployment({ ...goodK8sContainer, env: [{ name: 'API_TOKEN', value: 'abc123abc123' }] })]),
    ],
    [
      'PLAT-SEC-002',
      'a default credential in any resource',
      cfg(['helm_release', 'x', { values: ['{"auth":{"password":"minioadmin"}}'] }]),
    ],
    [
      'PLAT-NET-001',
      'a Docker port on every interface',
      cfg(['docker_container', 'x', { ...goodContainer, ports: [{ internal: 6380, external: 6380 }] }]),
    ],
    [
      'PLAT-NET-001',
      'a Docker port on a public address',
      cfg(['docker_container', 'x', { ...goodContainer, ports: [{ internal: 6380, external: 6380, ip: '0.0.0.0' }] }]),
    ],
    [
      'PLAT-NET-002',
      'SSH open to the world',
      cfg([
        'aws_vpc_security_group_ingress_rule',
        'x',
        { security_group_id: '${aws_security_group.nodes.id}', cidr_ipv4: '0.0.0.0/0', ip_protocol: 'tcp', from_port: 22, to_port: 22 },
      ]),
    ],
    [
      'PLAT-NET-002',
      'HTTPS open to the world on a group no load balancer uses',
      cfg([
        'aws_vpc_security_group_ingress_rule',
        'x',
        { security_group_id: '${aws_security_group.nodes.id}', cidr_ipv4: '0.0.0.0/0', ip_protocol: 'tcp', from_port: 443, to_port: 443 },
      ]),
    ],
    [
      'PLAT-NET-002',
      'every port over IPv6 in an inline rule',
      cfg(['aws_security_group', 'x', { ingress: [{ protocol: '-1', from_port: 0, to_port: 0, ipv6_cidr_blocks: ['::/0'] }] }]),
    ],
    [
      'PLAT-NET-003',
      'a public RDS instance',
      cfg([
        'aws_db_instance',
        'x',
        { publicly_accessible: true, storage_encrypted: true, backup_retention_period: 7, deletion_protection: true },
      ]),
    ],
    ['PLAT-NET-003', 'a public broker', cfg(['aws_mq_broker', 'x', { publicly_accessible: true, lifecycle: { prevent_destroy: true } }])],
    [
      'PLAT-NET-003',
      'a bucket without a public access block',
      cfg(
        ['aws_s3_bucket', 'b', { bucket: 'b', lifecycle: { prevent_destroy: true } }],
        ['aws_s3_bucket_server_side_encryption_configuration', 'b', { bucket: '${aws_s3_bucket.b.id}' }],
      ),
    ],
    [
      'PLAT-NET-003',
      'a LoadBalancer Service in the data namespace',
      cfg(
        ['kubernetes_namespace_v1', 'data', namespace('agent-platform-data', { 'platform/concern': 'data' })],
        ['kubernetes_network_policy_v1', 'deny', denyAll('agent-platform-data')],
        [
          'kubernetes_service_v1',
          'redis',
          { metadata: { name: 'redis', namespace: 'agent-platform-data' }, spec: { type: 'LoadBalancer' } },
        ],
      ),
    ],
    [
      'PLAT-NET-004',
      'an EKS endpoint public to every address',
      cfg(['aws_eks_cluster', 'x', { vpc_config: { endpoint_public_access: true }, encryption_config: { resources: ['secrets'] } }]),
    ],
    [
      'PLAT-NET-006',
      'ElastiCache without TLS',
      cfg([
        'aws_elasticache_replication_group',
        'x',
        { at_rest_encryption_enabled: 'true', snapshot_retention_limit: 7, lifecycle: { prevent_destroy: true } },
      ]),
    ],
    [
      'PLAT-NET-006',
      'RDS PostgreSQL without rds.force_ssl',
      cfg(['aws_db_instance', 'x', { engine: 'postgres', storage_encrypted: true, backup_retention_period: 7, deletion_protection: true }]),
    ],
    [
      'PLAT-DATA-001',
      'an unencrypted EBS volume',
      cfg(['aws_ebs_volume', 'x', { encrypted: false, lifecycle: { prevent_destroy: true } }]),
    ],
    [
      'PLAT-DATA-001',
      'a launch template with an unencrypted disk',
      cfg([
        'aws_launch_template',
        'x',
        { block_device_mappings: [{ ebs: { encrypted: 'false' } }], metadata_options: { http_tokens: 'required' } },
      ]),
    ],
    [
      'PLAT-DATA-001',
      'an EBS StorageClass without encryption',
      cfg([
        'kubernetes_storage_class_v1',
        'x',
        { metadata: { name: 'gp3' }, storage_provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' } },
      ]),
    ],
    [
      'PLAT-DATA-001',
      'an EKS cluster whose Secrets are not envelope-encrypted',
      cfg(['aws_eks_cluster', 'x', { vpc_config: { endpoint_public_access: false } }]),
    ],
    ['PLAT-DATA-002', 'a KMS key without rotation', cfg(['aws_kms_key', 'x', { enable_key_rotation: false }])],
    [
      'PLAT-DATA-003',
      'a data volume without prevent_destroy where the environment keeps its data',
      cfg(['docker_volume', 'x', { name: 'v', labels: [{ label: 'platform.backup', value: 'true' }] }]),
    ],
    [
      'PLAT-DATA-003',
      "an operator's database (marked in its // comment) without prevent_destroy",
      cfg(['helm_release', 'x', { '//': { platform: { holdsData: 'the Cluster owns the volumes' } }, name: 'postgres' }]),
    ],
    [
      'PLAT-DATA-004',
      'an RDS instance without automated backups',
      cfg(['aws_db_instance', 'x', { storage_encrypted: true, backup_retention_period: 0, deletion_protection: true }]),
    ],
    [
      'PLAT-DATA-004',
      'ElastiCache without snapshots',
      cfg([
        'aws_elasticache_replication_group',
        'x',
        {
          at_rest_encryption_enabled: true,
          transit_encryption_enabled: true,
          snapshot_retention_limit: 0,
          lifecycle: { prevent_destroy: true },
        },
      ]),
    ],
    [
      'PLAT-K8S-001',
      'a namespace without a Pod Security label',
      cfg(['kubernetes_namespace_v1', 'x', { metadata: { name: 'x', labels: {} } }], ['kubernetes_network_policy_v1', 'd', denyAll('x')]),
    ],
    ['PLAT-K8S-002', 'a namespace without a default deny', cfg(['kubernetes_namespace_v1', 'x', namespace('x')])],
    [
      'PLAT-K8S-002',
      'a namespace whose only policy selects some pods',
      cfg(
        ['kubernetes_namespace_v1', 'x', namespace('x')],
        [
          'kubernetes_network_policy_v1',
          'd',
          { ...denyAll('x'), spec: { pod_selector: { match_labels: { a: 'b' } }, policy_types: ['Ingress', 'Egress'] } },
        ],
      ),
    ],
    [
      'PLAT-K8S-003',
      'a privileged namespace without a reason',
      cfg(
        ['kubernetes_namespace_v1', 'x', namespace('x', { 'pod-security.kubernetes.io/enforce': 'privileged' })],
        ['kubernetes_network_policy_v1', 'd', denyAll('x')],
      ),
    ],
    [
      'PLAT-K8S-004',
      'three stateful members without a budget',
      cfg([
        'kubernetes_stateful_set_v1',
        'nats',
        {
          metadata: { name: 'nats', namespace: 'ns' },
          lifecycle: { prevent_destroy: true },
          spec: {
            replicas: '3',
            template: {
              metadata: { labels: { app: 'nats' } },
              spec: podOf(goodK8sContainer, { topology_spread_constraint: [{ topology_key: 'kubernetes.io/hostname' }] }),
            },
            volume_claim_template: [{ metadata: { name: 'data', labels: { 'platform/backup': 'true' } } }],
          },
        },
      ]),
    ],
    [
      'PLAT-AWS-001',
      'a launch template that does not require IMDSv2',
      cfg(['aws_launch_template', 'x', { metadata_options: { http_tokens: 'optional' } }]),
    ],
    ['PLAT-AWS-001', 'a node group without a launch template', cfg(['aws_eks_node_group', 'x', { node_group_name: 'x' }])],
  ];
  for (const [rule, what, json] of cases) {
    it(`${rule}: ${what}`, () => {
      expect(fires(json)).toEqual([rule]);
    });
  }

  it('PLAT-NET-002: web and mail ports on a load balancer may take the world', () => {
    for (const port of [80, 443, 25, 587, 993]) {
      expect(
        fires(
          cfg(
            ['aws_lb', 'web', { security_groups: ['${aws_security_group.lb.id}'] }],
            [
              'aws_vpc_security_group_ingress_rule',
              'x',
              {
                security_group_id: '${aws_security_group.lb.id}',
                cidr_ipv4: '0.0.0.0/0',
                ip_protocol: 'tcp',
                from_port: port,
                to_port: port,
              },
            ],
          ),
        ),
      ).toEqual([]);
    }
  });

  it('PLAT-CTR-004: a Docker container with its reason declared (host access, or why it starts as root) is not refused', () => {
    expect(
      fires(
        cfg(
          [
            'docker_container',
            'a',
            {
              ...goodContainer,
              privileged: true,
              user: '0:0',
              labels: [{ label: 'platform.host-access', value: 'reads every container' }],
            },
          ],
          [
            'docker_container',
            'b',
            { ...goodContainer, user: '0:0', labels: [{ label: 'platform.starts-as-root', value: 'the entrypoint drops' }] },
          ],
        ),
      ),
    ).toEqual([]);
    // A reason for starting as root does not cover privileges.
    expect(
      fires(
        cfg(['docker_container', 'b', { ...goodContainer, privileged: true, labels: [{ label: 'platform.starts-as-root', value: 'x' }] }]),
      ),
    ).toEqual(['PLAT-CTR-004']);
  });

  it("PLAT-CTR-004: a server's privileges with their reason (docker-mailserver) are not refused; without it they are", () => {
    const mail = {
      ...goodContainer,
      user: '0:0',
      capabilities: { add: ['CAP_CHOWN', 'CAP_SETUID'] },
    };
    expect(
      fires(
        cfg([
          'docker_container',
          'm',
          { ...mail, labels: [{ label: 'platform.privileges', value: 'starts as root and drops to each daemon' }] },
        ]),
      ),
    ).toEqual([]);
    expect(fires(cfg(['docker_container', 'm', mail]))).toEqual(['PLAT-CTR-004']);
    // On a pod: the container's privileges stated in the pod's annotation; never privileged mode.
    const root = {
      ...goodK8sContainer,
      security_context: { allow_privilege_escalation: true, run_as_non_root: false, run_as_user: '0', capabilities: { add: ['CHOWN'] } },
    };
    const withReason = (c: any) => {
      const d = deployment(c);
      return {
        ...d,
        spec: {
          template: {
            ...d.spec.template,
            metadata: { labels: { app: 'x' }, annotations: { 'platform/privileges.main': 'drops to each daemon' } },
          },
        },
      };
    };
    expect(fires(cfg(['kubernetes_deployment_v1', 'x', withReason(root)]))).toEqual([]);
    expect(fires(cfg(['kubernetes_deployment_v1', 'x', deployment(root)]))).toEqual(['PLAT-CTR-004']);
    expect(
      fires(
        cfg(['kubernetes_deployment_v1', 'x', withReason({ ...root, security_context: { ...root.security_context, privileged: true } })]),
      ),
    ).toEqual(['PLAT-CTR-004']);
  });

  it("PLAT-NET-003: a NodePort in the data namespace is a way in, unless it is a load balancer's backend (a target group on its node port)", () => {
    const ns: [string, string, any][] = [
      ['kubernetes_namespace_v1', 'data', namespace('agent-platform-data', { 'platform/concern': 'data' })],
      ['kubernetes_network_policy_v1', 'deny', denyAll('agent-platform-data')],
    ];
    const svc: [string, string, any] = [
      'kubernetes_service_v1',
      'kibana_edge',
      {
        metadata: { name: 'kibana-edge', namespace: 'agent-platform-data' },
        spec: { type: 'NodePort', port: [{ port: 5601, node_port: 30601 }] },
      },
    ];
    expect(fires(cfg(...ns, svc))).toEqual(['PLAT-NET-003']);
    expect(fires(cfg(...ns, svc, ['aws_lb_target_group', 'web', { port: 30601, target_type: 'instance' }]))).toEqual([]);
    expect(fires(cfg(...ns, svc, ['aws_lb_target_group', 'web', { port: 30999, target_type: 'instance' }]))).toEqual(['PLAT-NET-003']);
  });

  it('PLAT-K8S-002/003: a namespace whose annotations say why is not refused', () => {
    expect(
      fires(
        cfg([
          'kubernetes_namespace_v1',
          'x',
          namespace(
            'x',
            { 'pod-security.kubernetes.io/enforce': 'privileged' },
            { 'platform/pod-security-reason': 'node agent', 'platform/network-policy-reason': 'an operator' },
          ),
        ]),
      ),
    ).toEqual([]);
  });

  it('PLAT-DATA-003: only where the environment keeps its data', () => {
    const volume = cfg(['docker_volume', 'x', { name: 'v', labels: [{ label: 'platform.backup', value: 'true' }] }]);
    expect(fires(volume, false)).toEqual([]);
    expect(fires(cfg(['docker_volume', 'x', { name: 'v', labels: [{ label: 'platform.backup', value: 'false' }] }]))).toEqual([]);
  });

  it('names the resource by address and construct path, and says what is wrong', () => {
    const [v] = check(
      cfg(['aws_kms_key', 'data', { '//': { metadata: { path: 'production/aws/keys/data' } }, enable_key_rotation: false }]),
    );
    expect(v).toEqual({
      rule: 'PLAT-DATA-002',
      resource: 'aws_kms_key.data',
      path: 'production/aws/keys/data',
      message: expect.stringMatching(/rotation/),
    });
  });

  it('fires on a fixture broken the way a renderer could break it: the CloudNativePG Cluster without prevent_destroy', () => {
    const staging = structuredClone(synth(env('staging')).full);
    const cluster = staging.resource.helm_release!.postgres_cluster;
    delete cluster.lifecycle;
    const found = check(staging).filter((v) => v.rule === 'PLAT-DATA-003');
    expect(found).toEqual([
      {
        rule: 'PLAT-DATA-003',
        resource: 'helm_release.postgres_cluster',
        path: 'staging/kubernetes/platform/services/postgres/cluster',
        message: expect.stringMatching(/CloudNativePG Cluster postgres owns the database's volumes/),
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('every environment passes', () => {
  it('the fixtures, the clusters scenario and the shipped environments: no unwaived error; the warnings are warning rules', async () => {
    for (const { label, env: e } of await everyEnvironment()) {
      const v = guardrails(e, synth(e).full);
      expect(
        v.failing.map((f) => `${f.rule} ${f.resource}: ${f.message}`),
        label,
      ).toEqual([]);
      for (const w of v.warnings) expect(RULES[w.rule].severity, `${label}: ${w.rule}`).toBe('warning');
      expect(v.unused, label).toEqual([]);
    }
  });

  it('the bootstrap stack (state bucket, key, CI roles): no violation at all (its file takes no waivers)', () => {
    const { tf } = synthBootstrap(bootstrapOf(), [env('development'), env('staging'), env('production')]);
    expect(check(tf as TerraformConfig).map((v) => `${v.rule} ${v.resource}: ${v.message}`)).toEqual([]);
  });

  it('the exceptions the platform makes are declared on the resources, with their reasons', () => {
    const { full } = synth(env('staging'));
    const namespaces = Object.values(full.resource.kubernetes_namespace_v1!).map((n: any) => n.metadata);
    // Operators' and applications' namespaces say whose traffic they carry; node agents' why they are not restricted.
    for (const n of namespaces.filter(
      (m: any) => !m.labels['platform/concern'] || m.labels['pod-security.kubernetes.io/enforce'] !== 'restricted',
    )) {
      const reasons = [n.annotations?.['platform/network-policy-reason'], n.annotations?.['platform/pod-security-reason']].filter(Boolean);
      expect(reasons.length, n.name).toBeGreaterThan(0);
    }
    const dev = synth(env('development')).full;
    for (const [name, c] of Object.entries(dev.resource.docker_container!) as [string, any][]) {
      const labels = Object.fromEntries(c.labels.map((l: any) => [l.label, l.value]));
      if (c.user === '0:0')
        expect(labels['platform.starts-as-root'] ?? labels['platform.privileges'] ?? labels['platform.host-access'], name).toMatch(/.{20}/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe('waivers', () => {
  const waive = (waivers: unknown) => variant('development', (i) => (i.guardrails = { waivers }));

  it('are validated with plain messages naming the field', () => {
    const problems = (waivers: unknown) => {
      try {
        prepare(waive(waivers));
        return [];
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return e.issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    expect(problems([{ rule: 'PLAT-SEC-006', resource: 'services.redis' }])).toEqual(['guardrails.waivers[0].reason: required']);
    expect(problems([{ rule: 'PLAT-SEC-006', resource: 'services.redis', reason: 'later' }])).toEqual([
      expect.stringMatching(/^guardrails\.waivers\[0\]\.reason: say why in a sentence/),
    ]);
    expect(problems([{ rule: 'CKV_AWS_7', resource: 'aws_kms_key.x', reason: 'a reason long enough to count' }])).toEqual([
      expect.stringMatching(/^guardrails\.waivers\[0\]\.rule: must be a guardrail rule id such as 'PLAT-K8S-002'/),
    ]);
    expect(problems([{ rule: 'PLAT-XYZ-001', resource: 'aws_kms_key.x', reason: 'a reason long enough to count' }])).toEqual([
      expect.stringMatching(/^guardrails\.waivers\[0\]\.rule: PLAT-XYZ-001 is not a guardrail rule; the rules are PLAT-CTR-001, /),
    ]);
    const twice = { rule: 'PLAT-SEC-006', resource: 'services.redis', reason: 'a reason long enough to count' };
    expect(problems([twice, twice])).toEqual(['guardrails.waivers[1].resource: PLAT-SEC-006 is waived for services.redis twice']);
    expect(problems([{ ...twice, until: '30/06/2027' }])).toEqual([
      expect.stringMatching(/^guardrails\.waivers\[0\]\.until: a date as YYYY-MM-DD/),
    ]);
  });

  it('cover one rule for one resource, named by its address or its construct path', () => {
    const v = { rule: 'PLAT-DATA-002' as const, resource: 'aws_kms_key.data', path: 'production/aws/keys/data', message: 'x' };
    const w = (resource: string, rule = 'PLAT-DATA-002') => ({ rule, resource, reason: 'a reason long enough to count' });
    expect(covers(w('aws_kms_key.data'), v)).toBe(true);
    expect(covers(w('production/aws/keys/data'), v)).toBe(true);
    expect(covers(w('aws_kms_key.logs'), v)).toBe(false);
    expect(covers(w('aws_kms_key.data', 'PLAT-DATA-001'), v)).toBe(false);
  });

  it('a waived error no longer fails; every waiver in force is listed with its reason; one that matches nothing is reported', () => {
    const violations = [
      { rule: 'PLAT-DATA-002' as const, resource: 'aws_kms_key.data', message: 'automatic rotation is off' },
      { rule: 'PLAT-NET-002' as const, resource: 'aws_vpc_security_group_ingress_rule.ssh', message: 'admits port 22 from anywhere' },
    ];
    const waivers = [
      { rule: 'PLAT-DATA-002', resource: 'aws_kms_key.data', reason: 'an imported key whose rotation the security team runs by hand' },
      { rule: 'PLAT-K8S-002', resource: 'kubernetes_namespace_v1.gone', reason: 'an old namespace that has been removed since' },
    ];
    const result = verdict({ file: 'environments/x.ts', environment: 'x', violations, waivers });
    expect(result.failing.map((f) => f.rule)).toEqual(['PLAT-NET-002']);
    expect(refuses(result)).toBe(true);
    expect(waiversInForce(result)).toEqual([
      {
        rule: 'PLAT-DATA-002',
        resource: 'aws_kms_key.data',
        path: 'guardrails.waivers[0]',
        reason: 'an imported key whose rotation the security team runs by hand',
      },
    ]);
    expect(result.unused).toEqual([{ path: 'guardrails.waivers[1]', message: expect.stringMatching(/matches no violation; remove it/) }]);
  });

  it('an expired waiver no longer covers its violation, and says so', () => {
    const violations = [{ rule: 'PLAT-DATA-002' as const, resource: 'aws_kms_key.data', message: 'automatic rotation is off' }];
    const waivers = [
      {
        rule: 'PLAT-DATA-002',
        resource: 'aws_kms_key.data',
        reason: 'an imported key rotated by hand until the move',
        until: '2026-06-30',
      },
    ];
    const before = verdict({ file: 'environments/x.ts', environment: 'x', violations, waivers, today: '2026-06-30' });
    expect(refuses(before)).toBe(false);
    expect(waiversInForce(before)[0]!.until).toBe('2026-06-30');
    const after = verdict({ file: 'environments/x.ts', environment: 'x', violations, waivers, today: '2026-07-01' });
    expect(after.failing.map((f) => f.rule)).toEqual(['PLAT-DATA-002']);
    expect(after.unused).toEqual([{ path: 'guardrails.waivers[0].until', message: expect.stringMatching(/expired on 2026-06-30/) }]);
  });

  it('the report lists every violation of every environment: where, rule, severity, what, and how to fix it', () => {
    const a = verdict({
      file: 'environments/a.ts',
      environment: 'a',
      violations: [
        {
          rule: 'PLAT-NET-001',
          resource: 'docker_container.redis',
          path: 'a/docker/redis-main',
          message: 'publishes port 6380 on 0.0.0.0:6380',
        },
      ],
      waivers: [],
    });
    const b = verdict({
      file: 'environments/b.ts',
      environment: 'b',
      violations: [
        { rule: 'PLAT-DATA-002', resource: 'aws_kms_key.data', message: 'automatic rotation is off' },
        { rule: 'PLAT-AWS-001', resource: 'aws_launch_template.system', message: 'instance metadata answers without a session token' },
      ],
      waivers: [],
    });
    const text = report([a, b]);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'guardrails: 3 violations in 2 environments',
      'environments/a.ts (a):',
      '  - docker_container.redis (a/docker/redis-main): PLAT-NET-001 [error] publishes port 6380 on 0.0.0.0:6380',
    ]);
    expect(text).toContain(`    fix: ${RULES['PLAT-NET-001'].fix}`);
    expect(text).toContain('  - aws_kms_key.data: PLAT-DATA-002 [error] automatic rotation is off');
    expect(text).toContain('  - aws_launch_template.system: PLAT-AWS-001 [error]');
  });
});

/** Runs `f` with a Docker renderer that publishes PostgreSQL on every interface (what PLAT-NET-001 exists to stop). */
function withPortOnEveryInterface<T>(f: () => T): T {
  const original = renderers.docker;
  (renderers as any).docker = (scope: any, e: any) => {
    const target = original(scope, e);
    for (const c of target.node.findAll()) {
      if (c instanceof TerraformResource && c.terraformResourceType === 'docker_container' && c.node.id === 'postgres-main')
        c.addOverride('ports.0.ip', '0.0.0.0');
    }
    return target;
  };
  try {
    return f();
  } finally {
    (renderers as any).docker = original;
  }
}

describe('a synthesis the guardrails refuse', () => {
  it('fails with one report, and writes nothing to the output directory', () => {
    const out = path.join(scratch('guardrails-'), 'cdktf.out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'keep'), 'what a previous synth left');
    const err: string[] = [];
    expect(withPortOnEveryInterface(() => run([variant('development', () => {})], out, { out: () => {}, err: (l) => err.push(l) }))).toBe(
      1,
    );
    expect(err[0]).toBe(`error: the guardrails refused the synthesis; nothing was written to ${out}`);
    const text = err.slice(1).join('\n');
    expect(text).toMatch(/^guardrails: 1 violation in 1 environment\ntest\/fixtures\/development\.ts \(development\):/);
    expect(text).toContain(
      '  - docker_container.postgres (development/docker/postgres-main): PLAT-NET-001 [error] publishes port 5432 on 0.0.0.0:16432',
    );
    expect(fs.readdirSync(out)).toEqual(['keep']);
  });

  it('prints the waivers in force and the warnings when it succeeds', () => {
    const out = path.join(scratch('guardrails-'), 'cdktf.out');
    const lines: string[] = [];
    const errs: string[] = [];
    const src = variant('development', (i) => {
      i.guardrails = {
        waivers: [
          {
            rule: 'PLAT-NET-001',
            resource: 'docker_container.postgres',
            reason: 'the host sits on an isolated lab network and a colleague connects directly',
            until: '2999-12-31',
          },
          { rule: 'PLAT-NET-001', resource: 'docker_container.nowhere', reason: 'a container this environment does not run' },
        ],
      };
    });
    expect(withPortOnEveryInterface(() => run([src], out, { out: (l) => lines.push(l), err: (l) => errs.push(l) }))).toBe(0);
    expect(lines).toContain(
      '  waivers   PLAT-NET-001 for docker_container.postgres (guardrails.waivers[0], until 2999-12-31): the host sits on an isolated lab network and a colleague connects directly',
    );
    expect(errs).toContainEqual(
      expect.stringMatching(
        /^warning: test\/fixtures\/development\.ts: guardrails\.waivers\[1\]: the waiver of PLAT-NET-001 for docker_container\.nowhere matches no violation/,
      ),
    );
    expect(GuardrailError.name).toBe('GuardrailError');
  });
});
