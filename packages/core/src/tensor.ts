import { AnomalyError, DTypeError, GradError, ShapeError, formatShape } from './errors.ts';
import { type Shape, shapesEqual, sizeOf, validateShape } from './shape.ts';
import { type Rng, createRng, defaultRng } from './random.ts';
import * as ops from './ops.ts';
import * as composite from './composite.ts';
import * as indexing from './indexing.ts';
import * as math from './math.ts';
import * as sampling from './sampling.ts';
import * as conv from './conv.ts';
import type { Conv2dOptions, Pool2dOptions } from './conv.ts';
import { type BackwardOptions, backward as runBackward } from './autograd.ts';
import { type Primitive, primitives } from './primitives.ts';

/** Element type of a tensor's storage. Gradients and gradient checks are always float64. */
export type DType = 'float64';

/** A nested array of numbers, as `tensor()` takes and `toArray()` gives. */
export type NestedArray = number | readonly NestedArray[];

/**
 * A custom op's backward rule: given the gradient of the loss with respect to the op's output,
 * the gradient with respect to each of its inputs, in input order (`null` where none is needed).
 */
export type BackwardRule = (outputGrad: Tensor) => readonly (Tensor | null)[];

/** How a non-leaf tensor was made: the op, its inputs, and how to differentiate it. */
export interface GraphNode {
  /** The op's name, as shown by `toDot` and in error messages. */
  readonly op: string;
  /** The tensors the op read, in argument order. */
  readonly inputs: readonly Tensor[];
  /** The op's parameters (axis, exponent, target shape), shown by `toDot`. */
  readonly attrs: Readonly<Record<string, unknown>> | null;
  /** For a primitive: its table entry (forward kernel and backward rule). */
  readonly primitive?: Primitive<never>;
  /** For a custom op: its user-written vector–Jacobian product. */
  readonly backward?: BackwardRule;
  /** For a custom op: recomputes the output (used when a traced tape replays the graph). */
  readonly recompute?: () => Tensor;
  /**
   * For an op of a gradient's graph: the op whose backward rule made it (`toDot` shows it,
   * so a drawn backward pass says which rule each node came from).
   */
  readonly gradOf?: string;
}

let gradEnabled = true;

/**
 * True unless inside `noGrad`: ops record the graph only when this is on.
 * @example
 * ```ts
 * isGradEnabled();                 // true
 * noGrad(() => isGradEnabled());   // false
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording the graph: results have `requiresGrad: false` and no history.
 * Use it for evaluation and for parameter updates.
 *
 * @example
 * ```ts
 * const w = randn([3, 3], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 * @param fn - the computation to run untracked
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Runs `fn` with graph recording on or off (`noGrad` is `withGradMode(false, fn)`); `grad` and
 * friends turn it on for the function they differentiate, so they work inside `noGrad` too.
 * @example
 * ```ts
 * const y = noGrad(() => withGradMode(true, () => x.mul(2))); // recorded
 * ```
 * @param enabled - record the graph (true) or not
 * @param fn - the computation
 */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

let kernelDepth = 0;
let anomalyChecks = false;

/**
 * Turns anomaly checks on or off (set by `setDetectAnomaly`): every op then checks its forward
 * output, and `backward()` each rule's.
 * @param on - whether to check
 */
export function setAnomalyChecks(on: boolean): void {
  anomalyChecks = on;
}

/** Whether anomaly checks are on. */
export function anomalyChecksOn(): boolean {
  return anomalyChecks;
}

/**
 * With anomaly checks on, called after an op's forward kernel: at the first non-finite value
 * of its output, raises an {@link AnomalyError} naming the op and, when a non-finite value came
 * in through an input (a pixel, a weight), that input and the element.
 * @param op - the op
 * @param inputs - its inputs
 * @param out - its output values
 * @param shape - the output's shape
 * @param values - the inputs' values, when they are not their `data` (a float32 tape's buffers)
 */
export function checkForward(op: string, inputs: readonly Tensor[], out: Float64Array | Float32Array, shape: Shape, values: readonly (Float64Array | Float32Array)[] = inputs.map((x) => x.data)): void {
  const bad = firstNonFinite(out);
  if (bad < 0) return;
  inputs.forEach((x, i) => {
    const d = values[i]!;
    const at = firstNonFinite(d);
    if (at >= 0) throw AnomalyError.carried(op, i, x.name, x.shape, at, d[at]!, x.node === null);
  });
  throw AnomalyError.produced(op, shape, bad, out[bad]!);
}

function firstNonFinite(d: Float64Array | Float32Array): number {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return i;
  return -1;
}

