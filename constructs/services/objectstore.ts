/**
 * The object store: one S3 endpoint with generated root credentials, the platform's buckets created
 * at deploy, a health check and metrics that need a token. The engine is chosen per environment:
 *
 * - `garage` (default): maintained (AGPL-3.0, quarterly releases), one static binary; secrets as
 *   files, a bearer token on metrics, an idempotent admin API. No bucket versioning and no erasure
 *   coding (it replicates). Decision record: docs/services.md, "Object store".
 * - `minio`: kept selectable because the platform's documents use it, but its repository was archived
 *   in April 2026 and its last image predates the fix for CVE-2025-62506; synthesis warns.
 *
 * The spec is named after the engine (`garage`, `minio`), so switching engines is a new service with
 * new volumes, never a silent change under existing data.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { memoryBytes } from '../spec/quantity';
import { hostRef, peerRef, secretRef, tpl } from '../spec/template';
import type { ConsumerAccess, ServiceSpec, Text } from '../spec/types';
import {
  type BuildContext,
  type ConsumerRequest,
  consumerSecret,
  consumersOf,
  defineService,
  health,
  identity,
  imageOrVersion,
  job,
  joinTemplates,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  secretFile,
  secretValueFile,
  secretValuePath,
  serviceFields,
} from './common';
import { namesOf, scrapedUp } from './signals';
import { type StoreBackupBucket, backupPlan, backupSchedule, withBackup } from './backup';
import { CURL_IMAGE } from './tools';

export const GARAGE_IMAGE = 'dxflrs/garage:v2.4.1';
export { CURL_IMAGE } from './tools';
/** The last official MinIO images (the project is archived; no later image exists). */
export const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z';
export const MC_IMAGE = 'quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z';

export const objectStoreEngines = ['garage', 'minio'] as const;
export type ObjectStoreEngine = (typeof objectStoreEngines)[number];
/** Engines whose upstream no longer publishes releases (the synth summary warns about them). */
export const ARCHIVED_ENGINES: Readonly<Partial<Record<ObjectStoreEngine, string>>> = {
  minio: 'MinIO (repository archived April 2026; its last image predates the fix for CVE-2025-62506)',
};

/** S3 bucket naming rules (3-63 chars, lower case, digits, dots, hyphens; no IP-like names). */
export const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be 3-63 lower-case letters, digits, dots or hyphens')
  .refine((b) => !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b), 'is not a valid bucket name');

export const objectStoreSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /**
     * `garage` (maintained) or `minio` (archived upstream; kept because the platform's documents use it).
     * @default 'garage'
     */
    engine: z.enum(objectStoreEngines).default('garage'),
    /**
     * Buckets created at deploy (idempotent).
     * @default ['workflow-artifacts', 'agent-outputs', 'user-uploads']
     */
    buckets: z
      .array(bucketName)
      .min(1)
      .default(['workflow-artifacts', 'agent-outputs', 'user-uploads'])
      .refine((b) => new Set(b).size === b.length, 'bucket names must be unique'),
    /** Keep object versions in every bucket (MinIO only: Garage has no versioning). @default false */
    versioning: z.boolean().default(false),
    /** Garage's metadata volume (the object index). @default '2Gi' */
    metadataSize: memoryQuantity.default('2Gi'),
  })
  .superRefine(imageOrVersion)
  .superRefine((c, ctx) => {
    if (c.engine === 'garage' && c.versioning) {
      ctx.addIssue({
        code: 'custom',
        path: ['versioning'],
        message: 'Garage has no bucket versioning; turn it off (back buckets up with rclone, see docs/operations.md) or use engine: minio',
      });
    }
  });

/** What a consumer may ask for: the buckets it may read and write (never own: no bucket settings, no deletion). */
export const objectStoreAccess = z.strictObject({
  /** @default every bucket of the store */
  buckets: z
    .array(bucketName)
    .min(1)
    .refine((b) => new Set(b).size === b.length, 'bucket names must be unique')
    .optional(),
});

