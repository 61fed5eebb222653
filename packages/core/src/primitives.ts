/**
 * The differentiable primitives, one table entry each: the forward kernel (a loop over
 * buffers) and, beside it, the backward rule: the vector–Jacobian product written in tensor
 * ops, which have rules of their own. So a gradient is itself a graph: it can be
 * differentiated again (`createGraph`, `grad` of `grad`, `hvp`), drawn by `toDot`, and traced
 * into a tape whose replay runs only the forward kernels. Every other op is composed from
 * these (composite.ts) and needs no gradient code of its own.
 *
 * The table's type lists every primitive: one without a rule does not compile. A rule of
 * `null` marks a primitive without a derivative (comparisons, `sign`, `detach`): its output
 * never requires grad.
 */
import type { Shape } from './shape.ts';
import { broadcastStrides, keptShape, shapesEqual, sizeOf, stridesOf } from './shape.ts';
import { addReduced, broadcastInto, walkRows } from './broadcast.ts';
import { gemm, scratchArena } from './gemm-dispatch.ts';
import { arenaOf } from './backend.ts';
import type { Tensor } from './tensor.ts';
// Rules call ops at run time only, so the import cycle (ops.ts reads this table) is harmless.
import * as ops from './ops.ts';
import { div, sub } from './composite.ts';
import { type GatherAttrs, concatKernel, gatherKernel, gatherRows, padFrame, padKernel, scatterAdd, scatterAddKernel, sliceBox, sliceKernel } from './indexing.ts';
import { argmaxKernel, cos, sin } from './math.ts';
import * as conv from './conv.ts';
import type { ConvAttrs, PoolAttrs } from './conv.ts';

/** Parameters of each primitive (what its kernels need besides the input values). */
export interface PrimitiveAttrs {
  add: null;
  mul: null;
  neg: null;
  exp: null;
  log: null;
  abs: null;
  pow: { readonly p: number };
  sigmoid: null;
  softplus: null;
  relu: null;
  tanh: null;
  sigmoidGrad: null;
  tanhGrad: null;
  reluGrad: null;
  matmul: { readonly transA: boolean; readonly transB: boolean };
  conv2d: ConvAttrs;
  conv2dBackpropInput: ConvAttrs & { readonly xShape: Shape };
  conv2dBackpropFilter: ConvAttrs & { readonly wShape: Shape };
  maxPool2d: PoolAttrs;
  maxPool2dGrad: PoolAttrs;
  maxPool2dGather: PoolAttrs;
  avgPool2d: PoolAttrs;
  avgPool2dGrad: PoolAttrs & { readonly xShape: Shape };
  transpose: { readonly perm: readonly number[] };
  reshape: { readonly shape: Shape };
  detach: null;
  broadcastTo: { readonly shape: Shape };
  sumTo: { readonly shape: Shape };
  sum: { readonly axes: readonly number[]; readonly keepDims: boolean };
  max: { readonly axes: readonly number[]; readonly keepDims: boolean };
  where: null;
  sign: null;
  greater: null;
  greaterEqual: null;
  less: null;
  lessEqual: null;
  equal: null;
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  pad: { readonly paddings: readonly (readonly [number, number])[]; readonly value: number };
  concat: { readonly axis: number };
  gather: GatherAttrs;
  scatterAdd: GatherAttrs & { readonly size: number };
  argmax: { readonly axis: number };
  sin: null;
  cos: null;
  log1p: null;
}

/** Name of a primitive op. */
export type PrimitiveName = keyof PrimitiveAttrs;

/** Everything a kernel sees: input values and shapes, the output buffer and shape, the attrs. */
export interface KernelArgs<A> {
  readonly x: readonly Float64Array[];
  readonly shapes: readonly Shape[];
  readonly out: Float64Array;
  readonly outShape: Shape;
  readonly attrs: A;
}

/** What a backward rule sees: the op's input tensors, its output tensor and its attrs. */
export interface RuleContext<A> {
  /** The op's inputs, as graph tensors (a rule that uses them stays differentiable). */
  readonly inputs: readonly Tensor[];
  /** The op's output (σ' = σ(1 − σ) is read from it). */
  readonly out: Tensor;
  /** The op's attributes. */
  readonly attrs: A;
}

/**
 * A vector–Jacobian product in tensor ops: from `g` = ∂L/∂out, ∂L/∂(input `i`), shaped like
 * that input, or `null` where no gradient flows to it (where's condition).
 */
