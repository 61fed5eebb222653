/**
 * `@nabla/mnist`: what runs anywhere, in Node or a browser: the IDX reader, the typed errors,
 * and `preprocessDigit`, which turns a drawing into the 784 inputs the network reads. The MNIST
 * loader and the trainer, which need Node, are in `@nabla/mnist/node`; the `nabla-mnist` command
 * line wraps them.
 *
 * @example
 * ```ts
 * import { preprocessDigit } from '@nabla/mnist';
 * const { data, width, height } = ctx.getImageData(0, 0, 280, 280);
 * const x = preprocessDigit(data, width, height); // Float64Array(784), what the network reads
 * ```
 * @packageDocumentation
 * @module @nabla/mnist
 */
export { readIdx, isGzip, idxByteLength, type IdxLength, type IdxArray, type IdxType, type IdxDataByType, type ReadIdxOptions } from './idx.ts';
export { IdxError, DatasetError, BatchError, TrainOptionError, TrainingDivergedError } from './errors.ts';
export { preprocessDigit } from './preprocess.ts';
