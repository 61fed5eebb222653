/**
 * Forward values of the ops against independent, naive implementations over random shapes:
 * index arithmetic done element by element with multi-indices, no strides, no shared helpers
 * from the engine.
 */
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { type Tensor, add, div, equal, fromData, greater, greaterEqual, less, lessEqual, logSoftmax, matmul, matmulT, mul, sign, softmax, sub, sumTo, transpose, where } from './index.ts';
import { broadcastPairArb, propertyConfig, shapeArb, tensorArb } from './testing/index.ts';

// ---------------------------------------------------------------------------------------------
// Naive reference implementations

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + idx[d]!;
  return flat;
}

function count(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** NumPy's broadcast shape, written out longhand. */
function naiveBroadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...new Array<number>(rank - a.length).fill(1), ...a];
  const pb = [...new Array<number>(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => Math.max(d, pb[i]!));
}

/** The element of `t` that lands at output index `outIdx` when `t` is broadcast. */
function broadcastRead(t: Tensor, outIdx: readonly number[]): number {
  const lead = outIdx.length - t.rank;
  const idx = t.shape.map((d, i) => (d === 1 ? 0 : outIdx[lead + i]!));
  return t.data[ravel(idx, t.shape)]!;
}

function naiveBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; data: number[] } {
  const shape = naiveBroadcastShape(a.shape, b.shape);
  const data: number[] = [];
  for (let k = 0; k < count(shape); k++) {
    const idx = unravel(k, shape);
    data.push(f(broadcastRead(a, idx), broadcastRead(b, idx)));
  }
  return { shape, data };
}

/** Reduces over `axes` by visiting every input element and folding it into its output slot. */
function naiveReduce(
  x: Tensor,
  axes: readonly number[],
  keepDims: boolean,
  init: number,
  f: (acc: number, v: number) => number,
): { shape: number[]; data: number[] } {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Array<number>(count(keptShape)).fill(init);
  for (let k = 0; k < x.size; k++) {
    const idx = unravel(k, x.shape).map((v, i) => (axes.includes(i) ? 0 : v));
    const o = ravel(idx, keptShape);
    out[o] = f(out[o]!, x.data[k]!);
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: out };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A tensor with a valid axis argument and the normalized axis list it means. */
const reductionCase = shapeArb().chain((s) => {
  const rank = s.length;
  const spec: fc.Arbitrary<{ arg: number | number[] | undefined; axes: number[] }> = fc.oneof(
    fc.constant({ arg: undefined, axes: range(rank) }),
    fc.subarray(range(rank)).map((axes) => ({ arg: axes.map((a) => (a % 2 === 0 ? a - rank : a)), axes })),
    ...(rank > 0 ? [fc.integer({ min: 0, max: rank - 1 }).map((a) => ({ arg: a - rank, axes: [a] }))] : []),
  );
  return fc.tuple(tensorArb(s, { min: -10, max: 10 }), spec, fc.boolean());
});

// ---------------------------------------------------------------------------------------------

describe('broadcasting binary ops match a naive element-by-element implementation', () => {
  const pairs = broadcastPairArb({ maxRank: 4 }).chain(([a, b]) => fc.tuple(tensorArb(a), tensorArb(b, { avoid: [0], margin: 0.1 })));
  const cases: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', add, (x, y) => x + y],
    ['sub', sub, (x, y) => x - y],
    ['mul', mul, (x, y) => x * y],
    ['div', div, (x, y) => x / y],
  ];
  for (const [name, op, f] of cases) {
    it(`${name}`, () => {
      fc.assert(
        fc.property(pairs, ([a, b]) => {
          const expected = naiveBinary(a, b, f);
          const got = op(a, b);
          expect(got.shape).toEqual(expected.shape);
          // div is a·b⁻¹ inside, one extra rounding: allow a couple of ulps.
          expect(got.data).toBeAllclose(expected.data, { rtol: 1e-14, atol: 0 });
        }),
        propertyConfig(),
      );
    });
  }

  it('is symmetric in the order of the operands for add and mul', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        expect(add(a, b)).toBeAllclose(add(b, a), { rtol: 0 });
        expect(mul(a, b)).toBeAllclose(mul(b, a), { rtol: 0 });
      }),
      propertyConfig(),
    );
  });
});

