/**
 * Reshaping, slicing, joining and gathering: the kernels of the primitives `slice`, `pad`,
 * `concat`, `gather` and `scatterAdd` (their rules sit in the table in primitives.ts, each the
 * other's adjoint: slice ↔ pad, gather ↔ scatterAdd, concat → slices) and the ops built on them.
 * Names and semantics follow TensorFlow.js.
 */
import { DTypeError, ShapeError, formatShape } from './errors.ts';
import { type Shape, axisArg, describeValue, intListArg, normalizeAxis, stridesOf } from './shape.ts';
import { walkRows } from './broadcast.ts';
import type { KernelArgs } from './primitives.ts';
import { apply, reshape } from './ops.ts';
import { Tensor, fromData, toTensor } from './tensor.ts';

// ---------------------------------------------------------------------------------------------
// Kernels

/** Product of the dimensions of `shape` from `start` to `end` (exclusive). */
function span(shape: Shape, start: number, end = shape.length): number {
  let n = 1;
  for (let i = start; i < end; i++) n *= shape[i]!;
  return n;
}

/**
 * The box `begin … begin + size` of the input, read through its strides.
 * @param k - kernel arguments of `slice`
 */
export function sliceKernel(k: KernelArgs<{ readonly begin: readonly number[]; readonly size: readonly number[] }>): void {
  const x = k.x[0]!;
  const inStrides = stridesOf(k.shapes[0]!);
  let base = 0;
  for (let d = 0; d < inStrides.length; d++) base += k.attrs.begin[d]! * inStrides[d]!;
  const out = k.out;
  walkRows(k.outShape, [inStrides, stridesOf(k.outShape)], (off, n, st) => {
    let i = base + off[0]!;
    let o = off[1]!;
    const s = st[0]!;
    for (let c = 0; c < n; c++, i += s) out[o++] = x[i]!;
  });
}

/**
 * The input placed inside a frame of `value`, `paddings[d] = [before, after]` wide.
 * @param k - kernel arguments of `pad`
 */
export function padKernel(k: KernelArgs<{ readonly paddings: readonly (readonly [number, number])[]; readonly value: number }>): void {
  const x = k.x[0]!;
  const out = k.out;
  out.fill(k.attrs.value);
  const outStrides = stridesOf(k.outShape);
  let base = 0;
  for (let d = 0; d < outStrides.length; d++) base += k.attrs.paddings[d]![0] * outStrides[d]!;
  const shape = k.shapes[0]!;
  walkRows(shape, [stridesOf(shape), outStrides], (off, n) => {
    out.set(x.subarray(off[0]!, off[0]! + n), base + off[1]!);
  });
}

/**
 * The inputs laid end to end along `axis`: one contiguous block per input per outer index.
 * @param k - kernel arguments of `concat`
 */
export function concatKernel(k: KernelArgs<{ readonly axis: number }>): void {
  const axis = k.attrs.axis;
  const outer = span(k.outShape, 0, axis);
  const outBlock = span(k.outShape, axis);
  let offset = 0;
  for (let t = 0; t < k.x.length; t++) {
    const x = k.x[t]!;
    const block = span(k.shapes[t]!, axis);
    for (let o = 0; o < outer; o++) k.out.set(x.subarray(o * block, (o + 1) * block), o * outBlock + offset);
    offset += block;
  }
}

/** Attributes of gather and scatterAdd: the axis, the flat indices and their shape. */
export interface GatherAttrs {
  readonly axis: number;
  readonly indices: readonly number[];
  readonly indexShape: Shape;
}

/**
 * Rows `indices` of the input along `axis`: out[o, j, r] = x[o, indices[j], r].
 * @param k - kernel arguments of `gather`
 */
export function gatherKernel(k: KernelArgs<GatherAttrs>): void {
  const x = k.x[0]!;
  const shape = k.shapes[0]!;
  const { axis, indices } = k.attrs;
  const outer = span(shape, 0, axis);
  const inner = span(shape, axis + 1);
  const D = shape[axis]!;
  const n = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = (o * D + indices[j]!) * inner;
      k.out.set(x.subarray(src, src + inner), (o * n + j) * inner);
    }
  }
}

/**
 * gather's adjoint: each slice of the input added into row `indices[j]` of a zero output
 * (repeated indices add up).
 * @param k - kernel arguments of `scatterAdd`
 */
