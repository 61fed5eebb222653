/**
 * The --net spec, the layer stacks it builds, and their training through tensors.
 */
import { randn } from '@nabla/core';
import { Conv2d, Dense, Dropout, Flatten, MaxPool2d } from '@nabla/nn';
import { describe, expect, it } from 'vitest';
import { buildNet, evaluateNet, formatNetSpec, parseNetSpec, trainNet, withDropout } from './convnet.ts';
import { TrainOptionError } from './errors.ts';
import type { Mnist, Split } from './dataset.ts';

describe('parseNetSpec', () => {
  it("reads Nielsen's chapter 6 networks", () => {
    expect(parseNetSpec('conv:20x5,maxpool:2,dense:100,dense:10')).toEqual([
      { kind: 'conv', maps: 20, kernel: 5 },
      { kind: 'maxpool', size: 2 },
      { kind: 'dense', units: 100 },
      { kind: 'dense', units: 10 },
    ]);
    expect(parseNetSpec('conv:20x5, avgpool:2, dense:1000, dropout:0.5, dense:10')[3]).toEqual({ kind: 'dropout', rate: 0.5 });
  });

  it('names the layer at fault', () => {
    expect(() => parseNetSpec('conv:20x5,maxpool:2,dense:100')).toThrow(/^train: net layer 3 "dense:100": the last layer must be dense:10/);
    expect(() => parseNetSpec('conv:20,dense:10')).toThrow(/^train: net layer 1 "conv:20": expected conv:<maps>x<k>/);
    expect(() => parseNetSpec('conv:20x5,pool:2,dense:10')).toThrow(/^train: net layer 2 "pool:2": unknown kind/);
    expect(() => parseNetSpec('dropout:1.5,dense:10')).toThrow(/^train: net layer 1 "dropout:1.5": expected dropout:<rate> with a rate in \[0, 1\)/);
    expect(() => parseNetSpec('valueOf:3,dense:10')).toThrow(TrainOptionError);
    expect(() => parseNetSpec('')).toThrow(/^train: net is empty/);
  });
});

describe('withDropout and formatNetSpec', () => {
  it('put dropout before every dense layer (network3\'s placement) and write the spec back', () => {
    const spec = parseNetSpec('conv:20x5,maxpool:2,conv:40x5,avgpool:2,dense:1000,dense:1000,dense:10');
    expect(formatNetSpec(spec)).toBe('conv:20x5,maxpool:2,conv:40x5,avgpool:2,dense:1000,dense:1000,dense:10');
    expect(formatNetSpec(withDropout(spec, 0.5))).toBe('conv:20x5,maxpool:2,conv:40x5,avgpool:2,dropout:0.5,dense:1000,dropout:0.5,dense:1000,dropout:0.5,dense:10');
    expect(withDropout(spec, 0)).toEqual(spec);
    // what it builds: a Dropout in front of each Dense
    const model = buildNet(withDropout(parseNetSpec('dense:20,dense:10'), 0.25), { input: [1, 4, 4] });
    expect(model.layers.map((l) => l.constructor.name)).toEqual(['Dropout', 'Flatten', 'Dense', 'Dropout', 'Dense']);
  });
});

describe('buildNet', () => {
  it('builds the layers with a Flatten before the first dense layer, logits out', () => {
    const model = buildNet(parseNetSpec('conv:3x5,maxpool:2,dense:7,dropout:0.5,dense:10'), { activation: 'relu', seed: 2 });
    expect(model.layers.map((l) => l.constructor.name)).toEqual(['Conv2d', 'MaxPool2d', 'Flatten', 'Dense', 'Dropout', 'Dense']);
    expect((model.layers[3] as Dense).weight.shape).toEqual([7, 3 * 12 * 12]);
    expect((model.layers[5] as Dense).activation.name).toBe('identity');
    expect(model.eval().forward(randn([2, 1, 28, 28], { seed: 1 })).shape).toEqual([10, 2]);
    void [Conv2d, Flatten, MaxPool2d, Dropout];
  });

  it('rejects layers that do not fit their input, naming them', () => {
    expect(() => buildNet(parseNetSpec('conv:2x29,dense:10'))).toThrow(/^train: net layer 1 \(conv\): a 29×29 kernel does not fit a 28×28 input$/);
    expect(() => buildNet(parseNetSpec('dense:5,maxpool:2,dense:10'))).toThrow(/^train: net layer 2 \(maxpool\): convolution and pooling must come before the dense layers$/);
  });
});

