import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Test files share loaded modules (cdktf and providers load once per worker, not once per file).
    isolate: false,
    pool: 'threads',
    testTimeout: 20_000,
  },
});
