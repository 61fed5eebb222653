/**
 * The differentiable primitives, one table entry each: the forward kernel and, beside it, the
 * backward rule (the vector–Jacobian product) that adds ∂L/∂input_i into a gradient buffer.
 * Every other op is composed from these (composite.ts) and needs no gradient code of its own.
 *
 * Kernels read and write plain Float64Arrays, so the same entry serves eager ops (fresh
 * buffers per call) and a traced tape (buffers allocated once and reused every step).
 * The table's type lists every primitive: one without a rule does not compile.
 */
import type { Shape } from './shape.ts';
import { broadcastStrides, keptShape, stridesOf } from './shape.ts';
import { addReduced, broadcastInto, walkRows } from './broadcast.ts';
import { gemm } from './gemm-dispatch.ts';

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
  matmul: null;
  transpose: null;
  reshape: { readonly shape: Shape };
  detach: null;
  broadcastTo: { readonly shape: Shape };
  sum: { readonly axes: readonly number[]; readonly keepDims: boolean };
  max: { readonly axes: readonly number[]; readonly keepDims: boolean };
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

/** One primitive: forward kernel and backward rule side by side. */
export interface Primitive<A> {
  /**
   * Computes the output into `k.out`.
   * @param k - inputs, output buffer, shapes and attrs
   */
  forward(k: KernelArgs<A>): void;
  /**
   * Adds ∂L/∂x_i into `gi`, given `g` = ∂L/∂out (and the forward's inputs and output). With
   * `fresh` (asked only of rules that declare `overwrites`), `gi` holds no gradient yet and the
   * rule writes it instead: a tape then needs not zero that buffer every step.
   * @param i - which input's gradient to compute
   * @param g - ∂L/∂out
   * @param gi - receives ∂L/∂x_i, shaped like input `i`
   * @param k - the forward's inputs, output, shapes and attrs
   * @param fresh - `gi` holds no gradient yet: write rather than add
   */
  backward(i: number, g: Float64Array, gi: Float64Array, k: KernelArgs<A>, fresh?: boolean): void;
  /** The backward rule honours `fresh` (writes rather than adds). */
  readonly overwrites?: boolean;
  /** The output shares input 0's storage (no copy): reshape. */
  readonly view?: boolean;
}

/** A unary elementwise primitive from its value loop and its derivative loop. */
function unary<A>(forward: (x: Float64Array, out: Float64Array, attrs: A) => void, backward: (g: Float64Array, gi: Float64Array, x: Float64Array, out: Float64Array, attrs: A) => void): Primitive<A> {
  return {
    forward: (k) => forward(k.x[0]!, k.out, k.attrs),
    backward: (_i, g, gi, k) => backward(g, gi, k.x[0]!, k.out, k.attrs),
  };
}

/**
 * The stable logistic function, used by sigmoid's and softplus's kernels.
 * @param v - any real number
 */
