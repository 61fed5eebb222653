/**
 * Fuzzing the model loader: arbitrary JSON values, valid models with one field mutated (the
 * route by which `"activation": "valueOf"` was found), and model files with their text damaged.
 * Every outcome must be a working Network or a ModelFormatError: never another error, never a
 * network that loads and then fails or returns something that is not a tensor.
 *
 * Runs (fixed seed, `propertyConfig`): 300 JSON values, 400 mutated models, 200 damaged files;
 * about a second in all on one core.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Tensor, zeros } from '@nabla/core';
import { propertyConfig } from '@nabla/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from './io.ts';
import { Network } from './network.ts';
import { loadModel } from './persist.ts';

const ACTIVATIONS = ['sigmoid', 'relu', 'tanh', 'identity', 'softmax'];
const COSTS = ['quadratic', 'crossEntropy', 'logLikelihood'];
// Names a plain-object lookup would find without being ours.
const PROTOTYPE_NAMES = ['valueOf', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'isPrototypeOf', 'toLocaleString', '__defineGetter__'];

/** Loads `value` as a model; returns what happened, failing the property on anything but the two allowed outcomes. */
function outcome(load: () => Network): 'loaded' | 'rejected' {
  let net: Network;
  try {
    net = load();
  } catch (error) {
    if (error instanceof ModelFormatError) return 'rejected';
    throw error;
  }
  // A network that loaded must work: known names, and a forward pass that gives a tensor.
  expect(ACTIVATIONS).toContain(net.activation.name);
  expect(ACTIVATIONS).toContain(net.outputActivation.name);
  expect(COSTS).toContain(net.cost.name);
  const out = net.feedforward(zeros([net.sizes[0]!, 2]));
  expect(out).toBeInstanceOf(Tensor);
  expect(out.shape).toEqual([net.sizes[net.sizes.length - 1], 2]);
  return 'loaded';
}

const validModel = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
    activation: fc.constantFrom('sigmoid', 'relu', 'tanh', 'identity'),
    cost: fc.constantFrom('quadratic', 'crossEntropy', 'logLikelihood'),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ sizes, activation, cost, seed }) => JSON.parse(JSON.stringify(new Network(sizes, { activation, cost, seed } as never).toJSON())) as unknown);

// A value to put somewhere in a model: any JSON, a prototype name, a near-miss number.
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...PROTOTYPE_NAMES, ...ACTIVATIONS, ...COSTS),
  fc.constantFrom(1e308, -1e308, 5e-324, -0, Number.MAX_SAFE_INTEGER, 0.5, -1, 0),
);

/** Every path (list of keys) into a JSON value, the root included. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

type Mutation = { kind: 'set' | 'delete' | 'add'; pick: number; key: string; value: unknown };

function mutate(model: unknown, m: Mutation): unknown {
  const all = paths(model);
  const path = all[m.pick % all.length]!;
  if (path.length === 0) return m.kind === 'set' ? m.value : model;
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, model as Record<string, unknown>);
  const last = path[path.length - 1]!;
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (Array.isArray(parent)) parent.push(m.value);
  // Defined as an own property, as JSON.parse makes `"__proto__": …`.
  else Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  return model;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'set', 'delete', 'add'),
  pick: fc.nat(),
  key: fc.oneof(fc.constantFrom('activation', 'outputActivation', 'cost', 'sizes', ...PROTOTYPE_NAMES), fc.string({ maxLength: 8 })),
  value: replacement,
});

describe('Network.fromJSON fuzzed: a network that works, or a ModelFormatError', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => void outcome(() => Network.fromJSON(value))),
      propertyConfig({ numRuns: 300 }),
    );
  });

  it('on valid models with one to three fields set, deleted or added (prototype names among the values and keys)', () => {
    const seen = { loaded: 0, rejected: 0 };
    fc.assert(
      fc.property(validModel, fc.array(mutation, { minLength: 1, maxLength: 3 }), (model, ms) => {
        const mutated = ms.reduce(mutate, structuredClone(model)); // a copy: fast-check replays the original when shrinking
        seen[outcome(() => Network.fromJSON(mutated))]++;
      }),
      propertyConfig({ numRuns: 400 }),
    );
    // Both outcomes occur, so the mutations neither always break nor never touch the model.
    expect(seen.loaded).toBeGreaterThan(20);
    expect(seen.rejected).toBeGreaterThan(100);
  });
});

describe('loadModel fuzzed on damaged files: a network that works, or a ModelFormatError', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-io-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on model text with characters replaced, cut or inserted (1e309 and prototype names among them)', async () => {
    const text = JSON.stringify(new Network([3, 2, 2], { seed: 1 }).toJSON());
    const edit = fc.record({
      at: fc.nat({ max: text.length }),
      cut: fc.nat({ max: 6 }),
      insert: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('1e309', '-1e309', '"valueOf"', '"__proto__"', 'null', ']', '{', 'NaN')),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const damaged = edits.reduce((t, e) => t.slice(0, e.at) + e.insert + t.slice(e.at + e.cut), text);
        const path = join(dir, `m${run++}.json`);
        writeFileSync(path, damaged);
        let net: Network | null = null;
        try {
          net = await loadModel(path);
        } catch (error) {
          if (!(error instanceof ModelFormatError)) throw error;
        }
        if (net !== null) outcome(() => net);
      }),
      propertyConfig({ numRuns: 200 }),
    );
  });
});
