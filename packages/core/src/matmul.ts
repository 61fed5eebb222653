/**
 * Row-major float64 matrix products for the three layouts autodiff needs: C = A·B (forward),
 * C = A·Bᵀ and C = Aᵀ·B (the two halves of matmul's backward), each either writing C or adding
 * to it (backward rules accumulate). Loop orders keep the innermost loop on contiguous memory.
 */

/** C[M×N] (+)= A[M×K] · B[K×N]. */
export function gemmNN(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  if (!accumulate) C.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    const ai = i * K;
    for (let k = 0; k < K; k++) {
      const a = A[ai + k]!;
      const bk = k * N;
      for (let j = 0; j < N; j++) C[ci + j] = C[ci + j]! + a * B[bk + j]!;
    }
  }
}

/** C[M×N] (+)= A[M×K] · B[N×K]ᵀ. */
export function gemmNT(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  for (let i = 0; i < M; i++) {
    const ai = i * K;
    for (let j = 0; j < N; j++) {
      const bj = j * K;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += A[ai + k]! * B[bj + k]!;
      C[i * N + j] = accumulate ? C[i * N + j]! + acc : acc;
    }
  }
}

/** C[M×N] (+)= A[K×M]ᵀ · B[K×N]. */
export function gemmTN(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  if (!accumulate) C.fill(0, 0, M * N);
  for (let k = 0; k < K; k++) {
    const ak = k * M;
    const bk = k * N;
    for (let i = 0; i < M; i++) {
      const a = A[ak + i]!;
      const ci = i * N;
      for (let j = 0; j < N; j++) C[ci + j] = C[ci + j]! + a * B[bk + j]!;
    }
  }
}
