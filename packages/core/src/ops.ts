/**
 * The primitive ops as functions: each checks its arguments, infers the output shape and runs
 * its kernel from the table in primitives.ts, which holds the forward and backward rules side
 * by side. Composite ops are in composite.ts.
 */
import { DTypeError, ShapeError, formatShape } from './errors.ts';
import { type Shape, broadcastShapes, describeValue, keptShape, normalizeAxis, shapesEqual, sizeOf, validateShape } from './shape.ts';
import { type PrimitiveAttrs, type PrimitiveName, primitives } from './primitives.ts';
import { type Tensor, type TensorLike, allocate, anomalyChecksOn, checkForward, record, runKernel, toTensor } from './tensor.ts';

/**
 * Runs a primitive on tensors: allocates the output (or shares input 0's storage for views),
 * runs the forward kernel, and records the node for autodiff.
 * @param name - the primitive
 * @param inputs - its input tensors, in order
 * @param outShape - the output's shape
 * @param attrs - the primitive's attributes (axes, exponent …)
 */
export function apply<P extends PrimitiveName>(name: P, inputs: readonly Tensor[], outShape: Shape, attrs: PrimitiveAttrs[P]): Tensor {
  const primitive = primitives[name];
  let out!: Float64Array;
  runKernel(() => {
    out = primitive.view ? inputs[0]!.data : allocate(sizeOf(outShape));
    primitive.forward({ x: inputs.map((t) => t.data), shapes: inputs.map((t) => t.shape), out, outShape, attrs });
    if (anomalyChecksOn()) checkForward(name, inputs, out, outShape);
  });
  return record(out, outShape, { op: name, inputs, attrs: attrs as Record<string, unknown> | null, primitive: primitive as never });
}

function binary(name: 'add' | 'mul' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal', a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a, name, 'a');
  const y = toTensor(b, name, 'b');
  return apply(name, [x, y], broadcastShapes(x.shape, y.shape, name), null);
}

/**
 * Elementwise sum with NumPy broadcasting.
 * @example
 * ```ts
 * add(tensor([[1], [2]]), tensor([10, 20])).toArray(); // [[11, 21], [12, 22]]
 * ```
 * @param a - first operand (tensor or number)
 * @param b - second operand (tensor or number)
 * @throws ShapeError when the shapes cannot be broadcast: `add: shapes [2,3] and [4] cannot be broadcast`
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', a, b);
}

/**
 * Elementwise product with NumPy broadcasting.
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * ```
 * @param a - first operand (tensor or number)
 * @param b - second operand (tensor or number)
 * @throws ShapeError when the shapes cannot be broadcast
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', a, b);
}

type UnaryName = 'neg' | 'exp' | 'log' | 'abs' | 'sigmoid' | 'softplus' | 'relu' | 'tanh' | 'sign';

function unary(name: UnaryName, x: TensorLike): Tensor {
  const t = toTensor(x, name, 'x');
  return apply(name, [t], t.shape, null);
}

/**
 * Elementwise negation.
 * @example
 * ```ts
 * neg(tensor([1, -2])).toArray(); // [-1, 2]
 * ```
 * @param x - input
 */
export function neg(x: TensorLike): Tensor {
  return unary('neg', x);
}

/**
 * Elementwise e^x.
 * @example
 * ```ts
 * exp(tensor([0, 1])).toArray(); // [1, 2.718281828459045]
 * ```
 * @param x - input
 */
export function exp(x: TensorLike): Tensor {
  return unary('exp', x);
}

/**
 * Elementwise natural logarithm (NaN for negative inputs, -Infinity at 0).
 * @example
 * ```ts
 * log(tensor([1, Math.E])).toArray(); // [0, 1]
 * ```
 * @param x - input
 */
export function log(x: TensorLike): Tensor {
  return unary('log', x);
}

