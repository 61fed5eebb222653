/**
 * Gradients are graphs: second and third derivatives, backward(createGraph), functional
 * transforms (grad of grad, hvp, jvp, jacobian, hessian), gradgradcheck, the custom-op rule for
 * second order, and the tape recording its backward pass as ops.
 *
 * Tolerances: analytic values are compared at 1e-10 relative (every rule is exact up to a
 * handful of float64 roundings); finite differences of a gradient at eps = 1e-5 with rtol 1e-6
 * (round-off ≈ 1e-16·|g| / 1e-5 ≈ 1e-11, truncation ≈ eps²·|g'''| ≈ 1e-10).
 */
import { describe, expect, it } from 'vitest';
import {
  GradError,
  GradcheckError,
  ShapeError,
  type Tensor,
  assertGradgradcheck,
  backward,
  customOp,
  fromData,
  grad,
  gradcheck,
  gradgradcheck,
  hessian,
  hvp,
  jacobian,
  jvp,
  noGrad,
  randn,
  tensor,
  toDot,
  trace,
  valueAndGrad,
  vjp,
  zeros,
} from './index.ts';

const EXACT = { rtol: 1e-10, atol: 1e-12 };

/** d/dx of a function of one one-element tensor, as a function again. */
const d =
  (f: (x: Tensor) => Tensor) =>
  (x: Tensor): Tensor =>
    grad(f)(x)[0]!;

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));

describe('known derivatives, to 1e-10', () => {
  it('d²/dx² x³ at 2 is 12', () => {
    expect(d(d((x) => x.pow(3)))(tensor(2)).item()).toBeCloseTo(12, 12);
  });

  it('the third derivative of x⁴ is 24x, at several points', () => {
    for (const v of [-1.5, 0.3, 2]) expect(d(d(d((x) => x.pow(4))))(tensor(v))).toBeAllclose([24 * v], EXACT);
  });

  it("tanh''(x) = −2 tanh(x)(1 − tanh²(x))", () => {
    for (const v of [-2, -0.4, 0.7, 3]) {
      const t = Math.tanh(v);
      expect(d(d((x) => x.tanh()))(tensor(v))).toBeAllclose([-2 * t * (1 - t * t)], EXACT);
    }
  });

  it("σ''(x) = σ(x)(1 − σ(x))(1 − 2σ(x))", () => {
    for (const v of [-3, -0.5, 0.7, 4]) {
      const s = sigma(v);
      expect(d(d((x) => x.sigmoid()))(tensor(v))).toBeAllclose([s * (1 - s) * (1 - 2 * s)], EXACT);
    }
  });

  it("third derivatives through the fused rules: σ''' = σ(1 − σ)(1 − 6σ + 6σ²), tanh''' = −2(1 − t²)(1 − 3t²)", () => {
    for (const v of [-1.3, 0.4, 2.2]) {
      const s = sigma(v);
      const t = Math.tanh(v);
      expect(d(d(d((x) => x.sigmoid())))(tensor(v))).toBeAllclose([s * (1 - s) * (1 - 6 * s + 6 * s * s)], EXACT);
      expect(d(d(d((x) => x.tanh())))(tensor(v))).toBeAllclose([-2 * (1 - t * t) * (1 - 3 * t * t)], EXACT);
    }
  });

  it("relu'' is 0 away from the kink (its rule's mask has no derivative)", () => {
    expect(d(d((x) => x.relu().mul(x)))(tensor(1.5))).toBeAllclose([2], EXACT);
    expect(d(d((x) => x.relu().mul(x)))(tensor(-1.5))).toBeAllclose([0], EXACT);
  });

  it("exp'' = exp, log'' = −1/x², softplus'' = σ(1 − σ), (1/x)'' = 2/x³", () => {
    const v = 0.8;
    expect(d(d((x) => x.exp()))(tensor(v))).toBeAllclose([Math.exp(v)], EXACT);
    expect(d(d((x) => x.log()))(tensor(v))).toBeAllclose([-1 / (v * v)], EXACT);
    expect(d(d((x) => x.softplus()))(tensor(v))).toBeAllclose([sigma(v) * (1 - sigma(v))], EXACT);
    expect(d(d((x) => x.pow(-1)))(tensor(v))).toBeAllclose([2 / v ** 3], EXACT);
  });

  it('a mixed partial: ∂²(x²y³)/∂x∂y = 6xy²', () => {
    const dxdy = grad((x: Tensor, y: Tensor) => grad((a: Tensor, b: Tensor) => a.square().mul(b.pow(3)))(x, y)[0]!);
    const [, dy] = dxdy(tensor(1.5), tensor(-2));
    expect(dy).toBeAllclose([6 * 1.5 * 4], EXACT);
  });
});

