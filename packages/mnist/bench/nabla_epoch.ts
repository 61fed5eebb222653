// One epoch of Nielsen's [784,30,10] network in nabla: the same workload as numpy_epoch.py and
// tfjs_epoch.ts (sigmoid, quadratic cost, η = 3, N(0,1) init, fully matrix-based mini-batch SGD
// over the 60,000 training images; data loading excluded, the shuffle and batch packing
// included), through the trainer the CLI uses. Prints one JSON object per run on stdout.
//
// Usage: tsx nabla_epoch.ts --engine autodiff|backprop --dtype float64|float32 --batch 10 [--threads 2] [--seed 1] [--runs 1] [--warmup 1]
import { parseArgs } from 'node:util';
import { loadMnist, train, type EngineName } from '@nabla/mnist/node';
import type { FloatDType } from '@nabla/core';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'backprop' },
    dtype: { type: 'string', default: 'float64' },
    batch: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '0' },
  },
});
const engine = args.engine as EngineName;
const dtype = args.dtype as FloatDType;
const batchSize = Number(args.batch);
const data = await loadMnist();
for (let run = 0; run < Number(args.runs); run++) {
  const seed = Number(args.seed) + run;
  const threads = args.threads === '2' ? 2 : 1;
  // --warmup untimed epochs first (JIT and caches), then the timed one, in the same engine.
  const warmup = Number(args.warmup);
  const result = await train({ data, engine, dtype, batchSize, epochs: warmup + 1, seed, threads });
  const m = result.history[warmup]!;
  const impl = `nabla-${engine}-${dtype}${threads === 2 ? '-2threads' : ''}`;
  process.stdout.write(`${JSON.stringify({ impl, batch: batchSize, run, seconds: m.seconds, correct: m.correct, total: m.total })}\n`);
}
