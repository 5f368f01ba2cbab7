/**
 * IAM authentication per consumer (issue 14, point 7) on RDS, ElastiCache and OpenSearch. RDS: a consumer's PostgreSQL access
 * with `auth: 'iam'` on production (AWS, RDS) turns the instance's IAM authentication on, has the
 * roles job grant rds_iam to its role without a password, gives the consumer a Pod Identity role
 * that may connect as that role only, and publishes no password; everywhere RDS is not, the choice
 * is refused with the file and field.
 */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { env, spec, synth, variant } from './helpers';
import { awsWarnings } from '../constructs/targets/aws/checks';
import { APP_SERVICE_ACCOUNT, consumerIdentities, consumerRoleName } from '../constructs/render/aws/in-cluster';
import type { ManagedEndpoint } from '../constructs/render/aws/managed';
import { RDS_CA_BUNDLE_URL } from '../constructs/render/aws/postgres';
import { MAX_ROLE_NAME } from '../constructs/targets/aws/placement';
import { elasticacheDefaultVersion, elasticacheIamSupported } from '../constructs/targets/aws/offerings';

/**
 * Production with a second consumer, `agents`, on IAM authentication to RDS, ElastiCache and
 * OpenSearch (asked for: production runs Elasticsearch on ECK by default), in its own namespace, created.
 */
const withIam = (i: any) => {
  i.target.managed.elasticsearch = { mode: 'managed' };
  i.consumers = [
    { name: 'apps' },
    { name: 'agents', services: { postgres: { auth: 'iam' }, redis: { auth: 'iam' }, elasticsearch: { auth: 'iam' } } },
  ];
};
const iamEnv = prepare(variant('production', withIam));
const { tf } = synth(iamEnv);
const res = (type: string): Record<string, any> => tf.resource[type] ?? {};
const ref = (type: string, name: string, attr: string) => `\${${type}.${name}.${attr}}`;
const script = () => res('kubernetes_job_v1').postgres_roles.spec.template.spec.container[0].command.join('\n');

