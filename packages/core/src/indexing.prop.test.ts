/**
 * Properties of the slicing, joining, gathering and math ops over random shapes (ranks 0–4,
 * empty and size-1 dimensions included): forward values against naive loops over
 * multi-indices; gradcheck and gradgradcheck of each op with random parameters.
 *
 * Tolerances: first order |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric| and second order
 * 1e-6 + 1e-5·|numeric|, the bounds of ops.grad.prop.test.ts and ops.gradgrad.prop.test.ts
 * (central differences with eps = 1e-6 in float64; see those files for the error budget).
 * Kinks are sampled away: maximum/minimum get operands at least 0.05 apart, clip gets values
 * at least 0.05 from its bounds, logSumExp/variance are smooth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Tensor,
  argmax,
  assertGradcheck,
  assertGradgradcheck,
  clip,
  concat,
  cos,
  dropout,
  expandDims,
  flatten,
  fromData,
  gather,
  log1p,
  logSumExp,
  matmul,
  matmulT,
  maximum,
  minimum,
  pad,
  sin,
  slice,
  split,
  squeeze,
  stack,
  unstack,
  variance,
} from './index.ts';
import { propertyConfig, shapeArb, tensorArb } from './testing/index.ts';

const TOL = { rtol: 1e-6, atol: 1e-7 };
const TOL2 = { rtol: 1e-5, atol: 1e-6 };

// ---------------------------------------------------------------------------------------------
// Naive helpers: multi-indices, no strides.

function count(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

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

function at(t: Tensor, idx: readonly number[]): number {
  return t.data[ravel(idx, t.shape)]!;
}

/** Output values of shape `shape` from a function of the multi-index. */
function build(shape: readonly number[], f: (idx: number[]) => number): number[] {
  return Array.from({ length: count(shape) }, (_, k) => f(unravel(k, shape)));
}

function values(t: Tensor): number[] {
  return [...t.data];
}

/** A shape with dims in 0…3 (empty dimensions included) of rank lo…hi. */
const anyShape = (lo = 0, hi = 4, minDim = 0): fc.Arbitrary<number[]> => shapeArb({ minRank: lo, maxRank: hi, minDim, maxDim: 3 });

/** Runs a property with the suite's fixed seed. */
function run<T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = 40): void {
  fc.assert(
    fc.property(arb, (v) => {
      check(v);
    }),
    propertyConfig({ numRuns }),
  );
}

/** A shape with a tensor of it. */
const withTensor = (shape: fc.Arbitrary<number[]>, options = {}): fc.Arbitrary<Tensor> => shape.chain((s) => tensorArb(s, options));

/** A box inside a shape: begin and size per axis (sizes ≥ minSize, when the axis allows). */
const boxArb = (shape: readonly number[], minSize: number): fc.Arbitrary<{ begin: number[]; size: number[] }> =>
  fc
    .tuple(
      ...shape.map((d) =>
        fc.integer({ min: 0, max: Math.max(0, d - minSize) }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: Math.min(minSize, d - b), max: d - b }))),
      ),
    )
    .map((pairs) => ({ begin: pairs.map(([b]) => b), size: pairs.map(([, s]) => s) }));

const sliceCase = (minDim: number, maxRank = 4) =>
  withTensor(anyShape(0, maxRank, minDim)).chain((x) => boxArb(x.shape, minDim).map((box) => ({ x, ...box })));

const padCase = (minDim: number, maxRank = 4) =>
  withTensor(anyShape(0, maxRank, minDim)).chain((x) =>
    fc
      .tuple(...x.shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))))
      .chain((p) => fc.double({ min: -3, max: 3, noNaN: true }).map((value) => ({ x, paddings: p as [number, number][], value }))),
  );

/** Several tensors equal off one axis, with that axis. */
const concatCase = (minDim: number, maxRank = 4) =>
  anyShape(1, maxRank, minDim).chain((shape) =>
    fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) =>
      fc
        .array(fc.integer({ min: minDim, max: 3 }), { minLength: 1, maxLength: 3 })
        .chain((dims) => fc.tuple(...dims.map((d) => tensorArb(shape.map((s, i) => (i === axis ? d : s))))))
        .map((ts) => ({ ts, axis })),
    ),
  );

