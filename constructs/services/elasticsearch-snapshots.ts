/**
 * Elasticsearch's backups: its own snapshots into an S3 repository in the platform's backup bucket
 * (`<bucket>/elasticsearch/`), taken and pruned by snapshot lifecycle management (SLM). Pure data;
 * the realizations (Docker's row, ECK) put the pieces where their target needs them.
 *
 * - The repository's S3 client (`s3.client.platform.*`) is a node setting: the store's endpoint and
 *   scheme, path-style access (Garage and MinIO serve buckets under the path) and the signing region
 *   (Garage checks its `s3_region`). ES 8.19's repository-s3 runs on the AWS SDK v2
 *   (elastic/elasticsearch#127331, the 8.x backport of #126843); `S3Service.getClientRegion` takes
 *   `s3.client.<name>.region` as is, else guesses it from the endpoint, else falls back to us-east-1.
 * - The key is a pair of secure settings (`s3.client.platform.access_key` / `secret_key`): the
 *   keystore, never elasticsearch.yml. They are reloadable (`POST _nodes/reload_secure_settings`).
 * - A job registers the repository (`PUT _snapshot/platform`, which verifies it, then `_verify`)
 *   and the SLM policies (`PUT _slm/policy/<id>`), each call a whole-object PUT, so a rerun changes
 *   nothing; it starts SLM if it was stopped.
 *
 * Retention: SLM keeps snapshots per policy by age (`expire_after`) between `min_count` and
 * `max_count`. It cannot pick "the newest of each day" out of one schedule's snapshots, so each tier
 * is a policy of its own with its own schedule (the snapshots are incremental: a tier's snapshot
 * copies only the segments no earlier snapshot in the repository holds). Expired snapshots go at the
 * cluster's retention run (`slm.retention_schedule`), not the moment they expire.
 */
import type { BackupStore } from './backup';
import { secretValueFile } from './common';
import type { BackupPlan, BackupRetention, ConfigFile, JobSpec, Text } from '../spec/types';

/** The repository's name (`_snapshot/platform`) and its S3 client's (`s3.client.platform.*`). */
export const SNAPSHOT_REPOSITORY = 'platform';
export const SNAPSHOT_CLIENT = 'platform';
/** The secure settings that hold the store's key. */
export const KEYSTORE_ACCESS_KEY = `s3.client.${SNAPSHOT_CLIENT}.access_key`;
export const KEYSTORE_SECRET_KEY = `s3.client.${SNAPSHOT_CLIENT}.secret_key`;

/** An SLM policy as `PUT _slm/policy/<id>` takes it (and its id). */
export interface SlmPolicy {
  readonly id: string;
  /** Elasticsearch's cron (seconds first; `?` in day-of-month or day-of-week), UTC. */
  readonly schedule: string;
  /** The snapshots' name (date math; SLM appends a unique suffix). */
  readonly name: string;
  readonly retention: { readonly expire_after: string; readonly min_count: number; readonly max_count: number };
}

/** What Elasticsearch's realizations know of its snapshots (the facet's `snapshots`). */
export interface ElasticsearchSnapshots {
  readonly repository: string;
  readonly client: string;
  readonly bucket: string;
  /** The key prefix in the bucket (the plan's). */
  readonly basePath: string;
  readonly policies: readonly SlmPolicy[];
  /** The job that registers the repository and the policies (as the target's administrator; see `snapshotJob`). */
  readonly job: JobSpec;
}

/** A five-field cron (`M H dom mon dow`) as Elasticsearch's: seconds first, `?` for the day of the week. */
export function esCron(cron: string): string {
  const [minute, hour, dom, month] = cron.split(' ');
  return `0 ${minute} ${hour} ${dom} ${month} ?`;
}

/**
 * The policies that keep the environment's retention: every snapshot of the last `recentHours` at
 * the plan's interval (the RPO), then daily, weekly (Sunday) and monthly (the 1st) snapshots taken
 * in the daily window (five and ten minutes apart), each kept for its count of periods. A tier's
 * `min_count` keeps its snapshots even past their age when newer ones failed; `max_count` bounds it.
 */
