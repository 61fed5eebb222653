/**
 * trace(): a recorded tape replayed on new data must give what a fresh eager forward and
 * backward give on the same data, reuse its buffers, and set (not add to) the leaves' `.grad`.
 */
import { describe, it, expect } from 'vitest';
import { GradError, type Tensor, conv2d, createKernels, createRng, customOp, fromData, grad, logSoftmax, maxPool2d, randn, tensor, trace, zeros } from './index.ts';

/** A small two-layer model on a batch [3, 5] → [2, 5], with its quadratic cost. */
function model(): { X: Tensor; Y: Tensor; params: Tensor[]; loss: (w1: Tensor, b1: Tensor, w2: Tensor) => Tensor } {
  const X = zeros([3, 5]);
  const Y = zeros([2, 5]);
  const params = [randn([4, 3], { seed: 1, requiresGrad: true }), zeros([4, 1], { requiresGrad: true }), randn([2, 4], { seed: 2, requiresGrad: true })];
  // The target goes through an op without requiresGrad (Y·0.5 + 0.25): replay must redo it too.
  const loss = (w1: Tensor, b1: Tensor, w2: Tensor): Tensor =>
    w2.matmul(w1.matmul(X).add(b1).tanh()).sigmoid().sub(Y.mul(0.5).add(0.25)).square().mean();
  return { X, Y, params, loss };
}

function fill(t: Tensor, seed: number): void {
  const rng = createRng(seed);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
}

