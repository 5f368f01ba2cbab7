/**
 * The cloud scenario: AWS with every managed service and a GPU pool (the large profile).
 * `npm run verify` validates and plans it offline with the real AWS provider (and every AWS
 * environment the user has). Account and CIDRs are documentation placeholders.
 */
import type { EnvironmentInput } from '../../../environments/parse/schema';

export default {
  name: 'cloud',
  profile: 'large',
  target: {
    kind: 'aws',
    region: 'eu-west-1',
    vpc: {
      cidr: '10.40.0.0/16',
      zones: [
        { name: 'eu-west-1a', private: '10.40.0.0/19', public: '10.40.96.0/24', intra: '10.40.104.0/24' },
        { name: 'eu-west-1b', private: '10.40.32.0/19', public: '10.40.97.0/24', intra: '10.40.105.0/24' },
        { name: 'eu-west-1c', private: '10.40.64.0/19', public: '10.40.98.0/24', intra: '10.40.106.0/24' },
      ],
    },
    eks: {
      version: '1.35',
      // At the end of standard support (2027-03-27 for 1.35) AWS upgrades the control plane itself;
      // the synth summary warns 60 days ahead. 'EXTENDED' keeps 1.35 a year longer, at a price.
      supportType: 'STANDARD',
      // The API endpoint is private, plus public for the CI runners that deploy (and nothing else).
      publicAccessCidrs: ['203.0.113.0/24'],
      adminRoleArns: ['arn:aws:iam::111122223333:role/platform-deploy', 'arn:aws:iam::111122223333:role/platform-admin'],
      // One node group per zone for each pool; min, max and desired are spread over the zones.
      systemNodePool: { instanceTypes: ['m6i.2xlarge'], min: 3, max: 9, desired: 3 },
      // min 0: the pool scales from zero (the autoscaler reads the node template from ASG tags).
      // desired 1: one GPU node in the first zone at creation (the model volume is created there).
      gpuNodePool: { instanceTypes: ['g5.2xlarge'], amiType: 'AL2023_x86_64_NVIDIA', min: 0, max: 4, desired: 1, diskGiB: 200 },
    },
    // No accountId: the account is read from the VPC's ARN at apply, and the buckets get a generated suffix.
    managed: {
      postgres: { mode: 'managed', instanceClass: 'db.r6g.xlarge', engineVersion: '18' },
      redis: { mode: 'managed', engine: 'valkey', nodeType: 'cache.r7g.large' },
      // The 3.13 line on mq.m5 (production runs 4.2 on mq.m7g).
      rabbitmq: { mode: 'managed', instanceType: 'mq.m5.large', engineVersion: '3.13' },
      // OpenSearch on request (the default runs Elasticsearch in the cluster), with a standby zone.
      elasticsearch: { mode: 'managed', instanceType: 'r6g.large.search', multiAzWithStandby: true },
      objectstore: { mode: 'managed' },
    },
    // A private CA for the mail server's certificate, and direct delivery (production: ACME and SES).
    edge: {
      domain: 'cloud.agent-platform.example.com',
      hostedZone: { id: 'Z00000000PLACEHOLDER1', name: 'agent-platform.example.com' },
      issuer: { kind: 'self-signed' },
    },
  },
  backend: { kind: 's3', bucket: 'agent-platform-terraform-state', key: 'cloud/terraform.tfstate', region: 'eu-west-1' },
  labels: { 'cost-center': 'ai-platform' },
  // The applications (every service, in the applications' namespace, as the default consumer), and
  // an agent runtime whose PostgreSQL role and ElastiCache user log in with IAM tokens and whose
  // OpenSearch requests are signed with its IAM role (its own namespace and one Pod Identity role for
  // all three): verify plans those resources, runs the roles job's rds_iam grant and the OpenSearch
  // users job's backend-role mapping.
  consumers: [
    { name: 'apps', namespace: { name: 'platform', create: false } },
    { name: 'agents', services: { postgres: { auth: 'iam' }, redis: { auth: 'iam' }, elasticsearch: { auth: 'iam' } } },
  ],
  services: {
    nats: {},
    redis: {},
    qdrant: {},
    neo4j: {},
    postgres: {},
    rabbitmq: {},
    objectstore: {},
    elasticsearch: {},
    // Within a g5.2xlarge (8 vCPUs, 32 GiB; 7.91 cpu and 28.6Gi for pods, less its probe's share).
    ollama: {
      models: ['llama3.1:8b', 'nomic-embed-text:v1.5'],
      gpus: 1,
      resources: { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '7', memory: '26Gi' } },
    },
    mail: {
      domain: 'agent-platform.example.com',
      hostname: 'mx',
      accounts: [{ address: 'ops@agent-platform.example.com' }],
      // On RDS: the roles job creates its role beside the applications' (verify runs that job's script).
      webmail: { database: 'postgres' },
    },
    kong: {},
    monitoring: { nodes: 13 },
  },
} satisfies EnvironmentInput;
