/**
 * Proof by property test that the convolutional δ equations (backprop-conv.ts, written by hand)
 * equal autodiff through core's conv2d/maxPool2d and central differences, on random small conv
 * nets (1–2 ConvPool layers with random channels, kernels and pool sizes that divide, 1–2 dense
 * layers, softmax and the log-likelihood, a random batch); per-example equals batched; and each
 * classic slip, injected into the equations, is caught and shrunk to a small counterexample.
 *
 * Tolerances: the two exact routes agree to a relative 1e-10 (the same sums in another order);
 * central differences at eps 1e-6 to rtol 1e-5 + atol 1e-7 (as gradcheck, float64).
 */
import fc from 'fast-check';
import { type Tensor, conv2d, fromData, maxPool2d, randn } from '@nabla/core';
import { propertyConfig } from '@nabla/core/testing';
import { describe, expect, it } from 'vitest';
import { type ActivationName, Conv2d, Dense, Flatten, MaxPool2d, Sequential, getActivation, logLikelihood, softmax } from './index.ts';
import { type ConvBackpropNetwork, type ConvBackpropResult, type ConvSlip, backpropConv, backpropConvWith } from './backprop-conv.ts';

/** A small random conv net, as plain data (what fast-check prints and shrinks). */
interface ConvCase {
  m: number;
  channels: number;
  convs: { filters: number; kernel: number; pool: number }[];
  /** Spatial size of the last ConvPool layer's output. */
  last: number;
  hidden: number[];
  classes: number;
  activation: ActivationName;
  seed: number;
}

const convCaseArb: fc.Arbitrary<ConvCase> = fc.record({
  m: fc.integer({ min: 1, max: 3 }),
  channels: fc.integer({ min: 1, max: 2 }),
  convs: fc.array(fc.record({ filters: fc.integer({ min: 1, max: 3 }), kernel: fc.integer({ min: 1, max: 3 }), pool: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 2 }),
  last: fc.integer({ min: 1, max: 2 }),
  hidden: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 1 }),
  classes: fc.integer({ min: 2, max: 3 }),
  activation: fc.constantFrom<ActivationName>('sigmoid', 'tanh'),
  seed: fc.integer({ min: 0, max: 1000 }),
});

interface Built {
  net: ConvBackpropNetwork;
  X: Tensor;
  Y: Tensor;
  size: number;
}

/** Parameters, inputs and one-hot targets from a case (input size worked back from the end). */
function build(c: ConvCase): Built {
  let s = c.last;
  for (let i = c.convs.length - 1; i >= 0; i--) s = s * c.convs[i]!.pool + c.convs[i]!.kernel - 1;
  const act = getActivation(c.activation);
  let seed = c.seed * 31;
  let channels = c.channels;
  const convPools = c.convs.map((l) => {
    const layer = { weight: randn([l.filters, channels, l.kernel, l.kernel], { seed: seed++, std: 0.7 }), bias: randn([l.filters], { seed: seed++ }), pool: l.pool, activation: act };
    channels = l.filters;
    return layer;
  });
  const sizes = [channels * c.last * c.last, ...c.hidden, c.classes];
  const dense = sizes.slice(1).map((n, l) => ({
    weight: randn([n, sizes[l]!], { seed: seed++, std: 1 / Math.sqrt(sizes[l]!) }),
    bias: randn([n, 1], { seed: seed++ }),
    activation: l === sizes.length - 2 ? softmax : act,
  }));
  const X = randn([c.m, c.channels, s, s], { seed: seed++ });
  const y = new Float64Array(c.classes * c.m);
  for (let j = 0; j < c.m; j++) y[((j + c.seed) % c.classes) * c.m + j] = 1;
  return { net: { convPools, dense, cost: logLikelihood }, X, Y: fromData(y, [c.classes, c.m]), size: s };
}

/** The same network through core's ops in network3's order (conv, pool, + bias, σ), by autodiff; z of every layer retained. */
function autodiff(b: Built): { cost: number; nablaW: Tensor[]; nablaB: Tensor[]; deltas: Tensor[] } {
  const params = [...b.net.convPools.flatMap((l) => [l.weight, l.bias]), ...b.net.dense.flatMap((l) => [l.weight, l.bias])].map((p) => fromData(p.data.slice(), p.shape, { requiresGrad: true }));
  const zs: Tensor[] = [];
  let a = b.X;
  b.net.convPools.forEach((l, i) => {
    const [w, bias] = [params[2 * i]!, params[2 * i + 1]!];
    const z = maxPool2d(conv2d(a, w), { kernel: l.pool }).add(bias.reshape([bias.size, 1, 1])).retainGrad();
    zs.push(z);
    a = l.activation.apply(z);
  });
  const m = b.X.shape[0]!;
  a = a.reshape([m, a.size / m]).transpose();
  const offset = 2 * b.net.convPools.length;
  b.net.dense.forEach((l, i) => {
    const z = params[offset + 2 * i]!.matmul(a).add(params[offset + 2 * i + 1]!).retainGrad();
    zs.push(z);
    a = l.activation.apply(z);
  });
  const loss = b.net.cost.loss(zs[zs.length - 1]!, a, b.Y, b.net.dense[b.net.dense.length - 1]!.activation);
  loss.backward();
  return { cost: loss.item(), nablaW: params.filter((_, i) => i % 2 === 0).map((p) => p.grad!), nablaB: params.filter((_, i) => i % 2 === 1).map((p) => p.grad!), deltas: zs.map((z) => z.grad!) };
}

