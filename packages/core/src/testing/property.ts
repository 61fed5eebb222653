import fc from 'fast-check';
import type { Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { type GradcheckReport, describeWorst, gradcheck, gradgradcheck, type GradcheckOptions } from '../gradcheck.ts';
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
  return checkProperty('gradcheck', gradcheck, f, shapes, options);
}

/**
 * A fast-check property: `f` passes `gradgradcheck` (its second derivatives agree with central
 * differences of its first) at random inputs of the given shapes; shrinks like
 * {@link gradcheckProperty}.
 *
 * @example
 * ```ts
 * fc.assert(gradgradcheckProperty((x) => x.sigmoid(), [[3, 4]]), { seed: 42 });
 * ```
 * @param f - the function to check
 * @param shapes - one shape per input, or an arbitrary producing such a list
 * @param options - tolerances and the value range of the inputs
 */
export function gradgradcheckProperty(
  f: (...inputs: Tensor[]) => Tensor,
  shapes: readonly Shape[] | fc.Arbitrary<readonly Shape[]>,
  options: GradcheckPropertyOptions = {},
): fc.IProperty<[Tensor[]]> {
  return checkProperty('gradgradcheck', gradgradcheck, f, shapes, options);
}

function checkProperty(
  name: string,
  check: (f: (...inputs: Tensor[]) => Tensor, xs: Tensor[], options: GradcheckOptions) => GradcheckReport,
  f: (...inputs: Tensor[]) => Tensor,
  shapes: readonly Shape[] | fc.Arbitrary<readonly Shape[]>,
  options: GradcheckPropertyOptions,
): fc.IProperty<[Tensor[]]> {
  const shapesArb = Array.isArray(shapes) ? fc.constant(shapes as readonly Shape[]) : (shapes as fc.Arbitrary<readonly Shape[]>);
  const inputs = shapesArb.chain((list) => fc.tuple(...list.map((s) => tensorArb(s, options))));
  return fc.property(inputs, (xs: Tensor[]) => {
    const report = check(f, xs, options);
    if (!report.ok) {
      const shown = xs.map((x) => `[${x.shape.join(',')}]`).join(', ');
      throw new Error(`${name} failed for input shapes ${shown}: ${describeWorst(report)}`);
    }
  });
}
