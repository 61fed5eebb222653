/**
 * gradcheck's and gradgradcheck's reports and errors, pinned down where changing the code one
 * small edit at a time (`pnpm mutate`) went unnoticed: the tolerance rule |a − n| ≤ atol + rtol·|n|
 * (an exact match passes with zero tolerances), which element is reported worst (the largest error
 * relative to its tolerance, the first among ties) and its multi-index, the largest relative error,
 * the determinism check (NaN equals NaN; a shape change is caught), and the errors' op and text.
 *
 * The functions below are linear with exactly known numeric derivatives: `x·c + detach(x)·d` has
 * the analytic gradient c and the numeric one c + d, so d plants an error of known size where wanted.
 */
import { describe, expect, it } from 'vitest';
import { describeWorst } from './gradcheck.ts';
import { GradcheckError, type Tensor, assertGradgradcheck, gradcheck, gradgradcheck, randn, tensor } from './index.ts';

/** f(x) = Σ x·c + detach(x)·d: analytic gradient c, numeric c + d. */
function planted(c: number[][] | number[], d: number[][] | number[]): (x: Tensor) => Tensor {
  return (x) => x.mul(tensor(c)).add(x.detach().mul(tensor(d))).sum();
}

describe('gradcheck: tolerance and the worst element', () => {
  it('passes an exact match with rtol = atol = 0 (the bound is ≤, not <)', () => {
    // x = 0, eps = 1e-6: ((0 + eps) − (0 − eps)) / (2·eps) is exactly 1, the analytic gradient.
    const r = gradcheck((x) => x.sum(), [tensor([0])], { rtol: 0, atol: 0 });
    expect(r.maxAbsError).toBe(0);
    expect(r.ok).toBe(true);
  });

  it('scales rtol by the numeric derivative: a 1e-7 relative error at a derivative of 1000 passes rtol 1e-6', () => {
    const r = gradcheck(planted([1000], [1e-4]), [tensor([0.5])], { rtol: 1e-6, atol: 0 });
    expect(r.maxRelError).toBeGreaterThan(5e-8);
    expect(r.ok).toBe(true);
    const bad = gradcheck(planted([1000], [1e-2]), [tensor([0.5])], { rtol: 1e-6, atol: 0 });
    expect(bad.ok).toBe(false);
  });

  it('reports as worst the element with the largest error relative to its tolerance, not the largest error', () => {
    // element 0: error 1e-3 against a tolerance ≈ 1e-3 (ratio ≈ 1); element 1: error 1e-5 against 1e-6 (ratio 10)
    const r = gradcheck(planted([1000, 1], [1e-3, 1e-5]), [tensor([0.5, 0.5])], { rtol: 1e-6, atol: 0 });
    expect(r.ok).toBe(false);
    expect(r.worst!.index).toEqual([1]);
    expect(r.maxAbsError).toBeCloseTo(1e-3, 6);
  });

  it('keeps the largest relative error over all elements, whichever comes last', () => {
    const r = gradcheck(planted([1, 1], [1e-3, 1e-6]), [tensor([0.5, 0.5])], { rtol: 1e-9, atol: 0 });
    // element 0: |1 − 1.001| / 1.001; element 1 (last) is a thousand times smaller
    expect(r.maxRelError).toBeCloseTo(1e-3 / 1.001, 9);
  });

  it('reports the first of equally good elements, by its multi-index', () => {
    const r = gradcheck((x) => x.sum(), [tensor([[0, 0], [0, 0]])], { rtol: 0, atol: 1e-3 });
    expect(r.worst!.index).toEqual([0, 0]);
  });

  it('gives the multi-index of the worst element of a matrix, and describeWorst prints it', () => {
    const c = [[1, 1, 1], [1, 1, 1]];
    const d = [[0, 0, 0], [0, 0.5, 0]];
    const x = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    x.name = 'w';
    const r = gradcheck(planted(c, d), [x]);
    expect(r.worst!.index).toEqual([1, 1]);
    expect(describeWorst(r)).toMatch(/^worst at input 0 \(w\) index \[1,1\]: analytic 1, numeric 1\.[45]/);
  });

  it('describeWorst says so when there was nothing to check', () => {
    const r = gradcheck((x) => x.sum(), [tensor([])]);
    expect(r.checked).toBe(0);
    expect(describeWorst(r)).toBe('no elements were checked');
  });
});

