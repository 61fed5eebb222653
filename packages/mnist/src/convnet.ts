/**
 * Layer-stack networks for MNIST (Nielsen's chapter 6): a `--net` spec such as
 * `conv:20x5,maxpool:2,dense:100,dense:10` built into a `Sequential` of nn layers, and its
 * training by mini-batch SGD through tensors and autodiff (conv layers read [m, 1, 28, 28];
 * `Flatten` bridges to the dense layers' columns).
 */
import { type FloatDType, type MatrixKernels, type Tape, type TapeBuffer, type Tensor, createKernels, createRng, fromData, noGrad, trace } from '@nabla/core';
import {
  type ActivationName,
  AvgPool2d,
  Conv2d,
  type CostName,
  Dense,
  Dropout,
  Flatten,
  type InitName,
  MaxPool2d,
  type Module,
  SGD,
  Sequential,
  defaultOutputActivation,
  getActivation,
  getCost,
} from '@nabla/nn';
import { CLASSES, type Mnist, type Split } from './dataset.ts';
import { TrainOptionError, TrainingDivergedError } from './errors.ts';
import type { EpochMetrics, Evaluation, Interruption } from './trainer.ts';

/** `conv:<maps>x<k>`. */
export interface ConvSpec {
  /** Always `'conv'`. */
  kind: 'conv';
  /** Feature maps. */
  maps: number;
  /** Kernel size k (k × k). */
  kernel: number;
}

/** `maxpool:<p>` or `avgpool:<p>`. */
export interface PoolSpec {
  /** `'maxpool'` or `'avgpool'`. */
  kind: 'maxpool' | 'avgpool';
  /** Window size p (p × p, stride p). */
  size: number;
}

/** `dense:<n>`. */
export interface DenseSpec {
  /** Always `'dense'`. */
  kind: 'dense';
  /** Neurons. */
  units: number;
}

/** `dropout:<rate>`. */
export interface DropoutSpec {
  /** Always `'dropout'`. */
  kind: 'dropout';
  /** Probability of zeroing an element, in [0, 1). */
  rate: number;
}

/** One layer of a `--net` spec. */
export type NetLayerSpec = ConvSpec | PoolSpec | DenseSpec | DropoutSpec;

function positiveInt(text: string): number | null {
  return /^[1-9]\d{0,5}$/.test(text) ? Number(text) : null;
}

/**
 * Parses a `--net` spec: layers separated by commas, each `kind:args` — `conv:<maps>x<k>` (k×k
 * kernels, stride 1, no padding), `maxpool:<p>` and `avgpool:<p>` (p×p, stride p),
 * `dense:<n>`, `dropout:<rate>`; the last layer must be `dense:10`.
 * @example
 * ```ts
 * parseNetSpec('conv:20x5,maxpool:2,dense:100,dense:10');
 * ```
 * @param spec - the spec
 * @throws {@link TrainOptionError} naming the layer at fault (its position and text)
 */
export function parseNetSpec(spec: string): NetLayerSpec[] {
  if (typeof spec !== 'string' || spec.trim() === '') throw new TrainOptionError('net', 'is empty; expected layers such as conv:20x5,maxpool:2,dense:100,dense:10');
  const layers = spec.split(',').map((raw, i): NetLayerSpec => {
    const text = raw.trim();
    const fail = (why: string): never => {
      throw new TrainOptionError('net', `layer ${i + 1} "${text}": ${why}`);
    };
    const colon = text.indexOf(':');
    const kind = colon < 0 ? text : text.slice(0, colon);
    const args = colon < 0 ? '' : text.slice(colon + 1);
    switch (kind) {
      case 'conv': {
        const m = /^(\d+)x(\d+)$/.exec(args);
        const maps = m ? positiveInt(m[1]!) : null;
        const kernel = m ? positiveInt(m[2]!) : null;
        if (maps === null || kernel === null) return fail('expected conv:<maps>x<k> with positive integers, e.g. conv:20x5');
        return { kind: 'conv', maps, kernel };
      }
      case 'maxpool':
      case 'avgpool': {
        const size = positiveInt(args);
        if (size === null) return fail(`expected ${kind}:<p> with a positive integer, e.g. ${kind}:2`);
        return { kind, size };
      }
      case 'dense': {
        const units = positiveInt(args);
        if (units === null) return fail('expected dense:<n> with a positive integer, e.g. dense:100');
        return { kind: 'dense', units };
      }
      case 'dropout': {
        const rate = /^(0(\.\d+)?|\.\d+)$/.test(args) ? Number(args) : NaN;
        if (!(rate >= 0 && rate < 1)) return fail('expected dropout:<rate> with a rate in [0, 1), e.g. dropout:0.5');
        return { kind: 'dropout', rate };
      }
      default:
        return fail('unknown kind; expected conv, maxpool, avgpool, dense or dropout');
    }
  });
  const last = layers[layers.length - 1]!;
  if (last.kind !== 'dense' || last.units !== CLASSES) {
    throw new TrainOptionError('net', `layer ${layers.length} "${spec.split(',').pop()!.trim()}": the last layer must be dense:${CLASSES}, one unit per digit`);
  }
  return layers;
}

