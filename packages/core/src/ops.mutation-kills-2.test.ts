/**
 * The argument checks of ops.ts pinned down where changing them (`pnpm mutate`) went unnoticed:
 * which permutations transpose rejects, reshape's checks of its target shape, sumTo's broadcast
 * check, the shapes every ShapeError carries (in argument order), the attributes a node records
 * (drawn by toDot), and the sorted axes a reduction resolves its `axis` argument to.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError, type Tensor, ones, tensor, toDot } from './index.ts';
import { broadcastTo, max, reluGrad, reshape, resolveAxes, sigmoidGrad, sum, sumTo, tanhGrad, transpose, where } from './ops.ts';

/** The ShapeError `call` throws (fails the test when it throws nothing or something else). */
function shapeErrorOf(call: () => unknown): ShapeError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(ShapeError);
    return e as ShapeError;
  }
  throw new Error('expected a ShapeError, nothing was thrown');
}

/** The label of the ellipse toDot draws for the op that made `t`, unescaped: `sum {"axes":[0,2]}`. */
function opLabel(t: Tensor): string {
  const label = /t0_op \[shape=ellipse, label="((?:[^"\\]|\\.)*)"\]/.exec(toDot(t))?.[1];
  expect(label).toBeDefined();
  return label!.replace(/\\(.)/g, '$1');
}

describe('transpose rejects what is not a permutation of the axes', () => {
  const x = ones([2, 3]);
  const rejected: [string, number[]][] = [
    ['an axis past the last', [0, 2]],
    ['a negative axis', [-1, 0]],
    ['a fractional axis', [0.5, 1]],
    ['a repeated axis', [1, 1]],
    ['too few axes', [0]],
    ['too many axes', [0, 1, 2]],
  ];
  for (const [what, perm] of rejected) {
    it(`throws on ${what}: ${JSON.stringify(perm)}`, () => {
      const e = shapeErrorOf(() => transpose(x, perm));
      expect(e.message).toBe(`transpose: perm [${perm.join(',')}] is not a permutation of the 2 axes of [2,3]`);
      expect(e.shapes).toEqual([[2, 3]]);
    });
  }

  it('names a perm that is not an array (a number, null, an object, a string) in the same ShapeError', () => {
    for (const [perm, shown] of [[5, '5'], [null, 'null'], [{ length: 2, 0: 1, 1: 0 }, '[object Object]'], ['10', '10']] as const) {
      const e = shapeErrorOf(() => transpose(x, perm as unknown as number[]));
      expect(e.message).toBe(`transpose: perm ${shown} is not a permutation of the 2 axes of [2,3]`);
    }
  });

  it('accepts every permutation of three axes, each output axis j being input axis perm[j]', () => {
    const t = ones([2, 3, 4]);
    for (const perm of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
      expect(transpose(t, perm).shape).toEqual(perm.map((p) => t.shape[p]));
    }
  });
});

describe('reshape checks its target shape', () => {
  const x = ones([2, 3]);

  it('throws a ShapeError when the shape is not an array', () => {
    const e = shapeErrorOf(() => reshape(x, 6 as unknown as number[]));
    expect(e.message).toBe('reshape: shape must be an array of integers, got 6');
  });

  it('names itself when a dimension is not a non-negative integer', () => {
    expect(shapeErrorOf(() => reshape(x, [1.5, 4])).message).toBe('reshape: shape [1.5,4] has an invalid dimension 1.5');
    expect(shapeErrorOf(() => reshape(x, [-2, -3])).message).toBe('reshape: shape [-2,-3] has an invalid dimension -2');
  });

  it('carries the input shape and the target as given in each error', () => {
    expect(shapeErrorOf(() => reshape(x, [-1, -1])).shapes).toEqual([[2, 3], [-1, -1]]);
    expect(shapeErrorOf(() => reshape(x, [4, -1])).shapes).toEqual([[2, 3], [4, -1]]);
    expect(shapeErrorOf(() => reshape(x, [4, 2])).shapes).toEqual([[2, 3], [4, 2]]);
  });

  it('throws when the known dimensions hold no elements, so -1 cannot be inferred', () => {
    const e = shapeErrorOf(() => reshape(ones([0, 3]), [0, -1]));
    expect(e.message).toBe('reshape: cannot reshape [0,3] (0 elements) to [0,-1]');
    expect(e.shapes).toEqual([[0, 3], [0, -1]]);
  });

  it('infers -1 in any position', () => {
    expect(reshape(x, [-1]).shape).toEqual([6]);
    expect(reshape(x, [3, -1]).shape).toEqual([3, 2]);
    expect(reshape(x, [1, 3, -1]).shape).toEqual([1, 3, 2]);
  });
});

