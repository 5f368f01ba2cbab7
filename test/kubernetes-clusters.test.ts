/**
 * Replicated services on Kubernetes are real clusters: the `large` profile on a Kubernetes target
 * (the drills' clusters scenario, scripts/verify/scenarios/clusters.ts), asserted cluster by cluster: member counts, how members find each
 * other, quorum settings, disruption budgets, spread, pod management, readiness, and what clients
 * are told. Staging, whose services stay single, keeps every single-instance setting.
 */
import { describe, expect, it } from 'vitest';
import { checkEnvironment } from '../security/guardrails';
import { tpl } from '../constructs/spec/template';
import { realizationOf } from '../constructs/render/kubernetes/realizations';
import { disruptionBudget, minAvailable, podManagementPolicy, quorum } from '../constructs/render/kubernetes/workload';
import { CLUSTER_ZONES } from '../scripts/verify/scenarios/clusters';
import { env, spec, synth } from './helpers';

const clusters = env('clusters');
const { tf } = synth(clusters);
const res = (type: string): Record<string, any> => tf.resource[type] ?? {};
const one = (type: string, name: string) => {
  const r = res(type)[name];
  if (!r) throw new Error(`no ${type}.${name}; have ${Object.keys(res(type)).join(', ')}`);
  return r;
};
const sts = (name: string) => one('kubernetes_stateful_set_v1', name);
const podSpec = (name: string) => sts(name).spec.template.spec;
const container = (name: string, c = 'main') => {
  const found = podSpec(name).container.find((x: any) => x.name === c);
  if (!found) throw new Error(`${name} has no container ${c}`);
  return found;
};
const envOf = (c: any): Record<string, string> =>
  Object.fromEntries((c.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
const configFile = (service: string, key: string): string => {
  const v = one('kubernetes_config_map_v1', `${service}_config`).data[key];
  if (v === undefined) throw new Error(`${service}'s ConfigMap has no ${key}`);
  return v;
};
const secretFile = (service: string, key: string): string => {
  const v = one('kubernetes_secret_v1', `${service}_secret`).data[key];
  if (v === undefined) throw new Error(`${service}'s Secret has no ${key}`);
  return v;
};
const endpoint = (service: string): Record<string, string> => {
  const cm = one('kubernetes_config_map_v1', `${service}_connection`);
  expect(cm.metadata.name).toBe(`${service}-endpoint`);
  return cm.data;
};
const portsOf = (svc: any): number[] => svc.spec.port.map((p: any) => p.port).sort((a: number, b: number) => a - b);
const member = (service: string, ns: string, i: number) => `${service}-${i}.${service}-headless.${ns}.svc`;

const MESSAGING = 'agent-platform-messaging';
const DATA = 'agent-platform-data';
const CLUSTERED: Record<string, { members: number; ns: string; policy: 'Parallel' | 'OrderedReady'; minAvailable: number }> = {
  nats: { members: 3, ns: MESSAGING, policy: 'Parallel', minAvailable: 2 },
  redis: { members: 3, ns: DATA, policy: 'Parallel', minAvailable: 2 },
  qdrant: { members: 3, ns: DATA, policy: 'Parallel', minAvailable: 2 },
  rabbitmq: { members: 3, ns: MESSAGING, policy: 'Parallel', minAvailable: 2 },
  garage: { members: 4, ns: DATA, policy: 'OrderedReady', minAvailable: 3 },
};

describe('every replicated service of the large profile on Kubernetes', () => {
  it('the large profile is what runs: three NATS, Redis, Qdrant, RabbitMQ and PostgreSQL members, four object-store nodes', () => {
    for (const [name, c] of Object.entries(CLUSTERED)) expect(sts(name).spec.replicas, name).toBe(String(c.members));
    expect(JSON.parse(one('helm_release', 'postgres_cluster').values[0]).cluster.instances).toBe(3);
  });

  it.each(Object.entries(CLUSTERED))('%s declares a cluster in its spec and no member count a copy would give', (name, c) => {
    const s = spec(clusters, name);
    expect(s.replicas).toBe(c.members);
    expect(s.cluster).toBeDefined();
    expect(s.cluster!.maxUnavailable).toBe(1);
    expect(s.cluster!.discovery.length).toBeGreaterThan(20);
  });

  it('the realization says it is a cluster, how members start and how they find each other', () => {
    const redis = spec(clusters, 'redis');
    expect(realizationOf(redis).describe(redis)).toMatch(
      /^own StatefulSet \(typed kubernetes_\*_v1 resources\): a 3-member cluster, Parallel; member 0 is the first primary; Sentinel/,
    );
    const staged = spec(env('staging'), 'redis');
    expect(realizationOf(staged).describe(staged)).toBe('own StatefulSet (typed kubernetes_*_v1 resources)');
  });

  it.each(Object.entries(CLUSTERED))('%s: pod management %s', (name, c) => {
    expect(sts(name).spec.pod_management_policy).toBe(c.policy);
    expect(podManagementPolicy(spec(clusters, name))).toBe(c.policy);
  });

  it.each(Object.keys(CLUSTERED))(
    '%s: rolling updates replace one member at a time (RollingUpdate, partition 0, no maxUnavailable)',
    (name) => {
      expect(sts(name).spec.update_strategy).toEqual([{ type: 'RollingUpdate', rolling_update: [{ partition: 0 }] }]);
    },
  );

  it.each(Object.entries(CLUSTERED))('%s: a disruption budget that keeps all but one member (never less than a majority)', (name, c) => {
    const pdb = one('kubernetes_pod_disruption_budget_v1', `${name}_pdb`);
    expect(pdb.spec.min_available).toBe(String(c.minAvailable));
    expect(pdb.spec.max_unavailable).toBeUndefined();
    expect(c.minAvailable).toBeGreaterThanOrEqual(quorum(c.members));
    expect(pdb.spec.selector.match_labels).toEqual(sts(name).spec.selector.match_labels);
    expect(pdb.metadata.namespace).toBe(c.ns);
  });

  it.each(Object.keys(CLUSTERED))('%s: members spread across nodes (required) and across the named zones (preferred)', (name) => {
    const spread = podSpec(name).topology_spread_constraint;
    const selector = sts(name).spec.selector.match_labels;
    expect(spread).toEqual([
      {
        max_skew: 1,
        topology_key: 'kubernetes.io/hostname',
        when_unsatisfiable: 'DoNotSchedule',
        label_selector: [{ match_labels: selector }],
      },
      {
        max_skew: 1,
        topology_key: 'topology.kubernetes.io/zone',
        when_unsatisfiable: 'ScheduleAnyway',
        label_selector: [{ match_labels: selector }],
      },
    ]);
    expect(clusters.target.kind === 'kubernetes' && clusters.target.zones).toEqual(CLUSTER_ZONES);
  });

  it.each(Object.entries(CLUSTERED))(
    '%s: members are reachable by stable names before they are ready (headless, not-ready addresses published)',
    (name, c) => {
      const headless = one('kubernetes_service_v1', `${name}_headless`);
      expect(headless.metadata.name).toBe(`${name}-headless`);
      expect(headless.spec.cluster_ip).toBe('None');
      expect(headless.spec.publish_not_ready_addresses).toBe(true);
      expect(sts(name).spec.service_name).toBe(`${name}-headless`);
      expect(headless.metadata.namespace).toBe(c.ns);
    },
  );

  it.each(Object.keys(CLUSTERED))('%s: readiness is a stricter check than liveness (joined, not only up)', (name) => {
    const main = container(name);
    const probeOf = (p: any) => JSON.stringify(p.http_get ?? p.exec);
    if (name === 'garage') {
      // Garage's nodes are joined by the setup job after the rollout; dependents wait for that job.
      expect(probeOf(main.readiness_probe)).toBe(probeOf(main.liveness_probe));
      return;
    }
    expect(probeOf(main.readiness_probe)).not.toBe(probeOf(main.liveness_probe));
    expect(probeOf(main.startup_probe)).toBe(probeOf(main.liveness_probe));
  });

  it('members reach each other on every port, cluster ports included, through the network policies', () => {
    const clusterPorts: Record<string, number[]> = {
      nats: [6222],
      qdrant: [6335],
      rabbitmq: [4369, 25672],
      garage: [3901],
      redis: [6379, 26379],
    };
    for (const [name, ports] of Object.entries(clusterPorts)) {
      const ingress = one('kubernetes_network_policy_v1', `${name}_ingress`).spec.ingress;
      const fromMembers = ingress.find((r: any) =>
        r.from.some((f: any) => f.pod_selector?.match_labels['app.kubernetes.io/name'] === name),
      );
      expect(fromMembers, name).toBeDefined();
      const allowed = fromMembers.ports.map((p: any) => Number(p.port));
      for (const p of ports) expect(allowed, `${name} ${p}`).toContain(p);
    }
  });

  it('cluster ports stay off the client Service (only members use them)', () => {
    expect(portsOf(one('kubernetes_service_v1', 'nats_service'))).not.toContain(6222);
    expect(portsOf(one('kubernetes_service_v1', 'qdrant_service'))).not.toContain(6335);
    expect(portsOf(one('kubernetes_service_v1', 'rabbitmq_service'))).toEqual([5672, 15672, 15692]);
    expect(portsOf(one('kubernetes_service_v1', 'nats_headless'))).toContain(6222);
    expect(portsOf(one('kubernetes_service_v1', 'rabbitmq_headless'))).toEqual(expect.arrayContaining([4369, 25672]));
  });

  it('a member learns its own name from the downward API, before the variables that use it', () => {
    for (const name of ['nats', 'redis', 'qdrant', 'rabbitmq']) {
      const env = container(name).env;
      expect(env[0], name).toEqual({ name: 'POD_NAME', value_from: { field_ref: { field_path: 'metadata.name' } } });
      expect(
        env.slice(1).some((e: any) => e.value?.includes('$(POD_NAME)')),
        name,
      ).toBe(true);
    }
  });

  it('no cluster needs the Kubernetes API: service account tokens stay unmounted', () => {
    for (const name of Object.keys(CLUSTERED)) expect(podSpec(name).automount_service_account_token, name).toBe(false);
  });
});

describe('NATS: three servers with routes, clustered JetStream', () => {
  const conf = configFile('nats', 'etc_nats_nats-server.conf');
  const routes = secretFile('nats', 'etc_nats_routes.conf');

  it('each server names itself after its pod; the cluster has a name and listens for routes on 6222', () => {
    expect(conf).toMatch(/^server_name: \$SERVER_NAME$/m);
    expect(envOf(container('nats')).SERVER_NAME).toBe('$(POD_NAME)');
    expect(conf).toContain('cluster {\n  name: "clusters-nats"\n  listen: 0.0.0.0:6222\n');
    expect(conf).toContain('  include "routes.conf"\n}');
    expect(conf).toMatch(/jetstream \{\n  store_dir: "\/data\/jetstream"/);
  });

  it('routes to every member, with the generated route password; routes are admitted by its bcrypt hash only', () => {
    const urls = [...routes.matchAll(/"nats:\/\/route:([^@]+)@([^"]+)"/g)];
    expect(urls.map((m) => m[2])).toEqual([0, 1, 2].map((i) => `${member('nats', MESSAGING, i)}:6222`));
    for (const m of urls) expect(m[1]).toBe('${random_password.nats_route-password.result}');
    expect(routes).toContain('authorization {\n  user: "route"\n  password: "${random_password.nats_route-password.bcrypt_hash}"\n}');
    expect(one('random_password', 'nats_route-password').length).toBe(32);
    // A secret file, never in the ConfigMap.
    expect(JSON.stringify(one('kubernetes_config_map_v1', 'nats_config'))).not.toContain('route-password');
  });

  it('streams at R3 on three servers: the config says so and clients are told (nats-endpoint)', () => {
    expect(conf).toContain('num_replicas 3');
    expect(endpoint('nats')).toEqual({
      servers: [0, 1, 2].map((i) => `nats://${member('nats', MESSAGING, i)}:4222`).join(','),
      'stream-replicas': '3',
    });
  });

  it('ready means current with the JetStream meta leader and every replica it holds (full /healthz); alive means JetStream is on', () => {
    const main = container('nats');
    expect(main.readiness_probe.http_get.path).toBe('/healthz');
    expect(main.liveness_probe.http_get.path).toBe('/healthz?js-enabled-only=true');
    expect(main.startup_probe.http_get.path).toBe('/healthz?js-enabled-only=true');
  });
});

describe('Redis: a primary, two replicas and three sentinels', () => {
  // A secret file: the applications' sentinel users carry password hashes.
  const sentinelConf = secretFile('redis', 'usr_local_etc_redis_sentinel.conf');
  const redisConf = configFile('redis', 'usr_local_etc_redis_redis.conf');
  const script = configFile('redis', 'usr_local_bin_redis-member.sh');

  it('a sentinel beside every Redis: three sentinels, quorum 2 (a majority), member 0 the first primary', () => {
    expect(podSpec('redis').container.map((c: any) => c.name)).toEqual(['main', 'sentinel', 'exporter']);
    expect(sentinelConf).toContain(`sentinel monitor platform ${member('redis', DATA, 0)} 6379 2\n`);
    expect(sentinelConf).toContain('sentinel down-after-milliseconds platform 5000\n');
    expect(sentinelConf).toContain('sentinel failover-timeout platform 60000\n');
    expect(sentinelConf).toContain('sentinel parallel-syncs platform 1\n');
    expect(sentinelConf.indexOf('sentinel resolve-hostnames yes')).toBeLessThan(sentinelConf.indexOf('sentinel monitor'));
    expect(sentinelConf).toContain('sentinel announce-hostnames yes');
  });

  it('sentinel rewrites its file: it starts from a writable copy on a scratch volume, with the password from the secret file', () => {
    const sentinel = container('redis', 'sentinel');
    expect(sentinel.args).toEqual(['/bin/sh', '/usr/local/bin/redis-member.sh', 'sentinel']);
    expect(envOf(sentinel).SENTINEL_DIR).toBe('/run/sentinel');
    expect(sentinel.volume_mount.find((m: any) => m.mount_path === '/run/sentinel').read_only).toBe(false);
    expect(sentinel.security_context.read_only_root_filesystem).toBe(true);
    expect(script).toContain('"$SENTINEL_TEMPLATE" >"$conf"');
    expect(script).toContain('echo "sentinel auth-pass $MASTER_NAME $REDISCLI_AUTH"');
    expect(script).toContain('exec redis-server "$conf" --sentinel');
    // The template itself holds no password: the applications' users carry hashes only.
    expect(sentinelConf.replace(/\$\{sha256\(random_password\.[a-z0-9_-]+\.result\)\}/g, 'HASH')).not.toMatch(/pass|random_password/);
    expect(sentinelConf).toContain('user apps on #${sha256(random_password.redis_consumer-apps-password.result)} -@all allchannels +auth');
  });

  it('replicas follow the primary the sentinels name (else member 0), authenticated by masterauth, announced by stable name', () => {
    const main = container('redis');
    expect(main.args).toEqual(['/bin/sh', '/usr/local/bin/redis-member.sh', 'server']);
    const e = envOf(main);
    expect(e.REDIS_SELF).toBe(`$(POD_NAME).redis-headless.${DATA}.svc:6379`);
    expect(e.REDIS_FIRST_PRIMARY).toBe(`${member('redis', DATA, 0)}:6379`);
    expect(e.SENTINELS).toBe([0, 1, 2].map((i) => `${member('redis', DATA, i)}:26379`).join(' '));
    expect(script).toContain('--replicaof');
    expect(script).toContain('--replica-announce-ip');
    expect(secretFile('redis', 'usr_local_etc_redis_auth.conf')).toBe(
      'requirepass ${random_password.redis_password.result}\nmasterauth ${random_password.redis_password.result}\naclfile /usr/local/etc/redis/users.acl\n',
    );
    expect(redisConf).toContain('min-replicas-to-write 1\nmin-replicas-max-lag 10\n');
  });

  it('clients get Sentinel-aware settings: master name and every sentinel (redis-endpoint), sentinels on the client Service', () => {
    expect(endpoint('redis')).toEqual({
      mode: 'sentinel',
      'sentinel-master': 'platform',
      sentinels: [0, 1, 2].map((i) => `${member('redis', DATA, i)}:26379`).join(','),
    });
    expect(portsOf(one('kubernetes_service_v1', 'redis_service'))).toEqual([6379, 9121, 26379]);
  });

  it('ready: a primary, or a replica whose link is up; a sentinel that sees a quorum; alive: they answer', () => {
    const main = container('redis');
    expect(main.readiness_probe.exec.command[2]).toContain("grep -Eq '^(role:master|master_link_status:up)'");
    expect(main.liveness_probe.exec.command[2]).toContain('redis-cli ping');
    const sentinel = container('redis', 'sentinel');
    expect(sentinel.readiness_probe.exec.command[2]).toContain('sentinel ckquorum platform');
    expect(sentinel.liveness_probe.exec.command[2]).toContain('-p 26379 ping');
  });

  it('every member has its redis_exporter', () => {
    expect(container('redis', 'exporter').image).toMatch(/^oliver006\/redis_exporter:/);
  });
});

describe('Qdrant: distributed mode', () => {
  const main = container('qdrant');
  const e = envOf(main);
  it('cluster mode on p2p 6335; member 0 starts the consensus, the others bootstrap from it', () => {
    expect(e.QDRANT__CLUSTER__ENABLED).toBe('true');
    expect(e.QDRANT__CLUSTER__P2P__PORT).toBe('6335');
    expect(e.QDRANT_MEMBER_URI).toBe(`http://$(POD_NAME).qdrant-headless.${DATA}.svc:6335`);
    expect(e.QDRANT_FIRST_URI).toBe(`http://${member('qdrant', DATA, 0)}:6335`);
    expect(main.command).toEqual(['bash', '/usr/local/bin/qdrant-member.sh']);
    const script = configFile('qdrant', 'usr_local_bin_qdrant-member.sh');
    expect(script).toContain('[ "$QDRANT_MEMBER_URI" = "$QDRANT_FIRST_URI" ] || args+=(--bootstrap "$QDRANT_FIRST_URI")');
  });

  it('collections get two copies of every shard by default', () => {
    expect(e.QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR).toBe('2');
  });

  it('ready means /readyz (joined, caught up with consensus, shards active); alive means /livez', () => {
    expect(main.readiness_probe.http_get.path).toBe('/readyz');
    expect(main.liveness_probe.http_get.path).toBe('/livez');
  });
});

describe('RabbitMQ: cluster formation, quorum queues', () => {
  const conf = configFile('rabbitmq', 'etc_rabbitmq_conf.d_20-platform.conf');
  const main = container('rabbitmq');
  const e = envOf(main);

  it('peer discovery without API access, a cluster-size hint, quorum queues by default', () => {
    expect(conf).toContain('cluster_formation.peer_discovery_backend = k8s\n');
    expect(conf).toContain('cluster_formation.target_cluster_size_hint = 3\n');
    expect(conf).toContain('default_queue_type = quorum\n');
    expect(configFile('rabbitmq', 'etc_rabbitmq_enabled_plugins')).toBe(
      '[rabbitmq_management,rabbitmq_prometheus,rabbitmq_peer_discovery_k8s].\n',
    );
  });

  it('nodes are named after their stable addresses, so the seed every node derives is member 0', () => {
    expect(e.RABBITMQ_USE_LONGNAME).toBe('true');
    expect(e.RABBITMQ_NODENAME).toBe(`rabbit@$(POD_NAME).rabbitmq-headless.${MESSAGING}.svc`);
    // rabbit_peer_discovery_k8s (4.3.5) derives the seed from the node's own name with this pattern.
    for (const i of [0, 1, 2]) {
      const node = e.RABBITMQ_NODENAME!.replace('$(POD_NAME)', `rabbitmq-${i}`);
      const [, prefix, sts, , domain] = /^([^@]+@)([^.]*-)([0-9]+)(.*)$/.exec(node)!;
      expect(`${prefix}${sts}0${domain}`).toBe(`rabbit@${member('rabbitmq', MESSAGING, 0)}`);
    }
    expect(endpoint('rabbitmq').addresses).toBe([0, 1, 2].map((i) => `${member('rabbitmq', MESSAGING, i)}:5672`).join(','));
  });

  it('a generated Erlang cookie, installed owner-only before the node starts', () => {
    expect(secretFile('rabbitmq', 'run_secrets_rabbitmq-erlang-cookie')).toBe('${random_password.rabbitmq_erlang-cookie.result}');
    const item = podSpec('rabbitmq')
      .volume.find((v: any) => v.name === 'secrets')
      .secret.items.find((i: any) => i.key === 'run_secrets_rabbitmq-erlang-cookie');
    expect(item.mode).toBe('0440');
    const start = configFile('rabbitmq', 'usr_local_bin_platform-rabbitmq.sh');
    expect(start).toContain(
      '(umask 077 && rm -f "$HOME/.erlang.cookie" && cat /run/secrets/rabbitmq-erlang-cookie >"$HOME/.erlang.cookie" && chmod 400 "$HOME/.erlang.cookie")',
    );
    expect(start.indexOf('.erlang.cookie')).toBeLessThan(start.indexOf('exec docker-entrypoint.sh rabbitmq-server'));
    expect(e.HOME).toBe('/var/lib/rabbitmq');
  });

  it('ready means running, no alarm, and a majority of the nodes running in its cluster', () => {
    expect(main.readiness_probe.exec.command[2]).toContain(
      '[ "$(rabbitmq-diagnostics -q eval \'length(rabbit_nodes:list_running()).\')" -ge 2 ]',
    );
    expect(main.liveness_probe.exec.command[2]).not.toContain('list_running');
  });
});

describe('the object store (Garage): four nodes, three copies', () => {
  const toml = configFile('garage', 'etc_garage.toml');
  const job = one('kubernetes_job_v1', 'garage_job_setup');
  const jobContainer = job.spec.template.spec.container[0];
  const e = envOf(jobContainer);

  it('replication factor 3 on LMDB (Garage replicates; it has no erasure coding)', () => {
    expect(toml).toContain('replication_factor = 3\n');
    expect(toml).toContain('db_engine = "lmdb"\n');
    expect(toml).toContain('consistency_mode = "consistent"\n');
  });

  it('the setup job connects every node by its id and stable address, then lays out all four', () => {
    expect(jobContainer.command).toEqual(['/bin/sh', '/usr/local/bin/garage-connect.sh', '/usr/local/bin/garage-init.sh']);
    expect(e.NODES).toBe([0, 1, 2, 3].map((i) => member('garage', DATA, i)).join(' '));
    expect(e.EXPECTED_NODES).toBe('4');
    const connect = one('kubernetes_config_map_v1', 'garage_job-setup_config').data['usr_local_bin_garage-connect.sh'];
    expect(connect).toContain('/v2/GetNodeInfo?node=self');
    expect(connect).toContain('/v2/ConnectClusterNodes');
    // It runs after the nodes are rolled out, and dependents wait for it.
    expect(job.depends_on).toContain('kubernetes_stateful_set_v1.garage');
  });
});

describe('PostgreSQL: CloudNativePG instances', () => {
  const values = JSON.parse(one('helm_release', 'postgres_cluster').values[0]);
  it('three instances with automated failover, a budget, one per node; clients use the read-write Service', () => {
    expect(values.cluster.instances).toBe(3);
    expect(values.cluster.enablePDB).toBe(true);
    expect(values.cluster.affinity.topologyKey).toBe('kubernetes.io/hostname');
    expect(realizationOf(spec(clusters, 'postgres')).serviceName!(spec(clusters, 'postgres'))).toBe('postgres-rw');
  });
});

describe('Elasticsearch: formed by ECK, not by replicated pods of its own', () => {
  it('no StatefulSet of its own; the ECK release holds the nodes (test/kubernetes-elastic.test.ts asserts its topology)', () => {
    expect(res('kubernetes_stateful_set_v1').elasticsearch).toBeUndefined();
    expect(one('helm_release', 'elasticsearch_eck').depends_on).toContain('helm_release.operator_eck');
  });
});

describe('single members stay single (staging)', () => {
  const staging = env('staging');
  const stf = synth(staging).tf;
  it('no spec declares a cluster, every StatefulSet is OrderedReady, no budget blocks a drain, no endpoint ConfigMap', () => {
    for (const s of staging.specs) expect(s.cluster, s.name).toBeUndefined();
    for (const [name, s] of Object.entries<any>(stf.resource.kubernetes_stateful_set_v1 ?? {}))
      expect(s.spec.pod_management_policy, name).toBe('OrderedReady');
    // The only budget is the stateless gateway's (two replicas, one at a time).
    for (const [name, b] of Object.entries<any>(stf.resource.kubernetes_pod_disruption_budget_v1 ?? {}))
      expect(b.spec, name).toEqual({ max_unavailable: '1', selector: expect.anything() });
    expect(Object.keys(stf.resource.kubernetes_config_map_v1 ?? {}).filter((k) => k.endsWith('_connection'))).toEqual([]);
  });
});

describe('the disruption budget and pod management rules', () => {
  it('a budget keeps a majority, and for a cluster all but the members it may lose', () => {
    expect(minAvailable({ replicas: 3 })).toBe(2);
    expect(minAvailable({ replicas: 4 })).toBe(3);
    expect(minAvailable({ replicas: 5, cluster: { start: 'together', maxUnavailable: 1, discovery: '' } })).toBe(4);
    expect(minAvailable({ replicas: 5, cluster: { start: 'together', maxUnavailable: 2, discovery: '' } })).toBe(3);
    expect(minAvailable({ replicas: 2, cluster: { start: 'together', maxUnavailable: 1, discovery: '' } })).toBe(2);
  });

  it('stateless replicas lose one at a time, so two of two never blocks a node drain', () => {
    expect(disruptionBudget({ replicas: 2, volumes: [] })).toEqual({ maxUnavailable: '1' });
    expect(disruptionBudget({ replicas: 6, volumes: [] })).toEqual({ maxUnavailable: '1' });
    const volume = { name: 'data', size: '1Gi', description: 'data', backup: true };
    expect(disruptionBudget({ replicas: 3, volumes: [volume] })).toEqual({ minAvailable: '2' });
    expect(disruptionBudget({ replicas: 3, volumes: [], cluster: { start: 'together', maxUnavailable: 1, discovery: '' } })).toEqual({
      minAvailable: '2',
    });
  });

  it('Parallel only for clusters whose members must start together', () => {
    expect(podManagementPolicy({})).toBe('OrderedReady');
    expect(podManagementPolicy({ cluster: { start: 'in-order', maxUnavailable: 1, discovery: '' } })).toBe('OrderedReady');
    expect(podManagementPolicy({ cluster: { start: 'together', maxUnavailable: 1, discovery: '' } })).toBe('Parallel');
  });
});

describe('guardrails on clusters', () => {
  const withSpec = (edit: (s: any) => void) => {
    const e = structuredClone(clusters) as any;
    edit(e.specs.find((s: any) => s.name === 'nats'));
    return checkEnvironment(e).map((i) => `${i.path}: ${i.message}`);
  };

  it('the clusters environment passes', () => {
    expect(checkEnvironment(clusters)).toEqual([]);
  });

  it('connection facts carry no secret and nothing a member expands for itself', () => {
    expect(withSpec((s) => (s.connection = { bad: tpl`${{ kind: 'secret', service: 'nats', name: 'password' }}` }))).toContainEqual(
      expect.stringMatching(/^services\.nats: connection bad: clients' connection facts carry no secret/),
    );
    expect(withSpec((s) => (s.connection = { bad: tpl`${{ kind: 'member', form: 'address' }}` }))).toContainEqual(
      expect.stringMatching(/connection bad: clients' connection facts carry no secret and nothing a member expands/),
    );
  });

  it("a member's own address only in environment and commands, never in a shared file", () => {
    expect(
      withSpec(
        (s) =>
          (s.containers[0].files = [
            ...s.containers[0].files,
            { path: '/etc/x', content: tpl`${{ kind: 'member', form: 'address' }}`, mode: 0o644, format: 'x' },
          ]),
      ),
    ).toContainEqual(
      expect.stringMatching(/file \/etc\/x uses the member's own address, which only environment variables and commands can carry/),
    );
  });

  it('a cluster that could not lose a member, or one of one member, is refused', () => {
    expect(withSpec((s) => (s.cluster = { ...s.cluster, maxUnavailable: 3 }))).toContainEqual(
      'services.nats.replicas: a cluster of 3 cannot lose 3 members at once and keep working',
    );
    expect(withSpec((s) => (s.replicas = 1))).toContainEqual('services.nats.replicas: a cluster needs more than one member');
  });
});
