// pnpm bench: one epoch of Nielsen's MNIST workload ([784,30,10], sigmoid, quadratic cost, η = 3,
// 60,000 images, data loading excluded) at batch 10 and 100, for nabla's engines and the peers
// (NumPy's matrix-based code, TensorFlow.js cpu and wasm), alternating between implementations
// run after run, each epoch in a fresh child process. Then the same for one epoch of chapter 6's
// first conv net (conv 20×5×5 → max-pool 2×2 → dense 100 → softmax 10, log-likelihood, η = 0.1):
// nabla's trainNet against NumPy (im2col) and TensorFlow.js, timed on the first N shuffled
// training images and scaled to 60,000. Then matmul GFLOP/s at the workload's shapes, conv2d
// GFLOP/s at chapter 6's shapes, and the peak RSS of a 30-epoch training run.
//
//   pnpm bench [--runs 3] [--batches 10,100] [--warmup 1] [--only nabla] [--skip-rss]
//              [--skip-dense] [--skip-conv] [--conv-images N] [--conv-runs R] [--conv-warmup 1000] [--numpy-threads 1]
//
// --only keeps the implementations whose names start with it, in both sections.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundledMnistDir } from '@nabla/mnist/node';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    batches: { type: 'string', default: '10,100' },
    only: { type: 'string' },
    'skip-rss': { type: 'boolean', default: false },
    // Untimed epochs each implementation runs before the timed one (JIT warm-up, caches).
    warmup: { type: 'string', default: '1' },
    'skip-dense': { type: 'boolean', default: false },
    'skip-conv': { type: 'boolean', default: false },
    // Conv section: images timed per epoch (default per implementation, CONV_IMAGES), runs
    // (default --runs), untimed warm-up images, and the OpenBLAS threads of the NumPy peer.
    'conv-images': { type: 'string' },
    'conv-runs': { type: 'string' },
    'conv-warmup': { type: 'string', default: '1000' },
    'numpy-threads': { type: 'string', default: '1' },
  },
});
const runs = Number(args.runs);
const warmup = String(Number(args.warmup));
const batches = args.batches!.split(',').map(Number);

interface Result {
  impl: string;
  batch: number;
  run: number;
  seconds: number;
  correct: number;
  total: number;
  /** Conv section: images actually timed (seconds is scaled from them to 60,000). */
  imagesTimed?: number;
  /** Conv section: the child's CPU time over the timed stretch, scaled alike. */
  cpuSeconds?: number | null;
}

interface Impl {
  name: string;
  peer: boolean;
  command: (batch: number, seed: number) => [string, string[], NodeJS.ProcessEnv?];
}

const tsx = join(root, 'node_modules', '.bin', 'tsx');
// The @nabla packages resolve to their TypeScript sources under this condition (no build).
const SOURCE = '--conditions=@nabla/source';
const nabla = (engine: string, dtype: string, threads = 1): Impl => ({
  name: `nabla-${engine}-${dtype}${threads === 2 ? '-2threads' : ''}`,
  peer: false,
  command: (batch, seed) => [tsx, [SOURCE, join(here, 'nabla_epoch.ts'), '--engine', engine, '--dtype', dtype, '--batch', String(batch), '--seed', String(seed), '--threads', String(threads), '--warmup', warmup]],
});

function hasNumpy(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}

// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine to work around old OpenBLAS
// builds; they slow a current NumPy down, so the NumPy peer runs without them.
const numpyEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
};
const numpy = (dtype: string): Impl => ({
  name: `numpy-${dtype}`,
  peer: true,
  command: (batch, seed) => ['python3', [join(here, 'numpy_epoch.py'), bundledMnistDir(), '--batch', String(batch), '--dtype', dtype, '--runs', '1', '--seed', String(seed), '--warmup', warmup], numpyEnv()],
});
const tfjs = (backend: string): Impl => ({
  name: `tfjs-${backend}`,
  peer: true,
  command: (batch, seed) => [tsx, [SOURCE, join(here, 'tfjs_epoch.ts'), '--backend', backend, '--batch', String(batch), '--seed', String(seed), '--warmup', warmup]],
});

// Exactly what `pnpm train` runs (the CLI, its default engine, progress and event-loop turns), so
// the bench and the command people use cannot drift apart: the last of its epochs is timed.
const cli: Impl = {
  name: 'nabla-train (the CLI)',
  peer: false,
  command: (batch, seed) => [process.execPath, [join(root, 'packages', 'mnist', 'bin', 'nabla-mnist.js'), 'train', '--json', '--epochs', String(Number(warmup) + 1), '--batch-size', String(batch), '--seed', String(seed)]],
};