export type Rule<A> = (i: number, g: Tensor, c: RuleContext<A>) => Tensor | null;

/** One primitive: forward kernel and backward rule side by side. */
export interface Primitive<A> {
  /**
   * Computes the output into `k.out`.
   * @param k - inputs, output buffer, shapes and attrs
   */
  forward(k: KernelArgs<A>): void;
  /** The backward rule, or `null` for a primitive without a derivative. */
  readonly vjp: Rule<A> | null;
  /** The output shares input 0's storage (no copy): reshape, detach. */
  readonly view?: boolean;
}

/** A unary elementwise primitive from its value loop and its rule. */
function unary<A>(forward: (x: Float64Array, out: Float64Array, attrs: A) => void, vjp: Rule<A> | null): Primitive<A> {
  return { forward: (k) => forward(k.x[0]!, k.out, k.attrs), vjp };
}

// Cephes' exp (as matmul.wat's sigmoid_f64): ln 2 in two parts, e^r = (q + p)/(q − p).
const LOG2E = 1.4426950408889634073599;
const LN2_HI = 6.93145751953125e-1;
const LN2_LO = 1.42860682030941723212e-6;
const P0 = 1.26177193074810590878e-4;
const P1 = 3.02994407707441961300e-2;
const P2 = 9.99999999999999999910e-1;
const Q0 = 3.00198505138664455042e-6;
const Q1 = 2.52448340349684104192e-3;
const Q2 = 2.27265548208155028766e-1;
const Q3 = 2.00000000000000000009;
/** 2^−i for i in [0, 538], each exact (halving is). */
const POW2 = new Float64Array(539);
for (let i = 0, v = 1; i < POW2.length; i++, v /= 2) POW2[i] = v;

/**
 * The stable logistic function σ(v) = 1/(1 + e^−v), as the SIMD kernel computes it (the same
 * operations in the same order, so both give identical bits): e^x for x = max(−|v|, −746) by
 * Cephes' exp, 2^fn in two factors that stay normal, then with A = q − p and B = e^x·A,
 * σ = A/(A + B) for v ≥ 0 and B/(A + B) below. Nothing overflows; σ(−∞) = 0, σ(∞) = 1.
 * @param v - any real number
 */
export function sigmoidValue(v: number): number {
  if (v !== v) return v;
  const x = Math.max(-Math.abs(v), -746);
  const fn = Math.floor(x * LOG2E + 0.5);
  const r = x - fn * LN2_HI - fn * LN2_LO;
  const rr = r * r;
  const p = r * ((P0 * rr + P1) * rr + P2);
  const q = ((Q0 * rr + Q1) * rr + Q2) * rr + Q3;
  const h = fn >> 1;
  const A = q - p;
  const B = (q + p) * POW2[-h]! * POW2[h - fn]!;
  return (v >= 0 ? A : B) / (A + B);
}

// Below this many elements σ runs in TypeScript; above, on copies in a SIMD scratch arena (the
// copies cost ~1/10 of the loop's Math work at chapter 6's [10, 20, 24, 24]).
const SIGMOID_COPY_MIN = 512;

/** out = σ(x): in place by the SIMD kernel when both live in one arena, on copies when large. */
function sigmoidInto(x: Float64Array, out: Float64Array): void {
  const n = out.length;
  const arena = arenaOf(x, out, out);
  if (arena !== null) return arena.sigmoid_f64(x, out);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the route changes no bit: the kernel on copies and sigmoidValue give identical results (sigmoid.test.ts)
  const copy = n >= SIGMOID_COPY_MIN ? scratchArena(8 * n + 64) : null;
  // Stryker disable next-line BlockStatement: without the copy route the TypeScript loop below gives the same bits
  if (copy !== null) {
    const v = copy.f64(n);
    v.set(x.subarray(0, n));
    copy.sigmoid_f64(v, v);
    out.set(v);
    return;
  }
  // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
  for (let i = 0; i < n; i++) out[i] = sigmoidValue(x[i]!);
}

type BinaryKind = 'add' | 'mul' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal';

