/**
 * Backpropagation in a convolutional network (Nielsen, ch. 6, "Backpropagation in a
 * convolutional network"), written out by hand over a mini-batch on plain Float64Arrays, with
 * no call into autodiff: an independent route to the gradients autodiff gives.
 *
 * The network is `network3`'s: ConvPool layers (convolution, max-pooling, + bias, activation,
 * in that order), then fully connected layers, the last one the output with its cost. Layouts:
 * a ConvPool layer reads [m, C, H, W] and its weights are [F, C, k, k], its bias [F]; the
 * fully connected layers read columns [n, m], the flattened [F·Hp·Wp, m] of the last ConvPool
 * layer. Notation: c = the convolution, p = the pooled maps, z = p + b, a = σ(z), δ = ∂C/∂z.
 *
 * BP1  δ^L = ∇_a C ⊙ σ'(z^L)                         (the output layer, as in chapter 2)
 * BP2  δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)          (fully connected; also into the last
 *                                                     ConvPool layer, unflattened)
 * BP3  ∂C/∂b^l = δ^l summed over the batch's columns
 * BP4  ∂C/∂w^l = δ^l (a^{l−1})ᵀ
 * BP-pool  ∂C/∂c[n,f,i,j] = δ[n,f,I,J] where (i, j) is the maximum of pooling window (I, J),
 *          0 elsewhere: max-pooling routes δ to the position of each maximum
 * BP3c ∂C/∂b[f] = Σ_{n,I,J} δ[n,f,I,J]: summed over the batch and over positions
 * BP4c ∂C/∂w[f,ch,u,v] = Σ_{n,i,j} ∂C/∂c[n,f,i,j] · x[n,ch,i+u,j+v]: the correlation of the
 *      layer's input with ∂C/∂c
 * BP2c ∂C/∂x[n,ch,r,s] = Σ_{f,u,v} ∂C/∂c[n,f,r+u−(k−1),s+v−(k−1)] · w[f,ch,k−1−u,k−1−v]: the
 *      full correlation of ∂C/∂c with the flipped kernels; times σ'(z^{l−1}) it is δ^{l−1}
 */
import { ShapeError, type Tensor, fromData } from '@nabla/core';
import type { Activation } from './activations.ts';
import type { Cost } from './costs.ts';

/** A ConvPool layer's parameters, as `network3.ConvPoolLayer` has them. */
export interface ConvPoolParams {
  /** The kernels, [F, C, k, k] (only `.data` is read). */
  readonly weight: Tensor;
  /** One bias per feature map, [F] (added after pooling). */
  readonly bias: Tensor;
  /** Pooling window and stride, p × p. */
  readonly pool: number;
  /** σ, elementwise. */
  readonly activation: Activation;
}

/** A fully connected layer's parameters. */
export interface DenseParams {
  /** w, [out, in]. */
  readonly weight: Tensor;
  /** b, [out, 1]. */
  readonly bias: Tensor;
  /** σ (the output layer's may be softmax). */
  readonly activation: Activation;
}

/** What the convolutional δ equations need of a network. */
export interface ConvBackpropNetwork {
  /** The ConvPool layers, input side first. */
  readonly convPools: readonly ConvPoolParams[];
  /** The fully connected layers after them; the last is the output layer. */
  readonly dense: readonly DenseParams[];
  /** The cost C (its raw forms: `value`, `outputDelta`). */
  readonly cost: Cost;
}

/** Everything the convolutional δ equations computed for one batch. */
export interface ConvBackpropResult {
  /** C at this batch. */
  cost: number;
  /** ∂C/∂w, ConvPool layers first, each shaped like its w. */
  nablaW: Tensor[];
  /** ∂C/∂b, ConvPool layers first, each shaped like its b. */
  nablaB: Tensor[];
  /** δ = ∂C/∂z of each layer: [m, F, Hp, Wp] for a ConvPool layer (z = pooled + bias), [n, m] for a dense one. */
  deltas: Tensor[];
  /** z of each layer, in the same layouts. */
  zs: Tensor[];
}

/**
 * Deliberate slips, for the mutation test only: each reproduces a classic mistake in one of the
 * equations above. Never set in normal use.
 * @internal
 */