/**
 * A spec written back as `--net` reads it.
 * @example
 * ```ts
 * formatNetSpec(parseNetSpec('conv:20x5,maxpool:2,dense:10')); // 'conv:20x5,maxpool:2,dense:10'
 * ```
 * @param layers - the layers
 */
export function formatNetSpec(layers: readonly NetLayerSpec[]): string {
  return layers
    .map((l) => {
      switch (l.kind) {
        case 'conv':
          return `conv:${l.maps}x${l.kernel}`;
        case 'dense':
          return `dense:${l.units}`;
        case 'dropout':
          return `dropout:${l.rate}`;
        default:
          return `${l.kind}:${l.size}`;
      }
    })
    .join(',');
}

/**
 * The spec with a dropout layer of `rate` before every dense layer: where network3 applies
 * dropout (to the input of each fully connected and softmax layer). A rate of 0 changes nothing.
 * @example
 * ```ts
 * withDropout(parseNetSpec('conv:20x5,maxpool:2,dense:100,dense:10'), 0.5);
 * // conv:20x5, maxpool:2, dropout:0.5, dense:100, dropout:0.5, dense:10
 * ```
 * @param layers - the parsed spec
 * @param rate - the dropout rate, in [0, 1)
 */
export function withDropout(layers: readonly NetLayerSpec[], rate: number): NetLayerSpec[] {
  if (rate === 0) return [...layers];
  return layers.flatMap((l): NetLayerSpec[] => (l.kind === 'dense' ? [{ kind: 'dropout', rate }, l] : [l]));
}

/** Options of {@link buildNet}. */
export interface BuildNetOptions {
  /** σ of the hidden layers (default sigmoid). */
  activation?: ActivationName;
  /** Initialiser of the conv and dense weights (default `'scaled'`). */
  init?: InitName;
  /** Seed of the initialisers and dropout masks (default 1). */
  seed?: number;
  /** Image shape [C, H, W] (default [1, 28, 28]). */
  input?: readonly [number, number, number];
}

/**
 * Builds the layers of a parsed spec. The last dense layer outputs the logits z (identity): the
 * output activation goes with the cost (softmax for the log-likelihood), applied by {@link trainNet}.
 * @example
 * ```ts
 * const model = buildNet(parseNetSpec('conv:20x5,maxpool:2,dense:100,dense:10'), { activation: 'sigmoid' });
 * ```
 * @param layers - the parsed spec
 * @param options - `activation`, `init`, `seed`, `input`
 * @throws {@link TrainOptionError} naming the layer that does not fit its input
 */
export function buildNet(layers: readonly NetLayerSpec[], options: BuildNetOptions = {}): Sequential {
  const activation = options.activation ?? 'sigmoid';
  const init = options.init ?? 'scaled';
  let seed = options.seed ?? 1;
  let [C, H, W] = options.input ?? [1, 28, 28];
  let flat: number | null = null;
  const modules: Module[] = [];
  layers.forEach((l, i) => {
    const at = `layer ${i + 1} (${l.kind})`;
    if (l.kind === 'dense') {
      if (flat === null) {
        modules.push(new Flatten());
        flat = C * H * W;
      }
      const last = i === layers.length - 1;
      modules.push(new Dense(flat, l.units, { activation: last ? 'identity' : activation, init, seed: seed++ }));
      flat = l.units;
      return;
    }
    if (l.kind === 'dropout') {
      modules.push(new Dropout(l.rate, { seed: seed++ }));
      return;
    }
    if (flat !== null) throw new TrainOptionError('net', `${at}: convolution and pooling must come before the dense layers`);
    if (l.kind === 'conv') {
      if (l.kernel > H || l.kernel > W) throw new TrainOptionError('net', `${at}: a ${l.kernel}×${l.kernel} kernel does not fit a ${H}×${W} input`);
      modules.push(new Conv2d(C, l.maps, l.kernel, { activation, init, seed: seed++ }));
      [C, H, W] = [l.maps, H - l.kernel + 1, W - l.kernel + 1];
      return;
    }
    if (l.size > H || l.size > W) throw new TrainOptionError('net', `${at}: a ${l.size}×${l.size} window does not fit a ${H}×${W} input`);
    modules.push(l.kind === 'maxpool' ? new MaxPool2d(l.size) : new AvgPool2d(l.size));
    [H, W] = [Math.floor(H / l.size), Math.floor(W / l.size)];
  });
  return new Sequential(...modules);
}

