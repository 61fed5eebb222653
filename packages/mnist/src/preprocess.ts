// Turns a drawing into an MNIST-like 28×28 input, the way the MNIST digits were made (LeCun et
// al.): crop to the ink's bounding box, scale it into a 20×20 box keeping the aspect ratio with
// anti-aliasing, then place it in a 28×28 field so that its centre of mass sits at the centre.
// Pure (no DOM, no Node): the web page and Node code share it.

/** Side of the square image the network reads. */
export const DIGIT_SIZE = 28;
/** Side of the box the ink's longer side is scaled to. */
export const DIGIT_BOX = 20;

/**
 * An MNIST-style input for a drawing: 784 grey levels in [0, 1] (1 = ink), row-major 28×28,
 * ready to be one column of X [784, m].
 *
 * The drawing is either grey (`width·height` values, MNIST's convention: 0 background, 255 ink)
 * or RGBA (`4·width·height` values, as `getImageData` returns them: ink is dark paint, weighted
 * by alpha, so black strokes on a transparent or white canvas both work).
 *
 * Steps: crop to the bounding box of the ink; scale so the box's longer side is 20 px and the
 * shorter side keeps the aspect ratio, by area averaging (each output pixel is the mean of the
 * input area it covers, so thin strokes keep grey levels instead of vanishing); shift inside
 * 28×28 so the centre of mass lands on the centre (14, 14), to the nearest pixel. No ink gives
 * all zeros.
 *
 * NOTE: a digit whose mass sits far to one side of its own box (a lone serif, say) would need a
 * shift that pushes part of it off the 28×28 field; the shift is clamped so no ink is lost, and
 * its centre of mass then lies as close to the centre as the field allows.
 *
 * @example
 * ```ts
 * const { data, width, height } = ctx.getImageData(0, 0, 280, 280);
 * const x = preprocessDigit(data, width, height); // Float64Array(784)
 * const X = fromData(x, [784, 1]);
 * ```
 * @param pixels - grey or RGBA bytes, row-major
 * @param width - image width in pixels
 * @param height - image height in pixels
 * @returns 784 values in [0, 1], row-major
 * @throws RangeError when the size is not a positive integer or `pixels` has neither w·h nor 4·w·h values
 */
export function preprocessDigit(pixels: Uint8ClampedArray | Uint8Array, width: number, height: number): Float64Array {
  const ink = inkMap(pixels, width, height);
  const out = new Float64Array(DIGIT_SIZE * DIGIT_SIZE);
  const box = inkBox(ink, width, height);
  if (box === null) return out;

  // Scale factor from the longer side; the shorter side follows (at least one pixel).
  const scale = DIGIT_BOX / Math.max(box.w, box.h);
  const tw = Math.max(1, Math.min(DIGIT_BOX, Math.round(box.w * scale)));
  const th = Math.max(1, Math.min(DIGIT_BOX, Math.round(box.h * scale)));
  const small = resampleBox(ink, width, box, tw, th);

  // Centre of mass, pixel i covering [i, i+1), so its centre is i + 0.5.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const centre = DIGIT_SIZE / 2;
  const ox = clamp(Math.round(centre - mx / mass), 0, DIGIT_SIZE - tw);
  const oy = clamp(Math.round(centre - my / mass), 0, DIGIT_SIZE - th);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(oy + y) * DIGIT_SIZE + ox + x] = clamp(small[y * tw + x]!, 0, 1);
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Ink per pixel in [0, 1]: the grey value itself, or for RGBA, darkness × opacity. */
function inkMap(pixels: Uint8ClampedArray | Uint8Array, width: number, height: number): Float64Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`preprocessDigit: width and height must be positive integers, got ${width}×${height}`);
  }
  const n = width * height;
  const ink = new Float64Array(n);
  if (pixels.length === n) {
    for (let i = 0; i < n; i++) ink[i] = pixels[i]! / 255;
    return ink;
  }
  if (pixels.length !== 4 * n) {
    throw new RangeError(
      `preprocessDigit: a ${width}×${height} image needs ${n} grey or ${4 * n} RGBA values, got ${pixels.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    const r = pixels[4 * i]!;
    const g = pixels[4 * i + 1]!;
    const b = pixels[4 * i + 2]!;
    const a = pixels[4 * i + 3]!;
    // Rec. 601 luma; ink is how dark the paint is, times how much paint there is.
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    ink[i] = (a / 255) * (1 - luma / 255);
  }
  return ink;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function inkBox(ink: Float64Array, width: number, height: number): Box | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! <= 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * For each of `outSize` output cells covering [start, start + inSize) evenly, the input pixels it
 * overlaps and the fraction of the cell each one covers (weights of a cell sum to 1).
 */
function boxWeights(start: number, inSize: number, outSize: number): { index: number[]; weight: number[] }[] {
  const step = inSize / outSize;
  const cells: { index: number[]; weight: number[] }[] = [];
  for (let o = 0; o < outSize; o++) {
    const lo = o * step;
    const hi = lo + step;
    const index: number[] = [];
    const weight: number[] = [];
    for (let i = Math.floor(lo); i < Math.min(inSize, Math.ceil(hi)); i++) {
      const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
      if (overlap <= 0) continue;
      index.push(start + i);
      weight.push(overlap / step);
    }
    cells.push({ index, weight });
  }
  return cells;
}

/** Area-averaging resample of the box to tw×th: rows first, then columns (the box filter is separable). */
function resampleBox(ink: Float64Array, width: number, box: Box, tw: number, th: number): Float64Array {
  const cols = boxWeights(box.x, box.w, tw);
  const rows = boxWeights(box.y, box.h, th);
  // Horizontal pass: box.h rows of tw values.
  const mid = new Float64Array(box.h * tw);
  for (let y = 0; y < box.h; y++) {
    const base = (box.y + y) * width;
    for (let x = 0; x < tw; x++) {
      const { index, weight } = cols[x]!;
      let s = 0;
      for (let k = 0; k < index.length; k++) s += ink[base + index[k]!]! * weight[k]!;
      mid[y * tw + x] = s;
    }
  }
  // Vertical pass: th rows of tw values.
  const out = new Float64Array(th * tw);
  for (let y = 0; y < th; y++) {
    const { index, weight } = rows[y]!;
    for (let k = 0; k < index.length; k++) {
      const src = (index[k]! - box.y) * tw;
      const w = weight[k]!;
      for (let x = 0; x < tw; x++) out[y * tw + x] = out[y * tw + x]! + mid[src + x]! * w;
    }
  }
  return out;
}
