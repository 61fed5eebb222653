/**
 * GFLOP/s of conv2d at the shapes of Nielsen's chapter 6 network (network3.py), float64 forward
 * and backward (input gradient + filter gradient, the pullback autodiff runs), through the ops
 * users call (im2col + the SIMD gemm), beside the dense GEMM alone at the same product's shape
 * (the difference is what im2col, col2im and the copies cost), and the same kernels into buffers
 * allocated once, as a traced tape replays them (the difference from the ops: allocation); and
 * the float32 kernels a float32 tape replays, beside the float32 GEMM:
 *   conv1  x [10, 1, 28, 28]  * w [20, 1, 5, 5]   → [10, 20, 24, 24]
 *   conv2  x [10, 20, 12, 12] * w [40, 20, 5, 5]  → [10, 40, 8, 8]
 * FLOPs per pass = 2·N·F·Ho·Wo·C·kh·kw; backward counts two passes (input and filter gradients),
 * and fwd+bwd is a training step's three passes over the forward's and backward's time together.
 * Each figure is the median of 9 runs of ~30 ms, wall-clock and per CPU second of this process
 * (on a shared machine the second leaves out time given to other processes).
 *
 *   pnpm exec tsx --conditions=@nabla/source packages/core/bench/conv.bench.ts
 */
import { type Tensor, randn, vjp } from '../src/index.ts';
import { createKernels } from '../src/backend.ts';
import { conv2dBackpropFilterForward, conv2dBackpropInputForward, conv2dForward } from '../src/conv.ts';
import { gemm } from '../src/gemm-dispatch.ts';

/**
 * Median seconds per call over 9 runs of about 30 ms each, after a warm-up run: wall-clock, and
 * CPU time of this process (which leaves out the time the machine gave to other processes).
 */
function secondsPerCall(call: () => void): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < 10; run++) {
    let calls = 0;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let now = start;
    do {
      call();
      calls++;
      now = performance.now();
    } while (now - start < 30);
    const used = process.cpuUsage(cpuStart);
    if (run > 0) {
      wall.push((now - start) / 1000 / calls);
      cpu.push((used.user + used.system) / 1e6 / calls);
    }
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: median(wall), cpu: median(cpu) };
}

const cases = [
  { label: 'conv1 [10,1,28,28]*[20,1,5,5]', x: [10, 1, 28, 28], w: [20, 1, 5, 5] },
  { label: 'conv2 [10,20,12,12]*[40,20,5,5]', x: [10, 20, 12, 12], w: [40, 20, 5, 5] },
];

