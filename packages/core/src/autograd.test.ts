/**
 * backward(), grad and valueAndGrad: graph shapes (diamonds, deep chains), accumulation,
 * retained intermediates, seeds, noGrad/detach, anomaly detection, and the errors.
 */
import { afterEach, describe, it, expect } from 'vitest';
import {
  AnomalyError,
  GradError,
  ShapeError,
  type Tensor,
  backward,
  customOp,
  grad,
  isGradEnabled,
  noGrad,
  setDetectAnomaly,
  tensor,
  valueAndGrad,
} from './index.ts';
import { topologicalOrder } from './autograd.ts';

afterEach(() => setDetectAnomaly(false));

describe('backward on graphs where a tensor is used more than once', () => {
  it('y = x·x + x gives dy/dx = 2x + 1 (both uses contribute)', () => {
    const x = tensor([-1.5, 0, 2, 3], { requiresGrad: true });
    x.mul(x).add(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([-2, 1, 5, 7]);
  });

  it('a diamond: b = 2a, c = a², d = b·c gives dd/da = 6a²', () => {
    const a = tensor(3, { requiresGrad: true });
    const b = a.mul(2);
    const c = a.square();
    b.mul(c).backward();
    expect(a.grad!.item()).toBe(54);
  });

  it('an intermediate used by two consumers gets both contributions', () => {
    const x = tensor(2, { requiresGrad: true });
    const h = x.exp(); // used twice
    h.mul(3).add(h.square()).backward();
    // d/dx (3eˣ + e²ˣ) = 3eˣ + 2e²ˣ
    expect(x.grad!).toBeAllclose([3 * Math.exp(2) + 2 * Math.exp(4)], { rtol: 1e-14 });
  });

  it('a matrix used on both sides of matmul and again elsewhere gets every contribution', () => {
    const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    // L = Σ (A·A) + Σ A: ∂/∂A_ij Σ_kl (AA)_kl = Σ_l A_jl + Σ_k A_ki, plus 1
    a.matmul(a).sum().add(a.sum()).backward();
    const A = [[1, 2], [3, 4]];
    const expected = [0, 1].map((i) => [0, 1].map((j) => A[j]![0]! + A[j]![1]! + A[0]![i]! + A[1]![i]! + 1));
    expect(a.grad!.toArray()).toEqual(expected);
  });

  it('a leaf given twice to one op (x.mul(x)) gets 2x', () => {
    const x = tensor([[1, -2]], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([[2, -4]]);
  });

  it('inputs without requiresGrad get no gradient', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    w.mul(c).sum().backward();
    expect(w.grad!.toArray()).toEqual([3, 4]);
    expect(c.grad).toBeNull();
  });

  it('orders the graph inputs-before-outputs, visiting a shared node once', () => {
    const x = tensor(1, { requiresGrad: true });
    const a = x.mul(2);
    const b = x.add(1);
    const y = a.mul(b);
    const order = topologicalOrder(y);
    expect(order.length).toBe(4);
    expect(order[order.length - 1]).toBe(y);
    expect(order.indexOf(x)).toBeLessThan(order.indexOf(a));
    expect(order.indexOf(x)).toBeLessThan(order.indexOf(b));
  });
});

describe('gradient accumulation', () => {
  it('adds across two backward() calls until zeroGrad()', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.square().sum(); // dy/dx = 2x
    y.backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
    y.backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it('does not let a later backward write into an earlier seed or gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seed = tensor([1, 1]);
    x.mul(1).backward(seed);
    x.mul(1).backward(seed);
    expect(seed.toArray()).toEqual([1, 1]);
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });
});

describe('retainGrad', () => {
  it('keeps .grad on an intermediate; others stay null', () => {
    const x = tensor([1, -2], { requiresGrad: true });
    const z = x.mul(3).retainGrad();
    const h = z.add(1);
    h.square().sum().backward();
    // L = Σ (3x + 1)², ∂L/∂z = 2(z + 1)
    expect(z.grad!.toArray()).toEqual([8, -10]);
    expect(h.grad).toBeNull();
    expect(x.grad!.toArray()).toEqual([24, -30]);
  });

  it('returns the tensor itself for chaining', () => {
    const x = tensor(1, { requiresGrad: true });
    const z = x.mul(2);
    expect(z.retainGrad()).toBe(z);
    expect(z.retainsGrad).toBe(true);
  });
});

describe('backward with a seed', () => {
  it('on a non-scalar output computes the vector–Jacobian product', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.square().backward(tensor([1, 0.5, -2]));
    expect(x.grad!.toArray()).toEqual([2, 2, -12]);
  });

  it('the backward() function and the method agree', () => {
    const a = tensor([[1, 2]], { requiresGrad: true });
    const b = tensor([[1, 2]], { requiresGrad: true });
    backward(a.exp().sum());
    b.exp().sum().backward();
    expect(a.grad!.toArray()).toEqual(b.grad!.toArray());
  });

  it('on a leaf stores the seed, without aliasing the caller seed', () => {
    const x = tensor([5, 6], { requiresGrad: true });
    const seed = tensor([7, 8]);
    x.backward(seed);
    expect(x.grad!.toArray()).toEqual([7, 8]);
    x.backward(seed);
    expect(x.grad!.toArray()).toEqual([14, 16]);
    expect(seed.toArray()).toEqual([7, 8]);
  });

  it('throws when the tensor does not require grad', () => {
    const e = (() => {
      try {
        tensor([1, 2]).sum().backward();
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(GradError);
    expect((e as Error).message).toMatch(/^backward: the tensor \(shape \[\]\) does not require grad/);
  });

  it('throws when a non-scalar tensor gets no seed', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(GradError);
    expect(() => x.mul(2).backward()).toThrow(/^backward: a seed gradient is required for a tensor of shape \[2\]/);
  });

  it('throws when the seed has the wrong shape', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward(tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => x.mul(2).backward(tensor([[1, 2]]))).toThrow(/^backward: seed shape \[1,2\] differs from the tensor's shape \[2\]$/);
  });

  it('throws when the root or the seed is not a tensor', () => {
    expect(() => backward(3 as unknown as Tensor)).toThrow(/^backward: expected a Tensor, got number$/);
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward([1, 1] as unknown as Tensor)).toThrow(/^backward: the seed must be a Tensor, got object$/);
    expect(() => x.mul(2).backward([1, 1] as unknown as Tensor)).toThrow(GradError);
  });

  it('accepts a one-element non-scalar output without a seed', () => {
    const x = tensor([[3]], { requiresGrad: true });
    x.square().backward();
    expect(x.grad!.toArray()).toEqual([[6]]);
  });
});

describe('noGrad and detach', () => {
  it('noGrad records no graph and restores grad mode after', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2).exp();
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => y.sum().backward()).toThrow(GradError);
  });

  it('noGrad restores grad mode when the function throws, and nests', () => {
    expect(() =>
      noGrad(() => {
        noGrad(() => undefined);
        expect(isGradEnabled()).toBe(false);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('detach shares values but cuts the graph', () => {
    const x = tensor([2, 3], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.data).toBe(x.data);
    // L = Σ stop(x)·x → ∂L/∂x = stop(x), not 2x
    d.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 3]);
  });

  it('ops record a node only when an input requires grad', () => {
    const a = tensor([1]);
    expect(a.add(1).node).toBeNull();
    const b = tensor([1], { requiresGrad: true });
    const c = a.add(b);
    expect(c.node?.op).toBe('add');
    expect(c.node?.inputs[1]).toBe(b);
    expect(c.requiresGrad).toBe(true);
    expect(c.isLeaf).toBe(false);
  });
});

describe('deep graphs', () => {
  it('a chain of 100,000 ops does not overflow the stack and gets the product rule right', () => {
    const x = tensor(1, { requiresGrad: true });
    const c = 1.00001;
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(c);
    y.backward();
    // y = x·c^n, dy/dx = c^n (≈ e); computed by repeated multiplication, so allow rounding drift.
    expect(x.grad!).toBeAllclose([Math.pow(c, 100_000)], { rtol: 1e-9 });
  });
});

describe('detectAnomaly', () => {
  it('reports the op whose backward produced Infinity: log at 0', () => {
    const x = tensor([1, 0, 2], { requiresGrad: true });
    let caught: unknown;
    try {
      x.log().sum().backward(undefined, { detectAnomaly: true });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AnomalyError);
    const e = caught as AnomalyError;
    expect(e.message).toMatch(/^log: backward produced Infinity in the gradient of input 0 \(shape \[3\]\) at flat index 1$/);
    expect([e.op, e.inputIndex, e.index, e.value]).toEqual(['log', 0, 1, Infinity]);
  });

  it('reports sqrt at 0 as the pow it is built from', () => {
    const x = tensor([4, 0], { requiresGrad: true });
    expect(() => x.sqrt().sum().backward(undefined, { detectAnomaly: true })).toThrow(/^pow: backward produced Infinity .* at flat index 1$/);
  });

  it('reports NaN from a rule: sqrt at 0 times a zero gradient is 0·∞', () => {
    const z = tensor([1, 0], { requiresGrad: true });
    // g reaching pow is [0, 0], and pow's rule computes 0 · 0.5 · 0^(−0.5) = 0 · ∞ = NaN at index 1.
    expect(() => z.pow(0.5).mul(tensor([0, 0])).sum().backward(undefined, { detectAnomaly: true })).toThrow(
      /^pow: backward produced NaN in the gradient of input 0 \(shape \[2\]\) at flat index 1$/,
    );
  });

  it('is off by default: the Infinity lands in .grad', () => {
    const x = tensor([0], { requiresGrad: true });
    x.log().sum().backward();
    expect(x.grad!.item()).toBe(Infinity);
  });

  it('setDetectAnomaly(true) turns it on for the forward pass and for later backward() calls', () => {
    const x = tensor([0], { requiresGrad: true });
    const y = x.log().sum(); // built with checks off: the -Infinity passes
    setDetectAnomaly(true);
    try {
      expect(() => x.log()).toThrow(/^log: forward produced -Infinity at flat index 0 of its output \(shape \[1\]\) from finite inputs$/);
      expect(() => y.backward()).toThrow(AnomalyError);
      // an explicit option wins over the default
      expect(() => y.backward(undefined, { detectAnomaly: false })).not.toThrow();
    } finally {
      setDetectAnomaly(false);
    }
  });

  it('names the input that carried a non-finite value into the forward pass (a pixel, a weight)', () => {
    setDetectAnomaly(true);
    try {
      const X = tensor([[1, NaN], [0, 1]], { name: 'X' });
      const w = tensor([[1, 2]], { requiresGrad: true, name: 'w' });
      expect(() => w.matmul(X)).toThrow(/^matmul: input 1 \(X\) of shape \[2,2\] holds NaN at flat index 1 \(a leaf: the value was in the data or a parameter\); it made the output non-finite$/);
      const big = tensor([[800]], { name: 'w' });
      expect(() => big.exp().mul(2)).toThrow(/^exp: forward produced Infinity/);
    } finally {
      setDetectAnomaly(false);
    }
  });
});

describe('tensors changed after an op used them', () => {
  it('backward raises, naming the op and the input, instead of a gradient from the new values', () => {
    const w = tensor([1, 2], { requiresGrad: true, name: 'w' });
    const loss = w.mul(w).sum();
    w.data[0] = 10;
    expect(() => loss.backward()).toThrow(GradError);
    expect(() => loss.backward()).toThrow(/^mul: input 0 \(w\) of shape \[2\] was changed in place after mul used it/);
  });

  it("an intermediate (sigmoid's output, which its rule reads) is guarded too, at the first op that holds it", () => {
    const x = tensor([0.5], { requiresGrad: true });
    const a = x.sigmoid();
    const loss = a.mul(2).sum();
    a.data[0] = 0.9;
    expect(() => loss.backward()).toThrow(/^mul: input 0 of shape \[1\] was changed in place after mul used it/);
  });

  it('reading without writing, and the usual loop (backward, update, new forward), are fine', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.square().sum();
    void w.data[0]; // a read
    loss.backward();
    expect(w.grad).toBeAllclose([2, 4]);
    for (let step = 0; step < 3; step++) {
      w.zeroGrad();
      w.square().sum().backward();
      const g = w.grad!.data;
      for (let i = 0; i < 2; i++) w.data[i] = w.data[i]! - 0.25 * g[i]!;
    }
    expect(w).toBeAllclose([0.125, 0.25]);
  });
});

