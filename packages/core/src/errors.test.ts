/**
 * The typed errors users meet first: each names the op, the argument and the values, and is an
 * instance of the built-in error it refines (ShapeError → RangeError, DTypeError → TypeError).
 */
import { describe, it, expect } from 'vitest';
import {
  AnomalyError,
  DTypeError,
  GradError,
  ShapeError,
  add,
  fromData,
  matmul,
  ones,
  reshape,
  sum,
  tensor,
  zeros,
  type NestedArray,
} from './index.ts';

/** Runs `fn`, which must throw, and returns what it threw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`threw a non-Error: ${String(e)}`);
  }
  throw new Error('did not throw');
}

describe('error messages', () => {
  it('throws when matmul inner dimensions differ, with the exact message', () => {
    const e = thrown(() => matmul(zeros([30, 784]), zeros([783, 10])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('matmul: inner dimensions differ: [30,784] @ [783,10]');
    expect(e.name).toBe('ShapeError');
    expect((e as ShapeError).op).toBe('matmul');
    expect((e as ShapeError).shapes).toEqual([
      [30, 784],
      [783, 10],
    ]);
  });

  it('throws when matmul gets a 0-d tensor', () => {
    const e = thrown(() => matmul(ones([]), ones([4, 2])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^matmul: expected operands of rank ≥ 1, got \[\] @ \[4,2\]$/);
    expect(() => matmul(ones([3]), ones([2, 1]))).toThrow(/^matmul: inner dimensions differ: \[3\] @ \[2,1\]$/);
  });

  it('throws when add gets shapes that cannot broadcast: [2,3] and [4]', () => {
    const e = thrown(() => add(ones([2, 3]), ones([4])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^add: shapes \[2,3\] and \[4\] cannot be broadcast$/);
  });

  it('throws when reshape changes the element count', () => {
    const e = thrown(() => reshape(ones([2, 3]), [5]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^reshape: cannot reshape \[2,3\] \(6 elements\) to \[5\] \(5 elements\)$/);
  });

  it('throws when a sum axis is out of range', () => {
    const e = thrown(() => sum(ones([2, 3]), 2));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^sum: axis 2 out of range for shape \[2,3\]$/);
  });

  it('throws when tensor() gets a ragged array', () => {
    const e = thrown(() => tensor([[1, 2], [3]]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^tensor: ragged nested array: expected length 2 at \[1\], got 1$/);
    expect(() => tensor([[1, 2], [3, 4, 5]])).toThrow(/^tensor: ragged nested array: expected length 2 at \[1\], got 3$/);
    expect(() => tensor([[1, 2], 3] as NestedArray)).toThrow(/^tensor: ragged nested array: expected an array of length 2 at \[1\], got number$/);
  });

  // An array where a number belongs is raggedness too, so it is a ShapeError.
  it('throws a ShapeError when a nested array is deeper in one place', () => {
    expect(() => tensor([1, [2]] as NestedArray)).toThrow(ShapeError);
  });

  it('throws when tensor() gets a non-number', () => {
    const e = thrown(() => tensor([[1, 'x']] as unknown as NestedArray));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/^tensor: expected a number at \[0\]\[1\], got string$/);
    expect(() => tensor(null as unknown as NestedArray)).toThrow(/^tensor: expected a number at top level, got null$/);
  });

  it('throws when fromData gets a Float32Array', () => {
    const e = thrown(() => fromData(new Float32Array([1, 2]) as unknown as Float64Array, [2]));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/^fromData: expected a Float64Array, got Float32Array$/);
  });

  it('throws when fromData gets a shape that does not match the data length', () => {
    expect(() => fromData(new Float64Array(6), [4, 2])).toThrow(/^fromData: shape \[4,2\] needs 8 elements, data has 6$/);
    expect(() => fromData(new Float64Array(6), [4, 2])).toThrow(ShapeError);
  });

  it('throws when item() is called on a multi-element tensor', () => {
    const e = thrown(() => ones([2, 2]).item());
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^item: only one-element tensors convert to a number, got shape \[2,2\]$/);
  });

  it("throws when add gets a string, naming argument 'b'", () => {
    const e = thrown(() => ones([2]).add('x' as unknown as number));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/^add: argument 'b' must be a Tensor or a number, got string$/);
  });

  it('throws when a factory gets an invalid shape', () => {
    expect(() => zeros([2, -1])).toThrow(/^full: shape \[2,-1\] has an invalid dimension -1$/);
    expect(() => ones([1.5])).toThrow(ShapeError);
  });
});

describe('error classes', () => {
  it('build "op: problem" messages and carry their fields', () => {
    const s = new ShapeError('op', 'bad', [[1, 2]]);
    expect(s.message).toBe('op: bad');
    expect(s.shapes).toEqual([[1, 2]]);
    const d = new DTypeError('op2', 'worse');
    expect(d.message).toBe('op2: worse');
    expect(d.op).toBe('op2');
    expect(new GradError('backward', 'x').message).toBe('backward: x');
    const a = new AnomalyError('log', 1, [2, 3], 4, Infinity);
    expect(a.message).toBe('log: backward produced Infinity in the gradient of input 1 (shape [2,3]) at flat index 4');
    expect([a.op, a.inputIndex, a.index, a.value]).toEqual(['log', 1, 4, Infinity]);
    expect(a.name).toBe('AnomalyError');
  });
});
