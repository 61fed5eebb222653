import { ShapeError, type Tensor, fromData, noGrad } from '@nabla/core';
import { type Activation, type ActivationName, getActivation } from './activations.ts';
import { type Cost, type CostName, defaultOutputActivation, getCost } from './costs.ts';
import { Dense } from './dense.ts';
import { type InitName, type LayerInit, initNetwork } from './init.ts';
import { Module } from './module.ts';
import type { ParamGroup } from './optim.ts';
import { type NetworkJSON, networkToJSON, parseNetworkJSON } from './io.ts';

/** Options of {@link Network}. */
export interface NetworkOptions {
  /** σ of the hidden layers, and of the output layer unless `outputActivation` says otherwise (default sigmoid). */
  activation?: ActivationName;
  /** σ of the output layer (default: softmax for log-likelihood, sigmoid for cross-entropy, else `activation`). */
  outputActivation?: ActivationName;
  /** The cost C (default quadratic). */
  cost?: CostName;
  /** The initialiser (default `'normal'`, Nielsen's N(0, 1) of chapter 1). */
  init?: InitName;
  /** Seed of the initialiser (default 0). */
  seed?: number;
  /** Start from these parameters instead of drawing new ones (used by `fromJSON`). */
  params?: LayerInit[];
}

/** Gradients of C with respect to every weight and bias, shaped like them. */
export interface Gradients {
  /** ∂C/∂w^l for l = 1 … L (index 0 is the first weight layer). */
  nablaW: Tensor[];
  /** ∂C/∂b^l, each [out, 1]. */
  nablaB: Tensor[];
  /** C at this batch. */
  cost: number;
}

/** The forward pass with every intermediate kept, for reading δ^l off the graph. */
export interface ForwardTrace {
  /** z^l = w^l a^{l−1} + b^l for l = 1 … L. */
  zs: Tensor[];
  /** a^0 = X, then a^l = σ(z^l). */
  activations: Tensor[];
}

/**
 * Nielsen's network: fully connected sigmoid (or relu, tanh …) layers of the given sizes,
 * acting on a mini-batch X [sizes[0], m] whose columns are examples.
 *
 * @example
 * ```ts
 * const net = new Network([784, 30, 10], { seed: 1 });
 * const { nablaW, nablaB } = net.gradients(X, Y); // by autodiff, averaged over the batch
 * net.weights[0].shape; // [30, 784]
 * ```
 */
export class Network extends Module {
  /** Neurons per layer, input first. */
  readonly sizes: readonly number[];
  /** The weight layers, l = 1 … L. */
  readonly layers: readonly Dense[];
  /** The cost C. */
  readonly cost: Cost;
  /** σ of the hidden layers. */
  readonly activation: Activation;
  /** σ of the output layer. */
  readonly outputActivation: Activation;

