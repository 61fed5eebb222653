/**
 * The saved form: `toJSON` layout, round trips, `Network.fromJSON` validation (errors name the
 * field and index), and a NumPy-style `{ weights, biases }` file made by hand, whose outputs and
 * gradients are compared with what Nielsen's NumPy code gives for it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tensor } from '@nabla/core';
import { backprop } from './backprop.ts';
import { ModelFormatError, parseNetworkJSON } from './io.ts';
import { Network } from './network.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/numpy-3-2-2.json', import.meta.url));

/** Runs `f`, expecting a ModelFormatError; returns it. */
function formatError(f: () => unknown): ModelFormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    return e as ModelFormatError;
  }
  throw new Error('expected a ModelFormatError, nothing was thrown');
}

/** A valid saved [4, 3, 10] network to break field by field. */
function saved(): ReturnType<Network['toJSON']> {
  return new Network([4, 3, 10], { seed: 1 }).toJSON();
}

describe('toJSON', () => {
  it('gives sizes, activation, cost, weights[l] nested [out][in] and biases[l] nested [out][1]', () => {
    const net = new Network([3, 2, 1], { activation: 'tanh', cost: 'quadratic', seed: 4 });
    const json = net.toJSON();
    expect(Object.keys(json)).toEqual(['sizes', 'activation', 'cost', 'weights', 'biases']);
    expect(json.sizes).toEqual([3, 2, 1]);
    expect(json.activation).toBe('tanh');
    expect(json.cost).toBe('quadratic');
    expect(json.weights).toEqual(net.weights.map((w) => w.toArray()));
    expect(json.biases).toEqual(net.biases.map((b) => b.toArray()));
    expect(json.weights[0]).toHaveLength(2); // out
    expect(json.weights[0]![0]).toHaveLength(3); // in
    expect(json.biases[1]).toEqual([[net.biases[1]!.data[0]]]); // [out][1]
    expect(json.weights[0]![1]![2]).toBe(net.weights[0]!.data[1 * 3 + 2]); // row-major [out][in]
  });

  it('survives JSON.stringify exactly (full float64 precision)', () => {
    const net = new Network([2, 5, 3], { seed: 9 });
    const back = Network.fromJSON(JSON.parse(JSON.stringify(net)));
    net.weights.forEach((w, l) => expect(Array.from(back.weights[l]!.data)).toEqual(Array.from(w.data)));
    net.biases.forEach((b, l) => expect(Array.from(back.biases[l]!.data)).toEqual(Array.from(b.data)));
  });

  it('round-trips every setting: same outputs and the same gradients', () => {
    const X = tensor([[0.5, -1, 2], [1, 0, -0.3], [0.1, 0.2, 0.3]]);
    const configs = [
      { activation: 'sigmoid', cost: 'quadratic' },
      { activation: 'relu', cost: 'crossEntropy', outputActivation: 'sigmoid' },
      { activation: 'tanh', cost: 'logLikelihood' }, // softmax output by default
      { activation: 'sigmoid', cost: 'logLikelihood', outputActivation: 'sigmoid' }, // not the default output
      { activation: 'identity', cost: 'quadratic', outputActivation: 'tanh' },
    ] as const;
    for (const options of configs) {
      const net = new Network([3, 4, 2], { ...options, seed: 3 });
      const Y = tensor([[1, 0, 1], [0, 1, 0]]);
      const back = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
      expect([back.activation.name, back.outputActivation.name, back.cost.name]).toEqual([net.activation.name, net.outputActivation.name, net.cost.name]);
      expect(back.feedforward(X)).toBeAllclose(net.feedforward(X), { rtol: 0 });
      const g = net.gradients(X, Y);
      const h = back.gradients(X, Y);
      g.nablaW.forEach((w, l) => expect(h.nablaW[l]!).toBeAllclose(w, { rtol: 0 }));
      g.nablaB.forEach((b, l) => expect(h.nablaB[l]!).toBeAllclose(b, { rtol: 0 }));
    }
  });

  it('the loaded parameters are fresh learnable tensors, not views of the JSON', () => {
    const json = saved();
    const net = Network.fromJSON(json);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    json.weights[0]![0]![0] = 123;
    expect(net.weights[0]!.data[0]).not.toBe(123);
  });
});

