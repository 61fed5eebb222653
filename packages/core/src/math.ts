/**
 * More elementwise math, selection and reductions: the primitives `sin`, `cos`, `log1p` and
 * `argmax` (kernels here, rules in primitives.ts), and `maximum`, `minimum`, `clip`,
 * `logSumExp`, `variance` composed from other ops, so they need no gradient code.
 */
import { DTypeError, ShapeError, formatShape } from './errors.ts';
import { axisArg, describeValue } from './shape.ts';
import type { KernelArgs } from './primitives.ts';
import { add, apply, greater, less, log, max, mul, exp, reducedShape, reshape, resolveAxes, sum, where } from './ops.ts';
import { mean, square, sub } from './composite.ts';
import { type Tensor, type TensorLike, toTensor } from './tensor.ts';

/**
 * Elementwise sine; its rule is `g·cos(x)`, and cos's is `−g·sin(x)`, so both differentiate
 * again.
 * @example
 * ```ts
 * sin(tensor([0, Math.PI / 2])).toArray(); // [0, 1]
 * ```
 * @param x - input (radians)
 */
export function sin(x: TensorLike): Tensor {
  const t = toTensor(x, 'sin', 'x');
  return apply('sin', [t], t.shape, null);
}

/**
 * Elementwise cosine; its rule is `−g·sin(x)`.
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])).toArray(); // [1, -1]
 * ```
 * @param x - input (radians)
 */
export function cos(x: TensorLike): Tensor {
  const t = toTensor(x, 'cos', 'x');
  return apply('cos', [t], t.shape, null);
}

/**
 * Elementwise log(1 + x), accurate for small x.
 *
 * NOTE: a primitive because `log(1 + x)` loses every digit of x below 1e-16 (1 + x rounds to
 * 1); `Math.log1p` keeps them. Its rule is `g / (1 + x)`.
 * @example
 * ```ts
 * log1p(tensor([1e-20])).item(); // 1e-20 (log(1 + 1e-20) gives 0)
 * ```
 * @param x - input, > −1
 */
export function log1p(x: TensorLike): Tensor {
  const t = toTensor(x, 'log1p', 'x');
  return apply('log1p', [t], t.shape, null);
}

/**
 * Index of the largest element along the axis (the first of ties; NaNs are skipped, as in TF.js).
 * @param k - kernel arguments of `argmax`
 */
export function argmaxKernel(k: KernelArgs<{ readonly axis: number }>): void {
  const x = k.x[0]!;
  const shape = k.shapes[0]!;
  const axis = k.attrs.axis;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  const D = shape[axis]!;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const base = o * D * inner + r;
      let best = -1;
      let bv = -Infinity;
      for (let d = 0; d < D; d++) {
        const v = x[base + d * inner]!;
        // NaN compares false, so it is skipped (TF.js); an all-NaN line gives 0.
        if (v > bv || (best < 0 && v === -Infinity)) {
          bv = v;
          best = d;
        }
      }
      if (best < 0) best = 0;
      k.out[o * inner + r] = best;
    }
  }
}

/**
 * Index of the largest element along `axis` (TF.js `argMax`); the first one on ties, NaNs
 * skipped. No gradient (an index).
 * @example
 * ```ts
 * argmax(tensor([[1, 9], [7, 2]]), 0).toArray(); // [1, 0]
 * argmax(A, 0);  // the predicted class of each example (column) of a Dense output [10, m]
 * ```
 * @param x - input of rank ≥ 1
 * @param axis - the axis searched (default 0, as in TF.js)
 * @throws ShapeError when `axis` is out of range or the axis is empty
 * @throws DTypeError when `axis` is not a number
 */
export function argmax(x: Tensor, axis = 0): Tensor {
  const t = toTensor(x, 'argmax', 'x');
  if (t.rank === 0) throw new ShapeError('argmax', 'expected a tensor of rank ≥ 1, got []', [t.shape]);
  const a = axisArg(axis, t.shape, 'argmax');
  if (t.shape[a] === 0) throw new ShapeError('argmax', `axis ${a} of ${formatShape(t.shape)} is empty`, [t.shape]);
  return apply('argmax', [t], t.shape.filter((_, i) => i !== a), { axis: a });
}

