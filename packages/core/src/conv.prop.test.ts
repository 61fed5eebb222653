/**
 * Properties of conv2d, maxPool2d and avgPool2d and of their backward primitives over random
 * geometries (size-1 dimensions, strides 1–2 per axis, padding 0, 1 or 'same', non-square
 * kernels):
 *   1. forward values against naive nested loops written from the definitions;
 *   2. gradcheck and gradgradcheck of every op and every backward primitive.
 *
 * Tolerance (TOL): |analytic − numeric| ≤ 1e-6 + 1e-5·|numeric|, float64, central differences
 * with eps = 1e-6, as in ops.gradgrad.prop.test.ts: first derivatives of these bilinear and
 * piecewise-linear ops are exact up to round-off (~1e-10 here), and the second-order check
 * differentiates a gradient that sums up to C·kh·kw products, so it gets a little more room.
 * maxPool inputs are distinct values ≥ 0.1 apart, so no step of 1e-6 crosses a tie.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { type Tensor, avgPool2d, conv2d, fromData, maxPool2d } from './index.ts';
import { avgPool2dGrad, conv2dBackpropFilter, conv2dBackpropInput, maxPool2dGather, maxPool2dGrad, setWasmIm2col } from './conv.ts';
import { propertyConfig, tensorArb } from './testing/index.ts';

const TOL = { rtol: 1e-5, atol: 1e-6 };

type Padding = number | 'same';

interface ConvCase {
  readonly x: readonly [number, number, number, number];
  readonly w: readonly [number, number, number, number];
  readonly stride: readonly [number, number];
  readonly padding: Padding;
}

const dim = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });

/** A random valid convolution: kernel ≤ input, strides 1–2, padding 0, 1 or 'same'. */
const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    N: dim(1, 2),
    C: dim(1, 3),
    F: dim(1, 3),
    kh: dim(1, 3),
    kw: dim(1, 3),
    sh: dim(1, 2),
    sw: dim(1, 2),
    padding: fc.constantFrom<Padding>(0, 1, 'same'),
  })
  .chain((r) =>
    fc.record({ H: dim(r.kh, 5), W: dim(r.kw, 5) }).map(({ H, W }) => ({
      x: [r.N, r.C, H, W] as const,
      w: [r.F, r.C, r.kh, r.kw] as const,
      stride: [r.sh, r.sw] as const,
      padding: r.padding,
    })),
  );

/** Output size and top/left padding of one axis, computed from the definitions. */
function axis(n: number, k: number, s: number, padding: Padding): { out: number; before: number } {
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + k - n, 0);
    return { out, before: Math.floor(total / 2) };
  }
  return { out: Math.floor((n + 2 * padding - k) / s) + 1, before: padding };
}

function at4(t: Tensor, a: number, b: number, c: number, d: number): number {
  const [, B, C, D] = t.shape as [number, number, number, number];
  return t.data[((a * B + b) * C + c) * D + d]!;
}

/** conv2d from its definition: out[n,f,i,j] = Σ_{c,a,b} x[n,c,i·sh−pt+a, j·sw−pl+b]·w[f,c,a,b]. */
function naiveConv(x: Tensor, w: Tensor, stride: readonly [number, number], padding: Padding): number[][][][] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [F, , kh, kw] = w.shape as [number, number, number, number];
  const v = axis(H, kh, stride[0], padding);
  const h = axis(W, kw, stride[1], padding);
  const out: number[][][][] = [];
  for (let n = 0; n < N; n++) {
    out.push([]);
    for (let f = 0; f < F; f++) {
      out[n]!.push([]);
      for (let i = 0; i < v.out; i++) {
        out[n]![f]!.push([]);
        for (let j = 0; j < h.out; j++) {
          let sum = 0;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < kh; a++)
              for (let b = 0; b < kw; b++) {
                const r = i * stride[0] - v.before + a;
                const q = j * stride[1] - h.before + b;
                if (r >= 0 && r < H && q >= 0 && q < W) sum += at4(x, n, c, r, q) * at4(w, f, c, a, b);
              }
          out[n]![f]![i]!.push(sum);
        }
      }
    }
  }
  return out;
}

