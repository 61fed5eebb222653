/**
 * conv.wat's float32 kernels (im2col_f32, col2im_f32, conv_f32, maxpool2x2_f32) and
 * maxpool2x2_f64, run on a memory of their own against naive JavaScript loops. Every call runs on
 * memory filled with a NaN guard pattern, and every 4-byte word outside the call's outputs must
 * be unchanged afterwards (inputs included).
 */
import { describe, expect, it } from 'vitest';
import { CONV_WASM_BASE64 } from './conv.wasm.ts';
import { seededValues as seeded } from './reference.ts';

interface Kernels {
  im2col_f32(x: number, col: number, ld: number, C: number, H: number, W: number, kh: number, kw: number, Ho: number, Wo: number, sh: number, sw: number, pt: number, pl: number): void;
  col2im_f32(col: number, ld: number, x: number, C: number, H: number, W: number, kh: number, kw: number, Ho: number, Wo: number, sh: number, sw: number, pt: number, pl: number): void;
  conv_f32(x: number, n: number, xs: number, W: number, w: number, F: number, K: number, off: number, y: number, ys: number, Ho: number, Wo: number, acc: number): void;
  maxpool2x2_f64(x: number, planes: number, H: number, W: number, Ho: number, Wo: number, idx: number, val: number): void;
  maxpool2x2_f32(x: number, planes: number, H: number, W: number, Ho: number, Wo: number, idx: number, val: number): void;
}

const memory = new WebAssembly.Memory({ initial: 8 });
const kernels = new WebAssembly.Instance(
  new WebAssembly.Module(Uint8Array.from(atob(CONV_WASM_BASE64), (c) => c.charCodeAt(0))),
  { env: { memory } },
).exports as unknown as Kernels;

/** A quiet NaN as float32, and as float64 when two of them sit side by side. */
const GUARD = 0x7fc0dead;

/**
 * Lays arrays out in the memory, which it first fills with GUARD: each array starts at a
 * 16-byte boundary plus `skew` bytes and is followed by at least 32 guard bytes.
 */
class Layout {
  private at = 64;
  constructor() {
    new Uint32Array(memory.buffer).fill(GUARD);
  }
  bytes(n: number, skew = 0): number {
    const o = ((this.at + 15) & ~15) + skew;
    this.at = o + n + 32;
    if (this.at > memory.buffer.byteLength) throw new Error('test layout larger than the memory');
    return o;
  }
  f32(values: ArrayLike<number>, skew = 0): number {
    const o = this.bytes(4 * values.length, skew);
    new Float32Array(memory.buffer, o, values.length).set(values);
    return o;
  }
  f64(values: ArrayLike<number>, skew = 0): number {
    const o = this.bytes(8 * values.length, skew);
    new Float64Array(memory.buffer, o, values.length).set(values);
    return o;
  }
  i32(values: ArrayLike<number>, skew = 0): number {
    const o = this.bytes(4 * values.length, skew);
    new Int32Array(memory.buffer, o, values.length).set(values);
    return o;
  }
}

/**
 * Runs `call` and returns the 4-byte words it changed outside `outputs` ([byte offset, byte
 * length] pairs), at most 5 of them as [byte offset, before, after].
 */
function strayWrites(outputs: ReadonlyArray<readonly [number, number]>, call: () => void): number[][] {
  const before = new Uint32Array(memory.buffer).slice();
  call();
  const after = new Uint32Array(memory.buffer);
  const mine = new Uint8Array(after.length);
  for (const [o, n] of outputs) {
    expect(o % 4).toBe(0);
    mine.fill(1, o >> 2, (o + n + 3) >> 2);
  }
  const stray: number[][] = [];
  for (let i = 0; i < after.length && stray.length < 5; i++) {
    if (mine[i] === 0 && after[i] !== before[i]) stray.push([4 * i, before[i]!, after[i]!]);
  }
  return stray;
}

