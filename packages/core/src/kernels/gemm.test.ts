import { describe, expect, it } from 'vitest';
import {
  gemmNN_f32, gemmNN_f64, gemmNT_f32, gemmNT_f64, gemmTN_f32, gemmTN_f64,
} from './gemm.ts';
import { SIZES, naiveGemm, operandSizes, seededValues } from './reference.ts';

const f64Kernels = { NN: gemmNN_f64, NT: gemmNT_f64, TN: gemmTN_f64 } as const;
const f32Kernels = { NN: gemmNN_f32, NT: gemmNT_f32, TN: gemmTN_f32 } as const;

describe('gemm.ts (pure TypeScript)', () => {
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    for (const accumulate of [false, true]) {
      // float64: same operations in the same order as the naive loop, so equal bit for bit
      // (stronger than rtol 1e-12).
      it(`${layout} f64 equals the naive loop exactly (accumulate=${accumulate})`, () => {
        const next = seededValues(1);
        for (const [M, N, K] of SIZES) {
          const [aSize, bSize] = operandSizes(layout, M, N, K);
          const A = Float64Array.from({ length: aSize }, next);
          const B = Float64Array.from({ length: bSize }, next);
          const C = Float64Array.from({ length: M * N }, next);
          const want = naiveGemm(layout, M, N, K, A, B, C, accumulate).C;
          f64Kernels[layout](M, N, K, A, 0, B, 0, C, 0, accumulate);
          expect(C, `${M}×${N}×${K}`).toEqual(want);
        }
      });

      // float32 accumulates in float64 and rounds once on store, so it equals the rounded naive
      // float64 result exactly.
      it(`${layout} f32 equals the naive loop rounded to float32 (accumulate=${accumulate})`, () => {
        const next = seededValues(2);
        for (const [M, N, K] of SIZES) {
          const [aSize, bSize] = operandSizes(layout, M, N, K);
          const A = Float32Array.from({ length: aSize }, next);
          const B = Float32Array.from({ length: bSize }, next);
          const C = Float32Array.from({ length: M * N }, next);
          const want = Float32Array.from(naiveGemm(layout, M, N, K, A, B, C, accumulate).C);
          f32Kernels[layout](M, N, K, A, 0, B, 0, C, 0, accumulate);
          expect(C, `${M}×${N}×${K}`).toEqual(want);
        }
      });
    }

    it(`${layout} reads and writes only its matrices at the given offsets`, () => {
      const next = seededValues(3);
      const [M, N, K] = [7, 6, 5];
      const [aSize, bSize] = operandSizes(layout, M, N, K);
      const A = Float64Array.from({ length: aSize + 3 }, next);
      const B = Float64Array.from({ length: bSize + 5 }, next);
      const C = new Float64Array(M * N + 4).fill(-7);
      const want = naiveGemm(layout, M, N, K, A.subarray(3), B.subarray(5), C, false).C;
      f64Kernels[layout](M, N, K, A, 3, B, 5, C, 2, false);
      expect(C.subarray(2, 2 + M * N)).toEqual(want);
      expect([C[0], C[1], C[M * N + 2], C[M * N + 3]]).toEqual([-7, -7, -7, -7]);
    });
  }

  it('throws when an array is too short for its matrix', () => {
    const A = new Float64Array(30 * 784);
    const B = new Float64Array(783 * 10);
    const C = new Float64Array(30 * 10);
    expect(() => gemmNN_f64(30, 10, 784, A, 0, B, 0, C, 0)).toThrow(/gemmNN_f64: B needs 7840 elements from offset 0, but has 7830/);
    expect(() => gemmNT_f32(2, 2, 2, new Float32Array(4), 1, new Float32Array(4), 0, new Float32Array(4), 0)).toThrow(RangeError);
  });

  it('throws when a dimension is not a non-negative integer', () => {
    const X = new Float64Array(16);
    expect(() => gemmTN_f64(2.5, 2, 2, X, 0, X, 0, X, 0)).toThrow(/gemmTN_f64: M must be a non-negative integer, got 2.5/);
    expect(() => gemmNN_f64(2, 2, -1, X, 0, X, 0, X, 0)).toThrow(/K must be a non-negative integer/);
  });
});
