/** The generated service catalogue is committed; it must match what the specs generate. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCatalogue } from '../scripts/docs';

it('docs/services.md is up to date (run `npm run docs`)', () => {
  const committed = fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'services.md'), 'utf8');
  expect(committed).toBe(renderCatalogue());
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
