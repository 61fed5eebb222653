/**
 * `@nabla/nn/testing`: a conformance kit for layers. `checkModule` runs, on any `Module` a user
 * writes, the checks a layer should pass: gradients against central differences for every
 * parameter and for the input, second derivatives where the layer is smooth, batch
 * independence, the same output for the same seed, train/eval differing only for stochastic
 * layers, a `toJSON` round trip, and a typed error for a wrong input shape.
 *
 * @example
 * ```ts
 * import { checkModule } from '@nabla/nn/testing';
 * const report = checkModule((seed) => new Dense(3, 2, { seed }), { inputShape: [3, 4] });
 * report.ok; // true; report.checks lists each check with what it found
 * ```
 * @packageDocumentation
 * @module @nabla/nn/testing
 */
import { DTypeError, GradError, GradcheckError, ShapeError, type Shape, Tensor, fromData, gradcheck, gradgradcheck, randn } from '@nabla/core';
import { expect } from 'vitest';
import { Module } from './module.ts';
import { layerFromJSON } from './layers.ts';

/** Options of {@link checkModule}. */
export interface CheckModuleOptions {
  /** Shape of an input batch, e.g. [features, m] for Dense-style layers or [m, C, H, W]. */
  inputShape: Shape;
  /** The axis along which examples lie in the input (default: 1 for a rank-2 input, else 0). */
  batchAxis?: number;
  /** The axis along which examples lie in the output (default: 1 for a rank-2 output, else 0). */
  outputBatchAxis?: number;
  /**
   * An input shape the module must reject with a typed error (default: `inputShape` with its
   * first non-batch dimension one larger); `null` for a layer that takes any shape.
   */
  wrongInputShape?: Shape | null;
  /** Seed of the random input batch (default 1). */
  seed?: number;
  /** Also run gradgradcheck (default true; turn it off for layers with kinks, such as relu or max-pooling). */
  secondOrder?: boolean;
  /** The layer is random in training mode (dropout): its train and eval outputs may differ (default false). */
  stochastic?: boolean;
  /**
   * Rebuilds the module from its `toJSON` form (default: `layerFromJSON`, for built-in layers).
   * @param json - the parsed saved form
   */
  fromJSON?: (json: unknown) => Module;
  /** gradcheck tolerances (default rtol 1e-5, atol 1e-7, in float64). */
  rtol?: number;
  /** Absolute tolerance of the gradient checks. */
  atol?: number;
}

/** One check's outcome. */
export interface ModuleCheck {
  /** What was checked. */
  name: string;
  /** Passed (a skipped check counts as passed). */
  ok: boolean;
  /** Not run, and why (in `detail`). */
  skipped: boolean;
  /** What was found. */
  detail: string;
}

/** What {@link checkModule} found. */
export interface ModuleReport {
  /** Every check passed. */
  ok: boolean;
  /** Each check, in the order run. */
  checks: ModuleCheck[];
}

/** Parameters by their dotted path, set on the module (and set back) around a computation. */
function withParameters<T>(module: Module, params: readonly Tensor[], fn: () => T): T {
  const paths = module.namedParameters().map(([path]) => path.split('.'));
  const holders = paths.map((keys) => {
    let holder: Record<string, unknown> = module as unknown as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) holder = holder[k] as Record<string, unknown>;
    return [holder, keys[keys.length - 1]!] as const;
  });
  const originals = holders.map(([h, k]) => h[k]);
  holders.forEach(([h, k], i) => (h[k] = params[i]));
  try {
    return fn();
  } finally {
    holders.forEach(([h, k], i) => (h[k] = originals[i]));
  }
}

/** Example `j` of a batch, as a batch of one (raw values: no graph). */
function example(t: Tensor, axis: number, j: number): Tensor {
  const shape = t.shape;
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const n = shape[axis]!;
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) out.set(t.data.subarray((o * n + j) * inner, (o * n + j + 1) * inner), o * inner);
  return fromData(out, shape.map((d, i) => (i === axis ? 1 : d)));
}

