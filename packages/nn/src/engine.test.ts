import { AnomalyError, createRng, fromData, setDetectAnomaly, wasmSimdSupported } from '@nabla/core';
import { describe, expect, it } from 'vitest';
import { type ActivationName, type CostName, Network, SGD, createTrainingEngine } from './index.ts';

interface Setup {
  sizes: number[];
  activation: ActivationName;
  cost: CostName;
  m: number;
  lambda: number;
}

function batches(s: Setup, count: number, seed: number): { x: Float64Array; y: Float64Array }[] {
  const rng = createRng(seed);
  const n0 = s.sizes[0]!;
  const nL = s.sizes[s.sizes.length - 1]!;
  return Array.from({ length: count }, () => {
    const x = Float64Array.from({ length: n0 * s.m }, () => rng.uniform());
    const y = new Float64Array(nL * s.m);
    for (let j = 0; j < s.m; j++) y[rng.int(nL) * s.m + j] = 1; // one-hot columns
    return { x, y };
  });
}

// The reference: tensors, autodiff gradients into .grad, and the SGD optimizer object.
function reference(s: Setup, data: ReturnType<typeof batches>): Network {
  const net = new Network(s.sizes, { activation: s.activation, cost: s.cost, seed: 3, init: 'scaled' });
  const opt = new SGD(net.paramGroups(), { eta: 0.5, lambda: s.lambda, n: 100 });
  for (const d of data) {
    net.gradients(fromData(d.x.slice(), [s.sizes[0]!, s.m]), fromData(d.y.slice(), [s.sizes[s.sizes.length - 1]!, s.m]));
    opt.step();
  }
  return net;
}

function maxRelDiff(a: Network, b: Network): number {
  let worst = 0;
  [...a.weights, ...a.biases].forEach((t, i) => {
    const u = [...b.weights, ...b.biases][i]!;
    let scale = 1e-300;
    let diff = 0;
    t.data.forEach((v, k) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - u.data[k]!));
    });
    worst = Math.max(worst, diff / scale);
  });
  return worst;
}

const setups: Setup[] = [
  { sizes: [12, 7, 5], activation: 'sigmoid', cost: 'quadratic', m: 4, lambda: 0 },
  { sizes: [9, 6, 6, 4], activation: 'relu', cost: 'crossEntropy', m: 3, lambda: 2 },
  { sizes: [8, 5, 3], activation: 'tanh', cost: 'logLikelihood', m: 5, lambda: 0.5 },
  { sizes: [6, 4], activation: 'sigmoid', cost: 'quadratic', m: 1, lambda: 0 },
];