/**
 * Elementwise |x|.
 *
 * NOTE: the gradient at exactly 0 is taken as 0 (a subgradient), as in PyTorch.
 * @example
 * ```ts
 * abs(tensor([-2, 3])).toArray(); // [2, 3]
 * ```
 * @param x - input
 */
export function abs(x: TensorLike): Tensor {
  return unary('abs', x);
}

/**
 * Elementwise x^p for a constant exponent p (sqrt is `pow(x, 0.5)`, 1/x is `pow(x, -1)`).
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2).toArray(); // [4, 9]
 * ```
 * @param x - base
 * @param p - exponent (a number, not a tensor)
 * @throws DTypeError when `p` is not a number
 */
export function pow(x: TensorLike, p: number): Tensor {
  const t = toTensor(x, 'pow', 'x');
  if (typeof p !== 'number') throw new DTypeError('pow', `exponent must be a number, got ${typeof p}`);
  return apply('pow', [t], t.shape, { p });
}

/**
 * Elementwise logistic sigmoid σ(x) = 1 / (1 + e^-x).
 *
 * NOTE: computed as e^x / (1 + e^x) for negative x, so large negative inputs neither overflow
 * e^-x nor lose precision; σ'(x) = σ(x)(1 − σ(x)) is read from the output.
 * @example
 * ```ts
 * sigmoid(tensor([0])).item(); // 0.5
 * ```
 * @param x - input
 */
export function sigmoid(x: TensorLike): Tensor {
  return unary('sigmoid', x);
}

/**
 * Elementwise softplus log(1 + e^x), whose derivative is σ(x).
 *
 * NOTE: a primitive rather than `log(1 + exp(x))` because that composition overflows for
 * x ≳ 710 and loses all precision for x ≲ −37; it is computed as max(x, 0) + log1p(e^−|x|).
 * Cross-entropy on logits (log σ(z) = −softplus(−z)) rests on it.
 * @example
 * ```ts
 * softplus(tensor([0])).item(); // 0.6931… (log 2)
 * ```
 * @param x - input
 */
export function softplus(x: TensorLike): Tensor {
  return unary('softplus', x);
}

/**
 * Elementwise max(x, 0).
 *
 * NOTE: the gradient at exactly 0 is 0, as in PyTorch and TensorFlow; gradient checks sample
 * away from the kink.
 * @example
 * ```ts
 * relu(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 * @param x - input
 */
export function relu(x: TensorLike): Tensor {
  return unary('relu', x);
}

/**
 * Elementwise hyperbolic tangent; tanh'(x) = 1 − tanh²(x) is read from the output.
 * @example
 * ```ts
 * tanh(tensor([0])).item(); // 0
 * ```
 * @param x - input
 */
export function tanh(x: TensorLike): Tensor {
  return unary('tanh', x);
}

