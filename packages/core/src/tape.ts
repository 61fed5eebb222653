import { DTypeError, GradError, ShapeError, formatShape } from './errors.ts';
import { propagate, topologicalOrder } from './autograd.ts';
import { type FloatDType, type MatrixKernels, arenaOf } from './backend.ts';
import { type PoolAttrs, tapeWasmOf, windowArgmax } from './conv.ts';
import { sizeOf } from './shape.ts';
import { type GemmLayout, gemm } from './gemm-dispatch.ts';
import { type Primitive, type PrimitiveName, primitives } from './primitives.ts';
import { float32Loop, wasmStep } from './tape-float32.ts';
import { Tensor, type Tracer, anomalyChecksOn, checkForward, noGrad, runKernel, withTracer } from './tensor.ts';

/** A tape buffer: float64, or float32 in a tape traced with float32 kernels. */
export type TapeBuffer = Float64Array | Float32Array;

/** Options of {@link trace}. */
export interface TraceOptions {
  /**
   * Where the tape's buffers come from (default: fresh Float64Arrays). Passing an arena in
   * WebAssembly memory lets matmul run its SIMD kernels on them.
   * @param n - number of float64 elements
   */
  allocate?: (n: number) => Float64Array;
  /**
   * The matrix kernels the tape runs on (`createKernels`, or `withHelperThread` of them for a
   * second core): its buffers come from `kernels.alloc`, and its 2-D matrix products (the
   * forward's, the rules' and `sgdStep`'s update) are `kernels.gemmNN/NT/TN`. Exclusive with
   * `allocate`.
   *
   * With float32 kernels the tape stores and computes in float32: the graph is traced in float64
   * as usual, then every tensor of the program gets a float32 buffer ({@link Tape.buffer}),
   * initialised from its traced value. Matrix products and σ run the kernels' float32 SIMD; the
   * elementwise ops, broadcasts and reductions run their own loops on the float32 buffers
   * (each result rounded to float32 as it is stored); convolutions run float32 SIMD kernels
   * too, and pooling reads and writes the float32 values as they are; every other op (gathers,
   * custom ops' primitives) computes in float64 on copies and stores the result in
   * float32, so it gives the float64 op's values rounded. A custom op made with `customOp` cannot
   * run there (its forward reads float64 tensors) and is refused when traced.
   */
  kernels?: MatrixKernels | MatrixKernels<'float64'> | MatrixKernels<'float32'>;
  /**
   * Float32 tapes only: the buffers to use for some leaves, instead of fresh ones. Tapes traced
   * for several batch sizes share their parameters this way, so one tape's `sgdStep` updates the
   * weights the others read.
   */
  leafBuffers?: ReadonlyMap<Tensor, Float32Array>;
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
   * whose buffers stay the same across calls (in a float32 tape, float64 copies of the float32
   * gradients, refilled by each call). Call `forward()` first.
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
  /** Storage type of the tape's buffers: float32 when traced with float32 `kernels`. */
  readonly dtype: FloatDType;
  /**
   * The buffer the tape reads and writes for `t`, one of its leaves or traced tensors. In a
   * float64 tape it is `t.data`. In a float32 tape it is the tape's own float32 copy: write a
   * new input batch there, and read the parameters there after `sgdStep` (the leaves' `data`
   * keeps the values they had when traced).
   * @param t - a leaf the traced function read, or a tensor it computed
   * @throws GradError when `t` is not part of this tape
   */
  buffer(t: Tensor): TapeBuffer;
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
 * // The same step in float32, on SIMD kernels: inputs go into the tape's own buffers.
 * const t32 = trace(() => net.loss(X, Y), { kernels: createKernels('float32', { bytes: 1 << 22 }) });
 * t32.buffer(X).set(batch.x);
 * t32.forward();
 * t32.sgdStep(3);    // the parameters' float32 values: t32.buffer(w)
 * ```
 * @param fn - builds the computation; must return a one-element tensor that requires grad
 * @param options - `allocate` for the tape's buffers, or `kernels` to run on (float32 with
 *   float32 kernels) and `leafBuffers`
 * @throws GradError when `fn` does not return a one-element tensor that requires grad
 * @throws DTypeError for float32 kernels and a custom op with inputs, or a leaf buffer that is
 *   not a Float32Array
 * @throws ShapeError for a leaf buffer of the wrong length
 */
export function trace(fn: () => Tensor, options: TraceOptions = {}): Tape {
  // Either dtype's kernels, called below on buffers of their own dtype.
  const kernels = options.kernels as MatrixKernels | undefined;
  if (kernels !== undefined && options.allocate !== undefined) throw new TypeError("trace: pass allocate or kernels, not both (the kernels allocate the tape's buffers)");
  const dtype: FloatDType = kernels === undefined ? 'float64' : kernels.dtype;
  if (dtype !== 'float64' && dtype !== 'float32') throw new DTypeError('trace', `kernels of unknown dtype '${String(dtype)}'; expected float64 or float32`);
  const f32 = dtype === 'float32';
  if (options.leafBuffers !== undefined && !f32) throw new TypeError("trace: leafBuffers are for float32 kernels; a float64 tape reads each leaf's own data");
  // A float32 tape traces in ordinary float64 memory: those values only seed its own buffers.
  const allocate = options.allocate ?? (kernels !== undefined && !f32 ? (n: number) => kernels.alloc(n) as Float64Array : (n: number) => new Float64Array(n));
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
  const known = new Set<Tensor>([output, ...forwardOrder, ...backwardOrder, ...gradOf.values()]);
  for (const t of [...forwardOrder, ...backwardOrder]) for (const x of t.node!.inputs) known.add(x);

  // The buffer of each tensor: its own data in float64; in float32 one buffer from the kernels
  // per tensor (a view shares its input's), seeded with the traced value.
  const store = new Map<Tensor, TapeBuffer>();
  if (options.leafBuffers !== undefined) {
    for (const [leaf, b] of options.leafBuffers) {
      if (!(b instanceof Float32Array)) throw new DTypeError('trace', `leafBuffers: the buffer of ${leaf.name ?? 'a leaf'} must be a Float32Array, got ${(b as { constructor?: { name?: string } })?.constructor?.name ?? typeof b}`);
      if (leaf.node !== null) throw new GradError('trace', `leafBuffers: ${leaf.name ?? 'a tensor'} is computed by op '${leaf.node.op}', not a leaf`);
      if (b.length !== leaf.size) throw new ShapeError('trace', `leafBuffers: the buffer of ${leaf.name ?? 'a leaf'} has ${b.length} elements, its shape ${formatShape(leaf.shape)} needs ${leaf.size}`);
      store.set(leaf, b);
    }
  }
  const bufOf = (t: Tensor): TapeBuffer => {
    if (!f32) return t.data;
    let b = store.get(t);
    if (b === undefined) {
      const node = t.node;
      if (node !== null && node.primitive?.view === true) b = bufOf(node.inputs[0]!);
      else {
        b = kernels!.alloc(t.size);
        b.set(t.data);
      }
      store.set(t, b);
    }
    return b;
  };

  // A 2-D product on the kernels: the float32 tape's only kind; in float64 when the three
  // buffers live in the kernels' memory (a helper thread then shares it), else the dispatch.
  const productOn = (layout: GemmLayout, A: TapeBuffer, B: TapeBuffer, C: TapeBuffer): ((M: number, N: number, K: number, acc: boolean) => void) => {
    if (kernels !== undefined && (f32 || !kernels.simd || arenaOf(A as Float64Array, B as Float64Array, C as Float64Array) !== null)) {
      const g = layout === 'NN' ? kernels.gemmNN : layout === 'NT' ? kernels.gemmNT : kernels.gemmTN;
      return (M, N, K, acc) => g(M, N, K, A, B, C, acc);
    }
    return (M, N, K, acc) => gemm(layout, M, N, K, A as Float64Array, B as Float64Array, C as Float64Array, acc);
  };
  // Max pooling's forward, its rule and its rule's rule all read where the maxima of the same
  // input are: the first of them in the program finds them once per replay, the others read
  // that. Found at trace time too, so a backward() right after tracing reads current positions.
  const positionsOwner = new Map<string, Tensor>();
  const positions = new Map<string, Int32Array>();
  const tensorIds = new Map<Tensor, number>();
  const positionsKey = (t: Tensor): string | undefined => {
    const node = t.node!;
    if (!POOL_POSITIONS.has(node.primitive as Primitive<never>)) return undefined;
    const x = node.inputs[0]!;
    if (!tensorIds.has(x)) tensorIds.set(x, tensorIds.size);
    const { kernel, stride } = node.attrs as unknown as PoolAttrs;
    return `${tensorIds.get(x)!}:${kernel.join(',')}:${stride.join(',')}`;
  };
  for (const t of [...forwardOrder, ...backwardOrder]) {
    if (constant.has(t)) continue;
    const key = positionsKey(t);
    if (key !== undefined && !positionsOwner.has(key)) positionsOwner.set(key, t);
  }
  const poolStep = (t: Tensor, key: string): (() => void) => {
    const node = t.node!;
    const x = node.inputs[0]!;
    const xb = bufOf(x);
    const isGrad = node.primitive === (primitives.maxPool2dGrad as Primitive<never>);
    const pooledShape = isGrad ? node.inputs[1]!.shape : t.shape;
    const attrs = node.attrs as unknown as PoolAttrs;
    const n = sizeOf(pooledShape);
    // Buffers in the tape's memory, as its tensors' are (counted alike by a caller that sizes
    // an arena from the allocations of a probe trace), so conv.wat can work on them in place.
    const scratch = (): TapeBuffer => (f32 ? kernels!.alloc(n) : allocate(n));
    let index = positions.get(key);
    if (index === undefined) {
      const store = scratch();
      index = new Int32Array(store.buffer, store.byteOffset, n);
      index.set(windowArgmax(xb, x.shape, pooledShape, attrs));
      positions.set(key, index);
    }
    const at = index;
    const out = bufOf(t);
    const owner = positionsOwner.get(key) === t;
    const g = isGrad ? bufOf(node.inputs[1]!) : null;
    // The rule that finds the maxima itself (no pooling before it in the program) writes them here.
    const values = owner && isGrad ? scratch() : null;
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [, , Ho, Wo] = pooledShape as [number, number, number, number];
    const w = attrs.kernel.every((k) => k === 2) && attrs.stride.every((s) => s === 2) ? tapeWasmOf(xb) : null;
    if (w !== null && [xb, out, at, ...(g === null ? [] : [g]), ...(values === null ? [] : [values])].every((b) => b.buffer === w.arena.memory.buffer)) {
      const four = xb.BYTES_PER_ELEMENT === 4;
      const maxpool = four ? w.maxpool2x2_f32 : w.maxpool2x2_f64;
      if (owner && node.inputs.length === 1) return () => maxpool(xb.byteOffset, N * C, H, W, Ho, Wo, at.byteOffset, out.byteOffset);
      if (g !== null) {
        const unpool = four ? w.unpool_f32 : w.unpool_f64;
        if (values === null) return () => unpool(g.byteOffset, at.byteOffset, n, out.byteOffset, out.length);
        return () => {
          maxpool(xb.byteOffset, N * C, H, W, Ho, Wo, at.byteOffset, values.byteOffset);
          unpool(g.byteOffset, at.byteOffset, n, out.byteOffset, out.length);
        };
      }
    }
    if (owner && node.inputs.length === 1) {
      // maxPool2d: the kernel that finds the maxima writes them too.
      return () => at.set(windowArgmax(xb, x.shape, pooledShape, attrs, out));
    }
    const find = owner ? () => at.set(windowArgmax(xb, x.shape, pooledShape, attrs)) : () => {};
    if (g !== null) {
      return () => {
        find();
        out.fill(0);
        for (let o = 0; o < at.length; o++) {
          const s = at[o]!;
          out[s] = out[s]! + g[o]!;
        }
      };
    }
    // maxPool2d reads x at the positions, maxPool2dGather its second input.
    const from = node.inputs.length === 1 ? xb : bufOf(node.inputs[1]!);
    return () => {
      find();
      for (let o = 0; o < at.length; o++) out[o] = from[at[o]!]!;
    };
  };
  // conv.wat on the memory of the tape's kernels, for the steps it runs there (wasmStep).
  const stepWasm = kernels !== undefined ? tapeWasmOf(bufOf(output)) : null;
  const step = (t: Tensor): (() => void) => {
    const node = t.node!;
    const primitive = node.primitive;
    const out = bufOf(t);
    const key = positionsKey(t);
    if (key !== undefined) return poolStep(t, key);
    if (primitive === undefined) {
      // A custom op recomputes from its input tensors' float64 data, which a float32 tape does
      // not keep current; one without inputs (a random draw) reads nothing.
      if (f32 && node.inputs.length > 0) throw new DTypeError('trace', `op '${node.op}' is a custom op, whose forward reads float64 tensors; a float32 tape cannot replay it (trace with float64 kernels)`);
      return () => out.set(node.recompute!().data);
    }
    const x = node.inputs.map(bufOf);
    const shapes = node.inputs.map((i) => i.shape);
    if (primitive === (primitives.matmul as Primitive<never>) && kernels !== undefined) {
      const [a, b] = node.inputs as [Tensor, Tensor];
      const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
      if (a.rank === 2 && b.rank === 2 && t.rank === 2 && !(transA && transB)) {
        const run = productOn(transA ? 'TN' : transB ? 'NT' : 'NN', x[0]!, x[1]!, out);
        const M = t.shape[0]!;
        const N = t.shape[1]!;
        const K = transA ? a.shape[0]! : a.shape[1]!;
        return () => run(M, N, K, false);
      }
    }
    if (f32 && primitive === (primitives.sigmoid as Primitive<never>) && kernels!.sigmoid !== undefined) {
      const sigmoid = kernels!.sigmoid;
      const z = x[0]!;
      return () => sigmoid(z, out);
    }
    if (stepWasm !== null) {
      const inWasm = wasmStep(primitive, x, shapes, out, t.shape, node.attrs, stepWasm);
      if (inWasm !== null) return inWasm;
    }
    if (f32) {
      const loop = float32Loop(primitive, x as Float32Array[], shapes, out as Float32Array, t.shape, node.attrs);
      if (loop !== null) return loop;
    }
    if (!f32 || FLOAT32_LOOPS.has(primitive)) {
      const k = { x, shapes, out, outShape: t.shape, attrs: node.attrs as never };
      return () => primitive.forward(k as never);
    }
    // Everything else (SIMD kernels of float64 only, index walks) in float64 on copies.
    const x64 = node.inputs.map((i) => new Float64Array(i.size));
    const out64 = new Float64Array(t.size);
    const k = { x: x64, shapes, out: out64, outShape: t.shape, attrs: node.attrs as never };
    return () => {
      for (let i = 0; i < x.length; i++) x64[i]!.set(x[i]!);
      primitive.forward(k);
      out.set(out64);
    };
  };
  const program = (order: readonly Tensor[]): (() => void)[] => order.filter((t) => !constant.has(t)).map(step);
  const forwardSteps = program(forwardOrder);
  const backwardSteps = program(backwardOrder);
  const grads = [...gradOf];
  // A float32 tape's `.grad` are float64 tensors of its own, refilled by each backward().
  const gradCopies = f32 ? grads.map(([, g]) => new Tensor(new Float64Array(g.size), g.shape)) : [];
  const publishGrads = (withLeaves: boolean): void => {
    for (let i = 0; i < grads.length; i++) {
      const [t, g] = grads[i]!;
      if (!withLeaves && t.node === null) continue;
      if (f32) {
        gradCopies[i]!.data.set(bufOf(g));
        t.grad = gradCopies[i]!;
      } else t.grad = g;
    }
  };
  // With anomaly detection on, each replayed op's output is checked as eager ops check theirs.
  const checked = (order: readonly Tensor[], steps: readonly (() => void)[]): (() => void) => {
    const replayed = order.filter((t) => !constant.has(t));
    return () => {
      for (let k = 0; k < steps.length; k++) {
        steps[k]!();
        const t = replayed[k]!;
        const op = t.node!.gradOf !== undefined ? `${t.node!.op} (rule of ${t.node!.gradOf})` : t.node!.op;
        checkForward(op, t.node!.inputs, bufOf(t), t.shape, t.node!.inputs.map(bufOf));
      }
    };
  };
  const forwardChecked = checked(forwardOrder, forwardSteps);

  // sgdStep: a leaf's gradient made by a 2-D product that no other op reads is not computed;
  // the product accumulates −lr·op(A)·op(B) into the leaf instead, from a scaled copy of A.
  const readByBackward = new Set(backwardOrder.flatMap((t) => t.node!.inputs));
  const leaves = grads.filter(([t]) => t.node === null && t.requiresGrad);
  const fused = new Map<Tensor, { run: (M: number, N: number, K: number, acc: boolean) => void; M: number; N: number; K: number; A: TapeBuffer; scaled: TapeBuffer }>();
  for (const [leaf, g] of leaves) {
    const node = g.node;
    if (node === null || node.op !== 'matmul' || constant.has(g) || readByBackward.has(g) || inForward.has(g) || g.rank !== 2) continue;
    const [a, b] = node.inputs as [Tensor, Tensor];
    const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
    if (a.rank !== 2 || b.rank !== 2 || (transA && transB)) continue;
    // An operand that shares storage with a leaf (a parameter, or a detached view of one) may be
    // updated before this product reads it: such a gradient is written out and applied instead.
    if (leaves.some(([l]) => overlaps(bufOf(l), bufOf(a)) || overlaps(bufOf(l), bufOf(b)))) continue;
    const K = transA ? a.shape[0]! : a.shape[1]!;
    const scaled = kernels !== undefined ? kernels.alloc(a.size) : allocate(a.size);
    const run = productOn(transA ? 'TN' : transB ? 'NT' : 'NN', scaled, bufOf(b), bufOf(leaf));
    fused.set(leaf, { run, M: g.shape[0]!, N: g.shape[1]!, K, A: bufOf(a), scaled });
  }
  const fusedGrads = new Set([...fused.keys()].map((leaf) => gradOf.get(leaf)!));
  const sgdSteps = program(backwardOrder.filter((t) => !fusedGrads.has(t)));
  const factorOf = (decay: ((leaf: Tensor) => number) | undefined, leaf: Tensor): number => {
    const f = decay === undefined ? 1 : decay(leaf);
    if (typeof f !== 'number' || !Number.isFinite(f)) throw new RangeError(`Tape.sgdStep: decay of ${leaf.name ?? 'a leaf'} must be a finite number, got ${String(f)}`);
    return f;
  };
  const backwardChecked = checked(backwardOrder, backwardSteps);
  const paramAndGrad = leaves.map(([leaf, g]) => [bufOf(leaf), bufOf(g)] as const);
  const outputBuffer = bufOf(output);

  return {
    output,
    dtype,
    size: forwardSteps.length,
    backwardSize: backwardSteps.length,
    buffer(t: Tensor): TapeBuffer {
      if (!known.has(t)) throw new GradError('Tape.buffer', `${t instanceof Tensor ? `the tensor${t.name !== undefined ? ` ${t.name}` : ''} of shape ${formatShape(t.shape)}` : String(t)} is not part of this tape`);
      return bufOf(t);
    },
    forward(): number {
      noGrad(() => {
        if (anomalyChecksOn()) runKernel(forwardChecked);
        else for (let k = 0; k < forwardSteps.length; k++) forwardSteps[k]!();
      });
      return outputBuffer[0]!;
    },
    backward(): void {
      noGrad(() => {
        if (anomalyChecksOn()) runKernel(backwardChecked);
        else for (let k = 0; k < backwardSteps.length; k++) backwardSteps[k]!();
      });
      // Re-attached every time: an eager backward() in between may have replaced `.grad`.
      publishGrads(true);
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
        const [leaf] = leaves[i]!;
        const [p, d] = paramAndGrad[i]!;
        const f = factors[i]!;
        const product = checkedRun ? undefined : fused.get(leaf);
        if (f !== 1) for (let j = 0; j < p.length; j++) p[j] = f * p[j]!;
        if (product === undefined) {
          for (let j = 0; j < p.length; j++) p[j] = p[j]! - lr * d[j]!;
        } else {
          const { A, scaled } = product;
          for (let j = 0; j < A.length; j++) scaled[j] = -lr * A[j]!;
          product.run(product.M, product.N, product.K, true);
        }
        leaf.grad = null;
      }
      publishGrads(false);
    },
  };
}

/**
 * The primitives whose forward runs on a float32 tape's buffers as they are: a plain loop over
 * its buffers (no SIMD kernel of float64 only, no index arithmetic on values), or conv.ts's
 * kernels, which take either dtype (the convolutions run conv.wat's and the arena's float32
 * kernels on float32 buffers).
 */
const FLOAT32_LOOPS: ReadonlySet<Primitive<never>> = new Set(
  (
    ['add', 'mul', 'neg', 'exp', 'log', 'abs', 'pow', 'softplus', 'relu', 'tanh', 'sigmoidGrad', 'tanhGrad', 'reluGrad', 'transpose', 'reshape', 'detach', 'broadcastTo', 'sumTo', 'sum', 'max', 'where', 'sign', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'sin', 'cos', 'log1p', 'conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'avgPool2d', 'avgPool2dGrad'] as const satisfies readonly PrimitiveName[]
  ).map((name) => primitives[name] as Primitive<never>),
);

/** The max-pooling primitives: each reads the positions of its first input's window maxima. */
const POOL_POSITIONS: ReadonlySet<Primitive<never>> = new Set((['maxPool2d', 'maxPool2dGrad', 'maxPool2dGather'] as const).map((name) => primitives[name] as Primitive<never>));

/** True when two arrays share any bytes of the same buffer. */
function overlaps(x: TapeBuffer, y: TapeBuffer): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}
