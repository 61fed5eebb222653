/**
 * Each cost's raw forms (`value`, `gradA`, `outputDelta`: what BP1 uses) against its autodiff
 * form (`loss`), hand-computed values, and the numerical stability of the stable forms.
 *
 * Tolerances: values and gradients rtol 1e-12 (the raw and autodiff forms are different float64
 * expressions of one formula, a few ulps apart; near-cancelling a − y entries get atol 1e-15).
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, fromData, randn, tensor } from '@nabla/core';
import { type Activation, identity, relu, sigmoid, softmax, tanh } from './activations.ts';
import { type Cost, crossEntropy, getCost, logLikelihood, quadratic } from './costs.ts';

const TOL = { rtol: 1e-12, atol: 1e-15 };
const ROWS = 3;
const COLS = 4;

function rawValue(act: Activation, z: Tensor): Float64Array {
  const a = new Float64Array(z.size);
  act.value(z.data, a, z.shape[0]!, z.shape[1]!);
  return a;
}

/** y in [0, 1] (a one-hot y when `oneHot`). */
function targets(seed: number, oneHot = false): Tensor {
  const y = randn([ROWS, COLS], { seed });
  for (let i = 0; i < y.size; i++) y.data[i] = oneHot ? 0 : 1 / (1 + Math.exp(-y.data[i]!));
  if (oneHot) for (let j = 0; j < COLS; j++) y.data[(j % ROWS) * COLS + j] = 1;
  return y;
}

/** z kept off relu's kink. */
function logits(seed: number): Tensor {
  const z = randn([ROWS, COLS], { seed, std: 2 });
  for (let i = 0; i < z.size; i++) if (Math.abs(z.data[i]!) < 1e-3) z.data[i] = 0.7;
  return z;
}

/** Pairs (cost, output activation) whose loss is written on a, so ∂C/∂a exists in the graph. */
const ON_A: [Cost, Activation][] = [
  [quadratic, sigmoid],
  [quadratic, identity],
  [crossEntropy, softmax], // a in (0, 1), loss takes ln a, ln(1 − a)
  [logLikelihood, sigmoid], // loss takes ln a
];

/** Every (cost, output activation) pair BP1 is asked about. */
const PAIRS: [Cost, Activation][] = [
  [quadratic, sigmoid],
  [quadratic, relu],
  [quadratic, tanh],
  [quadratic, identity],
  [quadratic, softmax],
  [crossEntropy, sigmoid],
  [crossEntropy, softmax],
  [logLikelihood, softmax],
  [logLikelihood, sigmoid],
];

const pairName = ([c, a]: [Cost, Activation]): string => `${c.name} with ${a.name}`;

describe.each(PAIRS.map((p) => [pairName(p), p] as const))('%s', (_name, [cost, act]) => {
  const z = logits(1);
  const y = targets(2, cost === logLikelihood);

  it('value(a, y) equals loss(z, a, y) (autodiff form)', () => {
    const a = act.apply(z);
    expect(cost.value(a.data, y.data, COLS)).toBeCloseTo(cost.loss(z, a, y, act).item(), 12);
  });

  it('outputDelta (BP1) equals ∂C/∂z by autodiff', () => {
    const leaf = fromData(z.data.slice(), z.shape, { requiresGrad: true });
    cost.loss(leaf, act.apply(leaf), y, act).backward();
    const delta = new Float64Array(z.size);
    cost.outputDelta(z.data, rawValue(act, z), y.data, act, delta, ROWS, COLS);
    expect(fromData(delta, z.shape)).toBeAllclose(leaf.grad!, TOL);
  });
});

describe.each(ON_A.map((p) => [pairName(p), p] as const))('gradA of %s', (_name, [cost, act]) => {
  it('equals ∂C/∂a by autodiff (already divided by m)', () => {
    const z = logits(3);
    const y = targets(4, cost === logLikelihood);
    const a = fromData(rawValue(act, z), z.shape, { requiresGrad: true });
    cost.loss(z, a, y, act).backward();
    const g = new Float64Array(a.size);
    cost.gradA(a.data, y.data, g, COLS);
    expect(fromData(g, a.shape)).toBeAllclose(a.grad!, TOL);
  });
});

