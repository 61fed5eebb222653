/**
 * Flatten, LayerNorm, train/eval, the version-2 model format, and the conformance kit
 * (`@nabla/nn/testing`): every built-in layer passes it, and each of its checks catches a layer
 * written to fail exactly that check.
 */
import { ShapeError, type Tensor, randn, tensor } from '@nabla/core';
import { describe, expect, it } from 'vitest';
import { AvgPool2d, Conv2d, Dense, Dropout, Flatten, LayerNorm, MaxPool2d, ModelFormatError, Module, Sequential, layerFromJSON, modelFromJSON, modelToJSON } from './index.ts';
import { assertModule, checkModule, ModuleCheckError } from './testing.ts';

describe('Module.train() and eval()', () => {
  it('set the training flag on the module and every sub-module, and return the module', () => {
    const inner = new Dense(2, 2);
    const model = new Sequential(new Dense(3, 2), new Sequential(inner, new LayerNorm(2)));
    expect(model.modules()).toHaveLength(5);
    expect(model.eval()).toBe(model);
    expect(model.modules().every((m) => !m.training)).toBe(true);
    model.train();
    expect(inner.training).toBe(true);
    model.train(false);
    expect(inner.training).toBe(false);
  });
});

describe('Flatten', () => {
  it('turns [m, C, H, W] into columns [C·H·W, m], example j in column j', () => {
    const x = randn([3, 2, 2, 2], { seed: 1 });
    const y = new Flatten().forward(x);
    expect(y.shape).toEqual([8, 3]);
    for (let j = 0; j < 3; j++) for (let r = 0; r < 8; r++) expect(y.data[r * 3 + j]).toBe(x.data[j * 8 + r]);
  });

  it('throws a ShapeError for a rank below 2', () => {
    expect(() => new Flatten().forward(tensor([1, 2]))).toThrow(/^Flatten: expected a batch \[m, …\] of rank ≥ 2, got shape \[2\]$/);
  });
});

describe('Dropout', () => {
  it('zeroes about rate of the elements and scales the rest by 1/(1 − rate), a fresh mask per call; identity in eval', () => {
    const drop = new Dropout(0.25, { seed: 3 });
    const x = tensor(Array.from({ length: 4000 }, () => 1));
    const a = drop.forward(x);
    const b = drop.forward(x);
    const zeros = Array.from(a.data).filter((v) => v === 0).length;
    expect(Math.abs(zeros / 4000 - 0.25)).toBeLessThan(0.03);
    expect(Array.from(a.data).every((v) => v === 0 || v === 1 / 0.75)).toBe(true);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    expect(new Dropout(0.25, { seed: 3 }).forward(x)).toBeAllclose(a, { rtol: 0 });
    expect(drop.eval().forward(x)).toBe(x);
  });

  it('every layer constructor rejects sizes that are not positive integers, naming the argument', () => {
    expect(() => new Conv2d(0, 3, 3)).toThrow(/^Conv2d: inChannels must be a positive integer, got 0$/);
    expect(() => new Conv2d(1, 1.5, 3)).toThrow(/^Conv2d: outChannels must be a positive integer, got 1.5$/);
    expect(() => new Conv2d(1, 2, Number.NaN)).toThrow(/^Conv2d: kernel must be a positive integer, got NaN$/);
    expect(() => new Conv2d(1, 2, 3, { stride: -1 })).toThrow(/^Conv2d: stride must be a positive integer, got -1$/);
    expect(() => new Conv2d(1, 2, 3, { padding: 'full' as never })).toThrow(/^Conv2d: padding must be a non-negative integer or 'same', got full$/);
    expect(() => new MaxPool2d(0)).toThrow(/^MaxPool2d: kernel must be a positive integer, got 0$/);
    expect(() => new AvgPool2d(2, -2)).toThrow(/^AvgPool2d: stride must be a positive integer, got -2$/);
    expect(() => new Conv2d(2, 3, 3).forward(randn([1, 1, 5, 5]))).toThrow(/^Conv2d: expected input \[m, 2, H, W\], got \[1,1,5,5\]$/);
  });

  it('rejects a rate outside [0, 1)', () => {
    expect(() => new Dropout(1)).toThrow(/^Dropout: rate must be a number in \[0, 1\), got 1$/);
    expect(() => new Dropout(-0.1)).toThrow(RangeError);
  });
});

