import { AnomalyError, GradError, ShapeError, formatShape } from './errors.ts';
import { type Shape, shapesEqual } from './shape.ts';
import { Tensor, activeTracer, allocate, anomalyChecksOn, checkUnchanged, inRule, isGradEnabled, noGrad, record, setAnomalyChecks, watchRawReads, withGradMode } from './tensor.ts';
import { add } from './ops.ts';

/** Options of `backward()`. */
export interface BackwardOptions {
  /**
   * Check every gradient a backward rule returns for NaN and ±Infinity and throw an
   * {@link AnomalyError} naming the op at the first one (slower; for debugging).
   */
  detectAnomaly?: boolean;
  /**
   * Record the backward pass as a graph (PyTorch's `create_graph`): the `.grad` tensors it sets
   * can be differentiated again, composed, and drawn by `toDot`. Off by default: then nothing
   * is recorded and `.grad` is a plain tensor.
   */
  createGraph?: boolean;
}


/**
 * Turns anomaly detection on or off: every op then checks its forward output (naming the first
 * op whose output is non-finite, and the input that carried the value in), and every later
 * `backward()` that does not say otherwise checks each rule's output; training engines check
 * their steps (slower; for debugging).
 * @example
 * ```ts
 * setDetectAnomaly(true);
 * ```
 * @param on - whether backward checks each rule's output for NaN/Infinity
 */
export function setDetectAnomaly(on: boolean): void {
  setAnomalyChecks(on);
}

/**
 * Whether anomaly detection is on by default (see {@link setDetectAnomaly}); training engines
 * that bypass `backward()` read it to check their own results.
 * @example
 * ```ts
 * if (isAnomalyDetectionEnabled()) checkFinite(cost);
 * ```
 */
export function isAnomalyDetectionEnabled(): boolean {
  return anomalyChecksOn();
}

/**
 * Every tensor the roots depend on through inputs that pass `follow` (by default: those that
 * require grad), inputs before the tensors made from them. Iterative (an explicit stack) so
 * graphs of 100,000 chained ops do not overflow the call stack.
 * @param roots - the tensor (or tensors) to start from
 * @param follow - which inputs to walk into (a tape follows all of them)
 */
export function topologicalOrder(roots: Tensor | readonly Tensor[], follow: (input: Tensor) => boolean = (t) => t.requiresGrad): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  for (const root of roots instanceof Tensor ? [roots] : roots) {
    if (visited.has(root)) continue;
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
  }
  return order;
}

function checkFinite(op: string, index: number, shape: Shape, d: Float64Array): void {
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) throw new AnomalyError(op, index, shape, i, d[i]!);
  }
}

/**
 * The gradients a node sends to its inputs, one per input (`null` where none is needed).
 * Primitives run their rule from the table; custom ops their user-written VJP, checked here
 * because user code can get it wrong.
 */
function nodeGrads(t: Tensor, g: Tensor, needs: readonly boolean[], createGraph: boolean): (Tensor | null)[] {
  const node = t.node!;
  const { op, inputs } = node;
  const primitive = node.primitive;
  if (primitive !== undefined) {
    const rule = primitive.vjp;
    // Stryker disable next-line ArrowFunction: the walk skips an undefined gradient exactly as it skips null
    if (rule === null) return inputs.map(() => null);
    const c = { inputs, out: t, attrs: node.attrs as never };
    return inRule(op, () => inputs.map((_, i) => (needs[i] ? rule(i, g, c) : null)));
  }
  if (activeTracer() !== null) return opaqueCustomGrads(t, g, needs);
  if (!createGraph) return checkCustomResults(op, inputs, node.backward!(g));
  // Second order: the rule must compute from g and the op's tensors by tensor ops. A rule
  // that reads their values (`.data`, `item()`) would give a gradient whose own gradient is
  // silently 0, so it raises; `g` is given requiresGrad so a rule that ignores it is caught.
  const probe = g.requiresGrad ? g : new Tensor(g.data, g.shape, true, g.node);
  const watched = new Map<Tensor, string>(inputs.map((x, i) => [x, `input ${i}`]));
  watched.set(t, 'the output').set(probe, 'the output gradient');
  const { result, read } = watchRawReads(watched, () => inRule(op, () => node.backward!(probe)));
  const results = checkCustomResults(op, inputs, result);
  const disconnected = results.findIndex((r, i) => needs[i] && r !== null && !r.requiresGrad);
  if (read !== null || disconnected >= 0) {
    const why = read !== null ? `reads the values of ${read} (.data, item(), toArray())` : `returns a gradient for input ${disconnected} that is not computed from the output gradient`;
    throw new GradError(
      op,
      `cannot differentiate this custom op twice: its backward ${why}, so the second derivative would be silently 0. ` +
        'Write backward with tensor ops on its arguments (return null for an input without a gradient), or keep to first-order backward()',
    );
  }
  return results;
}

