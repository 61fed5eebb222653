/**
 * Ops composed from the primitives in ops.ts. Their gradients come from the primitives' rules
 * by the chain rule, so nothing here has backward code of its own.
 */
import { add, exp, log, max, mul, neg, pow, resolveAxes, sum } from './ops.ts';
import { type Tensor, type TensorLike, toTensor } from './tensor.ts';
import { axisArg } from './shape.ts';

/**
 * Elementwise `a - b` with broadcasting, as `a + (-b)`.
 * @example
 * ```ts
 * sub(tensor([3, 4]), 1).toArray(); // [2, 3]
 * ```
 * @param a - minuend
 * @param b - subtrahend
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return add(toTensor(a, 'sub', 'a'), neg(toTensor(b, 'sub', 'b')));
}

/**
 * Elementwise `a / b` with broadcasting, as `a · b^-1`.
 * @example
 * ```ts
 * div(tensor([1, 2]), 2).toArray(); // [0.5, 1]
 * ```
 * @param a - dividend
 * @param b - divisor
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return mul(toTensor(a, 'div', 'a'), pow(toTensor(b, 'div', 'b'), -1));
}

/**
 * Elementwise square root, as `x^0.5`.
 * @example
 * ```ts
 * sqrt(tensor([4, 9])).toArray(); // [2, 3]
 * ```
 * @param x - input (non-negative)
 */
export function sqrt(x: TensorLike): Tensor {
  return pow(toTensor(x, 'sqrt', 'x'), 0.5);
}

/**
 * Elementwise x², as `x^2`.
 * @example
 * ```ts
 * square(tensor([-3])).item(); // 9
 * ```
 * @param x - input
 */
export function square(x: TensorLike): Tensor {
  return pow(toTensor(x, 'square', 'x'), 2);
}

/**
 * Mean over the given axes (all when omitted), as a sum divided by the count.
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]]), 0).toArray(); // [2, 3]
 * ```
 * @param x - input
 * @param axis - an axis, a list of axes, or undefined for all
 * @param keepDims - keep reduced axes as size 1 (default false)
 */
export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'mean', 'x');
  const s = sum(t, resolveAxes(t, axis, 'mean'), keepDims);
  // Stryker disable next-line ConditionalExpression: with s empty the product below is empty whatever it is scaled by
  const count = s.size === 0 ? 0 : t.size / s.size;
  return mul(s, 1 / count);
}

/**
 * Log-softmax along an axis: `x − max − log Σ exp(x − max)`.
 *
 * NOTE: subtracting the (detached) maximum keeps exp from overflowing; log-softmax is
 * shift-invariant, so the gradient is unchanged by it.
 *
 * NOTE: the default axis is the last (−1, NumPy's and TF.js's). A Dense batch holds examples
 * as columns ([classes, m]): normalise it over axis 0, or the default mixes the examples.
 * @example
 * ```ts
 * logSoftmax(tensor([[1000], [1000]]), 0).toArray(); // [[-0.693…], [-0.693…]] (one column, one example)
 * logSoftmax(Z, 0);  // a Dense output Z [10, m]: each column normalised
 * ```
 * @param x - input
 * @param axis - the axis that sums to 1 after exp (default -1, the last; 0 for a column batch)
 * @throws ShapeError when `axis` is out of range; DTypeError when it is not a number
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const t = toTensor(x, 'logSoftmax', 'x');
  const a = axisArg(axis, t.shape, 'logSoftmax');
  const shifted = sub(t, max(t, a, true).detach());
  return sub(shifted, log(sum(exp(shifted), a, true)));
}

/**
 * Softmax along an axis, computed stably as `exp(logSoftmax(x))`.
 *
 * NOTE: the default axis is the last (−1, NumPy's and TF.js's). A Dense batch holds examples
 * as columns ([classes, m]): pass axis 0 so each column (example) sums to 1.
 * @example
 * ```ts
 * softmax(tensor([[1, 3], [1, 3]]), 0).toArray(); // [[0.5, 0.5], [0.5, 0.5]]: two examples as columns
 * ```
 * @param x - input
 * @param axis - the axis that sums to 1 (default -1, the last; 0 for a column batch)
 * @throws ShapeError when `axis` is out of range; DTypeError when it is not a number
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const t = toTensor(x, 'softmax', 'x');
  return exp(logSoftmax(t, axisArg(axis, t.shape, 'softmax')));
}