describe('LayerNorm', () => {
  it('gives each column mean 0 and variance 1 over its features, then γ and β', () => {
    const norm = new LayerNorm(4, { eps: 1e-300 });
    const x = randn([4, 5], { seed: 2, std: 3, mean: 1 });
    const y = norm.forward(x);
    for (let j = 0; j < 5; j++) {
      const col = [0, 1, 2, 3].map((i) => y.data[i * 5 + j]!);
      const mean = col.reduce((a, b) => a + b) / 4;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 4).toBeCloseTo(1, 12);
    }
    norm.gain.data.fill(2);
    norm.bias.data.fill(-1);
    expect(norm.forward(x)).toBeAllclose(y.mul(2).sub(1), { rtol: 1e-12, atol: 1e-12 });
  });

  it('rejects bad sizes and inputs with typed errors', () => {
    expect(() => new LayerNorm(0)).toThrow(/^LayerNorm: features must be a positive integer, got 0$/);
    expect(() => new LayerNorm(3, { eps: -1 })).toThrow(RangeError);
    expect(() => new LayerNorm(3).forward(randn([4, 2]))).toThrow(/^LayerNorm: expected input \[3, m\]/);
  });
});

describe('every built-in layer passes the conformance kit', () => {
  const cases: [string, (seed: number) => Module, Parameters<typeof checkModule>[1]][] = [
    ['Dense (sigmoid)', (seed) => new Dense(3, 2, { seed }), { inputShape: [3, 4] }],
    ['Dense (tanh)', (seed) => new Dense(3, 4, { seed, activation: 'tanh' }), { inputShape: [3, 2] }],
    ['Dense (relu, first order only)', (seed) => new Dense(3, 4, { seed, activation: 'relu' }), { inputShape: [3, 3], secondOrder: false }],
    ['Flatten', () => new Flatten(), { inputShape: [3, 2, 2, 2], wrongInputShape: [3] }],
    ['LayerNorm', () => new LayerNorm(4), { inputShape: [4, 3] }],
    ['Conv2d (tanh, padding 1, stride 2)', (seed) => new Conv2d(2, 3, 3, { seed, activation: 'tanh', padding: 1, stride: 2 }), { inputShape: [2, 2, 5, 5] }],
    ['Conv2d (relu, first order only)', (seed) => new Conv2d(1, 2, 2, { seed, activation: 'relu' }), { inputShape: [2, 1, 4, 4], secondOrder: false }],
    ['MaxPool2d', () => new MaxPool2d(2), { inputShape: [2, 3, 4, 4], wrongInputShape: [2, 4, 4] }],
    ['AvgPool2d', () => new AvgPool2d(2), { inputShape: [2, 3, 4, 4], wrongInputShape: [2, 4, 4] }],
    ['Sequential(Conv2d, MaxPool2d, Flatten, Dense) (network3’s ConvPool and softmax)', (seed) => new Sequential(new Conv2d(1, 2, 3, { seed, activation: 'sigmoid' }), new MaxPool2d(2), new Flatten(), new Dense(8, 3, { seed: seed + 1, activation: 'softmax' })), { inputShape: [2, 1, 6, 6], fromJSON: modelFromJSON }],
    ['Dropout (stochastic)', (seed) => new Dropout(0.5, { seed }), { inputShape: [4, 3], stochastic: true, wrongInputShape: null }],
    ['Sequential(Flatten, Dense, LayerNorm, Dense)', (seed) => new Sequential(new Flatten(), new Dense(8, 4, { seed, activation: 'tanh' }), new LayerNorm(4), new Dense(4, 2, { seed: seed + 1 })), { inputShape: [3, 2, 2, 2], fromJSON: modelFromJSON, wrongInputShape: [3, 3, 2, 2] }],
  ];
  for (const [name, make, options] of cases) {
    it(name, () => {
      const report = assertModule(make, options);
      expect(report.checks.map((c) => c.name)).toHaveLength(7);
      expect(make).toPassModuleChecks(options);
    });
  }
});