export interface ConvSlip {
  /** BP2c with the kernels not flipped. */
  unflippedKernel?: boolean;
  /** BP-pool routing δ to the window's first element instead of its maximum. */
  poolFirstElement?: boolean;
  /** BP-pool spreading δ evenly over the window. */
  poolSpread?: boolean;
  /** The convolution's output one row and column short (H − k instead of H − k + 1). */
  offByOne?: boolean;
  /** BP3c summed over the batch only (position (0, 0) of each map). */
  biasOverBatchOnly?: boolean;
  /** σ' of a ConvPool layer taken at the pooled maxima before the bias is added, not at z. */
  primeAtWrongZ?: boolean;
}

interface ConvPoolState {
  x: Float64Array;
  C: number;
  H: number;
  W: number;
  F: number;
  k: number;
  Hc: number;
  Wc: number;
  p: number;
  Hp: number;
  Wp: number;
  /** For each pooled value, the flat index into c of its window's maximum. */
  argmax: Int32Array;
  c: Float64Array;
  z: Float64Array;
  a: Float64Array;
}

function shapeOf(t: Tensor): number[] {
  return [...t.shape];
}

/** Forward through one ConvPool layer: c = x ⋆ w (valid), p = maxpool(c), z = p + b, a = σ(z). */
function convPoolForward(layer: ConvPoolParams, x: Float64Array, m: number, C: number, H: number, W: number, slip: ConvSlip, index: number): ConvPoolState {
  const [F, C2, k, k2] = layer.weight.shape as [number, number, number, number];
  if (layer.weight.rank !== 4 || C2 !== C || k !== k2) {
    throw new ShapeError('backpropConv', `convPools[${index}].weight must be [F, ${C}, k, k], got [${layer.weight.shape.join(',')}]`, [layer.weight.shape]);
  }
  if (layer.bias.size !== F) throw new ShapeError('backpropConv', `convPools[${index}].bias must hold ${F} values, got shape [${layer.bias.shape.join(',')}]`, [layer.bias.shape]);
  const p = layer.pool;
  const Hc = H - k + (slip.offByOne ? 0 : 1);
  const Wc = W - k + (slip.offByOne ? 0 : 1);
  if (!(Hc >= p && Wc >= p && Number.isInteger(p) && p >= 1)) {
    throw new ShapeError('backpropConv', `convPools[${index}]: a ${k}×${k} kernel and ${p}×${p} pooling do not fit a ${H}×${W} input`, [[C, H, W]]);
  }
  const Hp = Math.floor(Hc / p);
  const Wp = Math.floor(Wc / p);
  const w = layer.weight.data;
  const c = new Float64Array(m * F * Hc * Wc);
  for (let n = 0; n < m; n++) {
    for (let f = 0; f < F; f++) {
      const out = (n * F + f) * Hc * Wc;
      for (let ch = 0; ch < C; ch++) {
        const xin = (n * C + ch) * H * W;
        const win = (f * C + ch) * k * k;
        for (let i = 0; i < Hc; i++) {
          for (let j = 0; j < Wc; j++) {
            let s = 0;
            for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) s += w[win + u * k + v]! * x[xin + (i + u) * W + (j + v)]!;
            c[out + i * Wc + j] = c[out + i * Wc + j]! + s;
          }
        }
      }
    }
  }
  const b = layer.bias.data;
  const z = new Float64Array(m * F * Hp * Wp);
  const argmax = new Int32Array(z.length);
  for (let n = 0; n < m; n++) {
    for (let f = 0; f < F; f++) {
      const base = (n * F + f) * Hc * Wc;
      for (let I = 0; I < Hp; I++) {
        for (let J = 0; J < Wp; J++) {
          let best = -Infinity;
          let at = -1;
          for (let u = 0; u < p; u++) {
            for (let v = 0; v < p; v++) {
              const idx = base + (I * p + u) * Wc + (J * p + v);
              if (c[idx]! > best || at < 0) {
                best = c[idx]!;
                at = idx;
              }
            }
          }
          const o = ((n * F + f) * Hp + I) * Wp + J;
          z[o] = best + b[f]!;
          argmax[o] = slip.poolFirstElement ? base + I * p * Wc + J * p : at;
        }
      }
    }
  }
  const a = new Float64Array(z.length);
  // Elementwise σ: rows × cols is only a size here.
  layer.activation.value(z, a, 1, z.length);
  return { x, C, H, W, F, k, Hc, Wc, p, Hp, Wp, argmax, c, z, a };
}

