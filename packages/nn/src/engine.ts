/**
 * Training engines for a {@link Network}: one SGD step on a mini-batch with every buffer
 * allocated once and reused, matrix products on WebAssembly SIMD where available. Two routes to
 * the same update, held against each other by the tests:
 * - `'backprop'`: the δ equations BP1–BP4 as fused kernels, in float64 or float32, with the
 *   SGD update folded into BP3/BP4 (w += (−η δ)·aᵀ accumulates straight into the weights);
 * - `'autodiff'`: the network's loss traced once as a tape (`trace` in @nabla/core) and
 *   replayed each step, gradients from the ops' backward rules, with the same update folded
 *   into each weight's gradient product by the tape's `sgdStep`.
 */
import { AnomalyError, type FloatDType, type MatrixKernels, type Tape, type Tensor, createKernels, fromData, isAnomalyDetectionEnabled, trace } from '@nabla/core';
import type { Activation } from './activations.ts';
import { Network } from './network.ts';

/** Which route computes the gradients. */
export type EngineName = 'autodiff' | 'backprop';

/** Options of {@link createTrainingEngine}. */
export interface TrainingEngineOptions {
  /** `'backprop'` (δ equations) or `'autodiff'` (traced tape). */
  engine: EngineName;
  /** Storage of weights and activations, for either engine (default float64). */
  dtype?: FloatDType;
  /** Every mini-batch size the engine will see (the last batch of an epoch may be shorter). */
  batchSizes: readonly number[];
  /** Learning rate η. */
  eta: number;
  /** L2 regularisation λ (default 0), as in Nielsen's network2: w ← (1 − ηλ/n) w − η ∇C. */
  lambda?: number;
  /** n, the training set size (needed when λ > 0). */
  n?: number;
  /** Use WebAssembly SIMD when supported (default true). */
  simd?: boolean;
  /**
   * Makes the engine's kernels, in place of `createKernels(dtype, { bytes, simd })`:
   * e.g. `withHelperThread` from `@nabla/core/threads` for a second core. The engine's `close()`
   * calls theirs.
   * @param dtype - the engine's storage type
   * @param bytes - bytes the engine needs for its buffers
   */
  kernels?: (dtype: FloatDType, bytes: number) => MatrixKernels & {
    /** Releases what the kernels hold (a helper thread); called by the engine's `close()`. */
    close?(): void;
  };
}

/** The input and target buffers of one batch size, to be filled before each `step`. */
export interface BatchBuffers {
  /** X [sizes[0], m], examples as columns, row-major. */
  readonly X: Float64Array | Float32Array;
  /** Y [sizes[L], m], row-major. */
  readonly Y: Float64Array | Float32Array;
}

/**
 * A network being trained by plain SGD with reusable buffers.
 *
 * NOTE: the network's own weights are stale while the engine trains; read them (predict,
 * evaluate, save) only after `commit()`.
 */
export interface TrainingEngine {
  /** The route computing the gradients. */
  readonly engine: EngineName;
  /** Storage of weights, activations and the batch buffers. */
  readonly dtype: FloatDType;
  /** True when the matrix products run WebAssembly SIMD. */
  readonly simd: boolean;
  /**
   * The buffers to fill for a batch of `m` examples.
   *
   * NOTE: each call for the same `m` returns the same buffers, not a copy: fill them, `step(m)`,
   * then refill for the next batch.
   * @param m - the batch size, one of `batchSizes`
   * @throws RangeError when `m` was not among `batchSizes`
   */
  batch(m: number): BatchBuffers;
  /**
   * Fills `batch(m)` from byte images: X's column j is image `order[start + j]` scaled to
   * [0, 1] (on SIMD where the kernels have it), Y's column j its one-hot label.
   * @param m - the batch size (one of `batchSizes`)
   * @param images - every image's `pixels` bytes, one image after another
   * @param pixels - bytes per image (= sizes[0])
   * @param labels - each image's class, below sizes[L]
   * @param order - which images, by number
   * @param start - where in `order` this batch starts
   */
  loadBatch(m: number, images: Uint8Array, pixels: number, labels: Uint8Array, order: ArrayLike<number>, start: number): void;
  /**
   * One SGD step on the batch in `batch(m)`; returns the batch's cost before the step.
   * @param m - the batch size whose buffers were filled
   * @throws RangeError when `m` was not among `batchSizes`
   */
  step(m: number): number;
  /** Copies the engine's weights back into the network (float64). */
  commit(): void;
  /** Releases what the engine holds beyond memory (a helper thread); it trains no more after. */
  close(): void;
}

