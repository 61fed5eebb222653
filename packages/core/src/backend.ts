/**
 * Matrix kernels bundled with the memory they work on: WebAssembly SIMD over an arena in Wasm
 * memory where the engine supports it, TypeScript loops over ordinary typed arrays elsewhere.
 * Training engines allocate every buffer they reuse from one of these, once.
 */
import { checkGatherOperands, gemmNN_f32, gemmNN_f64, gemmNT_f32, gemmNT_f64, gemmTN_f32, gemmTN_f64 } from './kernels/gemm.ts';
import { type WasmArena, type WasmSharing, createWasmArena, wasmSimdSupported } from './kernels/wasm.ts';

/** Storage type of a kernel set. */
export type FloatDType = 'float64' | 'float32';

/** The typed array of each storage type, so `FloatArrayOf[D]` types a kernel set's buffers. */
export interface FloatArrayOf {
  /** Double-precision storage, the default and the dtype of every gradient check. */
  float64: Float64Array;
  /** Single-precision storage, for fast training (half the memory traffic per product). */
  float32: Float32Array;
}

/**
 * Matrix products and allocation for one storage type (row-major matrices).
 *
 * NOTE: when `simd` is true, the products accept only buffers from this set's own `alloc` (they
 * are views into its Wasm arena; anything else throws), and allocation throws once the `bytes`
 * given to {@link createKernels} are used up, because growing Wasm memory would detach every view.
 */
export interface MatrixKernels<D extends FloatDType = FloatDType> {
  /** The storage type. */
  readonly dtype: D;
  /** True when the products run WebAssembly SIMD on the arena. */
  readonly simd: boolean;
  /**
   * A zeroed buffer of `n` elements that the products accept.
   * @param n - number of elements
   */
  alloc(n: number): FloatArrayOf[D];
  /**
   * C[M×N] (+)= A[M×K] · B[K×N].
   * @param M - rows of A and C
   * @param N - columns of B and C
   * @param K - the inner dimension
   * @param A - left operand, M×K
   * @param B - right operand, K×N
   * @param C - output, M×N
   * @param accumulate - add the product to C instead of overwriting it
   */
  gemmNN(M: number, N: number, K: number, A: FloatArrayOf[D], B: FloatArrayOf[D], C: FloatArrayOf[D], accumulate: boolean): void;
  /**
   * C[M×N] (+)= A[M×K] · B[N×K]ᵀ, without materialising Bᵀ (BP4's δ·aᵀ).
   * @param M - rows of A and C
   * @param N - rows of B, columns of C
   * @param K - columns of A and B
   * @param A - left operand, M×K
   * @param B - right operand as stored, N×K
   * @param C - output, M×N
   * @param accumulate - add the product to C instead of overwriting it
   */
  gemmNT(M: number, N: number, K: number, A: FloatArrayOf[D], B: FloatArrayOf[D], C: FloatArrayOf[D], accumulate: boolean): void;
  /**
   * C[M×N] (+)= A[K×M]ᵀ · B[K×N], without materialising Aᵀ (BP2's wᵀδ).
   * @param M - columns of A, rows of C
   * @param N - columns of B and C
   * @param K - rows of A and B
   * @param A - left operand as stored, K×M
   * @param B - right operand, K×N
   * @param C - output, M×N
   * @param accumulate - add the product to C instead of overwriting it
   */
  gemmTN(M: number, N: number, K: number, A: FloatArrayOf[D], B: FloatArrayOf[D], C: FloatArrayOf[D], accumulate: boolean): void;
  /**
   * Y = alpha·X + beta·Y elementwise: an optimizer's update, w = (1 − ηλ/n)·w − η·g.
   * @param alpha - scale of X (−η for an SGD step)
   * @param X - the increment, same length as Y (the gradient)
   * @param beta - scale of Y (1 − ηλ/n, or 1 without L2)
   * @param Y - updated in place (the weights)
   */
  axpby(alpha: number, X: FloatArrayOf[D], beta: number, Y: FloatArrayOf[D]): void;
  /**
   * A zeroed byte buffer that `gather` accepts as its images.
   * @param n - number of bytes
   */
  allocBytes(n: number): Uint8Array;
  /**
   * A zeroed Int32Array that `gather` accepts as its index.
   * @param n - number of elements
   */
  allocInts(n: number): Int32Array;
  /**
   * X[p·m + j] = images[index[j]·n + p] / 255: the images numbered `index[0..m)`, n grey bytes
   * each, become the columns of X [n × m] (a mini-batch, examples as columns).
   * @param images - the images' bytes, one after another (from `allocBytes`)
   * @param index - which images, by number (from `allocInts`)
   * @param m - number of images in the batch
   * @param n - bytes per image
   * @param X - the batch, [n × m]
   */
  gather(images: Uint8Array, index: Int32Array, m: number, n: number, X: FloatArrayOf[D]): void;
  /**
   * A = σ(Z) elementwise on SIMD, where the kernels have it (float32 with SIMD: a vector expf
   * within about 1 ulp); `undefined` elsewhere, and callers use `Math.exp`.
   * @param Z - the input
   * @param A - receives σ(Z), same length as `Z`
   */
  readonly sigmoid?: (Z: FloatArrayOf[D], A: FloatArrayOf[D]) => void;
  /** For kernels made with `{ shared: true }`: what a helper thread needs (see `@nabla/core/threads`). */
  readonly sharing?: WasmSharing | null;
}

/** Options of {@link createKernels}. */
export interface KernelOptions {
  /** Bytes to reserve for buffers (Wasm memory cannot grow without detaching views). */
  bytes: number;
  /** Use WebAssembly SIMD when supported (default true); false forces the TypeScript loops. */
  simd?: boolean;
  /**
   * Put the buffers in shared memory so a helper thread can work on them too
   * (`withHelperThread` in `@nabla/core/threads`); needs SIMD and SharedArrayBuffer.
   */
  shared?: boolean;
}

