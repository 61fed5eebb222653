import { describe, it, expect } from 'vitest';
import { createRng, manualSeed, randn } from './index.ts';

const take = (n: number, f: () => number): number[] => Array.from({ length: n }, f);

function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / (xs.length - 1)) };
}

describe('createRng', () => {
  it('gives the same stream for the same seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    expect(take(20, a.uniform)).toEqual(take(20, b.uniform));
    expect(take(21, a.normal)).toEqual(take(21, b.normal));
    expect(take(20, () => a.int(1000))).toEqual(take(20, () => b.int(1000)));
  });

  it('gives different streams for different (even adjacent) seeds', () => {
    const s0 = take(10, createRng(0).uniform);
    const s1 = take(10, createRng(1).uniform);
    const s2 = take(10, createRng(2).uniform);
    expect(s0).not.toEqual(s1);
    expect(s1).not.toEqual(s2);
    // not just shifted copies of each other
    expect(s0.slice(1)).not.toEqual(s1.slice(0, 9));
  });

  it('uniform lies in [0, 1) with mean ≈ 1/2 and variance ≈ 1/12 over 10k samples', () => {
    const xs = take(10_000, createRng(7).uniform);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, std } = meanStd(xs);
    // standard error of the mean: sqrt(1/12 / 10⁴) ≈ 0.0029; allow ~5 of them
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(std - Math.sqrt(1 / 12))).toBeLessThan(0.01);
  });

  it('int(n) covers every value of [0, n) about equally', () => {
    const rng = createRng(3);
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const k = rng.int(5);
      expect(Number.isInteger(k)).toBe(true);
      counts[k]!++;
    }
    expect(counts.length).toBe(5);
    // each ≈ 2000, binomial sd ≈ 40
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  it('normal has mean ≈ 0, std ≈ 1 and a sane tail over 10k samples', () => {
    const xs = take(10_000, createRng(11).normal);
    const { mean, std } = meanStd(xs);
    // standard errors: mean 0.01, std ≈ 0.007; bounds at ~5 standard errors
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.035);
    // P(|z| > 2) ≈ 4.55%: 455 ± 21 expected
    const beyond2 = xs.filter((x) => Math.abs(x) > 2).length;
    expect(beyond2).toBeGreaterThan(350);
    expect(beyond2).toBeLessThan(560);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('shuffle is a permutation, in place, and actually moves things', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const out = createRng(5).shuffle(items);
    expect(out).toBe(items);
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const fixed = out.filter((v, i) => v === i).length;
    expect(fixed).toBeLessThan(10); // expected number of fixed points of a random permutation is 1
  });

  it('shuffle works on typed arrays and is reproducible', () => {
    const a = createRng(9).shuffle(Uint32Array.from({ length: 50 }, (_, i) => i));
    const b = createRng(9).shuffle(Uint32Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('shuffle visits every permutation of 3 items', () => {
    const rng = createRng(13);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(rng.shuffle(['a', 'b', 'c']).join(''));
    expect(seen.size).toBe(6);
  });
});

describe('randn', () => {
  it('is reproducible from a seed and from manualSeed', () => {
    expect(Array.from(randn([3, 4], { seed: 1 }).data)).toEqual(Array.from(randn([3, 4], { seed: 1 }).data));
    expect(Array.from(randn([5], { seed: 1 }).data)).not.toEqual(Array.from(randn([5], { seed: 2 }).data));
    manualSeed(123);
    const a = Array.from(randn([6]).data);
    manualSeed(123);
    const b = Array.from(randn([6]).data);
    expect(a).toEqual(b);
  });

  it('draws from the given generator and equals its normal stream', () => {
    const expected = take(4, createRng(8).normal);
    expect(Array.from(randn([2, 2], { rng: createRng(8) }).data)).toEqual(expected);
  });

  it('honours mean and std over 10k samples', () => {
    const t = randn([100, 100], { seed: 21, mean: 3, std: 0.5 });
    expect(t.shape).toEqual([100, 100]);
    const { mean, std } = meanStd(t.data);
    // standard errors: mean 0.005, std ≈ 0.0035
    expect(Math.abs(mean - 3)).toBeLessThan(0.025);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.02);
  });

  it('passes requiresGrad and name through', () => {
    const t = randn([2], { seed: 1, requiresGrad: true, name: 'w' });
    expect(t.requiresGrad).toBe(true);
    expect(t.name).toBe('w');
  });
});
