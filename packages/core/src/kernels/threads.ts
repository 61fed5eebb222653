/**
 * `@nabla/core/threads` (Node only): a second thread for the large matrix products of
 * `createKernels`, by worker_threads on shared WebAssembly memory. The main thread and a helper
 * each compute half the rows of C; they meet through a spinning control block, since waking a
 * sleeping thread costs ~26 µs, more than a whole batch-10 product.
 *
 * NOTE: while training, the helper keeps the second core busy; it sleeps again a few
 * milliseconds after the last product. On a busy machine, where the helper does not get a core:
 * a half the helper has not started by the time this thread finishes its own is taken back and
 * computed here (no waiting for a thread that is not running), and after a few late halves the
 * products run on this thread alone for a while, doubling each time, before sharing is retried.
 *
 * @example
 * ```ts
 * import { createKernels } from '@nabla/core';
 * import { withHelperThread } from '@nabla/core/threads';
 * const k = withHelperThread(createKernels('float32', { bytes: 8 << 20, shared: true }));
 * k.gemmNN(30, 10, 784, W, X, Z, false); // rows 0–14 here, 15–29 on the helper
 * k.close();
 * ```
 * @module @nabla/core/threads
 */
import { Worker } from 'node:worker_threads';
import type { FloatDType, MatrixKernels } from '../backend.ts';

/** Kernels whose NN and NT products are split over two threads; `close()` stops the helper. */
export type ThreadedKernels<D extends FloatDType> = MatrixKernels<D> & {
  /** Stops the helper thread; the kernels then run on one thread. */
  close(): void;
  /** How many products the helper has shared so far (0 until it has started). */
  readonly jobs: number;
  /**
   * How many products ran on this thread alone because the helper had been late (a busy
   * machine): see the NOTE of {@link withHelperThread}.
   */
  readonly fallbacks: number;
  /**
   * How many shared products this thread finished alone because the helper had not started on
   * its half by the time this thread was done with its own (counted in `jobs` too).
   */
  readonly takenBack: number;
};

/**
 * When to stop sharing products with a helper that is late: on a busy machine the helper may not
 * get a core, and the main thread then waits (spinning) for a half it could have computed itself.
 * Sharing pays while the wait is shorter than the main thread's own half (one thread would take
 * about two halves); after `patience` late products in a row the products run on one thread for
 * a while (`backoff` products, doubling on each relapse up to `maxBackoff`, halved again after
 * `forgiveAfter` timely products in a row), then sharing is tried again. Pure bookkeeping, so it is tested on synthetic timings.
 * @internal
 */
export class LateHelperPolicy {
  #late = 0;
  #onTime = 0;
  #skip = 0;
  #backoff: number;
  /** Products run on one thread because the helper was late. */
  fallbacks = 0;

  constructor(
    readonly patience = 2,
    readonly firstBackoff = 64,
    readonly maxBackoff = 1 << 16,
    readonly forgiveAfter = 256,
  ) {
    this.#backoff = firstBackoff;
  }

