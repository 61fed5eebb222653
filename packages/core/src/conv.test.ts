/**
 * conv2d, maxPool2d and avgPool2d: cases translated from TensorFlow.js's own op tests, unit
 * cases, and one error case per bad input.
 *
 * TensorFlow.js works in NHWC with filters [kh, kw, inC, outC]; nabla in [N, C, H, W] with
 * filters [F, C, kh, kw]. The helpers below convert the cases' flat arrays both ways by index
 * arithmetic, so each case keeps TF.js's numbers verbatim. A 3-D TF.js input [H, W, C] is one
 * image (N = 1). Float64 here against TF.js's float32 expectations: tolerance 1e-4.
 */
import { describe, it, expect } from 'vitest';
import { DTypeError, ShapeError, type Tensor, avgPool2d, conv2d, fromData, maxPool2d, tensor, vjp } from './index.ts';

const TF = { rtol: 1e-4, atol: 1e-4 };

/** TF.js's NHWC values (shape [N, H, W, C] or [H, W, C]) as an [N, C, H, W] tensor. */
function fromNHWC(values: readonly number[], shape: readonly number[]): Tensor {
  const [N, H, W, C] = (shape.length === 3 ? [1, ...shape] : shape) as [number, number, number, number];
  const out = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) out[((n * C + c) * H + h) * W + w] = values[((n * H + h) * W + w) * C + c]!;
  return fromData(out, [N, C, H, W]);
}

/** An [N, C, H, W] tensor's values in TF.js's NHWC order. */
function toNHWC(t: Tensor): number[] {
  const [N, C, H, W] = t.shape as [number, number, number, number];
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) out.push(t.data[((n * C + c) * H + h) * W + w]!);
  return out;
}

/** TF.js's filter values [kh, kw, inC, outC] as an [F, C, kh, kw] tensor. */
function filterFromHWIO(values: readonly number[], [kh, kw, C, F]: readonly [number, number, number, number]): Tensor {
  const out = new Float64Array(F * C * kh * kw);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let c = 0; c < C; c++)
        for (let f = 0; f < F; f++) out[((f * C + c) * kh + a) * kw + b] = values[((a * kw + b) * C + c) * F + f]!;
  return fromData(out, [F, C, kh, kw]);
}

/** An [F, C, kh, kw] filter's values in TF.js's [kh, kw, inC, outC] order. */
function filterToHWIO(t: Tensor): number[] {
  const [F, C, kh, kw] = t.shape as [number, number, number, number];
  const out: number[] = [];
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let c = 0; c < C; c++)
        for (let f = 0; f < F; f++) out.push(t.data[((f * C + c) * kh + a) * kw + b]!);
  return out;
}

const iota = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);
const mod5 = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 5);

