/**
 * gradcheck itself: it must pass correct rules and catch wrong ones, point at a real element,
 * and use a random cotangent for non-scalar outputs (so a rule that ignores the incoming
 * gradient cannot hide behind a cotangent of ones).
 */
import { describe, it, expect } from 'vitest';
import { GradError, GradcheckError, type Tensor, assertGradcheck, customOp, fromData, gradcheck, randn, tensor } from './index.ts';

/** An elementwise map outside the engine, so the custom ops below borrow none of its rules. */
function map(x: Tensor, f: (v: number) => number): Tensor {
  return fromData(Float64Array.from(x.data, f), x.shape);
}

/** d/dx sin(x) = cos(x) — a correct custom op. */
const sin = customOp({
  name: 'sin',
  forward: (x) => map(x!, Math.sin),
  backward: (g, { inputs: [x] }) => [g.mul(map(x!, Math.cos))],
});

/** The same op with a gradient twice too large. */
const sinTwice = customOp({
  name: 'sinTwice',
  forward: (x) => map(x!, Math.sin),
  backward: (g, { inputs: [x] }) => [g.mul(map(x!, Math.cos)).mul(2)],
});

/** A rule that forgets the chain rule: returns f'(x) instead of g ⊙ f'(x). */
const sinIgnoresG = customOp({
  name: 'sinIgnoresG',
  forward: (x) => map(x!, Math.sin),
  backward: (_g, { inputs: [x] }) => [map(x!, Math.cos)],
});

