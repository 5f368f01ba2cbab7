import { z } from 'zod';
import { formatBinarySize, memoryBytes } from '../spec/quantity';
import { hostRef, secretRef, tpl } from '../spec/template';
import type { ConsumerAccess } from '../spec/types';
import {
  crossCheck,
  NO_FACET,
  consumersOf,
  defineService,
  identity,
  imageOrVersion,
  memoryQuantity,
  persistenceSchema,
  port,
  resolveImage,
  secretFile,
  serviceFields,
  shellHealth,
} from './common';
import { probe } from './sidecars';
import { backupPlan, backupSchedule, withBackup } from './backup';

export const NEO4J_IMAGE = 'neo4j:5.26.30-community';
/**
 * `neo4j/<password>`, read by the image's entrypoint (`NEO4J_AUTH_PATH`) to set the initial password.
 * Unlike `NEO4J_AUTH_FILE`, which the entrypoint exports as NEO4J_AUTH into the server's environment,
 * the path form only passes the file's content to `neo4j-admin dbms set-initial-password`.
 */
const AUTH = '/run/secrets/neo4j-auth';
/** The health check's wget config (the credentials), rewritten at each check and removed after it. */
const HEALTH_WGETRC = '/tmp/.neo4j-health-wgetrc';
/** neo4j-admin's heap for a dump (it streams the store files; the page cache is the OS's). */
const DUMP_HEAP = '512Mi';

export const neo4jSchema = z
  .strictObject({
    ...serviceFields,
    persistence: persistenceSchema,
    memory: z.strictObject({
      /** JVM heap (initial = max, so the container limit is predictable). */
      heap: memoryQuantity,
      /** Page cache for the graph store. */
      pagecache: memoryQuantity,
    }),
  })
  .superRefine(imageOrVersion)
  .superRefine(
    crossCheck((c, ctx) => {
      if (c.replicas > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['replicas'],
          message: `Neo4j Community runs as one standalone server (clustering is an Enterprise feature); ${c.replicas} replicas would be unconnected copies, so use 1`,
        });
      }
      const used = memoryBytes(c.memory.heap) + memoryBytes(c.memory.pagecache);
      if (used > memoryBytes(c.resources.limits.memory) * 0.85) {
        ctx.addIssue({
          code: 'custom',
          path: ['memory'],
          message: `heap ${c.memory.heap} + pagecache ${c.memory.pagecache} leave less than 15% of the ${c.resources.limits.memory} limit for the JVM's native memory`,
        });
      }
    }),
  );

/**
 * What a consumer may ask for: nothing. Neo4j Community has no roles ("all users assume the
 * privileges of an admin"; role-based access control is an Enterprise feature), so any user the
 * platform could give an application would be an administrator: none is published. An application
 * gets the Bolt address and network access; docs/operations.md says how to hand it the credential
 * deliberately.
 */
export const neo4jAccess = z.strictObject({});

const jvm = (q: string) => formatBinarySize(memoryBytes(q), { k: 'k', m: 'm', g: 'g' });

/** The catalogue entry's identity (its specs are named after it). */
const SERVICE = {
  name: 'neo4j',
  title: 'Neo4j',
  description: 'Graph database (Community edition) for agent memory and relationships, with generated auth.',
  concern: 'data',
} as const;