function relativeError(a: Tensor, b: Tensor): number {
  let diff = 0;
  let scale = 1e-300;
  for (let i = 0; i < a.size; i++) {
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
    scale = Math.max(scale, Math.abs(a.data[i]!), Math.abs(b.data[i]!));
  }
  return a.size !== b.size ? Infinity : diff / scale;
}

function describeCase(c: ConvCase, size: number): string {
  const convs = c.convs.map((l) => `conv ${l.filters}×${l.kernel}×${l.kernel} pool ${l.pool}`).join(', ');
  return `input [${c.m},${c.channels},${size},${size}], ${convs}, dense [${[...c.hidden, c.classes].join(',')}], ${c.activation}`;
}

type Route = (net: ConvBackpropNetwork, X: Tensor, Y: Tensor) => ConvBackpropResult;

/** The hand-written route and autodiff agree to a relative 1e-10 on every gradient and every δ. */
function agreesWithAutodiff(route: Route): fc.IPropertyWithHooks<[ConvCase]> {
  return fc.property(convCaseArb, (c) => {
    const b = build(c);
    const hand = route(b.net, b.X, b.Y);
    const graph = autodiff(b);
    const where = describeCase(c, b.size);
    const check = (name: string, xs: readonly Tensor[], ys: readonly Tensor[]): void => {
      xs.forEach((x, i) => {
        const e = relativeError(x, ys[i]!);
        if (!(e <= 1e-10)) throw new Error(`${name}[${i}]: relative error ${e.toExponential(2)} > 1e-10, on ${where}`);
      });
    };
    check('nablaW', hand.nablaW, graph.nablaW);
    check('nablaB', hand.nablaB, graph.nablaB);
    check('delta', hand.deltas, graph.deltas);
    if (!(Math.abs(hand.cost - graph.cost) <= 1e-12 * Math.max(1, Math.abs(graph.cost)))) throw new Error(`cost ${hand.cost} vs ${graph.cost}, on ${where}`);
  });
}

const run = (property: fc.IPropertyWithHooks<[ConvCase]>, numRuns = 60): fc.RunDetails<[ConvCase]> => fc.check(property, propertyConfig({ numRuns }));