// Each engine in each dtype and thread count, so the autodiff / δ-equation ratios below compare
// like with like.
const impls: Impl[] = [cli];
for (const [dtype, threads] of [['float64', 1], ['float64', 2], ['float32', 1], ['float32', 2]] as const) {
  for (const engine of ['autodiff', 'backprop']) impls.push(nabla(engine, dtype, threads));
}
if (hasNumpy()) impls.push(numpy('float64'), numpy('float32'));
else console.log('NumPy: skipped (python3 with numpy not found); the NumPy ratios are not printed');
impls.push(tfjs('wasm'), tfjs('cpu'));
const selected = args['skip-dense'] ? [] : args.only === undefined ? impls : impls.filter((i) => i.name.startsWith(args.only!));

function runChild(impl: Impl, batch: number, seed: number): Promise<Result> {
  const [cmd, argv, env] = impl.command(batch, seed);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') reject(new Error(`${impl.name} batch ${batch} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve({ ...(JSON.parse(line) as Result), batch, impl: impl.name, run: seed - 1 });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

console.log(`nabla bench — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? 'cpu'} ×${(await import('node:os')).cpus().length}`);
if (selected.length > 0) console.log(`one epoch of [784,30,10] sigmoid/quadratic, η = 3, 60,000 images, after ${warmup} untimed epoch(s) in the same process; median of ${runs} runs, implementations alternating\n`);
const results: Result[] = [];
for (let r = 1; r <= runs; r++) {
  for (const batch of batches) {
    for (const impl of selected) {
      try {
        const res = await runChild(impl, batch, r);
        results.push(res);
        process.stderr.write(`  run ${r} batch ${lpad(String(batch), 3)} ${pad(impl.name, 24)} ${res.seconds.toFixed(3)} s  ${res.correct}/${res.total}\n`);
      } catch (e) {
        process.stderr.write(`  ${(e as Error).message}\n`);
      }
    }
  }
}

const table = new Map<string, { seconds: number; accuracy: number }>();
for (const impl of selected) {
  for (const batch of batches) {
    const rs = results.filter((x) => x.impl === impl.name && x.batch === batch);
    if (rs.length === 0) continue;
    table.set(`${impl.name}@${batch}`, { seconds: median(rs.map((x) => x.seconds)), accuracy: median(rs.map((x) => x.correct / x.total)) });
  }
}
const get = (name: string, batch: number) => table.get(`${name}@${batch}`);

const peers = ['numpy-float64', 'numpy-float32', 'tfjs-wasm', 'tfjs-cpu'];

/** A table of each nabla implementation's time over each peer's, per batch size, in one section. */
function printRatios(title: string, first: string, ours: readonly { name: string }[], time: (name: string, batch: number) => { seconds: number } | undefined): void {
  console.log(`\n${title}`);
  console.log(`| ${first} | batch | ${peers.map((p) => `/ ${p}`).join(' | ')} |`);
  console.log(`|---|---|${peers.map(() => '---').join('|')}|`);
  for (const impl of ours) {
    for (const b of batches) {
      const t = time(impl.name, b);
      if (t === undefined) continue;
      const cells = peers.map((p) => {
        const q = time(p, b);
        return q === undefined ? 'n/a' : `${(t.seconds / q.seconds).toFixed(2)}×`;
      });
      console.log(`| ${impl.name} | ${b} | ${cells.join(' | ')} |`);
    }
  }
}
// The dense section's tables, unless --only left it no implementation.
if (table.size > 0) {
  console.log(`| implementation | ${batches.map((b) => `batch ${b}: s/epoch (test acc.)`).join(' | ')} |`);
  console.log(`|---|${batches.map(() => '---').join('|')}|`);
  for (const impl of selected) {
    const cells = batches.map((b) => {
      const t = get(impl.name, b);
      return t === undefined ? 'n/a' : `${t.seconds.toFixed(3)} (${(100 * t.accuracy).toFixed(2)}%)`;
    });
    console.log(`| ${impl.name} | ${cells.join(' | ')} |`);
  }

  printRatios('ratios (nabla time / peer time; below 1 means nabla is faster):', 'nabla engine', selected.filter((i) => !i.peer), get);
  // This host's speed drifts by a third from one minute to the next, so each pair is compared
  // run by run (the two ran one after the other) and the median of those ratios is printed,
  // beside the ratio of the two medians.
  const paired = (a: string, b: string, batch: number): string | undefined => {
    const ratios: number[] = [];
    for (let r = 0; r < runs; r++) {
      const x = results.find((q) => q.impl === a && q.batch === batch && q.run === r);
      const y = results.find((q) => q.impl === b && q.batch === batch && q.run === r);
      if (x && y) ratios.push(x.seconds / y.seconds);
    }
    const ta = get(a, batch);
    const tb = get(b, batch);
    if (ratios.length === 0 || !ta || !tb) return undefined;
    return `batch ${batch}: ${median(ratios).toFixed(2)}× run by run (${ratios.map((v) => v.toFixed(2)).join(', ')}), ${(ta.seconds / tb.seconds).toFixed(2)}× of the medians`;
  };
  const pairs = (title: string, rows: readonly [string, string, string][]): void => {
    console.log(`\n${title}`);
    for (const [label, a, b] of rows) {
      const cells = batches.map((batch) => paired(a, b, batch)).filter((c) => c !== undefined);
      if (cells.length > 0) console.log(`  ${label}: ${cells.join('; ')}`);
    }
  };
  // What the command runs by default: the autodiff engine in float32 (cli.ts).
  pairs('the CLI (pnpm train) / the same engine in this bench:', [['default', cli.name, 'nabla-autodiff-float32']]);
  const variants = ['float64', 'float64-2threads', 'float32', 'float32-2threads'];
  pairs('autodiff engine / δ-equation engine, same dtype and threads:', variants.map((v) => [v, `nabla-autodiff-${v}`, `nabla-backprop-${v}`]));
  const engines = ['autodiff-float64', 'backprop-float64', 'autodiff-float32', 'backprop-float32'];
  pairs('2 threads / 1 thread, same engine and dtype:', engines.map((v) => [v, `nabla-${v}-2threads`, `nabla-${v}`]));
}

if (!args['skip-conv']) await convSection();

console.log('\nmatmul GFLOP/s at the workload shapes:');
const mm = spawnSync(tsx, [SOURCE, join(root, 'packages', 'core', 'bench', 'matmul.bench.ts')], { encoding: 'utf8' });
process.stdout.write(mm.stdout);

console.log('\nconv2d GFLOP/s at Nielsen\'s chapter 6 shapes (float64), beside the dense GEMM of the same product:');
const cv = spawnSync(tsx, [SOURCE, join(root, 'packages', 'core', 'bench', 'conv.bench.ts')], { encoding: 'utf8' });
process.stdout.write(cv.stdout);

if (!args['skip-rss']) {
  console.log('\npeak RSS of the default 30-epoch training run (nabla-mnist train, Nielsen ch. 1 defaults):');
  const { peakMb, best } = await peakRss();
  console.log(`peak RSS ${peakMb.toFixed(0)} MB; best epoch ${best}`);
}

// VmHWM in /proc is the process's high-water mark of resident memory; sampled until it exits.
async function peakRss(): Promise<{ peakMb: number; best: string }> {
  const cli = join(root, 'packages', 'mnist', 'bin', 'nabla-mnist.js');
  const child = spawn(process.execPath, [cli, 'train', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let peakKb = 0;
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the process has exited
    }
  };
  const timer = setInterval(sample, 100);
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    sample();
  });
  await new Promise((resolve) => child.on('close', resolve));
  clearInterval(timer);
  const epochs = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { epoch: number; correct: number; total: number; accuracy: number });
  const best = epochs.reduce((a, b) => (b.accuracy > a.accuracy ? b : a), epochs[0]!);
  return { peakMb: peakKb / 1024, best: best ? `${best.epoch}: ${best.correct} / ${best.total} (${(100 * best.accuracy).toFixed(2)}%)` : 'none' };
}

