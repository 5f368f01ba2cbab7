/**
 * The guardrails over the synthesized Terraform JSON (a stack's `cdk.tf.json`), after rendering and
 * before anything is written to the output directory: what the resources themselves say, whoever
 * built them (a renderer, a realization, a target). A pure function of the JSON and two facts of the
 * environment, so a test hands it a minimal JSON and a fixture's stack alike.
 *
 * Each violation names the resource by its Terraform address, and by its construct path where the
 * JSON carries it (`//`.metadata.path, which `cdktf synth` writes). Exceptions the platform makes on
 * purpose are read from what the resource itself declares, never from a list in here:
 * - a Docker container's `platform.host-access` label (a node agent's host access, with the reason),
 *   `platform.privileges` label (why a server needs root or capabilities: docker-mailserver starts as
 *   root and drops to each daemon's user) or `platform.starts-as-root` label (why its entrypoint needs root);
 * - a pod's `platform/privileges.<container>` annotation (why that container runs as root, may
 *   escalate or adds capabilities: docker-mailserver), never for privileged mode or host namespaces;
 * - a namespace's `platform/pod-security-reason` annotation (why it is not `restricted`) and
 *   `platform/network-policy-reason` annotation (whose traffic the platform does not police there);
 * - a resource that holds data without saying so by its type (a Helm release of an operator's
 *   database) is marked in its `//` comment: `{"platform": {"holdsData": "..."}}` (Terraform ignores
 *   `//` keys; constructs/render/terraform.ts `holdsData`).
 */
import { DEFAULT_CREDENTIALS, SECRET_ENV } from './guardrails';
import type { RuleId, Violation } from './rules';

/** What the rules need to know of the environment beyond its resources. */
export interface ResourceFacts {
  /** The environment keeps its data (`protectData`): stateful resources must be protected from destroy. */
  readonly protectData: boolean;
}

/** The part of a Terraform JSON configuration the rules read. */
export interface TerraformConfig {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, any>>>>;
}

/** One resource of the configuration. */
interface Res {
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly body: any;
  readonly path?: string;
}

/** A nested block as the JSON writes it: an object, or a list of one (cdktf writes both). */
const one = (x: any): any => (Array.isArray(x) ? x[0] : x);
const many = (x: any): any[] => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);
const truthy = (x: any) => x === true || x === 'true';
const isRef = (x: unknown) => typeof x === 'string' && x.includes('${');

/** Addresses a Terraform expression refers to (`${aws_security_group.nodes.id}` -> `aws_security_group.nodes`). */
function refsIn(x: unknown): string[] {
  if (typeof x !== 'string') return [];
  return [...x.matchAll(/\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)[.}\s,)[]/g)].map((m) => m[1]!);
}

export function resourcesOf(json: TerraformConfig): Res[] {
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, body]) => {
      const path = body?.['//']?.metadata?.path;
      return { type, name, address: `${type}.${name}`, body, ...(typeof path === 'string' ? { path } : {}) };
    }),
  );
}

/** Every violation of the resource-level rules in one stack's configuration. */
export function resourceViolations(json: TerraformConfig, facts: ResourceFacts): Violation[] {
  const all = resourcesOf(json);
  const out: Violation[] = [];
  const add = (r: Res, rule: RuleId, message: string) =>
    out.push({ rule, resource: r.address, ...(r.path ? { path: r.path } : {}), message });
  const ofType = (...types: string[]) => all.filter((r) => types.includes(r.type));
  const referencing = (type: string, target: Res) => ofType(type).filter((r) => JSON.stringify(r.body).includes(`\${${target.address}.`));

  docker(all, add);
  kubernetes(all, ofType, add, facts);
  aws(all, ofType, referencing, add, facts);

  // Anywhere: known default credentials, in any string of any resource.
  for (const r of all) {
    const s = firstString(r.body, (s) => ANY_DEFAULT_CREDENTIAL.test(s));
    const bad = s === undefined ? undefined : DEFAULT_CREDENTIALS.find((c) => s.toLowerCase().includes(c));
    if (bad) add(r, 'PLAT-SEC-002', `contains the default credential "${bad}"`);
  }
  // Stateful resources where the environment keeps its data.
  if (facts.protectData) {
    for (const r of all) {
      const what = holdsData(r);
      if (!what) continue;
      const protectedFromDestroy = truthy(one(r.body.lifecycle)?.prevent_destroy) || truthy(r.body.deletion_protection);
      if (!protectedFromDestroy)
        add(r, 'PLAT-DATA-003', `${what}, and neither prevent_destroy nor deletion protection keeps a destroy from deleting it`);
    }
  }
  return out;
}

