import { gemmNN, gemmNT, gemmTN } from './matmul.ts';

/** Which operand is transposed: C = A·B, A·Bᵀ or Aᵀ·B. */
export type GemmLayout = 'NN' | 'NT' | 'TN';

/**
 * C[M×N] (+)= op(A)·op(B) on row-major float64 buffers, by the fastest kernel available for
 * them (WebAssembly SIMD when all three live in its memory, else TypeScript loops).
 */
export function gemm(layout: GemmLayout, M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  if (layout === 'NN') gemmNN(M, N, K, A, B, C, accumulate);
  else if (layout === 'NT') gemmNT(M, N, K, A, B, C, accumulate);
  else gemmTN(M, N, K, A, B, C, accumulate);
}