function maxDifference(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/**
 * Runs the conformance checks on a module (or on a factory of modules, which also lets the
 * same-seed check run): gradcheck with respect to every parameter and the input (float64, in
 * eval mode), gradgradcheck (unless `secondOrder: false`), batch independence (one example at a
 * time equals the batch), the same output for the same seed, train/eval differing only for
 * stochastic layers, a `toJSON` round trip giving equal outputs, and a typed error for a wrong
 * input shape. The module's training flag is restored afterwards.
 *
 * @example
 * ```ts
 * const report = checkModule((seed) => new Sequential(new Dense(3, 4, { seed }), new LayerNorm(4)), { inputShape: [3, 5] });
 * for (const c of report.checks) console.log(c.ok ? 'ok  ' : 'FAIL', c.name, c.detail);
 * ```
 * @param subject - the module, or a function making one from a seed
 * @param options - `inputShape` and the rest of {@link CheckModuleOptions}
 */
export function checkModule(subject: Module | ((seed: number) => Module), options: CheckModuleOptions): ModuleReport {
  const factory = subject instanceof Module ? null : subject;
  const module = subject instanceof Module ? subject : subject(1);
  if (!(module instanceof Module)) throw new GradError('checkModule', `expected a Module or a function returning one, got ${typeof module}`);
  const { inputShape, seed = 1, secondOrder = true, stochastic = false, rtol = 1e-5, atol = 1e-7 } = options;
  const batchAxis = options.batchAxis ?? (inputShape.length === 2 ? 1 : 0);
  if (!(batchAxis >= 0 && batchAxis < inputShape.length)) throw new ShapeError('checkModule', `batchAxis ${batchAxis} is outside the input shape [${inputShape.join(',')}]`, [inputShape]);
  const checks: ModuleCheck[] = [];
  const run = (name: string, fn: () => string | { skipped: string }): void => {
    try {
      const r = fn();
      checks.push(typeof r === 'string' ? { name, ok: true, skipped: false, detail: r } : { name, ok: true, skipped: true, detail: r.skipped });
    } catch (e) {
      checks.push({ name, ok: false, skipped: false, detail: e instanceof Error ? e.message : String(e) });
    }
  };
  const wasTraining = module.training;
  const x = randn(inputShape, { seed });
  const params = module.parameters();
  const f = (...ts: Tensor[]): Tensor => withParameters(module, ts.slice(0, -1), () => module.forward(ts[ts.length - 1]!));
  const named = [...params.map((p, i) => Object.assign(new Tensor(p.data, p.shape), { name: module.namedParameters()[i]![0] })), Object.assign(x.clone(), { name: 'input' })];
  try {
    module.eval();
    run('gradcheck (every parameter and the input)', () => {
      const r = gradcheck(f, named, { rtol, atol });
      if (!r.ok) throw new GradcheckError(r);
      return `${r.checked} elements, max relative error ${r.maxRelError.toExponential(2)}`;
    });
    run('gradgradcheck (second derivatives)', () => {
      if (!secondOrder) return { skipped: 'secondOrder: false' };
      const r = gradgradcheck(f, named, { rtol, atol: Math.max(atol, 1e-6) });
      if (!r.ok) throw new GradcheckError(r);
      return `${r.checked} elements, max relative error ${r.maxRelError.toExponential(2)}`;
    });
    run('batch independence (each example alone equals its part of the batch)', () => {
      const whole = module.forward(x);
      const outAxis = options.outputBatchAxis ?? (whole.rank === 2 ? 1 : 0);
      let worst = 0;
      for (let j = 0; j < inputShape[batchAxis]!; j++) {
        worst = Math.max(worst, maxDifference(module.forward(example(x, batchAxis, j)), example(whole, outAxis, j)));
      }
      if (!(worst <= 1e-12 * Math.max(1, maxAbs(whole)))) throw new Error(`examples alone differ from the batch by up to ${worst}`);
      return `${inputShape[batchAxis]} examples, largest difference ${worst.toExponential(2)}`;
    });
    run('same seed, same output', () => {
      if (factory === null) return { skipped: 'pass a factory (seed) => module to check it' };
      const a = factory(7).train().forward(x);
      const b = factory(7).train().forward(x);
      const d = maxDifference(a, b);
      if (d !== 0) throw new Error(`two modules made with seed 7 differ by up to ${d}`);
      return 'two modules made with seed 7 give identical outputs';
    });
    run(stochastic ? 'train/eval: eval is deterministic, train is not' : 'train/eval: the same output in both modes', () => {
      const e1 = module.eval().forward(x);
      const e2 = module.forward(x);
      if (maxDifference(e1, e2) !== 0) throw new Error('two calls in eval mode differ');
      const t = module.train().forward(x);
      const d = maxDifference(t, e1);
      module.eval();
      if (!stochastic && d > 1e-12 * Math.max(1, maxAbs(e1))) throw new Error(`train and eval outputs differ by up to ${d}; if the layer is random in training, say stochastic: true`);
      if (stochastic && d === 0) throw new Error('train and eval outputs are equal for a layer declared stochastic');
      return stochastic ? `train differs from eval by up to ${d.toExponential(2)}` : 'equal';
    });
    run('toJSON / fromJSON round trip', () => {
      const withJSON = module as Module & { toJSON?: () => unknown };
      if (typeof withJSON.toJSON !== 'function') return { skipped: 'the module has no toJSON' };
      const json: unknown = JSON.parse(JSON.stringify(withJSON.toJSON()));
      const rebuilt = (options.fromJSON ?? layerFromJSON)(json).eval();
      const d = maxDifference(rebuilt.forward(x), module.forward(x));
      if (d !== 0) throw new Error(`the rebuilt module's output differs by up to ${d}`);
      return 'equal outputs after JSON.stringify and back';
    });
    run('a wrong input shape is a typed error', () => {
      const axis = inputShape.findIndex((_, i) => i !== batchAxis);
      if (options.wrongInputShape === null) return { skipped: 'wrongInputShape: null (the layer takes any shape)' };
      if (options.wrongInputShape === undefined && axis < 0) return { skipped: 'the input has no axis besides the batch axis' };
      const wrong = options.wrongInputShape ?? inputShape.map((d, i) => (i === axis ? d + 1 : d));
      try {
        module.forward(randn(wrong, { seed }));
      } catch (e) {
        if (e instanceof ShapeError || e instanceof DTypeError) return `[${wrong.join(',')}]: ${e.message}`;
        throw new Error(`[${wrong.join(',')}] raised an untyped ${e instanceof Error ? e.name : typeof e}: ${e instanceof Error ? e.message : String(e)}`);
      }
      throw new Error(`[${wrong.join(',')}] was accepted`);
    });
  } finally {
    module.train(wasTraining);
  }
  return { ok: checks.every((c) => c.ok), checks };
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(t.data[i]!));
  return m;
}