/** An application's key and its buckets. */
interface StoreApplication {
  readonly consumer: string;
  readonly buckets: readonly string[];
  readonly keyId: string;
  readonly secretKey: string;
  /** A key id that is a name, not a generated secret (MinIO: a user name, which its CLI takes as an argument). */
  readonly accessKey?: string;
}

function storeApplications(
  c: ObjectStoreConfig,
  consumers: readonly ConsumerRequest<z.output<typeof objectStoreAccess>>[],
): StoreApplication[] {
  return consumers.map((a) => ({
    consumer: a.name,
    buckets: a.access.buckets ?? c.buckets,
    keyId: consumerSecret(a.name, 'access-key-id'),
    secretKey: consumerSecret(a.name, 'secret-access-key'),
  }));
}

/** What an application receives: the S3 endpoint, region and its buckets, its own key. */
function storeAccess(engine: 'garage' | 'minio', endpoint: Text, region: string, apps: readonly StoreApplication[]): ConsumerAccess[] {
  return apps.map((a) => ({
    consumer: a.consumer,
    ports: [engine === 'garage' ? 's3' : 'api'],
    facts: { endpoint, region, buckets: a.buckets.join(' '), 'path-style': 'true' },
    credentials: {
      'access-key-id': a.accessKey ?? tpl`${secretRef(engine, a.keyId)}`,
      'secret-access-key': tpl`${secretRef(engine, a.secretKey)}`,
    },
    grants: `its own key: read and write objects in ${a.buckets.join(', ')}; no other bucket, no bucket settings`,
  }));
}

/**
 * What the object store's realizations know beyond the spec: the buckets (a managed store creates
 * them itself), and the backup bucket other services' backups go to.
 */
export interface ObjectStoreFacet {
  readonly buckets: readonly string[];
  readonly backups?: StoreBackupBucket;
}

/** The name of the backup key (a Garage key's name, a MinIO user): never a consumer's (reserved). */
export const BACKUP_KEY_NAME = 'platform-backup';

/**
 * The object store's own plan: none beyond its copies. It is where every other service's backups
 * go, so backing it up into itself would protect nothing; what it lacks is said in `gaps`.
 */
function storePlan(service: 'garage' | 'minio', ctx: BuildContext, volumes: readonly string[], copies: string) {
  return withBackup(
    backupPlan(ctx.backups, {
      service,
      method: 'replicas',
      description: `none beyond the store's own copies (${copies})`,
      volumes,
      consistency: 'online',
      schedule: backupSchedule(service, 360, 0),
      rpoMinutes: 0,
      gaps: `the objects are not copied off the store: losing its disks loses them (with the backups of the other services in ${ctx.backups?.bucket ?? 'the backup bucket'}), and an overwrite or a delete by an application cannot be undone (no versions); copy the buckets elsewhere with rclone (docs/operations.md, "Object store")`,
    }),
  );
}

type ObjectStoreConfig = z.output<typeof objectStoreSchema>;

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'objectstore',
  title: 'Object store (Garage or MinIO)',
  description: 'S3-compatible object storage for workflow artifacts, agent outputs and uploads.',
  concern: 'data',
} as const;

export const objectstore = defineService({
  ...SERVICE,
  schema: objectStoreSchema,
  consumerAccess: objectStoreAccess,
  consumerIssues(c, consumers) {
    return consumers.flatMap((x) => {
      const missing = (objectStoreAccess.parse(x.access).buckets ?? []).filter((b) => !c.buckets.includes(b));
      return missing.length
        ? [
            {
              consumer: x.name,
              message: `buckets ${missing.join(', ')} are not among services.objectstore.buckets (${c.buckets.join(', ')})`,
            },
          ]
        : [];
    });
  },
  build(c, ctx) {
    return [c.engine === 'garage' ? garage(c, ctx) : minio(c, ctx)];
  },
});

