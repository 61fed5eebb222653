// Mini-batch training of Nielsen's network on MNIST: a seeded shuffle per epoch, each batch packed
// into reused [784, m] / [10, m] buffers, gradients from a pluggable engine into the parameters'
// `.grad`, one optimizer step, and an evaluation after every epoch.
import { type FloatDType, type Tensor, createKernels, createRng, fromData, noGrad } from '@nabla/core';
import { withHelperThread } from '@nabla/core/threads';
import {
  Adam,
  type ActivationName,
  type CostName,
  type InitName,
  Network,
  type Optimizer,
  SGD,
  backprop,
  backpropPerExample,
  checkInit,
  createTrainingEngine,
  type TrainingEngine,
  getActivation,
  getCost,
} from '@nabla/nn';
import { CLASSES, batchInto, loadMnist, type Mnist, type Split } from './dataset.ts';
import { TrainOptionError, TrainingDivergedError } from './errors.ts';

/**
 * How gradients are computed: the autodiff graph (`loss` + `backward`) or the δ equations BP1–BP4.
 *
 * @example
 * ```ts
 * await train({ engine: 'backprop' }); // same weights as 'autodiff' to ~1e-15
 * ```
 */
export type EngineName = 'autodiff' | 'backprop';

/**
 * A whole mini-batch X [784, m] at once (`matrix`), or Nielsen's per-example loop (`loop`).
 *
 * @example
 * ```ts
 * await train({ mode: 'loop', epochs: 1 }); // Nielsen's original, slower route
 * ```
 */
export type ModeName = 'matrix' | 'loop';

/**
 * The parameter update: plain SGD, SGD with momentum, or Adam (all from `@nabla/nn`).
 *
 * @example
 * ```ts
 * await train({ optimizer: 'adam', eta: 0.01 });
 * ```
 */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/**
 * Computes the gradients of one mini-batch: after `step`, every weight and bias of the network
 * holds ∂C/∂param in its `.grad` (C averaged over the batch's m columns, replacing any earlier
 * gradient), so any optimizer can take the step. A faster engine plugs in by implementing this.
 *
 * @example
 * ```ts
 * const engine = createGradientEngine(net, 'backprop', 'matrix');
 * const cost = engine.step(X, Y); // X [784, m], Y [10, m]
 * optimizer.step();
 * ```
 */
export interface GradientEngine {
  /**
   * Fills `.grad` of every parameter from the batch and returns C at the batch (before the update).
   * @param X - inputs [sizes[0], m], examples as columns
   * @param Y - one-hot targets [sizes[L], m]
   */
  step(X: Tensor, Y: Tensor): number;
}

/**
 * Builds a {@link GradientEngine} for a network; pass one as `train({ engine })` to use your own.
 *
 * @example
 * ```ts
 * const mine: GradientEngineFactory = (net) => ({ step: (X, Y) => myGradients(net, X, Y) });
 * await train({ engine: mine });
 * ```
 */
export type GradientEngineFactory = (net: Network, mode: ModeName) => GradientEngine;

/**
 * Test-set (or validation-set) accuracy of a network.
 *
 * @example
 * ```ts
 * const { correct, total, accuracy } = evaluate(net, test); // 9542, 10000, 0.9542
 * ```
 */
export interface Evaluation {
  /** Examples whose largest output is the true label. */
  correct: number;
  /** Examples evaluated. */
  total: number;
  /** `correct / total`, a fraction in [0, 1]. */
  accuracy: number;
}

/**
 * What one epoch did; also the shape of each `--json` line of the CLI.
 *
 * @example
 * ```ts
 * await train({ onEpoch: (m) => console.log(`${m.epoch}: ${(100 * m.accuracy).toFixed(2)}%`) });
 * ```
 */
export interface EpochMetrics extends Evaluation {
  /** 1-based epoch number. */
  epoch: number;
  /** Wall-clock seconds of the epoch's training (the mini-batch loop; evaluation not included). */
  seconds: number;
  /**
   * Training cost: C of each mini-batch, measured by the engine just before that batch's update,
   * averaged over the epoch's examples. The L2 term is not included.
   */
  cost: number;
  /**
   * With a validation split held out (the primary figures are then the validation split's):
   * the test set's accuracy after the same epoch, so the test accuracy at the epoch of best
   * validation accuracy can be reported, as Nielsen's chapter 6 does.
   */
  test?: Evaluation;
}

