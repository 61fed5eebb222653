/**
 * trace() with float32 kernels: the graph traced in float64, replayed on float32 buffers. Held
 * against the float64 tape (same values to single precision), against float64 ops rounded once
 * (the ops that run in float64 on copies), and against itself with a helper thread (same bits).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  AnomalyError,
  DTypeError,
  GradError,
  ShapeError,
  type Tape,
  type Tensor,
  avgPool2d,
  conv2d,
  createKernels,
  createRng,
  customOp,
  fromData,
  logSoftmax,
  maxPool2d,
  randn,
  setDetectAnomaly,
  trace,
  zeros,
} from './index.ts';
import { setWasmIm2col, tapeWasmOf } from './conv.ts';
import { withHelperThread } from './kernels/threads.ts';
import { primitives } from './primitives.ts';
import { float32Loop, wasmStep } from './tape-float32.ts';

function fill(t: Float64Array | Float32Array, seed: number, scale = 1): void {
  const rng = createRng(seed);
  for (let i = 0; i < t.length; i++) t[i] = scale * rng.normal();
}

/** A dense model that reaches every kind of step: products in three layouts, broadcasts, reductions, loops, σ. */
function dense(): { X: Tensor; Y: Tensor; params: Tensor[]; loss: () => Tensor } {
  const X = zeros([6, 5], { name: 'X' });
  const Y = zeros([3, 5], { name: 'Y' });
  const w1 = randn([4, 6], { seed: 1, requiresGrad: true, name: 'w1' });
  const b1 = zeros([4, 1], { requiresGrad: true, name: 'b1' });
  const w2 = randn([4, 3], { seed: 2, requiresGrad: true, name: 'w2' }); // used transposed
  const w3 = randn([5, 5], { seed: 3, requiresGrad: true, name: 'w3' });
  const loss = (): Tensor => {
    const h = w1.matmul(X).add(b1).sigmoid(); // NN, a bias broadcast, σ on the kernels
    const z = w2.transpose().matmul(h.tanh()); // a transpose, then NN
    const u = z.matmul(w3.transpose()).relu(); // the rules take NT and TN
    const ll = logSoftmax(z, 0).mul(Y).sum().neg(); // max, exp, log, sums over an axis
    return ll.add(u.square().mean()).add(h.exp().log().abs().sum().mul(0.01));
  };
  return { X, Y, params: [w1, b1, w2, w3], loss };
}

const kernelSets = [
  ['SIMD', () => createKernels('float32', { bytes: 1 << 20 })],
  ['TypeScript', () => createKernels('float32', { bytes: 1 << 20, simd: false })],
] as const;