function checkCustomResults(op: string, inputs: readonly Tensor[], results: unknown): (Tensor | null)[] {
  if (!Array.isArray(results)) throw new GradError(op, `backward must return an array of gradients, got ${typeof results}`);
  if (results.length !== inputs.length) throw new GradError(op, `backward returned ${results.length} gradients for ${inputs.length} inputs`);
  return results.map((r: unknown, i) => {
    if (r === null || r === undefined) return null;
    if (!(r instanceof Tensor)) throw new GradError(op, `backward returned ${typeof r} for input ${i}; expected a Tensor or null`);
    return r;
  });
}

/**
 * While a tape is traced, a custom op's backward becomes one node per input that reruns the
 * user's rule on replay (its values may come from `.data`, so it cannot be recorded as ops).
 */
function opaqueCustomGrads(t: Tensor, g: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const node = t.node!;
  const run = (): (Tensor | null)[] => noGrad(() => checkCustomResults(node.op, node.inputs, node.backward!(g)));
  const first = run();
  return node.inputs.map((input, i) => {
    if (!needs[i] || first[i] === null) return null;
    const data = allocate(input.size);
    data.set(first[i]!.data);
    const recompute = (): Tensor => run()[i] ?? new Tensor(new Float64Array(input.size), input.shape);
    return record(data, input.shape, { op: `${node.op}'`, inputs: [g, t, ...node.inputs], attrs: { input: i }, recompute, gradOf: node.op });
  });
}

/** How one reverse walk runs. */
interface Walk {
  createGraph: boolean;
  detect: boolean;
  /** With `createGraph`, a gradient node of a named tensor x is named ∂root/∂x (for `toDot`). */
  rootName?: string;
  /** Only these tensors' gradients are wanted: paths that lead elsewhere are skipped. */
  wanted?: ReadonlySet<Tensor>;
}

/**
 * The reverse walk shared by `backward()`, `grad`, `hvp`, `jvp` and `trace`: a topological
 * sort, the seed, then each node's rule in reverse order, contributions to a tensor used twice
 * added with `add` (so with `createGraph` the sum is recorded too). `visit` sees each tensor
 * with its complete gradient.
 */
function walk(root: Tensor, seed: Tensor, w: Walk, visit: (t: Tensor, g: Tensor) => void): void {
  const order = topologicalOrder(root);
  let leads: Set<Tensor> | null = null;
  if (w.wanted !== undefined) {
    leads = new Set();
    for (const t of order) if (w.wanted.has(t) || t.node?.inputs.some((x) => leads!.has(x))) leads.add(t);
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const tracing = activeTracer();
  // The rules' own ops are not checked as forward ops: the walk checks what each rule returns
  // (with `detect`), naming the op whose rule it is.
  const checks = anomalyChecksOn();
  setAnomalyChecks(false);
  try {
    walkFrom(order, grads, leads, tracing, w, visit);
  } finally {
    setAnomalyChecks(checks);
  }
}

function walkFrom(order: readonly Tensor[], grads: Map<Tensor, Tensor>, leads: Set<Tensor> | null, tracing: unknown, w: Walk, visit: (t: Tensor, g: Tensor) => void): void {
  withGradMode(w.createGraph, () => {
    // Stryker disable next-line ArithmeticOperator: starting at order.length + 1 adds two passes over undefined, which has no gradient in the map and is skipped
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // frees intermediate gradients as soon as they are used
      if (w.rootName !== undefined && t.name !== undefined && g.name === undefined && g.node !== null) g.name = `∂${w.rootName}/∂${t.name}`;
      visit(t, g);
      const node = t.node;
      if (node === null) continue;
      const needs = node.inputs.map((x) => x.requiresGrad && (leads === null || leads.has(x)));
      if (!needs.includes(true)) continue;
      if (tracing === null) checkUnchanged(node.op, [...node.inputs, t]);
      const results = nodeGrads(t, g, needs, w.createGraph);
      node.inputs.forEach((input, i) => {
        const r = results[i];
        if (!needs[i] || r === null || r === undefined) return;
        if (!shapesEqual(r.shape, input.shape)) {
          throw new ShapeError(node.op, `backward returned a gradient of shape ${formatShape(r.shape)} for input ${i} of shape ${formatShape(input.shape)}`, [r.shape, input.shape]);
        }
        if (w.detect) checkFinite(node.op, i, r.shape, r.data);
        const previous = grads.get(input);
        grads.set(input, previous === undefined ? r : add(previous, r));
      });
    }
  });
}

