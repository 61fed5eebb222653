import { Tensor } from '@nabla/core';

/**
 * Base class of layers and models: a `forward` and the parameters it learns. Parameters and
 * sub-modules are found by looking at the instance's own properties (tensors with
 * `requiresGrad`, modules, and arrays of either), as PyTorch's `nn.Module` registers
 * attributes, so a custom layer only assigns them.
 *
 * @example
 * ```ts
 * class Affine extends Module {
 *   weight = randn([4, 3], { seed: 1, requiresGrad: true });
 *   bias = zeros([4, 1], { requiresGrad: true });
 *   forward(x: Tensor) { return this.weight.matmul(x).add(this.bias); }
 * }
 * new Affine().namedParameters().map(([name]) => name); // ['weight', 'bias']
 * ```
 */
export abstract class Module {
  /**
   * Training mode (the default) or evaluation mode: layers that behave differently (dropout is
   * the identity in evaluation) read it. Set it with {@link Module.train} / {@link Module.eval},
   * which reach every sub-module.
   */
  training = true;

  /**
   * Computes the module's output for a batch `x` (examples as columns).
   * @param x - the input batch, examples as columns
   */
  abstract forward(x: Tensor): Tensor;

  /** Every learnable tensor of this module and its sub-modules, with dotted names (`layers.0.weight`). */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const visit = (value: unknown, path: string): void => {
      if (value instanceof Tensor) {
        if (value.requiresGrad && !seen.has(value)) {
          seen.add(value);
          out.push([path, value]);
        }
      } else if (value instanceof Module) {
        for (const [key, child] of Object.entries(value)) visit(child, path === '' ? key : `${path}.${key}`);
      } else if (Array.isArray(value)) {
        value.forEach((child, i) => visit(child, `${path}.${i}`));
      }
    };
    visit(this, '');
    return out;
  }

  /** Every learnable tensor, in the order of {@link Module.namedParameters}. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /**
   * Sets training mode on this module and every sub-module (PyTorch's `train()`). Returns `this`.
   * @param mode - true for training, false for evaluation
   */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode on this module and every sub-module (`train(false)`). Returns `this`. */
  eval(): this {
    return this.train(false);
  }

  /** This module and every sub-module, found as parameters are (own properties, arrays). */
  modules(): Module[] {
    const out: Module[] = [];
    const seen = new Set<Module>();
    const visit = (value: unknown): void => {
      if (value instanceof Module) {
        if (seen.has(value)) return;
        seen.add(value);
        out.push(value);
        for (const child of Object.values(value)) visit(child);
      } else if (Array.isArray(value)) value.forEach(visit);
    };
    visit(this);
    return out;
  }

  /** Clears the gradient of every parameter (gradients accumulate until cleared). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}
