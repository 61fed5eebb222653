import { describe, it, expect } from 'vitest';
import { type Tensor, tensor } from '../index.ts';
import { allcloseMismatch } from './index.ts';

describe('toBeAllclose', () => {
  it('passes for equal and close values, across tensors, nested arrays and typed arrays', () => {
    expect(tensor([[1, 2]])).toBeAllclose([[1, 2]]);
    expect(tensor([1, 2])).toBeAllclose(tensor([1 + 1e-9, 2]), { rtol: 1e-8 });
    expect(new Float64Array([1, 2])).toBeAllclose([1, 2]);
    expect([0]).toBeAllclose([1e-10], { atol: 1e-9 });
    expect(tensor(3)).toBeAllclose(3);
    expect(tensor([NaN, Infinity])).toBeAllclose([NaN, Infinity]);
  });

  it('fails when a value is outside atol + rtol·|expected|', () => {
    expect(() => expect(tensor([1, 2])).toBeAllclose([1, 2.001])).toThrow(/element 1 differs: 2 vs expected 2\.001/);
    expect(() => expect([1]).toBeAllclose([1 + 1e-6], { rtol: 1e-7 })).toThrow();
    expect(() => expect([0]).toBeAllclose([1e-8], { atol: 1e-9 })).toThrow();
    // the tolerance is relative to the expected value, not the actual
    expect(() => expect([2]).toBeAllclose([1], { rtol: 0.6 })).toThrow();
    expect([1]).toBeAllclose([2], { rtol: 0.6 });
  });

  it('fails on NaN against a number, and Infinity against a finite value', () => {
    expect(() => expect([NaN]).toBeAllclose([1], { atol: 1e9 })).toThrow();
    expect(() => expect([Infinity]).toBeAllclose([1e308], { rtol: 1 })).toThrow();
  });

  // With expected = ±Infinity, atol + rtol·|expected| is Infinity; infinities must match only
  // themselves (numpy.isclose), or anything would count as close.
  it('fails on a finite value or -Infinity against an expected Infinity', () => {
    expect(() => expect([5]).toBeAllclose([Infinity])).toThrow();
    expect(() => expect([-Infinity]).toBeAllclose([Infinity])).toThrow();
  });

  it('fails when sizes differ, or when two tensors have different shapes', () => {
    expect(() => expect([1, 2]).toBeAllclose([1, 2, 3])).toThrow(/shapes differ/);
    expect(() => expect(tensor([[1, 2]])).toBeAllclose(tensor([1, 2]))).toThrow(/shapes differ: \[1,2\] vs expected \[2\]/);
  });

  it('reports the worst element', () => {
    expect(allcloseMismatch([1, 5, 3], [1, 2, 2.5])).toMatch(/^element 1 differs/);
    expect(allcloseMismatch([1, 2], [1, 2])).toBeNull();
  });

  it('negates with .not', () => {
    expect([1]).not.toBeAllclose([2]);
    expect(() => expect([1]).not.toBeAllclose([1])).toThrow(/not to be allclose/);
  });
});

describe('toPassGradcheck', () => {
  it('passes a correct function and fails a wrong one, naming the worst element', () => {
    const x = tensor([0.5, -1]);
    expect((t: Tensor) => t.tanh().sum()).toPassGradcheck([x]);
    // .detach() cuts half of t·t out of the graph: analytic t, numeric 2t
    const wrong = (t: Tensor): Tensor => t.mul(t.detach()).sum();
    expect(wrong).not.toPassGradcheck([x]);
    expect(() => expect(wrong).toPassGradcheck([x])).toThrow(/gradcheck failed: worst at input 0 index \[1\]: analytic -1, numeric -2/);
  });
});
