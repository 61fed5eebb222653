/**
 * Pure-TypeScript matrix products, one function per layout and dtype: the fallback when
 * WebAssembly SIMD is missing (see `wasmSimdSupported` in wasm.ts) and the reference the Wasm
 * kernels are tested against.
 *
 * All matrices are row-major and contiguous, starting at an element offset into their array:
 *   NN  C[M×N] (+)= A[M×K]  · B[K×N]     forward: W·X
 *   NT  C[M×N] (+)= A[M×K]  · B[N×K]ᵀ    weight gradient: δ·Xᵀ (BP4)
 *   TN  C[M×N] (+)= Aᵀ · B, A is [K×M]   back-propagated delta: Wᵀ·δ (BP2)
 * `accumulate` true adds the product to C, false overwrites C. C must not overlap A or B.
 *
 * Each call runs one kernel that computes a 4×4 block of C in 16 local accumulators while k runs
 * (8 loads per 16 multiply-adds); A and B are addressed through strides, so the three layouts
 * share it. Blocks at the right and bottom edges repeat the last row or column of A and B, so
 * the same code covers every size (the repeated lanes compute values already computed and store
 * them to the same element). No allocation.
 *
 * NOTE: float64 results equal the Wasm kernels' bit for bit: both start each element from C (or
 * 0) and add the products a·b in order of k, with no fused multiply-add. The float32 functions
 * accumulate in float64 and round once when storing (rounding every step with Math.fround
 * halves the speed), so they are slightly more accurate than the Wasm float32 kernels, which
 * round every step; the two agree to float32 rounding error, not bit for bit.
 */

/**
 * C[M×N] (+)= A(i,k)·B(k,j) with A(i,k) = A[aOff + i·ars + k·acs], B(k,j) = B[bOff + k·bks + j·bjs].
 * NOTE: one kernel per array type keeps V8's element accesses monomorphic; kernelF32 is this
 * function with Float32Array operands and must stay in step with it.
 */
function kernelF64(
  M: number, N: number, K: number,
  A: Float64Array, aOff: number, ars: number, acs: number,
  B: Float64Array, bOff: number, bks: number, bjs: number,
  C: Float64Array, cOff: number, accumulate: boolean,
): void {
  for (let i = 0; i < M; i += 4) {
    // rows past the last (M - i) repeat the last one
    const h = M - i;
    const a0 = aOff + i * ars, a1 = h > 1 ? a0 + ars : a0, a2 = h > 2 ? a1 + ars : a1, a3 = h > 3 ? a2 + ars : a2;
    const r0 = cOff + i * N, r1 = h > 1 ? r0 + N : r0, r2 = h > 2 ? r1 + N : r1, r3 = h > 3 ? r2 + N : r2;
    for (let j = 0; j < N; j += 4) {
      // columns past the last (N - j) repeat the last one
      const w = N - j;
      const j1 = w > 1 ? 1 : 0, j2 = w > 2 ? 2 : j1, j3 = w > 3 ? 3 : j2;
      const b0 = bOff + j * bjs, b1 = b0 + j1 * bjs, b2 = b0 + j2 * bjs, b3 = b0 + j3 * bjs;
      const c0 = r0 + j, c1 = r1 + j, c2 = r2 + j, c3 = r3 + j;
      let x00 = 0, x01 = 0, x02 = 0, x03 = 0, x10 = 0, x11 = 0, x12 = 0, x13 = 0;
      let x20 = 0, x21 = 0, x22 = 0, x23 = 0, x30 = 0, x31 = 0, x32 = 0, x33 = 0;
      if (accumulate) {
        x00 = C[c0]!; x01 = C[c0 + j1]!; x02 = C[c0 + j2]!; x03 = C[c0 + j3]!;
        x10 = C[c1]!; x11 = C[c1 + j1]!; x12 = C[c1 + j2]!; x13 = C[c1 + j3]!;
        x20 = C[c2]!; x21 = C[c2 + j1]!; x22 = C[c2 + j2]!; x23 = C[c2 + j3]!;
        x30 = C[c3]!; x31 = C[c3 + j1]!; x32 = C[c3 + j2]!; x33 = C[c3 + j3]!;
      }
      for (let k = 0, pa = 0, pb = 0; k < K; k++, pa += acs, pb += bks) {
        const u0 = A[a0 + pa]!, u1 = A[a1 + pa]!, u2 = A[a2 + pa]!, u3 = A[a3 + pa]!;
        const v0 = B[b0 + pb]!, v1 = B[b1 + pb]!, v2 = B[b2 + pb]!, v3 = B[b3 + pb]!;
        x00 += u0 * v0; x01 += u0 * v1; x02 += u0 * v2; x03 += u0 * v3;
        x10 += u1 * v0; x11 += u1 * v1; x12 += u1 * v2; x13 += u1 * v3;
        x20 += u2 * v0; x21 += u2 * v1; x22 += u2 * v2; x23 += u2 * v3;
        x30 += u3 * v0; x31 += u3 * v1; x32 += u3 * v2; x33 += u3 * v3;
      }
      C[c0] = x00; C[c0 + j1] = x01; C[c0 + j2] = x02; C[c0 + j3] = x03;
      C[c1] = x10; C[c1 + j1] = x11; C[c1 + j2] = x12; C[c1 + j3] = x13;
      C[c2] = x20; C[c2 + j1] = x21; C[c2 + j2] = x22; C[c2 + j3] = x23;
      C[c3] = x30; C[c3 + j1] = x31; C[c3 + j2] = x32; C[c3 + j3] = x33;
    }
  }
}

