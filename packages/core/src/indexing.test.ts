/**
 * Slicing, joining, gathering, reshapes and N-D matmul on hand-checked cases, most translated
 * from TensorFlow.js's own op tests (each names its file and test), gradients against the
 * values TF.js expects, and one typed error per bad input. Values are small integers, so
 * equality is exact.
 */
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  type Tensor,
  concat,
  expandDims,
  flatten,
  fromData,
  gather,
  matmul,
  matmulT,
  ones,
  oneHot,
  randn,
  trace,
  pad,
  slice,
  split,
  squeeze,
  stack,
  tensor,
  unstack,
  zeros,
} from './index.ts';

/** A tensor of the given shape from flat values (TF.js's `tf.tensor(values, shape)`). */
function t(values: number[], shape: number[], requiresGrad = false): Tensor {
  return fromData(Float64Array.from(values), shape, { requiresGrad });
}

/** ∂⟨f(x), dy⟩/∂x: the gradient TF.js's `tf.grad(f)(x, dy)` returns. */
function gradAt(f: (x: Tensor) => Tensor, x: Tensor, dy: Tensor): Tensor {
  const leaf = t([...x.data], [...x.shape], true);
  f(leaf).backward(dy);
  return leaf.grad!;
}

const cube = (): Tensor => t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);

describe('slice: TF.js cases', () => {
  it('slices 2x2x2 into 2x1x1 with no size', () => {
    // tfjs-core/src/ops/slice_test.ts: 'slices 2x2x2 array into 2x1x1 no size'
    const r = cube().slice([0, 1, 1]);
    expect(r.shape).toEqual([2, 1, 1]);
    expect([...r.data]).toEqual([4, 8]);
  });

  it('takes a scalar begin for the first axis', () => {
    // tfjs-core/src/ops/slice_test.ts: 'slices 2x2x2 array into 1x2x2 with scalar begin no size'
    const r = slice(cube(), 1);
    expect(r.shape).toEqual([1, 2, 2]);
    expect([...r.data]).toEqual([5, 6, 7, 8]);
  });

  it('takes begin shorter than the rank, and size −1 as "to the end"', () => {
    // tfjs-core/src/ops/slice_test.ts: 'slices 2x2x2 array using 2d size and 2d size'
    expect([...slice(cube(), [0, 1]).data]).toEqual([3, 4, 7, 8]);
    // tfjs-core/src/ops/slice_test.ts: 'slices 2x2x2 array using negative size'
    const r = slice(cube(), [0, 1], [-1, 1]);
    expect(r.shape).toEqual([2, 1, 2]);
    expect([...r.data]).toEqual([3, 4, 7, 8]);
    // tfjs-core/src/ops/slice_test.ts: 'slices 2x2x2 array using 1d size'
    expect([...slice(cube(), 0, 1).data]).toEqual([1, 2, 3, 4]);
  });

  it('returns the rectangle asked for', () => {
    // tfjs-core/src/ops/slice2d_test.ts: 'returns the rectangle specified'
    const a = t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
    expect([...slice(a, [1, 1], [3, 2]).data]).toEqual([5, 6, 8, 9, 11, 12]);
  });

  it('slices an already sliced tensor', () => {
    // tfjs-core/src/ops/slice2d_test.ts: 'slice an already sliced tensor, first was not continous'
    const a = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    const c = slice(slice(a, [0, 1]), [1, 1], [1, 1]);
    expect(c.shape).toEqual([1, 1]);
    expect([...c.data]).toEqual([7]);
  });

  it('slices 5-D tensors', () => {
    // tfjs-core/src/ops/slice_test.ts: 'slices 2x2x2x2x2 array into 2x1x1x1x1 starting at [0,1,1,1,1]'
    const a = t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 11, 22, 33, 44, 55, 66, 77, 88, 111, 222, 333, 444, 555, 666, 777, 888], [2, 2, 2, 2, 2]);
    const r = slice(a, [0, 1, 1, 1, 1], [2, 1, 1, 1, 1]);
    expect(r.shape).toEqual([2, 1, 1, 1, 1]);
    expect([...r.data]).toEqual([16, 888]);
  });

  it('has a gradient that is the incoming gradient padded with zeros', () => {
    // tfjs-core/src/ops/slice2d_test.ts: 'grad'
    const da = gradAt((x) => slice(x, [0, 1], [2, 1]), tensor([[1, 2, 3], [4, 5, 6]]), tensor([[20], [50]]));
    expect(da.shape).toEqual([2, 3]);
    expect([...da.data]).toEqual([0, 20, 0, 0, 50, 0]);
  });

  it('takes an example (column) out of a column batch', () => {
    const X = tensor([[1, 2, 3], [4, 5, 6]]); // [features 2, m 3]
    expect(slice(X, [0, 1], [-1, 1]).toArray()).toEqual([[2], [5]]);
  });
});

