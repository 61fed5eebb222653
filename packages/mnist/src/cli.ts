#!/usr/bin/env node
// The `nabla-mnist` command: train, evaluate, predict. Run from source by tsx in the workspace
// (bin/nabla-mnist.js, or `pnpm train`); published, as dist/cli.js. Exit codes: 0 done,
// 1 internal error, 2 bad flags or bad files, 3 training diverged (NaN or ±∞; nothing saved),
// 130 Ctrl+C.
import { open, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromData } from '@nabla/core';
import { type Network, ModelFormatError, Sequential } from '@nabla/nn';
import { loadModule, saveModel, tempPathFor } from '@nabla/nn/node';
import cliProgress from 'cli-progress';
import { CLASSES, batchInto, expandMnist, loadMnist, type LoadMnistOptions, type Split } from './dataset.ts';
import { DatasetError, IdxError, TrainOptionError, TrainingDivergedError } from './errors.ts';
import { type Flags, UsageError, flagName, integer, number, parseCommandLine, text, trainOptions } from './flags.ts';
import { type EpochMetrics, type Interruption, TRAIN_DEFAULTS, evaluate, fastEnginesApply, overflowingExamples, train } from './trainer.ts';
import { type NetLayerSpec, buildNet, evaluateNet, parseNetSpec, trainNet, withDropout, formatNetSpec } from './convnet.ts';

const EXIT_USAGE = 2;
const EXIT_DIVERGED = 3;
const EXIT_INTERRUPTED = 130;

async function main(args: readonly string[]): Promise<number> {
  const line = parseCommandLine(args);
  if (line.wantsVersion) {
    process.stdout.write(`${line.version}\n`);
    return 0;
  }
  if (line.wantsHelp) {
    line.help();
    return 0;
  }
  const actions: Record<string, (flags: Flags) => Promise<number>> = { train: trainCommand, evaluate: evaluateCommand, predict: predictCommand };
  return actions[line.command!]!(line.flags);
}

// ---------------------------------------------------------------------------------------- train

