/**
 * Seeded random tensors and dropout. Each draws from a generator of random.ts: a seed (or an
 * `rng`) makes a run repeat exactly; without one, the global generator (`manualSeed`) is used.
 */
import { DTypeError } from './errors.ts';
import { type Shape, describeValue, sizeOf, validateShape } from './shape.ts';
import { type Rng, createRng, defaultRng } from './random.ts';
import { mul } from './ops.ts';
import { type Tensor, type TensorOptions, activeTracer, checkDType, fromData, record, toTensor } from './tensor.ts';

/** Options of {@link rand}, {@link bernoulli} and {@link dropout}'s mask. */
export interface RandomOptions extends TensorOptions {
  /** Seed for a private generator; without it the global one (see `manualSeed`) is used. */
  seed?: number;
  /** A generator to draw from (takes precedence over `seed`). */
  rng?: Rng;
}

function generator(options: RandomOptions | undefined): Rng {
  return options?.rng ?? (options?.seed !== undefined ? createRng(options.seed) : defaultRng());
}

/**
 * A tensor of fresh draws. While a tape is traced (and it is not a leaf that requires grad) it
 * is recorded as an op without inputs that draws again on every replay: a draw made once at
 * trace time would repeat one sample, one dropout mask, in every step.
 */
export function drawn(op: string, shape: Shape, attrs: Readonly<Record<string, unknown>>, draw: () => Float64Array, options?: TensorOptions): Tensor {
  if (activeTracer() === null || options?.requiresGrad === true) return fromData(draw(), shape, options);
  const t = record(draw(), shape, { op, inputs: [], attrs, recompute: () => fromData(draw(), shape) });
  if (options?.name !== undefined) t.name = options.name;
  return t;
}

function filled(shape: Shape, op: string, options: RandomOptions | undefined, value: (rng: Rng) => number, attrs: Readonly<Record<string, unknown>> = {}): Tensor {
  validateShape(shape, op);
  checkDType(options, op);
  const rng = generator(options);
  const n = sizeOf(shape);
  return drawn(op, shape, attrs, () => {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = value(rng);
    return data;
  }, options);
}

/**
 * Independent uniform samples in [0, 1) (PyTorch's `rand`).
 * @example
 * ```ts
 * rand([2, 3], { seed: 1 }); // the same values on every run
 * ```
 * @param shape - the dimensions
 * @param options - `seed` or `rng`, `requiresGrad`, `name`
 * @throws ShapeError for an invalid shape; DTypeError for a dtype other than 'float64'
 */
export function rand(shape: Shape, options?: RandomOptions): Tensor {
  return filled(shape, 'rand', options, (rng) => rng.uniform());
}

function probability(p: unknown, op: string, arg: string, upper: 'closed' | 'open'): number {
  if (typeof p !== 'number') throw new DTypeError(op, `argument '${arg}' must be a number, got ${describeValue(p)}`);
  if (!(p >= 0 && (upper === 'closed' ? p <= 1 : p < 1))) throw new RangeError(`${op}: argument '${arg}' must be in [0, 1${upper === 'closed' ? ']' : ')'}, got ${p}`);
  return p;
}

/**
 * Independent 0/1 samples, 1 with probability `p` (PyTorch's `bernoulli` for a constant p).
 * @example
 * ```ts
 * bernoulli(0.5, [4], { seed: 1 }).toArray(); // four coin flips, the same on every run
 * ```
 * @param p - probability of a 1, in [0, 1]
 * @param shape - the dimensions
 * @param options - `seed` or `rng`
 * @throws DTypeError when `p` is not a number; RangeError when it is outside [0, 1]
 */
export function bernoulli(p: number, shape: Shape, options?: RandomOptions): Tensor {
  const q = probability(p, 'bernoulli', 'p', 'closed');
  return filled(shape, 'bernoulli', options, (rng) => (rng.uniform() < q ? 1 : 0), { p: q });
}

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Seed of the mask's generator (without it, the global generator). */
  seed?: number;
  /** A generator to draw the mask from (takes precedence over `seed`). */
  rng?: Rng;
  /** false: the identity, as at evaluation (default true). */
  training?: boolean;
}

/**
 * Inverted dropout (TF.js `dropout`, PyTorch's `F.dropout`): each element is zeroed with
 * probability `rate`, the kept ones are scaled by 1/(1 − rate), so the expected value is
 * unchanged; with `training: false` it is the identity.
 *
 * Backward: the same mask and scale multiply the gradient (a product with a constant).
 *
 * The mask is drawn when the op runs; in a traced tape (`trace`) it is an op of its own, drawn
 * again on every replay, so each step gets a fresh mask from the same generator.
 * @example
 * ```ts
 * dropout(ones([2, 4]), 0.5, { seed: 1 }).toArray(); // zeros and 2s, the same on every run
 * ```
 * @param x - input
 * @param rate - probability of dropping an element, in [0, 1)
 * @param options - `seed` or `rng`, `training` (default true)
 * @throws DTypeError when `rate` is not a number; RangeError when it is outside [0, 1)
 */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  const t = toTensor(x, 'dropout', 'x');
  const r = probability(rate, 'dropout', 'rate', 'open');
  if (options.training === false || r === 0) return t;
  const keep = 1 - r;
  const rng = generator(options);
  const mask = drawn('dropoutMask', t.shape, { rate: r }, () => {
    const m = new Float64Array(t.size);
    for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < keep ? 1 / keep : 0;
    return m;
  });
  return mul(t, mask);
}