export function scatterAddKernel(k: KernelArgs<GatherAttrs & { readonly size: number }>): void {
  const g = k.x[0]!;
  const out = k.out;
  const { axis, indices, size: D } = k.attrs;
  const outer = span(k.outShape, 0, axis);
  const inner = span(k.outShape, axis + 1);
  const n = indices.length;
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const dst = (o * D + indices[j]!) * inner;
      const src = (o * n + j) * inner;
      for (let r = 0; r < inner; r++) out[dst + r] = out[dst + r]! + g[src + r]!;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reshapes

/**
 * Removes size-1 dimensions: the listed ones, or all of them (TF.js `squeeze`).
 * @example
 * ```ts
 * squeeze(zeros([1, 3, 1])).shape;      // [3]
 * squeeze(zeros([1, 3, 1]), [2]).shape; // [1, 3]
 * ```
 * @param x - input
 * @param axes - the axes to remove (each of size 1); all size-1 axes when omitted
 * @throws ShapeError when a listed axis is out of range or not of size 1
 * @throws DTypeError when `axes` is not an array of integers
 */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const t = toTensor(x, 'squeeze', 'x');
  if (axes === undefined) return reshape(t, t.shape.filter((d) => d !== 1));
  const list = intListArg(axes, 'squeeze', 'axes').map((a) => normalizeAxis(a, t.shape, 'squeeze'));
  for (const a of list) {
    if (t.shape[a] !== 1) throw new ShapeError('squeeze', `cannot squeeze axis ${a} of size ${t.shape[a]} in ${formatShape(t.shape)}`, [t.shape]);
  }
  return reshape(t, t.shape.filter((_, i) => !list.includes(i)));
}

/**
 * Inserts a dimension of size 1 at `axis` (TF.js `expandDims`; −1 appends one).
 * @example
 * ```ts
 * expandDims(tensor([1, 2]), 1).shape; // [2, 1]
 * ```
 * @param x - input
 * @param axis - where the new axis goes, in `−(rank+1) … rank`
 * @throws ShapeError when `axis` is out of range
 * @throws DTypeError when `axis` is not a number
 */
export function expandDims(x: Tensor, axis = 0): Tensor {
  const t = toTensor(x, 'expandDims', 'x');
  const a = axisArg(axis, [...t.shape, 1], 'expandDims');
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return reshape(t, shape);
}

/**
 * Merges the axes from `startAxis` on into one (PyTorch's `flatten`; the `Flatten` bridge from
 * [m, C, H, W] to [m, C·H·W] is `flatten(x, 1)`).
 * @example
 * ```ts
 * flatten(zeros([2, 3, 4])).shape;    // [24]
 * flatten(zeros([2, 3, 4]), 1).shape; // [2, 12]
 * ```
 * @param x - input
 * @param startAxis - the first axis merged (default 0)
 * @throws ShapeError when `startAxis` is out of range
 */
export function flatten(x: Tensor, startAxis = 0): Tensor {
  const t = toTensor(x, 'flatten', 'x');
  if (t.rank === 0) return reshape(t, [1]);
  const a = axisArg(startAxis, t.shape, 'flatten', 'startAxis');
  return reshape(t, [...t.shape.slice(0, a), span(t.shape, a)]);
}

// ---------------------------------------------------------------------------------------------
// Slicing and padding

/**
 * The box of `x` that starts at `begin` and extends `size` (TF.js `slice`). A `size` of −1
 * runs to the end of that axis; `begin` and `size` may be shorter than the rank (the rest is
 * 0 and −1) or a single number (for the first axis).
 *
 * Backward: the gradient is padded back with zeros to the input's shape (`pad`, whose own rule
 * is a slice).
 * @example
 * ```ts
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 2]).toArray(); // [[2, 3], [5, 6]]
 * slice(X, [0, 0], [-1, 1]);  // the first column (example) of a batch X [784, m]
 * ```
 * @param x - input
 * @param begin - start index per axis
 * @param size - extent per axis, −1 for "to the end" (default: to the end on every axis)
 * @throws ShapeError when the box leaves the tensor or the lists are longer than the rank
 * @throws DTypeError when `begin` or `size` is not an integer or list of integers
 */
