// One epoch of Nielsen's chapter 6 first conv net in TensorFlow.js: the TF.js peer of
// numpy_conv_epoch.py and nabla_conv_epoch.ts. conv 20×5×5 (valid, stride 1, NHWC) → max-pool
// 2×2 → sigmoid → dense 100 (sigmoid) → dense 10, softmax with the mean log-likelihood, plain
// SGD with η = 0.1, weights N(0, 1/n_in) and biases N(0, 1); as network3.py, the sigmoid comes
// after the pooling (max and sigmoid commute). Float32, TF.js's only float type. Gradients are
// written out, as in tfjs_epoch.ts (tfjs-core's Node bundle registers no autodiff gradients):
// the max-pool's through TF.js's MaxPoolGrad kernel, the softmax/log-likelihood delta as s − y.
//
// The convolution: `--conv direct` is tf.conv2d forward and the Conv2DBackpropFilter kernel for the
// kernel gradient; `--conv im2col` gathers the mini-batch's 5×5 patches with one tf.conv2d against a
// fixed one-hot kernel [5,5,1,25], the convolution and its kernel gradient then one tf.matMul each.
// tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so wasm runs im2col; cpu defaults to im2col
// too, measured 7× faster there than its direct conv2d and Conv2DBackpropFilter kernels at batch 100.
//
// Timed: the first --images images of a shuffled training set (all 60,000 by default), after
// --warmup untimed images; "seconds" is the measured wall time scaled to 60,000 images,
// "cpuSeconds" the process's CPU time over the same stretch, scaled alike. Data loading excluded;
// the shuffle and mini-batch gathers included. Test accuracy is evaluated after the timing stops.
// Prints one JSON object per run on stdout; everything else (TF.js notices, wasm variant) on stderr.
//
// Usage: tsx tfjs_conv_epoch.ts --backend cpu|wasm --batch 10|100 [--images 60000] [--warmup 1000]
//        [--conv direct|im2col] [--seed 1] [--runs 1] [--eta 0.1]
import { parseArgs } from 'node:util';
import { loadMnist } from '../src/dataset.ts';
import { loadTf, normals, out, permutation, positiveInt, rng } from './tfjs_setup.ts';

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type T2 = import('@tensorflow/tfjs-core').Tensor2D;
type T4 = import('@tensorflow/tfjs-core').Tensor4D;
type Variable = import('@tensorflow/tfjs-core').Variable;

