/**
 * autograd.ts's argument checks and edge cases, pinned down where changing the code
 * (`pnpm mutate`) went unnoticed: the exact message (and ShapeError shapes) of each entry point's
 * checks, gradients that are zero because nothing connects them, the names toDot gives gradient
 * nodes, and the order topologicalOrder returns for several roots.
 */
import { describe, expect, it } from 'vitest';
import { GradError, ShapeError, type Tensor, backward, customOp, grad, hessian, hvp, jacobian, jvp, tensor, valueAndGrad, vjp } from './index.ts';
import { gradients, innerProduct, topologicalOrder } from './autograd.ts';

/** The error `call` throws, checked to be an instance of `type` (fails when nothing is thrown). */
function errorOf<E extends Error>(type: new (...args: never[]) => E, call: () => unknown): E {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('backward(): the checks of its root and seed', () => {
  it('names what it got instead of a tensor', () => {
    expect(errorOf(GradError, () => backward(3 as unknown as Tensor)).message).toBe('backward: expected a Tensor, got number');
  });

  it('asks for a seed for a tensor of more than one element', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(errorOf(GradError, () => backward(x.mul(2))).message).toBe(
      'backward: a seed gradient is required for a tensor of shape [2]; pass a tensor of that shape, or reduce to a scalar first',
    );
  });

  it('carries the seed shape and the tensor shape when they differ', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const e = errorOf(ShapeError, () => backward(x.mul(2), tensor([1, 1, 1])));
    expect(e.message).toBe("backward: seed shape [3] differs from the tensor's shape [2]");
    expect(e.shapes).toEqual([[3], [2]]);
  });

  it('a custom op gradient of the wrong shape carries both shapes', () => {
    const bad = customOp({ name: 'badShape', forward: (x) => x!.mul(2), backward: (g) => [g.sum()] });
    const e = errorOf(ShapeError, () => bad(tensor([1, 2, 3], { requiresGrad: true })).sum().backward());
    expect(e.shapes).toEqual([[], [3]]);
  });

  it('a custom op backward that returns no array says what it returned', () => {
    const bad = customOp({ name: 'noArray', forward: (x) => x!.mul(2), backward: (g) => g as unknown as Tensor[] });
    expect(errorOf(GradError, () => bad(tensor([1, 2], { requiresGrad: true })).sum().backward()).message).toBe(
      'noArray: backward must return an array of gradients, got object',
    );
  });
});

describe('the functional transforms: checks of their arguments and results', () => {
  const x = tensor([1, 2]);

  it('an argument that is null is named as null', () => {
    expect(errorOf(GradError, () => grad((t: Tensor) => t.sum())(null as unknown as Tensor)).message).toBe('grad: argument 0 must be a Tensor, got null');
    expect(errorOf(GradError, () => vjp((t) => t, [x, 'y' as unknown as Tensor])).message).toBe('vjp: argument 1 must be a Tensor, got string');
  });

  it('a function that returns no tensor is named, null as null', () => {
    expect(errorOf(GradError, () => grad((_t: Tensor) => null as unknown as Tensor)(x)).message).toBe('grad: the function must return a Tensor, got null');
    expect(errorOf(GradError, () => jvp(() => 3 as unknown as Tensor, [x], [x])).message).toBe('jvp: the function must return a Tensor, got number');
  });

  it('vjp checks the cotangent: a tensor of the value’s shape', () => {
    const { vjp: pullback } = vjp((t) => t.mul(2), [x]);
    const e = errorOf(ShapeError, () => pullback(tensor([1, 2, 3])));
    expect(e.message).toBe("vjp: the cotangent must be a Tensor of the value's shape [2], got [3]");
    expect(e.shapes).toEqual([[2]]);
    expect(errorOf(ShapeError, () => pullback(2 as unknown as Tensor)).message).toBe("vjp: the cotangent must be a Tensor of the value's shape [2], got number");
    expect(pullback(tensor([1, -1]))[0]!.toArray()).toEqual([2, -2]);
  });

  it('hvp and jvp check one tensor of the input’s shape per input', () => {
    const f = (t: Tensor): Tensor => t.square().sum();
    expect(errorOf(GradError, () => hvp(f, [x], x as unknown as Tensor[])).message).toBe('hvp: expected one vector per input (1), got object');
    expect(errorOf(GradError, () => jvp(f, [x], [x, x])).message).toBe('jvp: expected one tangent per input (1), got 2');
    expect(errorOf(GradError, () => hvp(f, [x], [null as unknown as Tensor])).message).toBe('hvp: vector 0 must be a Tensor, got null');
    expect(errorOf(GradError, () => jvp(f, [x], [3 as unknown as Tensor])).message).toBe('jvp: tangent 0 must be a Tensor, got number');
    const e = errorOf(ShapeError, () => jvp(f, [x], [tensor([1, 2, 3])]));
    expect(e.message).toBe('jvp: tangent 0 has shape [3], input 0 has [2]');
    expect(e.shapes).toEqual([[3], [2]]);
  });
});