export function slice(x: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = toTensor(x, 'slice', 'x');
  const b = typeof begin === 'number' && Number.isInteger(begin) ? [begin] : intListArg(begin, 'slice', 'begin');
  const s = size === undefined ? [] : typeof size === 'number' && Number.isInteger(size) ? [size] : intListArg(size, 'slice', 'size');
  if (b.length > t.rank || s.length > t.rank) {
    throw new ShapeError('slice', `begin ${formatShape(b)} and size ${formatShape(s)} must not be longer than the rank of ${formatShape(t.shape)}`, [t.shape]);
  }
  const fullBegin = t.shape.map((_, d) => b[d] ?? 0);
  const fullSize = t.shape.map((dim, d) => {
    const v = s[d] ?? -1;
    return v === -1 ? dim - fullBegin[d]! : v;
  });
  for (let d = 0; d < t.rank; d++) {
    const dim = t.shape[d]!;
    if (fullBegin[d]! < 0 || fullBegin[d]! > dim || fullSize[d]! < 0 || fullBegin[d]! + fullSize[d]! > dim) {
      throw new ShapeError(
        'slice',
        `begin ${formatShape(fullBegin)} and size ${formatShape(s.length ? s : [-1])} leave ${formatShape(t.shape)} on axis ${d}`,
        [t.shape],
      );
    }
  }
  return sliceBox(t, fullBegin, fullSize);
}

/**
 * slice with full-rank, already checked `begin` and `size` (the rules use it).
 * @param t - input
 * @param begin - start per axis
 * @param size - extent per axis
 */
export function sliceBox(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  return apply('slice', [t], [...size], { begin: [...begin], size: [...size] });
}

/**
 * Pads `x` with `value` (TF.js `pad`): `paddings[d] = [before, after]` elements on each side of
 * axis `d`.
 *
 * Backward: the gradient is the slice of the incoming gradient where `x` sits.
 * @example
 * ```ts
 * pad(tensor([[1, 2]]), [[1, 0], [0, 1]]).toArray(); // [[0, 0, 0], [1, 2, 0]]
 * ```
 * @param x - input
 * @param paddings - one `[before, after]` pair of non-negative integers per axis
 * @param value - the fill value (default 0)
 * @throws ShapeError when `paddings` does not have one pair per axis or holds a negative count
 * @throws DTypeError when `paddings` or `value` has the wrong type
 */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  const t = toTensor(x, 'pad', 'x');
  if (!Array.isArray(paddings) || !paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v)))) {
    throw new DTypeError('pad', `argument 'paddings' must be an array of [before, after] integer pairs, got ${describeValue(paddings)}`);
  }
  if (typeof value !== 'number') throw new DTypeError('pad', `argument 'value' must be a number, got ${describeValue(value)}`);
  if (paddings.length !== t.rank || paddings.some(([p, q]) => p < 0 || q < 0)) {
    throw new ShapeError('pad', `paddings ${JSON.stringify(paddings)} must hold one pair of non-negative counts per axis of ${formatShape(t.shape)}`, [t.shape]);
  }
  return padFrame(t, paddings, value);
}

/**
 * pad with checked paddings (the rules use it).
 * @param t - input
 * @param paddings - `[before, after]` per axis
 * @param value - fill value
 */
export function padFrame(t: Tensor, paddings: readonly (readonly [number, number])[], value: number): Tensor {
  const shape = t.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  return apply('pad', [t], shape, { paddings: paddings.map(([p, q]) => [p, q] as const), value });
}

// ---------------------------------------------------------------------------------------------
// Joining and splitting

function tensorList(tensors: unknown, op: string): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new DTypeError(op, `argument 'tensors' must be a non-empty array of tensors, got ${describeValue(tensors)}`);
  }
  return tensors.map((t, i) => toTensor(t, op, `tensors[${i}]`));
}

