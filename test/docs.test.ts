/** The generated service catalogue is committed; it must match what the specs generate. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../scripts/docs';
import { pictureOf } from '../scripts/architecture';
import { shipped, synth, synthBootstrap } from './helpers';
import bootstrapInput from '../bootstrap/account';
import { BOOTSTRAP_FILE, loadBootstrap } from '../environments/parse/bootstrap';
import { placeServices } from '../constructs/targets/aws/placement';

const root = path.join(import.meta.dirname, '..');
const envs = await shipped();
const bootstrap = loadBootstrap({ file: BOOTSTRAP_FILE, input: bootstrapInput });
const stacks = [...envs.map((e) => ({ name: e.name, json: synth(e).tf })), { name: 'bootstrap', json: synthBootstrap(bootstrap, envs).tf }];
const generated = await generatedFiles({ envs, bootstrap, stacks });

describe('what `npm run docs` generates is committed and current', () => {
  it('covers the catalogue, the architecture pictures, the README matrix and the lock files', () => {
    expect([...generated.keys()].filter((f) => !f.startsWith('locks/'))).toEqual(['docs/services.md', 'docs/architecture.md', 'README.md']);
    expect([...generated.keys()].filter((f) => f.startsWith('locks/')).length).toBe(envs.length + 2);
  });

  it.each([...generated.keys()])('%s (run `npm run docs`)', (file) => {
    const text = generated.get(file);
    const full = path.join(root, file);
    if (text === null) expect(fs.existsSync(full), `${file} should be removed`).toBe(false);
    else expect(fs.readFileSync(full, 'utf8')).toBe(text);
  });
});

describe('docs/architecture.md: a picture per environment', () => {
  const text = fs.readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');

  it('has one for every environment, and no merge leftovers', () => {
    for (const e of envs) expect(text).toContain(`### ${e.name} (${e.target.kind}, profile ${e.profile})`);
    expect(text).not.toMatch(/^(<{7}|={7}|>{7})/m);
  });

  it('draws every service once, where it runs: managed services outside the cluster, the rest inside', () => {
    for (const e of envs) {
      const pic = pictureOf(e);
      const managed = e.target.kind === 'aws' ? new Set(placeServices(e).managed.map((m) => m.spec.name)) : new Set<string>();
      const inCluster = e.target.kind === 'aws' ? placeServices(e).inCluster : e.specs;
      for (const s of inCluster)
        expect(
          pic.nodes.filter((n) => n.id === s.name.replace(/[^A-Za-z0-9_]/g, '_') && n.kind === 'service'),
          s.name,
        ).toHaveLength(1);
      for (const n of pic.nodes.filter((x) => managed.has(x.id))) expect(n.kind).toBe('managed');
      for (const d of e.specs.flatMap((s) => s.dependsOn.map((to) => [s.name, to] as const)))
        if (pic.nodes.some((n) => n.id === d[0]) && pic.nodes.some((n) => n.id === d[1]))
          expect(
            pic.edges.some((x) => x.from === d[0] && x.to === d[1] && x.kind === 'depends'),
            d.join(' -> '),
          ).toBe(true);
    }
  });
});

describe('docs/services.md: the realization per target', () => {
  const text = fs.readFileSync(path.join(root, 'docs', 'services.md'), 'utf8');

  it('no service an environment runs as a managed service is listed there as in the cluster', () => {
    const table = text.slice(text.indexOf('## Environments'));
    for (const e of envs.filter((x) => x.target.kind === 'aws')) {
      const row = table.split('\n').find((l) => l.startsWith(`| ${e.name} |`))!;
      const [inCluster] = row.split('; managed: ');
      for (const m of placeServices(e).managed) {
        expect(inCluster, m.spec.name).not.toMatch(new RegExp(`\\b${m.spec.name}\\b`));
        expect(row).toContain(m.spec.component);
      }
    }
  });
});

describe('pinned images', () => {
  it('every image the catalogue can run says why it is at its version', async () => {
    const { pinnedImages } = await import('../scripts/docs');
    const { PIN_REASONS } = await import('../constructs/services/pins');
    const { parseImage } = await import('../constructs/spec/image');
    const images = [...pinnedImages().keys()];
    expect(images.length).toBeGreaterThan(15);
    for (const image of images) {
      const ref = parseImage(image) as { repository: string };
      expect(PIN_REASONS[ref.repository], image).toBeDefined();
    }
  });
});

describe('realizations on Kubernetes', () => {
  it('every service says why it is realized as it is, beyond the default reason', async () => {
    const { env } = await import('./helpers');
    const { realizationOf } = await import('../constructs/render/kubernetes/realizations');
    const { OWN_RESOURCES_REASON } = await import('../constructs/render/kubernetes/workload');
    for (const spec of env('staging').specs) {
      const why = realizationOf(spec).why(spec);
      expect(why.replace(OWN_RESOURCES_REASON, '').trim().length, spec.name).toBeGreaterThan(40);
    }
  });

  it('RabbitMQ says why peer discovery and not the Cluster Operator', async () => {
    const { env, spec } = await import('./helpers');
    const { realizationOf } = await import('../constructs/render/kubernetes/realizations');
    const rabbit = spec(env('staging'), 'rabbitmq');
    expect(realizationOf(rabbit).why(rabbit)).toMatch(/Cluster Operator.*without a Helm chart/);
  });
});
