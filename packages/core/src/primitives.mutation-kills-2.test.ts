/**
 * The forward kernels of primitives.ts on every path they take, against plain index-arithmetic
 * references, pinned down where changing the code (`pnpm mutate`) went unnoticed: the binary
 * kernel's fast paths (equal sizes, a scalar, a column broadcast along the rows of a matrix) and
 * its general strided walk, for the order-sensitive comparisons too; transpose's 2-D and N-D
 * walks; batched matmul with broadcast batch dimensions and transposed operands; and the rules
 * whose inputs were chosen so that a wrong one shows (a permutation that is not its own inverse,
 * x⁰ at 0, sigmoid far out in its tail).
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, fromData, grad, matmulT, max, pow, sigmoid, tensor, transpose } from './index.ts';
import { add, equal, greater, greaterEqual, less, lessEqual, mul } from './ops.ts';
import { stridesOf, sizeOf } from './shape.ts';

/** A tensor of `shape` with small integer values (so comparisons meet ties), from a seed. */
function ints(shape: number[], seed: number): Tensor {
  const n = sizeOf(shape);
  return fromData(Float64Array.from({ length: n }, (_, i) => ((i * 7 + seed * 3) % 5) - 2), shape);
}

/** The flat index into a tensor of `shape` that a multi-index of the broadcast `out` shape reads. */
function broadcastIndex(shape: readonly number[], out: readonly number[], index: readonly number[]): number {
  const strides = stridesOf(shape);
  const lead = out.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) flat += index[lead + d]! * strides[d]!;
  return flat;
}

/** Every multi-index of `shape`, row-major. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = sizeOf(shape);
  for (let flat = 0; flat < n; flat++) {
    const idx: number[] = [];
    let r = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d]!;
      r = Math.floor(r / shape[d]!);
    }
    yield idx;
  }
}

describe('the binary kernel on each of its paths', () => {
  const kinds: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', add, (x, y) => x + y],
    ['mul', mul, (x, y) => x * y],
    ['greater', greater, (x, y) => (x > y ? 1 : 0)],
    ['greaterEqual', greaterEqual, (x, y) => (x >= y ? 1 : 0)],
    ['less', less, (x, y) => (x < y ? 1 : 0)],
    ['lessEqual', lessEqual, (x, y) => (x <= y ? 1 : 0)],
    ['equal', equal, (x, y) => (x === y ? 1 : 0)],
  ];
  const pairs: [number[], number[], number[]][] = [
    [[2, 3], [2, 3], [2, 3]], // equal sizes
    [[2, 3], [], [2, 3]], // a scalar on the right
    [[], [2, 3], [2, 3]], // a scalar on the left
    [[2, 3], [1, 1], [2, 3]], // a one-element matrix
    [[3, 1], [3, 4], [3, 4]], // a column on the left, broadcast along the rows
    [[3, 4], [3, 1], [3, 4]], // a column on the right
    [[1, 4], [3, 4], [3, 4]], // a row on the left: not the column path
    [[3, 4], [1, 4], [3, 4]], // a row on the right
    [[4], [3, 4], [3, 4]], // a vector: rank 1 against rank 2
    [[3, 1], [1, 4], [3, 4]], // both broadcast
    [[2, 1, 3], [4, 1], [2, 4, 3]], // N-D
    [[1, 3], [1, 3], [1, 3]],
  ];
  for (const [name, op, f] of kinds) {
    for (const [sa, sb, so] of pairs) {
      it(`${name}: [${sa}] with [${sb}]`, () => {
        const a = ints(sa, 1);
        const b = ints(sb, 2);
        const out = op(a, b);
        expect(out.shape).toEqual(so);
        const expected = new Float64Array(sizeOf(so));
        let k = 0;
        for (const idx of indices(so)) expected[k++] = f(a.data[broadcastIndex(sa, so, idx)]!, b.data[broadcastIndex(sb, so, idx)]!);
        expect(Array.from(out.data)).toEqual(Array.from(expected));
      });
    }
  }
});

describe('transpose on its 2-D and N-D walks', () => {
  const cases: [number[], number[]][] = [
    [[2, 3], [1, 0]],
    [[2, 3], [0, 1]],
    [[2, 3, 4], [1, 2, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [0, 2, 1]],
    [[2, 1, 3, 2], [3, 1, 0, 2]],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by [${perm}]`, () => {
      const x = fromData(Float64Array.from({ length: sizeOf(shape) }, (_, i) => i), shape);
      const y = transpose(x, perm);
      const outShape = perm.map((p) => shape[p]!);
      expect(y.shape).toEqual(outShape);
      const strides = stridesOf(shape);
      const expected = [...indices(outShape)].map((idx) => idx.reduce((s, v, j) => s + v * strides[perm[j]!]!, 0));
      expect(Array.from(y.data)).toEqual(expected);
    });
  }

  it('sends the gradient back through the inverse permutation (one that is not its own inverse)', () => {
    const shape = [2, 3, 4];
    const x = fromData(Float64Array.from({ length: 24 }, (_, i) => i), shape);
    const weights = fromData(Float64Array.from({ length: 24 }, (_, i) => i * i), [3, 4, 2]);
    const [g] = grad((t: Tensor) => transpose(t, [1, 2, 0]).mul(weights).sum())(x);
    // ∂/∂x[i,j,k] = weights[j,k,i]
    const expected = [...indices(shape)].map(([i, j, k]) => weights.data[j! * 8 + k! * 2 + i!]!);
    expect(g!.shape).toEqual(shape);
    expect(Array.from(g!.data)).toEqual(expected);
  });
});

/** op(A)·op(B) for one batch element, by the definition. */
function product(a: Tensor, b: Tensor, transA: boolean, transB: boolean, ia: number, ib: number, M: number, N: number, K: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = a.data[ia * M * K + (transA ? k * M + m : m * K + k)]!;
        const bv = b.data[ib * K * N + (transB ? n * K + k : k * N + n)]!;
        s += av * bv;
      }
      out.push(s);
    }
  }
  return out;
}