function combine(kind: BinaryKind, a: Float64Array, i: number, b: Float64Array, j: number, out: Float64Array, o: number, n: number, si: number, sj: number): void {
  // One loop per kind, so the inner loop has no branch on the kind.
  switch (kind) {
    case 'add':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! + b[j]!;
      return;
    case 'mul':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! * b[j]!;
      return;
    case 'greater':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! > b[j]! ? 1 : 0;
      return;
    case 'greaterEqual':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! >= b[j]! ? 1 : 0;
      return;
    case 'less':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! < b[j]! ? 1 : 0;
      return;
    case 'lessEqual':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! <= b[j]! ? 1 : 0;
      return;
    case 'equal':
      for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! === b[j]! ? 1 : 0;
      return;
  }
}

function binaryForward(k: KernelArgs<null>, kind: BinaryKind): void {
  const [a, b] = k.x as [Float64Array, Float64Array];
  const out = k.out;
  const n = out.length;
  if (a.length === n && b.length === n) return combine(kind, a, 0, b, 0, out, 0, n, 1, 1);
  // A tensor and a scalar (1 − σ, 2·x, x > 0): one loop.
  if (b.length === 1 && a.length === n) return combine(kind, a, 0, b, 0, out, 0, n, 1, 0);
  if (a.length === 1 && b.length === n) return combine(kind, a, 0, b, 0, out, 0, n, 0, 1);
  const shape = k.outShape;
  const sa = k.shapes[0]!;
  const sb = k.shapes[1]!;
  // A matrix and a column broadcast along its rows (a bias added to a batch): a loop per row.
  // Stryker disable next-line BlockStatement: removes the column fast path; the general walk gives the same values
  if (shape.length === 2 && sa.length === 2 && sb.length === 2 && (a.length === n) !== (b.length === n)) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the wrong choice is the output's own [R, C], which passes the column test below only if C = 1, a case a scalar path above took, so the fast path is only refused and the walk gives the same values
    const colShape = a.length === n ? sb : sa;
    // Stryker disable next-line EqualityOperator,LogicalOperator,BlockStatement: the other operand is 2-D and not full, so with R rows it is an R × 1 column and as 1 × 1 it took a scalar path above; these only refuse the fast path, and the walk gives the same values
    if (colShape[0] === shape[0] && colShape[1] === 1) {
      const cols = shape[1]!;
      const colFirst = a.length !== n;
      for (let r = 0; r < shape[0]!; r++) {
        if (colFirst) combine(kind, a, r, b, r * cols, out, r * cols, cols, 0, 1);
        else combine(kind, a, r * cols, b, r, out, r * cols, cols, 1, 0);
      }
      return;
    }
  }
  walkRows(shape, [broadcastStrides(sa, shape), broadcastStrides(sb, shape), stridesOf(shape)], (off, len, st) => {
    combine(kind, a, off[0]!, b, off[1]!, out, off[2]!, len, st[0]!, st[1]!);
  });
}

/** A comparison: 0/1 output, no derivative. */
function comparison(kind: BinaryKind): Primitive<null> {
  return { forward: (k) => binaryForward(k, kind), vjp: null };
}

/** Sums `g` back to the shape of input `i` when that input was broadcast (every broadcasting op's rule ends here). */
function unbroadcast(g: Tensor, shape: Shape): Tensor {
  return shapesEqual(g.shape, shape) ? g : ops.sumTo(g, shape);
}

function reductionKept(g: Tensor, c: RuleContext<{ readonly axes: readonly number[]; readonly keepDims: boolean }>): Tensor {
  const kept = keptShape(c.inputs[0]!.shape, c.attrs.axes);
  return shapesEqual(g.shape, kept) ? g : ops.reshape(g, kept);
}

function transposeInto(x: Float64Array, shape: Shape, perm: readonly number[], out: Float64Array): void {
  // Stryker disable next-line BlockStatement: removes the 2-D fast path; the general walk gives the same values
  if (shape.length === 2 && perm[0] === 1) {
    const [R, C] = shape as [number, number];
    // In blocks of 16 columns, so that the strided writes stay within a few cache lines.
    for (let j0 = 0; j0 < C; j0 += 16) {
      const j1 = Math.min(C, j0 + 16);
      for (let i = 0; i < R; i++) for (let j = j0; j < j1; j++) out[j * R + i] = x[i * C + j]!;
    }
    return;
  }
  // Walk the output in order, reading the input through permuted strides.
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  walkRows(outShape, [perm.map((p) => inStrides[p]!), stridesOf(outShape)], (off, n, st) => {
    let i = off[0]!;
    let o = off[1]!;
    const s = st[0]!;
    // Stryker disable next-line EqualityOperator: the extra write lands on the next output row's first element (written next) or past the typed array's end
    for (let c = 0; c < n; c++, i += s) out[o++] = x[i]!;
  });
}

