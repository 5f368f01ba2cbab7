/**
 * Ollama on Kubernetes: the default StatefulSet (a model volume per member, GPU limit, node selector
 * and tolerations from the environment's `target.gpu`), with the configured models pulled before a
 * member starts serving, so it is never ready without them.
 *
 * The spec's background `pull-models` job (what the Docker target runs against the running server)
 * becomes an init container of the server pod instead of a Kubernetes Job:
 * - it runs a temporary `ollama serve` on 127.0.0.1 with the member's own model volume and env,
 *   pulls each configured model that the volume does not hold yet, and stops the server; a model
 *   already on the volume is not fetched again, so a restart needs no registry;
 * - the pulls share one time limit (`pullTimeout`, the job's `timeoutSeconds`; Kubernetes puts
 *   none on init containers); past it the init container fails, the kubelet restarts it with
 *   back-off and the download resumes from its partial files;
 * - every member fills its own volume (a Job against the Service would fill one member's only);
 * - it needs the internet on 443 (the spec's declared egress, which the server pods get).
 *
 * Why not a readiness condition: the models would have to be pulled by the serving container
 * itself (a postStart hook, as the otwld/ollama chart 1.77.0 does: its runtime is invisible to
 * probes and a failed pull kills the container) or by a sidecar that then lives as long as the pod;
 * an init container's progress and failure are the pod's status (`Init:0/1`, its logs).
 *
 * Why not the otwld chart: a Deployment with one ReadWriteOnce volume and `Recreate` (no second
 * member), root (empty security contexts), the postStart pull above, and its own probes and env.
 */
import type { OllamaFacet } from '../../services/ollama';
import type { JobSpec, ServiceSpec } from '../../spec/types';
import type { Realization } from './context';
import { Workload } from './workload';

/** The spec's job that the Docker target runs against the running server. */
const PULL_JOB = 'pull-models';
/** Where the temporary server listens inside the pod (before the main container starts). */
const LOCAL = '127.0.0.1:11434';

/**
 * The init container's script: a temporary server, then every model that is not on the volume yet,
 * all within `seconds`, then the server stops (`models` are validated tags: `[A-Za-z0-9._/:-]`).
 */
export function pullScript(models: readonly string[], seconds: number): string {
  const quoted = models.map((m) => `'${m}'`).join(' ');
  return [
    'set -eu',
    'ollama serve >/tmp/ollama-serve.log 2>&1 &',
    'server=$!',
    'stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }',
    'trap stop EXIT',
    'tries=0',
    'until ollama list >/dev/null 2>&1; do',
    '  tries=$((tries + 1))',
    '  if [ "$tries" -ge 60 ]; then echo "ollama serve did not start:" >&2; cat /tmp/ollama-serve.log >&2; exit 1; fi',
    '  sleep 1',
    'done',
    // One deadline for every pull; a model on the volume is kept without asking the registry.
    `timeout ${seconds} sh -c 'for m in "$@"; do if ollama show "$m" >/dev/null 2>&1; then echo "$m: on the volume"; else echo "$m: pulling"; ollama pull "$m"; fi; done' pull ${quoted}`,
  ].join('\n');
}

/** The init container that pulls `models` into the main container's model volume. */
export function pullBeforeReady(spec: ServiceSpec, models: readonly string[], timeoutSeconds: number): JobSpec {
  const main = spec.containers.find((c) => c.name === 'main');
  if (!main) throw new Error(`${spec.name}: no main container`);
  return {
    name: PULL_JOB,
    description: `Pulls ${models.join(', ')} into the model volume before the server starts (stopped after ${timeoutSeconds} s, resumed on restart)`,
    image: main.image,
    command: ['/bin/sh', '-c', pullScript(models, timeoutSeconds)],
    // The server's own settings (model directory and HOME on the volume), bound to loopback only.
    // No GPU: the image sets NVIDIA_VISIBLE_DEVICES=all, with which a node whose default runtime is
    // NVIDIA's would hand this container every GPU of the node, past the device plugin's allocation.
    env: { ...main.env, OLLAMA_HOST: LOCAL, NVIDIA_VISIBLE_DEVICES: 'void' },
    files: [],
    mounts: main.mounts,
    // Within what the pod has anyway (an init container's request counts against the same pod),
    // without the GPU: pulling needs none.
    resources: main.resources,
    user: main.user,
    scratchPaths: main.scratchPaths ?? ['/tmp'],
    timeoutSeconds,
  };
}

export const ollama: Realization<OllamaFacet> = {
  describe: (spec) =>
    spec.facet.models.length > 0
      ? 'own StatefulSet; the models are pulled by an init container before the server starts'
      : 'own StatefulSet (typed kubernetes_*_v1 resources)',
  why: () =>
    'The default resources from the spec, plus the model pull as an init container: a member is never ready without the configured models, and each member fills its own volume (the otwld/ollama chart is a single-volume Deployment that runs as root and pulls in a postStart hook).',
  render: (scope, ctx, spec, dependsOn) => {
    const { models, pullTimeoutSeconds } = spec.facet;
    if (models.length === 0) return new Workload(scope, spec.name, ctx, spec, dependsOn).realized;
    // The spec's background pull job is what the Docker target runs; here the init container does it.
    const rest: ServiceSpec = { ...spec, jobs: spec.jobs.filter((j) => j.name !== PULL_JOB) };
    return new Workload(scope, spec.name, ctx, rest, dependsOn, { initJobs: [pullBeforeReady(spec, models, pullTimeoutSeconds)] }).realized;
  },
};
