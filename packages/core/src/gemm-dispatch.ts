import { gemmNN_f64, gemmNT_f64, gemmTN_f64 } from './kernels/gemm.ts';
import { type WasmArena, createWasmArena, wasmSimdSupported } from './kernels/wasm.ts';
import { arenaOf } from './backend.ts';

// Products of at least this many multiply-adds copy ordinary arrays into a scratch arena and
// run the SIMD kernel there: the copies are O(MK + KN + MN), the product O(MNK). Measured on a
// 1000-column evaluation batch of [784,30,10]: 12 ms in TypeScript, 2.6 ms copied into SIMD.
const COPY_MIN_MACS = 1 << 16;

let scratch: WasmArena | null = null;

/**
 * A WebAssembly arena of at least `bytes`, emptied, for kernels that copy ordinary arrays in and
 * their results out; null where SIMD is not supported. One arena serves every such call (each
 * uses it only until it returns).
 * @param bytes - room needed
 */
export function scratchArena(bytes: number): WasmArena | null {
  if (!wasmSimdSupported()) return null;
  if (scratch === null || scratch.capacity < bytes) {
    // Grows to the largest product seen, with room to spare so growth is rare.
    scratch = createWasmArena(Math.max(bytes * 2, 1 << 20));
  }
  scratch.reset();
  return scratch;
}

/** Which operand is transposed: C = A·B, A·Bᵀ or Aᵀ·B. */
export type GemmLayout = 'NN' | 'NT' | 'TN';

/**
 * C[M×N] (+)= op(A)·op(B) on row-major float64 buffers, by the fastest kernel available for
 * them: WebAssembly SIMD in place when all three live in one arena of `createKernels` (a traced
 * tape allocates there); SIMD on copies in a scratch arena for large products on ordinary
 * arrays; else the register-blocked TypeScript loops. All three give the same float64 results
 * (same order of additions, no fused multiply-add).
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
  const copy = M * N * K >= COPY_MIN_MACS ? scratchArena(8 * (M * K + K * N + M * N) + 64) : null;
  if (copy !== null) {
    const a = copy.f64(M * K);
    const b = copy.f64(K * N);
    const c = copy.f64(M * N);
    a.set(A.subarray(0, M * K));
    b.set(B.subarray(0, K * N));
    if (accumulate) c.set(C.subarray(0, M * N));
    if (layout === 'NN') copy.gemmNN_f64(M, N, K, a, b, c, accumulate);
    else if (layout === 'NT') copy.gemmNT_f64(M, N, K, a, b, c, accumulate);
    else copy.gemmTN_f64(M, N, K, a, b, c, accumulate);
    C.set(c);
    return;
  }
  if (layout === 'NN') gemmNN_f64(M, N, K, A, 0, B, 0, C, 0, accumulate);
  else if (layout === 'NT') gemmNT_f64(M, N, K, A, 0, B, 0, C, 0, accumulate);
  else gemmTN_f64(M, N, K, A, 0, B, 0, C, 0, accumulate);
}