describe('hand-computed values', () => {
  const a = tensor([
    [0.5, 1],
    [0, 0.25],
  ]);
  const y = tensor([
    [1, 1],
    [0, 0],
  ]);

  it('quadratic: C = (1/2m) Σ ||y − a||², ∇_a C = (a − y)/m', () => {
    // ((0.5)² + 0 + 0 + (0.25)²) / (2·2) = 0.3125 / 4
    expect(quadratic.value(a.data, y.data, 2)).toBe(0.078125);
    expect(quadratic.loss(a, a, y, identity).item()).toBe(0.078125);
    const g = new Float64Array(4);
    quadratic.gradA(a.data, y.data, g, 2);
    expect(Array.from(g)).toEqual([-0.25, 0, 0, 0.125]);
  });

  it('crossEntropy: −(1/m) Σ [y ln a + (1 − y) ln(1 − a)], with 0·ln 0 = 0', () => {
    // column 1: −ln 0.5 − ln 1; column 2: −ln 1 − ln 0.75; over m = 2
    expect(crossEntropy.value(a.data, y.data, 2)).toBeCloseTo((Math.LN2 - Math.log(0.75)) / 2, 15);
  });

  it('logLikelihood: −(1/m) Σ_x ln a_{y(x)}', () => {
    const p = tensor([
      [0.7, 0.2],
      [0.3, 0.8],
    ]);
    const onehot = tensor([
      [1, 0],
      [0, 1],
    ]);
    expect(logLikelihood.value(p.data, onehot.data, 2)).toBeCloseTo(-(Math.log(0.7) + Math.log(0.8)) / 2, 15);
  });

  it('δ^L = (a − y)/m for crossEntropy+sigmoid and logLikelihood+softmax (σ′ cancelled)', () => {
    const z = tensor([
      [0.3, -1],
      [2, 0],
    ]);
    for (const [cost, act] of [
      [crossEntropy, sigmoid],
      [logLikelihood, softmax],
    ] as const) {
      const aL = rawValue(act, z);
      const target = cost === logLikelihood ? y : tensor([[0.2, 0.9], [0.5, 0.1]]);
      const delta = new Float64Array(4);
      cost.outputDelta(z.data, aL, target.data, act, delta, 2, 2);
      expect(Array.from(delta)).toEqual(Array.from(aL, (v, i) => (v - target.data[i]!) / 2));
    }
  });
});

describe('stability at saturation', () => {
  const z = tensor([
    [800, -800, 800],
    [-800, 800, 0],
  ]);
  const y = tensor([
    [0, 0, 1],
    [1, 1, 0.5],
  ]);

  it('crossEntropy with sigmoid: the loss is finite for z = ±800 (800 per wrong saturated unit), and so is its gradient', () => {
    const leaf = fromData(z.data.slice(), z.shape, { requiresGrad: true });
    const C = crossEntropy.loss(leaf, sigmoid.apply(leaf), y, sigmoid);
    // wrong: (0, 800), (1, −800); right: (0, −800), (1, 800), (1, 800); y = 0.5 at z = 0: ln 2
    expect(C.item()).toBeCloseTo((800 + 800 + Math.LN2) / 3, 10);
    C.backward();
    expect(leaf.grad!.data.every(Number.isFinite)).toBe(true);
    expect(leaf.grad!).toBeAllclose([[1 / 3, 0, 0], [-1 / 3, 0, 0]], { atol: 1e-15 });
    const delta = new Float64Array(6);
    crossEntropy.outputDelta(z.data, rawValue(sigmoid, z), y.data, sigmoid, delta, 2, 3);
    expect(fromData(delta, [2, 3])).toBeAllclose(leaf.grad!, { atol: 1e-15 });
  });

  it('logLikelihood with softmax: finite loss and gradient for logits 800 apart', () => {
    const logitsBig = tensor([[800], [0]]);
    const leaf = fromData(logitsBig.data.slice(), [2, 1], { requiresGrad: true });
    const C = logLikelihood.loss(leaf, softmax.apply(leaf), tensor([[0], [1]]), softmax);
    expect(C.item()).toBeCloseTo(800, 10);
    C.backward();
    expect(leaf.grad!).toBeAllclose([[1], [-1]], { rtol: 1e-15 });
  });

  // From a = σ(z) alone, ln(1 − σ(z)) is ln 0 = −∞ once σ(z) rounds to 1 and has few correct
  // digits when it is merely close (z = 30); given z, the costs use softplus / log-sum-exp.
  it('crossEntropy.value is finite and accurate near saturation, given the logits', () => {
    for (const zi of [30, 800]) {
      const a = new Float64Array([1 / (1 + Math.exp(-zi))]);
      const exact = 0.5 * Math.log1p(Math.exp(-zi)) + 0.5 * (zi + Math.log1p(Math.exp(-zi))); // y·softplus(−z) + (1 − y)·softplus(z)
      expect(crossEntropy.value(a, new Float64Array([0.5]), 1, { z: new Float64Array([zi]), activation: sigmoid, rows: 1 })).toBeCloseTo(exact, 10);
    }
  });

  it('logLikelihood.value is finite when softmax underflows, given the logits', () => {
    const a = rawValue(softmax, tensor([[800], [0]]));
    expect(logLikelihood.value(a, new Float64Array([0, 1]), 1, { z: new Float64Array([800, 0]), activation: softmax, rows: 2 })).toBeCloseTo(800, 10);
  });
});

describe('getCost', () => {
  it('finds each cost by name and rejects unknown names, listing the known ones', () => {
    for (const c of [quadratic, crossEntropy, logLikelihood]) expect(getCost(c.name)).toBe(c);
    expect(() => getCost('hinge')).toThrow(TypeError);
    expect(() => getCost('hinge')).toThrow(/^unknown cost 'hinge'; expected one of quadratic, crossEntropy, logLikelihood$/);
  });

  it('rejects the names of Object.prototype (valueOf, toString, __proto__, constructor)', () => {
    for (const name of ['valueOf', 'toString', '__proto__', 'constructor', 'isPrototypeOf']) {
      expect(() => getCost(name)).toThrow(TypeError);
      expect(() => getCost(name)).toThrow(`unknown cost '${name}'`);
    }
  });
});
