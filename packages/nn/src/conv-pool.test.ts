/**
 * `Sequential` runs a Conv2d followed by a MaxPool2d as network3 does, pooling before the bias
 * and σ. These tests hold that route to the layers applied one after the other: identical
 * values, and gradients (weights, biases, input) equal to 1e-12, also where σ saturates and ties.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, fromData, grad, randn } from '@nabla/core';
import { AvgPool2d, Conv2d, MaxPool2d, Sequential } from './index.ts';
import { type ActivationName, getActivation } from './activations.ts';

const cases: { activation: ActivationName; scale: number; pool: [number, number] }[] = [
  { activation: 'sigmoid', scale: 1, pool: [2, 2] },
  { activation: 'sigmoid', scale: 400, pool: [2, 2] }, // saturated: σ = 1 or 0 exactly, ties in every window
  { activation: 'tanh', scale: 1, pool: [3, 2] }, // overlapping windows
  { activation: 'tanh', scale: 400, pool: [2, 1] },
  { activation: 'relu', scale: 1, pool: [2, 2] },
  { activation: 'identity', scale: 1, pool: [3, 3] },
];

describe('Sequential(Conv2d, MaxPool2d): pooled before the bias and σ', () => {
  for (const { activation, scale, pool } of cases) {
    it(`${activation}, inputs ×${scale}, pool ${pool[0]} stride ${pool[1]}: values and gradients as the layers one by one`, () => {
      const conv = new Conv2d(2, 3, 3, { activation, seed: 4, padding: 1 });
      const maxPool = new MaxPool2d(pool[0], pool[1]);
      const x = randn([2, 2, 7, 6], { seed: 5, std: scale });
      const fused = new Sequential(conv, maxPool);
      const y = fused.forward(x);
      // The route taken: σ applies last, to the pooled values.
      expect(y.node?.op).toBe(activation === 'identity' ? 'add' : activation);
      const stepwise = maxPool.forward(conv.forward(x));
      expect(y.shape).toEqual(stepwise.shape);
      expect(Array.from(y.data)).toEqual(Array.from(stepwise.data));
      // A weighted sum of the outputs, so every output's gradient is distinct.
      const c = fromData(Float64Array.from({ length: y.size }, (_, i) => Math.cos(i)), y.shape);
      const withParams = (w: Tensor, b: Tensor): [Conv2d, MaxPool2d] => [new Conv2d(2, 3, 3, { activation, padding: 1, params: { weight: w, bias: b } }), maxPool];
      const gFused = grad((w: Tensor, b: Tensor, input: Tensor) => new Sequential(...withParams(w, b)).forward(input).mul(c).sum())(conv.weight, conv.bias, x);
      const gStep = grad((w: Tensor, b: Tensor, input: Tensor) => {
        const [layer, p] = withParams(w, b);
        return p.forward(layer.forward(input)).mul(c).sum();
      })(conv.weight, conv.bias, x);
      for (let k = 0; k < 3; k++) expect(gFused[k]!.data).toBeAllclose(gStep[k]!.data, { rtol: 1e-12, atol: 1e-12 });
    });
  }

  it('a subclass that overrides forward, or an activation of the user\'s named like a built-in one, keeps the layer order', () => {
    const x = randn([1, 1, 6, 6], { seed: 3 });
    class Doubled extends Conv2d {
      override forward(input: Tensor): Tensor {
        return super.forward(input).mul(2);
      }
    }
    const doubled = new Doubled(1, 2, 3, { activation: 'sigmoid', seed: 1 });
    const pool = new MaxPool2d(2);
    expect(Array.from(new Sequential(doubled, pool).forward(x).data)).toEqual(Array.from(pool.forward(doubled.forward(x)).data));
    // "sigmoid" by name only: x ↦ −x is decreasing, so pooling first would pick the wrong element
    const negated = { ...getActivation('sigmoid'), apply: (z: Tensor) => z.neg() };
    const conv = new Conv2d(1, 2, 3, { activation: negated, seed: 1 });
    const y = new Sequential(conv, pool).forward(x);
    expect(y.node?.op).toBe('maxPool2d');
    expect(Array.from(y.data)).toEqual(Array.from(pool.forward(conv.forward(x)).data));
  });

  it('a wrong input through the pooled route gets the layer\'s own ShapeError', () => {
    const model = new Sequential(new Conv2d(2, 3, 3, { activation: 'sigmoid', seed: 1 }), new MaxPool2d(2));
    expect(() => model.forward(randn([1, 1, 6, 6]))).toThrow(/^Conv2d: expected input \[m, 2, H, W\], got \[1,1,6,6\]$/);
  });

  it('a Conv2d alone or followed by an AvgPool2d keeps the layer order (σ does not commute with a mean)', () => {
    const conv = new Conv2d(1, 2, 3, { activation: 'sigmoid', seed: 1 });
    const x = randn([1, 1, 6, 6], { seed: 2 });
    expect(new Sequential(conv).forward(x).node?.op).toBe('sigmoid');
    const avg = new Sequential(conv, new AvgPool2d(2)).forward(x);
    expect(avg.node?.op).toBe('avgPool2d');
    expect(Array.from(avg.data)).toEqual(Array.from(new AvgPool2d(2).forward(conv.forward(x)).data));
  });
});
