/**
 * The four backprop equations of Nielsen's chapter 2, written out over a mini-batch in matrix
 * form on plain Float64Arrays, with no call into autodiff: an independent route to the
 * gradients that `Network.gradients` computes from the graph of ops.
 *
 * BP1 δ^L = ∇_a C ⊙ σ'(z^L)
 * BP2 δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
 * BP3 ∂C/∂b^l = δ^l, summed over the batch's columns
 * BP4 ∂C/∂w^l = δ^l (a^{l−1})ᵀ
 */
import { ShapeError, type Tensor, fromData } from '@nabla/core';
import type { Activation } from './activations.ts';
import type { Cost } from './costs.ts';

/** What the δ equations need of a network. */
export interface BackpropNetwork {
  /** Neurons per layer, input first. */
  readonly sizes: readonly number[];
  /** w^l for l = 1 … L, each [sizes[l], sizes[l−1]] (only `.data` is read). */
  readonly weights: readonly Tensor[];
  /** b^l for l = 1 … L, each [sizes[l], 1]. */
  readonly biases: readonly Tensor[];
  /** σ of the hidden layers (its raw forms: `value`, `backward`). */
  readonly activation: Activation;
  /** σ of the output layer. */
  readonly outputActivation: Activation;
  /** The cost C (its raw forms: `value`, `outputDelta` for BP1). */
  readonly cost: Cost;
}

/** Everything the δ equations computed for one batch. */
export interface BackpropResult {
  /** ∂C/∂w^l, shaped like w^l. */
  nablaW: Tensor[];
  /** ∂C/∂b^l, shaped like b^l. */
  nablaB: Tensor[];
  /** δ^l = ∂C/∂z^l, each [sizes[l], m]. */
  deltas: Tensor[];
  /** z^l = w^l a^{l−1} + b^l, each [sizes[l], m]. */
  zs: Tensor[];
  /** a^0 = X, a^l = σ(z^l). */
  activations: Tensor[];
  /** C at this batch. */
  cost: number;
}

/** C[r×c] = A[r×k]·B[k×c]. */
function matmul(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
  for (let i = 0; i < r; i++) {
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p]!;
      for (let j = 0; j < c; j++) C[i * c + j] = C[i * c + j]! + a * B[p * c + j]!;
    }
  }
  return C;
}

/** C[k×c] = A[r×k]ᵀ·B[r×c]. */
function matmulTransposeA(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(k * c);
  for (let p = 0; p < r; p++) {
    // Stryker disable next-line EqualityOperator: the extra column writes past C's end
    for (let i = 0; i < k; i++) {
      const a = A[p * k + i]!;
      for (let j = 0; j < c; j++) C[i * c + j] = C[i * c + j]! + a * B[p * c + j]!;
    }
  }
  return C;
}

/** C[r×k] = A[r×c]·B[k×c]ᵀ. */
function matmulTransposeB(A: Float64Array, B: Float64Array, r: number, c: number, k: number): Float64Array {
  const C = new Float64Array(r * k);
  // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
  for (let i = 0; i < r; i++) {
    // Stryker disable next-line EqualityOperator: the extra write lands on the next row's first element (rewritten next) or past the end
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let p = 0; p < c; p++) s += A[i * c + p]! * B[j * c + p]!;
      C[i * k + j] = s;
    }
  }
  return C;
}

function rowSums(A: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r);
  // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += A[i * c + j]!;
    out[i] = s;
  }
  return out;
}

function checkBatch(net: BackpropNetwork, X: Tensor, Y: Tensor, op: string): number {
  const n0 = net.sizes[0]!;
  const nL = net.sizes[net.sizes.length - 1]!;
  if (X.rank !== 2 || X.shape[0] !== n0) throw new ShapeError(op, `expected X of shape [${n0},m], got [${X.shape.join(',')}]`, [X.shape]);
  const m = X.shape[1]!;
  if (Y.rank !== 2 || Y.shape[0] !== nL || Y.shape[1] !== m) throw new ShapeError(op, `expected Y of shape [${nL},${m}], got [${Y.shape.join(',')}]`, [Y.shape]);
  return m;
}

/**
 * Gradients of C (averaged over the batch) by the δ equations BP1–BP4 in matrix form: the
 * whole batch X = [x1 … xm] goes forward and backward at once.
 *
 * @example
 * ```ts
 * const { nablaW, nablaB, deltas } = backprop(net, X, Y);
 * // equals net.gradients(X, Y) to ~1e-12 relative
 * ```
 * @param net - the network (its weights are read, not changed)
 * @param X - inputs [sizes[0], m], examples as columns
 * @param Y - targets [sizes[L], m]
 */
