import { DTypeError, GradError } from './errors.ts';
import { Tensor, noGrad, record, toTensor } from './tensor.ts';

/** What a custom op's backward receives besides the output gradient. */
export interface CustomOpContext {
  /** The op's inputs, as passed in (read their `.data`, do not modify). */
  readonly inputs: readonly Tensor[];
  /** The op's output (useful when the derivative is a function of it, like σ' = σ(1 − σ)). */
  readonly output: Tensor;
}

/** The definition of a user-defined op. */
export interface CustomOpSpec {
  /** The op's name, used in error messages and by `toDot`. */
  name: string;
  /**
   * Computes the output from the inputs; runs untracked, so it may use any tensor op.
   * @param inputs - the op's inputs, as passed to it (numbers already made tensors)
   */
  forward: (...inputs: Tensor[]) => Tensor;
  /**
   * The vector–Jacobian product: from ∂L/∂output, the gradient for each input, in input
   * order, each shaped like its input (`null` for an input that needs none).
   * @param outputGrad - ∂L/∂output, shaped like the output
   * @param context - the op's inputs and output
   */
  backward: (outputGrad: Tensor, context: CustomOpContext) => readonly (Tensor | null)[];
}

/**
 * Defines a differentiable op with its own backward rule. The result composes with every
 * other op, and `backward()` checks the shapes its rule returns.
 *
 * Second order: a backward written with tensor ops on `outputGrad` and the context's tensors
 * differentiates again (`createGraph`, `grad` of `grad`, `hvp`, `gradgradcheck`). One that reads
 * their values (`.data`, `item()`, `toArray()`), or returns a gradient not computed from
 * `outputGrad`, is fine for first-order `backward()`, but raises a `GradError` naming the op
 * when asked for a second derivative, rather than giving a silent 0 (values read out of the
 * graph are constants to it). Values captured in `forward` are constants to `backward` too.
 *
 * @example
 * ```ts
 * // softplus(x) = log(1 + e^x), whose derivative is σ(x)
 * const softplus = customOp({
 *   name: 'softplus',
 *   forward: (x) => x.exp().add(1).log(),
 *   backward: (g, { inputs: [x] }) => [g.mul(x!.sigmoid())],
 * });
 * assertGradcheck((x) => softplus(x), [randn([4], { seed: 1 })]);
 * assertGradgradcheck((x) => softplus(x), [randn([4], { seed: 1 })]); // the rule is in ops: it differentiates again
 * ```
 * @param spec - `name`, `forward`, `backward`
 * @returns a function applying the op to tensors (or numbers)
 */
export function customOp(spec: CustomOpSpec): (...inputs: (Tensor | number)[]) => Tensor {
  const { name, forward, backward } = spec;
  if (typeof name !== 'string' || name === '') throw new DTypeError('customOp', 'name must be a non-empty string');
  if (typeof forward !== 'function') throw new DTypeError('customOp', `${name}: forward must be a function`);
  if (typeof backward !== 'function') throw new DTypeError('customOp', `${name}: backward must be a function`);
  return (...args) => {
    const inputs = args.map((a, i) => toTensor(a, name, `input ${i}`));
    const run = (): Tensor => {
      const value = noGrad(() => forward(...inputs));
      if (!(value instanceof Tensor)) throw new GradError(name, `forward must return a Tensor, got ${typeof value}`);
      return value;
    };
    const value = run();
    const out: Tensor = record(value.data, value.shape, {
      op: name,
      inputs,
      attrs: null,
      backward: (g) => backward(g, { inputs, output: out }),
      recompute: run,
    });
    return out;
  };
}
