/**
 * 2-D convolution and pooling on [N, C, H, W] tensors (PyTorch's layout; weights [F, C, kh, kw]):
 * the op functions, which check their arguments and compute output shapes, and the kernels the
 * primitive table (primitives.ts) runs. Convolution is im2col + one SIMD matrix product per
 * chunk of images; its two backward ops (the input gradient, a transposed convolution, and the
 * filter gradient) are primitives too, and the three are each other's rules.
 */
import { DTypeError, ShapeError, formatShape } from './errors.ts';
import type { Shape } from './shape.ts';
import { type GemmLayout, gemm } from './gemm-dispatch.ts';
import { type WasmArena, createWasmArena, wasmSimdSupported } from './kernels/wasm.ts';
import { arenaOfView } from './backend.ts';
import { CONV_WASM_BASE64, CONV_WASM_SHARED_BASE64 } from './kernels/conv.wasm.ts';
import { apply } from './ops.ts';
import { type Tensor, toTensor } from './tensor.ts';

/** A pair of (vertical, horizontal) integers: strides, paddings, kernel sizes. */
export type Pair = readonly [number, number];

/** Attributes of the convolution primitives: strides and the top/left zero padding. */
export interface ConvAttrs {
  /** [sh, sw] */
  readonly stride: Pair;
  /** [top, left] zero padding; the bottom/right padding is implied by the output's size. */
  readonly pad: Pair;
}

/** Attributes of the pooling primitives: window and strides. */
export interface PoolAttrs {
  /** [kh, kw] */
  readonly kernel: Pair;
  /** [sh, sw] */
  readonly stride: Pair;
}

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Step between windows: one number for both axes or [sh, sw] (default 1). */
  stride?: number | readonly [number, number];
  /**
   * Zero padding: a number (the same on all four sides), `'valid'` (0), or `'same'`
   * (TensorFlow's SAME: output size ceil(H / stride); an odd total puts the extra row/column
   * at the bottom/right). Default 0.
   */
  padding?: number | 'same' | 'valid';
}

/** Options of {@link maxPool2d} and {@link avgPool2d}. */
export interface Pool2dOptions {
  /** Window size: one number for both axes or [kh, kw]. */
  kernel: number | readonly [number, number];
  /** Step between windows: a number or [sh, sw] (default: the kernel, non-overlapping windows). */
  stride?: number | readonly [number, number];
}

// ---------------------------------------------------------------------------------------------
// Argument checks

function require4d(op: string, arg: string, t: Tensor, layout: string): void {
  if (t.rank !== 4) throw new ShapeError(op, `argument '${arg}' must be 4-D ${layout}, got shape ${formatShape(t.shape)}`, [t.shape]);
}

function positivePair(op: string, arg: string, v: unknown, shapes: readonly Shape[]): Pair {
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((e) => typeof e !== 'number')) {
    throw new DTypeError(op, `argument '${arg}' must be a positive integer or a pair of them, got ${JSON.stringify(v) ?? String(v)}`);
  }
  const [a, b] = pair as [number, number];
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) {
    throw new ShapeError(op, `argument '${arg}' must be a positive integer or a pair of them, got ${JSON.stringify(v)} (shapes ${shapes.map(formatShape).join(', ')})`, shapes);
  }
  return [a, b];
}

// ---------------------------------------------------------------------------------------------
// Op functions

