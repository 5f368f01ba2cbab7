/**
 * Backups: the environment's policy (objectives, retention, the daily window, the bucket), the plan
 * each stateful service builds from it (its own tools: `BackupPlan` in constructs/spec/types.ts), and
 * the parts every target shares to run a plan: the upload step (curl, S3 signature V4) that puts what
 * a dump step wrote into the backup bucket under `<prefix>/<UTC stamp>/` with `SHA256SUMS` and a
 * `COMPLETE` marker, and keeps the newest backups by the retention (every backup of the last hours,
 * then the newest of each day, week and month). Pure data; no cdktf import.
 */
import { readFileSync } from 'node:fs';
import { pinned } from '../spec/image';
import type {
  BackupMethod,
  BackupObjectives,
  BackupPlan,
  BackupRetention,
  BackupSchedule,
  ConfigFile,
  JobSpec,
  ResourceRequirements,
  SecretRef,
  ServiceSpec,
  StoppedDump,
  Text,
} from '../spec/types';
import { hostRef, tpl } from '../spec/template';
import { CURL_IMAGE } from './tools';

/** The environment's backup policy, as each service's plan follows it (`BuildContext.backups`). */
export interface BackupPolicy {
  /** What the environment asks for (profile defaults, or `backups.rpoMinutes` / `rtoMinutes`). */
  readonly objectives: BackupObjectives;
  readonly retention: BackupRetention;
  /** Minutes after midnight (UTC) of the daily window (stopped dumps, daily jobs). */
  readonly windowMinute: number;
  /** The backup bucket in the platform's object store (or the cloud's, where a target provides it). */
  readonly bucket: string;
}

/** Where a dump step writes (a fresh, empty directory per run), in every target. */
export const BACKUP_DIR = '/backup';

/** The intervals a schedule may have: divisors of an hour, or whole hours that divide a day. */
export const BACKUP_INTERVALS = [5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440] as const;

/** A stable small number from a service name, to spread the services' runs over the period. */
function spread(name: string, modulo: number): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 104729;
  return h % modulo;
}

/**
 * A schedule every `everyMinutes` (one of BACKUP_INTERVALS), at a minute that depends on the service
 * (so the services do not all dump at once), as a cron expression the same as the interval: periods
 * are aligned on midnight UTC, which every allowed interval divides.
 */
export function backupSchedule(service: string, everyMinutes: number, offsetMinutes?: number): BackupSchedule {
  if (!(BACKUP_INTERVALS as readonly number[]).includes(everyMinutes))
    throw new Error(`backup interval ${everyMinutes} minutes is not one of ${BACKUP_INTERVALS.join(', ')}`);
  const offset = offsetMinutes ?? spread(service, Math.min(everyMinutes, 60));
  if (offset < 0 || offset >= everyMinutes) throw new Error(`backup offset ${offset} is outside 0..${everyMinutes - 1}`);
  const runs = Array.from({ length: 1440 / everyMinutes }, (_, i) => offset + i * everyMinutes);
  const minutes = [...new Set(runs.map((m) => m % 60))].sort((a, b) => a - b);
  const hours = [...new Set(runs.map((m) => Math.floor(m / 60)))].sort((a, b) => a - b);
  const cron = `${minutes.join(',')} ${hours.length === 24 ? '*' : hours.join(',')} * * *`;
  return { everyMinutes, offsetMinutes: offset, cron };
}

/** The daily schedule at the policy's window (plus `laterMinutes`). */
export function dailySchedule(policy: BackupPolicy, laterMinutes = 0): BackupSchedule {
  return backupSchedule('daily', 1440, (policy.windowMinute + laterMinutes) % 1440);
}

export interface PlanInput {
  readonly service: string;
  readonly method: BackupMethod;
  readonly description: string;
  readonly volumes: readonly string[];
  readonly consistency: BackupPlan['consistency'];
  /** @default the policy's RPO (an interval of BACKUP_INTERVALS) */
  readonly schedule?: BackupSchedule;
  /** The RPO this plan achieves when it differs from its interval (a continuous archive). @default the interval */
  readonly rpoMinutes?: number;
  readonly dump?: JobSpec;
  readonly stoppedDump?: StoppedDump;
  readonly gaps?: string;
}

