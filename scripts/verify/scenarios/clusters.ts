/**
 * The clusters scenario: a Kubernetes cluster that names its zones, with the `large` profile, so
 * every service that clusters runs as a cluster (three NATS, Redis, Qdrant, RabbitMQ and PostgreSQL
 * members, four object-store nodes). `npm run verify` runs the configurations it synthesizes with
 * the real servers (the cluster drills); test/kubernetes-clusters.test.ts asserts the clusters.
 * It belongs to the drills, not to the environments a user ships.
 */
import type { EnvironmentInput } from '../../../environments/parse/schema';

export const CLUSTER_ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** Where the scenario says it comes from, in messages. */
export const CLUSTERS_FILE = 'scripts/verify/scenarios/clusters.ts';

export default {
  name: 'clusters',
  profile: 'large',
  target: {
    kind: 'kubernetes',
    // Its own cluster: two environments with one context and one namespace prefix are refused.
    cluster: { auth: 'kubeconfig', context: 'agent-platform-clusters' },
    namespacePrefix: 'agent-platform',
    zones: CLUSTER_ZONES,
    // An explicit class (where a cluster has several); staging uses the cluster's default.
    storageClass: 'standard-rwo',
    gateway: {
      domain: 'clusters.agent-platform.example.com',
      issuer: { kind: 'self-signed' },
    },
    // The cloud's load balancer sends a PROXY protocol header to the mail server's twin ports.
    mail: { clientAddress: 'proxy-protocol', annotations: { 'service.beta.kubernetes.io/example-proxy-protocol': 'v2' } },
    gpu: {
      // A GPU node pool's own label (on EKS, the AWS target sets this one on its pools).
      nodeSelector: { 'k8s.amazonaws.com/accelerator': 'nvidia-a10g' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      devicePlugin: 'install',
      waitForRollout: true,
    },
  },
  backend: { kind: 's3', bucket: 'agent-platform-terraform-state', key: 'clusters/terraform.tfstate', region: 'eu-west-1' },
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
    mail: {
      domain: 'clusters.agent-platform.example.com',
      accounts: [{ address: 'ops@clusters.agent-platform.example.com' }, { address: 'alerts@clusters.agent-platform.example.com' }],
      aliases: [{ address: 'team@clusters.agent-platform.example.com', to: ['ops@clusters.agent-platform.example.com'] }],
    },
    kong: {},
    monitoring: {},
  },
} satisfies EnvironmentInput;
