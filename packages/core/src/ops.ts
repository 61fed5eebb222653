/**
 * The differentiable primitives. Each op computes its forward value and, right beside it,
 * passes `record` its local backward rule (the vector–Jacobian product): micrograd's
 * `_backward` closures on whole tensors. Every other op is composed from these (composite.ts)
 * and needs no gradient code of its own.
 */
import { ShapeError, formatShape } from './errors.ts';
import { type Shape, broadcastShapes, broadcastStrides, normalizeAxis, shapesEqual, sizeOf, stridesOf, validateShape } from './shape.ts';
import { broadcastData, reduceData, sumToShape, walkRows } from './broadcast.ts';
import { gemmNN, gemmNT, gemmTN } from './matmul.ts';
import { Tensor, type TensorLike, record, toTensor } from './tensor.ts';

function fromRaw(data: Float64Array, shape: Shape): Tensor {
  return new Tensor(data, shape);
}

// ---------------------------------------------------------------------------------------------
// Broadcasting binary primitives

type BinaryKind = 'add' | 'mul';

function binaryData(a: Tensor, b: Tensor, shape: Shape, kind: BinaryKind): Float64Array {
  const out = new Float64Array(sizeOf(shape));
  const x = a.data;
  const y = b.data;
  if (shapesEqual(a.shape, b.shape)) {
    if (kind === 'add') for (let i = 0; i < out.length; i++) out[i] = x[i]! + y[i]!;
    else for (let i = 0; i < out.length; i++) out[i] = x[i]! * y[i]!;
    return out;
  }
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  let o = 0;
  walkRows(shape, [sa, sb], (off, n, st) => {
    let i = off[0]!;
    let j = off[1]!;
    const si = st[0]!;
    const sj = st[1]!;
    if (kind === 'add') for (let k = 0; k < n; k++, i += si, j += sj) out[o++] = x[i]! + y[j]!;
    else for (let k = 0; k < n; k++, i += si, j += sj) out[o++] = x[i]! * y[j]!;
  });
  return out;
}

/** The gradient `g` (of the broadcast output) summed back to tensor `t`'s shape. */
function unbroadcast(g: Tensor, t: Tensor): Tensor {
  return shapesEqual(g.shape, t.shape) ? g : fromRaw(sumToShape(g.data, g.shape, t.shape), t.shape);
}

/**
 * Elementwise sum with NumPy broadcasting.
 * @example
 * ```ts
 * add(tensor([[1], [2]]), tensor([10, 20])).toArray(); // [[11, 21], [12, 22]]
 * ```
 * @param a - first operand (tensor or number)
 * @param b - second operand (tensor or number)
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a, 'add', 'a');
  const y = toTensor(b, 'add', 'b');
  const shape = broadcastShapes(x.shape, y.shape, 'add');
  // d(x+y)/dx = 1: the gradient passes through, summed over broadcast axes.
  return record(binaryData(x, y, shape, 'add'), shape, 'add', [x, y], (g) => [unbroadcast(g, x), unbroadcast(g, y)]);
}

/**
 * Elementwise product with NumPy broadcasting.
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * ```
 * @param a - first operand (tensor or number)
 * @param b - second operand (tensor or number)
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a, 'mul', 'a');
  const y = toTensor(b, 'mul', 'b');
  const shape = broadcastShapes(x.shape, y.shape, 'mul');
  return record(binaryData(x, y, shape, 'mul'), shape, 'mul', [x, y], (g) => [
    x.requiresGrad ? unbroadcast(mul(g, y), x) : null,
    y.requiresGrad ? unbroadcast(mul(g, x), y) : null,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Elementwise unary primitives. Each backward is g ⊙ f'(x), often written through the output.

function unaryArg(x: unknown, op: string): Tensor {
  return toTensor(x, op, 'x');
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
  const t = unaryArg(x, 'neg');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = -t.data[i]!;
  return record(out, t.shape, 'neg', [t], (g) => [neg(g)]);
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
  const t = unaryArg(x, 'exp');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(t.data[i]!);
  const result = record(out, t.shape, 'exp', [t], (g) => [mul(g, fromRaw(out, t.shape))]);
  return result;
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
  const t = unaryArg(x, 'log');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(t.data[i]!);
  return record(out, t.shape, 'log', [t], (g) => {
    const d = new Float64Array(t.size);
    for (let i = 0; i < d.length; i++) d[i] = g.data[i]! / t.data[i]!;
    return [fromRaw(d, t.shape)];
  });
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
  const t = unaryArg(x, 'abs');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(t.data[i]!);
  return record(out, t.shape, 'abs', [t], (g) => {
    const d = new Float64Array(t.size);
    for (let i = 0; i < d.length; i++) d[i] = g.data[i]! * Math.sign(t.data[i]!);
    return [fromRaw(d, t.shape)];
  });
}

/**
 * Elementwise x^p for a constant exponent p (sqrt is `pow(x, 0.5)`, 1/x is `pow(x, -1)`).
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2).toArray(); // [4, 9]
 * ```
 * @param x - base
 * @param p - exponent (a number, not a tensor)
 */
