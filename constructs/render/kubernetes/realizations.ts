/**
 * Which resources realize each service on Kubernetes: one row per spec name, typed with the
 * service's facet. The default is the project's own typed resources from the spec (workload.ts),
 * with the reason they suffice for that service; a service whose high availability needs an
 * operator has its own file named after it. docs/services.md lists the choice per service.
 */
import type { FacetOf, SpecName } from '../../services';
import type { ServiceSpec } from '../../spec/types';
import type { Realization } from './context';
import { elasticsearch } from './elasticsearch';
import { kibana } from './kibana';
import { mailserver } from './mailserver';
import { ollama } from './ollama';
import { webmail } from './webmail';
import { postgres } from './postgres';
import { ownResources } from './workload';
import { alertmanager, cadvisor, grafana, nodeExporter, prometheus } from './prometheus';
import { alloy } from './alloy';
import { dcgmExporter } from './dcgm-exporter';
import { jaeger } from './jaeger';
import { loki } from './loki';

export const realizations: { readonly [N in SpecName]: Realization<FacetOf<N>> } = {
  nats: ownResources('Its clustering is configuration: routes to every member and clustered JetStream.'),
  redis: ownResources(
    'Primary, replicas and one Sentinel per member are configuration plus a start script (redis-member.sh) on the official image; the usual packaging, the Bitnami chart, is on frozen images since August 2025.',
  ),
  qdrant: ownResources(
    'Distributed mode is configuration: member 0 starts the consensus, the others bootstrap from it (qdrant-member.sh).',
  ),
  neo4j: ownResources('Neo4j Community runs one member (clustering is an Enterprise feature).'),
  rabbitmq: ownResources(
    "Peer discovery (rabbitmq_peer_discovery_k8s) instead of the RabbitMQ Cluster Operator: upstream ships the operator as a kubectl manifest without a Helm chart (rabbitmq/cluster-operator #1637), its RabbitmqCluster resources would need kubernetes_manifest (no plan before the CRD exists) or a third-party chart; in 4.3 the plugin names member 0 from the node's own name without calling the Kubernetes API, quorum queues are the default, and the start wrapper re-applies the password.",
  ),
  garage: ownResources('Nodes are connected through the admin API by the setup job (garage-connect.sh); Garage has no operator.'),
  minio: ownResources('A single MinIO server from the spec (the engine is archived upstream; the docker target is its home).'),
  postgres,
  elasticsearch,
  kibana,
  ollama,
  mailserver,
  webmail,
  kong: ownResources(
    'Kong DB-less is one container with its declarative file; the Kong chart (3.4.1) would add its ingress controller (turned off here), a second edge competing with the Gateway, and checksums that miss a configuration kept in a Secret. Behind the Gateway at api.<domain>, autoscaled on CPU.',
  ),
  prometheus,
  alertmanager,
  grafana,
  'node-exporter': nodeExporter,
  cadvisor,
  loki,
  alloy,
  jaeger,
  'dcgm-exporter': dcgmExporter,
};

/** The row of a spec (every spec the catalogue builds has one). */
export function realizationOf(spec: ServiceSpec): Realization {
  const row = realizations[spec.name as SpecName] as Realization | undefined;
  if (!row) throw new Error(`${spec.name}: no Kubernetes realization (constructs/render/kubernetes/realizations.ts)`);
  return row;
}