describe('RDS IAM authentication for one consumer (production variant)', () => {
  it('turns IAM database authentication on the instance on (production as shipped keeps it off: test/addresses.test.ts)', () => {
    expect(res('aws_db_instance').postgres.iam_database_authentication_enabled).toBe(true);
  });

  it('the roles job grants rds_iam to the IAM role and clears its password; password roles keep theirs and lose rds_iam', () => {
    const s = script();
    expect(s).toContain('ALTER ROLE "agents" WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL;');
    expect(s).toContain('GRANT rds_iam TO "agents";');
    expect(s).not.toContain('$INPUTS_DIR/agents');
    // Roundcube (no IAM tokens) and the other application: passwords, and no rds_iam.
    for (const role of ['apps', 'webmail']) {
      expect(s).toContain(`cat "$INPUTS_DIR/${role}"`);
      expect(s).not.toContain(`GRANT rds_iam TO "${role}"`);
      expect(s).toContain(`SELECT format('REVOKE rds_iam FROM %I', '${role}')`);
    }
    // The job's inputs: the password roles' passwords only.
    expect(Object.keys(res('kubernetes_secret_v1').postgres_roles_inputs.data).sort()).toEqual(['apps', 'webmail']);
  });

  it('no password exists for the IAM consumer: none generated, none in its Secret; its ConfigMap says IAM over verified TLS', () => {
    expect(Object.keys(res('random_password'))).not.toContain('postgres_consumer-agents-password');
    expect(Object.keys(res('random_password'))).toContain('postgres_consumer-apps-password');
    expect(spec(iamEnv, 'postgres').secrets.map((s) => s.name)).not.toContain('consumer-agents-password');
    const secret = res('kubernetes_secret_v1').consumer_agents_postgres_credentials;
    expect(secret.metadata).toMatchObject({ name: 'postgres-credentials', namespace: 'platform-agents' });
    expect(secret.data).toEqual({ username: 'agents', auth: 'iam' });
    expect(res('kubernetes_config_map_v1').consumer_agents_postgres_endpoint.data).toEqual({
      host: ref('aws_db_instance', 'postgres', 'address'),
      port: '5432',
      database: 'agents',
      username: 'agents',
      auth: 'iam',
      region: 'eu-west-1',
      sslmode: 'verify-full',
      'sslrootcert-url': RDS_CA_BUNDLE_URL,
    });
    // The password consumer is unchanged.
    expect(res('kubernetes_secret_v1').consumer_apps_postgres_credentials.data).toEqual({
      username: 'apps',
      password: ref('random_password', 'postgres_consumer-apps-password', 'result'),
    });
  });

  it('the consumer’s own Pod Identity role may connect as its role on this instance, and do nothing else', () => {
    const role = res('aws_iam_role').pod_app_agents;
    expect(role.name).toBe('agent-platform-production-app-agents');
    const trust = JSON.parse(role.assume_role_policy).Statement[0];
    expect(trust.Condition.StringEquals).toMatchObject({
      'aws:RequestTag/kubernetes-namespace': 'platform-agents',
      'aws:RequestTag/kubernetes-service-account': 'agents',
    });
    const policy = JSON.parse(res('aws_iam_role_policy').pod_app_agents.policy);
    // The same role for every service the consumer reaches with IAM: one statement each, nothing else.
    expect(policy.Statement).toEqual([
      {
        Sid: 'ElastiCacheConnectAsAgents',
        Effect: 'Allow',
        Action: 'elasticache:Connect',
        Resource: [
          'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:agent-platform-production-redis',
          'arn:aws:elasticache:eu-west-1:111122223333:user:agent-platform-production-redis-iam-agents',
        ],
      },
      {
        Sid: 'RdsConnectAsAgents',
        Effect: 'Allow',
        Action: 'rds-db:connect',
        Resource: `arn:aws:rds-db:eu-west-1:111122223333:dbuser:${ref('aws_db_instance', 'postgres', 'resource_id')}/agents`,
      },
      {
        Sid: 'OpenSearchHttpAsAgents',
        Effect: 'Allow',
        Action: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete'],
        Resource: [
          'arn:aws:es:eu-west-1:111122223333:domain/agent-platform-production',
          'arn:aws:es:eu-west-1:111122223333:domain/agent-platform-production/*',
        ],
      },
    ]);
    expect(res('aws_eks_pod_identity_association').pod_app_agents).toMatchObject({
      namespace: 'platform-agents',
      service_account: 'agents',
      role_arn: ref('aws_iam_role', 'pod_app_agents', 'arn'),
    });
    // The stack creates that ServiceAccount with the consumer's namespace; the shared role gets no rds-db:connect.
    expect(res('kubernetes_service_account_v1').consumer_agents.metadata).toMatchObject({ name: 'agents', namespace: 'platform-agents' });
    expect(res('aws_iam_role_policy').pod_platform_app.policy).not.toContain('rds-db');
    expect(res('aws_iam_role_policy').pod_platform_app.policy).not.toContain('elasticache:Connect');
    expect(res('aws_iam_role_policy').pod_platform_app.policy).not.toContain('es:ESHttp');
  });

  it('a consumer in the applications’ namespace gets rds-db:connect on the applications’ role (platform-app), elsewhere a role of its own', () => {
    const statement = { Sid: 'RdsConnectAsA', Effect: 'Allow' as const, Action: 'rds-db:connect', Resource: 'arn' };
    const managed = new Map<string, ManagedEndpoint>([
      [
        'postgres',
        {
          endpoint: {},
          clientStatements: [],
          applications: [
            { consumer: 'a', endpoint: {}, credentials: {}, statements: [statement] },
            { consumer: 'b', endpoint: {}, credentials: {} },
            { consumer: 'c', endpoint: {}, credentials: {}, statements: [statement] },
          ],
        },
      ],
    ]);
    const placements = [
      { name: 'a', namespace: 'platform', create: false, podLabels: {} },
      { name: 'b', namespace: 'platform-b', create: true, podLabels: {} },
      { name: 'c', namespace: 'team-c', create: false, podLabels: {} },
    ];
    expect(consumerIdentities(managed, placements, 'platform')).toEqual([
      { consumer: 'a', namespace: 'platform', serviceAccount: APP_SERVICE_ACCOUNT, statements: [statement] },
      { consumer: 'c', namespace: 'team-c', serviceAccount: 'c', statements: [statement] },
    ]);
  });
});