/**
 * Where an aborted run stopped: the epoch in progress and how many of its mini-batches finished.
 *
 * @example
 * ```ts
 * const { interrupted } = await train({ signal });
 * if (interrupted) console.log(`stopped in epoch ${interrupted.epoch} after ${interrupted.batches} batches`);
 * ```
 */
export interface Interruption {
  /** 1-based epoch that was in progress. */
  epoch: number;
  /** Mini-batches of that epoch that were trained (0 when stopped before its first). */
  batches: number;
  /** Mini-batches in a full epoch. */
  batchesPerEpoch: number;
  /** Mini-batches trained over the whole run (0: the weights are the initial ones). */
  steps: number;
}

/**
 * The outcome of {@link train}.
 *
 * @example
 * ```ts
 * const { net, history, best } = await train({ epochs: 3, limit: 1000 });
 * await saveModel('model.json', net);
 * ```
 */
export interface TrainResult {
  /** The trained network (the one passed as `net`, or the one created); its weights are the last ones. */
  net: Network;
  /** One entry per completed epoch. */
  history: EpochMetrics[];
  /** The epoch with the highest accuracy (the earliest on a tie), or `null` if none completed. */
  best: EpochMetrics | null;
  /** Where the run stopped if `signal` aborted it, else `null`. */
  interrupted: Interruption | null;
  /** Which split the per-epoch metrics were measured on. */
  evaluatedOn: 'test' | 'validation';
  /** Training examples per epoch (n, also the L2 denominator). */
  trainingExamples: number;
}

/**
 * Options of {@link train}; every one has a default (Nielsen's chapter 1 run).
 *
 * @example
 * ```ts
 * const options: TrainOptions = { layers: [784, 100, 10], cost: 'crossEntropy', init: 'scaled', eta: 0.5, lambda: 5 };
 * await train(options);
 * ```
 */
export interface TrainOptions {
  /** Neurons per layer, input first (default `[784, 30, 10]`); must start with the pixels per image and end with 10. */
  layers?: readonly number[];
  /** Passes over the training set (default 30). */
  epochs?: number;
  /** Mini-batch size m (default 10); the last batch of an epoch is smaller when m does not divide n. */
  batchSize?: number;
  /**
   * Learning rate η (default by optimizer: `sgd` 3, Nielsen's ch. 1 value; `momentum` 0.1, the best
   * of 0.03, 0.1 and 0.3 with μ = 0.9 on 10,000 images (0.3, whose steady-state step η/(1 − μ) equals
   * SGD's 3, oscillates); `adam` 0.001, Kingma & Ba's value).
   */
  eta?: number;
  /** σ of every layer (default `'sigmoid'`). */
  activation?: ActivationName;
  /** The cost (default `'quadratic'`). */
  cost?: CostName;
  /** Weight initialiser (default `'normal'`, Nielsen ch. 1's N(0, 1)). */
  init?: InitName;
  /** Seed of the initialiser and of the shuffle (default 1). */
  seed?: number;
  /** Gradient engine, by name or a factory of your own (default `'autodiff'`). */
  engine?: EngineName | GradientEngineFactory;
  /** Batched or per-example gradients (default `'matrix'`). */
  mode?: ModeName;
  /** The update rule (default `'sgd'`). */
  optimizer?: OptimizerName;
  /** Momentum coefficient μ of the `momentum` optimizer (default 0.9; other optimizers ignore it). */
  momentum?: number;
  /** L2 strength λ, Nielsen's network2 form with n = training set size (default 0: none). */
  lambda?: number;
  /** Train this network instead of creating one (`layers`, `activation`, `cost`, `init` are then ignored). */
  net?: Network;
  /** Already loaded data; otherwise `loadMnist({ dir, limit, testLimit, validation })` is called. */
  data?: Mnist;
  /** Folder of the four IDX files (default: the bundled MNIST). */
  dir?: string;
  /** Keep at most this many training images. */
  limit?: number;
  /** Keep at most this many test images. */
  testLimit?: number;
  /** Hold out this many training images as a validation split, and evaluate on it instead of the test set. */
  validation?: number;
  /** Columns per forward pass during evaluation, to bound memory (default 1000). */
  evalChunk?: number;
  /**
   * Storage of the fast engines (default `'float64'`); `'float32'` runs either built-in engine
   * in single precision (plain SGD in matrix mode only). Gradient checks stay float64 regardless.
   */
  dtype?: FloatDType;
  /**
   * Use the fast engines when they apply (default true): plain SGD in matrix mode trains through
   * `createTrainingEngine` (reused buffers, SIMD kernels, the update fused into the step) rather
   * than tensors, `.grad` and an optimizer object. Both routes give the same weights to rounding.
   */
  fast?: boolean;
  /**
   * Threads for the fast engines' matrix products (default 1): 2 splits each large product with
   * a worker thread on the other core, which spins while training. Same results, bit for bit.
   */
  threads?: 1 | 2;
  /** Checked before every mini-batch: when aborted, training stops there and keeps the weights. */
  signal?: AbortSignal;
  /**
   * Called after each epoch's evaluation.
   * @param metrics - the epoch's number, cost, accuracy and timing
   */
  onEpoch?: (metrics: EpochMetrics) => void;
  /**
   * Called after each mini-batch with the batches done and the total in this epoch.
   * @param done - mini-batches finished so far in this epoch
   * @param total - mini-batches in this epoch
   * @param epoch - the current epoch, from 1
   */
  onBatch?: (done: number, total: number, epoch: number) => void;
}

