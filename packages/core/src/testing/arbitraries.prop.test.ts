import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { Tensor, broadcastShapes } from '../index.ts';
import { broadcastPairArb, propertyConfig, shapeArb, tensorArb } from './index.ts';

describe('shapeArb', () => {
  it('stays within the default bounds: rank 0..3, dims 1..4', () => {
    fc.assert(
      fc.property(shapeArb(), (s) => {
        expect(s.length).toBeLessThanOrEqual(3);
        for (const d of s) {
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(1);
          expect(d).toBeLessThanOrEqual(4);
        }
      }),
      propertyConfig({ numRuns: 100 }),
    );
  });

  it('stays within given bounds', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 2, maxRank: 5, minDim: 0, maxDim: 7 }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(2);
        expect(s.length).toBeLessThanOrEqual(5);
        for (const d of s) {
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(7);
        }
      }),
      propertyConfig({ numRuns: 100 }),
    );
  });

  it('reaches both ends of its ranges', () => {
    const samples = fc.sample(shapeArb(), { seed: 1, numRuns: 300 });
    const ranks = new Set(samples.map((s) => s.length));
    const dims = new Set(samples.flat());
    expect([...ranks].sort()).toEqual([0, 1, 2, 3]);
    expect([...dims].sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('tensorArb', () => {
  it('has the requested shape and values within [min, max]', () => {
    const cases = shapeArb().chain((s) => fc.tuple(fc.constant(s), tensorArb(s, { min: -0.5, max: 3 })));
    fc.assert(
      fc.property(cases, ([s, t]) => {
        expect(t).toBeInstanceOf(Tensor);
        expect(t.shape).toEqual(s);
        expect(t.size).toBe(s.reduce((p, d) => p * d, 1));
        for (const v of t.data) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(-0.5);
          expect(v).toBeLessThanOrEqual(3);
        }
      }),
      propertyConfig({ numRuns: 100 }),
    );
  });

  it('defaults to [-2, 2]', () => {
    fc.assert(
      fc.property(tensorArb([4, 4]), (t) => {
        for (const v of t.data) expect(Math.abs(v)).toBeLessThanOrEqual(2);
      }),
      propertyConfig(),
    );
  });

  it('keeps every value at least `margin` away from each point in `avoid`', () => {
    fc.assert(
      fc.property(tensorArb([3, 3], { avoid: [0, 1], margin: 0.25 }), (t) => {
        for (const v of t.data) {
          expect(Math.abs(v)).toBeGreaterThanOrEqual(0.25);
          expect(Math.abs(v - 1)).toBeGreaterThanOrEqual(0.25);
        }
      }),
      propertyConfig({ numRuns: 100 }),
    );
  });

  it('avoid uses a default margin of 1e-3', () => {
    fc.assert(
      fc.property(tensorArb([8], { avoid: [0] }), (t) => {
        for (const v of t.data) expect(Math.abs(v)).toBeGreaterThanOrEqual(1e-3);
      }),
      propertyConfig({ numRuns: 100 }),
    );
  });

  it('gives requiresGrad-free leaves', () => {
    const [t] = fc.sample(tensorArb([2]), { seed: 1, numRuns: 1 });
    expect(t!.requiresGrad).toBe(false);
    expect(t!.isLeaf).toBe(true);
  });
});

describe('broadcastPairArb', () => {
  it('always yields pairs that broadcast, one of which is the broadcast shape', () => {
    fc.assert(
      fc.property(broadcastPairArb({ maxRank: 4 }), ([a, b]) => {
        const out = broadcastShapes(a, b, 'test');
        expect([a, b]).toContainEqual(out);
      }),
      propertyConfig({ numRuns: 200 }),
    );
  });

  it('produces real broadcasting (rank differences and stretched 1s), in both orders', () => {
    const pairs = fc.sample(broadcastPairArb(), { seed: 2, numRuns: 300 });
    expect(pairs.some(([a, b]) => a.length < b.length)).toBe(true);
    expect(pairs.some(([a, b]) => a.length > b.length)).toBe(true);
    expect(pairs.some(([a, b]) => a.length === b.length && a.some((d, i) => d === 1 && b[i] !== 1))).toBe(true);
  });
});
