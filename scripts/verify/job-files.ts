/**
 * The permission drill of the Docker jobs that hold secret files: each synthesized job wrapper
 * (`sh -c "trap 'rm -f <secret files>' EXIT; \"$@\"" with-secrets <command>`) runs for real, as the
 * job's user and groups (setpriv, no capabilities, no new privileges), on files made as the pinned
 * provider and the daemon make them: every uploaded file root:root with its upload's mode, a missing
 * parent directory root:root 0755, and a directory entry (`/run/secrets/`) root:root with its mode,
 * applied after the files (the daemon chmods and chowns an existing directory to the entry's mode,
 * so the order of the uploads does not matter). Paths are moved under a scratch root; nothing else
 * changes. The job's command is replaced by one that reads every file the job has (as the real
 * command does first), once succeeding and once failing: the wrapper must keep the exit status, and
 * the secret files must be gone either way while the other files stay. With every shell the images
 * run as /bin/sh that is installed here (dash: Debian and Ubuntu images; busybox: Alpine images).
 *
 * Broken variants, each must be rejected: the secrets directory created 0755 as an implied parent
 * (no directory entry: the job cannot delete its files), and the job outside the root group (it
 * cannot read them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, type Outcome, envsOf, have, needs, note, record, sh, terraformRender, validator, work } from './lib';

interface Upload {
  readonly file: string;
  readonly content?: string;
  readonly permissions: string;
}

interface Variant {
  /** `uid:gid` the job runs as. */
  readonly user: string;
  readonly groups: readonly string[];
  /** Whether the directory entries are applied (otherwise their directories are implied parents, 0755). */
  readonly directories: boolean;
  /** Whether the wrapper keeps its trap (the removal of the secret files). @default true */
  readonly trap?: boolean;
}

const isSecret = (content: string) => /\$\{random_(password|bytes)\.[^}]+\}/.test(content);

/** The shells images run as /bin/sh, those installed here. */
function shells(): string[][] {
  const found = [['dash'], ['busybox', 'sh']].filter(([tool]) => have(tool!));
  if (!have('busybox'))
    note('busybox is not installed (apt-get install busybox): the job wrappers run with dash only, not as the Alpine images run them');
  return found;
}

/** Makes `dir` and its missing parents under `root` as the daemon does: root:root 0755. */
function impliedDirectories(root: string, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(path.join(root, d)); d = path.posix.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    const full = path.join(root, d);
    fs.mkdirSync(full);
    fs.chownSync(full, 0, 0);
    fs.chmodSync(full, 0o755);
  }
}

