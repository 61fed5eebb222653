import { GradError, formatShape } from './errors.ts';
import { createRng } from './random.ts';
import { Tensor, noGrad, withGradMode } from './tensor.ts';
import { backward, gradients, innerProduct } from './autograd.ts';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Step of the central difference (default 1e-6). */
  eps?: number;
  /** Relative tolerance: pass when |analytic − numeric| ≤ atol + rtol·|numeric| (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Seed of the random cotangent used when `f` returns more than one element (default 0). */
  seed?: number;
}

/** The element where analytic and numeric gradients disagree most. */
export interface GradcheckEntry {
  /** Index of the input tensor in `inputs`. */
  input: number;
  /** Name of that input, when it has one. */
  name?: string;
  /** Multi-index of the element inside that input. */
  index: number[];
  /** The gradient autodiff computed. */
  analytic: number;
  /** The central-difference estimate. */
  numeric: number;
}

/** What {@link gradcheck} found. */
export interface GradcheckReport {
  /** True when every element is within `atol + rtol·|numeric|`. */
  ok: boolean;
  /** Largest |analytic − numeric| over all elements. */
  maxAbsError: number;
  /** Largest |analytic − numeric| / max(|analytic|, |numeric|) over all elements. */
  maxRelError: number;
  /** The element that failed worst (relative to its tolerance); `null` when no input has elements. */
  worst: GradcheckEntry | null;
  /** Number of elements compared. */
  checked: number;
}

function multiIndex(flat: number, shape: readonly number[]): number[] {
  // Stryker disable next-line ArrayDeclaration: every index below shape.length is assigned in the loop
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = flat % n;
    flat = Math.floor(flat / n);
  }
  return idx;
}

/**
 * Compares autodiff gradients of `f` with central differences, element by element, in float64.
 *
 * When `f` returns more than one element, both sides differentiate `Σ f(x) ⊙ r` for one fixed
 * random `r` (a vector–Jacobian product with a random cotangent), which checks every backward
 * rule on the path at the cost of one backward pass.
 *
 * NOTE: check `op(x)` itself, not `op(x).sum()`: the sum makes the cotangent all ones, and a
 * rule that ignores its incoming gradient then passes. `f` is evaluated twice at the same point
 * first; if the results differ (a fresh random mask per call), a `GradError` says that `f` is
 * not deterministic rather than reporting differences of noise.
 *
 * @example
 * ```ts
 * const report = gradcheck((x) => x.sigmoid(), [randn([3, 4], { seed: 1 })]);
 * report.ok; // true
 * ```
 * @param f - a function of the inputs returning a tensor
 * @param inputs - the point at which to check (not modified; copies are perturbed)
 * @param options - `eps`, `rtol`, `atol`, `seed`
 */
