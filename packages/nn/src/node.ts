/**
 * `@nabla/nn/node` (Node only): saving networks to JSON files and loading them back, written
 * atomically. Kept apart from `@nabla/nn` so a browser bundle never sees `node:fs`.
 *
 * @example
 * ```ts
 * import { Network } from '@nabla/nn';
 * import { loadModel, saveModel } from '@nabla/nn/node';
 * await saveModel('model.json', new Network([784, 30, 10]));
 * const net = await loadModel('model.json');
 * ```
 * @packageDocumentation
 * @module @nabla/nn/node
 */
export { saveModel, loadModel, loadModule, writeFileAtomic, tempPathFor } from './persist.ts';