/**
 * Elementwise maximum with broadcasting (TF.js `maximum`); NaN if either is NaN.
 *
 * NOTE: on ties the gradient is split evenly between `a` and `b` (the value is then (a + b)/2),
 * so the rule is symmetric; composed from `where` and comparisons.
 * @example
 * ```ts
 * maximum(tensor([1, 5, 3]), 2).toArray(); // [2, 5, 3]
 * ```
 * @param a - first operand
 * @param b - second operand
 * @throws ShapeError when the shapes cannot be broadcast
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a, 'maximum', 'a');
  const y = toTensor(b, 'maximum', 'b');
  return where(greater(x, y), x, where(less(x, y), y, mul(add(x, y), 0.5)));
}

/**
 * Elementwise minimum with broadcasting (TF.js `minimum`); NaN if either is NaN. On ties the
 * gradient is split evenly, as in {@link maximum}.
 * @example
 * ```ts
 * minimum(tensor([1, 5, 3]), 2).toArray(); // [1, 2, 2]
 * ```
 * @param a - first operand
 * @param b - second operand
 * @throws ShapeError when the shapes cannot be broadcast
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a, 'minimum', 'a');
  const y = toTensor(b, 'minimum', 'b');
  return where(less(x, y), x, where(greater(x, y), y, mul(add(x, y), 0.5)));
}

/**
 * Clamps every element to `[lo, hi]` (TF.js `clipByValue`).
 *
 * NOTE: as in TF.js's `ClipByValue` gradient, the gradient passes where `lo ≤ x ≤ hi`, bounds
 * included, and is 0 outside.
 * @example
 * ```ts
 * clip(tensor([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * ```
 * @param x - input
 * @param lo - lower bound
 * @param hi - upper bound, ≥ lo
 * @throws DTypeError when a bound is not a number; RangeError when lo > hi
 */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  const t = toTensor(x, 'clip', 'x');
  if (typeof lo !== 'number') throw new DTypeError('clip', `argument 'lo' must be a number, got ${describeValue(lo)}`);
  if (typeof hi !== 'number') throw new DTypeError('clip', `argument 'hi' must be a number, got ${describeValue(hi)}`);
  if (!(lo <= hi)) throw new RangeError(`clip: lo (${lo}) must be ≤ hi (${hi})`);
  // NaN is neither below lo nor above hi, so it passes through (TF.js propagates it).
  return where(less(t, lo), lo, where(greater(t, hi), hi, t));
}

/**
 * log Σ exp(x) over the given axes (all when omitted), computed stably (TF.js `logSumExp`):
 * `m + log Σ exp(x − m)` with m the (detached) maximum.
 *
 * NOTE: the shift by m is exact algebra, so the gradient (softmax) is unchanged by detaching it.
 * @example
 * ```ts
 * logSumExp(tensor([1000, 1000])).item(); // 1000.693… (no overflow)
 * ```
 * @param x - input
 * @param axis - an axis, a list of axes, or undefined for all
 * @param keepDims - keep reduced axes as size 1 (default false)
 * @throws ShapeError when an axis is out of range or empty
 * @throws DTypeError when `axis` is not an axis or a list of axes
 */
export function logSumExp(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'logSumExp', 'x');
  const axes = resolveAxes(t, axis, 'logSumExp');
  const m = max(t, axes, true).detach();
  const kept = add(log(sum(exp(sub(t, m)), axes, true)), m);
  return keepDims ? kept : reshape(kept, reducedShape(t.shape, axes, false));
}

/**
 * Population variance over the given axes (all when omitted), the mean of squared deviations
 * from the mean (TF.js `moments`' variance; divides by n, not n − 1).
 * @example
 * ```ts
 * variance(tensor([1, 2, 3, 4])).item(); // 1.25
 * ```
 * @param x - input
 * @param axis - an axis, a list of axes, or undefined for all
 * @param keepDims - keep reduced axes as size 1 (default false)
 * @throws ShapeError when an axis is out of range
 * @throws DTypeError when `axis` is not an axis or a list of axes
 */
export function variance(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'variance', 'x');
  const axes = resolveAxes(t, axis, 'variance');
  return mean(square(sub(t, mean(t, axes, true))), axes, keepDims);
}
