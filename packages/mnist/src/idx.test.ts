import { gzipSync, gunzipSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { IdxError } from './errors.ts';
import { readIdx } from './idx.ts';

/** IDX header bytes: 0, 0, type code, ndims, then each dim as uint32 big-endian. */
function header(code: number, dims: readonly number[]): number[] {
  const out = [0, 0, code, dims.length];
  for (const d of dims) out.push((d >>> 24) & 0xff, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff);
  return out;
}

function idx(code: number, dims: readonly number[], payload: readonly number[]): Uint8Array {
  return new Uint8Array([...header(code, dims), ...payload]);
}

function expectIdxError(bytes: Uint8Array, pattern: RegExp): void {
  expect(() => readIdx(bytes, 'fixture.idx')).toThrow(pattern);
  expect(() => readIdx(bytes, 'fixture.idx')).toThrow(IdxError);
}

describe('readIdx', () => {
  it('reads a 1-D ubyte array as a view without copying', () => {
    const bytes = idx(0x08, [4], [5, 0, 255, 9]);
    const a = readIdx(bytes);
    expect(a.type).toBe('ubyte');
    expect(a.dims).toEqual([4]);
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect([...a.data]).toEqual([5, 0, 255, 9]);
    expect(a.data.buffer).toBe(bytes.buffer);
  });

  it('reads a 3-D ubyte array row-major', () => {
    const payload = Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 10);
    const a = readIdx(idx(0x08, [2, 2, 3], payload));
    expect(a.dims).toEqual([2, 2, 3]);
    expect([...a.data]).toEqual(payload);
  });

  it('reads dims larger than 65535 (big-endian uint32)', () => {
    const bytes = new Uint8Array(4 + 4 + 70_000);
    bytes.set(header(0x08, [70_000]));
    expect(readIdx(bytes).dims).toEqual([70_000]);
  });

  it('reads a view into the middle of a larger buffer', () => {
    const inner = idx(0x08, [2], [7, 8]);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect([...readIdx(outer.subarray(3)).data]).toEqual([7, 8]);
  });

  it('decodes big-endian int32 and signed bytes', () => {
    const i32 = readIdx(idx(0x0c, [2], [0x00, 0x01, 0x02, 0x03, 0xff, 0xff, 0xff, 0xfe]));
    expect(i32.type).toBe('int');
    expect(i32.data).toBeInstanceOf(Int32Array);
    expect([...i32.data]).toEqual([0x00010203, -2]);
    expect([...readIdx(idx(0x09, [2], [0x7f, 0x80])).data]).toEqual([127, -128]);
  });

  it('decodes big-endian int16, float32 and float64', () => {
    expect([...readIdx(idx(0x0b, [2], [0x01, 0x00, 0x80, 0x00])).data]).toEqual([256, -32768]);

    const f32 = new DataView(new ArrayBuffer(8));
    f32.setFloat32(0, 1.5, false);
    f32.setFloat32(4, -0.25, false);
    const floats = readIdx(idx(0x0d, [2, 1], [...new Uint8Array(f32.buffer)]));
    expect(floats.type).toBe('float');
    expect(floats.dims).toEqual([2, 1]);
    expect([...floats.data]).toEqual([1.5, -0.25]);

    const f64 = new DataView(new ArrayBuffer(8));
    f64.setFloat64(0, Math.PI, false);
    const doubles = readIdx(idx(0x0e, [1], [...new Uint8Array(f64.buffer)]));
    expect(doubles.data).toBeInstanceOf(Float64Array);
    expect(doubles.data[0]).toBe(Math.PI);
  });

  it('does not modify the input when byte-swapping', () => {
    const bytes = idx(0x0b, [1], [0x01, 0x02]);
    const before = [...bytes];
    readIdx(Buffer.from(bytes));
    readIdx(bytes);
    expect([...bytes]).toEqual(before);
  });

  it('reads gzip input through the given gunzip', () => {
    const raw = idx(0x08, [2, 2], [1, 2, 3, 4]);
    const a = readIdx(gzipSync(raw), 'x.gz', { gunzip: gunzipSync });
    expect(a.dims).toEqual([2, 2]);
    expect([...a.data]).toEqual([1, 2, 3, 4]);
  });

  it('throws when gzip input comes without a gunzip function', () => {
    expectIdxError(gzipSync(idx(0x08, [1], [1])), /fixture\.idx: gzip-compressed.*no gunzip/);
  });

  it('throws when gzip data is corrupt', () => {
    const bad = new Uint8Array([0x1f, 0x8b, 1, 2, 3]);
    expect(() => readIdx(bad, 'bad.gz', { gunzip: gunzipSync })).toThrow(/bad\.gz: gzip decompression failed/);
  });

  it('throws on truncated data, naming expected and found byte counts', () => {
    expectIdxError(idx(0x08, [2, 3], [1, 2, 3, 4, 5]), /fixture\.idx: truncated: header says 6 data bytes \(2×3 ubyte\), found 5/);
    expectIdxError(idx(0x0c, [2], [0, 0, 0, 1, 0, 0]), /truncated: header says 8 data bytes .*found 6/);
  });

  it('throws on trailing bytes', () => {
    expectIdxError(idx(0x08, [2], [1, 2, 3]), /trailing bytes: header says 2 data bytes .*found 3/);
  });

  it('throws on wrong magic', () => {
    expectIdxError(new Uint8Array([0x12, 0x00, 0x08, 0x01, 0, 0, 0, 0]), /bad magic: .*found 0x12 0x00/);
  });

  it('throws on an unknown type code', () => {
    expectIdxError(idx(0x07, [1], [1]), /unknown type code 0x07/);
  });

  it('throws on input shorter than the 4-byte magic', () => {
    expectIdxError(new Uint8Array([0, 0]), /too short.*need at least 4 bytes, found 2/);
  });

  it('throws when the dimension list is cut short', () => {
    expectIdxError(new Uint8Array([0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0]), /header truncated: 3 dimensions need 16 header bytes, found 10/);
  });

  it('exposes file and reason on the error', () => {
    try {
      readIdx(idx(0x08, [2], [1]), 'labels');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IdxError);
      const e = error as IdxError;
      expect(e.file).toBe('labels');
      expect(e.reason).toMatch(/^truncated/);
      expect(e.name).toBe('IdxError');
    }
  });
});