/**
 * 2-D cross-correlation (no kernel flip, as PyTorch's and TensorFlow's `conv2d`) of a batch of
 * images with a bank of filters.
 *
 * Layout: `x` is [N, C, H, W] (batch, channels, rows, columns) and `w` is [F, C, kh, kw]; the
 * result is [N, F, Ho, Wo] with Ho = floor((H + 2p − kh) / sh) + 1 (or ceil(H / sh) for
 * `'same'`). out[n,f,i,j] = Σ_{c,a,b} x[n, c, i·sh − p + a, j·sw − p + b] · w[f, c, a, b].
 *
 * Backward: the input gradient is a transposed convolution and the filter gradient a
 * correlation of `x` with the output gradient, both primitives whose rules are again these
 * three ops, so gradients of any order exist.
 * @example
 * ```ts
 * const x = randn([10, 1, 28, 28]);
 * const w = randn([20, 1, 5, 5]);
 * conv2d(x, w).shape;                              // [10, 20, 24, 24]
 * conv2d(x, w, { padding: 'same' }).shape;         // [10, 20, 28, 28]
 * conv2d(x, w, { stride: 2, padding: 2 }).shape;   // [10, 20, 14, 14]
 * ```
 * @param x - input images [N, C, H, W]
 * @param w - filters [F, C, kh, kw]
 * @param options - `stride` (default 1) and `padding` (default 0)
 * @throws ShapeError when `x` or `w` is not 4-D, their channels differ, the kernel is larger than
 *   the padded input, or a stride or padding is out of range:
 *   `conv2d: x has 3 channels but w expects 2: x [1,3,5,5], w [4,2,3,3]`
 * @throws DTypeError when an argument is not a tensor, or `padding` is not a number, `'same'` or `'valid'`
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const xt = toTensor(x, op, 'x');
  const wt = toTensor(w, op, 'w');
  require4d(op, 'x', xt, '[N, C, H, W]');
  require4d(op, 'w', wt, '[F, C, kh, kw]');
  const shapes = [xt.shape, wt.shape];
  const [N, C, H, W] = xt.shape as [number, number, number, number];
  const [F, C2, kh, kw] = wt.shape as [number, number, number, number];
  const shown = `x ${formatShape(xt.shape)}, w ${formatShape(wt.shape)}`;
  if (C !== C2) throw new ShapeError(op, `x has ${C} channels but w expects ${C2}: ${shown}`, shapes);
  if (options === null || typeof options !== 'object') throw new DTypeError(op, `argument 'options' must be an object { stride?, padding? }, got ${String(options)}`);
  const [sh, sw] = positivePair(op, 'stride', options.stride ?? 1, shapes);
  const padding = options.padding ?? 0;
  let pad: Pair;
  let Ho: number;
  let Wo: number;
  if (padding === 'same') {
    // TensorFlow's SAME: ceil(H / s) outputs; the total padding split with the odd one at the end.
    Ho = Math.ceil(H / sh);
    Wo = Math.ceil(W / sw);
    pad = [Math.floor(Math.max((Ho - 1) * sh + kh - H, 0) / 2), Math.floor(Math.max((Wo - 1) * sw + kw - W, 0) / 2)];
  } else {
    const p = padding === 'valid' ? 0 : padding;
    if (typeof p !== 'number') {
      throw new DTypeError(op, `argument 'padding' must be a non-negative integer, 'same' or 'valid', got ${JSON.stringify(padding) ?? String(padding)}`);
    }
    if (!Number.isInteger(p) || p < 0) throw new ShapeError(op, `argument 'padding' must be a non-negative integer, got ${p}: ${shown}`, shapes);
    if (H + 2 * p < kh || W + 2 * p < kw) {
      throw new ShapeError(op, `kernel ${kh}×${kw} is larger than the padded input ${H + 2 * p}×${W + 2 * p} (padding ${p}): ${shown}`, shapes);
    }
    pad = [p, p];
    Ho = Math.floor((H + 2 * p - kh) / sh) + 1;
    Wo = Math.floor((W + 2 * p - kw) / sw) + 1;
  }
  return apply('conv2d', [xt, wt], [N, F, Ho, Wo], { stride: [sh, sw], pad });
}

/**
 * The convolution primitive at a given output size (the rules need it: a transposed
 * convolution's gradient is the convolution back to the gradient's own shape).
 * @param x - input [N, C, H, W]
 * @param w - filters [F, C, kh, kw]
 * @param outHW - [Ho, Wo]
 * @param attrs - strides and top/left padding
 */
export function conv2dAt(x: Tensor, w: Tensor, outHW: Pair, attrs: ConvAttrs): Tensor {
  return apply('conv2d', [x, w], [x.shape[0]!, w.shape[0]!, outHW[0], outHW[1]], attrs);
}

/**
 * The gradient of {@link conv2d} with respect to its input: the transposed convolution of `g`
 * [N, F, Ho, Wo] with `w` [F, C, kh, kw], shaped `xShape` [N, C, H, W] (col2im of wᵀ·g).
 * @param g - gradient of the convolution's output
 * @param w - the filters
 * @param xShape - the convolution's input shape
 * @param attrs - the convolution's strides and padding
 */
export function conv2dBackpropInput(g: Tensor, w: Tensor, xShape: Shape, attrs: ConvAttrs): Tensor {
  return apply('conv2dBackpropInput', [g, w], xShape, { ...attrs, xShape });
}

/**
 * The gradient of {@link conv2d} with respect to its filters: Σ over images and positions of
 * `g` times the input patch, shaped `wShape` [F, C, kh, kw] (g·im2col(x)ᵀ).
 * @param x - the convolution's input [N, C, H, W]
 * @param g - gradient of its output [N, F, Ho, Wo]
 * @param wShape - the filters' shape
 * @param attrs - the convolution's strides and padding
 */
export function conv2dBackpropFilter(x: Tensor, g: Tensor, wShape: Shape, attrs: ConvAttrs): Tensor {
  return apply('conv2dBackpropFilter', [x, g], wShape, { ...attrs, wShape });
}

function poolArgs(op: string, x: Tensor, options: Pool2dOptions): [Tensor, PoolAttrs, Shape] {
  const t = toTensor(x, op, 'x');
  require4d(op, 'x', t, '[N, C, H, W]');
  if (options === null || typeof options !== 'object') throw new DTypeError(op, `argument 'options' must be an object { kernel, stride? }, got ${String(options)}`);
  const shapes = [t.shape];
  const kernel = positivePair(op, 'kernel', options.kernel, shapes);
  const stride = positivePair(op, 'stride', options.stride ?? kernel, shapes);
  const [N, C, H, W] = t.shape as [number, number, number, number];
  if (kernel[0] > H || kernel[1] > W) {
    throw new ShapeError(op, `kernel ${kernel[0]}×${kernel[1]} is larger than the input ${H}×${W}: x ${formatShape(t.shape)}`, shapes);
  }
  const outShape = [N, C, Math.floor((H - kernel[0]) / stride[0]) + 1, Math.floor((W - kernel[1]) / stride[1]) + 1];
  return [t, { kernel, stride }, outShape];
}

