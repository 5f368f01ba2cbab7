/**
 * The environment-file editor the acceptance check uses (scripts/verify/literal-edit.ts): it sets a
 * property of the default export's object literal and leaves every other character as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setProperty } from '../scripts/verify/literal-edit';

const file = `/** A header { with braces } and 'quotes'. */
import type { EnvironmentInput } from './parse/schema';

export default {
  name: 'staging', // a comment, with a comma
  target: {
    kind: 'kubernetes',
    labels: { 'app.kubernetes.io/part-of': "x,y}" },
    list: [{ a: 1 }, { b: \`t \${'}'} ,\` }],
  },
  /* block, comment } */
  services: {
    nats: {},
    redis: { maxmemory: '512Mi' /* trailing */ },
    'odd-key': { value: 1 },
  },
} satisfies EnvironmentInput;
`;

describe('setProperty', () => {
  it('adds a missing property inside an empty object', () => {
    const out = setProperty(file, ['services', 'nats', 'replicas'], '3');
    expect(out).toBe(file.replace('nats: {},', 'nats: { replicas: 3 },'));
  });

  it('adds a missing property with the objects on its path, keeping the existing ones', () => {
    const out = setProperty(file, ['services', 'redis', 'resources', 'limits', 'memory'], "'4Gi'");
    expect(out).toBe(file.replace('redis: { maxmemory', "redis: { resources: { limits: { memory: '4Gi' } }, maxmemory"));
  });

  it('replaces an existing value (an object, a string, a quoted key), comments and strings untouched', () => {
    expect(setProperty(file, ['target', 'labels'], '{}')).toBe(file.replace(`{ 'app.kubernetes.io/part-of': "x,y}" }`, '{}'));
    expect(setProperty(file, ['name'], "'qa'")).toBe(file.replace("name: 'staging'", "name: 'qa'"));
    expect(setProperty(file, ['services', 'odd-key', 'value'], '2')).toBe(file.replace('value: 1', 'value: 2'));
    expect(setProperty(file, ['services', 'redis', 'maxmemory'], "'1Gi'")).toBe(
      file.replace("'512Mi' /* trailing */", "'1Gi' /* trailing */"),
    );
    expect(setProperty(file, ['target', 'list'], '[]')).toBe(file.replace(/list: \[.*\],/, 'list: [],'));
  });

  it('refuses a path through a value that is not an object literal', () => {
    expect(() => setProperty(file, ['name', 'x'], '1')).toThrow(/name is not an object literal/);
    expect(() => setProperty('export default cfg;', ['a'], '1')).toThrow(/not an object literal/);
    expect(() => setProperty('export default { ...base, a: 1 };', ['b'], '1')).toThrow(/spread/);
  });

  it('edits real environment files (the fixtures), the rest of the file unchanged', () => {
    const dir = path.join(import.meta.dirname, 'fixtures');
    // The environment fixtures (not the bootstrap's, which has no name).
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'bootstrap.ts')) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const name = /\n  name: ('[^']*')/.exec(text)![1]!;
      expect(setProperty(text, ['name'], "'renamed'"), f).toBe(text.replace(`name: ${name}`, "name: 'renamed'"));
    }
  });
});
