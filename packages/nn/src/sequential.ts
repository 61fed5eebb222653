import type { Tensor } from '@nabla/core';
import { Module } from './module.ts';
import { modelToJSON } from './layers.ts';
import { Conv2d, MaxPool2d, POOL_COMMUTING } from './conv-layers.ts';

/** Anything `Sequential` can chain: a module or a plain function of a tensor. */
export type Layer = Module | ((x: Tensor) => Tensor);

/**
 * Chains layers: the output of each is the input of the next. Plain functions (an activation,
 * a reshape) may stand between modules.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Dense(2, 8, { activation: 'tanh' }), new Dense(8, 1));
 * const y = model.forward(X); // X: [2, m] → y: [1, m]
 * ```
 */
export class Sequential extends Module {
  /** The chained layers, in order. */
  readonly layers: readonly Layer[];

  /**
   * Chains the given layers.
   * @param layers - modules or functions, applied in order
   */
  constructor(...layers: Layer[]) {
    super();
    this.layers = layers;
  }

  /**
   * Applies every layer in turn. A `Conv2d` whose σ commutes with a maximum (the built-in
   * sigmoid, relu, tanh, identity) followed by a `MaxPool2d`, neither with its forward
   * overridden, runs as one step, pooling before the bias and σ
   * ({@link Conv2d.forwardPooled}): the same values and gradients, with σ on a quarter of the
   * values at 2×2 windows.
   * @param x - the input of the first layer
   */
  forward(x: Tensor): Tensor {
    let a = x;
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      const next = layers[i + 1];
      // Only the layers' own forward passes: a subclass that overrides one keeps it.
      if (
        layer instanceof Conv2d && layer.forward === Conv2d.prototype.forward && POOL_COMMUTING.has(layer.activation) &&
        next instanceof MaxPool2d && next.forward === MaxPool2d.prototype.forward
      ) {
        a = layer.forwardPooled(a, next);
        i++;
      } else a = layer instanceof Module ? layer.forward(a) : layer(a);
    }
    return a;
  }

  /**
   * The saved form, version 2 of the model format (`modelToJSON`); every layer must be a
   * built-in module.
   */
  toJSON(): unknown {
    return modelToJSON(this);
  }
}