async function trainCommand(flags: Flags): Promise<number> {
  const options = trainOptions(flags);
  const spec = text(flags, 'net');
  // Checked before anything is loaded: a bad spec fails at once, naming the layer.
  if (spec === undefined && flags['dropout'] !== undefined) throw new UsageError('--dropout applies only with --net (a layer stack), where it goes before every dense layer');
  const layerSpec = spec === undefined ? null : netSpec(spec, flags, options);
  // The command's default dtype: float32 wherever it can train in it (the fast engines, and a
  // layer stack), float64 elsewhere. In float32 chapter 1's figures hold within the seed spread
  // and chapter 6's one conv-pool row gives the same accuracies (README, "MNIST results").
  if (options.dtype === undefined) options.dtype = layerSpec !== null || fastEnginesApply(options) ? 'float32' : 'float64';
  const epochs = options.epochs ?? TRAIN_DEFAULTS.epochs;
  const out = await outputPath(flags);
  const dir = await dataDir(flags);
  const json = flags.json === true;
  // With --json, stdout carries only the JSON lines; everything meant for a person goes to stderr.
  const say = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  const note = (line: string): void => void process.stderr.write(`${line}\n`);
  const progress = process.stderr.isTTY ? barProgress(epochs) : null;

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    progress?.stop();
    if (interrupts > 1) {
      note('Stopped at once (second Ctrl+C); nothing saved.');
      process.exit(EXIT_INTERRUPTED);
    }
    note('Ctrl+C: stopping after this mini-batch (press Ctrl+C again to quit at once)…');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const loaded = await loadMnist(loadOptions(dir, flags));
    const data = flags['expand'] === true ? { ...loaded, train: expandMnist(loaded.train, options.seed ?? TRAIN_DEFAULTS.seed) } : loaded;
    if (data.train.count === 0) {
      const held = data.validation?.count ?? 0;
      throw new UsageError(`--validation ${held} leaves no images to train on (all ${held} are held out); give a smaller --validation`);
    }
    const evalSplit = data.validation === null ? 'test' : 'validation';
    const what = layerSpec === null ? `[${(options.layers ?? TRAIN_DEFAULTS.layers).join(',')}]` : formatNetSpec(layerSpec);
    note(
      `Training ${what} on ${data.train.count} images, ` +
        `evaluating on ${(data.validation ?? data.test).count} ${evalSplit} images${data.validation === null ? '' : ` (and the ${data.test.count} test images)`}: ${epochs} epoch${epochs === 1 ? '' : 's'}, ` +
        `mini-batches of ${options.batchSize ?? TRAIN_DEFAULTS.batchSize}, ${layerSpec === null ? `${options.engine ?? TRAIN_DEFAULTS.engine}/${options.mode ?? TRAIN_DEFAULTS.mode}` : 'autodiff through tensors'}` +
        ` in ${options.dtype}${options.threads === 2 ? ' on 2 threads' : ''}`,
    );
    let result: { best: EpochMetrics | null; interrupted: Interruption | null; save: (path: string) => Promise<void> };
    const callbacks = {
      signal: controller.signal,
      onBatch: (done: number, total: number, epoch: number) => progress?.batch(done, total, epoch),
      onEpoch: (m: EpochMetrics) => {
        progress?.stop();
        if (json) process.stdout.write(`${JSON.stringify(jsonMetrics(m))}\n`);
        else say(formatEpoch(m, epochs));
      },
    };
    try {
      if (layerSpec === null) {
        const r = await train({ ...options, data, ...callbacks });
        result = { best: r.best, interrupted: r.interrupted, save: (path) => saveModel(path, r.net) };
      } else {
        const model = buildNet(layerSpec, { activation: options.activation ?? TRAIN_DEFAULTS.activation, init: options.init ?? 'scaled', seed: options.seed ?? TRAIN_DEFAULTS.seed });
        const r = await trainNet({
          model,
          data,
          epochs,
          batchSize: options.batchSize ?? TRAIN_DEFAULTS.batchSize,
          eta: options.eta ?? NET_DEFAULTS.eta,
          cost: options.cost ?? NET_DEFAULTS.cost,
          activation: options.activation ?? TRAIN_DEFAULTS.activation,
          lambda: options.lambda ?? 0,
          seed: options.seed ?? TRAIN_DEFAULTS.seed,
          reference: options.fast === false,
          dtype: options.dtype,
          ...callbacks,
        });
        const best = r.history.reduce<EpochMetrics | null>((b, m) => (b === null || m.correct > b.correct ? m : b), null);
        result = { best, interrupted: r.interrupted, save: (path) => saveModel(path, r.model) };
      }
    } catch (error) {
      if (!(error instanceof TrainingDivergedError)) throw error;
      progress?.stop();
      note(`nabla-mnist: ${error.message}; nothing was saved${out === null ? '' : ` (${out} is as it was)`}`);
      return EXIT_DIVERGED;
    }
    const { best, interrupted } = result;
    if (best !== null) {
      const test = best.test === undefined ? '' : `; test accuracy at that epoch: ${formatScore(best.test)}`;
      say(`Best epoch: ${best.epoch}/${epochs}: ${formatScore(best)}${best.test === undefined ? '' : ' (validation)'}${test}`);
    }
    if (interrupted !== null) {
      const where = `epoch ${interrupted.epoch}/${epochs} after ${interrupted.batches} of ${interrupted.batchesPerEpoch} mini-batches`;
      if (interrupted.steps === 0) note(`Interrupted before the first mini-batch; nothing to save.`);
      else if (out === null) note(`Interrupted in ${where}; no --out given, so nothing was saved.`);
      else {
        await result.save(out);
        note(`Interrupted in ${where}; saved the weights to ${out}`);
      }
      return EXIT_INTERRUPTED;
    }
    if (out === null) say('No --out given; the model was not saved.');
    else {
      await result.save(out);
      say(`Saved the final weights (epoch ${epochs}) to ${out}`);
    }
    return 0;
  } finally {
    progress?.stop();
    process.off('SIGINT', onSigint);
  }
}

/** With --net: network3's learning rate and cost, unless given. */
const NET_DEFAULTS = { eta: 0.1, cost: 'logLikelihood' as const };

