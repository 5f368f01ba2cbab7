/**
 * Sizing profiles: the defaults that differ by environment live here, not in service definitions
 * or renderers. An environment picks a profile and overrides what it needs per service; the merged
 * result is validated by each service's schema.
 *
 * Sizes follow the platform's source documents: Elasticsearch 1-2 GiB with a 1 GiB heap, Qdrant
 * 1 GiB / 0.5 cpu, Redis allkeys-lru with maxmemory three quarters of its limit (576mb), PostgreSQL shared_buffers 256MB and
 * effective_cache_size 1GB on the smallest profile; production runs the clustered replica counts.
 */
import type { ServiceInput, ServiceName } from '../../constructs/services';
import type { ResourceRequirements } from '../../constructs/spec/types';

export const profileNames = ['small', 'medium', 'large'] as const;
export type ProfileName = (typeof profileNames)[number];

export interface Profile {
  readonly description: string;
  /** Exporter and probe sidecars. */
  readonly sidecarResources: ResourceRequirements;
  /** One-shot setup jobs (bucket creation, model pulls, security setup). */
  readonly jobResources: ResourceRequirements;
  /**
   * High availability where a cloud target offers it as an option (AWS: a NAT gateway per zone,
   * Multi-AZ databases and caches, clustered brokers, zone-aware search with dedicated masters).
   * Each switch can be overridden in the target's own config.
   */
  readonly highAvailability: boolean;
  /**
   * The recovery objectives backups are scheduled for (the platform's documents: 1 hour of data and
   * 4 hours to restore; 15 minutes and 1 hour for the clustered production profile). Each service's
   * backup runs every `rpoMinutes` (docs/operations.md, "Back up and restore").
   */
  readonly backups: { readonly rpoMinutes: number; readonly rtoMinutes: number };
  readonly services: { readonly [K in ServiceName]: ServiceInput<K> };
}

const res = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ResourceRequirements => ({
  requests: { cpu: reqCpu, memory: reqMem },
  limits: { cpu: limCpu, memory: limMem },
});