describe('backward(createGraph)', () => {
  it('x.grad carries a graph: x.grad.sum().backward() adds the second derivative', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    backward(x.pow(3).sum(), undefined, { createGraph: true });
    const g = x.grad!;
    expect(g.requiresGrad).toBe(true);
    expect(g).toBeAllclose([3, 12, 27], EXACT);
    x.zeroGrad();
    g.sum().backward();
    expect(x.grad).toBeAllclose([6, 12, 18], EXACT);
  });

  it('without it, .grad has no graph and differentiating it says so', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.square().sum().backward();
    expect(x.grad!.requiresGrad).toBe(false);
    expect(() => x.grad!.sum().backward()).toThrow(/does not require grad.*createGraph/);
  });

  it('a gradient penalty ‖∇_x f‖² differentiates through the backward pass', () => {
    // f = Σ sin-free smooth: Σ tanh(w·x); penalty P = Σ (∂f/∂x)² = Σ w² (1 − tanh²(wx))².
    const w = tensor([0.5, -1.2, 2], { requiresGrad: true });
    const x = tensor([0.3, 0.8, -0.4], { requiresGrad: true });
    backward(w.mul(x).tanh().sum(), undefined, { createGraph: true });
    const penalty = x.grad!.square().sum();
    w.zeroGrad();
    penalty.backward();
    // dP/dw by finite differences of P(w) written out.
    const P = (wv: number[]): number => wv.reduce((s, wi, i) => s + wi * wi * (1 - Math.tanh(wi * x.data[i]!) ** 2) ** 2, 0);
    const eps = 1e-6;
    const numeric = [0, 1, 2].map((i) => {
      const plus = [...w.data];
      const minus = [...w.data];
      plus[i]! += eps;
      minus[i]! -= eps;
      return (P(plus) - P(minus)) / (2 * eps);
    });
    expect(w.grad).toBeAllclose(numeric, { rtol: 1e-6 });
  });

  it('grad of a gradient accumulates like any other: .grad + the new contribution, recorded', () => {
    const x = tensor([2], { requiresGrad: true });
    backward(x.pow(3).sum(), undefined, { createGraph: true });
    backward(x.pow(3).sum(), undefined, { createGraph: true });
    expect(x.grad).toBeAllclose([24], EXACT);
    const g = x.grad!;
    x.zeroGrad();
    g.backward();
    expect(x.grad).toBeAllclose([24], EXACT); // d/dx (3x² + 3x²) = 12x
  });
});