describe('gradients that nothing connects are zeros of the right shape', () => {
  it('gradients() of a root that does not require grad', () => {
    const a = tensor([1, 2, 3]);
    const gs = gradients(a.sum(), [a, tensor([[1], [2]])], undefined, false);
    expect(gs.map((g) => g.shape)).toEqual([[3], [2, 1]]);
    expect(gs.map((g) => g.toArray())).toEqual([[0, 0, 0], [[0], [0]]]);
  });

  it('jvp of a constant function: a zero tangent shaped like the value', () => {
    const { value, tangent } = jvp(() => tensor([[1, 2, 3]]), [tensor([5])], [tensor([1])]);
    expect(value.toArray()).toEqual([[1, 2, 3]]);
    expect(tangent.shape).toEqual([1, 3]);
    expect(tangent.toArray()).toEqual([[0, 0, 0]]);
  });

  it('hessian of a linear function: zero blocks [size i, size j]', () => {
    const h = hessian((a, b) => a.sum().add(b.mul(3).sum()))(tensor([1, 2]), tensor([[1, 2, 3]]));
    expect(h.map((row) => row.map((b) => b.shape))).toEqual([
      [[2, 2], [2, 3]],
      [[3, 2], [3, 3]],
    ]);
    for (const row of h) for (const b of row) expect(b.data.every((v) => v === 0)).toBe(true);
  });

  it('the inner product of no tensors is a scalar 0', () => {
    const z = innerProduct([], []);
    expect(z.shape).toEqual([]);
    expect(z.item()).toBe(0);
  });
});

describe('values and graphs the transforms return', () => {
  it('valueAndGrad and vjp return values without a graph when not nested', () => {
    const w = tensor([1, 2]);
    const { value } = valueAndGrad((t: Tensor) => t.square().sum())(w);
    expect(value.requiresGrad).toBe(false);
    expect(value.node).toBeNull();
    expect(vjp((t) => t.square(), [w]).value.requiresGrad).toBe(false);
    expect(jvp((t) => t.square(), [w], [w]).value.requiresGrad).toBe(false);
  });

  it('jacobian inside grad stays differentiable: d/dx Σ J(x) for f = x³ is 6x', () => {
    const [g] = grad((t: Tensor) => jacobian((u) => u.pow(3))(t)[0]!.sum())(tensor([1, 2]));
    expect(g!.toArray()).toEqual([6, 12]);
  });

  it('a gradient computed with createGraph is named ∂root/∂x after the tensors’ names', () => {
    const x = tensor([1, 2], { requiresGrad: true, name: 'x' });
    const loss = x.square().sum();
    backward(loss, undefined, { createGraph: true });
    expect(x.grad!.name).toBe('∂L/∂x');
    const y = tensor([3], { requiresGrad: true, name: 'y' });
    const c = y.square().sum();
    c.name = 'C';
    backward(c, undefined, { createGraph: true });
    expect(y.grad!.name).toBe('∂C/∂y');
  });
});

describe('topologicalOrder', () => {
  it('visits each tensor once across several roots, inputs before the tensors made from them', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = a.mul(2);
    const c = b.add(1);
    const names = (ts: Tensor[]): string[] => ts.map((t) => (t === a ? 'a' : t === b ? 'b' : t === c ? 'c' : '?'));
    expect(names(topologicalOrder([b, c, b]))).toEqual(['a', 'b', 'c']);
    expect(names(topologicalOrder([c, a]))).toEqual(['a', 'b', 'c']);
    expect(names(topologicalOrder(c, () => false))).toEqual(['c']);
  });
});
