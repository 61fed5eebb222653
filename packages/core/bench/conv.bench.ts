/**
 * GFLOP/s of conv2d at the shapes of Nielsen's chapter 6 network (network3.py, float64), forward
 * and backward (input gradient + filter gradient), through the ops users call (im2col + the
 * SIMD gemm), beside the dense GEMM alone at the same product's shape (what im2col costs):
 *   conv1  x [10, 1, 28, 28]  * w [20, 1, 5, 5]   → [10, 20, 24, 24]
 *   conv2  x [10, 20, 12, 12] * w [40, 20, 5, 5]  → [10, 40, 8, 8]
 * FLOPs per pass = 2·N·F·Ho·Wo·C·kh·kw; backward counts two passes (input and filter gradients).
 * Each figure is the median of 9 runs of ~30 ms.
 *
 *   pnpm exec tsx --conditions=@nabla/source packages/core/bench/conv.bench.ts
 */
import { type Tensor, randn } from '../src/index.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from '../src/conv.ts';
import { createKernels } from '../src/backend.ts';
import { gemm } from '../src/gemm-dispatch.ts';

/** Median seconds per call over 9 runs of about 30 ms each, after a warm-up run. */
function secondsPerCall(call: () => void): number {
  const runs: number[] = [];
  for (let run = 0; run < 10; run++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    do {
      call();
      calls++;
      now = performance.now();
    } while (now - start < 30);
    if (run > 0) runs.push((now - start) / 1000 / calls);
  }
  runs.sort((a, b) => a - b);
  return runs[runs.length >> 1]!;
}

const cases = [
  { label: 'conv1 [10,1,28,28]*[20,1,5,5]', x: [10, 1, 28, 28], w: [20, 1, 5, 5] },
  { label: 'conv2 [10,20,12,12]*[40,20,5,5]', x: [10, 20, 12, 12], w: [40, 20, 5, 5] },
];

const attrs = { stride: [1, 1], pad: [0, 0] } as const;
const rows: string[][] = [];
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
  const bwd = secondsPerCall(() => {
    conv2dBackpropInput(g, w, x.shape, attrs);
    conv2dBackpropFilter(x, g, w.shape, attrs);
  });
  // The dense product alone: [F × CKK] · [CKK × N·Ho·Wo], in one arena (no im2col, no copies).
  const K = C * kh * kw;
  const P = N * Ho * Wo;
  const k = createKernels('float64', { bytes: 8 * (F * K + K * P + F * P) + 64 });
  const A = k.alloc(F * K), B = k.alloc(K * P), D = k.alloc(F * P);
  A.fill(0.5);
  B.fill(0.25);
  const dense = secondsPerCall(() => gemm('NN', F, P, K, A, B, D, false));
  const rate = (s: number, passes: number): string => ((passes * flop) / s / 1e9).toFixed(1);
  rows.push([c.label, rate(fwd, 1), rate(bwd, 2), rate(dense, 1), `${(fwd * 1e3).toFixed(2)} / ${(bwd * 1e3).toFixed(2)}`]);
}

const header = ['conv2d float64', 'forward', 'backward', 'dense GEMM', 'ms fwd / bwd'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]): string =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
console.log(`GFLOP/s, median of 9 × 30 ms (backward = input + filter gradients; dense GEMM = [F×C·kh·kw]·[C·kh·kw×N·Ho·Wo] alone)`);
console.log(line(header));
for (const row of rows) console.log(line(row));