/** The first few indices where `got` and `want` differ by Object.is (so −0 ≠ +0, NaN = NaN). */
function differences(got: ArrayLike<number>, want: ArrayLike<number>): string[] {
  expect(got.length).toBe(want.length);
  const out: string[] = [];
  for (let i = 0; i < want.length && out.length < 5; i++) {
    if (!Object.is(got[i], want[i])) out.push(`[${i}] got ${got[i]} want ${want[i]}`);
  }
  return out;
}

const f32view = (o: number, n: number): Float32Array => new Float32Array(memory.buffer, o, n);

// ---- im2col / col2im -------------------------------------------------------------------------

interface Geometry {
  C: number; H: number; W: number; kh: number; kw: number;
  sh: number; sw: number; pt: number; pl: number; Ho: number; Wo: number;
}

/** Geometries with Ho, Wo from symmetric padding, stride 1 and 2, and whole rows/columns in the padding. */
const GEOMETRIES: Geometry[] = ([
  [1, 5, 5, 3, 3, 1, 1, 0, 0],
  [3, 7, 9, 3, 3, 1, 1, 1, 1],
  [3, 8, 10, 5, 5, 2, 2, 2, 2],
  [1, 6, 7, 1, 5, 2, 1, 0, 2],
  [2, 5, 24, 3, 1, 1, 2, 1, 0],
  [1, 1, 1, 3, 3, 1, 1, 1, 1],
  [1, 3, 4, 5, 5, 2, 2, 3, 3],
  [3, 9, 11, 5, 3, 2, 1, 2, 1],
] as const).map(([C, H, W, kh, kw, sh, sw, pt, pl]) => ({
  C, H, W, kh, kw, sh, sw, pt, pl,
  Ho: Math.floor((H + 2 * pt - kh) / sh) + 1,
  Wo: Math.floor((W + 2 * pl - kw) / sw) + 1,
}));

const label = (g: Geometry): string =>
  `C=${g.C} ${g.H}×${g.W} k=${g.kh}×${g.kw} s=${g.sh},${g.sw} p=${g.pt},${g.pl} → ${g.Ho}×${g.Wo}`;

/** The patch matrix by its definition: col[(c·kh + a)·kw + b][i·Wo + j] = x[c, i·sh − pt + a, j·sw − pl + b], 0 in the padding. */
function naiveIm2col(g: Geometry, x: ArrayLike<number>): number[][] {
  const rows: number[][] = [];
  for (let c = 0; c < g.C; c++) {
    for (let a = 0; a < g.kh; a++) {
      for (let b = 0; b < g.kw; b++) {
        const row: number[] = [];
        for (let i = 0; i < g.Ho; i++) {
          for (let j = 0; j < g.Wo; j++) {
            const iy = i * g.sh - g.pt + a;
            const ix = j * g.sw - g.pl + b;
            row.push(iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? x[(c * g.H + iy) * g.W + ix]! : 0);
          }
        }
        rows.push(row);
      }
    }
  }
  return rows;
}

/**
 * col2im by its definition, in float32: each entry added to its input position, rounded after
 * every addition, in the kernel's order (c, a, b, i, j), so the sums are equal bit for bit.
 */
function naiveCol2im(g: Geometry, rows: ReadonlyArray<ArrayLike<number>>, x0: ArrayLike<number>): number[] {
  const x = Array.from(x0);
  let r = 0;
  for (let c = 0; c < g.C; c++) {
    for (let a = 0; a < g.kh; a++) {
      for (let b = 0; b < g.kw; b++, r++) {
        for (let i = 0; i < g.Ho; i++) {
          for (let j = 0; j < g.Wo; j++) {
            const iy = i * g.sh - g.pt + a;
            const ix = j * g.sw - g.pl + b;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            const s = (c * g.H + iy) * g.W + ix;
            x[s] = Math.fround(x[s]! + rows[r]![i * g.Wo + j]!);
          }
        }
      }
    }
  }
  return x;
}

