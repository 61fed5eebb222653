// Loading a model file and classifying one 28×28 input with it, through @nabla/nn's own readers
// and forward passes: `Network.fromJSON` and `feedforward` for a dense network (version 1 or
// NumPy-style), `modelFromJSON` and `Sequential.forward` for a layer stack (version 2, what
// `nabla-mnist train --net … --out` writes) — the code the CLI runs in Node, no second
// implementation. No DOM here, so Node tests can import it too.
import { fromData, noGrad } from '@nabla/core';
import { AvgPool2d, Conv2d, Dense, Dropout, Flatten, LayerNorm, MaxPool2d, ModelFormatError, Network, Sequential, modelFromJSON } from '@nabla/nn';

/** Pixels of an MNIST image: the network's input size. */
export const INPUTS = 784;
/** Digits 0–9: the network's output size. */
export const OUTPUTS = 10;
/** The input of a layer stack: one 1×28×28 image, [m, C, H, W]. */
export const IMAGE_SHAPE = [1, 1, 28, 28] as const;

/** A model the page can run: a dense `Network` or a layer stack (`Sequential`). */
export type Model = Network | Sequential;

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
 * A model from the text of a model file: a layer stack in nabla's version-2 format
 * (`{ format: 'nabla-model', version: 2, layers }`, read by `modelFromJSON`), or a dense
 * network in nabla's version-1 `toJSON` form or NumPy-style `{ weights, biases }` (read by
 * `Network.fromJSON`). A dense network must have 784 inputs and 10 outputs; a layer stack must
 * take a [1, 1, 28, 28] image and give 10 outputs.
 *
 * @example
 * ```ts
 * const model = modelFromText(await file.text(), file.name);
 * ```
 * @param text - the file's contents
 * @param file - its name, for messages
 * @throws ModelLoadError naming the file and the field (`model.json: biases[1]: expected [10,1], got [10]`)
 */
export function modelFromText(text: string, file: string): Model {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(file, `not valid JSON (${(e as Error).message})`);
  }
  // The same rule as @nabla/nn's loadModule: a `format` field marks the version-2 layer format.
  const layered = typeof value === 'object' && value !== null && 'format' in value;
  let model: Model;
  try {
    model = layered ? modelFromJSON(value) : Network.fromJSON(value);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelLoadError(file, e.message);
    throw new ModelLoadError(file, (e as Error).message);
  }
  if (model instanceof Sequential) {
    model.eval();
    let outputs: number;
    try {
      outputs = runLayers(model, new Float64Array(INPUTS)).length;
    } catch (e) {
      throw new ModelLoadError(file, `the layers do not take a [${IMAGE_SHAPE.join(',')}] MNIST image (${(e as Error).message})`);
    }
    if (outputs !== OUTPUTS) throw new ModelLoadError(file, `expected ${OUTPUTS} outputs (an MNIST model), got ${outputs} from a [${IMAGE_SHAPE.join(',')}] image`);
    return model;
  }
  const first = model.sizes[0];
  const last = model.sizes[model.sizes.length - 1];
  if (first !== INPUTS || last !== OUTPUTS) {
    throw new ModelLoadError(file, `expected ${INPUTS} inputs and ${OUTPUTS} outputs (an MNIST model), got sizes [${model.sizes.join(',')}]`);
  }
  return model;
}

// One image through a layer stack, in evaluation mode (dropout off) and without recording a graph.
function runLayers(model: Sequential, input: Float64Array): Float64Array {
  const wasTraining = model.training;
  model.eval();
  try {
    return Float64Array.from(noGrad(() => model.forward(fromData(input, IMAGE_SHAPE))).data);
  } finally {
    model.train(wasTraining);
  }
}

/** How the ten outputs were turned into values that sum to 1. */
export type Normalisation = 'softmax' | 'sum' | 'softmax-of-outputs' | 'softmax-of-logits';

/** What the network says about one input. */
export interface Classification {
  /** The predicted digit: the index of the largest output. */
  readonly digit: number;
  /** The ten raw outputs: a^L of a dense network, the last layer's outputs (logits) of a layer stack. */
  readonly outputs: Float64Array;
  /** Ten values in [0, 1] that sum to 1. */
  readonly probabilities: Float64Array;
  /** `softmax`: the output layer already gives probabilities; otherwise how they were made. */
  readonly normalisation: Normalisation;
}

