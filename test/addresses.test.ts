/**
 * Terraform addresses of stateful resources are a contract: renaming one makes Terraform destroy
 * and recreate it, which for a volume or database means data loss. This list is deliberately
 * literal. If a change here is intended, write the `terraform state mv` (or `moved` block) for it.
 */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { env, synth, variant } from './helpers';

const { tf } = synth(env('development'));
const addresses = (type: string) => Object.keys(tf.resource[type] ?? {}).map((name) => `${type}.${name}`);

describe('stable Terraform addresses (development, Docker)', () => {
  it('data volumes', () => {
    expect(addresses('docker_volume').sort()).toEqual([
      'docker_volume.alertmanager_data',
      'docker_volume.alloy_data',
      'docker_volume.alloy_docker-api',
      // The default consumer's files (rewritten on every publish; no data of its own).
      'docker_volume.consumer_apps',
      'docker_volume.elasticsearch_data',
      'docker_volume.garage_data',
      'docker_volume.garage_meta',
      'docker_volume.grafana_data',
      'docker_volume.loki_data',
      // Mailboxes, and the server's queue and state.
      'docker_volume.mailserver_mail',
      'docker_volume.mailserver_state',
      // Finished dumps waiting for their upload (no data of their own).
      'docker_volume.nats_backup-staging',
      'docker_volume.nats_data',
      // Finished dumps waiting for their upload (no data of their own).
      'docker_volume.neo4j_backup-staging',
      'docker_volume.neo4j_data',
      'docker_volume.ollama_models',
      // Finished dumps waiting for their upload (no data of their own).
      'docker_volume.postgres_backup-staging',
      'docker_volume.postgres_data',
      'docker_volume.postgres_socket',
      'docker_volume.prometheus_data',
      // Finished dumps waiting for their upload (no data of their own).
      'docker_volume.qdrant_backup-staging',
      'docker_volume.qdrant_snapshots',
      'docker_volume.qdrant_storage',
      // Finished dumps waiting for their upload (no data of their own).
      'docker_volume.rabbitmq_backup-staging',
      'docker_volume.rabbitmq_data',
      // Finished dumps waiting for their upload (no data of their own).
      'docker_volume.redis_backup-staging',
      'docker_volume.redis_data',
    ]);
  });

  it('stateful service containers', () => {
    expect(addresses('docker_container')).toEqual(
      expect.arrayContaining([
        'docker_container.elasticsearch',
        'docker_container.garage',
        'docker_container.nats',
        'docker_container.neo4j',
        'docker_container.postgres',
        'docker_container.qdrant',
        'docker_container.rabbitmq',
        'docker_container.redis',
        'docker_container.ollama',
        'docker_container.mailserver',
      ]),
    );
  });

  it('generated secrets (a new address would generate a new password)', () => {
    expect(addresses('random_password').sort()).toEqual([
      'random_password.alertmanager_admin-password',
      'random_password.elasticsearch_admin-password',
      'random_password.elasticsearch_consumer-apps-password',
      'random_password.elasticsearch_elastic-password',
      'random_password.elasticsearch_exporter-password',
      'random_password.elasticsearch_kibana-system-password',
      'random_password.garage_admin-token',
      'random_password.garage_metrics-token',
      'random_password.grafana_admin-password',
      'random_password.grafana_metrics-password',
      'random_password.grafana_secret-key',
      'random_password.kibana_reporting-key',
      'random_password.kibana_saved-objects-key',
      'random_password.kibana_security-key',
      // The default consumer's API key at the gateway.
      'random_password.kong_consumer-apps-key',
      // Mailbox passwords, by address (a renamed mailbox gets a new one).
      'random_password.mailserver_account-agents-at-platform-test',
      'random_password.mailserver_account-ops-at-platform-test',
      // The default consumer's own credentials (consumers[].name names them: renaming a consumer rotates them).
      'random_password.nats_consumer-apps-password',
      'random_password.nats_password',
      'random_password.neo4j_password',
      'random_password.postgres_consumer-apps-password',
      // Roundcube's role in PostgreSQL (the platform's own consumer, webmail).
      'random_password.postgres_consumer-webmail-password',
      'random_password.postgres_exporter-password',
      'random_password.postgres_password',
      'random_password.prometheus_admin-password',
      'random_password.qdrant_api-key',
      'random_password.qdrant_read-only-api-key',
      'random_password.rabbitmq_consumer-apps-password',
      'random_password.rabbitmq_password',
      'random_password.redis_consumer-apps-password',
      'random_password.redis_password',
      'random_password.webmail_des-key',
    ]);
    // The salt of RabbitMQ's password hashes (the definitions file), generated once per password.
    expect(addresses('random_string').sort()).toEqual([
      'random_string.rabbitmq_consumer-apps-password-salt',
      'random_string.rabbitmq_password-salt',
    ]);
  });

  it('generated hex secrets (Garage: its RPC secret and the S3 key)', () => {
    expect(addresses('random_bytes').sort()).toEqual([
      'random_bytes.garage_access-key-id',
      'random_bytes.garage_backup-access-key-id',
      'random_bytes.garage_backup-secret-access-key',
      'random_bytes.garage_consumer-apps-access-key-id',
      'random_bytes.garage_consumer-apps-secret-access-key',
      'random_bytes.garage_rpc-secret',
      'random_bytes.garage_secret-access-key',
    ]);
  });

  it('MinIO, when chosen, keeps the addresses it always had', () => {
    const minio = synth(prepare(variant('development', (i) => (i.services.objectstore = { engine: 'minio' })))).tf;
    expect(Object.keys(minio.resource.docker_volume!)).toEqual(expect.arrayContaining(['minio_data']));
    expect(Object.keys(minio.resource.random_password!)).toEqual(expect.arrayContaining(['minio_root-user', 'minio_root-password']));
  });

  it('keys: the DKIM key (a new one needs its DNS record republished) and the internal CA with its certificates', () => {
    expect(addresses('tls_private_key').sort()).toEqual([
      'tls_private_key.internal_ca',
      'tls_private_key.kong_tls',
      'tls_private_key.mailserver_dkim-key',
      'tls_private_key.mailserver_tls',
    ]);
    expect(addresses('tls_self_signed_cert')).toEqual(['tls_self_signed_cert.internal_ca']);
    expect(addresses('tls_locally_signed_cert').sort()).toEqual([
      'tls_locally_signed_cert.kong_tls',
      'tls_locally_signed_cert.mailserver_tls',
    ]);
  });

  it('the network', () => {
    expect(addresses('docker_network')).toEqual(['docker_network.network']);
  });

  it('volumes keep their Docker names (the data lives under the name)', () => {
    expect(tf.resource.docker_volume!.postgres_data.name).toBe('agent-platform-development-postgres-data');
    expect(tf.resource.docker_volume!.qdrant_storage.name).toBe('agent-platform-development-qdrant-storage');
  });
});

