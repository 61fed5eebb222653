import { GradError, formatShape } from './errors.ts';
import { backwardNode, topologicalOrder } from './autograd.ts';
import { Tensor, type Tracer, noGrad, withTracer } from './tensor.ts';

/** Options of {@link trace}. */
export interface TraceOptions {
  /**
   * Where the tape's buffers come from (default: fresh Float64Arrays). Passing an arena in
   * WebAssembly memory lets matmul run its SIMD kernels on them.
   * @param n - number of float64 elements
   */
  allocate?: (n: number) => Float64Array;
}

/**
 * A recorded computation that can be replayed: the graph, its topological order and every
 * buffer (values and gradients) are built once by {@link trace} and reused by each
 * `forward()` / `backward()`, so a repeated training step allocates nothing.
 */
export interface Tape {
  /** The traced output (its `data` is rewritten by each `forward()`). */
  readonly output: Tensor;
  /**
   * Recomputes every node in order from the current values of the leaves (write new inputs
   * into their `data` first). Returns the output's first element, handy for a loss.
   */
  forward(): number;
  /**
   * Reverse-mode autodiff over the recorded order. Sets (does not add to) `.grad` of every
   * leaf with `requiresGrad`, whose buffers stay the same across calls.
   */
  backward(): void;
  /** Number of recorded ops. */
  readonly size: number;
}

/**
 * Records `fn` once as a replayable tape. Leaves are the tensors `fn` reads but did not make
 * (parameters, and input batches whose `data` the caller refills between steps); every op,
 * including those on tensors without `requiresGrad`, is recorded so replay recomputes them.
 *
 * @example
 * ```ts
 * const X = zeros([784, 10]);
 * const Y = zeros([10, 10]);
 * const tape = trace(() => net.loss(X, Y));
 * for (const batch of batches) {
 *   X.data.set(batch.x); Y.data.set(batch.y);
 *   tape.forward();
 *   tape.backward();   // fills w.grad for every parameter w
 *   optimizer.step();
 * }
 * ```
 * @param fn - builds the computation; must return a one-element tensor that requires grad
 * @param options - `allocate` for the tape's buffers
 */
export function trace(fn: () => Tensor, options: TraceOptions = {}): Tape {
  const allocate = options.allocate ?? ((n: number) => new Float64Array(n));
  const tracer: Tracer = { allocate };
  const output = withTracer(tracer, fn);
  if (!(output instanceof Tensor)) throw new GradError('trace', `the function must return a Tensor, got ${typeof output}`);
  if (output.size !== 1) throw new GradError('trace', `the function must return a one-element tensor, got shape ${formatShape(output.shape)}`);
  if (!output.requiresGrad) throw new GradError('trace', 'the output does not require grad: no leaf it depends on has requiresGrad: true');

  // Every op, with or without requiresGrad: replay must recompute them all.
  const order = topologicalOrder(output, () => true).filter((t) => t.node !== null);
  // One gradient buffer per tensor on a path to the output, allocated now and reused; leaves
  // keep theirs as `.grad`.
  const gradOf = new Map<Tensor, Float64Array>();
  const gradNodes = order.filter((t) => t.requiresGrad);
  for (const t of gradNodes) {
    gradOf.set(t, allocate(t.size));
    for (const input of t.node!.inputs) {
      if (!input.requiresGrad || gradOf.has(input)) continue;
      const buffer = allocate(input.size);
      gradOf.set(input, buffer);
    }
  }
  // Plan each step's backward once: an input's first contribution (in reverse order) may write
  // its buffer outright where the rule allows it (matmul), so only the other buffers are zeroed
  // each step — for a network, that spares the weight-sized ones.
  const fresh: boolean[][] = gradNodes.map(() => []);
  const written = new Set<Tensor>([output]);
  const zeroed = new Set<Tensor>();
  for (let k = gradNodes.length - 1; k >= 0; k--) {
    const node = gradNodes[k]!.node!;
    node.inputs.forEach((input, i) => {
      if (!input.requiresGrad) return;
      const first = !written.has(input);
      written.add(input);
      fresh[k]![i] = first && node.primitive?.overwrites === true;
      if (first && !fresh[k]![i]) zeroed.add(input);
    });
  }
  const buffers = [...zeroed].map((t) => gradOf.get(t)!);
  const gradTensors = new Map<Tensor, Tensor>();
  for (const [t, b] of gradOf) if (t.node === null || t.retainsGrad) gradTensors.set(t, new Tensor(b, t.shape));
  const outGrad = gradOf.get(output)!;
  const lookup = (input: Tensor): Float64Array => gradOf.get(input)!;
  const kernelArgs = order.map((t) => {
    const node = t.node!;
    return { x: node.inputs.map((x) => x.data), shapes: node.inputs.map((x) => x.shape), out: t.data, outShape: t.shape, attrs: node.attrs as never };
  });
  const argsOf = new Map(order.map((t, k) => [t, kernelArgs[k]!]));
  const gradArgs = gradNodes.map((t) => argsOf.get(t)!);
  const gradBufs = gradNodes.map((t) => gradOf.get(t)!);

  return {
    output,
    size: order.length,
    forward(): number {
      noGrad(() => {
        for (let k = 0; k < order.length; k++) {
          const node = order[k]!.node!;
          if (node.primitive !== undefined) node.primitive.forward(kernelArgs[k]!);
          else order[k]!.data.set(node.recompute!().data);
        }
      });
      return output.data[0]!;
    },
    backward(): void {
      for (const b of buffers) b.fill(0);
      outGrad.fill(0);
      outGrad[0] = 1;
      noGrad(() => {
        for (let k = gradNodes.length - 1; k >= 0; k--) {
          const t = gradNodes[k]!;
          backwardNode(t, gradBufs[k]!, lookup, false, fresh[k], gradArgs[k]);
        }
      });
      // Re-attached every time: an eager backward() in between may have replaced `.grad`.
      for (const [t, g] of gradTensors) t.grad = g;
    },
  };
}