describe('im2col_f32', () => {
  for (const g of GEOMETRIES) {
    for (const skew of [0, 4]) {
      it(`copies the patches exactly, padding +0 (${label(g)}, offsets +${skew})`, () => {
        const next = seeded(g.C * 1000 + g.H * 10 + g.W);
        const x = Float32Array.from({ length: g.C * g.H * g.W }, () => next() * 4);
        const K = g.C * g.kh * g.kw;
        const P = g.Ho * g.Wo;
        // rows ld apart with 3 unwritten elements between them, as with images side by side
        const ld = 4 * (P + 3);
        const mem = new Layout();
        const xo = mem.f32(x, skew);
        const col = mem.bytes(K * ld, skew);
        const outputs = Array.from({ length: K }, (_, r) => [col + r * ld, 4 * P] as const);
        const stray = strayWrites(outputs, () =>
          kernels.im2col_f32(xo, col, ld, g.C, g.H, g.W, g.kh, g.kw, g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl));
        expect(stray).toEqual([]);
        const want = naiveIm2col(g, x);
        for (let r = 0; r < K; r++) expect(differences(f32view(col + r * ld, P), want[r]!)).toEqual([]);
      });
    }
  }
});

describe('col2im_f32', () => {
  for (const g of GEOMETRIES) {
    for (const skew of [0, 4]) {
      it(`adds every entry back to its input position (${label(g)}, offsets +${skew})`, () => {
        const next = seeded(g.C * 7 + g.H * 131 + g.W);
        const K = g.C * g.kh * g.kw;
        const P = g.Ho * g.Wo;
        const ld = 4 * (P + 5);
        const rows = Array.from({ length: K }, () => Float32Array.from({ length: P }, () => next()));
        const x0 = Float32Array.from({ length: g.C * g.H * g.W }, () => next());
        const mem = new Layout();
        const col = mem.bytes(K * ld, skew);
        for (let r = 0; r < K; r++) f32view(col + r * ld, P).set(rows[r]!);
        const xo = mem.f32(x0, skew);
        const stray = strayWrites([[xo, 4 * x0.length]], () =>
          kernels.col2im_f32(col, ld, xo, g.C, g.H, g.W, g.kh, g.kw, g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl));
        expect(stray).toEqual([]);
        // Exact: the reference rounds to float32 after each addition in the kernel's order.
        expect(differences(f32view(xo, x0.length), naiveCol2im(g, rows, x0))).toEqual([]);
      });
    }
  }
});

// ---- conv_f32 ----------------------------------------------------------------------------------

interface ConvCase {
  n: number; C: number; Ho: number; Wo: number; kh: number; kw: number; F: number;
  /** extra columns in each padded row beyond Wo + kw − 1 */
  extraW: number;
}

const CONV_CASES: ConvCase[] = [
  { n: 1, C: 1, Ho: 1, Wo: 1, kh: 1, kw: 1, F: 1, extraW: 0 },
  { n: 2, C: 3, Ho: 3, Wo: 2, kh: 3, kw: 3, F: 5, extraW: 1 },
  { n: 1, C: 1, Ho: 5, Wo: 3, kh: 5, kw: 5, F: 7, extraW: 0 },
  { n: 2, C: 3, Ho: 2, Wo: 5, kh: 3, kw: 1, F: 20, extraW: 2 },
  { n: 1, C: 3, Ho: 7, Wo: 7, kh: 5, kw: 3, F: 6, extraW: 0 },
  { n: 3, C: 1, Ho: 3, Wo: 9, kh: 1, kw: 5, F: 7, extraW: 3 },
  { n: 1, C: 3, Ho: 9, Wo: 24, kh: 5, kw: 5, F: 20, extraW: 0 },
  { n: 2, C: 1, Ho: 4, Wo: 24, kh: 5, kw: 5, F: 20, extraW: 0 },
  { n: 1, C: 2, Ho: 3, Wo: 12, kh: 3, kw: 3, F: 11, extraW: 1 },
  { n: 1, C: 1, Ho: 1, Wo: 15, kh: 3, kw: 3, F: 3, extraW: 0 },
  // every column split (8s, then at most one 4, one 2 and one 1), past F in every tile position
  ...Array.from({ length: 17 }, (_, i) => ({ n: 1, C: 1, Ho: 2, Wo: i + 1, kh: 3, kw: 3, F: 1 + (i % 5), extraW: i % 2 })),
];