/**
 * Joins tensors along an existing axis (TF.js `concat`); all other dimensions must agree.
 *
 * Backward: each input's gradient is its slice of the incoming gradient.
 * @example
 * ```ts
 * concat([tensor([[1], [2]]), tensor([[3], [4]])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 * @param tensors - one or more tensors of equal rank
 * @param axis - the axis to join along (default 0)
 * @throws ShapeError when ranks or the dimensions off `axis` differ, or `axis` is out of range
 * @throws DTypeError when `tensors` is not an array of tensors
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  const ts = tensorList(tensors, 'concat');
  const first = ts[0]!;
  if (first.rank === 0) throw new ShapeError('concat', 'cannot concatenate 0-d tensors (use stack)', ts.map((t) => t.shape));
  const a = axisArg(axis, first.shape, 'concat');
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(
        'concat',
        `shapes ${ts.map((u) => formatShape(u.shape)).join(', ')} differ off axis ${a}`,
        ts.map((u) => u.shape),
      );
    }
  }
  if (ts.length === 1) return first;
  const shape = [...first.shape];
  shape[a] = ts.reduce((n, t) => n + t.shape[a]!, 0);
  return apply('concat', ts, shape, { axis: a });
}

/**
 * Stacks tensors of one shape along a new axis (TF.js `stack`), as `concat` of `expandDims`.
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 * @param tensors - one or more tensors of equal shape
 * @param axis - where the new axis goes (default 0)
 * @throws ShapeError when the shapes differ or `axis` is out of range
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const ts = tensorList(tensors, 'stack');
  const first = ts[0]!;
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((d, i) => d !== first.shape[i])) {
      throw new ShapeError('stack', `shapes ${ts.map((u) => formatShape(u.shape)).join(', ')} differ`, ts.map((u) => u.shape));
    }
  }
  const a = axisArg(axis, [...first.shape, 1], 'stack');
  return concat(ts.map((t) => expandDims(t, a)), a);
}

/**
 * Splits `x` along `axis` into equal parts or parts of the given sizes (TF.js `split`; one
 * size may be −1, inferred).
 * @example
 * ```ts
 * split(tensor([1, 2, 3, 4]), 2).map((t) => t.toArray());      // [[1, 2], [3, 4]]
 * split(tensor([1, 2, 3, 4]), [1, -1]).map((t) => t.toArray()); // [[1], [2, 3, 4]]
 * ```
 * @param x - input
 * @param countOrSizes - the number of equal parts, or the size of each part
 * @param axis - the axis split (default 0)
 * @throws ShapeError when the count does not divide the axis or the sizes do not add up to it
 */
export function split(x: Tensor, countOrSizes: number | readonly number[], axis = 0): Tensor[] {
  const t = toTensor(x, 'split', 'x');
  const a = axisArg(axis, t.shape, 'split');
  const dim = t.shape[a]!;
  let sizes: number[];
  if (typeof countOrSizes === 'number') {
    if (!Number.isInteger(countOrSizes) || countOrSizes < 1 || dim % countOrSizes !== 0) {
      throw new ShapeError('split', `${countOrSizes} parts do not divide axis ${a} of ${formatShape(t.shape)}`, [t.shape]);
    }
    sizes = new Array<number>(countOrSizes).fill(dim / countOrSizes);
  } else {
    sizes = intListArg(countOrSizes, 'split', 'countOrSizes');
    const free = sizes.indexOf(-1);
    if (free >= 0 && sizes.indexOf(-1, free + 1) < 0) sizes[free] = dim - sizes.reduce((n, s, i) => (i === free ? n : n + s), 0);
    if (sizes.some((s) => s < 0) || sizes.reduce((n, s) => n + s, 0) !== dim) {
      throw new ShapeError('split', `sizes ${formatShape(countOrSizes as number[])} do not add up to axis ${a} of ${formatShape(t.shape)}`, [t.shape]);
    }
  }
  let offset = 0;
  return sizes.map((s) => {
    const begin = t.shape.map((_, d) => (d === a ? offset : 0));
    offset += s;
    return sliceBox(t, begin, t.shape.map((d, i) => (i === a ? s : d)));
  });
}

/**
 * The slices of `x` along `axis`, each with that axis removed (TF.js `unstack`).
 * @example
 * ```ts
 * unstack(tensor([[1, 2], [3, 4]]), 1).map((t) => t.toArray()); // [[1, 3], [2, 4]]
 * ```
 * @param x - input of rank ≥ 1
 * @param axis - the axis taken apart (default 0)
 * @throws ShapeError when `axis` is out of range
 */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  const t = toTensor(x, 'unstack', 'x');
  const a = axisArg(axis, t.shape, 'unstack');
  const shape = t.shape.filter((_, i) => i !== a);
  return split(t, t.shape[a]!, a).map((p) => reshape(p, shape));
}

// ---------------------------------------------------------------------------------------------
// Gathering

/** Flat integer indices and their shape, from a list, an Int32Array or a tensor. */
function indexList(indices: unknown, op: string, arg: string): { flat: number[]; shape: number[] } {
  let flat: number[];
  let shape: number[];
  if (indices instanceof Tensor) {
    flat = Array.from(indices.data);
    shape = [...indices.shape];
  } else if (Array.isArray(indices) || indices instanceof Int32Array) {
    flat = Array.from(indices as ArrayLike<number>);
    shape = [flat.length];
  } else {
    throw new DTypeError(op, `argument '${arg}' must be an array of integers, an Int32Array or a tensor, got ${describeValue(indices)}`);
  }
  const bad = flat.find((v) => !Number.isInteger(v));
  if (bad !== undefined) throw new DTypeError(op, `argument '${arg}' must hold integers, got ${typeof bad === 'number' ? bad : describeValue(bad)}`);
  return { flat, shape };
}

