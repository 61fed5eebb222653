import { describe, expect, it } from 'vitest';
import { createKernels, createRng, fromData, trace, wasmSimdSupported } from './index.ts';

const rng = createRng(4);
const fill = (a: Float64Array | Float32Array): void => {
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
};

describe('createKernels', () => {
  it('has SIMD on this Node (the fast path the benchmarks measure)', () => {
    expect(wasmSimdSupported()).toBe(true);
    expect(createKernels('float64', { bytes: 1024 }).simd).toBe(true);
    expect(createKernels('float64', { bytes: 1024, simd: false }).simd).toBe(false);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    // float64 sums in another order differ by rounding only; float32 by single-precision rounding.
    const rtol = dtype === 'float64' ? 1e-12 : 1e-5;
    it(`gives the same products and updates with SIMD and with TypeScript loops (${dtype})`, () => {
      const wasm = createKernels(dtype, { bytes: 1 << 20 });
      const ts = createKernels(dtype, { bytes: 0, simd: false });
      const [M, N, K] = [13, 7, 29];
      for (const layout of ['NN', 'NT', 'TN'] as const) {
        const A = wasm.alloc(M * K);
        const B = wasm.alloc(K * N);
        fill(A);
        fill(B);
        const C1 = wasm.alloc(M * N);
        const C2 = ts.alloc(M * N);
        fill(C1);
        C2.set(C1);
        const call = (k: typeof wasm, C: typeof C1, a: typeof A, b: typeof B): void => {
          if (layout === 'NN') k.gemmNN(M, N, K, a, b, C, true);
          else if (layout === 'NT') k.gemmNT(M, N, K, a, b, C, true);
          else k.gemmTN(M, N, K, a, b, C, true);
        };
        call(wasm, C1, A, B);
        const a2 = ts.alloc(A.length);
        const b2 = ts.alloc(B.length);
        a2.set(A);
        b2.set(B);
        call(ts, C2, a2, b2);
        expect(C1).toBeAllclose(C2, { rtol, atol: rtol });
      }
      for (const n of [0, 1, 2, 3, 5, 8, 33]) {
        const X = wasm.alloc(n);
        const Y = wasm.alloc(n);
        fill(X);
        fill(Y);
        const Y2 = ts.alloc(n);
        Y2.set(Y);
        const X2 = ts.alloc(n);
        X2.set(X);
        const expected = Array.from(Y, (y, i) => -0.5 * X[i]! + 0.9 * y);
        wasm.axpby(-0.5, X, 0.9, Y);
        ts.axpby(-0.5, X2, 0.9, Y2);
        expect(Y).toBeAllclose(expected, { rtol, atol: rtol });
        expect(Y2).toBeAllclose(expected, { rtol, atol: rtol });
      }
    });
  }

  it('gathers grey bytes into columns in [0, 1], the same with SIMD as with a division', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const simd of [true, false]) {
        const k = createKernels(dtype, { bytes: 1 << 16, simd });
        const round = dtype === 'float32' ? Math.fround : (v: number) => v;
        // Every byte value; n not a multiple of 8 or 4; m below 4, a multiple of 4 and neither (the
        // SIMD route gathers four images at a time, then one at a time); images repeated and in any order.
        const [count, n] = [11, 259];
        const images = k.allocBytes(count * n);
        for (let i = 0; i < images.length; i++) images[i] = (i * 37) % 256;
        for (const order of [[4, 0, 2], [10, 3, 3, 7], [9, 1, 5, 0, 8, 2, 6, 10, 4]]) {
          const m = order.length;
          const index = k.allocInts(m);
          index.set(order);
          const X = k.alloc(m * n);
          k.gather(images, index, m, n, X);
          for (let j = 0; j < m; j++) for (let p = 0; p < n; p++) expect(X[p * m + j]).toBe(round(images[index[j]! * n + p]! / 255));
        }
        const index = k.allocInts(3);
        index.set([4, 0, 2]);
        const X = k.alloc(3 * n);
        expect(() => k.gather(images, index, 3, n, k.alloc(3 * n - 1))).toThrow(/X of exactly 777 values/);
        index[1] = 11;
        expect(() => k.gather(images, index, 3, n, X)).toThrow(/index\[1\] is 11, not an image number below 11/);
      }
    }
  });

  it('rejects buffers from elsewhere and mismatched lengths', () => {
    const wasm = createKernels('float64', { bytes: 4096 });
    expect(() => wasm.axpby(1, new Float64Array(3), 1, wasm.alloc(3))).toThrow(/not a view into this arena/);
    expect(() => wasm.axpby(1, wasm.alloc(3), 1, wasm.alloc(4))).toThrow(/X has 3 elements, Y 4/);
  });

  it('runs a traced tape in arena memory to the same gradients as eager autodiff', () => {
    const k = createKernels('float64', { bytes: 1 << 20 });
    const inArena = (values: Float64Array, shape: number[], requiresGrad: boolean) => {
      const d = k.alloc(values.length);
      d.set(values);
      return fromData(d, shape, { requiresGrad });
    };
    const w0 = new Float64Array(6 * 5);
    const x0 = new Float64Array(5 * 4);
    fill(w0);
    fill(x0);
    const w = inArena(w0, [6, 5], true);
    const x = inArena(x0, [5, 4], false);
    const tape = trace(() => w.matmul(x).sigmoid().sum(), { allocate: (n) => k.alloc(n) });
    tape.forward();
    tape.backward();
    const eagerW = fromData(w0.slice(), [6, 5], { requiresGrad: true });
    eagerW.matmul(fromData(x0.slice(), [5, 4])).sigmoid().sum().backward();
    expect(w.grad).toBeAllclose(eagerW.grad!, { rtol: 1e-12 });
  });

  // Eager matmuls past the copy threshold run SIMD on copies in a scratch arena; float64 results
  // must be the TypeScript kernel's, bit for bit, forward and backward.
  it('gives large eager matmuls (SIMD on copies) exactly the TypeScript kernels\' results', () => {
    const [M, K, N] = [30, 784, 17];
    const a = new Float64Array(M * K);
    const b = new Float64Array(K * N);
    fill(a);
    fill(b);
    const A = fromData(a, [M, K], { requiresGrad: true });
    const B = fromData(b, [K, N], { requiresGrad: true });
    const C = A.matmul(B);
    const ts = createKernels('float64', { bytes: 0, simd: false });
    const want = new Float64Array(M * N);
    ts.gemmNN(M, N, K, a, b, want, false);
    expect(Array.from(C.data)).toEqual(Array.from(want));
    C.sum().backward();
    const ones = new Float64Array(M * N).fill(1);
    const gA = new Float64Array(M * K);
    ts.gemmNT(M, K, N, ones, b, gA, false);
    expect(Array.from(A.grad!.data)).toEqual(Array.from(gA));
  });
});

