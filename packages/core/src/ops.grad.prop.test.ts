/**
 * One gradcheck property per op: random shapes and values, float64, central differences with
 * eps = 1e-6, comparing autodiff against finite differences of the same function.
 *
 * Tolerance (TOL): |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric|.
 * Why: the central difference has truncation error ≈ eps²·|f'''|/6 ≈ 1e-13 for our value ranges,
 * and round-off error ≈ 2·ε_mach·|F| / (2·eps) ≈ 1e-10·|F|, where F is the scalar being
 * differentiated (the output projected on the random cotangent, |F| ≲ 100 here) — so at most
 * ~1e-8 absolute, well under atol = 1e-7. rtol = 1e-6 is the usual bound for float64 central
 * differences at eps = 1e-6 (CONVENTIONS.md). A wrong rule is off by O(|gradient|), i.e. by
 * orders of magnitude more than these bounds.
 *
 * Kinks (relu, abs at 0) are avoided with `avoid: [0]`; max gets distinct values (gaps ≥ 0.1),
 * so no finite-difference step straddles a kink or a tie.
 */
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import {
  type Shape,
  type Tensor,
  add,
  broadcastShapes,
  customOp,
  div,
  fromData,
  logSoftmax,
  matmul,
  matmulT,
  mul,
  sizeOf,
  softmax,
  sub,
  sumTo,
  transpose,
  where,
} from './index.ts';
import { broadcastPairArb, gradcheckProperty, propertyConfig, shapeArb, tensorArb } from './testing/index.ts';

const TOL = { rtol: 1e-6, atol: 1e-7 };

/** One random shape, as the one-element shape list a unary gradcheck property takes. */
const unary = (options: Parameters<typeof shapeArb>[0] = {}): fc.Arbitrary<readonly Shape[]> => shapeArb(options).map((s) => [s]);

