// The training curves as a hand-drawn SVG: test accuracy (left axis) and cost (right axis)
// against the epoch. A few dozen points need no charting library.
import type { EpochPoint } from './metrics.ts';

const SVG = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 260;
const M = { top: 16, right: 56, bottom: 40, left: 56 };

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
function ticks(lo: number, hi: number, count: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Draws accuracy (%) and cost per epoch into `svg`, replacing what was there.
 *
 * @example
 * ```ts
 * renderChart(document.querySelector('svg')!, parseMetrics(text, 'metrics.jsonl'));
 * ```
 * @param svg - the target `<svg>` element
 * @param points - the epochs, at least one
 */
export function renderChart(svg: SVGSVGElement, points: readonly EpochPoint[]): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;

  const epochs = points.map((p) => p.epoch);
  const eMin = Math.min(...epochs);
  const eMax = Math.max(...epochs);
  const acc = points.map((p) => 100 * p.accuracy);
  // The accuracy axis starts at a round number below the worst epoch, so the curve's shape shows.
  const aMin = Math.max(0, Math.floor(Math.min(...acc) - 0.5));
  const aMax = Math.min(100, Math.ceil(Math.max(...acc) + 0.25));
  const cMax = Math.max(...points.map((p) => p.cost)) * 1.05 || 1;

  const sx = (e: number): number => (eMax === eMin ? (x0 + x1) / 2 : x0 + ((e - eMin) / (eMax - eMin)) * (x1 - x0));
  const sa = (a: number): number => y0 - ((a - aMin) / (aMax - aMin || 1)) * (y0 - y1);
  const sc = (c: number): number => y0 - (c / cMax) * (y0 - y1);

  // Grid and the accuracy axis (left).
  for (const t of ticks(aMin, aMax, 5)) {
    svg.append(el('line', { x1: x0, x2: x1, y1: sa(t), y2: sa(t), class: 'grid' }));
    svg.append(el('text', { x: x0 - 6, y: sa(t) + 4, 'text-anchor': 'end', class: 'tick acc' }, `${t}%`));
  }
  // Cost axis (right).
  for (const t of ticks(0, cMax, 4)) {
    svg.append(el('text', { x: x1 + 6, y: sc(t) + 4, 'text-anchor': 'start', class: 'tick cost' }, String(t)));
  }
  // Epoch axis.
  for (const t of ticks(eMin, eMax, Math.min(10, eMax - eMin || 1)).filter(Number.isInteger)) {
    svg.append(el('line', { x1: sx(t), x2: sx(t), y1: y0, y2: y0 + 4, class: 'axis' }));
    svg.append(el('text', { x: sx(t), y: y0 + 16, 'text-anchor': 'middle', class: 'tick' }, String(t)));
  }
  svg.append(el('line', { x1: x0, x2: x1, y1: y0, y2: y0, class: 'axis' }));
  svg.append(el('text', { x: (x0 + x1) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label' }, 'epoch'));
  svg.append(el('text', { x: 14, y: (y0 + y1) / 2, 'text-anchor': 'middle', class: 'label acc', transform: `rotate(-90 14 ${(y0 + y1) / 2})` }, 'test accuracy'));
  svg.append(el('text', { x: W - 8, y: (y0 + y1) / 2, 'text-anchor': 'middle', class: 'label cost', transform: `rotate(90 ${W - 8} ${(y0 + y1) / 2})` }, 'cost'));

  const series = [
    { name: 'accuracy', y: (p: EpochPoint): number => sa(100 * p.accuracy), tip: (p: EpochPoint): string => `epoch ${p.epoch}: ${(100 * p.accuracy).toFixed(2)}%` },
    { name: 'cost', y: (p: EpochPoint): number => sc(p.cost), tip: (p: EpochPoint): string => `epoch ${p.epoch}: cost ${p.cost.toPrecision(4)}` },
  ];
  for (const s of series) {
    const coords = points.map((p) => `${sx(p.epoch).toFixed(1)},${s.y(p).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points: coords, class: `series ${s.name}`, 'data-series': s.name, 'data-count': points.length }));
    for (const p of points) {
      const dot = el('circle', { cx: sx(p.epoch), cy: s.y(p), r: 2.5, class: `dot ${s.name}` });
      dot.append(el('title', {}, s.tip(p)));
      svg.append(dot);
    }
  }
}
