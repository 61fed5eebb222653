/**
 * Convolution and pooling layers on [m, C, H, W] (PyTorch's and `network3`'s layout), each a
 * `Module` with a `toJSON` form. `Flatten` (layers.ts) turns their output into the columns
 * [C·H·W, m] that `Dense` reads.
 */
import { type Rng, ShapeError, type Tensor, avgPool2d, conv2d, createRng, fromData, maxPool2d, randn, zeros } from '@nabla/core';
import { type Activation, type ActivationName, getActivation, identity, relu, sigmoid, tanh } from './activations.ts';
import { type InitName, checkInit } from './init.ts';
import { Module } from './module.ts';

function positive(op: string, n: unknown, argument: string): number {
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) return n;
  throw new ShapeError(op, `${argument} must be a positive integer, got ${typeof n === 'string' ? `"${n}"` : String(n)}`);
}

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zero padding on each side, or `'same'` (default 0). */
  padding?: number | 'same';
  /** σ applied after the bias (default identity). */
  activation?: Activation | ActivationName;
  /** How the kernels are drawn: `'scaled'` N(0, 1/(C·k²)) (default), `'normal'` N(0, 1), `'he'` N(0, 2/(C·k²)) with zero biases. */
  init?: InitName;
  /** Seed of the initialiser (default 0). */
  seed?: number;
  /** Use these parameters instead of drawing new ones (they must have `requiresGrad`). */
  params?: ConvParams;
}

/** A convolution layer's parameters. */
export interface ConvParams {
  /** The kernels, [F, C, k, k]. */
  weight: Tensor;
  /** The biases, [F]. */
  bias: Tensor;
}

/** The saved form of a {@link Conv2d} layer. */
export interface Conv2dJSON {
  /** Always `'conv2d'`. */
  kind: 'conv2d';
  /** Input channels C. */
  inChannels: number;
  /** Output channels (feature maps) F. */
  outChannels: number;
  /** Kernel size k (k × k). */
  kernel: number;
  /** Stride. */
  stride: number;
  /** Padding. */
  padding: number | 'same';
  /** σ, by name. */
  activation: string;
  /** The kernels, flat in [F, C, k, k] order. */
  weight: number[];
  /** The biases, one per feature map. */
  bias: number[];
}

/**
 * A 2-D convolution layer: a = σ(conv2d(x, w) + b), x [m, C, H, W], w [F, C, k, k], b one per
 * feature map (broadcast over the batch and positions). Its gradient is core's `conv2d` rule.
 *
 * NOTE: `network3`'s ConvPool layer adds the bias and applies σ after max-pooling;
 * `Sequential(new Conv2d(…, { activation }), new MaxPool2d(p))` computes the same values and
 * gradients, since a per-map bias and an increasing σ commute with taking a maximum.
 *
 * @example
 * ```ts
 * const conv = new Conv2d(1, 20, 5, { activation: 'sigmoid', seed: 1 });
 * conv.forward(zeros([10, 1, 28, 28])).shape; // [10, 20, 24, 24]
 * ```
 */
export class Conv2d extends Module {
  /** The kernels, [F, C, k, k]. */
  readonly weight: Tensor;
  /** The biases, [F]. */
  readonly bias: Tensor;
  /** σ. */
  readonly activation: Activation;
  /** Stride. */
  readonly stride: number;
  /** Padding. */
  readonly padding: number | 'same';

  /**
   * @param inChannels - C
   * @param outChannels - F, the number of feature maps
   * @param kernel - k, for k × k kernels
   * @param options - `stride`, `padding`, `activation`, `init`, `seed`, `params`
   * @throws ShapeError for sizes that are not positive integers or params of the wrong shapes
   */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    positive('Conv2d', inChannels, 'inChannels');
    positive('Conv2d', outChannels, 'outChannels');
    positive('Conv2d', kernel, 'kernel');
    this.stride = positive('Conv2d', options.stride ?? 1, 'stride');
    const padding = options.padding ?? 0;
    if (padding !== 'same' && !(typeof padding === 'number' && Number.isSafeInteger(padding) && padding >= 0)) {
      throw new ShapeError('Conv2d', `padding must be a non-negative integer or 'same', got ${String(padding)}`);
    }
    this.padding = padding;
    const act = options.activation ?? identity;
    this.activation = typeof act === 'string' ? getActivation(act) : act;
    if (options.params !== undefined) {
      const { weight, bias } = options.params;
      const want = [outChannels, inChannels, kernel, kernel];
      if (weight.rank !== 4 || weight.shape.some((d, i) => d !== want[i])) throw new ShapeError('Conv2d', `params.weight has shape [${weight.shape.join(',')}], expected [${want.join(',')}]`, [weight.shape]);
      if (bias.rank !== 1 || bias.shape[0] !== outChannels) throw new ShapeError('Conv2d', `params.bias has shape [${bias.shape.join(',')}], expected [${outChannels}]`, [bias.shape]);
      this.weight = weight;
      this.bias = bias;
      return;
    }
    const init = checkInit(options.init ?? 'scaled');
    const rng: Rng = createRng(options.seed ?? 0);
    const fanIn = inChannels * kernel * kernel;
    this.bias = init === 'he' ? zeros([outChannels], { requiresGrad: true }) : randn([outChannels], { rng, requiresGrad: true });
    const std = init === 'normal' ? 1 : Math.sqrt((init === 'he' ? 2 : 1) / fanIn);
    this.weight = randn([outChannels, inChannels, kernel, kernel], { rng, std, requiresGrad: true });
  }

  /**
   * The weighted input z = conv2d(x, w) + b.
   * @param x - [m, C, H, W]
   * @throws ShapeError when `x` is not [m, C, H, W] with this layer's C, or too small for the kernel
   */
  weightedInput(x: Tensor): Tensor {
    return this.convolve(x).add(this.bias.reshape([this.outChannels, 1, 1]));
  }

  /** conv2d(x, w), after checking that `x` is [m, C, H, W] with this layer's C. */
  private convolve(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError('Conv2d', `expected input [m, ${this.inChannels}, H, W], got [${x.shape.join(',')}]`, [x.shape]);
    }
    return conv2d(x, this.weight, { stride: this.stride, padding: this.padding });
  }

  /**
   * a = σ(conv2d(x, w) + b).
   * @param x - [m, C, H, W]
   */
  forward(x: Tensor): Tensor {
    return this.activation.apply(this.weightedInput(x));
  }

  /**
   * σ(maxPool(conv2d(x, w)) + b): this layer followed by `pool`, pooled before the bias and σ
   * as network3's ConvPoolLayer does, on a quarter of the values at 2×2 windows. A per-map
   * bias and an increasing σ commute with a maximum (rounding is monotone too), so the values
   * equal `pool.forward(this.forward(x))`; the gradients equal them too, since where σ ties
   * (saturated) its derivative is 0 at every tied position. `Sequential` takes this route when
   * σ is sigmoid, relu, tanh or identity.
   * @param x - [m, C, H, W]
   * @param pool - the max-pooling layer that follows
   * @throws ShapeError when `x` is not [m, C, H, W] with this layer's C, as {@link Conv2d.forward}
   */
  forwardPooled(x: Tensor, pool: MaxPool2d): Tensor {
    return this.activation.apply(pool.forward(this.convolve(x)).add(this.bias.reshape([this.outChannels, 1, 1])));
  }

  /** The saved form. */
  toJSON(): Conv2dJSON {
    return {
      kind: 'conv2d',
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
      activation: this.activation.name,
      weight: Array.from(this.weight.data),
      bias: Array.from(this.bias.data),
    };
  }
}

