/**
 * Scheduled backups on a single host (pure): a service whose plan has a dump step gets two more
 * containers and a staging volume, so the schedule runs beside the service with no scheduler of the
 * host's and no Docker socket:
 * - `backup` (the dump step's image, user and files): backup-schedule.sh runs the dump on the plan's
 *   schedule into the staging volume and marks each finished dump;
 * - `backup-upload` (curl): backup-upload-loop.sh sends each finished dump to the backup bucket of
 *   the platform's object store with backup-upload.sh (its own key, that bucket only), keeps the
 *   retention, and deletes what it stored from the staging volume.
 * Both are health-checked on the age of the last dump (and of the oldest dump still waiting). The
 * staging volume is mounted at /tmp in both: Docker fills a new volume from the image's directory
 * at the mount point, so it starts as /tmp is (1777) and both users can write it.
 */
import { readFileSync } from 'node:fs';
import { BACKUP_DIR, maxAgeSeconds, platformStore, runSeconds, uploadStep } from '../../services/backup';
import type { ContainerSpec, HealthCheck, ServiceSpec } from '../../spec/types';

const SCHEDULE = '/usr/local/bin/backup-schedule.sh';
const UPLOAD_LOOP = '/usr/local/bin/backup-upload-loop.sh';
const scheduleScript = readFileSync(new URL('../../services/scripts/backup-schedule.sh', import.meta.url), 'utf8');
const uploadLoopScript = readFileSync(new URL('../../services/scripts/backup-upload-loop.sh', import.meta.url), 'utf8');
/** The staging volume's mount point (see above) and where the dumps wait there. */
const STAGING_MOUNT = '/tmp';
export const STAGING = '/tmp/backups';
export const STAGING_VOLUME = 'backup-staging';

function health(exec: string[], startSeconds: number): HealthCheck {
  return { exec, intervalSeconds: 60, timeoutSeconds: 10, retries: 3, startPeriodSeconds: startSeconds };
}

/** The spec with its scheduled backup, when it has a dump step and the environment a backup store. */
export function withScheduledBackup(spec: ServiceSpec, specs: readonly ServiceSpec[]): ServiceSpec {
  const plan = spec.backup;
  const store = platformStore(specs);
  if (!plan?.dump || store?.kind !== 'keys' || store.service === spec.name) return spec;
  const dump = plan.dump;
  const maxAge = maxAgeSeconds(plan);
  const staging = { volume: STAGING_VOLUME, path: STAGING_MOUNT };
  const schedule: ContainerSpec = {
    name: 'backup',
    image: dump.image,
    command: ['/bin/sh', SCHEDULE, ...dump.command],
    env: {
      ...dump.env,
      STAGING,
      EVERY_MINUTES: String(plan.schedule.everyMinutes),
      OFFSET_MINUTES: String(plan.schedule.offsetMinutes),
      RUN_SECONDS: String(Math.min(dump.timeoutSeconds, runSeconds(plan))),
      MAX_AGE_SECONDS: String(maxAge),
    },
    ports: [],
    mounts: [...dump.mounts, staging],
    files: [...dump.files, { path: SCHEDULE, content: scheduleScript, mode: 0o555, format: 'shell' }],
    ...(dump.trusts ? { trusts: dump.trusts } : {}),
    health: health(['/bin/sh', SCHEDULE, 'health'], 60),
    resources: dump.resources,
    user: dump.user,
    scratchPaths: [BACKUP_DIR],
    stopGracePeriodSeconds: 10,
  };
  const upload = uploadStep(plan, store, dump.resources);
  const uploader: ContainerSpec = {
    name: 'backup-upload',
    image: upload.image,
    command: ['/bin/sh', UPLOAD_LOOP],
    env: { ...upload.env, STAGING, MAX_AGE_SECONDS: String(maxAge) },
    ports: [],
    mounts: [staging],
    files: [...upload.files, { path: UPLOAD_LOOP, content: uploadLoopScript, mode: 0o555, format: 'shell' }],
    health: health(['/bin/sh', UPLOAD_LOOP, 'health'], 60),
    resources: upload.resources,
    user: upload.user,
    scratchPaths: ['/tmp'],
    stopGracePeriodSeconds: 30,
  };
  return {
    ...spec,
    volumes: [
      ...spec.volumes,
      {
        name: STAGING_VOLUME,
        size: '1Gi',
        description: 'Finished dumps waiting for their upload (emptied as they are stored)',
        backup: false,
      },
    ],
    // The uploader retries until the store answers: the service does not wait for the store.
    containers: [...spec.containers, schedule, uploader],
  };
}
