/**
 * Test-only: fast-check arbitraries of small networks with a batch, for the property tests of
 * `backprop` against autodiff and finite differences. Imported by `*.test.ts` files only.
 *
 * The generated value is a plain record (sizes, activations, cost, batch size, init, seed) so
 * that fast-check prints a shrunk counterexample as the network itself; the tensors are built
 * from it inside the predicate by {@link buildCase}.
 */
import fc from 'fast-check';
import { type Tensor, createRng, fromData } from '@nabla/core';
import { propertyConfig } from '@nabla/core/testing';
import type { ActivationName } from './activations.ts';
import type { CostName } from './costs.ts';
import type { InitName } from './init.ts';
import { Network } from './network.ts';

/** One network and batch, as a record that prints well in a counterexample. */
export interface NetworkCase {
  /** Neurons per layer, input first: 2–5 weight layers, widths 1–12. */
  sizes: number[];
  /** σ of the hidden layers. */
  activation: ActivationName;
  /** σ of the output layer (sigmoid for crossEntropy, softmax for logLikelihood). */
  outputActivation: ActivationName;
  /** The cost C. */
  cost: CostName;
  /** Batch size (columns of X and Y), 1–16. */
  m: number;
  /** Initialiser of the weights. */
  init: InitName;
  /** Seed of the weights and of X, Y. */
  seed: number;
}

/** A case built: the network and its batch. */
export interface BuiltCase {
  net: Network;
  X: Tensor;
  Y: Tensor;
}

const HIDDEN: ActivationName[] = ['sigmoid', 'relu', 'tanh', 'identity'];
const QUADRATIC_OUTPUT: ActivationName[] = ['sigmoid', 'relu', 'tanh', 'identity'];

/** Options of {@link networkCaseArb}. */
export interface NetworkCaseArbOptions {
  /** Smallest number of weight layers (default 2). */
  minDepth?: number;
  /** Largest number of weight layers (default 5). */
  maxDepth?: number;
  /** Largest width (default 12). */
  maxWidth?: number;
  /** Largest batch size (default 16). */
  maxBatch?: number;
  /** All layers, input included, of one width n (so every wᵀ could be replaced by w). */
  square?: boolean;
}

/**
 * Random networks: depth 2–5 weight layers, widths 1–12, batch 1–16, hidden σ among sigmoid,
 * relu, tanh, identity; the cost quadratic (any σ at the output), crossEntropy (sigmoid output)
 * or logLikelihood (softmax output); init normal/scaled/he. Shrinks towards fewer, narrower
 * layers, smaller batches, the first activation/cost/init in each list and seed 0.
 * @param options - depth, width and batch bounds; `square` for equal widths
 */
export function networkCaseArb(options: NetworkCaseArbOptions = {}): fc.Arbitrary<NetworkCase> {
  const { minDepth = 2, maxDepth = 5, maxWidth = 12, maxBatch = 16, square = false } = options;
  const width = fc.integer({ min: 1, max: maxWidth });
  const sizes = square
    ? fc.tuple(fc.integer({ min: minDepth, max: maxDepth }), width).map(([depth, n]) => new Array<number>(depth + 1).fill(n))
    : fc.array(width, { minLength: minDepth + 1, maxLength: maxDepth + 1 });
  return fc
    .record({
      sizes,
      activation: fc.constantFrom(...HIDDEN),
      cost: fc.constantFrom<CostName>('quadratic', 'crossEntropy', 'logLikelihood'),
      quadraticOutput: fc.constantFrom(...QUADRATIC_OUTPUT),
      m: fc.integer({ min: 1, max: maxBatch }),
      init: fc.constantFrom<InitName>('normal', 'scaled', 'he'),
      seed: fc.nat({ max: 1_000_000 }),
    })
    .map(({ quadraticOutput, ...rest }) => ({
      sizes: rest.sizes,
      activation: rest.activation,
      outputActivation: rest.cost === 'quadratic' ? quadraticOutput : rest.cost === 'crossEntropy' ? 'sigmoid' : 'softmax',
      cost: rest.cost,
      m: rest.m,
      init: rest.init,
      seed: rest.seed,
    }));
}

/**
 * Builds the network of a case (seeded init) and a seeded batch: X ~ N(0, 1); Y one-hot for
 * logLikelihood, uniform in [0, 1] otherwise.
 * @param c - the case
 */
export function buildCase(c: NetworkCase): BuiltCase {
  const net = new Network(c.sizes, { activation: c.activation, outputActivation: c.outputActivation, cost: c.cost, init: c.init, seed: c.seed });
  const rng = createRng(c.seed + 7919);
  const n0 = c.sizes[0]!;
  const nL = c.sizes[c.sizes.length - 1]!;
  const x = new Float64Array(n0 * c.m);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Float64Array(nL * c.m);
  if (c.cost === 'logLikelihood') {
    for (let j = 0; j < c.m; j++) y[rng.int(nL) * c.m + j] = 1;
  } else {
    for (let i = 0; i < y.length; i++) y[i] = rng.uniform();
  }
  return { net, X: fromData(x, [n0, c.m]), Y: fromData(y, [nL, c.m]) };
}

/**
 * One line naming the network of a case, for failure messages.
 * @param c - the case to describe
 */
export function describeCase(c: NetworkCase): string {
  return `network [${c.sizes.join(',')}] ${c.activation}→${c.outputActivation}, ${c.cost}, m=${c.m}, init ${c.init}, seed ${c.seed}`;
}

/**
 * The relative error used by the equality properties, per tensor:
 * max_i |a_i − b_i| / max(max_i |a_i|, max_i |b_i|, 1e-300).
 * Normalising by the tensor's largest entry (not entry by entry) keeps entries that are zero or
 * nearly so by cancellation from dominating; 1e-300 only avoids 0/0 when both are all zeros.
 * @param a - one tensor
 * @param b - the other, same size
 */
export function relativeError(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) return Infinity;
  let diff = 0;
  let scale = 1e-300;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    const d = Math.abs(x - y);
    if (Number.isNaN(d)) return Infinity;
    if (d > diff) diff = d;
    scale = Math.max(scale, Math.abs(x), Math.abs(y));
  }
  return diff / scale;
}

/**
 * Throws unless every tensor of `actual` is within `tol` relative error of `expected` (and has
 * its shape), naming the tensor, the error and the network.
 * @param what - the name of the list (`nablaW`)
 * @param actual - the tensors under test
 * @param expected - the reference
 * @param tol - the largest relative error allowed
 * @param c - the case, shown in the message
 */
export function expectSameTensors(what: string, actual: readonly Tensor[], expected: readonly Tensor[], tol: number, c: NetworkCase): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} tensors, expected ${expected.length}, on ${describeCase(c)}`);
  actual.forEach((t, l) => {
    const e = expected[l]!;
    if (t.shape.join(',') !== e.shape.join(',')) throw new Error(`${what}[${l}]: shape [${t.shape.join(',')}], expected [${e.shape.join(',')}], on ${describeCase(c)}`);
    const err = relativeError(t, e);
    if (!(err <= tol)) throw new Error(`${what}[${l}]: relative error ${err.toExponential(2)} > ${tol}, on ${describeCase(c)}`);
  });
}

/**
 * The suite's fixed-seed fast-check parameters with this test's number of runs, unless
 * `FC_NUM_RUNS` asks for another (a nightly run, or a quick one).
 * @param numRuns - runs sized for a 2-core machine
 */
export function nnPropertyConfig(numRuns: number): ReturnType<typeof propertyConfig> {
  const base = propertyConfig();
  return process.env['FC_NUM_RUNS'] !== undefined ? base : { ...base, numRuns };
}