/** A service's plan under the policy (none where the environment turned backups off). */
export function backupPlan(policy: BackupPolicy | undefined, p: PlanInput): BackupPlan | undefined {
  if (!policy) return undefined;
  const schedule = p.schedule ?? backupSchedule(p.service, policy.objectives.rpoMinutes);
  return {
    method: p.method,
    description: p.description,
    volumes: p.volumes,
    consistency: p.consistency,
    schedule,
    retention: policy.retention,
    objectives: { rpoMinutes: p.rpoMinutes ?? schedule.everyMinutes, rtoMinutes: policy.objectives.rtoMinutes },
    prefix: p.service,
    ...(p.dump ? { dump: p.dump } : {}),
    ...(p.stoppedDump ? { stoppedDump: p.stoppedDump } : {}),
    ...(p.gaps ? { gaps: p.gaps } : {}),
  };
}

/** A stopped dump's command with its environment (`export K='v';` before it), for `sh -c`. */
export function stoppedDumpCommand(sd: StoppedDump): string {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const exports = Object.entries(sd.env ?? {}).map(([k, v]) => `export ${k}=${quote(v)}; `);
  return `${exports.join('')}${sd.command}`;
}

/** A dump step: a job run on the schedule that writes into `$BACKUP_DIR`. */
export function dumpStep(
  resources: ResourceRequirements,
  spec: Omit<JobSpec, 'resources' | 'mounts' | 'name' | 'applies' | 'run'> & Partial<Pick<JobSpec, 'mounts'>>,
): JobSpec {
  return {
    name: 'dump',
    mounts: [],
    resources,
    ...spec,
    env: { BACKUP_DIR, ...spec.env },
    scratchPaths: [...new Set([BACKUP_DIR, ...(spec.scratchPaths ?? [])])],
  };
}

// --- The upload step, every target's ----------------------------------------------------------------

/** The upload step's script (curl with S3 signature V4, busybox sh/awk/date). */
export const UPLOAD_SCRIPT_PATH = '/usr/local/bin/backup-upload.sh';
export const UPLOAD_SCRIPT = readFileSync(new URL('./scripts/backup-upload.sh', import.meta.url), 'utf8');

/**
 * Where backups go and how the upload step signs in:
 * - `keys`: an S3 endpoint with a key of its own, read from files (the platform's object store);
 * - `pod-identity`: AWS S3 with the credentials the EKS Pod Identity agent hands the pod.
 */
export type BackupStore =
  | {
      readonly kind: 'keys';
      /** `http://<host>:<port>` (a template: the store's address is the target's). */
      readonly endpoint: Text;
      readonly region: string;
      readonly bucket: string;
      /** The key's files (secret files of the upload step). */
      readonly accessKeyId: ConfigFile;
      readonly secretAccessKey: ConfigFile;
      /** The service that serves the bucket (the upload step waits for it). */
      readonly service: string;
    }
  | { readonly kind: 'pod-identity'; readonly region: string; readonly bucket: string };

/** The S3 endpoint of a store (AWS: the regional one). */
export function storeEndpoint(store: BackupStore): Text {
  return store.kind === 'keys' ? store.endpoint : `https://s3.${store.region}.amazonaws.com`;
}

/**
 * The upload step of a plan: what the dump step left in `$BACKUP_DIR` goes to the store, then the
 * retention prunes older backups of the same prefix. `statusFile`: where to write the run's outcome
 * as Prometheus metrics (a single host's exporter reads it; a cluster reads the Job's status instead).
 */
