import { type Tensor, sigmoid as sigmoidOp, relu as reluOp, tanh as tanhOp, softmax as softmaxOp } from '@nabla/core';

/** Names of the built-in activations, as stored in saved models. */
export type ActivationName = 'sigmoid' | 'relu' | 'tanh' | 'identity' | 'softmax';

/**
 * An activation function in two forms: `apply` builds autodiff ops on tensors, and the raw
 * forms (`value`, `prime`, `backward`) work on plain matrices for the δ-equation reference,
 * which must not call into autodiff. Raw matrices are `[rows, cols]` row-major with examples
 * as columns.
 */
export interface Activation {
  /** The name stored in saved models. */
  readonly name: ActivationName;
  /** True when σ acts on each element alone, so σ'(z) is a matrix of the same shape. */
  readonly elementwise: boolean;
  /**
   * σ(z) as autodiff ops.
   * @param z - the weighted input z
   */
  apply(z: Tensor): Tensor;
  /**
   * σ(z) into `out` (raw).
   * @param z - the weighted input z, `rows × cols`
   * @param out - receives σ(z), same size as `z`
   * @param rows - neurons (rows of `z`)
   * @param cols - examples (columns of `z`)
   */
  value(z: Float64Array, out: Float64Array, rows: number, cols: number): void;
  /**
   * σ'(z) elementwise into `out` (raw); `a` is σ(z), which several derivatives reuse.
   * Not defined for softmax, whose Jacobian is not diagonal.
   * @param z - the weighted input z
   * @param a - σ(z), as computed by `value`
   * @param out - receives σ'(z), same size as `z`
   */
  prime(z: Float64Array, a: Float64Array, out: Float64Array): void;
  /**
   * ∂C/∂z from ∂C/∂a, i.e. the Jacobian of σ applied to `gradA` (⊙σ'(z) when elementwise).
   * @param z - the weighted input z, `rows × cols`
   * @param a - σ(z), as computed by `value`
   * @param gradA - ∂C/∂a, same size as `z`
   * @param out - receives ∂C/∂z, same size as `z`
   * @param rows - neurons (rows of `z`)
   * @param cols - examples (columns of `z`)
   */
  backward(z: Float64Array, a: Float64Array, gradA: Float64Array, out: Float64Array, rows: number, cols: number): void;
}

function elementwise(
  name: ActivationName,
  apply: (z: Tensor) => Tensor,
  f: (z: number) => number,
  fPrime: (z: number, a: number) => number,
): Activation {
  const prime = (z: Float64Array, a: Float64Array, out: Float64Array): void => {
    // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
    for (let i = 0; i < out.length; i++) out[i] = fPrime(z[i]!, a[i]!);
  };
  return {
    name,
    elementwise: true,
    apply,
    value: (z, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = f(z[i]!);
    },
    prime,
    backward: (z, a, gradA, out) => {
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < out.length; i++) out[i] = gradA[i]! * fPrime(z[i]!, a[i]!);
    },
  };
}

function stableSigmoid(z: number): number {
  // NOTE: 1 / (1 + e^-z) overflows e^-z for z < -709; this form never does.
  // Stryker disable next-line EqualityOperator: at z = 0 both forms give exactly 1/2
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The logistic function σ(z) = 1/(1 + e^−z), Nielsen's neuron; σ'(z) = σ(z)(1 − σ(z)).
 * @example
 * ```ts
 * sigmoid.apply(tensor([0])).item(); // 0.5
 * ```
 */
export const sigmoid: Activation = elementwise('sigmoid', sigmoidOp, stableSigmoid, (_z, a) => a * (1 - a));

/**
 * Rectified linear unit max(z, 0).
 *
 * NOTE: σ'(0) is taken as 0, matching the autodiff rule of `relu` in `@nabla/core`.
 * @example
 * ```ts
 * relu.apply(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
// Stryker disable next-line EqualityOperator: relu(0) is 0 from either branch
export const relu: Activation = elementwise('relu', reluOp, (z) => (z > 0 ? z : 0), (z) => (z > 0 ? 1 : 0));

/**
 * Hyperbolic tangent; tanh'(z) = 1 − tanh²(z).
 * @example
 * ```ts
 * tanh.apply(tensor([0])).item(); // 0
 * ```
 */
export const tanh: Activation = elementwise('tanh', tanhOp, Math.tanh, (_z, a) => 1 - a * a);

/**
 * The identity σ(z) = z (a linear output layer); σ'(z) = 1.
 * @example
 * ```ts
 * identity.apply(tensor([3])).item(); // 3
 * ```
 */
export const identity: Activation = elementwise('identity', (z) => z, (z) => z, () => 1);

/**
 * Softmax over each column (each example): a_j = e^{z_j} / Σ_k e^{z_k}, computed stably.
 *
 * NOTE: not elementwise: ∂C/∂z = a ⊙ (∂C/∂a − Σ_j a_j ∂C/∂a_j) per column; `prime` throws.
 * @example
 * ```ts
 * softmax.apply(tensor([[1], [1]])).toArray(); // [[0.5], [0.5]]
 * ```
 */
export const softmax: Activation = {
  name: 'softmax',
  elementwise: false,
  apply: (z) => softmaxOp(z, 0),
  value: (z, out, rows, cols) => {
    for (let j = 0; j < cols; j++) {
      let m = -Infinity;
      for (let i = 0; i < rows; i++) m = Math.max(m, z[i * cols + j]!);
      let s = 0;
      for (let i = 0; i < rows; i++) {
        const e = Math.exp(z[i * cols + j]! - m);
        out[i * cols + j] = e;
        s += e;
      }
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < rows; i++) out[i * cols + j] = out[i * cols + j]! / s;
    }
  },
  prime: () => {
    throw new TypeError('softmax: the derivative is a Jacobian, not elementwise; use backward()');
  },
  backward: (_z, a, gradA, out, rows, cols) => {
    for (let j = 0; j < cols; j++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += a[i * cols + j]! * gradA[i * cols + j]!;
      // Stryker disable next-line EqualityOperator: one more pass writes past the typed array's end, a no-op
      for (let i = 0; i < rows; i++) out[i * cols + j] = a[i * cols + j]! * (gradA[i * cols + j]! - dot);
    }
  },
};

const byName: Record<ActivationName, Activation> = { sigmoid, relu, tanh, identity, softmax };

/**
 * Looks up a built-in activation by name.
 * @example
 * ```ts
 * getActivation('relu') === relu; // true
 * ```
 * @param name - one of `sigmoid relu tanh identity softmax`
 * @throws TypeError naming the unknown activation and the known ones
 */
export function getActivation(name: string): Activation {
  // Own keys only: `byName['valueOf']` would otherwise find Object.prototype's function.
  const a = Object.hasOwn(byName, name) ? (byName as Record<string, Activation>)[name] : undefined;
  if (a === undefined) throw new TypeError(`unknown activation '${name}'; expected one of ${Object.keys(byName).join(', ')}`);
  return a;
}