/** Options of {@link trainNet}. */
export interface TrainNetOptions {
  /** The layer stack (from {@link buildNet}); its last layer outputs the logits. */
  model: Sequential;
  /** The data. */
  data: Mnist;
  /** Passes over the training set. */
  epochs: number;
  /** Mini-batch size m. */
  batchSize: number;
  /** Learning rate η. */
  eta: number;
  /** The cost; `'logLikelihood'` puts softmax on the output (default). */
  cost?: CostName;
  /** σ of the hidden layers, which the quadratic cost also puts on the output (default sigmoid). */
  activation?: ActivationName;
  /** L2 strength λ in network3's form: C + ½λ Σ w² / (n/m) over the weights (default 0). */
  lambda?: number;
  /** Seed of the shuffle (default 1). */
  seed?: number;
  /**
   * true: every step builds the graph eagerly, runs `backward()` and an `SGD` optimizer
   * (the reference route, slower); false (default): the step traced once per batch size as a
   * tape and replayed with the update folded in (`Tape.sgdStep`). Both compute the same update.
   */
  reference?: boolean;
  /**
   * Storage of the traced step (default `'float64'`): `'float32'` replays the tapes on float32
   * buffers (`trace`'s float32 kernels), the parameters kept in float32 between steps. Not with
   * `reference`.
   */
  dtype?: FloatDType;
  /** Checked before every mini-batch. */
  signal?: AbortSignal;
  /**
   * Called after each epoch's evaluation.
   * @param metrics - the epoch's metrics
   */
  onEpoch?: (metrics: EpochMetrics) => void;
  /**
   * Called after each mini-batch.
   * @param done - mini-batches finished in this epoch
   * @param total - mini-batches in this epoch
   * @param epoch - the current epoch, from 1
   */
  onBatch?: (done: number, total: number, epoch: number) => void;
}

/** What {@link trainNet} returns. */
export interface TrainNetResult {
  /** The trained model. */
  model: Sequential;
  /** Metrics per epoch. */
  history: EpochMetrics[];
  /** Where an abort stopped the run, or null. */
  interrupted: Interruption | null;
}

/** Images n (by `order[start + j]`) as a batch [m, 1, H, W] scaled to [0, 1]. */
function imagesOf(split: Split, order: ArrayLike<number>, start: number, m: number): Tensor {
  const x = new Float64Array(m * split.rows * split.cols);
  imagesInto(split, order, start, m, x);
  return fromData(x, [m, 1, split.rows, split.cols]);
}

function labelsOf(split: Split, order: ArrayLike<number>, start: number, m: number): Tensor {
  const y = new Float64Array(CLASSES * m);
  labelsInto(split, order, start, m, y);
  return fromData(y, [CLASSES, m]);
}

/**
 * Accuracy of a layer stack on a split (largest logit = label), in chunks, in evaluation mode.
 * @example
 * ```ts
 * evaluateNet(model, data.test); // { correct, total, accuracy }
 * ```
 * @param model - the layer stack; its output is [10, m]
 * @param split - the examples
 * @param chunk - images per forward pass (default 100: chunks of 500 ran 3–4× slower per image on chapter 6's first conv net, the larger tensors costing more in allocation and collection than the wider products save)
 */
export function evaluateNet(model: Sequential, split: Split, chunk = EVAL_CHUNK): Evaluation {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  const order = Int32Array.from({ length: split.count }, (_, i) => i);
  try {
    for (let start = 0; start < split.count; start += chunk) {
      const m = Math.min(chunk, split.count - start);
      const z = noGrad(() => model.forward(imagesOf(split, order, start, m)));
      correct += countCorrect(z.data, split, start, m);
    }
  } finally {
    model.train(wasTraining);
  }
  return { correct, total: split.count, accuracy: split.count === 0 ? 0 : correct / split.count };
}

