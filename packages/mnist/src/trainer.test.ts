import { type Tensor, fromData } from '@nabla/core';
import { Network } from '@nabla/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchInto, loadMnist, type Mnist } from './dataset.ts';
import { TrainOptionError, TrainingDivergedError } from './errors.ts';
import { type EngineName, type GradientEngineFactory, type ModeName, type TrainOptions, createGradientEngine, evaluate, train } from './trainer.ts';

// The first 1,000 training and 1,000 test images: an epoch takes about 0.1 s.
let data: Mnist;
beforeAll(async () => {
  data = await loadMnist({ limit: 1000, testLimit: 1000 });
});

function params(net: Network): Tensor[] {
  return [...net.weights, ...net.biases];
}

function maxAbsDiff(a: Network, b: Network): number {
  const pa = params(a);
  const pb = params(b);
  let max = 0;
  pa.forEach((t, l) => t.data.forEach((v, i) => (max = Math.max(max, Math.abs(v - pb[l]!.data[i]!)))));
  return max;
}

describe('train: learning', () => {
  // Thresholds are set below the worst of seeds 1–6, not just seed 1: a change to the random
  // stream (core's generator) or to rounding order moves a run like a change of seed does.
  it('reaches at least 75% test accuracy within 3 epochs on 1,000 images (scaled init)', async () => {
    // Measured at epoch 3: 79–82% for seeds 1–6, under two versions of core's generator; chance is
    // 10%. Nielsen's ch. 3 `scaled` init: with ch. 1's N(0, 1) weights the sigmoids saturate and
    // 1,000 images are too few to recover in 3 epochs (next test).
    const { history, best } = await train({ data, epochs: 3, init: 'scaled' });
    expect(history).toHaveLength(3);
    expect(best?.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(history[2]!.accuracy).toBeGreaterThanOrEqual(0.75);
  });

  it("learns with Nielsen's chapter 1 defaults too: at least twice chance (20%) within 3 epochs on 1,000 images", async () => {
    // Measured best of 3 epochs: 28–61% for seeds 1–6 (N(0, 1) weights learn slowly on so few images).
    const { best } = await train({ data, epochs: 3 });
    expect(best?.accuracy).toBeGreaterThanOrEqual(0.2);
  });

  it('trains with momentum and adam (at least 35% and 60% within 3 epochs)', async () => {
    // Measured at epoch 3, scaled init, seeds 1–6: momentum (η 0.1, μ 0.9) 45–68%, adam (η 0.01) 71–80%.
    const momentum = await train({ data, epochs: 3, init: 'scaled', optimizer: 'momentum' });
    const adam = await train({ data, epochs: 3, init: 'scaled', optimizer: 'adam', eta: 0.01 });
    expect(momentum.best?.accuracy).toBeGreaterThanOrEqual(0.35);
    expect(adam.best?.accuracy).toBeGreaterThanOrEqual(0.6);
  });

  it('L2 (lambda) shrinks the weights but not the biases', async () => {
    const sumSquares = (ts: Tensor[]): number => ts.reduce((s, t) => s + t.data.reduce((a, v) => a + v * v, 0), 0);
    const plain = await train({ data, epochs: 1, init: 'scaled' });
    const decayed = await train({ data, epochs: 1, init: 'scaled', lambda: 50 });
    expect(sumSquares(decayed.net.weights)).toBeLessThan(0.8 * sumSquares(plain.net.weights));
  });
});

describe('train: engines and modes agree', () => {
  // The four routes do the same arithmetic up to summation order; measured max |Δw| after an
  // epoch (100 steps, η = 3): 0 (autodiff loop vs matrix, same order) to 1.8e-15. 1e-9 is the
  // issue's bound and still catches any real difference (a wrong factor moves weights by > 1e-3).
  const routes: [EngineName, ModeName][] = [
    ['backprop', 'matrix'],
    ['autodiff', 'loop'],
    ['backprop', 'loop'],
  ];
  it.each(routes)('%s/%s gives the weights of autodiff/matrix to 1e-9 after an epoch', async (engine, mode) => {
    const reference = await train({ data, epochs: 1 });
    const other = await train({ data, epochs: 1, engine, mode });
    expect(maxAbsDiff(reference.net, other.net)).toBeLessThanOrEqual(1e-9);
    expect(other.history[0]!.cost).toBeCloseTo(reference.history[0]!.cost, 12);
    expect(other.history[0]!.correct).toBe(reference.history[0]!.correct);
  });

  it('agree with a last mini-batch shorter than the rest (1000 = 33 × 30 + 10)', async () => {
    const totals = new Set<number>();
    const a = await train({ data, epochs: 1, batchSize: 30, onBatch: (_, total) => totals.add(total) });
    const b = await train({ data, epochs: 1, batchSize: 30, engine: 'backprop', mode: 'loop' });
    expect([...totals]).toEqual([34]);
    expect(maxAbsDiff(a.net, b.net)).toBeLessThanOrEqual(1e-9);
  });

  it('the fast engines give the weights of tensors + optimizer (fast: false) to 1e-9', async () => {
    for (const engine of ['autodiff', 'backprop'] as const) {
      const fast = await train({ data, epochs: 1, engine });
      const reference = await train({ data, epochs: 1, engine, fast: false });
      expect(maxAbsDiff(fast.net, reference.net)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('two threads give bit-identical weights to one; float32 stays within single precision', async () => {
    const one = await train({ data, epochs: 1, engine: 'backprop', dtype: 'float32' });
    const two = await train({ data, epochs: 1, engine: 'backprop', dtype: 'float32', threads: 2 });
    expect(maxAbsDiff(one.net, two.net)).toBe(0);
    const f64 = await train({ data, epochs: 1, engine: 'backprop' });
    const gap = maxAbsDiff(one.net, f64.net);
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThan(1e-3); // 100 steps at η = 3 amplify float32 rounding, but not beyond this
    await expect(train({ data, epochs: 1, threads: 2, optimizer: 'momentum' })).rejects.toThrow(/2 threads run only in the fast engines/);
    await expect(train({ data, epochs: 1, dtype: 'float32', optimizer: 'momentum' })).rejects.toThrow(/float32 runs only in the fast engines/);
  });

  it('the autodiff engine in float32, on one thread or two, stays within single precision of the δ engine, bit for bit across runs', async () => {
    const one = await train({ data, epochs: 1, dtype: 'float32' });
    const again = await train({ data, epochs: 1, dtype: 'float32' });
    const two = await train({ data, epochs: 1, dtype: 'float32', threads: 2 });
    expect(maxAbsDiff(one.net, again.net)).toBe(0);
    expect(maxAbsDiff(one.net, two.net)).toBe(0);
    const delta = await train({ data, epochs: 1, engine: 'backprop', dtype: 'float32' });
    const f64 = await train({ data, epochs: 1 });
    expect(maxAbsDiff(one.net, f64.net)).toBeGreaterThan(0); // it really ran in float32
    expect(maxAbsDiff(one.net, delta.net)).toBeLessThan(1e-3);
    expect(maxAbsDiff(one.net, f64.net)).toBeLessThan(1e-3);
    const f64two = await train({ data, epochs: 1, threads: 2 });
    expect(maxAbsDiff(f64two.net, f64.net)).toBe(0);
  });

  it('is reproducible: the same seed gives identical weights, another seed different ones', async () => {
    const a = await train({ data, epochs: 1, seed: 7 });
    const b = await train({ data, epochs: 1, seed: 7 });
    const c = await train({ data, epochs: 1, seed: 8 });
    expect(maxAbsDiff(a.net, b.net)).toBe(0);
    expect(maxAbsDiff(a.net, c.net)).toBeGreaterThan(0.1);
  });
});

describe('createGradientEngine', () => {
  function firstBatch(m: number): { X: Tensor; Y: Tensor } {
    const X = new Float64Array(784 * m);
    const Y = new Float64Array(10 * m);
    batchInto(data.train, Array.from({ length: m }, (_, i) => i), 0, m, X, Y);
    return { X: fromData(X, [784, m]), Y: fromData(Y, [10, m]) };
  }

  it.each([
    ['autodiff', 'matrix'],
    ['autodiff', 'loop'],
    ['backprop', 'matrix'],
    ['backprop', 'loop'],
  ] as [EngineName, ModeName][])('%s/%s fills .grad with net.gradients, replacing (not adding to) the last step', (engine, mode) => {
    const net = new Network([784, 30, 10], { seed: 3 });
    const { X, Y } = firstBatch(10);
    const expected = net.gradients(X, Y);
    const step = createGradientEngine(net, engine, mode);
    step.step(X, Y);
    const cost = step.step(X, Y); // a second step must not double the gradients
    expect(cost).toBeCloseTo(expected.cost, 12);
    net.weights.forEach((w, l) => expect(w.grad).toBeAllclose(expected.nablaW[l]!, { rtol: 1e-10, atol: 1e-12 }));
    net.biases.forEach((b, l) => expect(b.grad).toBeAllclose(expected.nablaB[l]!, { rtol: 1e-10, atol: 1e-12 }));
  });

  it('throws for an unknown engine or mode', () => {
    const net = new Network([784, 10]);
    expect(() => createGradientEngine(net, 'fused' as EngineName, 'matrix')).toThrow(/engine must be one of autodiff, backprop, got 'fused'/);
    expect(() => createGradientEngine(net, 'autodiff', 'batched' as ModeName)).toThrow(/mode must be one of matrix, loop/);
  });
});

describe('train: interruption and callbacks', () => {
  it('stops between mini-batches when the signal aborts, keeps the weights and says where', async () => {
    const controller = new AbortController();
    let steps = 0;
    // A custom engine: counts the steps that really ran, delegating to autodiff.
    const counting: GradientEngineFactory = (net, mode) => {
      const inner = createGradientEngine(net, 'autodiff', mode);
      return { step: (X, Y) => (steps++, inner.step(X, Y)) };
    };
    const initial = new Network([784, 30, 10], { seed: 1 });
    const result = await train({
      data,
      epochs: 5,
      engine: counting,
      signal: controller.signal,
      onBatch: (done, _total, epoch) => {
        if (epoch === 2 && done === 7) controller.abort();
      },
    });
    expect(result.interrupted).toEqual({ epoch: 2, batches: 7, batchesPerEpoch: 100, steps: 107 });
    expect(steps).toBe(107);
    expect(result.history.map((m) => m.epoch)).toEqual([1]);
    expect(maxAbsDiff(result.net, initial)).toBeGreaterThan(0.01);
  });

  it('returns before any mini-batch when the signal is already aborted', async () => {
    const result = await train({ data, signal: AbortSignal.abort() });
    expect(result.interrupted).toEqual({ epoch: 1, batches: 0, batchesPerEpoch: 100, steps: 0 });
    expect(result.history).toEqual([]);
    expect(result.best).toBeNull();
  });

  it('yields to the event loop, so an abort from a timer gets through mid-run', async () => {
    const started = performance.now();
    const result = await train({ data, epochs: 10_000, signal: AbortSignal.timeout(200) });
    expect(result.interrupted).not.toBeNull();
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reports each epoch (six fields, on the test set) and each mini-batch', async () => {
    const epochs: unknown[] = [];
    const batches: [number, number, number][] = [];
    const result = await train({ data, epochs: 2, onEpoch: (m) => epochs.push(m), onBatch: (d, t, e) => batches.push([d, t, e]) });
    expect(epochs).toEqual(result.history);
    expect(result.evaluatedOn).toBe('test');
    expect(result.trainingExamples).toBe(1000);
    for (const m of result.history) {
      expect(Object.keys(m).sort()).toEqual(['accuracy', 'correct', 'cost', 'epoch', 'seconds', 'total']);
      expect(m.total).toBe(1000);
      expect(m.accuracy).toBe(m.correct / m.total);
      expect(m.seconds).toBeGreaterThan(0);
      expect(m.cost).toBeGreaterThan(0);
    }
    expect(result.history[1]!.cost).toBeLessThan(result.history[0]!.cost);
    expect(batches).toHaveLength(200);
    expect(batches[0]).toEqual([1, 100, 1]);
    expect(batches[199]).toEqual([100, 100, 2]);
    expect(result.best).toBe(result.history.reduce((a, b) => (b.accuracy > a.accuracy ? b : a)));
  });

  it('evaluates on the validation split when one is held out', async () => {
    const withValidation = await loadMnist({ limit: 500, validation: 10_000, testLimit: 10 });
    const result = await train({ data: withValidation, epochs: 1 });
    expect(result.evaluatedOn).toBe('validation');
    expect(result.history[0]!.total).toBe(10_000);
    expect(result.trainingExamples).toBe(500);
  });

  it('continues training a given network in place', async () => {
    const net = new Network([784, 30, 10], { seed: 5, init: 'scaled' });
    const result = await train({ data, net, epochs: 1 });
    expect(result.net).toBe(net);
  });
});

describe('train: options', () => {
  const bad: [Partial<TrainOptions>, RegExp][] = [
    [{ epochs: 0 }, /train: epochs must be a positive integer, got 0/],
    [{ batchSize: 2.5 }, /train: batchSize must be a positive integer, got 2.5/],
    [{ eta: -1 }, /train: eta must be a positive number, got -1/],
    [{ lambda: -1 }, /train: lambda must be a finite number ≥ 0/],
    [{ momentum: 1 }, /train: momentum must be in \[0, 1\)/],
    [{ seed: 0.5 }, /train: seed must be an integer/],
    [{ engine: 'fused' as EngineName }, /train: engine must be one of autodiff, backprop, got 'fused'/],
    [{ mode: 'batched' as ModeName }, /train: mode must be one of matrix, loop/],
    [{ optimizer: 'rmsprop' as 'sgd' }, /train: optimizer must be one of sgd, momentum, adam/],
    [{ activation: 'gelu' as 'relu' }, /train: activation unknown activation 'gelu'/],
    [{ cost: 'hinge' as 'quadratic' }, /train: cost unknown cost 'hinge'/],
    [{ init: 'xavier' as 'he' }, /train: init unknown init 'xavier'/],
    [{ layers: [784] }, /train: layers must be at least two positive integers/],
    [{ layers: [784, 30, 9] }, /train: layers must start with 784 \(pixels per image\) and end with 10 \(classes\), got \[784,30,9\]/],
    [{ net: new Network([100, 10]) }, /train: net must start with 784/],
    // Names of Object.prototype are names like any other unknown one.
    [{ engine: 'valueOf' as EngineName }, /train: engine must be one of autodiff, backprop, got 'valueOf'/],
    [{ mode: '__proto__' as ModeName }, /train: mode must be one of matrix, loop, got '__proto__'/],
    [{ optimizer: 'constructor' as 'sgd' }, /train: optimizer must be one of sgd, momentum, adam, got 'constructor'/],
    [{ activation: 'toString' as 'relu' }, /train: activation unknown activation 'toString'/],
    [{ cost: 'hasOwnProperty' as 'quadratic' }, /train: cost unknown cost 'hasOwnProperty'/],
    [{ init: 'valueOf' as 'he' }, /train: init unknown init 'valueOf'/],
  ];
  it.each(bad.map(([options, message]) => [Object.keys(options).join(), options, message] as const))('throws TrainOptionError for a bad %s', async (_, options, message) => {
    const error = await train({ data, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainOptionError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('evaluate', () => {
  it('counts the same whatever the chunk size, and matches net.predict on the whole set', async () => {
    const net = (await train({ data, epochs: 1 })).net;
    const whole = evaluate(net, data.test);
    expect(evaluate(net, data.test, 7)).toEqual(whole); // 1000 = 142 × 7 + 6: a short last chunk
    const X = new Float64Array(784 * 1000);
    batchInto(data.test, Array.from({ length: 1000 }, (_, i) => i), 0, 1000, X, null);
    const predicted = net.predict(fromData(X, [784, 1000]));
    expect(whole.correct).toBe(predicted.filter((p, i) => p === data.test.labels[i]).length);
    expect(whole.total).toBe(1000);
  });
});

describe('train: divergence', () => {
  // With a linear (identity) network and η = 3 the weights blow up within the first epoch on every
  // route: before the check the run went on, reported "cost NaN" and returned NaN weights.
  const routes: [string, Partial<TrainOptions>][] = [
    ['fast autodiff', {}],
    ['fast backprop', { engine: 'backprop' }],
    ['fast backprop in float32', { engine: 'backprop', dtype: 'float32' }],
    ['autodiff through tensors', { fast: false }],
    ['backprop through tensors', { engine: 'backprop', fast: false }],
    ['autodiff loop', { mode: 'loop' }],
    ['backprop loop', { engine: 'backprop', mode: 'loop' }],
    ['momentum', { optimizer: 'momentum', eta: 3 }],
  ];
  it.each(routes)('%s: stops at the first mini-batch whose cost is not finite, naming the epoch and the batch', async (_, options) => {
    const epochs: number[] = [];
    const error = await train({ data, epochs: 2, activation: 'identity', eta: 3, ...options, onEpoch: (m) => epochs.push(m.epoch) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(e.message).toMatch(/^train: diverged in epoch 1, mini-batch \d+ of 100: the mini-batch cost is (NaN|Infinity|-Infinity)/);
    expect(e.epoch).toBe(1);
    expect(e.batch).toBeGreaterThanOrEqual(1);
    expect(e.batch).toBeLessThanOrEqual(100);
    expect(Number.isFinite(e.value)).toBe(false);
    expect(epochs).toEqual([]); // no epoch is reported as if it had gone well
  });

  it('adam, and any engine of your own: a non-finite cost from the engine stops the run', async () => {
    let steps = 0;
    const nanAtFive: GradientEngineFactory = (net) => {
      const inner = createGradientEngine(net, 'backprop', 'matrix');
      return { step: (X, Y) => (++steps === 5 ? Number.NaN : inner.step(X, Y)) };
    };
    const error = await train({ data, epochs: 1, optimizer: 'adam', engine: nanAtFive }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/^train: diverged in epoch 1, mini-batch 5 of 100: the mini-batch cost is NaN/);
  });

  it('weights that turn non-finite in the last step of an epoch (cost still finite) stop the run before that epoch is reported', async () => {
    let steps = 0;
    const infAtLast: GradientEngineFactory = (net) => {
      const inner = createGradientEngine(net, 'backprop', 'matrix');
      return {
        step(X, Y) {
          const cost = inner.step(X, Y);
          if (++steps === 100) net.weights[1]!.grad!.data[3] = Infinity;
          return cost;
        },
      };
    };
    const epochs: number[] = [];
    const error = await train({ data, epochs: 2, engine: infAtLast, onEpoch: (m) => epochs.push(m.epoch) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/^train: diverged in epoch 1, mini-batch 100 of 100: weights\[1\] holds -Infinity/);
    expect(epochs).toEqual([]);
  });
});