describe('broadcastTo matches a naive gather', () => {
  it('every output element is the input element at the broadcast index', () => {
    const cases = broadcastPairArb({ maxRank: 4 }).chain(([a, b]) => fc.tuple(tensorArb(a), fc.constant(naiveBroadcastShape(a, b))));
    fc.assert(
      fc.property(cases, ([x, target]) => {
        const y = x.broadcastTo(target);
        expect(y.shape).toEqual(target);
        const expected = range(count(target)).map((k) => broadcastRead(x, unravel(k, target)));
        expect(y.data).toBeAllclose(expected, { rtol: 0 });
      }),
      propertyConfig(),
    );
  });
});

describe('reductions match naive loops over every element', () => {
  it('sum over any axes, keepDims both ways', () => {
    fc.assert(
      fc.property(reductionCase, ([x, { arg, axes }, keepDims]) => {
        const expected = naiveReduce(x, axes, keepDims, 0, (acc, v) => acc + v);
        const got = x.sum(arg, keepDims);
        expect(got.shape).toEqual(expected.shape);
        // Summation order may differ from the naive loop's: a few ulps of the magnitudes summed.
        expect(got.data).toBeAllclose(expected.data, { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig(),
    );
  });

  it('max over any axes, keepDims both ways', () => {
    fc.assert(
      fc.property(reductionCase, ([x, { arg, axes }, keepDims]) => {
        const expected = naiveReduce(x, axes, keepDims, -Infinity, Math.max);
        const got = x.max(arg, keepDims);
        expect(got.shape).toEqual(expected.shape);
        expect(got.data).toBeAllclose(expected.data, { rtol: 0 });
      }),
      propertyConfig(),
    );
  });

  it('mean over any axes is the naive sum divided by the number of reduced elements', () => {
    fc.assert(
      fc.property(reductionCase, ([x, { arg, axes }, keepDims]) => {
        const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
        const expected = naiveReduce(x, axes, keepDims, 0, (acc, v) => acc + v);
        const got = x.mean(arg, keepDims);
        expect(got.shape).toEqual(expected.shape);
        expect(got.data).toBeAllclose(
          expected.data.map((v) => v / n),
          { rtol: 1e-12, atol: 1e-12 },
        );
      }),
      propertyConfig(),
    );
  });
});

describe('matmul and transpose match naive loops', () => {
  it('matmul equals the triple loop Σ_k A[i,k]·B[k,j]', () => {
    const cases = fc
      .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }))
      .chain(([m, k, n]) => fc.tuple(tensorArb([m, k]), tensorArb([k, n])));
    fc.assert(
      fc.property(cases, ([a, b]) => {
        const [M, K] = a.shape as [number, number];
        const N = b.shape[1]!;
        const expected: number[] = [];
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += a.data[i * K + k]! * b.data[k * N + j]!;
            expected.push(s);
          }
        }
        const got = matmul(a, b);
        expect(got.shape).toEqual([M, N]);
        expect(got.data).toBeAllclose(expected, { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig(),
    );
  });

  it('transpose moves element [i,j] to [j,i]', () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 2, maxRank: 2, maxDim: 6 }).chain((s) => tensorArb(s)),
        (x) => {
          const [R, C] = x.shape as [number, number];
          const y = x.transpose();
          expect(y.shape).toEqual([C, R]);
          for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) expect(y.data[j * R + i]).toBe(x.data[i * C + j]);
        },
      ),
      propertyConfig(),
    );
  });
});

