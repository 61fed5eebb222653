/**
 * Each op on hand-worked examples on several ranks (0-d to 3-d), its gradient at a point worked
 * out by hand, and the cases that throw. Expected values are computed by hand or with Math.* on
 * the literal inputs, never copied from the engine's output.
 */
import { describe, it, expect } from 'vitest';
import {
  ShapeError,
  DTypeError,
  type Tensor,
  abs,
  add,
  broadcastTo,
  div,
  exp,
  log,
  logSoftmax,
  matmul,
  matmulT,
  greater,
  equal,
  sign,
  sumTo,
  where,
  max,
  mean,
  mul,
  neg,
  ones,
  pow,
  relu,
  reshape,
  sigmoid,
  softmax,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  zeros,
} from './index.ts';

const LN2 = Math.log(2);

/** Inputs of four ranks for the elementwise ops. */
const ranked: [string, Tensor][] = [
  ['0-d', tensor(0.75)],
  ['1-d', tensor([-1.5, 0.25, 2])],
  ['2-d', tensor([[0.5, -2], [3, -0.125]])],
  ['3-d', tensor([[[1, -1], [0.5, 2]], [[-3, 4], [0.1, -0.2]]])],
];

/** The gradient of `f(x).sum()` with respect to x. */
function gradOf(f: (x: Tensor) => Tensor, value: number[]): number[] {
  const x = tensor(value, { requiresGrad: true });
  f(x).sum().backward();
  return Array.from(x.grad!.data);
}

describe('elementwise unary ops on 0-d, 1-d, 2-d and 3-d inputs', () => {
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
    ['neg', neg, (v) => -v],
    ['exp', exp, Math.exp],
    ['abs', abs, Math.abs],
    ['square', square, (v) => v * v],
    ['pow(3)', (t) => pow(t, 3), (v) => v * v * v],
    ['relu', relu, (v) => Math.max(v, 0)],
    ['tanh', tanh, Math.tanh],
    ['sigmoid', sigmoid, (v) => 1 / (1 + Math.exp(-v))],
  ];
  for (const [name, op, f] of cases) {
    for (const [rank, x] of ranked) {
      it(`${name} on a ${rank} tensor`, () => {
        const y = op(x);
        expect(y.shape).toEqual(x.shape);
        expect(y.data).toBeAllclose(Array.from(x.data, f), { rtol: 1e-14 });
      });
    }
  }

  for (const [rank, x] of ranked) {
    it(`log and sqrt on a positive ${rank} tensor`, () => {
      const p = abs(x).add(0.5);
      expect(log(p).data).toBeAllclose(Array.from(p.data, Math.log), { rtol: 1e-14 });
      expect(sqrt(p).data).toBeAllclose(Array.from(p.data, Math.sqrt), { rtol: 1e-14 });
      expect(log(p).shape).toEqual(x.shape);
    });
  }

  it('exp and log by hand', () => {
    expect(exp(tensor([0, 1]))).toBeAllclose(tensor([1, Math.E]));
    expect(log(tensor([1, Math.E, Math.E * Math.E]))).toBeAllclose(tensor([0, 1, 2]));
    expect(log(tensor(0)).item()).toBe(-Infinity);
    expect(log(tensor(-1)).item()).toBeNaN();
  });

  it('sqrt, square and pow by hand', () => {
    expect(sqrt(tensor([4, 9, 0.25]))).toBeAllclose(tensor([2, 3, 0.5]));
    expect(square(tensor([-3, 0.5]))).toBeAllclose(tensor([9, 0.25]));
    expect(pow(tensor([2, 4]), -1)).toBeAllclose(tensor([0.5, 0.25]));
    expect(pow(tensor([8, 27]), 1 / 3)).toBeAllclose(tensor([2, 3]), { rtol: 1e-15 });
    expect(pow(tensor([-2]), 3).item()).toBe(-8);
  });

  it('sigmoid is 1/2 at 0, symmetric, and neither overflows nor turns NaN at ±1000', () => {
    expect(sigmoid(tensor(0)).item()).toBe(0.5);
    const y = sigmoid(tensor([-1000, -745, -40, 40, 1000]));
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    expect(y.data[0]).toBe(0);
    expect(y.data[4]).toBe(1);
    // σ(−40) = e^−40 / (1 + e^−40) — a value 1 − σ(40) cannot represent; must not lose it.
    expect(y.data[2]).toBeAllclose([Math.exp(-40) / (1 + Math.exp(-40))], { rtol: 1e-14 });
    const s = tensor([-3, -0.5, 0.5, 3]);
    expect(sigmoid(s).add(sigmoid(s.neg()))).toBeAllclose(ones([4]), { rtol: 1e-15 });
  });

  it('sigmoid gradient is finite at ±1000 and equals σ(1−σ) elsewhere', () => {
    expect(gradOf((x) => x.sigmoid(), [-1000, 1000])).toEqual([0, 0]);
    const s = 1 / (1 + Math.exp(-0.3));
    expect(gradOf((x) => x.sigmoid(), [0.3])).toBeAllclose([s * (1 - s)], { rtol: 1e-14 });
  });

  it('relu and abs have gradient 0 at exactly 0 (the documented subgradient)', () => {
    expect(gradOf((x) => x.relu(), [-2, 0, 3])).toEqual([0, 0, 1]);
    expect(gradOf((x) => x.abs(), [-2, 0, 3])).toEqual([-1, 0, 1]);
  });

  it('unary gradients at a point, worked by hand', () => {
    expect(gradOf((x) => x.neg(), [1, -2])).toEqual([-1, -1]);
    expect(gradOf((x) => x.exp(), [0, 1])).toBeAllclose([1, Math.E]);
    expect(gradOf((x) => x.log(), [2, 0.25])).toBeAllclose([0.5, 4]);
    expect(gradOf((x) => x.sqrt(), [4, 0.25])).toBeAllclose([0.25, 1]);
    expect(gradOf((x) => x.square(), [3, -1])).toBeAllclose([6, -2]);
    expect(gradOf((x) => x.pow(-1), [2])).toBeAllclose([-0.25]);
    expect(gradOf((x) => x.tanh(), [0])).toBeAllclose([1]);
  });

  // d(x⁰)/dx = 0 everywhere; p·x^(p−1) would be 0·∞ = NaN at x = 0.
  it('pow(x, 0) has gradient 0 at x = 0', () => {
    expect(gradOf((x) => x.pow(0), [0, 2])).toEqual([0, 0]);
  });
});