/**
 * The built-in activations that commute with max-pooling (increasing and elementwise): the
 * objects themselves, so an activation of the user's that merely shares a name is not trusted.
 */
export const POOL_COMMUTING: ReadonlySet<Activation> = new Set<Activation>([sigmoid, relu, tanh, identity]);

/** The saved form of a pooling layer. */
export interface Pool2dJSON {
  /** `'maxPool2d'` or `'avgPool2d'`. */
  kind: 'maxPool2d' | 'avgPool2d';
  /** Window size p (p × p). */
  kernel: number;
  /** Stride (default: the window size). */
  stride: number;
}

/** What the two pooling layers share: a window, a stride, and the op that pools. */
abstract class Pool2d extends Module {
  /** Stride. */
  readonly stride: number;
  /**
   * @param kind - which pooling (names the layer in errors and its saved form)
   * @param kernel - p, the window size
   * @param stride - step between windows (default p)
   * @throws ShapeError when a size is not a positive integer
   */
  constructor(
    private readonly kind: 'maxPool2d' | 'avgPool2d',
    readonly kernel: number,
    stride: number | undefined,
  ) {
    super();
    const name = kind === 'maxPool2d' ? 'MaxPool2d' : 'AvgPool2d';
    positive(name, kernel, 'kernel');
    this.stride = positive(name, stride ?? kernel, 'stride');
  }

  /**
   * @param x - [m, C, H, W]
   * @throws ShapeError when `x` is not 4-D or smaller than the window
   */
  forward(x: Tensor): Tensor {
    const pool = this.kind === 'maxPool2d' ? maxPool2d : avgPool2d;
    return pool(x, { kernel: this.kernel, stride: this.stride });
  }

  /** The saved form. */
  toJSON(): Pool2dJSON {
    return { kind: this.kind, kernel: this.kernel, stride: this.stride };
  }
}

/**
 * Max-pooling over p × p windows with stride p (or `stride`), on [m, C, H, W]; the gradient
 * goes to each window's maximum.
 * @example
 * ```ts
 * new MaxPool2d(2).forward(zeros([10, 20, 24, 24])).shape; // [10, 20, 12, 12]
 * ```
 */
export class MaxPool2d extends Pool2d {
  /**
   * @param kernel - p, the window size
   * @param stride - step between windows (default p)
   * @throws ShapeError when a size is not a positive integer
   */
  constructor(kernel: number, stride?: number) {
    super('maxPool2d', kernel, stride);
  }
}

/**
 * Average-pooling over p × p windows with stride p (or `stride`), on [m, C, H, W].
 * @example
 * ```ts
 * new AvgPool2d(2).forward(zeros([10, 20, 24, 24])).shape; // [10, 20, 12, 12]
 * ```
 */
export class AvgPool2d extends Pool2d {
  /**
   * @param kernel - p, the window size
   * @param stride - step between windows (default p)
   * @throws ShapeError when a size is not a positive integer
   */
  constructor(kernel: number, stride?: number) {
    super('avgPool2d', kernel, stride);
  }
}

/**
 * Rebuilds a Conv2d from its saved form's checked fields.
 * @internal
 */
export function conv2dFromFields(f: Omit<Conv2dJSON, 'kind' | 'weight' | 'bias'> & { weight: Float64Array; bias: Float64Array }): Conv2d {
  return new Conv2d(f.inChannels, f.outChannels, f.kernel, {
    stride: f.stride,
    padding: f.padding,
    activation: getActivation(f.activation),
    params: {
      weight: fromData(f.weight, [f.outChannels, f.inChannels, f.kernel, f.kernel], { requiresGrad: true }),
      bias: fromData(f.bias, [f.outChannels], { requiresGrad: true }),
    },
  });
}
