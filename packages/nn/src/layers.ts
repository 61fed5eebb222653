/**
 * Layers beyond Dense, each a `Module` with a `toJSON` form that {@link layerFromJSON} reads
 * back. Layouts: Dense-style layers read columns [features, m]; `Flatten` turns the
 * [m, C, H, W] of convolution and pooling into those columns.
 */
import { type Rng, ShapeError, type Tensor, createRng, dropout, fromData, ones, zeros } from '@nabla/core';
import { Module } from './module.ts';
import { ModelFormatError } from './io.ts';
import { Dense, type DenseJSON } from './dense.ts';
import { Sequential } from './sequential.ts';
import { getActivation } from './activations.ts';
import { AvgPool2d, type Conv2dJSON, MaxPool2d, type Pool2dJSON, conv2dFromFields } from './conv-layers.ts';

function checkPositive(op: string, n: unknown, argument: string): asserts n is number {
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) return;
  throw new ShapeError(op, `${argument} must be a positive integer, got ${typeof n === 'string' ? `"${n}"` : String(n)}`);
}

/** The saved form of a {@link Flatten} layer. */
export interface FlattenJSON {
  /** Always `'flatten'`. */
  kind: 'flatten';
}

/**
 * The bridge from convolution's layout to Dense's: [m, C, H, W] (or any [m, …]) becomes the
 * columns [C·H·W, m] that `Dense` reads, example j's values in row-major order in column j.
 *
 * @example
 * ```ts
 * new Flatten().forward(zeros([10, 20, 12, 12])).shape; // [2880, 10]
 * ```
 */
export class Flatten extends Module {
  /**
   * [m, …] → [prod(…), m].
   * @param x - a batch with examples along axis 0, rank ≥ 2
   * @throws ShapeError when `x` has rank below 2
   */
  forward(x: Tensor): Tensor {
    if (x.rank < 2) throw new ShapeError('Flatten', `expected a batch [m, …] of rank ≥ 2, got ${x.rank === 0 ? 'a scalar' : `shape [${x.shape.join(',')}]`}`, [x.shape]);
    const m = x.shape[0]!;
    return x.reshape([m, x.size / Math.max(m, 1)]).transpose();
  }

  /** The saved form. */
  toJSON(): FlattenJSON {
    return { kind: 'flatten' };
  }
}

/** Options of {@link Dropout}. */
export interface DropoutLayerOptions {
  /** Seed of the masks' generator (default 0): the same seed gives the same masks, call after call. */
  seed?: number;
}

/** The saved form of a {@link Dropout} layer. */
export interface DropoutJSON {
  /** Always `'dropout'`. */
  kind: 'dropout';
  /** The probability of zeroing an element. */
  rate: number;
  /** The seed of its generator. */
  seed: number;
}

