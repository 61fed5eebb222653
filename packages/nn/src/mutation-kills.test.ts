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
import { type Tensor, fromData, tensor } from '@nabla/core';
import { softmax } from './activations.ts';
import { logLikelihood } from './costs.ts';

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
