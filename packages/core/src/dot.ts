import { formatShape } from './errors.ts';
import type { Tensor } from './tensor.ts';

/** Options of {@link toDot}. */
export interface DotOptions {
  /** Graph direction: `'LR'` (left to right, the default, as micrograd draws) or `'TB'`. */
  rankdir?: 'LR' | 'TB';
  /** Also print each tensor's values when it has at most this many elements (default 0). */
  showValues?: number;
}

function escape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[{}|<>]/g, (c) => `\\${c}`);
}

function formatValues(t: Tensor, limit: number): string {
  if (t.size === 0 || t.size > limit) return '';
  return ` | data ${escape(Array.from(t.data, (v) => Number(v.toPrecision(4))).join(' '))}`;
}

/** An op's attributes as compact JSON, without the `false`/`null` ones (matmul's untransposed operands). */
function formatAttrs(attrs: Readonly<Record<string, unknown>> | null): string {
  if (attrs === null) return '';
  const shown = Object.entries(attrs).filter(([, v]) => v !== false && v !== null && v !== undefined);
  return shown.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(shown))}`;
}

/**
 * Graphviz DOT text for the graph that produced `t` (micrograd's `draw_dot`): one record per
 * tensor (name or op, shape, and gradient shape once computed) and one ellipse per op.
 * Render it with `dot -Tsvg`. It draws a gradient's graph too: after
 * `backward(loss, undefined, { createGraph: true })`, `toDot(w.grad)` shows the backward pass,
 * each op dashed and marked with the op whose rule made it.
 *
 * @example
 * ```ts
 * const w = randn([3, 2], { requiresGrad: true, name: 'w' });
 * const loss = w.matmul(ones([2, 1])).sigmoid().sum();
 * writeFileSync('graph.dot', toDot(loss));
 * ```
 * @param t - the output tensor whose history to draw, or several (e.g. every parameter's gradient)
 * @param options - `rankdir`, `showValues`
 */
export function toDot(t: Tensor | readonly Tensor[], options: DotOptions = {}): string {
  const { rankdir = 'LR', showValues = 0 } = options;
  const ids = new Map<Tensor, string>();
  const lines: string[] = [`digraph nabla {`, `  rankdir=${rankdir};`, `  node [fontname="Helvetica"];`];
  const roots: readonly Tensor[] = Array.isArray(t) ? t : [t as Tensor];
  const stack: Tensor[] = [...roots].reverse();
  const id = (x: Tensor): string => {
    let s = ids.get(x);
    if (s === undefined) {
      s = `t${ids.size}`;
      ids.set(x, s);
    }
    return s;
  };
  roots.forEach(id);
  const seen = new Set<Tensor>(roots);
  while (stack.length > 0) {
    const x = stack.pop()!;
    const xid = id(x);
    // Unnamed leaves without requiresGrad are constants (−y, 1/2m); say so rather than 'leaf'.
    const label = x.name ?? (x.node ? x.node.op : x.requiresGrad ? 'leaf' : 'const');
    const grad = x.grad ? ` | grad ${formatShape(x.grad.shape)}` : '';
    const flag = x.requiresGrad && x.node === null ? ' | requiresGrad' : '';
    lines.push(`  ${xid} [shape=record, label="{ ${escape(label)} | ${formatShape(x.shape)}${flag}${grad}${formatValues(x, showValues)} }"];`);
    if (x.node === null) continue;
    const rule = x.node.gradOf !== undefined ? `\\n(rule of ${x.node.gradOf})` : '';
    const style = x.node.gradOf !== undefined ? ', style=dashed' : '';
    lines.push(`  ${xid}_op [shape=ellipse${style}, label="${escape(x.node.op + formatAttrs(x.node.attrs))}${rule}"];`);
    lines.push(`  ${xid}_op -> ${xid};`);
    for (const input of x.node.inputs) {
      lines.push(`  ${id(input)} -> ${xid}_op;`);
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
