/**
 * Network: construction (sizes, defaults, errors), the forward pass and its shape checks,
 * `gradients` (fresh each call), `predict`, and backprop's own shape checks and outputs.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError, randn, tensor } from '@nabla/core';
import { backprop, backpropPerExample } from './backprop.ts';
import { Network } from './network.ts';

describe('Network', () => {
  it('has weights [sizes[l], sizes[l−1]] and biases [sizes[l], 1], sigmoid + quadratic by default', () => {
    const net = new Network([784, 30, 10], { seed: 1 });
    expect(net.weights.map((w) => w.shape)).toEqual([
      [30, 784],
      [10, 30],
    ]);
    expect(net.biases.map((b) => b.shape)).toEqual([
      [30, 1],
      [10, 1],
    ]);
    expect([net.activation.name, net.outputActivation.name, net.cost.name]).toEqual(['sigmoid', 'sigmoid', 'quadratic']);
    expect(Object.isFrozen(net.sizes)).toBe(true);
  });

  it('takes softmax as the output of a log-likelihood network unless told otherwise', () => {
    expect(new Network([2, 3], { cost: 'logLikelihood', activation: 'relu' }).outputActivation.name).toBe('softmax');
    expect(new Network([2, 3], { cost: 'logLikelihood', outputActivation: 'sigmoid' }).outputActivation.name).toBe('sigmoid');
    expect(new Network([2, 3, 4], { activation: 'tanh', outputActivation: 'identity' }).layers.map((d) => d.activation.name)).toEqual(['tanh', 'identity']);
  });

  it('rejects fewer than two sizes and sizes that are not positive integers', () => {
    expect(() => new Network([3])).toThrow(ShapeError);
    expect(() => new Network([3])).toThrow(/^Network: sizes must list at least two layers, got \[3\]$/);
    expect(() => new Network([3, 0])).toThrow(/^Network: sizes\[1\] must be a positive integer, got 0$/);
    expect(() => new Network([3, 2.5, 1])).toThrow(/^Network: sizes\[1\] must be a positive integer, got 2.5$/);
    expect(() => new Network([2, 2], { cost: 'hinge' as never })).toThrow(/unknown cost 'hinge'/);
  });

  it('checks the shapes of X and Y, naming the op and the shapes', () => {
    const net = new Network([3, 2]);
    expect(() => net.forward(randn([4, 2]))).toThrow(/^Network\.forward: expected inputs of shape \[3,m\] \(examples as columns\), got \[4,2\]$/);
    expect(() => net.feedforward(randn([3]))).toThrow(ShapeError);
    expect(() => net.loss(randn([3, 5]), randn([2, 4]))).toThrow(/^Network\.loss: expected targets of shape \[2,5\], got \[2,4\]$/);
  });

  it('feedforward records no graph; forward does', () => {
    const net = new Network([2, 3, 1], { seed: 1 });
    const X = randn([2, 4], { seed: 2 });
    expect(net.feedforward(X).requiresGrad).toBe(false);
    expect(net.forward(X).requiresGrad).toBe(true);
    expect(net.feedforward(X)).toBeAllclose(net.forward(X), { rtol: 0 });
  });

  it('gradients starts from cleared gradients each call (no accumulation) and returns copies', () => {
    const net = new Network([2, 3, 1], { seed: 1 });
    const X = randn([2, 4], { seed: 2 });
    const Y = tensor([[0, 1, 1, 0]]);
    const first = net.gradients(X, Y);
    const second = net.gradients(X, Y);
    first.nablaW.forEach((w, l) => expect(second.nablaW[l]!).toBeAllclose(w, { rtol: 0 }));
    second.nablaW[0]!.data[0] = 99;
    expect(net.weights[0]!.grad!.data[0]).not.toBe(99);
    expect(first.cost).toBeCloseTo(net.loss(X, Y).item(), 15);
  });

  it('predict gives the index of the largest output per column', () => {
    const net = new Network([2, 3], {
      activation: 'identity',
      params: [{ weight: tensor([[1, 0], [0, 1], [1, 1]], { requiresGrad: true }), bias: tensor([[0], [0], [0]], { requiresGrad: true }) }],
    });
    const X = tensor([
      [5, 0, 1, -2],
      [0, 5, 1, -1],
    ]);
    expect(Array.from(net.predict(X))).toEqual([0, 1, 2, 1]);
  });
});

describe('backprop and backpropPerExample (outside the properties)', () => {
  const net = new Network([3, 4, 2], { seed: 3 });
  const X = randn([3, 5], { seed: 4 });
  const Y = tensor([
    [1, 0, 1, 0, 0],
    [0, 1, 0, 1, 1],
  ]);

  it('return tensors shaped like the parameters, and δ^l, z^l, a^l shaped [sizes[l], m]', () => {
    const r = backprop(net, X, Y);
    expect(r.nablaW.map((t) => t.shape)).toEqual(net.weights.map((w) => w.shape));
    expect(r.nablaB.map((t) => t.shape)).toEqual(net.biases.map((b) => b.shape));
    expect(r.deltas.map((t) => t.shape)).toEqual([
      [4, 5],
      [2, 5],
    ]);
    expect(r.zs.map((t) => t.shape)).toEqual(r.deltas.map((t) => t.shape));
    expect(r.activations.map((t) => t.shape)).toEqual([[3, 5], [4, 5], [2, 5]]);
    expect(r.activations[0]!).toBeAllclose(X, { rtol: 0 });
    expect(r.activations[0]!.data).not.toBe(X.data); // a copy: changing it cannot change X
    expect(r.activations[2]!).toBeAllclose(net.feedforward(X), { rtol: 1e-14 });
  });

  it('read the weights without changing them or their gradients', () => {
    const before = net.weights.map((w) => Array.from(w.data));
    net.zeroGrad();
    backprop(net, X, Y);
    backpropPerExample(net, X, Y);
    net.weights.forEach((w, l) => expect(Array.from(w.data)).toEqual(before[l]));
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('check X and Y, naming the function and the shapes', () => {
    expect(() => backprop(net, randn([2, 5]), Y)).toThrow(/^backprop: expected X of shape \[3,m\], got \[2,5\]$/);
    expect(() => backprop(net, X, randn([2, 4]))).toThrow(/^backprop: expected Y of shape \[2,5\], got \[2,4\]$/);
    expect(() => backpropPerExample(net, X, randn([3, 5]))).toThrow(/^backpropPerExample: expected Y of shape \[2,5\], got \[3,5\]$/);
  });
});
