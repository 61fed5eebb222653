/**
 * Each activation's raw forms (`value`, `prime`, `backward`, used by the δ equations) against
 * its autodiff form (`apply`, the graph of core ops).
 *
 * Tolerances: forward values rtol 1e-14 (same formula, possibly a different rounding order);
 * derivatives rtol 1e-12, atol 1e-15 (the autodiff rules and the raw primes are different
 * float64 expressions of the same derivative, a few ulps apart); gradcheck rtol 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, fromData, randn, tensor } from '@nabla/core';
import { type Activation, getActivation, identity, relu, sigmoid, softmax, tanh } from './activations.ts';

const ELEMENTWISE: Activation[] = [sigmoid, relu, tanh, identity];
const ROWS = 4;
const COLS = 5;

/** z away from relu's kink, with a few large values to reach the tails. */
function zs(seed: number): Tensor {
  const z = randn([ROWS, COLS], { seed, std: 3 });
  z.data[0] = 12;
  z.data[1] = -12;
  for (let i = 0; i < z.size; i++) if (Math.abs(z.data[i]!) < 1e-3) z.data[i] = 0.5;
  return z;
}

function raw(f: (out: Float64Array) => void, n = ROWS * COLS): Tensor {
  const out = new Float64Array(n);
  f(out);
  return fromData(out, [ROWS, COLS]);
}

/** ∂(Σ apply(z) ⊙ g)/∂z by autodiff. */
function autodiffBackward(act: Activation, z: Tensor, g: Tensor): Tensor {
  const leaf = fromData(z.data.slice(), z.shape, { requiresGrad: true });
  act.apply(leaf).mul(g).sum().backward();
  return leaf.grad!;
}

describe.each(ELEMENTWISE.map((a) => [a.name, a] as const))('%s', (_name, act) => {
  it('value equals apply', () => {
    const z = zs(1);
    expect(raw((out) => act.value(z.data, out, ROWS, COLS))).toBeAllclose(act.apply(z), { rtol: 1e-14, atol: 1e-300 });
  });

  it('prime equals the autodiff gradient of Σ apply(z)', () => {
    const z = zs(2);
    const a = raw((out) => act.value(z.data, out, ROWS, COLS));
    const prime = raw((out) => act.prime(z.data, a.data, out));
    expect(prime).toBeAllclose(autodiffBackward(act, z, tensor(1)), { rtol: 1e-12, atol: 1e-15 });
  });

  it('backward equals the autodiff vector–Jacobian product with any ∂C/∂a', () => {
    const z = zs(3);
    const g = randn([ROWS, COLS], { seed: 4 });
    const a = raw((out) => act.value(z.data, out, ROWS, COLS));
    const back = raw((out) => act.backward(z.data, a.data, g.data, out, ROWS, COLS));
    expect(back).toBeAllclose(autodiffBackward(act, z, g), { rtol: 1e-12, atol: 1e-15 });
  });

  it('is elementwise and looked up by its name', () => {
    expect(act.elementwise).toBe(true);
    expect(getActivation(act.name)).toBe(act);
  });
});

describe('activation details', () => {
  it('sigmoid is finite and exact in both tails (no overflow of e^−z for z = −800)', () => {
    const z = new Float64Array([-800, -40, 0, 40, 800]);
    const out = new Float64Array(5);
    sigmoid.value(z, out, 1, 5);
    expect(Array.from(out)).toEqual([0, Math.exp(-40) / (1 + Math.exp(-40)), 0.5, 1 / (1 + Math.exp(-40)), 1]);
    expect(sigmoid.apply(tensor([-800, 800])).toArray()).toEqual([0, 1]);
  });

  it('relu′(0) is 0 in the raw form and in autodiff alike', () => {
    const prime = new Float64Array(1);
    relu.prime(new Float64Array([0]), new Float64Array([0]), prime);
    expect(prime[0]).toBe(0);
    expect(autodiffBackward(relu, tensor([0]), tensor(1)).toArray()).toEqual([0]);
  });

  it('tanh′ = 1 − tanh² and identity′ = 1', () => {
    const z = new Float64Array([0.3]);
    const out = new Float64Array(1);
    tanh.prime(z, new Float64Array([Math.tanh(0.3)]), out);
    expect(out[0]).toBeCloseTo(1 - Math.tanh(0.3) ** 2, 15);
    identity.prime(z, z, out);
    expect(out[0]).toBe(1);
  });

  it('getActivation rejects an unknown name, listing the known ones', () => {
    expect(() => getActivation('swish')).toThrow(TypeError);
    expect(() => getActivation('swish')).toThrow(/^unknown activation 'swish'; expected one of sigmoid, relu, tanh, identity, softmax$/);
  });

  it('getActivation rejects the names of Object.prototype (valueOf, toString, __proto__, constructor)', () => {
    for (const name of ['valueOf', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(() => getActivation(name)).toThrow(TypeError);
      expect(() => getActivation(name)).toThrow(`unknown activation '${name}'`);
    }
  });
});

describe('softmax', () => {
  const z = randn([ROWS, COLS], { seed: 11, std: 2 });

  it('makes every column a probability distribution (sums to 1), even for z = 1000', () => {
    const big = tensor([
      [1000, -1000, 0],
      [999, -1000, 0],
      [0, -1001, 0],
    ]);
    for (const input of [z, big]) {
      const [rows, cols] = input.shape as [number, number];
      const out = new Float64Array(input.size);
      softmax.value(input.data, out, rows, cols);
      const a = softmax.apply(input);
      for (let j = 0; j < cols; j++) {
        let s = 0;
        let t = 0;
        for (let i = 0; i < rows; i++) {
          s += out[i * cols + j]!;
          t += a.data[i * cols + j]!;
          expect(Number.isFinite(out[i * cols + j]!)).toBe(true);
        }
        expect(s).toBeCloseTo(1, 14);
        expect(t).toBeCloseTo(1, 14);
      }
    }
  });

  it('value equals apply (columns are examples: softmax over axis 0)', () => {
    expect(raw((out) => softmax.value(z.data, out, ROWS, COLS))).toBeAllclose(softmax.apply(z), { rtol: 1e-14 });
    const column = tensor([[1], [2], [3]]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expect(softmax.apply(column)).toBeAllclose([[e[0]! / s], [e[1]! / s], [e[2]! / s]], { rtol: 1e-14 });
  });

  it('backward (the Jacobian applied to ∂C/∂a) equals autodiff', () => {
    const g = randn([ROWS, COLS], { seed: 12 });
    const a = raw((out) => softmax.value(z.data, out, ROWS, COLS));
    const back = raw((out) => softmax.backward(z.data, a.data, g.data, out, ROWS, COLS));
    expect(back).toBeAllclose(autodiffBackward(softmax, z, g), { rtol: 1e-12, atol: 1e-15 });
  });

  it('is not elementwise, and prime throws pointing at backward', () => {
    expect(softmax.elementwise).toBe(false);
    expect(() => softmax.prime(z.data, z.data, new Float64Array(z.size))).toThrow(/^softmax: the derivative is a Jacobian, not elementwise; use backward\(\)$/);
  });

  it('apply passes gradcheck', () => {
    expect((x: Tensor) => softmax.apply(x)).toPassGradcheck([z], { rtol: 1e-6, atol: 1e-8 });
  });
});
