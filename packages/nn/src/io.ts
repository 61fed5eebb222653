import { type Tensor, fromData } from '@nabla/core';
import type { ActivationName } from './activations.ts';
import { getActivation } from './activations.ts';
import type { CostName } from './costs.ts';
import { defaultOutputActivation, getCost } from './costs.ts';
import type { LayerInit } from './init.ts';

/**
 * A network's saved form. `weights[l]` is nested [out][in] and `biases[l]` nested [out][1]:
 * the layout Nielsen-style NumPy code writes with `w.tolist()` / `b.tolist()`.
 */
export interface NetworkJSON {
  /** Neurons per layer, input first. */
  sizes: number[];
  /** σ of the hidden layers (and of the output, unless `outputActivation` is given). */
  activation: ActivationName;
  /** σ of the output layer, when it differs from `activation`. */
  outputActivation?: ActivationName;
  /** The cost's name. */
  cost: CostName;
  /** w^l as nested arrays [out][in]. */
  weights: number[][][];
  /** b^l as nested arrays [out][1]. */
  biases: number[][][];
}

/**
 * Thrown when a saved model does not have the expected form; `field` is the path of the bad
 * value (`weights[0][3][5]`), and the message starts with it.
 *
 * @example
 * ```ts
 * Network.fromJSON({ weights: [[[1, 'x']]], biases: [[[0]]] });
 * // ModelFormatError: weights[0][0][1]: not a finite number (got "x")
 * ```
 */
export class ModelFormatError extends Error {
  /** The class name, `'ModelFormatError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'ModelFormatError';
  /** Path of the offending field. */
  readonly field: string;
  /**
   * Builds the message `${field}: ${problem}`.
   * @param field - path of the offending field, e.g. `biases[1]`
   * @param problem - what is wrong with it
   */
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

/** The network parameters and settings read from a saved form. */
export interface ParsedNetwork {
  /** Neurons per layer, input first (inferred from the weights for a NumPy-style file). */
  sizes: number[];
  /** σ of the hidden layers. */
  activation: ActivationName;
  /** σ of the output layer, when the file names one. */
  outputActivation?: ActivationName;
  /** The cost C. */
  cost: CostName;
  /** Weight [out, in] and bias [out, 1] of each layer, with `requiresGrad`. */
  params: LayerInit[];
}

function nestedShape(value: unknown): string {
  const dims: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  return `[${dims.join(',')}]`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return JSON.stringify(value) ?? String(value);
}

// NOTE: JSON has no Infinity, but JSON.parse reads a literal beyond float64's range (1e309) as
// ±Infinity, which JSON.stringify would print as null.
function notFinite(v: unknown): string {
  return v === Infinity || v === -Infinity ? 'overflows float64' : `got ${describe(v)}`;
}

function readMatrix(value: unknown, field: string, rows: number, cols: number | null): { data: Float64Array; cols: number } {
  const expected = `[${rows},${cols ?? 'n'}]`;
  if (!Array.isArray(value) || value.length !== rows || !value.every((r) => Array.isArray(r))) {
    throw new ModelFormatError(field, `expected ${expected}, got ${Array.isArray(value) ? nestedShape(value) : describe(value)}`);
  }
  const width = cols ?? (value[0] as unknown[]).length;
  const data = new Float64Array(rows * width);
  (value as unknown[][]).forEach((row, i) => {
    if (row.length !== width) throw new ModelFormatError(`${field}[${i}]`, `expected ${width} values, got ${row.length}`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFormatError(`${field}[${i}][${j}]`, `not a finite number (${notFinite(v)})`);
      data[i * width + j] = v;
    });
  });
  return { data, cols: width };
}

function readName<T extends string>(value: unknown, field: string, fallback: T, check: (name: string) => unknown): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new ModelFormatError(field, `expected a string, got ${describe(value)}`);
  try {
    check(value);
  } catch (e) {
    throw new ModelFormatError(field, (e as Error).message);
  }
  return value as T;
}

/**
 * Validates a parsed JSON model (nabla's `toJSON` form, or NumPy-style `{ weights, biases }`
 * where sizes are inferred and activation/cost default to sigmoid/quadratic).
 * @example
 * ```ts
 * const parsed = parseNetworkJSON(JSON.parse(text));
 * parsed.sizes; // e.g. [784, 30, 10]
 * ```
 * @param value - the parsed JSON
 * @throws ModelFormatError naming the field and index of the first problem
 */
