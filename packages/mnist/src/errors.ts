/**
 * A file's bytes are not a valid IDX array (bad magic, unknown type code, truncated or trailing bytes).
 *
 * @example
 * ```ts
 * throw new IdxError('train-images-idx3-ubyte', 'truncated: header says 47040000 data bytes, found 47039990');
 * // message: "train-images-idx3-ubyte: truncated: header says 47040000 data bytes, found 47039990"
 * ```
 * @param file - The file name or path the bytes came from (`'<bytes>'` when there is none).
 * @param reason - What is wrong, with the numbers that show it.
 * @param options - Standard error options; `cause` carries a lower-level error (e.g. from gunzip).
 */
export class IdxError extends Error {
  override readonly name = 'IdxError';
  readonly file: string;
  readonly reason: string;

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
 * @param files - The paths involved, so the message says which files to look at.
 * @param reason - What is wrong, with the numbers that show it.
 * @param options - Standard error options; `cause` carries a lower-level error (e.g. ENOENT).
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly files: readonly string[];
  readonly reason: string;

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
 * @param argument - The offending argument's name (`X`, `Y`, `indices`, `m`, `start`).
 * @param reason - What is wrong with it, with the values.
 */
export class BatchError extends RangeError {
  override readonly name = 'BatchError';
  readonly argument: string;
  readonly reason: string;

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
 * @param option - The option's name as `train` spells it (`epochs`, `batchSize`, `layers`, …).
 * @param reason - What is wrong with it, with the value.
 */
export class TrainOptionError extends RangeError {
  override readonly name = 'TrainOptionError';
  readonly option: string;
  readonly reason: string;

  constructor(option: string, reason: string) {
    super(`train: ${option} ${reason}`);
    this.option = option;
    this.reason = reason;
  }
}