// --net trains a layer stack through a traced tape with plain SGD: of the fused engines' flags
// only --dtype applies.
function netSpec(spec: string, flags: Flags, options: ReturnType<typeof trainOptions>): NetLayerSpec[] {
  for (const flag of ['layers', 'engine', 'mode', 'threads', 'optimizer', 'momentum']) {
    if (flags[flag] !== undefined) throw new UsageError(`${flagName(flag)} does not apply with --net (a layer stack trains through tensors with plain SGD)`);
  }
  void options;
  const layers = parseNetSpec(spec);
  const rate = number(flags, 'dropout', (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  return rate === undefined ? layers : withDropout(layers, rate);
}

function jsonMetrics(m: EpochMetrics): EpochMetrics {
  // Fixed key order: these six keys, and `test` after them when a validation split is held out.
  const base: EpochMetrics = { epoch: m.epoch, correct: m.correct, total: m.total, accuracy: m.accuracy, seconds: m.seconds, cost: m.cost };
  if (m.test !== undefined) base.test = { correct: m.test.correct, total: m.test.total, accuracy: m.test.accuracy };
  return base;
}

function formatScore(m: { correct: number; total: number; accuracy: number }): string {
  return `${m.correct} / ${m.total} (${(100 * m.accuracy).toFixed(2)}%)`;
}

function formatEpoch(m: EpochMetrics, epochs: number): string {
  const test = m.test === undefined ? '' : ` | test ${formatScore(m.test)}`;
  return `Epoch ${m.epoch}/${epochs}: ${formatScore(m)}${test} | ${m.seconds.toFixed(2)} s | cost ${m.cost.toPrecision(4)}`;
}

interface Progress {
  batch(done: number, total: number, epoch: number): void;
  stop(): void;
}

// A bar on stderr for people at a terminal; pipes and CI logs get only the epoch lines.
function barProgress(epochs: number): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'Epoch {epoch}/{epochs} [{bar}] {percentage}% | {value}/{total} mini-batches | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    batch(done, total, epoch) {
      if (!running) {
        bar.start(total, 0, { epoch, epochs });
        running = true;
      }
      bar.update(done, { epoch, epochs });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

// ------------------------------------------------------------------------- evaluate and predict

async function evaluateCommand(flags: Flags): Promise<number> {
  const model = await readModel(flags);
  const { test } = await loadMnist(loadOptions(await dataDir(flags), flags));
  if (model instanceof Sequential) {
    process.stdout.write(`Test set: ${formatScore(evaluateNet(model, test))}\n`);
    return 0;
  }
  const net = model;
  checkModelFits(net, test.rows * test.cols);
  warnIfOverflowing(net, test);
  process.stdout.write(`Test set: ${formatScore(evaluate(net, test))}\n`);
  return 0;
}

async function predictCommand(flags: Flags): Promise<number> {
  const index = integer(flags, 'index', 0);
  if (index === undefined) throw new UsageError('predict needs --index N, the test image to classify (from 0)');
  const model = await readModel(flags);
  const { test } = await loadMnist(loadOptions(await dataDir(flags), flags));
  if (index >= test.count) throw new UsageError(`--index ${index} is out of range: the test set has ${test.count} images (0–${test.count - 1})`);
  const pixels = test.rows * test.cols;
  const X = new Float64Array(pixels);
  batchInto(test, [index], 0, 1, X, null);
  let outputs: Float64Array;
  if (model instanceof Sequential) {
    // A layer stack from --net outputs logits; shown as probabilities.
    outputs = model.eval().forward(fromData(X, [1, 1, test.rows, test.cols])).softmax(0).data;
  } else {
    checkModelFits(model, pixels);
    warnIfOverflowing(model, { ...test, count: 1, images: test.images.subarray(index * pixels, (index + 1) * pixels), labels: test.labels.subarray(index, index + 1) }, 'this image');
    outputs = model.feedforward(fromData(X, [pixels, 1])).data;
  }
  let predicted = 0;
  for (let k = 1; k < outputs.length; k++) if (outputs[k]! > outputs[predicted]!) predicted = k;
  const label = test.labels[index]!;
  const lines = [`Test image ${index}: predicted ${predicted}, label ${label} (${predicted === label ? 'correct' : 'wrong'})`];
  outputs.forEach((a, k) => lines.push(`  ${k}  ${a.toFixed(6)}${k === predicted ? '  <- predicted' : ''}`));
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

// A model can load fine (every number finite) and still overflow float64 in its forward pass:
// then its outputs are NaN or saturated ties, and the accuracy silently drops to about 10%.
function warnIfOverflowing(net: Network, split: Split, what = `${split.count} test images`): void {
  const n = overflowingExamples(net, split);
  if (n === 0) return;
  let largest = 0;
  for (const w of net.weights) for (const v of w.data) largest = Math.max(largest, Math.abs(v));
  const which = split.count === 1 ? what : `${n} of ${what}`;
  process.stderr.write(
    `nabla-mnist: warning: the forward pass overflows float64 (NaN or ±∞ in a layer) for ${which}; ` +
      `the largest weight is ${largest.toPrecision(3)}, so the results below mean little\n`,
  );
}

async function readModel(flags: Flags): Promise<Network | Sequential> {
  const given = text(flags, 'model');
  if (given === undefined) throw new UsageError('missing --model FILE (a model written by nabla-mnist train --out)');
  const path = fromUser(given);
  try {
    return await loadModule(path);
  } catch (error) {
    if (isFsError(error)) throw new UsageError(`cannot read model ${path}: ${fsReason(error)}`);
    throw error;
  }
}

function checkModelFits(net: Network, pixels: number): void {
  const sizes = net.sizes;
  if (sizes[0] !== pixels || sizes[sizes.length - 1] !== CLASSES) {
    throw new UsageError(`the model's layers [${sizes.join(',')}] do not fit the data: need ${pixels} inputs and ${CLASSES} outputs`);
  }
}

// ------------------------------------------------------------------------------ flags and paths

// `pnpm train` runs this through `pnpm --filter @nabla/mnist exec`, which moves the working
// directory into packages/mnist; pnpm keeps the directory the user typed the command in as INIT_CWD.
// NOTE: INIT_CWD is inherited by every child of a pnpm script, so it is trusted only when we run in
// this package's own directory (where `pnpm --filter … exec` puts us); anywhere else the cwd is
// the user's own.
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function userCwd(): string {
  const initCwd = process.env.INIT_CWD;
  return initCwd !== undefined && initCwd !== '' && resolve(process.cwd()) === PACKAGE_DIR ? initCwd : process.cwd();
}

function fromUser(path: string): string {
  return resolve(userCwd(), path);
}

async function outputPath(flags: Flags): Promise<string | null> {
  const given = text(flags, 'out');
  if (given === undefined) return null;
  const path = fromUser(given);
  // Checked before training, so a typo or a read-only folder costs seconds, not a whole run.
  const folder = await statOrNull(dirname(path));
  if (folder === null || !folder.isDirectory()) throw new UsageError(`--out ${path}: folder ${dirname(path)} does not exist`);
  if ((await statOrNull(path))?.isDirectory() === true) throw new UsageError(`--out ${path} is a folder; give a file name such as model.json`);
  // Creating the temp file the save will write proves the folder writable, and clears one a
  // killed save may have left.
  const tmp = tempPathFor(path);
  try {
    await (await open(tmp, 'w')).close();
    await rm(tmp, { force: true });
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new UsageError(`--out ${path}: cannot write in folder ${dirname(path)}: ${fsReason(error)}`);
  }
  return path;
}

async function dataDir(flags: Flags): Promise<string | null> {
  const given = text(flags, 'dataDir');
  if (given === undefined) return null;
  const path = fromUser(given);
  const s = await statOrNull(path);
  if (s === null || !s.isDirectory()) throw new UsageError(`--data-dir ${path}: no such folder`);
  return path;
}

function loadOptions(dir: string | null, flags: Flags): LoadMnistOptions {
  const o: LoadMnistOptions = {};
  if (dir !== null) o.dir = dir;
  const limit = integer(flags, 'limit', 1);
  if (limit !== undefined) o.limit = limit;
  const validation = integer(flags, 'validation', 0);
  if (validation !== undefined) o.validation = validation;
  return o;
}

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

// ----------------------------------------------------------------------------------- errors

function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

function fsReason(error: NodeJS.ErrnoException): string {
  const reasons = new Map([
    ['ENOENT', 'no such file'],
    ['EISDIR', 'is a folder'],
    ['EACCES', 'permission denied'],
    ['EPERM', 'permission denied'],
    ['EROFS', 'read-only file system'],
    ['ENOTDIR', 'a parent is not a folder'],
  ]);
  return reasons.get(error.code ?? '') ?? error.message;
}

// Bad input of any kind — flags, data files, model files — is the user's to fix: exit 2.
function isUserError(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof DatasetError ||
    error instanceof IdxError ||
    error instanceof TrainOptionError ||
    error instanceof ModelFormatError ||
    (error instanceof Error && error.name === 'CACError') ||
    isFsError(error)
  );
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const user = isUserError(error);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`nabla-mnist: ${user ? '' : 'internal error: '}${oneLine(message)}\n`);
  if (!user && process.env.NABLA_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
  process.exitCode = user ? EXIT_USAGE : 1;
}