/** Any of the default credentials, in any case (one pass over a string instead of one per credential). */
const ANY_DEFAULT_CREDENTIAL = new RegExp(DEFAULT_CREDENTIALS.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'i');

/** The first string in a value (the `//` comment left out) that `test` accepts. */
function firstString(x: any, test: (s: string) => boolean): string | undefined {
  if (typeof x === 'string') return test(x) ? x : undefined;
  if (x && typeof x === 'object')
    for (const k in x) {
      if (k === '//' && !Array.isArray(x)) continue;
      const found = firstString(x[k], test);
      if (found !== undefined) return found;
    }
  return undefined;
}

/** AWS resource types that hold data by what they are. */
const DATA_TYPES: Readonly<Record<string, string>> = {
  aws_db_instance: 'an RDS database',
  aws_rds_cluster: 'an Aurora cluster',
  aws_elasticache_replication_group: 'an ElastiCache replication group',
  aws_mq_broker: 'an Amazon MQ broker (its queues)',
  aws_opensearch_domain: 'an OpenSearch domain',
  aws_elasticsearch_domain: 'an Elasticsearch domain',
  aws_s3_bucket: 'an S3 bucket',
  aws_efs_file_system: 'an EFS file system',
  aws_ebs_volume: 'an EBS volume',
  aws_dynamodb_table: 'a DynamoDB table',
};

/** What data a resource holds, if any. */
function holdsData(r: Res): string | undefined {
  const declared = r.body?.['//']?.platform?.holdsData;
  if (typeof declared === 'string') return declared;
  if (DATA_TYPES[r.type]) return `${DATA_TYPES[r.type]} holds data`;
  if (r.type === 'docker_volume') {
    const backup = many(r.body.labels).find((l: any) => l.label === 'platform.backup')?.value;
    return backup === 'true' ? `volume ${r.body.name} holds data that must be backed up` : undefined;
  }
  if (r.type === 'kubernetes_stateful_set_v1') {
    const claims = many(r.body.spec?.volume_claim_template).filter((t: any) => one(t.metadata)?.labels?.['platform/backup'] === 'true');
    return claims.length
      ? `StatefulSet ${one(r.body.metadata)?.name} keeps data in its claims (${claims.map((t: any) => one(t.metadata).name).join(', ')})`
      : undefined;
  }
  return undefined;
}

type Add = (r: Res, rule: RuleId, message: string) => void;

