/**
 * Elasticsearch's snapshot repository on a single host (pure): with the platform's object store, the
 * node gets the S3 client's settings in elasticsearch.yml, the store's backup key in its keystore
 * (built at each start from the key's files: the image reads secure settings from the keystore
 * only, and its entrypoint builds none but `bootstrap.password`), waits for the store, and the job
 * that registers the repository and the lifecycle policies runs once the node is healthy.
 */
import { ES_CONFIG } from '../../services/elasticsearch';
import { keystoreStart, snapshotClientSettings, snapshotKeystore } from '../../services/elasticsearch-snapshots';
import { joinTemplates } from '../../services/common';
import { platformStore } from '../../services/backup';
import type { ServiceSpec } from '../../spec/types';
import type { SpecOf } from '../../services';

export function withSnapshotRepository(spec: SpecOf<'elasticsearch'>, runs: readonly ServiceSpec[]): ServiceSpec {
  const snapshots = spec.facet.snapshots;
  const store = platformStore(runs);
  if (!snapshots || store?.kind !== 'keys') return spec;
  const settings = Object.entries(snapshotClientSettings(store)).map(([key, value]) => joinTemplates([`${key}: "`, value, '"\n'], ''));
  const keystore = snapshotKeystore(store);
  return {
    ...spec,
    // The key must exist in the store before the node verifies the repository.
    dependsOn: [...new Set([...spec.dependsOn, store.service])],
    containers: spec.containers.map((c) =>
      c.name === 'main'
        ? {
            ...c,
            args: keystoreStart(keystore),
            files: [
              ...c.files.map((f) => (f.path === ES_CONFIG ? { ...f, content: joinTemplates([f.content, ...settings], '') } : f)),
              ...keystore.map((k) => k.file).filter((f) => !c.files.some((x) => x.path === f.path)),
            ],
          }
        : c,
    ),
    jobs: [...spec.jobs, snapshots.job],
  };
}
