/**
 * `@nabla/core`: tensors whose ops record a graph, reverse-mode autodiff over it, NumPy
 * broadcasting, functional `grad`, numerical `gradcheck`, user-defined ops and graph export.
 *
 * @example
 * ```ts
 * import { tensor } from '@nabla/core';
 * const a = tensor(-4, { requiresGrad: true });
 * const b = tensor(2, { requiresGrad: true });
 * const c = a.mul(b).add(b.pow(3));
 * c.backward();
 * console.log(a.grad?.item(), b.grad?.item()); // 2, 8
 * ```
 * @packageDocumentation
 * @module @nabla/core
 */
export {
  Tensor,
  tensor,
  fromData,
  zeros,
  ones,
  full,
  randn,
  noGrad,
  withGradMode,
  isGradEnabled,
  type DType,
  type NestedArray,
  type TensorLike,
  type TensorOptions,
  type RandnOptions,
  type GraphNode,
  type BackwardRule,
} from './tensor.ts';
export {
  add,
  mul,
  neg,
  exp,
  log,
  abs,
  pow,
  sigmoid,
  softplus,
  relu,
  tanh,
  matmul,
  matmulT,
  transpose,
  reshape,
  broadcastTo,
  sumTo,
  sum,
  max,
  where,
  sign,
  greater,
  greaterEqual,
  less,
  lessEqual,
  equal,
} from './ops.ts';
export { sub, div, sqrt, square, mean, softmax, logSoftmax } from './composite.ts';
export { squeeze, expandDims, flatten, slice, pad, concat, stack, split, unstack, gather, oneHot } from './indexing.ts';
export { sin, cos, log1p, maximum, minimum, clip, argmax, logSumExp, variance } from './math.ts';
export { rand, bernoulli, dropout, type RandomOptions, type DropoutOptions } from './sampling.ts';
export { conv2d, maxPool2d, avgPool2d, type Conv2dOptions, type Pool2dOptions } from './conv.ts';
export {
  backward,
  grad,
  valueAndGrad,
  vjp,
  jvp,
  hvp,
  jacobian,
  hessian,
  setDetectAnomaly,
  isAnomalyDetectionEnabled,
  type BackwardOptions,
  type ValueAndGrad,
  type JvpResult,
  type VjpResult,
} from './autograd.ts';
export {
  gradcheck,
  assertGradcheck,
  gradgradcheck,
  assertGradgradcheck,
  GradcheckError,
  type GradcheckOptions,
  type GradcheckReport,
  type GradcheckEntry,
} from './gradcheck.ts';
export { customOp, type CustomOpSpec, type CustomOpContext } from './custom.ts';
export { toDot, type DotOptions } from './dot.ts';
export { trace, type Tape, type TapeBuffer, type TraceOptions } from './tape.ts';
export { ShapeError, DTypeError, GradError, AnomalyError } from './errors.ts';
export { type Shape, broadcastShapes, sizeOf } from './shape.ts';
export { sumToShape } from './broadcast.ts';
export { createRng, manualSeed, type Rng } from './random.ts';
export { createKernels, type MatrixKernels, type KernelOptions, type FloatDType, type FloatArrayOf } from './backend.ts';
export { wasmSimdSupported } from './kernels/wasm.ts';