describe('grad and valueAndGrad', () => {
  it('compute gradients without touching the caller tensors', () => {
    const w = tensor([[1, 2]], { requiresGrad: true });
    const x = tensor([[3], [4]]);
    const [dw, dx] = grad((a: Tensor, b: Tensor) => a.matmul(b).square().sum())(w, x);
    // L = (w·x)², w·x = 11: dL/dw = 2·11·xᵀ, dL/dx = 2·11·wᵀ
    expect(dw!.toArray()).toEqual([[66, 88]]);
    expect(dx!.toArray()).toEqual([[22], [44]]);
    expect(w.grad).toBeNull();
    expect(x.grad).toBeNull();
    expect(x.requiresGrad).toBe(false);
  });

  it('valueAndGrad returns the value too, detached', () => {
    const { value, grads } = valueAndGrad((x: Tensor) => x.square().sum())(tensor([3]));
    expect(value.item()).toBe(9);
    expect(value.requiresGrad).toBe(false);
    expect(grads.length).toBe(1);
    expect(grads[0]!.toArray()).toEqual([6]);
  });

  it('handles several arguments, giving zeros to one the function does not use', () => {
    const f = (a: Tensor, _b: Tensor, c: Tensor): Tensor => a.mul(c).sum();
    const [da, db, dc] = grad(f)(tensor([1, 2]), tensor([[5, 5, 5]]), tensor([3, 4]));
    expect(da!.toArray()).toEqual([3, 4]);
    expect(db!.toArray()).toEqual([[0, 0, 0]]);
    expect(dc!.toArray()).toEqual([1, 2]);
  });

  it('gives zeros everywhere for a constant function', () => {
    const [d] = grad((_x: Tensor) => tensor(5))(tensor([1, 2]));
    expect(d!.toArray()).toEqual([0, 0]);
  });

  it('does not accumulate between calls', () => {
    const g = grad((x: Tensor) => x.mul(x).sum());
    const x = tensor([1, 2]);
    g(x);
    expect(g(x)[0]!.toArray()).toEqual([2, 4]);
  });

  it('throws when the function returns a non-scalar', () => {
    expect(() => grad((x: Tensor) => x.mul(2))(tensor([1, 2]))).toThrow(/^grad: the function must return a one-element tensor, got shape \[2\]$/);
    expect(() => grad((x: Tensor) => x.mul(2))(tensor([1, 2]))).toThrow(GradError);
  });

  it('throws when an argument is not a tensor', () => {
    expect(() => grad((x: Tensor) => x.sum())(3 as unknown as Tensor)).toThrow(/^grad: argument 0 must be a Tensor, got number$/);
  });
});