/**
 * Nielsen's chapter 1 run: `[784, 30, 10]`, 30 epochs, mini-batches of 10, η = 3, sigmoid,
 * quadratic cost, N(0, 1) initialisation; plus this project's choices (seed 1, autodiff, matrix).
 *
 * @example
 * ```ts
 * TRAIN_DEFAULTS.eta.sgd; // 3
 * ```
 */
export const TRAIN_DEFAULTS = Object.freeze({
  /** Neurons per layer, input first: 784 pixels, 30 hidden, 10 digits. */
  layers: Object.freeze([784, 30, 10]) as readonly number[],
  /** Passes over the training set. */
  epochs: 30,
  /** Mini-batch size m. */
  batchSize: 10,
  /** Learning rate η per optimizer, since a good η for one diverges or crawls for another (see {@link TrainOptions.eta}). */
  eta: Object.freeze({ sgd: 3, momentum: 0.1, adam: 0.001 }) as Readonly<Record<OptimizerName, number>>,
  /** σ of every layer. */
  activation: 'sigmoid' as ActivationName,
  /** Nielsen ch. 1's cost, C = (1/2m) Σ ||y − a||². */
  cost: 'quadratic' as CostName,
  /** Weights and biases drawn from N(0, 1). */
  init: 'normal' as InitName,
  /** Seed of the initialiser and of the shuffle, so two runs with the same options match. */
  seed: 1,
  /** Gradients from the ops' backward rules. */
  engine: 'autodiff' as EngineName,
  /** One batched gradient per mini-batch. */
  mode: 'matrix' as ModeName,
  /** Plain stochastic gradient descent. */
  optimizer: 'sgd' as OptimizerName,
  /** Momentum coefficient μ, used only by the `momentum` optimizer. */
  momentum: 0.9,
  /** L2 strength λ: none. */
  lambda: 0,
  /** Columns per forward pass during evaluation, to bound memory. */
  evalChunk: 1000,
});

/**
 * Names accepted for `engine`, in the order help texts list them.
 *
 * @example
 * ```ts
 * ENGINE_NAMES.includes(flag as EngineName);
 * ```
 */
export const ENGINE_NAMES: readonly EngineName[] = ['autodiff', 'backprop'];

