/**
 * How files reach containers on the Docker target, and who may read and delete them (pure; shared by
 * the renderer, the checks, the tests and the verify drill).
 *
 * The pinned provider (kreuzwerker/docker 3.6.2) writes each `upload` as a one-entry tar whose header
 * carries a name, a mode and a size but no owner, and the daemon extracts it as root:root; a missing
 * parent directory is created root:root 0755 (moby go-archive `createImpliedDirectories`). No setting
 * of 3.6.2 (nor of any release up to 4.5.0) changes the owner. So on Docker:
 *
 * - every container states the identity it starts as (`user`): `0:0` where the image's entrypoint
 *   needs root and drops privileges itself, the spec's non-root user otherwise;
 * - a non-root process reads its root-owned secret files (0440) through the root group (`group_add`);
 * - a job deletes its secret files when it ends (an exited container keeps its files, and `docker cp`
 *   or `docker export` reads them), which needs write permission on their directory. The job's secret
 *   files therefore sit in `/run/secrets`, which no image has, and which the job's uploads create
 *   themselves with a directory entry: an upload named `/run/secrets/` (trailing slash) with empty
 *   content becomes a directory in the tar (Go's archive/tar promotes a typeless entry whose name ends
 *   in `/` to a directory), and the daemon creates it, or merges into it, with that entry's mode,
 *   owned root:root. Mode 0770 lets the root group, and so the job, delete the files in it. Podman's
 *   compat API extracts the same way (buildah's copier: the header's owner, a directory's mode set
 *   last, missing parents 0755).
 */
import { SECRETS_DIR } from '../../services/common';
import { hasSecret } from '../../spec/template';
import type { CertificateSpec, ConfigFile, ContainerSpec, JobSpec, ServiceSpec } from '../../spec/types';

export { SECRETS_DIR };

/** The identity a container starts as when its image's entrypoint needs root. */
export const ROOT_USER = '0:0';

/** The owner the daemon gives every uploaded file and every directory it creates for one. */
export const UPLOAD_OWNER = { uid: 0, gid: 0 } as const;

/** Mode of a directory the daemon creates for an upload whose parent is missing. */
export const IMPLIED_DIRECTORY_MODE = 0o755;

/** Mode of the secrets directory a job's uploads create: the root group may delete the files in it. */
export const JOB_SECRETS_DIRECTORY_MODE = 0o770;

/** The files of a workload that carry a generated secret (their content references one). */
export function secretFiles(w: ContainerSpec | JobSpec): ConfigFile[] {
  return w.files.filter((f) => hasSecret(f.content));
}

/** The directory entries a job's uploads start with: the secrets directory, when it holds secret files. */
export function jobDirectories(job: JobSpec): { path: string; mode: number }[] {
  return secretFiles(job).length > 0 ? [{ path: SECRETS_DIR, mode: JOB_SECRETS_DIRECTORY_MODE }] : [];
}

/** The identity a workload starts as on Docker (`uid:gid`). */
export function dockerUser(w: ContainerSpec | JobSpec): string {
  return w.startsAsRoot ? ROOT_USER : w.user;
}

/**
 * Supplementary groups on Docker: the root group for a non-root process that reads root-owned secret
 * files (its own, or a certificate's key the target uploads: `certificateKeys`).
 */
export function dockerGroups(w: ContainerSpec | JobSpec, certificateKeys = 0): string[] {
  return !w.startsAsRoot && !('privileges' in w && w.privileges?.root) && secretFiles(w).length + certificateKeys > 0 ? ['0'] : [];
}

/** The certificates a container serves (`ServiceSpec.certificates` naming it). */
export function certificatesOf(spec: ServiceSpec, container: string): CertificateSpec[] {
  return (spec.certificates ?? []).filter((c) => c.container === container);
}

/** The path of a file's directory. */
export function parentOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i <= 0 ? '/' : file.slice(0, i);
}