/** kernelF64 for Float32Array operands (accumulates in float64, rounds on store). */
function kernelF32(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number, ars: number, acs: number,
  B: Float32Array, bOff: number, bks: number, bjs: number,
  C: Float32Array, cOff: number, accumulate: boolean,
): void {
  for (let i = 0; i < M; i += 4) {
    const h = M - i;
    const a0 = aOff + i * ars, a1 = h > 1 ? a0 + ars : a0, a2 = h > 2 ? a1 + ars : a1, a3 = h > 3 ? a2 + ars : a2;
    const r0 = cOff + i * N, r1 = h > 1 ? r0 + N : r0, r2 = h > 2 ? r1 + N : r1, r3 = h > 3 ? r2 + N : r2;
    for (let j = 0; j < N; j += 4) {
      const w = N - j;
      const j1 = w > 1 ? 1 : 0, j2 = w > 2 ? 2 : j1, j3 = w > 3 ? 3 : j2;
      const b0 = bOff + j * bjs, b1 = b0 + j1 * bjs, b2 = b0 + j2 * bjs, b3 = b0 + j3 * bjs;
      const c0 = r0 + j, c1 = r1 + j, c2 = r2 + j, c3 = r3 + j;
      let x00 = 0, x01 = 0, x02 = 0, x03 = 0, x10 = 0, x11 = 0, x12 = 0, x13 = 0;
      let x20 = 0, x21 = 0, x22 = 0, x23 = 0, x30 = 0, x31 = 0, x32 = 0, x33 = 0;
      if (accumulate) {
        x00 = C[c0]!; x01 = C[c0 + j1]!; x02 = C[c0 + j2]!; x03 = C[c0 + j3]!;
        x10 = C[c1]!; x11 = C[c1 + j1]!; x12 = C[c1 + j2]!; x13 = C[c1 + j3]!;
        x20 = C[c2]!; x21 = C[c2 + j1]!; x22 = C[c2 + j2]!; x23 = C[c2 + j3]!;
        x30 = C[c3]!; x31 = C[c3 + j1]!; x32 = C[c3 + j2]!; x33 = C[c3 + j3]!;
      }
      for (let k = 0, pa = 0, pb = 0; k < K; k++, pa += acs, pb += bks) {
        const u0 = A[a0 + pa]!, u1 = A[a1 + pa]!, u2 = A[a2 + pa]!, u3 = A[a3 + pa]!;
        const v0 = B[b0 + pb]!, v1 = B[b1 + pb]!, v2 = B[b2 + pb]!, v3 = B[b3 + pb]!;
        x00 += u0 * v0; x01 += u0 * v1; x02 += u0 * v2; x03 += u0 * v3;
        x10 += u1 * v0; x11 += u1 * v1; x12 += u1 * v2; x13 += u1 * v3;
        x20 += u2 * v0; x21 += u2 * v1; x22 += u2 * v2; x23 += u2 * v3;
        x30 += u3 * v0; x31 += u3 * v1; x32 += u3 * v2; x33 += u3 * v3;
      }
      C[c0] = x00; C[c0 + j1] = x01; C[c0 + j2] = x02; C[c0 + j3] = x03;
      C[c1] = x10; C[c1 + j1] = x11; C[c1 + j2] = x12; C[c1 + j3] = x13;
      C[c2] = x20; C[c2 + j1] = x21; C[c2 + j2] = x22; C[c2 + j3] = x23;
      C[c3] = x30; C[c3 + j1] = x31; C[c3 + j2] = x32; C[c3 + j3] = x33;
    }
  }
}