export function sigmoidValue(v: number): number {
  // NOTE: 1/(1 + e^-v) overflows e^-v for v < -709; for negative v, e^v/(1 + e^v) cannot.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

function binaryForward(k: KernelArgs<null>, product: boolean): void {
  const [a, b] = k.x as [Float64Array, Float64Array];
  const out = k.out;
  if (a.length === out.length && b.length === out.length) {
    if (product) for (let i = 0; i < out.length; i++) out[i] = a[i]! * b[i]!;
    else for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
    return;
  }
  const shape = k.outShape;
  // A matrix and a column broadcast along its rows (a bias added to a batch): a plain loop.
  const sa = k.shapes[0]!;
  const sb = k.shapes[1]!;
  if (shape.length === 2 && sa.length === 2 && sb.length === 2 && (a.length === out.length) !== (b.length === out.length)) {
    const full = a.length === out.length ? a : b;
    const col = a.length === out.length ? b : a;
    const colShape = a.length === out.length ? sb : sa;
    if (colShape[0] === shape[0] && colShape[1] === 1) {
      const cols = shape[1]!;
      for (let r = 0, i = 0; r < shape[0]!; r++) {
        const v = col[r]!;
        if (product) for (let c = 0; c < cols; c++, i++) out[i] = full[i]! * v;
        else for (let c = 0; c < cols; c++, i++) out[i] = full[i]! + v;
      }
      return;
    }
  }
  walkRows(shape, [broadcastStrides(sa, shape), broadcastStrides(sb, shape), stridesOf(shape)], (off, n, st) => {
    let i = off[0]!;
    let j = off[1]!;
    let o = off[2]!;
    const si = st[0]!;
    const sj = st[1]!;
    if (product) for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! * b[j]!;
    else for (let c = 0; c < n; c++, i += si, j += sj) out[o++] = a[i]! + b[j]!;
  });
}

/** The table. Each rule's comment states the derivative it implements. */
export const primitives: { readonly [P in PrimitiveName]: Primitive<PrimitiveAttrs[P]> } = {
  add: {
    forward: (k) => binaryForward(k, false),
    // ∂(a+b)/∂a = 1: the gradient passes through, summed over the axes `a` was broadcast along.
    backward: (i, g, gi, k) => addReduced(g, k.outShape, gi, k.shapes[i]!),
  },
  mul: {
    forward: (k) => binaryForward(k, true),
    // ∂(a·b)/∂a = b, summed over broadcast axes.
    backward: (i, g, gi, k) => {
      const other = k.x[1 - i]!;
      const shape = k.outShape;
      if (other.length === g.length && gi.length === g.length) {
        for (let c = 0; c < g.length; c++) gi[c] = gi[c]! + g[c]! * other[c]!;
        return;
      }
      walkRows(shape, [stridesOf(shape), broadcastStrides(k.shapes[1 - i]!, shape), broadcastStrides(k.shapes[i]!, shape)], (off, n, st) => {
        let q = off[0]!;
        let r = off[1]!;
        let p = off[2]!;
        const sr = st[1]!;
        const sp = st[2]!;
        for (let c = 0; c < n; c++, r += sr, p += sp) gi[p] = gi[p]! + g[q++]! * other[r]!;
      });
    },
  },
  neg: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) out[i] = -x[i]!;
    },
    (g, gi) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! - g[i]!;
    },
  ),
  exp: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) out[i] = Math.exp(x[i]!);
    },
    // d e^x = e^x, read from the output.
    (g, gi, _x, out) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! * out[i]!;
    },
  ),
  log: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) out[i] = Math.log(x[i]!);
    },
    // d log x = 1/x
    (g, gi, x) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! / x[i]!;
    },
  ),
  abs: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) out[i] = Math.abs(x[i]!);
    },
    // d|x| = sign(x); 0 at the kink, as in PyTorch.
    (g, gi, x) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! * Math.sign(x[i]!);
    },
  ),
  pow: unary<{ readonly p: number }>(
    (x, out, { p }) => {
      if (p === 2) for (let i = 0; i < out.length; i++) out[i] = x[i]! * x[i]!;
      else for (let i = 0; i < out.length; i++) out[i] = Math.pow(x[i]!, p);
    },
    // d x^p = p·x^(p−1)
    (g, gi, x, _out, { p }) => {
      // p = 0: x^0 is constant; p·x^(p−1) would be 0·∞ = NaN at x = 0.
      if (p === 0) return;
      if (p === 2) for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + 2 * g[i]! * x[i]!;
      else for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! * p * Math.pow(x[i]!, p - 1);
    },
  ),
  sigmoid: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) out[i] = sigmoidValue(x[i]!);
    },
    // σ' = σ(1 − σ), read from the output.
    (g, gi, _x, out) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! * out[i]! * (1 - out[i]!);
    },
  ),
  softplus: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) {
        const v = x[i]!;
        out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
    },
    // d log(1 + e^x) = σ(x)
    (g, gi, x) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! * sigmoidValue(x[i]!);
    },
  ),
  relu: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : 0;
      }
    },
    // relu'(x) = 1 for x > 0, else 0 (0 at the kink, as in PyTorch and TensorFlow).
    (g, gi, x) => {
      for (let i = 0; i < gi.length; i++) if (x[i]! > 0) gi[i] = gi[i]! + g[i]!;
    },
  ),
  tanh: unary(
    (x, out) => {
      for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x[i]!);
    },
    // tanh' = 1 − tanh², read from the output.
    (g, gi, _x, out) => {
      for (let i = 0; i < gi.length; i++) gi[i] = gi[i]! + g[i]! * (1 - out[i]! * out[i]!);
    },
  ),
  matmul: {
    forward: (k) => {
      const [M, K] = k.shapes[0] as [number, number];
      const N = k.shapes[1]![1]!;
      gemm('NN', M, N, K, k.x[0]!, k.x[1]!, k.out, false);
    },
    // C = A·B: ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G — kernels read the transposes in place, no copies.
    overwrites: true,
    backward: (i, g, gi, k, fresh = false) => {
      const [M, K] = k.shapes[0] as [number, number];
      const N = k.shapes[1]![1]!;
      if (i === 0) gemm('NT', M, K, N, g, k.x[1]!, gi, !fresh);
      else gemm('TN', K, N, M, k.x[0]!, g, gi, !fresh);
    },
  },
  transpose: {
    forward: (k) => {
      const [R, C] = k.shapes[0] as [number, number];
      const x = k.x[0]!;
      for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) k.out[j * R + i] = x[i * C + j]!;
    },
    // The gradient of a transpose is the transposed gradient.
    backward: (_i, g, gi, k) => {
      const [R, C] = k.shapes[0] as [number, number];
      for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) gi[i * C + j] = gi[i * C + j]! + g[j * R + i]!;
    },
  },
  reshape: {
    view: true,
    forward: (k) => {
      if (k.out !== k.x[0]) k.out.set(k.x[0]!);
    },
    // Same values, so the same gradient, read in the input's shape.
    backward: (_i, g, gi) => {
      for (let c = 0; c < gi.length; c++) gi[c] = gi[c]! + g[c]!;
    },
  },
  detach: {
    view: true,
    forward: (k) => {
      if (k.out !== k.x[0]) k.out.set(k.x[0]!);
    },
    // A stop-gradient: recorded only while tracing, so a tape recomputes what it detaches;
    // its output never requires grad, so this rule is never asked for.
    backward: () => {},
  },
  broadcastTo: {
    forward: (k) => broadcastInto(k.x[0]!, k.shapes[0]!, k.out, k.outShape),
    // Each input element was copied to several outputs: sum their gradients.
    backward: (_i, g, gi, k) => addReduced(g, k.outShape, gi, k.shapes[0]!),
  },
  sum: {
    forward: (k) => {
      k.out.fill(0);
      addReduced(k.x[0]!, k.shapes[0]!, k.out, keptShape(k.shapes[0]!, k.attrs.axes));
    },
    // Every summed element gets the gradient of its sum: broadcast g back over the axes.
    backward: (_i, g, gi, k) => {
      const shape = k.shapes[0]!;
      walkRows(shape, [stridesOf(shape), broadcastStrides(keptShape(shape, k.attrs.axes), shape)], (off, n, st) => {
        let p = off[0]!;
        let q = off[1]!;
        const sq = st[1]!;
        for (let c = 0; c < n; c++, p++, q += sq) gi[p] = gi[p]! + g[q]!;
      });
    },
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
    // The gradient goes to the maximal elements, shared equally among ties (PyTorch's amax).
    backward: (_i, g, gi, k) => {
      const shape = k.shapes[0]!;
      const x = k.x[0]!;
      const m = k.out;
      const strides = [stridesOf(shape), broadcastStrides(keptShape(shape, k.attrs.axes), shape)];
      const ties = new Float64Array(m.length);
      walkRows(shape, strides, (off, n, st) => {
        let p = off[0]!;
        let q = off[1]!;
        const sq = st[1]!;
        for (let c = 0; c < n; c++, q += sq) if (x[p++] === m[q]) ties[q] = ties[q]! + 1;
      });
      walkRows(shape, strides, (off, n, st) => {
        let p = off[0]!;
        let q = off[1]!;
        const sq = st[1]!;
        for (let c = 0; c < n; c++, q += sq, p++) if (x[p] === m[q]) gi[p] = gi[p]! + g[q]! / ties[q]!;
      });
    },
  },
};
