import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// The test run Stryker uses (`pnpm mutate`): only the unit and property tests of core and nn,
// which cover the gradient code under mutation. The browser and CLI end-to-end suites of mnist and
// the examples exercise the same code through slower paths and are left to `pnpm test`.
// (Spread, not mergeConfig: mergeConfig concatenates `include` lists instead of replacing them.)

// Stryker runs the tests in a copy of the repository (.stryker-tmp/sandbox-*) whose node_modules
// is a link to the real one, where `@nabla/core` links back to the *original* packages/core. These
// aliases point the package names at the sources next to this file, so nn's tests (and the
// matchers of the setup file) run the mutated core, and one Tensor class is in play, not two.
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const alias = [
  { find: /^@nabla\/core$/, replacement: here('./packages/core/src/index.ts') },
  { find: /^@nabla\/core\/testing$/, replacement: here('./packages/core/src/testing/index.ts') },
  { find: /^@nabla\/core\/threads$/, replacement: here('./packages/core/src/kernels/threads.ts') },
  { find: /^@nabla\/nn$/, replacement: here('./packages/nn/src/index.ts') },
  { find: /^@nabla\/nn\/node$/, replacement: here('./packages/nn/src/node.ts') },
  { find: /^@nabla\/nn\/testing$/, replacement: here('./packages/nn/src/testing.ts') },
];

export default defineConfig({
  ...base,
  resolve: { ...base.resolve, alias },
  test: {
    ...base.test,
    include: ['packages/core/src/**/*.test.ts', 'packages/nn/src/**/*.test.ts'],
    // The matmul kernels (wasm, threads, gemm) are outside the mutated files and their tests
    // compare generated sources and spawn workers; the ops' own tests cover the kernels' callers.
    exclude: [...(base.test?.exclude ?? []), 'packages/core/src/kernels/**'],
    // Property tests keep their fixed seed; fewer runs per property keeps each mutant's run short
    // (FC_NUM_RUNS, read by propertyConfig; a property of a changed rule fails on its first runs).
    env: { FC_NUM_RUNS: process.env['FC_NUM_RUNS'] ?? '10' },
  },
});