/**
 * The reverse walk without a graph or checks, for `trace`: run under its tracer, every rule's
 * ops are recorded as nodes of the tape.
 * @param root - the traced output
 * @param seed - ∂L/∂root
 * @param visit - sees each tensor with its complete gradient
 */
export function propagate(root: Tensor, seed: Tensor, visit: (t: Tensor, g: Tensor) => void): void {
  // Stryker disable next-line ObjectLiteral: an empty Walk leaves createGraph and detect undefined, which every reader treats as false
  walk(root, seed, { createGraph: false, detect: false }, visit);
}

function checkRoot(op: string, root: unknown, seed: unknown): asserts root is Tensor {
  if (!(root instanceof Tensor)) throw new GradError(op, `expected a Tensor, got ${typeof root}`);
  if (!root.requiresGrad) {
    throw new GradError(op, `the tensor (shape ${formatShape(root.shape)}) does not require grad: no input was created with requiresGrad: true, or it was computed inside noGrad (use backward(loss, undefined, { createGraph: true }) to differentiate a gradient)`);
  }
  if (seed === undefined && root.size !== 1) {
    throw new GradError(op, `a seed gradient is required for a tensor of shape ${formatShape(root.shape)}; pass a tensor of that shape, or reduce to a scalar first`);
  }
  if (seed !== undefined && !(seed instanceof Tensor)) throw new GradError(op, `the seed must be a Tensor, got ${typeof seed}`);
  if (seed !== undefined && !shapesEqual(seed.shape, root.shape)) {
    throw new ShapeError(op, `seed shape ${formatShape(seed.shape)} differs from the tensor's shape ${formatShape(root.shape)}`, [seed.shape, root.shape]);
  }
}

function onesLike(t: Tensor): Tensor {
  const data = allocate(t.size);
  data.fill(1);
  return new Tensor(data, t.shape);
}

/**
 * Reverse-mode autodiff from `root`: a topological sort, the seed gradient, then one reverse
 * walk in which each op's rule (a vector–Jacobian product in tensor ops) sends gradients to
 * its inputs, contributions to a tensor used twice being added. Leaves with `requiresGrad`
 * (and tensors that called `retainGrad()`) add the result to `.grad`.
 *
 * NOTE: gradients accumulate across calls, as in PyTorch: a second `backward()` adds to
 * `.grad`; clear it with `zeroGrad()` (or an optimizer's) between steps.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * backward(x.square().sum(), undefined, { createGraph: true });
 * x.grad?.toArray();             // [2, 4, 6]
 * x.grad?.sum().backward();      // the gradient is a graph: ∂/∂x Σ 2x = 2 is added to .grad
 * ```
 * @param root - the tensor to differentiate (usually a scalar loss)
 * @param seed - ∂L/∂root, required unless `root` has one element (then 1)
 * @param options - `createGraph`, `detectAnomaly`
 * @throws GradError when `root` does not require grad or needs a seed; ShapeError when a
 *   seed or a custom op's gradient has the wrong shape; AnomalyError (with `detectAnomaly`)
 */
export function backward(root: Tensor, seed?: Tensor, options?: BackwardOptions): void {
  checkRoot('backward', root, seed);
  const createGraph = options?.createGraph ?? false;
  const detect = options?.detectAnomaly ?? anomalyChecksOn();
  // Without a graph, `.grad` must own its storage: a leaf's gradient may be the seed itself.
  const s = seed === undefined ? onesLike(root) : createGraph ? seed : seed.clone();
  // Rules pass a gradient through unchanged where they can (add's does), so two tensors may
  // receive the same one: each `.grad` gets its own storage, as it did when rules wrote buffers.
  const given = new Set<Tensor>();
  walk(root, s, { createGraph, detect, ...(createGraph ? { rootName: root.name ?? 'L' } : {}) }, (t, g) => {
    if (t.node !== null && !t.retainsGrad) return;
    const own = !createGraph && given.has(g) ? g.clone() : g;
    given.add(own);
    t.grad = t.grad === null ? own : withGradMode(createGraph, () => add(t.grad!, own));
  });
}

