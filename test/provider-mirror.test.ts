/**
 * `.ci/run`'s search for Terraform's provider mirror (scripts/provider-mirror.ts), on fake layouts:
 * the variable first, then the CLI configuration's filesystem mirrors, then the known layouts; never
 * a temporary folder or a working directory's plugin cache.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesystemMirrors, findProviderMirror, holdsAws, type MirrorSearch } from '../scripts/provider-mirror';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-mirror-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
// The fake machine lives in a temporary folder; only `tmp/` inside it counts as temporary here.
const fake = (...p: string[]) => path.join(scratch, ...p);
const platform = 'linux_amd64';

/** A mirror folder holding hashicorp/aws, unpacked (or packed: the zip Terraform's mirror command writes). */
function mirror(dir: string, layout: 'unpacked' | 'packed' = 'unpacked', forPlatform = platform): string {
  const base = path.join(dir, 'registry.terraform.io', 'hashicorp', 'aws');
  if (layout === 'unpacked') {
    fs.mkdirSync(path.join(base, '5.100.0', forPlatform), { recursive: true });
    fs.writeFileSync(path.join(base, '5.100.0', forPlatform, 'terraform-provider-aws_v5.100.0_x5'), '');
  } else {
    fs.mkdirSync(base, { recursive: true });
    fs.writeFileSync(path.join(base, `terraform-provider-aws_5.100.0_${forPlatform}.zip`), '');
  }
  return dir;
}

let machines = 0;
/** A fresh fake machine: its own home, XDG folders and known layout, nothing in them yet. */
function machine(env: NodeJS.ProcessEnv = {}): MirrorSearch & { root: string } {
  const root = fake(`machine-${machines++}`);
  fs.mkdirSync(path.join(root, 'home'), { recursive: true });
  return {
    root,
    env: { XDG_DATA_DIRS: `${root}/usr/local/share:${root}/usr/share`, ...env },
    home: path.join(root, 'home'),
    cwd: path.join(root, 'work'),
    platform,
    layouts: [path.join(root, 'opt', 'tf-plugins')],
    temporary: [path.join(root, 'tmp')],
  };
}