describe('grad and valueAndGrad compose', () => {
  it('works inside noGrad (never silent zeros)', () => {
    expect(noGrad(() => d(d((x) => x.pow(3)))(tensor(2)).item())).toBeCloseTo(12, 12);
    expect(noGrad(() => grad((x: Tensor) => x.square().sum())(tensor([3]))[0]!.item())).toBe(6);
  });

  it('keeps argument positions apart when one tensor is passed twice, also when nested', () => {
    const f = (a: Tensor, b: Tensor): Tensor => a.mul(b.square()).sum();
    const x = tensor([3]);
    const [da, db] = grad(f)(x, x);
    expect(da).toBeAllclose([9], EXACT);
    expect(db).toBeAllclose([18], EXACT);
    // d/dx of ∂f/∂b (x, x) = d/dx 2ab = 4x
    expect(grad((y: Tensor) => grad(f)(y, y)[1]!.sum())(x)[0]).toBeAllclose([12], EXACT);
  });

  it('valueAndGrad nested returns a value that stays differentiable', () => {
    const outer = grad((x: Tensor) => {
      const { value, grads } = valueAndGrad((y: Tensor) => y.pow(3).sum())(x);
      return value.add(grads[0]!.sum()); // x³ + 3x²
    });
    expect(outer(tensor([2]))[0]).toBeAllclose([3 * 4 + 6 * 2], EXACT);
  });

  it('raises when the function reads its argument’s values instead of using ops', () => {
    expect(() => grad((x: Tensor) => tensor(x.data[0]! * 2))(tensor(1))).toThrow(GradError);
    expect(() => grad((x: Tensor) => tensor(x.item() * 2))(tensor(1))).toThrow(/grad: the function's value is not computed from its arguments by tensor ops \(it reads the values of argument 0 \(shape \[\]\)\)/);
  });

  it('gives zeros, rightly, for a function that does not depend on its argument', () => {
    expect(grad((x: Tensor) => tensor(5).add(x.mul(0)))(tensor([1]))[0]).toBeAllclose([0]);
    expect(grad((_x: Tensor) => tensor(5))(tensor([1]))[0]).toBeAllclose([0]);
  });
});

describe('hvp, jvp, vjp, jacobian, hessian', () => {
  const mlp = (w1: Tensor, w2: Tensor, x: Tensor): Tensor => w2.matmul(w1.matmul(x).tanh()).sigmoid().sum();

  it('hvp equals central differences of the gradient along v', () => {
    const w1 = randn([3, 2], { seed: 1 });
    const w2 = randn([1, 3], { seed: 2 });
    const x = randn([2, 4], { seed: 3 });
    const v1 = randn([3, 2], { seed: 4 });
    const v2 = randn([1, 3], { seed: 5 });
    const hv = hvp((a, b) => mlp(a, b, x), [w1, w2], [v1, v2]);
    const eps = 1e-5;
    const gradAt = (s: number): Tensor[] => {
      const a = fromData(w1.data.map((p, i) => p + s * v1.data[i]!), w1.shape);
      const b = fromData(w2.data.map((p, i) => p + s * v2.data[i]!), w2.shape);
      return grad((p: Tensor, q: Tensor) => mlp(p, q, x))(a, b);
    };
    const plus = gradAt(eps);
    const minus = gradAt(-eps);
    hv.forEach((h, i) => expect(h).toBeAllclose(plus[i]!.data.map((p, j) => (p - minus[i]!.data[j]!) / (2 * eps)), { rtol: 1e-6, atol: 1e-9 }));
  });

  it('jvp equals the Jacobian times the tangent, and its value is f(x)', () => {
    const f = (a: Tensor, b: Tensor): Tensor => a.matmul(b).tanh();
    const a = randn([2, 3], { seed: 6 });
    const b = randn([3, 2], { seed: 7 });
    const ta = randn([2, 3], { seed: 8 });
    const tb = randn([3, 2], { seed: 9 });
    const { value, tangent } = jvp(f, [a, b], [ta, tb]);
    expect(value).toBeAllclose(f(a, b), EXACT);
    const [Ja, Jb] = jacobian(f)(a, b);
    const expected = new Float64Array(4);
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < 6; j++) expected[r]! += Ja!.data[r * 6 + j]! * ta.data[j]! + Jb!.data[r * 6 + j]! * tb.data[j]!;
    }
    expect(tangent.shape).toEqual([2, 2]);
    expect(tangent).toBeAllclose(expected, EXACT);
  });

  it('vjp gives value and a pullback for any cotangent', () => {
    const { value, vjp: pull } = vjp((x) => x.mul(x), [tensor([1, 2])]);
    expect(value).toBeAllclose([1, 4]);
    expect(pull(tensor([1, 1]))[0]).toBeAllclose([2, 4]);
    expect(pull(tensor([0, 3]))[0]).toBeAllclose([0, 12]);
    expect(() => pull(tensor([1]))).toThrow(ShapeError);
  });

  it('jacobian is [output size, input size] per input, hessian [n_i, n_j] per pair and symmetric', () => {
    const f = (a: Tensor, b: Tensor): Tensor => a.mul(b.sum()).exp().sum();
    const a = tensor([0.1, -0.2, 0.3]);
    const b = tensor([[0.5, 0.1]]);
    const J = jacobian((p: Tensor, q: Tensor) => p.mul(q.sum()))(a, b);
    expect(J.map((t) => t.shape)).toEqual([
      [3, 3],
      [3, 2],
    ]);
    const H = hessian(f)(a, b);
    expect(H.map((row) => row.map((t) => t.shape))).toEqual([
      [
        [3, 3],
        [3, 2],
      ],
      [
        [2, 3],
        [2, 2],
      ],
    ]);
    // symmetric: H[0][1] = H[1][0]ᵀ
    expect(H[0]![1]!.transpose()).toBeAllclose(H[1]![0]!, EXACT);
  });

  it('the Hessian of a small sigmoid MLP’s quadratic cost equals central differences of its gradient', () => {
    const x = randn([3, 4], { seed: 11 });
    const y = tensor([[0, 1, 1, 0]]);
    const cost = (w1: Tensor, b1: Tensor, w2: Tensor): Tensor =>
      w2.matmul(w1.matmul(x).add(b1).sigmoid()).sigmoid().sub(y).square().sum().mul(1 / 8);
    const params = [randn([2, 3], { seed: 12 }), randn([2, 1], { seed: 13 }), randn([1, 2], { seed: 14 })];
    const H = hessian(cost)(...params);
    const g = grad(cost);
    const eps = 1e-5;
    params.forEach((p, j) => {
      for (let q = 0; q < p.size; q++) {
        const shifted = (s: number): Tensor[] => g(...(params.map((t, k) => (k === j ? fromData(t.data.map((v, i) => (i === q ? v + s : v)), t.shape) : t)) as [Tensor, Tensor, Tensor]));
        const plus = shifted(eps);
        const minus = shifted(-eps);
        params.forEach((pi, i) => {
          const column = H[i]![j]!;
          for (let r = 0; r < pi.size; r++) {
            const numeric = (plus[i]!.data[r]! - minus[i]!.data[r]!) / (2 * eps);
            expect(Math.abs(column.data[r * p.size + q]! - numeric)).toBeLessThanOrEqual(1e-9 + 1e-6 * Math.abs(numeric));
          }
        });
      }
    });
  });

  it('nests: the gradient of a function of an hvp', () => {
    // f(x) = Σ x⁴: H v = 12 x² v; d/dx Σ (H v) = 24 x v
    const outer = grad((x: Tensor) => hvp((y) => y.pow(4).sum(), [x], [tensor([1, 2])])[0]!.sum());
    expect(outer(tensor([0.5, -1]))[0]).toBeAllclose([24 * 0.5 * 1, 24 * -1 * 2], EXACT);
  });

  it('reject mismatched vectors and tangents with typed errors naming the op', () => {
    expect(() => hvp((x) => x.sum(), [tensor([1, 2])], [])).toThrow(/^hvp: expected one vector per input \(1\), got 0$/);
    expect(() => hvp((x) => x.sum(), [tensor([1, 2])], [tensor([1])])).toThrow(ShapeError);
    expect(() => jvp((x) => x, [tensor([1, 2])], [tensor([[1, 2]])])).toThrow(/^jvp: tangent 0 has shape \[1,2\], input 0 has \[2\]$/);
    expect(() => hvp((x) => x, [tensor([1, 2])], [tensor([1, 1])])).toThrow(/^hvp: the function must return a one-element tensor, got shape \[2\]$/);
    expect(() => jacobian((x) => x)(3 as unknown as Tensor)).toThrow(/^jacobian: argument 0 must be a Tensor, got number$/);
  });
});