describe('conv2d: cases from TensorFlow.js', () => {
  it("x=[1,4,4,1] f=[1,1,1,3] s=2 d=1 p=same", () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[1,4,4,1] f=[1,1,1,3] s=2 d=1 p=same'
    const x = fromNHWC([10, 30, 50, 70, 20, 40, 60, 80, -10, -30, -50, -70, -20, -40, -60, -80], [4, 4, 1]);
    const w = filterFromHWIO([1, 0.5, 1], [1, 1, 1, 3]);
    const y = conv2d(x, w, { stride: [2, 2], padding: 'same' });
    expect(toNHWC(y)).toBeAllclose([10, 5, 10, 50, 25, 50, -10, -5, -10, -50, -25, -50], TF);
  });

  it('x=[2,2,2,2] f=[1,1,2,2] s=1 d=1 p=0', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[2,2,2,2] f=[1,1,2,2] s=1 d=1 p=0'
    const x = fromNHWC(iota(16), [2, 2, 2, 2]);
    const w = filterFromHWIO([-1, 1, -2, 0.5], [1, 1, 2, 2]);
    const y = conv2d(x, w, { stride: 1, padding: 0 });
    expect(y.shape).toEqual([2, 2, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([-5, 2, -11, 5, -17, 8, -23, 11, -29, 14, -35, 17, -41, 20, -47, 23], TF);
  });

  it('x=[2,2,1] f=[1,1,1,2] s=1 d=1 p=0', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[2,2,1] f=[1,1,1,2] s=1 d=1 p=0'
    const y = conv2d(fromNHWC([1, 2, 3, 4], [2, 2, 1]), filterFromHWIO([2], [1, 1, 1, 1]));
    expect(toNHWC(y)).toBeAllclose([2, 4, 6, 8], TF);
  });

  it('x=[3,3,2] f=[2,2,2,1] s=1 d=1 p=valid', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[3,3,2] f=[2,2,2,1] s=1 d=1 p=valid'
    const x = fromNHWC([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90], [3, 3, 2]);
    const w = filterFromHWIO([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [2, 2, 2, 1]);
    const y = conv2d(x, w, { padding: 'valid' });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([25.6, 53.5, 157.0, 220.9], TF);
  });

  it('x=[2,2,2,1] f=[1,1,1,1] s=1 d=1 p=0', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[2,2,2,1] f=[1,1,1,1] s=1 d=1 p=0'
    const y = conv2d(fromNHWC(iota(8), [2, 2, 2, 1]), filterFromHWIO([2], [1, 1, 1, 1]));
    expect(y.shape).toEqual([2, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([2, 4, 6, 8, 10, 12, 14, 16], TF);
  });

  it('x=[4,2,1] f=[4,2,1,1] s=1 d=1 p=same', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[4,2,1] f=[4,2,1,1] s=1 d=1 p=same'
    // (an even kernel: SAME pads 1 row on top and 2 at the bottom, 0 left and 1 right)
    const x = fromNHWC(iota(8), [4, 2, 1]);
    const w = filterFromHWIO([3, 1, 5, 0, 2, 7, 8, 9], [4, 2, 1, 1]);
    const y = conv2d(x, w, { padding: 'same' });
    expect(y.shape).toEqual([1, 1, 4, 2]);
    expect(toNHWC(y)).toBeAllclose([133, 66, 200, 102, 108, 58, 56, 58], TF);
  });

  it('x=[2,2,1] f=[2,2,1,1] s=1 d=1 p=same', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[2,2,1] f=[2,2,1,1] s=1 d=1 p=same'
    const y = conv2d(fromNHWC([1, 2, 3, 4], [2, 2, 1]), filterFromHWIO([3, 1, 5, 0], [2, 2, 1, 1]), { padding: 'same' });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([20, 26, 13, 12], TF);
  });

  it('x=[2,2,1] f=[2,2,1,1] s=1 d=1 p=0', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[2,2,1] f=[2,2,1,1] s=1 d=1 p=0'
    const y = conv2d(fromNHWC([1, 2, 3, 4], [2, 2, 1]), filterFromHWIO([3, 1, 5, 0], [2, 2, 1, 1]), { padding: 0 });
    expect(toNHWC(y)).toBeAllclose([20], TF);
  });

  it('x=[1,3,6,1] f=[2,2,1,1] s=[1,2] d=1 p=valid', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[1,3,6,1] f=[2,2,1,1] s=[1,2] d=1 p=valid'
    // (generateCaseInputs: input and filter values 1, 2, 3, …)
    const y = conv2d(fromNHWC(iota(18), [1, 3, 6, 1]), filterFromHWIO(iota(4), [2, 2, 1, 1]), { stride: [1, 2], padding: 'valid' });
    expect(toNHWC(y)).toBeAllclose([58.0, 78.0, 98.0, 118.0, 138.0, 158.0], TF);
  });

  it('x=[1,8,8,16] f=[3,3,16,1] s=[2,2] d=1 p=same', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[1,8,8,16] f=[3,3,16,1] s=[2,2] d=1 p=same'
    const y = conv2d(fromNHWC(mod5(8 * 8 * 16), [1, 8, 8, 16]), filterFromHWIO(mod5(3 * 3 * 16), [3, 3, 16, 1]), { stride: [2, 2], padding: 'same' });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(toNHWC(y)).toBeAllclose([854, 431, 568, 382, 580, 427, 854, 288, 431, 568, 580, 289, 285, 570, 285, 258], TF);
  });

  it('x=[1,8,8,3] f=[3,3,3,4] s=[2,2] d=1 p=same', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[1,8,8,3] f=[3,3,3,4] s=[2,2] d=1 p=same'
    const y = conv2d(fromNHWC(mod5(8 * 8 * 3), [1, 8, 8, 3]), filterFromHWIO(mod5(3 * 3 * 3 * 4), [3, 3, 3, 4]), { stride: [2, 2], padding: 'same' });
    expect(y.shape).toEqual([1, 4, 4, 4]);
    expect(toNHWC(y)).toBeAllclose(
      [
        104, 125, 126, 102, 133, 126, 104, 57, 137, 102, 57, 112, 64, 40, 76, 92, 116, 53, 110, 142, 50, 104, 133, 137, 104, 125, 126, 102, 83, 88, 78, 33,
        133, 126, 104, 57, 137, 102, 57, 112, 116, 53, 110, 142, 37, 76, 100, 99, 33, 68, 83, 88, 70, 83, 76, 64, 92, 88, 64, 40, 51, 44, 27, 50,
      ],
      TF,
    );
  });

  it('x=[1,8,8,3] f=[3,3,3,4] s=[2,2] d=1 p=valid', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[1,8,8,3] f=[3,3,3,4] s=[2,2] d=1 p=valid'
    const y = conv2d(fromNHWC(mod5(8 * 8 * 3), [1, 8, 8, 3]), filterFromHWIO(mod5(3 * 3 * 3 * 4), [3, 3, 3, 4]), { stride: 2, padding: 'valid' });
    expect(y.shape).toEqual([1, 4, 3, 3]);
    expect(toNHWC(y)).toBeAllclose(
      [
        104, 125, 126, 102, 133, 126, 104, 57, 137, 102, 57, 112, 116, 53, 110, 142, 50, 104, 133, 137, 104, 125, 126, 102, 133, 126, 104, 57, 137, 102,
        57, 112, 116, 53, 110, 142,
      ],
      TF,
    );
  });

  it('x=[1,2,2,3] f=[1,1] s=2 p=1 fractional outputs default rounding', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'x=[1,2,2,3] f=[1,1] s=2 p=1 fractional outputs default rounding'
    // (TF.js's explicit padding [[0,0],[1,1],[1,1],[0,0]] is the symmetric padding 1)
    const y = conv2d(fromNHWC(iota(12), [1, 2, 2, 3]), filterFromHWIO([2, 2, 1], [1, 1, 3, 1]), { stride: 2, padding: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([0, 0, 0, 54], TF);
  });

  it('gradient with clones input=[3,3,1] f=[2,2,1,1] s=1 p=0', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'gradient with clones input=[3,3,1] f=[2,2,1,1] s=1 p=0'
    const x = fromNHWC(iota(9), [3, 3, 1]);
    const w = filterFromHWIO([1, 1, 1, 1], [2, 2, 1, 1]);
    const [dx, dw] = vjp((a, b) => conv2d(a!, b!), [x, w]).vjp(fromNHWC([3, 1, 2, 0], [2, 2, 1])) as [Tensor, Tensor];
    expect(toNHWC(dx)).toBeAllclose([3, 4, 1, 5, 6, 1, 2, 2, 0], TF);
    expect(filterToHWIO(dw)).toBeAllclose([13, 19, 31, 37], TF);
  });

  it('gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0', () => {
    // tfjs-core/src/ops/conv2d_test.ts: 'gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0'
    const x = fromNHWC([...iota(9), ...iota(9)], [2, 3, 3, 1]);
    const w = filterFromHWIO([1, 1, 1, 1], [2, 2, 1, 1]);
    const [dx, dw] = vjp((a, b) => conv2d(a!, b!), [x, w]).vjp(fromNHWC([3, 1, 2, 0, 3, 1, 2, 0], [2, 2, 2, 1])) as [Tensor, Tensor];
    expect(dx.shape).toEqual(x.shape);
    expect(toNHWC(dx)).toBeAllclose([3, 4, 1, 5, 6, 1, 2, 2, 0, 3, 4, 1, 5, 6, 1, 2, 2, 0], TF);
    expect(filterToHWIO(dw)).toBeAllclose([13 * 2, 19 * 2, 31 * 2, 37 * 2], TF);
  });
});