/**
 * Matrix product with NumPy's `matmul` semantics: [..., M, K] @ [..., K, N] → [..., M, N],
 * the leading (batch) dimensions broadcast together; a 1-D left operand is a row vector and a
 * 1-D right operand a column vector, whose dimension is removed from the result.
 *
 * Backward: ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G, themselves matmuls with a transposed operand
 * (see {@link matmulT}), summed over broadcast batch dimensions, so the gradient can be
 * differentiated again.
 * @example
 * ```ts
 * matmul(tensor([[1, 2]]), tensor([[3], [4]])).item();   // 11
 * matmul(zeros([5, 2, 3]), zeros([3, 4])).shape;          // [5, 2, 4]
 * matmul(tensor([1, 2]), tensor([[3], [4]])).toArray();   // [11]
 * ```
 * @param a - left operand [..., M, K] (or [K])
 * @param b - right operand [..., K, N] (or [K])
 * @throws ShapeError `matmul: inner dimensions differ: [30,784] @ [783,10]`; for 0-d operands
 * or batch dimensions that cannot be broadcast
 * @throws DTypeError when an operand is not a tensor (`W.matmul(X[0])` passes undefined)
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const x = toTensor(a, 'matmul', 'a');
  const y = toTensor(b, 'matmul', 'b');
  if (x.rank >= 2 && y.rank >= 2) return matmulT(x, y, false, false);
  if (x.rank === 0 || y.rank === 0) {
    throw new ShapeError('matmul', `expected operands of rank ≥ 1, got ${formatShape(x.shape)} @ ${formatShape(y.shape)}`, [x.shape, y.shape]);
  }
  // NumPy's vector cases: a row vector [1, K] on the left, a column [K, 1] on the right.
  const x2 = x.rank === 1 ? reshape(x, [1, x.shape[0]!]) : x;
  const y2 = y.rank === 1 ? reshape(y, [y.shape[0]!, 1]) : y;
  if (x2.shape[x2.rank - 1] !== y2.shape[y2.rank - 2]) {
    throw new ShapeError('matmul', `inner dimensions differ: ${formatShape(x.shape)} @ ${formatShape(y.shape)}`, [x.shape, y.shape]);
  }
  const z = matmulT(x2, y2, false, false);
  const shape = z.shape.filter((_, i) => !((x.rank === 1 && i === z.rank - 2) || (y.rank === 1 && i === z.rank - 1)));
  return reshape(z, shape);
}

/**
 * Matrix product with either operand read transposed (its last two axes swapped), without
 * copying it: op(A)·op(B) with op(X) = Xᵀ where asked, batched over broadcast leading
 * dimensions like {@link matmul}. The backward rules of matmul are written with it (BP2 is
 * `matmulT(w, δ, true, false)`, BP4 `matmulT(δ, a, false, true)`).
 * @example
 * ```ts
 * matmulT(tensor([[1], [2]]), tensor([[3], [4]]), true, false).item(); // 11 = [1,2]·[3,4]
 * ```
 * @param a - left operand, [..., M, K] (or [..., K, M] with `transA`)
 * @param b - right operand, [..., K, N] (or [..., N, K] with `transB`)
 * @param transA - read `a` transposed
 * @param transB - read `b` transposed
 * @throws ShapeError when the inner dimensions differ, an operand has rank < 2, or the batch
 * dimensions cannot be broadcast
 */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const x = toTensor(a, 'matmul', 'a');
  const y = toTensor(b, 'matmul', 'b');
  const ra = x.rank;
  const rb = y.rank;
  if (ra < 2 || rb < 2) {
    throw new ShapeError('matmul', `expected tensors of rank ≥ 2, got ${formatShape(x.shape)} @ ${formatShape(y.shape)}`, [x.shape, y.shape]);
  }
  const [M, K] = transA ? [x.shape[ra - 1]!, x.shape[ra - 2]!] : [x.shape[ra - 2]!, x.shape[ra - 1]!];
  const [K2, N] = transB ? [y.shape[rb - 1]!, y.shape[rb - 2]!] : [y.shape[rb - 2]!, y.shape[rb - 1]!];
  if (K !== K2) throw new ShapeError('matmul', `inner dimensions differ: ${showOperands(x, y, transA, transB)}`, [x.shape, y.shape]);
  // The 2-D product is the training hot path: no batch shapes to work out.
  if (ra === 2 && rb === 2) return apply('matmul', [x, y], [M, N], { transA, transB });
  let batch: number[];
  try {
    // Stryker disable next-line StringLiteral: the op name only reaches the error this call throws, which the catch below replaces
    batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2), 'matmul');
  } catch {
    throw new ShapeError('matmul', `batch dimensions cannot be broadcast: ${showOperands(x, y, transA, transB)}`, [x.shape, y.shape]);
  }
  return apply('matmul', [x, y], [...batch, M, N], { transA, transB });
}

/** `[2,3] @ [4,3]ᵀ`: the operands' shapes, a transposed one marked. */
function showOperands(x: Tensor, y: Tensor, transA: boolean, transB: boolean): string {
  return `${formatShape(x.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(y.shape)}${transB ? 'ᵀ' : ''}`;
}