/**
 * 2-D max pooling: the largest value of each kh×kw window, windows `stride` apart, no padding
 * (VALID). Layout [N, C, H, W] → [N, C, Ho, Wo], Ho = floor((H − kh) / sh) + 1.
 *
 * NOTE: the gradient goes to the FIRST maximum of each window (row-major order), as in PyTorch
 * and TensorFlow; `max` instead splits it among ties. Where windows overlap, an element that is
 * the maximum of several receives the sum of their gradients.
 * @example
 * ```ts
 * maxPool2d(tensor([[[[1, 2], [3, 4]]]]), { kernel: 2 }).toArray(); // [[[[4]]]]
 * maxPool2d(randn([10, 20, 24, 24]), { kernel: 2 }).shape;         // [10, 20, 12, 12]
 * ```
 * @param x - input [N, C, H, W]
 * @param options - `kernel` (a number or [kh, kw]) and `stride` (default: the kernel)
 * @throws ShapeError when `x` is not 4-D, the kernel is larger than the input, or a kernel or
 *   stride is not a positive integer: `maxPool2d: kernel 3×3 is larger than the input 2×2: x [1,1,2,2]`
 * @throws DTypeError when `x` is not a tensor or `kernel`/`stride` is not a number or pair
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const [t, attrs, outShape] = poolArgs('maxPool2d', x, options);
  return apply('maxPool2d', [t], outShape, attrs);
}

/**
 * 2-D average pooling: the mean of each kh×kw window, windows `stride` apart, no padding
 * (VALID). Layout [N, C, H, W] → [N, C, Ho, Wo], Ho = floor((H − kh) / sh) + 1.
 * @example
 * ```ts
 * avgPool2d(tensor([[[[1, 2], [3, 4]]]]), { kernel: 2 }).toArray(); // [[[[2.5]]]]
 * ```
 * @param x - input [N, C, H, W]
 * @param options - `kernel` (a number or [kh, kw]) and `stride` (default: the kernel)
 * @throws ShapeError when `x` is not 4-D, the kernel is larger than the input, or a kernel or
 *   stride is not a positive integer
 * @throws DTypeError when `x` is not a tensor or `kernel`/`stride` is not a number or pair
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const [t, attrs, outShape] = poolArgs('avgPool2d', x, options);
  return apply('avgPool2d', [t], outShape, attrs);
}

/**
 * maxPool2d's gradient: `g` [N, C, Ho, Wo] added at the position of each window's first
 * maximum in `x`, shaped like `x`.
 * @param x - the pooled input (where the maxima are)
 * @param g - gradient of the pooled output
 * @param attrs - window and strides
 */
export function maxPool2dGrad(x: Tensor, g: Tensor, attrs: PoolAttrs): Tensor {
  return apply('maxPool2dGrad', [x, g], x.shape, attrs);
}

/**
 * Reads `h` (shaped like `x`) at the position of each window's first maximum in `x`: the
 * adjoint of {@link maxPool2dGrad} in its gradient argument (and maxPool2d(x) = gather(x, x)).
 * @param x - where the maxima are [N, C, H, W]
 * @param h - the values to read, shaped like `x`
 * @param outShape - the pooled shape [N, C, Ho, Wo]
 * @param attrs - window and strides
 */
export function maxPool2dGather(x: Tensor, h: Tensor, outShape: Shape, attrs: PoolAttrs): Tensor {
  return apply('maxPool2dGather', [x, h], outShape, attrs);
}

/**
 * avgPool2d's gradient: each element of `g` spread as g/(kh·kw) over its window, shaped `xShape`.
 * @param g - gradient of the pooled output [N, C, Ho, Wo]
 * @param xShape - the pooled input's shape
 * @param attrs - window and strides
 */
export function avgPool2dGrad(g: Tensor, xShape: Shape, attrs: PoolAttrs): Tensor {
  return apply('avgPool2dGrad', [g], xShape, { ...attrs, xShape });
}

// ---------------------------------------------------------------------------------------------
// Kernels

/** Everything about one convolution's sizes, read from the shapes and attrs. */
interface Geometry {
  N: number; C: number; H: number; W: number;
  F: number; kh: number; kw: number;
  Ho: number; Wo: number;
  sh: number; sw: number; pt: number; pl: number;
}

function geometry(xShape: Shape, wShape: Shape, yShape: Shape, a: ConvAttrs): Geometry {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [F, , kh, kw] = wShape as [number, number, number, number];
  return { N, C, H, W, F, kh, kw, Ho: yShape[2]!, Wo: yShape[3]!, sh: a.stride[0], sw: a.stride[1], pt: a.pad[0], pl: a.pad[1] };
}

/** conv.wat's exports: byte offsets (and the patch rows' stride `ld` in bytes) into the workspace's memory, sizes as in {@link Geometry}. */
interface ConvWasm {
  im2col_f64(x: number, col: number, ld: number, C: number, H: number, W: number, kh: number, kw: number, Ho: number, Wo: number, sh: number, sw: number, pt: number, pl: number): void;
  col2im_f64(col: number, ld: number, x: number, C: number, H: number, W: number, kh: number, kw: number, Ho: number, Wo: number, sh: number, sw: number, pt: number, pl: number): void;
  conv_f64(x: number, n: number, xs: number, W: number, w: number, F: number, K: number, off: number, y: number, ys: number, Ho: number, Wo: number, acc: number): void;
  im2col_f32: ConvWasm['im2col_f64'];
  col2im_f32: ConvWasm['col2im_f64'];
  conv_f32: ConvWasm['conv_f64'];
  maxpool2x2_f64(x: number, planes: number, H: number, W: number, Ho: number, Wo: number, idx: number, val: number): void;
  maxpool2x2_f32: ConvWasm['maxpool2x2_f64'];
}