/**
 * Takes the slices `indices` of `x` along `axis` (TF.js `gather`): the output's shape is
 * `x.shape` with axis `axis` replaced by the indices' shape.
 *
 * Backward: the gradient is added back into the gathered rows (a scatter-add, whose own rule
 * is a gather), so repeated indices accumulate.
 * @example
 * ```ts
 * gather(tensor([[1, 2], [3, 4], [5, 6]]), [2, 0]).toArray(); // [[5, 6], [1, 2]]
 * gather(X, [0], 1);  // the first example (column) of a batch X [784, m], shape [784, 1]
 * ```
 * @param x - input
 * @param indices - integer indices into axis `axis`: `number[]`, `Int32Array` or a tensor
 * @param axis - the axis indexed (default 0)
 * @throws ShapeError when an index or `axis` is out of range
 * @throws DTypeError when an index is not an integer
 */
export function gather(x: Tensor, indices: readonly number[] | Int32Array | Tensor, axis = 0): Tensor {
  const t = toTensor(x, 'gather', 'x');
  const a = axisArg(axis, t.shape, 'gather');
  const { flat, shape } = indexList(indices, 'gather', 'indices');
  const dim = t.shape[a]!;
  const bad = flat.find((i) => i < 0 || i >= dim);
  if (bad !== undefined) throw new ShapeError('gather', `index ${bad} out of range for axis ${a} of size ${dim} in ${formatShape(t.shape)}`, [t.shape]);
  return gatherRows(t, flat, shape, a);
}

/**
 * gather with checked indices (the rules use it).
 * @param t - input
 * @param indices - flat indices
 * @param indexShape - their shape
 * @param axis - the axis indexed
 */
export function gatherRows(t: Tensor, indices: readonly number[], indexShape: Shape, axis: number): Tensor {
  const shape = [...t.shape.slice(0, axis), ...indexShape, ...t.shape.slice(axis + 1)];
  return apply('gather', [t], shape, { axis, indices, indexShape });
}

/**
 * gather's adjoint: `g`'s slices added into rows `indices` of a zero tensor with `size` rows
 * along `axis`. Internal to the rule table.
 * @param g - shaped like gather's output
 * @param indices - flat indices
 * @param indexShape - their shape
 * @param axis - the axis indexed
 * @param size - the length of that axis in gather's input
 */
export function scatterAdd(g: Tensor, indices: readonly number[], indexShape: Shape, axis: number, size: number): Tensor {
  const r = indexShape.length;
  const shape = [...g.shape.slice(0, axis), size, ...g.shape.slice(axis + r)];
  return apply('scatterAdd', [g], shape, { axis, indices, indexShape, size });
}

/**
 * One-hot rows (TF.js `oneHot`): `labels` [n] → [n, depth], 1 at each label's column. No
 * gradient (labels are data).
 *
 * NOTE: as in TF.js, a label outside `0 … depth−1` gives a row of zeros. The Dense layers take
 * examples as columns: their targets are `oneHot(labels, 10).transpose()` ([10, m]).
 * @example
 * ```ts
 * oneHot([1, 0], 3).toArray(); // [[0, 1, 0], [1, 0, 0]]
 * ```
 * @param labels - integer labels: `number[]`, `Int32Array` or a tensor (any shape)
 * @param depth - the number of classes
 * @throws DTypeError when a label is not an integer or `depth` is not a positive integer
 */
export function oneHot(labels: readonly number[] | Int32Array | Tensor, depth: number): Tensor {
  const { flat, shape } = indexList(labels, 'oneHot', 'labels');
  if (!Number.isInteger(depth) || depth < 1) throw new DTypeError('oneHot', `argument 'depth' must be a positive integer, got ${typeof depth === 'number' ? depth : describeValue(depth)}`);
  const data = new Float64Array(flat.length * depth);
  flat.forEach((l, i) => {
    if (l >= 0 && l < depth) data[i * depth + l] = 1;
  });
  return fromData(data, [...shape, depth]);
}