describe('gradcheck: bad functions', () => {
  it('throws when the function returns no Tensor', () => {
    expect(() => gradcheck(() => 'x' as unknown as Tensor, [tensor([1])])).toThrow(/^gradcheck: the function must return a Tensor, got string$/);
  });

  it('throws when a perturbation changes the output shape', () => {
    const f = (x: Tensor): Tensor => (x.data[0] === 1 ? x.sum() : x.mul(1));
    expect(() => gradcheck(f, [tensor([1, 2])])).toThrow(/^gradcheck: f returned shape \[2\] after a perturbation, \[\] before$/);
  });

  it('throws when a second evaluation at the same point has another shape', () => {
    let calls = 0;
    const f = (x: Tensor): Tensor => (calls++ === 0 ? x.sum() : x.mul(1));
    expect(() => gradcheck(f, [tensor([1, 2])])).toThrow(/^gradcheck: f is not deterministic: a second evaluation at the same inputs returned a different shape$/);
  });

  it('takes NaN twice as the same value, but NaN then a number as not deterministic', () => {
    const nan = gradcheck((x) => x.mul(NaN).sum(), [tensor([1])]);
    expect(nan.ok).toBe(false); // NaN gradients fail the check, but not as randomness
    let calls = 0;
    const flaky = (x: Tensor): Tensor => x.mul(calls++ === 0 ? NaN : 1).sum();
    expect(() => gradcheck(flaky, [tensor([1])])).toThrow(/^gradcheck: f is not deterministic: two evaluations at the same inputs differ at output element 0 \(NaN and 1\)/);
  });
});

describe('gradgradcheck and its assert form', () => {
  it('throws when an input is not a Tensor, or the function returns none', () => {
    expect(() => gradgradcheck((x) => x, [3 as unknown as Tensor])).toThrow(/^gradgradcheck: input 0 must be a Tensor, got number$/);
    expect(() => gradgradcheck(() => 'x' as unknown as Tensor, [tensor([1])])).toThrow(/^gradgradcheck: the function must return a Tensor, got string$/);
  });

  it('throws when the function stops returning a Tensor once it is differentiated', () => {
    let calls = 0;
    const f = (x: Tensor): Tensor => (calls++ === 0 ? x.square() : ('x' as unknown as Tensor));
    expect(() => gradgradcheck(f, [tensor([1])])).toThrow(/^gradgradcheck: the function must return a Tensor, got string$/);
  });

  it('draws its random directions from the seed: two seeds, two different checks', () => {
    const x = randn([3], { seed: 5 });
    const a = gradgradcheck((t) => t.sigmoid(), [x], { seed: 1 });
    const b = gradgradcheck((t) => t.sigmoid(), [x], { seed: 2 });
    expect(a.ok && b.ok).toBe(true);
    expect(a.maxAbsError === b.maxAbsError && a.worst!.analytic === b.worst!.analytic).toBe(false);
  });

  it('assertGradgradcheck returns the report of a passing check and throws a named GradcheckError otherwise', () => {
    expect(assertGradgradcheck((t) => t.sigmoid(), [randn([2, 3], { seed: 1 })]).ok).toBe(true);
    // the second derivative of x·detach(x)² is wrong: autodiff sees 0, differences see 2·x
    const wrong = (t: Tensor): Tensor => t.mul(t.detach().square());
    let caught: unknown;
    try {
      assertGradgradcheck(wrong, [tensor([1.5])]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradcheckError);
    expect((caught as Error).name).toBe('GradcheckError');
  });
});

describe('gradcheck of a function that ignores its input', () => {
  it('compares zero gradients with zero differences and passes', () => {
    const r = gradcheck(() => tensor([1, 2]).mul(3), [tensor([0.5])]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(1);
    expect(r.worst!.analytic).toBe(0);
  });
});