/**
 * The buffers the kernels below take: float64, or float32 (a float32 tape's). Every array of one
 * call has the same type; float32 runs conv.wat's float32 kernels and the arena's float32
 * products, which accumulate in float32.
 */
export type Floats = Float64Array | Float32Array;

/**
 * conv.wat's steps of a tape on its own buffers (byte offsets into the memory of the tape's
 * kernels): max pooling and its rule, and the transpose, σ rule, per-axis bias and its sum.
 */
export interface TapeWasm {
  maxpool2x2_f64: ConvWasm['maxpool2x2_f64'];
  maxpool2x2_f32: ConvWasm['maxpool2x2_f64'];
  unpool_f32(g: number, idx: number, n: number, out: number, len: number): void;
  unpool_f64(g: number, idx: number, n: number, out: number, len: number): void;
  transpose_f32(x: number, rows: number, cols: number, out: number): void;
  sigmoid_grad_f32(y: number, g: number, out: number, n: number): void;
  channel_f32(kind: number, a: number, v: number, outer: number, rows: number, inner: number, out: number): void;
  sum_channels_f32(x: number, outer: number, rows: number, inner: number, out: number): void;
  transpose_f64: TapeWasm['transpose_f32'];
  sigmoid_grad_f64: TapeWasm['sigmoid_grad_f32'];
  channel_f64: TapeWasm['channel_f32'];
  sum_channels_f64: TapeWasm['sum_channels_f32'];
  /** The arena the buffers live in (its `i32` for index buffers). */
  readonly arena: WasmArena;
}

const tapeInstances = new WeakMap<WasmArena, TapeWasm>();

/**
 * conv.wat instantiated on the memory of the arena holding `view` (a tape's buffer), or null:
 * not in an arena of `createKernels`, no SIMD, or conv.wat turned off ({@link setWasmIm2col}).
 * A shared memory (the kernels of a helper thread) gets the build that imports a shared one.
 * @param view - a buffer of the tape
 */
export function tapeWasmOf(view: ArrayBufferView): TapeWasm | null {
  const arena = arenaOfView(view);
  if (arena === null || !wasmIm2col || !wasmSimdSupported()) return null;
  let k = tapeInstances.get(arena);
  if (k === undefined) {
    let module: WebAssembly.Module;
    if (typeof SharedArrayBuffer !== 'undefined' && arena.memory.buffer instanceof SharedArrayBuffer) {
      sharedConvModule ??= new WebAssembly.Module(Uint8Array.from(atob(CONV_WASM_SHARED_BASE64), (ch) => ch.charCodeAt(0)));
      module = sharedConvModule;
    } else {
      convModule ??= new WebAssembly.Module(Uint8Array.from(atob(CONV_WASM_BASE64), (ch) => ch.charCodeAt(0)));
      module = convModule;
    }
    const ex = new WebAssembly.Instance(module, { env: { memory: arena.memory } }).exports as unknown as Omit<TapeWasm, 'arena'>;
    k = { ...ex, arena };
    tapeInstances.set(arena, k);
  }
  return k;
}

/** One buffer in a WebAssembly arena, with the arena (its products) and the im2col kernels on its memory. */
interface Workspace {
  readonly data: Float64Array;
  readonly arena: WasmArena | null;
  readonly wasm: ConvWasm | null;
}

let workspace: Workspace | null = null;
let convModule: WebAssembly.Module | undefined;
let sharedConvModule: WebAssembly.Module | undefined;
let wasmIm2col = true;

/**
 * Turns conv.wat's kernels off (true: on where supported): im2col/col2im, the direct stride-1
 * convolution and the 2×2 pooling argmax, so tests run the JavaScript loops and products that
 * serve where WebAssembly SIMD is not available.
 * @param enabled - use the WebAssembly kernels when supported
 */
export function setWasmIm2col(enabled: boolean): void {
  wasmIm2col = enabled;
}

/**
 * A buffer of at least `n` float64 values in one WebAssembly arena (when SIMD is available):
 * the products run on views of it in place, with no copies into a scratch arena, and conv.wat's
 * im2col, instantiated on the same memory, writes the patches where they read them. Kept
 * between calls and replaced by a larger one when too small.
 */
function workspaceOf(n: number): Workspace {
  if (workspace === null || workspace.data.length < n) {
    const length = Math.max(n + (n >> 1), 1 << 16);
    if (!wasmSimdSupported()) {
      workspace = { data: new Float64Array(length), arena: null, wasm: null };
    } else {
      const arena = createWasmArena(8 * length + 64);
      convModule ??= new WebAssembly.Module(Uint8Array.from(atob(CONV_WASM_BASE64), (ch) => ch.charCodeAt(0)));
      const wasm = new WebAssembly.Instance(convModule, { env: { memory: arena.memory } }).exports as unknown as ConvWasm;
      workspace = { data: arena.f64(length), arena, wasm };
    }
  }
  return workspace;
}

