/**
 * staging: a shared Kubernetes cluster, deployed from pull requests' main branch.
 * State lives in S3 with native locking.
 */
import type { EnvironmentInput } from './schema';

export default {
  name: 'staging',
  profile: 'medium',
  target: {
    kind: 'kubernetes',
    kubeconfig: { context: 'agent-platform-staging' },
    namespace: 'agent-platform',
    gpu: {
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    },
  },
  backend: { kind: 's3', bucket: 'agent-platform-terraform-state', key: 'staging/terraform.tfstate', region: 'eu-west-1' },
  services: {
    nats: {},
    redis: {},
    qdrant: {},
    neo4j: {},
    postgres: {},
    rabbitmq: {},
    objectstore: {},
    elasticsearch: {},
    ollama: { models: ['llama3.1:8b'], gpus: 1 },
  },
} satisfies EnvironmentInput;