describe('conv_f32', () => {
  for (const t of CONV_CASES) {
    for (const acc of [0, 1]) {
      for (const skew of [0, 4]) {
        const name = `n=${t.n} C=${t.C} ${t.Ho}×${t.Wo} k=${t.kh}×${t.kw} F=${t.F} W+${t.extraW}, acc=${acc}, offsets +${skew}`;
        it(`equals the float32 sum in tap order exactly and float64 within 1e-5 (${name})`, () => {
          const { n, C, Ho, Wo, kh, kw, F } = t;
          const Hp = Ho + kh - 1;
          const Wp = Wo + kw - 1 + t.extraW;
          const K = C * kh * kw;
          const P = Ho * Wo;
          const next = seeded(Ho * 977 + Wo * 31 + F * 7 + K + acc);
          // images 2 elements apart, outputs 3 apart: the gaps must not be read or written
          const image = C * Hp * Wp + 2;
          const block = F * P + 3;
          const x = Float32Array.from({ length: n * image }, () => next());
          const w = Float32Array.from({ length: F * K }, () => next());
          const y0 = Float32Array.from({ length: n * block }, () => next());
          const off: number[] = [];
          for (let c = 0; c < C; c++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) off.push(4 * ((c * Hp + a) * Wp + b));
          const mem = new Layout();
          const xo = mem.f32(x, skew);
          const wo = mem.f32(w, skew);
          const oo = mem.i32(off);
          const yo = mem.bytes(4 * n * block, skew);
          const outputs: Array<readonly [number, number]> = [];
          for (let m = 0; m < n; m++) {
            outputs.push([yo + 4 * m * block, 4 * F * P]);
            if (acc) f32view(yo + 4 * m * block, F * P).set(y0.subarray(m * block, m * block + F * P));
          }
          const stray = strayWrites(outputs, () =>
            kernels.conv_f32(xo, n, 4 * image, Wp, wo, F, K, oo, yo, 4 * block, Ho, Wo, acc));
          expect(stray).toEqual([]);
          const bad32: string[] = [];
          const bad64: string[] = [];
          for (let m = 0; m < n; m++) {
            const got = f32view(yo + 4 * m * block, F * P);
            for (let f = 0; f < F; f++) {
              for (let i = 0; i < Ho; i++) {
                for (let j = 0; j < Wo; j++) {
                  const start = acc ? y0[m * block + f * P + i * Wo + j]! : 0;
                  let s32 = start;
                  let s64 = start;
                  let scale = Math.abs(start);
                  for (let k = 0; k < K; k++) {
                    const p = w[f * K + k]! * x[m * image + off[k]! / 4 + i * Wp + j]!;
                    s32 = Math.fround(s32 + Math.fround(p));
                    s64 += p;
                    scale += Math.abs(p);
                  }
                  const g = got[f * P + i * Wo + j]!;
                  // Each output is one float32 lane summed in the order of the taps, with no
                  // fused multiply-add: the same roundings as s32.
                  if (!Object.is(g, s32) && bad32.length < 5) bad32.push(`image ${m} [${f},${i},${j}] got ${g} want ${s32}`);
                  // Against float64, relative to Σ|terms| (cancellation makes the error relative
                  // to the sum itself unbounded): K·2⁻²⁴ ≤ 75·6e-8 < 1e-5 here.
                  if (!(Math.abs(g - s64) <= 1e-5 * scale) && bad64.length < 5) bad64.push(`image ${m} [${f},${i},${j}] got ${g} want ${s64} (scale ${scale})`);
                }
              }
            }
          }
          expect(bad32).toEqual([]);
          expect(bad64).toEqual([]);
        });
      }
    }
  }

  it('writes nothing when F, Ho, Wo or n is 0', () => {
    const mem = new Layout();
    const xo = mem.f32(new Float32Array(64).fill(1));
    const wo = mem.f32(new Float32Array(16).fill(1));
    const oo = mem.i32([0, 4, 8, 12]);
    const yo = mem.bytes(256);
    for (const [n, F, Ho, Wo] of [[1, 0, 2, 2], [1, 2, 0, 2], [1, 2, 2, 0], [0, 2, 2, 2]] as const) {
      expect(strayWrites([], () => kernels.conv_f32(xo, n, 256, 8, wo, F, 4, oo, yo, 64, Ho, Wo, 0))).toEqual([]);
    }
  });
});