function matmulDims(k: KernelArgs<{ readonly transA: boolean; readonly transB: boolean }>): [number, number, number] {
  const sa = k.shapes[0]!;
  const sb = k.shapes[1]!;
  const a0 = sa[sa.length - 2]!;
  const a1 = sa[sa.length - 1]!;
  const b0 = sb[sb.length - 2]!;
  const b1 = sb[sb.length - 1]!;
  const M = k.attrs.transA ? a1 : a0;
  const K = k.attrs.transA ? a0 : a1;
  const N = k.attrs.transB ? b0 : b1;
  return [M, N, K];
}

/** One 2-D product op(A)·op(B) into C: the kernels read transposes in place, no copies. */
function gemm2d(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, transA: boolean, transB: boolean): void {
  if (!transA) gemm(transB ? 'NT' : 'NN', M, N, K, A, B, C, false);
  // Stryker disable next-line StringLiteral: gemm runs any layout other than 'NN' and 'NT' as 'TN'
  else if (!transB) gemm('TN', M, N, K, A, B, C, false);
  else {
    // Aᵀ·Bᵀ = (B·A)ᵀ; no rule produces it, only a direct call.
    const t = new Float64Array(M * N);
    // Stryker disable next-line BooleanLiteral: t is fresh zeros, so accumulating adds +0 to sums that are never −0 (they start from +0)
    gemm('NN', N, M, K, B, A, t, false);
    transposeInto(t, [N, M], [1, 0], C);
  }
}

/** A batched product: one 2-D gemm per batch element, on subarray views, batch dims broadcast. */
function batchedMatmul(k: KernelArgs<{ readonly transA: boolean; readonly transB: boolean }>, M: number, N: number, K: number): void {
  const [A, B] = k.x as [Float64Array, Float64Array];
  const batch = k.outShape.slice(0, -2);
  const sa = broadcastStrides(k.shapes[0]!.slice(0, -2), batch);
  const sb = broadcastStrides(k.shapes[1]!.slice(0, -2), batch);
  const count = sizeOf(batch);
  const idx = new Array<number>(batch.length).fill(0);
  for (let n = 0; n < count; n++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < batch.length; d++) {
      ia += idx[d]! * sa[d]!;
      ib += idx[d]! * sb[d]!;
    }
    gemm2d(M, N, K, A.subarray(ia * M * K, (ia + 1) * M * K), B.subarray(ib * K * N, (ib + 1) * K * N), k.out.subarray(n * M * N, (n + 1) * M * N), k.attrs.transA, k.attrs.transB);
    // Stryker disable next-line ArithmeticOperator: the two extra passes turn index entries past the batch rank (never read) from undefined to NaN to 0, then the real last axis follows
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
}

