/**
 * The broadcasting helpers on their own: `broadcastShapes` (NumPy's rule and its error) and
 * `sumToShape`, the reduction every broadcasting op's backward shares. Properties of both are
 * in broadcast.prop.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { ShapeError, broadcastShapes, fromData, ones, sumToShape, tensor } from './index.ts';
import { keptShape } from './shape.ts';

describe('broadcastShapes', () => {
  it('aligns from the right and stretches 1s (hand cases)', () => {
    expect(broadcastShapes([30, 10], [30, 1], 'add')).toEqual([30, 10]);
    expect(broadcastShapes([2, 1, 3], [4, 1], 'add')).toEqual([2, 4, 3]);
    expect(broadcastShapes([], [2, 3], 'add')).toEqual([2, 3]);
    expect(broadcastShapes([5], [], 'add')).toEqual([5]);
    expect(broadcastShapes([], [], 'add')).toEqual([]);
    expect(broadcastShapes([1], [1, 1, 1], 'add')).toEqual([1, 1, 1]);
    expect(broadcastShapes([8, 1, 6, 1], [7, 1, 5], 'add')).toEqual([8, 7, 6, 5]);
  });

  it('treats 0 like any other size: it pairs with 1 or 0, nothing else', () => {
    expect(broadcastShapes([0], [1], 'add')).toEqual([0]);
    expect(broadcastShapes([1, 3], [0, 1], 'add')).toEqual([0, 3]);
    expect(() => broadcastShapes([0], [3], 'add')).toThrow(ShapeError);
  });

  it('throws when two dimensions differ and neither is 1, naming the op and both shapes', () => {
    expect(() => broadcastShapes([2, 3], [4], 'add')).toThrow(/^add: shapes \[2,3\] and \[4\] cannot be broadcast$/);
    expect(() => broadcastShapes([2, 3], [3, 3], 'mul')).toThrow(/^mul: shapes \[2,3\] and \[3,3\] cannot be broadcast$/);
    try {
      broadcastShapes([5, 2], [2, 2], 'myop');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShapeError);
      expect((e as ShapeError).shapes).toEqual([
        [5, 2],
        [2, 2],
      ]);
    }
  });


});

describe('sumToShape', () => {
  const g = fromData(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);

  it('sums over leading axes the target lacks: [2,3] → [3] gives column sums', () => {
    expect(Array.from(sumToShape(g.data, [2, 3], [3]))).toEqual([5, 7, 9]);
  });

  it('sums over axes where the target has 1: [2,3] → [2,1] and [1,3]', () => {
    expect(Array.from(sumToShape(g.data, [2, 3], [2, 1]))).toEqual([6, 15]);
    expect(Array.from(sumToShape(g.data, [2, 3], [1, 3]))).toEqual([5, 7, 9]);
  });

  it('sums everything for a scalar or all-ones target', () => {
    expect(Array.from(sumToShape(g.data, [2, 3], []))).toEqual([21]);
    expect(Array.from(sumToShape(g.data, [2, 3], [1, 1]))).toEqual([21]);
  });

  it('combines both kinds: [2,2,3] → [2,1] sums axis 0 and axis 2', () => {
    const x = Float64Array.from({ length: 12 }, (_, i) => i); // [[[0,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]
    expect(Array.from(sumToShape(x, [2, 2, 3], [2, 1]))).toEqual([0 + 1 + 2 + 6 + 7 + 8, 3 + 4 + 5 + 9 + 10 + 11]);
  });

  it('returns the very same buffer when nothing was broadcast', () => {
    expect(sumToShape(g.data, [2, 3], [2, 3])).toBe(g.data);
  });

  it('bias gradient over a batch (BP3): [30,10] ones → [30,1] of 10s', () => {
    const out = sumToShape(ones([30, 10]).data, [30, 10], [30, 1]);
    expect(out.length).toBe(30);
    expect(Array.from(out).every((v) => v === 10)).toBe(true);
  });




  it('agrees with the gradient add gives a broadcast operand', () => {
    const b = tensor([[1], [2]], { requiresGrad: true });
    const w = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    b.add(ones([2, 3])).mul(w).sum().backward();
    expect(Array.from(b.grad!.data)).toEqual(Array.from(sumToShape(w.data, [2, 3], [2, 1])));
  });
});

describe('keptShape and the reductions of a training step', () => {
  it('keeps reduced axes as size 1', () => {
    expect(keptShape([4, 2, 3], [0, 1])).toEqual([1, 1, 3]);
    expect(keptShape([4, 2, 3], [2])).toEqual([4, 2, 1]);
    expect(keptShape([2, 3], [])).toEqual([2, 3]);
  });

  // The fast paths of a training step (a bias column, a loss to a scalar) against the general
  // rule, on both operand orders.
  it('sums a batch into a bias column and into a scalar as the general rule does', () => {
    const g = Float64Array.from({ length: 12 }, (_, i) => (i * 7) % 5 - 2);
    expect(Array.from(sumToShape(g, [3, 4], [3, 1]))).toEqual([g[0]! + g[1]! + g[2]! + g[3]!, g[4]! + g[5]! + g[6]! + g[7]!, g[8]! + g[9]! + g[10]! + g[11]!]);
    expect(Array.from(sumToShape(g, [3, 4], []))).toEqual([g.reduce((a, b) => a + b, 0)]);
    expect(Array.from(sumToShape(g, [3, 4], [1, 1]))).toEqual([g.reduce((a, b) => a + b, 0)]);
    const m = tensor([[1, 2], [3, 4], [5, 6]]);
    const b = tensor([[10], [20], [30]]);
    expect(m.add(b).toArray()).toEqual([[11, 12], [23, 24], [35, 36]]);
    expect(b.add(m).toArray()).toEqual([[11, 12], [23, 24], [35, 36]]);
    expect(b.mul(m).toArray()).toEqual([[10, 20], [60, 80], [150, 180]]);
  });
});
