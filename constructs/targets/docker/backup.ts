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
 *
 * A plan with a stopped dump instead (Neo4j Community: no online backup, and a single host takes no
 * volume snapshot) cannot be run from a container beside the server: stopping another container
 * needs the Docker socket, which no container gets. So the server's own container runs it: its
 * entrypoint becomes the image's init (PID 1) in front of stopped-dump-supervisor.sh, which runs as
 * the image's user (root) and starts the server with the image's entrypoint script as before (it
 * reads the root-owned secret files and drops to the server's user), and in the daily window stops
 * it, dumps with the server's tool as the server's user into the staging volume (mounted at /tmp
 * there too) and starts it again; its health check passes while the window is open. The same
 * `backup-upload` container stores the dumps.
 */
import { readFileSync } from 'node:fs';
import {
  BACKUP_DIR,
  type BackupStore,
  maxAgeSeconds,
  platformStore,
  runSeconds,
  stoppedDumpCommand,
  uploadStep,
} from '../../services/backup';
import type { BackupPlan, ContainerSpec, HealthCheck, ResourceRequirements, ServiceSpec, StoppedDump } from '../../spec/types';

const SCHEDULE = '/usr/local/bin/backup-schedule.sh';
const SUPERVISOR = '/usr/local/bin/stopped-dump-supervisor.sh';
const supervisorScript = readFileSync(new URL('../../services/scripts/stopped-dump-supervisor.sh', import.meta.url), 'utf8');
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

/** The spec with its scheduled backup, when it has a dump step (or a stopped dump) and the environment a backup store. */
export function withScheduledBackup(spec: ServiceSpec, specs: readonly ServiceSpec[]): ServiceSpec {
  const plan = spec.backup;
  const store = platformStore(specs);
  if (!plan || store?.kind !== 'keys' || store.service === spec.name) return spec;
  if (plan.dump) return withDump(spec, plan, plan.dump, store);
  if (plan.stoppedDump) return withStoppedDump(spec, plan, plan.stoppedDump, store);
  return spec;
}

/** The staging volume and the upload container every scheduled backup of a single host has. */
function staged(
  spec: ServiceSpec,
  plan: BackupPlan,
  store: BackupStore,
  resources: ResourceRequirements,
  containers: ContainerSpec[],
): ServiceSpec {
  const staging = { volume: STAGING_VOLUME, path: STAGING_MOUNT };
  const upload = uploadStep(plan, store, resources);
  const uploader: ContainerSpec = {
    name: 'backup-upload',
    image: upload.image,
    command: ['/bin/sh', UPLOAD_LOOP],
    env: { ...upload.env, STAGING, MAX_AGE_SECONDS: String(maxAgeSeconds(plan)) },
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
    containers: [...containers, uploader],
  };
}

function withDump(spec: ServiceSpec, plan: BackupPlan, dump: NonNullable<BackupPlan['dump']>, store: BackupStore): ServiceSpec {
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
  return staged(spec, plan, store, dump.resources, [...spec.containers, schedule]);
}

/**
 * The server's container under the stopped-dump supervisor (see the file's comment): the image's
 * init stays PID 1 (it forwards the container's signals to the whole group), the image's entrypoint
 * script and command become the supervisor's arguments.
 */
function withStoppedDump(spec: ServiceSpec, plan: BackupPlan, sd: StoppedDump, store: BackupStore): ServiceSpec {
  const server = spec.containers.find((c) => c.mounts.some((m) => m.volume === sd.volume && m.path === sd.path));
  if (!server) throw new Error(`${spec.name}: no container mounts ${sd.volume} at ${sd.path} for the stopped dump`);
  if (server.command || server.args)
    throw new Error(`${spec.name}/${server.name}: the stopped dump starts the server with the image's own entrypoint and command`);
  const h = server.health;
  // The server is back and healthy within its start period and the checks' tolerance.
  const startSeconds = h.startPeriodSeconds + h.intervalSeconds * h.retries;
  const supervised: ContainerSpec = {
    ...server,
    command: [...sd.init, '/bin/sh', SUPERVISOR, ...sd.server],
    env: {
      ...server.env,
      STAGING,
      EVERY_MINUTES: '1440',
      OFFSET_MINUTES: String(sd.atMinute),
      RUN_SECONDS: String(sd.timeoutSeconds),
      STOP_SECONDS: String(server.stopGracePeriodSeconds),
      START_SECONDS: String(startSeconds),
      DUMP_COMMAND: stoppedDumpCommand(sd),
      DUMP_AS: sd.runAs.join(' '),
    },
    mounts: [...server.mounts, { volume: STAGING_VOLUME, path: STAGING_MOUNT }],
    files: [...server.files, { path: SUPERVISOR, content: supervisorScript, mode: 0o555, format: 'shell' }],
    health: { ...h, exec: ['/bin/sh', SUPERVISOR, 'health', ...h.exec] },
  };
  return staged(
    spec,
    plan,
    store,
    sd.uploadResources,
    spec.containers.map((c) => (c === server ? supervised : c)),
  );
}
