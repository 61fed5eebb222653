/**
 * matmul's and reshape's errors, resolveAxes, gradgradcheck's cotangent and Tape's leaves, checked
 * backward and fused update, pinned down where changing the code (`pnpm mutate`) went unnoticed:
 * the shapes a ShapeError carries, the transposed operand marked in matmulT's message, an axis
 * list with a non-number, the input gradgradcheck names `cotangent`, a retained intermediate that
 * sgdStep must not move, a leaf that is its own output, backward() without anomaly detection, the
 * checked sgdStep, and the storage-overlap test that decides whether a product is folded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  type Tensor,
  customOp,
  fromData,
  grad,
  gradgradcheck,
  matmul,
  matmulT,
  randn,
  setDetectAnomaly,
  sum,
  tensor,
  trace,
  zeros,
} from './index.ts';
import { describeWorst } from './gradcheck.ts';

function errorOf<E extends Error>(cls: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error('expected a throw');
}

describe('matmul and matmulT: the ShapeError names the op and carries both operand shapes', () => {
  it('a 0-d right operand against a vector: "expected operands of rank ≥ 1", shapes [[2], []]', () => {
    const e = errorOf(ShapeError, () => matmul(tensor([1, 2]), tensor(3)));
    expect(e.message).toBe('matmul: expected operands of rank ≥ 1, got [2] @ []');
    expect(e.op).toBe('matmul');
    expect(e.shapes).toEqual([[2], []]);
  });

  it('a vector against a matrix with another inner dimension: shapes [[3], [2,4]]', () => {
    const e = errorOf(ShapeError, () => matmul(tensor([1, 2, 3]), zeros([2, 4])));
    expect(e.message).toBe('matmul: inner dimensions differ: [3] @ [2,4]');
    expect(e.shapes).toEqual([[3], [2, 4]]);
  });

  it('matmulT with a vector operand: "expected tensors of rank ≥ 2", shapes [[3], [3,2]]', () => {
    const e = errorOf(ShapeError, () => matmulT(tensor([1, 2, 3]), zeros([3, 2]), false, false));
    expect(e.message).toBe('matmul: expected tensors of rank ≥ 2, got [3] @ [3,2]');
    expect(e.shapes).toEqual([[3], [3, 2]]);
  });

  it('batch dimensions that cannot be broadcast: shapes [[2,3,4], [3,4,5]]', () => {
    const e = errorOf(ShapeError, () => matmul(zeros([2, 3, 4]), zeros([3, 4, 5])));
    expect(e.message).toBe('matmul: batch dimensions cannot be broadcast: [2,3,4] @ [3,4,5]');
    expect(e.shapes).toEqual([
      [2, 3, 4],
      [3, 4, 5],
    ]);
  });

  it('matmulT marks a transposed left operand with ᵀ in the inner-dimension message', () => {
    // op(a) = aᵀ is [2,3], so K = 3 against b's 4 rows
    const e = errorOf(ShapeError, () => matmulT(zeros([3, 2]), zeros([4, 5]), true, false));
    expect(e.message).toBe('matmul: inner dimensions differ: [3,2]ᵀ @ [4,5]');
    expect(e.shapes).toEqual([
      [3, 2],
      [4, 5],
    ]);
  });
});

describe('resolveAxes: an axis list must hold numbers only', () => {
  it('sum over [0, "1"] is a DTypeError naming the argument, not an out-of-range axis', () => {
    const e = errorOf(DTypeError, () => sum(zeros([2, 3]), [0, '1'] as unknown as number[]));
    expect(e.message).toMatch(/^sum: argument 'axis' must be an axis or an array of axes, got /);
  });
});

describe('gradgradcheck names its last input "cotangent"', () => {
  it('a rule whose own rule is wrong in g is reported at input 1 (cotangent)', () => {
    // scale3's forward is 3g but its rule says 5g: ∂/∂u of ⟨3u, v⟩ is 3v numerically, 5v analytically
    const scale3 = customOp({ name: 'scale3', forward: (g) => g.mul(3), backward: (h) => [h.mul(5)] });
    const op = customOp({ name: 'op', forward: (x) => x.mul(3), backward: (g) => [scale3(g)] });
    const r = gradgradcheck((x) => op(x), [randn([3], { seed: 5 })]);
    expect(r.ok).toBe(false);
    expect(r.worst!.input).toBe(1);
    expect(r.worst!.name).toBe('cotangent');
    expect(describeWorst(r)).toMatch(/^worst at input 1 \(cotangent\) index \[\d\]/);
  });
});

describe('Tape: which tensors are leaves', () => {
  it('sgdStep leaves the value of a retained intermediate alone (it moves only the leaves)', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let z: Tensor | null = null;
    const tape = trace(() => {
      z = w.mul(2).retainGrad();
      return z.square().sum();
    });
    tape.forward();
    const decayed: Tensor[] = [];
    tape.sgdStep(0.125, (p) => {
      decayed.push(p);
      return 1;
    });
    // z = 2w = [2, 4] until the next forward; only w is stepped: w ← w − 0.125·8w = 0
    expect(z!.toArray()).toEqual([2, 4]);
    expect(w.toArray()).toEqual([0, 0]);
    expect(decayed).toEqual([w]);
  });

  it('a leaf that is itself the traced output gets the seed as its gradient', () => {
    const w = tensor([3], { requiresGrad: true });
    const tape = trace(() => w);
    expect(tape.forward()).toBe(3);
    tape.backward();
    expect(w.grad!.toArray()).toEqual([1]);
    tape.sgdStep(0.5);
    expect(w.toArray()).toEqual([2.5]);
  });
});

describe('Tape: anomaly detection on and off', () => {
  afterEach(() => setDetectAnomaly(false));

  it('backward() without anomaly detection writes a non-finite gradient instead of raising', () => {
    // d√w/dw = 1/(2√w) is +Infinity at w = 0, while √0 = 0 is finite
    const w = tensor([0, 4], { requiresGrad: true });
    const tape = trace(() => w.sqrt().sum());
    tape.forward();
    expect(() => tape.backward()).not.toThrow();
    expect(w.grad!.toArray()).toEqual([Infinity, 0.25]);
  });

  it('sgdStep with anomaly detection on recomputes a folded weight gradient at the current values', () => {
    const X = randn([5, 3], { seed: 21 });
    const w = randn([3, 4], { seed: 22, requiresGrad: true });
    const f = (v: Tensor): Tensor => X.matmul(v).tanh().sum();
    const tape = trace(() => f(w));
    // new values after tracing: a gradient left from the trace would be stale
    w.data.set(w.data.map((v, j) => 0.5 * v + 0.1 * (j % 3)));
    const [g] = grad(f)(w.detach());
    const expected = Float64Array.from(w.data, (v, j) => v - 0.25 * g!.data[j]!);
    setDetectAnomaly(true);
    tape.forward();
    tape.sgdStep(0.25);
    expect(w).toBeAllclose(fromData(expected, [3, 4]), { rtol: 1e-12, atol: 1e-14 });
    expect(w.grad).toBeNull();
  });
});

describe('Tape.sgdStep folds a product whose operands only share a buffer with the weight, without overlapping it', () => {
  /**
   * w (3×4) and the input X (5×3) are views of one ArrayBuffer, w first or X first, adjacent.
   * X·w's weight gradient Xᵀ·G reads X, which no step writes: the product is folded, so the
   * gradient buffer from backward() is left as it was, and w still moves like p − lr·∂f/∂p.
   */
  function check(wFirst: boolean): void {
    const buffer = new ArrayBuffer(8 * (12 + 15));
    const wData = new Float64Array(buffer, wFirst ? 0 : 8 * 15, 12);
    const xData = new Float64Array(buffer, wFirst ? 8 * 12 : 0, 15);
    wData.set(randn([3, 4], { seed: 31 }).data);
    xData.set(randn([5, 3], { seed: 32 }).data);
    const w = fromData(wData, [3, 4], { requiresGrad: true });
    const X = fromData(xData, [5, 3]);
    const f = (v: Tensor): Tensor => X.matmul(v).tanh().sum();
    const tape = trace(() => f(w));
    tape.forward();
    tape.backward();
    const gradBuffer = w.grad!.data;
    gradBuffer.fill(12345);
    const [g] = grad(f)(w.detach());
    const expected = Float64Array.from(w.data, (v, j) => v - 0.25 * g!.data[j]!);
    tape.forward();
    tape.sgdStep(0.25);
    expect(gradBuffer.every((v) => v === 12345)).toBe(true);
    expect(w).toBeAllclose(fromData(expected, [3, 4]), { rtol: 1e-12, atol: 1e-14 });
    expect(Array.from(X.data)).toEqual(Array.from(randn([5, 3], { seed: 32 }).data));
  }

  it('the weight just before the input in the buffer', () => check(true));
  it('the weight just after the input in the buffer', () => check(false));
});
