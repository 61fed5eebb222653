import { type Rng, type Tensor, createRng, randn, zeros } from '@nabla/core';

/**
 * Names of the weight initialisers:
 * - `'normal'`: Nielsen ch. 1, weights and biases N(0, 1);
 * - `'scaled'`: Nielsen ch. 3, weights N(0, 1/n_in), biases N(0, 1);
 * - `'he'`: He et al. for relu, weights N(0, 2/n_in), biases 0.
 */
export type InitName = 'normal' | 'scaled' | 'he';

/** The initial weight [out, in] and bias [out, 1] of one layer. */
export interface LayerInit {
  /** w^l, shape [out, in]. */
  weight: Tensor;
  /** b^l, shape [out, 1]. */
  bias: Tensor;
}

/**
 * Draws one layer's initial parameters (with `requiresGrad: true`) from a seeded generator:
 * its bias, then its weight.
 * @example
 * ```ts
 * const { weight, bias } = initLayer(784, 30, 'scaled', createRng(1));
 * ```
 * @param inputs - n_in, the layer's fan-in
 * @param outputs - the number of neurons
 * @param init - the initialiser's name
 * @param rng - the generator to draw from
 * @throws TypeError for an unknown initialiser name
 */
export function initLayer(inputs: number, outputs: number, init: InitName, rng: Rng): LayerInit {
  checkInit(init);
  const bias = init === 'he' ? zeros([outputs, 1], { requiresGrad: true }) : randn([outputs, 1], { rng, requiresGrad: true });
  return { weight: drawWeight(inputs, outputs, init, rng), bias };
}

function drawWeight(inputs: number, outputs: number, init: InitName, rng: Rng): Tensor {
  const std = init === 'normal' ? 1 : Math.sqrt((init === 'he' ? 2 : 1) / inputs);
  return randn([outputs, inputs], { rng, std, requiresGrad: true });
}

/**
 * Initial parameters for every layer of a network of the given sizes.
 *
 * NOTE: as in Nielsen's `Network.__init__`, all biases are drawn first and then all weights,
 * so a seed fixes every layer the way his code orders its draws.
 * @example
 * ```ts
 * const layers = initNetwork([784, 30, 10], 'normal', 1);
 * layers[0].weight.shape; // [30, 784]
 * ```
 * @param sizes - neurons per layer, input first
 * @param init - the initialiser's name
 * @param seed - seed of the generator
 * @throws TypeError for an unknown initialiser name
 */
export function initNetwork(sizes: readonly number[], init: InitName, seed: number): LayerInit[] {
  checkInit(init);
  const rng = createRng(seed);
  // Nielsen's order: every bias vector first, then every weight matrix.
  const biases = sizes.slice(1).map((n) => (init === 'he' ? zeros([n, 1], { requiresGrad: true }) : randn([n, 1], { rng, requiresGrad: true })));
  return biases.map((bias, l) => ({ bias, weight: drawWeight(sizes[l]!, sizes[l + 1]!, init, rng) }));
}

/**
 * Checks an initialiser name from user input.
 * @example
 * ```ts
 * checkInit('he');      // 'he'
 * checkInit('xavier');  // TypeError: unknown init 'xavier'; expected one of normal, scaled, he
 * ```
 * @param name - the name to check
 * @throws TypeError naming the unknown initialiser
 */
export function checkInit(name: string): InitName {
  if (typeof name !== 'string') throw new TypeError(`unknown init ${String(name)}; expected one of normal, scaled, he`);
  if (name === 'normal' || name === 'scaled' || name === 'he') return name;
  throw new TypeError(`unknown init '${name}'; expected one of normal, scaled, he`);
}