describe('matmulT, N-D transpose, sumTo, where, comparisons and sign match naive loops', () => {
  it('matmulT(a, b, ta, tb) equals the triple loop over op(A)[i,k]·op(B)[k,j]', () => {
    const cases = fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean())
      .chain(([m, k, n, ta, tb]) => fc.tuple(tensorArb(ta ? [k, m] : [m, k]), tensorArb(tb ? [n, k] : [k, n]), fc.constant(ta), fc.constant(tb)));
    fc.assert(
      fc.property(cases, ([a, b, ta, tb]) => {
        const M = ta ? a.shape[1]! : a.shape[0]!;
        const K = ta ? a.shape[0]! : a.shape[1]!;
        const N = tb ? b.shape[0]! : b.shape[1]!;
        const A = (i: number, k: number): number => (ta ? a.data[k * M + i]! : a.data[i * K + k]!);
        const B = (k: number, j: number): number => (tb ? b.data[j * K + k]! : b.data[k * N + j]!);
        const expected: number[] = [];
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let acc = 0;
            for (let k = 0; k < K; k++) acc += A(i, k) * B(k, j);
            expected.push(acc);
          }
        }
        const got = matmulT(a, b, ta, tb);
        expect(got.shape).toEqual([M, N]);
        expect(got.data).toBeAllclose(expected, { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig(),
    );
  });

  it('transpose(x, perm) puts input element idx at output index idx[perm[j]]', () => {
    const cases = shapeArb({ maxRank: 4 }).chain((s) => fc.tuple(tensorArb(s), fc.shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length })));
    fc.assert(
      fc.property(cases, ([x, perm]) => {
        const y = transpose(x, perm);
        expect(y.shape).toEqual(perm.map((p) => x.shape[p]));
        for (let k = 0; k < x.size; k++) {
          const idx = unravel(k, x.shape);
          expect(y.data[ravel(perm.map((p) => idx[p]!), y.shape)]).toBe(x.data[k]);
        }
      }),
      propertyConfig(),
    );
  });

  it('sumTo(x, s) adds every element into the slot it was broadcast from', () => {
    const cases = broadcastPairArb().chain(([a, b]) => fc.tuple(tensorArb(naiveBroadcastShape(a, b)), fc.constant(b)));
    fc.assert(
      fc.property(cases, ([x, to]) => {
        const out = new Array<number>(count(to)).fill(0);
        for (let k = 0; k < x.size; k++) {
          const idx = unravel(k, x.shape);
          const lead = idx.length - to.length;
          out[ravel(to.map((d, i) => (d === 1 ? 0 : idx[lead + i]!)), to)]! += x.data[k]!;
        }
        const got = sumTo(x, to);
        expect(got.shape).toEqual([...to]);
        expect(got.data).toBeAllclose(out, { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig(),
    );
  });

  it('where picks a where the broadcast condition is non-zero, else b', () => {
    const cases = broadcastPairArb().chain(([a, b]) =>
      fc.tuple(tensorArb(a), tensorArb(b), tensorArb(b, { min: -1, max: 1 }).map((c) => greater(c, 0))),
    );
    fc.assert(
      fc.property(cases, ([a, b, c]) => {
        const shape = naiveBroadcastShape(naiveBroadcastShape(c.shape, a.shape), b.shape);
        const expected = Array.from({ length: count(shape) }, (_, k) => {
          const idx = unravel(k, shape);
          return broadcastRead(c, idx) !== 0 ? broadcastRead(a, idx) : broadcastRead(b, idx);
        });
        const got = where(c, a, b);
        expect(got.shape).toEqual(shape);
        expect(Array.from(got.data)).toEqual(expected);
      }),
      propertyConfig(),
    );
  });

  const comparisons: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => boolean][] = [
    ['greater', greater, (x, y) => x > y],
    ['greaterEqual', greaterEqual, (x, y) => x >= y],
    ['less', less, (x, y) => x < y],
    ['lessEqual', lessEqual, (x, y) => x <= y],
    ['equal', equal, (x, y) => x === y],
  ];
  for (const [name, op, f] of comparisons) {
    it(`${name} gives 1 where the comparison holds, else 0, broadcasting; with no gradient`, () => {
      // Integer-valued inputs, so equal and the non-strict comparisons see ties.
      const cases = broadcastPairArb().chain(([a, b]) => fc.tuple(tensorArb(a), tensorArb(b)).map(([x, y]) => [x.mul(2).sign(), y.sign()] as const));
      fc.assert(
        fc.property(cases, ([a, b]) => {
          const expected = naiveBinary(a, b, (x, y) => (f(x, y) ? 1 : 0));
          const got = op(a, b);
          expect(got.shape).toEqual(expected.shape);
          expect(Array.from(got.data)).toEqual(expected.data);
          expect(op(fromData(a.data, a.shape, { requiresGrad: true }), b).requiresGrad).toBe(false);
        }),
        propertyConfig(),
      );
    });
  }

  it('sign is Math.sign on every element', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => tensorArb(s)), (x) => {
        expect(Array.from(sign(x).data)).toEqual(Array.from(x.data, Math.sign));
      }),
      propertyConfig(),
    );
  });
});

describe('reshape keeps the row-major order of the values', () => {
  it('for any target with the same element count, including -1', () => {
    const cases = shapeArb({ maxRank: 4 }).chain((s) => fc.tuple(tensorArb(s), fc.shuffledSubarray(s, { minLength: s.length }), fc.boolean()));
    fc.assert(
      fc.property(cases, ([x, permuted, infer]) => {
        const target = infer && permuted.length > 0 ? [-1, ...permuted.slice(1)] : permuted;
        const y = x.reshape(target);
        expect(y.shape).toEqual(permuted);
        expect(Array.from(y.data)).toEqual(Array.from(x.data));
      }),
      propertyConfig(),
    );
  });
});

