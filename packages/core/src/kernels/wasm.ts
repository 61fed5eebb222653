/**
 * WebAssembly SIMD matrix products (matmul.wat) and the arena their operands live in.
 *
 * A Wasm kernel can only read its own linear memory, so operands are typed-array views into that
 * memory, handed out by an arena: create one per model (or per worker) with the bytes it needs,
 * allocate the weights, activations and gradients from it once, then call the products on those
 * views every step with no copying. Plain Float64Array/Float32Array operands go to gemm.ts.
 *
 * @example
 * ```ts
 * if (wasmSimdSupported()) {
 *   const arena = createWasmArena(4 << 20);
 *   const W = arena.f64(30 * 784), X = arena.f64(784 * 10), Z = arena.f64(30 * 10);
 *   arena.gemmNN_f64(30, 10, 784, W, X, Z); // Z = W·X
 * }
 * ```
 */
import { checkGatherOperands, checkGemmOperands } from './gemm.ts';
import { MATMUL_SHARED_WASM_BASE64, MATMUL_WASM_BASE64 } from './matmul.wasm.ts';

/** What matmul.wat exports; a, b, c are byte offsets, acc is 0 or 1. */
interface MatmulExports {
  readonly memory?: WebAssembly.Memory;
  readonly heap_base: WebAssembly.Global;
  gemm_nn_f64(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  gemm_nt_f64(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  gemm_tn_f64(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  gemm_nn_f32(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  gemm_nt_f32(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  gemm_tn_f32(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  axpby_f64(n: number, alpha: number, x: number, beta: number, y: number): void;
  gather_f64(src: number, idx: number, m: number, n: number, dst: number): void;
  gather_f32(src: number, idx: number, m: number, n: number, dst: number): void;
  sigmoid_f32(z: number, a: number, n: number): void;
  sigmoid_f64(z: number, a: number, n: number): void;
  axpby_f32(n: number, alpha: number, x: number, beta: number, y: number): void;
  set_scratch(at: number): void;
}

/** (module (func (result v128) i32.const 0 i8x16.splat)): validates only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code: i32.const 0, i8x16.splat, end
]);

let simdSupported: boolean | undefined;

/**
 * Whether this engine runs WebAssembly SIMD (Node ≥ 16.4, current browsers); when false, use the
 * gemm.ts functions instead of an arena.
 *
 * @example
 * ```ts
 * const matmul = wasmSimdSupported() ? arena.gemmNN_f64 : gemmNN_f64;
 * ```
 */
export function wasmSimdSupported(): boolean {
  if (simdSupported === undefined) {
    simdSupported = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' &&
      WebAssembly.validate(SIMD_PROBE);
  }
  return simdSupported;
}

/** Decodes base64 with `atob` (Node ≥ 16 and browsers), so no Buffer is needed. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let compiled: WebAssembly.Module | undefined;

// The first byte callers may use, below it the NT packing scratch of two instances (matmul.wat).
const HEAP_BASE = 65536;

let compiledShared: WebAssembly.Module | undefined;

function sharedMatmulModule(): WebAssembly.Module {
  if (!wasmSimdSupported() || typeof SharedArrayBuffer === 'undefined') {
    throw new Error('shared WebAssembly memory needs SIMD and SharedArrayBuffer (in browsers: cross-origin isolation)');
  }
  compiledShared ??= new WebAssembly.Module(decodeBase64(MATMUL_SHARED_WASM_BASE64));
  return compiledShared;
}

function matmulModule(): WebAssembly.Module {
  if (!wasmSimdSupported()) {
    throw new Error('WebAssembly SIMD is not supported here; check wasmSimdSupported() and use the gemm.ts kernels');
  }
  compiled ??= new WebAssembly.Module(decodeBase64(MATMUL_WASM_BASE64));
  return compiled;
}

/**
 * Compiles the kernels off the main thread and caches them for `createWasmArena`. Optional in
 * Node and in current browsers.
 *
 * NOTE: older Chromium (before ~115) and some Android WebViews refuse to compile a module over
 * 4 KB synchronously on the main thread; this one is ~5 KB, so there await this first.
 *
 * @example
 * ```ts
 * await compileWasmKernels();
 * const arena = createWasmArena(1 << 20);
 * ```
 */
export async function compileWasmKernels(): Promise<void> {
  if (!wasmSimdSupported()) return;
  compiled ??= await WebAssembly.compile(decodeBase64(MATMUL_WASM_BASE64));
}

/**
 * Typed-array views living in one Wasm instance's memory, and the matrix products over them.
 * Products take the same arguments as gemm.ts minus the offsets (each view starts at its matrix;
 * use `subarray` to point into a larger view) and throw if a view is not from this arena.
 */
/** What a second thread needs to run the kernels on an arena's memory. */
export interface WasmSharing {
  /** The shared build of the kernels (its memory is imported). */
  readonly module: WebAssembly.Module;
  /** The arena's shared memory. */
  readonly memory: WebAssembly.Memory;
}

export interface WasmArena {
  /** For an arena made with `{ shared: true }`: the module and memory a worker instantiates; else null. */
  readonly sharing: WasmSharing | null;
  /** The arena's memory, for another module that works on the same buffers (conv.wat's im2col). */
  readonly memory: WebAssembly.Memory;
  /** Bytes the arena can hand out in total, as asked for at creation. */
  readonly capacity: number;
  /** Bytes handed out so far, alignment padding included. */
  readonly used: number;
  /**
   * A zero-filled Float64Array of `length` elements in Wasm memory, 16-byte aligned.
   * @param length - number of elements
   */
  f64(length: number): Float64Array;
  /**
   * A zero-filled Float32Array of `length` elements in Wasm memory, 16-byte aligned.
   * @param length - number of elements
   */
  f32(length: number): Float32Array;
  /**
   * Whether `view` is a view into this arena's memory (any view from `f64`/`f32` or a subarray of one).
   * @param view - any typed array or DataView
   */
  owns(view: ArrayBufferView): boolean;
  /**
   * Frees every allocation at once.
   * NOTE: views handed out before stay usable but alias whatever is allocated next; drop them.
   */
  reset(): void;
  /**
   * C[M×N] (+)= A[M×K] · B[K×N]; accumulate true adds to C.
   * @param M - rows of A and C
   * @param N - columns of B and C
   * @param K - columns of A, rows of B
   * @param A - left operand, in this arena
   * @param B - right operand, in this arena
   * @param C - the result, in this arena
   * @param accumulate - true: C += A·B; false (default): C = A·B
   */
  gemmNN_f64(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate?: boolean): void;
  /**
   * C[M×N] (+)= A[M×K] · B[N×K]ᵀ; accumulate true adds to C.
   * @param M - rows of A and C
   * @param N - rows of B, columns of C
   * @param K - columns of A and of B
   * @param A - left operand, in this arena
   * @param B - right operand (transposed), in this arena
   * @param C - the result, in this arena
   * @param accumulate - true: C += A·Bᵀ; false (default): C = A·Bᵀ
   */
  gemmNT_f64(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate?: boolean): void;
  /**
   * C[M×N] (+)= A[K×M]ᵀ · B[K×N]; accumulate true adds to C.
   * @param M - columns of A, rows of C
   * @param N - columns of B and C
   * @param K - rows of A and of B
   * @param A - left operand (transposed), in this arena
   * @param B - right operand, in this arena
   * @param C - the result, in this arena
   * @param accumulate - true: C += Aᵀ·B; false (default): C = Aᵀ·B
   */
  gemmTN_f64(M: number, N: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate?: boolean): void;
  /**
   * C[M×N] (+)= A[M×K] · B[K×N] in float32; accumulate true adds to C.
   * @param M - rows of A and C
   * @param N - columns of B and C
   * @param K - columns of A, rows of B
   * @param A - left operand, in this arena
   * @param B - right operand, in this arena
   * @param C - the result, in this arena
   * @param accumulate - true: C += A·B; false (default): C = A·B
   */
  gemmNN_f32(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate?: boolean): void;
  /**
   * C[M×N] (+)= A[M×K] · B[N×K]ᵀ in float32; accumulate true adds to C.
   * @param M - rows of A and C
   * @param N - rows of B, columns of C
   * @param K - columns of A and of B
   * @param A - left operand, in this arena
   * @param B - right operand (transposed), in this arena
   * @param C - the result, in this arena
   * @param accumulate - true: C += A·Bᵀ; false (default): C = A·Bᵀ
   */
  gemmNT_f32(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate?: boolean): void;
  /**
   * C[M×N] (+)= A[K×M]ᵀ · B[K×N] in float32; accumulate true adds to C.
   * @param M - columns of A, rows of C
   * @param N - columns of B and C
   * @param K - rows of A and of B
   * @param A - left operand (transposed), in this arena
   * @param B - right operand, in this arena
   * @param C - the result, in this arena
   * @param accumulate - true: C += Aᵀ·B; false (default): C = Aᵀ·B
   */
  gemmTN_f32(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate?: boolean): void;
  /**
   * A zero-filled Uint8Array of `length` bytes in Wasm memory, 16-byte aligned.
   * @param length - number of bytes
   */
  u8(length: number): Uint8Array;
  /**
   * X[p·m + j] = images[index[j]·n + p] / 255: the images numbered `index[0..m)`, of n grey bytes
   * each, become the columns of X [n × m].
   * @param images - the images, one after another (in this arena)
   * @param index - which images, by number (in this arena)
   * @param m - number of images in the batch
   * @param n - bytes per image
   * @param X - the batch, [n × m]
   */
  gather_f64(images: Uint8Array, index: Int32Array, m: number, n: number, X: Float64Array): void;
  /**
   * A = σ(Z) elementwise in float32 (a SIMD expf: within 2 ulp where σ is a normal float, 0 below,
   * about z < −87.3; NaN stays NaN; stable for any z).
   * @param Z - the inputs
   * @param A - the outputs, as long as Z (may be Z itself)
   */
  sigmoid_f32(Z: Float32Array, A: Float32Array): void;
  /**
   * A = σ(Z) elementwise in float64 (a SIMD exp, Cephes', about 1 ulp; stable for any z): the
   * same bits as core's `sigmoid` computes without it.
   * @param Z - the inputs
   * @param A - the outputs, as long as Z (may be Z itself)
   */
  sigmoid_f64(Z: Float64Array, A: Float64Array): void;
  /**
   * `gather_f64` into float32.
   * @param images - the images, one after another (in this arena)
   * @param index - which images, by number (in this arena)
   * @param m - number of images in the batch
   * @param n - bytes per image
   * @param X - the batch, [n × m]
   */
  gather_f32(images: Uint8Array, index: Int32Array, m: number, n: number, X: Float32Array): void;
  /**
   * A zero-filled Int32Array of `length` elements in Wasm memory, 16-byte aligned.
   * @param length - number of elements
   */
  i32(length: number): Int32Array;
  /**
   * Y = alpha·X + beta·Y elementwise (X and Y of equal length): an optimizer's update.
   * @param alpha - scale of `X`
   * @param X - the added values, in this arena
   * @param beta - scale of `Y`'s old values
   * @param Y - updated in place, in this arena
   */
  axpby_f64(alpha: number, X: Float64Array, beta: number, Y: Float64Array): void;
  /**
   * Y = alpha·X + beta·Y elementwise in float32.
   * @param alpha - scale of `X`
   * @param X - the added values, in this arena
   * @param beta - scale of `Y`'s old values
   * @param Y - updated in place, in this arena
   */
  axpby_f32(alpha: number, X: Float32Array, beta: number, Y: Float32Array): void;
}

const PAGE = 65536;
const ALIGN = 16;
/** Kernel addresses are i32; 2 GiB keeps every address and end pointer positive. */
const MAX_BYTES = 2 ** 31 - 2 * PAGE;

/**
 * Creates an arena of `bytes` bytes in a fresh instance of the kernels, all memory reserved up
 * front: Wasm memory only grows by replacing its ArrayBuffer, which would detach every view.
 *
 * NOTE: a matrix whose rows are exactly 4096 bytes apart (512 float64 or 1024 float32 columns)
 * maps every row to the same cache sets and runs at ~2/3 speed. Views are contiguous, so the
 * arena cannot pad such rows; pick another width or accept the cost (the network's 784, 100, 30
 * and 10 are all fine).
 *
 * @example
 * ```ts
 * const arena = createWasmArena(2 * 8 * (30 * 784 + 784 * 100 + 30 * 100));
 * ```
 * @param bytes - total bytes of views the arena can hand out (each allocation rounds up to 16)
 * @param options - `shared`: put the memory in a SharedArrayBuffer, for a helper thread
 */
export function createWasmArena(bytes: number, options: { shared?: boolean } = {}): WasmArena {
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_BYTES) {
    throw new RangeError(`createWasmArena: bytes must be an integer in [0, ${MAX_BYTES}], got ${bytes}`);
  }
  let ex: MatmulExports;
  let memory: WebAssembly.Memory;
  let sharing: WasmSharing | null = null;
  if (options.shared === true) {
    // A second instance on another thread runs on the same memory (see threads.ts); the
    // memory is made here, at its final size, and imported by the shared build of the module.
    const module = sharedMatmulModule();
    const pages = Math.ceil((HEAP_BASE + bytes) / PAGE);
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as MatmulExports;
    sharing = { module, memory };
  } else {
    ex = new WebAssembly.Instance(matmulModule(), {}).exports as unknown as MatmulExports;
    memory = ex.memory!;
  }
  const base = ex.heap_base.value as number;
  const pages = Math.ceil((base + bytes) / PAGE);
  const have = memory.buffer.byteLength / PAGE;
  if (pages > have) memory.grow(pages - have);
  const buffer = memory.buffer;
  let top = base;

  function alloc(op: string, length: number, elementBytes: number): number {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`WasmArena.${op}: length must be a non-negative integer, got ${length}`);
    }
    const size = Math.ceil((length * elementBytes) / ALIGN) * ALIGN;
    if (top + size > base + bytes) {
      throw new RangeError(
        `WasmArena.${op}(${length}): out of memory: needs ${size} bytes, ${base + bytes - top} of ${bytes} left ` +
          '(create the arena with more bytes)',
      );
    }
    const at = top;
    top += size;
    return at;
  }

  function owns(view: ArrayBufferView): boolean {
    return view.buffer === buffer && view.byteOffset >= base;
  }

  /** The byte offset of a view after checking it is ours and long enough for its matrix. */
  function offsetOf(op: string, name: string, view: Float64Array | Float32Array | Uint8Array | Int32Array): number {
    if (!owns(view)) {
      throw new Error(
        `${op}: ${name} is not a view into this arena's WebAssembly memory; allocate it with arena.f64()/f32() ` +
          '(or use the gemm.ts kernels for ordinary typed arrays)',
      );
    }
    return view.byteOffset;
  }

  return {
    sharing,
    memory,
    capacity: bytes,
    get used() {
      return top - base;
    },
    f64(length) {
      return new Float64Array(buffer, alloc('f64', length, 8), length).fill(0);
    },
    f32(length) {
      return new Float32Array(buffer, alloc('f32', length, 4), length).fill(0);
    },
    u8(length) {
      return new Uint8Array(buffer, alloc('u8', length, 1), length).fill(0);
    },
    i32(length) {
      return new Int32Array(buffer, alloc('i32', length, 4), length).fill(0);
    },
    gather_f64(images, index, m, n, X) {
      checkGatherOperands('gather_f64', images, index, m, n, X.length);
      ex.gather_f64(offsetOf('gather_f64', 'images', images), offsetOf('gather_f64', 'index', index), m, n, offsetOf('gather_f64', 'X', X));
    },
    sigmoid_f32(Z, A) {
      if (Z.length !== A.length) throw new RangeError(`sigmoid_f32: Z has ${Z.length} elements, A ${A.length}`);
      ex.sigmoid_f32(offsetOf('sigmoid_f32', 'Z', Z), offsetOf('sigmoid_f32', 'A', A), Z.length);
    },
    sigmoid_f64(Z, A) {
      if (Z.length !== A.length) throw new RangeError(`sigmoid_f64: Z has ${Z.length} elements, A ${A.length}`);
      ex.sigmoid_f64(offsetOf('sigmoid_f64', 'Z', Z), offsetOf('sigmoid_f64', 'A', A), Z.length);
    },
    gather_f32(images, index, m, n, X) {
      checkGatherOperands('gather_f32', images, index, m, n, X.length);
      ex.gather_f32(offsetOf('gather_f32', 'images', images), offsetOf('gather_f32', 'index', index), m, n, offsetOf('gather_f32', 'X', X));
    },
    owns,
    reset() {
      top = base;
    },
    gemmNN_f64(M, N, K, A, B, C, accumulate = false) {
      checkGemmOperands('gemmNN_f64', M, N, K, A.length, 0, M * K, B.length, 0, K * N, C.length, 0);
      ex.gemm_nn_f64(M, N, K, offsetOf('gemmNN_f64', 'A', A), offsetOf('gemmNN_f64', 'B', B), offsetOf('gemmNN_f64', 'C', C), accumulate ? 1 : 0);
    },
    gemmNT_f64(M, N, K, A, B, C, accumulate = false) {
      checkGemmOperands('gemmNT_f64', M, N, K, A.length, 0, M * K, B.length, 0, N * K, C.length, 0);
      ex.gemm_nt_f64(M, N, K, offsetOf('gemmNT_f64', 'A', A), offsetOf('gemmNT_f64', 'B', B), offsetOf('gemmNT_f64', 'C', C), accumulate ? 1 : 0);
    },
    gemmTN_f64(M, N, K, A, B, C, accumulate = false) {
      checkGemmOperands('gemmTN_f64', M, N, K, A.length, 0, K * M, B.length, 0, K * N, C.length, 0);
      ex.gemm_tn_f64(M, N, K, offsetOf('gemmTN_f64', 'A', A), offsetOf('gemmTN_f64', 'B', B), offsetOf('gemmTN_f64', 'C', C), accumulate ? 1 : 0);
    },
    gemmNN_f32(M, N, K, A, B, C, accumulate = false) {
      checkGemmOperands('gemmNN_f32', M, N, K, A.length, 0, M * K, B.length, 0, K * N, C.length, 0);
      ex.gemm_nn_f32(M, N, K, offsetOf('gemmNN_f32', 'A', A), offsetOf('gemmNN_f32', 'B', B), offsetOf('gemmNN_f32', 'C', C), accumulate ? 1 : 0);
    },
    gemmNT_f32(M, N, K, A, B, C, accumulate = false) {
      checkGemmOperands('gemmNT_f32', M, N, K, A.length, 0, M * K, B.length, 0, N * K, C.length, 0);
      ex.gemm_nt_f32(M, N, K, offsetOf('gemmNT_f32', 'A', A), offsetOf('gemmNT_f32', 'B', B), offsetOf('gemmNT_f32', 'C', C), accumulate ? 1 : 0);
    },
    axpby_f64(alpha, X, beta, Y) {
      if (X.length !== Y.length) throw new RangeError(`axpby_f64: X has ${X.length} elements, Y ${Y.length}`);
      ex.axpby_f64(X.length, alpha, offsetOf('axpby_f64', 'X', X), beta, offsetOf('axpby_f64', 'Y', Y));
    },
    axpby_f32(alpha, X, beta, Y) {
      if (X.length !== Y.length) throw new RangeError(`axpby_f32: X has ${X.length} elements, Y ${Y.length}`);
      ex.axpby_f32(X.length, alpha, offsetOf('axpby_f32', 'X', X), beta, offsetOf('axpby_f32', 'Y', Y));
    },
    gemmTN_f32(M, N, K, A, B, C, accumulate = false) {
      checkGemmOperands('gemmTN_f32', M, N, K, A.length, 0, K * M, B.length, 0, K * N, C.length, 0);
      ex.gemm_tn_f32(M, N, K, offsetOf('gemmTN_f32', 'A', A), offsetOf('gemmTN_f32', 'B', B), offsetOf('gemmTN_f32', 'C', C), accumulate ? 1 : 0);
    },
  };
}