describe('customOp rule checks in backward', () => {
  it('throws a ShapeError naming the custom op when its backward returns a wrong shape', () => {
    const bad = customOp({ name: 'badShape', forward: (x) => x!.mul(2), backward: (g) => [g.sum()] });
    const x = tensor([1, 2, 3], { requiresGrad: true });
    expect(() => bad(x).sum().backward()).toThrow(ShapeError);
    expect(() => bad(x).sum().backward()).toThrow(/^badShape: backward returned a gradient of shape \[\] for input 0 of shape \[3\]$/);
  });

  it('throws a GradError naming the custom op when its backward returns the wrong count', () => {
    const bad = customOp({ name: 'badCount', forward: (x) => x!.mul(2), backward: (g) => [g, g] });
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => bad(x).sum().backward()).toThrow(GradError);
    expect(() => bad(x).sum().backward()).toThrow(/^badCount: backward returned 2 gradients for 1 inputs$/);
  });

  it('throws a GradError naming the custom op when its backward returns a non-tensor', () => {
    const bad = customOp({ name: 'badType', forward: (x) => x!.mul(2), backward: () => [[1, 2] as unknown as Tensor] });
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => bad(x).sum().backward()).toThrow(/^badType: backward returned object for input 0; expected a Tensor or null$/);
  });

  it('checks custom op gradients for anomalies too', () => {
    const bad = customOp({ name: 'nanGrad', forward: (x) => x!.mul(1), backward: (g) => [g.mul(NaN)] });
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => bad(x).sum().backward(undefined, { detectAnomaly: true })).toThrow(/^nanGrad: backward produced NaN in the gradient of input 0 \(shape \[2\]\) at flat index 0$/);
  });
});

describe("micrograd's README expression, on 0-d tensors", () => {
  it('gives g = 24.7041, ∂g/∂a = 138.8338, ∂g/∂b = 645.5773 (the values micrograd publishes)', () => {
    const a = tensor(-4.0, { requiresGrad: true });
    const b = tensor(2.0, { requiresGrad: true });
    let c = a.add(b);
    let d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1)); // c += c + 1
    c = c.add(tensor(1).add(c).add(a.neg())); // c += 1 + c + (-a)
    d = d.add(d.mul(2).add(b.add(a).relu())); // d += d * 2 + (b + a).relu()
    d = d.add(tensor(3).mul(d).add(b.sub(a).relu())); // d += 3 * d + (b - a).relu()
    const e = c.sub(d);
    const f = e.pow(2);
    let g = f.div(2.0);
    g = g.add(tensor(10.0).div(f)); // g += 10.0 / f
    g.backward();
    expect(g.shape).toEqual([]);
    expect(Math.abs(g.item() - 24.7041)).toBeLessThan(1e-4);
    expect(Math.abs(a.grad!.item() - 138.8338)).toBeLessThan(1e-4);
    expect(Math.abs(b.grad!.item() - 645.5773)).toBeLessThan(1e-4);
  });
});
