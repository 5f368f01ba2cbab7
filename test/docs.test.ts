/** The generated service catalogue is committed; it must match what the specs generate. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { renderCatalogue } from '../scripts/docs';

it('docs/services.md is up to date (run `npm run docs`)', () => {
  const committed = fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'services.md'), 'utf8');
  expect(committed).toBe(renderCatalogue());
});