function checkCount(op: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${value}`);
  }
}

function checkFits(op: string, name: string, length: number, off: number, size: number): void {
  if (off + size > length) {
    throw new RangeError(`${op}: ${name} needs ${size} elements from offset ${off}, but has ${length}`);
  }
}

/**
 * Throws a RangeError naming the op unless `index` holds m image numbers below the count of
 * n-byte images in `images` and X has exactly m·n values (the operands of a batch gather).
 * @param op - the caller, named in the error
 * @param images - the images' bytes, one after another
 * @param index - which images, by number
 * @param m - number of images in the batch
 * @param n - bytes per image
 * @param xLength - length of the destination X
 */
export function checkGatherOperands(op: string, images: Uint8Array, index: Int32Array, m: number, n: number, xLength: number): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 0 || index.length < m || xLength !== m * n) {
    throw new RangeError(`${op}: needs at least ${m} indices and X of exactly ${m * n} values, got ${index.length} and ${xLength}`);
  }
  const count = Math.floor(images.length / Math.max(n, 1));
  for (let j = 0; j < m; j++) {
    const i = index[j]!;
    if (!(i >= 0 && i < count)) throw new RangeError(`${op}: index[${j}] is ${i}, not an image number below ${count}`);
  }
}

/**
 * Throws a RangeError naming the op unless M, N, K and the offsets are non-negative integers and
 * each array holds its matrix (aSize, bSize, M·N elements) from its offset. Allocates nothing.
 * @param op - the caller, named in the error
 * @param M - rows of C
 * @param N - columns of C
 * @param K - the inner dimension
 * @param aLength - length of the array holding A
 * @param aOff - element offset of A in its array
 * @param aSize - elements of A
 * @param bLength - length of the array holding B
 * @param bOff - element offset of B in its array
 * @param bSize - elements of B
 * @param cLength - length of the array holding C
 * @param cOff - element offset of C in its array
 */
export function checkGemmOperands(
  op: string, M: number, N: number, K: number,
  aLength: number, aOff: number, aSize: number,
  bLength: number, bOff: number, bSize: number,
  cLength: number, cOff: number,
): void {
  checkCount(op, 'M', M);
  checkCount(op, 'N', N);
  checkCount(op, 'K', K);
  checkCount(op, 'aOff', aOff);
  checkCount(op, 'bOff', bOff);
  checkCount(op, 'cOff', cOff);
  checkFits(op, 'A', aLength, aOff, aSize);
  checkFits(op, 'B', bLength, bOff, bSize);
  checkFits(op, 'C', cLength, cOff, M * N);
}

/**
 * C[M×N] (+)= A[M×K] · B[K×N], float64.
 *
 * @example
 * ```ts
 * gemmNN_f64(30, 10, 784, W, 0, X, 0, Z, 0, false); // Z = W·X
 * ```
 * @param M - rows of A and C
 * @param N - columns of B and C
 * @param K - columns of A, rows of B
 * @param A - array holding A, row-major
 * @param aOff - element offset of A[0,0] in `A`
 * @param B - array holding B, row-major
 * @param bOff - element offset of B[0,0] in `B`
 * @param C - array holding C, row-major
 * @param cOff - element offset of C[0,0] in `C`
 * @param accumulate - true: C += A·B; false: C = A·B
 */
export function gemmNN_f64(
  M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number,
  C: Float64Array, cOff: number, accumulate = false,
): void {
  checkGemmOperands('gemmNN_f64', M, N, K, A.length, aOff, M * K, B.length, bOff, K * N, C.length, cOff);
  kernelF64(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff, accumulate);
}

/**
 * C[M×N] (+)= A[M×K] · B[N×K]ᵀ, float64 (BP4: ∂C/∂w = δ·aᵀ).
 *
 * @example
 * ```ts
 * gemmNT_f64(30, 784, 10, delta, 0, X, 0, gradW, 0, false); // gradW = δ·Xᵀ
 * ```
 * @param M - rows of A and C
 * @param N - rows of B, columns of C
 * @param K - columns of A and of B
 * @param A - array holding A, row-major
 * @param aOff - element offset of A[0,0] in `A`
 * @param B - array holding B, row-major
 * @param bOff - element offset of B[0,0] in `B`
 * @param C - array holding C, row-major
 * @param cOff - element offset of C[0,0] in `C`
 * @param accumulate - true: C += A·Bᵀ; false: C = A·Bᵀ
 */
export function gemmNT_f64(
  M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number,
  C: Float64Array, cOff: number, accumulate = false,
): void {
  checkGemmOperands('gemmNT_f64', M, N, K, A.length, aOff, M * K, B.length, bOff, N * K, C.length, cOff);
  kernelF64(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff, accumulate);
}

/**
 * C[M×N] (+)= A[K×M]ᵀ · B[K×N], float64 (BP2: wᵀ·δ).
 *
 * @example
 * ```ts
 * gemmTN_f64(30, 10, 10, W2, 0, delta2, 0, back, 0, false); // back = W2ᵀ·δ²
 * ```
 * @param M - columns of A, rows of C
 * @param N - columns of B and C
 * @param K - rows of A and of B
 * @param A - array holding A, row-major
 * @param aOff - element offset of A[0,0] in `A`
 * @param B - array holding B, row-major
 * @param bOff - element offset of B[0,0] in `B`
 * @param C - array holding C, row-major
 * @param cOff - element offset of C[0,0] in `C`
 * @param accumulate - true: C += Aᵀ·B; false: C = Aᵀ·B
 */
export function gemmTN_f64(
  M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number,
  C: Float64Array, cOff: number, accumulate = false,
): void {
  checkGemmOperands('gemmTN_f64', M, N, K, A.length, aOff, K * M, B.length, bOff, K * N, C.length, cOff);
  kernelF64(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff, accumulate);
}

/**
 * gemmNN_f64 for float32 arrays: C[M×N] (+)= A[M×K] · B[K×N] (accumulates in float64).
 * @param M - rows of A and C
 * @param N - columns of B and C
 * @param K - columns of A, rows of B
 * @param A - array holding A, row-major
 * @param aOff - element offset of A[0,0] in `A`
 * @param B - array holding B, row-major
 * @param bOff - element offset of B[0,0] in `B`
 * @param C - array holding C, row-major
 * @param cOff - element offset of C[0,0] in `C`
 * @param accumulate - true: C += A·B; false: C = A·B
 */
export function gemmNN_f32(
  M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number,
  C: Float32Array, cOff: number, accumulate = false,
): void {
  checkGemmOperands('gemmNN_f32', M, N, K, A.length, aOff, M * K, B.length, bOff, K * N, C.length, cOff);
  kernelF32(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff, accumulate);
}

/**
 * gemmNT_f64 for float32 arrays: C[M×N] (+)= A[M×K] · B[N×K]ᵀ (accumulates in float64).
 * @param M - rows of A and C
 * @param N - rows of B, columns of C
 * @param K - columns of A and of B
 * @param A - array holding A, row-major
 * @param aOff - element offset of A[0,0] in `A`
 * @param B - array holding B, row-major
 * @param bOff - element offset of B[0,0] in `B`
 * @param C - array holding C, row-major
 * @param cOff - element offset of C[0,0] in `C`
 * @param accumulate - true: C += A·Bᵀ; false: C = A·Bᵀ
 */
export function gemmNT_f32(
  M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number,
  C: Float32Array, cOff: number, accumulate = false,
): void {
  checkGemmOperands('gemmNT_f32', M, N, K, A.length, aOff, M * K, B.length, bOff, N * K, C.length, cOff);
  kernelF32(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff, accumulate);
}

/**
 * gemmTN_f64 for float32 arrays: C[M×N] (+)= A[K×M]ᵀ · B[K×N] (accumulates in float64).
 * @param M - columns of A, rows of C
 * @param N - columns of B and C
 * @param K - rows of A and of B
 * @param A - array holding A, row-major
 * @param aOff - element offset of A[0,0] in `A`
 * @param B - array holding B, row-major
 * @param bOff - element offset of B[0,0] in `B`
 * @param C - array holding C, row-major
 * @param cOff - element offset of C[0,0] in `C`
 * @param accumulate - true: C += Aᵀ·B; false: C = Aᵀ·B
 */
export function gemmTN_f32(
  M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number,
  C: Float32Array, cOff: number, accumulate = false,
): void {
  checkGemmOperands('gemmTN_f32', M, N, K, A.length, aOff, K * M, B.length, bOff, K * N, C.length, cOff);
  kernelF32(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff, accumulate);
}