/** TF.js's maxPool/avgPool gradient cases: dx for a given dy, converted from NHWC. */
function poolGrad(pool: (x: Tensor) => Tensor, x: Tensor, dy: Tensor): Tensor {
  return vjp((a) => pool(a!), [x]).vjp(dy)[0]!;
}

describe('maxPool2d: cases from TensorFlow.js', () => {
  const pool = (kernel: number, stride: number) => (x: Tensor) => maxPool2d(x, { kernel, stride });

  it('x=[1,1,1] f=[1,1] s=1 [0] => [0]', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'x=[1,1,1] f=[1,1] s=1 [0] => [0]'
    expect(toNHWC(maxPool2d(fromNHWC([123], [1, 1, 1]), { kernel: 1, stride: 1 }))).toBeAllclose([123], TF);
  });

  it('x=[3,3,1] f=[2,2] s=1, p=0', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'x=[3,3,1] f=[2,2] s=1, p=0'
    const y = maxPool2d(fromNHWC([1, 2, 3, 4, 5, 6, 7, 9, 8], [3, 3, 1]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([5, 6, 9, 9], TF);
  });

  it('x=[2,3,3,1] f=[2,2] s=1', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'x=[2,3,3,1] f=[2,2] s=1'
    const y = maxPool2d(fromNHWC([1, 2, 3, 4, 5, 6, 7, 9, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 3, 3, 1]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([2, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([5, 6, 9, 9, 5, 6, 8, 9], TF);
  });

  it('x=[3,3,2] f=[2,2] s=1', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'x=[3,3,2] f=[2,2] s=1'
    const y = maxPool2d(fromNHWC([1, 99, 2, 88, 3, 77, 4, 66, 5, 55, 6, 44, 7, 33, 9, 22, 8, 11], [3, 3, 2]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([5, 99, 6, 88, 9, 66, 9, 55], TF);
  });

  it('x=[4,4,1] f=[2,2] s=2', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'x=[4,4,1] f=[2,2] s=2'
    const y = maxPool2d(fromNHWC(iota(16, 0), [4, 4, 1]), { kernel: 2, stride: 2 });
    expect(toNHWC(y)).toBeAllclose([5, 7, 13, 15], TF);
  });

  it('gradients x=[3,3,1] f=[2,2] s=1 no dup max value, test #2', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradients x=[3,3,1] f=[2,2] s=1 no dup max value, test #2'
    const dx = poolGrad(pool(2, 1), fromNHWC([9, 5, 6, 6, 8, 4, 9, 5, 10], [3, 3, 1]), fromNHWC([1, 2, 3, 4], [2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([1, 0, 0, 0, 2, 0, 3, 0, 4], TF);
  });

  it('gradients x=[2,3,3,1] f=[2,2] s=1 no duplicate max value', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradients x=[2,3,3,1] f=[2,2] s=1 no duplicate max value'
    const x = fromNHWC([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 5, 6, 6, 8, 4, 9, 5, 10], [2, 3, 3, 1]);
    const dx = poolGrad(pool(2, 1), x, fromNHWC([1, 2, 3, 4, 1, 2, 3, 4], [2, 2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([0, 0, 0, 0, 1, 2, 0, 3, 4, 1, 0, 0, 0, 2, 0, 3, 0, 4], TF);
  });

  it('gradient x=[3,3,1] f=[2,2] s=1 dup max value, test 2', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradient x=[3,3,1] f=[2,2] s=1 dup max value, test 2'
    const dx = poolGrad(pool(2, 1), fromNHWC([1, 3, 2, 1, 2, 1, 1, 1, 5], [3, 3, 1]), fromNHWC([1, 2, 3, 4], [2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([0, 3, 0, 0, 3, 0, 0, 0, 4], TF);
  });

  it('gradient x=[2,3,3,1] f=[2,2] s=1 dup max value in 2nd input', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradient x=[2,3,3,1] f=[2,2] s=1 dup max value in 2nd input'
    const x = fromNHWC([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 9, 8], [2, 3, 3, 1]);
    const dx = poolGrad(pool(2, 1), x, fromNHWC([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([0, 0, 0, 0, 1, 2, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 15, 0], TF);
  });

  it('gradient x=[4,4,1] f=[2,2] s=2 test #2', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradient x=[4,4,1] f=[2,2] s=2 test #2'
    // (windows with tied maxima: the gradient goes to the first, as in TF.js)
    const dx = poolGrad(pool(2, 2), fromNHWC([1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1], [4, 4, 1]), fromNHWC([1, 2, 3, 4], [2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0], TF);
  });

  it('gradient x=[5,5,1] f=[3,3] s=2 duplicate max value', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradient x=[5,5,1] f=[3,3] s=2 duplicate max value'
    const x = fromNHWC([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 24, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 12], [5, 5, 1]);
    const dx = poolGrad(pool(3, 2), x, fromNHWC([1, 2, 3, 4], [2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], TF);
  });

  it('gradient x=[3,3,2] f=[2,2] s=1 duplicate max value', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradient x=[3,3,2] f=[2,2] s=1 duplicate max value'
    const x = fromNHWC([0, 1, 0, 3, 0, 2, 0, 1, 5, 2, 0, 1, 0, 1, 0, 1, 0, 5], [3, 3, 2]);
    const dx = poolGrad(pool(2, 1), x, fromNHWC([1, 44, 2, 33, 3, 22, 4, 11], [2, 2, 2]));
    expect(toNHWC(dx)).toBeAllclose([0, 0, 0, 77, 0, 0, 0, 0, 10, 22, 0, 0, 0, 0, 0, 0, 0, 11], TF);
  });

  it('gradient x=[4,4,2] f=[2,2] s=1', () => {
    // tfjs-core/src/ops/max_pool_test.ts: 'gradient x=[4,4,2] f=[2,2] s=1' (the case runs stride 2)
    const x = fromNHWC([0, 1, 1, 2, 2, 2, 3, 1, 4, 1, 5, 1, 6, 1, 7, 1, 8, 1, 9, 1, 10, 1, 11, 1, 12, 1, 13, 2, 14, 2, 15, 1], [4, 4, 2]);
    const dx = poolGrad(pool(2, 2), x, fromNHWC([1, 11, 2, 22, 3, 33, 4, 44], [2, 2, 2]));
    expect(toNHWC(dx)).toBeAllclose([0, 0, 0, 11, 0, 22, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 33, 0, 44, 4, 0], TF);
  });
});

describe('avgPool2d: cases from TensorFlow.js', () => {
  it('x=[1,1,1] f=[1,1] s=1 [0] => [0]', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[1,1,1] f=[1,1] s=1 [0] => [0]'
    expect(toNHWC(avgPool2d(fromNHWC([0], [1, 1, 1]), { kernel: 1, stride: 1 }))).toBeAllclose([0], TF);
  });

  it('x=[3,3,1] f=[2,2] s=1', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[3,3,1] f=[2,2] s=1'
    const y = avgPool2d(fromNHWC([1, 2, 3, 4, 5, 6, 7, 9, 8], [3, 3, 1]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([3, 4, 6.25, 7], TF);
  });

  it('x=[2,3,3,1] f=[2,2], s=1', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[2,3,3,1] f=[2,2], s=1'
    const y = avgPool2d(fromNHWC([1, 2, 3, 4, 5, 6, 7, 9, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 3, 3, 1]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([2, 1, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([3, 4, 6.25, 7, 3, 4, 6, 7], TF);
  });

  it('x=[3,3,1] f=[2,2] s=1 propagates NaNs', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[3,3,1] f=[2,2] s=1 propagates NaNs'
    const y = toNHWC(avgPool2d(fromNHWC([1, 2, 3, 4, 5, 6, 7, NaN, 8], [3, 3, 1]), { kernel: 2, stride: 1 }));
    expect(y.slice(0, 2)).toBeAllclose([3, 4], TF);
    expect(y.slice(2).every(Number.isNaN)).toBe(true);
  });

  it('x=[3,3,2] f=[2,2] s=1', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[3,3,2] f=[2,2] s=1'
    const y = avgPool2d(fromNHWC([1, 99, 2, 88, 3, 77, 4, 66, 5, 55, 6, 44, 7, 33, 9, 22, 8, 11], [3, 3, 2]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(toNHWC(y)).toBeAllclose([3, 77, 4, 66, 6.25, 44, 7, 33], TF);
  });

  it('x=[4,4,1] f=[2,2] s=2', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[4,4,1] f=[2,2] s=2'
    const y = avgPool2d(fromNHWC(iota(16, 0), [4, 4, 1]), { kernel: 2, stride: 2 });
    expect(toNHWC(y)).toBeAllclose([2.5, 4.5, 10.5, 12.5], TF);
  });

  it('x=[2,2,3] f=[2,2] s=1 p=valid', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'x=[2,2,3] f=[2,2] s=1 p=valid'
    const y = avgPool2d(fromNHWC(iota(12), [2, 2, 3]), { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([1, 3, 1, 1]);
    expect(toNHWC(y)).toBeAllclose([5.5, 6.5, 7.5], TF);
  });

  it('gradient x=[3,3,1] f=[2,2] s=1', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'gradient x=[3,3,1] f=[2,2] s=1'
    const dx = poolGrad((x) => avgPool2d(x, { kernel: 2, stride: 1 }), fromNHWC([1, 2, 3, 4, 5, 6, 7, 9, 8], [3, 3, 1]), fromNHWC([1, 2, 3, 4], [2, 2, 1]));
    expect(toNHWC(dx)).toBeAllclose([1, 3, 2, 4, 10, 6, 3, 7, 4].map((v) => v / 4), TF);
  });

  it('gradient x=[2,3,3,1] f=[2,2], s=1', () => {
    // tfjs-core/src/ops/avg_pool_test.ts: 'gradient x=[2,3,3,1] f=[2,2], s=1'
    const x = fromNHWC([1, 2, 3, 4, 5, 6, 7, 9, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 3, 3, 1]);
    const dx = poolGrad((t) => avgPool2d(t, { kernel: 2, stride: 1 }), x, fromNHWC([1, 2, 3, 4, 1, 2, 3, 4], [2, 2, 2, 1]));
    const one = [1, 3, 2, 4, 10, 6, 3, 7, 4].map((v) => v / 4);
    expect(toNHWC(dx)).toBeAllclose([...one, ...one], TF);
  });
});

describe('conv and pooling: units', () => {
  it('the Tensor methods are the functions', () => {
    const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const w = tensor([[[[1, 0], [0, -1]]]]);
    expect(x.conv2d(w)).toBeAllclose(conv2d(x, w));
    expect(x.conv2d(w).toArray()).toEqual([[[[-4, -4], [-4, -4]]]]);
    expect(x.maxPool2d({ kernel: 2, stride: 1 }).toArray()).toEqual([[[[5, 6], [8, 9]]]]);
    expect(x.avgPool2d({ kernel: [1, 3] }).toArray()).toEqual([[[[2], [5], [8]]]]);
  });

  it("'same' keeps ceil(H / stride) rows and puts the odd padding at the bottom/right, as TF does", () => {
    // 4×4 ones, 2×2 kernel of ones, SAME: total padding 1 per axis, all of it bottom/right, so
    // the last row/column of outputs sums 2 elements and the corner 1.
    const y = conv2d(fromData(new Float64Array(16).fill(1), [1, 1, 4, 4]), fromData(new Float64Array(4).fill(1), [1, 1, 2, 2]), { padding: 'same' });
    expect(y.toArray()).toEqual([[[[4, 4, 4, 2], [4, 4, 4, 2], [4, 4, 4, 2], [2, 2, 2, 1]]]]);
    expect(conv2d(fromData(new Float64Array(25), [1, 1, 5, 5]), fromData(new Float64Array(9), [1, 1, 3, 3]), { padding: 'same', stride: 2 }).shape).toEqual([1, 1, 3, 3]);
  });

  it("'same' accepts a kernel larger than the input, as TF does (the padding covers it)", () => {
    const ones = (shape: number[]): Tensor => fromData(new Float64Array(shape.reduce((p, d) => p * d, 1)).fill(1), shape);
    expect(conv2d(ones([1, 1, 2, 2]), ones([1, 1, 5, 5]), { padding: 'same' }).toArray()).toEqual([[[[4, 4], [4, 4]]]]);
    expect(conv2d(ones([1, 1, 2, 3]), ones([2, 1, 3, 4]), { padding: 'same', stride: [1, 2] }).shape).toEqual([1, 2, 2, 2]);
  });

  it('maxPool2d: ties send the whole gradient to the first maximum (NOTE in its TSDoc)', () => {
    const x = tensor([[[[3, 3], [3, 3]]]], { requiresGrad: true });
    maxPool2d(x, { kernel: 2 }).sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[1, 0], [0, 0]]]]);
  });

  it('maxPool2d propagates NaN, as PyTorch does', () => {
    expect(Number.isNaN(maxPool2d(tensor([[[[1, NaN], [3, 2]]]]), { kernel: 2 }).item())).toBe(true);
  });
});

describe('conv and pooling: errors', () => {
  const x = fromData(new Float64Array(1 * 3 * 5 * 5), [1, 3, 5, 5]);
  const w = fromData(new Float64Array(4 * 3 * 3 * 3), [4, 3, 3, 3]);

  it('throws when x or w is not 4-D, naming the argument and the shape', () => {
    expect(() => conv2d(fromData(new Float64Array(75), [3, 5, 5]), w)).toThrow(ShapeError);
    expect(() => conv2d(fromData(new Float64Array(75), [3, 5, 5]), w)).toThrow(/^conv2d: argument 'x' must be 4-D \[N, C, H, W\], got shape \[3,5,5\]/);
    expect(() => conv2d(x, fromData(new Float64Array(27), [3, 3, 3]))).toThrow(/^conv2d: argument 'w' must be 4-D \[F, C, kh, kw\], got shape \[3,3,3\]/);
    expect(() => maxPool2d(fromData(new Float64Array(4), [2, 2]), { kernel: 1 })).toThrow(/^maxPool2d: argument 'x' must be 4-D \[N, C, H, W\], got shape \[2,2\]/);
    expect(() => avgPool2d(fromData(new Float64Array(4), [1, 2, 2]), { kernel: 1 })).toThrow(/^avgPool2d: argument 'x' must be 4-D .*\[1,2,2\]/);
  });

  it('throws when the channels of x and w differ', () => {
    const w2 = fromData(new Float64Array(4 * 2 * 3 * 3), [4, 2, 3, 3]);
    expect(() => conv2d(x, w2)).toThrow(ShapeError);
    expect(() => conv2d(x, w2)).toThrow(/^conv2d: x has 3 channels but w expects 2: x \[1,3,5,5\], w \[4,2,3,3\]$/);
  });

  it('throws when the kernel is larger than the (padded) input', () => {
    const big = fromData(new Float64Array(4 * 3 * 6 * 6), [4, 3, 6, 6]);
    expect(() => conv2d(x, big)).toThrow(/^conv2d: kernel 6×6 is larger than the padded input 5×5 \(padding 0\): x \[1,3,5,5\], w \[4,3,6,6\]$/);
    expect(conv2d(x, big, { padding: 1 }).shape).toEqual([1, 4, 2, 2]);
    expect(() => maxPool2d(x, { kernel: [2, 6] })).toThrow(/^maxPool2d: kernel 2×6 is larger than the input 5×5: x \[1,3,5,5\]$/);
    expect(() => avgPool2d(x, { kernel: 6 })).toThrow(/^avgPool2d: kernel 6×6 is larger than the input 5×5/);
  });

  it('throws on a non-positive or non-integer stride or kernel', () => {
    expect(() => conv2d(x, w, { stride: 0 })).toThrow(ShapeError);
    expect(() => conv2d(x, w, { stride: 0 })).toThrow(/^conv2d: argument 'stride' must be a positive integer or a pair of them, got 0 \(shapes \[1,3,5,5\], \[4,3,3,3\]\)$/);
    expect(() => conv2d(x, w, { stride: [1, 1.5] })).toThrow(/^conv2d: argument 'stride' .* got \[1,1.5\]/);
    expect(() => maxPool2d(x, { kernel: -1 })).toThrow(/^maxPool2d: argument 'kernel' must be a positive integer .* got -1 \(shapes \[1,3,5,5\]\)$/);
    expect(() => avgPool2d(x, { kernel: 2, stride: 0.5 })).toThrow(/^avgPool2d: argument 'stride' .* got 0.5/);
    expect(() => maxPool2d(x, { kernel: '2' as unknown as number })).toThrow(DTypeError);
    expect(() => maxPool2d(x, { kernel: '2' as unknown as number })).toThrow(/^maxPool2d: argument 'kernel' must be a positive integer or a pair of them, got "2"$/);
  });

  it('throws on an unknown padding string and a negative padding', () => {
    expect(() => conv2d(x, w, { padding: 'full' as 'same' })).toThrow(DTypeError);
    expect(() => conv2d(x, w, { padding: 'full' as 'same' })).toThrow(/^conv2d: argument 'padding' must be a non-negative integer, 'same' or 'valid', got "full"$/);
    expect(() => conv2d(x, w, { padding: -1 })).toThrow(/^conv2d: argument 'padding' must be a non-negative integer, got -1: x \[1,3,5,5\], w \[4,3,3,3\]$/);
  });

  it('throws on a non-tensor argument', () => {
    expect(() => conv2d([[1]] as unknown as Tensor, w)).toThrow(DTypeError);
    expect(() => conv2d([[1]] as unknown as Tensor, w)).toThrow(/^conv2d: argument 'x' must be a Tensor or a number, got/);
    expect(() => conv2d(x, 'w' as unknown as Tensor)).toThrow(/^conv2d: argument 'w' must be a Tensor/);
    expect(() => maxPool2d(null as unknown as Tensor, { kernel: 2 })).toThrow(/^maxPool2d: argument 'x' must be a Tensor/);
    expect(() => avgPool2d({} as unknown as Tensor, { kernel: 2 })).toThrow(/^avgPool2d: argument 'x' must be a Tensor/);
    expect(() => conv2d(x, w, null as unknown as object)).toThrow(/^conv2d: argument 'options' must be an object/);
    expect(() => maxPool2d(x, 2 as unknown as { kernel: number })).toThrow(/^maxPool2d: argument 'options' must be an object \{ kernel, stride\? \}, got 2$/);
  });
});
