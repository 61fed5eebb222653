/**
 * Properties of the broadcasting helpers: NumPy's shape rule, and sumToShape as the reduction
 * that undoes broadcasting (it is the adjoint of broadcastTo).
 */
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { ShapeError, broadcastShapes, broadcastTo, ones, sizeOf, sumToShape } from './index.ts';
import { broadcastPairArb, propertyConfig, shapeArb, tensorArb } from './testing/index.ts';
import { walkRows } from './broadcast.ts';
import { broadcastStrides, stridesOf } from './shape.ts';

/** A shape and a shape it broadcasts to (drop leading axes, set some dims to 1). */
const smallAndBig = shapeArb({ maxRank: 4 }).chain((big) =>
  fc
    .tuple(fc.integer({ min: 0, max: big.length }), fc.array(fc.boolean(), { minLength: big.length, maxLength: big.length }))
    .map(([drop, ones]) => ({ small: big.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)), big })),
);

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

describe('broadcastShapes properties', () => {
  it('property: commutative, and each output dim is the non-1 dim of the pair', () => {
    fc.assert(
      fc.property(broadcastPairArb({ maxRank: 5 }), ([a, b]) => {
        const out = broadcastShapes(a, b, 'add');
        expect(broadcastShapes(b, a, 'add')).toEqual(out);
        expect(out.length).toBe(Math.max(a.length, b.length));
        for (let k = 1; k <= out.length; k++) {
          const da = a[a.length - k] ?? 1;
          const db = b[b.length - k] ?? 1;
          expect(out[out.length - k]).toBe(da === 1 ? db : da);
          expect(da === db || da === 1 || db === 1).toBe(true);
        }
      }),
      propertyConfig(),
    );
  });

  it('property: a dimension mismatch anywhere throws', () => {
    const cases = shapeArb({ minRank: 1, maxRank: 4, minDim: 2 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 })));
    fc.assert(
      fc.property(cases, ([s, at]) => {
        const t = [...s];
        t[at] = s[at]! + 1;
        expect(() => broadcastShapes(s, t, 'add')).toThrow(ShapeError);
      }),
      propertyConfig(),
    );
  });
});

describe('sumToShape properties', () => {
  it('property: sumToShape(ones(S)) counts the repetitions of each element, size(S)/size(s)', () => {
    fc.assert(
      fc.property(smallAndBig, ({ small, big }) => {
        const out = sumToShape(ones(big).data, big, small);
        expect(out.length).toBe(sizeOf(small));
        const reps = sizeOf(big) / sizeOf(small);
        expect(Array.from(out)).toEqual(new Array<number>(sizeOf(small)).fill(reps));
      }),
      propertyConfig(),
    );
  });

  it('property: sumToShape(broadcastTo(x, S)) = x · repetitions', () => {
    fc.assert(
      fc.property(
        smallAndBig.chain(({ small, big }) => fc.tuple(tensorArb(small), fc.constant(big))),
        ([x, big]) => {
          const reps = sizeOf(big) / x.size;
          const back = sumToShape(broadcastTo(x, big).data, big, x.shape);
          expect(back).toBeAllclose(Array.from(x.data, (v) => v * reps), { rtol: 1e-13, atol: 1e-13 });
        },
      ),
      propertyConfig(),
    );
  });

  it('property: sumToShape is the adjoint of broadcasting, ⟨broadcast(x), y⟩ = ⟨x, sumToShape(y)⟩', () => {
    fc.assert(
      fc.property(
        smallAndBig.chain(({ small, big }) => fc.tuple(tensorArb(small), tensorArb(big))),
        ([x, y]) => {
          const lhs = dot(broadcastTo(x, y.shape).data, y.data);
          const rhs = dot(x.data, sumToShape(y.data, y.shape, x.shape));
          expect(rhs).toBeAllclose([lhs], { rtol: 1e-12, atol: 1e-12 });
        },
      ),
      propertyConfig(),
    );
  });
});

describe('walkRows', () => {
  /** Every element's offsets, one list per operand, in the order a plain row-major walk visits them. */
  function naive(shape: readonly number[], strides: readonly (readonly number[])[]): number[][] {
    const out = strides.map(() => [] as number[]);
    const index = shape.map(() => 0);
    for (let n = 0; n < sizeOf(shape); n++) {
      strides.forEach((s, j) => out[j]!.push(index.reduce((acc, i, d) => acc + i * s[d]!, 0)));
      for (let d = shape.length - 1; d >= 0 && ++index[d]! === shape[d]; d--) index[d] = 0;
    }
    return out;
  }

  /** What walkRows visits, element by element, and how many rows it took. */
  function walked(shape: readonly number[], strides: readonly (readonly number[])[]): { offsets: number[][]; rows: number; inner: number[][] } {
    const offsets = strides.map(() => [] as number[]);
    const inner: number[][] = [];
    let rows = 0;
    walkRows(shape, strides, (off, n, st) => {
      rows++;
      inner.push([...st]);
      for (let c = 0; c < n; c++) off.forEach((o, j) => offsets[j]!.push(o + c * st[j]!));
    });
    return { offsets, rows, inner };
  }

  it('property: visits every element once, in row-major order, through fewer or as many rows (coalesced)', () => {
    fc.assert(
      fc.property(smallAndBig, ({ small, big }) => {
        const strides = [stridesOf(big), broadcastStrides(small, big), stridesOf(big).map((s) => 2 * s)];
        const { offsets, rows, inner } = walked(big, strides);
        expect(offsets).toEqual(naive(big, strides));
        const plainRows = big.length === 0 ? 1 : sizeOf(big) / big[big.length - 1]!;
        expect(rows).toBeLessThanOrEqual(plainRows);
        // The inner strides are the operands' innermost ones: kernels that read a contiguous
        // operand with p++ stay right.
        if (big.length > 0) for (const st of inner) expect(st).toEqual(strides.map((s) => s[big.length - 1]!));
      }),
      propertyConfig(),
    );
  });

  it('walks a per-channel bias over [N, C, H, W] as N·C rows of H·W', () => {
    const big = [2, 3, 4, 5];
    const strides = [stridesOf(big), broadcastStrides([3, 1, 1], big)];
    const { offsets, rows } = walked(big, strides);
    expect(rows).toBe(6);
    expect(offsets).toEqual(naive(big, strides));
  });

  it('keeps an innermost dimension of size 1 (its stride is the rows\' inner stride) and drops the others', () => {
    // A [5, 1] block padded into [5, 3]: the output's rows are 3 apart, so each row is one element.
    const strides = [stridesOf([5, 1]), [3, 1]];
    const { offsets, rows, inner } = walked([5, 1], strides);
    expect(rows).toBe(5);
    expect(inner[0]).toEqual([1, 1]);
    expect(offsets).toEqual([[0, 1, 2, 3, 4], [0, 3, 6, 9, 12]]);
    expect(walked([1, 1, 4], [stridesOf([1, 1, 4])]).rows).toBe(1);
  });
});