/** C (+)= op(A)·op(B) on workspace views: the arena's SIMD kernel in place, else `gemm`'s loops. */
function product(arena: WasmArena | null, layout: GemmLayout, M: number, N: number, K: number, A: Floats, B: Floats, C: Floats, accumulate: boolean): void {
  // Without SIMD the views are plain arrays: gemm's loops compute in float64 and store each
  // result in C's type.
  if (arena === null) return gemm(layout, M, N, K, A as Float64Array, B as Float64Array, C as Float64Array, accumulate);
  if (A instanceof Float32Array) {
    const [a, b, c] = [A, B as Float32Array, C as Float32Array];
    if (layout === 'NN') arena.gemmNN_f32(M, N, K, a, b, c, accumulate);
    else if (layout === 'NT') arena.gemmNT_f32(M, N, K, a, b, c, accumulate);
    else arena.gemmTN_f32(M, N, K, a, b, c, accumulate);
    return;
  }
  const [a, b, c] = [A, B as Float64Array, C as Float64Array];
  if (layout === 'NN') arena.gemmNN_f64(M, N, K, a, b, c, accumulate);
  else if (layout === 'NT') arena.gemmNT_f64(M, N, K, a, b, c, accumulate);
  else arena.gemmTN_f64(M, N, K, a, b, c, accumulate);
}

/**
 * Splits the workspace into views of the given lengths (each rounded up to 16 bytes) of
 * `like`'s type, and returns the im2col kernels on its memory (null: use the JavaScript loops).
 */
function views<T extends Floats>(like: T, ...lengths: number[]): [T[], ConvWasm | null, WasmArena | null] {
  const lanes = 16 / like.BYTES_PER_ELEMENT;
  const rounded = lengths.map((n) => Math.ceil(n / lanes) * lanes);
  const total = rounded.reduce((a, b) => a + b, 0);
  const ws = workspaceOf(Math.ceil((total * like.BYTES_PER_ELEMENT) / 8));
  const data = like instanceof Float32Array ? new Float32Array(ws.data.buffer, ws.data.byteOffset, 2 * ws.data.length) : ws.data;
  let at = 0;
  const list = rounded.map((n, i) => {
    const v = data.subarray(at, at + lengths[i]!);
    at += n;
    return v as T;
  });
  return [list, wasmIm2col ? ws.wasm : null, ws.arena];
}

/**
 * Writes the patches of image n as columns of col, whose rows are `ld` apart, from element `at`:
 * col[at + ((c·kh + a)·kw + b)·ld + i·Wo + j] = x[n, c, i·sh − pt + a, j·sw − pl + b] (0 in the
 * padding).
 */
function im2col(g: Geometry, x: Floats, n: number, col: Floats, at: number, ld: number): void {
  const { C, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl } = g;
  let row = at;
  for (let c = 0; c < C; c++) {
    const plane = (n * C + c) * H * W;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++, row += ld) {
        // Output columns j whose input column j·sw − pl + b lies inside [0, W).
        const j0 = Math.min(Wo, Math.max(0, Math.ceil((pl - b) / sw)));
        const j1 = Math.max(j0, Math.min(Wo, Math.floor((W - 1 + pl - b) / sw) + 1));
        for (let i = 0, o = row; i < Ho; i++, o += Wo) {
          const iy = i * sh - pt + a;
          if (iy < 0 || iy >= H) {
            for (let j = 0; j < Wo; j++) col[o + j] = 0;
            continue;
          }
          let s = plane + iy * W + j0 * sw - pl + b;
          for (let j = 0; j < j0; j++) col[o + j] = 0;
          for (let j = j0; j < j1; j++, s += sw) col[o + j] = x[s]!;
          for (let j = j1; j < Wo; j++) col[o + j] = 0;
        }
      }
    }
  }
}

/** The transpose of {@link im2col}: adds each entry of col back into its position of image n of x. */
function col2im(g: Geometry, col: Floats, at: number, ld: number, n: number, x: Floats): void {
  const { C, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl } = g;
  let row = at;
  for (let c = 0; c < C; c++) {
    const plane = (n * C + c) * H * W;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++, row += ld) {
        const j0 = Math.min(Wo, Math.max(0, Math.ceil((pl - b) / sw)));
        const j1 = Math.max(j0, Math.min(Wo, Math.floor((W - 1 + pl - b) / sw) + 1));
        for (let i = 0, o = row; i < Ho; i++, o += Wo) {
          const iy = i * sh - pt + a;
          if (iy < 0 || iy >= H) continue;
          let s = plane + iy * W + j0 * sw - pl + b;
          for (let j = j0; j < j1; j++, s += sw) x[s] = x[s]! + col[o + j]!;
        }
      }
    }
  }
}

// The products run on chunks of images side by side: the patch matrix col [CKK × m·P] (P =
// Ho·Wo) holds image j's patches in columns j·P … j·P + P − 1, so one product serves m images
// (wider products run faster: 20×576×25 per image ran at ~2/3 the speed of 20×5760×25). Each
// (image, filter) block of P outputs is contiguous both in [N, F, Ho, Wo] and in the [F × m·P]
// product, so results and gradients move between them by memcpy. All of it lives in one
// workspace arena; with the WebAssembly im2col, the chunk's images of x (or of the input
// gradient) are copied there too.

// The patch matrix of a chunk has at most this many elements (8 MB); larger batches run in chunks.
const CHUNK_ELEMENTS = 1 << 20;

function chunkOf(g: Geometry): number {
  return Math.max(1, Math.min(g.N, Math.floor(CHUNK_ELEMENTS / (g.C * g.kh * g.kw * g.Ho * g.Wo))));
}

/**
 * im2col of image n0 + j into columns from `at` (rows `ld` apart): by conv.wat on `xw`, the
 * workspace's copy of the chunk's images, when given; else by the loops on x.
 */
