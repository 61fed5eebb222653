import { type Tensor, logSoftmax } from '@nabla/core';
import type { Activation, ActivationName } from './activations.ts';

/** Names of the built-in costs, as stored in saved models. */
export type CostName = 'quadratic' | 'crossEntropy' | 'logLikelihood';

/** The output layer's weighted input, for costs that are computed stably from it. */
export interface Logits {
  /** z^L, `rows × cols`. */
  readonly z: Float64Array;
  /** σ of the output layer. */
  readonly activation: Activation;
  /** Neurons of the output layer. */
  readonly rows: number;
}

/**
 * A cost function C over a mini-batch of m examples (columns), averaged over the examples, in
 * two forms: `loss` builds autodiff ops; `gradA` and `outputDelta` are the raw forms BP1 needs.
 */
export interface Cost {
  /** The name stored in saved models. */
  readonly name: CostName;
  /**
   * C as autodiff ops, from the output layer's weighted input `z` and activation `a`; a cost
   * may use `z` directly where that is the numerically stable route.
   * @param z - the output layer's weighted input z^L [n_L, m]
   * @param a - the output activation a^L = σ(z^L) [n_L, m]
   * @param y - the targets [n_L, m]
   * @param activation - σ of the output layer
   */
  loss(z: Tensor, a: Tensor, y: Tensor, activation: Activation): Tensor;
  /**
   * C's value from raw matrices `a` and `y` (cols = m). Given the output layer's `z` too,
   * costs with a stable route from the logits take it (cross-entropy with sigmoid,
   * log-likelihood with softmax), as `loss` does.
   * @param a - the output activation a^L, `rows × cols`
   * @param y - the targets, same size as `a`
   * @param cols - examples m (columns of `a`)
   * @param logits - the output layer's z^L and σ, for the stable route where the cost has one
   */
  value(a: Float64Array, y: Float64Array, cols: number, logits?: Logits): number;
  /**
   * ∇_a C (raw), already divided by m.
   * @param a - the output activation a^L, `rows × cols`
   * @param y - the targets, same size as `a`
   * @param out - receives ∇_a C, same size as `a`
   * @param cols - examples m (columns of `a`)
   */
  gradA(a: Float64Array, y: Float64Array, out: Float64Array, cols: number): void;
  /**
   * BP1, δ^L = ∇_a C ⊙ σ'(z^L), into `out` (raw). Costs whose δ^L simplifies with their usual
   * output activation (cross-entropy with sigmoid, log-likelihood with softmax: δ^L = (a − y)/m)
   * use the simplified form.
   * @param z - the output layer's weighted input z^L, `rows × cols`
   * @param a - the output activation a^L = σ(z^L), same size as `z`
   * @param y - the targets, same size as `z`
   * @param activation - σ of the output layer
   * @param out - receives δ^L, same size as `z`
   * @param rows - neurons of the output layer
   * @param cols - examples m
   */
  outputDelta(z: Float64Array, a: Float64Array, y: Float64Array, activation: Activation, out: Float64Array, rows: number, cols: number): void;
}

/**
 * Nielsen's quadratic cost C = (1/2m) Σ_x ‖y(x) − a^L(x)‖²; ∇_a C = (a − y)/m.
 * @example
 * ```ts
 * quadratic.loss(z, a, y, sigmoid).item();
 * ```
 */
export const quadratic: Cost = {
  name: 'quadratic',
  loss: (_z, a, y) => a.sub(y).square().sum().mul(0.5 / a.shape[1]!),
  value: (a, y, cols) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i]! - y[i]!) ** 2;
    return s / (2 * cols);
  },
  gradA: (a, y, out, cols) => {
    // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
    for (let i = 0; i < out.length; i++) out[i] = (a[i]! - y[i]!) / cols;
  },
  outputDelta: (z, a, y, activation, out, rows, cols) => {
    const g = new Float64Array(out.length);
    quadratic.gradA(a, y, g, cols);
    activation.backward(z, a, g, out, rows, cols); // BP1
  },
};

