/**
 * Fuzzing the command line in-process: random words made of the real commands and flags, flag
 * names that are not ours (prototype names among them) and values of every kind (negative,
 * hex, empty, prototype names, arbitrary text). Parsing plus `trainOptions` must give options or
 * a UsageError / cac's error, never another exception; and a value flag keeps its text exactly.
 *
 * Runs (fixed seed, `propertyConfig`): 600 command lines, 300 path values; under a second.
 */
import fc from 'fast-check';
import { propertyConfig } from '@nabla/core/testing';
import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandLine, text, trainOptions } from './flags.ts';

const COMMANDS = ['train', 'evaluate', 'predict', 'frobnicate', '__proto__', 'constructor'];
const FLAGS = [
  'layers', 'epochs', 'batch-size', 'eta', 'activation', 'cost', 'init', 'engine', 'mode', 'dtype', 'threads', 'reference',
  'optimizer', 'momentum', 'lambda', 'seed', 'limit', 'validation', 'data-dir', 'out', 'json', 'model', 'index', 'help', 'version', 'net', 'dropout',
  '__proto__', 'constructor', 'toString', 'valueOf', 'bogus',
];
const VALUES = ['-1', '0', '1', '007', '0x10', '1e3', '', ' ', 'NaN', 'Infinity', '-0', '3.5', '784,30,10', '784,,10', 'valueOf', '__proto__', 'constructor', 'sigmoid', 'adam', 'backprop', 'float32', '2', '-', '--'];

const word = fc.oneof(
  fc.constantFrom(...FLAGS).map((f) => `--${f}`),
  fc.tuple(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES)).map(([f, v]) => `--${f}=${v}`),
  fc.constantFrom(...VALUES),
  fc.constantFrom('-h', '-v', '-x', '--no-json', '--'),
  fc.string({ maxLength: 6 }),
);

function outcome(argv: string[]): 'ok' | 'rejected' {
  try {
    const line = parseCommandLine(argv);
    if (line.command === 'train' && !line.wantsHelp && !line.wantsVersion) trainOptions(line.flags);
    return 'ok';
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && error.name === 'CACError')) return 'rejected';
    throw error;
  }
}

describe('the command line fuzzed: options, a UsageError or a CACError', () => {
  it('on random words after a command (known or not)', () => {
    const seen = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...COMMANDS), fc.array(word, { maxLength: 6 }), (command, rest) => {
        seen[outcome([command, ...rest])]++;
      }),
      propertyConfig({ numRuns: 600 }),
    );
    expect(seen.ok).toBeGreaterThan(30);
    expect(seen.rejected).toBeGreaterThan(100);
  });

  it('keeps every --out and --model value as typed (numbers, hex and leading zeros included)', () => {
    const path = fc.oneof(fc.stringMatching(/^[0-9a-zA-Z._][0-9a-zA-Z._/ -]{0,12}$/), fc.constantFrom('007', '0x10', '1e3', '0', '.5', 'Infinity', 'NaN'));
    fc.assert(
      fc.property(path, fc.boolean(), (value, withEquals) => {
        const out = parseCommandLine(['train', ...(withEquals ? [`--out=${value}`] : ['--out', value])]);
        expect(text(out.flags, 'out')).toBe(value);
        const model = parseCommandLine(['evaluate', '--model', value]);
        expect(text(model.flags, 'model')).toBe(value);
      }),
      propertyConfig({ numRuns: 300 }),
    );
  });
});