describe('slice: bad input', () => {
  it('throws when begin is negative', () => {
    // tfjs-core/src/ops/slice_test.ts: 'throws when begin is negative'
    expect(() => slice(tensor([[1, 2], [3, 4]]), [-1, 1], [1, 1])).toThrow(/^slice: begin \[-1,1\] and size \[1,1\] leave \[2,2\] on axis 0$/);
  });

  it('throws when the box leaves the tensor', () => {
    // tfjs-core/src/ops/slice2d_test.ts: 'throws when requesting out of bounds slice'
    expect(() => slice(t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]), [1, 1], [10, 10])).toThrow(ShapeError);
  });

  it('throws when begin is longer than the rank', () => {
    expect(() => slice(ones([2]), [0, 0])).toThrow(/^slice: begin \[0,0\] and size \[\] must not be longer than the rank of \[2\]$/);
  });

  it('throws a DTypeError for a non-integer begin or size, or a tensor', () => {
    expect(() => slice(ones([2]), [0.5])).toThrow(/^slice: argument 'begin' must be an array of integers, got an array of length 1$/);
    expect(() => slice(ones([2]), tensor([0]) as unknown as number[])).toThrow(/^slice: argument 'begin' must be an array of integers, got Tensor$/);
    expect(() => slice(ones([2]), [0], ['1'] as unknown as number[])).toThrow(DTypeError);
  });

  it('throws when x is not a tensor', () => {
    // tfjs-core/src/ops/slice_test.ts: 'throws when passed a non-tensor'
    expect(() => slice({} as Tensor, 0, 0)).toThrow(/^slice: argument 'x' must be a Tensor or a number, got object$/);
  });
});