/** The spec's identity: named after the engine, configured at `services.objectstore`. */
function named<E extends ObjectStoreEngine>(engine: E, c: ObjectStoreConfig) {
  const archived = ARCHIVED_ENGINES[engine];
  return {
    ...identity({ name: engine, description: `Object storage (${engine})`, concern: 'data' }, c.replicas),
    component: 'objectstore',
    configPath: 'services.objectstore',
    facet: { buckets: c.buckets } satisfies ObjectStoreFacet,
    ...(archived
      ? {
          notices: [
            {
              path: 'services.objectstore.engine',
              message: `runs ${archived}; move to engine: garage (docs/operations.md, "Object store")`,
            },
          ],
        }
      : {}),
  };
}

const GARAGE_CONFIG = '/etc/garage.toml';
/** The region Garage signs requests for (`s3_region`). */
export const GARAGE_REGION = 'garage';
const GARAGE_INIT = '/usr/local/bin/garage-init.sh';
const garageInitScript = readFileSync(new URL('./scripts/garage-init.sh', import.meta.url), 'utf8');
const GARAGE_CONNECT = '/usr/local/bin/garage-connect.sh';
const garageConnectScript = readFileSync(new URL('./scripts/garage-connect.sh', import.meta.url), 'utf8');

/**
 * Copies of every object Garage keeps: three once there are three nodes (writes need two of them, so
 * one node may be down), else one per node. Garage replicates; it has no erasure coding.
 */
export function garageReplicationFactor(nodes: number): number {
  return Math.min(nodes, 3);
}

