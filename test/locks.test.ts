/**
 * Provider lock files (stacks/locks.ts): committed per stack in locks/, generated from the hashes
 * found publicly (locks/providers.hcl), copied into the stack directories by synth; a provider
 * without hashes is reported, never given invented ones. (That the committed files are what
 * `npm run docs` generates for the current stacks is in test/docs.test.ts; that the aws hashes
 * match the provider Terraform installs, in `npm run verify`.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bootstrapOf, shipped, synth, synthBootstrap } from './helpers';
import {
  HASH_STORE,
  KNOWN_GAPS,
  committedLocks,
  formatLock,
  installLocks,
  knownHashes,
  lockFor,
  lockGaps,
  parseLock,
  providerAddress,
  requiredProviders,
} from '../stacks/locks';
import { LOCKS_DIR } from '../stacks/app';

const committed = committedLocks(LOCKS_DIR);
const known = knownHashes([...committed.values()]);
const envs = await shipped();
const stacks = [
  ...envs.map((e) => ({ name: e.name, json: synth(e).tf })),
  { name: 'bootstrap', json: synthBootstrap(bootstrapOf(), envs).tf },
];

describe('the hash store (locks/providers.hcl)', () => {
  const store = parseLock(committed.get(HASH_STORE)!);

  it('holds every provider version the @cdktf/provider-* packages pin, unless its gap is known', () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const pinned = Object.keys(pkg.dependencies)
      .filter((d) => d.startsWith('@cdktf/provider-'))
      .map((d) => (require(`${d}/package.json`) as { cdktf: { provider: { name: string; version: string } } }).cdktf.provider);
    expect(pinned.length).toBeGreaterThanOrEqual(5);
    for (const p of pinned) {
      const key = `${p.name} ${p.version}`;
      if (KNOWN_GAPS[key]) continue;
      expect(
        store.some((b) => b.address === p.name && b.version === p.version && b.hashes.length > 0),
        key,
      ).toBe(true);
    }
  });

  it("every block has the registry's zip hashes (zh:) and Terraform's form of its versions", () => {
    for (const b of store) {
      expect(b.hashes.filter((h) => h.startsWith('zh:')).length, b.address).toBeGreaterThanOrEqual(10);
      for (const h of b.hashes) expect(h, b.address).toMatch(/^(zh:[0-9a-f]{64}|h1:[A-Za-z0-9+/]{43}=)$/);
      expect(b.constraints).toBe(b.version);
    }
  });

  it('aws 5.100.0 has the linux_amd64 h1 hash the provider mirror gives (npm run verify checks it against the binary)', () => {
    expect(known.get('registry.terraform.io/hashicorp/aws 5.100.0')?.has('h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=')).toBe(true);
  });
});

describe('each stack', () => {
  it.each(stacks.map((s) => [s.name, s] as const))('%s: its lock file names exactly its providers, at their versions', (name, s) => {
    const text = committed.get(`${name}.terraform.lock.hcl`);
    expect(text, `locks/${name}.terraform.lock.hcl (npm run docs writes it)`).toBeDefined();
    const required = requiredProviders(s.json);
    const blocks = parseLock(text!);
    const gaps = lockGaps(name, required, text);
    expect(blocks.map((b) => `${b.address} ${b.version}`).sort()).toEqual(
      required.map((p) => `${p.address} ${p.version}`).filter((p) => !gaps.some((g) => g.provider === p)),
    );
  });

  it('the providers without hashes are exactly the known gaps, each with the command that fills it', () => {
    const gaps = stacks.flatMap((s) => lockGaps(s.name, requiredProviders(s.json), committed.get(`${s.name}.terraform.lock.hcl`)));
    expect(gaps.filter((g) => !g.known)).toEqual([]);
    for (const [provider, why] of Object.entries(KNOWN_GAPS)) {
      expect(why).toMatch(/terraform providers lock( -platform=\S+){5}/);
      // A gap someone filled is no longer a gap: its entry must go.
      expect(known.get(provider), provider).toBeUndefined();
    }
    if (envs.some((e) => e.target.kind === 'docker'))
      expect(gaps.map((g) => g.provider)).toContain('registry.terraform.io/kreuzwerker/docker 3.6.2');
  });
});

describe('reading and writing lock files', () => {
  it('addresses providers as Terraform does', () => {
    expect(['aws', 'hashicorp/random', 'kreuzwerker/docker', 'registry.terraform.io/hashicorp/tls'].map(providerAddress)).toEqual([
      'registry.terraform.io/hashicorp/aws',
      'registry.terraform.io/hashicorp/random',
      'registry.terraform.io/kreuzwerker/docker',
      'registry.terraform.io/hashicorp/tls',
    ]);
  });

  it('parses what it writes; hashes sorted and unique; a provider with no known hash is left out', () => {
    const text = formatLock(
      [{ address: 'registry.terraform.io/hashicorp/x', version: '1.0.0', constraints: '1.0.0', hashes: ['zh:b', 'h1:a', 'zh:b'] }],
      ['header'],
    );
    expect(text).toContain(
      '# header\n\nprovider "registry.terraform.io/hashicorp/x" {\n  version     = "1.0.0"\n  constraints = "1.0.0"\n  hashes = [\n    "h1:a",\n    "zh:b",\n  ]\n}',
    );
    expect(parseLock(text)).toEqual([
      { address: 'registry.terraform.io/hashicorp/x', version: '1.0.0', constraints: '1.0.0', hashes: ['h1:a', 'zh:b'] },
    ]);
    const lock = lockFor(
      [
        { address: 'registry.terraform.io/hashicorp/x', version: '1.0.0' },
        { address: 'registry.terraform.io/hashicorp/y', version: '2.0.0' },
      ],
      knownHashes([text]),
    );
    expect(parseLock(lock).map((b) => b.address)).toEqual(['registry.terraform.io/hashicorp/x']);
  });

  it("synth installs a stack's committed lock file, and keeps one Terraform has only added hashes to", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locks-'));
    try {
      const locks = path.join(dir, 'locks');
      fs.mkdirSync(locks);
      const text = committed.get('production.terraform.lock.hcl')!;
      fs.writeFileSync(path.join(locks, 'production.terraform.lock.hcl'), text);
      const target = path.join(dir, 'out', 'stacks', 'production', '.terraform.lock.hcl');
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, '# an older lock\n');
      installLocks(locks, path.join(dir, 'out'), ['production', 'development']);
      expect(fs.readFileSync(target, 'utf8')).toBe(text);
      const more = text.replace('hashes = [', 'hashes = [\n    "h1:0000000000000000000000000000000000000000000=",');
      fs.writeFileSync(target, more);
      installLocks(locks, path.join(dir, 'out'), ['production']);
      expect(fs.readFileSync(target, 'utf8')).toBe(more);
      expect(fs.existsSync(path.join(dir, 'out', 'stacks', 'development', '.terraform.lock.hcl'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
