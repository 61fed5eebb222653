// Gzip-compressed IDX files, decompressed as a stream with a cap taken from the IDX header (Node
// only): a small file that inflates to gigabytes stops after a few kilobytes of output.
import { createGunzip } from 'node:zlib';
import { IdxError } from './errors.ts';
import { type IdxLength, idxByteLength } from './idx.ts';

/**
 * The largest IDX file (decompressed) this reader accepts: 2 GiB, four times the 47 MB of MNIST's
 * training images with a wide margin for larger datasets.
 */
export const MAX_IDX_BYTES = 2 ** 31;

// The longest IDX header: 4 bytes, then 4 per dimension, at most 255 dimensions.
const MAX_HEADER_BYTES = 4 + 4 * 255;

/**
 * Decompresses a gzip-compressed IDX file, stopping with an {@link IdxError} as soon as the
 * output passes the length its IDX header declares (or {@link MAX_IDX_BYTES}), so memory stays
 * within that length plus one zlib chunk (16 KiB) whatever the compression ratio.
 *
 * @example
 * ```ts
 * const raw = await gunzipIdx(await readFile('train-labels-idx1-ubyte.gz'), 'train-labels-idx1-ubyte.gz');
 * readIdx(raw); // { type: 'ubyte', dims: [60000], … }
 * ```
 * @param bytes - The gzip-compressed file.
 * @param name - File name or path used in error messages.
 * @returns The decompressed IDX bytes.
 * @throws {@link IdxError} for corrupt gzip data, an IDX header declaring more than
 *   {@link MAX_IDX_BYTES}, or more output than the header declares.
 */
export function gunzipIdx(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    let limit: IdxLength | null = null;
    let failed = false;
    const fail = (error: IdxError): void => {
      if (failed) return;
      failed = true;
      gunzip.destroy();
      reject(error);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (failed) return;
      chunks.push(chunk);
      total += chunk.length;
      try {
        if (limit === null) {
          const head = Buffer.concat(chunks, Math.min(total, MAX_HEADER_BYTES));
          limit = idxByteLength(head, name);
          if (limit !== null && limit.bytes > MAX_IDX_BYTES) {
            fail(new IdxError(name, `header declares ${limit.bytes} bytes (${limit.shape}), more than the ${MAX_IDX_BYTES} this reader accepts`));
            return;
          }
        }
      } catch (error) {
        fail(error as IdxError);
        return;
      }
      // With MAX_HEADER_BYTES of output the header is whole, so `limit` is set from then on.
      if (limit !== null && total > limit.bytes) {
        fail(new IdxError(name, `trailing bytes: decompresses to more than the ${limit.bytes} bytes its header declares (${limit.shape}); stopped after ${total}`));
      }
    });
    gunzip.on('error', (cause) => fail(new IdxError(name, `gzip decompression failed: ${String(cause)}`, { cause })));
    gunzip.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, total));
    });
    gunzip.end(bytes);
  });
}