function checkOptions(net: Network, o: TrainingEngineOptions): { decay: number; dtype: FloatDType } {
  const dtype = o.dtype ?? 'float64';
  if (o.engine !== 'backprop' && o.engine !== 'autodiff') throw new TypeError(`createTrainingEngine: unknown engine '${String(o.engine)}'; expected autodiff or backprop`);
  if (dtype !== 'float64' && dtype !== 'float32') throw new TypeError(`createTrainingEngine: unknown dtype '${String(dtype)}'; expected float64 or float32`);
  if (!(o.eta > 0)) throw new RangeError(`createTrainingEngine: eta must be positive, got ${o.eta}`);
  if (o.batchSizes.length === 0 || o.batchSizes.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new RangeError(`createTrainingEngine: batchSizes must be positive integers, got [${o.batchSizes.join(',')}]`);
  }
  const lambda = o.lambda ?? 0;
  if (lambda !== 0 && !(o.n !== undefined && o.n > 0)) throw new RangeError(`createTrainingEngine: lambda ${lambda} needs n, the training set size`);
  for (const act of [net.activation, net.outputActivation]) {
    if (!act.elementwise && act !== net.outputActivation) throw new TypeError(`createTrainingEngine: hidden activation ${act.name} is not elementwise`);
  }
  return { decay: lambda === 0 ? 1 : 1 - (o.eta * lambda) / o.n!, dtype };
}

/** The batch loader's share: a staging area for the images and their index. */
function batchBytes(net: Network, o: TrainingEngineOptions): number {
  const maxM = Math.max(...o.batchSizes);
  return net.sizes[0]! * maxM + 4 * maxM + 64;
}

function bytesFor(net: Network, batchSizes: readonly number[], bytesPerValue: number, copies: number): number {
  const sizes = net.sizes;
  let params = 0;
  for (let l = 1; l < sizes.length; l++) params += sizes[l]! * (sizes[l - 1]! + 1);
  let acts = 0;
  for (const m of new Set(batchSizes)) for (const n of sizes) acts += n * m;
  // Generous: parameters and their gradients, and several buffers per activation (z, a, δ,
  // tape intermediates), each rounded up to 16 bytes.
  return (params * 2 + acts * copies) * bytesPerValue + 64 * 1024;
}

/**
 * Creates a training engine for `net`: copies its weights into the engine's buffers, and
 * trains there until `commit()` copies them back.
 *
 * @example
 * ```ts
 * const engine = createTrainingEngine(net, { engine: 'backprop', dtype: 'float32', batchSizes: [10], eta: 3 });
 * const { X, Y } = engine.batch(10);
 * batchInto(train, order, start, 10, X, Y);
 * const cost = engine.step(10);
 * engine.commit(); // net now holds the trained weights
 * ```
 * @param net - the network to train
 * @param options - `engine`, `dtype`, `batchSizes`, `eta`, `lambda`, `n`, `simd`
 */
export function createTrainingEngine(net: Network, options: TrainingEngineOptions): TrainingEngine {
  const { decay, dtype } = checkOptions(net, options);
  return options.engine === 'backprop' ? deltaEngine(net, options, decay, dtype) : tapeEngine(net, options, decay, dtype);
}

type Floats = Float64Array | Float32Array;

