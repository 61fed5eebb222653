/**
 * Seeded initialisers: reproducibility, and the spread of each (Nielsen's N(0, 1), N(0, 1/n_in),
 * He's N(0, 2/n_in) with zero biases), measured over many samples.
 *
 * Tolerances: with n samples the sample std has standard error ≈ σ/√(2n) and the mean σ/√n;
 * the bounds below are ≥ 6 standard errors, so they fail only on a wrong formula.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, createRng, randn } from '@nabla/core';
import { Dense } from './dense.ts';
import { type InitName, checkInit, initLayer, initNetwork } from './init.ts';
import { Network } from './network.ts';

function moments(t: Tensor): { mean: number; std: number } {
  let s = 0;
  for (const v of t.data) s += v;
  const mean = s / t.size;
  let q = 0;
  for (const v of t.data) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / t.size) };
}

describe('initLayer', () => {
  const nIn = 400;
  const nOut = 200; // 80 000 weights: std known to ±0.25%, mean to ±0.0035σ

  it.each([
    ['normal', 1],
    ['scaled', 1 / Math.sqrt(nIn)],
    ['he', Math.sqrt(2 / nIn)],
  ] as const)('%s draws weights [out, in] with mean 0 and std %f', (init, std) => {
    const { weight } = initLayer(nIn, nOut, init, createRng(1));
    expect(weight.shape).toEqual([nOut, nIn]);
    const m = moments(weight);
    expect(Math.abs(m.mean)).toBeLessThan(0.025 * std);
    expect(m.std / std).toBeGreaterThan(0.985);
    expect(m.std / std).toBeLessThan(1.015);
  });

  it('draws N(0, 1) biases [out, 1] for normal and scaled, and zero biases for he', () => {
    for (const init of ['normal', 'scaled'] as const) {
      const { bias } = initLayer(3, 20_000, init, createRng(2));
      expect(bias.shape).toEqual([20_000, 1]);
      const m = moments(bias);
      expect(Math.abs(m.mean)).toBeLessThan(0.05);
      expect(Math.abs(m.std - 1)).toBeLessThan(0.03);
    }
    const { bias } = initLayer(3, 50, 'he', createRng(2));
    expect(bias.data.every((v) => v === 0)).toBe(true);
  });

  it('gives learnable tensors', () => {
    const { weight, bias } = initLayer(3, 2, 'he', createRng(3));
    expect(weight.requiresGrad && bias.requiresGrad).toBe(true);
  });
});

describe('initNetwork and seeds', () => {
  it('is reproducible: the same seed gives the same parameters, another seed others', () => {
    const a = initNetwork([5, 4, 3], 'scaled', 7);
    const b = initNetwork([5, 4, 3], 'scaled', 7);
    const c = initNetwork([5, 4, 3], 'scaled', 8);
    a.forEach((layer, l) => {
      expect(layer.weight).toBeAllclose(b[l]!.weight, { rtol: 0 });
      expect(layer.bias).toBeAllclose(b[l]!.bias, { rtol: 0 });
      expect(layer.weight).not.toBeAllclose(c[l]!.weight, { rtol: 1e-3 });
    });
    expect(new Network([5, 4, 3], { seed: 7, init: 'scaled' }).weights[1]).toBeAllclose(a[1]!.weight, { rtol: 0 });
  });

  it('draws all biases first and then all weights, in Nielsen’s order', () => {
    const rng = createRng(11);
    const layers = initNetwork([3, 4, 2], 'normal', 11);
    const b1 = randn([4, 1], { rng });
    const b2 = randn([2, 1], { rng });
    const w1 = randn([4, 3], { rng });
    const w2 = randn([2, 4], { rng });
    expect(layers[0]!.bias).toBeAllclose(b1, { rtol: 0 });
    expect(layers[1]!.bias).toBeAllclose(b2, { rtol: 0 });
    expect(layers[0]!.weight).toBeAllclose(w1, { rtol: 0 });
    expect(layers[1]!.weight).toBeAllclose(w2, { rtol: 0 });
  });

  it('checkInit accepts the three names and rejects others', () => {
    for (const n of ['normal', 'scaled', 'he']) expect(checkInit(n)).toBe(n);
    expect(() => checkInit('xavier')).toThrow(/^unknown init 'xavier'; expected one of normal, scaled, he$/);
  });
});

describe('initialiser names', () => {
  it('initLayer, initNetwork, Dense and Network reject an unknown name (Object.prototype names included) instead of drawing N(0, 1/n_in)', () => {
    for (const name of ['xavier', 'valueOf', 'constructor', '__proto__'] as unknown as InitName[]) {
      expect(() => initLayer(3, 2, name, createRng(1))).toThrow(`unknown init '${String(name)}'`);
      expect(() => initNetwork([3, 2], name, 1)).toThrow(`unknown init '${String(name)}'`);
      expect(() => new Network([3, 2], { init: name })).toThrow(TypeError);
      expect(() => new Dense(3, 2, { init: name })).toThrow(TypeError);
    }
  });
});