/** A 52-bit fingerprint of the values' bits (two 32-bit FNV-style lanes). */
function fingerprint(d: Float64Array): number {
  const words = new Int32Array(d.buffer, d.byteOffset, d.length * 2);
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 | 0;
  for (let i = 0; i < words.length; i++) {
    const v = words[i]!;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = (Math.imul(h2, 31) + v) | 0;
  }
  return (h1 >>> 0) + (h2 >>> 12) * 4294967296;
}

/**
 * Marks tensors as held by an op of a live graph (a new graph over them starts afresh).
 * @param tensors - the op's inputs and output
 */
function markSaved(tensors: readonly Tensor[]): void {
  for (const t of tensors) t.markSaved();
}

/**
 * Raises a `GradError` when the values of one of `tensors` changed since an op of the graph
 * used them: the rule of `op` would read the new values.
 * @param op - the op whose rule is about to run
 * @param tensors - its inputs, then its output
 */
export function checkUnchanged(op: string, tensors: readonly Tensor[]): void {
  tensors.forEach((t, i) => {
    if (t.changedSinceSaved()) {
      const who = i === tensors.length - 1 ? 'its output' : `input ${i}`;
      const named = t.name !== undefined ? ` (${t.name})` : '';
      throw new GradError(
        op,
        `${who}${named} of shape ${formatShape(t.shape)} was changed in place after ${op} used it, so its gradient would be computed from the new values; ` +
          'run the forward pass again after changing it (or change a copy)',
      );
    }
  });
}
let ruleOwner: string | undefined;

/**
 * Runs a forward kernel: reads of `.data` inside it are the engine's, not raw reads by user
 * code (see {@link watchRawReads}).
 * @param fn - the kernel call
 */
export function runKernel(fn: () => void): void {
  kernelDepth++;
  try {
    fn();
  } finally {
    kernelDepth--;
  }
}

/**
 * Runs a backward rule of op `op`: nodes recorded meanwhile are marked as made by that rule.
 * @param op - the op whose rule runs
 * @param fn - the rule call
 */
export function inRule<T>(op: string, fn: () => T): T {
  const previous = ruleOwner;
  ruleOwner = op;
  try {
    return fn();
  } finally {
    ruleOwner = previous;
  }
}

/**
 * Runs `fn` and reports whether it read the `.data` of any of `tensors` outside an op's kernel
 * (`item()`, `toArray()`, `clone()`, `detach()` and direct reads all count): values read that way
 * leave the graph, so what is computed from them cannot be differentiated again.
 * @param watched - the tensors to watch, each with the label an error would name it by
 * @param fn - the computation
 */
export function watchRawReads<T>(watched: ReadonlyMap<Tensor, string>, fn: () => T): { result: T; read: string | null } {
  let read: string | null = null;
  for (const [t, label] of watched) {
    const data = t.data;
    Object.defineProperty(t, 'data', {
      configurable: true,
      enumerable: false,
      get() {
        if (kernelDepth === 0 && read === null) read = `${label} (shape ${formatShape(t.shape)})`;
        return data;
      },
    });
  }
  try {
    return { result: fn(), read };
  } finally {
    // The class's own getter takes over again.
    for (const t of watched.keys()) delete (t as unknown as { data?: unknown }).data;
  }
}

/** Anything an op accepts where a tensor goes: a tensor, or a number (a 0-d tensor). */
export type TensorLike = Tensor | number;

/**
 * An n-dimensional array of float64 values, row-major and contiguous, that records the ops
 * that made it so `backward()` can compute gradients by reverse-mode autodiff.
 *
 * Create tensors with {@link tensor}, {@link zeros}, {@link ones}, {@link full}, {@link randn}
 * or {@link fromData}; every op is both a method and a function (`a.add(b)` is `add(a, b)`).
 *
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const x = tensor([[1], [1]]);
 * const loss = w.matmul(x).square().sum();
 * loss.backward();
 * w.grad?.toArray(); // [[6, 6], [14, 14]]
 * ```
 */
export class Tensor {
  /** Dimensions, outermost first; `[]` for a scalar. */
  readonly shape: Shape;
  #data: Float64Array;
  /**
   * Set while an op of a live graph holds this tensor: the fingerprint of its values taken at
   * the first raw read after that (`null`: not read since), so `backward()` can tell whether
   * they were changed in place (see {@link checkUnchanged}).
   */
  #saved: { fingerprint: number | null } | null = null;
  /** Number of elements. */
  readonly size: number;
  /** Storage type; always `'float64'` for tensors of the autodiff engine. */
  readonly dtype: DType = 'float64';
  /** Accumulated gradient of the last `backward()` calls, or `null` before any. */
  grad: Tensor | null = null;
  /** Whether ops on this tensor are recorded so gradients can flow back to it. */
  requiresGrad: boolean;
  /** The op that produced this tensor, or `null` for a leaf (created, not computed). */
  readonly node: GraphNode | null;
  /** An optional label, shown by `toDot` and in gradcheck reports. */
  name: string | undefined;
  /** When true, `backward()` also stores `.grad` on this non-leaf tensor. */
  retainsGrad = false;