/**
 * The `loadBatch` of an engine: each image of the batch is copied into the kernels' memory and
 * the batch is gathered there into X.
 *
 * NOTE: keeping the whole training set in that memory (read in place by index, no copy per
 * batch) was measured slower, 0.166 against 0.156 s per epoch at batch 100 and 0.19 against
 * 0.11 s with a helper thread: the staged batch stays in cache next to X.
 */
function batchLoader(
  k: Pick<MatrixKernels, 'allocBytes' | 'allocInts'> & { gather(images: Uint8Array, index: Int32Array, m: number, n: number, X: Floats): void },
  sizes: readonly number[],
  maxM: number,
  buffers: (m: number) => BatchBuffers,
): TrainingEngine['loadBatch'] {
  const pixels0 = sizes[0]!;
  const classes = sizes[sizes.length - 1]!;
  const stage = k.allocBytes(pixels0 * maxM);
  const index = k.allocInts(maxM);
  for (let j = 0; j < maxM; j++) index[j] = j;
  return (m, images, pixels, labels, order, start) => {
    if (pixels !== pixels0) throw new RangeError(`TrainingEngine.loadBatch: images of ${pixels} pixels for a network with ${pixels0} inputs`);
    const { X, Y } = buffers(m);
    Y.fill(0);
    const count = Math.floor(images.length / pixels);
    for (let j = 0; j < m; j++) {
      const i = order[start + j];
      if (i === undefined || !Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`TrainingEngine.loadBatch: order[${start + j}] is ${i}, not an image number below ${count}`);
      const label = labels[i]!;
      if (!(label < classes)) throw new RangeError(`TrainingEngine.loadBatch: label ${label} of image ${i} is not below ${classes}`);
      Y[label * m + j] = 1;
      stage.set(images.subarray(i * pixels, (i + 1) * pixels), j * pixels);
    }
    k.gather(stage, index, m, pixels, X);
  };
}

function activateInPlace(act: Activation, z: Floats, bias: Floats, a: Floats, rows: number, cols: number, simdSigmoid?: (Z: Floats, A: Floats) => void): void {
  // Fused: z += b (broadcast over the m columns) and a = σ(z), one loop per activation so the
  // inner loop has no branch on the activation's name.
  for (let i = 0; i < rows; i++) {
    const b = bias[i]!;
    for (let j = i * cols, end = j + cols; j < end; j++) z[j] = z[j]! + b;
  }
  const n = rows * cols;
  switch (act.name) {
    case 'sigmoid':
      if (simdSigmoid !== undefined) {
        simdSigmoid(z, a);
        return;
      }
      for (let j = 0; j < n; j++) {
        const v = z[j]!;
        // NOTE: e^−v overflows for v < −709; e^v / (1 + e^v) cannot.
        if (v >= 0) a[j] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          a[j] = e / (1 + e);
        }
      }
      return;
    case 'relu':
      for (let j = 0; j < n; j++) a[j] = z[j]! > 0 ? z[j]! : 0;
      return;
    case 'tanh':
      for (let j = 0; j < n; j++) a[j] = Math.tanh(z[j]!);
      return;
    case 'identity':
      a.set(z);
      return;
    case 'softmax':
      act.value(z as Float64Array, a as Float64Array, rows, cols);
      return;
  }
}

function multiplyByPrime(act: Activation, d: Floats, z: Floats, a: Floats): void {
  // BP2's ⊙ σ'(z^l), fused into one pass over δ.
  const name = act.name;
  if (name === 'sigmoid') for (let i = 0; i < d.length; i++) d[i] = d[i]! * a[i]! * (1 - a[i]!);
  else if (name === 'relu') for (let i = 0; i < d.length; i++) d[i] = z[i]! > 0 ? d[i]! : 0;
  else if (name === 'tanh') for (let i = 0; i < d.length; i++) d[i] = d[i]! * (1 - a[i]! * a[i]!);
}

