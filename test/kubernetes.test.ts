/** Every service of the catalogue on the Kubernetes target (staging), asserted on the synthesized Terraform JSON. */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { imageName } from '../constructs/spec/image';
import { hasSecret } from '../constructs/spec/template';
import { canonicalCpu, canonicalMemory } from '../constructs/targets/kubernetes/quantities';
import { realizationOf } from '../constructs/render/kubernetes/realizations';
import { providerConnection } from '../constructs/render/kubernetes';
import { containerSpecs } from '../constructs/targets';
import { memoryMebibytes } from '../constructs/spec/quantity';
import { memoryMiB } from '../stacks/app';
import { env, spec, synth, variant } from './helpers';

const staging = env('staging');
const { tf } = synth(staging);
const r = tf.resource;
const ns = (concern: string) => `agent-platform-${concern}`;
const workloadOf = (name: string) => r.kubernetes_stateful_set_v1?.[name] ?? r.kubernetes_deployment_v1?.[name];
// The project's own resources: the default realization, and Ollama's (the same resources plus an init container).
const own = staging.specs.filter((s) => realizationOf(s).describe(s).startsWith('own '));

describe('the staging stack on Kubernetes', () => {
  it('renders every service of the catalogue', () => {
    expect(staging.specs.map((s) => s.name).sort()).toEqual(
      [
        'elasticsearch',
        'garage',
        'kibana',
        'kong',
        'mailserver',
        'nats',
        'neo4j',
        'ollama',
        'postgres',
        'qdrant',
        'rabbitmq',
        'redis',
        'webmail',
        // The monitoring stack, with the GPU exporter (staging has a GPU service).
        'prometheus',
        'alertmanager',
        'grafana',
        'loki',
        'alloy',
        'jaeger',
        'node-exporter',
        'cadvisor',
        'dcgm-exporter',
      ].sort(),
    );
    for (const s of own) expect(workloadOf(s.name), s.name).toBeDefined();
  });

  it('one namespace per concern, labelled for the restricted Pod Security Standard (mail: baseline, the node agents’ privileged, each saying why)', () => {
    const all = Object.values<any>(r.kubernetes_namespace_v1!).filter((n) => n.metadata.labels['platform/concern']);
    const agents = all.filter((n) => n.metadata.name === `${ns('node')}-agents`);
    expect(agents).toHaveLength(1);
    expect(agents[0].metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(agents[0].metadata.annotations['platform/pod-security-reason']).toMatch(/host network.*hostPath/);
    const namespaces = all.filter((n) => !agents.includes(n));
    // The edge namespace: staging exposes endpoints through its gateway (and runs Kong).
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual([
      ns('ai'),
      ns('data'),
      ns('edge'),
      ns('mail'),
      ns('messaging'),
      ns('monitoring'),
    ]);
    for (const n of namespaces) {
      // docker-mailserver starts as root with capabilities that baseline allows (its spec's privileges).
      const level = n.metadata.name === ns('mail') ? 'baseline' : 'restricted';
      expect(n.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/audit': level,
        'pod-security.kubernetes.io/warn': level,
      });
      if (level === 'baseline')
        expect(n.metadata.annotations['platform/pod-security-reason']).toMatch(
          /^mailserver\/main: docker-mailserver's supervisord starts as root/,
        );
      else expect(n.metadata.annotations).toBeUndefined();
    }
  });

  it('each namespace with workloads has a quota above what they declare and a limit range', () => {
    const quota = Object.fromEntries(
      Object.entries<any>(r.kubernetes_resource_quota_v1!).filter(([, q]) => q.metadata.name === 'platform'),
    );
    expect(Object.keys(quota).sort()).toEqual([
      'quota_ai',
      'quota_data',
      'quota_edge',
      'quota_mail',
      'quota_messaging',
      'quota_monitoring',
      'quota_node_agents',
    ]);
    // Kong holds no claim: none may be claimed there.
    expect(quota.quota_edge.spec.hard.persistentvolumeclaims).toBe('0');
    expect(quota.quota_edge.spec.hard['requests.storage']).toBeUndefined();
    expect(quota.quota_ai.spec.hard['requests.nvidia.com/gpu']).toBe('1');
    expect(quota.quota_messaging.spec.hard).toMatchObject({ pods: expect.stringMatching(/^\d+$/), persistentvolumeclaims: '4' });
    for (const l of Object.values<any>(r.kubernetes_limit_range_v1!)) {
      expect(l.spec.limit[0]).toMatchObject({
        type: 'Container',
        default: { cpu: '500m', memory: '512Mi' },
        default_request: { cpu: '50m', memory: '64Mi' },
      });
    }
  });

  it('data services run with a PriorityClass', () => {
    expect(r.kubernetes_priority_class_v1!.priority_data).toMatchObject({
      metadata: { name: 'agent-platform-data' },
      value: 100000,
      global_default: false,
    });
    for (const s of own.filter((x) => x.concern === 'data' && x.volumes.length > 0)) {
      expect(workloadOf(s.name).spec.template.spec.priority_class_name, s.name).toBe('agent-platform-data');
    }
    expect(workloadOf('nats').spec.template.spec.priority_class_name).toBeUndefined();
  });
});