export function pow(x: TensorLike, p: number): Tensor {
  const t = unaryArg(x, 'pow');
  if (typeof p !== 'number') throw new ShapeError('pow', `exponent must be a number, got ${typeof p}`);
  const out = new Float64Array(t.size);
  if (p === 2) for (let i = 0; i < out.length; i++) out[i] = t.data[i]! * t.data[i]!;
  else for (let i = 0; i < out.length; i++) out[i] = Math.pow(t.data[i]!, p);
  return record(
    out,
    t.shape,
    'pow',
    [t],
    (g) => {
      const d = new Float64Array(t.size);
      // d(x^p)/dx = p·x^(p-1)
      for (let i = 0; i < d.length; i++) d[i] = g.data[i]! * p * Math.pow(t.data[i]!, p - 1);
      return [fromRaw(d, t.shape)];
    },
    { p },
  );
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
  const t = unaryArg(x, 'sigmoid');
  const out = new Float64Array(t.size);
  sigmoidInto(t.data, out);
  return record(out, t.shape, 'sigmoid', [t], (g) => {
    const d = new Float64Array(t.size);
    for (let i = 0; i < d.length; i++) d[i] = g.data[i]! * out[i]! * (1 - out[i]!);
    return [fromRaw(d, t.shape)];
  });
}

/** σ applied elementwise from `src` into `dst`, stable for large |x|. */
export function sigmoidInto(src: Float64Array, dst: Float64Array): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v >= 0) dst[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      dst[i] = e / (1 + e);
    }
  }
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
  const t = unaryArg(x, 'relu');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) {
    const v = t.data[i]!;
    out[i] = v > 0 ? v : 0;
  }
  return record(out, t.shape, 'relu', [t], (g) => {
    const d = new Float64Array(t.size);
    for (let i = 0; i < d.length; i++) d[i] = t.data[i]! > 0 ? g.data[i]! : 0;
    return [fromRaw(d, t.shape)];
  });
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
  const t = unaryArg(x, 'tanh');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.tanh(t.data[i]!);
  return record(out, t.shape, 'tanh', [t], (g) => {
    const d = new Float64Array(t.size);
    for (let i = 0; i < d.length; i++) d[i] = g.data[i]! * (1 - out[i]! * out[i]!);
    return [fromRaw(d, t.shape)];
  });
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
  const t = unaryArg(x, 'softplus');
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) {
    const v = t.data[i]!;
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return record(out, t.shape, 'softplus', [t], (g) => {
    const s = new Float64Array(t.size);
    sigmoidInto(t.data, s);
    for (let i = 0; i < s.length; i++) s[i] = s[i]! * g.data[i]!;
    return [fromRaw(s, t.shape)];
  });
}

// ---------------------------------------------------------------------------------------------
// Linear algebra and shape primitives

function requireMatrix(t: Tensor, op: string, other?: Tensor): void {
  if (t.rank !== 2 || (other !== undefined && other.rank !== 2)) {
    const shown = other ? `${formatShape(t.shape)} @ ${formatShape(other.shape)}` : formatShape(t.shape);
    throw new ShapeError(op, `expected 2-D tensors, got ${shown}`, other ? [t.shape, other.shape] : [t.shape]);
  }
}