/** Backward through one ConvPool layer, from δ = ∂C/∂z; returns ∂C/∂w, ∂C/∂b, ∂C/∂x. */
function convPoolBackward(s: ConvPoolState, layer: ConvPoolParams, delta: Float64Array, m: number, slip: ConvSlip): { dw: Float64Array; db: Float64Array; dx: Float64Array } {
  const { x, C, H, W, F, k, Hc, Wc, p, Hp, Wp, argmax } = s;
  // BP3c: ∂C/∂b[f] = Σ over the batch and positions of δ.
  const db = new Float64Array(F);
  for (let n = 0; n < m; n++) {
    for (let f = 0; f < F; f++) {
      const base = (n * F + f) * Hp * Wp;
      if (slip.biasOverBatchOnly) db[f] = db[f]! + delta[base]!;
      else for (let q = 0; q < Hp * Wp; q++) db[f] = db[f]! + delta[base + q]!;
    }
  }
  // BP-pool: δ goes to the position of each window's maximum.
  const dc = new Float64Array(m * F * Hc * Wc);
  for (let o = 0; o < delta.length; o++) {
    if (slip.poolSpread) {
      const J = o % Wp;
      const I = Math.floor(o / Wp) % Hp;
      const map = Math.floor(o / (Hp * Wp));
      for (let u = 0; u < p; u++) {
        for (let v = 0; v < p; v++) {
          const idx = map * Hc * Wc + (I * p + u) * Wc + J * p + v;
          dc[idx] = dc[idx]! + delta[o]! / (p * p);
        }
      }
    } else dc[argmax[o]!] = dc[argmax[o]!]! + delta[o]!;
  }
  // BP4c: ∂C/∂w = the correlation of the input with ∂C/∂c.
  const dw = new Float64Array(F * C * k * k);
  for (let f = 0; f < F; f++) {
    for (let ch = 0; ch < C; ch++) {
      for (let u = 0; u < k; u++) {
        for (let v = 0; v < k; v++) {
          let acc = 0;
          for (let n = 0; n < m; n++) {
            const d = (n * F + f) * Hc * Wc;
            const xin = (n * C + ch) * H * W;
            for (let i = 0; i < Hc; i++) for (let j = 0; j < Wc; j++) acc += dc[d + i * Wc + j]! * x[xin + (i + u) * W + (j + v)]!;
          }
          dw[((f * C + ch) * k + u) * k + v] = acc;
        }
      }
    }
  }
  // BP2c: ∂C/∂x = the full correlation of ∂C/∂c with the flipped kernels.
  const w = layer.weight.data;
  const dx = new Float64Array(m * C * H * W);
  for (let n = 0; n < m; n++) {
    for (let ch = 0; ch < C; ch++) {
      for (let r = 0; r < H; r++) {
        for (let t = 0; t < W; t++) {
          let acc = 0;
          for (let f = 0; f < F; f++) {
            const d = (n * F + f) * Hc * Wc;
            const win = (f * C + ch) * k * k;
            for (let u = 0; u < k; u++) {
              const i = r + u - (k - 1);
              if (i < 0 || i >= Hc) continue;
              for (let v = 0; v < k; v++) {
                const j = t + v - (k - 1);
                if (j < 0 || j >= Wc) continue;
                const flipped = slip.unflippedKernel ? u * k + v : (k - 1 - u) * k + (k - 1 - v);
                acc += dc[d + i * Wc + j]! * w[win + flipped]!;
              }
            }
          }
          dx[((n * C + ch) * H + r) * W + t] = acc;
        }
      }
    }
  }
  return { dw, db, dx };
}

function matmulAB(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let q = 0; q < k; q++) for (let j = 0; j < c; j++) out[i * c + j] = out[i * c + j]! + A[i * k + q]! * B[q * c + j]!;
  return out;
}