/**
 * Inverted dropout as a layer: in training mode each element is zeroed with probability `rate`
 * and the kept ones are scaled by 1/(1 − rate), a fresh mask per call from the layer's own
 * seeded generator; in evaluation mode (`eval()`) it is the identity. Any layout.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.5, { seed: 1 });
 * drop.forward(ones([4, 2]));         // zeros and 2s
 * drop.eval().forward(ones([4, 2]));  // ones
 * ```
 */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  readonly rate: number;
  /** The generator's seed. */
  readonly seed: number;
  #rng: Rng;

  /**
   * @param rate - the probability of zeroing an element, in [0, 1)
   * @param options - `seed`
   * @throws RangeError when `rate` is outside [0, 1)
   */
  constructor(rate: number, options: DropoutLayerOptions = {}) {
    super();
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new RangeError(`Dropout: rate must be a number in [0, 1), got ${String(rate)}`);
    this.rate = rate;
    this.seed = options.seed ?? 0;
    this.#rng = createRng(this.seed);
  }

  /**
   * The masked, rescaled input in training mode; the input itself in evaluation mode.
   * @param x - any tensor
   */
  forward(x: Tensor): Tensor {
    return dropout(x, this.rate, { rng: this.#rng, training: this.training });
  }

  /** The saved form. */
  toJSON(): DropoutJSON {
    return { kind: 'dropout', rate: this.rate, seed: this.seed };
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  eps?: number;
}

/** The saved form of a {@link LayerNorm} layer. */
export interface LayerNormJSON {
  /** Always `'layerNorm'`. */
  kind: 'layerNorm';
  /** Number of features (rows of the input). */
  features: number;
  /** The variance offset. */
  eps: number;
  /** γ, one per feature. */
  gain: number[];
  /** β, one per feature. */
  bias: number[];
}

/**
 * Layer normalisation on columns: each example (column of x [features, m]) is shifted to mean 0
 * and scaled to variance 1 over its features, then scaled by γ and shifted by β (learned,
 * [features, 1]): y = γ ⊙ (x − μ)/√(σ² + ε) + β. Composed of core ops, so its gradient (and
 * second derivative) needs no code.
 *
 * @example
 * ```ts
 * const norm = new LayerNorm(30);
 * norm.forward(randn([30, 10], { seed: 1 })).shape; // [30, 10]
 * ```
 */
export class LayerNorm extends Module {
  /** γ, [features, 1], initially ones. */
  readonly gain: Tensor;
  /** β, [features, 1], initially zeros. */
  readonly bias: Tensor;
  /** The variance offset ε. */
  readonly eps: number;

  /**
   * @param features - rows of the input
   * @param options - `eps`
   * @throws ShapeError when `features` is not a positive integer; RangeError for a bad `eps`
   */
  constructor(
    readonly features: number,
    options: LayerNormOptions = {},
  ) {
    super();
    checkPositive('LayerNorm', features, 'features');
    const eps = options.eps ?? 1e-5;
    if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) throw new RangeError(`LayerNorm: eps must be a positive finite number, got ${String(eps)}`);
    this.eps = eps;
    this.gain = ones([features, 1], { requiresGrad: true });
    this.bias = zeros([features, 1], { requiresGrad: true });
  }

  /**
   * Normalises each column.
   * @param x - [features, m]
   * @throws ShapeError when `x` is not [features, m]
   */
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[0] !== this.features) {
      throw new ShapeError('LayerNorm', `expected input [${this.features}, m] (features as rows, examples as columns), got [${x.shape.join(',')}]`, [x.shape]);
    }
    const centred = x.sub(x.mean(0, true));
    const variance = centred.square().mean(0, true);
    return centred.div(variance.add(this.eps).sqrt()).mul(this.gain).add(this.bias);
  }

  /** The saved form. */
  toJSON(): LayerNormJSON {
    return { kind: 'layerNorm', features: this.features, eps: this.eps, gain: Array.from(this.gain.data), bias: Array.from(this.bias.data) };
  }

  /**
   * Rebuilds a layer from its saved form, checking every field.
   * @param value - a parsed `LayerNormJSON`
   * @param path - where in the file it sits, for error messages
   * @throws ModelFormatError naming the field at fault
   */
  static fromJSON(value: unknown, path = 'layer'): LayerNorm {
    const o = objectAt(value, path);
    const features = positiveField(o, 'features', path);
    const eps = o['eps'];
    if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) throw new ModelFormatError(`${path}.eps`, `expected a positive number, got ${show(eps)}`);
    const layer = new LayerNorm(features, { eps });
    layer.gain.data.set(numbersAt(o['gain'], features, `${path}.gain`));
    layer.bias.data.set(numbersAt(o['bias'], features, `${path}.bias`));
    return layer;
  }
}

/** A field that must be a positive integer. */
function positiveField(o: Record<string, unknown>, key: string, path: string): number {
  const v = o[key];
  if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 1)) throw new ModelFormatError(`${path}.${key}`, `expected a positive integer, got ${show(v)}`);
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v) ?? String(v);
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ModelFormatError(path, `expected an object, got ${show(value)}`);
  return value as Record<string, unknown>;
}

function numbersAt(value: unknown, n: number, path: string): Float64Array {
  if (!Array.isArray(value) || value.length !== n) throw new ModelFormatError(path, `expected ${n} numbers, got ${Array.isArray(value) ? `${value.length} values` : show(value)}`);
  const out = new Float64Array(n);
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFormatError(`${path}[${i}]`, `expected a finite number, got ${show(v)}`);
    out[i] = v;
  });
  return out;
}

/** The saved form of any built-in layer. */
export type LayerJSON = DenseJSON | FlattenJSON | LayerNormJSON | DropoutJSON | Conv2dJSON | Pool2dJSON;

/** The saved form of a layer stack (a `Sequential` of built-in layers), version 2 of the model format. */
export interface ModelJSON {
  /** Always `'nabla-model'`. */
  format: 'nabla-model';
  /** Format version: 2 (version 1 is `Network`'s `{ sizes, weights, biases, … }`). */
  version: 2;
  /** The layers, in order. */
  layers: LayerJSON[];
}

/**
 * The saved form of a layer stack: `{ format: 'nabla-model', version: 2, layers }`.
 * @example
 * ```ts
 * const json = modelToJSON(new Sequential(new Flatten(), new Dense(16, 10)));
 * ```
 * @param model - a `Sequential` whose layers are built-in modules with `toJSON`
 * @throws ModelFormatError naming a layer that cannot be saved (a plain function, a module without `toJSON`)
 */
export function modelToJSON(model: Sequential): ModelJSON {
  const layers = model.layers.map((layer, i) => {
    const withJSON = layer as { toJSON?: () => LayerJSON };
    if (!(layer instanceof Module) || typeof withJSON.toJSON !== 'function') {
      throw new ModelFormatError(`layers[${i}]`, `${layer instanceof Module ? `a ${layer.constructor.name} without toJSON` : 'a plain function'} cannot be saved; use a built-in layer or give it toJSON`);
    }
    return withJSON.toJSON();
  });
  return { format: 'nabla-model', version: 2, layers };
}

