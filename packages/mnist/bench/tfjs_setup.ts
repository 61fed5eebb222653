// What the two TensorFlow.js peers (tfjs_epoch.ts, tfjs_conv_epoch.ts) share: integer flags,
// stdout kept for the JSON result line, and TF.js loaded on the cpu or wasm (SIMD) backend with
// the wasm binary it instantiated checked.
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