  /**
   * @param sizes - neurons per layer, input first (at least two layers)
   * @param options - `activation`, `outputActivation`, `cost`, `init`, `seed`, `params`
   * @throws ShapeError for fewer than two sizes or a size that is not a positive integer
   */
  constructor(sizes: readonly number[], options: NetworkOptions = {}) {
    super();
    if (!Array.isArray(sizes) || sizes.length < 2) throw new ShapeError('Network', `sizes must list at least two layers, got [${String(sizes)}]`);
    sizes.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError('Network', `sizes[${i}] must be a positive integer, got ${String(n)}`);
    });
    this.sizes = Object.freeze([...sizes]);
    this.cost = getCost(options.cost ?? 'quadratic');
    this.activation = getActivation(options.activation ?? 'sigmoid');
    const outputName = options.outputActivation ?? defaultOutputActivation(this.cost.name, this.activation.name);
    this.outputActivation = getActivation(outputName);
    const params = options.params ?? initNetwork(sizes, options.init ?? 'normal', options.seed ?? 0);
    if (params.length !== sizes.length - 1) throw new ShapeError('Network', `expected ${sizes.length - 1} layers of parameters, got ${params.length}`);
    const L = sizes.length - 1;
    this.layers = params.map(
      (p, l) => new Dense(sizes[l]!, sizes[l + 1]!, { activation: l === L - 1 ? this.outputActivation : this.activation, params: p }),
    );
  }

  /** w^l for each layer, shape [sizes[l], sizes[l−1]]. */
  get weights(): Tensor[] {
    return this.layers.map((d) => d.weight);
  }

  /** b^l for each layer, shape [sizes[l], 1]. */
  get biases(): Tensor[] {
    return this.layers.map((d) => d.bias);
  }

  /**
   * a^L for a batch X [sizes[0], m] (recorded for autodiff unless inside `noGrad`).
   * @param x - inputs [sizes[0], m]
   */
  forward(x: Tensor): Tensor {
    this.checkInput(x, 'Network.forward');
    let a = x;
    for (const layer of this.layers) a = layer.forward(a);
    return a;
  }

  /**
   * Nielsen's `feedforward`: the output a^L for a batch X, without recording a graph.
   * @param x - inputs [sizes[0], m]
   */
  feedforward(x: Tensor): Tensor {
    return noGrad(() => this.forward(x));
  }

  /**
   * The forward pass keeping every z^l and a^l (recorded, so gradients at z^l can be read).
   * @param x - inputs [sizes[0], m]
   */
  trace(x: Tensor): ForwardTrace {
    this.checkInput(x, 'Network.trace');
    const zs: Tensor[] = [];
    const activations: Tensor[] = [x];
    let a = x;
    for (const layer of this.layers) {
      const z = layer.weightedInput(a);
      a = layer.activation.apply(z);
      zs.push(z);
      activations.push(a);
    }
    return { zs, activations };
  }

  /**
   * C for a batch, as autodiff ops: X [sizes[0], m], Y [sizes[L], m].
   * @param x - inputs [sizes[0], m]
   * @param y - targets [sizes[L], m]
   */
  loss(x: Tensor, y: Tensor): Tensor {
    const { zs, activations } = this.trace(x);
    this.checkTarget(x, y, 'Network.loss');
    return this.cost.loss(zs[zs.length - 1]!, activations[activations.length - 1]!, y, this.outputActivation);
  }

  /**
   * ∂C/∂w^l and ∂C/∂b^l by autodiff, C averaged over the batch's m columns. Clears and then
   * fills `.grad` of the parameters (which the returned tensors are copies of).
   * @param x - inputs [sizes[0], m]
   * @param y - targets [sizes[L], m]
   */
  gradients(x: Tensor, y: Tensor): Gradients {
    this.zeroGrad();
    const c = this.loss(x, y);
    c.backward();
    const copy = (t: Tensor): Tensor => (t.grad ? t.grad.clone() : fromData(new Float64Array(t.size), t.shape));
    return { nablaW: this.weights.map(copy), nablaB: this.biases.map(copy), cost: c.item() };
  }

  /**
   * Index of the largest output per column: the predicted class of each example.
   * @param x - inputs [sizes[0], m]
   */
  predict(x: Tensor): Int32Array {
    const a = this.feedforward(x);
    const [rows, cols] = a.shape as [number, number];
    const out = new Int32Array(cols);
    for (let j = 0; j < cols; j++) {
      let best = 0;
      for (let i = 1; i < rows; i++) if (a.data[i * cols + j]! > a.data[best * cols + j]!) best = i;
      out[j] = best;
    }
    return out;
  }

  /** Weights with L2 regularisation, biases without, as optimizers take them. */
  paramGroups(): ParamGroup[] {
    return [
      { params: this.weights, l2: true },
      { params: this.biases, l2: false },
    ];
  }

  /** The saved form: sizes, activation, cost, and nested weights [out][in] and biases [out][1]. */
  toJSON(): NetworkJSON {
    return networkToJSON(this);
  }

  /**
   * A network from its saved form, or from a NumPy-style `{ weights, biases }` file (sizes
   * inferred, sigmoid and quadratic by default). Every field is validated and errors name the
   * field and index (`biases[1]: expected [10,1], got [10]`).
   * @param value - parsed JSON
   */
  static fromJSON(value: unknown): Network {
    const parsed = parseNetworkJSON(value);
    const options: NetworkOptions = { activation: parsed.activation, cost: parsed.cost, params: parsed.params };
    if (parsed.outputActivation !== undefined) options.outputActivation = parsed.outputActivation;
    return new Network(parsed.sizes, options);
  }

  private checkInput(x: Tensor, op: string): void {
    if (x.rank !== 2 || x.shape[0] !== this.sizes[0]) {
      throw new ShapeError(op, `expected inputs of shape [${this.sizes[0]},m] (examples as columns), got [${x.shape.join(',')}]`, [x.shape]);
    }
  }

  private checkTarget(x: Tensor, y: Tensor, op: string): void {
    const out = this.sizes[this.sizes.length - 1]!;
    if (y.rank !== 2 || y.shape[0] !== out || y.shape[1] !== x.shape[1]) {
      throw new ShapeError(op, `expected targets of shape [${out},${x.shape[1]}], got [${y.shape.join(',')}]`, [x.shape, y.shape]);
    }
  }
}
