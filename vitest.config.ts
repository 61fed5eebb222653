import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Each package's `exports` maps this condition to its .ts sources: tests run the source, no build.
const SOURCE = '@nabla/source';

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Built output and installed packages are never test sources.
    exclude: ['**/node_modules/**', '**/dist/**'],
    setupFiles: ['./vitest.setup.ts'],
    // Two cores: one worker per core keeps property tests from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
