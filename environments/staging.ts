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
    // No storageClass: the cluster's default class (GKE standard-rwo, EKS gp3, AKS managed-csi, ...).
    gateway: {
      domain: 'staging.agent-platform.example.com',
      // A private CA through cert-manager: works on any cluster. For public certificates use
      // { kind: 'acme', email: '<a real address>' } with a domain you own (docs/operations.md).
      issuer: { kind: 'self-signed' },
    },
    gpu: {
      // Node Feature Discovery labels every node with an NVIDIA PCI device, on any provider.
      nodeSelector: { 'feature.node.kubernetes.io/pci-10de.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      devicePlugin: 'install',
      featureDiscovery: true,
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
    // Mail for the staging domain: SMTP and IMAP through a LoadBalancer Service that keeps the client
    // address (target.mail), a certificate from cert-manager, webmail at webmail.<gateway domain>.
    mail: {
      domain: 'staging.agent-platform.example.com',
      accounts: [{ address: 'ops@staging.agent-platform.example.com' }],
    },
    // The API gateway at api.<gateway domain>, behind the Gateway.
    kong: {},
    // Grafana at grafana.<domain> through the Gateway; alerts in Grafana and Alertmanager (add receivers to notify).
    monitoring: {},
  },
} satisfies EnvironmentInput;