  /**
   * Low-level constructor; prefer {@link tensor} or {@link fromData}, which validate.
   * @param data - the values; must hold exactly `sizeOf(shape)` elements
   * @param shape - the dimensions
   * @param requiresGrad - record ops for autodiff
   * @param node - the op that produced it (internal)
   */
  constructor(data: Float64Array, shape: Shape, requiresGrad = false, node: GraphNode | null = null) {
    this.#data = data;
    this.size = data.length;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
    this.node = node;
    this.name = undefined;
    // A leaf made while a tape is traced (a number turned into a tensor, the seed) is a
    // constant of the tape: the caller cannot refill it, so what depends only on such leaves
    // is computed once.
    if (node === null && tracer !== null) tracer.constants?.add(this);
  }

  /**
   * The values, row-major and contiguous; writable, for optimizers that update in place.
   *
   * NOTE: changing the values of a tensor that an op of a graph used, then calling `backward()`
   * on that graph, raises a `GradError` (the rule would read the new values and give a wrong
   * gradient). It is seen when the change goes through `.data` read after the op was recorded
   * (as `w.data[0] = 1` or an optimizer's update does); a reference to the array kept from
   * before the forward pass bypasses the check.
   */
  get data(): Float64Array {
    const saved = this.#saved;
    // The first raw read after an op recorded this tensor may be a write: remember the values
    // it sees (reads inside kernels are the engine's own, and change nothing).
    if (saved !== null && saved.fingerprint === null && kernelDepth === 0) saved.fingerprint = fingerprint(this.#data);
    return this.#data;
  }

  /**
   * Marks this tensor as held by an op of a live graph (see `data`).
   * @internal
   */
  markSaved(): void {
    if (this.#saved === null) this.#saved = { fingerprint: null };
    else this.#saved.fingerprint = null;
  }

  /**
   * True when values read raw since an op recorded this tensor have changed.
   * @internal
   */
  changedSinceSaved(): boolean {
    const saved = this.#saved;
    return saved !== null && saved.fingerprint !== null && fingerprint(this.#data) !== saved.fingerprint;
  }

  /** Number of dimensions (0 for a scalar). */
  get rank(): number {
    return this.shape.length;
  }

  /** True for a tensor that was created rather than computed by an op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /**
   * The single value of a one-element tensor.
   * @throws ShapeError when the tensor has more than one element.
   */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError('item', `only one-element tensors convert to a number, got shape ${formatShape(this.shape)}`, [this.shape]);
    }
    return this.data[0]!;
  }

  /** The values as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    return nest(this.data, this.shape, 0, 0);
  }

  /** A tensor sharing this one's values but cut from the graph (`requiresGrad: false`). */
  detach(): Tensor {
    // While a tape is traced, a stop-gradient node keeps the value recomputed on replay.
    if (tracer === null) return new Tensor(this.data, this.shape);
    return new Tensor(this.data, this.shape, false, { op: 'detach', inputs: [this], attrs: null, primitive: primitives.detach as Primitive<never> });
  }

  /** A copy with its own storage and no history. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * Asks `backward()` to keep `.grad` on this intermediate tensor too (PyTorch's
   * `retain_grad`), e.g. to read δ^l = ∂C/∂z^l off the graph. Returns `this`.
   */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Clears `.grad` (gradients accumulate across `backward()` calls until cleared). */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Reverse-mode autodiff from this tensor: fills `.grad` of every leaf with `requiresGrad`
   * that it depends on (adding to what is there).
   * @param seed - ∂L/∂this; may be omitted only for one-element tensors (then 1)
   * @param options - `detectAnomaly` reports the first NaN/Infinity a backward rule produces
   */
  backward(seed?: Tensor, options?: BackwardOptions): void {
    runBackward(this, seed, options);
  }

  /**
   * Elementwise `this + other`, with broadcasting.
   * @param other - the addend (tensor or number), broadcast against `this`
   */
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  /**
   * Elementwise `this - other`, with broadcasting.
   * @param other - the subtrahend (tensor or number), broadcast against `this`
   */
  sub(other: TensorLike): Tensor {
    return composite.sub(this, other);
  }
  /**
   * Elementwise `this * other`, with broadcasting.
   * @param other - the factor (tensor or number), broadcast against `this`
   */
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  /**
   * Elementwise `this / other`, with broadcasting.
   * @param other - the divisor (tensor or number), broadcast against `this`
   */
  div(other: TensorLike): Tensor {
    return composite.div(this, other);
  }
  /** Elementwise `-this`. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** Elementwise e^x. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** Elementwise natural logarithm. */
  log(): Tensor {
    return ops.log(this);
  }
  /** Elementwise square root. */
  sqrt(): Tensor {
    return composite.sqrt(this);
  }
  /** Elementwise absolute value. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** Elementwise x². */
  square(): Tensor {
    return composite.square(this);
  }
  /**
   * Elementwise x^p for a constant exponent p.
   * @param p - the exponent (a number, not a tensor)
   */
  pow(p: number): Tensor {
    return ops.pow(this, p);
  }
  /** Elementwise logistic function 1 / (1 + e^-x). */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** Elementwise log(1 + e^x), computed stably. */
  softplus(): Tensor {
    return ops.softplus(this);
  }
  /** Elementwise max(x, 0). */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /**
   * Matrix product, batched over broadcast leading dimensions (NumPy's `matmul`).
   * @param other - the right operand [..., K, N], with `this` as [..., M, K] (either may be 1-D)
   */
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  /**
   * Permutes the axes (default: reversed, a matrix's transpose).
   * @param perm - output axis `j` is input axis `perm[j]`
   */
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /**
   * Matrix product with either operand read transposed (no copy), batched like `matmul`.
   * @param other - the right operand
   * @param transA - read `this` transposed
   * @param transB - read `other` transposed
   */
  matmulT(other: Tensor, transA: boolean, transB: boolean): Tensor {
    return ops.matmulT(this, other, transA, transB);
  }
  /**
   * 2-D cross-correlation of `this` [N, C, H, W] with filters `w` [F, C, kh, kw] → [N, F, Ho, Wo]
   * (see {@link conv2d}).
   * @param w - filters [F, C, kh, kw]
   * @param options - `stride` (default 1), `padding` (a number, `'same'` or `'valid'`; default 0)
   */
  conv2d(w: Tensor, options?: Conv2dOptions): Tensor {
    return conv.conv2d(this, w, options);
  }
  /**
   * 2-D max pooling of `this` [N, C, H, W], no padding (see {@link maxPool2d}).
   * @param options - `kernel` and `stride` (default: the kernel)
   */
  maxPool2d(options: Pool2dOptions): Tensor {
    return conv.maxPool2d(this, options);
  }
  /**
   * 2-D average pooling of `this` [N, C, H, W], no padding (see {@link avgPool2d}).
   * @param options - `kernel` and `stride` (default: the kernel)
   */
  avgPool2d(options: Pool2dOptions): Tensor {
    return conv.avgPool2d(this, options);
  }
  /** Elementwise sign (−1, 0, 1); no gradient. */
  sign(): Tensor {
    return ops.sign(this);
  }
  /**
   * Elementwise `this > other` as 1/0, with broadcasting; no gradient.
   * @param other - right operand
   */
  greater(other: TensorLike): Tensor {
    return ops.greater(this, other);
  }
  /**
   * Elementwise `this >= other` as 1/0, with broadcasting; no gradient.
   * @param other - right operand
   */
  greaterEqual(other: TensorLike): Tensor {
    return ops.greaterEqual(this, other);
  }
  /**
   * Elementwise `this < other` as 1/0, with broadcasting; no gradient.
   * @param other - right operand
   */
  less(other: TensorLike): Tensor {
    return ops.less(this, other);
  }
  /**
   * Elementwise `this <= other` as 1/0, with broadcasting; no gradient.
   * @param other - right operand
   */
  lessEqual(other: TensorLike): Tensor {
    return ops.lessEqual(this, other);
  }
  /**
   * Elementwise `this === other` as 1/0, with broadcasting; no gradient.
   * @param other - right operand
   */
  equal(other: TensorLike): Tensor {
    return ops.equal(this, other);
  }
  /**
   * Sums down to `shape`, a shape that broadcasts to this one (the reduce of every
   * broadcasting op's gradient).
   * @param shape - the target shape
   */
  sumTo(shape: Shape): Tensor {
    return ops.sumTo(this, shape);
  }
  /**
   * Removes size-1 dimensions (the listed ones, or all).
   * @param axes - axes of size 1 to remove; all when omitted
   */
  squeeze(axes?: readonly number[]): Tensor {
    return indexing.squeeze(this, axes);
  }
  /**
   * Inserts a dimension of size 1 at `axis`.
   * @param axis - where the new axis goes (default 0)
   */
  expandDims(axis = 0): Tensor {
    return indexing.expandDims(this, axis);
  }
  /**
   * Merges the axes from `startAxis` on into one.
   * @param startAxis - the first axis merged (default 0)
   */
  flatten(startAxis = 0): Tensor {
    return indexing.flatten(this, startAxis);
  }
  /**
   * The box starting at `begin`, `size` long per axis (−1: to the end).
   * @param begin - start index per axis
   * @param size - extent per axis (default: to the end)
   */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor {
    return indexing.slice(this, begin, size);
  }
  /**
   * Pads with `value`, `[before, after]` elements per axis.
   * @param paddings - one `[before, after]` pair per axis
   * @param value - fill value (default 0)
   */
  pad(paddings: readonly (readonly [number, number])[], value = 0): Tensor {
    return indexing.pad(this, paddings, value);
  }
  /**
   * The slices `indices` along `axis`.
   * @param indices - integer indices
   * @param axis - the axis indexed (default 0)
   */
  gather(indices: readonly number[] | Int32Array | Tensor, axis = 0): Tensor {
    return indexing.gather(this, indices, axis);
  }
  /**
   * Splits along `axis` into equal parts or parts of the given sizes.
   * @param countOrSizes - number of equal parts, or the size of each
   * @param axis - the axis split (default 0)
   */
  split(countOrSizes: number | readonly number[], axis = 0): Tensor[] {
    return indexing.split(this, countOrSizes, axis);
  }
  /**
   * The slices along `axis`, each with that axis removed.
   * @param axis - the axis taken apart (default 0)
   */
  unstack(axis = 0): Tensor[] {
    return indexing.unstack(this, axis);
  }
  /**
   * Elementwise maximum with broadcasting (ties split the gradient evenly).
   * @param other - second operand
   */
  maximum(other: TensorLike): Tensor {
    return math.maximum(this, other);
  }
  /**
   * Elementwise minimum with broadcasting (ties split the gradient evenly).
   * @param other - second operand
   */
  minimum(other: TensorLike): Tensor {
    return math.minimum(this, other);
  }
  /**
   * Clamps every element to `[lo, hi]`.
   * @param lo - lower bound
   * @param hi - upper bound
   */
  clip(lo: number, hi: number): Tensor {
    return math.clip(this, lo, hi);
  }
  /**
   * Index of the largest element along `axis`; no gradient.
   * @param axis - the axis searched (default 0)
   */
  argmax(axis = 0): Tensor {
    return math.argmax(this, axis);
  }
  /**
   * log Σ exp over `axis` (all axes when omitted), computed stably.
   * @param axis - an axis, a list of axes, or undefined for all
   * @param keepDims - keep reduced axes as size 1 (default false)
   */
  logSumExp(axis?: number | readonly number[], keepDims = false): Tensor {
    return math.logSumExp(this, axis, keepDims);
  }
  /**
   * Population variance over `axis` (all axes when omitted).
   * @param axis - an axis, a list of axes, or undefined for all
   * @param keepDims - keep reduced axes as size 1 (default false)
   */
  variance(axis?: number | readonly number[], keepDims = false): Tensor {
    return math.variance(this, axis, keepDims);
  }
  /** Elementwise sine. */
  sin(): Tensor {
    return math.sin(this);
  }
  /** Elementwise cosine. */
  cos(): Tensor {
    return math.cos(this);
  }
  /** Elementwise log(1 + x), accurate for small x. */
  log1p(): Tensor {
    return math.log1p(this);
  }
  /**
   * Inverted dropout: zeroes elements with probability `rate`, scales the rest by 1/(1 − rate).
   * @param rate - drop probability, in [0, 1)
   * @param options - `seed` or `rng`, `training` (default true)
   */
  dropout(rate: number, options?: sampling.DropoutOptions): Tensor {
    return sampling.dropout(this, rate, options);
  }
  /**
   * Same values, new shape (one dimension may be -1, inferred).
   * @param shape - new dimensions, with the same element count (one may be -1)
   */
  reshape(shape: Shape): Tensor {
    return ops.reshape(this, shape);
  }
  /**
   * Repeats the values along broadcast dimensions to reach `shape`.
   * @param shape - a shape `this` broadcasts to
   */
  broadcastTo(shape: Shape): Tensor {
    return ops.broadcastTo(this, shape);
  }
  /**
   * Sum over `axis` (all axes when omitted).
   * @param axis - an axis, a list of axes, or undefined for all
   * @param keepDims - keep reduced axes as size 1 (default false)
   */
  sum(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axis, keepDims);
  }
  /**
   * Mean over `axis` (all axes when omitted).
   * @param axis - an axis, a list of axes, or undefined for all
   * @param keepDims - keep reduced axes as size 1 (default false)
   */
  mean(axis?: number | readonly number[], keepDims = false): Tensor {
    return composite.mean(this, axis, keepDims);
  }
  /**
   * Maximum over `axis` (all axes when omitted).
   * @param axis - an axis, a list of axes, or undefined for all
   * @param keepDims - keep reduced axes as size 1 (default false)
   */
  max(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axis, keepDims);
  }
  /**
   * Softmax along `axis`, computed stably. For a Dense batch [classes, m] (examples as
   * columns) pass 0: `z.softmax(0)`; the default, the last axis, would mix the examples.
   * @param axis - the axis that sums to 1 (default -1, the last; 0 for a column batch)
   */
  softmax(axis = -1): Tensor {
    return composite.softmax(this, axis);
  }
  /**
   * Log-softmax along `axis`, computed stably. For a Dense batch [classes, m] pass 0.
   * @param axis - the axis whose exp sums to 1 (default -1, the last; 0 for a column batch)
   */
  logSoftmax(axis = -1): Tensor {
    return composite.logSoftmax(this, axis);
  }

  /** A short description: shape, and the op that made it. */
  toString(): string {
    const origin = this.node ? ` op=${this.node.op}` : '';
    return `Tensor(shape=${formatShape(this.shape)}${origin}${this.requiresGrad ? ' requiresGrad' : ''})`;
  }
}