const arenas = new WeakMap<ArrayBufferLike, WasmArena>();

/**
 * The arena of `createKernels` whose memory holds `view`, if any.
 * @param view - a typed array
 */
export function arenaOfView(view: ArrayBufferView): WasmArena | null {
  return arenas.get(view.buffer) ?? null;
}

/**
 * The arena whose memory holds all three buffers, if any: the tape's matmul uses it.
 * @param A - first buffer
 * @param B - second buffer
 * @param C - third buffer
 */
export function arenaOf(A: Float64Array, B: Float64Array, C: Float64Array): WasmArena | null {
  const arena = arenas.get(A.buffer);
  if (arena === undefined || B.buffer !== A.buffer || C.buffer !== A.buffer) return null;
  return arena;
}

/**
 * Kernels and allocation for one storage type: SIMD in an arena of `bytes` when supported,
 * else plain typed arrays and TypeScript loops. Both give the same results to rounding (the
 * kernels' tests hold them against each other).
 *
 * @example
 * ```ts
 * const k = createKernels('float32', { bytes: 8 << 20 });
 * const W = k.alloc(30 * 784), X = k.alloc(784 * 10), Z = k.alloc(30 * 10);
 * k.gemmNN(30, 10, 784, W, X, Z, false); // Z = W·X
 * ```
 * @param dtype - `'float64'` or `'float32'`
 * @param options - `bytes` to reserve, `simd`, `shared`
 */
export function createKernels<D extends FloatDType>(dtype: D, options: KernelOptions): MatrixKernels<D> {
  const simd = (options.simd ?? true) && wasmSimdSupported();
  if (!simd) return plainKernels(dtype);
  const arena = createWasmArena(options.bytes, { shared: options.shared === true });
  arenas.set(arena.f64(0).buffer, arena);
  const k =
    dtype === 'float64'
      ? { alloc: (n: number) => arena.f64(n), gemmNN: arena.gemmNN_f64, gemmNT: arena.gemmNT_f64, gemmTN: arena.gemmTN_f64, axpby: arena.axpby_f64, gather: arena.gather_f64 }
      : { alloc: (n: number) => arena.f32(n), gemmNN: arena.gemmNN_f32, gemmNT: arena.gemmNT_f32, gemmTN: arena.gemmTN_f32, axpby: arena.axpby_f32, gather: arena.gather_f32, sigmoid: arena.sigmoid_f32 };
  return { dtype, simd: true, sharing: arena.sharing, allocBytes: (n: number) => arena.u8(n), allocInts: (n: number) => arena.i32(n), ...k } as unknown as MatrixKernels<D>;
}

function plainKernels<D extends FloatDType>(dtype: D): MatrixKernels<D> {
  const k =
    dtype === 'float64'
      ? {
          alloc: (n: number) => new Float64Array(n),
          gemmNN: (M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, acc: boolean) => gemmNN_f64(M, N, K, A, 0, B, 0, C, 0, acc),
          gemmNT: (M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, acc: boolean) => gemmNT_f64(M, N, K, A, 0, B, 0, C, 0, acc),
          gemmTN: (M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, acc: boolean) => gemmTN_f64(M, N, K, A, 0, B, 0, C, 0, acc),
          axpby: axpby64,
          gather: gather64,
        }
      : {
          alloc: (n: number) => new Float32Array(n),
          gemmNN: (M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => gemmNN_f32(M, N, K, A, 0, B, 0, C, 0, acc),
          gemmNT: (M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => gemmNT_f32(M, N, K, A, 0, B, 0, C, 0, acc),
          gemmTN: (M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => gemmTN_f32(M, N, K, A, 0, B, 0, C, 0, acc),
          axpby: axpby32,
          gather: gather32,
        };
  return { dtype, simd: false, allocBytes: (n: number) => new Uint8Array(n), allocInts: (n: number) => new Int32Array(n), ...k } as unknown as MatrixKernels<D>;
}

function checkAxpby(X: ArrayLike<number>, Y: ArrayLike<number>, op: string): void {
  if (X.length !== Y.length) throw new RangeError(`${op}: X has ${X.length} elements, Y ${Y.length}`);
}

// One function per array type keeps each monomorphic.
function axpby64(alpha: number, X: Float64Array, beta: number, Y: Float64Array): void {
  checkAxpby(X, Y, 'axpby_f64');
  for (let i = 0; i < Y.length; i++) Y[i] = alpha * X[i]! + beta * Y[i]!;
}

function axpby32(alpha: number, X: Float32Array, beta: number, Y: Float32Array): void {
  checkAxpby(X, Y, 'axpby_f32');
  for (let i = 0; i < Y.length; i++) Y[i] = alpha * X[i]! + beta * Y[i]!;
}

// One function per array type keeps each monomorphic.
function gather64(images: Uint8Array, index: Int32Array, m: number, n: number, X: Float64Array): void {
  checkGatherOperands('gather_f64', images, index, m, n, X.length);
  for (let j = 0; j < m; j++) for (let p = 0, o = j, s = index[j]! * n; p < n; p++, o += m) X[o] = images[s + p]! / 255;
}

function gather32(images: Uint8Array, index: Int32Array, m: number, n: number, X: Float32Array): void {
  checkGatherOperands('gather_f32', images, index, m, n, X.length);
  for (let j = 0; j < m; j++) for (let p = 0, o = j, s = index[j]! * n; p < n; p++, o += m) X[o] = images[s + p]! / 255;
}
