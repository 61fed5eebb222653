import { ShapeError, type Tensor } from '@nabla/core';

/** Parameters that share optimizer settings; `l2: true` applies weight decay to them. */
export interface ParamGroup {
  /** The tensors to update (their `.grad` is read). */
  params: Tensor[];
  /** Apply L2 regularisation to this group (weights: yes, biases: no, as in Nielsen). */
  l2?: boolean;
}

/** L2 regularisation as in Nielsen's network2: λ, and n the size of the training set. */
export interface L2Options {
  /** λ (default 0: none). */
  lambda?: number;
  /** n, the number of training examples (required when λ > 0). */
  n?: number;
}

/** Something that updates parameters from their gradients. */
export interface Optimizer {
  /**
   * Applies one update to every parameter from its `.grad` (parameters without one are skipped).
   * @throws ShapeError, before changing anything, when a `.grad` has another shape than its parameter
   */
  step(): void;
  /** Clears the gradients of every parameter. */
  zeroGrad(): void;
}

function groupsOf(params: Tensor[] | ParamGroup[]): ParamGroup[] {
  if (params.length === 0) return [];
  return 'params' in (params[0] as object) ? (params as ParamGroup[]) : [{ params: params as Tensor[], l2: true }];
}

// Every gradient is checked before any parameter changes, so a bad one leaves the step undone
// rather than half done. Parameters are named by position (and by `name` when they have one).
function checkGradShapes(groups: readonly ParamGroup[], plain: boolean, who: string): void {
  groups.forEach((group, g) =>
    group.params.forEach((p, i) => {
      if (p.grad === null) return;
      const a = p.shape;
      const b = p.grad.shape;
      if (a.length === b.length && a.every((d, k) => d === b[k])) return;
      const where = `${plain ? '' : `groups[${g}].`}params[${i}]${p.name !== undefined ? ` ('${p.name}')` : ''}`;
      throw new ShapeError(`${who}.step`, `the gradient of ${where} has shape [${b.join(',')}], but the parameter has shape [${a.join(',')}]`, [a, b]);
    }),
  );
}

function isPlainList(params: Tensor[] | ParamGroup[]): boolean {
  return params.length > 0 && !('params' in (params[0] as object));
}

function decayFactor(eta: number, o: L2Options, who: string): number {
  const lambda = o.lambda ?? 0;
  if (lambda === 0) return 1;
  if (o.n === undefined || !(o.n > 0)) throw new RangeError(`${who}: L2 regularisation (lambda ${lambda}) needs n, the training set size, > 0`);
  return 1 - (eta * lambda) / o.n;
}

function checkRate(eta: number, who: string): void {
  if (!(typeof eta === 'number' && Number.isFinite(eta) && eta > 0)) throw new RangeError(`${who}: eta must be a positive number, got ${String(eta)}`);
}

/** Options of {@link SGD}. */
export interface SGDOptions extends L2Options {
  /** Learning rate η. */
  eta: number;
  /** Momentum coefficient μ (default 0: plain SGD). */
  momentum?: number;
}

/**
 * Stochastic gradient descent, exactly Nielsen's update: w ← w − η ∇C (the gradient already
 * averaged over the mini-batch), with L2 as in network2: w ← (1 − ηλ/n) w − η ∇C. With
 * `momentum` μ: v ← μv − η∇C, w ← (1 − ηλ/n) w + v (Nielsen ch. 3's momentum-based descent).
 *
 * @example
 * ```ts
 * const opt = new SGD(net.paramGroups(), { eta: 3 });
 * net.gradients(X, Y); // fills .grad
 * opt.step();
 * ```
 */
export class SGD implements Optimizer {
  private readonly groups: ParamGroup[];
  private readonly plain: boolean;
  private readonly velocity = new Map<Tensor, Float64Array>();
  private readonly options: SGDOptions;
  private readonly decay: number;

  /**
   * Creates the optimizer over the given parameters.
   * @param params - tensors (L2 applies to all) or groups with their own `l2` flag
   * @param options - `eta`, `momentum`, `lambda`, `n`
   */
  constructor(params: Tensor[] | ParamGroup[], options: SGDOptions) {
    checkRate(options.eta, 'SGD');
    this.groups = groupsOf(params);
    this.plain = isPlainList(params);
    this.options = options;
    this.decay = decayFactor(options.eta, options, 'SGD');
  }