describe('pad: TF.js cases', () => {
  it('pads 1-D', () => {
    // tfjs-core/src/ops/pad_test.ts: 'Should pad 1D arrays'
    expect([...pad(t([1, 2, 3, 4, 5, 6], [6]), [[2, 3]]).data]).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0]);
  });

  it('pads 2-D', () => {
    // tfjs-core/src/ops/pad_test.ts: 'Should pad 2D arrays'
    expect([...pad(t([1, 2], [2, 1]), [[1, 1], [1, 1]]).data]).toEqual([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0]);
    expect([...pad(t([1, 2, 3, 4, 5, 6], [2, 3]), [[2, 2], [1, 1]]).data]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('pads with a constant value', () => {
    // tfjs-core/src/ops/pad_test.ts: 'Should pad 2D arrays' with a constant value, as in its 'pad4d' cases
    expect(pad(tensor([[1]]), [[1, 0], [0, 1]], 7).toArray()).toEqual([[7, 7], [1, 7]]);
  });

  it('has a gradient that is the slice where x sits (1-D and 2-D)', () => {
    // tfjs-core/src/ops/pad_test.ts: 'grad' (pad1d)
    expect([...gradAt((x) => pad(x, [[2, 1]]), t([1, 2, 3], [3]), t([10, 20, 30, 40, 50, 60], [6])).data]).toEqual([30, 40, 50]);
    // tfjs-core/src/ops/pad_test.ts: 'grad' (pad2d)
    const da = gradAt((x) => pad(x, [[1, 0], [0, 1]]), tensor([[1, 2], [3, 4]]), tensor([[0, 0, 0], [10, 20, 0], [30, 40, 0]]));
    expect([...da.data]).toEqual([10, 20, 30, 40]);
  });

  it('throws on paddings of the wrong length, negative counts or type', () => {
    expect(() => pad(ones([2, 2]), [[1, 1]])).toThrow(/^pad: paddings \[\[1,1\]\] must hold one pair of non-negative counts per axis of \[2,2\]$/);
    expect(() => pad(ones([2]), [[-1, 0]])).toThrow(ShapeError);
    expect(() => pad(ones([2]), [1, 1] as unknown as [number, number][])).toThrow(/^pad: argument 'paddings' must be an array of \[before, after\] integer pairs/);
    expect(() => pad(ones([2]), [[0, 0]], tensor(1) as unknown as number)).toThrow(/^pad: argument 'value' must be a number, got Tensor$/);
  });
});

describe('concat: TF.js cases', () => {
  it('joins 1-D tensors', () => {
    // tfjs-core/src/ops/concat_test.ts: '3 + 5 + 7 + 9'
    expect([...concat([t([3], [1]), t([5], [1]), t([7], [1]), t([9], [1])]).data]).toEqual([3, 5, 7, 9]);
    // tfjs-core/src/ops/concat_test.ts: '3 + [5,7]'
    expect([...concat([t([3], [1]), t([5, 7], [2])]).data]).toEqual([3, 5, 7]);
    // tfjs-core/src/ops/concat_test.ts: 'single tensor'
    expect([...concat([t([3], [1])]).data]).toEqual([3]);
  });

  it('joins 3-D tensors along axis 0 and axis 2', () => {
    // tfjs-core/src/ops/concat_test.ts: 'concat axis=0'
    const a = concat([t([1, 11, 111, 2, 22, 222], [1, 2, 3]), t([5, 55, 555, 6, 66, 666, 7, 77, 777, 8, 88, 888], [2, 2, 3])], 0);
    expect(a.shape).toEqual([3, 2, 3]);
    expect([...a.data]).toEqual([1, 11, 111, 2, 22, 222, 5, 55, 555, 6, 66, 666, 7, 77, 777, 8, 88, 888]);
    // tfjs-core/src/ops/concat_test.ts: 'concat axis=2'
    const b = concat([t([1, 11, 2, 22, 3, 33, 4, 44], [2, 2, 2]), t([5, 55, 555, 6, 66, 666, 7, 77, 777, 8, 88, 888], [2, 2, 3])], 2);
    expect(b.shape).toEqual([2, 2, 5]);
    expect([...b.data]).toEqual([1, 11, 5, 55, 555, 2, 22, 6, 66, 666, 3, 33, 7, 77, 777, 4, 44, 8, 88, 888]);
  });

  it('joins tensors with a zero-size dimension', () => {
    // tfjs-core/src/ops/concat_test.ts: 'concat tensors with 0 in their shape'
    const r = concat([t([1, 2, 3, 4, 5, 6], [2, 3, 1]), zeros([0, 3, 1])], 0);
    expect(r.shape).toEqual([2, 3, 1]);
    expect([...r.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives each input its slice of the gradient', () => {
    // tfjs-core/src/ops/concat_test.ts: 'gradient concat axis=0'
    const x1 = t([1, 11, 2, 22], [1, 2, 2], true);
    const x2 = t([5, 55, 6, 66, 7, 77, 8, 88], [2, 2, 2], true);
    concat([x1, x2], 0).backward(t([66, 6, 55, 5, 44, 4, 33, 3, 22, 2, 11, 1], [3, 2, 2]));
    expect([...x1.grad!.data]).toEqual([66, 6, 55, 5]);
    expect([...x2.grad!.data]).toEqual([44, 4, 33, 3, 22, 2, 11, 1]);
  });

  it('throws when the shapes differ off the axis, ranks differ, or the axis is out of range', () => {
    expect(() => concat([ones([2, 3]), ones([2, 4])], 0)).toThrow(/^concat: shapes \[2,3\], \[2,4\] differ off axis 0$/);
    expect(() => concat([ones([2, 3]), ones([3])], 0)).toThrow(ShapeError);
    expect(() => concat([ones([2, 3]), ones([2, 3])], 2)).toThrow(/^concat: axis 2 out of range for shape \[2,3\]$/);
    expect(() => concat([tensor(1), tensor(2)])).toThrow(/^concat: cannot concatenate 0-d tensors \(use stack\)$/);
  });

  it('throws a DTypeError for an empty list, a non-tensor element or a tensor axis', () => {
    expect(() => concat([])).toThrow(/^concat: argument 'tensors' must be a non-empty array of tensors, got an array of length 0$/);
    expect(() => concat([ones([1]), [2] as unknown as Tensor])).toThrow(/^concat: argument 'tensors\[1\]' must be a Tensor or a number/);
    expect(() => concat([ones([1])], tensor(0) as unknown as number)).toThrow(/^concat: argument 'axis' must be an integer axis, got Tensor$/);
  });
});

describe('stack, unstack, split: TF.js cases', () => {
  it('stacks scalars and vectors along axis 0 and 1', () => {
    // tfjs-core/src/ops/stack_test.ts: 'scalars 3, 5 and 7'
    expect(stack([tensor(3), tensor(5), tensor(7)]).toArray()).toEqual([3, 5, 7]);
    // tfjs-core/src/ops/stack_test.ts: '[1,2], [3,4] and [5,6], axis=0'
    expect([...stack([tensor([1, 2]), tensor([3, 4]), tensor([5, 6])], 0).data]).toEqual([1, 2, 3, 4, 5, 6]);
    // tfjs-core/src/ops/stack_test.ts: '[1,2], [3,4] and [5,6], axis=1'
    const r = stack([tensor([1, 2]), tensor([3, 4]), tensor([5, 6])], 1);
    expect(r.shape).toEqual([2, 3]);
    expect([...r.data]).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('throws when stacking mismatched shapes or along an axis past the rank', () => {
    // tfjs-core/src/ops/stack_test.ts: 'non matching shapes throws error'
    expect(() => stack([tensor(3), tensor([5])])).toThrow(/^stack: shapes \[\], \[1\] differ$/);
    // tfjs-core/src/ops/stack_test.ts: 'scalars 3, 5 and 7 along axis=1 throws error'
    expect(() => stack([tensor(3), tensor(5), tensor(7)], 1)).toThrow(ShapeError);
    // tfjs-core/src/ops/stack_test.ts: '2d but axis=3 throws error'
    expect(() => stack([zeros([2, 2]), zeros([2, 2])], 3)).toThrow(/^stack: axis 3 out of range for shape \[2,2,1\]$/);
  });

  it('unstacks along axis 0 and 1', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    // tfjs-core/src/ops/unstack_test.ts: 'unstack by default'
    expect(unstack(x).map((p) => p.toArray())).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    // tfjs-core/src/ops/unstack_test.ts: 'unstack by axis=1'
    expect(unstack(x, 1).map((p) => p.toArray())).toEqual([[1, 5], [2, 6], [3, 7], [4, 8]]);
  });

  it('gives unstack a gradient only on the part used', () => {
    // tfjs-core/src/ops/unstack_test.ts: 'grad of unstack axis=0'
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect([...gradAt((v) => unstack(v)[0]!, x, ones([3])).data]).toEqual([1, 1, 1, 0, 0, 0]);
    expect([...gradAt((v) => unstack(v)[1]!, x, ones([3])).data]).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('splits by count, by sizes and with −1', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    // tfjs-core/src/ops/split_test.ts: 'split by number'
    expect(split(x, 2, 1).map((p) => [...p.data])).toEqual([[1, 2, 5, 6], [3, 4, 7, 8]]);
    // tfjs-core/src/ops/split_test.ts: 'split by sizes'
    expect(split(x, [1, 2, 1], 1).map((p) => [...p.data])).toEqual([[1, 5], [2, 3, 6, 7], [4, 8]]);
    // tfjs-core/src/ops/split_test.ts: 'should support -1 split'
    const parts = x.split([1, 1, -1], 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 1], [2, 1], [2, 2]]);
    expect([...parts[2]!.data]).toEqual([3, 4, 7, 8]);
  });

  it('gives split a gradient only on the part used', () => {
    // tfjs-core/src/ops/split_test.ts: 'gradient of 1st output'
    expect([...gradAt((x) => split(x, [1, 2])[0]!, t([1, 2, 3], [3]), ones([1])).data]).toEqual([1, 0, 0]);
    // tfjs-core/src/ops/split_test.ts: 'gradient of 2nd output'
    expect([...gradAt((x) => split(x, [1, 2])[1]!, t([1, 2, 3], [3]), ones([2])).data]).toEqual([0, 1, 1]);
  });

  it('throws on bad split sizes and counts', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    // tfjs-core/src/ops/split_test.ts: 'multiple negative number throws error'
    expect(() => split(x, [1, -1, -1], 1)).toThrow(ShapeError);
    // tfjs-core/src/ops/split_test.ts: 'sizes to not sum to axis size throws error'
    expect(() => split(x, [1, 2], 1)).toThrow(/^split: sizes \[1,2\] do not add up to axis 1 of \[2,4\]$/);
    // tfjs-core/src/ops/split_test.ts: 'number of splits does not evenly divide axis'
    expect(() => split(x, 3, 1)).toThrow(/^split: 3 parts do not divide axis 1 of \[2,4\]$/);
  });

  it('throws when unstack gets an invalid axis', () => {
    // tfjs-core/src/ops/unstack_test.ts: 'throws when passed an invalid axis'
    expect(() => unstack(ones([2, 2]), 2)).toThrow(/^unstack: axis 2 out of range for shape \[2,2\]$/);
  });
});

describe('gather and oneHot: TF.js cases', () => {
  it('gathers with scalar, 1-D and 2-D indices on a 1-D tensor', () => {
    const x = t([1, 2, 3], [3]);
    // tfjs-core/src/ops/gather_test.ts: '1D (gather), scalar indices'
    const s = gather(x, tensor(1));
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(2);
    // tfjs-core/src/ops/gather_test.ts: '1D (gather), 1D indices'
    expect([...gather(x, [0, 2, 0, 1]).data]).toEqual([1, 3, 1, 2]);
    // tfjs-core/src/ops/gather_test.ts: '1D (gather), 2D indices'
    const m = gather(x, t([0, 2, 0, 1], [1, 4]));
    expect(m.shape).toEqual([1, 4]);
    expect([...m.data]).toEqual([1, 3, 1, 2]);
  });

  it('gathers along either axis of a matrix', () => {
    const x = t([1, 11, 2, 22], [2, 2]);
    // tfjs-core/src/ops/gather_test.ts: '2D (gather), 1D indices'
    expect([...gather(x, new Int32Array([1, 0, 0, 1]), 0).data]).toEqual([2, 22, 1, 11, 1, 11, 2, 22]);
    const c = gather(x, [1, 0, 0, 1], 1);
    expect(c.shape).toEqual([2, 4]);
    expect([...c.data]).toEqual([11, 1, 1, 11, 22, 2, 2, 22]);
    // tfjs-core/src/ops/gather_test.ts: '2D (gather), 2D indices'
    const d = gather(x, t([1, 0, 0, 1], [2, 2]), 1);
    expect(d.shape).toEqual([2, 2, 2]);
    expect([...d.data]).toEqual([11, 1, 1, 11, 22, 2, 2, 22]);
  });

  it('gathers along the last axis of a 3-D tensor', () => {
    // tfjs-core/src/ops/gather_test.ts: '3D (gather), 1D indices'
    const r = gather(cube(), [1, 0, 0, 1], 2);
    expect(r.shape).toEqual([2, 2, 4]);
    expect([...r.data]).toEqual([2, 1, 1, 2, 4, 3, 3, 4, 6, 5, 5, 6, 8, 7, 7, 8]);
  });

  it('adds the gradients of repeated indices', () => {
    // tfjs-core/src/ops/gather_test.ts: 'gradient 1D (gather), 1D indices'
    const dx = gradAt((x) => gather(x, [0, 2, 0, 1]), t([1, 2, 3], [3]), t([3, 4, 5, 6], [4]));
    expect([...dx.data]).toEqual([8, 6, 4]);
    // tfjs-core/src/ops/gather_test.ts: 'gradient 2D (gather) axis=1 shape=[2, 2] 1D indices'
    const dy = gradAt((x) => gather(x, [1, 0, 0, 1], 1), t([1, 11, 2, 22], [2, 2]), t([3, 4, 5, 6, 7, 8, 9, 10], [2, 4]));
    expect([...dy.data]).toEqual([9, 9, 17, 17]);
  });

  it('throws on out-of-range and non-integer indices', () => {
    // tfjs-core/src/ops/gather_test.ts: 'throws when index is out of bound'
    expect(() => gather(t([1, 11, 2, 22], [2, 2]), [100])).toThrow(/^gather: index 100 out of range for axis 0 of size 2 in \[2,2\]$/);
    expect(() => gather(t([1, 11, 2, 22], [2, 2]), [-1])).toThrow(ShapeError);
    expect(() => gather(t([1, 2, 3], [3]), [0.5])).toThrow(/^gather: argument 'indices' must hold integers, got 0.5$/);
    expect(() => gather(t([1, 2, 3], [3]), 1 as unknown as number[])).toThrow(/^gather: argument 'indices' must be an array of integers, an Int32Array or a tensor, got number$/);
    expect(() => gather(t([1, 2, 3], [3]), [0], 1)).toThrow(/^gather: axis 1 out of range for shape \[3\]$/);
  });

  it('makes one-hot rows', () => {
    // tfjs-core/src/ops/one_hot_test.ts: 'Depth 2, diagonal'
    expect([...oneHot([0, 1], 2).data]).toEqual([1, 0, 0, 1]);
    // tfjs-core/src/ops/one_hot_test.ts: 'Depth 3, 4 events'
    const r = oneHot(new Int32Array([2, 1, 2, 0]), 3);
    expect(r.shape).toEqual([4, 3]);
    expect([...r.data]).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
    // tfjs-core/src/ops/one_hot_test.ts: 'Out of range events do not trigger onValue'
    expect([...oneHot([-1, 5, 12345], 5).data]).toEqual(new Array(15).fill(0));
    // tfjs-core/src/ops/one_hot_test.ts: 'oneHot with indices as 2d'
    expect(oneHot(t([2, 3, 1, 1], [2, 2]), 4).shape).toEqual([2, 2, 4]);
  });

  it('throws when oneHot gets non-integer labels or a bad depth', () => {
    // tfjs-core/src/ops/one_hot_test.ts: 'indices not int32 throws error'
    expect(() => oneHot([0, 1.5], 2)).toThrow(/^oneHot: argument 'labels' must hold integers, got 1.5$/);
    expect(() => oneHot([0], 0)).toThrow(/^oneHot: argument 'depth' must be a positive integer, got 0$/);
  });
});

describe('squeeze, expandDims, flatten', () => {
  it('squeezes all size-1 axes or the listed ones', () => {
    // tfjs-core/src/ops/squeeze_test.ts: 'default'
    expect(squeeze(zeros([2])).shape).toEqual([2]);
    expect(squeeze(zeros([2, 1, 2])).shape).toEqual([2, 2]);
    expect(squeeze(zeros([1, 2, 1, 3, 1])).shape).toEqual([2, 3]);
    // tfjs-core/src/ops/squeeze_test.ts: 'specific dimension'
    expect(squeeze(zeros([1, 2, 1, 3, 1]), [2, 4]).shape).toEqual([1, 2, 3]);
    expect(squeeze(zeros([1, 2, 1, 3, 1]), [-3, -5]).shape).toEqual([2, 3, 1]);
    // tfjs-core/src/ops/squeeze_test.ts: 'all ones'
    expect(zeros([1, 1, 1]).squeeze().shape).toEqual([]);
    // tfjs-core/src/ops/squeeze_test.ts: 'squeeze only ones'
    expect(squeeze(zeros([1, 1, 3]), [1]).shape).toEqual([1, 3]);
    expect(() => squeeze(zeros([1, 1, 3]), [2])).toThrow(ShapeError);
  });

  it('expands and flattens', () => {
    // tfjs-core/src/ops/expand_dims_test.ts: 'scalar, default axis is 0'
    expect(expandDims(tensor(1)).shape).toEqual([1]);
    // tfjs-core/src/ops/expand_dims_test.ts: '1d, axis=-2', '1d, axis=-1', '1d, axis=1'
    expect(tensor([1, 2, 3]).expandDims(-2).shape).toEqual([1, 3]);
    expect(tensor([1, 2, 3]).expandDims(-1).shape).toEqual([3, 1]);
    expect(expandDims(tensor([1, 2, 3]), 1).shape).toEqual([3, 1]);
    // tfjs-core/src/ops/expand_dims_test.ts: 'scalar, axis is out of bounds throws error', '1d, axis=-3'
    expect(() => expandDims(tensor(1), 1)).toThrow(ShapeError);
    expect(() => expandDims(tensor([1, 2, 3]), -3)).toThrow(ShapeError);
    expect(flatten(zeros([2, 3, 4])).shape).toEqual([24]);
    expect(flatten(zeros([2, 3, 4]), 1).shape).toEqual([2, 12]);
    expect(flatten(zeros([2, 3, 4]), -1).shape).toEqual([2, 3, 4]);
    expect(tensor(5).flatten().shape).toEqual([1]);
  });

  it('throws on an axis that is not of size 1 or out of range', () => {
    expect(() => squeeze(zeros([1, 3]), [1])).toThrow(/^squeeze: cannot squeeze axis 1 of size 3 in \[1,3\]$/);
    expect(() => squeeze(zeros([1, 3]), [2])).toThrow(/^squeeze: axis 2 out of range for shape \[1,3\]$/);
    expect(() => expandDims(zeros([2]), 2)).toThrow(/^expandDims: axis 2 out of range for shape \[2,1\]$/);
    expect(() => flatten(zeros([2]), 1)).toThrow(/^flatten: axis 1 out of range for shape \[2\]$/);
    expect(() => expandDims(zeros([2]), tensor(0) as unknown as number)).toThrow(/^expandDims: argument 'axis' must be an integer axis, got Tensor$/);
  });
});

describe('matmul, N-D: TF.js cases', () => {
  const batchA = [2, 1, 3, 2, 1, 1, 1, 5, 6, 7, 8, 1, 2, 2, 1, 9, 11, 10, 1, 1, 3, 2, 1, 1];
  const batchC = [2.5, 4, 1.5, 3.5, 9.5, 8.5, 3, 5.5, 16, 1.5, 4, 1.5];

  it('broadcasts unequal batch dimensions', () => {
    // tfjs-core/src/ops/mat_mul_test.ts: 'broadcast with unequal batch dims'
    const c = matmul(t(batchA, [4, 3, 2]), t([1, 0.5], [1, 2, 1]));
    expect(c.shape).toEqual([4, 3, 1]);
    expect([...c.data]).toEqual(batchC);
  });

  it('broadcasts unequal ranks', () => {
    // tfjs-core/src/ops/mat_mul_test.ts: 'broadcast with unequal ranks'
    const c = matmul(t(batchA, [1, 2, 2, 3, 2]), t([1, 0.5], [2, 1]));
    expect(c.shape).toEqual([1, 2, 2, 3, 1]);
    expect([...c.data]).toEqual(batchC);
  });

  it('multiplies when A has more batch dimensions than B', () => {
    // tfjs-core/src/ops/mat_mul_test.ts: 'A has more batch dimensions than B'
    const c = matmul(t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [2, 2, 2, 2]), t([1, 2, 3, 4], [2, 2, 1]));
    expect([...c.data]).toEqual([5, 11, 39, 53, 29, 35, 95, 109]);
  });

  it('broadcasts a batch of one against a matrix', () => {
    // tfjs-core/src/ops/mat_mul_test.ts: 'broadcast batch shape'
    const c = matmul(t([1, 2, 3, 4], [1, 2, 2]), t([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(c.shape).toEqual([1, 2, 3]);
    expect([...c.data]).toEqual([9, 12, 15, 19, 26, 33]);
  });

  it('takes vectors as NumPy does', () => {
    const a = tensor([1, 2]);
    const b = tensor([[1, 2], [3, 4]]);
    // tfjs-core/src/ops/mat_mul_test.ts: 'vector-vector' (tf.dot)
    expect(matmul(a, a).shape).toEqual([]);
    expect(matmul(a, a).item()).toBe(5);
    // tfjs-core/src/ops/mat_mul_test.ts: 'vector-matrix' (tf.dot)
    expect(matmul(a, b).toArray()).toEqual([7, 10]);
    // tfjs-core/src/ops/mat_mul_test.ts: 'matrix-vector' (tf.dot)
    expect(b.matmul(a).toArray()).toEqual([5, 11]);
  });

  it('multiplies batches of vectors-as-matrices', () => {
    // tfjs-core/src/ops/mat_mul_test.ts: 'batched matmul with the matrices being vectors' (small shared dim)
    const values = new Array<number>(3 * 4).fill(0);
    values[2] = 2;
    const c = matmul(t(values, [3, 1, 4]), t(values, [3, 4, 1]));
    expect(c.shape).toEqual([3, 1, 1]);
    expect([...c.data]).toEqual([4, 0, 0]);
  });

  it('sums the gradient of a broadcast operand over the batch', () => {
    const a = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], true);
    const b = t([1, 0, 0, 1], [2, 2], true);
    matmul(a, b).sum().backward();
    // ∂/∂B of Σ A_b·B = Σ_b A_bᵀ·1: column sums of both batches, added
    expect(b.grad!.toArray()).toEqual([[1 + 3 + 5 + 7, 1 + 3 + 5 + 7], [2 + 4 + 6 + 8, 2 + 4 + 6 + 8]]);
    expect(a.grad!.shape).toEqual([2, 2, 2]);
  });

  it('throws when batch dimensions do not broadcast or inner dimensions differ', () => {
    // tfjs-core/src/ops/mat_mul_test.ts: 'batch dimensions do not match'
    expect(() => matmul(ones([4, 3, 2]), ones([3, 2, 5]))).toThrow(/^matmul: batch dimensions cannot be broadcast: \[4,3,2\] @ \[3,2,5\]$/);
    // tfjs-core/src/ops/mat_mul_test.ts: 'throws error on incompatible dimensions' (tf.dot)
    expect(() => matmul(tensor([1, 2]), ones([3, 2]))).toThrow(/^matmul: inner dimensions differ: \[2\] @ \[3,2\]$/);
    expect(() => matmulT(ones([2, 3, 4]), ones([2, 3, 4]), false, false)).toThrow(/^matmul: inner dimensions differ: \[2,3,4\] @ \[2,3,4\]$/);
    expect(() => matmulT(ones([3]), ones([3, 2]), false, false)).toThrow(/^matmul: expected tensors of rank ≥ 2, got \[3\] @ \[3,2\]$/);
  });

  it('says how to take a row when an operand is undefined (a tensor indexed like an array)', () => {
    const W = ones([2, 3]);
    const X = ones([3, 4]);
    expect(() => matmul(W, (X as unknown as Tensor[])[0]!)).toThrow(
      /^matmul: argument 'b' must be a Tensor or a number, got undefined \(indexing a Tensor like an array gives undefined: take a row with slice\(x, \[i\], \[1\]\) or gather\(x, \[i\]\)\)$/,
    );
    expect(() => matmul(W, (X as unknown as Record<number, Tensor>)[0]!)).toThrow(DTypeError);
  });
});

describe('in a traced tape', () => {
  it('replays slice, pad, concat, gather and batched matmul on new data, as eager does', () => {
    const W = randn([2, 3, 4], { seed: 1, requiresGrad: true });
    const X = randn([4, 5], { seed: 2 });
    const f = (): Tensor => concat([gather(matmul(W, X), [1, 0, 1], 2), pad(slice(W, [0, 1], [-1, 2, -1]), [[0, 0], [1, 0], [0, 1]])], 2).square().sum();
    const tape = trace(f);
    X.data.set(randn([4, 5], { seed: 3 }).data);
    const replayed = tape.forward();
    tape.backward();
    const tapeGrad = [...W.grad!.data];
    W.zeroGrad();
    const eager = f();
    eager.backward();
    expect(replayed).toBe(eager.item());
    expect(tapeGrad).toEqual([...W.grad!.data]);
  });
});
