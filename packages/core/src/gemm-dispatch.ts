import { gemmNN_f64, gemmNT_f64, gemmTN_f64 } from './kernels/gemm.ts';
import { arenaOf } from './backend.ts';

/** Which operand is transposed: C = A·B, A·Bᵀ or Aᵀ·B. */
export type GemmLayout = 'NN' | 'NT' | 'TN';

/**
 * C[M×N] (+)= op(A)·op(B) on row-major float64 buffers, by the fastest kernel available for
 * them: WebAssembly SIMD when all three live in one arena of `createKernels` (a traced tape
 * allocates there), else the register-blocked TypeScript loops.
 * @param layout - which operand is transposed
 * @param M - rows of C
 * @param N - columns of C
 * @param K - the inner dimension
 * @param A - left operand, row-major
 * @param B - right operand, row-major
 * @param C - the result, [M × N]
 * @param accumulate - true: C += op(A)·op(B); false: C = op(A)·op(B)
 */
export function gemm(layout: GemmLayout, M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  const arena = arenaOf(A, B, C);
  if (arena !== null) {
    if (layout === 'NN') arena.gemmNN_f64(M, N, K, A, B, C, accumulate);
    else if (layout === 'NT') arena.gemmNT_f64(M, N, K, A, B, C, accumulate);
    else arena.gemmTN_f64(M, N, K, A, B, C, accumulate);
    return;
  }
  if (layout === 'NN') gemmNN_f64(M, N, K, A, 0, B, 0, C, 0, accumulate);
  else if (layout === 'NT') gemmNT_f64(M, N, K, A, 0, B, 0, C, 0, accumulate);
  else gemmTN_f64(M, N, K, A, 0, B, 0, C, 0, accumulate);
}
