/**
 * Behaviour of primitives.ts that its other tests left open (`pnpm mutate`): σ on copies in the
 * scratch arena at sizes that make the arena grow, relu's sign of zero, and the rule of x¹,
 * whose gradient is g itself (no x⁰ factor that a second derivative would multiply by ∞).
 */
import { describe, expect, it } from 'vitest';
import { fromData, hvp, mul, pow, relu, sigmoid, sum, tensor } from './index.ts';
import { sigmoidValue } from './primitives.ts';

describe('sigmoid on copies in the scratch arena', () => {
  it('computes every element of arrays large enough to make the scratch arena grow, and of one just past its new capacity', () => {
    // 300 000 values need more than the arena's first 1 MiB (or any this file's earlier calls
    // made); the arena grows to twice the request, 16n + 128 bytes; 2n − 8 values (16n − 64
    // bytes) are the first count whose copy would not fit in an arena that reserved only 8n − 64.
    const sizes = [300_000, 2 * 300_000 - 8];
    for (const n of sizes) {
      const x = Float64Array.from({ length: n }, (_, i) => ((i % 2001) - 1000) / 25);
      const y = sigmoid(fromData(x, [n])).data;
      expect(y.length).toBe(n);
      for (let i = 0; i < n; i += 997) expect(Object.is(y[i], sigmoidValue(x[i]!)), `n = ${n}, at ${x[i]}`).toBe(true);
      expect(y[n - 1]).toBe(sigmoidValue(x[n - 1]!));
    }
  });
});

describe('relu at zero', () => {
  it('maps −0 to +0 (the output is v only where v > 0)', () => {
    const y = relu(tensor([-0, 0, -1, 2])).data;
    expect(Object.is(y[0], 0)).toBe(true);
    expect(Object.is(y[1], 0)).toBe(true);
    expect(Array.from(y)).toEqual([0, 0, 0, 2]);
  });
});

describe('the rule of pow with p = 1', () => {
  it('has a zero second derivative even where the first is infinite (∞·x¹: the Hessian is 0, not NaN)', () => {
    const x = tensor([2, -3]);
    const [h] = hvp((y) => sum(mul(pow(y, 1), Infinity)), [x], [tensor([1, 1])]);
    expect(Array.from(h!.data)).toEqual([0, 0]);
  });
});