/**
 * Permutes the axes: output axis `j` is input axis `perm[j]`. Without `perm`, the axes are
 * reversed (a matrix's transpose).
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3]])).shape;               // [3, 1]
 * transpose(zeros([2, 3, 4]), [0, 2, 1]).shape;       // [2, 4, 3]
 * ```
 * @param x - input
 * @param perm - a permutation of `0 … rank−1` (default: reversed)
 * @throws ShapeError when `perm` is not a permutation of the axes
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const t = toTensor(x, 'transpose', 'x');
  // A perm that is not an array (a number, null, an object) is named by the check below, not
  // left to fail in a spread.
  const p = perm === undefined ? t.shape.map((_, i) => t.rank - 1 - i) : Array.isArray(perm) ? [...perm] : null;
  if (p === null || p.length !== t.rank || p.some((v, i) => !Number.isInteger(v) || v < 0 || v >= t.rank || p.indexOf(v) !== i)) {
    throw new ShapeError('transpose', `perm ${Array.isArray(perm) ? formatShape(perm) : String(perm)} is not a permutation of the ${t.rank} axes of ${formatShape(t.shape)}`, [t.shape]);
  }
  return apply('transpose', [t], p.map((i) => t.shape[i]!), { perm: p });
}

/**
 * Same values in a new shape; one dimension may be -1 and is then inferred. The result shares
 * the input's storage.
 * @example
 * ```ts
 * reshape(tensor([1, 2, 3, 4]), [2, -1]).shape; // [2, 2]
 * ```
 * @param x - input
 * @param shape - new dimensions, with the same element count
 * @throws ShapeError when the element counts differ
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const t = toTensor(x, 'reshape', 'x');
  const target = inferShape(t, shape);
  return apply('reshape', [t], target, { shape: target });
}

function inferShape(t: Tensor, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new ShapeError('reshape', `shape must be an array of integers, got ${String(shape)}`);
  const target = [...shape];
  const free = target.indexOf(-1);
  if (free >= 0) {
    if (target.indexOf(-1, free + 1) >= 0) throw new ShapeError('reshape', `only one dimension may be -1, got ${formatShape(shape)}`, [t.shape, shape]);
    const known = sizeOf(target.filter((_, i) => i !== free));
    if (known === 0 || t.size % known !== 0) {
      throw new ShapeError('reshape', `cannot reshape ${formatShape(t.shape)} (${t.size} elements) to ${formatShape(shape)}`, [t.shape, shape]);
    }
    target[free] = t.size / known;
  }
  validateShape(target, 'reshape');
  if (sizeOf(target) !== t.size) {
    throw new ShapeError(
      'reshape',
      `cannot reshape ${formatShape(t.shape)} (${t.size} elements) to ${formatShape(shape)} (${sizeOf(target)} elements)`,
      [t.shape, shape],
    );
  }
  return target;
}

/**
 * Repeats values along broadcast dimensions (NumPy's `broadcast_to`); its backward is the
 * broadcast-reduce that every broadcasting op shares.
 * @example
 * ```ts
 * broadcastTo(tensor([[1], [2]]), [2, 3]).toArray(); // [[1, 1, 1], [2, 2, 2]]
 * ```
 * @param x - input
 * @param shape - a shape `x` broadcasts to
 * @throws ShapeError when `x` does not broadcast to `shape`
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const t = toTensor(x, 'broadcastTo', 'x');
  validateShape(shape, 'broadcastTo');
  const target = broadcastShapes(t.shape, shape, 'broadcastTo');
  if (!shapesEqual(target, shape)) {
    throw new ShapeError('broadcastTo', `shape ${formatShape(t.shape)} cannot be broadcast to ${formatShape(shape)}`, [t.shape, shape]);
  }
  return apply('broadcastTo', [t], target, { shape: target });
}

/**
 * Resolves an `axis` argument (undefined for all axes, one axis, or a list) to sorted
 * non-negative axes.
 * @param t - the tensor reduced
 * @param axis - the argument as given
 * @param op - the caller, named in the error
 * @throws DTypeError when `axis` is neither a number nor an array of integers (a tensor, say)
 * @throws ShapeError when an axis is out of range or repeated
 */
