// The page's model and metrics loaders, in Node: the same modules the browser bundle runs.
import { fromData, noGrad } from '@nabla/core';
import { Dense, Flatten, Network, Sequential, modelToJSON } from '@nabla/nn';
import { describe, expect, it } from 'vitest';
import { buildNet, parseNetSpec } from '../src/convnet.ts';
import { parseMetrics } from '../web/metrics.ts';
import { ModelLoadError, classify, describeModel, modelFromText } from '../web/model.ts';

function mnistNet(options: ConstructorParameters<typeof Network>[1] = {}): Network {
  return new Network([784, 5, 10], { seed: 3, ...options });
}

function input(seed: number): Float64Array {
  return Float64Array.from({ length: 784 }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000);
}

describe('modelFromText', () => {
  it("reads nabla's toJSON form and a NumPy-style {weights, biases} file", () => {
    const net = mnistNet({ cost: 'crossEntropy' });
    const json = net.toJSON();
    const same = modelFromText(JSON.stringify(json), 'model.json');
    expect(describeModel(same)).toBe('[784,5,10] · sigmoid · crossEntropy');
    const numpy = modelFromText(JSON.stringify({ weights: json.weights, biases: json.biases }), 'numpy.json');
    expect(describeModel(numpy)).toBe('[784,5,10] · sigmoid · quadratic');
    expect(classify(numpy, input(1)).outputs).toEqual(classify(net, input(1)).outputs);
  });

  it('names the file and the field of a bad model', () => {
    const json = mnistNet().toJSON();
    const flat = { ...json, biases: [json.biases[0], json.biases[1]!.map((r) => r[0])] };
    expect(() => modelFromText(JSON.stringify(flat), 'model.json')).toThrow('model.json: biases[1]: expected [10,1], got [10]');
    expect(() => modelFromText('{"weights": [', 'm.json')).toThrow(/^m\.json: not valid JSON \(/);
    expect(() => modelFromText('[1, 2]', 'm.json')).toThrow(/^m\.json: model: expected an object/);
    expect(() => modelFromText(JSON.stringify({ ...json, activation: 'swish' }), 'm.json')).toThrow(/^m\.json: activation: unknown activation 'swish'/);
    const small = new Network([4, 3, 2]).toJSON();
    expect(() => modelFromText(JSON.stringify(small), 'm.json')).toThrow(ModelLoadError);
    expect(() => modelFromText(JSON.stringify(small), 'm.json')).toThrow('m.json: expected 784 inputs and 10 outputs (an MNIST model), got sizes [4,3,2]');
  });
});

describe('modelFromText with a layer stack (version 2)', () => {
  const convNet = (): Sequential => buildNet(parseNetSpec('conv:3x5,maxpool:2,dropout:0.5,dense:8,dense:10'), { activation: 'relu', seed: 4 });

  it('reads what nabla-mnist train --net … --out writes and classifies a [1,1,28,28] image, softmaxing the logits in eval mode', () => {
    const model = convNet();
    const loaded = modelFromText(JSON.stringify(model.toJSON()), 'conv.json');
    expect(loaded).toBeInstanceOf(Sequential);
    expect(describeModel(loaded)).toBe('conv:3x5,maxpool:2,dropout:0.5,dense:8,dense:10 · relu · logits');
    const x = input(5);
    const c = classify(loaded, x);
    model.eval();
    const z = noGrad(() => model.forward(fromData(x, [1, 1, 28, 28]))).data;
    expect(Array.from(c.outputs)).toEqual(Array.from(z));
    expect(c.normalisation).toBe('softmax-of-logits');
    const exps = Array.from(z, (v) => Math.exp(v - Math.max(...z)));
    const total = exps.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 10; i++) expect(c.probabilities[i]).toBeCloseTo(exps[i]! / total, 12);
    expect(c.digit).toBe(Array.from(z).indexOf(Math.max(...z)));
    // Dropout is off: the same input gives the same outputs every time.
    expect(Array.from(classify(loaded, x).outputs)).toEqual(Array.from(c.outputs));
  });

  it('names the file and the field of a bad layer stack, and rejects one that does not read MNIST', () => {
    const json = modelToJSON(convNet());
    const bad = { ...json, layers: json.layers.map((l, i) => (i === 0 ? { ...l, activation: 'swish' } : l)) };
    expect(() => modelFromText(JSON.stringify(bad), 'conv.json')).toThrow(/^conv\.json: layers\[0\]\.activation: /);
    expect(() => modelFromText(JSON.stringify({ ...json, version: 3 }), 'conv.json')).toThrow(/^conv\.json: version: expected 2, got 3/);
    const wrongInput = new Sequential(new Flatten(), new Dense(100, 10));
    expect(() => modelFromText(JSON.stringify(wrongInput.toJSON()), 'flat.json')).toThrow(/^flat\.json: the layers do not take a \[1,1,28,28\] MNIST image \(/);
    const fiveOutputs = new Sequential(new Flatten(), new Dense(784, 5));
    expect(() => modelFromText(JSON.stringify(fiveOutputs.toJSON()), 'five.json')).toThrow('five.json: expected 10 outputs (an MNIST model), got 5 from a [1,1,28,28] image');
  });

  it('describes a dense layer stack and keeps a softmax output as probabilities', () => {
    const model = new Sequential(new Flatten(), new Dense(784, 6, { activation: 'tanh', seed: 1 }), new Dense(6, 10, { activation: 'softmax', seed: 2 }));
    const loaded = modelFromText(JSON.stringify(model.toJSON()), 'd.json');
    expect(describeModel(loaded)).toBe('dense:6,dense:10 · tanh · softmax output');
    const c = classify(loaded, input(6));
    expect(c.normalisation).toBe('softmax');
    for (let i = 0; i < 10; i++) expect(c.probabilities[i]).toBeCloseTo(c.outputs[i]!, 12);
  });
});

describe('classify', () => {
  const sum = (p: Float64Array): number => p.reduce((a, b) => a + b, 0);

  it('divides sigmoid outputs by their sum and predicts the largest', () => {
    const c = classify(mnistNet(), input(2));
    expect(c.normalisation).toBe('sum');
    expect(Math.abs(sum(c.probabilities) - 1)).toBeLessThan(1e-12);
    for (let i = 0; i < 10; i++) expect(c.probabilities[i]).toBeCloseTo(c.outputs[i]! / sum(c.outputs), 12);
    expect(c.digit).toBe(c.outputs.indexOf(Math.max(...c.outputs)));
  });

  it('keeps softmax outputs as they are', () => {
    const c = classify(mnistNet({ cost: 'logLikelihood' }), input(3));
    expect(c.normalisation).toBe('softmax');
    for (let i = 0; i < 10; i++) expect(c.probabilities[i]).toBeCloseTo(c.outputs[i]!, 12);
    expect(Math.abs(sum(c.probabilities) - 1)).toBeLessThan(1e-12);
  });

  it('turns outputs that can be negative (tanh) into probabilities with a softmax', () => {
    const c = classify(mnistNet({ activation: 'tanh' }), input(4));
    expect(c.normalisation).toBe('softmax-of-outputs');
    expect(Math.abs(sum(c.probabilities) - 1)).toBeLessThan(1e-12);
    expect(c.probabilities.every((p) => p > 0)).toBe(true);
    expect(c.digit).toBe(c.probabilities.indexOf(Math.max(...c.probabilities)));
  });
});

describe('parseMetrics', () => {
  it('reads the JSON lines of nabla-mnist train --json, skipping blank lines', () => {
    const text = '{"epoch":1,"correct":9099,"total":10000,"accuracy":0.9099,"seconds":10.7,"cost":0.128}\n\n{"epoch":2,"correct":9300,"total":10000,"accuracy":0.93,"seconds":10.1,"cost":0.1}\n';
    expect(parseMetrics(text, 'm.jsonl')).toEqual([
      { epoch: 1, accuracy: 0.9099, cost: 0.128, correct: 9099, total: 10000 },
      { epoch: 2, accuracy: 0.93, cost: 0.1, correct: 9300, total: 10000 },
    ]);
  });

  it('reads the test accuracy of the lines --validation writes', () => {
    const text = '{"epoch":1,"correct":9700,"total":10000,"accuracy":0.97,"seconds":70,"cost":0.3,"test":{"correct":9650,"total":10000,"accuracy":0.965}}\n';
    expect(parseMetrics(text, 'v.jsonl')).toEqual([{ epoch: 1, accuracy: 0.97, cost: 0.3, correct: 9700, total: 10000, test: 0.965 }]);
    expect(() => parseMetrics('{"epoch":1,"accuracy":0.9,"cost":0.1,"test":0.9}', 'v.jsonl')).toThrow('v.jsonl: line 1: "test" is not {"correct","total","accuracy"} (got 0.9)');
  });

  it('names the file and the line of a bad metrics file', () => {
    expect(() => parseMetrics('{"epoch":1,"accuracy":0.9,"cost":0.1}\n> pnpm train\n', 'm.jsonl')).toThrow(/^m\.jsonl: line 2: not a JSON object \(> pnpm train\)/);
    expect(() => parseMetrics('{"epoch":1,"accuracy":"90%","cost":0.1}', 'm.jsonl')).toThrow('m.jsonl: line 1: "accuracy" is not a finite number (got "90%")');
    expect(() => parseMetrics('\n\n', 'empty.jsonl')).toThrow(/^empty\.jsonl: no epochs/);
  });
});