describe.each(own.map((s) => [s.name, s] as const))('%s (own resources)', (name, spec) => {
  const w = workloadOf(name);
  const pod = w.spec.template.spec;
  const namespace = ns(spec.concern);

  it('runs in its concern namespace under its own service account, which mounts no token', () => {
    expect(w.metadata.namespace).toBe(namespace);
    expect(r.kubernetes_service_account_v1![`${name}_service_account`]).toMatchObject({
      metadata: { name, namespace },
      automount_service_account_token: false,
    });
    expect(pod.service_account_name).toBe(`\${kubernetes_service_account_v1.${name}_service_account.metadata[0].name}`);
  });

  it('is a StatefulSet with a claim per volume when it keeps data, else a Deployment', () => {
    if (spec.volumes.length === 0) return expect(r.kubernetes_deployment_v1![name]).toBeDefined();
    expect(
      r.kubernetes_stateful_set_v1![name].spec.volume_claim_template.map((v: any) => [v.metadata.name, v.spec.resources.requests.storage]),
    ).toEqual(spec.volumes.map((v) => [v.name, canonicalMemory(v.size)]));
    // No storage class: the cluster's default one (a provider's class would leave claims Pending elsewhere).
    for (const v of r.kubernetes_stateful_set_v1![name].spec.volume_claim_template) expect(v.spec.storage_class_name).toBeUndefined();
  });

  for (const c of spec.containers) {
    describe(`container ${c.name}`, () => {
      const rc = pod.container.find((x: any) => x.name === c.name);

      it("runs the pinned image with the spec's command, arguments and resources", () => {
        expect(rc.image).toBe(imageName(c.image));
        expect(rc.resources).toEqual({
          requests: { cpu: canonicalCpu(c.resources.requests.cpu), memory: canonicalMemory(c.resources.requests.memory) },
          limits: expect.objectContaining({
            cpu: canonicalCpu(c.resources.limits.cpu),
            memory: canonicalMemory(c.resources.limits.memory),
          }),
        });
        // The spec's ports, and a public port's PROXY protocol twin where the realization listens for a load balancer.
        const twins = realizationOf(spec).describe(spec).includes('keeps the client address')
          ? c.ports.flatMap((p) => (p.internet ? [p.internet.proxyProtocolPort] : []))
          : [];
        expect(rc.port.map((p: any) => p.container_port)).toEqual([...c.ports.map((p) => p.port), ...twins]);
      });

      it("has startup, readiness and liveness probes from the spec's health check", () => {
        const h = c.health;
        for (const kind of ['startup_probe', 'readiness_probe', 'liveness_probe']) {
          expect(rc[kind].period_seconds).toBe(h.intervalSeconds);
          expect(rc[kind].timeout_seconds).toBe(h.timeoutSeconds);
          if (h.http) expect(rc[kind].http_get).toEqual({ path: h.http.path, port: String(h.http.port), scheme: 'HTTP' });
          else expect(rc[kind].exec.command.length).toBe(h.exec.length);
        }
        expect(rc.readiness_probe.failure_threshold).toBe(h.retries);
        expect(rc.startup_probe.failure_threshold).toBe(Math.ceil(h.startPeriodSeconds / h.intervalSeconds) + h.retries);
      });

      it('runs as its declared non-root user (root only with declared privileges), read-only where the image allows it', () => {
        const [uid, gid] = c.user.split(':');
        expect(rc.security_context).toMatchObject({
          run_as_user: uid,
          run_as_group: gid,
          run_as_non_root: !c.privileges?.root,
          allow_privilege_escalation: c.privileges?.privilegeEscalation ?? false,
          privileged: false,
          capabilities: c.privileges ? { drop: ['ALL'], add: [...c.privileges.capabilities] } : { drop: ['ALL'] },
          read_only_root_filesystem: c.scratchPaths !== undefined,
        });
        for (const path of c.scratchPaths ?? []) expect(rc.volume_mount.some((m: any) => m.mount_path === path)).toBe(true);
        // A writable root is an exception with its reason (listed in docs/services.md).
        if (!rc.security_context.read_only_root_filesystem) expect(c.writableRoot?.length).toBeGreaterThan(40);
      });

      it('gets its files from the ConfigMap, and its secret files from the Secret only', () => {
        for (const f of c.files) {
          const mount = rc.volume_mount.find((m: any) => m.mount_path === f.path);
          expect(mount, f.path).toBeDefined();
          expect(mount.name, f.path).toBe(hasSecret(f.content) ? 'secrets' : 'config');
          expect(mount.read_only).toBe(true);
        }
        for (const e of rc.env) expect(JSON.stringify(e), e.name).not.toMatch(/random_(password|bytes)/);
      });
    });
  }

  it('rolls when its files change (checksums of the ConfigMap and the Secret on the pod template)', () => {
    const hasSecretFile = spec.containers.some((c) => c.files.some((f) => hasSecret(f.content)));
    if (hasSecretFile) {
      expect(w.spec.template.metadata.annotations['platform/secret-checksum']).toBe(
        `\${nonsensitive(sha256(jsonencode(kubernetes_secret_v1.${name}_secret.data)))}`,
      );
      expect(JSON.stringify(r.kubernetes_secret_v1![`${name}_secret`].data)).toMatch(/random_(password|bytes)/);
    }
  });

  it('answers on a ClusterIP Service (and a headless one for members when stateful)', () => {
    expect(r.kubernetes_service_v1![`${name}_service`].spec).toMatchObject({ type: 'ClusterIP', selector: w.spec.selector.match_labels });
    if (spec.volumes.length > 0)
      expect(r.kubernetes_service_v1![`${name}_headless`].spec).toMatchObject({ cluster_ip: 'None', publish_not_ready_addresses: true });
  });

  it('runs its jobs after it is ready, within their time limit (or, where its realization says so, as an init container)', () => {
    for (const job of spec.jobs) {
      const init = (pod.init_container ?? []).find((c: any) => c.name === job.name);
      if (init) {
        expect(r.kubernetes_job_v1?.[`${name}_job_${job.name}`]).toBeUndefined();
        continue;
      }
      const j = r.kubernetes_job_v1![`${name}_job_${job.name}`];
      expect(j.spec.active_deadline_seconds).toBe(job.timeoutSeconds);
      expect(j.depends_on).toContain(`${spec.volumes.length ? 'kubernetes_stateful_set_v1' : 'kubernetes_deployment_v1'}.${name}`);
      expect(j.wait_for_completion).toBe((job.run ?? 'setup') === 'setup');
    }
  });
});