export function resolveAxes(t: Tensor, axis: unknown, op: string): number[] {
  if (axis === undefined) return t.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : Array.isArray(axis) && axis.every((a) => typeof a === 'number') ? (axis as number[]) : null;
  if (list === null) throw new DTypeError(op, `argument 'axis' must be an axis or an array of axes, got ${describeValue(axis)}`);
  const axes = list.map((a) => normalizeAxis(a, t.shape, op));
  if (new Set(axes).size !== axes.length) throw new ShapeError(op, `repeated axis in ${formatShape(list)}`, [t.shape]);
  return axes.sort((p, q) => p - q);
}

export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/**
 * Sum over the given axes (all when omitted), optionally keeping them as size 1.
 *
 * Backward: the gradient is broadcast back over the summed axes.
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]]), 1).toArray(); // [3, 7]
 * ```
 * @param x - input
 * @param axis - an axis, a list of axes, or undefined for all
 * @param keepDims - keep reduced axes as size 1 (default false)
 * @throws ShapeError when an axis is out of range
 */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'sum', 'x');
  const axes = resolveAxes(t, axis, 'sum');
  return apply('sum', [t], reducedShape(t.shape, axes, keepDims), { axes, keepDims });
}

/**
 * Maximum over the given axes (all when omitted).
 *
 * NOTE: where several elements tie for the maximum, the gradient is shared equally among them
 * (as `amax` does in PyTorch), so the rule is symmetric; gradient checks sample away from ties.
 * @example
 * ```ts
 * max(tensor([[1, 5], [7, 2]]), 0).toArray(); // [7, 5]
 * ```
 * @param x - input
 * @param axis - an axis, a list of axes, or undefined for all
 * @param keepDims - keep reduced axes as size 1 (default false)
 * @throws ShapeError when an axis is out of range or empty
 */
export function max(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'max', 'x');
  const axes = resolveAxes(t, axis, 'max');
  if (axes.some((a) => t.shape[a] === 0)) throw new ShapeError('max', `cannot take the maximum of an empty axis of ${formatShape(t.shape)}`, [t.shape]);
  return apply('max', [t], reducedShape(t.shape, axes, keepDims), { axes, keepDims });
}

/**
 * Sums `x` down to `shape`, a shape that broadcasts to `x.shape` (NumPy's "unbroadcast",
 * TF.js `Add_grad`): summed over the leading axes `shape` lacks and over the axes where it has
 * size 1. Every broadcasting op's backward rule ends with it; its own gradient is `broadcastTo`.
 * @example
 * ```ts
 * // a bias [30, 1] added to a batch [30, 10]: its gradient sums over the 10 columns (BP3)
 * sumTo(ones([30, 10]), [30, 1]).shape; // [30, 1]
 * ```
 * @param x - input
 * @param shape - the target shape, which broadcasts to `x.shape`
 * @throws ShapeError when `shape` does not broadcast to `x.shape`
 */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  const t = toTensor(x, 'sumTo', 'x');
  validateShape(shape, 'sumTo');
  const lead = t.rank - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== 1 && d !== t.shape[lead + i])) {
    throw new ShapeError('sumTo', `shape ${formatShape(shape)} does not broadcast to ${formatShape(t.shape)}`, [t.shape, shape]);
  }
  return apply('sumTo', [t], [...shape], { shape: [...shape] });
}