function patches(g: Geometry, wasm: ConvWasm | null, x: Floats, xw: Floats, n0: number, j: number, col: Floats, at: number, ld: number): void {
  if (wasm === null) return im2col(g, x, n0 + j, col, at, ld);
  const es = col.BYTES_PER_ELEMENT;
  const image = xw.byteOffset + es * j * g.C * g.H * g.W;
  (es === 4 ? wasm.im2col_f32 : wasm.im2col_f64)(image, col.byteOffset + es * at, es * ld, g.C, g.H, g.W, g.kh, g.kw, g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl);
}

/** Copies the [F × P] blocks of images n0 … n0+m−1 between y [N, F, P] and t [F × m·P] (`toRows`: y → t). */
function moveBlocks(y: Floats, t: Floats, F: number, P: number, n0: number, m: number, toRows: boolean): void {
  if (m === 1) {
    if (toRows) t.set(y.subarray(n0 * F * P, (n0 + 1) * F * P));
    else y.set(t.subarray(0, F * P), n0 * F * P);
    return;
  }
  for (let j = 0; j < m; j++) {
    for (let f = 0; f < F; f++) {
      const a = ((n0 + j) * F + f) * P;
      const b = (f * m + j) * P;
      if (toRows) t.set(y.subarray(a, a + P), b);
      else y.set(t.subarray(b, b + P), a);
    }
  }
}

/**
 * conv2d's forward: per chunk of m images, y[F × m·P] = w[F × CKK] · col[CKK × m·P].
 * @param x - input [N, C, H, W]
 * @param w - filters [F, C, kh, kw] (already the row-major [F × CKK] matrix)
 * @param out - output [N, F, Ho, Wo]
 * @param shapes - shapes of x, w and out
 * @param attrs - strides and padding
 */
export function conv2dForward(x: Floats, w: Floats, out: Floats, shapes: readonly Shape[], attrs: ConvAttrs): void {
  const g = geometry(shapes[0]!, shapes[1]!, shapes[2]!, attrs);
  if (directServes(g)) return direct(x, shapes[0]!, g.pt, g.pl, w, [g.F, g.kh, g.kw], [g.Ho, g.Wo], out);
  const K = g.C * g.kh * g.kw;
  const P = g.Ho * g.Wo;
  const nb = chunkOf(g);
  const image = g.C * g.H * g.W;
  const [[wv, col, y, xw], wasm, arena] = views(x, g.F * K, K * nb * P, g.F * nb * P, wasmIm2col ? nb * image : 0);
  wv!.set(w);
  for (let n0 = 0; n0 < g.N; n0 += nb) {
    const m = Math.min(nb, g.N - n0);
    if (wasm) xw!.set(x.subarray(n0 * image, (n0 + m) * image));
    for (let j = 0; j < m; j++) patches(g, wasm, x, xw!, n0, j, col!, j * P, m * P);
    product(arena, 'NN', g.F, m * P, K, wv!, col!, y!, false);
    moveBlocks(out, y!, g.F, P, n0, m, false);
  }
}

/**
 * A stride-1 convolution by conv.wat's direct kernel (conv2d's forward): per chunk of images,
 * each copied into the workspace inside its zero border, out[n] [Fo × Ho·Wo] = filters
 * [Fo × Ci·kh·kw] · patches, the patches read from the images in place through a table of tap
 * offsets (no patch matrix, and the product already has out's layout).
 *
 * NOTE: the input gradient is a stride-1 convolution too (the padded output gradient with the
 * flipped filters), but at chapter 6's second layer this kernel ran it at 8.5–9 GFLOP/s against
 * 12–14 for im2col + the product: its 1,000 taps jump across a 40-channel image that does not
 * stay in L1, and the filters are read again for every block of outputs. So only the forward
 * uses it.
 * @param src - images [N, Ci, Hs, Ws]
 * @param srcShape - [N, Ci, Hs, Ws]
 * @param top - the zero rows above the image (its row 0 lands on this row of the padded plane)
 * @param left - the zero columns to its left
 * @param filters - [Fo × Ci·kh·kw], row-major
 * @param kernel - [Fo, kh, kw]
 * @param outHW - [Ho, Wo]
 * @param out - [N, Fo, Ho, Wo]
 */
function direct(src: Floats, srcShape: Shape, top: number, left: number, filters: Floats, kernel: readonly [number, number, number], outHW: Pair, out: Floats): void {
  const [N, Ci, Hs, Ws] = srcShape as [number, number, number, number];
  const [Fo, kh, kw] = kernel;
  const [Ho, Wo] = outHW;
  const K = Ci * kh * kw;
  const P = Ho * Wo;
  // The rows and columns the outputs read (stride 1), border included.
  const Hp = Ho + kh - 1;
  const Wp = Wo + kw - 1;
  const bordered = Hp !== Hs || Wp !== Ws || top !== 0 || left !== 0;
  const image = Ci * Hp * Wp;
  const nb = Math.max(1, Math.min(N, Math.floor(CHUNK_ELEMENTS / (image + Fo * P))));
  const es = src.BYTES_PER_ELEMENT;
  // The offset table is K int32s: as many elements of a float32 view, half as many of float64's.
  const [[wv, offv, xw, y], wasm] = views(src, Fo * K, es === 4 ? K : (K + 1) >> 1, nb * image, nb * Fo * P) as [Floats[], ConvWasm, WasmArena];
  wv!.set(filters);
  const off = new Int32Array(offv!.buffer, offv!.byteOffset, K);
  for (let c = 0, k = 0; c < Ci; c++) {
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++, k++) off[k] = es * ((c * Hp + a) * Wp + b);
  }
  // Row r of a padded plane is the image's row r − top; only rows and columns inside it are
  // copied (with 'same' padding the outputs may not read the image's last rows or columns).
  const r0 = top;
  const r1 = Math.min(Hp, Hs + top);
  const c0 = left;
  const c1 = Math.min(Wp, Ws + left);
  for (let n0 = 0; n0 < N; n0 += nb) {
    const m = Math.min(nb, N - n0);
    if (!bordered) xw!.set(src.subarray(n0 * image, (n0 + m) * image));
    else {
      xw!.fill(0, 0, m * image);
      for (let p = 0; p < m * Ci && c0 < c1; p++) {
        const plane = (n0 * Ci + p) * Hs * Ws;
        for (let r = r0; r < r1; r++) {
          const at = plane + (r - top) * Ws + (c0 - left);
          xw!.set(src.subarray(at, at + (c1 - c0)), p * Hp * Wp + r * Wp + c0);
        }
      }
    }
    (es === 4 ? wasm.conv_f32 : wasm.conv_f64)(xw!.byteOffset, m, es * image, Wp, wv!.byteOffset, Fo, K, off.byteOffset, y!.byteOffset, es * Fo * P, Ho, Wo, 0);
    out.set(y!.subarray(0, m * Fo * P), n0 * Fo * P);
  }
}

