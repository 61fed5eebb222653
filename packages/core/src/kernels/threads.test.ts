import { describe, expect, it } from 'vitest';
import { createKernels, createRng } from '../index.ts';
import { withHelperThread } from './threads.ts';

describe('withHelperThread', () => {
  it('splits NN and NT products over two threads with bit-identical results', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const base = createKernels(dtype, { bytes: 1 << 22, shared: true });
      const k = withHelperThread(base);
      const rng = createRng(3);
      const [M, N, K] = [30, 13, 784];
      const A = k.alloc(M * K);
      const B = k.alloc(K * N);
      const Bt = k.alloc(N * K);
      for (const x of [A, B, Bt]) for (let i = 0; i < x.length; i++) x[i] = rng.normal();
      // The helper starts asynchronously; products run on one thread until it is up.
      const deadline = Date.now() + 5000;
      const one = k.alloc(M * N);
      const two = k.alloc(M * N);
      base.gemmNN(M, N, K, A, B, one, false);
      while (k.jobs === 0 && Date.now() < deadline) {
        k.gemmNN(M, N, K, A, B, two, false);
        await new Promise((r) => setTimeout(r, 5));
      }
      const before = k.jobs;
      expect(before).toBeGreaterThan(0); // the helper really computed half of a product
      k.gemmNN(M, N, K, A, B, two, false);
      expect(k.jobs).toBe(before + 1);
      expect(Array.from(two)).toEqual(Array.from(one));
      const c1 = k.alloc(M * N);
      const c2 = k.alloc(M * N);
      c1.fill(1);
      c2.fill(1);
      base.gemmNT(M, N, K, A, Bt, c1, true);
      k.gemmNT(M, N, K, A, Bt, c2, true);
      expect(Array.from(c2)).toEqual(Array.from(c1));
      k.close();
      k.gemmNN(M, N, K, A, B, two, false); // after close: one thread, same answer
      expect(Array.from(two)).toEqual(Array.from(one));
    }
  });

  it('refuses kernels that are not on shared memory', () => {
    expect(() => withHelperThread(createKernels('float32', { bytes: 1024 }))).toThrow(/created with \{ shared: true \}/);
  });
});