const TRAIN_IMAGES = 60_000;
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    batch: { type: 'string', default: '10' },
    images: { type: 'string', default: String(TRAIN_IMAGES) },
    warmup: { type: 'string', default: '0' },
    conv: { type: 'string' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    eta: { type: 'string', default: '0.1' },
  },
});
const backend = args.backend;
if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--backend must be cpu or wasm, got ${backend}`);
const conv = args.conv ?? 'im2col';
if (conv !== 'direct' && conv !== 'im2col') throw new Error(`--conv must be direct or im2col, got ${conv}`);
if (backend === 'wasm' && conv === 'direct') throw new Error('--conv direct needs Conv2DBackpropFilter, which tfjs-backend-wasm does not have');
const batch = positiveInt('batch', args.batch);
const images = positiveInt('images', args.images);
const warmup = positiveInt('warmup', args.warmup, 0);
const seed = positiveInt('seed', args.seed, 0);
const runs = positiveInt('runs', args.runs);
const eta = Number(args.eta);
if (images > TRAIN_IMAGES) throw new Error(`--images must be at most ${TRAIN_IMAGES}`);

const tf = await loadTf(backend);

// ---- data (not timed) -------------------------------------------------------------------------

const { train, test } = await loadMnist();
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const K = 5;
const MAPS = 20;
const FLAT = MAPS * 12 * 12;
const HIDDEN = 100;
function pixels(split: { images: Uint8Array; count: number }): Float32Array {
  const x = new Float32Array(split.count * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = split.images[i]! / 255;
  return x;
}
const oneHot = new Float32Array(train.count * CLASSES);
for (let i = 0; i < train.count; i++) oneHot[i * CLASSES + train.labels[i]!] = 1;
const X = tf.tensor4d(pixels(train), [train.count, SIDE, SIDE, 1]); // NHWC
const Y = tf.tensor2d(oneHot, [train.count, CLASSES]);
const TX = tf.tensor4d(pixels(test), [test.count, SIDE, SIDE, 1]);
const testLabels = tf.tensor1d(Int32Array.from(test.labels), 'int32');
// im2col: output channel 5r + c of this kernel copies input pixel (r, c) of each 5×5 window.
const eye = new Float32Array(K * K * K * K);
for (let p = 0; p < K * K; p++) eye[p * K * K + p] = 1;
const PATCH = tf.tensor4d(eye, [K, K, 1, K * K]);


// ---- network --------------------------------------------------------------------------------------

interface Params {
  cw: Variable; // [5, 5, 1, 20] (direct) or [25, 20] (im2col): the same numbers
  cb: Variable; // [20]
  w1: Variable; // [2880, 100]
  b1: Variable; // [100]
  w2: Variable; // [100, 10]
  b2: Variable; // [10]
}

function init(uniform: () => number): Params {
  const v = (n: number, shape: number[], scale: number): Variable => tf.variable(tf.tidy(() => tf.mul(tf.tensor(normals(n, uniform), shape), scale)));
  return {
    cw: v(K * K * MAPS, conv === 'direct' ? [K, K, 1, MAPS] : [K * K, MAPS], 1 / Math.sqrt(K * K)),
    cb: v(MAPS, [MAPS], 1),
    w1: v(FLAT * HIDDEN, [FLAT, HIDDEN], 1 / Math.sqrt(FLAT)),
    b1: v(HIDDEN, [HIDDEN], 1),
    w2: v(HIDDEN * CLASSES, [HIDDEN, CLASSES], 1 / Math.sqrt(HIDDEN)),
    b2: v(CLASSES, [CLASSES], 1),
  };
}

// matMul with transpose flags. tfjs-backend-cpu handles the flags with strided loops at no extra cost;
// tfjs-backend-wasm only hands UNtransposed operands to its fast (XNNPACK) path, so there the operand
// is transposed explicitly first (as in tfjs_epoch.ts).
const mm: (a: T2, b: T2, ta?: boolean, tb?: boolean) => T2 =
  backend === 'wasm'
    ? (a, b, ta = false, tb = false) => tf.matMul(ta ? tf.transpose(a) : a, tb ? tf.transpose(b) : b)
    : (a, b, ta = false, tb = false) => tf.matMul(a, b, ta, tb);
const as2 = (v: Variable): T2 => v as Tensor as T2;
const ONE = tf.scalar(1);

interface Forward {
  patches: T2 | null; // im2col: [m·576, 25]
  z: T4; // conv pre-activations [m, 24, 24, 20]
  pooled: T4; // [m, 12, 12, 20]
  a0: T2; // σ(pooled) flattened, [m, 2880]
  a1: T2; // [m, 100]
  logits: T2; // [m, 10]
}

/** The forward pass of images x [m, 28, 28, 1], keeping what backprop needs. */
function forward(p: Params, x: T4): Forward {
  const m = x.shape[0];
  const patches = conv === 'im2col' ? tf.reshape<import('@tensorflow/tfjs-core').Rank.R2>(tf.conv2d(x, PATCH, 1, 'valid'), [m * 24 * 24, K * K]) : null;
  const conved = patches === null ? tf.conv2d(x, p.cw as Tensor as T4, 1, 'valid') : tf.reshape(tf.matMul(patches, as2(p.cw)), [m, 24, 24, MAPS]);
  const z = tf.add(conved, p.cb) as T4;
  const pooled = tf.maxPool(z, 2, 2, 'valid');
  const a0 = tf.reshape<import('@tensorflow/tfjs-core').Rank.R2>(tf.sigmoid(pooled), [m, FLAT]);
  const a1 = tf.sigmoid(tf.add(mm(a0, as2(p.w1)), p.b1)) as T2;
  return { patches, z, pooled, a0, a1, logits: tf.add(mm(a1, as2(p.w2)), p.b2) as T2 };
}

/** One SGD step on the mini-batch x [m, 28, 28, 1], one-hot y [m, 10]. */
function step(p: Params, x: T4, y: T2, scale: Tensor): void {
  const m = x.shape[0];
  const f = forward(p, x);
  const d2 = tf.sub(tf.softmax(f.logits), y) as T2; // ∂C/∂z times m (softmax + log-likelihood)
  const gw2 = mm(f.a1, d2, true, false);
  const gb2 = tf.sum(d2, 0);
  const d1 = tf.mul(tf.mul(mm(d2, as2(p.w2), false, true), f.a1), tf.sub(ONE, f.a1)) as T2;
  const gw1 = mm(f.a0, d1, true, false);
  const gb1 = tf.sum(d1, 0);
  const d0 = tf.reshape(tf.mul(tf.mul(mm(d1, as2(p.w1), false, true), f.a0), tf.sub(ONE, f.a0)), [m, 12, 12, MAPS]);
  const dz = tf.engine().runKernel<T4>('MaxPoolGrad', { dy: d0, input: f.z, output: f.pooled }, { filterSize: 2, strides: 2, pad: 'valid' });
  const gcb = tf.sum(dz, [0, 1, 2]);
  const gcw =
    f.patches === null
      ? tf.engine().runKernel<T4>('Conv2DBackpropFilter', { x, dy: dz }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [K, K, 1, MAPS] })
      : mm(f.patches, tf.reshape(dz, [m * 24 * 24, MAPS]), true, false);
  for (const [v, g] of [[p.cw, gcw], [p.cb, gcb], [p.w1, gw1], [p.b1, gb1], [p.w2, gw2], [p.b2, gb2]] as const) v.assign(tf.sub(v, tf.mul(scale, g)));
}

/** SGD over images order[start … start + count) of the training set. */
function trainOn(p: Params, order: Int32Array, start: number, count: number): void {
  const scales = new Map<number, Tensor>();
  for (let k = 0; k < count; k += batch) {
    const end = Math.min(k + batch, count);
    let scale = scales.get(end - k);
    if (scale === undefined) scales.set(end - k, (scale = tf.scalar(eta / (end - k))));
    tf.tidy(() => {
      const idx = tf.tensor1d(order.subarray(start + k, start + end), 'int32');
      step(p, tf.gather(X, idx) as T4, tf.gather(Y, idx) as T2, scale);
    });
  }
  tf.dispose([...scales.values()]);
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
for (let run = 0; run < runs; run++) {
  const uniform = rng(seed + run);
  const p = init(uniform);
  if (warmup > 0) {
    // Untimed: the same steps on a separate permutation's first images (JIT, caches, kernels).
    trainOn(p, permutation(train.count, uniform), 0, Math.min(warmup, train.count));
    await p.w2.data();
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const order = permutation(train.count, uniform);
  trainOn(p, order, 0, images);
  await Promise.all([p.cw.data(), p.cb.data(), p.w1.data(), p.b1.data(), p.w2.data(), p.b2.data()]); // all work done
  const measured = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));

  let hits = 0;
  for (let start = 0; start < test.count; start += 500) {
    const n = Math.min(500, test.count - start);
    const correct = tf.tidy(() => {
      const x = tf.slice(TX, [start, 0, 0, 0], [n, SIDE, SIDE, 1]);
      return tf.sum(tf.cast(tf.equal(tf.argMax(forward(p, x).logits, 1), tf.slice(testLabels, [start], [n])), 'int32'));
    });
    hits += (await correct.data())[0]!;
    correct.dispose();
  }
  const scale = TRAIN_IMAGES / images;
  out(JSON.stringify({ impl: `tfjs-${backend}`, conv, batch, run, seconds: measured * scale, imagesTimed: images, measuredSeconds: measured, cpuSeconds: cpu * scale, correct: hits, total: test.count, tensors: tf.memory().numTensors }));
  tf.dispose([p.cw, p.cb, p.w1, p.b1, p.w2, p.b2]);
}