describe('broadcastTo and sumTo check their target shape', () => {
  it('broadcastTo carries both shapes when the target is smaller than the input', () => {
    const e = shapeErrorOf(() => broadcastTo(ones([2, 3]), [3]));
    expect(e.message).toBe('broadcastTo: shape [2,3] cannot be broadcast to [3]');
    expect(e.shapes).toEqual([[2, 3], [3]]);
  });

  it('sumTo throws when the target has more axes than the input', () => {
    const e = shapeErrorOf(() => sumTo(ones([3]), [1, 3]));
    expect(e.message).toBe('sumTo: shape [1,3] does not broadcast to [3]');
    expect(e.shapes).toEqual([[3], [1, 3]]);
  });

  it('sumTo throws when a dimension of the target is neither 1 nor the input’s', () => {
    const e = shapeErrorOf(() => sumTo(ones([2, 3]), [2]));
    expect(e.message).toBe('sumTo: shape [2] does not broadcast to [2,3]');
    expect(e.shapes).toEqual([[2, 3], [2]]);
    expect(() => sumTo(ones([2, 3]), [2, 1, 3])).toThrow(/^sumTo: shape \[2,1,3\] does not broadcast to \[2,3\]$/);
  });

  it('sumTo sums down to size-1 and missing leading axes', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(sumTo(x, [2, 1]).toArray()).toEqual([[6], [15]]);
    expect(sumTo(x, [3]).toArray()).toEqual([5, 7, 9]);
    expect(sumTo(x, [1, 1]).toArray()).toEqual([[21]]);
  });
});

describe('reductions: axes and their errors', () => {
  it('resolves an axis list to sorted non-negative axes', () => {
    const t = ones([2, 3, 4]);
    expect(resolveAxes(t, [2, 0], 'sum')).toEqual([0, 2]);
    expect(resolveAxes(t, [-1, 1, 0], 'sum')).toEqual([0, 1, 2]);
    expect(resolveAxes(t, -2, 'sum')).toEqual([1]);
    expect(resolveAxes(t, undefined, 'sum')).toEqual([0, 1, 2]);
  });

  it('records the sorted axes on the node (drawn by toDot)', () => {
    const s = sum(ones([2, 3, 4], { requiresGrad: true }), [2, 0]);
    expect(opLabel(s)).toBe('sum {"axes":[0,2]}');
  });

  it('a repeated axis carries the input shape', () => {
    const e = shapeErrorOf(() => sum(ones([2, 3]), [1, -1]));
    expect(e.message).toBe('sum: repeated axis in [1,-1]');
    expect(e.shapes).toEqual([[2, 3]]);
  });

  it('max of an empty axis carries the input shape', () => {
    const e = shapeErrorOf(() => max(ones([2, 0]), 1));
    expect(e.message).toBe('max: cannot take the maximum of an empty axis of [2,0]');
    expect(e.shapes).toEqual([[2, 0]]);
  });
});

describe('nodes record their target shape (drawn by toDot)', () => {
  const leaf = (shape: number[]): Tensor => ones(shape, { requiresGrad: true });

  it('reshape', () => {
    expect(opLabel(reshape(leaf([2, 3]), [3, -1]))).toBe('reshape {"shape":[3,2]}');
  });

  it('broadcastTo', () => {
    expect(opLabel(broadcastTo(leaf([3]), [2, 3]))).toBe('broadcastTo {"shape":[2,3]}');
  });

  it('sumTo', () => {
    expect(opLabel(sumTo(leaf([2, 3]), [1, 3]))).toBe('sumTo {"shape":[1,3]}');
  });
});

describe('where names itself when the shapes cannot be broadcast', () => {
  it('the condition against a', () => {
    expect(() => where(ones([2]), ones([3]), 0)).toThrow(/^where: shapes \[2\] and \[3\] cannot be broadcast$/);
  });

  it('the condition and a together against b', () => {
    expect(() => where(ones([2]), 0, ones([3]))).toThrow(/^where: shapes \[2\] and \[3\] cannot be broadcast$/);
  });
});

describe('the fused rule kernels check that the gradient is shaped like the value', () => {
  for (const [name, op] of [
    ['sigmoidGrad', sigmoidGrad],
    ['tanhGrad', tanhGrad],
    ['reluGrad', reluGrad],
  ] as const) {
    it(name, () => {
      const e = shapeErrorOf(() => op(ones([2]), ones([3])));
      expect(e.message).toBe(`${name}: shapes differ: [2] and [3]`);
      expect(e.shapes).toEqual([[2], [3]]);
    });
  }
});
