/**
 * where (TF.js cases), maximum, minimum, clip, argmax, logSumExp, variance, sin, cos, log1p
 * on hand-checked cases translated from TensorFlow.js's op tests (file and test named), their
 * gradients, random tensors and dropout, the factories' dtype option, and a typed error per
 * bad input.
 */
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  createRng,
  trace,
  ShapeError,
  type Tensor,
  argmax,
  bernoulli,
  clip,
  cos,
  dropout,
  fromData,
  full,
  log1p,
  logSoftmax,
  logSumExp,
  max,
  maximum,
  mean,
  minimum,
  ones,
  rand,
  randn,
  sin,
  softmax,
  sum,
  tensor,
  variance,
  where,
  zeros,
} from './index.ts';

function t(values: number[], shape: number[], requiresGrad = false): Tensor {
  return fromData(Float64Array.from(values), shape, { requiresGrad });
}

/** Gradients of ⟨f(a, b), dy⟩ with respect to a and b (TF.js's `tf.grads(f)([a, b], dy)`). */
function grads2(f: (a: Tensor, b: Tensor) => Tensor, a: Tensor, b: Tensor, dy: Tensor): [Tensor, Tensor] {
  const x = t([...a.data], [...a.shape], true);
  const y = t([...b.data], [...b.shape], true);
  f(x, y).backward(dy);
  return [x.grad!, y.grad!];
}

function gradAt(f: (x: Tensor) => Tensor, x: Tensor, dy: Tensor): Tensor {
  const leaf = t([...x.data], [...x.shape], true);
  f(leaf).backward(dy);
  return leaf.grad!;
}

describe('where: TF.js cases', () => {
  it('selects on scalars, 1-D and 2-D', () => {
    // tfjs-core/src/ops/where_test.ts: 'Scalars.'
    expect(where(tensor(1), tensor(10), tensor(20)).item()).toBe(10);
    // tfjs-core/src/ops/where_test.ts: 'Tensor1D'
    expect(where(tensor([1, 0, 1, 0]), tensor([10, 10, 10, 10]), tensor([20, 20, 20, 20])).toArray()).toEqual([10, 20, 10, 20]);
    // tfjs-core/src/ops/where_test.ts: 'Tensor2D'
    expect([...where(tensor([[1, 0], [0, 1]]), tensor([[10, 10], [10, 10]]), tensor([[5, 5], [5, 5]])).data]).toEqual([10, 5, 5, 10]);
  });

  it('broadcasts the condition', () => {
    // tfjs-core/src/ops/where_test.ts: 'broadcasting Tensor2D shapes'
    const c = tensor([1, 0]);
    const r = where(c, tensor([[10], [10]]), tensor([[5], [5]]));
    expect(r.shape).toEqual([2, 2]);
    expect([...r.data]).toEqual([10, 5, 10, 5]);
    const r2 = where(c, t([10, 10, 10, 10, 10, 10], [3, 2]), t([5, 5, 5], [3, 1]));
    expect([...r2.data]).toEqual([10, 5, 10, 5, 10, 5]);
    // tfjs-core/src/ops/where_test.ts: 'Tensor3D with scalar condition'
    expect([...where(ones([1]), ones([1, 3, 3]), zeros([1, 3, 3])).data]).toEqual(new Array(9).fill(1));
  });

  it('sends the gradient to the branch taken, none to the condition', () => {
    // tfjs-core/src/ops/where_test.ts: '2D gradient'
    const c = t([1, 0, 1, 1, 1, 0], [2, 3]);
    const [da, db] = grads2((a, b) => where(c, a, b), t([1, 2, 3, 4, 5, 6], [2, 3]), t([7, 8, 9, 10, 11, 12], [2, 3]), t([1, 2, 3, 4, 5, 6], [2, 3]));
    expect([...da.data]).toEqual([1, 0, 3, 4, 5, 0]);
    expect([...db.data]).toEqual([0, 2, 0, 0, 0, 6]);
  });

  it('throws when the shapes do not broadcast', () => {
    // tfjs-core/src/ops/where_test.ts: 'Tensor1D different a/b shapes'
    expect(() => where(tensor([1, 0, 1, 0]), tensor([10, 10, 10]), tensor([20, 20, 20, 20]))).toThrow(/^where: shapes \[4\] and \[3\] cannot be broadcast$/);
    // tfjs-core/src/ops/where_test.ts: 'Tensor2D different condition/a shapes'
    expect(() => where(ones([2, 2]), ones([2, 3]), ones([2, 3]))).toThrow(ShapeError);
    // tfjs-core/src/ops/where_test.ts: 'throws when passed condition as a non-tensor'
    expect(() => where({} as Tensor, 1, 2)).toThrow(/^where: argument 'condition' must be a Tensor or a number, got object$/);
  });
});

