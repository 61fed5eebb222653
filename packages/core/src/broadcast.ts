import type { Shape } from './shape.ts';
import { broadcastStrides, shapesEqual, sizeOf, stridesOf } from './shape.ts';

/**
 * Walks the index space of `shape` one innermost row at a time, keeping a flat offset into
 * each operand (whose strides may be 0 along broadcast axes). `row` runs once per row, not per
 * element, so kernels keep their inner loops closure-free.
 * @param shape - the index space to walk
 * @param strides - each operand's strides over `shape` (0 along broadcast axes)
 * @param row - called per innermost row with the operands' offsets, its length and inner strides
 */
export function walkRows(
  shape: Shape,
  strides: readonly (readonly number[])[],
  row: (offsets: readonly number[], length: number, innerStrides: readonly number[]) => void,
): void {
  const rank = shape.length;
  const k = strides.length;
  if (rank === 0) {
    // Stryker disable next-line ArrayDeclaration: a rank-0 row has length 1, so its inner strides are never read
    row(new Array<number>(k).fill(0), 1, new Array<number>(k).fill(0));
    return;
  }
  if (sizeOf(shape) === 0) return;
  [shape, strides] = coalesce(shape, strides);
  return walkCoalesced(shape, strides, row);
}

/**
 * The same walk over fewer, longer rows: a dimension of size 1 (not the innermost) is dropped,
 * and a dimension merges into the next when every operand steps over the next one's whole
 * extent to reach its following index (its stride is the next one's times the next's size). The
 * rows then cover the same elements in the same order, with the same inner strides. A bias of
 * shape [C, 1, 1] added to [N, C, H, W] walks N·C rows of H·W, not N·C·H rows of W.
 */
function coalesce(shape: Shape, strides: readonly (readonly number[])[]): [Shape, number[][]] {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1 || d === shape.length - 1) dims.push(d);
  const outShape: number[] = [shape[dims[0]!]!];
  const outStrides = strides.map((s) => [s[dims[0]!]!]);
  for (let i = 1; i < dims.length; i++) {
    const d = dims[i]!;
    const n = shape[d]!;
    const last = outShape.length - 1;
    if (strides.every((s, j) => outStrides[j]![last] === s[d]! * n)) {
      outShape[last] = outShape[last]! * n;
      for (let j = 0; j < strides.length; j++) outStrides[j]![last] = strides[j]![d]!;
    } else {
      outShape.push(n);
      for (let j = 0; j < strides.length; j++) outStrides[j]!.push(strides[j]![d]!);
    }
  }
  return [outShape, outStrides];
}

function walkCoalesced(
  shape: Shape,
  strides: readonly (readonly number[])[],
  row: (offsets: readonly number[], length: number, innerStrides: readonly number[]) => void,
): void {
  const rank = shape.length;
  const k = strides.length;
  const inner = shape[rank - 1]!;
  const innerStrides = strides.map((s) => s[rank - 1]!);
  const offsets = new Array<number>(k).fill(0);
  const counter = new Array<number>(rank - 1).fill(0);
  for (;;) {
    row(offsets, inner, innerStrides);
    let d = rank - 2;
    for (; d >= 0; d--) {
      counter[d]!++;
      for (let j = 0; j < k; j++) offsets[j]! += strides[j]![d]!;
      if (counter[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) offsets[j]! -= strides[j]![d]! * shape[d]!;
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * Adds `src`, of shape `from`, into `dst`, of shape `to`, where `to` broadcasts to `from`:
 * elements along broadcast axes are summed into one. With `to` equal to `from` it is a plain
 * elementwise add. This is the rule every broadcasting op's backward shares.
 * @param src - the values to add
 * @param from - the shape of `src`
 * @param dst - receives the sums (added to what is there)
 * @param to - the shape of `dst`, which broadcasts to `from`
 */
export function addReduced(src: Float64Array, from: Shape, dst: Float64Array, to: Shape): void {
  // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path; the general walk gives the same sums
  if (shapesEqual(from, to)) {
    // Stryker disable next-line EqualityOperator: one more pass reads and writes past the typed arrays' ends, a no-op
    for (let i = 0; i < dst.length; i++) dst[i] = dst[i]! + src[i]!;
    return;
  }
  // The two reductions of every training step, without the general walk: a loss summed to a
  // scalar, and a bias gradient summed over the batch's columns (BP3).
  // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path; the general walk gives the same sum (up to rounding order)
  if (dst.length === 1) {
    let s = 0;
    for (let i = 0; i < src.length; i++) s += src[i]!;
    dst[0] = dst[0]! + s;
    return;
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: a fast path; any shape pair it wrongly admits or refuses is caught above or summed alike by the walk
  if (from.length === 2 && to.length === 2 && to[0] === from[0] && to[1] === 1) {
    const cols = from[1]!;
    // Stryker disable next-line EqualityOperator: one more row reads and writes past the typed arrays' ends, a no-op
    for (let r = 0, i = 0; r < dst.length; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += src[i++]!;
      dst[r] = dst[r]! + s;
    }
    return;
  }
  walkRows(from, [stridesOf(from), broadcastStrides(to, from)], (off, n, st) => {
    let i = off[0]!;
    let o = off[1]!;
    const os = st[1]!;
    // Stryker disable next-line ConditionalExpression: the else loop with a zero stride sums into the same element
    if (os === 0) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += src[i++]!;
      dst[o] = dst[o]! + acc;
    } else {
      for (let j = 0; j < n; j++, o += os) dst[o] = dst[o]! + src[i++]!;
    }
  });
}

/**
 * Writes `src` of shape `from` into `dst` of the shape `to` it broadcasts to (NumPy's broadcast_to).
 * @param src - the values to repeat
 * @param from - the shape of `src`
 * @param dst - receives the broadcast values
 * @param to - the shape of `dst`, which `from` broadcasts to
 */
export function broadcastInto(src: Float64Array, from: Shape, dst: Float64Array, to: Shape): void {
  // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path; the walk copies the same values
  if (shapesEqual(from, to)) {
    dst.set(src);
    return;
  }
  walkRows(to, [broadcastStrides(from, to), stridesOf(to)], (off, n, st) => {
    const s = st[0]!;
    let i = off[0]!;
    let o = off[1]!;
    // Stryker disable next-line EqualityOperator: the extra write lands on the next row's first element (rewritten next) or past the end
    for (let j = 0; j < n; j++, i += s) dst[o++] = src[i]!;
  });
}

/**
 * Sums a gradient of shape `from` back to the shape `to` of an input that was broadcast to
 * `from` (TF.js `Add_grad`, NumPy's "unbroadcast"). Returns `data` itself when nothing was
 * broadcast, else a new array.
 *
 * @example
 * ```ts
 * // a bias [30, 1] added to a batch [30, 10]: its gradient sums over the 10 columns (BP3)
 * sumToShape(g, [30, 10], [30, 1]);
 * ```
 * @param data - the gradient's values
 * @param from - the broadcast (output) shape
 * @param to - the input's shape; must broadcast to `from`
 */
export function sumToShape(data: Float64Array, from: Shape, to: Shape): Float64Array {
  if (shapesEqual(from, to)) return data;
  const out = new Float64Array(sizeOf(to));
  addReduced(data, from, out, to);
  return out;
}
