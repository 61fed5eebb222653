/**
 * One gradgradcheck property per primitive and per composed op: random shapes and values,
 * float64. gradgradcheck differentiates `(x…, u) ↦ Σ ⟨∂⟨f(x), u⟩/∂x_i, v_i⟩` (the first-order
 * backward pass with a random cotangent u, projected on random directions v) by autodiff, and
 * compares with central differences of that analytic first derivative, with respect to every
 * input and to u.
 *
 * Tolerance (TOL): |analytic − numeric| ≤ 1e-6 + 1e-5·|numeric|.
 * Why: the differenced function is now a first derivative, itself computed by a backward pass,
 * whose round-off (≈ 1e-15·|F| per op, over a few dozen ops) divided by 2·eps = 2e-6 gives
 * ≈ 1e-8 for |F| ≲ 100; truncation ≈ eps²·|F'''|/6 stays below 1e-10. A rule that is wrong at
 * second order (a mask treated as differentiable, a derivative read from a detached value)
 * is off by O(|second derivative|), orders of magnitude more.
 *
 * Kinks (relu, abs at 0) are avoided; max gets distinct values, so no step straddles a tie.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
import { reluGrad, sigmoidGrad, tanhGrad } from './ops.ts';
import { broadcastPairArb, gradcheckProperty, gradgradcheckProperty, propertyConfig, shapeArb, tensorArb } from './testing/index.ts';

const TOL = { rtol: 1e-5, atol: 1e-6 };

/** Small shapes: gradgradcheck runs two backward passes per perturbed element. */
const small = { maxRank: 3, maxDim: 3 };
const unary = (options: Parameters<typeof shapeArb>[0] = {}): fc.Arbitrary<readonly Shape[]> => shapeArb({ ...small, ...options }).map((s) => [s]);