/** log(1 + e^x) without overflow or loss of precision. */
function softplus(x: number): number {
  // Stryker disable next-line EqualityOperator: softplus(0) = log1p(1) from either branch
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function binaryEntropyTerm(a: number, y: number): number {
  // 0·log 0 = 0 by continuity, so an exact 0/1 output with the matching label costs nothing.
  const p = y === 0 ? 0 : y * Math.log(a);
  const q = y === 1 ? 0 : (1 - y) * Math.log(1 - a);
  return -(p + q);
}

/**
 * Nielsen's cross-entropy cost (ch. 3), C = −(1/m) Σ_x Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)].
 *
 * NOTE: with a sigmoid output the autodiff form is written on the logits z
 * (ln σ(z) = −softplus(−z)), so it stays finite when σ(z) rounds to 0 or 1; and
 * δ^L = (a − y)/m, the σ' factor of BP1 cancelling.
 * @example
 * ```ts
 * crossEntropy.loss(z, a, y, sigmoid).item();
 * ```
 */
export const crossEntropy: Cost = {
  name: 'crossEntropy',
  loss: (z, a, y, activation) => {
    const m = a.shape[1]!;
    if (activation.name === 'sigmoid') {
      // −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = y·softplus(−z) + (1 − y)·softplus(z)
      return y.mul(z.neg().softplus()).add(y.neg().add(1).mul(z.softplus())).sum().mul(1 / m);
    }
    return y.mul(a.log()).add(y.neg().add(1).mul(a.neg().add(1).log())).sum().mul(-1 / m);
  },
  value: (a, y, cols, logits) => {
    let s = 0;
    if (logits?.activation.name === 'sigmoid') {
      // y·softplus(−z) + (1 − y)·softplus(z): finite and exact where σ(z) rounds to 0 or 1.
      const z = logits.z;
      for (let i = 0; i < a.length; i++) s += y[i]! * softplus(-z[i]!) + (1 - y[i]!) * softplus(z[i]!);
      return s / cols;
    }
    for (let i = 0; i < a.length; i++) s += binaryEntropyTerm(a[i]!, y[i]!);
    return s / cols;
  },
  gradA: (a, y, out, cols) => {
    // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
    for (let i = 0; i < out.length; i++) out[i] = (a[i]! - y[i]!) / (a[i]! * (1 - a[i]!) * cols);
  },
  outputDelta: (z, a, y, activation, out, rows, cols) => {
    if (activation.name === 'sigmoid') {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = (a[i]! - y[i]!) / cols; // BP1, σ' cancelled
      return;
    }
    const g = new Float64Array(out.length);
    crossEntropy.gradA(a, y, g, cols);
    activation.backward(z, a, g, out, rows, cols); // BP1
  },
};

/**
 * Log-likelihood cost for a softmax output (Nielsen ch. 3), C = −(1/m) Σ_x ln a_{y(x)}, with
 * y one-hot; δ^L = (a − y)/m (in general (a·Σ_k y_k − y)/m, which the reference uses).
 *
 * NOTE: with a softmax output the autodiff form uses `logSoftmax(z, 0)` (axis 0: each column is
 * an example), which is stable for large |z|; with other outputs it takes ln a directly.
 * @example
 * ```ts
 * logLikelihood.loss(z, a, y, softmax).item();
 * ```
 */
export const logLikelihood: Cost = {
  name: 'logLikelihood',
  loss: (z, a, y, activation) => {
    const m = a.shape[1]!;
    const logA = activation.name === 'softmax' ? logSoftmax(z, 0) : a.log();
    return y.mul(logA).sum().mul(-1 / m);
  },
  value: (a, y, cols, logits) => {
    let s = 0;
    if (logits?.activation.name === 'softmax') {
      // −Σ y ln softmax(z) with ln softmax(z)_i = z_i − max − ln Σ_k e^{z_k − max}: no underflow.
      const { z, rows } = logits;
      for (let j = 0; j < cols; j++) {
        let m = -Infinity;
        for (let i = 0; i < rows; i++) m = Math.max(m, z[i * cols + j]!);
        let e = 0;
        for (let i = 0; i < rows; i++) e += Math.exp(z[i * cols + j]! - m);
        const lse = m + Math.log(e);
        for (let i = 0; i < rows; i++) if (y[i * cols + j]! !== 0) s -= y[i * cols + j]! * (z[i * cols + j]! - lse);
      }
      return s / cols;
    }
    for (let i = 0; i < a.length; i++) if (y[i]! !== 0) s -= y[i]! * Math.log(a[i]!);
    return s / cols;
  },
  gradA: (a, y, out, cols) => {
    // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
    for (let i = 0; i < out.length; i++) out[i] = -y[i]! / (a[i]! * cols);
  },
  outputDelta: (z, a, y, activation, out, rows, cols) => {
    if (activation.name === 'softmax') {
      // BP1 for softmax + log-likelihood: δ = (a·Σ_k y_k − y)/m, which is (a − y)/m for one-hot y.
      for (let j = 0; j < cols; j++) {
        let total = 0;
        for (let i = 0; i < rows; i++) total += y[i * cols + j]!;
        // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
        for (let i = 0; i < rows; i++) out[i * cols + j] = (a[i * cols + j]! * total - y[i * cols + j]!) / cols;
      }
      return;
    }
    const g = new Float64Array(out.length);
    logLikelihood.gradA(a, y, g, cols);
    activation.backward(z, a, g, out, rows, cols); // BP1
  },
};

const byName: Record<CostName, Cost> = { quadratic, crossEntropy, logLikelihood };

/**
 * The output activation a cost is meant for, used when none is given: softmax for
 * log-likelihood, sigmoid for cross-entropy (it needs outputs in (0, 1)), else the hidden one.
 * @example
 * ```ts
 * defaultOutputActivation('crossEntropy', 'relu'); // 'sigmoid'
 * ```
 * @param cost - the cost's name
 * @param hidden - the hidden layers' activation
 */
export function defaultOutputActivation(cost: CostName, hidden: ActivationName): ActivationName {
  if (cost === 'logLikelihood') return 'softmax';
  if (cost === 'crossEntropy') return 'sigmoid';
  return hidden;
}

/**
 * Looks up a built-in cost by name.
 * @example
 * ```ts
 * getCost('crossEntropy') === crossEntropy; // true
 * ```
 * @param name - one of `quadratic crossEntropy logLikelihood`
 * @throws TypeError naming the unknown cost and the known ones
 */
export function getCost(name: string): Cost {
  // Own keys only: `byName['__proto__']` would otherwise find Object.prototype itself.
  const c = Object.hasOwn(byName, name) ? (byName as Record<string, Cost>)[name] : undefined;
  if (c === undefined) throw new TypeError(`unknown cost '${name}'; expected one of ${Object.keys(byName).join(', ')}`);
  return c;
}