function firstNonFinite(d: Floats): number {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return i;
  return -1;
}

/**
 * With anomaly detection on, the δ engine's forward pass is checked layer by layer: the first
 * layer whose z or a is non-finite is named, with what carried the value in (a pixel of X, a
 * weight or bias) or, when its inputs were finite, the layer itself.
 */
function checkForwardLayers(sizes: readonly number[], m: number, W: Floats[], B: Floats[], Z: Floats[], A: Floats[]): void {
  const L = sizes.length - 1;
  const at = (flat: number, cols: number): string => `[${Math.floor(flat / cols)},${flat % cols}]`;
  for (let l = 1; l <= L; l++) {
    const zBad = firstNonFinite(Z[l]!);
    const aBad = firstNonFinite(A[l]!);
    if (zBad < 0 && aBad < 0) continue;
    const op = `backprop engine, layer ${l}`;
    const x = firstNonFinite(A[l - 1]!);
    if (x >= 0) {
      const what = l === 1 ? `pixel ${Math.floor(x / m)} of example ${x % m} in X` : `a^${l - 1} at ${at(x, m)}`;
      throw new AnomalyError(op, 0, [sizes[l - 1]!, m], x, A[l - 1]![x]!, `${op}: ${what} is ${A[l - 1]![x]!}; it made z^${l} non-finite`);
    }
    const w = firstNonFinite(W[l - 1]!);
    if (w >= 0) throw new AnomalyError(op, 1, [sizes[l]!, sizes[l - 1]!], w, W[l - 1]![w]!, `${op}: weight w^${l}${at(w, sizes[l - 1]!)} is ${W[l - 1]![w]!}; it made z^${l} non-finite`);
    const b = firstNonFinite(B[l - 1]!);
    if (b >= 0) throw new AnomalyError(op, 2, [sizes[l]!, 1], b, B[l - 1]![b]!, `${op}: bias b^${l}[${b},0] is ${B[l - 1]![b]!}; it made z^${l} non-finite`);
    const flat = zBad >= 0 ? zBad : aBad;
    const which = zBad >= 0 ? `z^${l} = w^${l}·a^${l - 1} + b^${l}` : `a^${l} = σ(z^${l})`;
    const value = zBad >= 0 ? Z[l]![zBad]! : A[l]![aBad]!;
    throw new AnomalyError(op, -1, [sizes[l]!, m], flat, value, `${op}: ${which} is ${value} at ${at(flat, m)} from finite inputs`);
  }
}

