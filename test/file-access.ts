/**
 * Who can read and delete the files a synthesized docker_container uploads, by Linux permission
 * rules, from nothing but the container's Terraform JSON: its `user`, its `group_add` and its
 * `upload` blocks, owned and moded as the pinned provider and the daemon write them
 * (constructs/targets/docker/uploads.ts): every entry root:root with its `permissions`, a directory
 * entry (name ending in `/`) a directory with its mode, a missing parent directory root:root 0755.
 *
 * The rules are the kernel's for a process without capabilities (root included, so nothing passes
 * because of CAP_DAC_OVERRIDE): the owner class if the uid owns the file, else the group class if
 * one of its groups owns it, else the other class; reading needs search (x) on every ancestor and
 * read on the file; deleting needs search on every ancestor and write+search on the parent, and in a
 * sticky parent to own the file or the parent. Directories of the image that no upload creates are
 * unknown: they count as searchable, never as writable.
 */
import { IMPLIED_DIRECTORY_MODE, UPLOAD_OWNER, parentOf } from '../constructs/targets/docker/uploads';

export interface Identity {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

interface Entry {
  readonly kind: 'file' | 'directory';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /**
   * Created by an upload entry: its owner and mode are the entry's. Otherwise a parent directory,
   * which the daemon creates root:root 0755 when the image lacks it; when the image has it, its
   * owner is the image's: searchable, but nothing is proven about who may write it.
   */
  readonly explicit: boolean;
}

/** The identity a container's processes run as: `user` (numeric `uid:gid`) and `group_add`. */
export function identityOf(container: { user?: string; group_add?: string[] }): Identity | string {
  const m = /^(\d+):(\d+)$/.exec(container.user ?? '');
  if (!m) return `user is ${container.user === undefined ? 'not set (the image decides)' : `"${container.user}", not a numeric uid:gid`}`;
  const groups = (container.group_add ?? []).map(Number);
  if (groups.some((g) => !Number.isInteger(g))) return `group_add ${JSON.stringify(container.group_add)} is not numeric`;
  return { uid: Number(m[1]), gid: Number(m[2]), groups };
}

/** The entries a container's uploads create, by path. */
export function uploadedEntries(container: { upload?: { file: string; permissions?: string }[] }): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const u of container.upload ?? []) {
    const isDirectory = u.file.endsWith('/');
    const path = isDirectory ? u.file.slice(0, -1) : u.file;
    const mode = parseInt(u.permissions ?? '0644', 8);
    entries.set(path, { kind: isDirectory ? 'directory' : 'file', mode, ...UPLOAD_OWNER, explicit: true });
  }
  // A missing parent is created root:root 0755, unless an entry creates it (whatever the order: the
  // daemon chmods and chowns an existing directory to the entry's mode).
  for (const path of [...entries.keys()]) {
    for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) {
      if (!entries.has(dir)) entries.set(dir, { kind: 'directory', mode: IMPLIED_DIRECTORY_MODE, ...UPLOAD_OWNER, explicit: false });
    }
  }
  return entries;
}

function permissions(entry: Entry, who: Identity): number {
  if (who.uid === entry.uid) return (entry.mode >> 6) & 7;
  if (who.gid === entry.gid || who.groups.includes(entry.gid)) return (entry.mode >> 3) & 7;
  return entry.mode & 7;
}

const R = 4;
const W = 2;
const X = 1;

/** Why `who` cannot search every directory above `path` (undefined: it can). */
function searchProblem(entries: Map<string, Entry>, path: string, who: Identity): string | undefined {
  for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) {
    const d = entries.get(dir);
    if (d && !(permissions(d, who) & X)) return `cannot search ${dir} (0${d.mode.toString(8)} ${d.uid}:${d.gid})`;
  }
  return undefined;
}

/** Why `who` cannot read `path` (undefined: it can). */
export function readProblem(entries: Map<string, Entry>, path: string, who: Identity): string | undefined {
  const f = entries.get(path);
  if (!f || f.kind !== 'file') return `${path} is not uploaded`;
  const search = searchProblem(entries, path, who);
  if (search) return search;
  return permissions(f, who) & R ? undefined : `cannot read ${path} (0${f.mode.toString(8)} ${f.uid}:${f.gid})`;
}

/** Why `who` cannot delete `path` (undefined: it can). */
export function deleteProblem(entries: Map<string, Entry>, path: string, who: Identity): string | undefined {
  const f = entries.get(path);
  if (!f || f.kind !== 'file') return `${path} is not uploaded`;
  const parent = parentOf(path);
  const dir = entries.get(parent);
  if (!dir?.explicit)
    return `no upload creates ${parent}: the image's directory, or one created 0755, whose owner the renderer does not decide`;
  const search = searchProblem(entries, parent, who);
  if (search) return search;
  if ((permissions(dir, who) & (W | X)) !== (W | X)) return `cannot write ${parent} (0${dir.mode.toString(8)} ${dir.uid}:${dir.gid})`;
  if (dir.mode & 0o1000 && who.uid !== f.uid && who.uid !== dir.uid) return `${parent} is sticky and ${path} is not ${who.uid}'s`;
  return undefined;
}

/**
 * Every problem of one container: it has no explicit identity, a process cannot read one of its
 * files, or (a job) cannot delete a secret file its wrapper removes when it ends.
 * `dropsTo`: for a container that starts as root, the identity its entrypoint drops to, which must
 * still read the files that are not secret (the entrypoint reads the secret ones as root).
 */
export function accessProblems(
  container: {
    user?: string;
    group_add?: string[];
    upload?: { file: string; content?: string; permissions?: string }[];
    entrypoint?: string[];
  },
  opts: { readonly isSecret: (content: string) => boolean; readonly dropsTo?: Identity; readonly job: boolean },
): string[] {
  const who = identityOf(container);
  if (typeof who === 'string') return [who];
  const entries = uploadedEntries(container);
  const files = (container.upload ?? []).filter((u) => !u.file.endsWith('/'));
  const problems: string[] = [];
  for (const u of files) {
    const p = readProblem(entries, u.file, who);
    if (p) problems.push(`${container.user}: ${p}`);
    if (opts.dropsTo && !opts.isSecret(u.content ?? '')) {
      const q = readProblem(entries, u.file, opts.dropsTo);
      if (q) problems.push(`after dropping to ${opts.dropsTo.uid}:${opts.dropsTo.gid}: ${q}`);
    }
  }
  if (opts.job) {
    const secrets = files.filter((u) => opts.isSecret(u.content ?? '')).map((u) => u.file);
    const removed = /^trap 'rm -f ([^']*)' EXIT; "\$@"$/.exec(container.entrypoint?.[2] ?? '')?.[1]?.split(' ') ?? [];
    if (secrets.length > 0 && removed.join(' ') !== secrets.join(' '))
      problems.push(`the wrapper removes [${removed.join(' ')}], the secret files are [${secrets.join(' ')}]`);
    for (const f of secrets) {
      const p = deleteProblem(entries, f, who);
      if (p) problems.push(`${container.user}: cannot delete ${f}: ${p}`);
    }
  }
  return problems;
}