describe('add, sub, mul, div', () => {
  it('work on 0-d tensors and numbers', () => {
    expect(add(tensor(2), 3).item()).toBe(5);
    expect(sub(2, tensor(3)).item()).toBe(-1);
    expect(mul(tensor(2), tensor(-4)).item()).toBe(-8);
    expect(div(1, tensor(4)).item()).toBe(0.25);
    expect(add(tensor(2), 3).shape).toEqual([]);
  });

  it('work elementwise on equal 3-d shapes', () => {
    const a = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    const b = tensor([[[8, 7], [6, 5]], [[4, 3], [2, 1]]]);
    expect(add(a, b).toArray()).toEqual([[[9, 9], [9, 9]], [[9, 9], [9, 9]]]);
    expect(sub(a, b).toArray()).toEqual([[[-7, -5], [-3, -1]], [[1, 3], [5, 7]]]);
    expect(mul(a, b).toArray()).toEqual([[[8, 14], [18, 20]], [[20, 18], [14, 8]]]);
    expect(div(a, b)).toBeAllclose([[[1 / 8, 2 / 7], [3 / 6, 4 / 5]], [[5 / 4, 6 / 3], [7 / 2, 8 / 1]]], { rtol: 1e-15 });
  });

  it('broadcast a column against a row', () => {
    expect(add(tensor([[1], [2]]), tensor([10, 20])).toArray()).toEqual([
      [11, 21],
      [12, 22],
    ]);
    expect(mul(tensor([[1], [2]]), tensor([10, 20])).toArray()).toEqual([
      [10, 20],
      [20, 40],
    ]);
  });

  it('broadcast a bias [3,1] over a batch [3,2] and a scalar over a 3-d tensor', () => {
    const z = tensor([[1, 2], [3, 4], [5, 6]]);
    const b = tensor([[100], [200], [300]]);
    expect(add(z, b).toArray()).toEqual([
      [101, 102],
      [203, 204],
      [305, 306],
    ]);
    expect(sub(tensor([[[1, 2]], [[3, 4]]]), tensor(1)).toArray()).toEqual([[[0, 1]], [[2, 3]]]);
  });

  it('sum the gradient back over broadcast axes (BP3: the bias gradient sums over the batch)', () => {
    const z = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    const b = tensor([[0], [0], [0]], { requiresGrad: true });
    z.add(b).mul(tensor([[1, 10]])).sum().backward();
    expect(b.grad!.toArray()).toEqual([[11], [11], [11]]);
    expect(z.grad!.toArray()).toEqual([
      [1, 10],
      [1, 10],
      [1, 10],
    ]);
  });

  it('mul and div gradients by hand', () => {
    const a = tensor([2, 3], { requiresGrad: true });
    const b = tensor([5, -4], { requiresGrad: true });
    a.mul(b).add(a.div(b)).sum().backward();
    // d/da (ab + a/b) = b + 1/b; d/db = a − a/b²
    expect(a.grad!).toBeAllclose([5 + 1 / 5, -4 - 1 / 4]);
    expect(b.grad!).toBeAllclose([2 - 2 / 25, 3 - 3 / 16]);
  });

  it('throws when the shapes cannot be broadcast (naming the op)', () => {
    expect(() => mul(ones([2, 3]), ones([2]))).toThrow(/^mul: shapes \[2,3\] and \[2\] cannot be broadcast$/);
    expect(() => sub(ones([3]), ones([4]))).toThrow(/^add: shapes \[3\] and \[4\] cannot be broadcast$/);
  });

  it('throws when an operand is not a tensor or number, naming the argument', () => {
    expect(() => mul(ones([2]), null as unknown as number)).toThrow(/^mul: argument 'b' must be a Tensor or a number, got null$/);
    expect(() => add([1, 2] as unknown as number, 1)).toThrow(/^add: argument 'a' must be a Tensor or a number, got an array of length 2$/);
    expect(() => div(ones([2]), 'x' as unknown as number)).toThrow(DTypeError);
  });
});