/** How many of images start … start + m − 1 have their largest logit (z [10, m]) at their label. */
function countCorrect(z: TapeBuffer, split: Split, start: number, m: number): number {
  let correct = 0;
  for (let j = 0; j < m; j++) {
    let best = 0;
    for (let r = 1; r < CLASSES; r++) if (z[r * m + j]! > z[best * m + j]!) best = r;
    if (best === split.labels[start + j]) correct++;
  }
  return correct;
}

/** Images per forward pass when evaluating (see {@link evaluateNet}'s `chunk`). */
const EVAL_CHUNK = 100;

/** The chunk sizes evaluating a split of `count` images takes. */
function evalSizes(count: number): number[] {
  return count === 0 ? [] : [Math.min(EVAL_CHUNK, count), count % EVAL_CHUNK].filter((m) => m > 0);
}

/**
 * The step of a layer stack as replayable tapes, one per batch size: a twin of the model whose
 * Dense and Conv2d parameters live in one WebAssembly arena with the tapes' buffers (so the
 * dense products run in place; in float32 the tapes' shared float32 copies of them do), the
 * loss traced once, and each step a replay with the SGD update folded in. Other layers
 * (pooling, Flatten, Dropout with its generator) are shared with the model; `commit()` copies
 * the twin's parameters back.
 */
interface TracedStep {
  /** Fills the batch, replays forward; returns the mini-batch cost (without the L2 term). */
  forward(split: Split, order: ArrayLike<number>, start: number, m: number): number;
  /** The SGD update for the batch just replayed: w ← (1 − ηλm/n)·w − η∇C, biases without decay. */
  update(m: number): void;
  /** Copies the trained parameters into the model's tensors. */
  commit(): void;
  /**
   * {@link evaluateNet} of the twin, by forward-only replays of the model in evaluation mode
   * traced per chunk size (no allocation per chunk); the same counts as evaluateNet of the
   * committed model.
   */
  evaluate(split: Split): Evaluation;
}

