/**
 * Loops of their own for a float32 tape's most frequent steps (a training step's bias add, its
 * loss and the rules of σ and of the bias). The primitives' loops serve float64 eager ops and the
 * tracing of every tape, so V8 compiles them for both array types, and on float32 buffers they
 * ran about 10% of a batch-10 step behind the δ engine's loops, which see one type only. These
 * see only Float32Array. Each computes what the primitive computes, in the same order (each
 * operation in float64, the result rounded once as it is stored), so the bits are the same.
 * @module
 */
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

/** out[r, c] = a[r, c] ∘ col[r]: a matrix and a column broadcast along its rows (a bias), in either order. */
function combineColumn(kind: Kind, a: Float32Array, col: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0, i = 0; r < rows; r++) {
    const v = col[r]!;
    if (kind === 'add') for (let c = 0; c < cols; c++, i++) out[i] = a[i]! + v;
    else for (let c = 0; c < cols; c++, i++) out[i] = a[i]! * v;
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

/** Each row's sum (a bias gradient: BP3's sum over the batch), as addReduced sums it. */
function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0, i = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[i++]!;
    out[r] = 0 + s;
  }
}

const is2d = (s: Shape): boolean => s.length === 2;

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
  if (primitive === (primitives.add as Primitive<never>) || primitive === (primitives.mul as Primitive<never>)) {
    const kind: Kind = primitive === (primitives.add as Primitive<never>) ? 'add' : 'mul';
    const [a, b] = x as [Float32Array, Float32Array];
    if (a.length === n && b.length === n) return () => combineAll(kind, a, b, out);
    if (b.length === 1 && a.length === n) return () => combineScalar(kind, a, b[0]!, out);
    if (a.length === 1 && b.length === n) return () => combineScalar(kind, b, a[0]!, out);
    const [sa, sb] = shapes as [Shape, Shape];
    if (is2d(outShape) && is2d(sa) && is2d(sb)) {
      const [rows, cols] = outShape as [number, number];
      if (a.length === n && sb[0] === rows && sb[1] === 1) return () => combineColumn(kind, a, b, rows, cols, out);
      if (b.length === n && sa[0] === rows && sa[1] === 1) return () => combineColumn(kind, b, a, rows, cols, out);
    }
    return null;
  }
  if (primitive === (primitives.sigmoidGrad as Primitive<never>)) {
    const [y, g] = x as [Float32Array, Float32Array];
    return () => sigmoidGrad(y, g, out);
  }
  if (primitive === (primitives.pow as Primitive<never>) && (attrs as { p: number }).p === 2) {
    const v = x[0]!;
    return () => square(v, out);
  }
  if (primitive === (primitives.sum as Primitive<never>) || primitive === (primitives.sumTo as Primitive<never>)) {
    const v = x[0]!;
    const from = shapes[0]!;
    if (n === 1) return () => sumAll(v, out);
    if (is2d(from) && from[0] === n && (primitive === (primitives.sumTo as Primitive<never>) ? outShape.length === 2 && outShape[1] === 1 : (attrs as { axes: readonly number[] }).axes.length === 1 && (attrs as { axes: readonly number[] }).axes[0] === 1)) {
      const [rows, cols] = from as [number, number];
      return () => sumRows(v, rows, cols, out);
    }
    return null;
  }
  return null;
}
