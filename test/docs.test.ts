/** The generated service catalogue is committed; it must match what the specs generate. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCatalogue } from '../scripts/docs';

it('docs/services.md is up to date (run `npm run docs`)', async () => {
  const committed = fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'services.md'), 'utf8');
  expect(committed).toBe(await renderCatalogue());
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
