/**
 * A small, fast, seeded pseudo-random generator (mulberry32 for uniforms, Box–Muller for
 * normals). Everything random in nabla — initialisers, shuffles, `randn` — draws from one of
 * these, so a seed reproduces a run exactly.
 *
 * @example
 * ```ts
 * const rng = createRng(1);
 * rng.uniform(); // 0 <= u < 1
 * rng.normal();  // N(0, 1)
 * ```
 */
export interface Rng {
  /** A uniform float in [0, 1). */
  uniform(): number;
  /** A standard normal sample. */
  normal(): number;
  /**
   * A uniform integer in [0, n).
   * @param n - the exclusive upper bound, a positive integer
   */
  int(n: number): number;
  /**
   * Shuffles an array in place (Fisher–Yates) and returns it.
   * @param items - an array or typed array, reordered in place
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T;
}

/**
 * Creates a seeded generator; equal seeds give equal streams on every platform.
 * @example
 * ```ts
 * const order = createRng(1).shuffle([0, 1, 2, 3, 4]); // the same order on every run
 * ```
 * @param seed - any integer (it is mixed, so 0, 1, 2 give unrelated streams)
 */
export function createRng(seed: number): Rng {
  // Mixing the seed once avoids the weak first outputs mulberry32 gives for small seeds.
  let state = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  let spare: number | null = null;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // 1 - u keeps log away from 0.
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const int = (n: number): number => Math.floor(uniform() * n);
  const shuffle = <T extends { length: number; [i: number]: unknown }>(items: T): T => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  };
  return { uniform, normal, int, shuffle };
}

let globalRng = createRng(0);

/**
 * Reseeds the generator used when no seed is passed (`randn(shape)` without `{ seed }`).
 * @example
 * ```ts
 * manualSeed(42);
 * const w = randn([3, 2]); // the same values after every manualSeed(42)
 * ```
 * @param seed - the new seed
 */
export function manualSeed(seed: number): void {
  globalRng = createRng(seed);
}

/** The generator used when a caller passes no seed. */
export function defaultRng(): Rng {
  return globalRng;
}
