/**
 * development: everything on one Docker host (a workstation or a single VM).
 * Ports are published on 127.0.0.1 only; data is disposable (`cdktf destroy development` works).
 * The Docker daemon is the one DOCKER_HOST names (or the local socket): set `target.host` to pin one.
 */
import type { EnvironmentInput } from './parse/schema';

export default {
  name: 'development',
  profile: 'small',
  target: {
    kind: 'docker',
    network: { subnet: '172.28.0.0/16' },
    // Clashes with a database or model server already running on the machine: set offset: 10000.
    publish: { ports: 'all', offset: 0 },
    gpu: false,
  },
  backend: { kind: 'local' },
  protectData: false,
  services: {
    nats: {},
    redis: { maxmemory: '512Mi', maxmemoryPolicy: 'allkeys-lru' },
    qdrant: {},
    neo4j: {},
    postgres: { tuning: { sharedBuffers: '256Mi', effectiveCacheSize: '1Gi', maxConnections: 100 } },
    rabbitmq: {},
    objectstore: { engine: 'garage' },
    elasticsearch: { heap: '1Gi' },
    // CPU inference: a small model that runs acceptably without a GPU.
    ollama: { models: ['llama3.2:3b'], gpus: 0 },
    // Prometheus, Alertmanager, Grafana (on 127.0.0.1:3000), Loki with Alloy, Jaeger, host and container metrics.
    monitoring: {},
  },
} satisfies EnvironmentInput;