describe('Network.fromJSON errors name the field and index', () => {
  it('biases[1]: expected [10,1], got [10]', () => {
    const json = saved() as unknown as { biases: unknown[] };
    json.biases[1] = new Array(10).fill(0);
    const e = formatError(() => Network.fromJSON(json));
    expect(e.message).toMatch(/^biases\[1\]: expected \[10,1\], got \[10\]$/);
    expect(e.field).toBe('biases[1]');
  });

  it('weights[0][3][5]: not a finite number', () => {
    const net = new Network([6, 4, 2], { seed: 1 }).toJSON() as unknown as { weights: unknown[][][] };
    for (const bad of ['x', null, Number.NaN, Infinity, [1]]) {
      net.weights[0]![3]![5] = bad;
      const e = formatError(() => Network.fromJSON(net));
      expect(e.message).toMatch(/^weights\[0\]\[3\]\[5\]: not a finite number/);
      expect(e.field).toBe('weights[0][3][5]');
    }
    expect(formatError(() => Network.fromJSON(net)).message).toBe('weights[0][3][5]: not a finite number (got an array of length 1)');
    net.weights[0]![3]![5] = 'x';
    expect(formatError(() => Network.fromJSON(net)).message).toBe('weights[0][3][5]: not a finite number (got "x")');
  });

  it('a row of the wrong length, a bias with two columns, a weight matrix not fitting the layer before', () => {
    const json = saved() as unknown as { weights: number[][][]; biases: number[][][] };
    json.weights[1]![7] = [1, 2];
    expect(formatError(() => Network.fromJSON(json)).message).toMatch(/^weights\[1\]\[7\]: expected 3 values, got 2$/);

    const b = saved() as unknown as { biases: number[][][] };
    b.biases[0]![2] = [0, 1];
    expect(formatError(() => Network.fromJSON(b)).message).toMatch(/^biases\[0\]\[2\]: expected 1 values, got 2$/);

    const w = saved() as unknown as { weights: unknown[] };
    w.weights[1] = 'oops';
    const e = formatError(() => Network.fromJSON(w));
    expect(e.field).toBe('weights[1]');
    expect(e.message).toMatch(/^weights\[1\]: expected a non-empty matrix \[out\]\[in\], got "oops"$/);
  });

  it('the top level: not an object, no weights, biases of another length', () => {
    expect(formatError(() => Network.fromJSON([1, 2])).message).toMatch(/^model: expected an object with weights and biases, got an array of length 2$/);
    expect(formatError(() => Network.fromJSON(null)).field).toBe('model');
    expect(formatError(() => Network.fromJSON({ biases: [] })).message).toMatch(/^weights: expected a non-empty array of matrices, got undefined$/);
    const json = saved() as unknown as { biases: unknown[] };
    json.biases.pop();
    expect(formatError(() => Network.fromJSON(json)).message).toMatch(/^biases: expected 2 layers \(as in weights\), got 1$/);
  });

  it('sizes that disagree with the weights', () => {
    const json = { ...saved(), sizes: [4, 5, 10] };
    const e = formatError(() => Network.fromJSON(json));
    expect(e.field).toBe('sizes');
    expect(e.message).toMatch(/^sizes: expected \[4,3,10\] \(from the weights\), got \[4,5,10\]$/);
    expect(formatError(() => Network.fromJSON({ ...saved(), sizes: [4, 3] })).field).toBe('sizes');
    expect(formatError(() => Network.fromJSON({ ...saved(), sizes: '4,3,10' })).field).toBe('sizes');
  });

  it('unknown activation, output activation or cost', () => {
    expect(formatError(() => Network.fromJSON({ ...saved(), activation: 'swish' })).message).toMatch(
      /^activation: unknown activation 'swish'; expected one of sigmoid, relu, tanh, identity, softmax$/,
    );
    expect(formatError(() => Network.fromJSON({ ...saved(), outputActivation: 'gelu' })).field).toBe('outputActivation');
    expect(formatError(() => Network.fromJSON({ ...saved(), cost: 'hinge' })).message).toMatch(/^cost: unknown cost 'hinge'; expected one of quadratic, crossEntropy, logLikelihood$/);
    expect(formatError(() => Network.fromJSON({ ...saved(), cost: 3 })).message).toMatch(/^cost: expected a string, got 3$/);
  });

  // A file is JSON, so "__proto__" arrives as an own key of the parsed object, as here.
  it.each([
    ['activation', 'valueOf'],
    ['activation', '__proto__'],
    ['activation', 'constructor'],
    ['outputActivation', 'toString'],
    ['outputActivation', 'hasOwnProperty'],
    ['cost', '__proto__'],
    ['cost', 'toString'],
  ])('rejects %s "%s", a name of Object.prototype, as unknown', (field, name) => {
    const json: unknown = JSON.parse(JSON.stringify({ ...saved(), [field]: name }));
    const e = formatError(() => Network.fromJSON(json));
    expect(e.field).toBe(field);
    expect(e.message).toContain(`unknown ${field === 'cost' ? 'cost' : 'activation'} '${name}'`);
  });
});