/**
 * Runs the model on one input and turns its ten outputs into values that sum to 1. A layer
 * stack (the image as [1, 1, 28, 28], in evaluation mode, under `noGrad`) ends in logits,
 * which go through a softmax. A dense network's softmax output layer already gives
 * probabilities; sigmoid (Nielsen's default) outputs are divided by their sum; outputs that can
 * be negative (tanh, identity) go through a softmax.
 *
 * @example
 * ```ts
 * const { digit, probabilities } = classify(model, preprocessDigit(rgba, 280, 280));
 * ```
 * @param model - a dense network with 784 inputs and 10 outputs, or a layer stack as {@link modelFromText} accepts
 * @param input - 784 grey levels in [0, 1], row-major
 */
export function classify(model: Model, input: Float64Array): Classification {
  const outputs = model instanceof Sequential ? runLayers(model, input) : Float64Array.from(model.feedforward(fromData(input, [INPUTS, 1])).data);
  let digit = 0;
  for (let i = 1; i < outputs.length; i++) if (outputs[i]! > outputs[digit]!) digit = i;
  const output = outputActivation(model);
  if (output === 'softmax') return { digit, outputs, probabilities: divideBySum(outputs), normalisation: 'softmax' };
  if (output === 'identity' && model instanceof Sequential) return { digit, outputs, probabilities: softmaxOf(outputs, digit), normalisation: 'softmax-of-logits' };
  let sum = 0;
  let negative = false;
  for (const v of outputs) {
    sum += v;
    if (v < 0) negative = true;
  }
  if (!negative && sum > 0) return { digit, outputs, probabilities: divideBySum(outputs), normalisation: 'sum' };
  return { digit, outputs, probabilities: softmaxOf(outputs, digit), normalisation: 'softmax-of-outputs' };
}

// The activation of the model's last layer ('identity' for logits); '' when it has none of its own.
function outputActivation(model: Model): string {
  if (model instanceof Network) return model.outputActivation.name;
  const last = model.layers[model.layers.length - 1];
  return last instanceof Dense || last instanceof Conv2d ? last.activation.name : '';
}

// exp(v − max) / Σ: the largest output's index is `best`.
function softmaxOf(values: Float64Array, best: number): Float64Array {
  const max = values[best]!;
  return divideBySum(values.map((v) => Math.exp(v - max)));
}

// Also applied to softmax outputs, so the ten shown values sum to 1 up to the last bit.
function divideBySum(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v;
  return values.map((v) => v / sum);
}

/**
 * A one-line description of a model. A dense network: sizes, activations and cost. A layer
 * stack: its layers in the `--net` notation of `nabla-mnist train`, then its hidden
 * activations and what the last layer outputs.
 * @example
 * ```ts
 * describeModel(net); // '[784,100,10] · sigmoid · crossEntropy'
 * describeModel(convNet); // 'conv:20x5,maxpool:2,dense:50,dense:10 · relu · logits'
 * ```
 * @param model - the model
 */
export function describeModel(model: Model): string {
  if (model instanceof Network) {
    const act = model.activation.name === model.outputActivation.name ? model.activation.name : `${model.activation.name}, ${model.outputActivation.name} output`;
    return `[${model.sizes.join(',')}] · ${act} · ${model.cost.name}`;
  }
  const parts: string[] = [];
  const hidden = new Set<string>();
  model.layers.forEach((layer, i) => {
    const last = i === model.layers.length - 1;
    if (layer instanceof Conv2d) {
      const extra = `${layer.stride === 1 ? '' : `/s${layer.stride}`}${layer.padding === 0 ? '' : `/p${layer.padding}`}`;
      parts.push(`conv:${layer.outChannels}x${layer.kernel}${extra}`);
      if (!last) hidden.add(layer.activation.name);
    } else if (layer instanceof MaxPool2d || layer instanceof AvgPool2d) {
      const kind = layer instanceof MaxPool2d ? 'maxpool' : 'avgpool';
      parts.push(`${kind}:${layer.kernel}${layer.stride === layer.kernel ? '' : `/s${layer.stride}`}`);
    } else if (layer instanceof Dense) {
      parts.push(`dense:${layer.weight.shape[0]}`);
      if (!last) hidden.add(layer.activation.name);
    } else if (layer instanceof Dropout) {
      parts.push(`dropout:${layer.rate}`);
    } else if (layer instanceof LayerNorm) {
      parts.push('layerNorm');
    } else if (!(layer instanceof Flatten)) {
      parts.push(layer.constructor.name);
    }
  });
  const output = outputActivation(model);
  const out = output === 'identity' ? 'logits' : output === '' ? 'outputs' : `${output} output`;
  return [parts.join(','), ...hidden, out].join(' · ');
}
