import { type Tensor, createRng } from '@nabla/core';
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
   */
  constructor(inputs: number, outputs: number, options: DenseOptions = {}) {
    super();
    const act = options.activation ?? sigmoid;
    this.activation = typeof act === 'string' ? getActivation(act) : act;
    const p = options.params ?? initLayer(inputs, outputs, options.init ?? 'scaled', createRng(options.seed ?? 0));
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
}
