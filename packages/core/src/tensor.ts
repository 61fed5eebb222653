import { DTypeError, ShapeError, formatShape } from './errors.ts';
import { type Shape, shapesEqual, sizeOf, validateShape } from './shape.ts';
import { type Rng, createRng, defaultRng } from './random.ts';
import * as ops from './ops.ts';
import * as composite from './composite.ts';
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
      enumerable: true,
      get() {
        if (kernelDepth === 0 && read === null) read = `${label} (shape ${formatShape(t.shape)})`;
        return data;
      },
    });
  }
  try {
    return { result: fn(), read };
  } finally {
    for (const t of watched.keys()) {
      const data = t.data;
      Object.defineProperty(t, 'data', { configurable: true, enumerable: true, writable: true, value: data });
    }
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
  /** The values, row-major and contiguous; writable, for optimizers that update in place. */
  readonly data: Float64Array;
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
    this.data = data;
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
   * Matrix product of two 2-D tensors.
   * @param other - the right matrix [K, N], with `this` as [M, K]
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
   * Matrix product with either operand read transposed (no copy).
   * @param other - the right matrix
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
   * Softmax along `axis`, computed stably.
   * @param axis - the axis that sums to 1 (default -1, the last)
   */
  softmax(axis = -1): Tensor {
    return composite.softmax(this, axis);
  }
  /**
   * Log-softmax along `axis`, computed stably.
   * @param axis - the axis whose exp sums to 1 (default -1, the last)
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
}

function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad = true;
  if (options?.name !== undefined) t.name = options.name;
  return t;
}

/**
 * Creates a tensor from a number (a 0-d tensor) or a nested array of numbers.
 *
 * @example
 * ```ts
 * const a = tensor(2.0, { requiresGrad: true });   // shape []
 * const m = tensor([[1, 2, 3], [4, 5, 6]]);          // shape [2, 3]
 * ```
 * @param value - a number or a rectangular nested array of numbers
 * @param options - `requiresGrad`, `name`
 * @throws ShapeError for ragged arrays; DTypeError for non-numbers
 */
export function tensor(value: NestedArray, options?: TensorOptions): Tensor {
  const shape: number[] = [];
  let probe: NestedArray = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = (probe as readonly NestedArray[])[0] ?? 0;
  }
  const data = new Float64Array(sizeOf(shape));
  let k = 0;
  const fill = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new ShapeError('tensor', `ragged nested array: expected a number at ${path || 'top level'}, got ${describe(v)}`, [shape]);
      if (typeof v !== 'number') throw new DTypeError('tensor', `expected a number at ${path || 'top level'}, got ${describe(v)}`);
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v)) throw new ShapeError('tensor', `ragged nested array: expected an array of length ${shape[dim]} at ${path || 'top level'}, got ${describe(v)}`, [shape]);
    const arr = v as readonly NestedArray[];
    if (arr.length !== shape[dim]) {
      throw new ShapeError('tensor', `ragged nested array: expected length ${shape[dim]} at ${path || 'top level'}, got ${arr.length}`, [shape]);
    }
    for (let i = 0; i < arr.length; i++) fill(arr[i]!, dim + 1, `${path}[${i}]`);
  };
  fill(value, 0, '');
  return finish(new Tensor(data, shape), options);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
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
  validateShape(shape, 'full');
  return finish(new Tensor(new Float64Array(sizeOf(shape)).fill(value), shape), options);
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
  validateShape(shape, 'randn');
  const rng = options?.rng ?? (options?.seed !== undefined ? createRng(options.seed) : defaultRng());
  const std = options?.std ?? 1;
  const mean = options?.mean ?? 0;
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
  return finish(new Tensor(data, shape), options);
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
  throw new DTypeError(op, `argument '${arg}' must be a Tensor or a number, got ${describe(x)}`);
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
  return new Tensor(data, shape, needs, ruleOwner === undefined ? node : { ...node, gradOf: ruleOwner });
}
