import { expect } from 'vitest';
import { Tensor, type NestedArray } from '../tensor.ts';
import { describeWorst, gradcheck, gradgradcheck, type GradcheckOptions } from '../gradcheck.ts';
import { formatShape } from '../errors.ts';

/** Tolerances of `toBeAllclose`: |actual − expected| ≤ atol + rtol·|expected| (NumPy's rule). */
export interface AllcloseOptions {
  /** Relative tolerance (default 1e-7). */
  rtol?: number;
  /** Absolute tolerance (default 0). */
  atol?: number;
}

type Values = Tensor | NestedArray | Float64Array | Float32Array | readonly number[];

function flatten(v: Values): { shape: number[]; data: number[] } {
  if (v instanceof Tensor) return { shape: [...v.shape], data: Array.from(v.data) };
  if (v instanceof Float64Array || v instanceof Float32Array) return { shape: [v.length], data: Array.from(v) };
  const shape: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data: number[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else data.push(x as number);
  };
  walk(v);
  return { shape, data };
}

/**
 * Compares two arrays of numbers (tensors, typed arrays or nested arrays) elementwise; returns
 * `null` when close, else a message naming the worst element.
 * @example
 * ```ts
 * allcloseMismatch([1, 2], [1, 2 + 1e-12]);  // null
 * allcloseMismatch([1, 2], [1, 3]);          // 'element 1 differs: 2 vs expected 3 (rtol 1e-7, atol 0)'
 * ```
 * @param actual - the values computed
 * @param expected - the values wanted
 * @param options - `rtol` (default 1e-7) and `atol` (default 0)
 */
export function allcloseMismatch(actual: Values, expected: Values, options: AllcloseOptions = {}): string | null {
  const { rtol = 1e-7, atol = 0 } = options;
  const a = flatten(actual);
  const e = flatten(expected);
  const shapesMatter = actual instanceof Tensor && expected instanceof Tensor;
  if (a.data.length !== e.data.length || (shapesMatter && formatShape(a.shape) !== formatShape(e.shape))) {
    return `shapes differ: ${formatShape(a.shape)} vs expected ${formatShape(e.shape)}`;
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = e.data[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    // Unequal infinities (or an infinity against a finite value) never match, as in
    // numpy.isclose; otherwise rtol·|∞| would accept anything.
    const finite = Number.isFinite(x) && Number.isFinite(y);
    const diff = finite ? Math.abs(x - y) : Infinity;
    const allowed = atol + rtol * Math.abs(y);
    if (!finite || !(diff <= allowed)) {
      const excess = Number.isNaN(diff) ? Infinity : diff - allowed;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst < 0) return null;
  return `element ${worst} differs: ${a.data[worst]} vs expected ${e.data[worst]} (rtol ${rtol}, atol ${atol})`;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * Registers `toBeAllclose`, `toPassGradcheck` and `toPassGradgradcheck` with vitest's `expect`. Call it once from a
 * vitest setup file.
 *
 * @example
 * ```ts
 * // vitest.setup.ts
 * import { registerMatchers } from '@nabla/core/testing';
 * registerMatchers();
 * // a test
 * expect(x.grad).toBeAllclose([[1, 2]], { rtol: 1e-9 });
 * expect((w: Tensor) => w.tanh()).toPassGradcheck([randn([3, 3], { seed: 1 })]);
 * expect((w: Tensor) => w.tanh()).toPassGradgradcheck([randn([3, 3], { seed: 1 })]);
 * ```
 */
export function registerMatchers(): void {
  expect.extend({
    toBeAllclose(received: Values, expected: Values, options?: AllcloseOptions): MatcherResult {
      const mismatch = allcloseMismatch(received, expected, options);
      return {
        pass: mismatch === null,
        message: () => (mismatch === null ? 'expected values not to be allclose, but they are' : `expected values to be allclose: ${mismatch}`),
      };
    },
    toPassGradcheck(received: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: GradcheckOptions): MatcherResult {
      const report = gradcheck(received, inputs, options);
      return {
        pass: report.ok,
        message: () => (report.ok ? `expected gradcheck to fail, but it passed: ${describeWorst(report)}` : `gradcheck failed: ${describeWorst(report)}`),
      };
    },
    toPassGradgradcheck(received: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: GradcheckOptions): MatcherResult {
      const report = gradgradcheck(received, inputs, options);
      return {
        pass: report.ok,
        message: () => (report.ok ? `expected gradgradcheck to fail, but it passed: ${describeWorst(report)}` : `gradgradcheck failed: ${describeWorst(report)}`),
      };
    },
  });
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- must match vitest's own declaration to merge with it
  interface Matchers<T = any> {
    /** Elementwise closeness: |actual − expected| ≤ atol + rtol·|expected|. */
    toBeAllclose(expected: Values, options?: AllcloseOptions): T;
    /** The received function of tensors passes `gradcheck` at `inputs`. */
    toPassGradcheck(inputs: readonly Tensor[], options?: GradcheckOptions): T;
    /** The received function of tensors passes `gradgradcheck` (second derivatives) at `inputs`. */
    toPassGradgradcheck(inputs: readonly Tensor[], options?: GradcheckOptions): T;
  }
}
