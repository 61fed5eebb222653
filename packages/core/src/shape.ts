import { DTypeError, ShapeError, formatShape } from './errors.ts';

/** A tensor's dimensions, outermost first; `[]` is a scalar (0-d) tensor. */
export type Shape = readonly number[];

/**
 * Number of elements of a shape (1 for a scalar).
 * @example
 * ```ts
 * sizeOf([30, 784]); // 23520
 * sizeOf([]);        // 1
 * ```
 * @param shape - the dimensions
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides of a contiguous tensor of this shape.
 * @param shape - the tensor's shape
 */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * True when both shapes have the same rank and dimensions.
 * @param a - first shape
 * @param b - second shape
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The most elements one tensor can hold: V8's limit on a typed array's length (2^32 on 64-bit
 * Node 20). A larger shape is rejected up front instead of failing inside `new Float64Array`.
 */
export const MAX_ELEMENTS = 2 ** 32;

/**
 * Checks that a shape is a list of non-negative integers with at most {@link MAX_ELEMENTS}
 * elements in all; `op` names the caller in the error.
 * @param shape - the shape to check
 * @param op - the caller, named in the error
 */
export function validateShape(shape: Shape, op: string): void {
  if (!Array.isArray(shape)) throw new ShapeError(op, `shape must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(op, `shape ${formatShape(shape)} has an invalid dimension ${String(d)}`, [shape]);
    }
  }
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) throw new ShapeError(op, `shape ${formatShape(shape)} has ${n} elements, more than the ${MAX_ELEMENTS} a tensor can hold`, [shape]);
}

/**
 * Resolves an axis that may count from the end (`-1` is the last) against a rank.
 * @param axis - an axis, negative counting from the end
 * @param shape - the shape it indexes
 * @param op - the caller, named in the error
 * @throws ShapeError when the axis is outside the shape.
 */
export function normalizeAxis(axis: number, shape: Shape, op: string): number {
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(op, `axis ${axis} out of range for shape ${formatShape(shape)}`, [shape]);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * The shape NumPy broadcasting gives two shapes: align from the right; each pair of dimensions
 * must be equal or one of them 1.
 *
 * @example
 * ```ts
 * broadcastShapes([30, 10], [30, 1], 'add'); // [30, 10]
 * broadcastShapes([2, 3], [4], 'add');       // ShapeError: add: shapes [2,3] and [4] cannot be broadcast
 * ```
 * @param a - first shape
 * @param b - second shape
 * @param op - the op asking, for the error message
 */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast`, [a, b]);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for reading a tensor of `shape` as if it had the (broadcast) shape `target`:
 * broadcast dimensions get stride 0, so one element is read again and again.
 * @param shape - the tensor's own shape
 * @param target - the shape `shape` broadcasts to
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const offset = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/**
 * The shape of a reduction over `axes` with those axes kept as size 1 (NumPy's keepdims).
 * @example
 * ```ts
 * keptShape([30, 10], [1]); // [30, 1]
 * ```
 * @param shape - the input's shape
 * @param axes - the reduced axes (non-negative)
 */
export function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Names what a value is, for error messages: `undefined`, `Tensor`, `an array of length 3`.
 * @param v - any value
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') {
    const name = (v as { constructor?: { name?: string } }).constructor?.name;
    return name !== undefined && name !== 'Object' ? name : 'object';
  }
  return typeof v;
}

/**
 * Checks that an axis argument is a number (not a tensor, not a list), then resolves it.
 * @param axis - the argument as given
 * @param shape - the shape it indexes
 * @param op - the caller, named in the error
 * @param arg - the argument's name, named in the error
 * @throws DTypeError when `axis` is not a number; ShapeError when it is out of range
 */
export function axisArg(axis: unknown, shape: Shape, op: string, arg = 'axis'): number {
  if (typeof axis !== 'number') throw new DTypeError(op, `argument '${arg}' must be an integer axis, got ${describeValue(axis)}`);
  return normalizeAxis(axis, shape, op);
}

/**
 * Checks that an argument is an array of integers (a begin, a size, a list of axes).
 * @param v - the argument as given
 * @param op - the caller, named in the error
 * @param arg - the argument's name, named in the error
 * @throws DTypeError when `v` is not an array of integers
 */
export function intListArg(v: unknown, op: string, arg: string): number[] {
  const ok = (Array.isArray(v) || v instanceof Int32Array) && Array.prototype.every.call(v, (e: unknown) => Number.isInteger(e));
  if (!ok) throw new DTypeError(op, `argument '${arg}' must be an array of integers, got ${describeValue(v)}`);
  return Array.from(v as ArrayLike<number>);
}
