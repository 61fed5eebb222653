/**
 * A file's bytes are not a valid IDX array (bad magic, unknown type code, truncated or trailing bytes).
 *
 * @example
 * ```ts
 * throw new IdxError('train-images-idx3-ubyte', 'truncated: header says 47040000 data bytes, found 47039990');
 * // message: "train-images-idx3-ubyte: truncated: header says 47040000 data bytes, found 47039990"
 * ```
 */
export class IdxError extends Error {
  /** The class name, `'IdxError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'IdxError';
  /** The file name or path the bytes came from (`'<bytes>'` when there is none). */
  readonly file: string;
  /** What is wrong, without the file name, for programs that inspect the error. */
  readonly reason: string;

  /**
   * Builds the message `${file}: ${reason}`.
   * @param file - The file name or path the bytes came from (`'<bytes>'` when there is none).
   * @param reason - What is wrong, with the numbers that show it.
   * @param options - Standard error options; `cause` carries a lower-level error (e.g. from gunzip).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}

/**
 * The MNIST files are individually valid IDX but do not form a dataset (missing file, count
 * mismatch, wrong dims, a label out of range, a bad option).
 *
 * @example
 * ```ts
 * throw new DatasetError(['/d/train-images-idx3-ubyte', '/d/train-labels-idx1-ubyte'], '3 images but 2 labels');
 * // message: "/d/train-images-idx3-ubyte + /d/train-labels-idx1-ubyte: 3 images but 2 labels"
 * ```
 */
export class DatasetError extends Error {
  /** The class name, `'DatasetError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'DatasetError';
  /** The paths involved, so a program can say which files to look at. */
  readonly files: readonly string[];
  /** What is wrong, without the paths, for programs that inspect the error. */
  readonly reason: string;

  /**
   * Builds the message `${files joined by ' + '}: ${reason}`.
   * @param files - The paths involved, so the message says which files to look at.
   * @param reason - What is wrong, with the numbers that show it.
   * @param options - Standard error options; `cause` carries a lower-level error (e.g. ENOENT).
   */
  constructor(files: readonly string[], reason: string, options?: ErrorOptions) {
    super(`${files.join(' + ')}: ${reason}`, options);
    this.files = files;
    this.reason = reason;
  }
}

/**
 * `batchInto` was given buffers or indices that do not fit the requested batch.
 *
 * @example
 * ```ts
 * throw new BatchError('X', 'has 100 elements, expected 784×32 = 25088');
 * // message: "batchInto: X has 100 elements, expected 784×32 = 25088"
 * ```
 */
export class BatchError extends RangeError {
  /** The class name, `'BatchError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'BatchError';
  /** The offending argument's name (`X`, `Y`, `indices`, `m`, `start`). */
  readonly argument: string;
  /** What is wrong with the argument, for programs that inspect the error. */
  readonly reason: string;

  /**
   * Builds the message `batchInto: ${argument} ${reason}`.
   * @param argument - The offending argument's name (`X`, `Y`, `indices`, `m`, `start`).
   * @param reason - What is wrong with it, with the values.
   */
  constructor(argument: string, reason: string) {
    super(`batchInto: ${argument} ${reason}`);
    this.argument = argument;
    this.reason = reason;
  }
}

/**
 * An option of `train` is out of range or unknown (a non-integer epoch count, an unknown engine,
 * layers that do not fit the data).
 *
 * @example
 * ```ts
 * throw new TrainOptionError('batchSize', 'must be a positive integer, got 0');
 * // message: "train: batchSize must be a positive integer, got 0"
 * ```
 */
export class TrainOptionError extends RangeError {
  /** The class name, `'TrainOptionError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'TrainOptionError';
  /** The option's name as `train` spells it (`epochs`, `batchSize`, `layers`, …). */
  readonly option: string;
  /** What is wrong with the option, for programs that inspect the error. */
  readonly reason: string;

  /**
   * Builds the message `train: ${option} ${reason}`.
   * @param option - The option's name as `train` spells it (`epochs`, `batchSize`, `layers`, …).
   * @param reason - What is wrong with it, with the value.
   */
  constructor(option: string, reason: string) {
    super(`train: ${option} ${reason}`);
    this.option = option;
    this.reason = reason;
  }
}

/**
 * Training went non-finite: a mini-batch's cost, or the weights after a step, became NaN or ±∞
 * (usually η too large for the network). `train` stops there instead of going on with NaN.
 *
 * @example
 * ```ts
 * throw new TrainingDivergedError(1, 37, 6000, 'the mini-batch cost is NaN', NaN);
 * // message: "train: diverged in epoch 1, mini-batch 37 of 6000: the mini-batch cost is NaN (try a smaller eta)"
 * ```
 */
export class TrainingDivergedError extends RangeError {
  /** The class name, `'TrainingDivergedError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'TrainingDivergedError';
  /** The 1-based epoch in which training diverged. */
  readonly epoch: number;
  /** The 1-based mini-batch of that epoch whose step went non-finite. */
  readonly batch: number;
  /** Mini-batches in a full epoch. */
  readonly batchesPerEpoch: number;
  /** The first non-finite value seen (the cost, or a weight). */
  readonly value: number;

  /**
   * Builds the message `train: diverged in epoch ${epoch}, mini-batch ${batch} of ${batchesPerEpoch}: ${what} (try a smaller eta)`.
   * @param epoch - The 1-based epoch in which training diverged.
   * @param batch - The 1-based mini-batch of that epoch.
   * @param batchesPerEpoch - Mini-batches in a full epoch.
   * @param what - What went non-finite, with the value.
   * @param value - The non-finite value.
   */
  constructor(epoch: number, batch: number, batchesPerEpoch: number, what: string, value: number) {
    super(`train: diverged in epoch ${epoch}, mini-batch ${batch} of ${batchesPerEpoch}: ${what} (try a smaller eta)`);
    this.epoch = epoch;
    this.batch = batch;
    this.batchesPerEpoch = batchesPerEpoch;
    this.value = value;
  }
}
