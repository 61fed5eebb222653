/**
 * Behaviours of the raw cost forms that no other test pinned down, found by changing the code one
 * small edit at a time (`pnpm mutate`) and seeing which edits every test let through: a class with
 * label 0 costs nothing even where its probability is exactly 0 (0·ln 0 = 0), and the softmax +
 * log-likelihood δ (BP1) holds for targets that are not one-hot and for outputs that underflowed.
 *
 * Tolerance: rtol 1e-12 against autodiff (two float64 expressions of one formula); atol 1e-15 for
 * entries that cancel to 0.
 */
import { describe, expect, it } from 'vitest';
import { type ShapeError, type Tensor, fromData, randn, tensor } from '@nabla/core';
import { sigmoid, softmax } from './activations.ts';
import { type BackpropNetwork, backprop, backpropPerExample } from './backprop.ts';
import { logLikelihood, quadratic } from './costs.ts';

const TOL = { rtol: 1e-12, atol: 1e-15 };

function softmaxOf(z: Tensor): Float64Array {
  const a = new Float64Array(z.size);
  softmax.value(z.data, a, z.shape[0]!, z.shape[1]!);
  return a;
}

/** BP1 from the raw form against ∂C/∂z from the autodiff loss, for softmax + log-likelihood. */
function expectDeltaMatchesAutodiff(z: Tensor, y: Tensor): Float64Array {
  const [rows, cols] = [z.shape[0]!, z.shape[1]!];
  const leaf = fromData(z.data.slice(), z.shape, { requiresGrad: true });
  logLikelihood.loss(leaf, softmax.apply(leaf), y, softmax).backward();
  const delta = new Float64Array(z.size);
  logLikelihood.outputDelta(z.data, softmaxOf(z), y.data, softmax, delta, rows, cols);
  expect(fromData(delta, z.shape)).toBeAllclose(leaf.grad!, TOL);
  return delta;
}

describe('logLikelihood: zero labels where the probability is 0', () => {
  it('value without logits: a class with label 0 and output exactly 0 adds nothing (0·ln 0 = 0)', () => {
    // columns: [0, 1] labelled [0, 1]; [0.25, 0.75] labelled [1, 0]
    const a = new Float64Array([0, 0.25, 1, 0.75]);
    const y = new Float64Array([0, 1, 1, 0]);
    expect(logLikelihood.value(a, y, 2)).toBeCloseTo(-Math.log(0.25) / 2, 14);
  });

  it('value from logits: a class with label 0 at logit −∞ adds nothing, in any column', () => {
    const z = new Float64Array([-Infinity, 0, 0, -Infinity]); // [2, 2]: column 0 is [−∞, 0], column 1 is [0, −∞]
    const y = new Float64Array([0, 1, 1, 0]);
    const a = softmaxOf(fromData(z, [2, 2]));
    const v = logLikelihood.value(a, y, 2, { z, activation: softmax, rows: 2 });
    expect(v).toBe(0);
  });
});

describe('logLikelihood.outputDelta with softmax (BP1)', () => {
  it('equals ∂C/∂z for targets whose columns do not sum to 1 (δ = (a·Σ_k y_k − y)/m)', () => {
    const z = tensor([[0.3, -1.2, 2], [1.1, 0.4, -0.5], [-0.7, 0.9, 0.2]]);
    const y = tensor([[0.5, 0, 2], [1, 0.25, 0], [0, 0.5, 1]]);
    expectDeltaMatchesAutodiff(z, y);
  });

  it('stays finite and equals ∂C/∂z where the softmax output underflowed to 0', () => {
    const z = tensor([[-1000, 0], [0, -1000]]);
    const y = tensor([[0, 1], [1, 0]]);
    expect(softmaxOf(z)[0]).toBe(0); // the premise: e^{-1000} rounds to 0
    const delta = expectDeltaMatchesAutodiff(z, y);
    expect(delta.every(Number.isFinite)).toBe(true);
  });
});

describe('backprop: batch checks and the per-example route', () => {
  const net = (activation = sigmoid): BackpropNetwork => ({
    sizes: [2, 3, 2],
    weights: [randn([3, 2], { seed: 1 }), randn([2, 3], { seed: 2 })],
    biases: [randn([3, 1], { seed: 3 }), randn([2, 1], { seed: 4 })],
    activation,
    outputActivation: sigmoid,
    cost: quadratic,
  });
  const X = randn([2, 4], { seed: 5 });
  const Y = randn([2, 4], { seed: 6 });

  it('throws when X or Y has the right leading sizes but a third axis', () => {
    expect(() => backprop(net(), randn([2, 4, 1], { seed: 7 }), Y)).toThrow(/^backprop: expected X of shape \[2,m\], got \[2,4,1\]$/);
    expect(() => backprop(net(), X, randn([2, 4, 1], { seed: 8 }))).toThrow(/^backprop: expected Y of shape \[2,4\], got \[2,4,1\]$/);
  });

  it('backpropPerExample gives the batch cost, the mean of the examples\' costs', () => {
    const batch = backprop(net(), X, Y);
    const perExample = backpropPerExample(net(), X, Y);
    expect(perExample.cost).toBeCloseTo(batch.cost, 12);
    expect(perExample.cost).toBeGreaterThan(0);
  });

  it('passes the layer\'s own size to a non-elementwise hidden activation (softmax), as autodiff agrees', () => {
    const n = net(softmax);
    const r = backprop(n, X, Y);
    const params = [...n.weights, ...n.biases].map((t) => fromData(t.data.slice(), t.shape, { requiresGrad: true }));
    const [w1, w2, b1, b2] = params as [Tensor, Tensor, Tensor, Tensor];
    const a1 = softmax.apply(w1.matmul(X).add(b1));
    const aL = sigmoid.apply(w2.matmul(a1).add(b2));
    quadratic.loss(aL, aL, Y, sigmoid).backward();
    expect(r.nablaW[0]!).toBeAllclose(w1.grad!, TOL);
    expect(r.nablaB[0]!).toBeAllclose(b1.grad!, TOL);
  });
});

describe('backprop: the shapes a ShapeError carries', () => {
  it('names the offending X or Y shape in the error object, not only in its message', () => {
    const n: BackpropNetwork = {
      sizes: [2, 2],
      weights: [randn([2, 2], { seed: 1 })],
      biases: [randn([2, 1], { seed: 2 })],
      activation: sigmoid,
      outputActivation: sigmoid,
      cost: quadratic,
    };
    const shapesOf = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return (e as ShapeError).shapes;
      }
      return undefined;
    };
    expect(shapesOf(() => backprop(n, randn([3, 4], { seed: 3 }), randn([2, 4], { seed: 4 })))).toEqual([[3, 4]]);
    expect(shapesOf(() => backprop(n, randn([2, 4], { seed: 3 }), randn([2, 5], { seed: 4 })))).toEqual([[2, 5]]);
  });
});
