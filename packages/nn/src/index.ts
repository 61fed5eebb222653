/**
 * `@nabla/nn`: modules (Dense, Sequential, custom layers by composition), Nielsen's `Network`,
 * activations, costs, initialisers, optimizers, save/load, and `backprop` — the four δ
 * equations BP1–BP4 written out by hand, an independent route to the gradients autodiff gives.
 * Saving to and loading from files (Node) is in `@nabla/nn/node`.
 *
 * @example
 * ```ts
 * import { Network, backprop, SGD } from '@nabla/nn';
 * const net = new Network([2, 3, 1], { seed: 1 });
 * const byGraph = net.gradients(X, Y);
 * const byEquations = backprop(net, X, Y); // the same numbers, by BP1–BP4
 * ```
 * @packageDocumentation
 * @module @nabla/nn
 */
export { Module } from './module.ts';
export { Dense, type DenseOptions, type DenseJSON } from './dense.ts';
export { Conv2d, MaxPool2d, AvgPool2d, type Conv2dLayerOptions, type ConvParams, type Conv2dJSON, type Pool2dJSON } from './conv-layers.ts';
export { backpropConv, type ConvBackpropNetwork, type ConvBackpropResult, type ConvPoolParams, type DenseParams } from './backprop-conv.ts';
export {
  Flatten,
  LayerNorm,
  Dropout,
  type DropoutLayerOptions,
  type DropoutJSON,
  layerFromJSON,
  modelToJSON,
  modelFromJSON,
  type LayerNormOptions,
  type FlattenJSON,
  type LayerNormJSON,
  type LayerJSON,
  type ModelJSON,
} from './layers.ts';
export { Sequential, type Layer } from './sequential.ts';
export { Network, type NetworkOptions, type Gradients, type ForwardTrace } from './network.ts';
export { sigmoid, relu, tanh, identity, softmax, getActivation, type Activation, type ActivationName } from './activations.ts';
export { quadratic, crossEntropy, logLikelihood, getCost, defaultOutputActivation, type Cost, type CostName, type Logits } from './costs.ts';
export { initLayer, initNetwork, checkInit, type InitName, type LayerInit } from './init.ts';
export { SGD, Adam, type Optimizer, type SGDOptions, type AdamOptions, type ParamGroup, type L2Options } from './optim.ts';
export { backprop, backpropPerExample, type BackpropNetwork, type BackpropResult } from './backprop.ts';
export { networkToJSON, parseNetworkJSON, ModelFormatError, type NetworkJSON, type ParsedNetwork, type SerializableNetwork } from './io.ts';
export { createTrainingEngine, type TrainingEngine, type TrainingEngineOptions, type EngineName, type BatchBuffers } from './engine.ts';