/** Whether conv.wat's direct kernel serves a convolution with these strides. */
function directServes(g: Geometry): boolean {
  return g.sh === 1 && g.sw === 1 && wasmIm2col && wasmSimdSupported();
}

/**
 * conv2dBackpropInput's forward: per chunk, col = wᵀ[CKK × F] · g[F × m·P], then col2im.
 * @param gy - output gradient [N, F, Ho, Wo]
 * @param w - filters [F, C, kh, kw]
 * @param out - input gradient [N, C, H, W]
 * @param shapes - shapes of x (= out), w and gy
 * @param attrs - strides and padding
 */
export function conv2dBackpropInputForward(gy: Floats, w: Floats, out: Floats, shapes: readonly Shape[], attrs: ConvAttrs): void {
  const g = geometry(shapes[0]!, shapes[1]!, shapes[2]!, attrs);
  const K = g.C * g.kh * g.kw;
  const P = g.Ho * g.Wo;
  const nb = chunkOf(g);
  const image = g.C * g.H * g.W;
  const es = gy.BYTES_PER_ELEMENT;
  const [[wv, col, gv, dx], wasm, arena] = views(gy, g.F * K, K * nb * P, g.F * nb * P, wasmIm2col ? nb * image : 0);
  wv!.set(w);
  if (!wasm) out.fill(0);
  for (let n0 = 0; n0 < g.N; n0 += nb) {
    const m = Math.min(nb, g.N - n0);
    moveBlocks(gy, gv!, g.F, P, n0, m, true);
    product(arena, 'TN', K, m * P, g.F, wv!, gv!, col!, false);
    if (wasm) {
      // The chunk's input gradient is summed in the workspace, then copied out.
      dx!.fill(0, 0, m * image);
      for (let j = 0; j < m; j++) {
        (es === 4 ? wasm.col2im_f32 : wasm.col2im_f64)(col!.byteOffset + es * j * P, es * m * P, dx!.byteOffset + es * j * image, g.C, g.H, g.W, g.kh, g.kw, g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl);
      }
      out.set(dx!.subarray(0, m * image), n0 * image);
    } else {
      for (let j = 0; j < m; j++) col2im(g, col!, j * P, m * P, n0 + j, out);
    }
  }
}

/**
 * conv2dBackpropFilter's forward: dw[F × CKK] = Σ over chunks of g[F × m·P] · col[CKK × m·P]ᵀ.
 * @param x - input [N, C, H, W]
 * @param gy - output gradient [N, F, Ho, Wo]
 * @param out - filter gradient [F, C, kh, kw]
 * @param shapes - shapes of x, w (= out) and gy
 * @param attrs - strides and padding
 */
export function conv2dBackpropFilterForward(x: Floats, gy: Floats, out: Floats, shapes: readonly Shape[], attrs: ConvAttrs): void {
  const g = geometry(shapes[0]!, shapes[1]!, shapes[2]!, attrs);
  const K = g.C * g.kh * g.kw;
  const P = g.Ho * g.Wo;
  const nb = chunkOf(g);
  const image = g.C * g.H * g.W;
  const [[dw, col, gv, xw], wasm, arena] = views(x, g.F * K, K * nb * P, g.F * nb * P, wasmIm2col ? nb * image : 0);
  dw!.fill(0);
  for (let n0 = 0; n0 < g.N; n0 += nb) {
    const m = Math.min(nb, g.N - n0);
    if (wasm) xw!.set(x.subarray(n0 * image, (n0 + m) * image));
    for (let j = 0; j < m; j++) patches(g, wasm, x, xw!, n0, j, col!, j * P, m * P);
    moveBlocks(gy, gv!, g.F, P, n0, m, true);
    product(arena, 'NT', g.F, K, m * P, gv!, col!, dw!, true);
  }
  out.set(dw!);
}

let indices = new Int32Array(0);

/**
 * A scratch buffer of n indices, reused between calls (its contents are read before the next
 * call: each max-pooling kernel uses the positions it asked for at once).
 */
function indexBuffer(n: number): Int32Array {
  if (indices.length < n) indices = new Int32Array(Math.max(n, indices.length * 2));
  return indices.subarray(0, n);
}