describe('maximum and minimum: TF.js cases', () => {
  it('takes the larger or smaller element', () => {
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'float32 and float32'
    expect(maximum(tensor([0.5, 3, -0.1, -4]), tensor([0.2, 0.4, 0.25, 0.15])).toArray()).toEqual([0.5, 3, 0.25, 0.15]);
    // tfjs-core/src/ops/binary_ops_test.ts: minimum 'float32 and float32'
    expect(minimum(tensor([0.5, 3, -0.1, -4]), tensor([0.2, 0.4, 0.25, 0.15])).toArray()).toEqual([0.2, 0.4, -0.1, -4]);
  });

  it('propagates NaN', () => {
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'propagates NaN'
    expect(maximum(tensor([0.5, -0.1, NaN]), tensor([0.2, 0.3, 0.25])).toArray()).toEqual([0.5, 0.3, NaN]);
    expect(minimum(tensor([0.5, -0.1, NaN]), tensor([0.2, 0.3, 0.25])).toArray()).toEqual([0.2, -0.1, NaN]);
    expect(maximum(tensor([1]), tensor([NaN])).toArray()).toEqual([NaN]);
  });

  it('broadcasts', () => {
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'broadcasts Tensor1D and scalar'
    expect(maximum(tensor([0.5, 3, -0.1, -4]), 0.6).toArray()).toEqual([0.6, 3, 0.6, 0.6]);
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'broadcasts scalar and Tensor1D'
    expect(maximum(0.6, tensor([0.5, 3, -0.1, -4])).toArray()).toEqual([0.6, 3, 0.6, 0.6]);
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'broadcasts Tensor1D and Tensor2D'
    expect([...maximum(tensor([0.5, 0.3]), t([0.2, 0.4, 0.6, 0.15], [2, 2])).data]).toEqual([0.5, 0.4, 0.6, 0.3]);
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'broadcasts 2x1 Tensor2D and 2x2 Tensor2D'
    expect([...maximum(t([0.5, 0.3], [2, 1]), t([0.2, 0.4, 0.6, 0.15], [2, 2])).data]).toEqual([0.5, 0.5, 0.6, 0.3]);
  });

  it('sends the gradient to the larger operand', () => {
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'gradients: Scalar'
    const [da, db] = grads2((a, b) => maximum(a, b), tensor(5.2), tensor(0.6), tensor(3));
    expect([da.item(), db.item()]).toEqual([3, 0]);
  });

  it('splits the gradient evenly on ties (TF.js gives it all to a)', () => {
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'gradients: Tensor1D'. TF.js expects
    // da = [1, 0, 3, 4], db = [0, 2, 0, 0]; at the tie (3, 3) nabla splits dy = 3 evenly.
    const [da, db] = grads2((a, b) => maximum(a, b), tensor([1.1, 2.6, 3, 5.9]), tensor([1.0, 2.7, 3, 5.8]), tensor([1, 2, 3, 4]));
    expect(da.toArray()).toEqual([1, 0, 1.5, 4]);
    expect(db.toArray()).toEqual([0, 2, 1.5, 0]);
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'gradients: Tensor2D' (same tie rule at 0.7 = 0.7)
    const [ea, eb] = grads2((a, b) => maximum(a, b), t([0.5, 0.3, 0.7, 0.9], [2, 2]), t([0.2, 0.4, 0.7, 0.15], [2, 2]), t([1, 2, 3, 4], [2, 2]));
    expect([...ea.data]).toEqual([1, 0, 1.5, 4]);
    expect([...eb.data]).toEqual([0, 2, 1.5, 0]);
    const [fa, fb] = grads2((a, b) => minimum(a, b), tensor([1, 2, 3]), tensor([2, 2, 1]), tensor([1, 1, 1]));
    expect([fa.toArray(), fb.toArray()]).toEqual([[1, 0.5, 0], [0, 0.5, 1]]);
  });

  it('sums the gradient of a broadcast operand', () => {
    const [, db] = grads2((a, b) => maximum(a, b), tensor([1, 5, 3]), tensor(2), ones([3]));
    expect(db.shape).toEqual([]);
    expect(db.item()).toBe(1);
  });

  it('throws on non-tensors and shapes that do not broadcast', () => {
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'throws when passed a as a non-tensor'
    expect(() => maximum({} as Tensor, tensor(1))).toThrow(/^maximum: argument 'a' must be a Tensor or a number, got object$/);
    // tfjs-core/src/ops/binary_ops_test.ts: maximum 'throws when passed b as a non-tensor'
    expect(() => minimum(tensor(1), 'x' as unknown as number)).toThrow(/^minimum: argument 'b' must be a Tensor or a number, got string$/);
    expect(() => maximum(ones([2]), ones([3]))).toThrow(ShapeError);
  });
});