/**
 * ∂root/∂x for each of `inputs` (any tensors of root's graph, not only leaves), without
 * touching anyone's `.grad` (PyTorch's `torch.autograd.grad`). An input root does not depend
 * on gets zeros.
 * @param root - the tensor to differentiate
 * @param inputs - the tensors to differentiate with respect to
 * @param seed - ∂L/∂root (default: ones)
 * @param createGraph - record the gradients' graph so they can be differentiated again
 */
export function gradients(root: Tensor, inputs: readonly Tensor[], seed: Tensor | undefined, createGraph: boolean): Tensor[] {
  const wanted = new Set(inputs);
  const found = new Map<Tensor, Tensor>();
  if (root.requiresGrad) {
    checkRoot('grad', root, seed);
    walk(root, seed ?? onesLike(root), { createGraph, detect: anomalyChecksOn(), wanted }, (t, g) => {
      if (wanted.has(t)) found.set(t, g);
    });
  }
  return inputs.map((x) => found.get(x) ?? new Tensor(new Float64Array(x.size), x.shape));
}

/**
 * The tensors a functional transform differentiates with respect to, one per argument. An
 * argument that is part of an outer graph (a `grad` inside a `grad`) is wrapped in an identity
 * op, so its derivative stays connected to that graph and stays separate per argument position.
 */
function primals(op: string, args: readonly unknown[]): { leaves: Tensor[]; nested: boolean } {
  args.forEach((a, i) => {
    if (!(a instanceof Tensor)) throw new GradError(op, `argument ${i} must be a Tensor, got ${a === null ? 'null' : typeof a}`);
  });
  const ts = args as readonly Tensor[];
  const nested = isGradEnabled() && ts.some((a) => a.requiresGrad);
  const leaves = withGradMode(true, () => ts.map((a) => (nested && a.requiresGrad ? a.reshape(a.shape) : new Tensor(a.data, a.shape, true))));
  return { leaves, nested };
}

/** Evaluates `f` on the leaves with recording on, and checks what it returned. */
function evaluate(op: string, f: (...args: Tensor[]) => unknown, leaves: Tensor[], scalar: boolean): Tensor {
  const { result: value, read } = watchRawReads(new Map(leaves.map((l, i) => [l, `argument ${i}`])), () => withGradMode(true, () => f(...leaves)));
  if (!(value instanceof Tensor)) throw new GradError(op, `the function must return a Tensor, got ${value === null ? 'null' : typeof value}`);
  if (scalar && value.size !== 1) throw new GradError(op, `the function must return a one-element tensor, got shape ${formatShape(value.shape)}`);
  if (!value.requiresGrad && read !== null) {
    throw new GradError(op, `the function's value is not computed from its arguments by tensor ops (it reads the values of ${read}), so its derivative would be silently 0`);
  }
  return value;
}

/**
 * Functional gradient (JAX's `grad`): returns a function that evaluates `f` at its tensor
 * arguments and gives ∂f/∂(each argument), without touching anyone's `.grad`. It composes:
 * `grad(grad(f))` is the second derivative of a function of one-element tensors, and `grad`
 * of a function that itself calls `grad` works to any order. It works inside `noGrad` too.
 *
 * @example
 * ```ts
 * const d2 = grad((x: Tensor) => grad((y: Tensor) => y.pow(3))(x)[0]!);
 * d2(tensor(2))[0]!.item(); // 12 = 6x at x = 2
 * ```
 * @param f - a function of tensors returning a one-element tensor
 */
export function grad<Args extends Tensor[]>(f: (...args: Args) => Tensor): (...args: Args) => Tensor[] {
  const vg = valueAndGrad(f);
  return (...args: Args) => vg(...args).grads;
}

/** What {@link valueAndGrad}'s function returns. */
export interface ValueAndGrad {
  /** `f`'s value at the arguments (detached, unless the call is nested in another transform). */
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
    const { leaves, nested } = primals('grad', args);
    const value = evaluate('grad', f as (...a: Tensor[]) => Tensor, leaves, true);
    const grads = gradients(value, leaves, undefined, nested);
    return { value: nested ? value : value.detach(), grads };
  };
}

/** What {@link vjp} returns. */
export interface VjpResult {
  /** `f`'s value at the inputs. */
  value: Tensor;
  /**
   * The pullback: from a cotangent shaped like the value, one gradient per input.
   * @param cotangent - ∂L/∂value
   */
  vjp: (cotangent: Tensor) => Tensor[];
}

