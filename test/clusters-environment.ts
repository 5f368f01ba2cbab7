/**
 * A test-only environment: staging's Kubernetes target with the `large` profile, so every service
 * that clusters runs as a cluster (three NATS, Redis, Qdrant, RabbitMQ and PostgreSQL members, four
 * object-store nodes) on a cluster that names its zones. test/kubernetes-clusters.test.ts asserts
 * the clusters; `npm run verify` runs the configurations it synthesizes with the real servers.
 */
import { type EnvironmentSource } from '../environments/load';
import { variant } from './helpers';

export const CLUSTER_ZONES = ['zone-a', 'zone-b', 'zone-c'];

export function clustersSource(): EnvironmentSource {
  return variant(
    'staging',
    (input) => {
      input.name = 'clusters';
      input.profile = 'large';
      input.target.zones = CLUSTER_ZONES;
      input.backend = { ...input.backend, key: 'clusters/terraform.tfstate' };
    },
    'environments/clusters.ts',
  );
}
