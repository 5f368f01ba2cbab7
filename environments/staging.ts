/**
 * staging: a shared Kubernetes cluster, deployed from pull requests' main branch.
 * State lives in S3 with native locking.
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
    // Grafana at grafana.<domain> through the Gateway; alerts in Grafana and Alertmanager (add receivers to notify).
    monitoring: {},
  },
} satisfies EnvironmentInput;