/**
 * Rebuilds a layer stack from its saved form (version 2), checking every field.
 * @example
 * ```ts
 * const model = modelFromJSON(JSON.parse(text));
 * ```
 * @param value - the parsed file
 * @throws ModelFormatError naming the field at fault
 */
export function modelFromJSON(value: unknown): Sequential {
  const o = objectAt(value, 'model');
  if (o['format'] !== 'nabla-model') throw new ModelFormatError('format', `expected "nabla-model", got ${show(o['format'])}`);
  if (o['version'] !== 2) throw new ModelFormatError('version', `expected 2, got ${show(o['version'])} (version 1 files are Network models: load them with Network.fromJSON)`);
  const layers = o['layers'];
  if (!Array.isArray(layers) || layers.length === 0) throw new ModelFormatError('layers', `expected a non-empty array of layers, got ${show(layers)}`);
  return new Sequential(...layers.map((l, i) => layerFromJSON(l, `layers[${i}]`)));
}

function conv2dFromJSON(o: Record<string, unknown>, path: string): Module {
  const size = (key: string): number => positiveField(o, key, path);
  const inChannels = size('inChannels');
  const outChannels = size('outChannels');
  const kernel = size('kernel');
  const stride = size('stride');
  const padding = o['padding'];
  if (!(padding === 'same' || (typeof padding === 'number' && Number.isSafeInteger(padding) && padding >= 0))) throw new ModelFormatError(`${path}.padding`, `expected a non-negative integer or "same", got ${show(padding)}`);
  const activation = o['activation'];
  if (typeof activation !== 'string') throw new ModelFormatError(`${path}.activation`, `expected an activation name, got ${show(activation)}`);
  try {
    getActivation(activation);
  } catch (e) {
    throw new ModelFormatError(`${path}.activation`, e instanceof Error ? e.message : String(e));
  }
  const weight = numbersAt(o['weight'], outChannels * inChannels * kernel * kernel, `${path}.weight`);
  const bias = numbersAt(o['bias'], outChannels, `${path}.bias`);
  return conv2dFromFields({ inChannels, outChannels, kernel, stride, padding, activation, weight, bias });
}

function denseFromJSON(o: Record<string, unknown>, path: string): Dense {
  const size = (key: string): number => positiveField(o, key, path);
  const inputs = size('inputs');
  const outputs = size('outputs');
  const name = o['activation'];
  if (typeof name !== 'string') throw new ModelFormatError(`${path}.activation`, `expected an activation name, got ${show(name)}`);
  let activation;
  try {
    activation = getActivation(name);
  } catch (e) {
    throw new ModelFormatError(`${path}.activation`, e instanceof Error ? e.message : String(e));
  }
  const matrix = (key: string, cols: number): Tensor => {
    const rows = o[key];
    if (!Array.isArray(rows) || rows.length !== outputs) throw new ModelFormatError(`${path}.${key}`, `expected ${outputs} rows, got ${Array.isArray(rows) ? rows.length : show(rows)}`);
    const data = new Float64Array(outputs * cols);
    rows.forEach((row, i) => data.set(numbersAt(row, cols, `${path}.${key}[${i}]`), i * cols));
    return fromData(data, [outputs, cols], { requiresGrad: true });
  };
  return new Dense(inputs, outputs, { activation, params: { weight: matrix('weight', inputs), bias: matrix('bias', 1) } });
}

/**
 * Rebuilds a layer from its saved form (`kind` names the class; only own, known kinds).
 * @example
 * ```ts
 * const copy = layerFromJSON(JSON.parse(JSON.stringify(new LayerNorm(4))));
 * ```
 * @param value - a parsed layer object
 * @param path - where in the file it sits, for error messages
 * @throws ModelFormatError naming the field at fault, or an unknown `kind`
 */
export function layerFromJSON(value: unknown, path = 'layer'): Module {
  const o = objectAt(value, path);
  const kind = o['kind'];
  if (kind === 'dense') return denseFromJSON(o, path);
  if (kind === 'flatten') return new Flatten();
  if (kind === 'layerNorm') return LayerNorm.fromJSON(o, path);
  if (kind === 'conv2d') return conv2dFromJSON(o, path);
  if (kind === 'maxPool2d' || kind === 'avgPool2d') {
    const [kernel, stride] = [positiveField(o, 'kernel', path), positiveField(o, 'stride', path)];
    return kind === 'maxPool2d' ? new MaxPool2d(kernel, stride) : new AvgPool2d(kernel, stride);
  }
  if (kind === 'dropout') {
    const rate = o['rate'];
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new ModelFormatError(`${path}.rate`, `expected a number in [0, 1), got ${show(rate)}`);
    const seed = o['seed'];
    if (!(typeof seed === 'number' && Number.isSafeInteger(seed))) throw new ModelFormatError(`${path}.seed`, `expected an integer, got ${show(seed)}`);
    return new Dropout(rate, { seed });
  }
  throw new ModelFormatError(`${path}.kind`, `unknown layer kind ${show(kind)}; expected one of dense, conv2d, maxPool2d, avgPool2d, flatten, layerNorm, dropout`);
}
