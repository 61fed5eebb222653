// One epoch of Nielsen's [784,30,10] network in TensorFlow.js: the TF.js peer of numpy_epoch.py
// (same algorithm: sigmoid, quadratic cost, η = 3, N(0,1) init, fully matrix-based mini-batch
// SGD over the 60,000 training images, one epoch timed, data loading excluded, then test accuracy).
// Prints one JSON object per run on stdout; everything else (TF.js notices, wasm variant) goes to stderr.
//
// Usage: tsx tfjs_epoch.ts --backend cpu|wasm --batch 10|100 [--seed 1] [--runs 1] [--eta 3] [--warmup 1]
//
// Layout: the images are stored one per ROW (X [60000, 784], Y [60000, 10]) so a mini-batch is a
// row tf.gather (gathering columns of a [784, 60000] X is 2–4× slower on both backends); the math
// is Nielsen's, activations as columns [size, m], with the row batch used through transpose flags.
import { parseArgs } from 'node:util';
import { loadMnist } from '../src/dataset.ts';
import { loadTf, normals, out, permutation, positiveInt, rng } from './tfjs_setup.ts';


const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    batch: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    eta: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0' },
  },
});
const backend = args.backend;
if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--backend must be cpu or wasm, got ${backend}`);
const batch = positiveInt('batch', args.batch);
const seed = positiveInt('seed', args.seed, 0);
const runs = positiveInt('runs', args.runs);
const eta = Number(args.eta);
const warmup = positiveInt('warmup', args.warmup, 0);

const tf = await loadTf(backend);

// ---- data (not timed) -------------------------------------------------------------------------

const { train, test } = await loadMnist();
const PIXELS = 784;
const CLASSES = 10;
function images(split: { images: Uint8Array; count: number }): Float32Array {
  const x = new Float32Array(split.count * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = split.images[i]! / 255;
  return x;
}
const oneHot = new Float32Array(train.count * CLASSES);
for (let i = 0; i < train.count; i++) oneHot[i * CLASSES + train.labels[i]!] = 1;
const X = tf.tensor2d(images(train), [train.count, PIXELS]); // row i = image i
const Y = tf.tensor2d(oneHot, [train.count, CLASSES]);
const TX = tf.tensor2d(images(test), [test.count, PIXELS]);
const testLabels = tf.tensor1d(Int32Array.from(test.labels), 'int32');


// ---- network --------------------------------------------------------------------------------------

const SIZES = [PIXELS, 30, CLASSES] as const;
const ONE = tf.scalar(1);
type T2 = import('@tensorflow/tfjs-core').Tensor2D;
// matMul with transpose flags. tfjs-backend-cpu handles the flags with strided loops at no extra cost;
// tfjs-backend-wasm only hands UNtransposed operands to its fast (XNNPACK) path and is ~5–10× slower
// with a flag set, so there the operand is transposed explicitly first (measured faster on both).
const mm: (a: T2, b: T2, ta?: boolean, tb?: boolean) => T2 =
  backend === 'wasm'
    ? (a, b, ta = false, tb = false) => tf.matMul(ta ? tf.transpose(a) : a, tb ? tf.transpose(b) : b)
    : (a, b, ta = false, tb = false) => tf.matMul(a, b, ta, tb);

for (let run = 0; run < runs; run++) {
  const uniform = rng(seed + run);
  // Nielsen's shapes: biases [y,1], weights [y,x], all N(0,1); activations are columns [size, m].
  const b1 = tf.variable(tf.tensor2d(normals(SIZES[1], uniform), [SIZES[1], 1]));
  const b2 = tf.variable(tf.tensor2d(normals(SIZES[2], uniform), [SIZES[2], 1]));
  const w1 = tf.variable(tf.tensor2d(normals(SIZES[1] * SIZES[0], uniform), [SIZES[1], SIZES[0]]));
  const w2 = tf.variable(tf.tensor2d(normals(SIZES[2] * SIZES[1], uniform), [SIZES[2], SIZES[1]]));
  const n = train.count;
  const scales = new Map<number, import('@tensorflow/tfjs-core').Scalar>();
  const scale = (cols: number) => {
    let s = scales.get(cols);
    if (!s) scales.set(cols, (s = tf.scalar(eta / cols)));
    return s;
  };
  scale(Math.min(batch, n));

  // --warmup untimed epochs first (JIT and caches), then the timed one.
  let seconds = 0;
  for (let e = 0; e <= warmup; e++) {
  const t0 = performance.now();
  const order = permutation(n, uniform);
  for (let k = 0; k < n; k += batch) {
    tf.tidy(() => {
      const idx = tf.tensor1d(order.subarray(k, Math.min(k + batch, n)), 'int32');
      const xr = tf.gather(X, idx) as T2; // the mini-batch one image per row: xr = xᵀ, [m, 784]
      const yc = tf.transpose(tf.gather(Y, idx)) as T2; // y, [10, m]
      const a1 = tf.sigmoid(tf.add(mm(w1, xr, false, true), b1)) as T2; // σ(W1 x + b1), [30, m]
      const a2 = tf.sigmoid(tf.add(mm(w2, a1), b2)) as T2; // [10, m]
      const d2 = tf.mul(tf.mul(tf.sub(a2, yc), a2), tf.sub(ONE, a2)) as T2; // BP1 (quadratic cost)
      const nb2 = tf.sum(d2, 1, true); // BP3: [10, 1]
      const nw2 = mm(d2, a1, false, true); // BP4: δ2 a1ᵀ, [10, 30]
      const d1 = tf.mul(tf.mul(mm(w2, d2, true, false), a1), tf.sub(ONE, a1)) as T2; // BP2: (W2ᵀ δ2) ⊙ σ'(z1)
      const nb1 = tf.sum(d1, 1, true); // [30, 1]
      const nw1 = mm(d1, xr); // δ1 xᵀ, [30, 784]
      const s = scale(xr.shape[0]);
      w1.assign(tf.sub(w1, tf.mul(s, nw1)));
      b1.assign(tf.sub(b1, tf.mul(s, nb1)));
      w2.assign(tf.sub(w2, tf.mul(s, nw2)));
      b2.assign(tf.sub(b2, tf.mul(s, nb2)));
    });
  }
  await Promise.all([w1.data(), b1.data(), w2.data(), b2.data()]); // make sure all work is done
  seconds = (performance.now() - t0) / 1000;
  }

  const correct = tf.tidy(() => {
    const a1 = tf.sigmoid(tf.add(mm(w1, TX, false, true), b1)) as T2; // [30, 10000]
    const a2 = tf.sigmoid(tf.add(mm(w2, a1), b2)); // [10, 10000]
    return tf.sum(tf.cast(tf.equal(tf.argMax(a2, 0), testLabels), 'int32'));
  });
  const hits = (await correct.data())[0]!;
  out(JSON.stringify({ impl: `tfjs-${backend}`, batch, run, seconds, correct: hits, total: test.count }));
  tf.dispose([correct, w1, b1, w2, b2, ...scales.values()]);
}
