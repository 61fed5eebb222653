/**
 * Optimizers on hand examples: SGD is exactly Nielsen's update (with L2 as in network2, biases
 * not decayed through `paramGroups`), momentum and Adam against two steps computed by hand, and
 * the errors for bad settings.
 *
 * Tolerance rtol 1e-14: the expected numbers are the same few float64 operations done by hand
 * (or, for Adam, in a short Python transcription of Kingma & Ba's algorithm 1), so only the
 * last ulp or two may differ.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError, type Tensor, tensor } from '@nabla/core';
import { backprop } from './backprop.ts';
import { Network } from './network.ts';
import { Adam, type ParamGroup, SGD } from './optim.ts';

const EXACT = { rtol: 1e-14, atol: 1e-15 };

function param(values: number[][] | number[]): Tensor {
  return tensor(values, { requiresGrad: true });
}

function withGrad(p: Tensor, g: number[][] | number[]): Tensor {
  p.grad = tensor(g);
  return p;
}

/** A [2, 2, 1] network with hand-picked parameters and gradients. */
function handNetwork(): Network {
  const net = new Network([2, 2, 1], {
    params: [
      { weight: param([[1, 2], [3, 4]]), bias: param([[1], [-1]]) },
      { weight: param([[0.5, -0.5]]), bias: param([[2]]) },
    ],
  });
  withGrad(net.weights[0]!, [[0.5, -1], [0, 2]]);
  withGrad(net.biases[0]!, [[1], [1]]);
  withGrad(net.weights[1]!, [[-2, 4]]);
  withGrad(net.biases[1]!, [[0.5]]);
  return net;
}

describe('SGD', () => {
  it('is Nielsen’s update w ← w − η ∇C', () => {
    const net = handNetwork();
    new SGD(net.parameters(), { eta: 0.1 }).step();
    expect(net.weights[0]!).toBeAllclose([[0.95, 2.1], [3, 3.8]], EXACT);
    expect(net.biases[0]!).toBeAllclose([[0.9], [-1.1]], EXACT);
    expect(net.weights[1]!).toBeAllclose([[0.7, -0.9]], EXACT);
    expect(net.biases[1]!).toBeAllclose([[1.95]], EXACT);
  });

  it('with L2 (network2): w ← (1 − ηλ/n) w − η ∇C on the weights, biases not decayed (paramGroups)', () => {
    const net = handNetwork();
    // η = 0.5, λ = 2, n = 10: 1 − ηλ/n = 0.9
    new SGD(net.paramGroups(), { eta: 0.5, lambda: 2, n: 10 }).step();
    expect(net.weights[0]!).toBeAllclose([[0.9 - 0.25, 1.8 + 0.5], [2.7, 3.6 - 1]], EXACT);
    expect(net.weights[1]!).toBeAllclose([[0.45 + 1, -0.45 - 2]], EXACT);
    expect(net.biases[0]!).toBeAllclose([[0.5], [-1.5]], EXACT);
    expect(net.biases[1]!).toBeAllclose([[1.75]], EXACT);
  });

  it('a plain list of tensors is one group that L2 applies to', () => {
    const b = withGrad(param([2]), [0]);
    new SGD([b], { eta: 0.5, lambda: 2, n: 10 }).step();
    expect(b).toBeAllclose([1.8], EXACT);
  });

  it('with momentum μ: v ← μv − η∇C, w ← w + v, over two steps', () => {
    const w = param([1, -2]);
    const opt = new SGD([w], { eta: 0.1, momentum: 0.9 });
    withGrad(w, [0.5, 1]);
    opt.step(); // v = [−0.05, −0.1]
    expect(w).toBeAllclose([0.95, -2.1], EXACT);
    withGrad(w, [-1, 0.25]);
    opt.step(); // v = 0.9·[−0.05, −0.1] − 0.1·[−1, 0.25] = [0.055, −0.115]
    expect(w).toBeAllclose([1.005, -2.215], EXACT);
  });

  it('with momentum and L2: w ← (1 − ηλ/n) w + v', () => {
    const w = withGrad(param([1]), [0.5]);
    const opt = new SGD([w], { eta: 0.1, momentum: 0.9, lambda: 1, n: 10 }); // decay 0.99
    opt.step(); // v = −0.05
    expect(w).toBeAllclose([0.99 - 0.05], EXACT);
    opt.step(); // v = −0.045 − 0.05
    expect(w).toBeAllclose([0.99 * 0.94 - 0.095], EXACT);
  });

  it('skips parameters without a gradient, and zeroGrad clears them all', () => {
    const a = param([1, 2]);
    const b = withGrad(param([3]), [1]);
    const opt = new SGD([a, b], { eta: 1 });
    opt.step();
    expect(a).toBeAllclose([1, 2], { rtol: 0 });
    expect(b).toBeAllclose([2], { rtol: 0 });
    opt.zeroGrad();
    expect(b.grad).toBeNull();
  });

  it('one step after net.gradients is Nielsen’s update_mini_batch: w − (η/m) Σ_x ∇C_x', () => {
    const net = new Network([3, 4, 2], { seed: 5 });
    const X = tensor([[0.1, 0.5, -1], [1, 0, 0.3], [0.2, -0.4, 0.9]]);
    const Y = tensor([[1, 0, 0], [0, 1, 1]]);
    const expected = backprop(net, X, Y); // mean over the batch = (1/m) Σ_x
    const before = net.weights.map((w) => w.clone());
    const beforeB = net.biases.map((b) => b.clone());
    net.gradients(X, Y);
    new SGD(net.paramGroups(), { eta: 3 }).step();
    net.weights.forEach((w, l) => expect(w).toBeAllclose(before[l]!.sub(expected.nablaW[l]!.mul(3)), { rtol: 1e-12 }));
    net.biases.forEach((b, l) => expect(b).toBeAllclose(beforeB[l]!.sub(expected.nablaB[l]!.mul(3)), { rtol: 1e-12 }));
  });

  it('rejects η ≤ 0 (and non-finite η), and λ without n', () => {
    for (const eta of [0, -1, Number.NaN, Infinity]) {
      expect(() => new SGD([], { eta })).toThrow(RangeError);
    }
    expect(() => new SGD([], { eta: 0 })).toThrow(/^SGD: eta must be a positive number, got 0$/);
    expect(() => new SGD([], { eta: -0.5 })).toThrow(/^SGD: eta must be a positive number, got -0.5$/);
    expect(() => new SGD([], { eta: 1, lambda: 5 })).toThrow(/^SGD: L2 regularisation \(lambda 5\) needs n, the training set size, > 0$/);
    expect(() => new SGD([], { eta: 1, lambda: 5, n: 0 })).toThrow(RangeError);
    expect(() => new SGD([], { eta: 1, lambda: 0 })).not.toThrow();
  });
});