/**
 * Elementwise choice: `a` where `condition` is non-zero, else `b`, all three broadcast
 * together (TF.js `where`, NumPy's `where`). The gradient goes to the branch taken; the
 * condition gets none.
 * @example
 * ```ts
 * where(tensor([1, 0, 1]), tensor([1, 2, 3]), 0).toArray(); // [1, 0, 3]
 * ```
 * @param condition - a 0/1 (or any numeric) tensor; non-zero selects `a`
 * @param a - values where the condition holds
 * @param b - values elsewhere
 * @throws ShapeError when the three shapes cannot be broadcast together
 */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = toTensor(condition, 'where', 'condition');
  const x = toTensor(a, 'where', 'a');
  const y = toTensor(b, 'where', 'b');
  const shape = broadcastShapes(broadcastShapes(c.shape, x.shape, 'where'), y.shape, 'where');
  return apply('where', [c, x, y], shape, null);
}

/**
 * Elementwise sign: −1, 0 or 1 (NaN stays NaN). Piecewise constant: no gradient.
 * @example
 * ```ts
 * sign(tensor([-2, 0, 3])).toArray(); // [-1, 0, 1]
 * ```
 * @param x - input
 */
export function sign(x: TensorLike): Tensor {
  return unary('sign', x);
}

/**
 * Elementwise `a > b` as 1 or 0, with broadcasting; no gradient (a mask).
 * @example
 * ```ts
 * greater(tensor([1, 2, 3]), 2).toArray(); // [0, 0, 1]
 * ```
 * @param a - left operand
 * @param b - right operand
 */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return binary('greater', a, b);
}

/**
 * Elementwise `a >= b` as 1 or 0, with broadcasting; no gradient.
 * @example
 * ```ts
 * greaterEqual(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 1]
 * ```
 * @param a - left operand
 * @param b - right operand
 */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return binary('greaterEqual', a, b);
}

/**
 * Elementwise `a < b` as 1 or 0, with broadcasting; no gradient.
 * @example
 * ```ts
 * less(tensor([1, 2, 3]), 2).toArray(); // [1, 0, 0]
 * ```
 * @param a - left operand
 * @param b - right operand
 */
export function less(a: TensorLike, b: TensorLike): Tensor {
  return binary('less', a, b);
}

/**
 * Elementwise `a <= b` as 1 or 0, with broadcasting; no gradient.
 * @example
 * ```ts
 * lessEqual(tensor([1, 2, 3]), 2).toArray(); // [1, 1, 0]
 * ```
 * @param a - left operand
 * @param b - right operand
 */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return binary('lessEqual', a, b);
}

/**
 * Elementwise `a === b` as 1 or 0, with broadcasting; no gradient.
 * @example
 * ```ts
 * equal(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 0]
 * ```
 * @param a - left operand
 * @param b - right operand
 */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return binary('equal', a, b);
}

function gradOf(name: 'sigmoidGrad' | 'tanhGrad' | 'reluGrad', x: Tensor, g: Tensor): Tensor {
  if (!shapesEqual(x.shape, g.shape)) throw new ShapeError(name, `shapes differ: ${formatShape(x.shape)} and ${formatShape(g.shape)}`, [x.shape, g.shape]);
  return apply(name, [x, g], x.shape, null);
}

/**
 * σ's rule as one kernel: g·y·(1 − y) for y = σ(x). Internal to the rule table.
 * @param y - sigmoid's output
 * @param g - the incoming gradient, shaped like `y`
 */
export function sigmoidGrad(y: Tensor, g: Tensor): Tensor {
  return gradOf('sigmoidGrad', y, g);
}

/**
 * tanh's rule as one kernel: g·(1 − y²) for y = tanh(x). Internal to the rule table.
 * @param y - tanh's output
 * @param g - the incoming gradient, shaped like `y`
 */
export function tanhGrad(y: Tensor, g: Tensor): Tensor {
  return gradOf('tanhGrad', y, g);
}

/**
 * relu's rule as one kernel: g where x > 0, else 0. Internal to the rule table.
 * @param x - relu's input
 * @param g - the incoming gradient, shaped like `x`
 */
export function reluGrad(x: Tensor, g: Tensor): Tensor {
  return gradOf('reluGrad', x, g);
}
