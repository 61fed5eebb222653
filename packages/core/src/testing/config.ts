/**
 * fast-check parameters for nabla's own property tests: a fixed seed in CI (set `FC_SEED` to
 * replay another), `numRuns` sized for a 2-core machine, and the counterexample in the message.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(shapeArb(), (s) => s.length <= 3), propertyConfig({ numRuns: 50 }));
 * ```
 * @param overrides - any fast-check parameters to change
 */
export function propertyConfig<T extends object>(
  overrides: T = {} as T,
): {
  /** fast-check's seed: `FC_SEED`, else a fixed one. */
  seed: number;
  /** Runs per property: `FC_NUM_RUNS`, else 40. */
  numRuns: number;
  /** 1: the counterexample and its shrink path appear in the failure message. */
  verbose: number;
  /** false: keep shrinking after the first failure, to report the smallest input. */
  endOnFailure: boolean;
  /** true: the property's own error (e.g. the gradcheck report) is part of the message. */
  includeErrorInReport: boolean;
} & T {
  const env = typeof process !== 'undefined' ? process.env : {};
  const seed = env['FC_SEED'] !== undefined ? Number(env['FC_SEED']) : 20261124;
  const numRuns = env['FC_NUM_RUNS'] !== undefined ? Number(env['FC_NUM_RUNS']) : 40;
  return { seed, numRuns, verbose: 1, endOnFailure: false, includeErrorInReport: true, ...overrides };
}