function tracedStep(model: Sequential, loss: (z: Tensor, y: Tensor) => Tensor, sizes: readonly number[], eta: number, lambda: number, n: number, shape: readonly [number, number, number], evalChunks: readonly number[], dtype: FloatDType): TracedStep {
  const pixels = shape[0] * shape[1] * shape[2];
  const f64 = dtype === 'float64';
  const twinOf = (place: (t: Tensor) => Tensor): Sequential =>
    new Sequential(
      ...model.layers.map((layer) => {
        if (layer instanceof Dense) {
          const [outputs, inputs] = layer.weight.shape as [number, number];
          return new Dense(inputs, outputs, { activation: layer.activation, params: { weight: place(layer.weight), bias: place(layer.bias) } });
        }
        if (layer instanceof Conv2d) {
          return new Conv2d(layer.inChannels, layer.outChannels, layer.kernel, { stride: layer.stride, padding: layer.padding, activation: layer.activation, params: { weight: place(layer.weight), bias: place(layer.bias) } });
        }
        return layer;
      }),
    );
  // float64: every buffer in the kernels' arena (`allocate`). float32: the graph traced on
  // ordinary arrays, the tapes' float32 buffers from the kernels, the parameters' shared.
  type Where = { allocate: (n: number) => Float64Array } | { kernels: MatrixKernels<'float32'>; leafBuffers: ReadonlyMap<Tensor, Float32Array> };
  const inputOf = (where: Where, size: number): Float64Array => ('allocate' in where ? where.allocate(size) : new Float64Array(size));
  const tapeOf = (twin: Sequential, m: number, where: Where): { tape: Tape; X: Tensor; Y: Tensor } => {
    const X = fromData(inputOf(where, m * pixels), [m, ...shape]);
    const Y = fromData(inputOf(where, CLASSES * m), [CLASSES, m]);
    return { tape: trace(() => loss(twin.forward(X), Y), where), X, Y };
  };
  // The forward pass alone, in evaluation mode (Dropout passes through), its logits z [10, m]
  // read after each replay. A tape's output is a scalar, so the trace ends in z's sum.
  const evalTapeOf = (twin: Sequential, m: number, where: Where): { tape: Tape; X: Tensor; z: Tensor } => {
    const X = fromData(inputOf(where, m * pixels), [m, ...shape]);
    let z: Tensor | null = null;
    twin.eval();
    try {
      const tape = trace(() => (z = twin.forward(X)).sum(), where);
      return { tape, X, z: z! };
    } finally {
      twin.train();
    }
  };
  // A first trace on ordinary arrays counts the buffers, so the arena is sized once.
  let count = 0;
  const counting = (k: number): Float64Array => {
    count += k + 8; // room for each buffer's alignment
    return new Float64Array(k);
  };
  const probe = twinOf((t) => fromData(counting(t.size), t.shape, { requiresGrad: true }));
  for (const m of sizes) tapeOf(probe, m, { allocate: counting });
  for (const m of evalChunks) evalTapeOf(probe, m, { allocate: counting });
  const k = createKernels(dtype, { bytes: (f64 ? 8 : 4) * count + (1 << 20) });
  // Each twin parameter beside the model's tensor it copies (commit copies back by these pairs).
  const pairs: [Tensor, Tensor][] = [];
  const shared = new Map<Tensor, Float32Array>();
  const twin = twinOf((t) => {
    const data = f64 ? (k.alloc(t.size) as Float64Array) : new Float64Array(t.size);
    data.set(t.data);
    const copy = fromData(data, t.shape, { requiresGrad: true, name: t.name });
    if (!f64) {
      const b = k.alloc(t.size) as Float32Array;
      b.set(t.data);
      shared.set(copy, b);
    }
    pairs.push([t, copy]);
    return copy;
  });
  twin.train();
  const where: Where = f64 ? { allocate: (size) => k.alloc(size) as Float64Array } : { kernels: k as MatrixKernels<'float32'>, leafBuffers: shared };
  const tapes = new Map(sizes.map((m) => [m, tapeOf(twin, m, where)] as const));
  const evalTapes = new Map(evalChunks.map((m) => [m, evalTapeOf(twin, m, where)] as const));
  const anyTape = tapes.values().next().value!.tape;
  // Images in their own order (imagesInto reads through an order).
  let inOrder = new Int32Array(0);
  const params = twin.parameters();
  const weights = new Set(params.filter((p) => p.rank >= 2));
  let decay = 1;
  const decayOf = (p: Tensor): number => (weights.has(p) ? decay : 1);
  return {
    forward(split, order, start, m) {
      const { tape, X, Y } = tapes.get(m)!;
      imagesInto(split, order, start, m, tape.buffer(X));
      labelsInto(split, order, start, m, tape.buffer(Y));
      return tape.forward();
    },
    update(m) {
      // network3's L2 term ½λ‖w‖²·m/n adds λ(m/n)·w to each weight's gradient: a decay factor.
      decay = 1 - (eta * lambda * m) / n;
      tapes.get(m)!.tape.sgdStep(eta, decayOf);
    },
    commit() {
      // Layers without a twin (pooling, Flatten, Dropout, others) train the model's own tensors.
      for (const [original, copy] of pairs) original.data.set(anyTape.buffer(copy));
    },
    evaluate(split) {
      let correct = 0;
      if (inOrder.length < split.count) inOrder = Int32Array.from({ length: split.count }, (_, i) => i);
      for (let start = 0; start < split.count; start += EVAL_CHUNK) {
        const m = Math.min(EVAL_CHUNK, split.count - start);
        const { tape, X, z } = evalTapes.get(m)!;
        imagesInto(split, inOrder, start, m, tape.buffer(X));
        tape.forward();
        correct += countCorrect(tape.buffer(z), split, start, m);
      }
      return { correct, total: split.count, accuracy: split.count === 0 ? 0 : correct / split.count };
    },
  };
}

/** Writes images n (by `order[start + j]`) into x as a batch [m, 1, H, W] scaled to [0, 1]. */
function imagesInto(split: Split, order: ArrayLike<number>, start: number, m: number, x: TapeBuffer): void {
  const size = split.rows * split.cols;
  for (let j = 0; j < m; j++) {
    const i = order[start + j]!;
    for (let p = 0; p < size; p++) x[j * size + p] = split.images[i * size + p]! / 255;
  }
}

/** Writes the one-hot labels [10, m] of images n (by `order[start + j]`) into y. */
function labelsInto(split: Split, order: ArrayLike<number>, start: number, m: number, y: TapeBuffer): void {
  y.fill(0);
  for (let j = 0; j < m; j++) y[split.labels[order[start + j]!]! * m + j] = 1;
}

