/**
 * GFLOP/s (2·M·N·K / time) of the matrix-product kernels at the shapes of one training step of
 * Nielsen's [784,30,10] network, batch m examples as columns:
 *   NN  W[30×784] · X[784×m]          forward, first layer
 *   NT  δ[30×m] · X[784×m]ᵀ           weight gradient, first layer (BP4)
 *   TN  W2[10×30]ᵀ · δ2[10×m]         back-propagated delta (BP2)
 * for the pure-TypeScript kernels (gemm.ts) and the WebAssembly SIMD kernels (wasm.ts), float64
 * and float32. Each figure is the median of 9 runs of ~30 ms.
 *
 *   pnpm exec tsx packages/core/bench/matmul.bench.ts
 */
import {
  gemmNN_f32, gemmNN_f64, gemmNT_f32, gemmNT_f64, gemmTN_f32, gemmTN_f64,
} from '../src/kernels/gemm.ts';
import { createWasmArena, wasmSimdSupported } from '../src/kernels/wasm.ts';

type Layout = 'NN' | 'NT' | 'TN';

interface Case {
  readonly layout: Layout;
  readonly m: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly label: string;
}

const cases: Case[] = [];
for (const m of [10, 100]) {
  cases.push(
    { layout: 'NN', m, M: 30, N: m, K: 784, label: `NN 30×784 · 784×${m}` },
    { layout: 'NT', m, M: 30, N: 784, K: m, label: `NT 30×${m} · (784×${m})ᵀ` },
    { layout: 'TN', m, M: 30, N: m, K: 10, label: `TN (10×30)ᵀ · 10×${m}` },
  );
}

function sizes({ layout, M, N, K }: Case): [number, number, number] {
  return [layout === 'TN' ? K * M : M * K, layout === 'NT' ? N * K : K * N, M * N];
}

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

function fill(array: Float64Array | Float32Array): void {
  for (let i = 0; i < array.length; i++) array[i] = Math.random() - 0.5;
}

const simd = wasmSimdSupported();
const arena = simd ? createWasmArena(8 << 20) : undefined;

const tsF64 = { NN: gemmNN_f64, NT: gemmNT_f64, TN: gemmTN_f64 };
const tsF32 = { NN: gemmNN_f32, NT: gemmNT_f32, TN: gemmTN_f32 };

function measure(c: Case): [number, number, number, number] {
  const flop = 2 * c.M * c.N * c.K;
  const [aSize, bSize, cSize] = sizes(c);
  const { M, N, K } = c;
  const gflops = (seconds: number): number => flop / seconds / 1e9;

  const A64 = new Float64Array(aSize), B64 = new Float64Array(bSize), C64 = new Float64Array(cSize);
  const A32 = new Float32Array(aSize), B32 = new Float32Array(bSize), C32 = new Float32Array(cSize);
  fill(A64); fill(B64); fill(A32); fill(B32);
  const ts64 = tsF64[c.layout], ts32 = tsF32[c.layout];
  const tsRates: [number, number] = [
    gflops(secondsPerCall(() => ts64(M, N, K, A64, 0, B64, 0, C64, 0, false))),
    gflops(secondsPerCall(() => ts32(M, N, K, A32, 0, B32, 0, C32, 0, false))),
  ];
  if (!arena) return [...tsRates, NaN, NaN];

  arena.reset();
  const a64 = arena.f64(aSize), b64 = arena.f64(bSize), c64 = arena.f64(cSize);
  const a32 = arena.f32(aSize), b32 = arena.f32(bSize), c32 = arena.f32(cSize);
  fill(a64); fill(b64); fill(a32); fill(b32);
  const w64 = { NN: arena.gemmNN_f64, NT: arena.gemmNT_f64, TN: arena.gemmTN_f64 }[c.layout];
  const w32 = { NN: arena.gemmNN_f32, NT: arena.gemmNT_f32, TN: arena.gemmTN_f32 }[c.layout];
  return [
    ...tsRates,
    gflops(secondsPerCall(() => w64(M, N, K, a64, b64, c64, false))),
    gflops(secondsPerCall(() => w32(M, N, K, a32, b32, c32, false))),
  ];
}

const header = ['shape', 'TS f64', 'TS f32', 'Wasm f64', 'Wasm f32'];
const rows = cases.map((c) => [c.label, ...measure(c).map((r) => (Number.isNaN(r) ? 'n/a' : r.toFixed(1)))]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]): string =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');

console.log(`GFLOP/s, median of 9 × 30 ms; Node ${process.versions.node}, V8 ${process.versions.v8}` +
  (simd ? '' : ' (no WebAssembly SIMD here)'));
console.log(line(header));
for (const row of rows) console.log(line(row));
