// The drawing pad: black round strokes on a transparent canvas, from mouse, touch or pen through
// Pointer Events. One pointer draws at a time; setPointerCapture keeps the stroke going when the
// pointer leaves the canvas.

/** A pad a person draws on. */
export interface Pad {
  /** Wipes the drawing. */
  clear(): void;
  /** The canvas's RGBA pixels. */
  pixels(): ImageData;
}

/**
 * Makes `canvas` drawable; `onChange` runs after every stroke segment and after `clear`.
 *
 * NOTE: the pen is about 1/13 of the pad wide, so a digit drawn across most of the pad ends up
 * with strokes 2–3 px wide in the 20×20 box, as MNIST's are.
 *
 * @example
 * ```ts
 * const pad = createPad(canvas, () => scheduleUpdate());
 * ```
 * @param canvas - the canvas to draw on (its width/height attributes set the resolution)
 * @param onChange - called when the drawing changes
 */
export function createPad(canvas: HTMLCanvasElement, onChange: () => void): Pad {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new Error('this browser cannot draw on a 2D canvas');
  const penWidth = Math.round(canvas.width / 13);
  let active: number | null = null;
  let last: { x: number; y: number } | null = null;

  // Pointer coordinates in canvas pixels, whatever size CSS gives the canvas.
  const at = (e: PointerEvent): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
  };

  const segment = (to: { x: number; y: number }): void => {
    ctx.strokeStyle = '#000';
    ctx.lineWidth = penWidth;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    const from = last ?? to;
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    last = to;
  };

  const end = (e: PointerEvent): void => {
    if (e.pointerId !== active) return;
    active = null;
    last = null;
  };

  canvas.addEventListener('pointerdown', (e) => {
    if (active !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    active = e.pointerId;
    canvas.setPointerCapture(e.pointerId);
    last = null;
    segment(at(e)); // a dot, so a tap leaves a mark
    onChange();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (e.pointerId !== active) return;
    e.preventDefault();
    // Coalesced events carry the points the browser merged into this one: smoother fast strokes.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ce of events.length > 0 ? events : [e]) segment(at(ce));
    onChange();
  });
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('lostpointercapture', end);

  return {
    clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      active = null;
      last = null;
      onChange();
    },
    pixels() {
      return ctx.getImageData(0, 0, canvas.width, canvas.height);
    },
  };
}
