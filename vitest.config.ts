import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    // Two cores: one worker per core keeps property tests from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
