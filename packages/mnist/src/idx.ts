// IDX reader (the format MNIST ships in: http://yann.lecun.com/exdb/mnist/).
// No Node imports here so the web page can parse IDX too; gunzip comes in as a parameter.
import { IdxError } from './errors.ts';

/**
 * Element types an IDX file can hold, mapped to the typed array `readIdx` returns for each.
 *
 * @example
 * ```ts
 * const data: IdxDataByType['ubyte'] = new Uint8Array(784);
 * ```
 */
export interface IdxDataByType {
  /** Type code 0x08, unsigned bytes: MNIST's pixels and labels. */
  ubyte: Uint8Array;
  /** Type code 0x09, signed bytes. */
  byte: Int8Array;
  /** Type code 0x0B, 16-bit signed integers (big-endian in the file). */
  short: Int16Array;
  /** Type code 0x0C, 32-bit signed integers (big-endian in the file). */
  int: Int32Array;
  /** Type code 0x0D, 32-bit floats (big-endian in the file). */
  float: Float32Array;
  /** Type code 0x0E, 64-bit floats (big-endian in the file). */
  double: Float64Array;
}

/**
 * Name of an IDX element type (`'ubyte'` for MNIST images and labels).
 *
 * @example
 * ```ts
 * const t: IdxType = readIdx(bytes).type; // 'ubyte'
 * ```
 */
export type IdxType = keyof IdxDataByType;

/**
 * A parsed IDX array: element type, dimensions, and data in row-major order, native byte order.
 * Narrow on `type` to get the matching typed array.
 *
 * @example
 * ```ts
 * const a = readIdx(bytes);
 * if (a.type === 'ubyte') a.data; // Uint8Array
 * ```
 */
export type IdxArray = {
  [T in IdxType]: {
    /** The element type, from the third magic byte. */
    readonly type: T;
    /** Size of each dimension, outermost first (`[60000, 28, 28]` for the training images). */
    readonly dims: readonly number[];
    /** All `product(dims)` elements, row-major, in the host's byte order. */
    readonly data: IdxDataByType[T];
  };
}[IdxType];

/**
 * Options for {@link readIdx}.
 *
 * @example
 * ```ts
 * const options: ReadIdxOptions = { gunzip: gunzipSync }; // from node:zlib
 * ```
 */
export interface ReadIdxOptions {
  /**
   * Decompresses gzip bytes; needed only when the input starts with the gzip magic 0x1f 0x8b.
   *
   * NOTE: whatever it returns is held in memory whole, however large; `loadMnist` instead
   * decompresses as a stream and stops once the output passes the size the IDX header declares
   * (see {@link idxByteLength}), so a gzip bomb costs kilobytes, not gigabytes.
   * @param bytes - the gzip-compressed file
   */
  gunzip?: (bytes: Uint8Array) => Uint8Array;
}

// The third magic byte: type code → element type. Sizes follow from the type.
const TYPE_OF_CODE: ReadonlyMap<number, IdxType> = new Map<number, IdxType>([
  [0x08, 'ubyte'],
  [0x09, 'byte'],
  [0x0b, 'short'],
  [0x0c, 'int'],
  [0x0d, 'float'],
  [0x0e, 'double'],
]);

const ELEMENT_SIZE: { readonly [T in IdxType]: number } = {
  ubyte: 1,
  byte: 1,
  short: 2,
  int: 4,
  float: 4,
  double: 8,
};

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parses IDX bytes (optionally gzip-compressed) into a typed array with its dimensions.
 *
 * The payload must be exactly `product(dims) × elementSize` bytes; truncated files and trailing
 * bytes are both errors. `ubyte` and `byte` data are views into `bytes` (no copy, so a 47 MB
 * image file is not held twice); wider types are copied into native byte order.
 *
 * @example
 * ```ts
 * import { gunzipSync } from 'node:zlib';
 * const labels = readIdx(readFileSync(path), path, { gunzip: gunzipSync });
 * labels.dims; // [60000]
 * ```
 * @param bytes - The file contents, raw IDX or gzip of it.
 * @param name - File name or path used in error messages.
 * @param options - `gunzip` to decompress gzip input (e.g. `zlib.gunzipSync` in Node).
 * @returns The parsed array.
 * @throws {@link IdxError} naming `name` and the problem: too short, bad magic, unknown type
 *   code, header truncated, data truncated, trailing bytes, or gzip without `gunzip`.
 */
export function readIdx(bytes: Uint8Array, name = '<bytes>', options: ReadIdxOptions = {}): IdxArray {
  const raw = isGzip(bytes) ? gunzipOrThrow(bytes, name, options.gunzip) : bytes;
  const { type, dims, dataOffset } = readHeader(raw, name);
  const count = dims.reduce((a, b) => a * b, 1);
  checkPayloadLength(raw.length - dataOffset, count, type, dims, name);
  return decode(type, dims, raw, dataOffset, count);
}

/**
 * What an IDX header declares, as {@link idxByteLength} reads it.
 *
 * @example
 * ```ts
 * const { bytes, shape } = idxByteLength(head)!; // 47040016, '60000×28×28 ubyte'
 * ```
 */
export interface IdxLength {
  /** Header plus data bytes: the whole (uncompressed) file's length. */
  readonly bytes: number;
  /** The dims and element type, for messages: `'60000×28×28 ubyte'`. */
  readonly shape: string;
}

