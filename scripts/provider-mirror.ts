/**
 * Where Terraform's providers are mirrored on this machine, for `npm run verify`'s offline
 * `terraform init` (it reads TERRAFORM_PROVIDER_MIRROR; `.ci/run` sets it from here).
 *
 * In order, the first that holds hashicorp/aws for this platform:
 * 1. TERRAFORM_PROVIDER_MIRROR, when set (taken as given: the user said so);
 * 2. every `provider_installation { filesystem_mirror { path = "..." } }` in Terraform's CLI
 *    configuration (the file TF_CLI_CONFIG_FILE names, else ~/.terraformrc);
 * 3. the known layouts: /opt/tf-plugins, then Terraform's implied local mirror directories on
 *    Linux: ~/.terraform.d/plugins, $XDG_DATA_HOME/terraform/plugins (~/.local/share/...), each of
 *    $XDG_DATA_DIRS/terraform/plugins (/usr/local/share/..., /usr/share/...).
 * Never a folder under a temporary directory, nor a working directory's plugin cache
 * (`.terraform/providers`): those hold whatever some other run downloaded.
 *
 * `node --import tsx scripts/provider-mirror.ts` prints the folder (nothing when none is found)
 * and, on standard error, what it looked at.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface MirrorSearch {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly cwd: string;
  /** Terraform's platform name, e.g. linux_amd64. */
  readonly platform: string;
  /** Mirror folders known on this kind of machine, before Terraform's implied ones (/opt/tf-plugins). */
  readonly layouts: readonly string[];
  /** Folders whose contents are temporary (os.tmpdir(), /tmp, /var/tmp). */
  readonly temporary: readonly string[];
}

export interface MirrorResult {
  /** The mirror folder, or undefined when none qualifies. */
  readonly mirror: string | undefined;
  /** Each candidate considered, with what was found or why it was passed over. */
  readonly log: readonly string[];
}

/** This machine's search: the process's environment, home, working directory and platform. */
export function currentSearch(): MirrorSearch {
  const arch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
  return {
    env: process.env,
    home: os.homedir(),
    cwd: process.cwd(),
    platform: `${process.platform}_${arch}`,
    layouts: ['/opt/tf-plugins'],
    temporary: [...new Set([os.tmpdir(), '/tmp', '/var/tmp'])],
  };
}

export function findProviderMirror(search: MirrorSearch): MirrorResult {
  const log: string[] = [];
  const explicit = search.env.TERRAFORM_PROVIDER_MIRROR;
  if (explicit) {
    log.push(
      `TERRAFORM_PROVIDER_MIRROR=${explicit}${holdsAws(explicit, search.platform) ? '' : ` (holds no hashicorp/aws for ${search.platform})`}`,
    );
    return { mirror: explicit, log };
  }
  for (const { dir, from } of candidates(search, log)) {
    const resolved = path.resolve(search.cwd, dir);
    const real = realpath(resolved);
    if (!real) {
      log.push(`${resolved} (${from}): absent`);
    } else if (isTemporary(real, search.temporary)) {
      log.push(`${resolved} (${from}): passed over, under a temporary folder`);
    } else if (real.split(path.sep).includes('.terraform')) {
      log.push(`${resolved} (${from}): passed over, a working directory's plugin cache`);
    } else if (!holdsAws(real, search.platform)) {
      log.push(`${resolved} (${from}): holds no hashicorp/aws for ${search.platform}`);
    } else {
      log.push(`${resolved} (${from}): holds hashicorp/aws`);
      return { mirror: resolved, log };
    }
  }
  return { mirror: undefined, log };
}

function* candidates(search: MirrorSearch, log: string[]): Generator<{ dir: string; from: string }> {
  const config = search.env.TF_CLI_CONFIG_FILE || path.join(search.home, '.terraformrc');
  let text: string | undefined;
  try {
    text = fs.readFileSync(config, 'utf8');
  } catch {
    log.push(`${config} (Terraform CLI configuration): absent`);
  }
  if (text !== undefined) {
    const paths = filesystemMirrors(text, config.endsWith('.json'));
    if (paths.length === 0) log.push(`${config} (Terraform CLI configuration): no filesystem_mirror`);
    for (const p of paths) yield { dir: p, from: `filesystem_mirror in ${config}` };
  }
  for (const dir of search.layouts) yield { dir, from: 'known layout' };
  yield { dir: path.join(search.home, '.terraform.d', 'plugins'), from: 'implied local mirror' };
  const dataHome = search.env.XDG_DATA_HOME || path.join(search.home, '.local', 'share');
  yield { dir: path.join(dataHome, 'terraform', 'plugins'), from: 'implied local mirror' };
  for (const d of (search.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean))
    yield { dir: path.join(d, 'terraform', 'plugins'), from: 'implied local mirror' };
}

/**
 * The `path` of every `filesystem_mirror` block in a Terraform CLI configuration (HCL, or JSON for
 * a `.json` file). Comments are ignored.
 */
export function filesystemMirrors(text: string, json = false): string[] {
  if (json) {
    const found: string[] = [];
    const walk = (node: unknown, inMirror: boolean): void => {
      if (Array.isArray(node)) node.forEach((n) => walk(n, inMirror));
      else if (node && typeof node === 'object')
        for (const [k, v] of Object.entries(node)) {
          if (inMirror && k === 'path' && typeof v === 'string') found.push(v);
          else walk(v, k === 'filesystem_mirror');
        }
    };
    try {
      walk(JSON.parse(text), false);
    } catch {
      return [];
    }
    return found;
  }
  // Strip comments (# and // to the end of the line, /* ... */), leaving strings intact.
  const code = text.replace(/("(?:[^"\\\n]|\\.)*")|#[^\n]*|\/\/[^\n]*|\/\*[^]*?\*\//g, (_match, str: string | undefined) => str ?? ' ');
  return [...code.matchAll(/\bfilesystem_mirror\s*\{([^{}]*)\}/g)].flatMap((block) => {
    const m = /(?:^|[\s;])path\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(block[1]!);
    return m ? [JSON.parse(`"${m[1]!}"`) as string] : [];
  });
}

/**
 * Whether a mirror folder holds hashicorp/aws for `platform`, in either of Terraform's layouts:
 * unpacked (registry.terraform.io/hashicorp/aws/<version>/<platform>/terraform-provider-aws*) or
 * packed (registry.terraform.io/hashicorp/aws/terraform-provider-aws_<version>_<platform>.zip).
 */
export function holdsAws(dir: string, platform: string): boolean {
  const base = path.join(dir, 'registry.terraform.io', 'hashicorp', 'aws');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(base, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => {
    if (e.isFile()) return e.name.startsWith('terraform-provider-aws_') && e.name.endsWith(`_${platform}.zip`);
    try {
      return fs.readdirSync(path.join(base, e.name, platform)).some((f) => f.startsWith('terraform-provider-aws'));
    } catch {
      return false;
    }
  });
}

function realpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function isTemporary(real: string, temporary: readonly string[]): boolean {
  return temporary.some((t) => {
    const base = realpath(t) ?? t;
    return real === base || real.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { mirror, log } = findProviderMirror(currentSearch());
  for (const line of log) process.stderr.write(`  ${line}\n`);
  if (mirror) process.stdout.write(`${mirror}\n`);
}
