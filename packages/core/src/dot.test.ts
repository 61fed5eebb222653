import { describe, it, expect } from 'vitest';
import { type Tensor, ones, tensor, toDot } from './index.ts';

function smallGraph(): { w: Tensor; x: Tensor; loss: Tensor } {
  const w = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true, name: 'w' });
  const x = tensor([[0.5], [-1]], { name: 'x' });
  const loss = w.matmul(x).sigmoid().sum();
  return { w, x, loss };
}

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

describe('toDot', () => {
  it('is a digraph with one op node per op, named after it', () => {
    const dot = toDot(smallGraph().loss);
    expect(dot).toMatch(/^digraph nabla \{\n/);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    expect(count(dot, /shape=ellipse/g)).toBe(3);
    expect(dot).toMatch(/_op \[shape=ellipse, label="matmul"\]/);
    expect(dot).toMatch(/_op \[shape=ellipse, label="sigmoid"\]/);
    expect(dot).toMatch(/_op \[shape=ellipse, label="sum /);
  });

  it('has one record per tensor, with names and shapes', () => {
    const dot = toDot(smallGraph().loss);
    // loss, sigmoid output, matmul output, w, x
    expect(count(dot, /shape=record/g)).toBe(5);
    expect(dot).toMatch(/label="\{ w \| \[3,2\] \| requiresGrad \}"/);
    expect(dot).toMatch(/label="\{ x \| \[2,1\] \}"/);
    expect(dot).toMatch(/label="\{ matmul \| \[3,1\] \}"/);
    expect(dot).toMatch(/label="\{ sum \| \[\] \}"/);
  });

  it('has one edge per op output and one per op input', () => {
    const dot = toDot(smallGraph().loss);
    // 3 op → output edges, plus inputs: sum 1, sigmoid 1, matmul 2
    expect(count(dot, /->/g)).toBe(3 + 4);
    const lines = dot.split('\n');
    const idOf = (label: string): string => lines.find((l) => l.includes(`label="{ ${label} |`))!.trim().split(' ')[0]!;
    const w = idOf('w');
    const x = idOf('x');
    const mm = idOf('matmul');
    expect(lines).toContain(`  ${w} -> ${mm}_op;`);
    expect(lines).toContain(`  ${x} -> ${mm}_op;`);
    expect(lines).toContain(`  ${mm}_op -> ${mm};`);
  });

  it('draws a tensor used twice once, with two edges into its consumer', () => {
    const a = tensor([1, 2], { requiresGrad: true, name: 'a' });
    const dot = toDot(a.mul(a));
    expect(count(dot, /shape=record/g)).toBe(2);
    expect(count(dot, /->/g)).toBe(3);
  });

  it('shows op attributes and the gradient shape once computed', () => {
    const { w, loss } = smallGraph();
    loss.backward();
    expect(w.grad).not.toBeNull();
    const dot = toDot(loss);
    expect(dot).toContain('w | [3,2] | requiresGrad | grad [3,2]');
    // attrs are JSON with DOT-escaped quotes and braces, without the false ones
    expect(dot).toContain('label="sum \\{\\"axes\\":[0,1]\\}"');
  });

  it('draws a leaf alone, a constant as const and a parameter as leaf', () => {
    const dot = toDot(ones([2, 2]));
    expect(count(dot, /shape=record/g)).toBe(1);
    expect(count(dot, /->/g)).toBe(0);
    expect(dot).toContain('const | [2,2]');
    expect(toDot(ones([2, 2], { requiresGrad: true }))).toContain('leaf | [2,2] | requiresGrad');
  });

  it('honours rankdir and showValues, and escapes quotes in names', () => {
    const t = tensor([1.5, 2], { name: 'say "hi"', requiresGrad: true });
    const dot = toDot(t.mul(2), { rankdir: 'TB', showValues: 2 });
    expect(dot).toContain('rankdir=TB;');
    expect(dot).toContain('data 1.5 2');
    expect(dot).toContain('data 3 4');
    // values are a record field of their own, not an escaped '|' inside the shape field
    expect(dot).toMatch(/\| \[2\] \| data 3 4 \}/);
    expect(dot).toContain('say \\"hi\\"');
    expect(toDot(t.mul(2))).not.toContain('data');
  });

  it('handles a deep chain without recursion', () => {
    let y = tensor(1, { requiresGrad: true });
    for (let i = 0; i < 20_000; i++) y = y.add(1);
    expect(count(toDot(y), /shape=ellipse/g)).toBe(20_000);
  });
});