describe('softmax and logSoftmax', () => {
  const cases = shapeArb({ minRank: 1, maxRank: 3, maxDim: 5 }).chain((s) =>
    fc.tuple(tensorArb(s, { min: -30, max: 30 }), fc.integer({ min: 0, max: s.length - 1 })),
  );

  it('softmax is positive and sums to 1 along the axis', () => {
    fc.assert(
      fc.property(cases, ([x, axis]) => {
        const y = softmax(x, axis);
        expect(y.shape).toEqual(x.shape);
        for (const v of y.data) expect(v).toBeGreaterThan(0);
        const sums = naiveReduce(y, [axis], false, 0, (a, v) => a + v);
        expect(sums.data).toBeAllclose(
          sums.data.map(() => 1),
          { rtol: 1e-12 },
        );
      }),
      propertyConfig(),
    );
  });

  it('logSoftmax equals x − log Σ exp(x) computed naively along the axis', () => {
    fc.assert(
      fc.property(cases, ([x, axis]) => {
        // |x| ≤ 30 keeps the naive exp from overflowing, so it can serve as the reference.
        const lse = naiveReduce(x, [axis], true, 0, (a, v) => a + Math.exp(v));
        const expected = range(x.size).map((k) => {
          const idx = unravel(k, x.shape);
          idx[axis] = 0;
          return x.data[k]! - Math.log(lse.data[ravel(idx, lse.shape)]!);
        });
        expect(logSoftmax(x, axis).data).toBeAllclose(expected, { rtol: 1e-12, atol: 1e-12 });
        expect(softmax(x, axis).data).toBeAllclose(
          expected.map(Math.exp),
          { rtol: 1e-12, atol: 1e-300 },
        );
      }),
      propertyConfig(),
    );
  });

  it('logSoftmax is invariant to shifting the input by a constant (even a huge one)', () => {
    fc.assert(
      fc.property(cases, fc.constantFrom(-1000, 1000, 1e5), ([x, axis], shift) => {
        expect(logSoftmax(x.add(shift), axis)).toBeAllclose(logSoftmax(x, axis), { rtol: 1e-9, atol: 1e-9 });
      }),
      propertyConfig(),
    );
  });
});

describe('elementwise unary ops match Math.* on every element, any rank', () => {
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number, { min?: number; max?: number }][] = [
    ['neg', (t) => t.neg(), (v) => -v, {}],
    ['exp', (t) => t.exp(), Math.exp, { min: -20, max: 20 }],
    ['log', (t) => t.log(), Math.log, { min: 1e-3, max: 100 }],
    ['sqrt', (t) => t.sqrt(), Math.sqrt, { min: 0, max: 100 }],
    ['abs', (t) => t.abs(), Math.abs, {}],
    ['square', (t) => t.square(), (v) => v * v, {}],
    ['pow(3)', (t) => t.pow(3), (v) => v * v * v, {}],
    ['pow(-1.5)', (t) => t.pow(-1.5), (v) => 1 / (v * Math.sqrt(v)), { min: 0.01, max: 50 }],
    ['relu', (t) => t.relu(), (v) => (v > 0 ? v : 0), {}],
    ['tanh', (t) => t.tanh(), Math.tanh, { min: -10, max: 10 }],
    // log1p(eˣ) is accurate for |x| ≤ 30 and is not the kernel's max(x, 0) + log1p(e^−|x|) form.
    ['softplus', (t) => t.softplus(), (v) => Math.log1p(Math.exp(v)), { min: -30, max: 30 }],
    ['sigmoid', (t) => t.sigmoid(), (v) => 1 / (1 + Math.exp(-v)), { min: -700, max: 700 }],
  ];
  for (const [name, op, f, range] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(
          shapeArb({ maxRank: 4 }).chain((s) => tensorArb(s, { min: -5, max: 5, ...range })),
          (x) => {
            const y = op(x);
            expect(y.shape).toEqual(x.shape);
            expect(y.data).toBeAllclose(Array.from(x.data, f), { rtol: 1e-13, atol: 0 });
          },
        ),
        propertyConfig(),
      );
    });
  }
});