/**
 * Names accepted for `mode`.
 *
 * @example
 * ```ts
 * MODE_NAMES; // ['matrix', 'loop']
 * ```
 */
export const MODE_NAMES: readonly ModeName[] = ['matrix', 'loop'];

/**
 * Names accepted for `optimizer`.
 *
 * @example
 * ```ts
 * OPTIMIZER_NAMES; // ['sgd', 'momentum', 'adam']
 * ```
 */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

// The shuffle gets its own stream so it is not the initialiser's sequence read a second time.
const SHUFFLE_STREAM = 0x53485546; // 'SHUF'

// The training loop is synchronous number crunching; handing the event loop a turn this often
// lets an AbortSignal fired from a timer or a SIGINT handler (and progress timers) get through.
const YIELD_EVERY_MS = 50;

/**
 * Trains a network on MNIST by mini-batch gradient descent and evaluates it after every epoch.
 *
 * Each epoch shuffles the training indices (seeded), packs each mini-batch into X [784, m] and
 * one-hot Y [10, m], has the engine fill every parameter's `.grad`, and lets the optimizer step.
 * Accuracy is measured on the validation split when one is held out (the test set's is then
 * in `test`), else on the test set. With the defaults this is Nielsen's chapter 1 run (book: 95.42% at the best epoch).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const { net, best, interrupted } = await train({
 *   epochs: 3, limit: 1000, signal: controller.signal,
 *   onEpoch: (m) => console.log(`Epoch ${m.epoch}: ${m.correct} / ${m.total}`),
 * });
 * ```
 * @param options - network, schedule, engine and data; see {@link TrainOptions}. All optional.
 * @returns The network, per-epoch metrics, the best epoch, and where an abort stopped the run.
 * @throws {@link TrainOptionError} for an option out of range or unknown, or layers that do not fit the data.
 * @throws `DatasetError` / `IdxError` from loading the data.
 * @throws {@link TrainingDivergedError} as soon as a mini-batch's cost, or the weights at the end
 *   of an epoch, are not finite (NaN or ±∞), naming the epoch and the mini-batch.
 */
export async function train(options: TrainOptions = {}): Promise<TrainResult> {
  const o = resolveOptions(options);
  const data = options.data ?? (await loadData(options));
  const evalSplit = data.validation ?? data.test;
  const pixels = data.train.rows * data.train.cols;
  const n = data.train.count;
  if (n === 0) throw new TrainOptionError('data', 'has no training examples (check limit and validation)');
  const net = options.net ?? new Network(o.layers, { activation: o.activation, cost: o.cost, init: o.init, seed: o.seed });
  checkNetworkFits(net, pixels, options.net === undefined ? 'layers' : 'net');
  const fastEngine = createFastEngine(net, o, options, n);
  const engine = fastEngine !== null ? null : typeof o.engine === 'function' ? o.engine(net, o.mode) : createGradientEngine(net, o.engine, o.mode);
  const optimizer = fastEngine !== null ? null : createOptimizer(net, o, n);

  const rng = createRng(o.seed ^ SHUFFLE_STREAM);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const buffers = batchBuffers(pixels, CLASSES);
  const batchesPerEpoch = Math.ceil(n / o.batchSize);
  const history: EpochMetrics[] = [];
  const done = (interrupted: Interruption | null): TrainResult => {
    fastEngine?.close();
    return {
      net,
      history,
      best: bestOf(history),
      interrupted,
      evaluatedOn: data.validation === null ? 'test' : 'validation',
      trainingExamples: n,
    };
  };

  let lastYield = performance.now();
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const interrupted = await trainEpoch(epoch);
      if (interrupted !== null) return done(interrupted);
    }
  } catch (error) {
    fastEngine?.close();
    throw error;
  }
  return done(null);

  async function trainEpoch(epoch: number): Promise<Interruption | null> {
    rng.shuffle(order);
    const started = performance.now();
    let costSum = 0;
    for (let b = 0; b < batchesPerEpoch; b++) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      if (options.signal?.aborted === true) {
        fastEngine?.commit();
        return { epoch, batches: b, batchesPerEpoch, steps: (epoch - 1) * batchesPerEpoch + b };
      }
      const start = b * o.batchSize;
      const m = Math.min(o.batchSize, n - start);
      let cost: number;
      if (fastEngine !== null) {
        fastEngine.loadBatch(m, data.train.images, pixels, data.train.labels, order, start);
        cost = fastEngine.step(m);
      } else {
        const batch = buffers(m);
        batchInto(data.train, order, start, m, batch.X, batch.Y);
        cost = engine!.step(batch.x, batch.y);
        optimizer!.step();
      }
      // NaN in the cost means NaN in the gradients and so in every weight after this step.
      if (!Number.isFinite(cost)) throw new TrainingDivergedError(epoch, b + 1, batchesPerEpoch, `the mini-batch cost is ${cost}`, cost);
      costSum += cost * m;
      options.onBatch?.(b + 1, batchesPerEpoch, epoch);
    }
    const seconds = (performance.now() - started) / 1000;
    fastEngine?.commit();
    // The last step's update is not seen by any cost: check the weights it left.
    checkFiniteParameters(net, epoch, batchesPerEpoch);
    const metrics: EpochMetrics = { epoch, ...evaluate(net, evalSplit, o.evalChunk), seconds, cost: costSum / n };
    if (data.validation !== null) metrics.test = evaluate(net, data.test, o.evalChunk);
    history.push(metrics);
    options.onEpoch?.(metrics);
    return null;
  }
}

