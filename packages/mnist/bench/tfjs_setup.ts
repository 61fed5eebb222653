// What the two TensorFlow.js peers (tfjs_epoch.ts, tfjs_conv_epoch.ts) share: integer flags,
// stdout kept for the JSON result line, TF.js loaded on the cpu or wasm (SIMD) backend with the
// wasm binary it instantiated checked, and their seeded randomness.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

export type Tf = typeof import('@tensorflow/tfjs-core');

/** A flag's integer value, at least `min`, or an error naming the flag. */
export function positiveInt(name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

/** Writes one line to stdout, which carries only the JSON result (see loadTf). */
export const out = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * TF.js on `backend`, ready: everything TF.js (or emscripten) says on console.log/info/warn
 * goes to stderr from here on, so stdout is JSON only; the wasm backend must load its SIMD build.
 */
export async function loadTf(backend: 'cpu' | 'wasm'): Promise<Tf> {
  const toStderr = (...xs: unknown[]): void => console.error(...xs);
  console.log = toStderr;
  console.info = toStderr;
  console.warn = toStderr;
  console.debug = toStderr;
  const tf: Tf = await import('@tensorflow/tfjs-core');
  tf.enableProdMode(); // no TF.js deprecation/info warnings
  if (backend === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  } else {
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    setWasmPaths(dist);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (!simd) throw new Error('WebAssembly SIMD not supported: tfjs-backend-wasm would load the scalar build');
    // Record which binary emscripten instantiates, by size, to report the variant actually loaded.
    const variants = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
    const sizes = new Map(variants.map((v) => [readFileSync(dist + v).byteLength, v]));
    const loaded: string[] = [];
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = ((source: unknown, imports?: WebAssembly.Imports) => {
      const bytes = source instanceof ArrayBuffer || ArrayBuffer.isView(source) ? source.byteLength : -1;
      loaded.push(sizes.get(bytes) ?? `unknown (${bytes} bytes)`);
      return instantiate(source as BufferSource, imports);
    }) as typeof WebAssembly.instantiate;
    try {
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    } finally {
      WebAssembly.instantiate = instantiate;
    }
    console.error(`tfjs-backend-wasm: WASM_HAS_SIMD_SUPPORT=${simd} WASM_HAS_MULTITHREAD_SUPPORT=${threads}; loaded ${loaded.join(', ') || '(not observed)'} from ${dist}`);
    if (!loaded.includes('tfjs-backend-wasm-simd.wasm')) throw new Error('expected the SIMD wasm build to load');
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend(${backend}) failed`);
  await tf.ready();
  console.error(`tf.getBackend() = ${tf.getBackend()}, tfjs-core ${tf.version_core}`);
  return tf;
}

// ---- seeded randomness: splitmix32 uniforms, Box–Muller normals, Fisher–Yates permutation ------

/** A seeded uniform generator on [0, 1) (splitmix32). */
export function rng(s: number): () => number {
  let state = s >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}
/** n standard normals (Box–Muller) from `uniform`. */
export function normals(n: number, uniform: () => number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const t = 2 * Math.PI * uniform();
    v[i] = r * Math.cos(t);
    if (i + 1 < n) v[i + 1] = r * Math.sin(t);
  }
  return v;
}
/** A uniform random permutation of 0 … n−1 (Fisher–Yates). */
export function permutation(n: number, uniform: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