// ---- maxpool2x2 --------------------------------------------------------------------------------

/**
 * conv.ts's windowArgmax for 2×2 windows at stride 2: the first maximum in row-major window
 * order, a NaN counting as the maximum. Returns the flat indices.
 */
function naiveArgmax(x: ArrayLike<number>, planes: number, H: number, W: number, Ho: number, Wo: number): number[] {
  const index: number[] = [];
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let best = p * H * W + 2 * i * W + 2 * j;
        let v = x[best]!;
        for (let a = 0; a < 2; a++) {
          for (let b = 0; b < 2; b++) {
            const s = p * H * W + (2 * i + a) * W + 2 * j + b;
            const u = x[s]!;
            if (u > v || (u !== u && v === v)) {
              v = u;
              best = s;
            }
          }
        }
        index.push(best);
      }
    }
  }
  return index;
}

interface PoolCase { planes: number; H: number; W: number; Ho: number; Wo: number }

/** Odd H and W, Ho and Wo below H/2 and W/2, every Wo mod 4, and an empty output. */
const POOL_CASES: PoolCase[] = [
  { planes: 1, H: 2, W: 2, Ho: 1, Wo: 1 },
  { planes: 3, H: 4, W: 4, Ho: 2, Wo: 2 },
  { planes: 2, H: 5, W: 7, Ho: 2, Wo: 3 },
  { planes: 2, H: 6, W: 16, Ho: 3, Wo: 8 },
  { planes: 3, H: 3, W: 10, Ho: 1, Wo: 5 },
  { planes: 2, H: 4, W: 14, Ho: 2, Wo: 7 },
  { planes: 2, H: 7, W: 13, Ho: 3, Wo: 6 },
  { planes: 2, H: 8, W: 20, Ho: 3, Wo: 7 },
  { planes: 4, H: 9, W: 25, Ho: 4, Wo: 12 },
  { planes: 2, H: 4, W: 4, Ho: 0, Wo: 2 },
];

/** Values drawn from a small set (many ties) with NaN, ±0 and ±Infinity, or distinct ones. */
const SPECIAL = [NaN, -Infinity, -0, 0, 1, -1, 2.5, Infinity];
const DRAWS: Record<string, (next: () => number) => number> = {
  distinct: (next) => next() * 100,
  ties: (next) => SPECIAL[Math.floor((next() + 1) * 4)]!,
  signedZeros: (next) => (next() < 0 ? -0 : 0),
  ties_no_nan: (next) => SPECIAL[1 + Math.floor((next() + 1) * 3.5)]!,
};