// ---- chapter 6's first conv net -------------------------------------------------------------------

interface ConvImpl extends Impl {
  /** Training images timed; the reported time is scaled from them to 60,000. */
  images: number;
}

async function convSection(): Promise<void> {
  // Images timed per implementation by default, so the section fits in a few minutes: 6,000 (a
  // tenth of the epoch) each, TF.js cpu 1,000 (about 1,000 s per scaled epoch at batch 10).
  const CONV_IMAGES: Record<string, number> = { 'tfjs-cpu': 1000 };
  const CONV_DEFAULT_IMAGES = 6000;
  const convRuns = args['conv-runs'] === undefined ? runs : Number(args['conv-runs']);
  const convWarmup = String(Number(args['conv-warmup']));
  const numpyThreads = String(Number(args['numpy-threads']));
  const imagesFor = (name: string): number => (args['conv-images'] !== undefined ? Number(args['conv-images']) : (CONV_IMAGES[name] ?? CONV_DEFAULT_IMAGES));
  const impl = (name: string, peer: boolean, command: (batch: number, seed: number, images: string) => [string, string[], NodeJS.ProcessEnv?]): ConvImpl => {
    const images = imagesFor(name);
    return { name, peer, images, command: (batch, seed) => command(batch, seed, String(images)) };
  };
  const convImpls: ConvImpl[] = ['float64', 'float32'].map((dtype) =>
    impl(`nabla-trainNet-${dtype}`, false, (batch, seed, images) => [tsx, [SOURCE, join(here, 'nabla_conv_epoch.ts'), '--batch', String(batch), '--dtype', dtype, '--seed', String(seed), '--images', images, '--warmup', convWarmup]]),
  );
  if (hasNumpy()) {
    for (const dtype of ['float64', 'float32']) {
      convImpls.push(
        impl(`numpy-${dtype}`, true, (batch, seed, images) => [
          'python3',
          [join(here, 'numpy_conv_epoch.py'), bundledMnistDir(), '--batch', String(batch), '--dtype', dtype, '--runs', '1', '--seed', String(seed), '--images', images, '--warmup', convWarmup],
          { ...numpyEnv(), OPENBLAS_NUM_THREADS: numpyThreads },
        ]),
      );
    }
  }
  for (const backend of ['wasm', 'cpu']) {
    convImpls.push(impl(`tfjs-${backend}`, true, (batch, seed, images) => [tsx, [SOURCE, join(here, 'tfjs_conv_epoch.ts'), '--backend', backend, '--batch', String(batch), '--seed', String(seed), '--images', images, '--warmup', convWarmup]]));
  }
  const chosen = args.only === undefined ? convImpls : convImpls.filter((i) => i.name.startsWith(args.only!));
  if (chosen.length === 0) return;

  console.log(`\nchapter 6's first conv net: conv 20×5×5 → max-pool 2×2 → dense 100 → softmax 10, sigmoid, log-likelihood, η = 0.1`);
  console.log(`NOT full epochs: each time is measured on the first N images of a shuffled training set (N per implementation below) and SCALED to 60,000 images;`);
  console.log(`after ${convWarmup} untimed warm-up images in the same process; median of ${convRuns} runs, implementations alternating;`);
  console.log(`NumPy: im2col, OPENBLAS_NUM_THREADS=${numpyThreads}, glibc malloc thresholds raised (numpy_conv_epoch.py: temporaries kept in the heap); TF.js: im2col convolution, float32; nabla: trainNet (what pnpm train --net runs; float32 is its default), one thread\n`);
  const convResults: Result[] = [];
  for (let r = 1; r <= convRuns; r++) {
    for (const batch of batches) {
      for (const i of chosen) {
        try {
          const res = await runChild(i, batch, r);
          convResults.push(res);
          const cpu = typeof res.cpuSeconds === 'number' ? `  cpu ${res.cpuSeconds.toFixed(1)} s` : '';
          process.stderr.write(`  conv run ${r} batch ${lpad(String(batch), 3)} ${pad(i.name, 24)} ${res.seconds.toFixed(2)} s/epoch (scaled from ${res.imagesTimed ?? '?'} images)${cpu}  ${res.correct}/${res.total}\n`);
        } catch (e) {
          process.stderr.write(`  ${(e as Error).message}\n`);
        }
      }
    }
  }
  const convTable = new Map<string, { seconds: number; cpu: number | null; images: number }>();
  for (const i of chosen) {
    for (const batch of batches) {
      const rs = convResults.filter((x) => x.impl === i.name && x.batch === batch);
      if (rs.length === 0) continue;
      const cpus = rs.map((x) => x.cpuSeconds).filter((c): c is number => typeof c === 'number');
      convTable.set(`${i.name}@${batch}`, { seconds: median(rs.map((x) => x.seconds)), cpu: cpus.length === 0 ? null : median(cpus), images: rs[0]!.imagesTimed ?? i.images });
    }
  }
  const cget = (name: string, batch: number) => convTable.get(`${name}@${batch}`);
  console.log(`| implementation | images timed | ${batches.map((b) => `batch ${b}: s/epoch, scaled (CPU s)`).join(' | ')} |`);
  console.log(`|---|---|${batches.map(() => '---').join('|')}|`);
  for (const i of chosen) {
    const cells = batches.map((b) => {
      const t = cget(i.name, b);
      return t === undefined ? 'n/a' : `${t.seconds.toFixed(2)}${t.cpu === null ? '' : ` (${t.cpu.toFixed(2)})`}`;
    });
    console.log(`| ${i.name} | ${i.images} | ${cells.join(' | ')} |`);
  }
  const ours = chosen.filter((x) => !x.peer);
  if (ours.length === 0) return;
  printRatios('conv-net ratios (nabla time / peer time, scaled epochs; below 1 means nabla is faster):', 'nabla', ours, cget);
}