function deltaEngine(net: Network, o: TrainingEngineOptions, decay: number, dtype: FloatDType): TrainingEngine {
  const sizes = net.sizes;
  const L = sizes.length - 1;
  const bytes = bytesFor(net, o.batchSizes, dtype === 'float64' ? 8 : 4, 4) + batchBytes(net, o);
  const k = (o.kernels !== undefined ? o.kernels(dtype, bytes) : createKernels(dtype, { bytes, simd: o.simd ?? true })) as MatrixKernels<FloatDType> & {
    close?(): void;
    alloc(n: number): Floats;
    gemmNN(M: number, N: number, K: number, A: Floats, B: Floats, C: Floats, acc: boolean): void;
    gemmNT(M: number, N: number, K: number, A: Floats, B: Floats, C: Floats, acc: boolean): void;
    gemmTN(M: number, N: number, K: number, A: Floats, B: Floats, C: Floats, acc: boolean): void;
    axpby(alpha: number, X: Floats, beta: number, Y: Floats): void;
    gather(images: Uint8Array, index: Int32Array, m: number, n: number, X: Floats): void;
    sigmoid?: (Z: Floats, A: Floats) => void;
  };
  const W = net.weights.map((w) => k.alloc(w.size));
  const B = net.biases.map((b) => k.alloc(b.size));
  W.forEach((w, l) => w.set(net.weights[l]!.data));
  B.forEach((b, l) => b.set(net.biases[l]!.data));
  const act = (l: number): Activation => (l === L ? net.outputActivation : net.activation);

  interface Buffers { A: Floats[]; Z: Floats[]; D: Floats[]; Y: Floats; out64: { z: Float64Array; a: Float64Array; y: Float64Array; d: Float64Array } }
  const perBatch = new Map<number, Buffers>();
  for (const m of new Set(o.batchSizes)) {
    const A = sizes.map((n) => k.alloc(n * m));
    const Z = sizes.map((n, l) => (l === 0 ? A[0]! : k.alloc(n * m)));
    const D = sizes.map((n, l) => (l === 0 ? A[0]! : k.alloc(n * m)));
    const nL = sizes[L]! * m;
    const out64 = { z: new Float64Array(nL), a: new Float64Array(nL), y: new Float64Array(nL), d: new Float64Array(nL) };
    perBatch.set(m, { A, Z, D, Y: k.alloc(nL), out64 });
  }
  const buffersFor = (m: number): Buffers => {
    const b = perBatch.get(m);
    if (b === undefined) throw new RangeError(`TrainingEngine: batch size ${m} was not among batchSizes [${o.batchSizes.join(',')}]`);
    return b;
  };
  const eta = o.eta;

  const batch = (m: number): BatchBuffers => {
    const b = buffersFor(m);
    return { X: b.A[0]!, Y: b.Y };
  };
  return {
    engine: 'backprop',
    dtype,
    simd: k.simd,
    batch,
    loadBatch: batchLoader(k, sizes, Math.max(...o.batchSizes), batch),
    step(m: number): number {
      const { A, Z, D, Y, out64 } = buffersFor(m);
      for (let l = 1; l <= L; l++) {
        k.gemmNN(sizes[l]!, m, sizes[l - 1]!, W[l - 1]!, A[l - 1]!, Z[l]!, false);
        activateInPlace(act(l), Z[l]!, B[l - 1]!, A[l]!, sizes[l]!, m, k.sigmoid);
      }
      if (isAnomalyDetectionEnabled()) checkForwardLayers(sizes, m, W, B, Z, A);
      // BP1 through the cost's own reference code, in float64 (the output layer is small).
      out64.z.set(Z[L]!);
      out64.a.set(A[L]!);
      out64.y.set(Y);
      net.cost.outputDelta(out64.z, out64.a, out64.y, act(L), out64.d, sizes[L]!, m);
      const cost = net.cost.value(out64.a, out64.y, m, { z: out64.z, activation: act(L), rows: sizes[L]! });
      D[L]!.set(out64.d);
      for (let l = L; l >= 2; l--) {
        k.gemmTN(sizes[l - 1]!, m, sizes[l]!, W[l - 1]!, D[l]!, D[l - 1]!, false); // BP2: (w^l)ᵀ δ^l …
        multiplyByPrime(act(l - 1), D[l - 1]!, Z[l - 1]!, A[l - 1]!); // … ⊙ σ'(z^{l−1})
      }
      // Every δ was computed from the old weights; now the update, with −η folded into δ so
      // BP4 accumulates straight into w and BP3 into b.
      for (let l = 1; l <= L; l++) {
        const d = D[l]!;
        for (let i = 0; i < d.length; i++) d[i] = -eta * d[i]!;
        const w = W[l - 1]!;
        if (decay !== 1) k.axpby(0, w, decay, w);
        k.gemmNT(sizes[l]!, sizes[l - 1]!, m, d, A[l - 1]!, w, true); // BP4
        const b = B[l - 1]!;
        for (let i = 0; i < sizes[l]!; i++) {
          let s = 0;
          for (let j = i * m, end = j + m; j < end; j++) s += d[j]!;
          b[i] = b[i]! + s; // BP3
        }
      }
      return cost;
    },
    commit() {
      W.forEach((w, l) => net.weights[l]!.data.set(w));
      B.forEach((b, l) => net.biases[l]!.data.set(b));
    },
    close() {
      k.close?.();
    },
  };
}

