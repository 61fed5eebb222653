/**
 * Test-only: a copy of `backprop`'s matrix algorithm (backprop.ts) that can inject one classic
 * slip at a time, so backprop.mutation.test.ts can show that the properties catch each one.
 * Imported by tests only; not exported from the package.
 *
 * The slips, as they are made when writing BP1–BP4 by hand (Nielsen's network.py shapes):
 * - `'outputPrime'`: BP2 multiplies by σ'(z^L), the output layer's, where σ'(z^l) belongs
 *   (`sp = sigmoid_prime(zs[-1])` instead of `zs[-l]`);
 * - `'overwriteOutput'`: inside the loop every layer's nabla is written to the output layer's
 *   slot (`nabla_w[-1] = …` instead of `nabla_w[-l]`), the others left at zero;
 * - `'noTranspose'`: BP2 uses w^{l+1} δ^{l+1} instead of (w^{l+1})ᵀ δ^{l+1};
 * - `'noBatchSum'`: BP3 takes the first column of δ^l instead of summing over the batch.
 *
 * The shapes only fit for some slips when the layers have equal widths (w square, z^l shaped
 * like z^L); on other shapes the mutant throws or produces NaN, which the properties also
 * count as a failure.
 */
import { type Tensor, fromData } from '@nabla/core';
import type { Activation } from './activations.ts';
import type { BackpropNetwork } from './backprop.ts';

/** One injected slip, or `'none'` for the faithful copy. */
export type Slip = 'none' | 'outputPrime' | 'overwriteOutput' | 'noTranspose' | 'noBatchSum';

/** Every slip, for iterating in tests. */
export const SLIPS: readonly Exclude<Slip, 'none'>[] = ['outputPrime', 'overwriteOutput', 'noTranspose', 'noBatchSum'];

/** C[r×c] = A[r×k]·B[k×c]. */
function matmul(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
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
  for (let i = 0; i < r; i++) {
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
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += A[i * c + j]!;
    out[i] = s;
  }
  return out;
}

function firstColumn(A: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r);
  for (let i = 0; i < r; i++) out[i] = A[i * c]!;
  return out;
}

/**
 * `backprop` (matrix form, BP1–BP4) with one slip injected; `'none'` is the faithful copy.
 * @param net - the network
 * @param X - inputs [sizes[0], m]
 * @param Y - targets [sizes[L], m]
 * @param slip - which slip to inject
 */
export function backpropWithSlip(net: BackpropNetwork, X: Tensor, Y: Tensor, slip: Slip): { nablaW: Tensor[]; nablaB: Tensor[]; deltas: Tensor[] } {
  const m = X.shape[1]!;
  const sizes = net.sizes;
  const L = sizes.length - 1;
  const act = (l: number): Activation => (l === L ? net.outputActivation : net.activation);

  const zs: Float64Array[] = [];
  const as: Float64Array[] = [X.data];
  for (let l = 1; l <= L; l++) {
    const rows = sizes[l]!;
    const z = matmul(net.weights[l - 1]!.data, as[l - 1]!, rows, sizes[l - 1]!, m);
    const b = net.biases[l - 1]!.data;
    for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) z[i * m + j] = z[i * m + j]! + b[i]!;
    const a = new Float64Array(rows * m);
    act(l).value(z, a, rows, m);
    zs.push(z);
    as.push(a);
  }

  const deltas: Float64Array[] = new Array<Float64Array>(L);
  // Zero-filled like Nielsen's nabla_w / nabla_b, so a slot that is never written stays 0.
  const nablaW: Float64Array[] = net.weights.map((w) => new Float64Array(w.size));
  const nablaB: Float64Array[] = net.biases.map((b) => new Float64Array(b.size));

  const deltaL = new Float64Array(sizes[L]! * m);
  net.cost.outputDelta(zs[L - 1]!, as[L]!, Y.data, act(L), deltaL, sizes[L]!, m); // BP1
  deltas[L - 1] = deltaL;

  for (let l = L; l >= 1; l--) {
    const delta = deltas[l - 1]!;
    const slot = slip === 'overwriteOutput' ? L - 1 : l - 1;
    nablaB[slot] = slip === 'noBatchSum' ? firstColumn(delta, sizes[l]!, m) : rowSums(delta, sizes[l]!, m); // BP3
    nablaW[slot] = matmulTransposeB(delta, as[l - 1]!, sizes[l]!, m, sizes[l - 1]!); // BP4
    if (l === 1) break;
    // BP2: δ^{l−1} = ((w^l)ᵀ δ^l) ⊙ σ'(z^{l−1})
    const back =
      slip === 'noTranspose'
        ? matmul(net.weights[l - 1]!.data, delta, sizes[l]!, sizes[l - 1]!, m)
        : matmulTransposeA(net.weights[l - 1]!.data, delta, sizes[l]!, sizes[l - 1]!, m);
    const prev = new Float64Array(back.length);
    if (slip === 'outputPrime') {
      // σ' of the hidden layers, but evaluated at the output layer's z^L.
      const zL = zs[L - 1]!;
      const aL = new Float64Array(zL.length);
      act(l - 1).value(zL, aL, sizes[L]!, m);
      act(l - 1).backward(zL, aL, back, prev, sizes[l - 1]!, m);
    } else {
      act(l - 1).backward(zs[l - 2]!, as[l - 1]!, back, prev, sizes[l - 1]!, m);
    }
    deltas[l - 2] = prev;
  }

  return {
    nablaW: nablaW.map((w, l) => fromData(w, net.weights[l]!.shape)),
    nablaB: nablaB.map((b, l) => fromData(b, net.biases[l]!.shape)),
    deltas: deltas.map((d, l) => fromData(d, [sizes[l + 1]!, m])),
  };
}