export function backprop(net: BackpropNetwork, X: Tensor, Y: Tensor): BackpropResult {
  const m = checkBatch(net, X, Y, 'backprop');
  const sizes = net.sizes;
  const L = sizes.length - 1;
  const act = (l: number): Activation => (l === L ? net.outputActivation : net.activation);

  // Forward: z^l = w^l a^{l−1} + b^l, a^l = σ(z^l).
  const zs: Float64Array[] = [];
  const as: Float64Array[] = [X.data];
  for (let l = 1; l <= L; l++) {
    const rows = sizes[l]!;
    const z = matmul(net.weights[l - 1]!.data, as[l - 1]!, rows, sizes[l - 1]!, m);
    const b = net.biases[l - 1]!.data;
    // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
    for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) z[i * m + j] = z[i * m + j]! + b[i]!;
    const a = new Float64Array(rows * m);
    act(l).value(z, a, rows, m);
    zs.push(z);
    as.push(a);
  }

  // Stryker disable next-line ArrayDeclaration: every index below L is assigned before use, so the initial length does not matter
  const deltas: Float64Array[] = new Array<Float64Array>(L);
  // Stryker disable next-line ArrayDeclaration: every index below L is assigned before use
  const nablaW: Float64Array[] = new Array<Float64Array>(L);
  // Stryker disable next-line ArrayDeclaration: every index below L is assigned before use
  const nablaB: Float64Array[] = new Array<Float64Array>(L);

  // BP1: δ^L = ∇_a C ⊙ σ'(z^L) (the cost knows the simplified forms).
  const deltaL = new Float64Array(sizes[L]! * m);
  net.cost.outputDelta(zs[L - 1]!, as[L]!, Y.data, act(L), deltaL, sizes[L]!, m);
  deltas[L - 1] = deltaL;

  for (let l = L; l >= 1; l--) {
    const delta = deltas[l - 1]!;
    nablaB[l - 1] = rowSums(delta, sizes[l]!, m); // BP3
    nablaW[l - 1] = matmulTransposeB(delta, as[l - 1]!, sizes[l]!, m, sizes[l - 1]!); // BP4
    if (l === 1) break;
    // BP2: δ^{l−1} = ((w^l)ᵀ δ^l) ⊙ σ'(z^{l−1})
    const back = matmulTransposeA(net.weights[l - 1]!.data, delta, sizes[l]!, sizes[l - 1]!, m);
    const prev = new Float64Array(back.length);
    act(l - 1).backward(zs[l - 2]!, as[l - 1]!, back, prev, sizes[l - 1]!, m);
    deltas[l - 2] = prev;
  }

  const shapeOf = (l: number): number[] => [sizes[l]!, m];
  return {
    nablaW: nablaW.map((w, l) => fromData(w, [sizes[l + 1]!, sizes[l]!])),
    nablaB: nablaB.map((b, l) => fromData(b, [sizes[l + 1]!, 1])),
    deltas: deltas.map((d, l) => fromData(d, shapeOf(l + 1))),
    zs: zs.map((z, l) => fromData(z, shapeOf(l + 1))),
    // Stryker disable next-line ConditionalExpression: copying every layer's activations instead of only X's is slower, not different
    activations: as.map((a, l) => fromData(l === 0 ? a.slice() : a, shapeOf(l))),
    cost: net.cost.value(as[L]!, Y.data, m, { z: zs[L - 1]!, activation: act(L), rows: sizes[L]! }),
  };
}

function column(A: Float64Array, rows: number, cols: number, j: number): Float64Array {
  const out = new Float64Array(rows);
  // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
  for (let i = 0; i < rows; i++) out[i] = A[i * cols + j]!;
  return out;
}

/**
 * Nielsen's original `backprop` + `update_mini_batch` loop: each example forward and backward
 * on its own, the gradients summed, then divided by m — the per-example route that the matrix
 * form replaces. Same scale as {@link backprop}.
 *
 * @example
 * ```ts
 * const loop = backpropPerExample(net, X, Y); // equals backprop(net, X, Y) to rounding
 * ```
 * @param net - the network
 * @param X - inputs [sizes[0], m]
 * @param Y - targets [sizes[L], m]
 */
export function backpropPerExample(net: BackpropNetwork, X: Tensor, Y: Tensor): Pick<BackpropResult, 'nablaW' | 'nablaB' | 'cost'> {
  const m = checkBatch(net, X, Y, 'backpropPerExample');
  const sizes = net.sizes;
  const L = sizes.length - 1;
  const sumW = net.weights.map((w) => new Float64Array(w.size));
  const sumB = net.biases.map((b) => new Float64Array(b.size));
  let cost = 0;
  for (let j = 0; j < m; j++) {
    const x = fromData(column(X.data, sizes[0]!, m, j), [sizes[0]!, 1]);
    const y = fromData(column(Y.data, sizes[L]!, m, j), [sizes[L]!, 1]);
    const r = backprop(net, x, y);
    r.nablaW.forEach((w, l) => w.data.forEach((v, i) => (sumW[l]![i]! += v)));
    r.nablaB.forEach((b, l) => b.data.forEach((v, i) => (sumB[l]![i]! += v)));
    cost += r.cost;
  }
  return {
    nablaW: sumW.map((w, l) => fromData(w.map((v) => v / m), net.weights[l]!.shape)),
    nablaB: sumB.map((b, l) => fromData(b.map((v) => v / m), net.biases[l]!.shape)),
    cost: cost / m,
  };
}