export const profiles: Record<ProfileName, Profile> = {
  small: {
    description: 'One workstation or VM: single instances, modest limits',
    sidecarResources: res('10m', '32Mi', '200m', '128Mi'),
    jobResources: res('50m', '64Mi', '500m', '256Mi'),
    highAvailability: false,
    backups: { rpoMinutes: 60, rtoMinutes: 240 },
    services: {
      nats: {
        replicas: 1,
        resources: res('100m', '128Mi', '500m', '512Mi'),
        persistence: { size: '2Gi' },
        jetstream: { maxMemory: '128Mi' },
      },
      redis: {
        replicas: 1,
        resources: res('100m', '256Mi', '500m', '768Mi'),
        persistence: { size: '2Gi' },
        maxmemoryPolicy: 'allkeys-lru',
      },
      qdrant: { replicas: 1, resources: res('250m', '512Mi', '500m', '1Gi'), persistence: { size: '5Gi' } },
      neo4j: {
        replicas: 1,
        resources: res('250m', '1Gi', '1', '1536Mi'),
        persistence: { size: '5Gi' },
        memory: { heap: '512Mi', pagecache: '512Mi' },
      },
      postgres: {
        replicas: 1,
        resources: res('250m', '512Mi', '1', '1536Mi'),
        persistence: { size: '10Gi' },
        tuning: { sharedBuffers: '256Mi', effectiveCacheSize: '1Gi', maxConnections: 100 },
      },
      rabbitmq: { replicas: 1, resources: res('250m', '512Mi', '1', '1Gi'), persistence: { size: '2Gi' } },
      objectstore: { replicas: 1, resources: res('250m', '512Mi', '1', '1Gi'), persistence: { size: '10Gi' } },
      elasticsearch: {
        replicas: 1,
        resources: res('500m', '1Gi', '1', '2Gi'),
        persistence: { size: '10Gi' },
        heap: '1Gi',
        kibana: { replicas: 1, resources: res('250m', '512Mi', '1', '1Gi') },
      },
      ollama: { replicas: 1, resources: res('1', '2Gi', '4', '8Gi'), persistence: { size: '20Gi' } },
      // docker-mailserver without ClamAV: 512 MB minimum, 1 GB with Rspamd and its Redis (its FAQ).
      mail: {
        replicas: 1,
        resources: res('250m', '512Mi', '1', '1Gi'),
        persistence: { size: '5Gi' },
        webmail: { replicas: 1, resources: res('50m', '128Mi', '500m', '256Mi') },
      },
      kong: { replicas: 1, resources: res('100m', '256Mi', '1', '512Mi') },
      monitoring: {
        prometheus: { resources: res('100m', '256Mi', '1', '1Gi'), retention: '15d', persistence: { size: '10Gi' } },
        alertmanager: { resources: res('10m', '32Mi', '200m', '128Mi'), persistence: { size: '1Gi' } },
        grafana: { resources: res('50m', '128Mi', '500m', '512Mi'), persistence: { size: '1Gi' } },
        loki: { resources: res('50m', '128Mi', '500m', '512Mi'), persistence: { size: '10Gi' }, retention: '168h' },
        alloy: { resources: res('20m', '64Mi', '500m', '256Mi') },
        jaeger: { resources: res('20m', '64Mi', '500m', '512Mi'), maxTraces: 20000 },
        hostMetrics: {
          nodeExporter: { resources: res('10m', '16Mi', '200m', '64Mi') },
          cadvisor: { resources: res('50m', '64Mi', '500m', '256Mi') },
        },
        gpuMetrics: { resources: res('20m', '64Mi', '200m', '256Mi') },
      },
    },
  },
  medium: {
    description: 'A shared cluster for staging: single instances with headroom',
    sidecarResources: res('20m', '32Mi', '200m', '128Mi'),
    jobResources: res('50m', '64Mi', '500m', '256Mi'),
    highAvailability: false,
    backups: { rpoMinutes: 60, rtoMinutes: 240 },
    services: {
      nats: { replicas: 1, resources: res('250m', '256Mi', '1', '1Gi'), persistence: { size: '10Gi' }, jetstream: { maxMemory: '256Mi' } },
      redis: {
        replicas: 1,
        resources: res('250m', '1Gi', '1', '2Gi'),
        persistence: { size: '5Gi' },
        maxmemoryPolicy: 'allkeys-lru',
      },
      qdrant: { replicas: 1, resources: res('500m', '1Gi', '1', '2Gi'), persistence: { size: '20Gi' } },
      neo4j: {
        replicas: 1,
        resources: res('500m', '2Gi', '2', '3Gi'),
        persistence: { size: '20Gi' },
        memory: { heap: '1Gi', pagecache: '1Gi' },
      },
      postgres: {
        replicas: 1,
        resources: res('500m', '2Gi', '2', '4Gi'),
        persistence: { size: '50Gi' },
        tuning: { sharedBuffers: '1Gi', effectiveCacheSize: '3Gi', maxConnections: 200 },
      },
      rabbitmq: { replicas: 1, resources: res('500m', '1Gi', '1', '2Gi'), persistence: { size: '10Gi' } },
      objectstore: { replicas: 1, resources: res('500m', '1Gi', '1', '2Gi'), persistence: { size: '50Gi' } },
      elasticsearch: {
        replicas: 1,
        resources: res('1', '2Gi', '2', '4Gi'),
        persistence: { size: '50Gi' },
        heap: '2Gi',
        kibana: { replicas: 1, resources: res('250m', '1Gi', '1', '1536Mi') },
      },
      ollama: { replicas: 1, resources: res('2', '8Gi', '8', '24Gi'), persistence: { size: '100Gi' } },
      mail: {
        replicas: 1,
        resources: res('500m', '1Gi', '1', '2Gi'),
        persistence: { size: '20Gi' },
        webmail: { replicas: 1, resources: res('100m', '256Mi', '1', '512Mi') },
      },
      kong: { replicas: 2, resources: res('250m', '512Mi', '1', '1Gi') },
      monitoring: {
        prometheus: { resources: res('250m', '1Gi', '1', '2Gi'), retention: '15d', persistence: { size: '50Gi' } },
        alertmanager: { resources: res('20m', '64Mi', '200m', '256Mi'), persistence: { size: '2Gi' } },
        grafana: { resources: res('100m', '256Mi', '500m', '512Mi'), persistence: { size: '5Gi' } },
        loki: { resources: res('250m', '512Mi', '1', '2Gi'), persistence: { size: '50Gi' }, retention: '336h' },
        alloy: { resources: res('50m', '128Mi', '500m', '512Mi') },
        jaeger: { resources: res('50m', '128Mi', '500m', '1Gi'), maxTraces: 50000 },
        hostMetrics: {
          nodeExporter: { resources: res('20m', '32Mi', '200m', '64Mi') },
          cadvisor: { resources: res('100m', '128Mi', '500m', '256Mi') },
        },
        gpuMetrics: { resources: res('50m', '128Mi', '500m', '512Mi') },
      },
    },
  },
  large: {
    description: 'Production: clustered replica counts where the service clusters, sized for load',
    sidecarResources: res('50m', '64Mi', '500m', '256Mi'),
    jobResources: res('100m', '128Mi', '1', '512Mi'),
    highAvailability: true,
    backups: { rpoMinutes: 15, rtoMinutes: 60 },
    services: {
      nats: { replicas: 3, resources: res('500m', '1Gi', '2', '2Gi'), persistence: { size: '50Gi' }, jetstream: { maxMemory: '1Gi' } },
      redis: {
        replicas: 3,
        resources: res('500m', '4Gi', '2', '6Gi'),
        persistence: { size: '20Gi' },
        maxmemoryPolicy: 'allkeys-lru',
      },
      qdrant: { replicas: 3, resources: res('1', '4Gi', '2', '8Gi'), persistence: { size: '100Gi' } },
      // Neo4j Community does not cluster: one instance, backed up.
      neo4j: {
        replicas: 1,
        resources: res('1', '6Gi', '4', '8Gi'),
        persistence: { size: '100Gi' },
        memory: { heap: '3Gi', pagecache: '3Gi' },
      },
      postgres: {
        replicas: 3,
        resources: res('1', '8Gi', '4', '16Gi'),
        persistence: { size: '200Gi' },
        tuning: { sharedBuffers: '4Gi', effectiveCacheSize: '12Gi', maxConnections: 400 },
      },
      rabbitmq: { replicas: 3, resources: res('1', '2Gi', '2', '4Gi'), persistence: { size: '50Gi' } },
      objectstore: { replicas: 4, resources: res('1', '2Gi', '2', '4Gi'), persistence: { size: '500Gi' } },
      elasticsearch: {
        replicas: 3,
        resources: res('2', '8Gi', '4', '16Gi'),
        persistence: { size: '200Gi' },
        heap: '8Gi',
        // Three dedicated masters beside the three data nodes (cluster targets; OpenSearch on AWS has its own).
        topology: 'dedicated',
        masters: { resources: res('500m', '2Gi', '1', '4Gi'), heap: '2Gi', persistence: { size: '10Gi' } },
        kibana: { replicas: 2, resources: res('500m', '1Gi', '1', '2Gi') },
      },
      ollama: { replicas: 1, resources: res('4', '16Gi', '8', '48Gi'), persistence: { size: '200Gi' } },
      // The docker-mailserver chart's sizing (requests 1 cpu / 1.5Gi, limits 2 / 2Gi).
      mail: {
        replicas: 1,
        resources: res('1', '1536Mi', '2', '2Gi'),
        persistence: { size: '100Gi' },
        webmail: { replicas: 2, resources: res('250m', '256Mi', '1', '512Mi') },
      },
      kong: { replicas: 2, maxReplicas: 6, resources: res('500m', '512Mi', '2', '1Gi') },
      monitoring: {
        prometheus: { resources: res('500m', '4Gi', '2', '8Gi'), retention: '30d', persistence: { size: '200Gi' } },
        alertmanager: { resources: res('50m', '128Mi', '500m', '256Mi'), persistence: { size: '2Gi' } },
        grafana: { resources: res('200m', '512Mi', '1', '1Gi'), persistence: { size: '10Gi' } },
        loki: { resources: res('500m', '1Gi', '2', '4Gi'), persistence: { size: '200Gi' }, retention: '744h' },
        alloy: { resources: res('100m', '256Mi', '1', '1Gi') },
        jaeger: { resources: res('100m', '512Mi', '1', '2Gi'), maxTraces: 100000 },
        hostMetrics: {
          nodeExporter: { resources: res('50m', '32Mi', '250m', '128Mi') },
          cadvisor: { resources: res('100m', '128Mi', '500m', '512Mi') },
        },
        gpuMetrics: { resources: res('50m', '128Mi', '500m', '512Mi') },
      },
    },
  },
};
