import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { defineConfig } from 'vitest/config';

// The workers' young generation: 64 MiB semi-spaces instead of Node 20's 16 MiB. Synthesizing a
// stack allocates hundreds of MiB of short-lived objects; with the default, scavenges took a fifth of
// each worker's time. Set here, before the workers start: V8 reads it when it creates their isolates.
setFlagsFromString('--max-semi-space-size=64');

// Transformed modules kept on disk between runs (node_modules/.experimental-vitest-cache, keyed by
// each file's path and content, vitest's version and this config; `npx vitest --clearCache` empties
// it): a run that reads it skips most of the 3-4 s of transforming. Writing it costs a run about a
// second (each module waits for its file before a worker gets it), which a one-off run on a fresh
// clone (CI) never gets back. So the first run after an install writes no cache, and leaves a mark
// (in node_modules, which an install replaces); the runs after it write and read the cache.
// Experimental in vitest 4.1 (pinned).
const ranBefore = path.join(import.meta.dirname, 'node_modules', '.cache', 'agent-platform-tests-ran');
const moduleCache = fs.existsSync(ranBefore);
if (!moduleCache) {
  fs.mkdirSync(path.dirname(ranBefore), { recursive: true });
  fs.writeFileSync(ranBefore, 'vitest.config.ts: the module cache is on from the second run\n');
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts the boundary test's child process when the run starts (test/setup/bindings-probe.ts).
    globalSetup: ['test/setup/bindings-probe.ts'],
    // Test files share loaded modules (cdktf and providers load once per worker, not once per file).
    isolate: false,
    pool: 'threads',
    // Two workers wherever there are two cores: vitest's default is one fewer than the cores (one, on
    // the 2-core machines CI and this project's development run on), which left a core idle.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    // See above: from the second run after an install.
    experimental: { fsModuleCache: moduleCache },
  },
});