describe('the conformance kit catches each kind of broken layer', () => {
  const failed = (subject: Module | ((seed: number) => Module), options: Parameters<typeof checkModule>[1]): string[] =>
    checkModule(subject, options)
      .checks.filter((c) => !c.ok)
      .map((c) => c.name);

  it('a wrong hand-written gradient fails gradcheck (and gradgradcheck)', () => {
    class Leaky extends Module {
      readonly w = randn([2, 2], { seed: 1, requiresGrad: true });
      forward(x: Tensor): Tensor {
        // value w·x, but a gradient path scaled by 2: w·x + (w·x − stop(w·x))
        const y = this.w.matmul(x);
        return y.add(y.sub(y.detach()));
      }
    }
    expect(failed(new Leaky(), { inputShape: [2, 3] })).toContain('gradcheck (every parameter and the input)');
  });

  it('a layer that mixes examples (normalises over the batch) fails batch independence', () => {
    class BatchCentre extends Module {
      forward(x: Tensor): Tensor {
        if (x.rank !== 2 || x.shape[0] !== 2) throw new ShapeError('BatchCentre', 'shape');
        return x.sub(x.mean(1, true));
      }
    }
    expect(failed(new BatchCentre(), { inputShape: [2, 3] })).toEqual(['batch independence (each example alone equals its part of the batch)']);
  });

  it('a layer whose seed is ignored fails the same-seed check', () => {
    let calls = 0;
    const make = (): Module => new Dense(2, 2, { seed: calls++ });
    expect(failed(make, { inputShape: [2, 2] })).toEqual(['same seed, same output']);
  });

  it('a random layer not declared stochastic fails train/eval, and declared stochastic it must differ', () => {
    class Noisy extends Module {
      private step = 0;
      forward(x: Tensor): Tensor {
        if (x.rank !== 2 || x.shape[0] !== 2) throw new ShapeError('Noisy', 'shape');
        return this.training ? x.mul(randn(x.shape, { seed: this.step++ })) : x;
      }
    }
    expect(failed(new Noisy(), { inputShape: [2, 2] })).toEqual(['train/eval: the same output in both modes']);
    expect(failed(new Noisy(), { inputShape: [2, 2], stochastic: true })).toEqual([]);
    expect(failed(new Dense(2, 2), { inputShape: [2, 2], stochastic: true })).toEqual(['train/eval: eval is deterministic, train is not']);
  });

  it('a toJSON that drops the parameters fails the round trip', () => {
    class Forgetful extends Dense {
      override toJSON() {
        const json = super.toJSON();
        return { ...json, weight: json.weight.map((row) => row.map(() => 0)) };
      }
    }
    expect(failed(new Forgetful(2, 2, { seed: 1 }), { inputShape: [2, 2] })).toEqual(['toJSON / fromJSON round trip']);
  });

  it('a layer that accepts any input, or throws an untyped error, fails the wrong-shape check', () => {
    class Lax extends Module {
      forward(x: Tensor): Tensor {
        return x.mul(2);
      }
    }
    class Raw extends Module {
      forward(x: Tensor): Tensor {
        if (x.shape[0] !== 2) throw new Error('bad');
        return x.mul(2);
      }
    }
    expect(failed(new Lax(), { inputShape: [2, 2] })).toEqual(['a wrong input shape is a typed error']);
    expect(checkModule(new Raw(), { inputShape: [2, 2] }).checks.at(-1)!.detail).toMatch(/^\[3,2\] raised an untyped Error: bad$/);
    expect(() => assertModule(new Lax(), { inputShape: [2, 2] })).toThrow(ModuleCheckError);
  });
});

