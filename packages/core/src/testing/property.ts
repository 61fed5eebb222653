import fc from 'fast-check';
import type { Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { describeWorst, gradcheck, type GradcheckOptions } from '../gradcheck.ts';
import { tensorArb, type TensorArbOptions } from './arbitraries.ts';

/** Options of {@link gradcheckProperty}. */
export interface GradcheckPropertyOptions extends GradcheckOptions, TensorArbOptions {}

/**
 * A fast-check property: `f` passes `gradcheck` at random inputs of the given shapes (shapes
 * may themselves be arbitraries). When it fails, fast-check shrinks to the smallest failing
 * input and the message shows the worst element.
 *
 * @example
 * ```ts
 * fc.assert(gradcheckProperty((x) => x.tanh().sum(), [[3, 4]]), { seed: 42 });
 * fc.assert(gradcheckProperty((a, b) => a.mul(b).sum(), broadcastPairArb()));
 * ```
 * @param f - the function to check
 * @param shapes - one shape per input, or an arbitrary producing such a list
 * @param options - gradcheck tolerances and the value range of the inputs
 */
export function gradcheckProperty(
  f: (...inputs: Tensor[]) => Tensor,
  shapes: readonly Shape[] | fc.Arbitrary<readonly Shape[]>,
  options: GradcheckPropertyOptions = {},
): fc.IProperty<[Tensor[]]> {
  const shapesArb = Array.isArray(shapes) ? fc.constant(shapes as readonly Shape[]) : (shapes as fc.Arbitrary<readonly Shape[]>);
  const inputs = shapesArb.chain((list) => fc.tuple(...list.map((s) => tensorArb(s, options))));
  return fc.property(inputs, (xs: Tensor[]) => {
    const report = gradcheck(f, xs, options);
    if (!report.ok) {
      const shown = xs.map((x) => `[${x.shape.join(',')}]`).join(', ');
      throw new Error(`gradcheck failed for input shapes ${shown}: ${describeWorst(report)}`);
    }
  });
}
