/**
 * `@nabla/core/testing`: a kit for people who test their own gradients — fast-check
 * arbitraries for shapes and tensors, shrinkable gradcheck and gradgradcheck properties, and
 * vitest matchers.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { gradcheckProperty, broadcastPairArb } from '@nabla/core/testing';
 * fc.assert(gradcheckProperty((a, b) => a.mul(b).sum(), broadcastPairArb()), { seed: 1 });
 * ```
 * @packageDocumentation
 * @module @nabla/core/testing
 */
export { shapeArb, tensorArb, broadcastPairArb, type ShapeArbOptions, type TensorArbOptions } from './arbitraries.ts';
export { gradcheckProperty, gradgradcheckProperty, type GradcheckPropertyOptions } from './property.ts';
export { registerMatchers, allcloseMismatch, type AllcloseOptions } from './matchers.ts';
export { propertyConfig } from './config.ts';