  /** True: share this product; false: run it on this thread (and count it). */
  share(): boolean {
    if (this.#skip === 0) return true;
    this.#skip--;
    this.fallbacks++;
    return false;
  }

  /**
   * Records a shared product's timings.
   * @param own - milliseconds this thread spent on its half
   * @param wait - milliseconds it then waited for the helper's half
   */
  record(own: number, wait: number): void {
    if (wait <= own) {
      this.#late = 0;
      // Only a sustained run of timely halves earns a shorter backoff back: on a busy machine
      // timely and late halves alternate, and each late one costs more than a timely one saves.
      if (++this.#onTime >= this.forgiveAfter) {
        this.#onTime = 0;
        this.#backoff = Math.max(this.firstBackoff, this.#backoff >> 1);
      }
      return;
    }
    this.#onTime = 0;
    if (++this.#late < this.patience) return;
    this.#late = 0;
    this.#skip = this.#backoff;
    this.#backoff = Math.min(this.maxBackoff, this.#backoff * 2);
  }
}

// Op codes of gemm-worker.js.
const OPS = { float32: { NN: 0, NT: 1 }, float64: { NN: 2, NT: 3 } } as const;
// The helper's NT packing space (matmul.wat: the main instance packs at 0).
const HELPER_SCRATCH = 32768;
// Tiles are 5 rows high: split C's rows on a multiple of 5 so neither half runs a partial tile.
const TILE = 5;

/**
 * Adds a helper thread to kernels made with `{ shared: true }`: `gemmNN` and `gemmNT` with at
 * least 10 rows are split in two halves computed at once. Results are bit-identical to one
 * thread (each element is computed by the same code, in the same order).
 *
 * @example
 * ```ts
 * const k = withHelperThread(createKernels('float64', { bytes: 1 << 24, shared: true }));
 * ```
 * @param k - kernels from `createKernels(dtype, { bytes, shared: true })`
 * @throws Error when the kernels are not on shared memory
 */
export function withHelperThread<D extends FloatDType>(k: MatrixKernels<D>): ThreadedKernels<D> {
  const sharing = k.sharing;
  if (sharing === null || sharing === undefined) throw new Error('withHelperThread: the kernels must be created with { shared: true }');
  const control = k.allocBytes(64);
  const ctl = new Int32Array(control.buffer, control.byteOffset, 16);
  const worker = new Worker(new URL('./gemm-worker.js', import.meta.url), {
    workerData: { module: sharing.module, memory: sharing.memory, control: control.byteOffset, scratch: HELPER_SCRATCH },
    // Plain JavaScript: inheriting a TypeScript loader (tsx) would only slow the helper's start.
    execArgv: [],
  });
  worker.unref(); // a helper must not keep the process alive
  let failed: Error | null = null;
  worker.on('error', (e: Error) => (failed = e));
  let posted = 0;
  let open = true;
  const bytes = k.dtype === 'float64' ? 8 : 4;
  const ops = OPS[k.dtype];

  const waitFor = (job: number): void => {
    for (let spins = 0; Atomics.load(ctl, 1) !== job; spins++) {
      // A helper that never answers is a bug or a dead worker: fail loudly instead of hanging.
      if ((spins & 0xfffff) === 0xfffff && (failed !== null || spins > 1 << 30)) throw new Error(`withHelperThread: the helper thread stopped answering${failed ? `: ${(failed as Error).message}` : ''}`);
    }
  };
  // Until the helper has started, products run on this thread alone.
  const ready = (): boolean => Atomics.load(ctl, 10) === 1;

  const policy = new LateHelperPolicy();
  let takenBack = 0;
  const split = (layout: 'NN' | 'NT', M: number, N: number, K: number, A: Float64Array | Float32Array, B: Float64Array | Float32Array, C: Float64Array | Float32Array, accumulate: boolean): boolean => {
    if (!open || M < 2 * TILE || !ready() || !policy.share()) return false;
    // Measured: with float64 and a short K, both threads packing the same Bᵀ panels costs more
    // than half the product saves.
    if (layout === 'NT' && k.dtype === 'float64' && K < 32) return false;
    const top = Math.floor(M / (2 * TILE)) * TILE; // rows [0, top) here, [top, M) on the helper
    ctl[2] = ops[layout];
    ctl[3] = M - top;
    ctl[4] = N;
    ctl[5] = K;
    ctl[6] = A.byteOffset + top * K * bytes;
    ctl[7] = B.byteOffset;
    ctl[8] = C.byteOffset + top * N * bytes;
    ctl[9] = accumulate ? 1 : 0;
    const job = ++posted;
    Atomics.store(ctl, 12, job);
    Atomics.store(ctl, 0, job);
    Atomics.notify(ctl, 0, 1);
    // Rows [from, to) of C on this thread.
    const rows = (from: number, to: number): void => {
      const product = (layout === 'NN' ? k.gemmNN : k.gemmNT) as (this: unknown, ...x: unknown[]) => void;
      product.call(k, to - from, N, K, A.subarray(from * K, to * K), B, C.subarray(from * N, to * N), accumulate);
    };
    const start = performance.now();
    rows(0, top);
    const own = performance.now();
    if (Atomics.compareExchange(ctl, 12, job, 0) === job) {
      // The helper has not started (it did not get a core): take the half back and compute it
      // here, instead of waiting for a thread that is not running. It will only acknowledge.
      rows(top, M);
      policy.record(own - start, Infinity);
      takenBack++;
      return true;
    }
    waitFor(job);
    policy.record(own - start, performance.now() - own);
    return true;
  };

  return {
    ...k,
    get jobs() {
      return posted - (open ? 0 : 1);
    },
    get fallbacks() {
      return policy.fallbacks;
    },
    get takenBack() {
      return takenBack;
    },
    gemmNN(M, N, K, A, B, C, accumulate) {
      if (!split('NN', M, N, K, A, B, C, accumulate)) k.gemmNN(M, N, K, A, B, C, accumulate);
    },
    gemmNT(M, N, K, A, B, C, accumulate) {
      if (!split('NT', M, N, K, A, B, C, accumulate)) k.gemmNT(M, N, K, A, B, C, accumulate);
    },
    close() {
      if (!open) return;
      open = false;
      Atomics.store(ctl, 11, 1);
      Atomics.store(ctl, 0, ++posted);
      Atomics.notify(ctl, 0, 1);
      void worker.terminate();
    },
  };
}