/**
 * For each pooled element, the flat index in `x` of its window's first maximum (a NaN counts
 * as the maximum, so it propagates as in PyTorch), and, given `values`, the maximum itself
 * written there. The result is a scratch buffer, valid until the next call here or into the
 * conv workspace: callers read it at once.
 * @param x - input [N, C, H, W]
 * @param xShape - its shape
 * @param outShape - the pooled shape
 * @param attrs - window and strides
 * @param values - receives x at each index (max pooling's output), of x's type
 */
export function windowArgmax(x: Floats, xShape: Shape, outShape: Shape, attrs: PoolAttrs, values?: Floats): Int32Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [, , Ho, Wo] = outShape as [number, number, number, number];
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.stride;
  const pooled = N * C * Ho * Wo;
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && wasmIm2col && wasmSimdSupported()) {
    // The common window by conv.wat's branch-free kernel, on a copy of x in the workspace; the
    // indices are int32s, as many elements of a float32 view, half as many of float64's.
    const es = x.BYTES_PER_ELEMENT;
    const [[xw, iw, vw], wasm] = views(x, x.length, es === 4 ? pooled : (pooled + 1) >> 1, pooled) as [Floats[], ConvWasm, WasmArena];
    xw!.set(x);
    const index = new Int32Array(iw!.buffer, iw!.byteOffset, pooled);
    (es === 4 ? wasm.maxpool2x2_f32 : wasm.maxpool2x2_f64)(xw!.byteOffset, N * C, H, W, Ho, Wo, index.byteOffset, vw!.byteOffset);
    values?.set(vw!);
    return index;
  }
  const index = windowArgmaxLoops(x, [N, C, H, W], [Ho, Wo], attrs);
  if (values !== undefined) for (let o = 0; o < pooled; o++) values[o] = x[index[o]!]!;
  return index;
}

/** {@link windowArgmax}'s loops, which serve where conv.wat's kernel does not. */
function windowArgmaxLoops(x: Floats, [N, C, H, W]: readonly [number, number, number, number], [Ho, Wo]: Pair, attrs: PoolAttrs): Int32Array {
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.stride;
  const index = indexBuffer(N * C * Ho * Wo);
  let o = 0;
  if (kh === 2 && kw === 2) {
    // The common 2×2 window unrolled: the same comparisons in the same order as the loops below.
    for (let p = 0; p < N * C; p++) {
      const plane = p * H * W;
      for (let i = 0; i < Ho; i++) {
        const r0 = plane + i * sh * W;
        const r1 = r0 + W;
        for (let j = 0, c = 0; j < Wo; j++, o++, c += sw) {
          let best = r0 + c;
          let v = x[best]!;
          let u = x[r0 + c + 1]!;
          if (u > v || (u !== u && v === v)) {
            v = u;
            best = r0 + c + 1;
          }
          u = x[r1 + c]!;
          if (u > v || (u !== u && v === v)) {
            v = u;
            best = r1 + c;
          }
          u = x[r1 + c + 1]!;
          if (u > v || (u !== u && v === v)) best = r1 + c + 1;
          index[o] = best;
        }
      }
    }
    return index;
  }
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++, o++) {
        let best = plane + i * sh * W + j * sw;
        let v = x[best]!;
        for (let a = 0; a < kh; a++) {
          for (let b = 0, s = plane + (i * sh + a) * W + j * sw; b < kw; b++, s++) {
            const u = x[s]!;
            if (u > v || (u !== u && v === v)) {
              v = u;
              best = s;
            }
          }
        }
        index[o] = best;
      }
    }
  }
  return index;
}

/**
 * Adds `g` (pooled shape) spread as g/(kh·kw) over each window into `out` (input shape): the
 * transpose of average pooling. `out` must be zeroed.
 * @param g - pooled gradient [N, C, Ho, Wo]
 * @param out - input-shaped result [N, C, H, W]
 * @param outShape - shape of `out`
 * @param gShape - shape of `g`
 * @param attrs - window and strides
 */
export function avgPoolSpread(g: Floats, out: Floats, outShape: Shape, gShape: Shape, attrs: PoolAttrs): void {
  const [N, C, H, W] = outShape as [number, number, number, number];
  const [, , Ho, Wo] = gShape as [number, number, number, number];
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.stride;
  const scale = 1 / (kh * kw);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++, o++) {
        const v = g[o]! * scale;
        for (let a = 0; a < kh; a++) {
          for (let b = 0, s = plane + (i * sh + a) * W + j * sw; b < kw; b++, s++) out[s] = out[s]! + v;
        }
      }
    }
  }
}

/**
 * Average pooling's forward: the mean of each window.
 * @param x - input [N, C, H, W]
 * @param out - pooled [N, C, Ho, Wo]
 * @param xShape - shape of `x`
 * @param outShape - shape of `out`
 * @param attrs - window and strides
 */
export function avgPoolForward(x: Floats, out: Floats, xShape: Shape, outShape: Shape, attrs: PoolAttrs): void {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [, , Ho, Wo] = outShape as [number, number, number, number];
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.stride;
  const scale = 1 / (kh * kw);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++, o++) {
        let sum = 0;
        for (let a = 0; a < kh; a++) {
          for (let b = 0, s = plane + (i * sh + a) * W + j * sw; b < kw; b++, s++) sum += x[s]!;
        }
        out[o] = sum * scale;
      }
    }
  }
}