describe('Kubernetes specifics', () => {
  it('reaches other services by their namespaced Service name', () => {
    const cm = r.kubernetes_config_map_v1!;
    const secret = r.kubernetes_secret_v1!;
    // The Garage setup job calls the admin API of its own service.
    const job = r.kubernetes_job_v1!['garage_job_setup'].spec.template.spec.container[0];
    expect(job.env.find((e: any) => e.name === 'ADMIN_URL').value).toBe('http://garage.agent-platform-data.svc:3903');
    // Sidecars reach their main container on the pod's loopback.
    expect(JSON.stringify(secret.redis_secret.data)).toContain('redis://127.0.0.1:6379');
    expect(cm.nats_config).toBeDefined();
  });

  it('only Neo4j, RabbitMQ, docker-mailserver and Roundcube keep a writable root filesystem; Qdrant keeps its started marker on its storage volume', () => {
    const writable = own.flatMap((s) => s.containers.filter((c) => c.scratchPaths === undefined).map((c) => `${s.name}/${c.name}`));
    expect(writable.sort()).toEqual(['mailserver/main', 'neo4j/main', 'rabbitmq/main', 'webmail/main']);
    const q = spec(staging, 'qdrant').containers[0]!;
    expect(q.env.QDRANT_INIT_FILE_PATH).toBe('/qdrant/storage/.qdrant-initialized');
    expect(q.mounts.some((m) => m.path === '/qdrant/storage')).toBe(true);
  });

  it('refuses a container with neither scratch paths nor a reason for a writable root', () => {
    const bare = spec(staging, 'neo4j');
    const broken = { ...bare, containers: [{ ...bare.containers[0]!, writableRoot: undefined }, ...bare.containers.slice(1)] };
    expect(() => synth({ ...staging, specs: staging.specs.map((s) => (s.name === 'neo4j' ? broken : s)) })).toThrow(
      /neo4j\/main: no scratchPaths for a read-only root filesystem, and no writableRoot/,
    );
  });

  it("the synth summary's memory counts what each realization runs (ECK's node sets, the exporter, the probe)", () => {
    const names = containerSpecs.kubernetes(staging).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['elasticsearch-default', 'elasticsearch-exporter', 'kibana', 'kibana-probe']));
    expect(names).not.toContain('elasticsearch');
    const ownOnly = staging.specs.reduce(
      (n, s) => n + s.replicas * s.containers.reduce((m, c) => m + memoryMebibytes(c.resources.limits.memory), 0),
      0,
    );
    expect(memoryMiB(staging)).toBeGreaterThan(ownOnly);
  });

  it('scales stateless services with an autoscaler where they say so, and keeps a budget only where there is more than one member', () => {
    for (const s of own.filter((x) => x.volumes.length === 0))
      expect(r.kubernetes_horizontal_pod_autoscaler_v2?.[`${s.name}_hpa`], s.name).toEqual(
        s.scaling.kind === 'autoscaled'
          ? expect.objectContaining({ spec: expect.objectContaining({ min_replicas: s.replicas, max_replicas: s.scaling.max }) })
          : undefined,
      );
    expect(spec(staging, 'kong').scaling).toEqual({ kind: 'autoscaled', max: 6, cpuUtilization: 70 });
    // Kong runs two replicas on the medium profile: one may go at a time.
    expect(Object.keys(r.kubernetes_pod_disruption_budget_v1!)).toEqual(['kong_pdb']);
    expect(r.kubernetes_pod_disruption_budget_v1!.kong_pdb.spec.max_unavailable).toBe('1');
  });

  it('PostgreSQL on CloudNativePG: the operator first, then the cluster from its chart, passwords by Secret name', () => {
    const op = r.helm_release!.operator_cnpg;
    expect(op).toMatchObject({ chart: 'cloudnative-pg', version: '0.29.0', namespace: 'cnpg-system', wait: true, create_namespace: false });
    const cluster = r.helm_release!.postgres_cluster;
    expect(cluster).toMatchObject({ chart: 'cluster', version: '0.8.1', namespace: ns('data') });
    expect(cluster.depends_on).toEqual(expect.arrayContaining(['helm_release.operator_cnpg', 'kubernetes_secret_v1.postgres_app_secret']));
    const values = JSON.parse(cluster.values[0]);
    expect(values.cluster).toMatchObject({
      instances: 1,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:18.6-minimal-trixie',
      storage: { size: '50Gi' },
      enableSuperuserAccess: false,
      initdb: { database: 'platform', owner: 'platform', secret: { name: 'postgres-app' } },
      postgresql: {
        parameters: expect.objectContaining({ shared_buffers: '1GB', max_connections: '200', password_encryption: 'scram-sha-256' }),
      },
    });
    expect(values.cluster.roles.map((x: any) => [x.name, x.passwordSecret.name])).toEqual([
      ['platform', 'postgres-app'],
      ['prometheus_exporter', 'postgres-exporter'],
      // Roundcube's role (the platform's own consumer), then the default application's.
      ['webmail', 'postgres-consumer-webmail'],
      ['apps', 'postgres-consumer-apps'],
    ]);
    expect(values.cluster.postgresql.parameters.listen_addresses).toBeUndefined();
    expect(r.kubernetes_secret_v1!.postgres_app_secret).toMatchObject({
      type: 'kubernetes.io/basic-auth',
      data: { username: 'platform', password: '${random_password.postgres_password.result}' },
    });
  });

  it('GPU work lands on the GPU nodes with the device plugin installed first', () => {
    const o = r.kubernetes_stateful_set_v1!.ollama.spec.template.spec;
    expect(o.node_selector).toEqual({ 'feature.node.kubernetes.io/pci-10de.present': 'true' });
    expect(o.toleration).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(o.container[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(r.kubernetes_stateful_set_v1!.ollama.depends_on).toContain('helm_release.nvidia_device_plugin');
  });

  it('connects the providers as the environment says: kubeconfig, exec plugin, or a token from KUBE_TOKEN', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(providerConnection({ auth: 'kubeconfig', path: '~/.kube/config', context: 'c' })).toEqual({
      configPath: '~/.kube/config',
      configContext: 'c',
    });
    expect(
      providerConnection({
        auth: 'exec',
        host: 'https://k8s:6443',
        caCertificate: ca,
        exec: { apiVersion: 'v1', command: 'plugin', args: ['a'], env: {} },
      }),
    ).toEqual({ host: 'https://k8s:6443', clusterCaCertificate: ca, exec: { apiVersion: 'v1', command: 'plugin', args: ['a'], env: {} } });
    const token = synth(
      prepare(variant('staging', (i) => (i.target.cluster = { auth: 'token', host: 'https://k8s:6443', caCertificate: ca }))),
    ).tf;
    expect(token.provider!.kubernetes).toEqual([{ host: 'https://k8s:6443', cluster_ca_certificate: ca }]);
    expect(JSON.stringify(token.provider)).not.toMatch(/token/);
  });
});