describe('trainNet', () => {
  // A toy "MNIST" of 4×4 images: class = which quadrant is bright.
  const toy = (count: number, seed: number): Split => {
    const images = new Uint8Array(count * 16);
    const labels = new Uint8Array(count);
    let s = seed;
    for (let i = 0; i < count; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const q = s % 4;
      labels[i] = q;
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) images[i * 16 + r * 4 + c] = (r < 2) === (q < 2) && (c < 2) === (q % 2 === 0) ? 200 + (s % 50) : s % 30;
    }
    return { images, labels, count, rows: 4, cols: 4 };
  };
  const data: Mnist = { train: toy(200, 1), test: toy(100, 7), validation: null };

  it('learns, reports each epoch, and evaluates in eval mode', async () => {
    const model = buildNet(parseNetSpec('conv:4x3,maxpool:2,dense:10'), { activation: 'relu', seed: 1, input: [1, 4, 4] });
    const epochs: number[] = [];
    const { history } = await trainNet({ model, data, epochs: 8, batchSize: 10, eta: 0.1, activation: 'relu', onEpoch: (m) => epochs.push(m.epoch) });
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(history.at(-1)!.cost).toBeLessThan(history[0]!.cost);
    expect(history.at(-1)!.accuracy).toBeGreaterThan(0.9);
    expect(evaluateNet(model, data.test).correct).toBe(history.at(-1)!.correct);
  });

  it('stops at an abort, and raises TrainingDivergedError when the cost goes non-finite', async () => {
    const controller = new AbortController();
    controller.abort();
    const model = buildNet(parseNetSpec('dense:10'), { input: [1, 4, 4] });
    const r = await trainNet({ model, data, epochs: 1, batchSize: 10, eta: 0.1, signal: controller.signal });
    expect(r.interrupted).toEqual({ epoch: 1, batches: 0, batchesPerEpoch: 20, steps: 0 });
    const linear = buildNet(parseNetSpec('dense:10'), { input: [1, 4, 4], activation: 'identity' });
    await expect(trainNet({ model: linear, data, epochs: 1, batchSize: 10, eta: 1e300, cost: 'quadratic', activation: 'identity' })).rejects.toThrow(/diverged in epoch 1/);
  });

  it('the traced step and the eager reference compute the same update: L2, a short last batch, both poolings', async () => {
    // 200 images in batches of 30: six of 30 and a last one of 20, so two tapes are traced
    const spec = parseNetSpec('conv:3x2,avgpool:1,conv:4x2,maxpool:2,dense:6,dense:10');
    const run = async (reference: boolean) => {
      const model = buildNet(spec, { activation: 'tanh', seed: 4, input: [1, 4, 4] });
      const r = await trainNet({ model, data, epochs: 2, batchSize: 30, eta: 0.2, lambda: 0.5, activation: 'tanh', reference });
      return { params: model.parameters().map((p) => Array.from(p.data)), history: r.history };
    };
    const traced = await run(false);
    const eager = await run(true);
    expect(traced.history.map((m) => m.correct)).toEqual(eager.history.map((m) => m.correct));
    traced.history.forEach((m, i) => expect(m.cost).toBeCloseTo(eager.history[i]!.cost, 12));
    traced.params.forEach((p, i) => p.forEach((v, j) => expect(v).toBeCloseTo(eager.params[i]![j]!, 12)));
    // and training moved the weights (a step that did nothing would also agree)
    const start = buildNet(spec, { activation: 'tanh', seed: 4, input: [1, 4, 4] }).parameters().map((p) => Array.from(p.data));
    expect(traced.params.flat().some((v, k) => Math.abs(v - start.flat()[k]!) > 1e-3)).toBe(true);
  });

  it('in float32 gives the float64 step to single precision: L2, a short last batch, both poolings, the pooled conv route, dropout', async () => {
    const spec = parseNetSpec('conv:3x2,avgpool:1,conv:4x2,maxpool:2,dense:6,dropout:0.2,dense:10');
    const run = async (dtype: 'float64' | 'float32') => {
      const model = buildNet(spec, { activation: 'sigmoid', seed: 4, input: [1, 4, 4] });
      const r = await trainNet({ model, data, epochs: 2, batchSize: 30, eta: 0.5, lambda: 0.5, dtype });
      return { params: model.parameters().map((p) => Array.from(p.data)), history: r.history };
    };
    const f64 = await run('float64');
    const f32 = await run('float32');
    const again = await run('float32');
    expect(f32.params).toEqual(again.params); // the same bits every run
    let gap = 0;
    f32.params.forEach((p, i) => p.forEach((v, j) => (gap = Math.max(gap, Math.abs(v - f64.params[i]![j]!)))));
    expect(gap).toBeGreaterThan(0); // it really ran in float32
    expect(gap).toBeLessThan(1e-4);
    f32.history.forEach((m, i) => expect(m.cost).toBeCloseTo(f64.history[i]!.cost, 5));
    expect(f32.params.every((p) => p.every((v) => Math.fround(v) === v))).toBe(true); // committed from float32
    const model = buildNet(spec, { seed: 4, input: [1, 4, 4] });
    await expect(trainNet({ model, data, epochs: 1, batchSize: 30, eta: 0.5, dtype: 'float32', reference: true })).rejects.toThrow(/float32 runs only in the traced step/);
    await expect(trainNet({ model, data, epochs: 1, batchSize: 30, eta: 0.5, dtype: 'float16' as 'float32' })).rejects.toThrow(/dtype must be float64 or float32, got float16/);
  });

  it('trains through a traced tape with dropout (fresh masks per replay: core math.test.ts), into the model\'s own tensors', async () => {
    const model = buildNet(parseNetSpec('dense:20,dropout:0.5,dense:10'), { activation: 'relu', seed: 2, input: [1, 4, 4] });
    const before = model.parameters();
    const { history } = await trainNet({ model, data, epochs: 6, batchSize: 10, eta: 0.1, activation: 'relu' });
    // the parameters were trained in place (the saved model is the trained one) …
    expect(model.parameters()).toEqual(before);
    // … and learned
    expect(history.at(-1)!.accuracy).toBeGreaterThan(0.9);
    const dropout = model.layers.find((l) => l instanceof Dropout)!;
    expect(dropout.training).toBe(true);
    // the traced evaluation ran in evaluation mode: the eager one on the trained model agrees
    expect(evaluateNet(model, data.test).correct).toBe(history.at(-1)!.correct);
  });

  it('evaluates by traced replays in chunks of 100 and a remainder, counting as evaluateNet does, on validation and test', async () => {
    // 250 validation images (chunks 100, 100, 50) and 130 test images (100, 30): three eval tapes
    const split = { train: toy(200, 1), validation: toy(250, 3), test: toy(130, 7) };
    // (heavy dropout, so counts taken with it active would differ from evaluation mode's)
    const model = buildNet(parseNetSpec('conv:3x2,maxpool:2,dense:8,dropout:0.8,dense:10'), { activation: 'sigmoid', seed: 5, input: [1, 4, 4] });
    const { history } = await trainNet({ model, data: split, epochs: 2, batchSize: 20, eta: 0.5 });
    expect(history.at(-1)!.total).toBe(250);
    expect(history.at(-1)!.correct).toBe(evaluateNet(model, split.validation).correct);
    expect(history.at(-1)!.test).toEqual(evaluateNet(model, split.test));
    // and the counts are not trivially equal: the model learned something
    expect(history.at(-1)!.correct).toBeGreaterThan(25);
    // Near its initial weights the logits are close, so dropout left on would flip predictions:
    // the traced counts still equal evaluation mode's.
    const untrained = buildNet(parseNetSpec('conv:3x2,maxpool:2,dense:8,dropout:0.8,dense:10'), { activation: 'sigmoid', seed: 6, input: [1, 4, 4] });
    const near = await trainNet({ model: untrained, data: split, epochs: 1, batchSize: 20, eta: 1e-9 });
    expect(near.history[0]!.correct).toBe(evaluateNet(untrained, split.validation).correct);
    expect(near.history[0]!.test).toEqual(evaluateNet(untrained, split.test));
  });
});