const rows: string[][] = [];
const rows32: string[][] = [];
for (const c of cases) {
  const x = randn(c.x);
  const w = randn(c.w);
  const y: Tensor = x.conv2d(w);
  const g = randn(y.shape);
  const [N, C] = c.x as [number, number];
  const [F, , kh, kw] = c.w as [number, number, number, number];
  const [, , Ho, Wo] = y.shape as [number, number, number, number];
  const flop = 2 * N * F * Ho * Wo * C * kh * kw;
  const fwd = secondsPerCall(() => x.conv2d(w));
  // The backward pass as autodiff runs it: the pullback of conv2d (its rule's two primitives).
  const { vjp: pullback } = vjp((a, b) => a!.conv2d(b!), [x, w]);
  const bwd = secondsPerCall(() => pullback(g));
  // The dense product alone: [F × CKK] · [CKK × N·Ho·Wo], in one arena (no im2col, no copies).
  const K = C * kh * kw;
  const P = N * Ho * Wo;
  const k = createKernels('float64', { bytes: 8 * (F * K + K * P + F * P) + 64 });
  const A = k.alloc(F * K), B = k.alloc(K * P), D = k.alloc(F * P);
  A.fill(0.5);
  B.fill(0.25);
  const dense = secondsPerCall(() => gemm('NN', F, P, K, A, B, D, false));
  // The same three kernels into buffers allocated once: what a traced tape replays each step
  // (`train --net`), with no allocation or graph.
  const attrs = { stride: [1, 1] as [number, number], pad: [0, 0] as [number, number] };
  const yBuf = new Float64Array(y.size);
  const dx = new Float64Array(x.size);
  const dw = new Float64Array(w.size);
  const replayFwd = secondsPerCall(() => conv2dForward(x.data, w.data, yBuf, [x.shape, w.shape, y.shape], attrs));
  const replayBwd = secondsPerCall(() => {
    conv2dBackpropInputForward(g.data, w.data, dx, [x.shape, w.shape, y.shape], attrs);
    conv2dBackpropFilterForward(x.data, g.data, dw, [x.shape, w.shape, y.shape], attrs);
  });
  const rate = (t: { wall: number; cpu: number }, passes: number): string =>
    `${((passes * flop) / t.wall / 1e9).toFixed(1)} (${((passes * flop) / t.cpu / 1e9).toFixed(1)})`;
  // A training step's convolution work: one forward and one backward (3 passes) over their total time.
  const sum = (a: { wall: number; cpu: number }, b: { wall: number; cpu: number }) => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
  rows.push([c.label, rate(fwd, 1), rate(bwd, 2), rate(sum(fwd, bwd), 3), rate(replayFwd, 1), rate(replayBwd, 2), rate(sum(replayFwd, replayBwd), 3), rate(dense, 1), `${(fwd.wall * 1e3).toFixed(2)} / ${(bwd.wall * 1e3).toFixed(2)}`]);
  // The float32 kernels a float32 tape replays (conv.wat's float32 kernels and the arena's float32
  // products), beside the float32 dense GEMM.
  const x32 = Float32Array.from(x.data);
  const w32 = Float32Array.from(w.data);
  const g32 = Float32Array.from(g.data);
  const y32 = new Float32Array(y.size);
  const dx32 = new Float32Array(x.size);
  const dw32 = new Float32Array(w.size);
  const k32 = createKernels('float32', { bytes: 4 * (F * K + K * P + F * P) + 64 });
  const A32 = k32.alloc(F * K), B32 = k32.alloc(K * P), D32 = k32.alloc(F * P);
  A32.fill(0.5);
  B32.fill(0.25);
  const dense32 = secondsPerCall(() => k32.gemmNN(F, P, K, A32, B32, D32, false));
  const fwd32 = secondsPerCall(() => conv2dForward(x32, w32, y32, [x.shape, w.shape, y.shape], attrs));
  const bwd32 = secondsPerCall(() => {
    conv2dBackpropInputForward(g32, w32, dx32, [x.shape, w.shape, y.shape], attrs);
    conv2dBackpropFilterForward(x32, g32, dw32, [x.shape, w.shape, y.shape], attrs);
  });
  rows32.push([c.label, rate(fwd32, 1), rate(bwd32, 2), rate(sum(fwd32, bwd32), 3), rate(dense32, 1), `${(fwd32.wall * 1e3).toFixed(2)} / ${(bwd32.wall * 1e3).toFixed(2)}`]);
}

const header = ['conv2d float64', 'forward', 'backward', 'fwd+bwd', 'replayed fwd', 'replayed bwd', 'replayed fwd+bwd', 'dense GEMM', 'ms fwd / bwd (wall)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]): string =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
console.log('GFLOP/s wall-clock (per CPU second of this process), median of 9 × 30 ms; backward = input + filter');
console.log('gradients; forward/backward = the ops as called (a new output each call), replayed = the kernels into buffers');
console.log('allocated once, as a traced tape runs them; dense GEMM = the product [F×C·kh·kw]·[C·kh·kw×N·Ho·Wo] alone, in one arena');
console.log(line(header));
for (const row of rows) console.log(line(row));

const header32 = ['conv2d float32', 'replayed fwd', 'replayed bwd', 'replayed fwd+bwd', 'dense GEMM', 'ms fwd / bwd (wall)'];
const widths32 = header32.map((h, i) => Math.max(h.length, ...rows32.map((r) => r[i]!.length)));
const line32 = (cells: readonly string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths32[i]!) : cell.padStart(widths32[i]!))).join('  ');
console.log(line32(header32));
for (const row of rows32) console.log(line32(row));
