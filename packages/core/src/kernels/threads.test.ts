import { describe, expect, it } from 'vitest';
import { createKernels, createRng } from '../index.ts';
import { LateHelperPolicy, withHelperThread } from './threads.ts';

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

  it('falls back to one thread after a run of late helper halves, retries later, and backs off further on a relapse', () => {
    const p = new LateHelperPolicy(3, 4, 16, 256);
    const shared = (n: number, own: number, wait: number): number => {
      let count = 0;
      for (let i = 0; i < n; i++) {
        if (p.share()) {
          count++;
          p.record(own, wait);
        }
      }
      return count;
    };
    // a helper that answers in time keeps sharing
    expect(shared(20, 1, 0.5)).toBe(20);
    expect(p.fallbacks).toBe(0);
    // late twice, then on time: the run of late products starts again
    expect(shared(2, 1, 3) + shared(1, 1, 0.2) + shared(2, 1, 3)).toBe(5);
    expect(p.fallbacks).toBe(0);
    // a third late product in a row: the next 4 products run alone, then sharing is tried again
    expect(shared(1, 1, 3)).toBe(1);
    expect(shared(4, 1, 3)).toBe(0);
    expect(p.fallbacks).toBe(4);
    // still late: after 3 more tries the backoff has doubled to 8
    expect(shared(3, 1, 3)).toBe(3);
    expect(shared(8, 1, 0.1)).toBe(0);
    expect(p.fallbacks).toBe(12);
    // the next relapse skips 16, the cap, and so does the one after it
    expect(shared(3, 1, 3)).toBe(3);
    expect(shared(16, 1, 3)).toBe(0);
    expect(shared(3, 1, 3)).toBe(3);
    expect(shared(17, 1, 0.1)).toBe(1);
    expect(p.fallbacks).toBe(12 + 16 + 16);
  });
});
