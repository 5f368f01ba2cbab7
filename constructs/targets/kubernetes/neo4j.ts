/**
 * Neo4j on a cluster, the part quotas and checks need (pure): with a stopped dump in its backup plan
 * the cluster runs the backup CronJob's pod beside it once a day, the server still running when that
 * pod starts (its init step stops the server): the pod counts like one of the spec's jobs, at the
 * dump's resources (its largest step; the upload runs after it). Not where the cluster snapshots the
 * volumes (AWS Backup on EKS): the dump is not run there.
 */
import type { ServiceSpec } from '../../spec/types';

export function neo4jFootprint(spec: ServiceSpec, cluster: { volumeSnapshots?: boolean } = {}): ServiceSpec[] {
  const sd = spec.backup?.stoppedDump;
  const server = spec.containers[0];
  if (!sd || spec.backup?.dump || !server || cluster.volumeSnapshots) return [spec];
  return [
    {
      ...spec,
      jobs: [
        ...spec.jobs,
        {
          name: 'backup',
          description: 'The stopped dump’s pod (backup CronJob)',
          image: server.image,
          command: [],
          env: {},
          files: [],
          mounts: [],
          resources: sd.resources,
          user: server.user,
          timeoutSeconds: sd.timeoutSeconds,
        },
      ],
    },
  ];
}