function nest(data: Float64Array, shape: Shape, dim: number, offset: number): NestedArray {
  if (dim === shape.length) return data[offset]!;
  const n = shape[dim]!;
  let stride = 1;
  for (let i = dim + 1; i < shape.length; i++) stride *= shape[i]!;
  const out: NestedArray[] = new Array<NestedArray>(n);
  for (let i = 0; i < n; i++) out[i] = nest(data, shape, dim + 1, offset + i * stride);
  return out;
}

/** Options shared by the tensor factories. */
export interface TensorOptions {
  /** Record ops on this tensor so `backward()` fills its `.grad`. */
  requiresGrad?: boolean;
  /** A label shown by `toDot` and gradcheck reports. */
  name?: string;
  /** The storage type: only 'float64' (the default); anything else is rejected. */
  dtype?: DType;
}

/**
 * Rejects a `dtype` option other than 'float64' (tensors are float64; float32 lives in the
 * training kernels of `createKernels`).
 * @param options - the factory's options
 * @param op - the factory, named in the error
 * @throws DTypeError for any other dtype
 */
export function checkDType(options: unknown, op: string): void {
  const dtype = (options as { dtype?: unknown } | undefined)?.dtype;
  if (dtype !== undefined && dtype !== 'float64') {
    throw new DTypeError(op, `dtype ${typeof dtype === 'string' ? `'${dtype}'` : describe(dtype)} is not supported: tensors are 'float64' (float32 training runs on createKernels)`);
  }
}

