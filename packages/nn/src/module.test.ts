/**
 * Module (parameter discovery), Dense (shapes, bias broadcast), Sequential (modules and plain
 * functions chained) and a custom layer composed from core ops, gradchecked.
 *
 * Gradient checks here use rtol 1e-6, atol 1e-8 with eps 1e-6: float64 central differences of
 * O(1) functions are good to ~1e-9 (CONVENTIONS.md).
 */
import { describe, expect, it } from 'vitest';
import { ShapeError, type Tensor, createRng, randn, tensor, zeros } from '@nabla/core';
import { Dense } from './dense.ts';
import { initLayer } from './init.ts';
import { Module } from './module.ts';
import { Network } from './network.ts';
import { Sequential } from './sequential.ts';

const GRAD_TOL = { rtol: 1e-6, atol: 1e-8 };

/**
 * A highway layer (Srivastava et al. 2015), a custom layer composed from core ops only:
 * y = t ⊙ tanh(W_h x + b_h) + (1 − t) ⊙ x with the gate t = σ(W_t x + b_t).
 */
class Highway extends Module {
  readonly transform: Dense;
  readonly gate: Dense;
  constructor(n: number, params?: { wh: Tensor; bh: Tensor; wt: Tensor; bt: Tensor }) {
    super();
    this.transform = new Dense(n, n, { activation: 'tanh', seed: 1, ...(params && { params: { weight: params.wh, bias: params.bh } }) });
    this.gate = new Dense(n, n, { activation: 'sigmoid', seed: 2, ...(params && { params: { weight: params.wt, bias: params.bt } }) });
  }
  forward(x: Tensor): Tensor {
    const t = this.gate.forward(x);
    return t.mul(this.transform.forward(x)).add(t.neg().add(1).mul(x));
  }
}

/** A module mixing every place a parameter can hide: own fields, sub-modules, arrays, nested arrays. */
class Mixed extends Module {
  readonly scale = tensor(2, { requiresGrad: true });
  readonly frozen = tensor([1, 2, 3]); // no requiresGrad: not a parameter
  readonly blocks = [new Dense(2, 3, { seed: 1 }), (x: Tensor) => x.tanh(), [new Dense(3, 3, { seed: 2 })]];
  readonly head = new Dense(3, 1, { seed: 3 });
  readonly note = 'not a tensor';
  forward(x: Tensor): Tensor {
    const a = (this.blocks[0] as Dense).forward(x);
    const b = ((this.blocks[2] as Dense[])[0] as Dense).forward(a.tanh());
    return this.head.forward(b).mul(this.scale);
  }
}