describe('matmul and transpose', () => {
  it('multiplies 2×2 matrices (worked by hand)', () => {
    expect(matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
  });

  it('multiplies a row by a column into [1,1], and [3,2] @ [2,1]', () => {
    expect(matmul(tensor([[1, 2]]), tensor([[3], [4]])).toArray()).toEqual([[11]]);
    expect(matmul(tensor([[1, 0], [0, 1], [2, -1]]), tensor([[3], [4]])).toArray()).toEqual([[3], [4], [2]]);
  });

  it('has gradients G·Bᵀ and Aᵀ·G (worked by hand)', () => {
    const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const b = tensor([[5, 6], [7, 8]], { requiresGrad: true });
    // L = Σ (A·B)⊙W with W = [[1,0],[0,2]]: G = W.
    a.matmul(b).mul(tensor([[1, 0], [0, 2]])).sum().backward();
    // G·Bᵀ = [[1·5+0·6, 1·7+0·8], [0·5+2·6, 0·7+2·8]]
    expect(a.grad!.toArray()).toEqual([
      [5, 7],
      [12, 16],
    ]);
    // Aᵀ·G = [[1·1+3·0, 1·0+3·2], [2·1+4·0, 2·0+4·2]]
    expect(b.grad!.toArray()).toEqual([
      [1, 6],
      [2, 8],
    ]);
  });

  it('gives zeros for an empty inner dimension', () => {
    expect(matmul(zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('transposes [2,3] to [3,2]', () => {
    expect(transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('reverses the axes of an N-D tensor by default and follows a permutation', () => {
    const x = tensor([[[1, 2, 3], [4, 5, 6]]]); // [1, 2, 3]
    expect(transpose(x).shape).toEqual([3, 2, 1]);
    expect(transpose(x).toArray()).toEqual([[[1], [4]], [[2], [5]], [[3], [6]]]);
    expect(transpose(x, [0, 2, 1]).toArray()).toEqual([[[1, 4], [2, 5], [3, 6]]]);
  });

  it('throws when transpose gets a permutation that is not one of the axes', () => {
    expect(() => transpose(ones([2, 3, 4]), [0, 1])).toThrow(/^transpose: perm \[0,1\] is not a permutation of the 3 axes of \[2,3,4\]$/);
    expect(() => transpose(ones([2, 3, 4]), [0, 1, 1])).toThrow(ShapeError);
  });
});

describe('reshape and broadcastTo', () => {
  it('reshapes keeping row-major order, with -1 inferred', () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(reshape(x, [2, 3]).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(reshape(x, [3, -1]).shape).toEqual([3, 2]);
    expect(reshape(x, [-1, 1, 2]).shape).toEqual([3, 1, 2]);
    expect(reshape(tensor(7), [1, 1]).toArray()).toEqual([[7]]);
    expect(reshape(tensor([7]), []).item()).toBe(7);
  });

  it('routes the gradient back to the original shape', () => {
    const x = tensor([1, 2, 3, 4], { requiresGrad: true });
    x.reshape([2, 2]).mul(tensor([[1, 2], [3, 4]])).sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 2, 3, 4]);
  });

  it('throws when the element counts differ', () => {
    expect(() => reshape(ones([2, 3]), [4, 2])).toThrow(/^reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\] \(8 elements\)$/);
  });

  it('throws when -1 cannot be inferred or appears twice', () => {
    expect(() => reshape(ones([2, 3]), [4, -1])).toThrow(/^reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,-1\]$/);
    expect(() => reshape(ones([2, 3]), [-1, -1])).toThrow(/^reshape: only one dimension may be -1, got \[-1,-1\]$/);
    expect(() => reshape(ones([2, 3]), [-2, -3])).toThrow(ShapeError);
  });

  it('broadcasts a column to a matrix and a vector to 3-d', () => {
    expect(broadcastTo(tensor([[1], [2]]), [2, 3]).toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(broadcastTo(tensor([1, 2]), [2, 1, 2]).toArray()).toEqual([[[1, 2]], [[1, 2]]]);
    expect(broadcastTo(tensor(5), [2]).toArray()).toEqual([5, 5]);
  });

  it('sums the gradient over the repeated axes', () => {
    const x = tensor([[1], [2]], { requiresGrad: true });
    x.broadcastTo([2, 3]).mul(tensor([[1, 2, 3], [4, 5, 6]])).sum().backward();
    expect(x.grad!.toArray()).toEqual([[6], [15]]);
  });

  it('throws when the shape is not a broadcast of the input', () => {
    expect(() => broadcastTo(ones([2, 3]), [3])).toThrow(/^broadcastTo: shape \[2,3\] cannot be broadcast to \[3\]$/);
    expect(() => broadcastTo(ones([2]), [3])).toThrow(/^broadcastTo: shapes \[2\] and \[3\] cannot be broadcast$/);
    expect(() => broadcastTo(ones([2]), [2.5])).toThrow(/^broadcastTo: shape \[2\.5\] has an invalid dimension 2\.5$/);
  });
});

describe('sum, mean, max', () => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const cube = tensor([
    [
      [1, 2],
      [3, 4],
    ],
    [
      [5, 6],
      [7, 8],
    ],
  ]);

  it('sum over all axes, one axis, negative axis, and a list', () => {
    expect(sum(m).item()).toBe(21);
    expect(sum(m).shape).toEqual([]);
    expect(sum(m, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(m, 1).toArray()).toEqual([6, 15]);
    expect(sum(m, -1).toArray()).toEqual([6, 15]);
    expect(sum(m, [0, 1]).item()).toBe(21);
    expect(sum(cube, [0, 2]).toArray()).toEqual([1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
    expect(sum(cube, [2, 0]).toArray()).toEqual([14, 22]);
    expect(sum(tensor(3.5)).item()).toBe(3.5);
  });

  it('sum with keepDims keeps reduced axes as 1', () => {
    expect(sum(m, 0, true).toArray()).toEqual([[5, 7, 9]]);
    expect(sum(m, 1, true).toArray()).toEqual([[6], [15]]);
    expect(sum(m, undefined, true).toArray()).toEqual([[21]]);
    expect(sum(cube, [0, 2], true).shape).toEqual([1, 2, 1]);
  });

  it('sum over an empty axis is 0', () => {
    expect(sum(zeros([2, 0]), 1).toArray()).toEqual([0, 0]);
    expect(sum(zeros([0])).item()).toBe(0);
  });

  it('mean by hand', () => {
    expect(mean(m).item()).toBe(3.5);
    expect(mean(m, 0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(mean(m, 1, true).toArray()).toEqual([[2], [5]]);
    expect(mean(cube, [1, 2]).toArray()).toEqual([2.5, 6.5]);
  });

  it('mean gradient is 1/n per element', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    x.mean(1).sum().backward();
    expect(x.grad!).toBeAllclose(ones([2, 3]).mul(1 / 3));
  });

  it('max over all axes, one axis and a list', () => {
    const t = tensor([
      [1, 5],
      [7, 2],
    ]);
    expect(max(t).item()).toBe(7);
    expect(max(t, 0).toArray()).toEqual([7, 5]);
    expect(max(t, 1).toArray()).toEqual([5, 7]);
    expect(max(t, 1, true).toArray()).toEqual([[5], [7]]);
    expect(max(cube, [0, 1]).toArray()).toEqual([7, 8]);
    expect(max(tensor([-3, -1, -2])).item()).toBe(-1);
    expect(max(tensor(-4)).item()).toBe(-4);
  });

  it('max propagates NaN', () => {
    expect(max(tensor([1, NaN, 3])).item()).toBeNaN();
  });

  it('max routes the gradient to the argmax, and shares it equally among ties', () => {
    const x = tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
    x.max(1).mul(tensor([10, 4])).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 5, 5],
      [2, 2, 0],
    ]);
    const y = tensor([4, 9, 1], { requiresGrad: true });
    y.max().backward();
    expect(y.grad!.toArray()).toEqual([0, 1, 0]);
  });

  it('sum gradient broadcasts back over the summed axes', () => {
    const x = tensor(cube.toArray(), { requiresGrad: true });
    x.sum([0, 2]).mul(tensor([1, 10])).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [
        [1, 1],
        [10, 10],
      ],
      [
        [1, 1],
        [10, 10],
      ],
    ]);
  });

  it('throws when an axis is out of range', () => {
    expect(() => sum(m, 2)).toThrow(/^sum: axis 2 out of range for shape \[2,3\]$/);
    expect(() => max(m, -3)).toThrow(/^max: axis -3 out of range for shape \[2,3\]$/);
    expect(() => sum(m, 0.5)).toThrow(ShapeError);
  });

  it('throws when an axis is repeated', () => {
    expect(() => sum(m, [1, -1])).toThrow(/^sum: repeated axis in \[1,-1\]$/);
  });

  it('throws when max reduces an empty axis', () => {
    expect(() => max(zeros([2, 0]), 1)).toThrow(/^max: cannot take the maximum of an empty axis of \[2,0\]$/);
  });
});

describe('softmax and logSoftmax', () => {
  it('softmax by hand: [0, ln 2] → [1/3, 2/3]; default axis is the last', () => {
    expect(softmax(tensor([0, LN2]))).toBeAllclose([1 / 3, 2 / 3], { rtol: 1e-15 });
    expect(softmax(tensor([[0, LN2], [1, 1]]))).toBeAllclose([[1 / 3, 2 / 3], [0.5, 0.5]], { rtol: 1e-15 });
  });

  it('softmax along axis 0 normalizes columns', () => {
    expect(softmax(tensor([[0, 5], [LN2, 5]]), 0)).toBeAllclose([[1 / 3, 0.5], [2 / 3, 0.5]], { rtol: 1e-15 });
  });

  it('softmax rows of a 3-d tensor each sum to 1', () => {
    const y = softmax(tensor([[[1, 2, 3], [-1, 0, 9]], [[0.5, 0.5, 0.5], [100, -100, 0]]]));
    expect(sum(y, -1)).toBeAllclose(ones([2, 2]), { rtol: 1e-15 });
  });

  it('logSoftmax is stable for inputs like 1000 and -1000', () => {
    expect(logSoftmax(tensor([[1000, 1000]]), 1)).toBeAllclose([[-LN2, -LN2]], { rtol: 1e-15 });
    expect(logSoftmax(tensor([1000, -1000]))).toBeAllclose([0, -2000], { rtol: 1e-15 });
    expect(logSoftmax(tensor([-1000, -1000, -1000]))).toBeAllclose([-Math.log(3), -Math.log(3), -Math.log(3)], { rtol: 1e-14 });
    const s = softmax(tensor([1000, -1000]));
    expect(Array.from(s.data)).toEqual([1, 0]);
  });

  it('logSoftmax gradient is finite and equals onehot − softmax for large inputs', () => {
    const x = tensor([1000, 999, -1000], { requiresGrad: true });
    // L = logSoftmax(x)[0]; ∂L/∂x = e₀ − softmax(x)
    logSoftmax(x).mul(tensor([1, 0, 0])).sum().backward();
    const e = Math.exp(-1);
    const p = [1 / (1 + e), e / (1 + e), 0];
    expect(x.grad!).toBeAllclose([1 - p[0]!, -p[1]!, -p[2]!], { rtol: 1e-12, atol: 1e-300 });
  });

  it('throws when the axis is out of range', () => {
    expect(() => softmax(ones([2, 3]), 2)).toThrow(/^softmax: axis 2 out of range for shape \[2,3\]$/);
    expect(() => logSoftmax(tensor(1))).toThrow(ShapeError);
  });
});

describe('pow argument checking', () => {
  it('throws a DTypeError when the exponent is not a number, naming pow', () => {
    expect(() => pow(ones([2]), ones([2]) as unknown as number)).toThrow(DTypeError);
    expect(() => pow(ones([2]), 'x' as unknown as number)).toThrow(/^pow: exponent must be a number, got string$/);
  });
});

describe('softplus', () => {
  it('is log(1 + eˣ) on moderate inputs, on several ranks', () => {
    for (const [, x] of ranked) {
      const y = softplus(x);
      expect(y.shape).toEqual(x.shape);
      expect(y.data).toBeAllclose(Array.from(x.data, (v) => Math.log1p(Math.exp(v))), { rtol: 1e-14 });
    }
    expect(softplus(tensor(0)).item()).toBeCloseTo(LN2, 15);
  });

  it('neither overflows for large x nor loses precision for very negative x', () => {
    const y = softplus(tensor([1000, 800, -40, -800]));
    expect(y.data[0]).toBe(1000); // log(1 + e^1000) = 1000 + log1p(e^-1000)
    expect(y.data[1]).toBe(800);
    // log(1 + e^-40) ≈ e^-40: the naive log(1 + e^-40) rounds to 0
    expect(y.data[2]).toBeAllclose([Math.exp(-40)], { rtol: 1e-14 });
    expect(y.data[3]).toBe(0);
  });

  it('has derivative σ(x), finite at ±1000', () => {
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    expect(gradOf((x) => x.softplus(), [-2, 0, 3])).toBeAllclose([s(-2), 0.5, s(3)], { rtol: 1e-14 });
    expect(gradOf((x) => x.softplus(), [-1000, 1000])).toEqual([0, 1]);
  });
});

describe('matmulT, sumTo, where, sign and comparisons: bad input', () => {
  it('throws when matmulT’s inner dimensions differ, marking the transposed operand', () => {
    expect(() => matmulT(ones([2, 3]), ones([2, 4]), false, true)).toThrow(/^matmul: inner dimensions differ: \[2,3\] @ \[2,4\]ᵀ$/);
    expect(() => matmulT(ones([2, 3]), ones([3]), true, false)).toThrow(ShapeError);
  });

  it('throws when sumTo’s target does not broadcast to the input', () => {
    expect(() => sumTo(ones([2, 3]), [3, 1])).toThrow(/^sumTo: shape \[3,1\] does not broadcast to \[2,3\]$/);
    expect(() => sumTo(ones([2, 3]), [2, 3, 1])).toThrow(ShapeError);
    expect(() => sumTo(ones([2, 3]), [-1])).toThrow(/^sumTo: shape \[-1\] has an invalid dimension -1$/);
  });

  it('throws when where’s three shapes cannot be broadcast, or an argument is not a tensor', () => {
    expect(() => where(ones([2, 1]), ones([3]), ones([4]))).toThrow(/^where: shapes \[2,3\] and \[4\] cannot be broadcast$/);
    expect(() => where('x' as unknown as Tensor, 1, 2)).toThrow(/^where: argument 'condition' must be a Tensor or a number, got string$/);
  });

  it('throws when a comparison gets shapes that do not broadcast', () => {
    expect(() => greater(ones([2]), ones([3]))).toThrow(/^greater: shapes \[2\] and \[3\] cannot be broadcast$/);
    expect(() => equal(ones([2]), null as unknown as Tensor)).toThrow(/^equal: argument 'b' must be a Tensor or a number, got null$/);
  });

  it('comparisons and sign start no gradient path; where sends none to its condition', () => {
    const x = tensor([1, -2], { requiresGrad: true });
    expect(greater(x, 0).requiresGrad).toBe(false);
    expect(sign(x).requiresGrad).toBe(false);
    const c = tensor([1, 0], { requiresGrad: true });
    where(c, x, 0).sum().backward();
    expect(c.grad).toBeNull();
    expect(x.grad).toBeAllclose([1, 0]);
  });
});