/**
 * Counts the examples of a split that a network classifies correctly (largest output = label),
 * feeding `chunk` columns at a time so memory stays bounded on the full test set.
 *
 * @example
 * ```ts
 * const { test } = await loadMnist();
 * evaluate(net, test); // { correct: 9542, total: 10000, accuracy: 0.9542 }
 * ```
 * @param net - the network; its input size must equal the split's pixels per image
 * @param split - the examples to classify
 * @param chunk - columns per forward pass (default 1000)
 * @throws {@link TrainOptionError} when the network's input size does not match the images
 */
export function evaluate(net: Network, split: Split, chunk: number = TRAIN_DEFAULTS.evalChunk): Evaluation {
  let correct = 0;
  forEachChunk(net, split, chunk, (x, start, m) => {
    const predicted = net.predict(x);
    for (let j = 0; j < m; j++) if (predicted[j] === split.labels[start + j]) correct++;
  });
  const total = split.count;
  return { correct, total, accuracy: total === 0 ? 0 : correct / total };
}

/**
 * Counts the examples of a split whose forward pass overflows float64: some layer's weighted
 * input z^l holds NaN or ±∞ (weights near 1e308 do this). Their outputs are then meaningless
 * (NaN, or saturated ties that all read as class 0), though `evaluate` still counts them.
 *
 * @example
 * ```ts
 * if (overflowingExamples(net, test) > 0) console.warn('the forward pass overflows');
 * ```
 * @param net - the network; its input size must equal the split's pixels per image
 * @param split - the examples to run
 * @param chunk - columns per forward pass (default 1000)
 * @throws {@link TrainOptionError} when the network's input size does not match the images
 */
export function overflowingExamples(net: Network, split: Split, chunk: number = TRAIN_DEFAULTS.evalChunk): number {
  let overflowing = 0;
  forEachChunk(net, split, chunk, (x, _start, m) => {
    const { zs } = noGrad(() => net.trace(x));
    const bad = new Uint8Array(m);
    for (const z of zs) for (let k = 0; k < z.data.length; k++) if (!Number.isFinite(z.data[k]!)) bad[k % m] = 1;
    for (const b of bad) overflowing += b;
  });
  return overflowing;
}

/** Feeds a split through in chunks of `chunk` columns X [pixels, m], in order. */
function forEachChunk(net: Network, split: Split, chunk: number, visit: (x: Tensor, start: number, m: number) => void): void {
  checkNetworkFits(net, split.rows * split.cols, 'net');
  const order = Int32Array.from({ length: split.count }, (_, i) => i);
  const buffers = batchBuffers(split.rows * split.cols, CLASSES);
  for (let start = 0; start < split.count; start += chunk) {
    const m = Math.min(chunk, split.count - start);
    const batch = buffers(m);
    batchInto(split, order, start, m, batch.X, null);
    visit(batch.x, start, m);
  }
}

