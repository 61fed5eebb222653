/**
 * Properties of the broadcasting helpers: NumPy's shape rule, and sumToShape as the reduction
 * that undoes broadcasting (it is the adjoint of broadcastTo).
 */
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { ShapeError, broadcastShapes, broadcastTo, ones, sizeOf, sumToShape } from './index.ts';
import { broadcastPairArb, propertyConfig, shapeArb, tensorArb } from './testing/index.ts';

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