describe('ElastiCache IAM authentication for one consumer (the same production variant)', () => {
  it('its user authenticates with IAM: user name equal to its user id, no password, the same access string; in the user group', () => {
    const users = res('aws_elasticache_user');
    expect(users.redis_consumer_agents).toMatchObject({
      user_id: 'agent-platform-production-redis-iam-agents',
      user_name: 'agent-platform-production-redis-iam-agents',
      engine: 'redis',
      access_string: 'on ~agents:* &agents:* +@all -@dangerous',
      authentication_mode: { type: 'iam' },
      // A switch changes the user id: the new user joins the group before the old one goes.
      lifecycle: { create_before_destroy: true },
    });
    expect(users.redis_consumer_agents.authentication_mode.passwords).toBeUndefined();
    // The password consumer keeps its user as before.
    expect(users.redis_consumer_apps).toMatchObject({
      user_id: 'agent-platform-production-redis-apps',
      user_name: 'apps',
      authentication_mode: { type: 'password', passwords: [ref('random_password', 'redis_consumer-apps-password', 'result')] },
    });
    expect(res('aws_elasticache_user_group').redis.user_ids).toContain(ref('aws_elasticache_user', 'redis_consumer_agents', 'user_id'));
    // IAM authentication's other needs, which the replication group always meets: TLS and the user group.
    expect(res('aws_elasticache_replication_group').redis).toMatchObject({
      transit_encryption_enabled: true,
      user_group_ids: [ref('aws_elasticache_user_group', 'redis', 'user_group_id')],
    });
  });

  it('no password exists for it: none generated, none in its Secret; its ConfigMap says IAM, the region, the group and the user to sign for', () => {
    expect(Object.keys(res('random_password'))).not.toContain('redis_consumer-agents-password');
    expect(spec(iamEnv, 'redis').secrets.map((s) => s.name)).not.toContain('consumer-agents-password');
    expect(res('kubernetes_secret_v1').consumer_agents_redis_credentials.data).toEqual({
      username: 'agent-platform-production-redis-iam-agents',
      auth: 'iam',
    });
    expect(res('kubernetes_config_map_v1').consumer_agents_redis_endpoint.data).toMatchObject({
      host: ref('aws_elasticache_replication_group', 'redis', 'primary_endpoint_address'),
      port: '6379',
      tls: 'true',
      username: 'agent-platform-production-redis-iam-agents',
      'key-patterns': 'agents:*',
      auth: 'iam',
      region: 'eu-west-1',
      'replication-group-id': ref('aws_elasticache_replication_group', 'redis', 'replication_group_id'),
    });
  });

  it('the version check: Valkey before 7.2 and Redis OSS before 7.0 have no IAM authentication', () => {
    expect(elasticacheIamSupported('valkey', elasticacheDefaultVersion.valkey)).toBe(true);
    expect(elasticacheIamSupported('redis', elasticacheDefaultVersion.redis)).toBe(true);
    expect(elasticacheIamSupported('valkey', '7.2')).toBe(true);
    expect(elasticacheIamSupported('redis', '7.0')).toBe(true);
    expect(elasticacheIamSupported('redis', '6.2')).toBe(false);
    expect(elasticacheIamSupported('valkey', '7.1')).toBe(false);
    expect(elasticacheIamSupported('valkey', '10.0')).toBe(true);
  });
});

