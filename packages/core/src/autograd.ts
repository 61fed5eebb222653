import { AnomalyError, GradError, ShapeError, formatShape } from './errors.ts';
import { shapesEqual } from './shape.ts';
import { Tensor, noGrad } from './tensor.ts';

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
 * Every tensor `root` depends on that requires grad, inputs before the tensors made from them.
 * Iterative (an explicit stack) so graphs of 100,000 chained ops do not overflow the call stack.
 */
export function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const inputs = frame.t.node?.inputs ?? [];
    if (frame.next < inputs.length) {
      const child = inputs[frame.next++]!;
      if (child.requiresGrad && !visited.has(child)) {
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

function checkFinite(op: string, index: number, g: Tensor): void {
  const d = g.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) throw new AnomalyError(op, index, g.shape, i, d[i]!);
  }
}

function accumulateInto(target: Tensor, g: Tensor): void {
  if (target.grad === null) {
    // A private copy: rules may pass the same gradient tensor on to several inputs.
    target.grad = new Tensor(g.data.slice(), target.shape);
    return;
  }
  const acc = target.grad.data;
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + g.data[i]!;
}

/**
 * Reverse-mode autodiff from `root`: a topological sort, the seed gradient, then one reverse
 * walk in which each op's rule turns its output's gradient into its inputs' gradients, summed
 * where a tensor feeds several ops. Leaves with `requiresGrad` (and tensors that called
 * `retainGrad()`) add the result to `.grad`.
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
 *   seed or a rule's gradient has the wrong shape
 */
export function backward(root: Tensor, seed?: Tensor, options?: BackwardOptions): void {
  if (!root.requiresGrad) {
    throw new GradError('backward', `the tensor (shape ${formatShape(root.shape)}) does not require grad: no input was created with requiresGrad: true, or it was computed inside noGrad`);
  }
  if (seed === undefined && root.size !== 1) {
    throw new GradError('backward', `a seed gradient is required for a tensor of shape ${formatShape(root.shape)}; call backward(seed) with a tensor of that shape, or reduce to a scalar first`);
  }
  if (seed !== undefined && !shapesEqual(seed.shape, root.shape)) {
    throw new ShapeError('backward', `seed shape ${formatShape(seed.shape)} differs from the tensor's shape ${formatShape(root.shape)}`, [seed.shape, root.shape]);
  }
  const detect = options?.detectAnomaly ?? anomalyByDefault;
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed ?? new Tensor(new Float64Array(root.size).fill(1), root.shape));
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // frees intermediate gradients as soon as they are used
      if (t.node === null || t.retainsGrad) accumulateInto(t, g);
      if (t.node === null) continue;
      const { op, inputs } = t.node;
      const results = t.node.backward(g);
      if (results.length !== inputs.length) {
        throw new GradError(op, `backward returned ${results.length} gradients for ${inputs.length} inputs`);
      }
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i]!;
        const r = results[i];
        if (!input.requiresGrad || r === null || r === undefined) continue;
        if (!shapesEqual(r.shape, input.shape)) {
          throw new ShapeError(op, `backward returned a gradient of shape ${formatShape(r.shape)} for input ${i} of shape ${formatShape(input.shape)}`, [r.shape, input.shape]);
        }
        if (detect) checkFinite(op, i, r);
        const prev = grads.get(input);
        if (prev === undefined) grads.set(input, r);
        else {
          const sum = new Float64Array(prev.size);
          for (let j = 0; j < sum.length; j++) sum[j] = prev.data[j]! + r.data[j]!;
          grads.set(input, new Tensor(sum, input.shape));
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
