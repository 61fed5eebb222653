import type { Shape } from './shape.ts';

/**
 * Formats a shape the way every error message in nabla prints it: `[30,784]`.
 * @param shape - the shape to print
 */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/**
 * Thrown when tensor shapes do not fit an op: mismatched inner dimensions, shapes that cannot
 * broadcast, a reshape to a different element count, an axis out of range.
 *
 * @example
 * ```ts
 * try { matmul(zeros([30, 784]), zeros([783, 10])); }
 * catch (e) { if (e instanceof ShapeError) console.log(e.op, e.shapes); }
 * // matmul: inner dimensions differ: [30,784] @ [783,10]
 * ```
 */
export class ShapeError extends RangeError {
  /** The class name, `'ShapeError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'ShapeError';
  /** The op that rejected its arguments. */
  readonly op: string;
  /** The shapes it was given, in argument order. */
  readonly shapes: readonly Shape[];
  /**
   * Builds the message `${op}: ${problem}`.
   * @param op - the op that rejected its arguments
   * @param problem - what is wrong, with the values (shapes are usually part of it)
   * @param shapes - the offending shapes, kept for programs that inspect the error
   */
  constructor(op: string, problem: string, shapes: readonly Shape[] = []) {
    super(`${op}: ${problem}`);
    this.op = op;
    this.shapes = shapes;
  }
}

/**
 * Thrown when a value has the wrong type for an op: a string where a number belongs, a
 * `Float32Array` where float64 storage is required, a non-tensor argument.
 *
 * @example
 * ```ts
 * tensor([[1, 'x']]); // DTypeError: tensor: expected a number at [0][1], got string
 * ```
 */
export class DTypeError extends TypeError {
  /** The class name, `'DTypeError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'DTypeError';
  /** The op that rejected its argument. */
  readonly op: string;
  /**
   * Builds the message `${op}: ${problem}`.
   * @param op - the op that rejected its argument
   * @param problem - what is wrong, quoting the value or its type
   */
  constructor(op: string, problem: string) {
    super(`${op}: ${problem}`);
    this.op = op;
  }
}

/**
 * Thrown when autodiff is asked for something the graph cannot give: `backward()` on a tensor
 * that no input with `requiresGrad` produced, or a non-scalar `backward()` without a seed.
 *
 * @example
 * ```ts
 * tensor([1, 2]).sum().backward(); // GradError: backward: the tensor does not require grad …
 * ```
 */
export class GradError extends Error {
  /** The class name, `'GradError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'GradError';
  /**
   * Builds the message `${op}: ${problem}`.
   * @param op - where it happened (`backward`, `grad`, a custom op's name)
   * @param problem - what is wrong
   */
  constructor(op: string, problem: string) {
    super(`${op}: ${problem}`);
  }
}

/**
 * Thrown with anomaly detection on (`setDetectAnomaly(true)`, or `backward()`'s
 * `detectAnomaly`): by `backward()` when an op's backward rule produces NaN or Infinity, naming
 * the op, the input and the first bad element; by the forward pass at the first op whose output
 * is non-finite, naming the op and, when the value came in through an input (a pixel, a
 * weight), that input and the element.
 *
 * @example
 * ```ts
 * const x = tensor([0], { requiresGrad: true });
 * x.log().sum().backward(undefined, { detectAnomaly: true });
 * // AnomalyError: log: backward produced Infinity in the gradient of input 0 (shape [1]) at flat index 0
 * ```
 */
export class AnomalyError extends Error {
  /** The class name, `'AnomalyError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'AnomalyError';
  /** The op whose backward rule produced the bad value. */
  readonly op: string;
  /** Which input's gradient held it (backward), or carried it in (forward); −1 when the op made it. */
  readonly inputIndex: number;
  /** Flat index of the first non-finite element. */
  readonly index: number;
  /** The value found there (NaN, Infinity or -Infinity). */
  readonly value: number;
  /**
   * Builds the message naming the op, the input, the gradient's shape and the element.
   * @param op - the op whose backward produced the value
   * @param inputIndex - the input whose gradient holds it
   * @param shape - that gradient's shape
   * @param index - flat index of the first non-finite element
   * @param value - the value found there
   */
  constructor(op: string, inputIndex: number, shape: Shape, index: number, value: number, message?: string) {
    super(message ?? `${op}: backward produced ${value} in the gradient of input ${inputIndex} (shape ${formatShape(shape)}) at flat index ${index}`);
    this.op = op;
    this.inputIndex = inputIndex;
    this.index = index;
    this.value = value;
  }

  /**
   * The forward output of `op` became non-finite from finite inputs (inputIndex −1).
   * @param op - the op
   * @param shape - its output's shape
   * @param index - flat index of the first non-finite output element
   * @param value - the value there
   */
  static produced(op: string, shape: Shape, index: number, value: number): AnomalyError {
    return new AnomalyError(op, -1, shape, index, value, `${op}: forward produced ${value} at flat index ${index} of its output (shape ${formatShape(shape)}) from finite inputs`);
  }

  /**
   * A non-finite value came into the forward pass through input `inputIndex` of `op`.
   * @param op - the first op whose output was non-finite
   * @param inputIndex - the input that carried the value
   * @param name - that input's name, if any
   * @param shape - that input's shape
   * @param index - flat index of the first non-finite element in it
   * @param value - the value there
   * @param leaf - the input is a leaf (data or a parameter) rather than an op's result
   */
  static carried(op: string, inputIndex: number, name: string | undefined, shape: Shape, index: number, value: number, leaf: boolean): AnomalyError {
    const who = `input ${inputIndex}${name !== undefined ? ` (${name})` : ''} of shape ${formatShape(shape)}`;
    const kind = leaf ? 'a leaf: the value was in the data or a parameter' : 'computed with anomaly checks off';
    return new AnomalyError(op, inputIndex, shape, index, value, `${op}: ${who} holds ${value} at flat index ${index} (${kind}); it made the output non-finite`);
  }
}