describe('Adam', () => {
  it('two steps with bias correction match Kingma & Ba’s algorithm computed by hand', () => {
    const w = param([1, -2]);
    const opt = new Adam([w], { eta: 0.1 }); // β1 0.9, β2 0.999, ε 1e-8
    // step 1: m̂ = g, v̂ = g², so w ← w − η g/(|g| + ε)
    withGrad(w, [0.5, 1]);
    opt.step();
    expect(w).toBeAllclose([1 - (0.1 * 0.5) / (0.5 + 1e-8), -2 - 0.1 / (1 + 1e-8)], EXACT);
    // step 2: m = [−0.055, 0.115], v = [0.00124975, 0.0010615], c1 = 0.19, c2 = 0.001999
    withGrad(w, [-1, 0.25]);
    opt.step();
    expect(w).toBeAllclose([0.9366103542405654, -2.183059751227727], { rtol: 1e-13 });
  });

  it('uses its defaults (η = 0.001): the first step moves each weight by η·sign(g)', () => {
    const w = withGrad(param([1, -2, 3]), [4, -0.01, 100]);
    new Adam([w]).step();
    expect(w).toBeAllclose([0.999, -1.999, 2.999], { rtol: 1e-9 });
  });

  it('with L2 (coupled) decays the l2 groups only: zero-gradient weights move by η towards 0, biases stay', () => {
    const net = handNetwork();
    for (const p of net.parameters()) p.grad = tensor(new Array<number>(p.size).fill(0)).reshape(p.shape);
    new Adam(net.paramGroups(), { eta: 0.01, lambda: 1, n: 100 }).step();
    // g' = g + (λ/n)·w = 0.01·w; first step: w ← w − η·g'/(|g'| + ε)
    const moved = (w: number): number => w - (0.01 * (0.01 * w)) / (Math.abs(0.01 * w) + 1e-8);
    expect(net.weights[0]!).toBeAllclose([[moved(1), moved(2)], [moved(3), moved(4)]], EXACT);
    expect(net.weights[1]!).toBeAllclose([[moved(0.5), moved(-0.5)]], EXACT);
    expect(moved(2)).toBeCloseTo(1.99, 6);
    expect(net.biases[0]!).toBeAllclose([[1], [-1]], { rtol: 0 });
    expect(net.biases[1]!).toBeAllclose([[2]], { rtol: 0 });
  });

  it('rejects η ≤ 0 and λ without n', () => {
    expect(() => new Adam([], { eta: 0 })).toThrow(/^Adam: eta must be a positive number, got 0$/);
    expect(() => new Adam([], { eta: -1 })).toThrow(RangeError);
    expect(() => new Adam([], { lambda: 0.1 })).toThrow(/^Adam: L2 regularisation \(lambda 0.1\) needs n, the training set size, > 0$/);
  });
});