function garage(c: ObjectStoreConfig, ctx: BuildContext): ServiceSpec<'garage', ObjectStoreFacet> {
  const clustered = c.replicas > 1;
  // Garage refuses secret files with group or other bits unless told otherwise; on Kubernetes the
  // kubelet mounts them group-readable (fsGroup). They are never world-readable (guardrails).
  const rpcSecret = secretValueFile('garage', 'rpc-secret', { mode: 0o400 });
  const adminToken = secretValueFile('garage', 'admin-token', { mode: 0o400 });
  const metricsToken = secretValueFile('garage', 'metrics-token', { mode: 0o400 });
  const config = [
    'metadata_dir = "/var/lib/garage/meta"',
    'data_dir = "/var/lib/garage/data"',
    // SQLite survives unclean stops on a single node; LMDB may not.
    `db_engine = "${c.replicas === 1 ? 'sqlite' : 'lmdb'}"`,
    'metadata_auto_snapshot_interval = "6h"',
    `replication_factor = ${garageReplicationFactor(c.replicas)}`,
    'consistency_mode = "consistent"',
    'rpc_bind_addr = "0.0.0.0:3901"',
    `rpc_secret_file = "${rpcSecret.path}"`,
    'allow_world_readable_secrets = true',
    '',
    '[s3_api]',
    'api_bind_addr = "0.0.0.0:3900"',
    `s3_region = "${GARAGE_REGION}"`,
    '',
    '[admin]',
    'api_bind_addr = "0.0.0.0:3903"',
    `admin_token_file = "${adminToken.path}"`,
    `metrics_token_file = "${metricsToken.path}"`,
    'metrics_require_token = true',
    '',
  ].join('\n');
  const apps = storeApplications(c, consumersOf(ctx, objectStoreAccess));
  // The backups' key reaches the backup bucket only, the way an application's reaches its buckets.
  const backup: StoreApplication | undefined = ctx.backups
    ? { consumer: BACKUP_KEY_NAME, buckets: [ctx.backups.bucket], keyId: 'backup-access-key-id', secretKey: 'backup-secret-access-key' }
    : undefined;
  const keyHolders = [...apps, ...(backup ? [backup] : [])];
  const buckets = [...c.buckets, ...(backup ? backup.buckets : [])];
  // One line per application (and the backups' key): its name, key and buckets (the setup job imports and grants them).
  const appKeys = secretFile(
    '/run/secrets/garage-application-keys',
    joinTemplates(
      keyHolders.map(
        (a) => tpl`${a.consumer} ${secretRef('garage', a.keyId)} ${secretRef('garage', a.secretKey)} ${a.buckets.join(' ')}\n`,
      ),
      '',
    ),
  );
  const jobAdminToken = secretValueFile('garage', 'admin-token');
  const keyId = secretValueFile('garage', 'access-key-id');
  const secretKey = secretValueFile('garage', 'secret-access-key');
  return {
    ...named('garage', c),
    ...(backup
      ? {
          facet: {
            buckets: c.buckets,
            backups: {
              bucket: backup.buckets[0]!,
              region: GARAGE_REGION,
              port: 3900,
              accessKeyId: tpl`${secretRef('garage', backup.keyId)}`,
              secretAccessKey: secretRef('garage', backup.secretKey),
            },
          } satisfies ObjectStoreFacet,
        }
      : {}),
    ...storePlan(
      'garage',
      ctx,
      ['meta', 'data'],
      `${garageReplicationFactor(c.replicas)} of every object, the metadata snapshotted every 6 h`,
    ),
    managed: 's3',
    secrets: [
      { name: 'rpc-secret', description: "Shared secret of the nodes' RPC (32 random bytes, hex)", length: 64, alphabet: 'hex' },
      { name: 'admin-token', description: 'Bearer token of the admin API (the setup job)', length: 48 },
      { name: 'metrics-token', description: 'Bearer token of /metrics (the scraper)', length: 48 },
      { name: 'access-key-id', description: 'S3 access key id of the platform (GK + 24 hex)', length: 24, alphabet: 'hex', prefix: 'GK' },
      { name: 'secret-access-key', description: 'S3 secret key of the platform (64 hex)', length: 64, alphabet: 'hex' },
      ...(backup
        ? [
            {
              name: backup.keyId,
              description: `S3 access key id of the backups (read and write on ${backup.buckets.join(', ')} only)`,
              length: 24,
              alphabet: 'hex' as const,
              prefix: 'GK',
            },
            { name: backup.secretKey, description: 'S3 secret key of the backups', length: 64, alphabet: 'hex' as const },
          ]
        : []),
      ...apps.flatMap((a) => [
        {
          name: a.keyId,
          description: `S3 access key id of consumer ${a.consumer} (read and write on ${a.buckets.join(', ')})`,
          length: 24,
          alphabet: 'hex' as const,
          prefix: 'GK',
          audience: 'application' as const,
        },
        {
          name: a.secretKey,
          description: `S3 secret key of consumer ${a.consumer}`,
          length: 64,
          alphabet: 'hex' as const,
          audience: 'application' as const,
        },
      ]),
    ],
    volumes: [
      { name: 'meta', size: c.metadataSize, description: 'Object index and bucket metadata', backup: true },
      { name: 'data', size: c.persistence.size, description: 'Object data blocks', backup: true },
    ],
    jobs: [
      job(ctx, {
        name: 'setup',
        description: `${clustered ? 'Connects the nodes, assigns' : 'Assigns'} the cluster layout, imports the platform key and creates ${buckets.join(', ')} (private, granted to that key)${apps.length ? "; imports the applications' keys and grants each its buckets" : ''}${backup ? `; imports the backups' key and grants it ${backup.buckets.join(', ')}` : ''}`,
        image: resolveImage(CURL_IMAGE, {}),
        user: '65534:65534',
        // Several nodes: connect them first (garage-connect.sh runs garage-init.sh when done).
        command: clustered ? ['/bin/sh', GARAGE_CONNECT, GARAGE_INIT] : ['/bin/sh', GARAGE_INIT],
        env: {
          ADMIN_URL: tpl`http://${hostRef('garage')}:3903`,
          ADMIN_TOKEN_FILE: jobAdminToken.path,
          S3_ACCESS_KEY_ID_FILE: keyId.path,
          S3_SECRET_ACCESS_KEY_FILE: secretKey.path,
          BUCKETS: buckets.join(' '),
          ...(keyHolders.length ? { APP_KEYS_FILE: appKeys.path } : {}),
          EXPECTED_NODES: String(c.replicas),
          NODE_CAPACITY: String(memoryBytes(c.persistence.size)),
          // Nodes do not find each other: the job asks each for its id and has them connect (RPC 3901).
          ...(clustered
            ? {
                NODES: joinTemplates(
                  Array.from({ length: c.replicas }, (_, i) => tpl`${peerRef('garage', i)}`),
                  ' ',
                ),
              }
            : {}),
        },
        files: [
          { path: GARAGE_INIT, content: garageInitScript, mode: 0o555, format: 'shell' },
          ...(clustered ? [{ path: GARAGE_CONNECT, content: garageConnectScript, mode: 0o555, format: 'shell' }] : []),
          jobAdminToken,
          keyId,
          secretKey,
          ...(keyHolders.length ? [appKeys] : []),
        ],
        scratchPaths: ['/tmp'],
        applies: [
          secretRef('garage', 'access-key-id'),
          secretRef('garage', 'secret-access-key'),
          ...keyHolders.flatMap((a) => [secretRef('garage', a.keyId), secretRef('garage', a.secretKey)]),
        ],
        timeoutSeconds: 600,
      }),
    ],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(GARAGE_IMAGE, c),
        // FROM scratch, no user: root on Docker (root-owned volumes, 0400 secret files), 1000 on Kubernetes.
        user: '1000:1000',
        startsAsRoot:
          'the image is built FROM scratch without a user; Docker creates its volumes owned by root and its secret files are 0400',
        scratchPaths: [],
        args: ['/garage', 'server'],
        env: {},
        ports: [
          port('s3', 3900, 'client', 's3', c.hostPorts),
          port('rpc', 3901, 'cluster', 'garage-rpc', c.hostPorts),
          port('admin', 3903, 'admin', 'http', c.hostPorts),
        ],
        mounts: [
          { volume: 'meta', path: '/var/lib/garage/meta' },
          { volume: 'data', path: '/var/lib/garage/data' },
        ],
        files: [{ path: GARAGE_CONFIG, content: config, mode: 0o644, format: 'garage.toml' }, rpcSecret, adminToken, metricsToken],
        // The image has no shell: the CLI asks the local daemon over RPC. (`/health` answers 503 until
        // the setup job has applied a layout, and the job waits for this check.)
        health: health(['/garage', 'status'], { startPeriodSeconds: 10 }),
        resources: c.resources,
        stopGracePeriodSeconds: 30,
      },
    ],
    consumers: storeAccess('garage', tpl`http://${hostRef('garage')}:3900`, 'garage', apps),
    metrics: {
      container: 'main',
      port: 3903,
      path: '/metrics',
      source: 'native',
      auth: { kind: 'bearer', token: secretRef('garage', 'metrics-token') },
      ...garageMetrics(c.replicas),
    },
    ...(clustered
      ? {
          cluster: {
            // A node is up on its own; the setup job connects the nodes and applies the layout once all run.
            start: 'in-order' as const,
            // With three copies a write needs two: any one node may be down, never two.
            maxUnavailable: 1,
            discovery: `the setup job reads each node's id (GetNodeInfo on its stable address) and connects them (ConnectClusterNodes); layout with replication factor ${garageReplicationFactor(c.replicas)}`,
          },
        }
      : {}),
  };
}