/**
 * Matrix product of two 2-D tensors: [M,K] @ [K,N] → [M,N].
 *
 * Backward: ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G, computed by dedicated kernels with no transposed copy.
 * @example
 * ```ts
 * matmul(tensor([[1, 2]]), tensor([[3], [4]])).item(); // 11
 * ```
 * @param a - left matrix [M, K]
 * @param b - right matrix [K, N]
 * @throws ShapeError `matmul: inner dimensions differ: [30,784] @ [783,10]`
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const x = toTensor(a, 'matmul', 'a');
  const y = toTensor(b, 'matmul', 'b');
  requireMatrix(x, 'matmul', y);
  const [M, K] = x.shape as [number, number];
  const [K2, N] = y.shape as [number, number];
  if (K !== K2) {
    throw new ShapeError('matmul', `inner dimensions differ: ${formatShape(x.shape)} @ ${formatShape(y.shape)}`, [x.shape, y.shape]);
  }
  const out = new Float64Array(M * N);
  gemmNN(M, N, K, x.data, y.data, out);
  return record(out, [M, N], 'matmul', [x, y], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (x.requiresGrad) {
      const d = new Float64Array(M * K);
      gemmNT(M, K, N, g.data, y.data, d);
      ga = fromRaw(d, x.shape);
    }
    if (y.requiresGrad) {
      const d = new Float64Array(K * N);
      gemmTN(K, N, M, x.data, g.data, d);
      gb = fromRaw(d, y.shape);
    }
    return [ga, gb];
  });
}

/**
 * Transpose of a 2-D tensor.
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3]])).shape; // [3, 1]
 * ```
 * @param x - a matrix
 */
export function transpose(x: Tensor): Tensor {
  const t = toTensor(x, 'transpose', 'x');
  requireMatrix(t, 'transpose');
  const [R, C] = t.shape as [number, number];
  const out = new Float64Array(R * C);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[j * R + i] = t.data[i * C + j]!;
  return record(out, [C, R], 'transpose', [t], (g) => [transpose(g)]);
}

/**
 * Same values in a new shape; one dimension may be -1 and is then inferred.
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
  // Shares storage: reshape is free, and the values are never written through it.
  return record(t.data, target, 'reshape', [t], (g) => [reshape(g, t.shape)], { shape: target });
}

function inferShape(t: Tensor, shape: Shape): number[] {
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
 * broadcast-reduce every broadcasting op shares.
 * @example
 * ```ts
 * broadcastTo(tensor([[1], [2]]), [2, 3]).toArray(); // [[1, 1, 1], [2, 2, 2]]
 * ```
 * @param x - input
 * @param shape - a shape `x` broadcasts to
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const t = toTensor(x, 'broadcastTo', 'x');
  validateShape(shape, 'broadcastTo');
  const target = broadcastShapes(t.shape, shape, 'broadcastTo');
  if (!shapesEqual(target, shape)) {
    throw new ShapeError('broadcastTo', `shape ${formatShape(t.shape)} cannot be broadcast to ${formatShape(shape)}`, [t.shape, shape]);
  }
  return record(broadcastData(t.data, t.shape, target), target, 'broadcastTo', [t], (g) => [unbroadcast(g, t)], { shape: target });
}

function resolveAxes(t: Tensor, axis: number | readonly number[] | undefined, op: string): number[] {
  if (axis === undefined) return t.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const axes = list.map((a) => normalizeAxis(a, t.shape, op));
  if (new Set(axes).size !== axes.length) throw new ShapeError(op, `repeated axis in ${formatShape(list)}`, [t.shape]);
  return axes.sort((p, q) => p - q);
}

function dropAxes(shape: Shape, axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
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
 */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'sum', 'x');
  const axes = resolveAxes(t, axis, 'sum');
  const r = reduceData(t.data, t.shape, axes, 'sum');
  const shape = keepDims ? r.shape : dropAxes(t.shape, axes);
  return record(r.data, shape, 'sum', [t], (g) => [broadcastTo(reshape(g, r.shape), t.shape)], { axes, keepDims });
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
 */
export function max(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toTensor(x, 'max', 'x');
  const axes = resolveAxes(t, axis, 'max');
  if (axes.some((a) => t.shape[a] === 0)) throw new ShapeError('max', `cannot take the maximum of an empty axis of ${formatShape(t.shape)}`, [t.shape]);
  const r = reduceData(t.data, t.shape, axes, 'max');
  const shape = keepDims ? r.shape : dropAxes(t.shape, axes);
  return record(r.data, shape, 'max', [t], (g) => {
    const m = broadcastData(r.data, r.shape, t.shape);
    const mask = new Float64Array(t.size);
    for (let i = 0; i < mask.length; i++) mask[i] = t.data[i] === m[i] ? 1 : 0;
    const count = reduceData(mask, t.shape, axes, 'sum');
    const share = broadcastData(g.data, r.shape, t.shape);
    const per = broadcastData(count.data, count.shape, t.shape);
    for (let i = 0; i < mask.length; i++) mask[i] = (mask[i]! * share[i]!) / per[i]!;
    return [fromRaw(mask, t.shape)];
  }, { axes, keepDims });
}

/** Strides helper re-exported for kernels that index tensors directly. */
export { stridesOf };