describe('clip: TF.js cases', () => {
  it('clamps to the bounds and propagates NaN', () => {
    // tfjs-core/src/ops/clip_by_value_test.ts: 'basic'
    expect(clip(tensor([3, -1, 0, 100, -7, 2]), -1, 50).toArray()).toEqual([3, -1, 0, 50, -1, 2]);
    // tfjs-core/src/ops/clip_by_value_test.ts: 'propagates NaNs'
    expect(clip(tensor([3, -1, 0, 100, -7, 2, NaN]), -1, 50).toArray()).toEqual([3, -1, 0, 50, -1, 2, NaN]);
  });

  it('passes the gradient inside the bounds, bounds included', () => {
    // tfjs-core/src/ops/clip_by_value_test.ts: 'gradient: 1D tensor'
    expect(gradAt((x) => x.clip(-1, 2), tensor([3, -2, 1]), tensor([5, 50, 500])).toArray()).toEqual([0, 0, 500]);
    // tfjs-core/src/ops/clip_by_value_test.ts: 'gradient: 1D tensor with max or min value'
    expect(gradAt((x) => clip(x, -1, 2), tensor([-1, 1, 2, 3]), tensor([1, 10, 100, 1000])).toArray()).toEqual([1, 10, 100, 0]);
    // tfjs-core/src/ops/clip_by_value_test.ts: 'gradient: scalar'
    expect(gradAt((x) => clip(x, -1, 2), tensor(-10), tensor(5)).item()).toBe(0);
  });

  it('throws when lo > hi or a bound is not a number', () => {
    // tfjs-core/src/ops/clip_by_value_test.ts: 'min greater than max'
    expect(() => clip(tensor([3, -1]), 1, -1)).toThrow(/^clip: lo \(1\) must be ≤ hi \(-1\)$/);
    expect(() => clip(tensor([3]), tensor(0) as unknown as number, 1)).toThrow(/^clip: argument 'lo' must be a number, got Tensor$/);
    expect(() => clip(tensor([3]), 0, undefined as unknown as number)).toThrow(DTypeError);
  });
});

describe('argmax: TF.js cases', () => {
  it('finds the index of the largest element', () => {
    // tfjs-core/src/ops/arg_max_test.ts: 'Tensor1D'
    expect(argmax(tensor([1, 0, 3, 2])).item()).toBe(2);
    // tfjs-core/src/ops/arg_max_test.ts: 'one value'
    expect(argmax(tensor([10])).item()).toBe(0);
    // tfjs-core/src/ops/arg_max_test.ts: 'ignores NaNs'
    expect(argmax(tensor([0, 3, 5, NaN, 3])).item()).toBe(2);
  });

  it('searches along the axis given (default 0)', () => {
    const a = t([3, -1, 0, 100, -7, 2], [2, 3]);
    // tfjs-core/src/ops/arg_max_test.ts: '2D, no axis specified'
    expect(argmax(a).toArray()).toEqual([1, 0, 1]);
    // tfjs-core/src/ops/arg_max_test.ts: '6D, axis=0'
    const r = argmax(t([3, -1, 0, 100, -7, 2], [2, 1, 1, 1, 1, 3]), 0);
    expect(r.shape).toEqual([1, 1, 1, 1, 3]);
    expect([...r.data]).toEqual([1, 0, 1]);
    // tfjs-core/src/ops/arg_max_test.ts: '2D, axis=1' and '2D, axis = -1'
    expect(argmax(t([3, 2, 5, 100, -7, 2], [2, 3]), 1).toArray()).toEqual([2, 0]);
    expect(t([3, 2, 5, 100, -7, 2], [2, 3]).argmax(-1).toArray()).toEqual([2, 0]);
  });

  it('has no gradient: its output does not require grad', () => {
    // tfjs-core/src/ops/arg_max_test.ts: 'has gradient' (TF.js returns zeros; here no path exists)
    const x = t([3, 2, 5, 100, -7, 2], [2, 3], true);
    expect(argmax(x).requiresGrad).toBe(false);
  });

  it('throws on a bad axis or a scalar', () => {
    expect(() => argmax(ones([2, 3]), 2)).toThrow(/^argmax: axis 2 out of range for shape \[2,3\]$/);
    expect(() => argmax(tensor(1))).toThrow(/^argmax: expected a tensor of rank ≥ 1, got \[\]$/);
    expect(() => argmax(zeros([0, 2]))).toThrow(/^argmax: axis 0 of \[0,2\] is empty$/);
    expect(() => argmax(ones([2]), [0] as unknown as number)).toThrow(/^argmax: argument 'axis' must be an integer axis, got an array of length 1$/);
  });
});

