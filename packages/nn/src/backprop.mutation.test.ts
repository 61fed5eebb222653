/**
 * The tests have teeth: the classic slips of a hand-written backprop, injected one at a time
 * into a copy of the reference (backprop.mutants.ts), must each make the properties of
 * backprop.prop.test.ts fail — the same property functions, run with `fc.check` so the failure
 * is a value to inspect rather than a thrown error — and the faithful copy must pass them.
 *
 * The networks here have all layers of one width n (`square`), so every slip still runs and
 * produces wrong numbers instead of a shape error: wᵀ and w have the same shape, z^l and z^L
 * too. A second check runs each slip on the general (non-square) networks as well, where a
 * thrown shape error or a NaN also counts as caught.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backprop } from './backprop.ts';
import { type Slip, SLIPS, backpropWithSlip } from './backprop.mutants.ts';
import { type Reference, autodiffAgreesWith, finiteDifferencesAgreeWith } from './backprop.properties.ts';
import { type NetworkCase, buildCase, networkCaseArb, nnPropertyConfig } from './network.arbitrary.ts';

const square = networkCaseArb({ square: true });
const general = networkCaseArb();

const mutant =
  (slip: Slip): Reference =>
  (net, X, Y) =>
    backpropWithSlip(net, X, Y, slip);

/** Runs a property without throwing; the result says whether it failed and on what. */
function run(property: fc.IPropertyWithHooks<[NetworkCase]>, numRuns = 100): fc.RunDetails<[NetworkCase]> {
  return fc.check(property, nnPropertyConfig(numRuns));
}

/** The failure report fast-check prints for a failed run (counterexample, shrinks, error). */
function report(details: fc.RunDetails<[NetworkCase]>): string {
  return fc.defaultReportMessage(details) ?? '';
}

describe('the faithful copy of the reference', () => {
  it('equals backprop exactly (same arithmetic in the same order)', () => {
    fc.assert(
      fc.property(general, (c) => {
        const { net, X, Y } = buildCase(c);
        const a = backprop(net, X, Y);
        const b = backpropWithSlip(net, X, Y, 'none');
        a.nablaW.forEach((w, l) => expect(Array.from(b.nablaW[l]!.data)).toEqual(Array.from(w.data)));
        a.nablaB.forEach((v, l) => expect(Array.from(b.nablaB[l]!.data)).toEqual(Array.from(v.data)));
        a.deltas.forEach((d, l) => expect(Array.from(b.deltas[l]!.data)).toEqual(Array.from(d.data)));
      }),
      nnPropertyConfig(50),
    );
  });

  it('passes autodiff = reference on square and general networks', () => {
    expect(run(autodiffAgreesWith(square, mutant('none'))).failed).toBe(false);
    expect(run(autodiffAgreesWith(general, mutant('none'))).failed).toBe(false);
  });

  it('passes reference = finite differences on square networks', () => {
    expect(run(finiteDifferencesAgreeWith(square, mutant('none')), 40).failed).toBe(false);
  });
});

describe.each(SLIPS)('slip %s', (slip) => {
  it('is caught by autodiff = reference on square networks, with wrong numbers, shrunk and shown', () => {
    const details = run(autodiffAgreesWith(square, mutant(slip)));
    expect(details.failed).toBe(true);
    expect(details.counterexample).not.toBeNull();
    const [c] = details.counterexample!;
    const message = report(details);
    // The counterexample is the network record, printed in the report...
    expect(message).toContain(`"sizes":[${c.sizes.join(',')}]`);
    expect(message).toContain(`"m":${c.m}`);
    // ...and the error is a numeric disagreement on that network, not a crash.
    expect(details.errorInstance).toBeInstanceOf(Error);
    expect((details.errorInstance as Error).message).toMatch(/^nabla[WB]\[\d+\]: relative error \S+ > 1e-10, on network \[/);
    expect((details.errorInstance as Error).message).toContain(`network [${c.sizes.join(',')}]`);
  });

  it('is caught by autodiff = reference on general networks too', () => {
    expect(run(autodiffAgreesWith(general, mutant(slip))).failed).toBe(true);
  });

  it('is caught by reference = finite differences', () => {
    const details = run(finiteDifferencesAgreeWith(square, mutant(slip)), 60);
    expect(details.failed).toBe(true);
    expect((details.errorInstance as Error).message).toMatch(/^δ equations vs finite differences: worst [wb]\^\d+/);
  });
});

describe('the counterexamples shrink to small networks', () => {
  it.each(SLIPS)('%s: at most 3 weight layers, and a batch of 1 unless the slip needs more', (slip) => {
    const details = run(autodiffAgreesWith(square, mutant(slip)));
    const [c] = details.counterexample!;
    expect(c.sizes.length - 1).toBeLessThanOrEqual(3);
    if (slip === 'noBatchSum') expect(c.m).toBe(2);
    else expect(c.m).toBe(1);
  });
});
