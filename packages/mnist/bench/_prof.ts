// One epoch of Nielsen's chapter 6 first conv net in nabla, through the path users run: the net
// `pnpm train --net conv:20x5,maxpool:2,dense:100,dense:10 --cost logLikelihood --eta 0.1` builds
// (parseNetSpec, buildNet with sigmoid and the CLI's default 'scaled' init, trainNet with its
// default traced step), the same workload as numpy_conv_epoch.py and tfjs_conv_epoch.ts.
//
// Timed: one trainNet epoch over the first --images images of a shuffled training set (all 60,000
// by default), after --warmup untimed images through the same model; "seconds" is trainNet's
// epoch time scaled to 60,000 images, "cpuSeconds" the process's CPU time over the epoch,
// scaled alike (from the end of the first mini-batch to the end of the last, so neither
// trainNet's setup, tracing the step, nor its evaluation).
// Data loading excluded; trainNet's shuffle and batch packing included. Test accuracy is the
// evaluation trainNet runs after its epoch clock stops. Prints one JSON object per run on stdout.
//
// Usage: tsx nabla_conv_epoch.ts --batch 10 [--dtype float64|float32] [--images 60000] [--warmup 1000] [--seed 1] [--runs 1]
import { parseArgs } from 'node:util';
import { createRng } from '@nabla/core';
import { buildNet, loadMnist, parseNetSpec, trainNet, type Mnist, type Split } from '@nabla/mnist/node';

const SPEC = 'conv:20x5,maxpool:2,dense:100,dense:10';
const TRAIN_IMAGES = 60_000;

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '10' },
    images: { type: 'string', default: String(TRAIN_IMAGES) },
    warmup: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    dtype: { type: 'string', default: 'float64' },
  },
});
if (args.dtype !== 'float64' && args.dtype !== 'float32') throw new Error(`--dtype must be float64 or float32, got ${args.dtype}`);
const dtype = args.dtype;
const batchSize = int('batch', args.batch, 1);
const images = int('images', args.images, 1);
const warmup = int('warmup', args.warmup, 0);
const seed = int('seed', args.seed, 0);
const runs = int('runs', args.runs, 1);

function int(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

const data = await loadMnist();
if (images > data.train.count) throw new Error(`--images must be at most ${data.train.count}`);

/** Images `order[start … start + count)` of a split, copied into a split of their own. */
function subset(split: Split, order: Int32Array, start: number, count: number): Split {
  const size = split.rows * split.cols;
  const out = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  for (let j = 0; j < count; j++) {
    const i = order[(start + j) % order.length]!;
    out.set(split.images.subarray(i * size, (i + 1) * size), j * size);
    labels[j] = split.labels[i]!;
  }
  return { images: out, labels, count, rows: split.rows, cols: split.cols };
}

for (let run = 0; run < runs; run++) {
  const s = seed + run;
  // The CLI's net: sigmoid hidden layers, the 'scaled' init, its seed; logits out, softmax in the cost.
  const model = buildNet(parseNetSpec(SPEC), { activation: 'sigmoid', init: 'scaled', seed: s });
  const order = Int32Array.from({ length: data.train.count }, (_, i) => i);
  createRng(s).shuffle(order);
  const common = { model, epochs: 1, batchSize, eta: 0.1, cost: 'logLikelihood', activation: 'sigmoid', seed: s, dtype } as const;
  if (warmup > 0) {
    // Untimed, through the same model and code (JIT, caches); evaluated on a token test slice.
    const slice: Mnist = { train: subset(data.train, order, images, warmup), validation: null, test: subset(data.test, Int32Array.of(0), 0, 1) };
    await trainNet({ ...common, data: slice });
  }
  const timed: Mnist = { train: subset(data.train, order, 0, images), validation: null, test: subset(data.test, Int32Array.of(0), 0, 1) };
  // CPU time from the end of the first mini-batch to the end of the last (so neither trainNet's
  // setup nor its evaluation), over the images of mini-batches 2 … last.
  let cpu0 = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  const onBatch = (done: number, total: number): void => {
    if (done === 1) cpu0 = process.cpuUsage();
    if (done === total) cpu = process.cpuUsage(cpu0);
  };
  const result = await trainNet({ ...common, data: timed, onBatch });
  const m = result.history[0]!;
  const scale = TRAIN_IMAGES / images;
  process.stdout.write(
    `${JSON.stringify({
      impl: `nabla-trainNet-${dtype}`,
      batch: batchSize,
      run,
      seconds: m.seconds * scale,
      imagesTimed: images,
      measuredSeconds: m.seconds,
      cpuSeconds: images > batchSize ? ((cpu.user + cpu.system) / 1e6) * (TRAIN_IMAGES / (images - batchSize)) : null,
      correct: m.correct,
      total: m.total,
    })}\n`,
  );
}