/** What Garage's /metrics tells: each node up, the storage nodes the cluster sees, S3 requests and errors. */
function garageMetrics(members: number) {
  const s = 'service="garage"';
  const node = (i: number) => `instance="garage-${i}:3903"`;
  return {
    names: namesOf('garage', GARAGE_IMAGE),
    signals: [
      scrapedUp('garage'),
      ...(members > 1
        ? [
            {
              record: 'platform:cluster_members',
              expr: `max by (service) (cluster_storage_nodes_ok{${s}})`,
              example: { series: { [`cluster_storage_nodes_ok{${s},${node(0)}}`]: members }, service: 'garage', value: members },
            },
          ]
        : []),
      {
        record: 'platform:requests:rate5m',
        expr: `sum by (service) (rate(api_s3_request_counter{${s}}[5m]))`,
        example: {
          series: { [`api_s3_request_counter{${s},${node(0)},api_endpoint="GetObject"}`]: '0+120x30' },
          service: 'garage',
          value: 2,
        },
      },
      {
        record: 'platform:request_errors:rate5m',
        expr: `sum by (service) (rate(api_s3_error_counter{${s}}[5m]))`,
        example: {
          series: { [`api_s3_error_counter{${s},${node(0)},api_endpoint="GetObject",status_code="500"}`]: '0+6x30' },
          service: 'garage',
          value: 0.1,
        },
      },
    ],
    panels: [
      { title: 'S3 requests', expr: 'platform:requests:rate5m{service="garage"}', unit: 'reqps' },
      { title: 'S3 errors', expr: 'platform:request_errors:rate5m{service="garage"}', unit: 'reqps' },
    ],
  };
}

