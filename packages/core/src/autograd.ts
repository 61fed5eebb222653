import { AnomalyError, GradError, ShapeError, formatShape } from './errors.ts';
import { type Shape, shapesEqual } from './shape.ts';
import { Tensor, noGrad } from './tensor.ts';
import type { KernelArgs } from './primitives.ts';

/** Options of `backward()`. */
export interface BackwardOptions {
  /**
   * Check every gradient a backward rule returns for NaN and ±Infinity and throw an
   * {@link AnomalyError} naming the op at the first one (slower; for debugging).
   */
  detectAnomaly?: boolean;
}

let anomalyByDefault = false;

/**
 * Turns anomaly detection on or off for every later `backward()` that does not say otherwise.
 * @example
 * ```ts
 * setDetectAnomaly(true);
 * ```
 * @param on - whether backward checks each rule's output for NaN/Infinity
 */
export function setDetectAnomaly(on: boolean): void {
  anomalyByDefault = on;
}

/**
 * Every tensor `root` depends on through inputs that pass `follow` (by default: those that
 * require grad), inputs before the tensors made from them. Iterative (an explicit stack) so
 * graphs of 100,000 chained ops do not overflow the call stack.
 * @param root - the tensor to start from (the loss)
 * @param follow - which inputs to walk into (a tape follows all of them)
 */
export function topologicalOrder(root: Tensor, follow: (input: Tensor) => boolean = (t) => t.requiresGrad): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const inputs = frame.t.node?.inputs ?? [];
    if (frame.next < inputs.length) {
      const child = inputs[frame.next++]!;
      if (follow(child) && !visited.has(child)) {
        visited.add(child);
        stack.push({ t: child, next: 0 });
      }
      continue;
    }
    order.push(frame.t);
    stack.pop();
  }
  return order;
}

function checkFinite(op: string, index: number, shape: Shape, d: Float64Array): void {
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) throw new AnomalyError(op, index, shape, i, d[i]!);
  }
}

/**
 * Runs one node's backward: adds ∂L/∂input_i into each input's gradient buffer (created on
 * first use by `bufferFor`). Primitives run their table rule; custom ops their tensor VJP,
 * whose shapes are checked here because user code can get them wrong.
 * @param t - the node's output tensor
 * @param g - ∂L/∂t, shaped like `t`
 * @param bufferFor - returns an input's gradient buffer, creating it on first use
 * @param detect - throw an `AnomalyError` when the rule produces NaN or Infinity
 * @param fresh - per input: its buffer holds no gradient yet (a rule declaring `overwrites` writes)
 * @param args - kernel arguments built once by a tape (built here when omitted)
 */
export function backwardNode(
  t: Tensor,
  g: Float64Array,
  bufferFor: (input: Tensor) => Float64Array,
  detect: boolean,
  fresh?: readonly boolean[],
  args?: KernelArgs<never>,
): void {
  const node = t.node!;
  const { op, inputs } = node;
  if (node.primitive !== undefined) {
    // A tape passes the arguments it built once; eager backward builds them here.
    const k = args ?? { x: inputs.map((x) => x.data), shapes: inputs.map((x) => x.shape), out: t.data, outShape: t.shape, attrs: node.attrs as never };
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      if (!input.requiresGrad) continue;
      const gi = bufferFor(input);
      node.primitive.backward(i, g, gi, k, fresh?.[i] === true);
      if (detect) checkFinite(op, i, input.shape, gi);
    }
    return;
  }
  const results = node.backward!(new Tensor(g, t.shape));
  if (!Array.isArray(results)) throw new GradError(op, `backward must return an array of gradients, got ${typeof results}`);
  if (results.length !== inputs.length) throw new GradError(op, `backward returned ${results.length} gradients for ${inputs.length} inputs`);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const r = results[i];
    if (!input.requiresGrad || r === null || r === undefined) continue;
    if (!(r instanceof Tensor)) throw new GradError(op, `backward returned ${typeof r} for input ${i}; expected a Tensor or null`);
    if (!shapesEqual(r.shape, input.shape)) {
      throw new ShapeError(op, `backward returned a gradient of shape ${formatShape(r.shape)} for input ${i} of shape ${formatShape(input.shape)}`, [r.shape, input.shape]);
    }
    if (detect) checkFinite(op, i, r.shape, r.data);
    const gi = bufferFor(input);
    for (let j = 0; j < gi.length; j++) gi[j] = gi[j]! + r.data[j]!;
  }
}