function tapeEngine(net: Network, o: TrainingEngineOptions, decay: number, dtype: FloatDType): TrainingEngine {
  const bytes = bytesFor(net, o.batchSizes, dtype === 'float64' ? 8 : 4, 24) + batchBytes(net, o);
  const k = (o.kernels !== undefined ? o.kernels(dtype, bytes) : createKernels(dtype, { bytes, simd: o.simd ?? true })) as MatrixKernels & { close?(): void };
  const f64 = dtype === 'float64';
  // float64: the twin's parameters and the batches live in the kernels' memory, as the tape's
  // buffers do. float32: they stay ordinary tensors that describe the graph, and the tapes
  // store their values in float32 buffers of the kernels, the parameters' shared by all tapes.
  const storage = (n: number): Float64Array => (f64 ? (k.alloc(n) as Float64Array) : new Float64Array(n));
  const twinParam = (t: Tensor, name: string): Tensor => {
    const data = storage(t.size);
    data.set(t.data);
    return fromData(data, t.shape, { requiresGrad: true, name });
  };
  // A twin of the network whose parameters the tapes read; `commit` copies them back.
  const twin = new Network(net.sizes, {
    activation: net.activation.name,
    outputActivation: net.outputActivation.name,
    cost: net.cost.name,
    params: net.weights.map((w, l) => ({ weight: twinParam(w, `w^${l + 1}`), bias: twinParam(net.biases[l]!, `b^${l + 1}`) })),
  });
  const weights = twin.weights;
  const biases = twin.biases;
  const params = [...weights, ...biases];
  const shared = new Map<Tensor, Float32Array>();
  if (!f64) {
    for (const p of params) {
      const b = k.alloc(p.size) as Float32Array;
      b.set(p.data);
      shared.set(p, b);
    }
  }
  const tapes = new Map<number, { tape: Tape; X: Tensor; Y: Tensor }>();
  for (const m of new Set(o.batchSizes)) {
    const nIn = net.sizes[0]!;
    const nOut = net.sizes[net.sizes.length - 1]!;
    const X = fromData(storage(nIn * m), [nIn, m], { name: 'X' });
    const Y = fromData(storage(nOut * m), [nOut, m]);
    const tape = trace(() => twin.loss(X, Y), f64 ? { kernels: k } : { kernels: k, leafBuffers: shared });
    tapes.set(m, { tape, X, Y });
  }
  const tapeFor = (m: number) => {
    const t = tapes.get(m);
    if (t === undefined) throw new RangeError(`TrainingEngine: batch size ${m} was not among batchSizes [${o.batchSizes.join(',')}]`);
    return t;
  };
  const eta = o.eta;
  // Weights decay (L2), biases do not; the tape folds −η into each weight's gradient product.
  const weightSet = new Set<Tensor>(weights);
  const decayOf = (p: Tensor): number => (weightSet.has(p) ? decay : 1);
  const batch = (m: number): BatchBuffers => {
    const t = tapeFor(m);
    return { X: t.tape.buffer(t.X), Y: t.tape.buffer(t.Y) };
  };
  const anyTape = tapes.values().next().value!.tape;
  return {
    engine: 'autodiff',
    dtype,
    simd: k.simd,
    batch,
    loadBatch: batchLoader(k as Parameters<typeof batchLoader>[0], net.sizes, Math.max(...o.batchSizes), batch),
    step(m: number): number {
      const { tape } = tapeFor(m);
      const cost = tape.forward();
      tape.sgdStep(eta, decayOf);
      return cost;
    },
    commit() {
      weights.forEach((w, l) => net.weights[l]!.data.set(anyTape.buffer(w)));
      biases.forEach((b, l) => net.biases[l]!.data.set(anyTape.buffer(b)));
    },
    close() {
      k.close?.();
    },
  };
}
