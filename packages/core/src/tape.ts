import { GradError, formatShape } from './errors.ts';
import { propagate, topologicalOrder } from './autograd.ts';
import { type GemmLayout, gemm } from './gemm-dispatch.ts';
import { Tensor, type Tracer, anomalyChecksOn, checkForward, noGrad, runKernel, withTracer } from './tensor.ts';

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
   * into their `data` first). Returns the output's first element, handy for a loss. With
   * anomaly detection on (`setDetectAnomaly`), it raises an `AnomalyError` at the first op
   * whose output is non-finite, naming the input that carried the value in.
   */
  forward(): number;
  /**
   * Replays the recorded backward ops (the rules' vector–Jacobian products, traced once as ops
   * of the same program). Sets (does not add to) `.grad` of every leaf with `requiresGrad`,
   * whose buffers stay the same across calls. Call `forward()` first.
   */
  backward(): void;
  /**
   * One step of plain SGD after `forward()`: replays the backward ops, then sets every leaf
   * with `requiresGrad` to `decay(leaf)·leaf − lr·∂C/∂leaf`, in place. A leaf whose gradient is
   * a 2-D matrix product (a dense weight's δ·aᵀ) has the product accumulate straight into it,
   * with −lr folded into its left operand first (as the δ equations fold the update into BP4),
   * so that gradient is never written out; the updates run after every backward op, so each
   * rule reads the parameters' values from before the step. With anomaly detection on it runs
   * `backward()` (checked) and then the same update on the written gradients.
   *
   * NOTE: the leaves' `.grad` are null after this call (the step consumed them); call
   * `backward()` to read gradients.
   * @param lr - the learning rate, a finite number
   * @param decay - each leaf's factor (default 1; e.g. 1 − ηλ/n for L2-regularised weights)
   * @throws RangeError when `lr` or a decay is not a finite number
   */
  sgdStep(lr: number, decay?: (leaf: Tensor) => number): void;
  /** Number of forward ops replayed (ops on constants only are computed once, when traced). */
  readonly size: number;
  /** Number of backward ops replayed (the rules' ops). */
  readonly backwardSize: number;
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
  const constants = new Set<Tensor>();
  const tracer: Tracer = { allocate, constants };
  const output = withTracer(tracer, fn);
  if (!(output instanceof Tensor)) throw new GradError('trace', `the function must return a Tensor, got ${typeof output}`);
  if (output.size !== 1) throw new GradError('trace', `the function must return a one-element tensor, got shape ${formatShape(output.shape)}`);
  if (!output.requiresGrad) throw new GradError('trace', 'the output does not require grad: no leaf it depends on has requiresGrad: true');

  // The backward pass, recorded once as ops of the same program: each rule's ops become nodes
  // whose buffers come from the allocator, like the forward's.
  const gradOf = new Map<Tensor, Tensor>();
  withTracer(tracer, () => {
    const seed = allocate(1);
    seed[0] = 1;
    propagate(output, new Tensor(seed, output.shape), (t, g) => {
      if (t.node === null || t.retainsGrad) gradOf.set(t, g);
    });
  });

  // Every op, with or without requiresGrad: replay must recompute them all.
  const forwardOrder = topologicalOrder(output, () => true).filter((t) => t.node !== null);
  const inForward = new Set(forwardOrder);
  const backwardOrder = topologicalOrder([...gradOf.values()], () => true).filter((t) => t.node !== null && !inForward.has(t));
  // Constant folding: an op whose inputs are all constants of the tape (numbers turned into
  // tensors, the seed) gives the same value every replay, computed once here. For a loss
  // scaled by 1/2m that is the seed's path through the rules of mul and sum.
  const constant = new Set<Tensor>([...constants].filter((t) => !t.requiresGrad));
  for (const t of [...forwardOrder, ...backwardOrder]) {
    // Stryker disable next-line ConditionalExpression: folding a custom op of constants once equals recomputing it (its forward is a function of its inputs)
    if (t.node!.primitive !== undefined && t.node!.inputs.every((x) => constant.has(x))) constant.add(t);
  }
  const program = (order: readonly Tensor[]): (() => void)[] =>
    order.filter((t) => !constant.has(t)).map((t) => {
      const node = t.node!;
      const primitive = node.primitive;
      if (primitive === undefined) return () => t.data.set(node.recompute!().data);
      const k = { x: node.inputs.map((x) => x.data), shapes: node.inputs.map((x) => x.shape), out: t.data, outShape: t.shape, attrs: node.attrs as never };
      return () => primitive.forward(k);
    });
  const forwardSteps = program(forwardOrder);
  const backwardSteps = program(backwardOrder);
  const grads = [...gradOf];
  // With anomaly detection on, each replayed op's output is checked as eager ops check theirs.
  const checked = (order: readonly Tensor[], steps: readonly (() => void)[]): (() => void) => {
    const replayed = order.filter((t) => !constant.has(t));
    return () => {
      for (let k = 0; k < steps.length; k++) {
        steps[k]!();
        const t = replayed[k]!;
        const op = t.node!.gradOf !== undefined ? `${t.node!.op} (rule of ${t.node!.gradOf})` : t.node!.op;
        checkForward(op, t.node!.inputs, t.data, t.shape);
      }
    };
  };
  const forwardChecked = checked(forwardOrder, forwardSteps);

  // sgdStep: a leaf's gradient made by a 2-D product that no other op reads is not computed;
  // the product accumulates −lr·op(A)·op(B) into the leaf instead, from a scaled copy of A.
  const readByBackward = new Set(backwardOrder.flatMap((t) => t.node!.inputs));
  const leaves = grads.filter(([t]) => t.node === null && t.requiresGrad);
  const fused = new Map<Tensor, { layout: GemmLayout; M: number; N: number; K: number; A: Float64Array; B: Float64Array; scaled: Float64Array }>();
  for (const [leaf, g] of leaves) {
    const node = g.node;
    if (node === null || node.op !== 'matmul' || constant.has(g) || readByBackward.has(g) || inForward.has(g) || g.rank !== 2) continue;
    const [a, b] = node.inputs as [Tensor, Tensor];
    const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
    if (a.rank !== 2 || b.rank !== 2 || (transA && transB)) continue;
    // An operand that shares storage with a leaf (a parameter, or a detached view of one) may be
    // updated before this product reads it: such a gradient is written out and applied instead.
    if (leaves.some(([l]) => overlaps(l.data, a.data) || overlaps(l.data, b.data))) continue;
    const K = transA ? a.shape[0]! : a.shape[1]!;
    fused.set(leaf, { layout: transA ? 'TN' : transB ? 'NT' : 'NN', M: g.shape[0]!, N: g.shape[1]!, K, A: a.data, B: b.data, scaled: allocate(a.size) });
  }
  const fusedGrads = new Set([...fused.keys()].map((leaf) => gradOf.get(leaf)!));
  const sgdSteps = program(backwardOrder.filter((t) => !fusedGrads.has(t)));
  const factorOf = (decay: ((leaf: Tensor) => number) | undefined, leaf: Tensor): number => {
    const f = decay === undefined ? 1 : decay(leaf);
    if (typeof f !== 'number' || !Number.isFinite(f)) throw new RangeError(`Tape.sgdStep: decay of ${leaf.name ?? 'a leaf'} must be a finite number, got ${String(f)}`);
    return f;
  };
  const backwardChecked = checked(backwardOrder, backwardSteps);

  return {
    output,
    size: forwardSteps.length,
    backwardSize: backwardSteps.length,
    forward(): number {
      noGrad(() => {
        if (anomalyChecksOn()) runKernel(forwardChecked);
        else for (let k = 0; k < forwardSteps.length; k++) forwardSteps[k]!();
      });
      return output.data[0]!;
    },
    backward(): void {
      noGrad(() => {
        if (anomalyChecksOn()) runKernel(backwardChecked);
        else for (let k = 0; k < backwardSteps.length; k++) backwardSteps[k]!();
      });
      // Re-attached every time: an eager backward() in between may have replaced `.grad`.
      for (const [t, g] of grads) t.grad = g;
    },
    sgdStep(lr: number, decay?: (leaf: Tensor) => number): void {
      if (typeof lr !== 'number' || !Number.isFinite(lr)) throw new RangeError(`Tape.sgdStep: lr must be a finite number, got ${String(lr)}`);
      const factors = leaves.map(([leaf]) => factorOf(decay, leaf));
      const checkedRun = anomalyChecksOn();
      noGrad(() => {
        if (checkedRun) runKernel(backwardChecked);
        else for (let k = 0; k < sgdSteps.length; k++) sgdSteps[k]!();
      });
      for (let i = 0; i < leaves.length; i++) {
        const [leaf, g] = leaves[i]!;
        const p = leaf.data;
        const f = factors[i]!;
        const product = checkedRun ? undefined : fused.get(leaf);
        if (f !== 1) for (let j = 0; j < p.length; j++) p[j] = f * p[j]!;
        if (product === undefined) {
          const d = g.data;
          for (let j = 0; j < p.length; j++) p[j] = p[j]! - lr * d[j]!;
        } else {
          const { A, scaled } = product;
          for (let j = 0; j < A.length; j++) scaled[j] = -lr * A[j]!;
          gemm(product.layout, product.M, product.N, product.K, scaled, product.B, p, true);
        }
        leaf.grad = null;
      }
      for (const [t, g] of grads) if (t.node !== null) t.grad = g;
    },
  };
}

/** True when two arrays share any bytes of the same buffer. */
function overlaps(x: Float64Array, y: Float64Array): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}