const gatherCase = (minDim: number, maxRank = 4) =>
  withTensor(anyShape(1, maxRank, minDim)).chain((x) =>
    fc.integer({ min: 0, max: x.rank - 1 }).chain((axis) =>
      (x.shape[axis] === 0 ? fc.constant([] as number[]) : fc.array(fc.integer({ min: 0, max: x.shape[axis]! - 1 }), { minLength: minDim, maxLength: 4 })).map((indices) => ({ x, axis, indices })),
    ),
  );

/** Batched matmul operands: broadcast batch shapes (some dims 1 or dropped), M, K, N. */
const matmulCase = (minDim: number) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: minDim, max: 3 }),
      fc.integer({ min: minDim, max: 3 }),
      fc.integer({ min: minDim, max: 3 }),
    )
    .chain(([batch, ones, dropA, dropB, m, k, n]) => {
      const bA = batch.map((d, i) => (ones[i] ? 1 : d)).slice(Math.min(dropA, batch.length));
      const bB = batch.map((d, i) => (ones[i] ? d : 1)).slice(Math.min(dropB, batch.length));
      return fc.tuple(tensorArb([...bA, m, k]), tensorArb([...bB, k, n]));
    });

function naiveMatmul(a: Tensor, b: Tensor): { shape: number[]; data: number[] } {
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const pa = [...new Array<number>(rank - ba.length).fill(1), ...ba];
  const pb = [...new Array<number>(rank - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape[b.rank - 1]!;
  const shape = [...batch, M, N];
  const data = build(shape, (idx) => {
    const bi = idx.slice(0, rank);
    const ia = bi.slice(rank - ba.length).map((v, i) => (ba[i] === 1 ? 0 : v));
    const ib = bi.slice(rank - bb.length).map((v, i) => (bb[i] === 1 ? 0 : v));
    let s = 0;
    for (let k = 0; k < K; k++) s += at(a, [...ia, idx[rank]!, k]) * at(b, [...ib, k, idx[rank + 1]!]);
    return s;
  });
  return { shape, data };
}

// ---------------------------------------------------------------------------------------------

describe('forward against naive loops (ranks 0–4, empty and size-1 dimensions)', () => {
  it('slice', () => {
    run(sliceCase(0), ({ x, begin, size }) => {
      const r = slice(x, begin, size);
      expect(r.shape).toEqual(size);
      expect(values(r)).toEqual(build(size, (idx) => at(x, idx.map((v, d) => v + begin[d]!))));
    });
  });

  it('pad', () => {
    run(padCase(0), ({ x, paddings, value }) => {
      const shape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
      const r = pad(x, paddings, value);
      expect(r.shape).toEqual(shape);
      expect(values(r)).toEqual(
        build(shape, (idx) => {
          const src = idx.map((v, d) => v - paddings[d]![0]);
          return src.every((v, d) => v >= 0 && v < x.shape[d]!) ? at(x, src) : value;
        }),
      );
    });
  });

  it('concat, split and stack/unstack', () => {
    run(concatCase(0), ({ ts, axis }) => {
      const r = concat(ts, axis);
      const shape = [...ts[0]!.shape];
      shape[axis] = ts.reduce((n, t) => n + t.shape[axis]!, 0);
      expect(r.shape).toEqual(shape);
      expect(values(r)).toEqual(
        build(shape, (idx) => {
          let i = idx[axis]!;
          for (const t of ts) {
            if (i < t.shape[axis]!) return at(t, idx.map((v, d) => (d === axis ? i : v)));
            i -= t.shape[axis]!;
          }
          throw new Error('unreachable');
        }),
      );
      // split undoes concat
      const parts = split(r, ts.map((t) => t.shape[axis]!), axis);
      parts.forEach((p, i) => expect(values(p)).toEqual(values(ts[i]!)));
      // stack of equal shapes is concat along a new axis; unstack undoes it
      const s = stack([ts[0]!, ts[0]!], axis);
      expect(s.shape).toEqual([...ts[0]!.shape.slice(0, axis), 2, ...ts[0]!.shape.slice(axis)]);
      expect(unstack(s, axis).map(values)).toEqual([values(ts[0]!), values(ts[0]!)]);
    });
  });

  it('gather', () => {
    run(gatherCase(0), ({ x, axis, indices }) => {
      const shape = x.shape.map((d, i) => (i === axis ? indices.length : d));
      const r = gather(x, indices, axis);
      expect(r.shape).toEqual(shape);
      expect(values(r)).toEqual(build(shape, (idx) => at(x, idx.map((v, d) => (d === axis ? indices[v]! : v)))));
    });
  });

  it('matmul over broadcast batch dimensions, and matmulT', () => {
    run(matmulCase(0), ([a, b]) => {
      const want = naiveMatmul(a, b);
      const r = matmul(a, b);
      expect(r.shape).toEqual(want.shape);
      expect(r).toBeAllclose(fromData(Float64Array.from(want.data), want.shape).toArray(), { rtol: 1e-12, atol: 1e-12 });
      const swap = (t: Tensor): Tensor => t.transpose([...t.shape.keys()].map((i) => (i < t.rank - 2 ? i : i === t.rank - 2 ? t.rank - 1 : t.rank - 2)));
      expect(matmulT(swap(a), swap(b), true, true)).toBeAllclose(r.toArray(), { rtol: 1e-12, atol: 1e-12 });
    });
  });

  it('argmax, logSumExp, variance along an axis', () => {
    run(withTensor(anyShape(1, 4, 1)).chain((x) => fc.integer({ min: 0, max: x.rank - 1 }).map((axis) => ({ x, axis }))), ({ x, axis }) => {
      const shape = x.shape.filter((_, i) => i !== axis);
      const line = (idx: number[]): number[] => Array.from({ length: x.shape[axis]! }, (_, k) => at(x, [...idx.slice(0, axis), k, ...idx.slice(axis)]));
      expect(values(argmax(x, axis))).toEqual(build(shape, (idx) => { const l = line(idx); return l.indexOf(Math.max(...l)); }));
      expect(logSumExp(x, axis)).toBeAllclose(fromData(Float64Array.from(build(shape, (idx) => Math.log(line(idx).reduce((s, v) => s + Math.exp(v), 0)))), shape).toArray(), { rtol: 1e-13, atol: 1e-13 });
      expect(variance(x, axis)).toBeAllclose(
        fromData(Float64Array.from(build(shape, (idx) => { const l = line(idx); const m = l.reduce((s, v) => s + v, 0) / l.length; return l.reduce((s, v) => s + (v - m) ** 2, 0) / l.length; })), shape).toArray(),
        { rtol: 1e-12, atol: 1e-13 },
      );
    });
  });

  it('squeeze, expandDims, flatten: same values, the shapes NumPy gives', () => {
    run(withTensor(anyShape(0, 4, 0)).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: 0, max: x.rank }))), ([x, a]) => {
      expect(squeeze(x).shape).toEqual(x.shape.filter((d) => d !== 1));
      expect(expandDims(x, a).shape).toEqual([...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
      if (x.rank > 0 && a < x.rank) expect(flatten(x, a).shape).toEqual([...x.shape.slice(0, a), count(x.shape.slice(a))]);
      for (const y of [squeeze(x), expandDims(x, a), flatten(x)]) expect(values(y)).toEqual(values(x));
    });
  });

  it('dropout: each element is 0 or x/(1 − rate), identity when not training', () => {
    run(withTensor(anyShape(0, 4, 0)).chain((x) => fc.tuple(fc.constant(x), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.integer())), ([x, rate, seed]) => {
      const y = dropout(x, rate, { seed });
      values(y).forEach((v, i) => expect(v === 0 || v === x.data[i]! * (1 / (1 - rate))).toBe(true));
      expect(dropout(x, rate, { seed, training: false })).toBe(x);
    });
  });

  it('maximum, minimum, clip, sin, cos, log1p elementwise', () => {
    run(withTensor(anyShape(0, 4, 0)), (x) => {
      const y = x.neg().add(0.1);
      expect(values(maximum(x, y))).toEqual(values(x).map((v, i) => Math.max(v, y.data[i]!)));
      expect(values(minimum(x, y))).toEqual(values(x).map((v, i) => Math.min(v, y.data[i]!)));
      expect(values(clip(x, -0.5, 1))).toEqual(values(x).map((v) => Math.min(Math.max(v, -0.5), 1)));
      expect(values(sin(x))).toEqual(values(x).map(Math.sin));
      expect(values(cos(x))).toEqual(values(x).map(Math.cos));
      expect(values(log1p(x.abs()))).toEqual(values(x).map((v) => Math.log1p(Math.abs(v))));
    });
  });
});