/** Runs maxpool2x2 on x (already in the layout) and checks idx, val (bit for bit) and stray writes. */
function checkPool(kind: 'f32' | 'f64', mem: Layout, xo: number, x: ArrayLike<number>, c: PoolCase, skew: number): void {
  const count = c.planes * c.Ho * c.Wo;
  const es = kind === 'f32' ? 4 : 8;
  const idx = mem.bytes(4 * count, skew);
  const val = mem.bytes(es * count, kind === 'f32' ? skew : 0);
  const run = kind === 'f32' ? kernels.maxpool2x2_f32 : kernels.maxpool2x2_f64;
  const stray = strayWrites([[idx, 4 * count], [val, es * count]], () => run(xo, c.planes, c.H, c.W, c.Ho, c.Wo, idx, val));
  expect(stray).toEqual([]);
  const want = naiveArgmax(x, c.planes, c.H, c.W, c.Ho, c.Wo);
  expect(Array.from(new Int32Array(memory.buffer, idx, count))).toEqual(want);
  // the pooled values are the elements x[idx] themselves (their bits: NaN, −0 as they are)
  const words = es / 4;
  const xBits = new Uint32Array(memory.buffer, xo, x.length * words);
  const vBits = new Uint32Array(memory.buffer, val, count * words);
  const bad: string[] = [];
  for (let o = 0; o < count && bad.length < 5; o++) {
    for (let h = 0; h < words; h++) {
      if (vBits[o * words + h] !== xBits[want[o]! * words + h]) bad.push(`[${o}] word ${h}: ${vBits[o * words + h]} want ${xBits[want[o]! * words + h]}`);
    }
  }
  expect(bad).toEqual([]);
}

describe('maxpool2x2_f32 and maxpool2x2_f64', () => {
  for (const c of POOL_CASES) {
    for (const [draw, make] of Object.entries(DRAWS)) {
      const name = `${c.planes}×${c.H}×${c.W} → ${c.Ho}×${c.Wo}, ${draw}`;
      it(`f32: first maximum, NaN the maximum, and its value (${name}, offsets +4)`, () => {
        const next = seeded(c.H * 101 + c.W * 7 + c.Wo + draw.length);
        const x = Float32Array.from({ length: c.planes * c.H * c.W }, () => make(next));
        const mem = new Layout();
        checkPool('f32', mem, mem.f32(x, 4), x, c, 4);
      });
      it(`f64: first maximum, NaN the maximum, and its value (${name})`, () => {
        const next = seeded(c.H * 103 + c.W * 11 + c.Wo + draw.length);
        const x = Float64Array.from({ length: c.planes * c.H * c.W }, () => make(next));
        const mem = new Layout();
        // 8 bytes past a 16-byte boundary (a Float64Array subarray), and aligned for idx/val
        const xo = mem.f64(x, 8);
        checkPool('f64', mem, xo, x, c, 0);
      });
    }
  }

  // Every window over {NaN, −∞, −0, +0, 1, +∞} (6⁴ = 1296), each at several positions of the
  // vector bodies (Wo = 4, 5, 7, 9) and of the tails.
  for (const Wo of [4, 5, 7, 9]) {
    const values = [NaN, -Infinity, -0, 0, 1, Infinity];
    const Ho = Math.ceil(1296 / Wo);
    const H = 2 * Ho + 1;
    const W = 2 * Wo + 1;
    const fill = (x: Float32Array | Float64Array): void => {
      for (let p = 0; p < Ho * Wo; p++) {
        const q = p % 1296;
        const win = [values[q % 6]!, values[Math.floor(q / 6) % 6]!, values[Math.floor(q / 36) % 6]!, values[Math.floor(q / 216) % 6]!];
        const i = Math.floor(p / Wo);
        const j = p % Wo;
        x[2 * i * W + 2 * j] = win[0]!;
        x[2 * i * W + 2 * j + 1] = win[1]!;
        x[(2 * i + 1) * W + 2 * j] = win[2]!;
        x[(2 * i + 1) * W + 2 * j + 1] = win[3]!;
      }
    };
    it(`f32 and f64: every window of NaN, ±Infinity, ±0 and 1 (Wo = ${Wo}, odd H and W)`, () => {
      const c = { planes: 1, H, W, Ho, Wo };
      const x32 = new Float32Array(H * W).fill(-5);
      fill(x32);
      let mem = new Layout();
      checkPool('f32', mem, mem.f32(x32, 4), x32, c, 4);
      const x64 = new Float64Array(H * W).fill(-5);
      fill(x64);
      mem = new Layout();
      checkPool('f64', mem, mem.f64(x64), x64, c, 0);
    });
  }
});
