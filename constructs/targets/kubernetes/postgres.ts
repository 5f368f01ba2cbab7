/**
 * PostgreSQL on a cluster (CloudNativePG), the part checks and quotas need (pure): with a backup
 * plan, every instance pod also runs the Barman Cloud plugin's sidecar (WAL archiving and base
 * backups to the object store), sized like the plan's dump step.
 */
import type { ContainerSpec, ServiceSpec } from '../../spec/types';

/** The plugin's name, as a Cluster's `spec.plugins` and a Backup's `pluginConfiguration` take it. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/**
 * plugin-barman-cloud chart 0.7.0 (appVersion v0.13.0, the newest chart release in the pinned
 * cloudnative-pg/charts snapshot; plugin v0.14.0 has no chart yet). Images pinned to the appVersion
 * the chart would default to (values.yaml `image.tag: ""`, `sidecarImage.tag: ""`).
 */
export const BARMAN_CLOUD = {
  chart: { repository: 'https://cloudnative-pg.github.io/charts', chart: 'plugin-barman-cloud', version: '0.7.0' },
  image: { repository: 'ghcr.io/cloudnative-pg/plugin-barman-cloud', tag: 'v0.13.0' },
  sidecar: { repository: 'ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar', tag: 'v0.13.0' },
} as const;

/**
 * The sidecar CloudNativePG's instances run for the plugin, when the spec has a backup plan: the
 * plan's dump resources (barman-cloud-backup compresses and uploads the base backup like a dump).
 */
export function barmanSidecar(spec: ServiceSpec): ContainerSpec | undefined {
  const resources = spec.backup?.dump?.resources;
  if (!resources) return undefined;
  const main = spec.containers[0]!;
  return { ...main, name: 'plugin-barman-cloud', image: { ...BARMAN_CLOUD.sidecar }, ports: [], files: [], mounts: [], env: {}, resources };
}

/** What the cluster runs for PostgreSQL: the instances' containers, with the plugin's sidecar. */
export function postgresFootprint(spec: ServiceSpec): ServiceSpec[] {
  const sidecar = barmanSidecar(spec);
  return [sidecar ? { ...spec, containers: [...spec.containers, sidecar] } : spec];
}