  step(): void {
    checkGradShapes(this.groups, this.plain, 'SGD');
    const { eta, momentum = 0 } = this.options;
    for (const group of this.groups) {
      const decay = group.l2 ? this.decay : 1;
      for (const p of group.params) {
        if (p.grad === null) continue;
        const w = p.data;
        const g = p.grad.data;
        if (momentum === 0) {
          for (let i = 0; i < w.length; i++) w[i] = decay * w[i]! - eta * g[i]!;
          continue;
        }
        let v = this.velocity.get(p);
        if (v === undefined) this.velocity.set(p, (v = new Float64Array(w.length)));
        for (let i = 0; i < w.length; i++) {
          v[i] = momentum * v[i]! - eta * g[i]!;
          w[i] = decay * w[i]! + v[i]!;
        }
      }
    }
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.zeroGrad();
  }
}

/** Options of {@link Adam}. */
export interface AdamOptions extends L2Options {
  /** Step size (default 0.001). */
  eta?: number;
  /** Decay of the first-moment estimate (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-8). */
  epsilon?: number;
}

/**
 * Adam (Kingma & Ba) with bias correction. L2, when asked for, adds (λ/n)·w to the gradient of
 * the `l2` groups before the moments, the coupled form.
 *
 * NOTE: a parameter whose `.grad` is `null` is skipped (its moments stay as they were), and a
 * `step()` in which no parameter has a gradient changes nothing and is not counted, so it does
 * not shift the bias correction (1 − β^t) of later steps.
 *
 * @example
 * ```ts
 * const opt = new Adam(net.paramGroups(), { eta: 1e-3 });
 * ```
 */
export class Adam implements Optimizer {
  private readonly groups: ParamGroup[];
  private readonly plain: boolean;
  private readonly moments = new Map<Tensor, { m: Float64Array; v: Float64Array }>();
  private readonly options: Required<Omit<AdamOptions, 'n'>> & { n: number };
  private t = 0;

  /**
   * Creates the optimizer over the given parameters (moments start at 0).
   * @param params - tensors or groups with their own `l2` flag
   * @param options - `eta`, `beta1`, `beta2`, `epsilon`, `lambda`, `n`
   */
  constructor(params: Tensor[] | ParamGroup[], options: AdamOptions = {}) {
    const eta = options.eta ?? 1e-3;
    checkRate(eta, 'Adam');
    const lambda = options.lambda ?? 0;
    if (lambda !== 0) decayFactor(eta, options, 'Adam');
    this.groups = groupsOf(params);
    this.plain = isPlainList(params);
    this.options = { eta, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, epsilon: options.epsilon ?? 1e-8, lambda, n: options.n ?? 1 };
  }

  step(): void {
    checkGradShapes(this.groups, this.plain, 'Adam');
    // A step in which no parameter has a gradient is no step: counting it would change the
    // bias correction of every later update.
    if (!this.groups.some((group) => group.params.some((p) => p.grad !== null))) return;
    const { eta, beta1, beta2, epsilon, lambda, n } = this.options;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (const group of this.groups) {
      const l2 = group.l2 ? lambda / n : 0;
      for (const p of group.params) {
        if (p.grad === null) continue;
        let s = this.moments.get(p);
        if (s === undefined) this.moments.set(p, (s = { m: new Float64Array(p.size), v: new Float64Array(p.size) }));
        const w = p.data;
        const g = p.grad.data;
        for (let i = 0; i < w.length; i++) {
          const gi = g[i]! + l2 * w[i]!;
          s.m[i] = beta1 * s.m[i]! + (1 - beta1) * gi;
          s.v[i] = beta2 * s.v[i]! + (1 - beta2) * gi * gi;
          w[i] = w[i]! - (eta * (s.m[i]! / c1)) / (Math.sqrt(s.v[i]! / c2) + epsilon);
        }
      }
    }
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.zeroGrad();
  }
}
