/**
 * saveModel / loadModel on the real file system, in a fresh temporary directory per test:
 * atomic writes (no temp file left, an existing file replaced whole or not at all), exact
 * round trips, and errors that name the file.
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tensor } from '@nabla/core';
import { ModelFormatError } from './io.ts';
import { Network } from './network.ts';
import { loadModel, saveModel, writeFileAtomic } from './persist.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-persist-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const leftovers = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('saveModel', () => {
  it('writes the toJSON form, leaves no temp file, and loadModel gives identical parameters and settings', async () => {
    const net = new Network([4, 6, 3], { activation: 'relu', cost: 'logLikelihood', init: 'he', seed: 12 });
    const path = join(dir, 'model.json');
    await saveModel(path, net);
    expect(readdirSync(dir)).toEqual(['model.json']);
    expect(leftovers()).toEqual([]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(net.toJSON());

    const loaded = await loadModel(path);
    expect(loaded.sizes).toEqual([4, 6, 3]);
    expect([loaded.activation.name, loaded.outputActivation.name, loaded.cost.name]).toEqual(['relu', 'softmax', 'logLikelihood']);
    net.weights.forEach((w, l) => expect(Array.from(loaded.weights[l]!.data)).toEqual(Array.from(w.data)));
    net.biases.forEach((b, l) => expect(Array.from(loaded.biases[l]!.data)).toEqual(Array.from(b.data)));
    const X = tensor([[1, 0], [0.5, -1], [2, 0.1], [-0.3, 0.7]]);
    expect(loaded.feedforward(X)).toBeAllclose(net.feedforward(X), { rtol: 0 });
  });

  it('replaces an existing file whole', async () => {
    const path = join(dir, 'model.json');
    writeFileSync(path, 'x'.repeat(100_000)); // longer than the model: nothing of it may remain
    const net = new Network([2, 2, 1], { seed: 1 });
    await saveModel(path, net);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(net.toJSON());
    expect(leftovers()).toEqual([]);
  });

  it('throws when the directory does not exist, and creates nothing', async () => {
    const path = join(dir, 'missing', 'model.json');
    await expect(saveModel(path, new Network([2, 1]))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a save that fails at the rename leaves the existing target untouched and no temp file', async () => {
    // The target is a non-empty directory, so rename(tmp, target) fails after the temp file
    // was written (works as root too, unlike a read-only directory).
    const target = join(dir, 'model.json');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'old');
    await expect(saveModel(target, new Network([2, 1]))).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('old');
    expect(leftovers()).toEqual([]);
  });

  it('a save that fails before writing (toJSON throws) leaves an existing file untouched', async () => {
    const path = join(dir, 'model.json');
    writeFileSync(path, '{"old":true}');
    const net = new Network([2, 1]);
    net.toJSON = () => {
      throw new Error('boom');
    };
    await expect(saveModel(path, net)).rejects.toThrow('boom');
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}');
    expect(leftovers()).toEqual([]);
  });

  it('refuses to write non-finite weights (JSON has no NaN), naming the field, and leaves an existing file untouched', async () => {
    const path = join(dir, 'model.json');
    writeFileSync(path, '{"old":true}');
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const net = new Network([3, 2, 1], { seed: 1 });
      net.weights[1]!.data[1] = bad;
      const error = await saveModel(path, net).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFormatError);
      expect((error as Error).message).toBe(`weights[1][0][1]: not a finite number (got ${bad}); JSON cannot hold it, so the model was not saved`);
    }
    const net = new Network([3, 2, 1], { seed: 1 });
    net.biases[0]!.data[1] = Number.NaN;
    await expect(saveModel(path, net)).rejects.toThrow(/^biases\[0\]\[1\]\[0\]: not a finite number \(got NaN\)/);
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}');
    expect(leftovers()).toEqual([]);
  });

  it('uses one predictable temp name per target, so a save after a killed one leaves no temp file behind', async () => {
    const path = join(dir, 'model.json');
    // What a save killed midway leaves: the temp file of this version, and those of older
    // versions (model.json.<pid>.<ms>.tmp, one more per kill).
    writeFileSync(`${path}.tmp`, '{"half": ');
    writeFileSync(`${path}.4242.1764633600000.tmp`, '{"half": ');
    writeFileSync(`${path}.77.1764633600001.tmp`, '');
    writeFileSync(join(dir, 'other.json.77.1764633600001.tmp'), ''); // another target's: not ours to remove
    const net = new Network([2, 2, 1], { seed: 1 });
    await saveModel(path, net);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(net.toJSON());
    expect(leftovers()).toEqual(['other.json.77.1764633600001.tmp']);
  });

  it('writeFileAtomic writes text as given', async () => {
    const path = join(dir, 'a.txt');
    await writeFileAtomic(path, 'héllo\n');
    expect(readFileSync(path, 'utf8')).toBe('héllo\n');
    expect(leftovers()).toEqual([]);
  });
});

describe('loadModel', () => {
  it('loads the hand-made NumPy-style fixture', async () => {
    const net = await loadModel(fileURLToPath(new URL('./fixtures/numpy-3-2-2.json', import.meta.url)));
    expect(net.sizes).toEqual([3, 2, 2]);
    expect(net.weights[1]!.toArray()).toEqual([
      [0.7, -0.8],
      [-0.9, 1.0],
    ]);
  });

  it('names the file when it is not valid JSON', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"weights": [');
    const error = await loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).field).toBe(path);
    expect((error as Error).message.startsWith(`${path}: not valid JSON (`)).toBe(true);
  });

  it('names the file and the field when the model is malformed', async () => {
    const path = join(dir, 'bad.json');
    const json = new Network([3, 2], { seed: 1 }).toJSON() as unknown as { biases: unknown[] };
    json.biases[0] = [0, 0];
    writeFileSync(path, JSON.stringify(json));
    const error = await loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toBe(`${path}: biases[0]: expected [2,1], got [2]`);
    expect((error as ModelFormatError).field).toBe(`${path}: biases[0]`);
  });

  it('says a number too large for float64 (1e309, which JSON.parse reads as Infinity) overflows, instead of "(got null)"', async () => {
    const path = join(dir, 'huge.json');
    const text = JSON.stringify(new Network([3, 2], { seed: 1 }).toJSON()).replace(/("weights":\[\[\[)[^,]+,/, '$11e309,');
    writeFileSync(path, text);
    const error = await loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toBe(`${path}: weights[0][0][0]: not a finite number (overflows float64)`);
    writeFileSync(path, text.replace('1e309', '-1e309'));
    await expect(loadModel(path)).rejects.toThrow(/weights\[0\]\[0\]\[0\]: not a finite number \(overflows float64\)$/);
  });

  it('passes on the file system’s error for a missing file', async () => {
    await expect(loadModel(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