describe('trace with float32 kernels', () => {
  for (const [label, make] of kernelSets) {
    it(`(${label}) gives the float64 tape's loss and gradients to single precision`, () => {
      const { X, Y, params, loss } = dense();
      const t64 = trace(loss);
      const t32 = trace(loss, { kernels: make() });
      expect(t32.dtype).toBe('float32');
      expect(t64.dtype).toBe('float64');
      for (let step = 0; step < 3; step++) {
        fill(X.data, 10 + step);
        fill(Y.data, 20 + step);
        // The float32 tape reads its own copies of the inputs.
        const x32 = t32.buffer(X);
        expect(x32).toBeInstanceOf(Float32Array);
        x32.set(X.data);
        t32.buffer(Y).set(Y.data);
        const v64 = t64.forward();
        const v32 = t32.forward();
        expect(v32).not.toBe(v64); // it really ran in float32
        expect(Math.abs(v32 - v64)).toBeLessThan(1e-5 * Math.abs(v64));
        t64.backward();
        const g64 = params.map((p) => Float64Array.from(p.grad!.data));
        t32.backward();
        params.forEach((p, i) => {
          expect(p.grad!.data).toBeInstanceOf(Float64Array);
          expect(p.grad!).toBeAllclose(fromData(g64[i]!, p.shape), { rtol: 1e-4, atol: 1e-5 });
        });
      }
    });

    for (const wasmConv of [true, false]) it(`(${label}, conv.wat ${wasmConv ? 'on' : 'off'}) runs convolutions in float32 and pools the float32 values as they are`, () => {
      setWasmIm2col(wasmConv);
      onTestFinished(() => setWasmIm2col(true));
      // Both of conv2d's routes (the direct kernel at stride 1, im2col and a product at stride
      // 2), both poolings, and every convolution rule: x requires grad, so its gradient runs
      // conv2dBackpropInput, the filters' conv2dBackpropFilter.
      const x = randn([3, 2, 9, 9], { seed: 3, requiresGrad: true, name: 'x' });
      const w = randn([5, 2, 3, 3], { seed: 4, requiresGrad: true, name: 'w' });
      const v = randn([4, 5, 3, 3], { seed: 6, requiresGrad: true, name: 'v' });
      for (const t of [x, w, v]) t.data.set(Float32Array.from(t.data)); // exact in float32
      const net = (): { y: Tensor; p: Tensor; q: Tensor; loss: Tensor } => {
        const y = conv2d(x, w, { padding: 1 });
        const p = maxPool2d(y, { kernel: 2 });
        const q = avgPool2d(conv2d(p.sigmoid(), v, { stride: 2, padding: 1 }), { kernel: 2 });
        return { y, p, q, loss: q.tanh().sum() };
      };
      let parts: ReturnType<typeof net> | null = null;
      const tape = trace(() => (parts = net()).loss, { kernels: make() });
      tape.forward();
      tape.backward();
      const { y, p, q } = parts!;
      const want = net();
      // Convolution sums in float32: within its rounding of the float64 result, not equal to it.
      const y32 = tape.buffer(y);
      expect(y32).toBeInstanceOf(Float32Array);
      expect(fromData(Float64Array.from(y32), y.shape)).toBeAllclose(want.y, { rtol: 1e-5, atol: 1e-5 });
      expect(Array.from(y32)).not.toEqual(Array.from(Float32Array.from(want.y.data)));
      // Max pooling picks float32 values: exactly the pooling of the tape's own conv output.
      expect(Array.from(tape.buffer(p))).toEqual(Array.from(maxPool2d(fromData(Float64Array.from(y32), y.shape), { kernel: 2 }).data));
      expect(fromData(Float64Array.from(tape.buffer(q)), q.shape)).toBeAllclose(want.q, { rtol: 1e-4, atol: 1e-5 });
      const g32 = [x, w, v].map((t) => Float64Array.from(t.grad!.data));
      const ref = trace(() => net().loss);
      ref.forward();
      ref.backward();
      [x, w, v].forEach((t, i) => expect(fromData(g32[i]!, t.shape)).toBeAllclose(t.grad!, { rtol: 1e-4, atol: 1e-4 }));
    });
  }

  it('takes an SGD step in float32: the fused weight products give what backward() and p − lr·g give', () => {
    const run = (useFused: boolean): Float32Array[] => {
      const { X, Y, params, loss } = dense();
      const tape = trace(loss, { kernels: createKernels('float32', { bytes: 1 << 20 }) });
      for (let step = 0; step < 4; step++) {
        fill(tape.buffer(X), 30 + step);
        fill(tape.buffer(Y), 40 + step);
        tape.forward();
        if (useFused) tape.sgdStep(0.1, (p) => (p.name === 'w1' ? 0.99 : 1));
        else {
          // The written-out gradients (backward) and the update by hand, in float32.
          tape.backward();
          for (const p of params) {
            const b = tape.buffer(p);
            const g = p.grad!.data;
            const f = p.name === 'w1' ? 0.99 : 1;
            for (let j = 0; j < b.length; j++) b[j] = Math.fround(f * b[j]!) - 0.1 * g[j]!;
          }
        }
      }
      return params.map((p) => Float32Array.from(tape.buffer(p)));
    };
    const fused = run(true);
    const byHand = run(false);
    fused.forEach((f, i) => {
      const h = byHand[i]!;
      let worst = 0;
      for (let j = 0; j < f.length; j++) worst = Math.max(worst, Math.abs(f[j]! - h[j]!));
      expect(worst).toBeLessThan(1e-5);
    });
    // The parameters' own float64 data keeps the traced values: the tape owns the float32 copy.
    const { X, params, loss } = dense();
    const before = Float64Array.from(params[0]!.data);
    const tape = trace(loss, { kernels: createKernels('float32', { bytes: 1 << 20 }) });
    fill(tape.buffer(X), 50);
    tape.forward();
    tape.sgdStep(0.1);
    expect(params[0]!.data).toEqual(before);
    expect(Array.from(tape.buffer(params[0]!))).not.toEqual(Array.from(Float32Array.from(before)));
  });

  it('shares leaf buffers between tapes (one parameter, several batch sizes)', () => {
    const k = createKernels('float32', { bytes: 1 << 20 });
    const w = randn([3, 4], { seed: 6, requiresGrad: true, name: 'w' });
    const shared = k.alloc(12);
    shared.set(w.data);
    const tapes = [2, 5].map((m) => {
      const X = zeros([4, m]);
      fill(X.data, m);
      const tape = trace(() => w.matmul(X).sigmoid().sum(), { kernels: k, leafBuffers: new Map([[w, shared]]) });
      tape.buffer(X).set(X.data);
      return tape;
    });
    expect(tapes[0]!.buffer(w)).toBe(shared);
    expect(tapes[1]!.buffer(w)).toBe(shared);
    const before = tapes[1]!.forward();
    tapes[0]!.forward();
    tapes[0]!.sgdStep(1);
    expect(tapes[1]!.forward()).not.toBe(before); // it read the updated weights
  });

  it('names the op, the argument and the value when it cannot do what is asked', () => {
    const k = createKernels('float32', { bytes: 1 << 20 });
    const x = randn([3], { seed: 1, requiresGrad: true, name: 'x' });
    const square = customOp({ name: 'mySquare', forward: (v) => v!.mul(v!), backward: (g, { inputs: [v] }) => [g.mul(v!).mul(2)] });
    expect(() => trace(() => square(x).sum(), { kernels: k })).toThrow(DTypeError);
    expect(() => trace(() => square(x).sum(), { kernels: k })).toThrow(/op 'mySquare' is a custom op.*float32 tape cannot replay it/);
    expect(trace(() => square(x).sum()).forward()).toBeCloseTo(x.square().sum().item(), 12); // float64 replays it
    expect(() => trace(() => x.sum(), { kernels: k, allocate: (n) => new Float64Array(n) })).toThrow(/pass allocate or kernels, not both/);
    const k64 = createKernels('float64', { bytes: 1 << 16 });
    expect(() => trace(() => x.sum(), { kernels: k64, leafBuffers: new Map([[x, new Float32Array(3)]]) })).toThrow(/leafBuffers are for float32 kernels/);
    expect(() => trace(() => x.sum(), { kernels: k, leafBuffers: new Map([[x, new Float32Array(4)]]) })).toThrow(ShapeError);
    expect(() => trace(() => x.sum(), { kernels: k, leafBuffers: new Map([[x, new Float32Array(4)]]) })).toThrow(/buffer of x has 4 elements, its shape \[3\] needs 3/);
    expect(() => trace(() => x.sum(), { kernels: k, leafBuffers: new Map([[x, new Float64Array(3) as unknown as Float32Array]]) })).toThrow(/buffer of x must be a Float32Array, got Float64Array/);
    const y = x.mul(2);
    expect(() => trace(() => y.sum(), { kernels: k, leafBuffers: new Map([[y, new Float32Array(3)]]) })).toThrow(GradError);
    expect(() => trace(() => y.sum(), { kernels: k, leafBuffers: new Map([[y, new Float32Array(3)]]) })).toThrow(/^trace: leafBuffers: a tensor is computed by op 'mul', not a leaf$/);
    const bad = { ...k, dtype: 'float16' } as unknown as typeof k;
    expect(() => trace(() => x.sum(), { kernels: bad })).toThrow(/kernels of unknown dtype 'float16'/);
    const tape = trace(() => x.sum(), { kernels: k });
    expect(() => tape.buffer(zeros([2], { name: 'other' }))).toThrow(GradError);
    expect(() => tape.buffer(zeros([2], { name: 'other' }))).toThrow(/Tape\.buffer: the tensor other of shape \[2\] is not part of this tape/);
  });

  it('with anomaly detection on, names the input that carried a non-finite float32 value in', () => {
    const { X, loss } = dense();
    const tape: Tape = trace(loss, { kernels: createKernels('float32', { bytes: 1 << 20 }) });
    const x = tape.buffer(X);
    fill(x, 3);
    x[7] = Number.POSITIVE_INFINITY;
    expect(() => tape.forward()).not.toThrow(); // off: no check (σ(∞) = 1 hides it downstream)
    setDetectAnomaly(true);
    try {
      expect(() => tape.forward()).toThrow(AnomalyError);
      expect(() => tape.forward()).toThrow(/^matmul: input 1 \(X\) of shape \[6,5\] holds Infinity at flat index 7 \(a leaf/);
    } finally {
      setDetectAnomaly(false);
    }
  });

  it('gives the same bits with a helper thread as on one thread, in float32 and float64', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const runs: number[][] = [];
      for (const threaded of [false, true]) {
        const base = createKernels(dtype, { bytes: 1 << 22, shared: threaded });
        const k = threaded ? withHelperThread(base) : base;
        if (threaded) {
          // The helper starts asynchronously; products run on one thread until it is up.
          const [A, B, C] = [k.alloc(30 * 784), k.alloc(784 * 10), k.alloc(300)];
          const deadline = Date.now() + 5000;
          while ((k as ReturnType<typeof withHelperThread>).jobs === 0 && Date.now() < deadline) {
            (k.gemmNN as (M: number, N: number, K: number, a: typeof A, b: typeof A, c: typeof A, acc: boolean) => void)(30, 10, 784, A, B, C, false);
            await new Promise((r) => setTimeout(r, 5));
          }
        }
        const X = zeros([784, 10], { name: 'X' });
        const Y = zeros([10, 10], { name: 'Y' });
        const w1 = randn([30, 784], { seed: 1, requiresGrad: true, std: 0.05 });
        const w2 = randn([10, 30], { seed: 2, requiresGrad: true });
        const b = zeros([30, 1], { requiresGrad: true });
        const leaves = [X, Y, w1, w2, b];
        if (dtype === 'float64') {
          // A float64 tape's leaves must live in the kernels' memory for its products to run there.
          for (const [i, t] of leaves.entries()) {
            const d = k.alloc(t.size) as Float64Array;
            d.set(t.data);
            leaves[i] = fromData(d, t.shape, { requiresGrad: t.requiresGrad, name: t.name });
          }
        }
        const [x, y, a, c, bias] = leaves as [Tensor, Tensor, Tensor, Tensor, Tensor];
        const tape = trace(() => c.matmul(a.matmul(x).add(bias).sigmoid()).sigmoid().sub(y).square().sum(), { kernels: k });
        const costs: number[] = [];
        const jobs = threaded ? (k as ReturnType<typeof withHelperThread>).jobs : 0;
        for (let step = 0; step < 100; step++) {
          fill(tape.buffer(x), step, 0.5);
          tape.buffer(y).fill(0);
          for (let j = 0; j < 10; j++) tape.buffer(y)[((step + j) % 10) * 10 + j] = 1;
          costs.push(tape.forward());
          tape.sgdStep(0.5);
        }
        costs.push(...Array.from(tape.buffer(a)).slice(0, 50), ...Array.from(tape.buffer(c)));
        if (threaded) {
          expect((k as ReturnType<typeof withHelperThread>).jobs).toBeGreaterThan(jobs); // the tape's products were shared (after any backoff of a late helper)
          (k as ReturnType<typeof withHelperThread>).close();
        }
        runs.push(costs);
      }
      expect(runs[1]).toEqual(runs[0]);
    }
  });
});

