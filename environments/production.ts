/**
 * production: AWS (VPC + EKS with a tainted GPU node pool for the model runtime, managed PostgreSQL,
 * Redis, RabbitMQ and S3; Elasticsearch and Kibana in the cluster), deployed from CI (docs/delivery.md).
 * State lives in the bootstrap's S3 bucket with native locking and KMS encryption.
 *
 * The account id 111122223333 and 203.0.113.0/24 are placeholders (AWS's and RFC 5737's documentation
 * values): put in the account id, the account's real role ARNs and the CI runners' egress range before
 * the first deploy.
 */
import type { EnvironmentInput } from './parse/schema';

export default {
  name: 'production',
  profile: 'large',
  target: {
    kind: 'aws',
    region: 'eu-west-1',
    // The provider refuses any other account; KMS key policies, trust policies and bucket names use it.
    accountId: '111122223333',
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
      // The deploy role CI applies with (bootstrap/account.ts creates it) and the administrators'.
      adminRoleArns: ['arn:aws:iam::111122223333:role/platform-deploy', 'arn:aws:iam::111122223333:role/platform-admin'],
      // The plan role pull requests and the drift check plan with: reads every object, Secrets included.
      viewRoleArns: ['arn:aws:iam::111122223333:role/platform-plan'],
      // One node group per zone for each pool; min, max and desired are spread over the zones.
      systemNodePool: { instanceTypes: ['m6i.2xlarge'], min: 3, max: 9, desired: 3 },
      // min 0: the pool scales from zero (the autoscaler reads the node template from ASG tags).
      // desired 1: one GPU node in the first zone at creation (the model volume is created there).
      gpuNodePool: { instanceTypes: ['g5.2xlarge'], amiType: 'AL2023_x86_64_NVIDIA', min: 0, max: 4, desired: 1, diskGiB: 200 },
    },
    managed: {
      // The RDS engine version is its own setting; a new major is a planned step (docs/operations.md).
      postgres: { mode: 'managed', instanceClass: 'db.r6g.xlarge', engineVersion: '18' },
      redis: { mode: 'managed', engine: 'valkey', nodeType: 'cache.r7g.large' },
      // RabbitMQ 4.x (quorum queues by default, like the in-cluster broker) runs on mq.m7g only.
      rabbitmq: { mode: 'managed', instanceType: 'mq.m7g.large', engineVersion: '4.2' },
      // Elasticsearch and Kibana run in the cluster (ECK): the API development and staging run.
      elasticsearch: { mode: 'in-cluster' },
      objectstore: { mode: 'managed' },
    },
    // What faces the internet: the API gateway at api.<domain> and the webmail at webmail.<domain>
    // behind an ALB with an ACM certificate, the mail server behind an NLB (PROXY protocol v2), and
    // the mail domain's records in the hosted zone. The zone id is a placeholder, as the domain is
    // (ACME cannot issue for example.com: the synth summary says so until it is a domain you own).
    edge: {
      domain: 'agent-platform.example.com',
      hostedZone: { id: 'Z00000000PLACEHOLDER0', name: 'agent-platform.example.com' },
      issuer: { kind: 'acme' },
    },
    // Outgoing mail through Amazon SES (EC2 throttles port 25); request SES production access.
    mail: { relay: 'ses' },
  },
  // The bucket and key of bootstrap/account.ts: state encrypted with the bucket's own KMS key.
  backend: {
    kind: 's3',
    bucket: 'agent-platform-terraform-state',
    key: 'production/terraform.tfstate',
    region: 'eu-west-1',
    kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:alias/agent-platform-terraform-state',
  },
  labels: { 'cost-center': 'ai-platform' },
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
      accounts: [{ address: 'ops@agent-platform.example.com' }, { address: 'alerts@agent-platform.example.com', quota: '5Gi' }],
      aliases: [{ address: 'security@agent-platform.example.com', to: ['ops@agent-platform.example.com'] }],
      dmarc: { policy: 'reject' },
      // Roundcube keeps its data in RDS: a role of its own (webmail) owning the database roundcube,
      // created by the roles job; two replicas (the large profile's), no volume.
      webmail: { database: 'postgres' },
    },
    kong: {},
    monitoring: {
      // The node pools' maximum (system 9 + GPU 4): one log shipper and node-exporter per node.
      nodes: 13,
      // A placeholder endpoint (RFC 2606 example domain): point it at the on-call tool's webhook.
      alertmanager: { receivers: [{ kind: 'webhook', name: 'oncall', url: 'https://alerts.example.com/hooks/agent-platform' }] },
    },
  },
} satisfies EnvironmentInput;