describe('logSumExp and variance: TF.js cases', () => {
  const a = t([1, 2, 3, 0, 0, 1], [3, 2]);
  const lse = (...v: number[]): number => Math.log(v.reduce((s, x) => s + Math.exp(x), 0));

  it('reduces everything by default', () => {
    // tfjs-core/src/ops/log_sum_exp_test.ts: '0'
    expect(logSumExp(tensor(0)).item()).toBe(0);
    // tfjs-core/src/ops/log_sum_exp_test.ts: 'basic'
    expect(logSumExp(tensor([1, 2, -3]))).toBeAllclose(lse(1, 2, -3), { rtol: 1e-15 });
    // tfjs-core/src/ops/log_sum_exp_test.ts: 'propagates NaNs'
    expect(logSumExp(tensor([1, 2, NaN])).item()).toBeNaN();
  });

  it('reduces along axes, keeping them if asked', () => {
    // tfjs-core/src/ops/log_sum_exp_test.ts: 'axes=0 in 2D array'
    expect(logSumExp(a, [0])).toBeAllclose([lse(1, 3, 0), lse(2, 0, 1)], { rtol: 1e-15 });
    // tfjs-core/src/ops/log_sum_exp_test.ts: 'axes=0 in 2D array, keepDims'
    expect(logSumExp(a, [0], true).shape).toEqual([1, 2]);
    // tfjs-core/src/ops/log_sum_exp_test.ts: 'axes = -1 in 2D array'
    expect(a.logSumExp(-1)).toBeAllclose([lse(1, 2), lse(3, 0), lse(0, 1)], { rtol: 1e-15 });
    // tfjs-core/src/ops/log_sum_exp_test.ts: 'axes=0,1 in 2D array'
    const all = logSumExp(a, [0, 1]);
    expect(all.shape).toEqual([]);
    expect(all).toBeAllclose(lse(1, 2, 3, 0, 0, 1), { rtol: 1e-15 });
  });

  it('does not overflow, and its gradient is the softmax', () => {
    expect(logSumExp(tensor([1000, 1000])).item()).toBeCloseTo(1000 + Math.log(2), 12);
    const g = gradAt((x) => logSumExp(x, 0), tensor([[1, 2], [3, 4]]), ones([2]));
    expect(g).toBeAllclose(softmax(tensor([[1, 2], [3, 4]]), 0).toArray(), { rtol: 1e-14 });
  });

  it('computes the population variance', () => {
    // tfjs-core/src/ops/moments_test.ts: 'basic'
    expect(variance(a)).toBeAllclose(1.1389, { atol: 1e-4 });
    // tfjs-core/src/ops/moments_test.ts: '2D array with keep dim'
    const v = variance(a, undefined, true);
    expect(v.shape).toEqual([1, 1]);
    expect(v).toBeAllclose([[1.138889]], { atol: 1e-6 });
    // tfjs-core/src/ops/moments_test.ts: 'axis=0 in 2D array'
    expect(variance(a, [0])).toBeAllclose([1.556, 2 / 3], { atol: 1e-3 });
    // tfjs-core/src/ops/moments_test.ts: 'propagates NaNs'
    expect(variance(t([1, 2, 3, NaN, 0, 1], [3, 2])).item()).toBeNaN();
  });

  it('throws on bad axes', () => {
    expect(() => logSumExp(ones([2]), 1)).toThrow(/^logSumExp: axis 1 out of range for shape \[2\]$/);
    expect(() => variance(ones([2]), tensor(0) as unknown as number)).toThrow(/^variance: argument 'axis' must be an axis or an array of axes, got Tensor$/);
  });
});

