/**
 * Tape.sgdStep on the cases its fused update must tell apart, pinned down where changing the code
 * (`pnpm mutate`) went unnoticed: a weight gradient made by a product with a transposed left
 * operand (TN) or none (NN) is folded into the weight; one with both operands transposed, or one
 * that another backward op reads, is written and read as usual; a retained intermediate keeps its
 * `.grad`; a decay that is not a finite number names the leaf.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, fromData, grad, matmulT, randn, tensor, trace } from './index.ts';

/**
 * Checks sgdStep against the update computed from grad(f), p ← decay·p − lr·∂f/∂p, at values
 * other than those traced (a buffer the step failed to recompute would still hold the traced ones).
 */
function expectStepLikeGrad(f: (...ps: Tensor[]) => Tensor, params: Tensor[], lr: number, decay: (p: Tensor) => number): void {
  const tape = trace(() => f(...params));
  for (const p of params) p.data.set(p.data.map((v, j) => 0.5 * v + 0.1 * (j % 3) - 0.05));
  const grads = grad(f)(...params.map((p) => p.detach()));
  const expected = params.map((p, i) => Float64Array.from(p.data, (v, j) => decay(p) * v - lr * grads[i]!.data[j]!));
  tape.forward();
  tape.sgdStep(lr, decay);
  params.forEach((p, i) => {
    expect(p).toBeAllclose(fromData(expected[i]!, p.shape), { rtol: 1e-12, atol: 1e-14 });
    expect(p.grad).toBeNull();
  });
}

describe('Tape.sgdStep folds or writes each weight gradient as its product allows', () => {
  it('a weight on the right of a product (its gradient Aᵀ·G, layout TN)', () => {
    const X = randn([5, 3], { seed: 11 });
    const w = randn([3, 4], { seed: 12, requiresGrad: true });
    expectStepLikeGrad((v) => X.matmul(v).tanh().sum(), [w], 0.25, () => 0.9);
  });

  it('a weight read transposed-free against a transposed operand (its gradient G·B, layout NN)', () => {
    const B = randn([5, 3], { seed: 13 });
    const w = randn([4, 3], { seed: 14, requiresGrad: true });
    expectStepLikeGrad((v) => matmulT(v, B, false, true).sigmoid().sum(), [w], 0.5, () => 1);
  });

  it('a weight whose gradient would need both operands transposed is written, not folded', () => {
    const A = randn([3, 4], { seed: 15 });
    const w = randn([5, 3], { seed: 16, requiresGrad: true });
    expectStepLikeGrad((v) => matmulT(A, v, true, true).tanh().sum(), [w], 0.5, () => 0.95);
  });

  it('a weight gradient that another rule reads is written before that rule runs', () => {
    // (w + tanh v)·X: add hands its gradient G·Xᵀ unchanged to w, and tanh's rule reads it for v
    const X = randn([3, 4], { seed: 17 });
    const w = randn([2, 3], { seed: 18, requiresGrad: true });
    const v = randn([2, 3], { seed: 19, requiresGrad: true });
    expectStepLikeGrad((p, q) => p.add(q.tanh()).matmul(X).sigmoid().sum(), [w, v], 0.3, () => 1);
  });
});

describe('Tape.sgdStep and the other gradients', () => {
  it('a retained intermediate gets its gradient from before the step', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let z: Tensor | null = null;
    const tape = trace(() => {
      z = w.mul(2).retainGrad();
      return z.square().sum();
    });
    tape.forward();
    tape.sgdStep(0.125);
    // L = Σ z², ∂L/∂z = 2z = 4w at w = [1, 2]; w ← w − 0.125·8w
    expect(z!.grad!.toArray()).toEqual([4, 8]);
    expect(w.toArray()).toEqual([0, 0]);
    expect(w.grad).toBeNull();
  });

  it('a decay that is not a finite number names the leaf, or says "a leaf" for an unnamed one', () => {
    const w = tensor([1, 2], { requiresGrad: true, name: 'w2' });
    const b = tensor([3], { requiresGrad: true });
    const tape = trace(() => w.mul(b).sum());
    tape.forward();
    expect(() => tape.sgdStep(0.1, (p) => (p === w ? Number.NaN : 1))).toThrow(/^Tape\.sgdStep: decay of w2 must be a finite number, got NaN$/);
    expect(() => tape.sgdStep(0.1, (p) => (p === b ? Infinity : 1))).toThrow(/^Tape\.sgdStep: decay of a leaf must be a finite number, got Infinity$/);
    expect(w.toArray()).toEqual([1, 2]);
    expect(b.toArray()).toEqual([3]);
  });
});