describe('stable Terraform addresses (production, AWS)', () => {
  const prod = synth(env('production')).tf;
  const at = (type: string) => Object.keys(prod.resource[type] ?? {}).map((name) => `${type}.${name}`);

  it('the AWS Backup vaults (their recovery points), plan and selection', () => {
    expect([...at('aws_backup_vault'), ...at('aws_backup_plan'), ...at('aws_backup_selection')].sort()).toEqual([
      'aws_backup_plan.backup',
      'aws_backup_selection.backup',
      'aws_backup_vault.backup',
      'aws_backup_vault.backup_copy',
    ]);
  });

  it('a consumer on RDS, ElastiCache and OpenSearch IAM authentication: one Pod Identity role, policy and association, named after it; its ElastiCache user keeps its address', () => {
    const iam = synth(
      prepare(
        variant('production', (i) => {
          i.target.managed.elasticsearch = { mode: 'managed' };
          i.consumers = [
            { name: 'apps' },
            { name: 'agents', services: { postgres: { auth: 'iam' }, redis: { auth: 'iam' }, elasticsearch: { auth: 'iam' } } },
          ];
        }),
      ),
    ).tf;
    const named = (type: string) =>
      Object.keys(iam.resource[type] ?? {})
        .filter((n) => n.includes('agents'))
        .map((n) => `${type}.${n}`);
    expect([...named('aws_iam_role'), ...named('aws_iam_role_policy'), ...named('aws_eks_pod_identity_association')]).toEqual([
      'aws_iam_role.pod_app_agents',
      'aws_iam_role_policy.pod_app_agents',
      'aws_eks_pod_identity_association.pod_app_agents',
    ]);
    // One address for the consumer's ElastiCache user whatever its authentication (a switch replaces it there).
    expect(named('aws_elasticache_user')).toEqual(['aws_elasticache_user.redis_consumer_agents']);
    expect(iam.resource.aws_elasticache_user!.redis_consumer_agents.authentication_mode).toEqual({ type: 'iam' });
    // OpenSearch: the same domain, policy and users job; for the IAM consumer no password (a switch
    // back generates a new one at this address), the endpoint and the Secret in its namespace.
    expect(named('random_password')).toEqual([]);
    expect(Object.keys(iam.resource.random_password ?? {})).toContain('opensearch_consumer-apps-password');
    expect(Object.keys(iam.resource.aws_opensearch_domain ?? {})).toEqual(['opensearch']);
    expect(Object.keys(iam.resource.aws_opensearch_domain_policy ?? {})).toEqual(['opensearch']);
    expect(Object.keys(iam.resource.kubernetes_job_v1 ?? {})).toContain('opensearch_users');
    expect([...named('kubernetes_config_map_v1'), ...named('kubernetes_secret_v1')].filter((a) => a.includes('elasticsearch'))).toEqual([
      'kubernetes_config_map_v1.consumer_agents_elasticsearch_endpoint',
      'kubernetes_secret_v1.consumer_agents_elasticsearch_credentials',
    ]);
    // The instance is the same resource, with IAM authentication on (off while no consumer uses it).
    expect(iam.resource.aws_db_instance!.postgres.iam_database_authentication_enabled).toBe(true);
    expect(prod.resource.aws_db_instance!.postgres.iam_database_authentication_enabled).toBe(false);
  });

  it("Elasticsearch's snapshot identity (IRSA): the cluster's OIDC provider, the role and its policy, the nodes' service account", () => {
    // A new provider address would replace the provider, and every role trusting it with it.
    expect(at('aws_iam_openid_connect_provider')).toEqual(['aws_iam_openid_connect_provider.eks']);
    expect([...at('aws_iam_role'), ...at('aws_iam_role_policy')].filter((a) => a.includes('irsa'))).toEqual([
      'aws_iam_role.irsa_backup_elasticsearch',
      'aws_iam_role_policy.irsa_backup_elasticsearch',
    ]);
    expect(at('kubernetes_service_account_v1')).toContain('kubernetes_service_account_v1.elasticsearch_service_account');
  });

  it('the backup bucket of the in-cluster services keeps its generated suffix and versions', () => {
    const small = synth(prepare(variant('production', (i) => delete i.target.accountId))).tf;
    expect(Object.keys(small.resource.random_id ?? {})).toContain('backup_bucket_suffix');
    expect(at('aws_s3_bucket_versioning')).toContain('aws_s3_bucket_versioning.backup_bucket');
  });

  it('databases, caches, brokers, search domains and buckets', () => {
    expect(
      [
        ...at('aws_db_instance'),
        ...at('aws_elasticache_replication_group'),
        ...at('aws_mq_broker'),
        ...at('aws_opensearch_domain'),
        ...at('aws_s3_bucket'),
      ].sort(),
    ).toEqual([
      'aws_db_instance.postgres',
      'aws_elasticache_replication_group.redis',
      'aws_mq_broker.rabbitmq',
      // OpenSearch (aws_opensearch_domain.opensearch, pinned in test/aws.test.ts) only when asked for.
      // The in-cluster services' dumps (their backups).
      'aws_s3_bucket.backup_bucket',
      // Loki's chunks (monitoring on AWS).
      'aws_s3_bucket.monitoring_logs',
      'aws_s3_bucket.objectstore_agent-outputs',
      'aws_s3_bucket.objectstore_user-uploads',
      'aws_s3_bucket.objectstore_workflow-artifacts',
    ]);
  });

  it('the cluster, its node groups, keys and VPC (replacing one takes the workloads with it)', () => {
    expect(at('aws_eks_cluster')).toEqual(['aws_eks_cluster.cluster']);
    // One group per pool and zone; the first zone's took over the single group's state (a moved block).
    const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
    expect(at('aws_eks_node_group').sort()).toEqual(['gpu', 'system'].flatMap((p) => zones.map((z) => `aws_eks_node_group.${p}_${z}`)));
    expect((prod as any).moved).toEqual([
      { from: 'aws_eks_node_group.system', to: 'aws_eks_node_group.system_eu-west-1a' },
      { from: 'aws_eks_node_group.gpu', to: 'aws_eks_node_group.gpu_eu-west-1a' },
    ]);
    expect(at('aws_kms_key').sort()).toEqual(['aws_kms_key.backup_copy', 'aws_kms_key.data', 'aws_kms_key.eks', 'aws_kms_key.logs']);
    expect(at('aws_vpc')).toEqual(['aws_vpc.vpc']);
  });

  it('generated credentials and the secrets that hold them', () => {
    expect(at('random_password').sort()).toEqual([
      'random_password.alertmanager_admin-password',
      // In the cluster: Elasticsearch and Kibana (ECK: the elastic and exporter users), NATS (its three
      // servers' routes too, and the default consumer's user), Neo4j, Qdrant (generated once, like everywhere).
      'random_password.elasticsearch_consumer-apps-password',
      'random_password.elasticsearch_elastic-password',
      'random_password.elasticsearch_exporter-password',
      'random_password.grafana_admin-password',
      'random_password.grafana_metrics-password',
      'random_password.grafana_secret-key',
      'random_password.kibana_reporting-key',
      'random_password.kibana_saved-objects-key',
      'random_password.kibana_security-key',
      'random_password.kong_consumer-apps-key',
      'random_password.mailserver_account-alerts-at-agent-platform-example-com',
      'random_password.mailserver_account-ops-at-agent-platform-example-com',
      'random_password.nats_consumer-apps-password',
      'random_password.nats_password',
      'random_password.nats_route-password',
      'random_password.neo4j_password',
      // RDS: the default consumer's role and Roundcube's (created by the roles job; RDS keeps the master's itself).
      'random_password.postgres_consumer-apps-password',
      'random_password.postgres_consumer-webmail-password',
      'random_password.prometheus_admin-password',
      'random_password.qdrant_api-key',
      'random_password.qdrant_read-only-api-key',
      // Amazon MQ: the default consumer's user (created by the users job).
      'random_password.rabbitmq_consumer-apps-password',
      'random_password.rabbitmq_password',
      // ElastiCache: the default consumer's user (RBAC), and the administrator's (the `default` user).
      'random_password.redis_consumer-apps-password',
      'random_password.redis_password',
      'random_password.webmail_des-key',
    ]);
    // ElastiCache's users and their group (RBAC).
    expect(at('aws_elasticache_user').sort()).toEqual(['aws_elasticache_user.redis_consumer_apps', 'aws_elasticache_user.redis_default']);
    expect(at('aws_elasticache_user_group')).toEqual(['aws_elasticache_user_group.redis']);
    expect(at('aws_secretsmanager_secret').sort()).toEqual(['aws_secretsmanager_secret.rabbitmq', 'aws_secretsmanager_secret.redis']);
    // The DKIM key (in the cluster and, through BYODKIM, in SES), the internal CA (Kong's certificate), and the SES SMTP user's key.
    expect(at('tls_private_key').sort()).toEqual(['tls_private_key.internal_ca', 'tls_private_key.mailserver_dkim-key']);
    expect(at('tls_self_signed_cert')).toEqual(['tls_self_signed_cert.internal_ca']);
    expect(at('aws_iam_access_key')).toEqual(['aws_iam_access_key.ses_smtp']);
    expect(at('aws_sesv2_email_identity')).toEqual(['aws_sesv2_email_identity.ses']);
  });

  it('the managed services’ application identities and the jobs that hold the masters', () => {
    // Beside them, the in-cluster Elasticsearch's snapshot registration job (no master).
    expect(at('kubernetes_job_v1').sort()).toEqual([
      'kubernetes_job_v1.elasticsearch_job-snapshot-repository',
      'kubernetes_job_v1.postgres_roles',
      'kubernetes_job_v1.rabbitmq_users',
    ]);
    expect(at('aws_iam_role').filter((a) => a.includes('rabbitmq'))).toEqual(['aws_iam_role.pod_rabbitmq_users']);
    expect(at('aws_iam_role').filter((a) => a.includes('postgres'))).toEqual(['aws_iam_role.pod_postgres_roles']);
    expect(at('aws_eks_pod_identity_association').filter((a) => a.includes('postgres'))).toEqual([
      'aws_eks_pod_identity_association.pod_postgres_roles',
    ]);
    expect(at('kubernetes_secret_v1').filter((a) => a.includes('postgres'))).toEqual([
      'kubernetes_secret_v1.postgres_credentials',
      'kubernetes_secret_v1.postgres_roles_inputs',
    ]);
    expect(at('kubernetes_namespace_v1')).toContain('kubernetes_namespace_v1.admin');
  });

  it('the edge: load balancers, the certificate, and the records of the hosted zone', () => {
    expect(at('aws_lb').sort()).toEqual(['aws_lb.edge_mail', 'aws_lb.edge_web']);
    expect(at('aws_acm_certificate')).toEqual(['aws_acm_certificate.edge']);
    expect(
      at('aws_route53_record')
        .filter((a) => a.startsWith('aws_route53_record.dns_'))
        .sort(),
    ).toEqual([
      'aws_route53_record.dns_mx_agent-platform_example_com',
      'aws_route53_record.dns_mx_bounce_agent-platform_example_com',
      'aws_route53_record.dns_txt__dmarc_agent-platform_example_com',
      'aws_route53_record.dns_txt_agent-platform_example_com',
      'aws_route53_record.dns_txt_bounce_agent-platform_example_com',
      'aws_route53_record.dns_txt_mail__domainkey_agent-platform_example_com',
    ]);
  });
});

