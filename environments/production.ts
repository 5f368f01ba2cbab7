/**
 * production: AWS (VPC + EKS with a tainted GPU node pool for the model runtime), deployed from CI.
 * State lives in S3 with native locking and encryption.
 */
import type { EnvironmentInput } from './schema';

export default {
  name: 'production',
  profile: 'large',
  target: {
    kind: 'aws',
    region: 'eu-west-1',
    vpc: { cidr: '10.40.0.0/16', availabilityZones: 3 },
    eks: {
      version: '1.33',
      systemNodePool: { instanceTypes: ['m6i.2xlarge'], min: 3, max: 9, desired: 3 },
      gpuNodePool: { instanceTypes: ['g5.2xlarge'], min: 1, max: 4, desired: 1, diskGiB: 200 },
    },
  },
  backend: { kind: 's3', bucket: 'agent-platform-terraform-state', key: 'production/terraform.tfstate', region: 'eu-west-1' },
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
  },
} satisfies EnvironmentInput;
