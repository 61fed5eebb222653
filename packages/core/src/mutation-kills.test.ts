/**
 * Behaviours of the composed ops and of trace() that no other test pinned down, found by changing
 * the code one small edit at a time (`pnpm mutate`) and seeing which edits every test let through:
 * the op and argument named when a composed op gets a bad input; which tensors a replayed tape
 * gives a `.grad`; a leaf created inside the traced function is a parameter, not a constant; the
 * anomaly checks of a replay name the op (and the rule) that went non-finite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DTypeError, type Tensor, div, logSoftmax, mean, setDetectAnomaly, softmax, sqrt, square, sub, tensor, trace } from './index.ts';

afterEach(() => setDetectAnomaly(false));

describe('composed ops name themselves and the bad argument', () => {
  const bad = 'x' as unknown as Tensor;
  const one = tensor([1]);
  const cases: [string, () => unknown, string][] = [
    ['sub', () => sub(bad, one), 'a'],
    ['sub', () => sub(one, bad), 'b'],
    ['div', () => div(bad, one), 'a'],
    ['div', () => div(one, bad), 'b'],
    ['sqrt', () => sqrt(bad), 'x'],
    ['square', () => square(bad), 'x'],
    ['mean', () => mean(bad), 'x'],
    ['logSoftmax', () => logSoftmax(bad), 'x'],
    ['softmax', () => softmax(bad), 'x'],
  ];
  for (const [op, call, arg] of cases) {
    it(`throws when ${op} gets a string as '${arg}'`, () => {
      expect(call).toThrow(DTypeError);
      expect(call).toThrow(new RegExp(`^${op}: argument '${arg}' must be a Tensor or a number`));
    });
  }
});

describe('trace(): what a replay touches', () => {
  it('gives .grad to the leaves and retained tensors only, as an eager backward does', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    let hidden: Tensor | undefined;
    let kept: Tensor | undefined;
    const tape = trace(() => {
      hidden = x.mul(2);
      kept = hidden.exp().retainGrad();
      return kept.sum();
    });
    tape.forward();
    tape.backward();
    expect(x.grad).not.toBeNull();
    expect(kept!.grad).not.toBeNull();
    expect(hidden!.grad).toBeNull();
  });

  it('treats a leaf with requiresGrad created inside the function as a parameter: replay reads its new values', () => {
    let w: Tensor | undefined;
    const tape = trace(() => {
      w = tensor([1, 2], { requiresGrad: true });
      return w.mul(w).sum();
    });
    expect(tape.forward()).toBe(5);
    w!.data.set([3, 4]);
    expect(tape.forward()).toBe(25);
    tape.backward();
    expect(w!.grad!).toBeAllclose(tensor([6, 8]), { rtol: 0, atol: 0 });
  });
});

describe('trace(): anomaly checks of a replay', () => {
  it('names the forward op that went non-finite, past ops folded into constants', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    // tensor(2).add(3) and the seed's path through mul and sum are folded: they are not replayed.
    const tape = trace(() => x.mul(tensor(2).add(3)).log().mul(0.5).sum());
    setDetectAnomaly(true);
    expect(tape.forward()).toBeCloseTo(0.5 * (Math.log(5) + Math.log(10)), 12);
    x.data.set([-1, 2]);
    expect(() => tape.forward()).toThrow(/^log: forward produced NaN at flat index 0/);
  });

  it('names the rule a backward op came from when the backward goes non-finite', () => {
    const x = tensor([4, 9], { requiresGrad: true });
    const tape = trace(() => sqrt(x).sum());
    setDetectAnomaly(true);
    tape.forward();
    tape.backward();
    expect(x.grad!).toBeAllclose(tensor([0.25, 1 / 6]), { rtol: 1e-15, atol: 0 });
    x.data.set([0, 9]); // sqrt(0) is finite, its derivative 1 / (2·sqrt(0)) is not
    expect(tape.forward()).toBe(3);
    expect(() => tape.backward()).toThrow(/\(rule of pow\)/);
  });
});
