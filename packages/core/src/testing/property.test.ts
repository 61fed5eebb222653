import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { type Tensor, customOp } from '../index.ts';
import { broadcastPairArb, gradcheckProperty, propertyConfig, shapeArb } from './index.ts';

/** exp with a gradient twice too large. */
const badExp = customOp({ name: 'badExp', forward: (x) => x!.exp(), backward: (g, { output }) => [g.mul(output).mul(2)] });

/**
 * The text of what `fn` threw, with its `cause` chain: fast-check 4 attaches the property's own
 * error as `cause` (vitest prints it as "Caused by:") unless `includeErrorInReport` is set.
 */
function failureText(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    const parts: string[] = [];
    for (let c: unknown = e; c instanceof Error; c = c.cause) parts.push(c.message);
    return parts.join('\n');
  }
  throw new Error('expected fc.assert to throw');
}

describe('gradcheckProperty', () => {
  it('holds for a correct function over fixed shapes and over a shape arbitrary', () => {
    fc.assert(gradcheckProperty((x) => x!.tanh().sum(), [[2, 3]]), propertyConfig({ numRuns: 10 }));
    fc.assert(gradcheckProperty((a, b) => a!.mul(b!).sum(), broadcastPairArb()), propertyConfig({ numRuns: 10 }));
  });

  it('fails (fc.assert throws) on a wrong custom op, with "gradcheck failed" and the shapes', () => {
    const text = failureText(() => fc.assert(gradcheckProperty((x) => badExp(x!), [[3]]), propertyConfig({ numRuns: 5 })));
    expect(text).toMatch(/gradcheck failed for input shapes \[3\]: worst at input 0 index \[\d\]: analytic [-\d.e]+, numeric [-\d.e]+/);
    expect(text).toContain('Counterexample');
  });

  it('shrinks a failure to the smallest shape', () => {
    const text = failureText(() =>
      fc.assert(
        gradcheckProperty((x) => badExp(x!).sum(), shapeArb({ minRank: 1 }).map((s) => [s])),
        propertyConfig({ numRuns: 20 }),
      ),
    );
    expect(text).toContain('Counterexample: [[Tensor(shape=[1])]]');
    expect(text).toContain('gradcheck failed for input shapes [1]');
  });

  it('passes for a correct custom op over many shapes (no false alarms)', () => {
    const goodExp = customOp({ name: 'goodExp', forward: (x) => x!.exp(), backward: (g, { output }) => [g.mul(output)] });
    fc.assert(gradcheckProperty((x) => goodExp(x!), shapeArb().map((s) => [s])), propertyConfig({ numRuns: 20 }));
  });

  it('passes the value options on to the generated inputs', () => {
    const seen: number[] = [];
    const logOf = (x: Tensor): Tensor => {
      seen.push(...x.data);
      return x.log();
    };
    fc.assert(gradcheckProperty((x) => logOf(x!), [[4]], { min: 0.5, max: 2 }), propertyConfig({ numRuns: 10 }));
    expect(seen.length).toBeGreaterThan(0);
    // perturbations move by eps = 1e-6 at most
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(0.5 - 1e-6);
      expect(v).toBeLessThanOrEqual(2 + 1e-6);
    }
  });
});

describe('propertyConfig', () => {
  it('fixes the seed and numRuns unless overridden', () => {
    const c = propertyConfig();
    expect(Number.isInteger(c.seed)).toBe(true);
    expect(c.numRuns).toBeGreaterThan(0);
    expect(propertyConfig()).toEqual(c);
    expect(propertyConfig({ numRuns: 3 }).numRuns).toBe(3);
    expect(propertyConfig({ numRuns: 3 }).seed).toBe(c.seed);
  });
});