/** An image reference pinned to a version: a digest, or a tag other than latest. */
export function pinnedImage(image: string): boolean {
  if (isRef(image)) return true;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
  return tag !== undefined && tag !== '' && tag.toLowerCase() !== 'latest';
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

function docker(all: readonly Res[], add: Add) {
  for (const r of all.filter((x) => x.type === 'docker_image')) {
    if (!pinnedImage(r.body.name)) add(r, 'PLAT-CTR-001', `image ${r.body.name} is not pinned to a version`);
  }
  for (const r of all.filter((x) => x.type === 'docker_container')) {
    const c = r.body;
    const labels = new Map<string, string>(many(c.labels).map((l: any) => [l.label, l.value]));
    const hostAccess = labels.get('platform.host-access');
    const privileges = labels.get('platform.privileges');
    const rootReason = labels.get('platform.starts-as-root') ?? privileges;
    const job = labels.has('platform.job');
    for (const p of many(c.ports)) {
      const ip = p.ip ?? '0.0.0.0';
      if (!LOOPBACK.has(ip))
        add(r, 'PLAT-NET-001', `publishes port ${p.internal} on ${ip}:${p.external ?? p.internal}, beyond the loopback interface`);
    }
    const host: string[] = [];
    if (truthy(c.privileged)) host.push('runs privileged');
    if (c.network_mode === 'host') host.push('shares the host network');
    if (c.pid_mode === 'host') host.push("shares the host's processes");
    if (c.ipc_mode === 'host') host.push("shares the host's IPC");
    if (host.length && !hostAccess) add(r, 'PLAT-CTR-004', `${host.join(', ')} without a declared reason (label platform.host-access)`);
    if (many(one(c.capabilities)?.add).length && !hostAccess && !privileges)
      add(
        r,
        'PLAT-CTR-004',
        `adds capabilities ${many(one(c.capabilities).add).join(', ')} without a declared reason (label platform.privileges or platform.host-access)`,
      );
    const user = typeof c.user === 'string' ? c.user : undefined;
    const uid = user?.split(':')[0];
    if (user === undefined) add(r, 'PLAT-CTR-004', "states no user, so it runs as its image's (often root)");
    else if ((uid === '0' || uid === 'root') && !hostAccess && !rootReason)
      add(
        r,
        'PLAT-CTR-004',
        'runs as root without a declared reason (label platform.starts-as-root, platform.privileges or platform.host-access)',
      );
    if (!(Number(c.memory) > 0) || !(Number(c.cpu_quota) > 0 || Number(c.cpus) > 0))
      add(r, 'PLAT-CTR-002', 'has no memory and CPU limit (memory, cpu_quota)');
    const test = many(one(c.healthcheck)?.test);
    if (!job && (test.length === 0 || test[0] === 'NONE')) add(r, 'PLAT-CTR-003', 'has no health check');
    for (const kv of many(c.env)) {
      const i = String(kv).indexOf('=');
      const [k, v] = [String(kv).slice(0, i), String(kv).slice(i + 1)];
      if (SECRET_ENV.test(k) && v !== '' && !isRef(v)) add(r, 'PLAT-SEC-001', `environment variable ${k} holds a literal`);
    }
  }
}

const WORKLOADS = [
  'kubernetes_deployment_v1',
  'kubernetes_stateful_set_v1',
  'kubernetes_daemon_set_v1',
  'kubernetes_daemonset',
  'kubernetes_job_v1',
  'kubernetes_cron_job_v1',
  'kubernetes_pod_v1',
];
const LONG_RUNNING = new Set([
  'kubernetes_deployment_v1',
  'kubernetes_stateful_set_v1',
  'kubernetes_daemon_set_v1',
  'kubernetes_daemonset',
  'kubernetes_pod_v1',
]);

/** The pod spec of a typed workload. */
function podSpecOf(r: Res): any {
  const spec = one(r.body.spec);
  if (r.type === 'kubernetes_pod_v1') return spec;
  if (r.type === 'kubernetes_cron_job_v1') return one(one(one(one(one(spec?.job_template)?.spec)?.template)?.spec));
  return one(one(spec?.template)?.spec);
}

function podAnnotationsOf(r: Res): Record<string, string> {
  const spec = one(r.body.spec);
  const template =
    r.type === 'kubernetes_cron_job_v1'
      ? one(one(one(one(spec?.job_template)?.spec)?.template))
      : r.type === 'kubernetes_pod_v1'
        ? r.body
        : one(spec?.template);
  return one(template?.metadata)?.annotations ?? {};
}

function podLabelsOf(r: Res): Record<string, string> {
  return one(one(one(r.body.spec)?.template)?.metadata)?.labels ?? {};
}

function kubernetes(all: readonly Res[], ofType: (...t: string[]) => Res[], add: Add, _facts: ResourceFacts) {
  const namespaces = ofType('kubernetes_namespace_v1', 'kubernetes_namespace');
  const concernOf = new Map<string, string>(
    namespaces.map((n) => [one(n.body.metadata)?.name, one(n.body.metadata)?.labels?.['platform/concern']] as [string, string]),
  );
  const policies = ofType('kubernetes_network_policy_v1', 'kubernetes_network_policy');
  const defaultDeny = new Set(
    policies
      .filter((p) => {
        const spec = one(p.body.spec);
        const selector = one(spec?.pod_selector) ?? {};
        const emptySelector = Object.keys(selector).every(
          (k) => many(selector[k]).length === 0 || Object.keys(one(selector[k]) ?? {}).length === 0,
        );
        const types = many(spec?.policy_types);
        return (
          emptySelector &&
          types.includes('Ingress') &&
          types.includes('Egress') &&
          many(spec?.ingress).length === 0 &&
          many(spec?.egress).length === 0
        );
      })
      .map((p) => one(p.body.metadata)?.namespace),
  );
  for (const n of namespaces) {
    const meta = one(n.body.metadata) ?? {};
    const name = meta.name;
    const level = meta.labels?.['pod-security.kubernetes.io/enforce'];
    if (!level) add(n, 'PLAT-K8S-001', `namespace ${name} has no pod-security.kubernetes.io/enforce label`);
    else if (level !== 'restricted' && !meta.annotations?.['platform/pod-security-reason'])
      add(n, 'PLAT-K8S-003', `namespace ${name} enforces ${level} without a reason (annotation platform/pod-security-reason)`);
    if (!defaultDeny.has(name) && !meta.annotations?.['platform/network-policy-reason'])
      add(
        n,
        'PLAT-K8S-002',
        `namespace ${name} has no default-deny NetworkPolicy (and no platform/network-policy-reason annotation saying whose traffic it is)`,
      );
  }

  const budgets = ofType('kubernetes_pod_disruption_budget_v1', 'kubernetes_pod_disruption_budget');
  for (const r of ofType(...WORKLOADS)) {
    const pod = podSpecOf(r);
    if (!pod) continue;
    const podSc = one(pod.security_context) ?? {};
    const host = ['host_network', 'host_pid', 'host_ipc'].filter((k) => truthy(pod[k]));
    if (host.length) add(r, 'PLAT-CTR-004', `the pod sets ${host.join(', ')}`);
    const containers = [
      ...many(pod.init_container).map((c: any) => ({ c, init: true })),
      ...many(pod.container).map((c: any) => ({ c, init: false })),
    ];
    const podAnnotations = podAnnotationsOf(r);
    for (const { c, init } of containers) {
      const label = `container ${c.name}`;
      // Root, escalation and capabilities the container declares with its reason (never privileged mode).
      const declared = (podAnnotations[`platform/privileges.${c.name}`] ?? '').trim().length > 0;
      if (!pinnedImage(String(c.image ?? ''))) add(r, 'PLAT-CTR-001', `${label}: image ${c.image} is not pinned to a version`);
      const limits = one(c.resources)?.limits ?? {};
      if (!limits.cpu || !limits.memory) add(r, 'PLAT-CTR-002', `${label}: no cpu and memory limits`);
      if (!init && LONG_RUNNING.has(r.type) && !c.readiness_probe && !c.liveness_probe)
        add(r, 'PLAT-CTR-003', `${label}: no readiness or liveness probe`);
      const sc = one(c.security_context) ?? {};
      if (truthy(sc.privileged)) add(r, 'PLAT-CTR-004', `${label}: runs privileged`);
      if (!declared && (truthy(sc.allow_privilege_escalation) || sc.allow_privilege_escalation === undefined))
        add(r, 'PLAT-CTR-004', `${label}: may escalate privileges (allow_privilege_escalation is not false)`);
      const runAsUser = sc.run_as_user ?? podSc.run_as_user;
      const nonRoot = truthy(sc.run_as_non_root) || truthy(podSc.run_as_non_root);
      if (!declared && (String(runAsUser) === '0' || !nonRoot))
        add(r, 'PLAT-CTR-004', `${label}: may run as root (run_as_non_root is not true, or run_as_user is 0)`);
      if (!declared && many(one(sc.capabilities)?.add).length)
        add(r, 'PLAT-CTR-004', `${label}: adds capabilities ${many(one(sc.capabilities).add).join(', ')}`);
      for (const e of many(c.env)) {
        if (SECRET_ENV.test(String(e.name)) && typeof e.value === 'string' && e.value !== '' && !isRef(e.value))
          add(r, 'PLAT-SEC-001', `${label}: environment variable ${e.name} holds a literal`);
      }
    }
  }
  for (const r of ofType('kubernetes_stateful_set_v1')) {
    const spec = one(r.body.spec) ?? {};
    if (!(Number(spec.replicas ?? 1) > 1) || many(spec.volume_claim_template).length === 0) continue;
    const ns = one(r.body.metadata)?.namespace;
    const labels = podLabelsOf(r);
    const budget = budgets.some((b) => {
      const bm = one(b.body.metadata) ?? {};
      const sel = one(one(b.body.spec)?.selector)?.match_labels ?? {};
      return bm.namespace === ns && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
    });
    const pod = podSpecOf(r) ?? {};
    const spread =
      many(pod.topology_spread_constraint).some((t: any) => t.topology_key === 'kubernetes.io/hostname') ||
      many(one(one(pod.affinity)?.pod_anti_affinity)?.required_during_scheduling_ignored_during_execution).some(
        (t: any) => t.topology_key === 'kubernetes.io/hostname',
      );
    const missing = [
      ...(budget ? [] : ['a PodDisruptionBudget selecting its pods']),
      ...(spread ? [] : ['a spread over nodes (kubernetes.io/hostname)']),
    ];
    if (missing.length)
      add(r, 'PLAT-K8S-004', `StatefulSet ${one(r.body.metadata)?.name} runs ${spec.replicas} members without ${missing.join(' or ')}`);
  }
  // Node ports a load balancer of this stack forwards to (instance target groups): a web UI or the
  // mail server behind the platform's edge, whose nodes admit the port from the balancer only
  // (PLAT-NET-002 holds the security groups). Such a NodePort is the balancer's backend, not a way in.
  const balancedNodePorts = new Set(
    ofType('aws_lb_target_group', 'aws_alb_target_group')
      .filter((t) => (t.body.target_type ?? 'instance') === 'instance')
      .map((t) => Number(t.body.port)),
  );
  for (const r of ofType('kubernetes_service_v1', 'kubernetes_service')) {
    const meta = one(r.body.metadata) ?? {};
    const spec = one(r.body.spec) ?? {};
    const type = spec.type ?? 'ClusterIP';
    const concern = concernOf.get(meta.namespace);
    const behindBalancer =
      type === 'NodePort' && many(spec.port).length > 0 && many(spec.port).every((p: any) => balancedNodePorts.has(Number(p.node_port)));
    if (
      !behindBalancer &&
      (type === 'LoadBalancer' || type === 'NodePort' || many(spec.external_ips).length) &&
      (concern === 'data' || concern === 'messaging')
    )
      add(
        r,
        'PLAT-NET-003',
        `Service ${meta.name} in the ${concern} namespace ${meta.namespace} is of type ${type}: reachable from outside the cluster`,
      );
  }
  for (const r of ofType('kubernetes_storage_class_v1', 'kubernetes_storage_class')) {
    const provisioner = r.body.storage_provisioner;
    if (provisioner === 'ebs.csi.aws.com' && r.body.parameters?.encrypted !== 'true')
      add(
        r,
        'PLAT-DATA-001',
        `StorageClass ${one(r.body.metadata)?.name} provisions unencrypted EBS volumes (parameters.encrypted is not "true")`,
      );
  }
  void all;
}

/** Ports a load balancer may take from anywhere: web and mail. */
const PUBLIC_PORTS = new Set([80, 443, 25, 465, 587, 143, 993, 110, 995]);
const WORLD = new Set(['0.0.0.0/0', '::/0']);

function aws(
  all: readonly Res[],
  ofType: (...t: string[]) => Res[],
  referencing: (type: string, target: Res) => Res[],
  add: Add,
  _facts: ResourceFacts,
) {
  // Security groups a load balancer uses (the only place web and mail ports may be open to the world).
  const balancers = ofType('aws_lb', 'aws_alb', 'aws_elb');
  const onBalancer = new Set(balancers.flatMap((b) => many(b.body.security_groups).flatMap(refsIn)));
  const world = (cidrs: unknown) => many(cidrs).some((c) => WORLD.has(String(c)));
  const open = (r: Res, group: string | undefined, protocol: string, from: number | undefined, to: number | undefined, what: string) => {
    const all = protocol === '-1' || protocol === 'all' || from === undefined;
    const ports = all ? [] : Array.from({ length: Math.min((to ?? from!) - from! + 1, 65536) }, (_, i) => from! + i);
    const allowed =
      !all && ports.length <= PUBLIC_PORTS.size && ports.every((p) => PUBLIC_PORTS.has(p)) && group !== undefined && onBalancer.has(group);
    if (!allowed)
      add(
        r,
        'PLAT-NET-002',
        `${what} admits ${all ? 'every port' : from === to ? `port ${from}` : `ports ${from}-${to}`} from anywhere${!all && ports.every((p) => PUBLIC_PORTS.has(p)) ? ' on a security group no load balancer uses' : ''}`,
      );
  };
  for (const r of ofType('aws_vpc_security_group_ingress_rule')) {
    if (WORLD.has(r.body.cidr_ipv4) || WORLD.has(r.body.cidr_ipv6))
      open(r, refsIn(r.body.security_group_id)[0], String(r.body.ip_protocol), r.body.from_port, r.body.to_port, 'the rule');
  }
  for (const r of ofType('aws_security_group_rule')) {
    if (r.body.type === 'ingress' && (world(r.body.cidr_blocks) || world(r.body.ipv6_cidr_blocks)))
      open(r, refsIn(r.body.security_group_id)[0], String(r.body.protocol), r.body.from_port, r.body.to_port, 'the rule');
  }
  for (const r of ofType('aws_security_group')) {
    for (const i of many(r.body.ingress)) {
      if (world(i.cidr_blocks) || world(i.ipv6_cidr_blocks))
        open(r, r.address, String(i.protocol), i.from_port, i.to_port, 'an inline ingress rule');
    }
  }

  for (const r of ofType('aws_db_instance', 'aws_rds_cluster_instance')) {
    if (truthy(r.body.publicly_accessible)) add(r, 'PLAT-NET-003', 'the database is publicly accessible');
  }
  for (const r of ofType('aws_mq_broker')) {
    if (truthy(r.body.publicly_accessible)) add(r, 'PLAT-NET-003', 'the broker is publicly accessible');
  }
  for (const r of ofType('aws_opensearch_domain', 'aws_elasticsearch_domain')) {
    if (!one(r.body.vpc_options)) add(r, 'PLAT-NET-003', 'the domain has a public endpoint (no vpc_options)');
    if (!truthy(one(r.body.domain_endpoint_options)?.enforce_https))
      add(r, 'PLAT-NET-006', 'the domain accepts HTTP (domain_endpoint_options.enforce_https is not true)');
    if (!truthy(one(r.body.encrypt_at_rest)?.enabled)) add(r, 'PLAT-DATA-001', 'the domain is not encrypted at rest');
  }
  for (const r of ofType('aws_s3_bucket')) {
    const blocks = referencing('aws_s3_bucket_public_access_block', r);
    const fields = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
    if (!blocks.some((b) => fields.every((f) => truthy(b.body[f]))))
      add(r, 'PLAT-NET-003', `bucket ${r.body.bucket ?? r.name} has no public access block with all four settings on`);
    if (referencing('aws_s3_bucket_server_side_encryption_configuration', r).length === 0)
      add(r, 'PLAT-DATA-001', `bucket ${r.body.bucket ?? r.name} has no server-side encryption configuration`);
  }

  for (const r of ofType('aws_eks_cluster')) {
    const vpc = one(r.body.vpc_config) ?? {};
    const publicEndpoint = vpc.endpoint_public_access === undefined || truthy(vpc.endpoint_public_access);
    const cidrs = many(vpc.public_access_cidrs);
    if (publicEndpoint && (cidrs.length === 0 || world(cidrs)))
      add(
        r,
        'PLAT-NET-004',
        `the API endpoint is public to ${cidrs.length === 0 ? 'every address (no public_access_cidrs)' : '0.0.0.0/0'}`,
      );
    const secrets = many(r.body.encryption_config).some((e: any) => many(e.resources).includes('secrets'));
    if (!secrets) add(r, 'PLAT-DATA-001', 'Kubernetes Secrets are not envelope-encrypted with a KMS key (encryption_config)');
  }

  for (const r of ofType('aws_elasticache_replication_group')) {
    if (!truthy(r.body.transit_encryption_enabled))
      add(r, 'PLAT-NET-006', 'accepts connections without TLS (transit_encryption_enabled is not true)');
    if (!truthy(r.body.at_rest_encryption_enabled)) add(r, 'PLAT-DATA-001', 'is not encrypted at rest');
    if (!(Number(r.body.snapshot_retention_limit) > 0))
      add(r, 'PLAT-DATA-004', 'keeps no automatic snapshots (snapshot_retention_limit is 0)');
  }
  const groups = new Map(ofType('aws_db_parameter_group').map((g) => [g.address, g]));
  for (const r of ofType('aws_db_instance')) {
    if (!truthy(r.body.storage_encrypted)) add(r, 'PLAT-DATA-001', 'the storage is not encrypted (storage_encrypted)');
    if (!(Number(r.body.backup_retention_period) > 0)) add(r, 'PLAT-DATA-004', 'keeps no automated backups (backup_retention_period is 0)');
    if (String(r.body.engine ?? '').startsWith('postgres')) {
      const group = groups.get(refsIn(r.body.parameter_group_name)[0] ?? '');
      const forced = many(group?.body.parameter).some((p: any) => p.name === 'rds.force_ssl' && String(p.value) === '1');
      if (!forced) add(r, 'PLAT-NET-006', 'accepts connections without TLS (no parameter group of its own with rds.force_ssl = 1)');
    }
  }
  for (const r of ofType('aws_rds_cluster')) {
    if (!truthy(r.body.storage_encrypted)) add(r, 'PLAT-DATA-001', 'the storage is not encrypted (storage_encrypted)');
    if (!(Number(r.body.backup_retention_period ?? 1) > 0)) add(r, 'PLAT-DATA-004', 'keeps no automated backups');
  }
  for (const r of ofType('aws_ebs_volume', 'aws_efs_file_system')) {
    if (!truthy(r.body.encrypted)) add(r, 'PLAT-DATA-001', 'is not encrypted');
  }
  for (const r of ofType('aws_launch_template', 'aws_instance')) {
    const devices = [
      ...many(r.body.block_device_mappings).map((b: any) => one(b.ebs)),
      ...many(r.body.root_block_device),
      ...many(r.body.ebs_block_device),
    ];
    for (const d of devices.filter(Boolean)) if (!truthy(d.encrypted)) add(r, 'PLAT-DATA-001', 'a block device is not encrypted');
    const tokens = one(r.body.metadata_options)?.http_tokens;
    if (tokens !== 'required')
      add(r, 'PLAT-AWS-001', `instance metadata answers without a session token (metadata_options.http_tokens is ${tokens ?? 'unset'})`);
  }
  for (const r of ofType('aws_eks_node_group')) {
    if (!one(r.body.launch_template))
      add(r, 'PLAT-AWS-001', "the node group has no launch template of its own, so IMDSv2 is the AMI's default, not required");
  }
  for (const r of ofType('aws_kms_key')) {
    const spec = r.body.customer_master_key_spec ?? r.body.key_spec ?? 'SYMMETRIC_DEFAULT';
    if (spec === 'SYMMETRIC_DEFAULT' && !truthy(r.body.enable_key_rotation))
      add(r, 'PLAT-DATA-002', 'automatic rotation is off (enable_key_rotation)');
  }
  void all;
}
