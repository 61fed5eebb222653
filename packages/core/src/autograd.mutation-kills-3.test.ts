/**
 * autograd.ts behaviour pinned down where changing the code (`pnpm mutate`) went unnoticed:
 * custom ops differentiated twice and traced on a tape, the checks a traced backward skips,
 * which rules a walk runs, the anomaly setting after a backward, gradient names, the messages
 * of the functional transforms, when their results carry a graph (nested calls, cotangents,
 * vectors and tangents that require grad), and the Jacobian and Hessian blocks' shapes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AnomalyError, GradError, Tensor, backward, customOp, grad, hessian, hvp, jacobian, jvp, setDetectAnomaly, tensor, trace, vjp } from './index.ts';
import { gradients } from './autograd.ts';

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

afterEach(() => setDetectAnomaly(false));

describe('custom ops differentiated twice (createGraph)', () => {
  const SECOND_ORDER_ADVICE = 'Write backward with tensor ops on its arguments (return null for an input without a gradient), or keep to first-order backward()';

  it('a backward computed from the output gradient alone works where that gradient is a constant', () => {
    const double = customOp({ name: 'double', forward: (x) => x!.mul(2), backward: (g) => [g.mul(2)] });
    const x = tensor([1, 2, 3], { requiresGrad: true });
    backward(double(x).sum(), undefined, { createGraph: true });
    expect(x.grad!.toArray()).toEqual([2, 2, 2]);
  });

  it('a backward that returns null for an input that requires grad leaves that input without a gradient', () => {
    const first = customOp({ name: 'first', forward: (a, b) => a!.mul(b!), backward: (g, { inputs: [, b] }) => [g.mul(b!), null] });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    backward(first(a, b).sum(), undefined, { createGraph: true });
    expect(a.grad!.toArray()).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });

  it('a backward that reads the output gradient’s values is refused with the whole message', () => {
    const peek = customOp({ name: 'peek', forward: (x) => x!.mul(2), backward: (g) => [tensor(Array.from(g.data, (v) => 2 * v))] });
    const x = tensor([1, 2], { requiresGrad: true });
    expect(errorOf(GradError, () => backward(peek(x).sum(), undefined, { createGraph: true })).message).toBe(
      'peek: cannot differentiate this custom op twice: its backward reads the values of the output gradient (shape [2]) (.data, item(), toArray()), so the second derivative would be silently 0. ' +
        SECOND_ORDER_ADVICE,
    );
  });

  it('a backward that reads the output’s values is named as reading the output', () => {
    const peek = customOp({
      name: 'peekOut',
      forward: (x) => x!.exp(),
      backward: (g, { output }) => [g.mul(tensor(Array.from(output.data)))],
    });
    const x = tensor([0, 1], { requiresGrad: true });
    expect(errorOf(GradError, () => backward(peek(x).sum(), undefined, { createGraph: true })).message).toContain(
      'its backward reads the values of the output (shape [2])',
    );
  });

  it('a first-order backward may return null for an input', () => {
    const onlyFirst = customOp({ name: 'onlyFirst', forward: (a, b) => a!.add(b!), backward: (g) => [g, null] });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    onlyFirst(a, b).sum().backward();
    expect(a.grad!.toArray()).toEqual([1, 1]);
    expect(b.grad).toBeNull();
  });
});

describe('custom ops on a tape', () => {
  it('a backward that reads input values is rerun on replay, so the gradient follows new inputs', () => {
    const cube = customOp({
      name: 'cube',
      forward: (x) => x!.pow(3),
      backward: (g, { inputs: [x] }) => [g.mul(tensor(Array.from(x!.data, (v) => 3 * v * v)))],
    });
    const x = tensor([1, 2], { requiresGrad: true });
    const tape = trace(() => cube(x).sum());
    tape.backward();
    expect(x.grad!.toArray()).toEqual([3, 12]);
    x.data.set([3, -1]);
    tape.forward();
    tape.backward();
    expect(x.grad!.toArray()).toEqual([27, 3]);
  });

  it('a traced backward that returns null for an input leaves that input without a gradient', () => {
    const onlyFirst = customOp({ name: 'onlyFirst', forward: (a, b) => a!.mul(b!), backward: (g, { inputs: [, b] }) => [g.mul(b!), null] });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const tape = trace(() => onlyFirst(a, b).sum());
    tape.backward();
    expect(a.grad!.toArray()).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });

  it('a non-finite value from a replayed custom backward names the op as its rule', () => {
    const inv = customOp({
      name: 'inv',
      forward: (x) => x!.pow(-1),
      backward: (g, { inputs: [x] }) => [tensor(Array.from(x!.data, (v, i) => -g.data[i]! / (v * v)))],
    });
    const x = tensor([1, 2], { requiresGrad: true });
    const tape = trace(() => inv(x).sum());
    x.data.set([0, 2]);
    setDetectAnomaly(true);
    const e = errorOf(AnomalyError, () => tape.backward());
    expect(e.op).toBe("inv' (rule of inv)");
  });

  it('a traced custom-op gradient is a node named after the op, recording which input it is for', () => {
    const scale = customOp({ name: 'scale', forward: (a, b) => a!.mul(b!), backward: (g, { inputs: [a, b] }) => [g.mul(b!), g.mul(a!)] });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const tape = trace(() => scale(a, b).sum());
    tape.backward();
    expect(b.grad!.toArray()).toEqual([1, 2]);
    expect(b.grad!.node).toMatchObject({ op: "scale'", attrs: { input: 1 }, gradOf: 'scale' });
  });

  it('a traced custom op allocates no gradient buffer for an input without requiresGrad', () => {
    const allocations = (second: (g: Tensor) => Tensor | null): number => {
      let n = 0;
      const scale = customOp({ name: 'scale', forward: (a, b) => a!.mul(b!), backward: (g, { inputs: [, b] }) => [g.mul(b!), second(g)] });
      const w = tensor([1, 2], { requiresGrad: true });
      const X = tensor([3, 4]);
      trace(() => scale(w, X).sum(), {
        allocate: (k) => {
          n++;
          return new Float64Array(k);
        },
      });
      return n;
    };
    expect(allocations((g) => g)).toBe(allocations(() => null));
  });

  it('a traced comparison sends no gradient, even through a tensor built on its node to require grad', () => {
    const x = tensor([1, -2], { requiresGrad: true });
    const tape = trace(() => {
      const mask = x.greater(0);
      return new Tensor(mask.data, mask.shape, true, mask.node).mul(x).sum();
    });
    tape.backward();
    expect(x.grad!.toArray()).toEqual([1, 0]);
  });

  it('tracing a point where a gradient is infinite succeeds (the traced backward is not checked)', () => {
    const x = tensor([0, 4], { requiresGrad: true });
    const tape = trace(() => x.sqrt().sum());
    tape.backward();
    expect(x.grad!.toArray()).toEqual([Infinity, 0.25]);
  });

  it('the gradients a tape sets are plain tensors, not part of a graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const tape = trace(() => x.square().sum());
    tape.backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
    expect(x.grad!.requiresGrad).toBe(false);
  });
});

describe('the reverse walk', () => {
  it('grad runs no backward rule on a path to a captured tensor it does not differentiate', () => {
    let calls = 0;
    const counted = customOp({
      name: 'counted',
      forward: (w) => w!.mul(1),
      backward: (g) => {
        calls++;
        return [g];
      },
    });
    const w = tensor([2, 3], { requiresGrad: true });
    const g = grad((x: Tensor) => x.mul(counted(w)).sum())(tensor([1, 1]));
    expect(g[0]!.toArray()).toEqual([2, 3]);
    expect(calls).toBe(0);
  });

  it('anomaly detection switched on stays on after a backward', () => {
    setDetectAnomaly(true);
    const x = tensor([1, 2], { requiresGrad: true });
    x.square().sum().backward();
    expect(() => tensor([-1]).log()).toThrow(AnomalyError);
  });

  it('a gradient without createGraph gets no name', () => {
    const x = tensor([1, 2], { requiresGrad: true, name: 'x' });
    x.square().sum().backward();
    expect(x.grad!.name).toBeUndefined();
  });

  it('a constant gradient under createGraph gets no name (it is no node of the graph)', () => {
    const x = tensor([1, 2], { requiresGrad: true, name: 'x' });
    backward(x.mul(3).sum(), undefined, { createGraph: true });
    expect(x.grad!.toArray()).toEqual([3, 3]);
    expect(x.grad!.name).toBeUndefined();
  });

  it('the gradient of an unnamed tensor under createGraph gets no name', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    backward(x.square().sum(), undefined, { createGraph: true });
    expect(x.grad!.name).toBeUndefined();
  });

  it('gradients returned by a nested transform get no name', () => {
    const x = tensor([1, 2], { requiresGrad: true, name: 'x' });
    const [g] = gradients(x.square().sum(), [x], undefined, true);
    expect(g!.requiresGrad).toBe(true);
    expect(g!.name).toBeUndefined();
  });

  it('a gradient passed on unchanged keeps the name of the tensor it was first computed for', () => {
    const x = tensor([1, 2], { requiresGrad: true, name: 'x' });
    const y = x.add(1);
    y.name = 'y';
    y.retainGrad();
    backward(y.square().sum(), undefined, { createGraph: true });
    expect(y.grad!.name).toBe('∂L/∂y');
    expect(x.grad!.toArray()).toEqual([4, 6]);
  });

  it('gradients of a root with several elements and no seed names grad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(errorOf(GradError, () => gradients(x.mul(2), [x], undefined, false)).message).toBe(
      'grad: a seed gradient is required for a tensor of shape [2]; pass a tensor of that shape, or reduce to a scalar first',
    );
  });
});

describe('the functional transforms: messages naming the transform', () => {
  it('vjp, jacobian: a function that returns no tensor', () => {
    expect(errorOf(GradError, () => vjp(() => 3 as unknown as Tensor, [tensor([1])])).message).toBe('vjp: the function must return a Tensor, got number');
    expect(errorOf(GradError, () => jacobian(() => 3 as unknown as Tensor)(tensor([1]))).message).toBe('jacobian: the function must return a Tensor, got number');
  });

  it('hvp, jvp, hessian: an argument that is not a tensor', () => {
    expect(errorOf(GradError, () => hvp((x) => x.sum(), [5 as unknown as Tensor], [tensor([1])])).message).toBe('hvp: argument 0 must be a Tensor, got number');
    expect(errorOf(GradError, () => jvp((x) => x, [5 as unknown as Tensor], [tensor([1])])).message).toBe('jvp: argument 0 must be a Tensor, got number');
    expect(errorOf(GradError, () => hessian((x) => x.sum())(5 as unknown as Tensor)).message).toBe('hessian: argument 0 must be a Tensor, got number');
  });

  it('hessian: a function with more than one element, and one that returns no tensor', () => {
    expect(errorOf(GradError, () => hessian((x) => x.square())(tensor([1, 2]))).message).toBe('hessian: the function must return a one-element tensor, got shape [2]');
    expect(errorOf(GradError, () => hessian(() => null as unknown as Tensor)(tensor([1]))).message).toBe('hessian: the function must return a Tensor, got null');
  });
});

describe('the functional transforms: when their results carry a graph', () => {
  it('grad of an inner grad with a constant second argument differentiates through it', () => {
    // inner: ∂(a²·b)/∂a = 2ab with b = 3; outer: d(6x)/dx = 6
    const inner = grad((a: Tensor, b: Tensor) => a.square().mul(b).sum());
    const outer = grad((x: Tensor) => inner(x, tensor([3]))[0]!.sum());
    expect(outer(tensor([2]))[0]!.toArray()).toEqual([6]);
  });

  it('vjp gives plain gradients for plain inputs and cotangent', () => {
    const { vjp: pull } = vjp((x) => x.square(), [tensor([1, 2])]);
    const [g] = pull(tensor([1, 1]));
    expect(g!.toArray()).toEqual([2, 4]);
    expect(g!.requiresGrad).toBe(false);
  });

  it('vjp nested in grad differentiates through the pullback', () => {
    // pullback of x² with cotangent c: 2xc; d/dx Σ 2xc = 2c
    const d = grad((x: Tensor) => vjp((y) => y.square(), [x]).vjp(tensor([1, 5]))[0]!.sum());
    expect(d(tensor([1, 2]))[0]!.toArray()).toEqual([2, 10]);
  });

  it('vjp differentiates with respect to a cotangent that requires grad', () => {
    // pullback of x² at x = [1, 2]: 2xc; d/dc Σ 2xc = 2x
    const x0 = tensor([1, 2]);
    const d = grad((c: Tensor) => vjp((y) => y.square(), [x0]).vjp(c)[0]!.sum());
    expect(d(tensor([1, 1]))[0]!.toArray()).toEqual([2, 4]);
  });

  it('hvp gives plain products for plain inputs and vectors', () => {
    const [h] = hvp((x) => x.pow(3).sum(), [tensor([1, 2])], [tensor([1, 1])]);
    expect(h!.toArray()).toEqual([6, 12]);
    expect(h!.requiresGrad).toBe(false);
  });

  it('hvp differentiates with respect to one vector that requires grad among plain ones', () => {
    // H = diag(2, 2) for x, diag(6y) for y; H·v for x is 2v, d/dv Σ 2v = 2
    const f = (x: Tensor, y: Tensor): Tensor => x.square().sum().add(y.pow(3).sum());
    const d = grad((v: Tensor) => hvp(f, [tensor([1, 2]), tensor([1])], [v, tensor([1])])[0]!.sum());
    expect(d(tensor([1, 1]))[0]!.toArray()).toEqual([2, 2]);
  });

  it('jvp gives a plain tangent for plain inputs and tangents', () => {
    const { tangent } = jvp((x) => x.square(), [tensor([1, 2])], [tensor([1, 1])]);
    expect(tangent.toArray()).toEqual([2, 4]);
    expect(tangent.requiresGrad).toBe(false);
  });

  it('jvp of a function constant in its inputs gives a zero tangent without computing with the tangents', () => {
    setDetectAnomaly(true);
    const { tangent } = jvp(() => tensor([1, 2]), [tensor([1])], [tensor([Infinity])]);
    expect(tangent.toArray()).toEqual([0, 0]);
  });

  it('jvp nested in grad differentiates through the tangent', () => {
    // tangent of x² along t: 2xt; d/dx Σ 2xt = 2t
    const d = grad((x: Tensor) => jvp((y) => y.square(), [x], [tensor([1, 3])]).tangent.sum());
    expect(d(tensor([1, 2]))[0]!.toArray()).toEqual([2, 6]);
  });

  it('jvp differentiates with respect to one tangent that requires grad among plain ones', () => {
    // f(x, y) = x² + y at x = [1, 2]: tangent 2x·t + s; d/dt Σ = 2x
    const f = (x: Tensor, y: Tensor): Tensor => x.square().add(y);
    const d = grad((t: Tensor) => jvp(f, [tensor([1, 2]), tensor([0, 0])], [t, tensor([1, 1])]).tangent.sum());
    expect(d(tensor([1, 1]))[0]!.toArray()).toEqual([2, 4]);
  });
});

describe('jacobian and hessian blocks', () => {
  it('jacobian of a function with an empty output is an empty [0, n] matrix', () => {
    const [j] = jacobian((x) => x.mul(2).reshape([2, 0]))(tensor([]).reshape([0]));
    expect(j!.shape).toEqual([0, 0]);
  });

  it('jacobian at a point that requires grad is a [m, n] matrix carrying its graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const [j] = jacobian((t) => t.square())(x);
    expect(j!.shape).toEqual([2, 2]);
    expect(j!.toArray()).toEqual([
      [2, 0],
      [0, 4],
    ]);
    j!.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  it('the Hessian blocks of a linear function are zero matrices of the inputs’ sizes', () => {
    const h = hessian((x, y) => x.sum().add(y.sum()))(tensor([1, 2]), tensor([1, 2, 3]));
    expect(h[0]![0]!.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(h[0]![1]!.shape).toEqual([2, 3]);
    expect(h[1]![1]!.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});
