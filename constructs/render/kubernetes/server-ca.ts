/**
 * A managed service's server CA, downloaded where a pod starts: the RDS certificate bundle is
 * published over HTTPS (not in any image), so a pod that verifies RDS's certificate runs
 * scripts/fetch-ca.sh (curl, verified HTTPS, PEM certificates or failure) in an init step first,
 * into an in-memory volume its verifying container reads. The roles job (aws/admin-jobs.ts) and
 * the platform's own services that use a managed service (Roundcube on RDS) both run it.
 */
import { readFileSync } from 'node:fs';
import { CURL_IMAGE } from '../../services/tools';
import { parseImage } from '../../spec/image';
import type { ImageRef, JobSpec, ServiceSpec } from '../../spec/types';
import type { ServerCa } from './cluster-facts';
import type { K8sContext } from './context';
import type { WorkloadOptions } from './workload';

/** Downloads a CA bundle over verified HTTPS (CA_URL) into CA_FILE, failing on anything but PEM certificates. */
export const FETCH_CA_SCRIPT = readFileSync(new URL('./scripts/fetch-ca.sh', import.meta.url), 'utf8');

/** The volume the CA is downloaded into (the RDS bundle is about 150 KiB). */
export const SERVER_CA_VOLUME = { medium: 'Memory', sizeLimit: '2Mi' } as const;

const CURL = parseImage(CURL_IMAGE) as ImageRef;

/**
 * The init step that downloads `ca` to `path` (in a volume the realization mounts there), as a job
 * of the pod: the pod's restricted security context, its user, a read-only root with /tmp scratch.
 */
export function fetchCaJob(ca: ServerCa, path: string, user: string): JobSpec {
  return {
    name: 'fetch-ca',
    description: `downloads ${ca.url} (verified HTTPS) to ${path} before the pod's containers start`,
    image: CURL,
    command: ['sh', '-c', FETCH_CA_SCRIPT],
    env: { HOME: '/tmp', TMPDIR: '/tmp', CA_URL: ca.url, CA_FILE: path },
    files: [],
    mounts: [],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
    user,
    scratchPaths: ['/tmp'],
    timeoutSeconds: 120,
  };
}

/**
 * A spec whose container verifies `service`'s server with the CA at `path`, as realized here: when
 * the service runs outside the cluster with a published CA (ClusterFacts.external, RDS), the pod
 * downloads it first (`fetchCaJob` as an init step into an in-memory volume mounted at the path's
 * directory, and the internet on 443 for it); a trust of the in-cluster service's internal CA in
 * another namespace is dropped (its certificate Secret is not readable from here: the container
 * gets no file at `path`, and says what it does without one).
 */
export function verifyingServer(
  ctx: K8sContext,
  spec: ServiceSpec,
  service: string,
  path: string,
): { spec: ServiceSpec; options: WorkloadOptions } {
  const outside = ctx.cluster.external?.[service];
  const inside = ctx.specs.find((s) => s.name === service);
  const keep = !outside && inside !== undefined && ctx.namespaceOf(inside) === ctx.namespaceOf(spec);
  const dir = path.slice(0, path.lastIndexOf('/'));
  const verifier =
    spec.containers.find((c) => (c.trusts ?? []).some((t) => t.service === service && t.path === path)) ?? spec.containers[0]!;
  const stripped: ServiceSpec = {
    ...spec,
    containers: spec.containers.map((c) => ({
      ...c,
      trusts: (c.trusts ?? []).filter((t) => keep || !(t.service === service && t.path === path)),
    })),
  };
  if (!outside?.serverCa) return { spec: stripped, options: {} };
  const job = fetchCaJob(outside.serverCa, path, verifier.user);
  return {
    spec: {
      ...stripped,
      egress: [
        ...(spec.egress ?? []),
        { to: 'internet', ports: [443], reason: `${job.name} downloads ${service}'s server CA (${outside.serverCa.url})` },
      ],
    },
    options: {
      initJobs: [job],
      extra: {
        volumes: [{ name: 'server-ca', emptyDir: { ...SERVER_CA_VOLUME } }],
        mounts: { [verifier.name]: [{ name: 'server-ca', mountPath: dir, readOnly: true }] },
        jobMounts: { [job.name]: [{ name: 'server-ca', mountPath: dir, readOnly: false }] },
      },
    },
  };
}
