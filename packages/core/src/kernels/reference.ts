/**
 * Test support for the kernels: a seeded value source, the naive triple loop they are checked
 * against, and the sizes worth checking. Used by the kernels' tests only.
 */

/**
 * Deterministic values in [-1, 1) (mulberry32), so a failure reproduces.
 * @param seed - any integer; equal seeds give equal sequences
 */
export function seededValues(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

export type Layout = 'NN' | 'NT' | 'TN';

/**
 * The naive triple loop in float64: C[i,j] = (accumulate ? C[i,j] : 0) + Σ_k A(i,k)·B(k,j), summed
 * in order of k. Also returns Σ|C0| + Σ_k |A(i,k)·B(k,j)| per element, the scale a rounding
 * error is measured against.
 * @param layout - which operand is transposed
 * @param M - rows of C
 * @param N - columns of C
 * @param K - the inner dimension
 * @param A - left operand, row-major
 * @param B - right operand, row-major
 * @param C - the initial C, read only when `accumulate`
 * @param accumulate - start from `C` rather than from zero
 */
export function naiveGemm(
  layout: Layout, M: number, N: number, K: number,
  A: ArrayLike<number>, B: ArrayLike<number>, C: ArrayLike<number>, accumulate: boolean,
): { readonly C: Float64Array; readonly scale: Float64Array } {
  const out = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = accumulate ? C[i * N + j]! : 0;
      let abs = Math.abs(sum);
      for (let k = 0; k < K; k++) {
        const a = layout === 'TN' ? A[k * M + i]! : A[i * K + k]!;
        const b = layout === 'NT' ? B[j * K + k]! : B[k * N + j]!;
        sum += a * b;
        abs += Math.abs(a * b);
      }
      out[i * N + j] = sum;
      scale[i * N + j] = abs;
    }
  }
  return { C: out, scale };
}

/**
 * Element counts of A and B for a layout.
 * @param layout - which operand is transposed
 * @param M - rows of C
 * @param N - columns of C
 * @param K - the inner dimension
 */
export function operandSizes(layout: Layout, M: number, N: number, K: number): [number, number] {
  return [layout === 'TN' ? K * M : M * K, layout === 'NT' ? N * K : K * N];
}

/**
 * Largest |got - want| / scale (scale floored at the smallest normal number, for all-zero rows).
 * @param got - the values under test
 * @param want - the reference values
 * @param scale - per-element scale the error is divided by
 */
export function maxScaledError(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(scale[i]!, 2 ** -1022);
    if (!(err <= worst)) worst = err; // NaN wins
  }
  return worst;
}

/** Odd sizes, edges (0 and 1), K past the NT kernel's 256-step chunks, and the network's shapes. */
export const SIZES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [7, 13, 5], [0, 3, 4], [3, 0, 4], [3, 4, 0], [1, 9, 1], [9, 1, 9],
  [2, 3, 7], [4, 4, 4], [5, 8, 3], [6, 10, 11], [11, 17, 2], [3, 7, 33], [13, 3, 1],
  [7, 40, 600], [5, 70, 9], [31, 35, 3],
  // n = 8j + 2 (j ≥ 1): the float32 kernels' last ten columns run as one block, 3 rows at a time,
  // and for n = 4j + 2 the float64 kernels' last six; n = 2 does not
  [1, 10, 3], [2, 10, 1], [4, 18, 9], [7, 26, 5], [31, 10, 33], [8, 10, 300], [3, 2, 5], [5, 6, 7], [2, 14, 3],
  [30, 10, 784], [30, 100, 784], [10, 10, 30], [10, 100, 30], // NN: W·X, W2·A
  [30, 784, 10], [30, 784, 100], [10, 30, 10], // NT: δ·Xᵀ, δ2·Aᵀ
  [30, 10, 10], [30, 100, 10], // TN: W2ᵀ·δ2
];
