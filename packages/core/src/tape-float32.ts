/**
 * Loops of their own for a float32 tape's most frequent steps (a training step's bias add, its
 * loss, the rules of σ and of the bias, a flattening transpose). The primitives' loops serve float64 eager ops and the
 * tracing of every tape, so V8 compiles them for both array types, and on float32 buffers they
 * ran about 10% of a batch-10 step behind the δ engine's loops, which see one type only. These
 * see only Float32Array. Each computes what the primitive computes, in the same order (each
 * operation in float64, the result rounded once as it is stored), so the bits are the same.
 * @module
 */
import type { TapeWasm } from './conv.ts';
import type { TapeBuffer } from './tape.ts';
import { type Primitive, primitives } from './primitives.ts';
import type { Shape } from './shape.ts';

type Kind = 'add' | 'mul';

function combineAll(kind: Kind, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  if (kind === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

// IEEE addition and multiplication commute exactly, so s ∘ a is written a ∘ s.
function combineScalar(kind: Kind, a: Float32Array, s: number, out: Float32Array): void {
  const n = out.length;
  if (kind === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + s;
  else for (let i = 0; i < n; i++) out[i] = a[i]! * s;
}

/**
 * out[n, r, c] = a[n, r, c] ∘ v[r]: a vector along one axis broadcast over the others, in either
 * order (a dense layer's bias column, rows × cols with outer = 1, or a conv layer's per-channel
 * bias, N × C × H·W).
 */
function combineChannel(kind: Kind, a: Float32Array, v: Float32Array, outer: number, rows: number, inner: number, out: Float32Array): void {
  for (let n = 0, i = 0; n < outer; n++) {
    for (let r = 0; r < rows; r++) {
      const b = v[r]!;
      if (kind === 'add') for (let c = 0; c < inner; c++, i++) out[i] = a[i]! + b;
      else for (let c = 0; c < inner; c++, i++) out[i] = a[i]! * b;
    }
  }
}

function sigmoidGrad(y: Float32Array, g: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = g[i]! * y[i]! * (1 - y[i]!);
}

function square(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! * x[i]!;
}

/** The sum of every element, in float64 as addReduced sums, stored once. */
function sumAll(x: Float32Array, out: Float32Array): void {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  out[0] = 0 + s;
}

/**
 * The sums onto one axis (a bias gradient: BP3's sum over the batch's columns, or a conv bias's
 * over images and positions), as addReduced sums them: each row of `inner` in float64, added to
 * the float32 total once per outer index.
 */
function sumChannels(x: Float32Array, outer: number, rows: number, inner: number, out: Float32Array): void {
  out.fill(0);
  for (let n = 0, i = 0; n < outer; n++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < inner; c++) s += x[i++]!;
      out[r] = out[r]! + s;
    }
  }
}

/** A matrix's transpose, in 16-column blocks so that the strided writes stay within a few lines. */
function transpose2d(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let j0 = 0; j0 < cols; j0 += 16) {
    const j1 = Math.min(cols, j0 + 16);
    for (let i = 0; i < rows; i++) {
      for (let j = j0, s = i * cols + j0; j < j1; j++, s++) out[j * rows + i] = x[s]!;
    }
  }
}

/**
 * Where `small` (right-aligned to `shape`) is a vector along one axis of `shape` and 1 along the
 * others: [outer, rows, inner] of that axis, else null.
 */
function channelOf(small: Shape, shape: Shape): [number, number, number] | null {
  const lead = shape.length - small.length;
  if (lead < 0) return null;
  let axis = -1;
  for (let d = 0; d < small.length; d++) {
    if (small[d] === 1) continue;
    if (axis !== -1 || small[d] !== shape[lead + d]) return null;
    axis = lead + d;
  }
  if (axis === -1) return null;
  const size = (from: number, to: number): number => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [size(0, axis), shape[axis]!, size(axis + 1, shape.length)];
}

const is2d = (s: Shape): boolean => s.length === 2;
const isPrimitive = (p: Primitive<never>, name: 'add' | 'mul' | 'sigmoidGrad' | 'sum' | 'sumTo' | 'transpose'): boolean => p === (primitives[name] as Primitive<never>);

/** An add or mul of a full operand and a vector along one axis: [full, vector, [outer, rows, inner]]. */
function channelOperands<T extends TapeBuffer>(x: readonly T[], shapes: readonly Shape[], outShape: Shape, n: number): [T, T, [number, number, number]] | null {
  const [a, b] = x as [T, T];
  const [sa, sb] = shapes as [Shape, Shape];
  const cb = a.length === n ? channelOf(sb, outShape) : null;
  if (cb !== null) return [a, b, cb];
  const ca = b.length === n ? channelOf(sa, outShape) : null;
  return ca === null ? null : [b, a, ca];
}

/** A sum onto one axis (sumTo a vector along one axis, or a 2-D sum over columns): [outer, rows, inner]. */
function channelSum(primitive: Primitive<never>, from: Shape, outShape: Shape, attrs: unknown, n: number): [number, number, number] | null {
  if (isPrimitive(primitive, 'sumTo')) return channelOf(outShape, from);
  const axes = (attrs as { axes: readonly number[] }).axes;
  return is2d(from) && from[0] === n && axes.length === 1 && axes[0] === 1 ? [1, from[0], from[1]!] : null;
}