export const neo4j = defineService({
  ...SERVICE,
  schema: neo4jSchema,
  consumerAccess: neo4jAccess,
  build(c, ctx) {
    const apps = consumersOf(ctx, neo4jAccess);
    const metrics = probe(ctx, { port: 7474, path: '/', service: 'neo4j' });
    return [
      {
        ...identity(SERVICE, c.replicas),
        facet: NO_FACET,
        secrets: [{ name: 'password', description: 'Password of the neo4j user', length: 32 }],
        volumes: [{ name: 'data', size: c.persistence.size, description: 'Graph store and transaction logs', backup: true }],
        // Neo4j Community has no online backup (neo4j-admin database backup is Enterprise): where the
        // target snapshots volumes (AWS Backup's EBS snapshots) the snapshot is the backup (store and
        // transaction logs at one instant, which Neo4j recovers as after a power cut); everywhere else
        // the server is stopped in the daily window and dumped with its own offline tool.
        ...withBackup(
          backupPlan(ctx.backups, {
            service: 'neo4j',
            method: 'volume-snapshot',
            description:
              'a snapshot of the data volume where the target takes one (store and transaction logs at one instant; Neo4j recovers it from its log); elsewhere neo4j-admin database dump of the system and neo4j databases with the server stopped in the daily window, uploaded to the backup bucket',
            volumes: ['data'],
            consistency: 'crash-consistent',
            schedule: backupSchedule('neo4j', 1440, ctx.backups?.windowMinute ?? 0),
            gaps: "Neo4j is unavailable during the daily stopped dump (on Docker and clusters without volume snapshots: minutes, growing with the store; the health check tolerates the window on Docker); the RPO is one day, not the environment's RPO",
            ...(ctx.backups
              ? {
                  stoppedDump: {
                    atMinute: ctx.backups.windowMinute,
                    volume: 'data',
                    path: '/data',
                    command:
                      'neo4j-admin database dump system --to-path="$BACKUP_DIR" && neo4j-admin database dump neo4j --to-path="$BACKUP_DIR"',
                    // The image's entrypoint and command (docker-neo4j: tini -g -- /startup/docker-entrypoint.sh neo4j):
                    // as root it prepares /data, reads the auth file and drops to neo4j with su-exec.
                    init: ['tini', '-g', '--'],
                    server: ['/startup/docker-entrypoint.sh', 'neo4j'],
                    runAs: ['su-exec', 'neo4j:neo4j'],
                    // neo4j-admin's log (server.directories.logs: $NEO4J_HOME/logs -> /logs), its run
                    // directory, the JVM's temporary files.
                    scratchPaths: ['/tmp', '/logs', '/var/lib/neo4j/run'],
                    // neo4j-admin's JVM heap (its launcher reads HEAP_SIZE); the server is stopped meanwhile.
                    env: { HEAP_SIZE: jvm(DUMP_HEAP) },
                    resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
                    uploadResources: ctx.jobResources,
                    timeoutSeconds: 3600,
                  },
                }
              : {}),
          }),
        ),
        jobs: [],
        dependsOn: [],
        containers: [
          {
            name: 'main',
            image: resolveImage(NEO4J_IMAGE, c),
            // The entrypoint prepares /data as root and drops to neo4j (7474).
            user: '7474:7474',
            startsAsRoot: "the image's entrypoint prepares /data as root and drops to the neo4j user (7474)",
            writableRoot:
              "the image's entrypoint writes the settings from NEO4J_* variables into /var/lib/neo4j/conf/neo4j.conf at every start (add_env_setting_to_conf)",
            env: {
              NEO4J_AUTH_PATH: AUTH,
              NEO4J_server_default__listen__address: '0.0.0.0',
              NEO4J_server_memory_heap_initial__size: jvm(c.memory.heap),
              NEO4J_server_memory_heap_max__size: jvm(c.memory.heap),
              NEO4J_server_memory_pagecache_size: jvm(c.memory.pagecache),
              NEO4J_server_config_strict__validation_enabled: 'true',
              NEO4J_dbms_usage__report_enabled: 'false',
            },
            ports: [port('http', 7474, 'ui', 'http', c.hostPorts), port('bolt', 7687, 'client', 'bolt', c.hostPorts)],
            mounts: [{ volume: 'data', path: '/data' }],
            files: [secretFile(AUTH, tpl`neo4j/${secretRef('neo4j', 'password')}`)],
            // A real Cypher query through the HTTP API, with wget (the image has no curl): proves the
            // database answers, without starting a second JVM (cypher-shell) inside the memory limit.
            // The credentials reach wget in a config file (owner-only, removed after), never on its
            // command line, where ps on the host shows them. GNU wget sends them without waiting for
            // a challenge (auth_no_challenge); it cannot read its config from a pipe.
            health: shellHealth(
              `f=${HEALTH_WGETRC} && (umask 077 && printf 'http_user = neo4j\\nhttp_password = %s\\nauth_no_challenge = on\\n' "$(cut -d/ -f2- ${AUTH})" >"$f") && ` +
                'wget -q -O /dev/null --config="$f" --header="Content-Type: application/json" ' +
                '--post-data=\'{"statements":[{"statement":"RETURN 1"}]}\' http://127.0.0.1:7474/db/neo4j/tx/commit; s=$?; rm -f "$f"; exit $s',
              { intervalSeconds: 15, timeoutSeconds: 10, startPeriodSeconds: 90, retries: 8 },
            ),
            resources: c.resources,
            stopGracePeriodSeconds: 120,
          },
          metrics.container,
        ],
        metrics: metrics.metrics,
        consumers: apps.map((a): ConsumerAccess => ({
          consumer: a.name,
          ports: ['bolt'],
          facts: { url: tpl`neo4j://${hostRef('neo4j')}:7687`, 'bolt-url': tpl`bolt://${hostRef('neo4j')}:7687` },
          credentials: {},
          grants:
            'none published: Neo4j Community has no roles, every user is an administrator; the Bolt port is open to the consumer, the credential is handed over only deliberately (docs/operations.md)',
        })),
      },
    ];
  },
});