describe('matmul: every transpose combination, 2-D and batched with broadcast batch dimensions', () => {
  const M = 2;
  const N = 3;
  const K = 4;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const aMat = transA ? [K, M] : [M, K];
      const bMat = transB ? [N, K] : [K, N];
      it(`2-D, transA ${transA}, transB ${transB}`, () => {
        const a = ints(aMat, 3);
        const b = ints(bMat, 4);
        const c = matmulT(a, b, transA, transB);
        expect(c.shape).toEqual([M, N]);
        expect(Array.from(c.data)).toEqual(product(a, b, transA, transB, 0, 0, M, N, K));
      });

      it(`batched [2,1] with [3], transA ${transA}, transB ${transB}`, () => {
        const a = fromData(Float64Array.from({ length: 2 * M * K }, (_, i) => ((i * 5) % 7) - 3), [2, 1, ...aMat]);
        const b = fromData(Float64Array.from({ length: 3 * K * N }, (_, i) => ((i * 3) % 11) - 5), [3, ...bMat]);
        const c = matmulT(a, b, transA, transB);
        expect(c.shape).toEqual([2, 3, M, N]);
        const expected: number[] = [];
        for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(...product(a, b, transA, transB, i, j, M, N, K));
        expect(Array.from(c.data)).toEqual(expected);
      });
    }
  }

  it('batched with the left operand broadcast: [3] with [2,1]', () => {
    const a = fromData(Float64Array.from({ length: 3 * M * K }, (_, i) => ((i * 5) % 7) - 3), [3, M, K]);
    const b = fromData(Float64Array.from({ length: 2 * K * N }, (_, i) => ((i * 3) % 11) - 5), [2, 1, K, N]);
    const c = matmulT(a, b, false, false);
    expect(c.shape).toEqual([2, 3, M, N]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(...product(a, b, false, false, j, i, M, N, K));
    expect(Array.from(c.data)).toEqual(expected);
  });
});

describe('rules and kernels at the inputs that tell them apart', () => {
  it('x⁰ has gradient 0 everywhere, x = 0 included (not 0·0⁻¹ = NaN)', () => {
    const [g] = grad((t: Tensor) => pow(t, 0).sum())(tensor([0, 2, -3]));
    expect(g!.toArray()).toEqual([0, 0, 0]);
  });

  it('sigmoid far in its negative tail is e^x, not 1/(1 + e^−x) = 1/∞ = 0', () => {
    const y = sigmoid(tensor([-710, -745])).toArray() as number[];
    expect(y[0]).toBeGreaterThan(0);
    expect(y[0]).toBeCloseTo(Math.exp(-710), 320);
    expect(y[1]).toBe(Math.exp(-745));
  });

  it('max keeps the first of equal maxima (0 before −0) and lets NaN win', () => {
    expect(Object.is(max(tensor([0, -0])).item(), 0)).toBe(true);
    expect(Object.is(max(tensor([-0, 0])).item(), -0)).toBe(true);
    expect(max(tensor([1, Number.NaN, 2])).item()).toBeNaN();
    expect(max(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
  });
});
