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
      // The API endpoint is private, plus public for the CI runners that deploy (and nothing else).
      publicAccessCidrs: ['203.0.113.0/24'],
      adminRoleArns: ['arn:aws:iam::111122223333:role/platform-deploy', 'arn:aws:iam::111122223333:role/platform-admin'],
      systemNodePool: { instanceTypes: ['m6i.2xlarge'], min: 3, max: 9, desired: 3 },
      // min 0: the pool scales from zero (the autoscaler reads the node template from ASG tags).
      gpuNodePool: { instanceTypes: ['g5.2xlarge'], amiType: 'AL2023_x86_64_NVIDIA', min: 0, max: 4, desired: 1, diskGiB: 200 },
    },
    managed: {
      postgres: { mode: 'managed', instanceClass: 'db.r6g.xlarge' },
      redis: { mode: 'managed', engine: 'valkey', nodeType: 'cache.r7g.large' },
      rabbitmq: { mode: 'managed', instanceType: 'mq.m5.large' },
      elasticsearch: { mode: 'managed', instanceType: 'r6g.large.search' },
      objectstore: { mode: 'managed' },
    },
  },
  backend: { kind: 's3', bucket: 'agent-platform-terraform-state', key: 'cloud/terraform.tfstate', region: 'eu-west-1' },
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
    ollama: { models: ['llama3.1:8b', 'nomic-embed-text:v1.5'], gpus: 1 },
    monitoring: { nodes: 13 },
  },
} satisfies EnvironmentInput;
