/**
 * The promise of nabla, as properties over random networks (2–5 weight layers, widths 1–12,
 * batches 1–16, hidden σ sigmoid/relu/tanh/identity, costs quadratic / crossEntropy+sigmoid /
 * logLikelihood+softmax, seeded normal/scaled/he weights, random X and Y):
 *
 * (a) autodiff `net.gradients` = the δ equations `backprop`;
 * (b) both = central finite differences, through core's `gradcheck`;
 * (c) Nielsen's per-example loop `backpropPerExample` = the matrix form `backprop`;
 * (d) each δ^l of `backprop` = ∂C/∂z^l read off the graph (`retainGrad` on every z^l).
 *
 * Equalities (a), (c), (d) use the relative error of `relativeError` in network.arbitrary.ts,
 * per tensor: max|a − b| / max(max|a|, max|b|, 1e-300), which must be ≤ 1e-10. Why 1e-10: both
 * routes do the same float64 arithmetic in a different order, so they differ by a few ulps per
 * op, ≈ 1e-15 × (number of terms summed); 1e-10 leaves five orders of magnitude for depth and
 * saturation, while any wrong equation is off by O(1).
 *
 * Tolerance of (b): |analytic − numeric| ≤ 1e-6·|numeric| + 1e-8·max(1, |C|), eps = 1e-6.
 * Why: the central difference's round-off is ≈ ε_mach·|C|/eps ≈ 1e-10·|C| (C evaluated in
 * float64 through a few layers, a few ulps), truncation ≈ eps²·|C'''| ≲ 1e-10 for these
 * weights; rtol 1e-6 is the usual float64 bound (CONVENTIONS.md), and atol scales with |C|
 * because that is what the round-off scales with. relu has a kink at 0: cases with any
 * |z| < 1e-4 are rejected (`fc.pre`), far more than an eps-step moves any z here.
 *
 * The generated value is a plain record; the network is built inside the predicate, so a
 * failure prints the shrunk network (sizes, activations, cost, m, init, seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backprop, backpropPerExample } from './backprop.ts';
import { SAME_ROUTE_TOL as TOL, autodiffAgreesWith, finiteDifferencesAgreeWith } from './backprop.properties.ts';
import { type NetworkCase, buildCase, describeCase, expectSameTensors, networkCaseArb, nnPropertyConfig, relativeError } from './network.arbitrary.ts';

const cases = networkCaseArb();

function expectSameCost(byGraph: number, byEquations: number, c: NetworkCase): void {
  const err = Math.abs(byGraph - byEquations) / Math.max(Math.abs(byGraph), Math.abs(byEquations), 1e-300);
  if (!(err <= TOL)) throw new Error(`cost: ${byGraph} by autodiff, ${byEquations} by backprop (relative error ${err.toExponential(2)}), on ${describeCase(c)}`);
}

describe('backprop (BP1–BP4) against autodiff, property over random networks', () => {
  it('(a) net.gradients = backprop: nablaW and nablaB, relative error ≤ 1e-10', () => {
    fc.assert(autodiffAgreesWith(cases, backprop), nnPropertyConfig(300));
  });

  it('(a′) backprop’s cost = the autodiff cost, for the quadratic cost (whose raw value is exact)', () => {
    fc.assert(
      fc.property(cases.filter((c) => c.cost === 'quadratic'), (c) => {
        const { net, X, Y } = buildCase(c);
        expectSameCost(net.gradients(X, Y).cost, backprop(net, X, Y).cost, c);
      }),
      nnPropertyConfig(100),
    );
  });

  it('(a″) backprop’s cost = the autodiff cost, for every cost', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { net, X, Y } = buildCase(c);
        expectSameCost(net.gradients(X, Y).cost, backprop(net, X, Y).cost, c);
      }),
      nnPropertyConfig(100),
    );
  });

  it('(b) autodiff and backprop both agree with central finite differences (core gradcheck)', () => {
    const checked = { relu: 0, all: 0 };
    const count = (c: NetworkCase): void => {
      checked.all++;
      if (c.activation === 'relu' || c.outputActivation === 'relu') checked.relu++;
    };
    fc.assert(finiteDifferencesAgreeWith(cases, 'autodiff', count), nnPropertyConfig(80));
    fc.assert(finiteDifferencesAgreeWith(cases, backprop), nnPropertyConfig(80));
    // The kink filter must not quietly drop the relu networks.
    expect(checked.relu).toBeGreaterThanOrEqual(checked.all / 10);
  });

  it('(c) backpropPerExample (Nielsen’s loop) = backprop (matrix form), relative error ≤ 1e-10', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { net, X, Y } = buildCase(c);
        const loop = backpropPerExample(net, X, Y);
        const matrix = backprop(net, X, Y);
        expectSameTensors('nablaW', loop.nablaW, matrix.nablaW, TOL, c);
        expectSameTensors('nablaB', loop.nablaB, matrix.nablaB, TOL, c);
      }),
      nnPropertyConfig(300),
    );
  });

  it('(d) δ^l of backprop = ∂C/∂z^l read off the graph (and z^l the same), relative error ≤ 1e-10', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { net, X, Y } = buildCase(c);
        const { zs, activations } = net.trace(X);
        for (const z of zs) z.retainGrad();
        const C = net.cost.loss(zs[zs.length - 1]!, activations[activations.length - 1]!, Y, net.outputActivation);
        C.backward();
        const fromGraph = zs.map((z, l) => {
          if (z.grad === null) throw new Error(`z^${l + 1} has no gradient, on ${describeCase(c)}`);
          return z.grad;
        });
        const { deltas, zs: refZs } = backprop(net, X, Y);
        expectSameTensors('z', zs, refZs, TOL, c);
        expectSameTensors('delta', fromGraph, deltas, TOL, c);
      }),
      nnPropertyConfig(300),
    );
  });
});

describe('the properties’ own pieces', () => {
  it('relativeError is scale-free per tensor and 0 for two zero tensors', async () => {
    const { tensor } = await import('@nabla/core');
    expect(relativeError(tensor([1, 2, 4]), tensor([1, 2, 4.000004]))).toBeCloseTo(1e-6, 10);
    expect(relativeError(tensor([1e-30, 2e-30]), tensor([1e-30, 2.000002e-30]))).toBeCloseTo(1e-6, 10);
    expect(relativeError(tensor([0, 0]), tensor([0, 0]))).toBe(0);
    expect(relativeError(tensor([0, Number.NaN]), tensor([0, 1]))).toBe(Infinity);
  });

  it('the case arbitrary stays in the issue’s ranges: 2–5 layers, widths 1–12, m 1–16, output σ fixed by the cost', () => {
    const samples = fc.sample(cases, { numRuns: 300, seed: 1 });
    for (const c of samples) {
      expect(c.sizes.length).toBeGreaterThanOrEqual(3);
      expect(c.sizes.length).toBeLessThanOrEqual(6);
      for (const n of c.sizes) expect(n >= 1 && n <= 12).toBe(true);
      expect(c.m >= 1 && c.m <= 16).toBe(true);
      if (c.cost === 'crossEntropy') expect(c.outputActivation).toBe('sigmoid');
      if (c.cost === 'logLikelihood') expect(c.outputActivation).toBe('softmax');
    }
    const seen = new Set(samples.map((c) => `${c.activation}/${c.cost}`));
    expect(seen.size).toBe(12); // every hidden σ with every cost
  });

  it('a one-hot Y for logLikelihood, Y in [0, 1] otherwise', () => {
    for (const c of fc.sample(cases, { numRuns: 100, seed: 2 })) {
      const { Y } = buildCase(c);
      const [rows, cols] = Y.shape as [number, number];
      for (let j = 0; j < cols; j++) {
        let total = 0;
        for (let i = 0; i < rows; i++) {
          const y = Y.data[i * cols + j]!;
          expect(y >= 0 && y <= 1).toBe(true);
          total += y;
        }
        if (c.cost === 'logLikelihood') expect(total).toBe(1);
      }
    }
  });
});