describe('the convolutional δ equations, proven equal to autodiff and finite differences', () => {
  it('hand-written = autodiff (relative error ≤ 1e-10) for every ∂C/∂w, ∂C/∂b and δ = ∂C/∂z', () => {
    fc.assert(agreesWithAutodiff(backpropConv), propertyConfig({ numRuns: 60 }));
  });

  it('hand-written = central differences of the cost', () => {
    fc.assert(
      fc.property(convCaseArb, (c) => {
        const b = build(c);
        const hand = backpropConv(b.net, b.X, b.Y);
        const params = [...b.net.convPools.flatMap((l) => [l.weight, l.bias]), ...b.net.dense.flatMap((l) => [l.weight, l.bias])];
        const grads = params.map((_, i) => (i % 2 === 0 ? hand.nablaW : hand.nablaB)[Math.floor(i / 2)]!);
        const eps = 1e-6;
        params.forEach((p, k) => {
          for (let i = 0; i < p.size; i++) {
            const o = p.data[i]!;
            p.data[i] = o + eps;
            const plus = backpropConv(b.net, b.X, b.Y).cost;
            p.data[i] = o - eps;
            const minus = backpropConv(b.net, b.X, b.Y).cost;
            p.data[i] = o;
            const numeric = (plus - minus) / (2 * eps);
            const analytic = grads[k]!.data[i]!;
            if (!(Math.abs(analytic - numeric) <= 1e-7 + 1e-5 * Math.abs(numeric))) throw new Error(`parameter ${k} element ${i}: analytic ${analytic}, numeric ${numeric}, on ${describeCase(c, b.size)}`);
          }
        });
      }),
      propertyConfig({ numRuns: 25 }),
    );
  });

  it('per example = batched: the batch gradient is the mean of the examples’ gradients', () => {
    fc.assert(
      fc.property(convCaseArb, (c) => {
        const b = build(c);
        const whole = backpropConv(b.net, b.X, b.Y);
        const m = c.m;
        const per = Array.from({ length: m }, (_, j) => {
          const x = fromData(b.X.data.slice((j * b.X.size) / m, ((j + 1) * b.X.size) / m), [1, ...b.X.shape.slice(1)]);
          const y = fromData(Float64Array.from({ length: c.classes }, (_, r) => b.Y.data[r * m + j]!), [c.classes, 1]);
          return backpropConv(b.net, x, y);
        });
        whole.nablaW.forEach((w, i) => {
          const mean = fromData(w.data.map((_, k) => per.reduce((s, r) => s + r.nablaW[i]!.data[k]!, 0) / m), w.shape);
          expect(relativeError(w, mean)).toBeLessThanOrEqual(1e-10);
        });
      }),
      propertyConfig({ numRuns: 40 }),
    );
  });

  it('Sequential(Conv2d, MaxPool2d, …, Flatten, Dense) — bias and σ before pooling — gives network3’s values and gradients', () => {
    fc.assert(
      fc.property(convCaseArb, (c) => {
        const b = build(c);
        const layers = [
          ...b.net.convPools.flatMap((l) => {
            const [F, C, k] = l.weight.shape as [number, number, number];
            return [new Conv2d(C, F, k, { activation: l.activation, params: { weight: fromData(l.weight.data.slice(), l.weight.shape, { requiresGrad: true }), bias: fromData(l.bias.data.slice(), l.bias.shape, { requiresGrad: true }) } }), new MaxPool2d(l.pool)];
          }),
          new Flatten(),
          ...b.net.dense.map((l) => new Dense(l.weight.shape[1]!, l.weight.shape[0]!, { activation: l.activation, params: { weight: fromData(l.weight.data.slice(), l.weight.shape, { requiresGrad: true }), bias: fromData(l.bias.data.slice(), l.bias.shape, { requiresGrad: true }) } })),
        ];
        const model = new Sequential(...layers);
        const a = model.forward(b.X);
        const z = a.log(); // softmax output: log a is log-softmax up to rounding
        logLikelihood.loss(z, a, b.Y, softmax).backward();
        const hand = backpropConv(b.net, b.X, b.Y);
        const params = model.parameters();
        params.forEach((p, i) => expect(relativeError(p.grad!, (i % 2 === 0 ? hand.nablaW : hand.nablaB)[Math.floor(i / 2)]!)).toBeLessThanOrEqual(1e-8));
      }),
      propertyConfig({ numRuns: 30 }),
    );
  });
});

const SLIPS: [string, ConvSlip][] = [
  ['kernel not flipped in BP2c', { unflippedKernel: true }],
  ['max-pool routing δ to the first element of the window', { poolFirstElement: true }],
  ['max-pool spreading δ evenly over the window', { poolSpread: true }],
  ['an off-by-one in the convolution’s output size', { offByOne: true }],
  ['the bias gradient summed over the batch only', { biasOverBatchOnly: true }],
  ['σ′ taken at the wrong z (before the bias)', { primeAtWrongZ: true }],
];

describe.each(SLIPS)('slip: %s', (_name, slip) => {
  it('is caught by hand-written = autodiff and shrunk to a small counterexample', () => {
    const details = run(agreesWithAutodiff((net, X, Y) => backpropConvWith(net, X, Y, slip)));
    expect(details.failed).toBe(true);
    const [c] = details.counterexample!;
    // Shrunk: one or two ConvPool layers of at most 2 filters, kernels ≤ 3, a batch of at most 2.
    expect(c.convs.length).toBeLessThanOrEqual(2);
    expect(Math.max(...c.convs.map((l) => l.filters))).toBeLessThanOrEqual(2);
    expect(c.m).toBeLessThanOrEqual(2);
    const message = (details.errorInstance as Error).message;
    expect(message).toMatch(/relative error|cost|must be|do not fit|expected/);
    console.log(`slip "${_name}" caught: ${message.slice(0, 200)}`);
  });
});

describe('the faithful equations pass where each slip fails', () => {
  it('backpropConvWith(no slip) is backpropConv', () => {
    fc.assert(
      fc.property(convCaseArb, (c) => {
        const b = build(c);
        const a = backpropConv(b.net, b.X, b.Y);
        const s = backpropConvWith(b.net, b.X, b.Y, {});
        a.nablaW.forEach((w, i) => expect(Array.from(s.nablaW[i]!.data)).toEqual(Array.from(w.data)));
      }),
      propertyConfig({ numRuns: 20 }),
    );
  });
});