describe('sin, cos, log1p', () => {
  it('match Math on several ranks', () => {
    // tfjs-core/src/ops/sin_test.ts: 'basic' (and cos_test.ts: 'basic')
    const v = [1, 3, 4, 6, 7, 9, 10, 12, -1, -3, -4, -6, -7, -9, -10, -12];
    expect(sin(tensor(v)).toArray()).toEqual(v.map(Math.sin));
    expect(cos(tensor([v])).toArray()).toEqual([v.map(Math.cos)]);
    // tfjs-core/src/ops/log1p_test.ts: 'log1p'
    expect(log1p(tensor([1, 2])).toArray()).toEqual([Math.log1p(1), Math.log1p(2)]);
    expect(log1p(tensor(1e-20)).item()).toBe(1e-20);
  });

  it('propagate NaN', () => {
    // tfjs-core/src/ops/sin_test.ts: 'propagates NaNs'
    expect(sin(tensor([4, NaN, 0])).toArray()).toEqual([Math.sin(4), NaN, 0]);
    // tfjs-core/src/ops/log1p_test.ts: 'log1p propagates NaNs'
    expect(log1p(tensor([1, NaN])).toArray()).toEqual([Math.log1p(1), NaN]);
  });

  it('have the known gradients', () => {
    // tfjs-core/src/ops/sin_test.ts: 'gradients: Scalar'
    expect(gradAt((x) => x.sin(), tensor(5), tensor(8)).item()).toBeCloseTo(8 * Math.cos(5), 14);
    // cos's counterpart of the case above
    expect(gradAt((x) => x.cos(), tensor(5), tensor(8)).item()).toBeCloseTo(-8 * Math.sin(5), 14);
    // tfjs-core/src/ops/log1p_test.ts: 'gradients: Scalar'
    expect(gradAt((x) => x.log1p(), tensor(5), tensor(3)).item()).toBeCloseTo(3 / 6, 14);
  });

  it('throw on non-tensors', () => {
    // tfjs-core/src/ops/sin_test.ts: 'throws when passed a non-tensor'
    expect(() => sin({} as Tensor)).toThrow(/^sin: argument 'x' must be a Tensor or a number, got object$/);
    expect(() => cos('1' as unknown as number)).toThrow(DTypeError);
    expect(() => log1p(undefined as unknown as number)).toThrow(/^log1p: argument 'x' must be a Tensor or a number, got undefined/);
  });
});

