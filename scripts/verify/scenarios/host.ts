/**
 * The host scenario: every service on one Docker host (the small profile). `npm run verify` runs the
 * servers' own checks on the files it synthesizes (and on every Docker environment the user has).
 */
import type { EnvironmentInput } from '../../../environments/parse/schema';

export default {
  name: 'host',
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
    // Every receiver kind, so amtool checks each (their secrets are Terraform variables).
    monitoring: {
      alertmanager: {
        receivers: [
          {
            kind: 'webhook',
            name: 'oncall',
            url: 'https://alerts.example.com/hooks/agent-platform',
            bearerToken: true,
            severities: ['critical'],
          },
          { kind: 'slack', name: 'team', channel: '#platform-alerts' },
          {
            kind: 'email',
            name: 'mail',
            to: 'platform-team@example.com',
            from: 'alertmanager@example.com',
            smarthost: 'smtp.example.com:587',
            username: 'alertmanager',
          },
        ],
      },
    },
  },
} satisfies EnvironmentInput;