describe('createTrainingEngine', () => {
  // Both engines compute the same update as the reference route; only the order of float64
  // additions differs (SIMD kernels, fused update), so 1e-12 relative after 20 steps.
  for (const s of setups) {
    for (const engine of ['backprop', 'autodiff'] as const) {
      for (const simd of [true, false]) {
        it(`${engine} (${simd ? 'SIMD' : 'TypeScript'} kernels) matches tensors + SGD on [${s.sizes}] ${s.activation}/${s.cost}, m=${s.m}, λ=${s.lambda}`, () => {
          const data = batches(s, 20, 7);
          const want = reference(s, data);
          const net = new Network(s.sizes, { activation: s.activation, cost: s.cost, seed: 3, init: 'scaled' });
          const e = createTrainingEngine(net, { engine, batchSizes: [s.m], eta: 0.5, lambda: s.lambda, n: 100, simd });
          expect(e.simd).toBe(simd && wasmSimdSupported());
          const { X, Y } = e.batch(s.m);
          for (const d of data) {
            X.set(d.x);
            Y.set(d.y);
            e.step(s.m);
          }
          e.commit();
          expect(maxRelDiff(net, want)).toBeLessThan(1e-12);
        });
      }
    }
  }

  // Both engines in float32 (the autodiff engine's tape on float32 buffers of the same kernels
  // as the δ engine's), each within single precision of the float64 reference. They round
  // differently (the δ engine sums BP3 in float64, the tape in float32), so they agree to
  // single precision, not to the bit.
  for (const s of setups) {
    for (const simd of [true, false]) {
      it(`autodiff in float32 (${simd ? 'SIMD' : 'TypeScript'} kernels) matches the δ engine in float32 and the float64 reference on [${s.sizes}] ${s.activation}/${s.cost}`, () => {
        const data = batches(s, 20, 9);
        const want = reference(s, data);
        const run = (engine: 'autodiff' | 'backprop'): Network => {
          const net = new Network(s.sizes, { activation: s.activation, cost: s.cost, seed: 3, init: 'scaled' });
          const e = createTrainingEngine(net, { engine, dtype: 'float32', batchSizes: [s.m], eta: 0.5, lambda: s.lambda, n: 100, simd });
          expect(e.dtype).toBe('float32');
          const { X, Y } = e.batch(s.m);
          expect(X).toBeInstanceOf(Float32Array);
          for (const d of data) {
            X.set(d.x);
            Y.set(d.y);
            e.step(s.m);
          }
          e.commit();
          return net;
        };
        const tape = run('autodiff');
        const delta = run('backprop');
        expect(maxRelDiff(tape, delta)).toBeLessThan(1e-4);
        for (const net of [tape, delta]) {
          const gap = maxRelDiff(net, want);
          expect(gap).toBeLessThan(1e-4);
          expect(gap).toBeGreaterThan(0); // it really ran in float32
        }
        expect(maxRelDiff(tape, run('autodiff'))).toBe(0); // and the same bits every run
      });
    }
  }

  it('autodiff in float32 keeps one set of weights for all its batch sizes', () => {
    const s = setups[0]!;
    const net = new Network(s.sizes, { seed: 3 });
    const e = createTrainingEngine(net, { engine: 'autodiff', dtype: 'float32', batchSizes: [4, 2], eta: 0.5 });
    const data = batches({ ...s, m: 2 }, 2, 5);
    const { X, Y } = e.batch(2);
    X.set(data[0]!.x);
    Y.set(data[0]!.y);
    const first = e.step(2);
    e.commit();
    const after = net.weights[0]!.data.slice();
    // The batch-4 tape reads the weights the batch-2 tape just updated: its cost on the same two
    // examples twice equals the batch-2 tape's cost after the step.
    const big = e.batch(4);
    for (let r = 0; r < s.sizes[0]!; r++) big.X.set([X[r * 2]!, X[r * 2 + 1]!, X[r * 2]!, X[r * 2 + 1]!], r * 4);
    for (let r = 0; r < 5; r++) big.Y.set([Y[r * 2]!, Y[r * 2 + 1]!, Y[r * 2]!, Y[r * 2 + 1]!], r * 4);
    const costBig = e.step(4);
    const again = e.step(2);
    expect(again).not.toBe(first);
    const net2 = new Network(s.sizes, { seed: 3 });
    net2.weights.forEach((w, l) => w.data.set(net.weights[l]!.data));
    net2.biases.forEach((b, l) => b.data.set(net.biases[l]!.data));
    expect(net2.weights[0]!.data).toEqual(after);
    const expected = net2.loss(fromData(Float64Array.from(X), [s.sizes[0]!, 2]), fromData(Float64Array.from(Y), [5, 2])).item();
    expect(costBig).toBeCloseTo(expected, 5);
  });

  it('returns the batch cost before the step, as the network computes it', () => {
    const s = setups[1]!;
    const [d] = batches(s, 1, 11);
    const net = new Network(s.sizes, { activation: s.activation, cost: s.cost, seed: 3, init: 'scaled' });
    const expected = net.loss(fromData(d!.x.slice(), [s.sizes[0]!, s.m]), fromData(d!.y.slice(), [4, s.m])).item();
    for (const engine of ['backprop', 'autodiff'] as const) {
      const e = createTrainingEngine(net, { engine, batchSizes: [s.m], eta: 0.5 });
      const { X, Y } = e.batch(s.m);
      X.set(d!.x);
      Y.set(d!.y);
      expect(e.step(s.m)).toBeCloseTo(expected, 12);
    }
  });

  it('keeps separate buffers per batch size and shares the weights between them', () => {
    const s = setups[0]!;
    const net = new Network(s.sizes, { seed: 3 });
    const e = createTrainingEngine(net, { engine: 'backprop', batchSizes: [4, 2], eta: 0.5 });
    expect(e.batch(4).X.length).toBe(12 * 4);
    expect(e.batch(2).X.length).toBe(12 * 2);
    const before = net.weights[0]!.data.slice();
    e.batch(2).X.fill(1);
    e.batch(2).Y[0] = 1;
    e.step(2);
    e.commit();
    expect(net.weights[0]!.data).not.toEqual(before);
  });

  it('loads a batch from byte images exactly as X/255 columns and one-hot Y', () => {
    const net = new Network([6, 3, 4], { seed: 1 });
    const images = Uint8Array.from({ length: 5 * 6 }, (_, i) => (i * 53) % 256);
    const labels = Uint8Array.from([3, 0, 2, 1, 3]);
    for (const [engine, dtype] of [['backprop', 'float64'], ['backprop', 'float32'], ['autodiff', 'float64'], ['autodiff', 'float32']] as const) {
      const e = createTrainingEngine(net, { engine, dtype, batchSizes: [2], eta: 1 });
      e.loadBatch(2, images, 6, labels, [4, 1, 0], 1); // images 1 and 0
      const { X, Y } = e.batch(2);
      const round = dtype === 'float32' ? Math.fround : (v: number) => v;
      for (let p = 0; p < 6; p++) {
        expect(X[p * 2]).toBe(round(images[6 + p]! / 255));
        expect(X[p * 2 + 1]).toBe(round(images[p]! / 255));
      }
      expect(Array.from(Y)).toEqual([1, 0, 0, 0, 0, 0, 0, 1]); // labels 0 and 3 as columns
      expect(() => e.loadBatch(2, images, 6, labels, [9, 0], 0)).toThrow(/order\[0\] is 9/);
      expect(() => e.loadBatch(2, images, 5, labels, [0, 1], 0)).toThrow(/images of 5 pixels/);
    }
  });

  it('throws when asked for a batch size it was not built for, or for bad options', () => {
    const net = new Network([3, 2], { seed: 1 });
    const e = createTrainingEngine(net, { engine: 'backprop', batchSizes: [4], eta: 1 });
    expect(() => e.step(5)).toThrow(/batch size 5 was not among batchSizes \[4\]/);
    expect(() => createTrainingEngine(net, { engine: 'autodiff', dtype: 'float16' as 'float32', batchSizes: [4], eta: 1 })).toThrow(/unknown dtype 'float16'/);
    expect(() => createTrainingEngine(net, { engine: 'backprop', batchSizes: [0], eta: 1 })).toThrow(/batchSizes must be positive integers/);
    expect(() => createTrainingEngine(net, { engine: 'backprop', batchSizes: [4], eta: 1, lambda: 1 })).toThrow(/needs n/);
    expect(() => createTrainingEngine(net, { engine: 'backprop', batchSizes: [4], eta: -1 })).toThrow(/eta must be positive/);
    for (const name of ['valueOf', '__proto__', 'gpu']) {
      expect(() => createTrainingEngine(net, { engine: name as 'backprop', batchSizes: [4], eta: 1 })).toThrow(`createTrainingEngine: unknown engine '${name}'`);
    }
  });
});