export function parseNetworkJSON(value: unknown): ParsedNetwork {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFormatError('model', `expected an object with weights and biases, got ${describe(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const { weights, biases } = obj;
  if (!Array.isArray(weights) || weights.length === 0) throw new ModelFormatError('weights', `expected a non-empty array of matrices, got ${describe(weights)}`);
  if (!Array.isArray(biases)) throw new ModelFormatError('biases', `expected an array of [out,1] matrices, got ${describe(biases)}`);
  if (biases.length !== weights.length) throw new ModelFormatError('biases', `expected ${weights.length} layers (as in weights), got ${biases.length}`);

  const inferred: number[] = [];
  const params: LayerInit[] = [];
  weights.forEach((w, l) => {
    const rows = Array.isArray(w) ? w.length : -1;
    if (rows < 1) throw new ModelFormatError(`weights[${l}]`, `expected a non-empty matrix [out][in], got ${describe(w)}`);
    const m = readMatrix(w, `weights[${l}]`, rows, l === 0 ? null : inferred[l]!);
    if (l === 0) {
      if (m.cols < 1) throw new ModelFormatError('weights[0]', 'expected at least one input column');
      inferred.push(m.cols);
    }
    inferred.push(rows);
    const b = readMatrix(biases[l], `biases[${l}]`, rows, 1);
    params.push({
      weight: fromData(m.data, [rows, m.cols], { requiresGrad: true }),
      bias: fromData(b.data, [rows, 1], { requiresGrad: true }),
    });
  });

  if (obj['sizes'] !== undefined) {
    const sizes = obj['sizes'];
    const same = Array.isArray(sizes) && sizes.length === inferred.length && sizes.every((s, i) => s === inferred[i]);
    if (!same) throw new ModelFormatError('sizes', `expected [${inferred.join(',')}] (from the weights), got ${JSON.stringify(sizes)}`);
  }
  const activation = readName<ActivationName>(obj['activation'], 'activation', 'sigmoid', getActivation);
  const cost = readName<CostName>(obj['cost'], 'cost', 'quadratic', getCost);
  const parsed: ParsedNetwork = { sizes: inferred, activation, cost, params };
  if (obj['outputActivation'] !== undefined) {
    parsed.outputActivation = readName<ActivationName>(obj['outputActivation'], 'outputActivation', activation, getActivation);
  }
  return parsed;
}

// JSON has no NaN or Infinity (JSON.stringify writes null, which no loader accepts), so a
// non-finite parameter is refused here rather than saved as a file that cannot be read back.
function toNested(t: Tensor, field: string): number[][] {
  const [rows, cols] = t.shape as [number, number];
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from(t.data.subarray(i * cols, (i + 1) * cols));
    const j = row.findIndex((v) => !Number.isFinite(v));
    if (j !== -1) throw new ModelFormatError(`${field}[${i}][${j}]`, `not a finite number (got ${row[j]}); JSON cannot hold it, so the model was not saved`);
    out.push(row);
  }
  return out;
}

/** The fields of a network that its saved form needs. */
export interface SerializableNetwork {
  /** Neurons per layer, input first. */
  readonly sizes: readonly number[];
  /** σ of the hidden layers. */
  readonly activation: {
    /** The activation's name, as saved. */
    readonly name: ActivationName;
  };
  /** σ of the output layer. */
  readonly outputActivation: {
    /** The activation's name, as saved. */
    readonly name: ActivationName;
  };
  /** The cost C. */
  readonly cost: {
    /** The cost's name, as saved. */
    readonly name: CostName;
  };
  /** w^l for each layer, shape [out, in]. */
  readonly weights: Tensor[];
  /** b^l for each layer, shape [out, 1]. */
  readonly biases: Tensor[];
}

/**
 * The saved form of a network (what `Network.toJSON` returns).
 * @example
 * ```ts
 * JSON.stringify(networkToJSON(net));
 * ```
 * @param net - the network
 * @throws ModelFormatError naming the first weight or bias that is NaN or ±∞ (JSON cannot hold it)
 */
export function networkToJSON(net: SerializableNetwork): NetworkJSON {
  const json: NetworkJSON = {
    sizes: [...net.sizes],
    activation: net.activation.name,
    cost: net.cost.name,
    weights: net.weights.map((w, l) => toNested(w, `weights[${l}]`)),
    biases: net.biases.map((b, l) => toNested(b, `biases[${l}]`)),
  };
  // Also written when it equals `activation` but the loader would pick another (softmax for
  // logLikelihood), so that fromJSON rebuilds the same network.
  const loaderDefault = defaultOutputActivation(net.cost.name, net.activation.name);
  if (net.outputActivation.name !== net.activation.name || net.outputActivation.name !== loaderDefault) json.outputActivation = net.outputActivation.name;
  return json;
}