describe('gradcheck', () => {
  it('reports ok for correct ops, with every element compared', () => {
    const x = randn([3, 4], { seed: 1 });
    const w = randn([4, 2], { seed: 2 });
    const report = gradcheck((a, b) => a!.matmul(b!).tanh().sum(), [x, w]);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(12 + 8);
    expect(report.maxAbsError).toBeLessThan(1e-8);
    expect(report.worst).not.toBeNull();
  });

  it('reports ok for a correct custom op', () => {
    const report = gradcheck((x) => sin(x!).sum(), [randn([5], { seed: 3 })]);
    expect(report.ok).toBe(true);
  });

  it('leaves its inputs untouched and gives them no .grad', () => {
    const x = randn([4], { seed: 4, requiresGrad: true });
    const before = Array.from(x.data);
    gradcheck((t) => t!.square().sum(), [x]);
    expect(Array.from(x.data)).toEqual(before);
    expect(x.grad).toBeNull();
  });

  it('leaves its inputs untouched even when f throws during the numeric pass', () => {
    const x = tensor([1, 2, 3]);
    let calls = 0;
    const f = (t: Tensor): Tensor => {
      if (++calls === 3) throw new Error('flaky');
      return t.square().sum();
    };
    expect(() => gradcheck((t) => f(t!), [x])).toThrow('flaky');
    expect(x.toArray()).toEqual([1, 2, 3]);
  });

  it('draws the cotangent of a non-scalar output from `seed`', () => {
    const x = tensor([0.1, 0.5, -0.7, 1.3]);
    const worst = (seed: number): number => gradcheck((t) => sinIgnoresG(t!), [x], { seed }).worst!.numeric;
    expect(worst(1)).toBe(worst(1));
    expect(worst(1)).not.toBe(worst(2));
  });

  it('catches a custom op whose gradient is 2× too large, pointing at a real element', () => {
    const x = tensor([[0.3, -1.2, 2.0], [0.7, 1.1, -0.4]], { name: 'x' });
    const report = gradcheck((t) => sinTwice(t!).sum(), [x]);
    expect(report.ok).toBe(false);
    const w = report.worst!;
    expect(w.input).toBe(0);
    expect(w.name).toBe('x');
    expect(w.index.length).toBe(2);
    expect(w.index[0]).toBeGreaterThanOrEqual(0);
    expect(w.index[0]).toBeLessThan(2);
    expect(w.index[1]).toBeGreaterThanOrEqual(0);
    expect(w.index[1]).toBeLessThan(3);
    // numeric ≈ cos(x) at that element; analytic is twice it
    const v = x.data[w.index[0]! * 3 + w.index[1]!]!;
    expect(w.numeric).toBeCloseTo(Math.cos(v), 7);
    expect(w.analytic).toBeCloseTo(2 * Math.cos(v), 12);
    // the worst element is where |cos| (the error) is largest
    const errs = Array.from(x.data, (u) => Math.abs(Math.cos(u)));
    expect(errs.indexOf(Math.max(...errs))).toBe(w.index[0]! * 3 + w.index[1]!);
    expect(report.maxAbsError).toBeCloseTo(Math.max(...errs), 7);
    expect(report.maxRelError).toBeCloseTo(0.5, 6);
  });

  it('catches the wrong input of several', () => {
    const report = gradcheck((a, b) => a!.mul(sinTwice(b!)).sum(), [tensor([1, 2]), tensor([0.5, 0.25])]);
    expect(report.ok).toBe(false);
    expect(report.worst!.input).toBe(1);
  });

  it('uses a random cotangent for a non-scalar output, so a rule that ignores g is caught', () => {
    const x = tensor([0.1, 0.5, -0.7, 1.3]);
    // With a cotangent of ones this rule would pass: Σ 1·cos(x) is exactly what it returns.
    expect(gradcheck((t) => sinIgnoresG(t!).sum(), [x]).ok).toBe(true);
    expect(gradcheck((t) => sinIgnoresG(t!), [x]).ok).toBe(false);
    // and the correct rule passes on the same non-scalar output, for several cotangent seeds
    for (const seed of [0, 1, 2]) expect(gradcheck((t) => sin(t!), [x], { seed }).ok).toBe(true);
  });

  it('honours its tolerances', () => {
    const x = tensor([0.5]);
    // A 10% error passes rtol 0.2 and fails rtol 0.05.
    const tenPercent = customOp({ name: 'off', forward: (t) => t!.mul(1), backward: (g) => [g.mul(1.1)] });
    expect(gradcheck((t) => tenPercent(t!).sum(), [x], { rtol: 0.2 }).ok).toBe(true);
    expect(gradcheck((t) => tenPercent(t!).sum(), [x], { rtol: 0.05 }).ok).toBe(false);
  });

  it('reports no worst element for inputs without elements', () => {
    const report = gradcheck((t) => t!.sum(), [tensor([])]);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(0);
    expect(report.worst).toBeNull();
  });

  it('throws when an input is not a tensor', () => {
    expect(() => gradcheck((t) => t!, [3 as unknown as Tensor])).toThrow(GradError);
    expect(() => gradcheck((t) => t!, [3 as unknown as Tensor])).toThrow(/^gradcheck: input 0 must be a Tensor, got number$/);
  });

  // When f's output shares storage with an input (reshape), each output must be read before
  // the next perturbation, or every central difference would be 0.
  it('passes reshape, whose output shares its input storage', () => {
    expect(gradcheck((t) => t!.reshape([-1]), [randn([2, 3], { seed: 5 })]).ok).toBe(true);
  });
});

describe('assertGradcheck', () => {
  it('returns the report when the check passes', () => {
    const report = assertGradcheck((t) => t!.exp().sum(), [randn([3], { seed: 6 })]);
    expect(report.ok).toBe(true);
  });

  it("throws a GradcheckError whose message names the worst element's analytic and numeric values", () => {
    let caught: unknown;
    try {
      assertGradcheck((t) => sinTwice(t!).sum(), [tensor([0.3, 1.0], { name: 'theta' })]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradcheckError);
    const e = caught as GradcheckError;
    expect(e.message).toMatch(/^gradcheck failed: worst at input 0 \(theta\) index \[0\]: analytic [-\d.e]+, numeric [-\d.e]+ \(max abs error/);
    expect(e.message).toContain('analytic');
    expect(e.message).toContain('numeric');
    expect(e.report.ok).toBe(false);
  });
});

describe('toPassGradcheck matcher', () => {
  it('passes a correct rule and fails a wrong one', () => {
    expect((t: Tensor) => sin(t).sum()).toPassGradcheck([tensor([0.2, 0.4])]);
    expect((t: Tensor) => sinTwice(t).sum()).not.toPassGradcheck([tensor([0.2, 0.4])]);
    expect(() => expect((t: Tensor) => sinTwice(t).sum()).toPassGradcheck([tensor([0.2, 0.4])])).toThrow(/gradcheck failed: worst at input 0/);
  });
});