describe('Module.parameters / namedParameters', () => {
  it('finds own tensors, sub-modules, arrays and nested arrays, with dotted names, skipping frozen tensors and functions', () => {
    const m = new Mixed();
    expect(m.namedParameters().map(([name]) => name)).toEqual([
      'scale',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.2.0.weight',
      'blocks.2.0.bias',
      'head.weight',
      'head.bias',
    ]);
    expect(m.parameters()).toHaveLength(7);
    expect(m.parameters()[0]).toBe(m.scale);
    expect(m.parameters()).not.toContain(m.frozen);
  });

  it('lists a shared tensor or module once', () => {
    class Tied extends Module {
      readonly a = new Dense(2, 2, { seed: 1 });
      readonly b = this.a;
      readonly list = [this.a.weight];
      forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    expect(new Tied().namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
  });

  it('names the parameters of a Network and a Sequential by layer', () => {
    expect(new Network([2, 3, 1]).namedParameters().map(([n]) => n)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    const seq = new Sequential(new Dense(2, 3), (x) => x.relu(), new Dense(3, 1));
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
  });

  it('zeroGrad clears every parameter’s gradient', () => {
    const m = new Mixed();
    m.forward(randn([2, 4], { seed: 1 })).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('Dense', () => {
  it('has weight [out, in] and bias [out, 1], both learnable, and maps X [in, m] to [out, m]', () => {
    const layer = new Dense(4, 3, { seed: 1 });
    expect(layer.weight.shape).toEqual([3, 4]);
    expect(layer.bias.shape).toEqual([3, 1]);
    expect(layer.weight.requiresGrad && layer.bias.requiresGrad).toBe(true);
    expect(layer.forward(randn([4, 7], { seed: 2 })).shape).toEqual([3, 7]);
    expect(layer.forward(randn([4, 1], { seed: 2 })).shape).toEqual([3, 1]);
  });

  it('broadcasts the bias over the m columns: z[:, j] = W x_j + b for every j', () => {
    const weight = tensor([
      [1, 2],
      [3, 4],
      [-1, 0.5],
    ]);
    const bias = tensor([[10], [20], [30]]);
    const layer = new Dense(2, 3, { activation: 'identity', params: { weight, bias } });
    const X = tensor([
      [1, 0, 2, -1],
      [0, 1, 3, 1],
    ]);
    expect(layer.forward(X)).toBeAllclose(
      [
        [11, 12, 18, 11],
        [23, 24, 38, 21],
        [29, 30.5, 29.5, 31.5],
      ],
      { rtol: 0 },
    );
  });

  it('applies its activation to the weighted input, by name or object', () => {
    const params = initLayer(3, 2, 'normal', createRng(5));
    const X = randn([3, 4], { seed: 6 });
    const byName = new Dense(3, 2, { activation: 'tanh', params });
    expect(byName.forward(X)).toBeAllclose(byName.weightedInput(X).tanh(), { rtol: 0 });
    expect(new Dense(3, 2, { params }).forward(X)).toBeAllclose(byName.weightedInput(X).sigmoid(), { rtol: 0 }); // default σ
  });

  it('draws reproducible parameters from its seed and init', () => {
    const a = new Dense(5, 4, { seed: 9, init: 'he' });
    const b = new Dense(5, 4, { seed: 9, init: 'he' });
    expect(a.weight).toBeAllclose(b.weight, { rtol: 0 });
    expect(Array.from(a.bias.data)).toEqual([0, 0, 0, 0]);
    expect(new Dense(5, 4, { seed: 10 }).weight).not.toBeAllclose(a.weight);
  });

  it('gets the gradient of w and b right (gradcheck)', () => {
    const X = randn([3, 5], { seed: 3 });
    const f = (w: Tensor, b: Tensor): Tensor => new Dense(3, 2, { activation: 'tanh', params: { weight: w, bias: b } }).forward(X).square().sum();
    expect(f).toPassGradcheck([randn([2, 3], { seed: 1 }), randn([2, 1], { seed: 2 })], GRAD_TOL);
  });
});

describe('layer sizes', () => {
  it.each([0, -1, 1.5, Number.NaN, Infinity, '3' as unknown as number])('Dense rejects %s as inputs or outputs with a ShapeError naming the argument', (bad) => {
    expect(() => new Dense(bad, 3)).toThrow(ShapeError);
    const got = typeof bad === 'string' ? `"${bad}"` : String(bad);
    expect(() => new Dense(bad, 3)).toThrow(`Dense: inputs must be a positive integer, got ${got}`);
    expect(() => new Dense(3, bad)).toThrow(`Dense: outputs must be a positive integer, got ${got}`);
    expect(() => new Network([2, bad, 1])).toThrow(ShapeError);
  });

  it('Dense rejects params whose shapes are not [outputs, inputs] and [outputs, 1]', () => {
    const p = initLayer(3, 2, 'scaled', createRng(1));
    expect(() => new Dense(4, 2, { params: p })).toThrow(/^Dense: params\.weight has shape \[2,3\], expected \[2,4\] \(outputs, inputs\)$/);
    expect(() => new Dense(3, 2, { params: { weight: p.weight, bias: zeros([3, 1]) } })).toThrow(/^Dense: params\.bias has shape \[3,1\], expected \[2,1\]/);
  });
});

describe('Sequential', () => {
  it('chains modules and plain functions in order', () => {
    const d1 = new Dense(2, 3, { seed: 1, activation: 'identity' });
    const d2 = new Dense(3, 2, { seed: 2, activation: 'identity' });
    const seq = new Sequential(d1, (x) => x.relu(), d2, (x) => x.mul(2));
    const X = randn([2, 5], { seed: 3 });
    expect(seq.forward(X)).toBeAllclose(d2.forward(d1.forward(X).relu()).mul(2), { rtol: 0 });
    expect(seq.parameters()).toEqual([d1.weight, d1.bias, d2.weight, d2.bias]);
  });

  it('with no layers is the identity', () => {
    const X = randn([2, 2], { seed: 1 });
    expect(new Sequential().forward(X)).toBe(X);
  });

  it('back-propagates through the functions between modules (gradcheck)', () => {
    const X = randn([2, 4], { seed: 7 });
    const f = (w1: Tensor, b1: Tensor, w2: Tensor): Tensor =>
      new Sequential(
        new Dense(2, 3, { activation: 'identity', params: { weight: w1, bias: b1 } }),
        (x) => x.tanh().mul(3),
        new Dense(3, 1, { activation: 'sigmoid', params: { weight: w2, bias: zeros([1, 1]) } }),
      )
        .forward(X)
        .sum();
    expect(f).toPassGradcheck([randn([3, 2], { seed: 1 }), randn([3, 1], { seed: 2 }), randn([1, 3], { seed: 3 })], GRAD_TOL);
  });
});

describe('a custom layer composed from core ops (Highway)', () => {
  it('is found by parameters() through its sub-modules', () => {
    const h = new Highway(3);
    expect(h.namedParameters().map(([n]) => n)).toEqual(['transform.weight', 'transform.bias', 'gate.weight', 'gate.bias']);
    expect(h.forward(randn([3, 4], { seed: 1 })).shape).toEqual([3, 4]);
  });

  it('passes gradcheck in all its parameters and its input', () => {
    const f = (wh: Tensor, bh: Tensor, wt: Tensor, bt: Tensor, x: Tensor): Tensor => new Highway(3, { wh, bh, wt, bt }).forward(x).square().sum();
    const inputs = [randn([3, 3], { seed: 1 }), randn([3, 1], { seed: 2 }), randn([3, 3], { seed: 3 }), randn([3, 1], { seed: 4 }), randn([3, 5], { seed: 5 })];
    expect(f).toPassGradcheck(inputs, GRAD_TOL);
  });

  it('trains inside a Sequential with the built-in layers', () => {
    const model = new Sequential(new Dense(2, 3, { seed: 1 }), new Highway(3), new Dense(3, 1, { seed: 4 }));
    expect(model.parameters()).toHaveLength(8);
    model.forward(randn([2, 6], { seed: 2 })).sum().backward();
    expect(model.parameters().every((p) => p.grad !== null && p.grad.shape.join() === p.shape.join())).toBe(true);
  });
});