function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad = true;
  if (options?.name !== undefined) t.name = options.name;
  return t;
}

/**
 * Creates a tensor from a number (a 0-d tensor) or a nested array of numbers.
 *
 * NOTE: the nested array is walked with a loop, not recursion, so any nesting depth works.
 *
 * @example
 * ```ts
 * const a = tensor(2.0, { requiresGrad: true });   // shape []
 * const m = tensor([[1, 2, 3], [4, 5, 6]]);          // shape [2, 3]
 * ```
 * @param value - a number or a rectangular nested array of numbers
 * @param options - `requiresGrad`, `name`
 * @throws ShapeError for ragged or self-containing arrays and more elements than a tensor holds;
 *   DTypeError for non-numbers
 */
export function tensor(value: NestedArray, options?: TensorOptions): Tensor {
  checkDType(options, 'tensor');
  const shape: number[] = [];
  const seen = new Set<unknown>();
  let probe: NestedArray = value;
  while (Array.isArray(probe)) {
    if (seen.has(probe)) throw new ShapeError('tensor', `the nested array contains itself (at depth ${shape.length})`);
    seen.add(probe);
    shape.push(probe.length);
    probe = (probe as readonly NestedArray[])[0] ?? 0;
  }
  validateShape(shape, 'tensor');
  const data = storageFor(shape, 'tensor');
  const rank = shape.length;
  // idx[d] is the position within the array entered at depth d; a path is built only for errors.
  const idx = new Array<number>(rank).fill(0);
  const arrays = new Array<readonly NestedArray[]>(rank);
  const pathTo = (depth: number): string => idx.slice(0, depth).map((i) => `[${i}]`).join('') || 'top level';
  const leaf = (v: unknown, depth: number): number => {
    if (Array.isArray(v)) throw new ShapeError('tensor', `ragged nested array: expected a number at ${pathTo(depth)}, got ${describe(v)}`, [shape]);
    if (typeof v !== 'number') throw new DTypeError('tensor', `expected a number at ${pathTo(depth)}, got ${describe(v)}`);
    return v;
  };
  const enter = (v: unknown, depth: number): void => {
    if (!Array.isArray(v)) throw new ShapeError('tensor', `ragged nested array: expected an array of length ${shape[depth]} at ${pathTo(depth)}, got ${describe(v)}`, [shape]);
    if (v.length !== shape[depth]) throw new ShapeError('tensor', `ragged nested array: expected length ${shape[depth]} at ${pathTo(depth)}, got ${v.length}`, [shape]);
    arrays[depth] = v as readonly NestedArray[];
    idx[depth] = 0;
  };
  if (rank === 0) {
    data[0] = leaf(value, 0);
    return finish(new Tensor(data, shape), options);
  }
  enter(value, 0);
  let k = 0;
  let depth = 0;
  while (depth >= 0) {
    if (idx[depth] === shape[depth]) {
      depth--;
      if (depth >= 0) idx[depth]!++;
      continue;
    }
    const child = arrays[depth]![idx[depth]!];
    if (depth === rank - 1) {
      data[k++] = leaf(child, rank);
      idx[depth]!++;
      continue;
    }
    enter(child, depth + 1);
    depth++;
  }
  return finish(new Tensor(data, shape), options);
}