describe('anomaly detection reaches the training engines', () => {
  const setup = (engine: 'autodiff' | 'backprop', weight = 0) => {
    const net = new Network([4, 3, 2], { seed: 1, init: 'scaled' });
    if (weight !== 0) net.weights[0]!.data[5] = weight; // w^1[1,1]
    const e = createTrainingEngine(net, { engine, batchSizes: [2], eta: 0.5 });
    const { X, Y } = e.batch(2);
    X.set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    Y.set([1, 0, 0, 1]);
    return { e, X };
  };
  const on = <T>(fn: () => T): T => {
    setDetectAnomaly(true);
    try {
      return fn();
    } finally {
      setDetectAnomaly(false);
    }
  };

  for (const engine of ['autodiff', 'backprop'] as const) {
    it(`${engine}: off, a NaN pixel trains on silently; on, the step names the pixel`, () => {
      const off = setup(engine);
      off.X[3] = NaN; // row 1 (pixel 1), column 1 (example 1) of X [4, 2]
      expect(Number.isNaN(off.e.step(2))).toBe(true);
      const checked = setup(engine);
      checked.X[3] = NaN;
      const pattern = engine === 'backprop' ? /^backprop engine, layer 1: pixel 1 of example 1 in X is NaN; it made z\^1 non-finite$/ : /^matmul: input 1 \(X\) of shape \[4,2\] holds NaN at flat index 3/;
      on(() => expect(() => checked.e.step(2)).toThrow(pattern));
      on(() => expect(() => checked.e.step(2)).toThrow(AnomalyError));
    });

    it(`${engine}: on, an infinite weight is named, and finite steps pass`, () => {
      const pattern = engine === 'backprop' ? /^backprop engine, layer 1: weight w\^1\[1,1\] is Infinity/ : /^matmul: input 0 \(w\^1\) of shape \[3,4\] holds Infinity at flat index 5/;
      on(() => expect(() => setup(engine, Infinity).e.step(2)).toThrow(pattern));
      on(() => expect(setup(engine).e.step(2)).toBeGreaterThan(0));
    });
  }
});