describe('model files, version 2', () => {
  it('a Sequential of built-in layers round-trips through JSON with equal outputs', () => {
    const model = new Sequential(new Flatten(), new Dense(8, 4, { seed: 3, activation: 'relu' }), new LayerNorm(4), new Dense(4, 3, { seed: 4 }));
    const json = JSON.parse(JSON.stringify(model)) as { format: string; version: number };
    expect(json.format).toBe('nabla-model');
    expect(json.version).toBe(2);
    const x = randn([2, 2, 2, 2], { seed: 5 });
    expect(modelFromJSON(json).forward(x)).toBeAllclose(model.forward(x), { rtol: 0 });
  });

  it('names the field at fault, and only own, known kinds and activations', () => {
    const good = modelToJSON(new Sequential(new Dense(2, 2, { seed: 1 }), new LayerNorm(2)));
    const mutate = (f: (o: Record<string, unknown>) => void): unknown => {
      const o = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      f(o);
      return o;
    };
    const layer0 = (o: Record<string, unknown>): Record<string, unknown> => (o['layers'] as Record<string, unknown>[])[0]!;
    expect(() => modelFromJSON(mutate((o) => (o['version'] = 3)))).toThrow(/^version: expected 2, got 3/);
    expect(() => modelFromJSON(mutate((o) => (layer0(o)['kind'] = 'valueOf')))).toThrow(/^layers\[0\]\.kind: unknown layer kind "valueOf"; expected one of dense, conv2d, maxPool2d, avgPool2d, flatten, layerNorm, dropout$/);
    expect(() => modelFromJSON(mutate((o) => (layer0(o)['activation'] = '__proto__')))).toThrow(ModelFormatError);
    expect(() => modelFromJSON(mutate((o) => ((layer0(o)['weight'] as number[][])[1]![0] = 1e309)))).toThrow(/^layers\[0\]\.weight\[1\]\[0\]: expected a finite number, got Infinity$/);
    expect(() => modelFromJSON(mutate((o) => ((o['layers'] as Record<string, unknown>[])[1]!['gain'] = [1])))).toThrow(/^layers\[1\]\.gain: expected 2 numbers, got 1 values$/);
    expect(() => layerFromJSON(null)).toThrow(/^layer: expected an object, got null$/);
  });

  it('a layer stack with a plain function or a layer without toJSON cannot be saved', () => {
    expect(() => modelToJSON(new Sequential(new Dense(2, 2), (x: Tensor) => x.tanh()))).toThrow(/^layers\[1\]: a plain function cannot be saved/);
  });
});

describe('saving and loading layer stacks (version 2) beside networks (version 1)', () => {
  it('saveModel writes either form atomically; loadModule reads both, loadModel only networks', async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Network } = await import('./index.ts');
    const { loadModel, loadModule, saveModel } = await import('./node.ts');
    const dir = mkdtempSync(join(tmpdir(), 'nabla-v2-'));
    try {
      const model = new Sequential(new Conv2d(1, 2, 3, { seed: 1, activation: 'sigmoid' }), new MaxPool2d(2), new Flatten(), new Dense(8, 3, { seed: 2, activation: 'softmax' }));
      await saveModel(join(dir, 'conv.json'), model);
      const back = await loadModule(join(dir, 'conv.json'));
      expect(back).toBeInstanceOf(Sequential);
      const x = randn([2, 1, 6, 6], { seed: 3 });
      expect((back as Sequential).forward(x)).toBeAllclose(model.forward(x), { rtol: 0 });
      await saveModel(join(dir, 'net.json'), new Network([4, 3, 2], { seed: 1 }));
      expect(await loadModule(join(dir, 'net.json'))).toBeInstanceOf(Network);
      await expect(loadModel(join(dir, 'conv.json'))).rejects.toThrow(ModelFormatError);
      (model.layers[0] as Conv2d).weight.data[0] = Number.NaN;
      await expect(saveModel(join(dir, 'conv.json'), model)).rejects.toThrow(/^layers\[0\]\.weight: holds NaN \(element 0\)/);
      expect((await loadModule(join(dir, 'conv.json'))) instanceof Sequential).toBe(true); // the good file is untouched
      expect(readdirSync(dir).sort()).toEqual(['conv.json', 'net.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