export function gradcheck(f: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-8, seed = 0 } = options;
  const leaves = inputs.map((t, i) => {
    if (!(t instanceof Tensor)) throw new GradError('gradcheck', `input ${i} must be a Tensor, got ${typeof t}`);
    const leaf = new Tensor(t.data.slice(), t.shape, true);
    leaf.name = t.name;
    return leaf;
  });
  const out = f(...leaves);
  if (!(out instanceof Tensor)) throw new GradError('gradcheck', `the function must return a Tensor, got ${typeof out}`);
  checkDeterministic(out, noGrad(() => f(...leaves)));
  const rng = createRng(seed);
  const cotangent = new Float64Array(out.size);
  // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
  for (let i = 0; i < cotangent.length; i++) cotangent[i] = out.size === 1 ? 1 : rng.normal();
  const project = (t: Tensor): number => {
    let s = 0;
    for (let i = 0; i < t.size; i++) s += t.data[i]! * cotangent[i]!;
    return s;
  };
  // Stryker disable next-line MethodExpression: backward reads its seed and never writes it, so sharing the buffer is safe (the copy is defensive)
  if (out.requiresGrad) backward(out, new Tensor(cotangent.slice(), out.shape));
  const measure = (x: Float64Array, i: number, value: number): number => {
    x[i] = value;
    const y = f(...leaves);
    if (y.size !== out.size) {
      throw new GradError('gradcheck', `f returned shape ${formatShape(y.shape)} after a perturbation, ${formatShape(out.shape)} before`);
    }
    return project(y);
  };

  let maxAbsError = 0;
  let maxRelError = 0;
  let worst: GradcheckEntry | null = null;
  let worstRatio = -1;
  let checked = 0;
  let ok = true;
  noGrad(() => {
    leaves.forEach((leaf, k) => {
      const analytic = leaf.grad?.data ?? new Float64Array(leaf.size);
      const x = leaf.data;
      for (let i = 0; i < leaf.size; i++) {
        const orig = x[i]!;
        // Each output is read at once: it may share storage with the input (reshape), which
        // the next perturbation changes.
        const fPlus = measure(x, i, orig + eps);
        const fMinus = measure(x, i, orig - eps);
        x[i] = orig;
        const numeric = (fPlus - fMinus) / (2 * eps);
        const a = analytic[i]!;
        const abs = Math.abs(a - numeric);
        // Stryker disable next-line ConditionalExpression: 0/0 is NaN, which the `rel > maxRelError` below ignores just as it ignores 0
        const rel = abs === 0 ? 0 : abs / Math.max(Math.abs(a), Math.abs(numeric));
        const allowed = atol + rtol * Math.abs(numeric);
        const ratio = Number.isNaN(abs) ? Infinity : abs / allowed;
        checked++;
        if (!(abs <= allowed)) ok = false;
        // Stryker disable next-line ConditionalExpression,EqualityOperator: the assignment takes the max itself
        if (Number.isNaN(abs) || abs > maxAbsError) maxAbsError = Number.isNaN(abs) ? NaN : Math.max(maxAbsError, abs);
        // Stryker disable next-line EqualityOperator: on a tie the same value is stored
        if (rel > maxRelError) maxRelError = rel;
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worst = { input: k, index: multiIndex(i, leaf.shape), analytic: a, numeric };
          // Stryker disable next-line ConditionalExpression: assigning an undefined name equals leaving it out (describeWorst tests !== undefined)
          if (leaf.name !== undefined) worst.name = leaf.name;
        }
      }
    });
  });
  return { ok, maxAbsError, maxRelError, worst, checked };
}

/** Finite differences of a function that is not a function (a fresh random mask per call) are noise: say so. */
function checkDeterministic(first: Tensor, second: unknown): void {
  if (!(second instanceof Tensor) || second.size !== first.size) {
    throw new GradError('gradcheck', 'f is not deterministic: a second evaluation at the same inputs returned a different shape');
  }
  // Stryker disable next-line EqualityOperator: one index past the end reads undefined twice, which compare equal
  for (let i = 0; i < first.size; i++) {
    const a = first.data[i]!;
    const b = second.data[i]!;
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
      throw new GradError(
        'gradcheck',
        `f is not deterministic: two evaluations at the same inputs differ at output element ${i} (${a} and ${b}), so central differences would measure noise; fix its randomness (a seed, or dropout with training: false)`,
      );
    }
  }
}

/**
 * The second-order check of PyTorch's `gradgradcheck`: compares the analytic second
 * derivatives of `f` with central differences of its analytic first derivatives, element by
 * element, in float64. The function checked is `(x…, u) ↦ Σ_i ⟨∂⟨f(x), u⟩/∂x_i, v_i⟩` for a
 * random cotangent `u` and random directions `v_i` (fixed by `seed`), with respect to every
 * input and to `u`; so a rule whose gradient cannot be differentiated again, or that ignores
 * its incoming gradient, fails. The report's last input is `u`, named `cotangent`.
 *
 * @example
 * ```ts
 * gradgradcheck((x) => x.tanh(), [randn([3, 4], { seed: 1 })]).ok; // true
 * ```
 * @param f - a function of the inputs returning a tensor
 * @param inputs - the point at which to check (not modified)
 * @param options - `eps`, `rtol`, `atol`, `seed`
 */