describe('trace', () => {
  it('replays the forward on new data to the value a fresh eager forward gives', () => {
    const { X, Y, params, loss } = model();
    const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
    const tape = trace(() => loss(w1, b1, w2));
    for (let step = 0; step < 3; step++) {
      fill(X, 10 + step);
      fill(Y, 20 + step);
      const replayed = tape.forward();
      const eager = loss(w1.detach(), b1.detach(), w2.detach()).item();
      expect(replayed).toBeAllclose([eager], { rtol: 1e-14 });
      expect(tape.output.item()).toBe(replayed);
    }
  });

  it('replays the backward to the gradients eager autodiff gives, setting (not adding to) .grad', () => {
    const { X, Y, params, loss } = model();
    const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
    const tape = trace(() => loss(w1, b1, w2));
    for (let step = 0; step < 3; step++) {
      fill(X, 30 + step);
      fill(Y, 40 + step);
      tape.forward();
      tape.backward();
      const expected = grad(loss)(w1, b1, w2);
      params.forEach((p, i) => expect(p.grad!).toBeAllclose(expected[i]!, { rtol: 1e-12, atol: 1e-15 }));
    }
    // a second backward without a forward gives the same gradients, not twice them
    const before = params.map((p) => Array.from(p.grad!.data));
    tape.backward();
    params.forEach((p, i) => expect(Array.from(p.grad!.data)).toEqual(before[i]));
  });

  it('sees parameters updated in place between steps (an optimizer step)', () => {
    const { X, Y, params, loss } = model();
    const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
    fill(X, 1);
    fill(Y, 2);
    const tape = trace(() => loss(w1, b1, w2));
    tape.forward();
    tape.backward();
    for (const p of params) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! - 0.5 * p.grad!.data[i]!;
    expect(tape.forward()).toBeAllclose([loss(w1.detach(), b1.detach(), w2.detach()).item()], { rtol: 1e-14 });
  });

  it('reuses its buffers: .grad keeps its identity and nothing is allocated per step', () => {
    let allocations = 0;
    const allocate = (n: number): Float64Array => {
      allocations++;
      return new Float64Array(n);
    };
    const { X, Y, params, loss } = model();
    const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
    const tape = trace(() => loss(w1, b1, w2), { allocate });
    const afterTrace = allocations;
    expect(afterTrace).toBeGreaterThan(0);
    fill(X, 3);
    fill(Y, 4);
    tape.forward();
    tape.backward();
    const grads = params.map((p) => p.grad);
    tape.forward();
    tape.backward();
    params.forEach((p, i) => expect(p.grad).toBe(grads[i]));
    expect(allocations).toBe(afterTrace);
  });

  it('counts its ops and exposes the output', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const tape = trace(() => w.mul(3).exp().sum());
    expect(tape.size).toBe(3);
    expect(tape.output.shape).toEqual([]);
    expect(tape.forward()).toBeAllclose([Math.exp(3) + Math.exp(6)], { rtol: 1e-14 });
  });

  it('recomputes custom ops on replay and uses their backward', () => {
    const cube = customOp({
      name: 'cube',
      forward: (x) => fromData(Float64Array.from(x!.data, (v) => v * v * v), x!.shape),
      backward: (g, { inputs: [x] }) => [g.mul(x!.square()).mul(3)],
    });
    const w = tensor([1, 2], { requiresGrad: true });
    const tape = trace(() => cube(w).sum());
    w.data.set([3, -1]);
    expect(tape.forward()).toBe(27 - 1);
    tape.backward();
    expect(w.grad!.toArray()).toEqual([27, 3]);
  });

  it('keeps retained intermediate gradients', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let z: Tensor | null = null;
    const tape = trace(() => {
      z = w.mul(2).retainGrad();
      return z.square().sum();
    });
    tape.forward();
    tape.backward();
    // L = Σ z², ∂L/∂z = 2z = 4w
    expect(z!.grad!.toArray()).toEqual([4, 8]);
    expect(w.grad!.toArray()).toEqual([8, 16]);
  });

  it('still gives the right gradients after an eager backward() in between', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const tape = trace(() => w.square().sum());
    tape.forward();
    tape.backward();
    w.mul(10).sum().backward(); // eager: adds 10 into w.grad
    tape.backward();
    expect(w.grad!.toArray()).toEqual([2, 4]);
  });

  it('throws when the traced function returns a non-scalar', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => trace(() => w.mul(2))).toThrow(/^trace: the function must return a one-element tensor, got shape \[2\]$/);
    expect(() => trace(() => w.mul(2))).toThrow(GradError);
  });

  it('throws when the output does not require grad', () => {
    expect(() => trace(() => tensor([1, 2]).sum())).toThrow(/^trace: the output does not require grad/);
  });

  it('throws when the function does not return a tensor', () => {
    expect(() => trace(() => 3 as unknown as Tensor)).toThrow(/^trace: the function must return a Tensor, got number$/);
  });

  it('records nothing once tracing is over', () => {
    const w = tensor([1], { requiresGrad: true });
    trace(() => w.sum());
    expect(tensor([1]).add(1).node).toBeNull();
  });

  // logSoftmax detaches its max; while tracing, detach records a stop-gradient node so replay
  // recomputes the shift for new inputs instead of keeping the trace-time one.
  it('replays logSoftmax stably on inputs far from those it was traced with', () => {
    const X = zeros([1, 3]);
    const w = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]], { requiresGrad: true });
    const tape = trace(() => logSoftmax(X.matmul(w), 1).sum());
    X.data.set([1000, 1001, 1002]);
    const eager = logSoftmax(X.matmul(w.detach()), 1).sum().item();
    expect(Number.isFinite(eager)).toBe(true);
    expect(tape.forward()).toBeAllclose([eager], { rtol: 1e-12 });
  });

  // Matmul rules write their input's gradient buffer outright when they are its first
  // contribution; a weight used by two matmuls must still get the sum of both.
  it('sums the gradients of a weight used by two matmuls, over several replays', () => {
    const rng = createRng(8);
    const X = zeros([3, 4]);
    const w = randn([3, 3], { seed: 5, requiresGrad: true });
    const f = (): Tensor => w.matmul(X).tanh().add(w.matmul(X.mul(2)).sigmoid()).square().sum();
    const tape = trace(f);
    for (let step = 0; step < 3; step++) {
      for (let i = 0; i < X.size; i++) X.data[i] = rng.normal();
      tape.forward();
      tape.backward();
      const [expected] = grad((v: Tensor) => v.matmul(X).tanh().add(v.matmul(X.mul(2)).sigmoid()).square().sum())(w.detach());
      expect(w.grad).toBeAllclose(expected!, { rtol: 1e-12, atol: 1e-14 });
    }
  });

  for (const onKernels of [false, true]) it(`finds the pooling maxima once per replay for the pooling, its rule and its rule's rule, from the current data${onKernels ? ' (on float64 kernels: conv.wat in place)' : ''}`, () => {
    // f's gradient inside the traced function puts maxPool2dGrad in the forward and
    // maxPool2dGather in the backward, all reading the maxima of one input; stale positions
    // (found when traced, or by a step that ran before the input changed) give other gradients.
    const rng = createRng(5);
    const x = zeros([2, 2, 6, 6]);
    const w = randn([3, 2, 3, 3], { rng, requiresGrad: true });
    const f = (v: Tensor): Tensor => maxPool2d(conv2d(x, v, { padding: 1 }), { kernel: 2 }).tanh().sum();
    const loss = (v: Tensor): Tensor => {
      const [g] = grad(f)(v);
      return f(v).add(g!.square().sum());
    };
    fill(x, 1);
    const tape = trace(() => loss(w), onKernels ? { kernels: createKernels('float64', { bytes: 1 << 20 }) } : {});
    for (let step = 0; step < 3; step++) {
      fill(x, 50 + step);
      const value = tape.forward();
      tape.backward();
      expect(value).toBeCloseTo(loss(w.detach()).item(), 12);
      const [expected] = grad(loss)(w.detach());
      expect(w.grad!).toBeAllclose(expected!, { rtol: 1e-12, atol: 1e-14 });
    }
  });

  describe('sgdStep', () => {
    /** What sgdStep must equal: backward(), then p ← decay·p − lr·grad for each parameter. */
    function reference(params: Tensor[], tape: ReturnType<typeof trace>, lr: number, decay: (p: Tensor) => number): Float64Array[] {
      tape.forward();
      tape.backward();
      return params.map((p) => Float64Array.from(p.data, (v, i) => decay(p) * v - lr * p.grad!.data[i]!));
    }

    it('updates every parameter as backward() followed by p ← decay·p − lr·∂C/∂p does', () => {
      const { X, Y, params, loss } = model();
      const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
      const tape = trace(() => loss(w1, b1, w2));
      const decay = (p: Tensor): number => (p === b1 ? 1 : 0.99);
      for (let step = 0; step < 3; step++) {
        fill(X, 50 + step);
        fill(Y, 60 + step);
        const start = params.map((p) => Float64Array.from(p.data));
        const expected = reference(params, tape, 0.7, decay);
        params.forEach((p, i) => p.data.set(start[i]!));
        tape.forward();
        tape.sgdStep(0.7, decay);
        // −lr is folded into δ before the product, so the sums round differently: not bit-equal.
        params.forEach((p, i) => expect(p).toBeAllclose(fromData(expected[i]!, p.shape), { rtol: 1e-13, atol: 1e-15 }));
        // the step consumed the gradients: none is left to be read as if current
        for (const p of params) expect(p.grad).toBeNull();
      }
    });

    it('folds the weight-gradient products into the parameters: their gradient buffers are not written', () => {
      const { X, Y, params, loss } = model();
      const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
      fill(X, 3);
      fill(Y, 4);
      const tape = trace(() => loss(w1, b1, w2));
      tape.forward();
      tape.backward();
      const buffers = params.map((p) => p.grad!.data);
      for (const d of buffers) d.fill(12345);
      tape.forward();
      tape.sgdStep(0.1);
      // w1 and w2 get δ·aᵀ accumulated in place; the bias's gradient (a sum over the batch) is written and read
      expect(buffers[0]!.every((v) => v === 12345)).toBe(true);
      expect(buffers[2]!.every((v) => v === 12345)).toBe(true);
      expect(buffers[1]!.some((v) => v !== 12345)).toBe(true);
    });

    it('uses the parameters from before the step in every rule (updates come after the backward ops)', () => {
      // w feeds two layers: BP2 through the second reads w, which must not have been updated yet
      const X = randn([3, 4], { seed: 3 });
      const w = randn([3, 3], { seed: 4, requiresGrad: true });
      const f = (v: Tensor): Tensor => v.matmul(v.matmul(X).tanh()).sigmoid().sum();
      const tape = trace(() => f(w));
      const [g] = grad(f)(w.detach());
      const expected = Float64Array.from(w.data, (v, i) => v - 0.3 * g!.data[i]!);
      tape.forward();
      tape.sgdStep(0.3);
      expect(w).toBeAllclose(fromData(expected, [3, 3]), { rtol: 1e-13, atol: 1e-15 });
    });

    it('applies a gradient that reads another parameter after every product, not after that parameter moved', () => {
      // C = ‖U·V − T‖²: ∂C/∂U = G·Vᵀ reads V and ∂C/∂V = Uᵀ·G reads U; fusing either product into
      // its parameter would let the other read an updated value, so both are written out first
      const T = randn([3, 4], { seed: 9 });
      const U = randn([3, 2], { seed: 10, requiresGrad: true });
      const V = randn([2, 4], { seed: 11, requiresGrad: true });
      const f = (u: Tensor, v: Tensor): Tensor => u.matmul(v).sub(T).square().sum();
      const tape = trace(() => f(U, V));
      for (let step = 0; step < 3; step++) {
        const [gu, gv] = grad(f)(U.detach(), V.detach());
        const eu = Float64Array.from(U.data, (x, i) => x - 0.05 * gu!.data[i]!);
        const ev = Float64Array.from(V.data, (x, i) => x - 0.05 * gv!.data[i]!);
        tape.forward();
        tape.sgdStep(0.05);
        expect(U).toBeAllclose(fromData(eu, [3, 2]), { rtol: 1e-13, atol: 1e-15 });
        expect(V).toBeAllclose(fromData(ev, [2, 4]), { rtol: 1e-13, atol: 1e-15 });
      }
    });

    it('runs the checked backward with anomaly detection on and names the op gone non-finite', async () => {
      const { setDetectAnomaly, AnomalyError } = await import('./index.ts');
      const { X, Y, params, loss } = model();
      const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
      const tape = trace(() => loss(w1, b1, w2));
      fill(X, 1);
      fill(Y, 2);
      setDetectAnomaly(true);
      try {
        const start = params.map((p) => Float64Array.from(p.data));
        const expected = reference(params, tape, 0.5, () => 1);
        params.forEach((p, i) => p.data.set(start[i]!));
        tape.forward();
        tape.sgdStep(0.5);
        params.forEach((p, i) => expect(p).toBeAllclose(fromData(expected[i]!, p.shape), { rtol: 1e-13, atol: 1e-15 }));
        Y.data[0] = Infinity;
        expect(() => tape.forward()).toThrow(AnomalyError);
      } finally {
        setDetectAnomaly(false);
      }
    });

    it('rejects a learning rate or decay that is not a finite number, before changing anything', () => {
      const { params, loss } = model();
      const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
      const tape = trace(() => loss(w1, b1, w2));
      tape.forward();
      const before = params.map((p) => Array.from(p.data));
      expect(() => tape.sgdStep(Number.NaN)).toThrow(/Tape\.sgdStep: lr must be a finite number, got NaN/);
      expect(() => tape.sgdStep('0.1' as unknown as number)).toThrow(RangeError);
      expect(() => tape.sgdStep(0.1, (p) => (p === w2 ? Infinity : 1))).toThrow(/decay of .* must be a finite number, got Infinity/);
      params.forEach((p, i) => expect(Array.from(p.data)).toEqual(before[i]));
    });
  });
});
