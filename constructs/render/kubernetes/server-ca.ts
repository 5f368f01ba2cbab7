/**
 * A managed service's server CA, downloaded where a pod starts: the RDS certificate bundle is
 * published over HTTPS (not in any image), so a pod that verifies RDS's certificate runs
 * scripts/fetch-ca.sh (curl, verified HTTPS, PEM certificates or failure) in an init step first,
 * into an in-memory volume its verifying container reads. The roles job (aws/admin-jobs.ts) and
 * the platform's own services that use a managed service (Roundcube on RDS) both run it. For an
 * in-cluster server of another namespace with internal TLS, `verifyingServer` mounts the internal CA
 * from its namespace's `internal-ca` ConfigMap instead.
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
 * directory, and the internet on 443 for it); when it runs in the cluster in another namespace with
 * a certificate of the internal CA (internal TLS), whose Secret is not mountable from here, the pod
 * mounts the internal CA from ConfigMap `internal-ca` in its own namespace (K8sContext.internalCa)
 * read-only at the path's directory; in the same namespace the trust stands as the spec says
 * (pod.ts mounts the certificate Secret's CA). Else the container gets no file at `path`, and says
 * what it does without one.
 */
export function verifyingServer(
  ctx: K8sContext,
  spec: ServiceSpec,
  service: string,
  path: string,
): { spec: ServiceSpec; options: WorkloadOptions } {
  const outside = ctx.cluster.external?.[service];
  const inside = outside ? undefined : ctx.specs.find((s) => s.name === service);
  const keep = inside !== undefined && ctx.namespaceOf(inside) === ctx.namespaceOf(spec);
  const dir = path.slice(0, path.lastIndexOf('/'));
  const isTrust = (t: { service: string; path: string }) => t.service === service && t.path === path;
  const verifier = spec.containers.find((c) => (c.trusts ?? []).some(isTrust)) ?? spec.containers[0]!;
  const stripped: ServiceSpec = {
    ...spec,
    containers: spec.containers.map((c) => ({ ...c, trusts: (c.trusts ?? []).filter((t) => keep || !isTrust(t)) })),
  };
  if (inside && !keep) {
    const trusted = (verifier.trusts ?? []).find(isTrust);
    const internal = trusted && (inside.certificates ?? []).some((c) => c.name === trusted.certificate && c.internal);
    const ca = internal ? ctx.internalCa(ctx.namespaceOf(spec)) : undefined;
    if (!ca) return { spec: stripped, options: {} };
    return {
      spec: stripped,
      options: {
        extra: {
          volumes: [
            {
              name: 'internal-ca',
              configMap: {
                name: ca.configMap,
                defaultMode: '0444',
                items: [{ key: ca.key, path: path.slice(path.lastIndexOf('/') + 1), mode: '0444' }],
              },
            },
          ],
          mounts: { [verifier.name]: [{ name: 'internal-ca', mountPath: dir, readOnly: true }] },
          after: ca.ready,
        },
      },
    };
  }
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