const MINIO_METRICS_TOKEN_DIR = '/var/lib/minio-metrics';
/** MinIO's default region (requests are signed for it). */
const MINIO_REGION = 'us-east-1';

function minio(c: ObjectStoreConfig, ctx: BuildContext): ServiceSpec<'minio', ObjectStoreFacet> {
  const rootUser = secretValueFile('minio', 'root-user', { mode: 0o400 });
  const rootPassword = secretValueFile('minio', 'root-password', { mode: 0o400 });
  // A MinIO user's access key is its name: `mc admin policy attach` takes it as an argument, so it is
  // a plain name (consumer-<name>), not a generated secret; the secret key is.
  const apps = storeApplications(c, consumersOf(ctx, objectStoreAccess)).map((a) => ({ ...a, accessKey: `consumer-${a.consumer}` }));
  // The backups' user reaches the backup bucket only, the way an application's reaches its buckets.
  const backup: StoreApplication | undefined = ctx.backups
    ? {
        consumer: BACKUP_KEY_NAME,
        buckets: [ctx.backups.bucket],
        keyId: 'backup-access-key-id',
        secretKey: 'backup-secret-access-key',
        accessKey: BACKUP_KEY_NAME,
      }
    : undefined;
  const keyHolders = [...apps, ...(backup ? [backup] : [])];
  const buckets = [...c.buckets, ...(backup ? backup.buckets : [])];
  const appFiles = keyHolders.map((a) => secretValueFile('minio', a.secretKey));
  // Each application: a user (keys read from stdin, never the command line) with a policy on its buckets only.
  const policy = (buckets: readonly string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: buckets.map((b) => `arn:aws:s3:::${b}`) },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`),
        },
      ],
    });
  const appScript = keyHolders.flatMap((a) => [
    `printf '%s\\n%s\\n' '${a.accessKey}' "$(cat ${secretValuePath('minio', a.secretKey)})" | mc admin user add platform >/dev/null`,
    `printf '%s' '${policy(a.buckets)}' > /tmp/policy-${a.consumer}.json`,
    `mc admin policy create platform ${a.accessKey} /tmp/policy-${a.consumer}.json`,
    `mc admin policy attach platform ${a.accessKey} --user '${a.accessKey}' >/dev/null 2>&1 || true`,
  ]);
  const script = [
    'set -eu',
    'export MC_CONFIG_DIR=/tmp/.mc',
    // mc reads the credentials from stdin, not from its command line.
    'printf "%s\\n%s\\n" "$(cat "$MINIO_ROOT_USER_FILE")" "$(cat "$MINIO_ROOT_PASSWORD_FILE")" | mc alias set platform "$MINIO_URL" >/dev/null',
    ...buckets.map((b) => `mc mb --ignore-existing "platform/${b}"`),
    ...buckets.map((b) => `mc version ${c.versioning ? 'enable' : 'suspend'} "platform/${b}"`),
    ...buckets.map((b) => `mc anonymous set none "platform/${b}"`),
    // Metrics need a bearer token MinIO signs itself: written where the scraper mounts it.
    `mc admin prometheus generate platform | sed -n 's/^ *bearer_token: *//p' > ${MINIO_METRICS_TOKEN_DIR}/token`,
    `test -s ${MINIO_METRICS_TOKEN_DIR}/token`,
    ...appScript,
  ].join('\n');
  return {
    ...named('minio', c),
    ...(backup
      ? {
          facet: {
            buckets: c.buckets,
            backups: {
              bucket: backup.buckets[0]!,
              region: MINIO_REGION,
              port: 9000,
              accessKeyId: BACKUP_KEY_NAME,
              secretAccessKey: secretRef('minio', backup.secretKey),
            },
          } satisfies ObjectStoreFacet,
        }
      : {}),
    ...storePlan('minio', ctx, ['data'], c.versioning ? 'one copy, with object versions' : 'one copy'),
    managed: 's3',
    // Pods cannot share a volume between the server and the job that issues the metrics token.
    requirements: {
      singleHost: {
        path: 'services.objectstore.engine',
        message: 'its create-buckets job shares the metrics-token volume with the server; use engine: garage on a cluster',
      },
    },
    secrets: [
      { name: 'root-user', description: 'MinIO root access key', length: 20 },
      { name: 'root-password', description: 'MinIO root secret key', length: 40 },
      ...apps.map((a) => ({
        name: a.secretKey,
        description: `Secret key of consumer ${a.consumer} (user ${a.accessKey})`,
        length: 40,
        audience: 'application' as const,
      })),
      ...(backup
        ? [
            {
              name: backup.secretKey,
              description: `Secret key of the backups' user ${backup.accessKey} (${backup.buckets.join(', ')} only)`,
              length: 40,
            },
          ]
        : []),
    ],
    volumes: [
      { name: 'data', size: c.persistence.size, description: 'Object data', backup: true },
      {
        name: 'metrics-token',
        size: '16Mi',
        description: 'The bearer token for /minio/v2/metrics (written by the setup job)',
        backup: false,
      },
    ],
    jobs: [
      job(ctx, {
        name: 'create-buckets',
        description: `Creates ${buckets.join(', ')}${c.versioning ? ' with versioning' : ''}, private, and issues the metrics token`,
        image: resolveImage(MC_IMAGE, {}),
        user: '1000:1000',
        startsAsRoot: "the mc image runs as root by default and keeps its configuration in root's home directory (~/.mc)",
        command: ['/bin/sh', '-c', script],
        env: {
          MINIO_URL: tpl`http://${hostRef('minio')}:9000`,
          MINIO_ROOT_USER_FILE: rootUser.path,
          MINIO_ROOT_PASSWORD_FILE: rootPassword.path,
        },
        files: [rootUser, rootPassword, ...appFiles],
        mounts: [{ volume: 'metrics-token', path: MINIO_METRICS_TOKEN_DIR }],
        scratchPaths: ['/tmp'],
        timeoutSeconds: 300,
      }),
    ],
    dependsOn: [],
    containers: [
      {
        name: 'main',
        image: resolveImage(MINIO_IMAGE, c),
        user: '1000:1000',
        startsAsRoot: 'Docker creates the data volume owned by root and the image runs as root by default',
        args: ['server', '/data', '--address', ':9000', '--console-address', ':9001'],
        env: {
          MINIO_ROOT_USER_FILE: rootUser.path,
          MINIO_ROOT_PASSWORD_FILE: rootPassword.path,
          // Metrics need a JWT (the default); never `public`.
          MINIO_PROMETHEUS_AUTH_TYPE: 'jwt',
          MINIO_BROWSER_REDIRECT: 'false',
        },
        ports: [port('api', 9000, 'client', 's3', c.hostPorts), { ...port('console', 9001, 'ui', 'http', c.hostPorts), external: true }],
        mounts: [{ volume: 'data', path: '/data' }],
        files: [rootUser, rootPassword],
        health: health(['mc', 'ready', 'local'], { http: { port: 9000, path: '/minio/health/ready' }, startPeriodSeconds: 20 }),
        resources: c.resources,
        stopGracePeriodSeconds: 30,
      },
    ],
    consumers: storeAccess('minio', tpl`http://${hostRef('minio')}:9000`, MINIO_REGION, apps),
    metrics: {
      container: 'main',
      port: 9000,
      path: '/minio/v2/metrics/cluster',
      source: 'native',
      auth: { kind: 'bearer-file', volume: 'metrics-token', path: 'token', writtenBy: 'create-buckets' },
      // No metric list for the archived engine: only the scrape's own series are used.
      names: namesOf('minio', MINIO_IMAGE, /$^/),
      signals: [scrapedUp('minio')],
    },
  };
}