describe('custom ops at second order', () => {
  const softsign = customOp({
    name: 'softsign',
    forward: (x) => x.div(x.abs().add(1)),
    backward: (g, { inputs: [x] }) => [g.div(x!.abs().add(1).square())],
  });
  const softsignFromValues = customOp({
    name: 'softsignFromValues',
    forward: (x) => x.div(x.abs().add(1)),
    backward: (g, { inputs: [x] }) => [g.mul(fromData(x!.data.map((v) => 1 / (1 + Math.abs(v)) ** 2), x!.shape))],
  });

  it('a backward written in tensor ops differentiates again', () => {
    // softsign'' = −2 sign(x) / (1 + |x|)³
    expect(d(d((x) => softsign(x)))(tensor(0.5))).toBeAllclose([-2 / 1.5 ** 3], EXACT);
    expect((x: Tensor) => softsign(x)).toPassGradgradcheck([tensor([0.5, -1.5, 2])]);
  });

  it('a backward that reads .data works at first order and raises at second, naming the op', () => {
    expect(d((x) => softsignFromValues(x))(tensor(0.5))).toBeAllclose([1 / 1.5 ** 2], EXACT);
    expect(() => d(d((x) => softsignFromValues(x)))(tensor(0.5))).toThrow(
      /^softsignFromValues: cannot differentiate this custom op twice: its backward reads the values of input 0 \(shape \[\]\)/,
    );
    const x = tensor([0.5], { requiresGrad: true });
    expect(() => backward(softsignFromValues(x).sum(), undefined, { createGraph: true })).toThrow(GradError);
  });

  it('a backward that ignores its incoming gradient raises at second order', () => {
    const ignoresG = customOp({ name: 'ignoresG', forward: (x) => x.square(), backward: (_g, { inputs: [x] }) => [zeros(x!.shape).add(2)] });
    expect(() => backward(ignoresG(tensor([1], { requiresGrad: true })).sum(), undefined, { createGraph: true })).toThrow(
      /^ignoresG: cannot differentiate this custom op twice: its backward returns a gradient for input 0 that is not computed from the output gradient/,
    );
  });

  it('gradgradcheck catches a rule right at first order and wrong at second', () => {
    // x³ with a derivative 3·x·x₀ where x₀ is x's value captured at forward time: 3x² at the
    // point, but its derivative is 3x₀ instead of 6x.
    let captured = tensor(0);
    const cube = customOp({
      name: 'cube',
      forward: (x) => {
        captured = x.clone();
        return x.pow(3);
      },
      backward: (g, { inputs: [x] }) => [g.mul(x!).mul(captured).mul(3)],
    });
    const at = [tensor([0.7, -1.1])];
    expect(gradcheck((x) => cube(x), at).ok).toBe(true);
    const report = gradgradcheck((x) => cube(x), at);
    expect(report.ok).toBe(false);
    expect(report.worst!.input).toBe(0);
    expect(() => assertGradgradcheck((x) => cube(x), at)).toThrow(GradcheckError);
    expect(() => assertGradgradcheck((x) => cube(x), at)).toThrow(/^gradgradcheck failed: worst at input 0/);
  });
});