/**
 * The built-in gradient engine of the given name and mode for a network.
 *
 * - `autodiff` + `matrix`: `net.loss(X, Y).backward()` on the whole batch.
 * - `autodiff` + `loop`: per example, `loss(x, y) / m` backward, `.grad` accumulating the sum.
 * - `backprop` + `matrix`: nn's `backprop` (BP1–BP4 on the batch), results put into `.grad`.
 * - `backprop` + `loop`: nn's `backpropPerExample` (Nielsen's `update_mini_batch` loop).
 *
 * @example
 * ```ts
 * const engine = createGradientEngine(net, 'autodiff', 'matrix');
 * engine.step(X, Y);
 * net.weights[0].grad; // ∂C/∂w^1
 * ```
 * @param net - the network whose parameters receive the gradients
 * @param engine - `'autodiff'` or `'backprop'`
 * @param mode - `'matrix'` or `'loop'`
 * @throws {@link TrainOptionError} for an unknown engine or mode
 */
export function createGradientEngine(net: Network, engine: EngineName, mode: ModeName): GradientEngine {
  checkName('engine', engine, ENGINE_NAMES);
  checkName('mode', mode, MODE_NAMES);
  return ENGINES[engine][mode](net);
}

// One factory per engine and mode: adding a name to EngineName without both entries fails to compile.
const ENGINES: { readonly [E in EngineName]: { readonly [M in ModeName]: (net: Network) => GradientEngine } } = {
  autodiff: { matrix: autodiffMatrix, loop: autodiffLoop },
  backprop: {
    matrix: (net) => fromResult(net, (X, Y) => backprop(net, X, Y)),
    loop: (net) => fromResult(net, (X, Y) => backpropPerExample(net, X, Y)),
  },
};

function autodiffMatrix(net: Network): GradientEngine {
  const params = net.parameters();
  return {
    step(X, Y) {
      for (const p of params) p.zeroGrad();
      const c = net.loss(X, Y);
      c.backward();
      return c.item();
    },
  };
}

function autodiffLoop(net: Network): GradientEngine {
  const params = net.parameters();
  const inputs = net.sizes[0]!;
  const outputs = net.sizes[net.sizes.length - 1]!;
  // One column buffer each, reused: an example's graph is finished with before the next is copied in.
  const x = fromData(new Float64Array(inputs), [inputs, 1]);
  const y = fromData(new Float64Array(outputs), [outputs, 1]);
  return {
    step(X, Y) {
      for (const p of params) p.zeroGrad();
      const m = X.shape[1]!;
      let cost = 0;
      for (let j = 0; j < m; j++) {
        copyColumn(X.data, m, j, x.data);
        copyColumn(Y.data, m, j, y.data);
        const c = net.loss(x, y);
        // backward() adds into .grad, so the loop leaves (1/m) Σ_x ∇C_x there: the batch mean.
        c.mul(1 / m).backward();
        cost += c.item();
      }
      return cost / m;
    },
  };
}

function fromResult(net: Network, compute: (X: Tensor, Y: Tensor) => { nablaW: Tensor[]; nablaB: Tensor[]; cost: number }): GradientEngine {
  const weights = net.weights;
  const biases = net.biases;
  return {
    step(X, Y) {
      const r = compute(X, Y);
      weights.forEach((w, l) => (w.grad = r.nablaW[l]!));
      biases.forEach((b, l) => (b.grad = r.nablaB[l]!));
      return r.cost;
    },
  };
}

function copyColumn(A: Float64Array, cols: number, j: number, out: Float64Array): void {
  for (let i = 0, k = j; i < out.length; i++, k += cols) out[i] = A[k]!;
}

interface Batch {
  X: Float64Array;
  Y: Float64Array;
  x: Tensor;
  y: Tensor;
}

