/**
 * staging: a shared Kubernetes cluster, deployed from the main branch (CI, docs/delivery.md).
 * State lives in the cluster itself (a Secret in the terraform-state namespace, locked with a
 * Lease), so planning and deploying need only the cluster's kubeconfig, no AWS account.
 */
import type { EnvironmentInput } from './parse/schema';

export default {
  name: 'staging',
  profile: 'medium',
  target: {
    kind: 'kubernetes',
    cluster: { auth: 'kubeconfig', context: 'agent-platform-staging' },
    namespacePrefix: 'agent-platform',
    storageClass: 'standard-rwo',
    gateway: {
      domain: 'staging.agent-platform.example.com',
      issuer: { kind: 'acme', email: 'platform-team@example.com' },
    },
    gpu: {
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      devicePlugin: 'install',
    },
  },
  // Or in S3 beside production's: { kind: 's3', bucket: 'agent-platform-terraform-state', key: 'staging/terraform.tfstate', region: 'eu-west-1' }
  backend: { kind: 'kubernetes', namespace: 'terraform-state' },
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