// A zeroed buffer for a validated shape; a failed allocation (beyond the machine's memory)
// becomes a ShapeError naming the shape instead of V8's bare "Array buffer allocation failed".
function storageFor(shape: Shape, op: string): Float64Array {
  const n = sizeOf(shape);
  try {
    return new Float64Array(n);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ShapeError(op, `shape ${formatShape(shape)} needs ${n} float64 values (${((n * 8) / 1e9).toFixed(1)} GB), which could not be allocated (${error.message})`, [shape]);
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v !== null && typeof v === 'object') {
    const name = (v as { constructor?: { name?: string } }).constructor?.name;
    return name !== undefined && name !== 'Object' ? name : 'object';
  }
  return v === null ? 'null' : typeof v;
}

/**
 * Wraps existing float64 storage (not copied) as a tensor of the given shape.
 *
 * @example
 * ```ts
 * const x = fromData(new Float64Array([1, 2, 3, 4, 5, 6]), [3, 2]);
 * ```
 * @param data - the values, row-major; the tensor shares this buffer
 * @param shape - the dimensions; their product must equal `data.length`
 * @param options - `requiresGrad`, `name`
 * @throws DTypeError when `data` is not a Float64Array; ShapeError when sizes differ
 */
export function fromData(data: Float64Array, shape: Shape, options?: TensorOptions): Tensor {
  if (!(data instanceof Float64Array)) {
    const kind = (data as unknown as { constructor?: { name?: string } })?.constructor?.name ?? typeof data;
    throw new DTypeError('fromData', `expected a Float64Array, got ${kind}`);
  }
  checkDType(options, 'fromData');
  validateShape(shape, 'fromData');
  if (sizeOf(shape) !== data.length) {
    throw new ShapeError('fromData', `shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, data has ${data.length}`, [shape]);
  }
  return finish(new Tensor(data, shape), options);
}

