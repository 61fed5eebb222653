import { describe, expect, it } from 'vitest';
import { DIGIT_BOX, DIGIT_SIZE, preprocessDigit } from './preprocess.ts';

const N = DIGIT_SIZE;

/** A grey image (0 background, 255 ink) with `paint(x, y)` giving each pixel's ink. */
function grey(width: number, height: number, paint: (x: number, y: number) => number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = paint(x, y);
  return out;
}

/** The same picture as RGBA the way a canvas holds it: black paint whose alpha is the ink. */
function rgba(g: Uint8ClampedArray): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * g.length);
  g.forEach((v, i) => (out[4 * i + 3] = v));
  return out;
}

function rect(x0: number, y0: number, x1: number, y1: number): (x: number, y: number) => number {
  return (x, y) => (x >= x0 && x < x1 && y >= y0 && y < y1 ? 255 : 0);
}

function centreOfMass(img: Float64Array): { x: number; y: number; mass: number } {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const v = img[y * N + x]!;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  return { x: mx / mass, y: my / mass, mass };
}

/** Columns and rows that hold any ink: [first, last] each. */
function inkExtent(img: Float64Array): { cols: [number, number]; rows: [number, number] } {
  let c0 = N;
  let c1 = -1;
  let r0 = N;
  let r1 = -1;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      if (img[y * N + x]! <= 0) continue;
      c0 = Math.min(c0, x);
      c1 = Math.max(c1, x);
      r0 = Math.min(r0, y);
      r1 = Math.max(r1, y);
    }
  }
  return { cols: [c0, c1], rows: [r0, r1] };
}

describe('preprocessDigit', () => {
  it('keeps a centred square centred, filling the 20×20 box', () => {
    const img = preprocessDigit(grey(280, 280, rect(100, 100, 180, 180)), 280, 280);
    expect(img).toHaveLength(N * N);
    expect(inkExtent(img)).toEqual({ cols: [4, 23], rows: [4, 23] });
    const com = centreOfMass(img);
    expect(com.x).toBeCloseTo(14, 10);
    expect(com.y).toBeCloseTo(14, 10);
    expect(img[14 * N + 14]).toBe(1);
    expect(img[0]).toBe(0);
  });

  it('moves an off-centre blob so its centre of mass is at (14, 14) ± 0.5', () => {
    // A right triangle in the top-left corner: its mass sits off its box's centre too.
    const img = preprocessDigit(grey(200, 150, (x, y) => (x < 60 && y < 60 && x + y < 60 ? 255 : 0)), 200, 150);
    const com = centreOfMass(img);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
  });

  it('scales the ink box so its long side becomes 20 px', () => {
    // 37 × 23 px of ink in a 120 × 90 image: the width is the long side.
    const img = preprocessDigit(grey(120, 90, rect(70, 5, 107, 28)), 120, 90);
    const { cols, rows } = inkExtent(img);
    expect(cols[1] - cols[0] + 1).toBe(DIGIT_BOX);
    expect(rows[1] - rows[0] + 1).toBe(Math.round((23 * DIGIT_BOX) / 37));
  });

  it('keeps the aspect ratio of a tall thin stroke (a 1 stays thin)', () => {
    // 10 px wide, 200 px tall: scaled by 20/200 it is 1 px wide and 20 px tall.
    const img = preprocessDigit(grey(280, 280, rect(50, 40, 60, 240)), 280, 280);
    const { cols, rows } = inkExtent(img);
    expect(rows[1] - rows[0] + 1).toBe(20);
    expect(cols[1] - cols[0] + 1).toBe(1);
    // 30 × 200 → 3 × 20.
    const wider = inkExtent(preprocessDigit(grey(280, 280, rect(50, 40, 80, 240)), 280, 280));
    expect(wider.cols[1] - wider.cols[0] + 1).toBe(3);
  });

  it('keeps grey levels of thin strokes when scaling down (area averaging)', () => {
    // A 1-px line across a 200-px wide box covers 1/10 of each output pixel's area.
    const img = preprocessDigit(grey(200, 200, (x, y) => (x === 0 || x === 199 || y === 100 ? 255 : 0)), 200, 200);
    const row = [...img.subarray(14 * N + 5, 14 * N + 23)];
    const faint = row.filter((v) => v > 0 && v < 1);
    expect(faint.length).toBeGreaterThan(10);
    for (const v of faint) expect(v).toBeCloseTo(0.1, 10);
  });

  it('returns all zeros for an empty drawing', () => {
    const img = preprocessDigit(new Uint8ClampedArray(4 * 280 * 280), 280, 280);
    expect(img).toHaveLength(784);
    expect(img.every((v) => v === 0)).toBe(true);
  });

  it('gives values in [0, 1] for random grey and RGBA input', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const g = grey(97, 61, () => (next() < 0.3 ? Math.floor(next() * 256) : 0));
    for (const img of [preprocessDigit(g, 97, 61), preprocessDigit(rgba(g), 97, 61)]) {
      expect(img.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(img.some((v) => v > 0)).toBe(true);
    }
  });

  it('reads RGBA as dark paint weighted by alpha, the same as the grey picture', () => {
    const g = grey(140, 140, rect(60, 20, 75, 120));
    expect(preprocessDigit(rgba(g), 140, 140)).toEqual(preprocessDigit(g, 140, 140));
    // White paint, or a fully transparent pixel, is not ink.
    const white = new Uint8ClampedArray(4 * 4).fill(255);
    expect(preprocessDigit(white, 2, 2).every((v) => v === 0)).toBe(true);
  });

  it('upscales a tiny drawing to fill the box', () => {
    const img = preprocessDigit(grey(10, 10, rect(3, 3, 5, 7)), 10, 10);
    const { cols, rows } = inkExtent(img);
    expect(rows[1] - rows[0] + 1).toBe(20);
    expect(cols[1] - cols[0] + 1).toBe(10);
  });

  it('throws when the data does not match the size', () => {
    expect(() => preprocessDigit(new Uint8ClampedArray(10), 3, 3)).toThrow(/3×3 image needs 9 grey or 36 RGBA values, got 10/);
    expect(() => preprocessDigit(new Uint8ClampedArray(0), 0, 0)).toThrow(RangeError);
  });
});