function check(property: fc.IProperty<[Tensor[]]>, numRuns = 15): void {
  fc.assert(property, propertyConfig({ numRuns }));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Values pairwise ≥ 0.1 apart, so every maximum is unique under a 1e-6 step. */
function distinctTensorArb(shape: Shape): fc.Arbitrary<Tensor> {
  const n = sizeOf(shape);
  return fc
    .tuple(
      fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
      fc.array(fc.double({ min: -0.2, max: 0.2, noNaN: true }), { minLength: n, maxLength: n }),
    )
    .map(([perm, jitter]) => fromData(Float64Array.from(perm, (p, i) => 0.5 * p - 0.25 * n + jitter[i]!), shape));
}

const pairs = broadcastPairArb({ ...small });

describe('gradgradcheck property: broadcasting binary ops', () => {
  it('add', () => check(gradgradcheckProperty((a, b) => add(a!, b!), pairs, TOL)));
  it('sub', () => check(gradgradcheckProperty((a, b) => sub(a!, b!), pairs, TOL)));
  it('mul', () => check(gradgradcheckProperty((a, b) => mul(a!, b!), pairs, TOL)));
  it('div (divisor away from 0)', () => {
    check(gradgradcheckProperty((a, b) => div(a!, b!), pairs, { ...TOL, min: -2, max: 2, avoid: [0], margin: 0.5 }));
  });
});

describe('gradgradcheck property: elementwise unary ops', () => {
  const cases: [string, (x: Tensor) => Tensor, { min?: number; max?: number; avoid?: number[]; margin?: number }][] = [
    ['neg', (x) => x.neg(), {}],
    ['exp', (x) => x.exp(), { min: -2, max: 2 }],
    ['log', (x) => x.log(), { min: 0.3, max: 4 }],
    ['sqrt', (x) => x.sqrt(), { min: 0.3, max: 4 }],
    ['abs (away from 0)', (x) => x.abs(), { avoid: [0], margin: 0.1 }],
    ['relu (away from 0)', (x) => x.relu(), { avoid: [0], margin: 0.1 }],
    ['square', (x) => x.square(), {}],
    ['pow(3)', (x) => x.pow(3), {}],
    ['pow(1)', (x) => x.pow(1), {}],
    ['pow(0)', (x) => x.pow(0), {}],
    ['pow(-1.5), positive inputs', (x) => x.pow(-1.5), { min: 0.4, max: 3 }],
    ['pow(2.7), positive inputs', (x) => x.pow(2.7), { min: 0.4, max: 3 }],
    ['sigmoid', (x) => x.sigmoid(), { min: -6, max: 6 }],
    ['softplus', (x) => x.softplus(), { min: -8, max: 8 }],
    ['tanh', (x) => x.tanh(), { min: -3, max: 3 }],
  ];
  for (const [name, f, options] of cases) {
    it(name, () => check(gradgradcheckProperty((x) => f(x!), unary(), { ...TOL, ...options })));
  }
});

describe('gradgradcheck property: linear algebra, shapes and selection', () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }));

  it('matmul', () => {
    const shapes = dims.map(([m, k, n]): readonly Shape[] => [
      [m, k],
      [k, n],
    ]);
    check(gradgradcheckProperty((a, b) => matmul(a!, b!), shapes, TOL));
  });

  it('matmulT, every combination of transposed operands', () => {
    const cases = fc
      .tuple(dims, fc.boolean(), fc.boolean())
      .chain(([[m, k, n], ta, tb]) => fc.tuple(tensorArb(ta ? [k, m] : [m, k]), tensorArb(tb ? [n, k] : [k, n]), fc.constant(ta), fc.constant(tb)));
    fc.assert(
      fc.property(cases, ([a, b, ta, tb]) => {
        expect((x: Tensor, y: Tensor) => matmulT(x, y, ta, tb)).toPassGradgradcheck([a, b], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });

  it('transpose with a random permutation', () => {
    const cases = shapeArb({ ...small, minRank: 1 }).chain((s) =>
      fc.tuple(tensorArb(s), fc.shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length })),
    );
    fc.assert(
      fc.property(cases, ([x, perm]) => {
        expect((t: Tensor) => transpose(t, perm).mul(transpose(t, perm))).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });

  it('reshape and broadcastTo', () => {
    const cases = pairs.chain(([a, b]) => fc.tuple(tensorArb(a), fc.constant(broadcastShapes(a, b, 'test'))));
    fc.assert(
      fc.property(cases, ([x, target]) => {
        expect((t: Tensor) => t.reshape([-1]).reshape(x.shape).broadcastTo(target).square()).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });

  it('sumTo, from a broadcast shape back to an operand shape', () => {
    const cases = pairs.chain(([a, b]) => fc.tuple(tensorArb(broadcastShapes(a, b, 'test')), fc.constant(b)));
    fc.assert(
      fc.property(cases, ([x, to]) => {
        expect((t: Tensor) => sumTo(t.square(), to)).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });

  it('where, with a random mask broadcast against both branches', () => {
    const cases = pairs.chain(([a, b]) =>
      fc.tuple(tensorArb(a), tensorArb(b), fc.array(fc.boolean(), { minLength: sizeOf(a), maxLength: sizeOf(a) }).map((bits) => fromData(Float64Array.from(bits, Number), a))),
    );
    fc.assert(
      fc.property(cases, ([x, y, mask]) => {
        expect((p: Tensor, q: Tensor) => where(mask, p.square(), q.mul(q))).toPassGradgradcheck([x, y], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });
});

describe('gradgradcheck property: reductions and composed ops', () => {
  const withAxis = shapeArb({ ...small, minRank: 1 }).chain((s) =>
    fc.tuple(tensorArb(s), fc.oneof(fc.constant(undefined), fc.integer({ min: -s.length, max: s.length - 1 })), fc.boolean()),
  );
  const withOneAxis = shapeArb({ ...small, minRank: 1 }).chain((s) => fc.tuple(tensorArb(s, { min: -3, max: 3 }), fc.integer({ min: -s.length, max: s.length - 1 })));

  it('sum and mean (of a square, so the second derivative is not 0)', () => {
    fc.assert(
      fc.property(withAxis, ([x, axis, keepDims]) => {
        expect((t: Tensor) => t.square().sum(axis, keepDims).add(t.square().mean(axis, keepDims))).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });

  it("max over distinct values (of exp, which keeps them distinct), keepDims both ways", () => {
    const cases = shapeArb({ ...small, minRank: 1 }).chain((s) => fc.tuple(distinctTensorArb(s), fc.boolean()));
    fc.assert(
      fc.property(cases, ([x, keepDims]) => {
        expect((t: Tensor) => t.exp().max(-1, keepDims)).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });

  it('softmax and logSoftmax along a random axis', () => {
    fc.assert(
      fc.property(withOneAxis, ([x, axis]) => {
        expect((t: Tensor) => softmax(t, axis)).toPassGradgradcheck([x], TOL);
        expect((t: Tensor) => logSoftmax(t, axis)).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 15 }),
    );
  });
});

describe('the fused rule kernels (sigmoidGrad, tanhGrad, reluGrad): gradcheck and gradgradcheck', () => {
  const same = shapeArb(small).map((s): readonly Shape[] => [s, s]);
  const cases: [string, (y: Tensor, g: Tensor) => Tensor, { min?: number; max?: number; avoid?: number[]; margin?: number }][] = [
    ['sigmoidGrad', sigmoidGrad, { min: 0.05, max: 0.95 }],
    ['tanhGrad', tanhGrad, { min: -0.95, max: 0.95 }],
    ['reluGrad (x away from 0)', reluGrad, { avoid: [0], margin: 0.1 }],
  ];
  for (const [name, f, options] of cases) {
    it(name, () => {
      check(gradcheckProperty((y, g) => f(y!, g!), same, { ...TOL, ...options }));
      check(gradgradcheckProperty((y, g) => f(y!, g!), same, { ...TOL, ...options }));
    });
  }
});

describe('gradgradcheck property: custom ops written in tensor ops', () => {
  const softsign = customOp({
    name: 'softsign',
    forward: (x) => x!.div(x!.abs().add(1)),
    backward: (g, { inputs: [x] }) => [g.div(x!.abs().add(1).square())],
  });
  it('softsign with a tensor-op backward differentiates again', () => {
    check(gradgradcheckProperty((x) => softsign(x!.mul(1.5)), unary(), { ...TOL, avoid: [0], margin: 0.1 }));
  });
});