/**
 * A tensor of the given shape filled with `value`.
 * @example
 * ```ts
 * full([2, 2], 0.5).toArray(); // [[0.5, 0.5], [0.5, 0.5]]
 * ```
 * @param shape - the dimensions
 * @param value - the fill value
 * @param options - `requiresGrad`, `name`
 */
export function full(shape: Shape, value: number, options?: TensorOptions): Tensor {
  checkDType(options, 'full');
  validateShape(shape, 'full');
  const data = storageFor(shape, 'full');
  if (!Object.is(value, 0)) data.fill(value);
  return finish(new Tensor(data, shape), options);
}

/**
 * A tensor of zeros.
 * @example
 * ```ts
 * const b = zeros([30, 1], { requiresGrad: true });
 * ```
 * @param shape - the dimensions
 * @param options - `requiresGrad`, `name`
 */
export function zeros(shape: Shape, options?: TensorOptions): Tensor {
  checkDType(options, 'zeros');
  return full(shape, 0, options);
}

/**
 * A tensor of ones.
 * @example
 * ```ts
 * ones([3]).toArray(); // [1, 1, 1]
 * ```
 * @param shape - the dimensions
 * @param options - `requiresGrad`, `name`
 */
export function ones(shape: Shape, options?: TensorOptions): Tensor {
  checkDType(options, 'ones');
  return full(shape, 1, options);
}