describe('a NumPy-style { weights, biases } file made by hand (fixtures/numpy-3-2-2.json)', () => {
  const file = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { weights: number[][][]; biases: number[][][] };
  // The batch: x1 = (1, 0, −1) with y1 = (1, 0), x2 = (0.5, 2, 0) with y2 = (0, 1), as columns.
  const X = tensor([[1, 0.5], [0, 2], [-1, 0]]);
  const Y = tensor([[1, 0], [0, 1]]);

  /**
   * Expected numbers from Nielsen's network.py (`feedforward`, and `backprop` per example summed
   * as in `update_mini_batch`, then divided by m = 2 because nabla averages the cost) run with
   * NumPy 2.4 on this file.
   */
  const NUMPY = {
    outputs: [
      [0.4909397335189846, 0.49585778760526616],
      [0.47658423221822416, 0.5140510385175394],
    ],
    nablaW: [
      [
        [-0.01317104311311484, 0.04737379419442389, 0.025014491661720813],
        [0.013052908502307808, -0.040565409704311856, -0.023194260928385772],
      ],
      [
        [-0.004191584467299787, -0.0006274216296694307],
        [0.002866843864702283, -0.001474317677642313],
      ],
    ],
    nablaB: [[[-0.0013275945645088681], [0.0029115560762298445]], [[-0.004169265437916583], [0.0012823201811128504]]],
    cost: 0.24207405600085696,
  };

  /** An independent forward pass in plain numbers: a = σ(w a + b), layer by layer, for one example. */
  function plainForward(weights: number[][][], biases: number[][][], x: number[]): number[] {
    let a = x;
    weights.forEach((w, l) => {
      a = w.map((row, i) => 1 / (1 + Math.exp(-(row.reduce((s, wij, j) => s + wij * a[j]!, 0) + biases[l]![i]![0]!))));
    });
    return a;
  }

  it('has no sizes, activation or cost: sizes are inferred, sigmoid and quadratic by default', () => {
    expect(Object.keys(file).sort()).toEqual(['biases', 'weights']);
    const net = Network.fromJSON(file);
    expect(net.sizes).toEqual([3, 2, 2]);
    expect([net.activation.name, net.outputActivation.name, net.cost.name]).toEqual(['sigmoid', 'sigmoid', 'quadratic']);
    expect(parseNetworkJSON(file).params.map((p) => p.weight.shape)).toEqual([
      [2, 3],
      [2, 2],
    ]);
  });

  it('gives the outputs NumPy gives, and a hand-written forward pass agrees', () => {
    const out = Network.fromJSON(file).feedforward(X);
    const columns = [plainForward(file.weights, file.biases, [1, 0, -1]), plainForward(file.weights, file.biases, [0.5, 2, 0])];
    // NumPy prints one example per row; nabla's output has examples as columns.
    const numpyAsColumns = [
      [NUMPY.outputs[0]![0]!, NUMPY.outputs[1]![0]!],
      [NUMPY.outputs[0]![1]!, NUMPY.outputs[1]![1]!],
    ];
    expect(out).toBeAllclose(numpyAsColumns, { rtol: 1e-14 });
    expect(numpyAsColumns).toBeAllclose([[columns[0]![0]!, columns[1]![0]!], [columns[0]![1]!, columns[1]![1]!]], { rtol: 1e-14 });
  });

  it('gives the gradients and cost NumPy gives, by autodiff and by backprop', () => {
    const net = Network.fromJSON(file);
    const byGraph = net.gradients(X, Y);
    const byEquations = backprop(net, X, Y);
    for (const g of [byGraph, byEquations]) {
      g.nablaW.forEach((w, l) => expect(w).toBeAllclose(NUMPY.nablaW[l]!, { rtol: 1e-12 }));
      g.nablaB.forEach((b, l) => expect(b).toBeAllclose(NUMPY.nablaB[l]!, { rtol: 1e-12 }));
      expect(g.cost).toBeCloseTo(NUMPY.cost, 14);
    }
  });

  it('NumPy’s gradient is the slope of the plain-number cost (central differences, h = 1e-6)', () => {
    // Independent of nabla and of the δ equations: C(w) from plainForward, differenced.
    const cost = (weights: number[][][]): number => {
      const a1 = plainForward(weights, file.biases, [1, 0, -1]);
      const a2 = plainForward(weights, file.biases, [0.5, 2, 0]);
      return ((a1[0]! - 1) ** 2 + a1[1]! ** 2 + a2[0]! ** 2 + (a2[1]! - 1) ** 2) / 4;
    };
    const h = 1e-6;
    file.weights.forEach((w, l) =>
      w.forEach((row, i) =>
        row.forEach((_, j) => {
          const plus = structuredClone(file.weights);
          const minus = structuredClone(file.weights);
          plus[l]![i]![j]! += h;
          minus[l]![i]![j]! -= h;
          const numeric = (cost(plus) - cost(minus)) / (2 * h);
          // round-off ≈ 1e-16·C/h ≈ 3e-11, truncation ≈ h² ≈ 1e-12
          expect(Math.abs(numeric - NUMPY.nablaW[l]![i]![j]!)).toBeLessThan(1e-9);
        }),
      ),
    );
  });
});