describe('OpenSearch IAM authentication for one consumer (the same production variant, with OpenSearch asked for)', () => {
  const job = () => res('kubernetes_job_v1').opensearch_users.spec.template.spec.container[0];
  const users = () => job().command.join('\n');

  it('no internal user and no password for it: none generated, none in the users job’s inputs or its Secret', () => {
    expect(Object.keys(res('random_password'))).not.toContain('opensearch_consumer-agents-password');
    expect(Object.keys(res('random_password'))).toContain('opensearch_consumer-apps-password');
    expect(spec(iamEnv, 'elasticsearch').secrets.map((s) => s.name)).not.toContain('consumer-agents-password');
    expect(Object.keys(res('kubernetes_secret_v1').opensearch_users_inputs.data)).toEqual(['apps']);
    expect(res('kubernetes_secret_v1').consumer_agents_elasticsearch_credentials.data).toEqual({ auth: 'iam' });
    // The password consumer is unchanged.
    expect(res('kubernetes_secret_v1').consumer_apps_elasticsearch_credentials.data).toEqual({
      username: 'apps',
      password: ref('random_password', 'opensearch_consumer-apps-password', 'result'),
    });
  });

  it('its ConfigMap says IAM: SigV4 for service es in the region, the URL, the IAM role the domain maps, no user', () => {
    expect(res('kubernetes_config_map_v1').consumer_agents_elasticsearch_endpoint.data).toEqual({
      url: `https://${ref('aws_opensearch_domain', 'opensearch', 'endpoint')}`,
      'dashboards-url': `https://${ref('aws_opensearch_domain', 'opensearch', 'dashboard_endpoint')}`,
      indices: 'agents-*',
      auth: 'iam',
      region: 'eu-west-1',
      'signing-service': 'es',
      'iam-role-arn': 'arn:aws:iam::111122223333:role/agent-platform-production-app-agents',
      role: 'app-agents',
    });
  });

  it('the users job maps its index role to its IAM role as a backend role, creates no user for it and deletes the one it had', () => {
    const s = users();
    const env = Object.fromEntries(job().env.map((e: any) => [e.name, e.value]));
    expect(env.IAM_ROLE_ARN_PREFIX).toBe('arn:aws:iam::111122223333:role/');
    // The role mapped is the consumer's own Pod Identity role (the one with its es:ESHttp* statement).
    expect(res('aws_iam_role').pod_app_agents.name).toBe('agent-platform-production-app-agents');
    expect(s).toContain(
      `printf '{"users":[],"backend_roles":["%s%s"]}' "$IAM_ROLE_ARN_PREFIX" 'agent-platform-production-app-agents' >"$W/mapping"\nput rolesmapping/app-agents "$W/mapping"`,
    );
    expect(s).toContain('put roles/app-agents "$W/role"');
    expect(s).not.toContain('put internalusers/agents');
    expect(s).not.toContain('$INPUTS_DIR/agents');
    expect(s).toContain('gone internalusers/agents');
    // The password application: its user, and a mapping naming it and no backend role (back from IAM: the role goes).
    expect(s).toContain('put internalusers/apps "$W/user"');
    expect(s).toContain(`printf '%s' '{"users":["apps"],"backend_roles":[]}' >"$W/mapping"\nput rolesmapping/app-apps "$W/mapping"`);
  });

  it('the domain’s policy admits signed requests from inside the VPC (fine-grained access control decides), and its master stays internal', () => {
    const policy = JSON.parse(res('aws_opensearch_domain_policy').opensearch.access_policies);
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'es:ESHttp*',
        Resource: `${ref('aws_opensearch_domain', 'opensearch', 'arn')}/*`,
      },
    ]);
    expect(res('aws_opensearch_domain').opensearch.advanced_security_options).toMatchObject({
      enabled: true,
      internal_user_database_enabled: true,
    });
  });

  it('the synth summary warns that the application must sign its requests before the deploy (production as shipped: no such warning)', () => {
    const warnings = awsWarnings(iamEnv, new Date('2026-11-23')).filter((w) => w.message.includes('IAM authentication'));
    expect(warnings).toEqual([
      {
        path: 'consumers[1].services.elasticsearch.auth',
        message: expect.stringContaining('consumer agents reaches OpenSearch with IAM authentication: no user and no password'),
      },
    ]);
    expect(warnings[0]!.message).toContain('SigV4, service es');
    expect(awsWarnings(env('production'), new Date('2026-11-23')).filter((w) => w.message.includes('IAM authentication'))).toEqual([]);
  });

  it('a consumer in the applications’ namespace is mapped by the applications’ role (platform-app), elsewhere by its own', () => {
    const placements = [
      { name: 'a', namespace: 'platform', create: false, podLabels: {} },
      { name: 'c', namespace: 'team-c', create: false, podLabels: {} },
    ];
    const role = consumerRoleName({ name: (...p: string[]) => ['p-e', ...p].join('-') }, placements, 'platform');
    expect(role('a')).toBe(`p-e-${APP_SERVICE_ACCOUNT}`);
    expect(role('c')).toBe('p-e-app-c');
    expect(() => role('x')).toThrow('consumer x has no placement');
  });
});

