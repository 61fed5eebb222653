/**
 * Fuzzing `tensor()`: rectangular nested arrays round-trip through `toArray()`; anything else
 * (ragged arrays, strings, null, objects, very deep nesting) gives a tensor or a typed error
 * (ShapeError, DTypeError), never another exception or a stack overflow.
 *
 * Runs (fixed seed, `propertyConfig`): 300 rectangular arrays, 500 arbitrary values, 30 deep
 * chains up to 50,000 levels; about a second on one core.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from './errors.ts';
import { type NestedArray, tensor } from './tensor.ts';
import { propertyConfig } from './testing/config.ts';

/** A rectangular nested array of the given shape, filled from `values` in row-major order. */
function nestFrom(shape: readonly number[], values: readonly number[]): NestedArray {
  let k = 0;
  const build = (dim: number): NestedArray => {
    if (dim === shape.length) return values[k++ % values.length]!;
    return Array.from({ length: shape[dim]! }, () => build(dim + 1));
  };
  return build(0);
}

function tensorOrTypedError(value: unknown): void {
  try {
    const t = tensor(value as NestedArray);
    expect(t.data.length).toBe(t.size);
  } catch (error) {
    if (error instanceof ShapeError || error instanceof DTypeError) return;
    throw error;
  }
}

// Nested arrays of mixed content: mostly numbers, sometimes not, lengths that may disagree.
const messy = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double(),
    fc.constantFrom<unknown>('1', null, undefined, true, {}, -0, Infinity, Number.NaN),
    fc.array(tie('node'), { maxLength: 4 }),
  ),
})).node;

describe('tensor() fuzzed', () => {
  it('round-trips any rectangular nested array (ranks 0–5) through toArray()', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 5 }), fc.array(fc.double(), { minLength: 1, maxLength: 8 }), (shape, values) => {
        const nested = nestFrom(shape, values);
        const t = tensor(nested);
        // NOTE: dimensions after a 0 leave no trace in a nested array ([0, 3] is just []).
        const zero = shape.indexOf(0);
        expect(t.shape).toEqual(zero === -1 ? shape : shape.slice(0, zero + 1));
        expect(t.toArray()).toEqual(nested);
      }),
      propertyConfig({ numRuns: 300 }),
    );
  });

  it('gives a tensor or a ShapeError/DTypeError for arbitrary nested values', () => {
    fc.assert(fc.property(messy, tensorOrTypedError), propertyConfig({ numRuns: 500 }));
  });

  it('takes chains up to 50,000 deep, with a bad leaf anywhere, without overflowing the stack', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom<unknown>(3, 'x', null, [], [1, 2]), (depth, leaf) => {
        let nested: unknown = leaf;
        for (let i = 0; i < depth; i++) nested = [nested];
        tensorOrTypedError(nested);
      }),
      propertyConfig({ numRuns: 30 }),
    );
  });
});
