/**
 * Fuzzing the IDX readers: random bytes, valid IDX files of every type with bytes flipped, cut
 * or appended, and gzip of both (through `gunzipIdx`, the capped stream `loadMnist` uses). Every
 * outcome must be a parsed array whose data fills its dims, or an IdxError; and a gzipped file
 * never yields more than its header declares.
 *
 * Runs (fixed seed, `propertyConfig`): 500 random inputs, 500 damaged files, 200 damaged gzip
 * files; about a second on one core.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { propertyConfig } from '@nabla/core/testing';
import { describe, expect, it } from 'vitest';
import { IdxError } from './errors.ts';
import { gunzipIdx } from './gunzip.ts';
import { idxByteLength, readIdx } from './idx.ts';

const TYPE_CODES = [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e];
const SIZES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

function idxFile(code: number, dims: number[]): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(4 + 4 * dims.length + count * SIZES[code]!);
  bytes.set([0, 0, code, dims.length]);
  const view = new DataView(bytes.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 4 + 4 * dims.length; i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
  return bytes;
}

const validIdx = fc
  .record({ code: fc.constantFrom(...TYPE_CODES), dims: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }) })
  .map(({ code, dims }) => idxFile(code, dims));

type Damage = { kind: 'flip' | 'cut' | 'append' | 'set-dim'; at: number; byte: number; n: number };
const damage: fc.Arbitrary<Damage> = fc.record({
  kind: fc.constantFrom('flip', 'cut', 'append', 'set-dim'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
  n: fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(0xffffffff, 0x7fffffff, 65536)),
});

function damaged(file: Uint8Array, ds: readonly Damage[]): Uint8Array {
  let b = Uint8Array.from(file);
  for (const d of ds) {
    if (d.kind === 'flip' && b.length > 0) b[d.at % b.length] = d.byte;
    else if (d.kind === 'cut') b = b.subarray(0, d.at % (b.length + 1));
    else if (d.kind === 'append') b = Uint8Array.from([...b, ...new Array<number>(d.n % 9).fill(d.byte)]);
    else if (d.kind === 'set-dim') {
      const offset = 4 + 4 * (d.at % Math.max(1, b[3] ?? 0));
      if (offset + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(offset, d.n, false);
    }
  }
  return b;
}

/** readIdx's outcome: a consistent array, or an IdxError; anything else fails the property. */
function parsedOrIdxError(bytes: Uint8Array): 'parsed' | 'rejected' {
  try {
    const a = readIdx(bytes, 'fuzz.idx');
    expect(a.data.length).toBe(a.dims.reduce((x, y) => x * y, 1));
    return 'parsed';
  } catch (error) {
    if (error instanceof IdxError) return 'rejected';
    throw error;
  }
}

describe('readIdx fuzzed: a parsed array or an IdxError', () => {
  it('on random bytes (half of them starting with a valid-looking magic)', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.constantFrom(...TYPE_CODES), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 48 })).map(([c, n, rest]) => Uint8Array.from([0, 0, c, n, ...rest])),
    );
    fc.assert(fc.property(input, (bytes) => void parsedOrIdxError(bytes)), propertyConfig({ numRuns: 500 }));
  });

  it('on valid files of every type with bytes flipped, cut, appended or a dimension rewritten', () => {
    const seen = { parsed: 0, rejected: 0 };
    fc.assert(
      fc.property(validIdx, fc.array(damage, { maxLength: 3 }), (file, ds) => {
        seen[parsedOrIdxError(damaged(file, ds))]++;
      }),
      propertyConfig({ numRuns: 500 }),
    );
    expect(seen.parsed).toBeGreaterThan(50);
    expect(seen.rejected).toBeGreaterThan(50);
  });
});

describe('gunzipIdx fuzzed: never more output than the header declares, errors are IdxErrors', () => {
  it('on gzip of damaged files, and gzip data with bytes flipped', async () => {
    await fc.assert(
      fc.asyncProperty(validIdx, fc.array(damage, { maxLength: 3 }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), async (file, ds, flip) => {
        const gz = Uint8Array.from(gzipSync(damaged(file, ds)));
        if (flip !== null) gz[flip[0] % gz.length] = flip[1];
        let raw: Uint8Array;
        try {
          raw = await gunzipIdx(gz, 'fuzz.idx.gz');
        } catch (error) {
          if (error instanceof IdxError) return;
          throw error;
        }
        const declared = idxByteLength(raw.subarray(0, 1024));
        if (declared !== null) expect(raw.length).toBeLessThanOrEqual(declared.bytes);
        parsedOrIdxError(raw);
      }),
      propertyConfig({ numRuns: 200 }),
    );
  });
});
