import { ShapeError, type Tensor, createRng } from '@nabla/core';
import { type Activation, type ActivationName, getActivation, sigmoid } from './activations.ts';
import { type InitName, type LayerInit, initLayer } from './init.ts';
import { Module } from './module.ts';

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** The activation σ, by name or object (default sigmoid). */
  activation?: Activation | ActivationName;
  /** The initialiser (default `'scaled'`, N(0, 1/n_in)). */
  init?: InitName;
  /** Seed of the initialiser (default 0). */
  seed?: number;
  /** Use these parameters instead of drawing new ones (they must have `requiresGrad`). */
  params?: LayerInit;
}

/**
 * A fully connected layer acting on a batch of columns: a = σ(w·X + b), with `weight` w of
 * shape [out, in], `bias` b of shape [out, 1] (broadcast over the m columns of X [in, m]).
 *
 * @example
 * ```ts
 * const layer = new Dense(784, 30, { activation: 'sigmoid', seed: 1 });
 * const a = layer.forward(X); // X: [784, m] → a: [30, m]
 * ```
 */
export class Dense extends Module {
  /** w^l, shape [out, in]. */
  readonly weight: Tensor;
  /** b^l, shape [out, 1]. */
  readonly bias: Tensor;
  /** σ of this layer. */
  readonly activation: Activation;

  /**
   * Creates the layer, drawing its parameters from the initialiser unless `params` are given.
   * @param inputs - n_in, rows of X
   * @param outputs - neurons of the layer
   * @param options - `activation`, `init`, `seed`, `params`
   * @throws ShapeError when `inputs` or `outputs` is not a positive integer, or `params` do not have
   *   the shapes [outputs, inputs] and [outputs, 1]
   */
  constructor(inputs: number, outputs: number, options: DenseOptions = {}) {
    super();
    checkSize(inputs, 'inputs');
    checkSize(outputs, 'outputs');
    const act = options.activation ?? sigmoid;
    this.activation = typeof act === 'string' ? getActivation(act) : act;
    const p = options.params ?? initLayer(inputs, outputs, options.init ?? 'scaled', createRng(options.seed ?? 0));
    checkParam(p.weight, [outputs, inputs], 'params.weight', ' (outputs, inputs)');
    checkParam(p.bias, [outputs, 1], 'params.bias', '');
    this.weight = p.weight;
    this.bias = p.bias;
  }

  /**
   * The weighted input z = w·X + b (before the activation).
   * @param x - the layer's input a^{l−1}, [in, m]
   */
  weightedInput(x: Tensor): Tensor {
    return this.weight.matmul(x).add(this.bias);
  }

  /**
   * a = σ(w·X + b).
   * @param x - the layer's input a^{l−1}, [in, m]
   */
  forward(x: Tensor): Tensor {
    return this.activation.apply(this.weightedInput(x));
  }

  /** The saved form: sizes, activation by name, weight nested [out][in], bias [out][1]. */
  toJSON(): DenseJSON {
    const [outputs, inputs] = this.weight.shape as [number, number];
    const rows = (t: Tensor, cols: number): number[][] => Array.from({ length: t.shape[0]! }, (_, i) => Array.from(t.data.subarray(i * cols, (i + 1) * cols)));
    return { kind: 'dense', inputs, outputs, activation: this.activation.name, weight: rows(this.weight, inputs), bias: rows(this.bias, 1) };
  }
}

/** The saved form of a {@link Dense} layer. */
export interface DenseJSON {
  /** Always `'dense'`. */
  kind: 'dense';
  /** n_in. */
  inputs: number;
  /** Neurons. */
  outputs: number;
  /** σ, by name. */
  activation: string;
  /** w, nested [out][in]. */
  weight: number[][];
  /** b, nested [out][1]. */
  bias: number[][];
}

function checkSize(n: number, argument: string): void {
  if (Number.isSafeInteger(n) && n >= 1) return;
  throw new ShapeError('Dense', `${argument} must be a positive integer, got ${typeof n === 'string' ? `"${n}"` : String(n)}`);
}

function checkParam(t: Tensor, expected: readonly number[], argument: string, meaning: string): void {
  if (t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i])) return;
  throw new ShapeError('Dense', `${argument} has shape [${t.shape.join(',')}], expected [${expected.join(',')}]${meaning}`, [t.shape, expected]);
}
