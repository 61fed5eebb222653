// Pen strokes from a 28×28 MNIST image, so a test can redraw a real digit with the mouse. One
// fixed rule for every image: threshold the ink, thin it to a one-pixel skeleton (Zhang–Suen),
// and trace the skeleton into polylines.

/** A point as fractions of the pad (0–1), x to the right, y down. */
export type Point = readonly [number, number];

const SIZE = 28;
/** Grey levels at or above this (of 255) are ink. */
export const INK_THRESHOLD = 128;

// The 8 neighbours, clockwise from north: P2 … P9 in Zhang and Suen's paper.
const RING: readonly (readonly [number, number])[] = [
  [0, -1],
  [1, -1],
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
  [-1, 0],
  [-1, -1],
];
// Where a trace steps next: the 4-neighbours before the diagonals.
const STEPS = [RING[0]!, RING[2]!, RING[4]!, RING[6]!, RING[1]!, RING[3]!, RING[5]!, RING[7]!];

const at = (img: Uint8Array, x: number, y: number): number => (x >= 0 && x < SIZE && y >= 0 && y < SIZE ? img[y * SIZE + x]! : 0);

/**
 * Zhang–Suen thinning: peels boundary pixels in two alternating sub-passes until none can go,
 * leaving a skeleton one pixel wide that keeps the shape's connectivity.
 * @param ink - 28×28, 1 for ink and 0 for background (not modified)
 */
export function thin(ink: Uint8Array): Uint8Array {
  const img = Uint8Array.from(ink);
  for (let changed = true; changed; ) {
    changed = false;
    for (const pass of [0, 1]) {
      const remove: number[] = [];
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          if (img[y * SIZE + x] === 0) continue;
          const p = RING.map(([dx, dy]) => at(img, x + dx, y + dy));
          const b = p.reduce((a, v) => a + v, 0);
          let a = 0;
          for (let i = 0; i < 8; i++) if (p[i] === 0 && p[(i + 1) % 8] === 1) a++;
          const [p2, , p4, , p6, , p8] = p;
          const cond = pass === 0 ? p2! * p4! * p6! === 0 && p4! * p6! * p8! === 0 : p2! * p4! * p8! === 0 && p2! * p6! * p8! === 0;
          if (b >= 2 && b <= 6 && a === 1 && cond) remove.push(y * SIZE + x);
        }
      }
      for (const i of remove) img[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
  return img;
}

/**
 * Traces a skeleton into polylines of pixel positions [x, y]. Each trace starts at the first
 * end point (a pixel with one neighbour) in reading order, or, when only loops are left, at the
 * first remaining pixel; it steps to an untraced neighbour (4-neighbours first) until there is
 * none, then joins an already traced neighbour if there is one, which closes loops and
 * attaches branches.
 * @param skeleton - 28×28, 1 on the skeleton
 */
export function trace(skeleton: Uint8Array): [number, number][][] {
  const left = Uint8Array.from(skeleton);
  const neighbours = (x: number, y: number, img: Uint8Array): [number, number][] =>
    STEPS.map(([dx, dy]): [number, number] => [x + dx, y + dy]).filter(([nx, ny]) => at(img, nx, ny) === 1);
  const paths: [number, number][][] = [];
  for (;;) {
    let start = -1;
    for (let i = 0; i < SIZE * SIZE && start < 0; i++) if (left[i] === 1 && neighbours(i % SIZE, Math.floor(i / SIZE), skeleton).length === 1) start = i;
    for (let i = 0; i < SIZE * SIZE && start < 0; i++) if (left[i] === 1) start = i;
    if (start < 0) return paths;
    let [x, y] = [start % SIZE, Math.floor(start / SIZE)];
    const path: [number, number][] = [[x, y]];
    left[start] = 0;
    for (;;) {
      const next = neighbours(x, y, left)[0];
      if (next === undefined) break;
      [x, y] = next;
      left[y * SIZE + x] = 0;
      path.push([x, y]);
    }
    const previous = path.length > 1 ? path[path.length - 2]! : null;
    const join = neighbours(x, y, skeleton).find(([nx, ny]) => left[ny * SIZE + nx] === 0 && !(previous !== null && nx === previous[0] && ny === previous[1]) && !path.slice(-3).some(([px, py]) => px === nx && py === ny));
    if (join !== undefined) path.push(join);
    paths.push(path);
  }
}

/**
 * The strokes that redraw an MNIST image on the pad: threshold, {@link thin}, {@link trace},
 * each pixel's centre as a fraction of the pad (pixel x → (x + ½) / 28).
 * @param pixels - 784 grey levels 0–255, row-major
 */
export function digitStrokes(pixels: Uint8Array): Point[][] {
  const ink = Uint8Array.from(pixels, (v) => (v >= INK_THRESHOLD ? 1 : 0));
  return trace(thin(ink)).map((path) => path.map(([x, y]): Point => [(x + 0.5) / SIZE, (y + 0.5) / SIZE]));
}