/**
 * One line per failed check, for messages.
 * @param report - a report of {@link checkModule}
 */
export function describeFailures(report: ModuleReport): string {
  return report.checks
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ');
}

/**
 * Thrown by {@link assertModule}; carries the report.
 * @example
 * ```ts
 * try { assertModule(layer, { inputShape: [3, 4] }); }
 * catch (e) { if (e instanceof ModuleCheckError) console.log(e.report.checks); }
 * ```
 */
export class ModuleCheckError extends Error {
  /** The class name. */
  override readonly name = 'ModuleCheckError';
  /** The failed report. */
  readonly report: ModuleReport;
  /**
   * Builds the message from the failed checks.
   * @param report - the failed report
   */
  constructor(report: ModuleReport) {
    super(`checkModule failed: ${describeFailures(report)}`);
    this.report = report;
  }
}

/**
 * {@link checkModule}, throwing a {@link ModuleCheckError} naming every failed check.
 * @example
 * ```ts
 * assertModule((seed) => new Dense(3, 2, { seed }), { inputShape: [3, 4] });
 * ```
 * @param subject - the module, or a function making one from a seed
 * @param options - see {@link CheckModuleOptions}
 */
export function assertModule(subject: Module | ((seed: number) => Module), options: CheckModuleOptions): ModuleReport {
  const report = checkModule(subject, options);
  if (!report.ok) throw new ModuleCheckError(report);
  return report;
}

/**
 * Registers the vitest matcher `toPassModuleChecks` (call once, from a setup file).
 * @example
 * ```ts
 * registerModuleMatchers();
 * expect((seed: number) => new MyLayer(seed)).toPassModuleChecks({ inputShape: [3, 4] });
 * ```
 */
export function registerModuleMatchers(): void {
  expect.extend({
    toPassModuleChecks(received: Module | ((seed: number) => Module), options: CheckModuleOptions) {
      const report = checkModule(received, options);
      return {
        pass: report.ok,
        message: () => (report.ok ? 'expected the module to fail a check, but it passed them all' : `checkModule failed: ${describeFailures(report)}`),
      };
    },
  });
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- must match vitest's own declaration to merge with it
  interface Matchers<T = any> {
    /** The received module (or factory) passes every `checkModule` check. */
    toPassModuleChecks(options: CheckModuleOptions): T;
  }
}