/** Options of {@link randn}. */
export interface RandnOptions extends TensorOptions {
  /** Seed for a private generator; without it the global one (see `manualSeed`) is used. */
  seed?: number;
  /** A generator to draw from (takes precedence over `seed`). */
  rng?: Rng;
  /** Standard deviation of the samples (default 1). */
  std?: number;
  /** Mean of the samples (default 0). */
  mean?: number;
}

/**
 * A tensor of independent normal samples, N(mean, std²), from a seeded generator.
 *
 * @example
 * ```ts
 * const w = randn([30, 784], { seed: 1, std: 1 / Math.sqrt(784), requiresGrad: true });
 * ```
 * @param shape - the dimensions
 * @param options - `seed` or `rng`, `mean`, `std`, `requiresGrad`, `name`
 */
export function randn(shape: Shape, options?: RandnOptions): Tensor {
  checkDType(options, 'randn');
  validateShape(shape, 'randn');
  const rng = options?.rng ?? (options?.seed !== undefined ? createRng(options.seed) : defaultRng());
  const std = options?.std ?? 1;
  const mean = options?.mean ?? 0;
  const draw = (): Float64Array => {
    const data = storageFor(shape, 'randn');
    for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
    return data;
  };
  // While a tape is traced, samples that are not a parameter are drawn again on every replay.
  if (tracer !== null && options?.requiresGrad !== true) {
    return finish(record(draw(), shape, { op: 'randn', inputs: [], attrs: { mean, std }, recompute: () => new Tensor(draw(), shape) }), options);
  }
  return finish(new Tensor(draw(), shape), options);
}

/**
 * Turns a number into a 0-d tensor and rejects anything that is neither.
 * @param x - a tensor or a number
 * @param op - the caller, named in the error
 * @param arg - the argument's name, named in the error
 */
export function toTensor(x: unknown, op: string, arg: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return new Tensor(new Float64Array([x]), []);
  // NOTE: `X[0]` on a Tensor is undefined (a tensor is not an array): say how to take a row.
  const hint = x === undefined ? ' (indexing a Tensor like an array gives undefined: take a row with slice(x, [i], [1]) or gather(x, [i]))' : '';
  throw new DTypeError(op, `argument '${arg}' must be a Tensor or a number, got ${describe(x)}${hint}`);
}

/**
 * Asserts that two tensors have equal shapes (used where broadcasting is not allowed).
 * @param a - first tensor
 * @param b - second tensor
 * @param op - the caller, named in the error
 */
export function assertSameShape(a: Tensor, b: Tensor, op: string): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(op, `shapes differ: ${formatShape(a.shape)} and ${formatShape(b.shape)}`, [a.shape, b.shape]);
  }
}

/** Where ops get their output buffers while a tape is being traced (see `trace`). */
export interface Tracer {
  /**
   * Allocates a zeroed buffer of `n` float64 values.
   * @param n - number of elements
   */
  allocate(n: number): Float64Array;
  /** Collects the leaves created while tracing (constants of the tape). */
  readonly constants?: Set<Tensor>;
}

let tracer: Tracer | null = null;

/** The tracer in force, or `null` outside `trace`. */
export function activeTracer(): Tracer | null {
  return tracer;
}

/**
 * Runs `fn` with `t` as the tracer: every op records its node, even without requiresGrad.
 * @param t - the tracer to install
 * @param fn - the computation to trace
 */
export function withTracer<T>(t: Tracer, fn: () => T): T {
  const previous = tracer;
  tracer = t;
  try {
    return fn();
  } finally {
    tracer = previous;
  }
}

/**
 * A zeroed output buffer: from the tracer's allocator while tracing, else a fresh array.
 * @param n - number of elements
 */
export function allocate(n: number): Float64Array {
  return tracer ? tracer.allocate(n) : new Float64Array(n);
}

/**
 * Makes the output tensor of an op. When grad mode is on and an input requires grad, or while
 * a tape is traced, it records the node that `backward()` (or the tape) will walk.
 * @param data - the output's values
 * @param shape - the output's shape
 * @param node - the op, its inputs and how to differentiate it
 */
export function record(data: Float64Array, shape: Shape, node: GraphNode): Tensor {
  let needs = false;
  // A primitive without a derivative (a comparison, sign) starts no gradient path.
  if (gradEnabled && node.primitive?.vjp !== null) for (const t of node.inputs) if (t.requiresGrad) needs = true;
  if (!needs && tracer === null) return new Tensor(data, shape);
  const out = new Tensor(data, shape, needs, ruleOwner === undefined ? node : { ...node, gradOf: ruleOwner });
  // A tape replays into its buffers by design; only eager graphs guard their values.
  if (needs && tracer === null) {
    markSaved(node.inputs);
    out.markSaved();
  }
  return out;
}
