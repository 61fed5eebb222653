/**
 * σ in float64 has three routes: the SIMD kernel in place (tensors in one arena of
 * `createKernels`, as a traced tape allocates them), the same kernel on copies (large ordinary
 * arrays), and `sigmoidValue` in TypeScript (small arrays, or no SIMD). They must give identical
 * bits, and be as accurate as 1/(1 + e^−v) through Math.exp.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromData, sigmoid } from './index.ts';
import { primitives, sigmoidValue } from './primitives.ts';
import { createKernels } from './backend.ts';
import { createWasmArena } from './kernels/wasm.ts';
import { propertyConfig } from './testing/index.ts';

/** σ through Math.exp, stable in both tails: the reference. */
const reference = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

// Around 0, across the range where e^−|v| leaves the normal floats (−708) and underflows (−745),
// the infinities and NaN.
const EDGES = [0, -0, 5e-324, -5e-324, 1e-300, -1e-300, 0.5, -0.5, 1, -1, 20, -20, 36.7, -36.7, 700, -700, -708.3, -708.5, -720, -740, -745, -745.13, -745.14, -746, -800, 800, Infinity, -Infinity, NaN];

const values = (n: number, seed: number): Float64Array => {
  // Magnitudes from 0.1 to ~1600 (log-uniform), both signs, from a fixed linear congruence.
  let s = seed;
  const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Float64Array.from({ length: n }, (_, i) => (i < EDGES.length ? EDGES[i]! : (next() < 0.5 ? -1 : 1) * 10 ** (next() * 4.2 - 1)));
};

describe('sigmoid in float64: one result whichever route computes it', () => {
  const x = values(4099, 7); // odd, so the kernel's one-lane tail runs too

  it('the SIMD kernel in an arena, on copies, and sigmoidValue give identical bits', () => {
    // Input and output in one arena of createKernels: the primitive runs the kernel in place.
    const k = createKernels('float64', { bytes: 16 * x.length + 1024 });
    const xa = k.alloc(x.length);
    const ya = k.alloc(x.length);
    xa.set(x);
    primitives.sigmoid.forward({ x: [xa], shapes: [[x.length]], out: ya, outShape: [x.length], attrs: null });
    // An ordinary tensor this large: the kernel on copies in a scratch arena.
    const copied = sigmoid(fromData(x.slice(), [x.length])).data;
    // The kernel on its own, with Z = A.
    const arena = createWasmArena(16 * x.length + 1024);
    const z = arena.f64(x.length);
    z.set(x);
    arena.sigmoid_f64(z, z);
    for (let i = 0; i < x.length; i++) {
      const scalar = sigmoidValue(x[i]!);
      expect(Object.is(ya[i], scalar), `in the arena at ${x[i]}: ${ya[i]} vs ${scalar}`).toBe(true);
      expect(Object.is(copied[i], scalar), `on copies at ${x[i]}: ${copied[i]} vs ${scalar}`).toBe(true);
      expect(Object.is(z[i], scalar), `the kernel in place at ${x[i]}: ${z[i]} vs ${scalar}`).toBe(true);
    }
    // A small tensor takes the TypeScript loop.
    const small = sigmoid(fromData(x.slice(0, EDGES.length), [EDGES.length])).data;
    small.forEach((v, i) => expect(Object.is(v, sigmoidValue(x[i]!))).toBe(true));
  });

  it('is within 4 ulp of σ through Math.exp, and exact at the edges', () => {
    let worst = 0;
    for (const v of x) {
      const want = reference(v);
      const got = sigmoidValue(v);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else if (want < 2.2250738585072014e-308) expect(Math.abs(got - want)).toBeLessThanOrEqual(5e-324); // subnormal: one step
      else worst = Math.max(worst, Math.abs(got - want) / want);
    }
    expect(worst).toBeLessThan(4 * 2 ** -52);
    expect([0, -0, Infinity, -Infinity, -746, -800, 800].map(sigmoidValue)).toEqual([0.5, 0.5, 1, 0, 0, 0, 1]);
  });

  it('property: 1 − σ(v) = σ(−v) to rounding, and σ is monotone', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (v, d) => {
        expect(Math.abs(1 - sigmoidValue(v) - sigmoidValue(-v))).toBeLessThan(4 * 2 ** -52);
        expect(sigmoidValue(v + d)).toBeGreaterThanOrEqual(sigmoidValue(v));
      }),
      propertyConfig({ numRuns: 2000 }),
    );
  });
});

describe('sigmoid in float32: the SIMD kernel (a Cephes expf)', () => {
  // Float32 edges: around 0, where e^−|v| leaves the normal floats (−87.3) and underflows
  // (−103.3), the infinities and NaN; then the float64 values above, rounded.
  const EDGES32 = [0, -0, 1e-30, -1e-30, 0.5, -0.5, 1, -1, 16.6, -16.6, 17.4, -17.4, 87, -87, -87.3, -87.4, -88, -100, -104, 100, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];
  const x = Float32Array.from([...EDGES32, ...values(4099, 11)]); // odd length: the one-lane tail runs too
  const MIN_NORMAL = 2 ** -126;

  it('is within 2 ulp of σ (float64, rounded) where that is a normal float32, 0 below, keeps NaN, and is exact at the ends', () => {
    const k = createKernels('float32', { bytes: 8 * x.length + 1024 });
    const sigmoid32 = k.sigmoid;
    if (sigmoid32 === undefined) return expect(k.simd).toBe(false); // no SIMD here: nothing to test
    const z = k.alloc(x.length);
    const a = k.alloc(x.length);
    z.set(x);
    sigmoid32(z, a);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const want = Math.fround(reference(x[i]!));
      const got = a[i]!;
      if (Number.isNaN(want)) expect(got, `σ(${x[i]})`).toBeNaN();
      else if (want < MIN_NORMAL) expect(got, `σ(${x[i]})`).toBe(0); // below the normals: flushed to 0
      else worst = Math.max(worst, Math.abs(got - want) / want);
    }
    expect(worst).toBeLessThanOrEqual(2 * 2 ** -23);
    const ends = Float32Array.from([0, -0, Infinity, -Infinity, 100, -3.4e38]);
    const out = k.alloc(ends.length);
    const input = k.alloc(ends.length);
    input.set(ends);
    sigmoid32(input, out);
    expect([...out]).toEqual([0.5, 0.5, 1, 0, 1, 0]);
  });
});