/** One run of a job's wrapper; code 0 when it behaved (status kept, secrets gone, other files kept). */
function run(c: any, resources: any, v: Variant, shell: string[], exit: number): Outcome {
  const root = fs.mkdtempSync(path.join(work, 'job-files-'));
  fs.chmodSync(root, 0o755);
  const uploads = c.upload as Upload[];
  const files = uploads.filter((u) => !u.file.endsWith('/'));
  for (const u of files) {
    impliedDirectories(root, path.posix.dirname(u.file));
    const full = path.join(root, u.file);
    fs.writeFileSync(full, terraformRender(u.content ?? '', resources));
    fs.chownSync(full, 0, 0);
    fs.chmodSync(full, parseInt(u.permissions, 8));
  }
  if (v.directories) {
    for (const u of uploads.filter((x) => x.file.endsWith('/'))) {
      const full = path.join(root, u.file);
      // Its parents as the engine makes them (a job whose files all live elsewhere, the consumers' publish job).
      impliedDirectories(root, path.posix.dirname(u.file.replace(/\/$/, '')));
      if (!fs.existsSync(full)) fs.mkdirSync(full);
      fs.chownSync(full, 0, 0);
      fs.chmodSync(full, parseInt(u.permissions, 8));
    }
  }
  const moved = (p: string) => path.join(root, p);
  let wrapper = c.entrypoint[2] as string;
  if (v.trap === false) wrapper = wrapper.replace(/^trap '[^']*' EXIT; /, '');
  for (const u of [...files].sort((a, b) => b.file.length - a.file.length)) wrapper = wrapper.replaceAll(u.file, moved(u.file));
  const secrets = files.filter((u) => isSecret(u.content ?? '')).map((u) => u.file);
  const others = files.filter((u) => !isSecret(u.content ?? '')).map((u) => u.file);
  const reader = `for f do cat "$f" >/dev/null || exit 100; done; exit ${exit}`;
  const [uid, gid] = v.user.split(':');
  const r = sh('setpriv', [
    `--reuid=${uid}`,
    `--regid=${gid}`,
    ...(v.groups.length > 0 ? [`--groups=${v.groups.join(',')}`] : ['--clear-groups']),
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    ...shell,
    '-c',
    wrapper,
    c.entrypoint[3],
    ...shell,
    '-c',
    reader,
    'reader',
    ...files.map((u) => moved(u.file)),
  ]);
  const left = secrets.filter((f) => fs.existsSync(moved(f)));
  const gone = others.filter((f) => !fs.existsSync(moved(f)));
  const problems = [
    ...(r.code === 100 ? ['a file could not be read'] : r.code !== exit ? [`exit ${r.code}, want ${exit}`] : []),
    ...(left.length > 0 ? [`secret files left: ${left.join(', ')}`] : []),
    ...(gone.length > 0 ? [`other files removed: ${gone.join(', ')}`] : []),
    ...(secrets.length === 0 ? ['no secret file'] : []),
  ];
  fs.rmSync(root, { recursive: true, force: true });
  return problems.length === 0 ? { code: 0, out: '' } : { code: 1, out: `${shell.join(' ')}: ${problems.join('; ')}\n${r.out}` };
}

/** Every shell, success and failure: the first problem, or code 0. */
function runAll(c: any, resources: any, v: Variant, with_: string[][]): Outcome {
  for (const shell of with_)
    for (const exit of [0, 3]) {
      const r = run(c, resources, v, shell, exit);
      if (r.code !== 0) return r;
    }
  return { code: 0, out: '' };
}

export async function verifyJobFiles(artifact: Artifact): Promise<void> {
  if (!needs({ setpriv: 'util-linux', dash: 'dash' }, 'job files drill')) return;
  if (process.getuid?.() !== 0) {
    record(
      'job files drill',
      false,
      'run verify as root: the drill makes files owned by root, as the daemon does, and runs the jobs as their users',
    );
    return;
  }
  const available = shells();
  let jobs = 0;
  for (const env of envsOf(artifact, 'docker')) {
    const tf = artifact.stackJson(env.name);
    for (const [address, c] of Object.entries<any>(tf.resource.docker_container)) {
      if (c.entrypoint?.[3] !== 'with-secrets') continue;
      jobs++;
      const groups = (c.group_add ?? []) as string[];
      const good: Variant = { user: c.user, groups, directories: true };
      const uid = String(c.user).split(':')[0];
      await validator(
        `job files: ${env.name} ${address} as ${c.user}${groups.length ? ` +groups ${groups.join(',')}` : ''} (${available.map((s) => s.join(' ')).join(', ')}): reads its files, its wrapper deletes its secret files on success and failure, keeps the status`,
        () => runAll(c, tf.resource, good, available),
        () => {
          // Each broken variant must be rejected on its own.
          const variants: [string, Variant][] = [
            ['a wrapper without its trap', { ...good, trap: false }],
            // Root owns the files and the directory either way: these two concern the other users.
            ...(uid === '0'
              ? []
              : ([
                  ['secrets directory created 0755 (no directory entry)', { ...good, directories: false }],
                  ['outside the root group', { user: `${uid}:65534`, groups: [], directories: true }],
                ] as [string, Variant][])),
          ];
          const accepted = variants.filter(([, v]) => runAll(c, tf.resource, v, available).code === 0);
          return accepted.length === 0 ? { code: 1, out: '' } : { code: 0, out: `accepted: ${accepted.map(([what]) => what).join('; ')}` };
        },
      );
    }
  }
  record(`job files: jobs with secret files found in the Docker stacks (${jobs})`, jobs >= 3);
}
