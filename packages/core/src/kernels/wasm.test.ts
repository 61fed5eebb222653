import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  gemmNN_f32, gemmNN_f64, gemmNT_f32, gemmNT_f64, gemmTN_f32, gemmTN_f64,
} from './gemm.ts';
import { SIZES, maxScaledError, naiveGemm, operandSizes, seededValues } from './reference.ts';
import { type WasmArena, compileWasmKernels, createWasmArena, wasmSimdSupported } from './wasm.ts';

const tsF64 = { NN: gemmNN_f64, NT: gemmNT_f64, TN: gemmTN_f64 } as const;
const tsF32 = { NN: gemmNN_f32, NT: gemmNT_f32, TN: gemmTN_f32 } as const;

function wasmF64(arena: WasmArena) {
  return { NN: arena.gemmNN_f64, NT: arena.gemmNT_f64, TN: arena.gemmTN_f64 } as const;
}
function wasmF32(arena: WasmArena) {
  return { NN: arena.gemmNN_f32, NT: arena.gemmNT_f32, TN: arena.gemmTN_f32 } as const;
}

const GUARD = -12345;

describe('WebAssembly SIMD kernels', () => {
  it('are supported by the Node this runs on', () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  const arena = createWasmArena(4 << 20);

  for (const layout of ['NN', 'NT', 'TN'] as const) {
    for (const accumulate of [false, true]) {
      // float64: the tiles add a·b in order of k starting from C (or 0), like the TypeScript
      // kernel and the naive loop, and without fused multiply-adds: equal bit for bit.
      it(`${layout} f64 equals the pure-TS kernel and the naive loop exactly (accumulate=${accumulate})`, () => {
        const next = seededValues(10);
        for (const [M, N, K] of SIZES) {
          arena.reset();
          const [aSize, bSize] = operandSizes(layout, M, N, K);
          // one element in, so the views are not 16-byte aligned; guards around C catch stray stores
          const A = arena.f64(aSize + 1).subarray(1);
          const B = arena.f64(bSize + 1).subarray(1);
          const Cbox = arena.f64(M * N + 3).fill(GUARD);
          const C = Cbox.subarray(1, 1 + M * N);
          for (let i = 0; i < aSize; i++) A[i] = next();
          for (let i = 0; i < bSize; i++) B[i] = next();
          for (let i = 0; i < M * N; i++) C[i] = next();
          const ts = C.slice();
          const want = naiveGemm(layout, M, N, K, A, B, C, accumulate).C;
          tsF64[layout](M, N, K, A, 0, B, 0, ts, 0, accumulate);
          wasmF64(arena)[layout](M, N, K, A, B, C, accumulate);
          const label = `${M}×${N}×${K}`;
          expect(C, label).toEqual(want);
          expect(C, label).toEqual(ts);
          expect([Cbox[0], Cbox[M * N + 1], Cbox[M * N + 2]], label).toEqual([GUARD, GUARD, GUARD]);
        }
      });

      // float32: the tiles round every multiply and add to float32, the TypeScript kernel rounds
      // once at the end; both are within a few float32 ulps of the float64 sum (relative to
      // Σ|a·b|, which is what rounding error scales with); 1e-5 leaves a wide margin at K ≤ 784.
      it(`${layout} f32 agrees with the pure-TS kernel and the naive loop to 1e-5 (accumulate=${accumulate})`, () => {
        const next = seededValues(20);
        for (const [M, N, K] of SIZES) {
          arena.reset();
          const [aSize, bSize] = operandSizes(layout, M, N, K);
          const A = arena.f32(aSize + 1).subarray(1);
          const B = arena.f32(bSize + 3).subarray(3);
          const Cbox = arena.f32(M * N + 3).fill(GUARD);
          const C = Cbox.subarray(1, 1 + M * N);
          for (let i = 0; i < aSize; i++) A[i] = next();
          for (let i = 0; i < bSize; i++) B[i] = next();
          for (let i = 0; i < M * N; i++) C[i] = next();
          const ts = C.slice();
          const { C: want, scale } = naiveGemm(layout, M, N, K, A, B, C, accumulate);
          tsF32[layout](M, N, K, A, 0, B, 0, ts, 0, accumulate);
          wasmF32(arena)[layout](M, N, K, A, B, C, accumulate);
          const label = `${M}×${N}×${K}`;
          expect(maxScaledError(C, want, scale), label).toBeLessThan(1e-5);
          expect(maxScaledError(C, ts, scale), label).toBeLessThan(1e-5);
          expect([Cbox[0], Cbox[M * N + 1], Cbox[M * N + 2]], label).toEqual([GUARD, GUARD, GUARD]);
        }
      });
    }
  }

  it('throws when an operand is not a view into the arena', () => {
    const own = arena.f64(4);
    const other = createWasmArena(1024).f64(4);
    expect(() => arena.gemmNN_f64(2, 2, 2, new Float64Array(4), own, own)).toThrow(
      /gemmNN_f64: A is not a view into this arena's WebAssembly memory/,
    );
    expect(() => arena.gemmNT_f64(2, 2, 2, own, other, own)).toThrow(/gemmNT_f64: B is not a view into this arena/);
    // a view on the arena's buffer below the arena (the kernels' scratch space) is foreign too
    expect(() => arena.gemmTN_f32(1, 1, 1, arena.f32(1), arena.f32(1), new Float32Array(own.buffer, 0, 1))).toThrow(
      /gemmTN_f32: C is not a view into this arena/,
    );
  });

  it('throws when a view is too short for its matrix', () => {
    arena.reset();
    expect(() => arena.gemmNN_f32(3, 3, 3, arena.f32(9), arena.f32(8), arena.f32(9))).toThrow(
      /gemmNN_f32: B needs 9 elements from offset 0, but has 8/,
    );
  });

  it('hands out zeroed, 16-byte aligned views and throws when it runs out', () => {
    const small = createWasmArena(64);
    const a = small.f32(3);
    const b = small.f64(2);
    expect(a.byteOffset % 16).toBe(0);
    expect(b.byteOffset % 16).toBe(0);
    expect(b.byteOffset - a.byteOffset).toBe(16);
    expect(small.used).toBe(32);
    expect(small.owns(b) && !small.owns(new Float64Array(2))).toBe(true);
    expect(() => small.f64(5)).toThrow(/WasmArena.f64\(5\): out of memory: needs 48 bytes, 32 of 64 left/);
    b.fill(3);
    small.reset();
    small.f32(4);
    expect(Array.from(small.f64(2))).toEqual([0, 0]);
    expect(() => createWasmArena(-1)).toThrow(RangeError);
  });

  it('compiles asynchronously too', async () => {
    await expect(compileWasmKernels()).resolves.toBeUndefined();
  });
});

describe('scripts/build-wasm.ts --check', () => {
  it('finds matmul.wasm.ts up to date with matmul.wat', () => {
    const script = fileURLToPath(new URL('../../scripts/build-wasm.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });
});
