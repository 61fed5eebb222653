/**
 * matmulT (the product the rules of matmul build their gradients with) names itself and the
 * operand when one is not a tensor, as matmul does.
 */
import { describe, expect, it } from 'vitest';
import { DTypeError, zeros } from './index.ts';
import { matmulT } from './ops.ts';

describe('matmulT with an operand that is not a tensor', () => {
  it("names the op and argument 'a'", () => {
    expect(() => matmulT([[1]] as never, zeros([1, 1]), false, false)).toThrow(DTypeError);
    expect(() => matmulT([[1]] as never, zeros([1, 1]), false, false)).toThrow(/^matmul: argument 'a' must be a Tensor or a number, got an array of length 1$/);
  });

  it("names the op and argument 'b'", () => {
    expect(() => matmulT(zeros([1, 1]), 'b' as never, false, true)).toThrow(DTypeError);
    expect(() => matmulT(zeros([1, 1]), 'b' as never, false, true)).toThrow(/^matmul: argument 'b' must be a Tensor or a number, got string$/);
  });
});