describe('optimizers given a gradient of the wrong shape', () => {
  // Before the check SGD read past the end of a short gradient (5 of 6 weights became NaN) and
  // Adam read the first values of a longer one, silently.
  const optimizers: [string, (groups: ParamGroup[]) => { step(): void }][] = [
    ['SGD', (g) => new SGD(g, { eta: 0.1 })],
    ['SGD', (g) => new SGD(g, { eta: 0.1, momentum: 0.9 })],
    ['Adam', (g) => new Adam(g)],
  ];
  it.each(optimizers)('%s throws a ShapeError naming the parameter and both shapes, and changes no parameter', (name, make) => {
    const ok = withGrad(param([1, 2]), [1, 1]);
    const w = withGrad(param([[1, 2, 3], [4, 5, 6]]), [1]);
    const b = tensor([[5, 5, 5, 5, 5], [5, 5, 5, 5, 5], [5, 5, 5, 5, 5], [5, 5, 5, 5, 5], [5, 5, 5, 5, 5]], { requiresGrad: true, name: 'b' });
    b.grad = tensor([1, 2, 3, 4, 5, 6]);
    const opt = make([{ params: [ok] }, { params: [w, b] }]);
    expect(() => opt.step()).toThrow(ShapeError);
    expect(() => opt.step()).toThrow(`${name}.step: the gradient of groups[1].params[0] has shape [1], but the parameter has shape [2,3]`);
    expect(ok).toBeAllclose([1, 2], { rtol: 0 }); // all or nothing: checked before any update
    w.grad = tensor([[0, 0, 0], [0, 0, 0]]);
    expect(() => opt.step()).toThrow(`${name}.step: the gradient of groups[1].params[1] ('b') has shape [6], but the parameter has shape [5,5]`);
    expect(w).toBeAllclose([[1, 2, 3], [4, 5, 6]], { rtol: 0 });
  });
});

describe('Adam.step with missing gradients', () => {
  it('a step in which no parameter has a gradient changes nothing and does not count (later updates are as if it never happened)', () => {
    const a = param([1, -2]);
    const b = param([1, -2]);
    const optA = new Adam([a], { eta: 0.1 });
    const optB = new Adam([b], { eta: 0.1 });
    optA.step(); // no .grad yet
    optA.step();
    expect(a).toBeAllclose([1, -2], { rtol: 0 });
    for (const g of [[0.5, 1], [-1, 0.25]]) {
      withGrad(a, g);
      withGrad(b, g);
      optA.step();
      optB.step();
    }
    expect(a).toBeAllclose(b.toArray() as number[], { rtol: 0 });
  });

  it('skips a parameter without a gradient (its moments stay as they were) while the others step', () => {
    const w = param([1, -2]);
    const v = param([3]);
    const alone = param([1, -2]);
    const opt = new Adam([w, v], { eta: 0.1 });
    const ref = new Adam([alone], { eta: 0.1 });
    withGrad(w, [0.5, 1]);
    withGrad(alone, [0.5, 1]);
    opt.step();
    ref.step();
    expect(v).toBeAllclose([3], { rtol: 0 });
    expect(w).toBeAllclose(alone.toArray() as number[], { rtol: 0 });
  });
});
