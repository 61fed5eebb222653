/**
 * Matrix kernels bundled with the memory they work on: WebAssembly SIMD over an arena in Wasm
 * memory where the engine supports it, TypeScript loops over ordinary typed arrays elsewhere.
 * Training engines allocate every buffer they reuse from one of these, once.
 */
import { gemmNN_f32, gemmNN_f64, gemmNT_f32, gemmNT_f64, gemmTN_f32, gemmTN_f64 } from './kernels/gemm.ts';
import { type WasmArena, createWasmArena, wasmSimdSupported } from './kernels/wasm.ts';

/** Storage type of a kernel set. */
export type FloatDType = 'float64' | 'float32';

/** The typed array of each storage type. */
export interface FloatArrayOf {
  float64: Float64Array;
  float32: Float32Array;
}

/** Matrix products and allocation for one storage type (row-major matrices). */
export interface MatrixKernels<D extends FloatDType = FloatDType> {
  /** The storage type. */
  readonly dtype: D;
  /** True when the products run WebAssembly SIMD on the arena. */
  readonly simd: boolean;
  /** A zeroed buffer of `n` elements that the products accept. */
  alloc(n: number): FloatArrayOf[D];
  /** C[M×N] (+)= A[M×K] · B[K×N]. */
  gemmNN(M: number, N: number, K: number, A: FloatArrayOf[D], B: FloatArrayOf[D], C: FloatArrayOf[D], accumulate: boolean): void;
  /** C[M×N] (+)= A[M×K] · B[N×K]ᵀ. */
  gemmNT(M: number, N: number, K: number, A: FloatArrayOf[D], B: FloatArrayOf[D], C: FloatArrayOf[D], accumulate: boolean): void;
  /** C[M×N] (+)= A[K×M]ᵀ · B[K×N]. */
  gemmTN(M: number, N: number, K: number, A: FloatArrayOf[D], B: FloatArrayOf[D], C: FloatArrayOf[D], accumulate: boolean): void;
  /** Y = alpha·X + beta·Y elementwise: an optimizer's update, w = (1 − ηλ/n)·w − η·g. */
  axpby(alpha: number, X: FloatArrayOf[D], beta: number, Y: FloatArrayOf[D]): void;
}

/** Options of {@link createKernels}. */
export interface KernelOptions {
  /** Bytes to reserve for buffers (Wasm memory cannot grow without detaching views). */
  bytes: number;
  /** Use WebAssembly SIMD when supported (default true); false forces the TypeScript loops. */
  simd?: boolean;
}

const arenas = new WeakMap<ArrayBufferLike, WasmArena>();

/** The arena whose memory holds all three buffers, if any: the tape's matmul uses it. */
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
 * @param options - `bytes` to reserve, `simd`
 */
export function createKernels<D extends FloatDType>(dtype: D, options: KernelOptions): MatrixKernels<D> {
  const simd = (options.simd ?? true) && wasmSimdSupported();
  if (!simd) return plainKernels(dtype);
  const arena = createWasmArena(options.bytes);
  arenas.set(arena.f64(0).buffer, arena);
  const k =
    dtype === 'float64'
      ? { alloc: (n: number) => arena.f64(n), gemmNN: arena.gemmNN_f64, gemmNT: arena.gemmNT_f64, gemmTN: arena.gemmTN_f64, axpby: arena.axpby_f64 }
      : { alloc: (n: number) => arena.f32(n), gemmNN: arena.gemmNN_f32, gemmNT: arena.gemmNT_f32, gemmTN: arena.gemmTN_f32, axpby: arena.axpby_f32 };
  return { dtype, simd: true, ...k } as unknown as MatrixKernels<D>;
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
        }
      : {
          alloc: (n: number) => new Float32Array(n),
          gemmNN: (M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => gemmNN_f32(M, N, K, A, 0, B, 0, C, 0, acc),
          gemmNT: (M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => gemmNT_f32(M, N, K, A, 0, B, 0, C, 0, acc),
          gemmTN: (M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => gemmTN_f32(M, N, K, A, 0, B, 0, C, 0, acc),
          axpby: axpby32,
        };
  return { dtype, simd: false, ...k } as unknown as MatrixKernels<D>;
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