/**
 * The vector–Jacobian product of `f` at `inputs` (JAX's `vjp`): `f`'s value, and a function
 * from a cotangent (shaped like the value) to one gradient per input.
 * @example
 * ```ts
 * const { value, vjp: pullback } = vjp((x) => x.mul(x), [tensor([1, 2])]);
 * pullback(tensor([1, 1]))[0]!.toArray(); // [2, 4]
 * ```
 * @param f - a function of tensors
 * @param inputs - the point
 */
export function vjp(f: (...args: Tensor[]) => Tensor, inputs: readonly Tensor[]): VjpResult {
  const { leaves, nested } = primals('vjp', inputs);
  const value = evaluate('vjp', f, leaves, false);
  return {
    value: nested ? value : value.detach(),
    vjp: (cotangent) => {
      if (!(cotangent instanceof Tensor) || !shapesEqual(cotangent.shape, value.shape)) {
        throw new ShapeError('vjp', `the cotangent must be a Tensor of the value's shape ${formatShape(value.shape)}, got ${cotangent instanceof Tensor ? formatShape(cotangent.shape) : typeof cotangent}`, [value.shape]);
      }
      return gradients(value, leaves, cotangent, nested || (isGradEnabled() && cotangent.requiresGrad));
    },
  };
}

function checkPairs(op: string, inputs: readonly Tensor[], others: readonly Tensor[], what: string): void {
  if (!Array.isArray(others) || others.length !== inputs.length) {
    throw new GradError(op, `expected one ${what} per input (${inputs.length}), got ${Array.isArray(others) ? others.length : typeof others}`);
  }
  others.forEach((v, i) => {
    if (!(v instanceof Tensor)) throw new GradError(op, `${what} ${i} must be a Tensor, got ${v === null ? 'null' : typeof v}`);
    if (!shapesEqual(v.shape, inputs[i]!.shape)) {
      throw new ShapeError(op, `${what} ${i} has shape ${formatShape(v.shape)}, input ${i} has ${formatShape(inputs[i]!.shape)}`, [v.shape, inputs[i]!.shape]);
    }
  });
}

/**
 * Σ_i Σ (a_i ⊙ b_i), recorded when grad mode is on.
 * @param a - tensors
 * @param b - tensors of the same shapes
 */
export function innerProduct(a: readonly Tensor[], b: readonly Tensor[]): Tensor {
  let total: Tensor | null = null;
  a.forEach((t, i) => {
    const term = t.mul(b[i]!).sum();
    total = total === null ? term : total.add(term);
  });
  return total ?? new Tensor(new Float64Array(1), []);
}

/**
 * Hessian-vector products of a scalar function: H·v for each input, where H is the Hessian of
 * `f` with respect to all inputs together, computed as ∇(∇f · v) by differentiating the
 * gradient (no Hessian is formed).
 * @example
 * ```ts
 * hvp((x) => x.pow(3).sum(), [tensor([1, 2])], [tensor([1, 0])])[0]!.toArray(); // [6, 0]
 * ```
 * @param f - a function of tensors returning a one-element tensor
 * @param inputs - the point
 * @param vectors - one tensor per input, shaped like it
 */
export function hvp(f: (...args: Tensor[]) => Tensor, inputs: readonly Tensor[], vectors: readonly Tensor[]): Tensor[] {
  const { leaves, nested } = primals('hvp', inputs);
  checkPairs('hvp', leaves, vectors, 'vector');
  const value = evaluate('hvp', f, leaves, true);
  return withGradMode(true, () => {
    const first = gradients(value, leaves, undefined, true);
    const dot = innerProduct(first, vectors);
    return gradients(dot, leaves, undefined, nested || vectors.some((v) => v.requiresGrad));
  });
}

/** What {@link jvp} returns. */
export interface JvpResult {
  /** `f`'s value at the inputs. */
  value: Tensor;
  /** The directional derivative J·t, shaped like the value. */
  tangent: Tensor;
}

