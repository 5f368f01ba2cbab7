import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { hostRef, memberAddress, peerRef, secretRef, tpl } from '../spec/template';
import type { ConsumerAccess } from '../spec/types';
import {
  NO_FACET,
  consumersOf,
  defineService,
  health,
  identity,
  imageOrVersion,
  memoryQuantity,
  persistenceSchema,
  port,
  joinTemplates,
  resolveImage,
  secretFile,
  secretValueFile,
  serviceFields,
} from './common';
import { membersUp, namesOf, scrapedUp } from './signals';
import { backupPlan, dumpStep, withBackup } from './backup';
import { CURL_IMAGE } from './tools';
import { pinned } from '../spec/image';

/** The unprivileged build (uid 1000) of the release, so both targets run it non-root. */
export const QDRANT_IMAGE = 'qdrant/qdrant:v1.19.2-unprivileged';
/** Read after the image's config/config.yaml (Qdrant's `config/local` source): the API keys only. */
const KEYS = '/qdrant/config/local.yaml';

export const qdrantSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    /** Size of the snapshot volume. @default persistence.size */
    snapshotSize: memoryQuantity.optional(),
  })
  .superRefine(imageOrVersion);

/**
 * The image ships no curl or wget; bash's /dev/tcp speaks just enough HTTP to ask /readyz (or /livez).
 */
const probe = (path: string) => [
  'bash',
  '-c',
  `exec 3<>/dev/tcp/127.0.0.1/6333 && printf 'GET ${path} HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`,
];
const READYZ = probe('/readyz');

const MEMBER_SCRIPT = '/usr/local/bin/qdrant-member.sh';
const memberScript = readFileSync(new URL('./scripts/qdrant-member.sh', import.meta.url), 'utf8');
/** The backup's dump step: every collection's snapshot from every member (Qdrant's snapshot API). */
export const QDRANT_DUMP = '/usr/local/bin/qdrant-dump.sh';
const qdrantDumpScript = readFileSync(new URL('./scripts/qdrant-dump.sh', import.meta.url), 'utf8');

/**
 * Copies of each shard a new collection gets by default: two where there are several members, so
 * losing any one member loses no shard (at twice the storage, not three times); a collection may ask
 * for more.
 */
export function defaultReplicationFactor(members: number): number {
  return Math.min(members, 2);
}

/** What Qdrant's own /metrics tells: each member up (it answers), the members up, REST requests and their server errors. */
function qdrantMetrics(clustered: boolean, members: number) {
  const s = 'service="qdrant"';
  const rest = (status: number, i = 0) =>
    `rest_responses_total{${s},instance="qdrant-${i}:6333",endpoint="/collections/{name}/points/search",method="POST",status="${status}"}`;
  return {
    names: namesOf('qdrant', QDRANT_IMAGE),
    signals: [
      scrapedUp('qdrant'),
      ...(clustered
        ? [
            membersUp(
              'qdrant',
              Object.fromEntries(Array.from({ length: members }, (_, i) => [`up{${s},instance="qdrant-${i}:6333"}`, 1])),
              members,
            ),
          ]
        : []),
      {
        record: 'platform:requests:rate5m',
        expr: `sum by (service) (rate(rest_responses_total{${s}}[5m]))`,
        example: { series: { [rest(200)]: '0+120x30', [rest(500)]: '0+60x30' }, service: 'qdrant', value: 3 },
      },
      {
        record: 'platform:request_errors:rate5m',
        expr: `sum by (service) (rate(rest_responses_total{${s},status=~"5.."}[5m]))`,
        example: { series: { [rest(200)]: '0+120x30', [rest(500)]: '0+60x30' }, service: 'qdrant', value: 1 },
      },
    ],
    panels: [
      { title: 'REST requests', expr: 'platform:requests:rate5m{service="qdrant"}', unit: 'reqps' },
      { title: 'REST server errors', expr: 'platform:request_errors:rate5m{service="qdrant"}', unit: 'reqps' },
    ],
  };
}

/**
 * What a consumer may ask for: nothing yet. Qdrant's only key besides the administrator's is the
 * global read-only key; per-collection write access needs JWTs signed with the administrator's key
 * (`jwt_rbac`), which Terraform cannot compute (it has no HMAC), so applications read only.
 */
export const qdrantAccess = z.strictObject({});

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'qdrant',
  title: 'Qdrant',
  description: 'Vector database for embeddings, with API keys and persistent storage.',
  concern: 'data',
} as const;