// Buffers (and the tensors wrapping them) per batch size; an epoch needs at most two sizes (the
// full batch and a shorter last one), so nothing is allocated per step.
function batchBuffers(pixels: number, classes: number): (m: number) => Batch {
  const bySize = new Map<number, Batch>();
  return (m) => {
    let batch = bySize.get(m);
    if (batch === undefined) {
      const X = new Float64Array(pixels * m);
      const Y = new Float64Array(classes * m);
      batch = { X, Y, x: fromData(X, [pixels, m]), y: fromData(Y, [classes, m]) };
      bySize.set(m, batch);
    }
    return batch;
  };
}

/**
 * Whether `train` runs these options on the fast engines (`createTrainingEngine`): plain SGD
 * over whole mini-batches (mode matrix) with a built-in engine, `fast` not false. Only there do
 * `dtype: 'float32'` and `threads: 2` apply; every other combination trains through tensors and
 * an optimizer object, in float64.
 *
 * @example
 * ```ts
 * fastEnginesApply({}); // true: Nielsen's chapter 1 defaults
 * fastEnginesApply({ optimizer: 'adam' }); // false
 * ```
 * @param options - the options given to `train` (unset ones take {@link TRAIN_DEFAULTS})
 */
export function fastEnginesApply(options: Pick<TrainOptions, 'fast' | 'optimizer' | 'mode' | 'engine'>): boolean {
  const engine = options.engine ?? TRAIN_DEFAULTS.engine;
  return options.fast !== false && (options.optimizer ?? TRAIN_DEFAULTS.optimizer) === 'sgd' && (options.mode ?? TRAIN_DEFAULTS.mode) === 'matrix' && typeof engine === 'string';
}

// The fast engines cover the common case, plain SGD over whole mini-batches with a built-in
// engine; every other combination trains through tensors and an optimizer object.
function createFastEngine(net: Network, o: ResolvedOptions, options: TrainOptions, n: number): TrainingEngine | null {
  const dtype = options.dtype ?? 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') throw new TrainOptionError('dtype', `must be float64 or float32, got ${String(dtype)}`);
  const applies = fastEnginesApply(options);
  if (dtype === 'float32' && !applies) {
    throw new TrainOptionError('dtype', 'float32 runs only in the fast engines: mode matrix, optimizer sgd, a built-in engine');
  }
  const threads = options.threads ?? 1;
  if (threads !== 1 && threads !== 2) throw new TrainOptionError('threads', `must be 1 or 2, got ${String(threads)}`);
  if (threads === 2 && !applies) throw new TrainOptionError('threads', '2 threads run only in the fast engines: mode matrix, optimizer sgd, a built-in engine');
  if (!applies || typeof o.engine !== 'string') return null;
  const last = n % o.batchSize;
  return createTrainingEngine(net, {
    engine: o.engine,
    dtype,
    batchSizes: last === 0 ? [o.batchSize] : [o.batchSize, last],
    eta: o.eta,
    lambda: o.lambda,
    n,
    ...(threads === 2 ? { kernels: (d: FloatDType, bytes: number) => withHelperThread(createKernels(d, { bytes, shared: true })) } : {}),
  });
}

function createOptimizer(net: Network, o: ResolvedOptions, n: number): Optimizer {
  const groups = net.paramGroups();
  const l2 = { lambda: o.lambda, n };
  switch (o.optimizer) {
    case 'sgd':
      return new SGD(groups, { eta: o.eta, ...l2 });
    case 'momentum':
      return new SGD(groups, { eta: o.eta, momentum: o.momentum, ...l2 });
    case 'adam':
      return new Adam(groups, { eta: o.eta, ...l2 });
  }
}

function checkFiniteParameters(net: Network, epoch: number, batchesPerEpoch: number): void {
  const check = (kind: string, tensors: Tensor[]): void =>
    tensors.forEach((t, l) => {
      for (const v of t.data) if (!Number.isFinite(v)) throw new TrainingDivergedError(epoch, batchesPerEpoch, batchesPerEpoch, `${kind}[${l}] holds ${v}`, v);
    });
  check('weights', net.weights);
  check('biases', net.biases);
}