/** Runs a gradcheck property with the fixed seed of the suite. */
function check(property: fc.IProperty<[Tensor[]]>, numRuns = 40): void {
  fc.assert(property, propertyConfig({ numRuns }));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** An axis argument valid for a tensor of this rank: undefined, one axis (maybe negative), or a list. */
function axisArb(rank: number): fc.Arbitrary<number | number[] | undefined> {
  const list = fc
    .subarray(range(rank))
    .chain((axes) => fc.tuple(...axes.map(() => fc.boolean())).map((negs) => axes.map((a, i) => (negs[i] ? a - rank : a))));
  if (rank === 0) return fc.oneof(fc.constant(undefined), list);
  return fc.oneof(fc.constant(undefined), fc.integer({ min: -rank, max: rank - 1 }), list);
}

/**
 * A tensor whose values are pairwise at least 0.1 apart (a shuffled ladder with jitter), so the
 * maximum along any axis is unique and stays unique under a 1e-6 perturbation.
 */
function distinctTensorArb(shape: Shape): fc.Arbitrary<Tensor> {
  const n = sizeOf(shape);
  return fc
    .tuple(
      fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
      fc.array(fc.double({ min: -0.2, max: 0.2, noNaN: true }), { minLength: n, maxLength: n }),
    )
    .map(([perm, jitter]) => fromData(Float64Array.from(perm, (p, i) => 0.5 * p - 0.25 * n + jitter[i]!), shape));
}

describe('gradcheck property: broadcasting binary ops', () => {
  it('add, over broadcasting shape pairs', () => {
    check(gradcheckProperty((a, b) => add(a!, b!), broadcastPairArb(), TOL));
  });

  it('sub, over broadcasting shape pairs', () => {
    check(gradcheckProperty((a, b) => sub(a!, b!), broadcastPairArb(), TOL));
  });

  it('mul, over broadcasting shape pairs', () => {
    check(gradcheckProperty((a, b) => mul(a!, b!), broadcastPairArb(), TOL));
  });

  it('div, over broadcasting shape pairs (divisor kept away from 0)', () => {
    // Both operands share one value range, so keep all values in [0.5, 2] or [-2, -0.5].
    check(gradcheckProperty((a, b) => div(a!, b!), broadcastPairArb(), { ...TOL, min: -2, max: 2, avoid: [0], margin: 0.5 }));
  });

  it('add, sub, mul, div with a number operand on either side', () => {
    const f = (x: Tensor): Tensor => add(x, 2.5).add(sub(1.5, x)).add(mul(3, x).mul(-0.5)).add(div(x, 4)).add(div(2, x)).add(sub(x, 0.25));
    check(gradcheckProperty(f, unary(), { ...TOL, avoid: [0], margin: 0.3 }));
  });
});

describe('gradcheck property: elementwise unary ops', () => {
  it('neg', () => {
    check(gradcheckProperty((x) => x!.neg(), unary(), TOL));
  });

  it('exp', () => {
    check(gradcheckProperty((x) => x!.exp(), unary(), TOL));
  });

  it('log, on positive inputs', () => {
    check(gradcheckProperty((x) => x!.log(), unary(), { ...TOL, min: 0.2, max: 5 }));
  });

  it('sqrt, on positive inputs', () => {
    check(gradcheckProperty((x) => x!.sqrt(), unary(), { ...TOL, min: 0.2, max: 5 }));
  });

  it('abs, away from the kink at 0', () => {
    check(gradcheckProperty((x) => x!.abs(), unary(), { ...TOL, avoid: [0] }));
  });

  it('relu, away from the kink at 0', () => {
    check(gradcheckProperty((x) => x!.relu(), unary(), { ...TOL, avoid: [0] }));
  });

  it('square', () => {
    check(gradcheckProperty((x) => x!.square(), unary(), TOL));
  });

  for (const p of [2, 3, 1, 0]) {
    it(`pow(${p}) on any sign`, () => {
      check(gradcheckProperty((x) => x!.pow(p), unary(), { ...TOL, avoid: [0], margin: 0.1 }), 25);
    });
  }

  for (const p of [-1, -2, 0.5, 1.5, -0.5, 2.7]) {
    it(`pow(${p}) on positive inputs`, () => {
      check(gradcheckProperty((x) => x!.pow(p), unary(), { ...TOL, min: 0.3, max: 3 }), 25);
    });
  }

  it('sigmoid, on moderate values', () => {
    check(gradcheckProperty((x) => x!.sigmoid(), unary(), { ...TOL, min: -6, max: 6 }));
  });

  it('sigmoid, on large |x| (stable branch for negative x)', () => {
    check(gradcheckProperty((x) => x!.sigmoid(), unary(), { ...TOL, min: -60, max: 60 }));
  });

  it('softplus, including large |x|', () => {
    check(gradcheckProperty((x) => x!.softplus(), unary(), { ...TOL, min: -40, max: 40 }));
  });

  it('tanh', () => {
    check(gradcheckProperty((x) => x!.tanh(), unary(), { ...TOL, min: -4, max: 4 }));
  });
});

describe('gradcheck property: linear algebra and shape ops', () => {
  it('matmul, random M, K, N', () => {
    const shapes = fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
      .map(([m, k, n]): readonly Shape[] => [
        [m, k],
        [k, n],
      ]);
    check(gradcheckProperty((a, b) => matmul(a!, b!), shapes, TOL));
  });

  it('transpose', () => {
    check(gradcheckProperty((x) => x!.transpose(), unary({ minRank: 2, maxRank: 2, maxDim: 5 }), TOL));
  });

  it('reshape, to a reversed shape, a flat shape, and with -1 in any position', () => {
    const cases = shapeArb({ maxRank: 3 }).chain((s) =>
      fc.tuple(tensorArb(s), fc.integer({ min: 0, max: Math.max(0, s.length - 1) }), fc.constantFrom('reversed', 'flat', 'inferred')),
    );
    fc.assert(
      fc.property(cases, ([x, at, kind]) => {
        let target: number[] = [...x.shape].reverse();
        if (kind === 'flat') target = [x.size];
        if (kind === 'inferred' && target.length > 0) target[at] = -1;
        // reshape's output shares its input's storage; gradcheck must cope with that.
        expect((t: Tensor) => t.reshape(target)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  it('broadcastTo, from either shape of a broadcasting pair to their broadcast shape', () => {
    const cases = broadcastPairArb().chain(([a, b]) => fc.tuple(fc.constant(broadcastShapes(a, b, 'test')), fc.constantFrom(a, b)));
    fc.assert(
      fc.property(
        cases.chain(([target, from]) => fc.tuple(fc.constant(target), tensorArb(from))),
        ([target, x]) => {
          expect((t: Tensor) => t.broadcastTo(target)).toPassGradcheck([x], TOL);
        },
      ),
      propertyConfig(),
    );
  });
});

describe('gradcheck property: reductions', () => {
  const withAxis = shapeArb().chain((s) => fc.tuple(tensorArb(s), axisArb(s.length), fc.boolean()));

  it('sum, over no axis / one axis / a list of axes, keepDims both ways', () => {
    fc.assert(
      fc.property(withAxis, ([x, axis, keepDims]) => {
        expect((t: Tensor) => t.sum(axis, keepDims)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  it('mean, over no axis / one axis / a list of axes, keepDims both ways', () => {
    fc.assert(
      fc.property(withAxis, ([x, axis, keepDims]) => {
        expect((t: Tensor) => t.mean(axis, keepDims)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  it('max, over distinct values (no ties), any axes, keepDims both ways', () => {
    const cases = shapeArb().chain((s) => fc.tuple(distinctTensorArb(s), axisArb(s.length), fc.boolean()));
    fc.assert(
      fc.property(cases, ([x, axis, keepDims]) => {
        expect((t: Tensor) => t.max(axis, keepDims)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  const withOneAxis = shapeArb({ minRank: 1 }).chain((s) =>
    fc.tuple(tensorArb(s, { min: -4, max: 4 }), fc.integer({ min: -s.length, max: s.length - 1 })),
  );

  it('softmax, along a random axis', () => {
    fc.assert(
      fc.property(withOneAxis, ([x, axis]) => {
        expect((t: Tensor) => softmax(t, axis)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  it('logSoftmax, along a random axis', () => {
    fc.assert(
      fc.property(withOneAxis, ([x, axis]) => {
        expect((t: Tensor) => logSoftmax(t, axis)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });
});

describe('gradcheck property: customOp', () => {
  // softplus(x) = log(1 + e^x); d/dx = σ(x). The forward deliberately uses other ops than the
  // backward, so a mistake in either shows up.
  const softplus = customOp({
    name: 'softplus',
    forward: (x) => x!.exp().add(1).log(),
    backward: (g, { inputs: [x] }) => [g.mul(x!.sigmoid())],
  });
  // A two-input op with broadcasting left to the user: f(a, b) = a·b + a (same shapes).
  const fma = customOp({
    name: 'mulAddSelf',
    forward: (a, b) => a!.mul(b!).add(a!),
    backward: (g, { inputs: [a, b] }) => [g.mul(b!.add(1)), g.mul(a!)],
  });

  it('a one-input custom op (softplus) inside a larger expression', () => {
    check(gradcheckProperty((x) => softplus(x!.mul(2)).square(), unary(), TOL));
  });

  it('a two-input custom op', () => {
    check(gradcheckProperty((a, b) => fma(a!, b!), shapeArb().map((s) => [s, s]), TOL));
  });
});

describe('gradcheck property: every rule adds into a gradient other rules also feed', () => {
  // Each case uses x both inside the op under test and around it (f(x)·x + x), so x's gradient
  // buffer receives contributions from several rules; a rule that overwrote instead of adding
  // would drop the others' share.
  const cases: [string, (x: Tensor) => Tensor, { min?: number; max?: number; avoid?: number[] }][] = [
    ['neg', (x) => x.neg(), {}],
    ['exp', (x) => x.exp(), {}],
    ['log', (x) => x.log(), { min: 0.2, max: 3 }],
    ['abs', (x) => x.abs(), { avoid: [0] }],
    ['pow(2)', (x) => x.pow(2), {}],
    ['pow(-1.5)', (x) => x.pow(-1.5), { min: 0.3, max: 3 }],
    ['sigmoid', (x) => x.sigmoid(), {}],
    ['softplus', (x) => x.softplus(), {}],
    ['relu', (x) => x.relu(), { avoid: [0] }],
    ['tanh', (x) => x.tanh(), {}],
    ['add (x + x)', (x) => x.add(x), {}],
    ['mul (x · x)', (x) => x.mul(x), {}],
    ['reshape', (x) => x.reshape([-1]).reshape(x.shape), {}],
    ['sum, keepDims', (x) => x.sum(-1, true), {}],
    ['max, keepDims', (x) => x.max(-1, true), {}],
    ['broadcastTo', (x) => x.sum(0, true).broadcastTo(x.shape), {}],
    ['transpose', (x) => x.transpose().transpose(), {}],
    ['matmul (x @ xᵀ @ x)', (x) => x.matmul(x.transpose()).matmul(x), {}],
  ];
  for (const [name, f, options] of cases) {
    it(name, () => {
      // max needs distinct values; the others any values in their domain.
      const arb = name.startsWith('max')
        ? shapeArb({ minRank: 2, maxRank: 2 }).chain((s) => distinctTensorArb(s))
        : shapeArb({ minRank: 2, maxRank: 2 }).chain((s) => tensorArb(s, { min: -2, max: 2, ...options }));
      fc.assert(
        fc.property(arb, (x) => {
          expect((t: Tensor) => f(t).mul(t).add(t)).toPassGradcheck([x], TOL);
        }),
        propertyConfig({ numRuns: 15 }),
      );
    });
  }

  it('matmul with both operands also used elsewhere', () => {
    const shapes = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
      .map(([m, k, n]): readonly Shape[] => [
        [m, k],
        [k, n],
      ]);
    check(gradcheckProperty((a, b) => a!.matmul(b!).add(a!.sum(1, true)).mul(b!.sum(0, true)).add(a!.matmul(b!.exp())), shapes, TOL), 25);
  });
});

describe('gradcheck property: the primitives the rules are written in', () => {
  it('matmulT, every combination of transposed operands', () => {
    const cases = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean())
      .chain(([m, k, n, ta, tb]) => fc.tuple(tensorArb(ta ? [k, m] : [m, k]), tensorArb(tb ? [n, k] : [k, n]), fc.constant(ta), fc.constant(tb)));
    fc.assert(
      fc.property(cases, ([a, b, ta, tb]) => {
        expect((x: Tensor, y: Tensor) => matmulT(x, y, ta, tb)).toPassGradcheck([a, b], TOL);
      }),
      propertyConfig(),
    );
  });

  it('transpose with a random permutation, any rank', () => {
    const cases = shapeArb({ maxRank: 4 }).chain((s) => fc.tuple(tensorArb(s), fc.shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length })));
    fc.assert(
      fc.property(cases, ([x, perm]) => {
        expect((t: Tensor) => transpose(t, perm)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  it('sumTo, from a broadcast shape to an operand shape', () => {
    const cases = broadcastPairArb().chain(([a, b]) => fc.tuple(tensorArb(broadcastShapes(a, b, 'test')), fc.constant(b)));
    fc.assert(
      fc.property(cases, ([x, to]) => {
        expect((t: Tensor) => sumTo(t, to)).toPassGradcheck([x], TOL);
      }),
      propertyConfig(),
    );
  });

  it('where, with a random mask broadcast against both branches', () => {
    const cases = broadcastPairArb().chain(([a, b]) =>
      fc.tuple(
        tensorArb(a),
        tensorArb(b),
        fc.array(fc.boolean(), { minLength: sizeOf(b), maxLength: sizeOf(b) }).map((bits) => fromData(Float64Array.from(bits, Number), b)),
      ),
    );
    fc.assert(
      fc.property(cases, ([x, y, mask]) => {
        expect((p: Tensor, q: Tensor) => where(mask, p, q)).toPassGradcheck([x, y], TOL);
      }),
      propertyConfig(),
    );
  });
});