describe('rand, bernoulli, dropout', () => {
  it('repeat with a seed and stay in range', () => {
    const a = rand([1000], { seed: 7 });
    expect([...a.data]).toEqual([...rand([1000], { seed: 7 }).data]);
    expect([...a.data].every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(mean(a).item() - 0.5)).toBeLessThan(0.05);
    const b = bernoulli(0.3, [2000], { seed: 1 });
    expect([...b.data].every((v) => v === 0 || v === 1)).toBe(true);
    expect(Math.abs(mean(b).item() - 0.3)).toBeLessThan(0.04);
    expect(sum(bernoulli(0, [10], { seed: 1 })).item()).toBe(0);
    expect(sum(bernoulli(1, [10], { seed: 1 })).item()).toBe(10);
  });

  it('dropout scales kept values by 1/(1 − rate) and repeats with a seed', () => {
    // tfjs-core/src/ops/dropout_test.ts: 'x 1d array, rate 0'
    expect(dropout(tensor([1, 2, 2, 1]), 0).toArray()).toEqual([1, 2, 2, 1]);
    // tfjs-core/src/ops/dropout_test.ts: 'x 1d array, rate 0.75'
    const kept = dropout(tensor([1, 2, 2, 1]), 0.75, { seed: 2 });
    [1, 2, 2, 1].forEach((v, i) => expect([0, v / 0.25]).toContain(kept.data[i]));
    const x = ones([100, 10]);
    expect(dropout(x, 0)).toBe(x);
    const y = dropout(x, 0.5, { seed: 3 });
    expect([...y.data].every((v) => v === 0 || v === 2)).toBe(true);
    expect([...y.data]).toEqual([...dropout(x, 0.5, { seed: 3 }).data]);
    expect(Math.abs(mean(y).item() - 1)).toBeLessThan(0.1);
  });

  it('dropout is the identity when not training, and its gradient uses the same mask', () => {
    const x = randn([4, 5], { seed: 1 });
    expect(dropout(x, 0.9, { training: false })).toBe(x);
    const leaf = randn([50], { seed: 2, requiresGrad: true });
    const y = leaf.dropout(0.25, { seed: 5 });
    y.sum().backward();
    expect([...leaf.grad!.data]).toEqual([...y.data].map((v) => (v === 0 ? 0 : 1 / 0.75)));
  });

  it('draws afresh on every replay of a traced tape (a mask frozen at trace time would repeat)', () => {
    const w = randn([40], { seed: 3, requiresGrad: true });
    const rng = createRng(7);
    const tape = trace(() => w.dropout(0.5, { rng }).add(rand([40], { rng }).mul(bernoulli(0.5, [40], { rng }))).add(randn([40], { rng })).sum());
    const seen = new Set<string>();
    for (let step = 0; step < 4; step++) {
      const loss = tape.forward();
      tape.backward();
      // the gradient is the mask of this very replay: 2 where kept, 0 where dropped
      const mask = [...w.grad!.data];
      expect(mask.every((v) => v === 0 || v === 2)).toBe(true);
      seen.add(mask.join(','));
      // the loss is recomputed from the same draws the gradient used
      expect(Number.isFinite(loss)).toBe(true);
    }
    expect(seen.size).toBe(4);
    // the sequence is the generator's: the same seed replays the same masks
    const again = createRng(7);
    const tape2 = trace(() => w.dropout(0.5, { rng: again }).add(rand([40], { rng: again }).mul(bernoulli(0.5, [40], { rng: again }))).add(randn([40], { rng: again })).sum());
    const first = createRng(7);
    const tape1 = trace(() => w.dropout(0.5, { rng: first }).add(rand([40], { rng: first }).mul(bernoulli(0.5, [40], { rng: first }))).add(randn([40], { rng: first })).sum());
    for (let step = 0; step < 2; step++) expect(tape2.forward()).toBe(tape1.forward());
  });

  it('throw on a bad probability, rate or dtype', () => {
    expect(() => bernoulli(1.5, [2])).toThrow(/^bernoulli: argument 'p' must be in \[0, 1\], got 1.5$/);
    expect(() => bernoulli(tensor(0.5) as unknown as number, [2])).toThrow(/^bernoulli: argument 'p' must be a number, got Tensor$/);
    expect(() => dropout(ones([2]), 1)).toThrow(/^dropout: argument 'rate' must be in \[0, 1\), got 1$/);
    expect(() => rand([2], { dtype: 'float32' as 'float64' })).toThrow(/^rand: dtype 'float32' is not supported/);
    expect(() => rand([-1])).toThrow(ShapeError);
  });
});

describe('errors from use: dtype options, tensors where axes belong', () => {
  it('rejects a dtype other than float64 in every factory', () => {
    const f32 = { dtype: 'float32' as 'float64' };
    expect(() => tensor([1], f32)).toThrow(/^tensor: dtype 'float32' is not supported: tensors are 'float64'/);
    expect(() => zeros([1], f32)).toThrow(/^zeros: dtype 'float32' is not supported/);
    expect(() => ones([1], f32)).toThrow(/^ones: dtype 'float32' is not supported/);
    expect(() => full([1], 2, f32)).toThrow(/^full: dtype 'float32' is not supported/);
    expect(() => randn([1], f32)).toThrow(/^randn: dtype 'float32' is not supported/);
    expect(() => fromData(new Float64Array(1), [1], { dtype: 'int32' as 'float64' })).toThrow(/^fromData: dtype 'int32' is not supported/);
    expect(() => zeros([1], f32)).toThrow(DTypeError);
    expect(zeros([1], { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('names the op and the argument when a tensor is passed as an axis', () => {
    const x = ones([2, 3]);
    const axis = tensor(1) as unknown as number;
    expect(() => max(x, axis)).toThrow(/^max: argument 'axis' must be an axis or an array of axes, got Tensor$/);
    expect(() => sum(x, axis)).toThrow(/^sum: argument 'axis' must be an axis or an array of axes, got Tensor$/);
    expect(() => mean(x, axis)).toThrow(/^mean: argument 'axis' must be an axis or an array of axes, got Tensor$/);
    expect(() => softmax(x, axis)).toThrow(/^softmax: argument 'axis' must be an integer axis, got Tensor$/);
    expect(() => logSoftmax(x, axis)).toThrow(/^logSoftmax: argument 'axis' must be an integer axis, got Tensor$/);
    expect(() => x.sum('0' as unknown as number)).toThrow(/^sum: argument 'axis' must be an axis or an array of axes, got string$/);
    expect(() => x.max(axis)).toThrow(DTypeError);
  });
});