describe('the provider mirror search', () => {
  it('takes TERRAFORM_PROVIDER_MIRROR as given, before anything else', () => {
    const m = machine();
    mirror(path.join(m.root, 'opt', 'tf-plugins'));
    const result = findProviderMirror({ ...m, env: { ...m.env, TERRAFORM_PROVIDER_MIRROR: '/somewhere/else' } });
    expect(result.mirror).toBe('/somewhere/else');
    expect(result.log.join('\n')).toContain('holds no hashicorp/aws');
  });

  it('takes a filesystem_mirror of the CLI configuration (TF_CLI_CONFIG_FILE, else ~/.terraformrc) before the known layouts', () => {
    const m = machine();
    mirror(path.join(m.root, 'opt', 'tf-plugins'));
    const configured = mirror(path.join(m.root, 'srv', 'providers'));
    const config = `# comment: filesystem_mirror { path = "/not/this" }
plugin_cache_dir = "${m.root}/home/.terraform.d/plugin-cache"
provider_installation {
  filesystem_mirror {
    path    = "${m.root}/empty" // nothing there
    include = ["example.com/*/*"]
  }
  filesystem_mirror {
    path = "${configured}"
  }
  direct {}
}
`;
    fs.writeFileSync(path.join(m.home, '.terraformrc'), config);
    expect(findProviderMirror(m).mirror).toBe(configured);
    // TF_CLI_CONFIG_FILE names another file: that one is read instead.
    const other = path.join(m.root, 'cli.tfrc');
    fs.writeFileSync(other, 'disable_checkpoint = true\n');
    expect(findProviderMirror({ ...m, env: { ...m.env, TF_CLI_CONFIG_FILE: other } }).mirror).toBe(path.join(m.root, 'opt', 'tf-plugins'));
  });

  it('walks the known layouts and Terraform implied mirror directories in order', () => {
    const m = machine();
    expect(findProviderMirror(m).mirror).toBeUndefined();
    const usrShare = mirror(path.join(m.root, 'usr', 'share', 'terraform', 'plugins'), 'packed');
    expect(findProviderMirror(m).mirror).toBe(usrShare);
    const usrLocal = mirror(path.join(m.root, 'usr', 'local', 'share', 'terraform', 'plugins'));
    expect(findProviderMirror(m).mirror).toBe(usrLocal);
    const xdgHome = mirror(path.join(m.home, '.local', 'share', 'terraform', 'plugins'));
    expect(findProviderMirror(m).mirror).toBe(xdgHome);
    const dotTerraform = mirror(path.join(m.home, '.terraform.d', 'plugins'));
    expect(findProviderMirror(m).mirror).toBe(dotTerraform);
    const opt = mirror(path.join(m.root, 'opt', 'tf-plugins'));
    expect(findProviderMirror(m).mirror).toBe(opt);
  });

  it('passes over a folder without hashicorp/aws for this platform', () => {
    const m = machine();
    mirror(path.join(m.root, 'opt', 'tf-plugins'), 'unpacked', 'darwin_arm64');
    const usrShare = mirror(path.join(m.root, 'usr', 'share', 'terraform', 'plugins'));
    const result = findProviderMirror(m);
    expect(result.mirror).toBe(usrShare);
    expect(result.log.join('\n')).toMatch(/opt\/tf-plugins \(known layout\): holds no hashicorp\/aws for linux_amd64/);
  });

  it('never takes a folder under a temporary directory, nor a plugin cache, even when configured', () => {
    const m = machine();
    const underTmp = mirror(path.join(m.root, 'tmp', 'run-1', 'plugins'));
    const cache = mirror(path.join(m.root, 'work', 'stack', '.terraform', 'providers'));
    // A symbolic link into the temporary folder is still under it.
    fs.mkdirSync(path.join(m.root, 'srv'), { recursive: true });
    fs.symlinkSync(underTmp, path.join(m.root, 'srv', 'link'));
    fs.writeFileSync(
      path.join(m.home, '.terraformrc'),
      ['tmp/run-1/plugins', 'srv/link', 'work/stack/.terraform/providers']
        .map((p) => `provider_installation {\n  filesystem_mirror {\n    path = "${m.root}/${p}"\n  }\n}\n`)
        .join(''),
    );
    const result = findProviderMirror(m);
    expect(result.mirror).toBeUndefined();
    expect(result.log.filter((l) => l.includes('passed over'))).toHaveLength(3);
    expect(cache).toContain('.terraform');
    // The same configuration with a real mirror after them: that one.
    const usrShare = mirror(path.join(m.root, 'usr', 'share', 'terraform', 'plugins'));
    expect(findProviderMirror(m).mirror).toBe(usrShare);
  });

  it('reads filesystem_mirror paths from HCL (comments ignored) and JSON configurations', () => {
    expect(
      filesystemMirrors(`/* filesystem_mirror { path = "/a" } */
provider_installation {
  filesystem_mirror { path = "/b" }
  # filesystem_mirror { path = "/c" }
  network_mirror { url = "https://example.com/" }
  filesystem_mirror {
    include = ["x/*/*"]
    path = "/d \\"quoted\\""
  }
}`),
    ).toEqual(['/b', '/d "quoted"']);
    expect(
      filesystemMirrors(JSON.stringify({ provider_installation: [{ filesystem_mirror: [{ path: '/e' }], direct: [{}] }] }), true),
    ).toEqual(['/e']);
    expect(filesystemMirrors('plugin_cache_dir = "/cache"\n')).toEqual([]);
  });

  it('recognises both mirror layouts, for the platform asked', () => {
    expect(holdsAws(mirror(fake('layout-unpacked')), platform)).toBe(true);
    expect(holdsAws(mirror(fake('layout-packed'), 'packed'), platform)).toBe(true);
    expect(holdsAws(fake('layout-packed'), 'linux_arm64')).toBe(false);
    expect(holdsAws(fake('nothing-here'), platform)).toBe(false);
  });
});