export const qdrant = defineService({
  ...SERVICE,
  schema: qdrantSchema,
  consumerAccess: qdrantAccess,
  build(c, ctx) {
    const clustered = c.replicas > 1;
    const apps = consumersOf(ctx, qdrantAccess);
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet: NO_FACET,
        secrets: [
          { name: 'api-key', description: 'Read-write API key (header api-key or Authorization: Bearer)', length: 40 },
          {
            name: 'read-only-api-key',
            description: 'Read-only API key (every collection): what applications get, and what metrics scraping uses',
            length: 40,
            audience: 'application',
          },
        ],
        volumes: [
          { name: 'storage', size: c.persistence.size, description: 'Collections and indexes', backup: true },
          { name: 'snapshots', size: c.snapshotSize ?? c.persistence.size, description: 'Collection snapshots', backup: true },
        ],
        ...withBackup(
          backupPlan(ctx.backups, {
            service: 'qdrant',
            method: 'collection-snapshot',
            description: "every collection's snapshot from every member, through Qdrant's snapshot API (checksums checked)",
            volumes: ['storage', 'snapshots'],
            consistency: 'online',
            dump: dumpStep(ctx.jobResources, {
              description:
                "Snapshots every collection on every member (Qdrant's snapshot API), downloads and checks them, deletes them from the member",
              image: pinned(CURL_IMAGE),
              user: '65534:65534',
              command: ['/bin/sh', QDRANT_DUMP],
              env: {
                QDRANT_MEMBERS: joinTemplates(
                  Array.from({ length: c.replicas }, (_, i) => tpl`http://${peerRef('qdrant', i)}:6333`),
                  ' ',
                ),
                QDRANT_API_KEY_FILE: '/run/secrets/qdrant-api-key',
              },
              files: [{ path: QDRANT_DUMP, content: qdrantDumpScript, mode: 0o555, format: 'shell' }, secretValueFile('qdrant', 'api-key')],
              scratchPaths: ['/tmp'],
              timeoutSeconds: 3600,
            }),
          }),
        ),
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(QDRANT_IMAGE, c),
            user: '1000:1000',
            env: {
              QDRANT__SERVICE__HTTP_PORT: '6333',
              QDRANT__SERVICE__GRPC_PORT: '6334',
              QDRANT__STORAGE__STORAGE_PATH: '/qdrant/storage',
              QDRANT__STORAGE__SNAPSHOTS_PATH: '/qdrant/snapshots',
              QDRANT__TELEMETRY_DISABLED: 'true',
              // Qdrant writes its started marker into the working directory (/qdrant, beside its binary)
              // unless told otherwise; on the storage volume the root filesystem can be read-only
              // (the official chart does the same with an emptyDir). It removes the marker at each start.
              QDRANT_INIT_FILE_PATH: '/qdrant/storage/.qdrant-initialized',
              QDRANT__LOG_LEVEL: 'INFO',
              ...(clustered
                ? {
                    QDRANT__CLUSTER__ENABLED: 'true',
                    QDRANT__CLUSTER__P2P__PORT: '6335',
                    QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR: String(defaultReplicationFactor(c.replicas)),
                    QDRANT_MEMBER_URI: tpl`http://${memberAddress}:6335`,
                    QDRANT_FIRST_URI: tpl`http://${peerRef('qdrant', 0)}:6335`,
                  }
                : {}),
            },
            ...(clustered ? { command: ['bash', MEMBER_SCRIPT] } : {}),
            ports: [
              port('http', 6333, 'client', 'http', c.hostPorts),
              port('grpc', 6334, 'client', 'grpc', c.hostPorts),
              ...(clustered ? [port('p2p', 6335, 'cluster', 'grpc', c.hostPorts)] : []),
            ],
            mounts: [
              { volume: 'storage', path: '/qdrant/storage' },
              { volume: 'snapshots', path: '/qdrant/snapshots' },
            ],
            files: [
              secretFile(
                KEYS,
                tpl`service:\n  api_key: "${secretRef('qdrant', 'api-key')}"\n  read_only_api_key: "${secretRef('qdrant', 'read-only-api-key')}"\n`,
                { format: 'yaml' },
              ),
              ...(clustered ? [{ path: MEMBER_SCRIPT, content: memberScript, mode: 0o555, format: 'shell' }] : []),
            ],
            // A member is up when it answers /livez; it has joined when /readyz says it has bootstrapped,
            // caught up with the consensus commit and every local shard is active (Qdrant's src/common/health.rs).
            health: clustered
              ? {
                  ...health(probe('/livez'), { http: { port: 6333, path: '/livez' }, startPeriodSeconds: 20 }),
                  member: { exec: READYZ, http: { port: 6333, path: '/readyz' } },
                }
              : health(READYZ, { http: { port: 6333, path: '/readyz' }, startPeriodSeconds: 20 }),
            resources: c.resources,
            scratchPaths: ['/tmp'],
            stopGracePeriodSeconds: 60,
          },
        ],
        consumers: apps.map((a): ConsumerAccess => ({
          consumer: a.name,
          ports: ['http', 'grpc'],
          facts: { url: tpl`http://${hostRef('qdrant')}:6333`, 'grpc-url': tpl`http://${hostRef('qdrant')}:6334` },
          credentials: { 'api-key': tpl`${secretRef('qdrant', 'read-only-api-key')}` },
          grants:
            "Qdrant's read-only API key: search and read every collection, change none (Qdrant has no per-application key; per-collection JWTs need an HMAC Terraform cannot compute)",
        })),
        metrics: {
          container: 'main',
          port: 6333,
          path: '/metrics',
          source: 'native',
          auth: { kind: 'bearer', token: secretRef('qdrant', 'read-only-api-key') },
          ...qdrantMetrics(clustered, c.replicas),
        },
        ...(clustered
          ? {
              cluster: {
                // /readyz waits for the consensus commit of a majority: members come back together.
                start: 'together' as const,
                maxUnavailable: 1,
                discovery: `member 0 starts the Raft consensus, the others bootstrap from it (p2p 6335); collections default to replication factor ${defaultReplicationFactor(c.replicas)}`,
              },
            }
          : {}),
      },
    ];
  },
});