export function slmPolicies(plan: BackupPlan, retention: BackupRetention, windowMinute: number): SlmPolicy[] {
  const at = (later: number) => {
    const m = (windowMinute + later) % 1440;
    return { minute: m % 60, hour: Math.floor(m / 60) };
  };
  const daily = at(0);
  const weekly = at(5);
  const monthly = at(10);
  const every = plan.schedule.everyMinutes;
  return [
    ...(every < 1440
      ? [
          {
            id: 'recent',
            schedule: esCron(plan.schedule.cron),
            name: '<recent-{now/m{yyyy.MM.dd-HH.mm}}>',
            retention: {
              expire_after: `${retention.recentHours}h`,
              min_count: 1,
              max_count: Math.ceil((retention.recentHours * 60) / every) + 1,
            },
          },
        ]
      : []),
    {
      id: 'daily',
      schedule: `0 ${daily.minute} ${daily.hour} * * ?`,
      name: '<daily-{now/d}>',
      retention: { expire_after: `${retention.daily}d`, min_count: retention.daily, max_count: retention.daily },
    },
    {
      id: 'weekly',
      schedule: `0 ${weekly.minute} ${weekly.hour} ? * SUN`,
      name: '<weekly-{now/d}>',
      retention: { expire_after: `${retention.weekly * 7}d`, min_count: retention.weekly, max_count: retention.weekly },
    },
    {
      id: 'monthly',
      schedule: `0 ${monthly.minute} ${monthly.hour} 1 * ?`,
      name: '<monthly-{now/M}>',
      retention: { expire_after: `${retention.monthly * 31}d`, min_count: retention.monthly, max_count: retention.monthly },
    },
  ].filter((p) => p.retention.min_count > 0);
}

/** `PUT _snapshot/<repository>`'s body: the bucket, the prefix, the client; no credentials (they are the client's). */
export function repositoryBody(s: Pick<ElasticsearchSnapshots, 'bucket' | 'basePath' | 'client'>): object {
  return { type: 's3', settings: { bucket: s.bucket, base_path: s.basePath, client: s.client } };
}

/** `PUT _slm/policy/<id>`'s body: every index and the cluster state (with the features' system indices). */
export function policyBody(p: SlmPolicy, repository: string): object {
  return {
    schedule: p.schedule,
    name: p.name,
    repository,
    config: { indices: ['*'], include_global_state: true },
    retention: p.retention,
  };
}

/**
 * The registration job's script (bash and curl, both in the Elasticsearch image). As `$ES_USER` with
 * the password in `$ES_PASSWORD_FILE` (curl's config file, 0600, never argv), against `$ES_URL`
 * (`CURL_CA_BUNDLE` names the CA where it serves HTTPS):
 * waits for the cluster, has every node reload its secure settings (a rotated key; `reload: false`
 * where the client has no key, as with a web identity), registers the
 * repository (retried while the store is still starting: the PUT verifies it) and checks it from
 * every node, puts each policy, and starts SLM when it is not running. Fails on any error.
 */
export function snapshotSetupScript(
  s: Pick<ElasticsearchSnapshots, 'repository' | 'bucket' | 'basePath' | 'client' | 'policies'>,
  opts: { readonly reload?: boolean } = {},
): string {
  const json = (v: object) => `'${JSON.stringify(v)}'`;
  return [
    'set -euo pipefail',
    'umask 077',
    'tmp=$(mktemp -d)',
    'trap \'rm -rf "$tmp"\' EXIT',
    `printf 'user = "%s:%s"\\n' "$ES_USER" "$(cat "$ES_PASSWORD_FILE")" >"$tmp/auth"`,
    'es() { curl -sS --fail-with-body -K "$tmp/auth" -H "Content-Type: application/json" "$@"; }',
    'attempts=${ATTEMPTS:-60}',
    'pause=${PAUSE_SECONDS:-5}',
    '# retry CMD...: until it succeeds, at most $attempts times',
    'retry() { local i; for i in $(seq 1 "$attempts"); do "$@" && return 0; [ "$i" -lt "$attempts" ] && sleep "$pause"; done; return 1; }',
    'retry es -o /dev/null "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=10s" || { echo "elasticsearch did not become ready" >&2; exit 1; }',
    ...(opts.reload === false
      ? []
      : [
          '# A rotated key: every node re-reads its reloadable secure settings (the S3 client keys).',
          'es -X POST "$ES_URL/_nodes/reload_secure_settings" >"$tmp/reload"',
          'grep -q \'"failed":0[,}]\' "$tmp/reload" || { echo "reloading the secure settings failed: $(cat "$tmp/reload")" >&2; exit 1; }',
        ]),
    `printf '%s' ${json(repositoryBody(s))} >"$tmp/repository"`,
    `register() { es -o "$tmp/out" -X PUT "$ES_URL/_snapshot/${s.repository}" --data-binary @"$tmp/repository" && es -o "$tmp/out" -X POST "$ES_URL/_snapshot/${s.repository}/_verify"; }`,
    `retry register || { echo "repository ${s.repository} (${s.bucket}/${s.basePath}) could not be registered: $(cat "$tmp/out" 2>/dev/null)" >&2; exit 1; }`,
    ...s.policies.flatMap((p) => [
      `printf '%s' ${json(policyBody(p, s.repository))} >"$tmp/policy"`,
      `es -o /dev/null -X PUT "$ES_URL/_slm/policy/${p.id}" --data-binary @"$tmp/policy"`,
    ]),
    'es "$ES_URL/_slm/status" >"$tmp/status"',
    'grep -q \'"operation_mode":"RUNNING"\' "$tmp/status" || es -o /dev/null -X POST "$ES_URL/_slm/start"',
    `echo "repository ${s.repository}: ${s.bucket}/${s.basePath}; policies ${s.policies.map((p) => p.id).join(' ')}"`,
    '',
  ].join('\n');
}