describe('gradcheck and gradgradcheck properties', () => {
  // First-order checks over ranks up to 4; second-order over ranks up to 3 (two backward
  // passes per perturbed element). Dimensions start at 1 here: an empty tensor has no
  // derivative to check (the forward properties cover it).
  const both = <T>(name: string, arb: (maxRank: number) => fc.Arbitrary<T>, f: (v: T) => [(...xs: Tensor[]) => Tensor, Tensor[]]): void => {
    it(`${name}: gradcheck`, () => run(arb(4), (v) => void assertGradcheck(...f(v), TOL), 40));
    it(`${name}: gradgradcheck`, () => run(arb(3), (v) => void assertGradgradcheck(...f(v), TOL2), 15));
  };

  both('slice', (r) => sliceCase(1, r), ({ x, begin, size }) => [(t) => slice(t, begin, size), [x]]);
  both('pad', (r) => padCase(1, r), ({ x, paddings, value }) => [(t) => pad(t, paddings, value), [x]]);
  both('concat', (r) => concatCase(1, r), ({ ts, axis }) => [(...xs) => concat(xs, axis), ts]);
  both('stack', (r) => concatCase(1, r).map(({ ts, axis }) => ({ ts: ts.map(() => ts[0]!), axis })), ({ ts, axis }) => [(...xs) => stack(xs, axis), ts]);
  both('split (a middle part, times a weight)', (r) => concatCase(1, r), ({ ts, axis }) => {
    const sizes = ts.map((t) => t.shape[axis]!);
    return [(x) => split(x, sizes, axis)[sizes.length - 1]!.mul(split(x, sizes, axis)[0]!.sum()), [concat(ts, axis)]];
  });
  both('unstack', (r) => withTensor(anyShape(1, r, 1)), (x) => [(t) => unstack(t, 0)[0]!.mul(unstack(t, t.rank - 1)[0]!.sum()), [x]]);
  both('gather (repeated indices)', (r) => gatherCase(1, r), ({ x, axis, indices }) => [(t) => gather(t, [...indices, ...indices], axis).mul(t.sum()), [x]]);
  both('matmul, batched', () => matmulCase(1), ([a, b]) => [(x, y) => matmul(x, y), [a!, b!]]);
  both('matmulT, batched, both transposed', () => matmulCase(1), ([a, b]) => {
    const swap = (t: Tensor): Tensor => t.transpose([...t.shape.keys()].map((i) => (i < t.rank - 2 ? i : i === t.rank - 2 ? t.rank - 1 : t.rank - 2)));
    return [(x, y) => matmulT(x, y, true, true), [swap(a!), swap(b!)]];
  });
  both('maximum and minimum (operands 0.05 apart)', (r) => withTensor(anyShape(0, r, 1)).chain((x) => tensorArb(x.shape, { min: 0.05, max: 1 }).map((gap) => ({ x, gap }))), ({ x, gap }) => {
    const sign = fromData(Float64Array.from(x.data, (_, i) => (i % 2 ? 1 : -1)), x.shape);
    const y = x.add(gap.mul(sign)).detach();
    return [(a, b) => maximum(a, b).mul(minimum(a, b)), [x, y]];
  });
  both('clip (values 0.05 from the bounds)', (r) => withTensor(anyShape(0, r, 1), { avoid: [-0.5, 0.5], margin: 0.05 }), (x) => [(t) => clip(t, -0.5, 0.5).mul(t), [x]]);
  both('logSumExp over random axes', (r) => withTensor(anyShape(1, r, 1)).chain((x) => fc.subarray([...x.shape.keys()], { minLength: 1 }).map((axes) => ({ x, axes }))), ({ x, axes }) => [(t) => logSumExp(t, axes, true), [x]]);
  both('variance over random axes', (r) => withTensor(anyShape(1, r, 1)).chain((x) => fc.subarray([...x.shape.keys()], { minLength: 1 }).map((axes) => ({ x, axes }))), ({ x, axes }) => [(t) => variance(t, axes), [x]]);
  both('dropout with a fixed seed (a product with a constant mask)', (r) => withTensor(anyShape(0, r, 1)).chain((x) => fc.integer().map((seed) => ({ x, seed }))), ({ x, seed }) => [(t) => dropout(t, 0.3, { seed }).mul(t), [x]]);
  both('sin, cos, log1p', (r) => withTensor(anyShape(0, r, 1), { min: -0.9, max: 2 }), (x) => [(t) => sin(t).mul(cos(t)).add(log1p(t)), [x]]);
});
