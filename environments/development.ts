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
    // On 127.0.0.1: the web UIs and every port that requires credentials, each at its standard
    // number + 11000 (PostgreSQL on 16432), clear of servers already running on the machine.
    // `npm run synth` lists the addresses. Ollama's API and NATS monitoring answer without
    // credentials: publish them with ports: 'all' or services.<name>.hostPorts.
    publish: { ports: 'authenticated', offset: 11000 },
    gpu: 0,
    // A fresh host pulls 15 images from Docker Hub, which allows 10 anonymous pulls per hour: give
    // the provider an access token (export TF_VAR_registry_docker_io_username and
    // TF_VAR_registry_docker_io_password) with
    //   registry: { auth: [{ registry: 'docker.io', from: 'environment' }] },
    // or a pull-through cache with registry: { mirrors: { 'docker.io': 'mirror.example.com/dockerhub' } }.
    // Podman: engine: 'podman'. Rootless Docker or Podman: rootless: { cpuDelegated: ... }.
    // `docker info` says "No swap limit support": swapLimit: false.
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
    // Mail for a development domain: SMTP submission and IMAPS on 127.0.0.1 (+11000), the webmail on
    // 19000; certificates from an internal CA (terraform output -raw ca_certificate). Passwords:
    // terraform output -json credentials. Nothing is delivered to the internet from a workstation
    // unless its host allows port 25 out.
    mail: { domain: 'platform.test', accounts: [{ address: 'ops@platform.test' }, { address: 'agents@platform.test', quota: '1Gi' }] },
    // The API gateway: Ollama at https://127.0.0.1:19443/ollama with the key in the consumer volume.
    kong: {},
    // Prometheus, Alertmanager, Grafana (on 127.0.0.1:3000), Loki with Alloy, Jaeger, host and container metrics.
    monitoring: {},
  },
} satisfies EnvironmentInput;