/**
 * Forward-mode product J·t of `f` at `inputs` with one tangent per input (JAX's `jvp`).
 *
 * NOTE: computed by transposing the vector–Jacobian product (the "double-VJP" trick): the VJP
 * u ↦ Jᵀu is linear in u, so differentiating ⟨Jᵀu, t⟩ with respect to u gives J·t. Every
 * backward rule thus serves forward mode too, at the cost of about three reverse passes.
 * @example
 * ```ts
 * const { value, tangent } = jvp((x) => x.mul(x), [tensor([3])], [tensor([1])]);
 * tangent.toArray(); // [6]
 * ```
 * @param f - a function of tensors
 * @param inputs - the point
 * @param tangents - one tensor per input, shaped like it
 */
export function jvp(f: (...args: Tensor[]) => Tensor, inputs: readonly Tensor[], tangents: readonly Tensor[]): JvpResult {
  const { leaves, nested } = primals('jvp', inputs);
  checkPairs('jvp', leaves, tangents, 'tangent');
  const value = evaluate('jvp', f, leaves, false);
  const tangent = withGradMode(true, () => {
    if (!value.requiresGrad) return new Tensor(new Float64Array(value.size), value.shape);
    const u = new Tensor(new Float64Array(value.size), value.shape, true);
    const pulled = gradients(value, leaves, u, true);
    const dot = innerProduct(pulled, tangents);
    return gradients(dot, [u], undefined, nested || tangents.some((t) => t.requiresGrad))[0]!;
  });
  return { value: nested ? value : value.detach(), tangent };
}

/** Builds a [rows, n] matrix from rows, recorded when any row carries a graph. */
function stackRows(rows: readonly Tensor[], n: number): Tensor {
  const m = rows.length;
  if (!rows.some((r) => r.requiresGrad)) {
    const data = new Float64Array(m * n);
    rows.forEach((r, k) => data.set(r.data, k * n));
    return new Tensor(data, [m, n]);
  }
  // Differentiable: Σ_k e_k ⊗ row_k, with e_k a constant one-hot column.
  let total: Tensor | null = null;
  rows.forEach((r, k) => {
    const e = new Float64Array(m);
    e[k] = 1;
    const term = new Tensor(e, [m, 1]).mul(r.reshape([1, n]));
    total = total === null ? term : total.add(term);
  });
  return total!;
}

/**
 * The full Jacobian of `f` with respect to each input, for small inputs: `jacobian(f)(...xs)[i]`
 * has shape [output size, size of input i], row r being ∂(output element r)/∂(input i), both
 * flattened in row-major order. One reverse pass per output element.
 * @example
 * ```ts
 * jacobian((x) => x.mul(x))(tensor([1, 2]))[0]!.toArray(); // [[2, 0], [0, 4]]
 * ```
 * @param f - a function of tensors
 */
export function jacobian(f: (...args: Tensor[]) => Tensor): (...inputs: Tensor[]) => Tensor[] {
  return (...inputs) => {
    const { leaves, nested } = primals('jacobian', inputs);
    const value = evaluate('jacobian', f, leaves, false);
    return jacobianOf(value, leaves, nested);
  };
}

function jacobianOf(value: Tensor, leaves: readonly Tensor[], createGraph: boolean): Tensor[] {
  const rows: Tensor[][] = leaves.map(() => []);
  for (let r = 0; r < value.size; r++) {
    const e = new Float64Array(value.size);
    e[r] = 1;
    const gs = gradients(value, leaves, new Tensor(e, value.shape), createGraph);
    gs.forEach((g, i) => rows[i]!.push(g));
  }
  return withGradMode(createGraph, () => leaves.map((l, i) => stackRows(rows[i]!, l.size)));
}

/**
 * The full Hessian of a scalar `f`, for small inputs: `hessian(f)(...xs)[i][j]` has shape
 * [size of input i, size of input j], entry (p, q) being ∂²f/∂(input i)_p ∂(input j)_q, both
 * flattened in row-major order (the Jacobian of the gradient).
 * @example
 * ```ts
 * hessian((x) => x.pow(3).sum())(tensor([1, 2]))[0]![0]!.toArray(); // [[6, 0], [0, 12]]
 * ```
 * @param f - a function of tensors returning a one-element tensor
 */
export function hessian(f: (...args: Tensor[]) => Tensor): (...inputs: Tensor[]) => Tensor[][] {
  return (...inputs) => {
    const { leaves, nested } = primals('hessian', inputs);
    const value = evaluate('hessian', f, leaves, true);
    const first = withGradMode(true, () => gradients(value, leaves, undefined, true));
    return first.map((g) => (g.requiresGrad ? jacobianOf(g, leaves, nested) : leaves.map((l) => new Tensor(new Float64Array(g.size * l.size), [g.size, l.size]))));
  };
}