function matmulAtB(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(k * c);
  for (let q = 0; q < r; q++) for (let i = 0; i < k; i++) for (let j = 0; j < c; j++) out[i * c + j] = out[i * c + j]! + A[q * k + i]! * B[q * c + j]!;
  return out;
}

function matmulABt(A: Float64Array, B: Float64Array, r: number, c: number, k: number): Float64Array {
  const out = new Float64Array(r * k);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) for (let q = 0; q < c; q++) out[i * k + j] = out[i * k + j]! + A[i * c + q]! * B[j * c + q]!;
  return out;
}

/**
 * The implementation of {@link backpropConv}, with the mutation test's slips.
 * @internal
 */
export function backpropConvWith(net: ConvBackpropNetwork, X: Tensor, Y: Tensor, slip: ConvSlip): ConvBackpropResult {
  if (X.rank !== 4) throw new ShapeError('backpropConv', `expected X of shape [m, C, H, W], got [${X.shape.join(',')}]`, [X.shape]);
  if (net.dense.length === 0) throw new ShapeError('backpropConv', 'the network needs at least one fully connected (output) layer');
  const [m, C0, H0, W0] = X.shape as [number, number, number, number];
  // Forward through the ConvPool layers.
  const states: ConvPoolState[] = [];
  let x = X.data;
  let [C, H, W] = [C0, H0, W0];
  net.convPools.forEach((layer, i) => {
    const s = convPoolForward(layer, x, m, C, H, W, slip, i);
    states.push(s);
    x = s.a;
    [C, H, W] = [s.F, s.Hp, s.Wp];
  });
  // Flatten [m, C, H, W] into columns [C·H·W, m].
  const flat = C * H * W;
  const a0 = new Float64Array(flat * m);
  for (let n = 0; n < m; n++) for (let r = 0; r < flat; r++) a0[r * m + n] = x[n * flat + r]!;
  // Forward through the fully connected layers: z = w a + b, a = σ(z).
  const zs: Float64Array[] = [];
  const as: Float64Array[] = [a0];
  const sizes = [flat];
  net.dense.forEach((layer, l) => {
    const [rows, cols] = layer.weight.shape as [number, number];
    if (layer.weight.rank !== 2 || cols !== sizes[l]) throw new ShapeError('backpropConv', `dense[${l}].weight must be [n, ${sizes[l]}], got [${layer.weight.shape.join(',')}]`, [layer.weight.shape]);
    const z = matmulAB(layer.weight.data, as[l]!, rows, cols, m);
    const b = layer.bias.data;
    for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) z[i * m + j] = z[i * m + j]! + b[i]!;
    const a = new Float64Array(rows * m);
    layer.activation.value(z, a, rows, m);
    zs.push(z);
    as.push(a);
    sizes.push(rows);
  });
  const L = net.dense.length;
  const out = net.dense[L - 1]!;
  if (Y.rank !== 2 || Y.shape[0] !== sizes[L] || Y.shape[1] !== m) throw new ShapeError('backpropConv', `expected Y of shape [${sizes[L]},${m}], got [${Y.shape.join(',')}]`, [Y.shape]);
  const cost = net.cost.value(as[L]!, Y.data, m, { z: zs[L - 1]!, activation: out.activation, rows: sizes[L]! });

  const denseDeltas: Float64Array[] = new Array<Float64Array>(L);
  const denseW: Float64Array[] = new Array<Float64Array>(L);
  const denseB: Float64Array[] = new Array<Float64Array>(L);
  // BP1: δ^L = ∇_a C ⊙ σ'(z^L) (the cost knows the simplified forms, e.g. a − y for softmax).
  const dL = new Float64Array(sizes[L]! * m);
  net.cost.outputDelta(zs[L - 1]!, as[L]!, Y.data, out.activation, dL, sizes[L]!, m);
  denseDeltas[L - 1] = dL;
  for (let l = L - 1; l >= 0; l--) {
    const d = denseDeltas[l]!;
    const rows = sizes[l + 1]!;
    // BP3 and BP4.
    const db = new Float64Array(rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) db[i] = db[i]! + d[i * m + j]!;
    denseB[l] = db;
    denseW[l] = matmulABt(d, as[l]!, rows, m, sizes[l]!);
    if (l > 0) {
      // BP2: δ^{l} = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l).
      const gradA = matmulAtB(net.dense[l]!.weight.data, d, rows, sizes[l]!, m);
      const prev = new Float64Array(sizes[l]! * m);
      net.dense[l - 1]!.activation.backward(zs[l - 1]!, as[l]!, gradA, prev, sizes[l]!, m);
      denseDeltas[l - 1] = prev;
    }
  }

  const convDeltas: Float64Array[] = new Array<Float64Array>(states.length);
  const convW: Float64Array[] = new Array<Float64Array>(states.length);
  const convB: Float64Array[] = new Array<Float64Array>(states.length);
  if (states.length > 0) {
    // BP2 into the last ConvPool layer: (w^1)ᵀ δ^1 unflattened to [m, F, Hp, Wp], ⊙ σ'(z).
    const gradFlat = matmulAtB(net.dense[0]!.weight.data, denseDeltas[0]!, sizes[1]!, flat, m);
    let gradA: Float64Array = new Float64Array(m * flat);
    for (let n = 0; n < m; n++) for (let r = 0; r < flat; r++) gradA[n * flat + r] = gradFlat[r * m + n]!;
    for (let i = states.length - 1; i >= 0; i--) {
      const s = states[i]!;
      const layer = net.convPools[i]!;
      const prime = new Float64Array(s.z.length);
      if (slip.primeAtWrongZ) {
        const wrongZ = s.z.map((v, q) => v - layer.bias.data[Math.floor(q / (s.Hp * s.Wp)) % s.F]!);
        const wrongA = new Float64Array(wrongZ.length);
        layer.activation.value(wrongZ, wrongA, 1, wrongZ.length);
        layer.activation.prime(wrongZ, wrongA, prime);
      } else layer.activation.prime(s.z, s.a, prime);
      const delta = new Float64Array(s.z.length);
      for (let q = 0; q < delta.length; q++) delta[q] = gradA[q]! * prime[q]!;
      convDeltas[i] = delta;
      const { dw, db, dx } = convPoolBackward(s, layer, delta, m, slip);
      convW[i] = dw;
      convB[i] = db;
      gradA = dx;
    }
  }

  const tensorLike = (data: Float64Array, like: Tensor): Tensor => fromData(data, shapeOf(like));
  return {
    cost,
    nablaW: [...convW.map((d, i) => tensorLike(d, net.convPools[i]!.weight)), ...denseW.map((d, l) => tensorLike(d, net.dense[l]!.weight))],
    nablaB: [...convB.map((d, i) => tensorLike(d, net.convPools[i]!.bias)), ...denseB.map((d, l) => tensorLike(d, net.dense[l]!.bias))],
    deltas: [...convDeltas.map((d, i) => fromData(d, [m, states[i]!.F, states[i]!.Hp, states[i]!.Wp])), ...denseDeltas.map((d, l) => fromData(d, [sizes[l + 1]!, m]))],
    zs: [...states.map((s) => fromData(s.z, [m, s.F, s.Hp, s.Wp])), ...zs.map((z, l) => fromData(z, [sizes[l + 1]!, m]))],
  };
}

/**
 * Gradients of C (averaged over the batch) for a `network3`-style convolutional network, by the
 * δ equations written out by hand (BP1–BP4, BP-pool, BP2c–BP4c above), with no autodiff.
 *
 * @example
 * ```ts
 * const net = { convPools: [{ weight: w1, bias: b1, pool: 2, activation: sigmoid }], dense: [{ weight: w2, bias: b2, activation: softmax }], cost: logLikelihood };
 * const { nablaW, nablaB, deltas } = backpropConv(net, X, Y); // X [m, 1, 28, 28], Y [10, m]
 * ```
 * @param net - the layers' parameters (read, not changed) and the cost
 * @param X - inputs [m, C, H, W]
 * @param Y - targets [classes, m]
 * @throws ShapeError when the shapes of X, Y or a layer do not fit
 */
export function backpropConv(net: ConvBackpropNetwork, X: Tensor, Y: Tensor): ConvBackpropResult {
  return backpropConvWith(net, X, Y, {});
}
