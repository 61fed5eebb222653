import type { Shape } from './shape.ts';
import { broadcastStrides, reducedAxes, shapesEqual, sizeOf, stridesOf } from './shape.ts';

/**
 * Walks the index space of `shape` one innermost row at a time, keeping a flat offset into
 * each operand (whose strides may be 0 along broadcast axes). `row` runs once per row, not per
 * element, so kernels keep their inner loops closure-free.
 */
export function walkRows(
  shape: Shape,
  strides: readonly (readonly number[])[],
  row: (offsets: readonly number[], length: number, innerStrides: readonly number[]) => void,
): void {
  const rank = shape.length;
  const k = strides.length;
  if (rank === 0) {
    row(new Array<number>(k).fill(0), 1, new Array<number>(k).fill(0));
    return;
  }
  if (sizeOf(shape) === 0) return;
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

/** Copies `data` of `shape` into a new buffer of the broadcast shape `target`. */
export function broadcastData(data: Float64Array, shape: Shape, target: Shape): Float64Array {
  if (shapesEqual(shape, target)) return data.slice();
  const out = new Float64Array(sizeOf(target));
  const src = broadcastStrides(shape, target);
  const dst = stridesOf(target);
  walkRows(target, [src, dst], (off, n, st) => {
    const s = st[0]!;
    let i = off[0]!;
    let o = off[1]!;
    for (let j = 0; j < n; j++, i += s) out[o++] = data[i]!;
  });
  return out;
}

/** Sum or max: the two reductions of the engine. */
export type Reduction = 'sum' | 'max';

/**
 * Reduces `data` of `shape` over `axes`, keeping them as size-1 dimensions in the result's
 * shape (callers drop them for `keepDims: false`).
 */
export function reduceData(data: Float64Array, shape: Shape, axes: readonly number[], kind: Reduction): { data: Float64Array; shape: number[] } {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(sizeOf(outShape));
  if (kind === 'max') out.fill(-Infinity);
  // Reading the input in order while writing through the output's strides (0 on reduced axes)
  // accumulates each reduced run into its slot.
  const outStrides = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  walkRows(shape, [stridesOf(shape), outStrides], (off, n, st) => {
    let i = off[0]!;
    let o = off[1]!;
    const os = st[1]!;
    if (kind === 'sum') {
      if (os === 0) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += data[i++]!;
        out[o] = out[o]! + acc;
      } else {
        for (let j = 0; j < n; j++, o += os) out[o] = out[o]! + data[i++]!;
      }
    } else {
      for (let j = 0; j < n; j++, o += os) {
        const v = data[i++]!;
        // NaN must win, as in NumPy, or a NaN in the input would be silently dropped.
        if (v > out[o]! || Number.isNaN(v)) out[o] = v;
      }
    }
  });
  return { data: out, shape: outShape };
}

/**
 * Sums a gradient of shape `from` back to the shape `to` of an input that was broadcast to
 * `from` — the rule every broadcasting op's backward shares (TF.js `Add_grad`, NumPy's
 * `unbroadcast`). Returns `data` itself when nothing was broadcast.
 *
 * @example
 * ```ts
 * // a bias [30, 1] added to a batch [30, 10]: its gradient sums over the 10 columns (BP3)
 * sumToShape(g, [30, 10], [30, 1]);
 * ```
 */
export function sumToShape(data: Float64Array, from: Shape, to: Shape): Float64Array {
  if (shapesEqual(from, to)) return data;
  const axes = reducedAxes(from, to);
  return reduceData(data, from, axes, 'sum').data;
}