/**
 * The S3 client's node settings: for the platform's store, the endpoint with its scheme (the SDK v2
 * client takes it as the endpoint override's URI), path-style access, the signing region; for AWS S3
 * (EKS), the region only (`S3Service.getClientRegion` takes it as is; the SDK picks the regional
 * endpoint and virtual-hosted addressing).
 */
export function snapshotClientSettings(store: BackupStore): Readonly<Record<string, Text>> {
  if (store.kind !== 'keys') return { [`s3.client.${SNAPSHOT_CLIENT}.region`]: store.region };
  return {
    [`s3.client.${SNAPSHOT_CLIENT}.endpoint`]: store.endpoint,
    [`s3.client.${SNAPSHOT_CLIENT}.path_style_access`]: 'true',
    [`s3.client.${SNAPSHOT_CLIENT}.region`]: store.region,
  };
}

/** Where repository-s3 reads a web identity token: `repository-s3/aws-web-identity-token-file` in the config directory. */
export const WEB_IDENTITY_TOKEN_DIR = '/usr/share/elasticsearch/config/repository-s3';
export const WEB_IDENTITY_TOKEN_FILE = 'aws-web-identity-token-file';
/** Seconds a projected token lives (the kubelet renews it at 80 % of its life). */
export const WEB_IDENTITY_TOKEN_SECONDS = 86400;

/**
 * What a node's pod needs for repository-s3 (8.19) to sign in with an IAM role for its service account
 * (`S3Service.CustomWebIdentityTokenCredentialsProvider`): the service account's token, projected for
 * STS's audience, as the file `repository-s3/aws-web-identity-token-file` in the config directory (the
 * plugin reads no file outside it); `AWS_WEB_IDENTITY_TOKEN_FILE` set (the provider is active only when
 * it is, and then reads the file in the config directory, not the variable's path), `AWS_ROLE_ARN`;
 * `AWS_REGION` for the STS client it builds without a region (the SDK's region chain: the regional
 * STS endpoint), and `AWS_STS_REGIONAL_ENDPOINTS=regional` as the EKS webhook sets it. Kubernetes API
 * shape (the ECK pod template).
 */
export function webIdentityPod(w: { readonly roleArn: string; readonly audience: string; readonly region: string }) {
  const volume = 'aws-web-identity-token';
  return {
    env: [
      { name: 'AWS_ROLE_ARN', value: w.roleArn },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${WEB_IDENTITY_TOKEN_DIR}/${WEB_IDENTITY_TOKEN_FILE}` },
      { name: 'AWS_REGION', value: w.region },
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
    ],
    volumeMounts: [{ name: volume, mountPath: WEB_IDENTITY_TOKEN_DIR, readOnly: true }],
    volumes: [
      {
        name: volume,
        projected: {
          sources: [
            { serviceAccountToken: { audience: w.audience, expirationSeconds: WEB_IDENTITY_TOKEN_SECONDS, path: WEB_IDENTITY_TOKEN_FILE } },
          ],
        },
      },
    ],
  };
}

/** The keystore's entries: secure setting -> the file holding its value (the store's backup key). */
export function snapshotKeystore(store: Extract<BackupStore, { kind: 'keys' }>): readonly { setting: string; file: ConfigFile }[] {
  return [
    { setting: KEYSTORE_ACCESS_KEY, file: store.accessKeyId },
    { setting: KEYSTORE_SECRET_KEY, file: store.secretAccessKey },
  ];
}

/**
 * A single node's start that builds the keystore from the key's files, then runs the image's own
 * entrypoint (as its CMD `eswrapper` would): `add -f` creates the keystore when there is none and
 * replaces an entry, `-x` reads the value from stdin (never argv).
 */
export function keystoreStart(entries: readonly { setting: string; file: ConfigFile }[]): string[] {
  return [
    '/bin/bash',
    '-c',
    [
      'set -euo pipefail',
      ...entries.map((e) => `/usr/share/elasticsearch/bin/elasticsearch-keystore add -f -x ${e.setting} <${e.file.path}`),
      'exec /usr/local/bin/docker-entrypoint.sh eswrapper',
    ].join('\n'),
  ];
}

/** The registration job's administrator on a target (Docker: the file-realm platform_admin; ECK: elastic). */
export function snapshotJobAs(job: JobSpec, user: string, passwordSecret: string): JobSpec {
  const password = secretValueFile('elasticsearch', passwordSecret);
  return {
    ...job,
    env: { ...job.env, ES_USER: user, ES_PASSWORD_FILE: password.path },
    files: [...job.files.filter((f) => !f.path.startsWith('/run/secrets/')), password],
  };
}