/**
 * Trains a layer stack on MNIST by mini-batch SGD through tensors and autodiff, evaluating after
 * every epoch (on the validation split when one is held out, and then on the test set too, in
 * `test`; else on the test set).
 * @example
 * ```ts
 * const model = buildNet(parseNetSpec('conv:20x5,maxpool:2,dense:100,dense:10'));
 * const { history } = await trainNet({ model, data, epochs: 1, batchSize: 10, eta: 0.1, cost: 'logLikelihood' });
 * ```
 * @param options - see {@link TrainNetOptions}
 * @throws {@link TrainingDivergedError} when a mini-batch's cost is not finite
 */
export async function trainNet(options: TrainNetOptions): Promise<TrainNetResult> {
  const { model, data, epochs, batchSize, eta } = options;
  const cost = getCost(options.cost ?? 'logLikelihood');
  const output = getActivation(defaultOutputActivation(cost.name, options.activation ?? 'sigmoid'));
  const lambda = options.lambda ?? 0;
  const train = data.train;
  const n = train.count;
  if (n === 0) throw new TrainOptionError('data', 'has no training examples (check limit and validation)');
  const evalSplit = data.validation ?? data.test;
  const params = model.parameters();
  // network3's L2 acts on the weights (rank ≥ 2: kernels and matrices), not the biases.
  const weights = params.filter((p) => p.rank >= 2);
  const optimizer = new SGD(params, { eta });
  const lossOf = (z: Tensor, y: Tensor): Tensor => cost.loss(z, output.apply(z), y, output);
  const sizes = [...new Set([batchSize, n % batchSize || batchSize])].filter((m) => m <= n);
  const evalChunks = [...new Set([...evalSizes(evalSplit.count), ...(data.validation !== null ? evalSizes(data.test.count) : [])])];
  const dtype = options.dtype ?? 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') throw new TrainOptionError('dtype', `must be float64 or float32, got ${String(dtype)}`);
  if (dtype === 'float32' && options.reference === true) throw new TrainOptionError('dtype', 'float32 runs only in the traced step, not with reference');
  const traced = options.reference === true ? null : tracedStep(model, lossOf, sizes, eta, lambda, n, [1, train.rows, train.cols], evalChunks, dtype);
  const evaluate = (split: Split): Evaluation => (traced !== null ? traced.evaluate(split) : evaluateNet(model, split));
  const rng = createRng((options.seed ?? 1) ^ 0x53485546);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const batches = Math.ceil(n / batchSize);
  const history: EpochMetrics[] = [];
  let lastYield = performance.now();
  model.train();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    rng.shuffle(order);
    const started = performance.now();
    let costSum = 0;
    for (let b = 0; b < batches; b++) {
      if (performance.now() - lastYield > 50) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      if (options.signal?.aborted === true) {
        traced?.commit();
        return { model, history, interrupted: { epoch, batches: b, batchesPerEpoch: batches, steps: (epoch - 1) * batches + b } };
      }
      const start = b * batchSize;
      const m = Math.min(batchSize, n - start);
      let value: number;
      if (traced !== null) {
        value = traced.forward(train, order, start, m);
        if (!Number.isFinite(value)) throw new TrainingDivergedError(epoch, b + 1, batches, `the mini-batch cost is ${value}`, value);
        traced.update(m);
      } else {
        const z = model.forward(imagesOf(train, order, start, m));
        let loss = lossOf(z, labelsOf(train, order, start, m));
        value = loss.item();
        if (!Number.isFinite(value)) throw new TrainingDivergedError(epoch, b + 1, batches, `the mini-batch cost is ${value}`, value);
        if (lambda > 0) for (const w of weights) loss = loss.add(w.square().sum().mul((0.5 * lambda * m) / n));
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }
      costSum += value * m;
      options.onBatch?.(b + 1, batches, epoch);
    }
    const seconds = (performance.now() - started) / 1000;
    traced?.commit();
    for (const p of params) {
      for (let k = 0; k < p.size; k++) {
        if (!Number.isFinite(p.data[k]!)) throw new TrainingDivergedError(epoch, batches, batches, `a weight is ${p.data[k]} after the epoch's last update`, p.data[k]!);
      }
    }
    const metrics: EpochMetrics = { epoch, ...evaluate(evalSplit), seconds, cost: costSum / n };
    if (data.validation !== null) metrics.test = evaluate(data.test);
    history.push(metrics);
    options.onEpoch?.(metrics);
  }
  return { model, history, interrupted: null };
}
