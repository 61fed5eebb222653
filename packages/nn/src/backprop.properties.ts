/**
 * Test-only: the properties that hold a δ-equation reference against autodiff and against
 * finite differences, parametrised by the reference so that the same property runs on
 * `backprop` (backprop.prop.test.ts) and on copies of it with a slip injected
 * (backprop.mutation.test.ts).
 */
import fc from 'fast-check';
import { type GradcheckReport, type Tensor, customOp, gradcheck } from '@nabla/core';
import type { BackpropNetwork } from './backprop.ts';
import { Network } from './network.ts';
import { type NetworkCase, buildCase, describeCase, expectSameTensors } from './network.arbitrary.ts';

/** A route to ∂C/∂w^l and ∂C/∂b^l by the δ equations (`backprop`, or a mutant of it). */
export type Reference = (net: BackpropNetwork, X: Tensor, Y: Tensor) => { nablaW: Tensor[]; nablaB: Tensor[]; zs?: Tensor[] };

/** Largest relative error (per tensor, see `relativeError`) between two float64 routes. */
export const SAME_ROUTE_TOL = 1e-10;

/**
 * Property (a): `net.gradients` (autodiff) = the reference, relative error ≤ 1e-10 per tensor.
 * @param cases - the networks to try
 * @param reference - the δ-equation route under test
 */
export function autodiffAgreesWith(cases: fc.Arbitrary<NetworkCase>, reference: Reference): fc.IPropertyWithHooks<[NetworkCase]> {
  return fc.property(cases, (c) => {
    const { net, X, Y } = buildCase(c);
    const byGraph = net.gradients(X, Y);
    const byEquations = reference(net, X, Y);
    expectSameTensors('nablaW', byGraph.nablaW, byEquations.nablaW, SAME_ROUTE_TOL, c);
    expectSameTensors('nablaB', byGraph.nablaB, byEquations.nablaB, SAME_ROUTE_TOL, c);
  });
}

/**
 * The network of a case with the given parameters (weights first, then biases) instead of seeded ones.
 * @param c - the case whose sizes, activations and cost are used
 * @param params - w^1 … w^L, then b^1 … b^L
 */
export function networkWith(c: NetworkCase, params: readonly Tensor[]): Network {
  const L = c.sizes.length - 1;
  const layers = Array.from({ length: L }, (_, l) => ({ weight: params[l]!, bias: params[L + l]! }));
  return new Network(c.sizes, { activation: c.activation, outputActivation: c.outputActivation, cost: c.cost, params: layers });
}

/** The worst element of a gradcheck report, naming the parameter (w^l or b^l). */
function worstOf(report: GradcheckReport, L: number): string {
  const w = report.worst;
  if (w === null) return 'nothing checked';
  const name = w.input < L ? `w^${w.input + 1}` : `b^${w.input - L + 1}`;
  return `worst ${name}[${w.index.join(',')}]: analytic ${w.analytic}, numeric ${w.numeric} (max abs error ${report.maxAbsError.toExponential(2)})`;
}

/**
 * True when some z is within `margin` of relu's kink at 0 (finite differences would straddle it).
 * @param c - the case (only relu cases can be near a kink)
 * @param zs - the weighted inputs z^l of a forward pass
 * @param margin - distance from 0 counted as near (default 1e-4)
 */
export function nearKink(c: NetworkCase, zs: readonly Tensor[], margin = 1e-4): boolean {
  if (c.activation !== 'relu' && c.outputActivation !== 'relu') return false;
  return zs.some((z) => z.data.some((v) => Math.abs(v) < margin));
}

/**
 * Tolerance of the finite-difference checks: |analytic − numeric| ≤ 1e-6·|numeric| +
 * 1e-8·max(1, |C|), with eps = 1e-6 (see backprop.prop.test.ts for why).
 * @param cost - C at the point checked
 */
export function finiteDifferenceOptions(cost: number): { eps: number; rtol: number; atol: number } {
  return { eps: 1e-6, rtol: 1e-6, atol: 1e-8 * Math.max(1, Math.abs(cost)) };
}

/**
 * Checks the gradient of C(w, b) that `route` gives against central differences of C (core's
 * `gradcheck`), throwing a message that names the route, the worst parameter and the network.
 * @param c - the case
 * @param route - `'autodiff'`, or a δ-equation reference
 * @param X - inputs
 * @param Y - targets
 * @param net - the case's network (its parameters are the point checked)
 */
export function checkAgainstFiniteDifferences(c: NetworkCase, route: 'autodiff' | Reference, X: Tensor, Y: Tensor, net: Network): void {
  const params = [...net.weights, ...net.biases];
  const options = finiteDifferenceOptions(net.gradients(X, Y).cost);
  const loss = (...p: Tensor[]): Tensor => networkWith(c, p).loss(X, Y);
  let f = loss;
  if (route !== 'autodiff') {
    // The same C, whose backward rule is the reference: gradcheck then compares the
    // reference's gradient with the finite differences of C.
    const viaReference = customOp({
      name: 'deltaEquationLoss',
      forward: loss,
      backward: (g, { inputs }) => {
        const r = route(networkWith(c, inputs), X, Y);
        return [...r.nablaW, ...r.nablaB].map((t) => t.mul(g));
      },
    });
    f = (...p) => viaReference(...p);
  }
  const report = gradcheck(f, params, options);
  if (!report.ok) {
    const name = route === 'autodiff' ? 'autodiff' : 'δ equations';
    throw new Error(`${name} vs finite differences: ${worstOf(report, c.sizes.length - 1)}, on ${describeCase(c)}`);
  }
}

/**
 * Property (b) for one route: its gradient = central finite differences of C. Cases with a
 * relu input within 1e-4 of the kink are rejected (`fc.pre`).
 * @param cases - the networks to try
 * @param route - `'autodiff'`, or a δ-equation reference
 * @param onChecked - called with each case that was checked (not rejected), for coverage counts
 */
export function finiteDifferencesAgreeWith(
  cases: fc.Arbitrary<NetworkCase>,
  route: 'autodiff' | Reference,
  onChecked: (c: NetworkCase) => void = () => {},
): fc.IPropertyWithHooks<[NetworkCase]> {
  return fc.property(cases, (c) => {
    const { net, X, Y } = buildCase(c);
    fc.pre(!nearKink(c, net.trace(X).zs));
    checkAgainstFiniteDifferences(c, route, X, Y, net);
    onChecked(c);
  });
}