/** A 2-D transpose: [rows, cols] of its input. */
function transposeOf(primitive: Primitive<never>, shapes: readonly Shape[], attrs: unknown): [number, number] | null {
  return isPrimitive(primitive, 'transpose') && is2d(shapes[0]!) && (attrs as { perm: readonly number[] }).perm[0] === 1 ? (shapes[0] as [number, number]) : null;
}

/**
 * A step of a tape (either dtype) that conv.wat runs on the tape's buffers in its memory, or
 * null: a per-axis bias add or mul, its sum, σ's rule and a 2-D transpose, each with the bits of
 * the loop it replaces (the primitive's, or this module's for float32).
 * @param primitive - the step's primitive
 * @param x - its inputs' buffers
 * @param shapes - its inputs' shapes
 * @param out - its output's buffer, of the inputs' type
 * @param outShape - its output's shape
 * @param attrs - its attributes
 * @param wasm - conv.wat on the memory of the tape's kernels
 */
export function wasmStep(primitive: Primitive<never>, x: readonly TapeBuffer[], shapes: readonly Shape[], out: TapeBuffer, outShape: Shape, attrs: unknown, wasm: TapeWasm): (() => void) | null {
  if (![out, ...x].every((b) => b.buffer === wasm.arena.memory.buffer && b.BYTES_PER_ELEMENT === out.BYTES_PER_ELEMENT)) return null;
  const f32 = out.BYTES_PER_ELEMENT === 4;
  const n = out.length;
  const o = out.byteOffset;
  if (isPrimitive(primitive, 'add') || isPrimitive(primitive, 'mul')) {
    const c = channelOperands(x, shapes, outShape, n);
    if (c === null) return null;
    const [full, v, [outer, rows, inner]] = c;
    const kind = isPrimitive(primitive, 'add') ? 0 : 1;
    const channel = f32 ? wasm.channel_f32 : wasm.channel_f64;
    return () => channel(kind, full.byteOffset, v.byteOffset, outer, rows, inner, o);
  }
  if (isPrimitive(primitive, 'sigmoidGrad')) {
    const [y, g] = x as [TapeBuffer, TapeBuffer];
    const rule = f32 ? wasm.sigmoid_grad_f32 : wasm.sigmoid_grad_f64;
    return () => rule(y.byteOffset, g.byteOffset, o, n);
  }
  if ((isPrimitive(primitive, 'sum') || isPrimitive(primitive, 'sumTo')) && n > 1) {
    const c = channelSum(primitive, shapes[0]!, outShape, attrs, n);
    if (c === null) return null;
    const sum = f32 ? wasm.sum_channels_f32 : wasm.sum_channels_f64;
    const v = x[0]!.byteOffset;
    return () => sum(v, c[0], c[1], c[2], o);
  }
  const t = transposeOf(primitive, shapes, attrs);
  if (t !== null) {
    const transpose = f32 ? wasm.transpose_f32 : wasm.transpose_f64;
    const v = x[0]!.byteOffset;
    return () => transpose(v, t[0], t[1], o);
  }
  return null;
}

/**
 * A loop of this module for a step of a float32 tape, or null when the step is not one of these
 * patterns (the primitive's own loop then runs it).
 * @param primitive - the step's primitive
 * @param x - its inputs' float32 buffers
 * @param shapes - its inputs' shapes
 * @param out - its output's float32 buffer
 * @param outShape - its output's shape
 * @param attrs - its attributes
 */
export function float32Loop(primitive: Primitive<never>, x: readonly Float32Array[], shapes: readonly Shape[], out: Float32Array, outShape: Shape, attrs: unknown): (() => void) | null {
  const n = out.length;
  if (isPrimitive(primitive, 'add') || isPrimitive(primitive, 'mul')) {
    const kind: Kind = isPrimitive(primitive, 'add') ? 'add' : 'mul';
    const [a, b] = x as [Float32Array, Float32Array];
    if (a.length === n && b.length === n) return () => combineAll(kind, a, b, out);
    if (b.length === 1 && a.length === n) return () => combineScalar(kind, a, b[0]!, out);
    if (a.length === 1 && b.length === n) return () => combineScalar(kind, b, a[0]!, out);
    const c = channelOperands(x, shapes, outShape, n);
    if (c === null) return null;
    const [full, v, [outer, rows, inner]] = c;
    return () => combineChannel(kind, full, v, outer, rows, inner, out);
  }
  if (isPrimitive(primitive, 'sigmoidGrad')) {
    const [y, g] = x as [Float32Array, Float32Array];
    return () => sigmoidGrad(y, g, out);
  }
  if (primitive === (primitives.pow as Primitive<never>) && (attrs as { p: number }).p === 2) {
    const v = x[0]!;
    return () => square(v, out);
  }
  if (isPrimitive(primitive, 'sum') || isPrimitive(primitive, 'sumTo')) {
    const v = x[0]!;
    if (n === 1) return () => sumAll(v, out);
    const c = channelSum(primitive, shapes[0]!, outShape, attrs, n);
    if (c === null) return null;
    return () => sumChannels(v, c[0], c[1], c[2], out);
  }
  const t = transposeOf(primitive, shapes, attrs);
  if (t !== null) {
    const v = x[0]!;
    return () => transpose2d(v, t[0], t[1], out);
  }
  return null;
}