describe('gradcheck blind spots', () => {
  // A rule that ignores its incoming gradient: right when g is all ones (op(x).sum()), wrong otherwise.
  const ignoresG = customOp({ name: 'ignoresG', forward: (x) => x.square(), backward: (_g, { inputs: [x] }) => [x!.mul(2)] });

  it('checking op(x).sum() cannot see a rule that ignores g; checking op(x) itself can', () => {
    const x = randn([3, 2], { seed: 5 });
    expect(gradcheck((t) => ignoresG(t).sum(), [x]).ok).toBe(true);
    expect(gradcheck((t) => ignoresG(t), [x]).ok).toBe(false);
  });

  it('a non-deterministic function is named as such instead of a meaningless numeric gradient', () => {
    let calls = 0;
    const noisy = (t: Tensor): Tensor => t.mul(randn(t.shape, { seed: calls++ }));
    expect(() => gradcheck(noisy, [tensor([1, 2])])).toThrow(/^gradcheck: f is not deterministic: two evaluations at the same inputs differ at output element 0/);
  });
});

describe('the backward pass as a graph', () => {
  it('toDot draws a gradient’s graph, each op marked with the rule that made it', () => {
    const w = randn([2, 3], { seed: 1, requiresGrad: true, name: 'w' });
    const x = randn([3, 4], { seed: 2, name: 'x' });
    const b = randn([2, 1], { seed: 3, requiresGrad: true, name: 'b' });
    backward(w.matmul(x).add(b).sigmoid().square().sum(), undefined, { createGraph: true });
    const dot = toDot(w.grad!);
    expect(dot).toMatch(/matmul \\\{\\"transB\\":true\\\}\\n\(rule of matmul\)/);
    expect(dot).toContain('(rule of sigmoid)');
    expect(dot).toContain('(rule of pow)');
    expect(toDot(b.grad!)).toMatch(/sumTo .*\\n\(rule of add\)/);
  });
});

