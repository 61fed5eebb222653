import { describe, it, expect } from 'vitest';
import { DTypeError, GradError, type Tensor, customOp, fromData, tensor } from './index.ts';

const square = customOp({
  name: 'mySquare',
  forward: (x) => x!.mul(x!),
  backward: (g, { inputs: [x] }) => [g.mul(x!).mul(2)],
});

describe('customOp', () => {
  it('computes its forward and records a node under its name', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    const y = square(x);
    expect(y.toArray()).toEqual([1, 4, 9]);
    expect(y.node?.op).toBe('mySquare');
    expect(y.node?.inputs[0]).toBe(x);
  });

  it('runs forward untracked: the output has one node, its own', () => {
    const x = tensor([2], { requiresGrad: true });
    const y = square(x);
    // The forward's mul is not in the graph: the custom op's only input is x itself.
    expect(y.node?.inputs).toEqual([x]);
  });

  it('uses its own backward rule, composed with other ops', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    square(x).mul(tensor([1, 10, 100])).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, -40, 600]);
  });

  it('gives backward the inputs and the output (σ′ = σ(1 − σ) from the output)', () => {
    let seenOutput: Tensor | null = null;
    const sig = customOp({
      name: 'mySigmoid',
      forward: (x) => fromData(Float64Array.from(x!.data, (v) => 1 / (1 + Math.exp(-v))), x!.shape),
      backward: (g, { output }) => {
        seenOutput = output;
        return [g.mul(output.mul(output.neg().add(1)))];
      },
    });
    const x = tensor([0, 2], { requiresGrad: true });
    const y = sig(x);
    y.sum().backward();
    expect(seenOutput).toBe(y);
    const s = 1 / (1 + Math.exp(-2));
    expect(x.grad!).toBeAllclose([0.25, s * (1 - s)], { rtol: 1e-14 });
  });

  it('accepts numbers as inputs and lets backward return null for inputs that need no gradient', () => {
    const scale = customOp({
      name: 'scale',
      forward: (x, k) => x!.mul(k!),
      backward: (g, { inputs: [, k] }) => [g.mul(k!), null],
    });
    const x = tensor([1, 2], { requiresGrad: true });
    const y = scale(x, 3);
    expect(y.toArray()).toEqual([3, 6]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it('does not record when no input requires grad', () => {
    expect(square(tensor([3])).node).toBeNull();
  });

  it('throws when the spec is invalid', () => {
    const forward = (x: Tensor | undefined): Tensor => x!;
    const backward = (g: Tensor): Tensor[] => [g];
    expect(() => customOp({ name: '', forward, backward })).toThrow(/^customOp: name must be a non-empty string$/);
    expect(() => customOp({ name: 'op', forward: 3 as unknown as typeof forward, backward })).toThrow(/^customOp: op: forward must be a function$/);
    expect(() => customOp({ name: 'op', forward, backward: null as unknown as typeof backward })).toThrow(DTypeError);
  });

  it('throws when forward does not return a tensor', () => {
    const bad = customOp({ name: 'noTensor', forward: () => 3 as unknown as Tensor, backward: (g) => [g] });
    expect(() => bad(tensor([1]))).toThrow(/^noTensor: forward must return a Tensor, got number$/);
    expect(() => bad(tensor([1]))).toThrow(GradError);
  });

  it('throws when backward does not return an array', () => {
    const bad = customOp({ name: 'noArray', forward: (x) => x!.mul(1), backward: (g) => g as unknown as Tensor[] });
    expect(() => bad(tensor([1], { requiresGrad: true })).sum().backward()).toThrow(/^noArray: backward must return an array of gradients, got object$/);
  });

  it('throws when an input is neither tensor nor number, naming the op and the input', () => {
    expect(() => square('x' as unknown as number)).toThrow(/^mySquare: argument 'input 0' must be a Tensor or a number, got string$/);
  });
});
