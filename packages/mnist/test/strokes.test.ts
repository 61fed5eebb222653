// The rule that turns an MNIST image into pen strokes for the page's end-to-end test.
import { describe, expect, it } from 'vitest';
import { digitStrokes, thin, trace } from './strokes.ts';

function image(draw: (x: number, y: number) => boolean): Uint8Array {
  return Uint8Array.from({ length: 784 }, (_, i) => (draw(i % 28, Math.floor(i / 28)) ? 1 : 0));
}

const count = (img: Uint8Array): number => img.reduce((a, v) => a + v, 0);

describe('thin', () => {
  it('thins a bar 3 pixels wide to a line 1 pixel wide, keeping its length', () => {
    const skeleton = thin(image((x, y) => x >= 12 && x <= 14 && y >= 4 && y <= 23));
    for (let y = 6; y <= 21; y++) expect(Array.from(skeleton.subarray(y * 28, y * 28 + 28)).filter((v) => v === 1)).toHaveLength(1);
    expect(count(skeleton)).toBeGreaterThanOrEqual(16);
  });
});

describe('trace', () => {
  it('traces a line from an end point to the other in one path', () => {
    const paths = trace(image((x, y) => x === 10 && y >= 5 && y <= 20));
    expect(paths).toEqual([Array.from({ length: 16 }, (_, i) => [10, 5 + i])]);
  });

  it("closes a loop, and draws a loop with a tail in one stroke from the tail's end", () => {
    const ring = (x: number, y: number): boolean => (x >= 8 && x <= 16 && (y === 8 || y === 16)) || (y >= 8 && y <= 16 && (x === 8 || x === 16));
    const [loop] = trace(image(ring));
    expect(loop![0]).toEqual(loop![loop!.length - 1]);
    const tailed = image((x, y) => ring(x, y) || (x === 12 && y > 16 && y <= 22));
    const withTail = trace(tailed);
    expect(withTail).toHaveLength(1);
    const path = withTail[0]!;
    expect(path[0]).toEqual([12, 22]); // the tail's end point first
    expect(new Set(path.map(([x, y]) => y * 28 + x)).size).toBe(count(tailed)); // every pixel
    const [lx, ly] = path[path.length - 1]!;
    expect(path.slice(0, -1).some(([x, y]) => x === lx && y === ly)).toBe(true); // the loop closed
  });
});

describe('digitStrokes', () => {
  it('gives strokes inside the pad, one point per skeleton pixel', () => {
    const pixels = Uint8Array.from({ length: 784 }, (_, i) => (Math.abs((i % 28) - 14) <= 1 && i >= 28 * 4 && i < 28 * 24 ? 255 : 40));
    const strokes = digitStrokes(pixels);
    expect(strokes.length).toBe(1);
    for (const [x, y] of strokes[0]!) {
      expect(x).toBeCloseTo(14.5 / 28, 12);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(1);
    }
  });
});