export function gradgradcheck(f: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new GradError('gradgradcheck', `input ${i} must be a Tensor, got ${typeof t}`);
  });
  const out = noGrad(() => f(...inputs.map((t) => t.clone())));
  if (!(out instanceof Tensor)) throw new GradError('gradgradcheck', `the function must return a Tensor, got ${typeof out}`);
  // Stryker disable next-line ArithmeticOperator: any offset from gradcheck's own seed draws other directions; + 1 is a choice, not a contract
  const rng = createRng((options.seed ?? 0) + 1);
  const random = (shape: readonly number[], size: number): Tensor => new Tensor(Float64Array.from({ length: size }, () => rng.normal()), shape);
  const directions = inputs.map((t) => random(t.shape, t.size));
  const cotangent = random(out.shape, out.size);
  cotangent.name = 'cotangent';
  const n = inputs.length;
  const firstOrder = (...xs: Tensor[]): Tensor =>
    withGradMode(true, () => {
      const ins = xs.slice(0, n);
      const y = f(...ins);
      if (!(y instanceof Tensor)) throw new GradError('gradgradcheck', `the function must return a Tensor, got ${typeof y}`);
      return innerProduct(gradients(y, ins, xs[n]!, true), directions);
    });
  return gradcheck(firstOrder, [...inputs, cotangent], options);
}

/**
 * {@link gradgradcheck}, throwing a {@link GradcheckError} that names the worst element when
 * the check fails; returns the report when it passes.
 * @example
 * ```ts
 * assertGradgradcheck((x) => x.sigmoid(), [randn([2, 3], { seed: 1 })]);
 * ```
 * @param f - a function of the inputs returning a tensor
 * @param inputs - the point at which to check
 * @param options - `eps`, `rtol`, `atol`, `seed`
 */
export function assertGradgradcheck(f: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: GradcheckOptions): GradcheckReport {
  const report = gradgradcheck(f, inputs, options);
  if (!report.ok) throw new GradcheckError(report, 'gradgradcheck');
  return report;
}

/**
 * Thrown by {@link assertGradcheck}; carries the full report.
 * @example
 * ```ts
 * try { assertGradcheck(f, inputs); }
 * catch (e) { if (e instanceof GradcheckError) console.log(e.report.worst); }
 * ```
 */
export class GradcheckError extends Error {
  /** The class name, `'GradcheckError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'GradcheckError';
  /** The report of the failed check. */
  readonly report: GradcheckReport;
  /**
   * Builds the message from the report's worst element.
   * @param report - the failed check's report
   * @param check - which check failed (`gradcheck` or `gradgradcheck`)
   */
  constructor(report: GradcheckReport, check = 'gradcheck') {
    super(`${check} failed: ${describeWorst(report)}`);
    this.report = report;
  }
}

/**
 * One line describing the worst element of a report, used by errors and matchers.
 * @param report - the report to describe
 */
export function describeWorst(report: GradcheckReport): string {
  const w = report.worst;
  if (w === null) return 'no elements were checked';
  const who = w.name !== undefined ? `input ${w.input} (${w.name})` : `input ${w.input}`;
  return (
    `worst at ${who} index [${w.index.join(',')}]: analytic ${w.analytic}, numeric ${w.numeric} ` +
    `(max abs error ${report.maxAbsError.toExponential(3)}, max rel error ${report.maxRelError.toExponential(3)}, ${report.checked} elements)`
  );
}

/**
 * {@link gradcheck}, throwing a {@link GradcheckError} that names the worst element when the
 * check fails; returns the report when it passes.
 *
 * @example
 * ```ts
 * assertGradcheck((w, x) => w.matmul(x).tanh(), [randn([3, 2], { seed: 1 }), randn([2, 4], { seed: 2 })]);
 * ```
 * @param f - a function of the inputs returning a tensor
 * @param inputs - the point at which to check
 * @param options - `eps`, `rtol`, `atol`, `seed`
 */
export function assertGradcheck(f: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: GradcheckOptions): GradcheckReport {
  const report = gradcheck(f, inputs, options);
  if (!report.ok) throw new GradcheckError(report);
  return report;
}
