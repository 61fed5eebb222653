import { describe, it, expect, vi } from 'vitest';
import { type NestedArray, ShapeError, Tensor, fromData, full, ones, randn, tensor, zeros } from './index.ts';

describe('tensor()', () => {
  it('makes a 0-d tensor from a number', () => {
    const t = tensor(2.5);
    expect(t.shape).toEqual([]);
    expect(t.rank).toBe(0);
    expect(t.size).toBe(1);
    expect(t.item()).toBe(2.5);
    expect(t.toArray()).toBe(2.5);
    expect(t.dtype).toBe('float64');
  });

  it('makes 1-d, 2-d and 3-d tensors row-major', () => {
    expect(tensor([1, 2, 3]).shape).toEqual([3]);
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(m.shape).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const c = tensor([[[1], [2]], [[3], [4]]]);
    expect(c.shape).toEqual([2, 2, 1]);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 4]);
    expect(c.toArray()).toEqual([[[1], [2]], [[3], [4]]]);
  });

  it('makes empty tensors', () => {
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([[], []]).toArray()).toEqual([[], []]);
  });

  it('takes requiresGrad and name', () => {
    const t = tensor([1], { requiresGrad: true, name: 'w' });
    expect(t.requiresGrad).toBe(true);
    expect(t.name).toBe('w');
    expect(t.isLeaf).toBe(true);
    expect(t.grad).toBeNull();
    expect(tensor([1]).requiresGrad).toBe(false);
  });

  it('has a frozen shape', () => {
    const t = tensor([1, 2]);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });

  it('copies its input: changing the array later does not change the tensor', () => {
    const src = [1, 2];
    const t = tensor(src);
    src[0] = 99;
    expect(t.toArray()).toEqual([1, 2]);
  });
});

describe('fromData and the factories', () => {
  it('fromData shares the buffer', () => {
    const buf = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = fromData(buf, [3, 2]);
    expect(t.data).toBe(buf);
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('zeros, ones, full', () => {
    expect(zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 0.5).toArray()).toEqual([0.5, 0.5]);
    expect(full([], 7).item()).toBe(7);
    expect(zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('Tensor methods', () => {
  it('item() works on any one-element tensor', () => {
    expect(tensor([[4]]).item()).toBe(4);
  });

  it('clone copies storage and drops history', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const c = y.clone();
    expect(c.data).not.toBe(y.data);
    expect(c.toArray()).toEqual([2, 4]);
    expect(c.requiresGrad).toBe(false);
    expect(c.node).toBeNull();
    c.data[0] = 100;
    expect(y.data[0]).toBe(2);
  });

  it('toString shows shape, op and requiresGrad', () => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    expect(String(x)).toBe('Tensor(shape=[1,2] requiresGrad)');
    expect(String(x.exp())).toBe('Tensor(shape=[1,2] op=exp requiresGrad)');
    expect(String(tensor(1))).toBe('Tensor(shape=[])');
  });

  it('the constructor builds a leaf directly', () => {
    const t = new Tensor(new Float64Array([1, 2]), [2], true);
    expect(t.isLeaf).toBe(true);
    expect(t.requiresGrad).toBe(true);
  });

  it('every method matches its function form', () => {
    const x = tensor([[0.5, 1.5]]);
    expect(x.sub(1).toArray()).toEqual([[-0.5, 0.5]]);
    expect(x.div(0.5).toArray()).toEqual([[1, 3]]);
    expect(x.transpose().toArray()).toEqual([[0.5], [1.5]]);
    expect(x.mean().item()).toBe(1);
    expect(x.max().item()).toBe(1.5);
    expect(x.broadcastTo([2, 2]).toArray()).toEqual([
      [0.5, 1.5],
      [0.5, 1.5],
    ]);
  });
});

describe('resource limits', () => {
  it('a shape with more elements than a Float64Array can hold is a ShapeError naming the shape, before allocating', () => {
    for (const make of [() => zeros([100000, 100000]), () => ones([2 ** 20, 2 ** 20]), () => full([1e6, 1e6], 1), () => randn([65536, 65536, 2])]) {
      expect(make).toThrow(ShapeError);
    }
    expect(() => zeros([100000, 100000])).toThrow(/^full: shape \[100000,100000\] has 10000000000 elements, more than the 4294967296 a tensor can hold$/);
    expect(() => randn([65536, 65536, 2])).toThrow(/^randn: shape \[65536,65536,2\] has 8589934592 elements/);
  });

  it('a shape within the limit whose buffer cannot be allocated is a ShapeError too, naming the shape and the bytes', () => {
    // A real 32 GiB request may succeed lazily on a machine that overcommits, then fill() would
    // touch every page; so the allocator is made to fail as V8 does when memory runs out.
    const Real = Float64Array;
    class Failing extends Real {
      constructor(...args: unknown[]) {
        if (typeof args[0] === 'number' && args[0] > 1e6) throw new RangeError('Array buffer allocation failed');
        super(...(args as []));
      }
    }
    vi.stubGlobal('Float64Array', Failing);
    try {
      expect(() => zeros([2 ** 16, 2 ** 16])).toThrow(/^full: shape \[65536,65536\] needs 4294967296 float64 values \(34\.4 GB\), which could not be allocated \(Array buffer allocation failed\)$/);
      expect(() => randn([2000, 1000])).toThrow(ShapeError);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('tensor() takes a nesting 20,000 deep without overflowing the stack', () => {
    let nested: NestedArray = 7;
    for (let i = 0; i < 20000; i++) nested = [nested];
    const t = tensor(nested);
    expect(t.shape).toHaveLength(20000);
    expect(t.size).toBe(1);
    expect(t.data[0]).toBe(7);
  });

  it('tensor() reports a deep ragged or non-numeric element with its path, and rejects a cyclic array', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/^tensor: ragged nested array: expected length 2 at \[1\], got 1$/);
    expect(() => tensor([[1, 2], [3, 'x' as unknown as number]])).toThrow(/^tensor: expected a number at \[1\]\[1\], got string$/);
    expect(() => tensor([[[1]], [2]] as unknown as NestedArray)).toThrow(/^tensor: ragged nested array: expected an array of length 1 at \[1\]\[0\], got number$/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => tensor(cyclic as NestedArray)).toThrow(/^tensor: the nested array contains itself/);
  });
});