describe('stable Terraform addresses (staging, Kubernetes)', () => {
  const staging = synth(env('staging')).tf;
  const at = (type: string) => Object.keys(staging.resource[type] ?? {}).map((name) => `${type}.${name}`);

  it('the Neo4j stopped dump: its CronJob, service account and the Role that may scale the StatefulSet', () => {
    expect(at('kubernetes_cron_job_v1')).toContain('kubernetes_cron_job_v1.neo4j_backup');
    expect(at('kubernetes_service_account_v1')).toContain('kubernetes_service_account_v1.neo4j_backup_service_account');
    expect(at('kubernetes_role_v1')).toContain('kubernetes_role_v1.neo4j_backup');
    expect(at('kubernetes_role_binding_v1')).toContain('kubernetes_role_binding_v1.neo4j_backup');
  });

  it('the mail server (its StatefulSet keeps the mailboxes), its DKIM key and the certificates release', () => {
    expect(at('kubernetes_stateful_set_v1')).toContain('kubernetes_stateful_set_v1.mailserver');
    // The internal CA (the mail server's and Kong's certificates under the self-signed Gateway issuer), in each namespace it signs in.
    expect(at('tls_private_key').sort()).toEqual(['tls_private_key.internal_ca', 'tls_private_key.mailserver_dkim-key']);
    expect(at('tls_self_signed_cert')).toEqual(['tls_self_signed_cert.internal_ca']);
    expect(at('kubernetes_secret_v1')).toEqual(
      expect.arrayContaining([
        'kubernetes_secret_v1.internal_ca_agent-platform-edge',
        'kubernetes_secret_v1.internal_ca_agent-platform-mail',
      ]),
    );
    expect(at('helm_release')).toContain('helm_release.platform_certificates');
  });

  it('the Elasticsearch resource and the operator that owns its nodes (a new address would delete the cluster)', () => {
    expect(at('helm_release')).toEqual(expect.arrayContaining(['helm_release.elasticsearch_eck', 'helm_release.operator_eck']));
    expect(at('kubernetes_namespace_v1')).toContain('kubernetes_namespace_v1.namespace_eck');
  });

  it('the Secrets the file realm, the keystores (Kibana; the snapshot repository key) read by name', () => {
    expect(at('kubernetes_secret_v1')).toEqual(
      expect.arrayContaining([
        'kubernetes_secret_v1.elasticsearch_snapshot_keys_secret',
        'kubernetes_secret_v1.elasticsearch_user_elastic_secret',
        'kubernetes_secret_v1.elasticsearch_user_prometheus_exporter_secret',
        'kubernetes_secret_v1.elasticsearch_roles_secret',
        'kubernetes_secret_v1.kibana_encryption_keys_secret',
      ]),
    );
  });
});