/**
 * The whole length an IDX file must have (header plus `product(dims) × elementSize` data bytes),
 * read from its first bytes; `null` while `head` is too short to hold the whole header. Lets a
 * decompressor stop as soon as its output passes what the header declares.
 *
 * @example
 * ```ts
 * idxByteLength(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3])); // 11 = 8 header bytes + 3 ubytes
 * ```
 * @param head - The first bytes of an (uncompressed) IDX file; more than the header is fine.
 * @param name - File name or path used in error messages.
 * @throws {@link IdxError} for a bad magic number or an unknown type code
 */
export function idxByteLength(head: Uint8Array, name = '<bytes>'): IdxLength | null {
  if (head.length < 4 || head.length < 4 + 4 * (head[3] ?? 0)) return null;
  const { type, dims, dataOffset } = readHeader(head, name);
  const count = dims.reduce((a, b) => a * b, 1);
  return { bytes: dataOffset + count * ELEMENT_SIZE[type], shape: `${dims.length > 0 ? dims.join('×') : 'scalar'} ${type}` };
}

/**
 * Whether `bytes` start with the gzip magic number; IDX always starts with 0x00 0x00, so the two
 * cannot be confused.
 *
 * @example
 * ```ts
 * isGzip(new Uint8Array([0x1f, 0x8b, 8])); // true
 * ```
 * @param bytes - File contents.
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzipOrThrow(
  bytes: Uint8Array,
  name: string,
  gunzip: ReadIdxOptions['gunzip'],
): Uint8Array {
  if (gunzip === undefined) {
    throw new IdxError(name, 'gzip-compressed input, but no gunzip function was given (pass { gunzip })');
  }
  try {
    return gunzip(bytes);
  } catch (cause) {
    throw new IdxError(name, `gzip decompression failed: ${String(cause)}`, { cause });
  }
}

function readHeader(
  bytes: Uint8Array,
  name: string,
): { type: IdxType; dims: number[]; dataOffset: number } {
  if (bytes.length < 4) {
    throw new IdxError(name, `too short for an IDX header: need at least 4 bytes, found ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(name, `bad magic: first two bytes must be 0x00 0x00, found ${hex(bytes[0])} ${hex(bytes[1])}`);
  }
  const code = bytes[2] ?? 0;
  const type = TYPE_OF_CODE.get(code);
  if (type === undefined) {
    const known = [...TYPE_OF_CODE].map(([c, t]) => `${hex(c)} ${t}`).join(', ');
    throw new IdxError(name, `unknown type code ${hex(code)} (known: ${known})`);
  }
  const ndims = bytes[3] ?? 0;
  const dataOffset = 4 + 4 * ndims;
  if (bytes.length < dataOffset) {
    throw new IdxError(
      name,
      `header truncated: ${ndims} dimensions need ${dataOffset} header bytes, found ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, dataOffset);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { type, dims, dataOffset };
}

function checkPayloadLength(
  found: number,
  count: number,
  type: IdxType,
  dims: readonly number[],
  name: string,
): void {
  const expected = count * ELEMENT_SIZE[type];
  if (found === expected) return;
  const problem = found < expected ? 'truncated' : 'trailing bytes';
  const shape = `${dims.length > 0 ? dims.join('×') : 'scalar'} ${type}`;
  throw new IdxError(name, `${problem}: header says ${expected} data bytes (${shape}), found ${found}`);
}

function decode(type: IdxType, dims: number[], bytes: Uint8Array, offset: number, count: number): IdxArray {
  const start = bytes.byteOffset + offset;
  switch (type) {
    // One-byte types have no byte order: view the payload in place.
    case 'ubyte':
      return { type, dims, data: new Uint8Array(bytes.buffer, start, count) };
    case 'byte':
      return { type, dims, data: new Int8Array(bytes.buffer, start, count) };
    case 'short':
      return { type, dims, data: new Int16Array(nativeOrder(bytes, offset, count, 2)) };
    case 'int':
      return { type, dims, data: new Int32Array(nativeOrder(bytes, offset, count, 4)) };
    case 'float':
      return { type, dims, data: new Float32Array(nativeOrder(bytes, offset, count, 4)) };
    case 'double':
      return { type, dims, data: new Float64Array(nativeOrder(bytes, offset, count, 8)) };
  }
}

// Copies big-endian elements into a fresh, aligned buffer in host order. The copy is needed
// anyway: the payload starts at byte 4 + 4·ndims, which need not be aligned for the typed array.
// NOTE: not `bytes.slice`: on a Node Buffer that returns a view, and the swap would then
// scribble over the caller's bytes.
function nativeOrder(bytes: Uint8Array, offset: number, count: number, size: number): ArrayBuffer {
  const out = new Uint8Array(count * size);
  out.set(bytes.subarray(offset, offset + count * size));
  if (!HOST_IS_LITTLE_ENDIAN) return out.buffer;
  for (let e = 0; e < out.length; e += size) {
    for (let lo = e, hi = e + size - 1; lo < hi; lo++, hi--) {
      const t = out[lo] ?? 0;
      out[lo] = out[hi] ?? 0;
      out[hi] = t;
    }
  }
  return out.buffer;
}

function hex(byte: number | undefined): string {
  return `0x${(byte ?? 0).toString(16).padStart(2, '0')}`;
}