describe('trace records the backward pass as ops', () => {
  it('folds what depends only on its own constants, and replays the rest', () => {
    const w = randn([3, 4], { seed: 1, requiresGrad: true });
    const X = randn([4, 5], { seed: 2 });
    // (1/2m)·Σ (σ(wX))²: the seed through the rules of mul, sum and pow's factor 2 is constant.
    const tape = trace(() => w.matmul(X).sigmoid().square().sum().mul(0.1));
    expect(tape.size).toBe(5); // matmul, sigmoid, pow, sum, and the · 0.1 of a replayed sum
    expect(tape.backwardSize).toBe(3); // g·2·σ, sigmoidGrad, matmul for w
    tape.forward();
    tape.backward();
    const replayed = w.grad!.clone();
    w.zeroGrad();
    w.matmul(X).sigmoid().square().sum().mul(0.1).backward();
    expect(replayed).toBeAllclose(w.grad!, EXACT);
  });

  it('its replay equals eager backward, for a network with a custom op', () => {
    const scale = customOp({ name: 'scale', forward: (x) => x.mul(3), backward: (g) => [g.mul(3)] });
    const w = randn([3, 4], { seed: 1, requiresGrad: true });
    const X = randn([4, 5], { seed: 2 });
    const f = (): Tensor => scale(w.matmul(X).tanh()).max(0).sum();
    const tape = trace(f);
    expect(tape.backwardSize).toBeGreaterThan(3);
    for (let step = 0; step < 3; step++) {
      X.data.set(randn([4, 5], { seed: 10 + step }).data);
      tape.forward();
      tape.backward();
      const replayed = w.grad!.clone();
      w.zeroGrad();
      f().backward();
      expect(replayed).toBeAllclose(w.grad!, EXACT);
    }
  });
});

describe('gradients passed through unchanged', () => {
  it('two leaves of an add get .grad tensors with their own storage', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).sum().backward();
    expect(a.grad).toBeAllclose([1, 1]);
    expect(b.grad).toBeAllclose([1, 1]);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    a.grad!.data[0] = 5; // an in-place change to one gradient leaves the other alone
    expect(b.grad!.data[0]).toBe(1);
  });
});
