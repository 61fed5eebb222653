/**
 * The op and the argument each op of ops.ts names when handed something that is not a tensor or a
 * number, pinned down where changing those names (`pnpm mutate`) went unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { DTypeError, type Tensor, tensor } from './index.ts';
import { broadcastTo, exp, matmul, max, pow, reshape, sum, sumTo, transpose, where } from './ops.ts';

describe('ops name themselves and the bad argument', () => {
  const bad = 'x' as unknown as Tensor;
  const m = tensor([[1, 2]]);
  const cases: [string, () => unknown, string][] = [
    ['exp', () => exp(bad), 'x'],
    ['pow', () => pow(bad, 2), 'x'],
    ['matmul', () => matmul(bad, m), 'a'],
    ['matmul', () => matmul(m, bad), 'b'],
    ['transpose', () => transpose(bad), 'x'],
    ['reshape', () => reshape(bad, [2]), 'x'],
    ['broadcastTo', () => broadcastTo(bad, [2]), 'x'],
    ['sum', () => sum(bad), 'x'],
    ['max', () => max(bad), 'x'],
    ['sumTo', () => sumTo(bad, [1]), 'x'],
    ['where', () => where(tensor([1]), bad, 1), 'a'],
    ['where', () => where(tensor([1]), 1, bad), 'b'],
  ];
  for (const [op, call, arg] of cases) {
    it(`throws when ${op} gets a string as '${arg}'`, () => {
      expect(call).toThrow(DTypeError);
      expect(call).toThrow(new RegExp(`^${op}: argument '${arg}' must be a Tensor or a number`));
    });
  }
});
