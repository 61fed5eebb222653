// Loading a model file and classifying one 28×28 input with it, through @nabla/nn's own
// Network.fromJSON and feedforward: the code the CLI runs in Node, no second implementation.
// No DOM here, so Node tests can import it too.
import { fromData } from '@nabla/core';
import { ModelFormatError, Network } from '@nabla/nn';

/** Pixels of an MNIST image: the network's input size. */
export const INPUTS = 784;
/** Digits 0–9: the network's output size. */
export const OUTPUTS = 10;

/** A model file that cannot be used; the message starts with the file name. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  /**
   * Builds `${file}: ${problem}`.
   * @param file - the file's name as the person chose it
   * @param problem - what is wrong, e.g. `biases[1]: expected [10,1], got [10]`
   */
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

/**
 * A network from the text of a model file: nabla's `toJSON` form or NumPy-style
 * `{ weights, biases }`, with 784 inputs and 10 outputs.
 *
 * @example
 * ```ts
 * const net = modelFromText(await file.text(), file.name);
 * ```
 * @param text - the file's contents
 * @param file - its name, for messages
 * @throws ModelLoadError naming the file and the field (`model.json: biases[1]: expected [10,1], got [10]`)
 */
export function modelFromText(text: string, file: string): Network {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(file, `not valid JSON (${(e as Error).message})`);
  }
  let net: Network;
  try {
    net = Network.fromJSON(value);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelLoadError(file, e.message);
    throw new ModelLoadError(file, (e as Error).message);
  }
  const first = net.sizes[0];
  const last = net.sizes[net.sizes.length - 1];
  if (first !== INPUTS || last !== OUTPUTS) {
    throw new ModelLoadError(file, `expected ${INPUTS} inputs and ${OUTPUTS} outputs (an MNIST model), got sizes [${net.sizes.join(',')}]`);
  }
  return net;
}

/** How the ten outputs were turned into values that sum to 1. */
export type Normalisation = 'softmax' | 'sum' | 'softmax-of-outputs';

/** What the network says about one input. */
export interface Classification {
  /** The predicted digit: the index of the largest output. */
  readonly digit: number;
  /** The ten raw outputs a^L. */
  readonly outputs: Float64Array;
  /** Ten values in [0, 1] that sum to 1. */
  readonly probabilities: Float64Array;
  /** `softmax`: the output layer already gives probabilities; otherwise how they were made. */
  readonly normalisation: Normalisation;
}

/**
 * Runs the network on one input and turns its ten outputs into values that sum to 1: a softmax
 * output layer already does; sigmoid (Nielsen's default) outputs are divided by their sum;
 * outputs that can be negative (tanh, identity) go through a softmax.
 *
 * @example
 * ```ts
 * const { digit, probabilities } = classify(net, preprocessDigit(rgba, 280, 280));
 * ```
 * @param net - a network with 784 inputs and 10 outputs
 * @param input - 784 grey levels in [0, 1], row-major
 */
export function classify(net: Network, input: Float64Array): Classification {
  const a = net.feedforward(fromData(input, [INPUTS, 1]));
  const outputs = Float64Array.from(a.data);
  let digit = 0;
  for (let i = 1; i < outputs.length; i++) if (outputs[i]! > outputs[digit]!) digit = i;
  if (net.outputActivation.name === 'softmax') return { digit, outputs, probabilities: divideBySum(outputs), normalisation: 'softmax' };
  let sum = 0;
  let negative = false;
  for (const v of outputs) {
    sum += v;
    if (v < 0) negative = true;
  }
  if (!negative && sum > 0) return { digit, outputs, probabilities: divideBySum(outputs), normalisation: 'sum' };
  const max = outputs[digit]!;
  const exps = outputs.map((v) => Math.exp(v - max));
  return { digit, outputs, probabilities: divideBySum(exps), normalisation: 'softmax-of-outputs' };
}

// Also applied to softmax outputs, so the ten shown values sum to 1 up to the last bit.
function divideBySum(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v;
  return values.map((v) => v / sum);
}

/**
 * A one-line description of a network: sizes, activations and cost.
 * @example
 * ```ts
 * describeModel(net); // '[784,100,10] · sigmoid · crossEntropy'
 * ```
 * @param net - the network
 */
export function describeModel(net: Network): string {
  const act = net.activation.name === net.outputActivation.name ? net.activation.name : `${net.activation.name}, ${net.outputActivation.name} output`;
  return `[${net.sizes.join(',')}] · ${act} · ${net.cost.name}`;
}