export function uploadStep(
  plan: BackupPlan,
  store: BackupStore,
  resources: ResourceRequirements,
  opts: { readonly statusFile?: string; readonly service?: string } = {},
): JobSpec {
  const r = plan.retention;
  return {
    name: 'upload',
    description: `Uploads the backup to ${store.bucket}/${plan.prefix}/ and keeps ${r.recentHours} h of backups, then ${r.daily} daily, ${r.weekly} weekly and ${r.monthly} monthly`,
    image: pinned(CURL_IMAGE),
    user: '65534:65534',
    command: ['/bin/sh', UPLOAD_SCRIPT_PATH],
    env: {
      BACKUP_DIR,
      S3_ENDPOINT: storeEndpoint(store),
      S3_REGION: store.region,
      S3_BUCKET: store.bucket,
      S3_PREFIX: plan.prefix,
      KEEP_RECENT_HOURS: String(r.recentHours),
      KEEP_DAILY: String(r.daily),
      KEEP_WEEKLY: String(r.weekly),
      KEEP_MONTHLY: String(r.monthly),
      // The upload fails the run when the dump wrote nothing.
      MAX_AGE_SECONDS: String(maxAgeSeconds(plan)),
      ...(store.kind === 'keys'
        ? { S3_ACCESS_KEY_ID_FILE: store.accessKeyId.path, S3_SECRET_ACCESS_KEY_FILE: store.secretAccessKey.path }
        : {}),
      ...(opts.statusFile ? { STATUS_FILE: opts.statusFile, STATUS_SERVICE: opts.service ?? plan.prefix } : {}),
    },
    files: [
      { path: UPLOAD_SCRIPT_PATH, content: UPLOAD_SCRIPT, mode: 0o555, format: 'shell' },
      ...(store.kind === 'keys' ? [store.accessKeyId, store.secretAccessKey] : []),
    ],
    mounts: [],
    resources,
    scratchPaths: ['/tmp'],
    timeoutSeconds: 3600,
  };
}

/** How old the newest backup may be before it counts as missing: two intervals and the run's time. */
export function maxAgeSeconds(plan: BackupPlan): number {
  return plan.schedule.everyMinutes * 2 * 60 + 3600;
}

/** Seconds a whole run (dump and upload) may take: within the interval, at least ten minutes, at most six hours. */
export function runSeconds(plan: BackupPlan): number {
  return Math.min(6 * 3600, Math.max(600, plan.schedule.everyMinutes * 60 - 60));
}

/** A Go-style duration label for docs: `15 min`, `1 h`, `1 day`. */
export function intervalLabel(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? '1 day' : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/** The spec field of a plan (`backup`), or nothing where there is none. */
export function withBackup(plan: BackupPlan | undefined): { readonly backup?: BackupPlan } {
  return plan ? { backup: plan } : {};
}

/**
 * The backup bucket the store serves when backups are on (`backups.bucket`): the backups of every
 * other service go there, with a key of their own that reaches that bucket only.
 */
export interface StoreBackupBucket {
  readonly bucket: string;
  /** The region requests are signed for (Garage's `s3_region`). */
  readonly region: string;
  /** The S3 port of the store's spec. */
  readonly port: number;
  /** The backup key's id: a generated secret (Garage), or a user name (MinIO). */
  readonly accessKeyId: Text;
  readonly secretAccessKey: SecretRef;
}

/**
 * The platform's object store as a backup destination (the spec whose facet names the backup bucket,
 * with the key that reaches it only), or none where the environment has no such store.
 */
export function platformStore(specs: readonly ServiceSpec[]): BackupStore | undefined {
  const store = specs.find((s) => (s.facet as { backups?: StoreBackupBucket } | undefined)?.backups !== undefined);
  if (!store) return undefined;
  const b = (store.facet as { backups: StoreBackupBucket }).backups;
  return {
    kind: 'keys',
    endpoint: tpl`http://${hostRef(store.name)}:${String(b.port)}`,
    region: b.region,
    bucket: b.bucket,
    accessKeyId: { path: '/run/secrets/backup-access-key-id', content: b.accessKeyId, mode: 0o440, format: 'secret' },
    secretAccessKey: { path: '/run/secrets/backup-secret-access-key', content: tpl`${b.secretAccessKey}`, mode: 0o440, format: 'secret' },
    service: store.name,
  };
}