/**
 * Reverse-mode autodiff from `root`: a topological sort, the seed gradient, then one reverse
 * walk in which each op's rule adds its inputs' gradients into one buffer per tensor (so a
 * tensor used twice gets both contributions). Leaves with `requiresGrad` (and tensors that
 * called `retainGrad()`) add the result to `.grad`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * backward(x.square().sum());
 * x.grad?.toArray(); // [2, 4, 6]
 * ```
 * @param root - the tensor to differentiate (usually a scalar loss)
 * @param seed - ∂L/∂root, required unless `root` has one element (then 1)
 * @param options - `detectAnomaly`
 * @throws GradError when `root` does not require grad or needs a seed; ShapeError when a
 *   seed or a custom op's gradient has the wrong shape; AnomalyError (with `detectAnomaly`)
 */
export function backward(root: Tensor, seed?: Tensor, options?: BackwardOptions): void {
  if (!(root instanceof Tensor)) throw new GradError('backward', `expected a Tensor, got ${typeof root}`);
  if (!root.requiresGrad) {
    throw new GradError('backward', `the tensor (shape ${formatShape(root.shape)}) does not require grad: no input was created with requiresGrad: true, or it was computed inside noGrad`);
  }
  if (seed === undefined && root.size !== 1) {
    throw new GradError('backward', `a seed gradient is required for a tensor of shape ${formatShape(root.shape)}; call backward(seed) with a tensor of that shape, or reduce to a scalar first`);
  }
  if (seed !== undefined && !(seed instanceof Tensor)) throw new GradError('backward', `the seed must be a Tensor, got ${typeof seed}`);
  if (seed !== undefined && !shapesEqual(seed.shape, root.shape)) {
    throw new ShapeError('backward', `seed shape ${formatShape(seed.shape)} differs from the tensor's shape ${formatShape(root.shape)}`, [seed.shape, root.shape]);
  }
  const detect = options?.detectAnomaly ?? anomalyByDefault;
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Float64Array>();
  grads.set(root, seed ? seed.data.slice() : new Float64Array(root.size).fill(1));
  const bufferFor = (input: Tensor): Float64Array => {
    let b = grads.get(input);
    if (b === undefined) grads.set(input, (b = new Float64Array(input.size)));
    return b;
  };
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // frees intermediate gradients as soon as they are used
      if (t.node !== null) backwardNode(t, g, bufferFor, detect);
      if (t.node === null || t.retainsGrad) {
        if (t.grad === null) t.grad = new Tensor(g, t.shape);
        else {
          const acc = t.grad.data;
          for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + g[i]!;
        }
      }
    }
  });
}

/**
 * Functional gradient (JAX's `grad`): returns a function that evaluates `f` at fresh copies of
 * its tensor arguments and gives ∂f/∂(each argument), without touching anyone's `.grad`.
 *
 * @example
 * ```ts
 * const dLoss = grad((w: Tensor, x: Tensor) => w.matmul(x).square().sum());
 * const [dw, dx] = dLoss(tensor([[1, 2]]), tensor([[3], [4]]));
 * ```
 * @param f - a function of tensors returning a one-element tensor
 */
export function grad<Args extends Tensor[]>(f: (...args: Args) => Tensor): (...args: Args) => Tensor[] {
  const vg = valueAndGrad(f);
  return (...args: Args) => vg(...args).grads;
}

/** What {@link valueAndGrad}'s function returns. */
export interface ValueAndGrad {
  /** `f`'s value at the arguments (detached). */
  value: Tensor;
  /** ∂f/∂(each argument), in argument order, shaped like the arguments. */
  grads: Tensor[];
}

/**
 * Like {@link grad}, but also returns `f`'s value, computed in the same forward pass.
 *
 * @example
 * ```ts
 * const { value, grads } = valueAndGrad((x: Tensor) => x.square().sum())(tensor([3]));
 * // value.item() === 9, grads[0].toArray() === [6]
 * ```
 * @param f - a function of tensors returning a one-element tensor
 */
export function valueAndGrad<Args extends Tensor[]>(f: (...args: Args) => Tensor): (...args: Args) => ValueAndGrad {
  return (...args: Args) => {
    args.forEach((a, i) => {
      if (!(a instanceof Tensor)) throw new GradError('grad', `argument ${i} must be a Tensor, got ${typeof a}`);
    });
    const leaves = args.map((a) => new Tensor(a.data, a.shape, true)) as Args;
    const value = f(...leaves);
    if (!(value instanceof Tensor)) throw new GradError('grad', `the function must return a Tensor, got ${typeof value}`);
    if (value.size !== 1) throw new GradError('grad', `the function must return a one-element tensor, got shape ${formatShape(value.shape)}`);
    if (value.requiresGrad) backward(value);
    const grads = leaves.map((l) => l.grad ?? new Tensor(new Float64Array(l.size), l.shape));
    return { value: value.detach(), grads };
  };
}