/** The message a variant of a fixture is refused with (a test fails if it is accepted). */
function refused(name: 'development' | 'staging' | 'production', edit: (i: any) => void): string {
  try {
    prepare(variant(name, edit));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe.each([
  { service: 'postgres', managed: 'RDS', owner: "IAM database authentication is RDS's" },
  { service: 'redis', managed: 'ElastiCache', owner: "IAM authentication is ElastiCache's" },
  { service: 'elasticsearch', managed: 'Amazon OpenSearch Service', owner: "IAM authentication is Amazon OpenSearch Service's" },
] as const)('IAM authentication for $service is refused where $managed is not, with the file and field', ({ service, owner }) => {
  const iamConsumer = (i: any) => {
    i.consumers = [{ name: 'agents', services: { [service]: { auth: 'iam' } } }];
  };

  it('an unknown method names the choices', () => {
    const msg = refused('production', (i) => (i.consumers = [{ name: 'agents', services: { [service]: { auth: 'token' } } }]));
    expect(msg).toContain(`test/fixtures/production.ts: consumers[0].services.${service}.auth: must be one of "password", "iam"`);
  });

  it('on the docker target', () => {
    expect(refused('development', iamConsumer)).toContain(
      `test/fixtures/development.ts: consumers[0].services.${service}.auth: the docker target runs ${service} as a container, not as a managed service: consumer agents asks for IAM authentication: ${owner}`,
    );
  });

  it('on a Kubernetes cluster', () => {
    expect(refused('staging', iamConsumer)).toContain(
      `test/fixtures/staging.ts: consumers[0].services.${service}.auth: ${service} runs in the cluster here, not as a managed service: consumer agents asks for IAM authentication`,
    );
  });

  it('on AWS with the service in the cluster (production’s default for elasticsearch: ECK)', () => {
    const msg = refused('production', (i) => {
      iamConsumer(i);
      // (PostgreSQL: Roundcube's database follows it into the cluster.)
      i.target.managed[service] = { mode: 'in-cluster' };
    });
    expect(msg).toContain(`consumers[0].services.${service}.auth: ${service} runs in the cluster here, not as a managed service`);
    expect(msg).toContain(`target.managed.${service}: { mode: 'managed' }`);
  });
});

describe('RDS IAM authentication: what only RDS refuses', () => {
  it('a consumer whose IAM role name would pass 64 characters', () => {
    const name = 'a'.repeat(40);
    const msg = refused('production', (i) => (i.consumers = [{ name, services: { postgres: { auth: 'iam' } } }]));
    expect(msg).toContain(
      `consumers[0].services.postgres.auth: consumer ${name} on IAM authentication gets the IAM role agent-platform-production-app-${name}, longer than IAM's ${MAX_ROLE_NAME} characters`,
    );
  });

  it('Roundcube cannot be put on IAM: its role is the platform’s own (no consumer may take its name), and stays on a password', () => {
    expect(refused('production', (i) => (i.consumers = [{ name: 'webmail', services: { postgres: { auth: 'iam' } } }]))).toContain(
      '"webmail" is the platform\'s own identity for webmail (services.mail.webmail.database)',
    );
    const webmail = spec(iamEnv, 'postgres').facet.applications.find((a) => a.consumer === 'webmail');
    expect(webmail?.auth).toBe('password');
  });
});

describe('OpenSearch IAM authentication: what only OpenSearch refuses', () => {
  it('a consumer whose IAM role name would pass 64 characters', () => {
    const name = 'a'.repeat(40);
    const msg = refused('production', (i) => {
      i.target.managed.elasticsearch = { mode: 'managed' };
      i.consumers = [{ name, services: { elasticsearch: { auth: 'iam' } } }];
    });
    expect(msg).toContain(`consumers[0].services.elasticsearch.auth: consumer ${name} on IAM authentication gets the IAM role`);
  });
});

describe('ElastiCache IAM authentication: what only ElastiCache refuses', () => {
  const iamConsumer = (i: any) => {
    i.consumers = [{ name: 'agents', services: { redis: { auth: 'iam' } } }];
  };

  it('on an engine version without IAM authentication', () => {
    const msg = refused('production', (i) => {
      iamConsumer(i);
      i.target.managed.redis = { mode: 'managed', engine: 'redis', engineVersion: '6.2' };
    });
    expect(msg).toContain(
      "test/fixtures/production.ts: consumers[0].services.redis.auth: consumer agents asks for IAM authentication, which ElastiCache offers from Redis OSS 7.0 on; target.managed.redis.engineVersion is 6.2: raise it, or use auth: 'password'",
    );
  });

  it('a consumer whose IAM role name would pass 64 characters', () => {
    const name = 'a'.repeat(40);
    const msg = refused('production', (i) => (i.consumers = [{ name, services: { redis: { auth: 'iam' } } }]));
    expect(msg).toContain(`consumers[0].services.redis.auth: consumer ${name} on IAM authentication gets the IAM role`);
  });
});
