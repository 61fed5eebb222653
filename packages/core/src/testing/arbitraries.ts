import fc from 'fast-check';
import type { Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { sizeOf } from '../shape.ts';

/** Options of {@link shapeArb}. */
export interface ShapeArbOptions {
  /** Smallest rank (default 0). */
  minRank?: number;
  /** Largest rank (default 3). */
  maxRank?: number;
  /** Smallest dimension (default 1). */
  minDim?: number;
  /** Largest dimension (default 4). */
  maxDim?: number;
}

/**
 * fast-check arbitrary for tensor shapes; shrinks towards low rank and small dimensions.
 * @example
 * ```ts
 * fc.assert(fc.property(shapeArb({ maxRank: 2 }), (s) => s.length <= 2));
 * ```
 * @param options - rank and dimension bounds
 */
export function shapeArb(options: ShapeArbOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, minDim = 1, maxDim = 4 } = options;
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** Options of {@link tensorArb}. */
export interface TensorArbOptions {
  /** Smallest value (default -2). */
  min?: number;
  /** Largest value (default 2). */
  max?: number;
  /**
   * Keep every value at least this far from each listed point (kinks of relu/abs, ties of
   * max), so central differences do not straddle a kink.
   */
  avoid?: readonly number[];
  /** Minimum distance from the points in `avoid` (default 1e-3). */
  margin?: number;
}

/**
 * fast-check arbitrary for float64 tensors of a given shape, with finite values in a range.
 * @example
 * ```ts
 * fc.assert(fc.property(tensorArb([2, 3], { min: 0.1, max: 3 }), (t) => t.log().size === 6));
 * ```
 * @param shape - the tensor's shape
 * @param options - value range and points to keep away from
 */
export function tensorArb(shape: Shape, options: TensorArbOptions = {}): fc.Arbitrary<Tensor> {
  const { min = -2, max = 2, avoid = [], margin = 1e-3 } = options;
  const value = fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .filter((v) => avoid.every((p) => Math.abs(v - p) >= margin));
  return fc
    .array(value, { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((values) => new Tensor(Float64Array.from(values), shape));
}

/**
 * fast-check arbitrary for pairs of shapes that broadcast together under NumPy's rules: the
 * second is the first with some leading axes dropped and some dimensions replaced by 1 (and
 * the pair is randomly swapped).
 * @example
 * ```ts
 * fc.assert(fc.property(broadcastPairArb(), ([a, b]) => broadcastShapes(a, b, 'add').length >= 0));
 * ```
 * @param options - bounds of the full shape
 */
export function broadcastPairArb(options: ShapeArbOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(options).chain((full) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        fc.boolean(),
      )
      .map(([drop, ones, swap]): [number[], number[]] => {
        const other = full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
        return swap ? [other, full] : [full, other];
      }),
  );
}
