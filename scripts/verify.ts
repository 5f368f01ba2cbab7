/**
 * Real validators against what the product synthesizes (`npm run verify`).
 *
 * Synthesizes every environment into a scratch directory, then runs each validator in
 * scripts/verify/ (one per file): the servers' own checks on the config files the renderers write
 * (generated secrets replaced by stand-ins, Terraform's escaping undone), and Terraform with the
 * hashicorp/aws provider from a filesystem mirror (TERRAFORM_PROVIDER_MIRROR) for the AWS stacks.
 * Every validator is also fed a deliberately broken input and must reject it. The cluster drills
 * (nats-cluster, redis-sentinel, rabbitmq) synthesize the test-only clusters environment (the large
 * profile on Kubernetes) and run its members on the loopback interface, each bounded in time.
 * Last, the acceptance check: the issue-11 configuration edits, each in a fresh copy of the project,
 * followed by what the README tells the user to run, leave tests, typecheck and synth green.
 *
 * Prints one line per check and ends with `verify: N passed, N failed`; exits non-zero on failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import bootstrap from '../bootstrap/account';
import { BOOTSTRAP_FILE } from '../environments/parse/bootstrap';
import { discoverEnvironments } from '../environments/parse/discover';
import { synthesize } from '../stacks/app';
import { prepareAll } from '../stacks/pipeline';
import { scenarios } from './verify/scenarios';
import { type Artifact, results, work } from './verify/lib';
import { verifyAcceptance } from './verify/acceptance';
import { verifyBackups } from './verify/backups';
import { verifyBackupUpload } from './verify/backup-upload';
import { verifyNeo4jDump } from './verify/neo4j-dump';
import { verifyResolveEquivalence } from './verify/resolve-equivalence';
import { verifyCompiledApp } from './verify/compiled-app';
import { verifyElasticsearchSnapshots } from './verify/elasticsearch-snapshots';
import { verifyBlackbox } from './verify/blackbox';
import { verifyClusterScripts } from './verify/cluster-scripts';
import { verifyDockerDestroy } from './verify/docker-destroy';
import { verifyJobFiles } from './verify/job-files';
import { verifyKong } from './verify/kong';
import { verifyMail } from './verify/mail';
import { verifyConsumers } from './verify/consumers';
import { verifyNats } from './verify/nats';
import { verifyNeo4jHealth } from './verify/neo4j-health';
import { verifyNatsCluster } from './verify/nats-cluster';
import { verifyPostgres } from './verify/postgres';
import { verifyManagedPostgres } from './verify/managed-postgres';
import { verifyManagedUsers } from './verify/managed-users';
import { verifyInternalTls } from './verify/internal-tls';
import { verifyMonitoring } from './verify/monitoring';
import { verifyDockerApiProxy } from './verify/docker-api-proxy';
import { verifyRabbitmq } from './verify/rabbitmq';
import { verifyRabbitmqDistTls } from './verify/rabbitmq-cluster';
import { verifyRedis } from './verify/redis';
import { verifyRedisSentinel } from './verify/redis-sentinel';
import { verifyShell } from './verify/shell';
import { verifyTerraform } from './verify/terraform';
import { verifyTerraformMeta } from './verify/terraform-meta';
import { verifyActionlint } from './verify/actionlint';

const checks: ((artifact: Artifact) => Promise<void>)[] = [
  verifyNats,
  verifyRedis,
  // The cluster drills: the clusters environment's configurations run with the real servers.
  verifyNatsCluster,
  verifyRedisSentinel,
  verifyRabbitmq,
  // Two RabbitMQ nodes clustering over the Erlang distribution with internal TLS (mutual), and four ways it must not.
  verifyRabbitmqDistTls,
  verifyClusterScripts,
  verifyPostgres,
  // The RDS roles job's scripts (the master fetched, the applications' roles applied) on a real PostgreSQL.
  verifyManagedPostgres,
  verifyManagedUsers,
  // internalTls: the host scenario (NATS, Redis, PostgreSQL, RabbitMQ) and the clusters scenario (NATS, Redis) serving TLS with CA-issued certificates.
  verifyInternalTls,
  // The restore drills: each plan's dump step against the real server, restored into a fresh one.
  verifyBackups,
  // The upload step with Pod Identity credentials (the AWS CronJobs') against a stand-in S3 checking signature V4.
  verifyBackupUpload,
  verifyNeo4jDump,
  verifyResolveEquivalence,
  verifyCompiledApp,
  // Elasticsearch's snapshot-repository job (bash + curl) against a stand-in Elasticsearch.
  verifyElasticsearchSnapshots,
  verifyBlackbox,
  verifyShell,
  verifyJobFiles,
  verifyNeo4jHealth,
  verifyConsumers,
  verifyMail,
  verifyKong,
  verifyMonitoring,
  verifyDockerApiProxy,
  verifyTerraformMeta,
  verifyDockerDestroy,
  verifyTerraform,
  verifyActionlint,
  // Minutes long: every acceptance edit in a fresh copy of the project, with the whole test suite.
  verifyAcceptance,
];

async function main(): Promise<void> {
  const outdir = path.join(work, 'cdktf.out');
  // The drills' scenarios first, then the user's environments (names must not clash: verify's own
  // are host, clusters and cloud).
  const sources = [...scenarios, ...(await discoverEnvironments())];
  const synthesis = synthesize(sources, outdir, { bootstrap: { file: BOOTSTRAP_FILE, input: bootstrap } });
  const artifact: Artifact = {
    outdir,
    envs: new Map(prepareAll(sources).map((e) => [e.name, e])),
    stacks: [...synthesis.environments.map((s) => s.stack), ...(synthesis.bootstrap ? [synthesis.bootstrap.stack] : [])],
    stackJson: (name) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')),
  };
  // VERIFY_ONLY=<words>: only the checks whose function name contains one of them (while working on
  // one check; CI runs them all), said visibly.
  const only = (process.env.VERIFY_ONLY ?? '')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const chosen = only.length ? checks.filter((c) => only.some((w) => c.name.toLowerCase().includes(w))) : checks;
  if (only.length)
    process.stdout.write(
      `VERIFY_ONLY=${only.join(',')}: ${chosen.length} of ${checks.length} checks (${chosen.map((c) => c.name).join(', ')})\n`,
    );
  for (const check of chosen) await check(artifact);
}

function summary(extraFailures: number): void {
  const failed = results.filter((r) => !r.ok).length + extraFailures;
  process.stdout.write(`verify: ${results.length - failed + extraFailures} passed, ${failed} failed\n`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main()
  .then(() => summary(0))
  .catch((e: unknown) => {
    process.stdout.write(`FAIL  verify crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    summary(1);
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