describe("a tape's own steps: this module's float32 loops and conv.wat's steps", () => {
  // Each pattern against the primitive's loop on the same float32 buffers: the same bits.
  const rng = createRng(11);
  const f32 = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * 3);
  const cases: [string, Parameters<typeof float32Loop>[0], Float32Array[], number[][], number[], unknown][] = [
    ['add, same shape', primitives.add as never, [f32(12), f32(12)], [[3, 4], [3, 4]], [3, 4], null],
    ['add, a scalar second', primitives.add as never, [f32(12), f32(1)], [[3, 4], []], [3, 4], null],
    ['mul, a scalar first', primitives.mul as never, [f32(1), f32(12)], [[], [3, 4]], [3, 4], null],
    ['add, a bias column second', primitives.add as never, [f32(12), f32(3)], [[3, 4], [3, 1]], [3, 4], null],
    ['mul, a column first', primitives.mul as never, [f32(3), f32(12)], [[3, 1], [3, 4]], [3, 4], null],
    ['sigmoidGrad', primitives.sigmoidGrad as never, [f32(12).map((v) => 1 / (1 + Math.exp(-v))), f32(12)], [[3, 4], [3, 4]], [3, 4], null],
    ['pow 2', primitives.pow as never, [f32(12)], [[3, 4]], [3, 4], { p: 2 }],
    ['sum of all', primitives.sum as never, [f32(12)], [[3, 4]], [], { axes: [0, 1], keepDims: false }],
    ['sum over columns', primitives.sum as never, [f32(12)], [[3, 4]], [3], { axes: [1], keepDims: false }],
    ['sumTo a bias column', primitives.sumTo as never, [f32(12)], [[3, 4]], [3, 1], { shape: [3, 1] }],
    ['add, a per-channel bias second', primitives.add as never, [f32(120), f32(3)], [[2, 3, 4, 5], [3, 1, 1]], [2, 3, 4, 5], null],
    ['mul, a per-channel vector first, rank 4', primitives.mul as never, [f32(3), f32(120)], [[1, 3, 1, 1], [2, 3, 4, 5]], [2, 3, 4, 5], null],
    ['add, a row second (a vector along the last axis)', primitives.add as never, [f32(12), f32(4)], [[3, 4], [1, 4]], [3, 4], null],
    ['sumTo a per-channel bias', primitives.sumTo as never, [f32(120)], [[2, 3, 4, 5]], [3, 1, 1], { shape: [3, 1, 1] }],
    ['sumTo a row', primitives.sumTo as never, [f32(12)], [[3, 4]], [1, 4], { shape: [1, 4] }],
    ['transpose 2-D', primitives.transpose as never, [f32(10 * 37)], [[10, 37]], [37, 10], { perm: [1, 0] }],
    ['sigmoidGrad, an odd length', primitives.sigmoidGrad as never, [f32(13).map((v) => 1 / (1 + Math.exp(-v))), f32(13)], [[13], [13]], [13], null],
    ['mul, a per-row vector second, rows of 5 (a vector tail)', primitives.mul as never, [f32(30), f32(3)], [[2, 3, 5], [3, 1]], [2, 3, 5], null],
  ];
  const kernels = createKernels('float32', { bytes: 1 << 20 });
  for (const [name, primitive, x, shapes, outShape, attrs] of cases) for (const inWasm of [false, true]) {
    it(`${name}${inWasm ? ', by conv.wat in the kernels\' memory' : ''}: the bits of the primitive's loop`, () => {
      const size = outShape.reduce((a, b) => a * b, 1);
      const mine = inWasm ? kernels.alloc(size) : new Float32Array(size);
      const theirs = new Float32Array(size);
      const inputs = inWasm ? x.map((v) => { const b = kernels.alloc(v.length); b.set(v); return b; }) : x;
      const wasm = inWasm ? tapeWasmOf(mine) : null;
      if (inWasm) expect(wasm).not.toBeNull();
      // As the tape chooses: conv.wat's step where it has one, else this module's loop.
      const loop = (wasm === null ? null : wasmStep(primitive, inputs, shapes, mine, outShape, attrs, wasm)) ?? float32Loop(primitive, inputs, shapes, mine, outShape, attrs);
      expect(loop).not.toBeNull();
      loop!();
      (primitive as { forward(k: unknown): void }).forward({ x, shapes, out: theirs, outShape, attrs });
      expect(Array.from(mine)).toEqual(Array.from(theirs));
      expect(mine.some((v) => v !== 0)).toBe(true);
    });
  }
  // conv.wat's float64 steps against the primitives' float64 loops, on a float64 tape's memory.
  const k64 = createKernels('float64', { bytes: 1 << 20 });
  for (const [name, primitive, x, shapes, outShape, attrs] of cases) {
    const size = outShape.reduce((a, b) => a * b, 1);
    const inputs = x.map((v) => { const b = k64.alloc(v.length); b.set(Float64Array.from(v, (e) => e * (1 + 1 / 3))); return b; });
    const mine = k64.alloc(size);
    const step = wasmStep(primitive, inputs, shapes, mine, outShape, attrs, tapeWasmOf(mine)!);
    if (step === null) continue;
    it(`${name}, float64, by conv.wat: the bits of the primitive's float64 loop`, () => {
      const theirs = new Float64Array(size);
      step();
      (primitive as { forward(k: unknown): void }).forward({ x: inputs.map((b) => Float64Array.from(b)), shapes, out: theirs, outShape, attrs });
      expect(Array.from(mine)).toEqual(Array.from(theirs));
      expect(mine.some((v) => v !== 0 && v !== Math.fround(v))).toBe(true);
    });
  }
  it('runs in conv.wat only on buffers of one dtype in the memory it was instantiated on', () => {
    const wasm = tapeWasmOf(k64.alloc(1))!;
    const out = k64.alloc(12);
    expect(wasmStep(primitives.sigmoidGrad as never, [k64.alloc(12), k64.alloc(12)], [[12], [12]], out, [12], null, wasm)).not.toBeNull();
    expect(wasmStep(primitives.sigmoidGrad as never, [new Float64Array(12), k64.alloc(12)], [[12], [12]], out, [12], null, wasm)).toBeNull();
    expect(wasmStep(primitives.sigmoidGrad as never, [kernels.alloc(12), kernels.alloc(12)], [[12], [12]], kernels.alloc(12), [12], null, wasm)).toBeNull();
    expect(tapeWasmOf(new Float32Array(4))).toBeNull();
  });
  it('runs in conv.wat on shared memory too (the kernels of a helper thread), with the same bits', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const results: number[][] = [];
      for (const shared of [false, true]) {
        const k = createKernels(dtype, { bytes: 1 << 16, shared });
        const wasm = tapeWasmOf(k.alloc(1));
        expect(wasm, `${dtype}, shared ${shared}`).not.toBeNull();
        const [y, g, out] = [k.alloc(13), k.alloc(13), k.alloc(13)];
        for (let i = 0; i < 13; i++) [y[i], g[i]] = [0.05 + i / 14, Math.sin(i + 1)];
        const step = wasmStep(primitives.sigmoidGrad as never, [y, g], [[13], [13]], out, [13], null, wasm!);
        expect(step).not.toBeNull();
        step!();
        results.push(Array.from(out));
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0]!.every((v) => v !== 0)).toBe(true);
    }
  });
  it('leaves other patterns to the primitives (a broadcast along two axes, a sum over rows, pow 3, a 3-D transpose)', () => {
    expect(float32Loop(primitives.add as never, [f32(24), f32(12)], [[2, 3, 4], [1, 3, 4]], new Float32Array(24), [2, 3, 4], null)).toBeNull();
    expect(float32Loop(primitives.add as never, [f32(24), f32(8)], [[2, 3, 4], [2, 1, 4]], new Float32Array(24), [2, 3, 4], null)).toBeNull();
    expect(float32Loop(primitives.transpose as never, [f32(24)], [[2, 3, 4]], new Float32Array(24), [4, 3, 2], { perm: [2, 1, 0] })).toBeNull();
    expect(float32Loop(primitives.sum as never, [f32(12)], [[3, 4]], new Float32Array(4), [4], { axes: [0], keepDims: false })).toBeNull();
    expect(float32Loop(primitives.pow as never, [f32(12)], [[3, 4]], new Float32Array(12), [3, 4], { p: 3 })).toBeNull();
  });
});