/** The table. Each rule's comment states the derivative it implements. */
export const primitives: { readonly [P in PrimitiveName]: Primitive<PrimitiveAttrs[P]> } = {
  add: {
    forward: (k) => binaryForward(k, 'add'),
    // ∂(a+b)/∂a = 1: the gradient passes through, summed over the axes `a` was broadcast along.
    vjp: (i, g, c) => unbroadcast(g, c.inputs[i]!.shape),
  },
  mul: {
    forward: (k) => binaryForward(k, 'mul'),
    // ∂(a·b)/∂a = b, summed over broadcast axes.
    vjp: (i, g, c) => unbroadcast(ops.mul(g, c.inputs[1 - i]!), c.inputs[i]!.shape),
  },
  neg: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = -x[i]!;
    },
    (_i, g) => ops.neg(g),
  ),
  exp: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = Math.exp(x[i]!);
    },
    // d e^x = e^x, read from the output.
    (_i, g, c) => ops.mul(g, c.out),
  ),
  log: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = Math.log(x[i]!);
    },
    // d log x = 1/x
    (_i, g, c) => div(g, c.inputs[0]!),
  ),
  abs: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = Math.abs(x[i]!);
    },
    // d|x| = sign(x); 0 at the kink, as in PyTorch.
    (_i, g, c) => ops.mul(g, ops.sign(c.inputs[0]!)),
  ),
  pow: unary<{ readonly p: number }>(
    (x, out, { p }) => {
      if (p === 2) for (let i = 0; i < out.length; i++) out[i] = x[i]! * x[i]!;
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      else for (let i = 0; i < out.length; i++) out[i] = Math.pow(x[i]!, p);
    },
    // d x^p = p·x^(p−1); for p = 0 the gradient is 0 (p·x^(p−1) would be 0·∞ = NaN at x = 0).
    (_i, g, c) => {
      const x = c.inputs[0]!;
      const { p } = c.attrs;
      if (p === 0) return ops.mul(g, 0);
      if (p === 1) return g;
      // The constant factor goes on g first: in a traced tape, g·p is folded when g is the
      // constant seed path (a loss's square), leaving one op per step.
      if (p === 2) return ops.mul(ops.mul(g, 2), x);
      return ops.mul(ops.mul(g, p), ops.pow(x, p - 1));
    },
  ),
  sigmoid: unary(
    (x, out) => sigmoidInto(x, out),
    // σ' = σ(1 − σ), read from the output: g·σ·(1 − σ), fused (sigmoidGrad).
    (_i, g, c) => ops.sigmoidGrad(c.out, g),
  ),
  softplus: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) {
        const v = x[i]!;
        out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
    },
    // d log(1 + e^x) = σ(x)
    (_i, g, c) => ops.mul(g, ops.sigmoid(c.inputs[0]!)),
  ),
  relu: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : 0;
      }
    },
    // relu'(x) = 1 for x > 0, else 0 (0 at the kink, as in PyTorch and TensorFlow): g where
    // x > 0, fused (reluGrad).
    (_i, g, c) => ops.reluGrad(c.inputs[0]!, g),
  ),
  tanh: unary(
    (x, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x[i]!);
    },
    // tanh' = 1 − tanh², read from the output: g·(1 − y²), fused (tanhGrad).
    (_i, g, c) => ops.tanhGrad(c.out, g),
  ),
  // The three rules above as one loop each: composed from mul and sub they took four kernels
  // where one does (measured on the traced training step). Each has its own rule, in ops.
  sigmoidGrad: {
    forward: (k) => {
      const [y, g] = k.x as [Float64Array, Float64Array];
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < k.out.length; i++) k.out[i] = g[i]! * y[i]! * (1 - y[i]!);
    },
    // ∂/∂y [g·y(1 − y)] = g·(1 − 2y); ∂/∂g = y(1 − y): itself again.
    vjp: (i, h, c) => {
      const [y, g] = c.inputs as [Tensor, Tensor];
      return i === 0 ? ops.mul(ops.mul(h, g), sub(1, ops.mul(y, 2))) : ops.sigmoidGrad(y, h);
    },
  },
  tanhGrad: {
    forward: (k) => {
      const [y, g] = k.x as [Float64Array, Float64Array];
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < k.out.length; i++) k.out[i] = g[i]! * (1 - y[i]! * y[i]!);
    },
    // ∂/∂y [g·(1 − y²)] = −2gy; ∂/∂g = 1 − y²: itself again.
    vjp: (i, h, c) => {
      const [y, g] = c.inputs as [Tensor, Tensor];
      return i === 0 ? ops.mul(ops.mul(h, g), ops.mul(y, -2)) : ops.tanhGrad(y, h);
    },
  },
  reluGrad: {
    forward: (k) => {
      const [x, g] = k.x as [Float64Array, Float64Array];
      for (let i = 0; i < k.out.length; i++) k.out[i] = x[i]! > 0 ? g[i]! : 0;
    },
    // A mask of x: no gradient to x (0 away from the kink); linear in g: itself again.
    vjp: (i, h, c) => (i === 0 ? null : ops.reluGrad(c.inputs[0]!, h)),
  },
  matmul: {
    // C = op(A)·op(B), op a transpose or not, over broadcast leading (batch) dimensions.
    forward: (k) => {
      const [M, N, K] = matmulDims(k);
      // The 2-D product (the training hot path) goes straight to one gemm.
      if (k.outShape.length === 2) gemm2d(M, N, K, k.x[0]!, k.x[1]!, k.out, k.attrs.transA, k.attrs.transB);
      else batchedMatmul(k, M, N, K);
    },
    // With A' = op(A), B' = op(B): ∂L/∂A' = G·B'ᵀ and ∂L/∂B' = A'ᵀ·G, transposed back where
    // the operand was: the products of the rules are again matmuls with transposed operands,
    // summed over the batch dimensions an operand was broadcast along.
    vjp: (i, g, c) => {
      const [a, b] = c.inputs as [Tensor, Tensor];
      const { transA, transB } = c.attrs;
      if (i === 0) return unbroadcast(transA ? ops.matmulT(b, g, transB, true) : ops.matmulT(g, b, false, !transB), a.shape);
      return unbroadcast(transB ? ops.matmulT(g, a, true, transA) : ops.matmulT(a, g, !transA, false), b.shape);
    },
  },
  // Convolution Y = conv(X, W) and its two backward ops are bilinear and share one trilinear
  // form T(X, W, G) = <G, conv(X, W)> = <BI(G, W), X> = <BF(X, G), W>, so each rule is one of
  // the three again: the gradient of any order stays in these kernels (im2col + SIMD gemm).
  conv2d: {
    forward: (k) => conv.conv2dForward(k.x[0]!, k.x[1]!, k.out, [k.shapes[0]!, k.shapes[1]!, k.outShape], k.attrs),
    // ∂T/∂X = BI(G, W); ∂T/∂W = BF(X, G).
    vjp: (i, g, c) => {
      const [x, w] = c.inputs as [Tensor, Tensor];
      return i === 0 ? conv.conv2dBackpropInput(g, w, x.shape, c.attrs) : conv.conv2dBackpropFilter(x, g, w.shape, c.attrs);
    },
  },
  conv2dBackpropInput: {
    forward: (k) => conv.conv2dBackpropInputForward(k.x[0]!, k.x[1]!, k.out, [k.outShape, k.shapes[1]!, k.shapes[0]!], k.attrs),
    // BI(G, W) with cotangent H (shaped like X) is T(H, W, G): ∂/∂G = conv(H, W) at G's size,
    // ∂/∂W = BF(H, G).
    vjp: (i, h, c) => {
      const [g, w] = c.inputs as [Tensor, Tensor];
      const attrs = { stride: c.attrs.stride, pad: c.attrs.pad };
      return i === 0 ? conv.conv2dAt(h, w, [g.shape[2]!, g.shape[3]!], attrs) : conv.conv2dBackpropFilter(h, g, w.shape, attrs);
    },
  },
  conv2dBackpropFilter: {
    forward: (k) => conv.conv2dBackpropFilterForward(k.x[0]!, k.x[1]!, k.out, [k.shapes[0]!, k.outShape, k.shapes[1]!], k.attrs),
    // BF(X, G) with cotangent H (shaped like W) is T(X, H, G): ∂/∂X = BI(G, H), ∂/∂G = conv(X, H).
    vjp: (i, h, c) => {
      const [x, g] = c.inputs as [Tensor, Tensor];
      const attrs = { stride: c.attrs.stride, pad: c.attrs.pad };
      return i === 0 ? conv.conv2dBackpropInput(g, h, x.shape, attrs) : conv.conv2dAt(x, h, [g.shape[2]!, g.shape[3]!], attrs);
    },
  },
  maxPool2d: {
    forward: (k) => {
      conv.windowArgmax(k.x[0]!, k.shapes[0]!, k.outShape, k.attrs, k.out);
    },
    // g goes to each window's first maximum (see maxPool2d's NOTE on ties).
    vjp: (_i, g, c) => conv.maxPool2dGrad(c.inputs[0]!, g, c.attrs),
  },
  maxPool2dGrad: {
    forward: (k) => {
      const [x, g] = k.x as [Float64Array, Float64Array];
      const index = conv.windowArgmax(x, k.shapes[0]!, k.shapes[1]!, k.attrs);
      k.out.fill(0);
      // Stryker disable next-line EqualityOperator: one more pass reads index[length], undefined, and so sets a named property of the output array, never one of its elements
      for (let o = 0; o < index.length; o++) {
        const s = index[o]!;
        k.out[s] = k.out[s]! + g[o]!;
      }
    },
    // Piecewise constant in x (the argmax positions), so no gradient to x; linear in g, whose
    // adjoint is the gather from the same positions.
    vjp: (i, h, c) => (i === 0 ? null : conv.maxPool2dGather(c.inputs[0]!, h, c.inputs[1]!.shape, c.attrs)),
  },
  maxPool2dGather: {
    forward: (k) => {
      const [x, h] = k.x as [Float64Array, Float64Array];
      const index = conv.windowArgmax(x, k.shapes[0]!, k.outShape, k.attrs);
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let o = 0; o < index.length; o++) k.out[o] = h[index[o]!]!;
    },
    // No gradient to x (positions only); the adjoint of a gather is the scatter: maxPool2dGrad.
    vjp: (i, g, c) => (i === 0 ? null : conv.maxPool2dGrad(c.inputs[0]!, g, c.attrs)),
  },
  avgPool2d: {
    forward: (k) => conv.avgPoolForward(k.x[0]!, k.out, k.shapes[0]!, k.outShape, k.attrs),
    // Each window's mean: g/(kh·kw) back over the window.
    vjp: (_i, g, c) => conv.avgPool2dGrad(g, c.inputs[0]!.shape, c.attrs),
  },
  avgPool2dGrad: {
    forward: (k) => {
      k.out.fill(0);
      conv.avgPoolSpread(k.x[0]!, k.out, k.outShape, k.shapes[0]!, k.attrs);
    },
    // Linear, and the transpose of average pooling: its rule is average pooling again.
    vjp: (_i, h, c) => conv.avgPool2d(h, { kernel: c.attrs.kernel, stride: c.attrs.stride }),
  },
  transpose: {
    forward: (k) => transposeInto(k.x[0]!, k.shapes[0]!, k.attrs.perm, k.out),
    // The gradient of a transpose is the gradient transposed back (the inverse permutation).
    vjp: (_i, g, c) => {
      const perm = c.attrs.perm;
      const inverse = perm.map((_, j) => perm.indexOf(j));
      return ops.transpose(g, inverse);
    },
  },
  reshape: {
    view: true,
    // Stryker disable next-line BlockStatement: a view's output is its input's own buffer (apply passes it, and a tape replays that buffer), so there is nothing to copy
    forward: (k) => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: out is always x[0] (see above), and copying a buffer onto itself changes nothing
      if (k.out !== k.x[0]) k.out.set(k.x[0]!);
    },
    // Same values, so the same gradient, read in the input's shape.
    vjp: (_i, g, c) => ops.reshape(g, c.inputs[0]!.shape),
  },
  detach: {
    view: true,
    // Stryker disable next-line BlockStatement: a view's output is its input's own buffer (apply passes it, and a tape replays that buffer), so there is nothing to copy
    forward: (k) => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: out is always x[0] (see above), and copying a buffer onto itself changes nothing
      if (k.out !== k.x[0]) k.out.set(k.x[0]!);
    },
    // A stop-gradient: recorded only while tracing, so a tape recomputes what it detaches.
    vjp: null,
  },
  broadcastTo: {
    forward: (k) => broadcastInto(k.x[0]!, k.shapes[0]!, k.out, k.outShape),
    // Each input element was copied to several outputs: sum their gradients back.
    vjp: (_i, g, c) => unbroadcast(g, c.inputs[0]!.shape),
  },
  sumTo: {
    forward: (k) => {
      k.out.fill(0);
      addReduced(k.x[0]!, k.shapes[0]!, k.out, k.outShape);
    },
    // The reduce of every broadcasting op's rule (BP3's sum over the batch): its own gradient
    // repeats g along the summed axes.
    vjp: (_i, g, c) => ops.broadcastTo(g, c.inputs[0]!.shape),
  },
  sum: {
    forward: (k) => {
      k.out.fill(0);
      addReduced(k.x[0]!, k.shapes[0]!, k.out, keptShape(k.shapes[0]!, k.attrs.axes));
    },
    // Every summed element gets the gradient of its sum: g broadcast back over the axes.
    vjp: (_i, g, c) => ops.broadcastTo(reductionKept(g, c), c.inputs[0]!.shape),
  },
  max: {
    forward: (k) => {
      const shape = k.shapes[0]!;
      const x = k.x[0]!;
      const out = k.out;
      out.fill(-Infinity);
      walkRows(shape, [stridesOf(shape), broadcastStrides(keptShape(shape, k.attrs.axes), shape)], (off, n, st) => {
        let p = off[0]!;
        let q = off[1]!;
        const sq = st[1]!;
        for (let c = 0; c < n; c++, q += sq) {
          const v = x[p++]!;
          // NaN must win, as in NumPy, or a NaN in the input would be silently dropped.
          if (v > out[q]! || Number.isNaN(v)) out[q] = v;
        }
      });
    },
    // The gradient goes to the maximal elements, shared equally among ties (PyTorch's amax):
    // g · [x = max] / (number of ties), with a mask that has no derivative of its own.
    vjp: (_i, g, c) => {
      const x = c.inputs[0]!;
      const mask = ops.equal(x, reductionKept(c.out, c));
      const ties = ops.sum(mask, c.attrs.axes, true);
      return ops.mul(mask, div(reductionKept(g, c), ties));
    },
  },
  where: {
    forward: (k) => {
      const [cond, a, b] = k.x as [Float64Array, Float64Array, Float64Array];
      const shape = k.outShape;
      const out = k.out;
      walkRows(shape, [...k.shapes.map((s) => broadcastStrides(s, shape)), stridesOf(shape)], (off, n, st) => {
        let p = off[0]!;
        let i = off[1]!;
        let j = off[2]!;
        let o = off[3]!;
        const [sp, si, sj] = st as [number, number, number];
        for (let c = 0; c < n; c++, p += sp, i += si, j += sj) out[o++] = cond[p]! !== 0 ? a[i]! : b[j]!;
      });
    },
    // The gradient goes to the branch that was taken; the condition is a mask, with none.
    vjp: (i, g, c) => {
      if (i === 0) return null;
      const cond = c.inputs[0]!;
      const taken = i === 1 ? ops.where(cond, g, 0) : ops.where(cond, 0, g);
      return unbroadcast(taken, c.inputs[i]!.shape);
    },
  },
  sign: unary((x, out) => {
    // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
    for (let i = 0; i < out.length; i++) out[i] = Math.sign(x[i]!);
  }, null),
  greater: comparison('greater'),
  greaterEqual: comparison('greaterEqual'),
  less: comparison('less'),
  lessEqual: comparison('lessEqual'),
  equal: comparison('equal'),
  // Slicing and joining (kernels in indexing.ts): each rule is the other op of its pair.
  slice: {
    forward: (k) => sliceKernel(k),
    // The gradient of a box is the incoming gradient put back in place, zeros around it: a pad.
    vjp: (_i, g, c) => {
      const shape = c.inputs[0]!.shape;
      const { begin, size } = c.attrs;
      return padFrame(g, begin.map((b, d) => [b, shape[d]! - b - size[d]!] as const), 0);
    },
  },
  pad: {
    forward: (k) => padKernel(k),
    // Only the elements of x moved; the frame is a constant: the gradient is g's slice where x sits.
    vjp: (_i, g, c) => sliceBox(g, c.attrs.paddings.map(([p]) => p), c.inputs[0]!.shape),
  },
  concat: {
    forward: (k) => concatKernel(k),
    // Input i's gradient is its own stretch of g along the axis: a slice.
    vjp: (i, g, c) => {
      const axis = c.attrs.axis;
      let offset = 0;
      for (let j = 0; j < i; j++) offset += c.inputs[j]!.shape[axis]!;
      const shape = c.inputs[i]!.shape;
      return sliceBox(g, shape.map((_, d) => (d === axis ? offset : 0)), shape);
    },
  },
  gather: {
    forward: (k) => gatherKernel(k),
    // Each gathered row's gradient is added back into the row it came from (repeats add up).
    vjp: (_i, g, c) => {
      const { axis, indices, indexShape } = c.attrs;
      return scatterAdd(g, indices, indexShape, axis, c.inputs[0]!.shape[axis]!);
    },
  },
  scatterAdd: {
    forward: (k) => scatterAddKernel(k),
    // Linear, the adjoint of gather: its gradient gathers the same rows.
    vjp: (_i, g, c) => gatherRows(g, c.attrs.indices, c.attrs.indexShape, c.attrs.axis),
  },
  argmax: { forward: (k) => argmaxKernel(k), vjp: null },
  // Elementwise math (op functions in math.ts). sin and cos are primitives so each rule is the other.
  sin: {
    forward: (k) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < k.out.length; i++) k.out[i] = Math.sin(k.x[0]![i]!);
    },
    // d sin x = cos x
    vjp: (_i, g, c) => ops.mul(g, cos(c.inputs[0]!)),
  },
  cos: {
    forward: (k) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < k.out.length; i++) k.out[i] = Math.cos(k.x[0]![i]!);
    },
    // d cos x = −sin x
    vjp: (_i, g, c) => ops.mul(ops.neg(g), sin(c.inputs[0]!)),
  },
  log1p: {
    forward: (k) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < k.out.length; i++) k.out[i] = Math.log1p(k.x[0]![i]!);
    },
    // d log(1 + x) = 1/(1 + x)
    vjp: (_i, g, c) => div(g, ops.add(c.inputs[0]!, 1)),
  },
};