/** Pooling from its definition: reduce each kh×kw window, windows `stride` apart. */
function naivePool(x: Tensor, kernel: readonly [number, number], stride: readonly [number, number], reduce: (values: number[]) => number): number[][][][] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const Ho = Math.floor((H - kernel[0]) / stride[0]) + 1;
  const Wo = Math.floor((W - kernel[1]) / stride[1]) + 1;
  const out: number[][][][] = [];
  for (let n = 0; n < N; n++) {
    out.push([]);
    for (let c = 0; c < C; c++) {
      out[n]!.push([]);
      for (let i = 0; i < Ho; i++) {
        out[n]![c]!.push([]);
        for (let j = 0; j < Wo; j++) {
          const values: number[] = [];
          for (let a = 0; a < kernel[0]; a++) for (let b = 0; b < kernel[1]; b++) values.push(at4(x, n, c, i * stride[0] + a, j * stride[1] + b));
          out[n]![c]![i]!.push(reduce(values));
        }
      }
    }
  }
  return out;
}

interface PoolCase {
  readonly x: readonly [number, number, number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
}

/** A random valid pooling: kernel ≤ input, strides 1–3 (overlapping, tiling or gapped windows). */
const poolCaseArb: fc.Arbitrary<PoolCase> = fc
  .record({ N: dim(1, 2), C: dim(1, 3), kh: dim(1, 3), kw: dim(1, 3), sh: dim(1, 3), sw: dim(1, 3) })
  .chain((r) =>
    fc.record({ H: dim(r.kh, 6), W: dim(r.kw, 6) }).map(({ H, W }) => ({
      x: [r.N, r.C, H, W] as const,
      kernel: [r.kh, r.kw] as const,
      stride: [r.sh, r.sw] as const,
    })),
  );

/** A tensor of distinct values 0.1 apart in random order, so every window has one maximum. */
function distinctArb(shape: readonly number[]): fc.Arbitrary<Tensor> {
  const n = shape.reduce((p, d) => p * d, 1);
  const order = Array.from({ length: n }, (_, i) => i);
  return fc
    .shuffledSubarray(order, { minLength: n, maxLength: n })
    .map((perm) => fromData(Float64Array.from(perm, (i) => (i - n / 2) * 0.1), shape));
}

const pooledShape = (c: PoolCase): number[] => [c.x[0], c.x[1], Math.floor((c.x[2] - c.kernel[0]) / c.stride[0]) + 1, Math.floor((c.x[3] - c.kernel[1]) / c.stride[1]) + 1];

/** The primitive attributes conv2d chose for a case (top/left padding). */
function convAttrs(c: ConvCase): { stride: readonly [number, number]; pad: readonly [number, number] } {
  return { stride: c.stride, pad: [axis(c.x[2], c.w[2], c.stride[0], c.padding).before, axis(c.x[3], c.w[3], c.stride[1], c.padding).before] };
}

function convOutShape(c: ConvCase): number[] {
  return [c.x[0], c.w[0], axis(c.x[2], c.w[2], c.stride[0], c.padding).out, axis(c.x[3], c.w[3], c.stride[1], c.padding).out];
}

const withTensors = (c: ConvCase) => fc.tuple(fc.constant(c), tensorArb(c.x), tensorArb(c.w));

describe('conv2d and pooling: forward against naive loops', () => {
  it('conv2d', () => {
    fc.assert(
      fc.property(convCaseArb.chain(withTensors), ([c, x, w]) => {
        const y = conv2d(x, w, { stride: c.stride, padding: c.padding });
        expect(y.shape).toEqual(convOutShape(c));
        expect(y.toArray()).toBeAllclose(naiveConv(x, w, c.stride, c.padding), { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig({ numRuns: 150 }),
    );
  });

  it('conv2d with a batch large enough for the SIMD products (and a 5×5 kernel)', () => {
    const c: ConvCase = { x: [3, 4, 13, 11], w: [6, 4, 5, 5], stride: [1, 1], padding: 2 };
    fc.assert(
      fc.property(withTensors(c), ([, x, w]) => {
        expect(conv2d(x, w, { padding: 2 }).toArray()).toBeAllclose(naiveConv(x, w, c.stride, c.padding), { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig({ numRuns: 3 }),
    );
  });

  it('a batch whose patches exceed one chunk (several products): forward, and both gradients image by image', () => {
    // C·kh·kw·Ho·Wo = 4·7·7·100·100 > 2^20 elements: one image per chunk, three chunks.
    const c: ConvCase = { x: [3, 4, 100, 100], w: [2, 4, 7, 7], stride: [1, 1], padding: 'same' };
    const rng = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.7));
    const x = fromData(rng(3 * 4 * 100 * 100, 1), c.x);
    const w = fromData(rng(2 * 4 * 7 * 7, 2), c.w);
    const g = fromData(rng(3 * 2 * 100 * 100, 3), [3, 2, 100, 100]);
    expect(conv2d(x, w, { padding: 'same' }).toArray()).toBeAllclose(naiveConv(x, w, c.stride, c.padding), { rtol: 1e-12, atol: 1e-12 });
    const image = (t: Tensor, n: number): Tensor => {
      const size = t.size / t.shape[0]!;
      return fromData(t.data.slice(n * size, (n + 1) * size), [1, ...t.shape.slice(1)]);
    };
    const one = { ...c, x: [1, 4, 100, 100] as const };
    const dx = conv2dBackpropInput(g, w, c.x, convAttrs(c));
    const dw = conv2dBackpropFilter(x, g, c.w, convAttrs(c));
    const dwSum = new Float64Array(dw.size);
    for (let n = 0; n < 3; n++) {
      const dxn = conv2dBackpropInput(image(g, n), w, one.x, convAttrs(one));
      expect(image(dx, n).data).toBeAllclose(dxn.data, { rtol: 1e-12, atol: 1e-12 });
      conv2dBackpropFilter(image(x, n), image(g, n), c.w, convAttrs(one)).data.forEach((v, i) => (dwSum[i] = dwSum[i]! + v));
    }
    expect(dw.data).toBeAllclose(dwSum, { rtol: 1e-10, atol: 1e-10 });
  });

  it('maxPool2d and avgPool2d', () => {
    fc.assert(
      fc.property(poolCaseArb.chain((c) => fc.tuple(fc.constant(c), tensorArb(c.x))), ([c, x]) => {
        const opts = { kernel: c.kernel, stride: c.stride };
        expect(maxPool2d(x, opts).shape).toEqual(pooledShape(c));
        expect(maxPool2d(x, opts).toArray()).toEqual(naivePool(x, c.kernel, c.stride, (v) => Math.max(...v)));
        expect(avgPool2d(x, opts).toArray()).toBeAllclose(naivePool(x, c.kernel, c.stride, (v) => v.reduce((a, b) => a + b, 0) / v.length), { rtol: 1e-14, atol: 1e-15 });
      }),
      propertyConfig({ numRuns: 150 }),
    );
  });

  it('the stride defaults to the kernel', () => {
    fc.assert(
      fc.property(poolCaseArb.chain((c) => fc.tuple(fc.constant(c), tensorArb(c.x))), ([c, x]) => {
        expect(maxPool2d(x, { kernel: c.kernel }).toArray()).toEqual(maxPool2d(x, { kernel: c.kernel, stride: c.kernel }).toArray());
      }),
      propertyConfig({ numRuns: 30 }),
    );
  });
});

describe('conv2d with the JavaScript im2col/col2im (where shared WebAssembly memory is missing)', () => {
  beforeAll(() => setWasmIm2col(false));
  afterAll(() => setWasmIm2col(true));

  it('forward against naive loops, and the two routes agree on every gradient', () => {
    fc.assert(
      fc.property(convCaseArb.chain(withTensors), ([c, x, w]) => {
        const opts = { stride: c.stride, padding: c.padding };
        expect(conv2d(x, w, opts).toArray()).toBeAllclose(naiveConv(x, w, c.stride, c.padding), { rtol: 1e-12, atol: 1e-12 });
        const g = fromData(Float64Array.from({ length: convOutShape(c).reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i + 1)), convOutShape(c));
        const js = [conv2dBackpropInput(g, w, c.x, convAttrs(c)), conv2dBackpropFilter(x, g, c.w, convAttrs(c))];
        setWasmIm2col(true);
        const wasm = [conv2dBackpropInput(g, w, c.x, convAttrs(c)), conv2dBackpropFilter(x, g, c.w, convAttrs(c))];
        setWasmIm2col(false);
        expect(js[0]!.data).toBeAllclose(wasm[0]!.data, { rtol: 1e-12, atol: 1e-12 });
        expect(js[1]!.data).toBeAllclose(wasm[1]!.data, { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig({ numRuns: 100 }),
    );
  });
});

/**
 * conv2d's input gradient from its definition: each g[n,f,i,j]·w[f,c,a,b] added at the input
 * position x[n, c, i·sh − pt + a, j·sw − pl + b] it was multiplied with (skipped in the padding).
 */
function naiveInputGrad(g: Tensor, w: Tensor, xShape: readonly [number, number, number, number], c: ConvCase): Float64Array {
  const [N, C, H, W] = xShape;
  const [F, , kh, kw] = w.shape as [number, number, number, number];
  const [, , Ho, Wo] = g.shape as [number, number, number, number];
  const { pad } = convAttrs(c);
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++)
          for (let ch = 0; ch < C; ch++)
            for (let a = 0; a < kh; a++)
              for (let b = 0; b < kw; b++) {
                const r = i * c.stride[0] - pad[0] + a;
                const q = j * c.stride[1] - pad[1] + b;
                if (r >= 0 && r < H && q >= 0 && q < W) dx[((n * C + ch) * H + r) * W + q]! += at4(g, n, f, i, j) * at4(w, f, ch, a, b);
              }
  return dx;
}

/**
 * Stride-1 cases (the direct kernel's) with five to seven channels and filter counts that leave
 * every remainder of its five-row tile; widths leave every remainder of its four-column blocks;
 * padding up to 3 puts some output rows wholly in the border.
 */
const directCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({ N: dim(1, 2), C: dim(5, 7), F: dim(1, 7), kh: dim(1, 4), kw: dim(1, 4), padding: fc.constantFrom<Padding>(0, 1, 3, 'same') })
  .chain((r) =>
    fc.record({ H: dim(r.kh, 7), W: dim(r.kw, 11) }).map(({ H, W }) => ({
      x: [r.N, r.C, H, W] as const,
      w: [r.F, r.C, r.kh, r.kw] as const,
      stride: [1, 1] as const,
      padding: r.padding,
    })),
  );

describe('stride 1: the direct kernel (patches read in place) against the definitions and the im2col route', () => {
  const sine = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.7));
  const both = <T>(run: () => T): [T, T] => {
    const direct = run();
    setWasmIm2col(false);
    try {
      return [direct, run()];
    } finally {
      setWasmIm2col(true);
    }
  };

  it('forward and both gradients on random geometries', () => {
    fc.assert(
      fc.property(directCaseArb.chain(withTensors), ([c, x, w]) => {
        const out = convOutShape(c);
        const g = fromData(sine(out.reduce((p, d) => p * d, 1), 1), out);
        expect(conv2d(x, w, { padding: c.padding }).toArray()).toBeAllclose(naiveConv(x, w, c.stride, c.padding), { rtol: 1e-12, atol: 1e-12 });
        const [dx, dxIm2col] = both(() => conv2dBackpropInput(g, w, c.x, convAttrs(c)).data);
        expect(dx).toBeAllclose(naiveInputGrad(g, w, c.x, c), { rtol: 1e-12, atol: 1e-12 });
        expect(dx).toBeAllclose(dxIm2col, { rtol: 1e-12, atol: 1e-12 });
        const [dw, dwIm2col] = both(() => conv2dBackpropFilter(x, g, c.w, convAttrs(c)).data);
        expect(dw).toBeAllclose(dwIm2col, { rtol: 1e-12, atol: 1e-12 });
      }),
      propertyConfig({ numRuns: 120 }),
    );
  });

  it('batches larger than one chunk of the workspace: forward and input gradient in several passes', () => {
    // One bordered image and its output take 5·302·302 + 4·300·300 > 2^19 elements of the 2^20
    // chunk: one image per pass, three passes (and the input gradient's im2col chunks likewise).
    const c: ConvCase = { x: [3, 5, 300, 300], w: [4, 5, 3, 3], stride: [1, 1], padding: 1 };
    const x = fromData(sine(3 * 5 * 300 * 300, 2), c.x);
    const w = fromData(sine(4 * 5 * 3 * 3, 3), c.w);
    const g = fromData(sine(3 * 4 * 300 * 300, 4), [3, 4, 300, 300]);
    const [y, yIm2col] = both(() => conv2d(x, w, { padding: 1 }).data);
    expect(y).toBeAllclose(yIm2col, { rtol: 1e-12, atol: 1e-12 });
    const [dx, dxIm2col] = both(() => conv2dBackpropInput(g, w, c.x, convAttrs(c)).data);
    expect(dx).toBeAllclose(dxIm2col, { rtol: 1e-12, atol: 1e-12 });
  });
});

describe('2×2 max-pooling at stride 2: the SIMD argmax against the JavaScript loops', () => {
  // Few distinct values, so windows tie; NaN, ±∞ and ±0 among them.
  const valueArb = fc.constantFrom(0, -0, 1, -1, 2, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
  const caseArb = fc
    .record({ N: dim(1, 3), C: dim(1, 3), H: dim(2, 9), W: dim(2, 9) })
    .chain((r) => fc.tuple(fc.constant([r.N, r.C, r.H, r.W] as const), fc.array(valueArb, { minLength: r.N * r.C * r.H * r.W, maxLength: r.N * r.C * r.H * r.W })));

  it('the same pooled values and the same first-maximum positions (ties, NaN, odd sizes)', () => {
    fc.assert(
      fc.property(caseArb, ([shape, values]) => {
        const x = fromData(Float64Array.from(values), shape);
        const pooled = [shape[0], shape[1], Math.floor(shape[2] / 2), Math.floor(shape[3] / 2)];
        // Distinct gradients, so the scatter shows which position each window chose.
        const g = fromData(Float64Array.from({ length: pooled.reduce((p, d) => p * d, 1) }, (_, i) => i + 1), pooled);
        const attrs = { kernel: [2, 2] as const, stride: [2, 2] as const };
        const simd = [maxPool2d(x, { kernel: 2 }).data, maxPool2dGrad(x, g, attrs).data];
        setWasmIm2col(false);
        try {
          const js = [maxPool2d(x, { kernel: 2 }).data, maxPool2dGrad(x, g, attrs).data];
          for (let k = 0; k < 2; k++) expect(Array.from(simd[k]!)).toEqual(Array.from(js[k]!));
        } finally {
          setWasmIm2col(true);
        }
        // The first maximum in window order (so −0 before 0 stays −0), a NaN winning.
        const firstMax = (v: number[]): number => v.reduce((best, u) => (u > best || (u !== u && best === best) ? u : best));
        expect(maxPool2d(x, { kernel: 2 }).toArray()).toEqual(naivePool(x, [2, 2], [2, 2], firstMax));
      }),
      propertyConfig({ numRuns: 200 }),
    );
  });
});

/** Runs `check` on random cases: gradcheck or gradgradcheck through the matchers. */
function convProperty(numRuns: number, body: (c: ConvCase, x: Tensor, w: Tensor) => void): void {
  fc.assert(fc.property(convCaseArb.chain(withTensors), ([c, x, w]) => body(c, x, w)), propertyConfig({ numRuns }));
}

describe('conv2d and its backward primitives: gradcheck and gradgradcheck', () => {
  it('conv2d: gradcheck', () => {
    convProperty(40, (c, x, w) => {
      expect((a: Tensor, b: Tensor) => conv2d(a, b, { stride: c.stride, padding: c.padding })).toPassGradcheck([x, w], TOL);
    });
  });

  it('conv2d: gradgradcheck', () => {
    convProperty(20, (c, x, w) => {
      expect((a: Tensor, b: Tensor) => conv2d(a, b, { stride: c.stride, padding: c.padding })).toPassGradgradcheck([x, w], TOL);
    });
  });

  const withGrad = (c: ConvCase) => fc.tuple(fc.constant(c), tensorArb(c.x), tensorArb(c.w), tensorArb(convOutShape(c)));

  it('conv2dBackpropInput (the transposed convolution): gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(convCaseArb.chain(withGrad), ([c, , w, g]) => {
        const f = (gy: Tensor, ww: Tensor): Tensor => conv2dBackpropInput(gy, ww, c.x, convAttrs(c));
        expect(f).toPassGradcheck([g, w], TOL);
        expect(f).toPassGradgradcheck([g, w], TOL);
      }),
      propertyConfig({ numRuns: 20 }),
    );
  });

  it('conv2dBackpropFilter: gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(convCaseArb.chain(withGrad), ([c, x, , g]) => {
        const f = (xx: Tensor, gy: Tensor): Tensor => conv2dBackpropFilter(xx, gy, c.w, convAttrs(c));
        expect(f).toPassGradcheck([x, g], TOL);
        expect(f).toPassGradgradcheck([x, g], TOL);
      }),
      propertyConfig({ numRuns: 20 }),
    );
  });
});

describe('pooling and its backward primitives: gradcheck and gradgradcheck', () => {
  const maxCases = poolCaseArb.chain((c) => fc.tuple(fc.constant(c), distinctArb(c.x), tensorArb(c.x), tensorArb(pooledShape(c))));

  it('maxPool2d (distinct values, no ties): gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(maxCases, ([c, x]) => {
        const f = (t: Tensor): Tensor => maxPool2d(t, { kernel: c.kernel, stride: c.stride });
        expect(f).toPassGradcheck([x], TOL);
        expect(f).toPassGradgradcheck([x], TOL);
      }),
      propertyConfig({ numRuns: 30 }),
    );
  });

  it('maxPool2dGrad and maxPool2dGather (each the adjoint of the other in g): gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(maxCases, ([c, x, h, g]) => {
        const attrs = { kernel: c.kernel, stride: c.stride };
        const scatter = (t: Tensor, gy: Tensor): Tensor => maxPool2dGrad(t, gy, attrs);
        const gather = (t: Tensor, ht: Tensor): Tensor => maxPool2dGather(t, ht, pooledShape(c), attrs);
        expect(scatter).toPassGradcheck([x, g], TOL);
        expect(scatter).toPassGradgradcheck([x, g], TOL);
        expect(gather).toPassGradcheck([x, h], TOL);
        expect(gather).toPassGradgradcheck([x, h], TOL);
      }),
      propertyConfig({ numRuns: 20 }),
    );
  });

  it('avgPool2d and avgPool2dGrad: gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(maxCases, ([c, , x, g]) => {
        const attrs = { kernel: c.kernel, stride: c.stride };
        const pool = (t: Tensor): Tensor => avgPool2d(t, attrs);
        const spread = (gy: Tensor): Tensor => avgPool2dGrad(gy, c.x, attrs);
        expect(pool).toPassGradcheck([x], TOL);
        expect(pool).toPassGradgradcheck([x], TOL);
        expect(spread).toPassGradcheck([g], TOL);
        expect(spread).toPassGradgradcheck([g], TOL);
      }),
      propertyConfig({ numRuns: 20 }),
    );
  });

  it('second order through a composition: conv2d scaled by a function of its input, then avgPool2d', () => {
    const c: ConvCase = { x: [2, 2, 6, 6], w: [3, 2, 3, 3], stride: [1, 1], padding: 1 };
    fc.assert(
      fc.property(withTensors(c), ([, x, w]) => {
        const net = (a: Tensor, b: Tensor): Tensor => avgPool2d(conv2d(a, b, { padding: 1 }).mul(a.sum()), { kernel: 2 });
        expect(net).toPassGradgradcheck([x, w], TOL);
      }),
      propertyConfig({ numRuns: 3 }),
    );
  });
});
