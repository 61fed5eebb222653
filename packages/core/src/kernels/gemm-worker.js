// The helper thread of threads.ts: a second instance of the kernels on the same shared memory,
// running the half of each matrix product the main thread posts to the control block. Plain
// JavaScript so a worker can load it without a TypeScript loader.
import { workerData } from 'node:worker_threads';

const { module, memory, control, scratch } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
ex.set_scratch(scratch); // its own NT packing space, apart from the main thread's
const ctl = new Int32Array(memory.buffer, control, 16);
const ops = [ex.gemm_nn_f32, ex.gemm_nt_f32, ex.gemm_nn_f64, ex.gemm_nt_f64];
// Slots: 0 posted job number, 1 finished job number, 2 op, 3–9 its arguments, 10 ready, 11 quit,
// 12 the job that may still be claimed (the main thread takes a job back by zeroing it, when it
// finishes its own half before this thread has started: then this thread only acknowledges).
Atomics.store(ctl, 10, 1);
let seen = 0;
for (;;) {
  // Spin while work is likely to come (a training step posts every few microseconds, and a
  // sleeping thread takes ~26 µs to wake); sleep in short slices once it stops coming.
  let spins = 0;
  while (Atomics.load(ctl, 0) === seen) {
    if (++spins > 1 << 18) {
      Atomics.wait(ctl, 0, seen, 20);
      spins = 0;
    }
  }
  seen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 11) === 1) break;
  if (Atomics.compareExchange(ctl, 12, seen, -seen) === seen) ops[ctl[2]](ctl[3], ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9]);
  Atomics.store(ctl, 1, seen);
}