function bestOf(history: readonly EpochMetrics[]): EpochMetrics | null {
  let best: EpochMetrics | null = null;
  for (const m of history) if (best === null || m.accuracy > best.accuracy) best = m;
  return best;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

async function loadData(options: TrainOptions): Promise<Mnist> {
  const load: Parameters<typeof loadMnist>[0] = {};
  if (options.dir !== undefined) load.dir = options.dir;
  if (options.limit !== undefined) load.limit = options.limit;
  if (options.testLimit !== undefined) load.testLimit = options.testLimit;
  if (options.validation !== undefined) load.validation = options.validation;
  return loadMnist(load);
}

function checkNetworkFits(net: Network, pixels: number, option: string): void {
  const sizes = net.sizes;
  if (sizes[0] !== pixels || sizes[sizes.length - 1] !== CLASSES) {
    throw new TrainOptionError(option, `must start with ${pixels} (pixels per image) and end with ${CLASSES} (classes), got [${sizes.join(',')}]`);
  }
}

type ResolvedOptions = Required<
  Pick<TrainOptions, 'layers' | 'epochs' | 'batchSize' | 'eta' | 'activation' | 'cost' | 'init' | 'seed' | 'engine' | 'mode' | 'optimizer' | 'momentum' | 'lambda' | 'evalChunk'>
>;

function resolveOptions(options: TrainOptions): ResolvedOptions {
  const d = TRAIN_DEFAULTS;
  const optimizer = checkName('optimizer', options.optimizer ?? d.optimizer, OPTIMIZER_NAMES);
  const o: ResolvedOptions = {
    layers: options.layers ?? d.layers,
    epochs: positiveInteger('epochs', options.epochs ?? d.epochs),
    batchSize: positiveInteger('batchSize', options.batchSize ?? d.batchSize),
    eta: positiveNumber('eta', options.eta ?? d.eta[optimizer]),
    activation: fromNn('activation', options.activation ?? d.activation, getActivation),
    cost: fromNn('cost', options.cost ?? d.cost, getCost),
    init: fromNn('init', options.init ?? d.init, checkInit),
    seed: options.seed ?? d.seed,
    engine: options.engine ?? d.engine,
    mode: checkName('mode', options.mode ?? d.mode, MODE_NAMES),
    optimizer,
    momentum: options.momentum ?? d.momentum,
    lambda: options.lambda ?? d.lambda,
    evalChunk: positiveInteger('evalChunk', options.evalChunk ?? d.evalChunk),
  };
  if (!Number.isSafeInteger(o.seed)) throw new TrainOptionError('seed', `must be an integer, got ${o.seed}`);
  if (typeof o.engine !== 'function') checkName('engine', o.engine, ENGINE_NAMES);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw new TrainOptionError('momentum', `must be in [0, 1), got ${o.momentum}`);
  if (!(o.lambda >= 0 && Number.isFinite(o.lambda))) throw new TrainOptionError('lambda', `must be a finite number ≥ 0, got ${o.lambda}`);
  if (o.layers.length < 2 || !o.layers.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new TrainOptionError('layers', `must be at least two positive integers, got [${o.layers.join(',')}]`);
  }
  return o;
}

function positiveInteger(option: string, value: number): number {
  if (Number.isSafeInteger(value) && value >= 1) return value;
  throw new TrainOptionError(option, `must be a positive integer, got ${value}`);
}

function positiveNumber(option: string, value: number): number {
  if (Number.isFinite(value) && value > 0) return value;
  throw new TrainOptionError(option, `must be a positive number, got ${value}`);
}

function checkName<T extends string>(option: string, value: string, names: readonly T[]): T {
  if ((names as readonly string[]).includes(value)) return value as T;
  throw new TrainOptionError(option, `must be one of ${names.join(', ')}, got '${value}'`);
}

// nn's lookups throw a TypeError naming the known values; rethrown as this option's error.
function fromNn<T extends string>(option: string, value: T, lookup: (name: string) => unknown): T {
  try {
    lookup(value);
    return value;
  } catch (error) {
    throw new TrainOptionError(option, error instanceof Error ? error.message : String(error));
  }
}
