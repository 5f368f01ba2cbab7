/**
 * The platform's consumers on one Docker host. A consumer is a set of application containers on the
 * platform network; what it receives from each service it uses (connection facts, and credentials
 * scoped to it, never an administrator's) is written into its own volume,
 * `<project>-<environment>-consumer-<name>`, by a one-shot `publish` job:
 *
 *   <component>/<fact>                  (0444: host, port, database, url, ...)
 *   <component>-credentials/<key>       (0440, group 0: username, password, keys)
 *
 * the same layout an application on Kubernetes gets by mounting ConfigMap `<component>-endpoint` at
 * `/run/platform/<component>` and Secret `<component>-credentials` at
 * `/run/platform/<component>-credentials`. An application mounts the volume read-only at
 * `/run/platform` and joins the platform network (docs/operations.md shows the `docker run`).
 */
import { pinned } from '../../spec/image';
import type { ConfigFile, JobSpec, ResourceRequirements, ServiceSpec, Text } from '../../spec/types';
import { CURL_IMAGE } from '../../services/objectstore';

/** Where the publish job finds the files it copies, and where it mounts the consumer's volume. */
const SEED = '/seed';
const OUT = '/out';

/** The publish job's small footprint (it copies a few files). */
const RESOURCES: ResourceRequirements = { requests: { cpu: '50m', memory: '16Mi' }, limits: { cpu: '200m', memory: '64Mi' } };

/** The volume name of a consumer on a Docker host. */
export function consumerVolume(project: string, environment: string, consumer: string): string {
  return `${project}-${environment}-consumer-${consumer}`;
}

/** The files of a consumer's volume: per service it uses, its facts and its credentials. */
export function consumerFiles(specs: readonly ServiceSpec[], consumer: string): ConfigFile[] {
  return specs.flatMap((spec) => {
    const access = (spec.consumers ?? []).find((a) => a.consumer === consumer);
    if (!access) return [];
    const file = (dir: string, key: string, content: Text, mode: number, format: string): ConfigFile => ({
      path: `${SEED}/${dir}/${key}`,
      content,
      mode,
      format,
    });
    return [
      ...Object.entries(access.facts).map(([k, v]) => file(spec.component, k, v, 0o444, 'consumer-fact')),
      ...Object.entries(access.credentials).map(([k, v]) => file(`${spec.component}-credentials`, k, v, 0o440, 'consumer-credential')),
    ];
  });
}

/**
 * The publish job of a consumer: copies its files into the volume (replacing what an earlier run
 * left, so a service it no longer uses disappears), facts world-readable, credentials for the owner
 * and group 0 only. The Docker target deletes the seed copies of secret files when the job ends.
 */
export function publishJob(specs: readonly ServiceSpec[], consumer: string): JobSpec | undefined {
  const files = consumerFiles(specs, consumer);
  if (files.length === 0) return undefined;
  const script = [
    'set -eu',
    `find ${OUT} -mindepth 1 -delete`,
    `cp -R ${SEED}/. ${OUT}/`,
    `find ${OUT} -type d -exec chmod 0755 {} +`,
    `find ${OUT} -type f -exec chmod 0444 {} +`,
    `for d in ${OUT}/*-credentials; do [ -d "$d" ] || continue; chmod 0750 "$d"; chmod 0440 "$d"/*; done`,
    `chown -R 0:0 ${OUT}`,
  ].join('\n');
  return {
    name: 'publish',
    description: `Writes what consumer ${consumer} receives (connection facts, its own credentials) into its volume`,
    image: pinned(CURL_IMAGE),
    command: ['/bin/sh', '-c', script],
    env: {},
    files,
    mounts: [{ volume: 'files', path: OUT }],
    resources: RESOURCES,
    user: '65534:65534',
    // Root: it writes the volume (created root-owned) and sets its owner and modes.
    startsAsRoot: 'it writes the volume, which Docker creates owned by root, and sets the owner and modes of what it writes',
    timeoutSeconds: 120,
  };
}

/** The neutral spec the Docker target renders a consumer's volume and publish job from (no container runs). */
export function consumerSpec(specs: readonly ServiceSpec[], consumer: string): { spec: ServiceSpec; job: JobSpec } | undefined {
  const job = publishJob(specs, consumer);
  if (!job) return undefined;
  return {
    job,
    spec: {
      name: `consumer-${consumer}`,
      component: 'consumer',
      configPath: 'consumers',
      description: `What consumer ${consumer} receives`,
      concern: 'data',
      replicas: 1,
      scaling: { kind: 'fixed' },
      containers: [],
      volumes: [{ name: 'files', size: '16Mi', description: `Connection facts and credentials of consumer ${consumer}`, backup: false }],
      secrets: [],
      jobs: [job],
      dependsOn: specs.filter((s) => (s.consumers ?? []).some((a) => a.consumer === consumer)).map((s) => s.name),
      // Never scraped: it runs no server (and is not among the environment's specs).
      metrics: {
        container: 'publish',
        port: 0,
        path: '',
        source: 'native',
        auth: { kind: 'none', reason: 'no server' },
        names: { name: 'none', version: '-' },
        signals: [],
      },
      facet: {},
    },
  };
}
