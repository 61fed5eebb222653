// The CLI run as a person runs it: `node packages/mnist/bin/nabla-mnist.js …` in a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Network } from '@nabla/nn';
import { loadModel, saveModel } from '@nabla/nn/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledMnistDir } from './dataset.ts';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(PACKAGE_DIR, 'bin', 'nabla-mnist.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd?: string;
  /** Value of INIT_CWD for the child; removed when absent (vitest may itself run under pnpm). */
  initCwd?: string;
  /** Called with the child and its stderr so far, on every stderr chunk. */
  onStderr?: (child: ChildProcess, stderr: string) => void;
}

function run(args: string[], { cwd = tmp, initCwd, onStderr }: RunOptions = {}): Promise<Run> {
  const env = { ...process.env };
  delete env.INIT_CWD;
  if (initCwd !== undefined) env.INIT_CWD = initCwd;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      onStderr?.(child, stderr);
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nabla-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nabla-mnist train / evaluate / predict', () => {
  let trained: Run;
  let model: string;
  beforeAll(async () => {
    // Run from the package folder with INIT_CWD set, as `pnpm train` does: --out resolves there.
    trained = await run(['train', '--limit', '500', '--epochs', '2', '--json', '--out', 'm.json'], { cwd: PACKAGE_DIR, initCwd: tmp });
    model = join(tmp, 'm.json');
    // A child process training two epochs: give it the tests' time, not the hooks' 10 s.
  }, 60_000);

  it('train --json prints exactly one JSON object per epoch on stdout, with the six keys', () => {
    expect(trained.code).toBe(0);
    const records = lines(trained.stdout).map((l) => JSON.parse(l) as Record<string, number>);
    expect(records).toHaveLength(2);
    records.forEach((r, i) => {
      expect(Object.keys(r)).toEqual(['epoch', 'correct', 'total', 'accuracy', 'seconds', 'cost']);
      expect(r.epoch).toBe(i + 1);
      expect(r.total).toBe(10_000);
      expect(r.accuracy).toBe(r.correct! / 10_000);
    });
    expect(trained.stderr).toMatch(/Best epoch: \d\/2/);
  });

  it('train --out writes a model that nn loadModel reads, in the directory pnpm was run from', async () => {
    expect(trained.stderr).toContain(`Saved the final weights (epoch 2) to ${model}`);
    const net = await loadModel(model);
    expect(net.sizes).toEqual([784, 30, 10]);
  });

  it('evaluate reports the accuracy of the last epoch', async () => {
    const last = JSON.parse(lines(trained.stdout).at(-1)!) as { correct: number };
    const r = await run(['evaluate', '--model', model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Test set: ${last.correct} / 10000 (${(last.correct / 100).toFixed(2)}%)\n`);
  });

  it('predict prints the predicted digit, the true label and the ten outputs', async () => {
    const r = await run(['predict', '--model', model, '--index', '0']);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^Test image 0: predicted \d, label 7 \((correct|wrong)\)$/);
    expect(out.slice(1)).toHaveLength(10);
    out.slice(1).forEach((l, k) => expect(l).toMatch(new RegExp(`^  ${k}  0\\.\\d{6}`)));
  });

  it('trains in float32 by default where it can (the fast engines, --net), in float64 elsewhere, and as --dtype says', async () => {
    const header = async (...args: string[]): Promise<string> => {
      const r = await run(['train', '--limit', '100', '--epochs', '1', '--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return lines(r.stderr)[0]!;
    };
    expect(await header()).toMatch(/^Training \[784,30,10\] on 100 images, .*mini-batches of 10, autodiff\/matrix in float32$/);
    expect(await header('--dtype', 'float64')).toMatch(/autodiff\/matrix in float64$/);
    expect(await header('--engine', 'backprop', '--threads', '2')).toMatch(/backprop\/matrix in float32 on 2 threads$/);
    expect(await header('--optimizer', 'momentum')).toMatch(/in float64$/);
    expect(await header('--reference')).toMatch(/in float64$/);
    expect(await header('--net', 'dense:10')).toMatch(/^Training dense:10 .*autodiff through tensors in float32$/);
    expect(await header('--net', 'dense:10', '--dtype', 'float64')).toMatch(/autodiff through tensors in float64$/);
    const refused = await run(['train', '--limit', '100', '--epochs', '1', '--optimizer', 'momentum', '--dtype', 'float32']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/dtype.*float32 runs only in the fast engines/);
  }, 60_000);

  it('train without --json prints the epoch line and says nothing was saved; relative paths use the cwd', async () => {
    // INIT_CWD inherited from elsewhere must not redirect paths when not run from the package folder.
    const r = await run(['train', '--limit', '200', '--epochs', '1', '--batch-size', '20'], { initCwd: PACKAGE_DIR });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/^Epoch 1\/1: \d+ \/ 10000 \(\d+\.\d\d%\) \| \d+\.\d\d s/);
    expect(r.stdout).toContain('No --out given; the model was not saved.');
  });
});

describe('nabla-mnist train --net (a conv net, end to end)', () => {
  it('trains conv:4x5,maxpool:2,dense:30,dense:10 on 300 images for one epoch, saves it, and evaluate/predict read it', async () => {
    const out = join(tmp, 'conv.json');
    const r = await run(['train', '--net', 'conv:4x5,maxpool:2,dense:30,dense:10', '--activation', 'relu', '--eta', '0.05', '--limit', '300', '--epochs', '1', '--json', '--out', out], { cwd: PACKAGE_DIR, initCwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Training conv:4x5,maxpool:2,dense:30,dense:10 on 300 images, evaluating on 10000 test images: 1 epoch, mini-batches of 10, autodiff through tensors/m);
    const [epoch] = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, number>);
    expect(epoch!.total).toBe(10_000);
    expect(epoch!.accuracy).toBeGreaterThan(0.2); // far above chance after 30 steps
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { format: string; version: number; layers: { kind: string }[] };
    expect([saved.format, saved.version]).toEqual(['nabla-model', 2]);
    expect(saved.layers.map((l) => l.kind)).toEqual(['conv2d', 'maxPool2d', 'flatten', 'dense', 'dense']);
    const evaluated = await run(['evaluate', '--model', out]);
    expect(evaluated.stdout.trim()).toBe(`Test set: ${epoch!.correct} / 10000 (${(100 * epoch!.accuracy!).toFixed(2)}%)`);
    const predicted = await run(['predict', '--model', out, '--index', '0']);
    expect(predicted.stdout).toMatch(/^Test image 0: predicted \d, label 7/);
  });

  it('with --validation, reports the test set too and the test accuracy at the best validation epoch (the book\'s measure)', async () => {
    const r = await run(['train', '--net', 'dense:20,dense:10', '--activation', 'relu', '--limit', '300', '--validation', '200', '--epochs', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/evaluating on 200 validation images \(and the 10000 test images\)/);
    const epochs = lines(r.stdout).filter((l) => l.startsWith('Epoch'));
    expect(epochs).toHaveLength(3);
    for (const l of epochs) expect(l).toMatch(/^Epoch \d\/3: \d+ \/ 200 \(\d+\.\d\d%\) \| test \d+ \/ 10000 \(\d+\.\d\d%\) \|/);
    // the best line names the epoch with the most validation hits (the first of ties), and that epoch's test score
    const hits = epochs.map((l) => Number(/: (\d+) \/ 200/.exec(l)![1]));
    const best = hits.indexOf(Math.max(...hits));
    const test = / \| test (\d+ \/ 10000 \(\d+\.\d\d%\))/.exec(epochs[best]!)![1];
    expect(r.stdout).toContain(`Best epoch: ${best + 1}/3: ${hits[best]} / 200`);
    expect(r.stdout).toContain(`(validation); test accuracy at that epoch: ${test}`);
    const json = await run(['train', '--limit', '300', '--validation', '200', '--epochs', '1', '--json']);
    const [row] = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(row!)).toEqual(['epoch', 'correct', 'total', 'accuracy', 'seconds', 'cost', 'test']);
    expect((row!.test as { total: number }).total).toBe(10_000);
  });

  it('--dropout puts dropout before every dense layer of --net, and is refused without --net or out of [0, 1)', async () => {
    const r = await run(['train', '--net', 'dense:20,dense:10', '--dropout', '0.5', '--limit', '100', '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Training dropout:0\.5,dense:20,dropout:0\.5,dense:10 on 100 images/m);
    const alone = await run(['train', '--dropout', '0.5']);
    expect(alone.code).toBe(2);
    expect(alone.stderr.trim()).toBe('nabla-mnist: --dropout applies only with --net (a layer stack), where it goes before every dense layer');
    const bad = await run(['train', '--net', 'dense:10', '--dropout', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("nabla-mnist: --dropout must be a number in [0, 1), got '1'");
  });

  it('a bad spec exits 2 with one line naming the layer at fault, before any data is loaded', async () => {
    const r = await run(['train', '--net', 'conv:20x5,maxpool:2,dense:100']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('nabla-mnist: train: net layer 3 "dense:100": the last layer must be dense:10, one unit per digit');
    const engine = await run(['train', '--net', 'dense:10', '--engine', 'backprop']);
    expect(engine.code).toBe(2);
    expect(engine.stderr).toMatch(/--engine does not apply with --net/);
  });
});

describe('nabla-mnist train --expand', () => {
  it('trains on each image and its four one-pixel shifts (5× the images)', async () => {
    const r = await run(['train', '--expand', '--limit', '100', '--epochs', '1'], { cwd: PACKAGE_DIR, initCwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Training \[784,30,10\] on 500 images, evaluating on 10000 test images/m);
  });
});

describe('nabla-mnist errors: one line on stderr, exit code 2', () => {
  let badData: string;
  let badModel: string;
  beforeAll(() => {
    // The bundled files, except a truncated test-image file.
    badData = mkdtempSync(join(tmp, 'bad-data-'));
    const bundled = bundledMnistDir();
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte']) symlinkSync(join(bundled, name), join(badData, name));
    writeFileSync(join(badData, 't10k-images-idx3-ubyte'), readFileSync(join(bundled, 't10k-images-idx3-ubyte')).subarray(0, 1000));
    badModel = join(tmp, 'bad-model.json');
    writeFileSync(badModel, '{"weights": 3}');
  });

  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['train', '--bogus', '1'], /Unknown option `--bogus`/],
    ['a non-numeric value', ['train', '--eta', 'abc'], /--eta must be a positive number, got 'abc'/],
    ['layers not ending with 10', ['train', '--layers', '784,30,9'], /--layers must start with 784 .* end with 10/],
    ['an unknown activation', ['train', '--activation', 'gelu'], /unknown activation 'gelu'/],
    ['an unknown engine', ['train', '--engine', 'gpu'], /--engine must be one of autodiff, backprop/],
    ['an unknown command', ['fit'], /unknown command 'fit'/],
    ['a missing --model', ['evaluate'], /missing --model/],
    ['a missing model file', ['evaluate', '--model', 'nope.json'], /cannot read model .*nope\.json: no such file/],
    ['a bad --index', ['predict', '--model', 'nope.json', '--index', 'x'], /--index must be an integer ≥ 0, got 'x'/],
    ['a missing data folder', ['train', '--data-dir', 'no-such-dir'], /--data-dir .*no-such-dir: no such folder/],
    ['an --out folder that does not exist', ['train', '--out', 'missing/m.json'], /--out .*missing\/m\.json: folder .* does not exist/],
    ['a prototype name as --activation', ['train', '--activation', 'valueOf'], /--activation: unknown activation 'valueOf'/],
    ['a prototype name as --cost', ['train', '--cost', 'constructor'], /--cost: unknown cost 'constructor'/],
    ['a prototype name as --init', ['train', '--init', '__proto__'], /--init: unknown init '__proto__'/],
    ['a negative --epochs, naming the flag and the value', ['train', '--epochs', '-1'], /--epochs must be an integer ≥ 1, got '-1'$/m],
    ['a negative --batch-size given with =', ['train', '--batch-size=-5'], /--batch-size must be an integer ≥ 1, got '-5'$/m],
    ['an empty --out', ['train', '--out', ''], /--out needs a value/],
    ['a --model that looks like a number is read as typed', ['evaluate', '--model', '007'], /cannot read model \/.*\/007: no such file/],
    ['a --validation that leaves no training images, before any "Training" line', ['train', '--validation', '60000'], /--validation 60000 leaves no images to train on/],
    ['an unknown command with --help', ['frobnicate', '--help'], /unknown command 'frobnicate'/],
    ['an unknown command with --version', ['frobnicate', '--version'], /unknown command 'frobnicate'/],
    ...(existsSync('/sys/kernel')
      ? ([['an --out folder that is not writable, before training', ['train', '--out', '/sys/m.json'], /--out \/sys\/m\.json: cannot write in folder \/sys: permission denied/]] as [string, string[], RegExp][])
      : []),
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a corrupt IDX file, naming the file and the problem', async () => {
    const r = await run(['train', '--data-dir', badData, '--limit', '10']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`nabla-mnist: ${join(badData, 't10k-images-idx3-ubyte')}: truncated: header says 7840000 data bytes (10000×28×28 ubyte), found 984`]);
  });

  it('a model file with bad JSON fields', async () => {
    const r = await run(['evaluate', '--model', badModel]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`nabla-mnist: ${badModel}: weights: expected a non-empty array of matrices, got 3`]);
  });
});

describe('nabla-mnist train on Ctrl+C', () => {
  it('finishes the mini-batch, writes --out atomically, says what it saved and exits 130', async () => {
    const out = join(tmp, 'int.json');
    let sent = false;
    const r = await run(['train', '--epochs', '30', '--out', out], {
      onStderr: (child, stderr) => {
        // The "Training …" line comes just before the first mini-batch; give it a moment.
        if (!sent && stderr.includes('Training [784,30,10] on 60000 images')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 200);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    // An epoch takes well under a second now, so the signal may land in any early epoch.
    expect(r.stderr).toMatch(new RegExp(`Interrupted in epoch \\d+/30 after \\d+ of 6000 mini-batches; saved the weights to ${out}`));
    for (const line of r.stdout.split('\n').filter(Boolean)) expect(line).toMatch(/^Epoch \d+\/30: \d+ \/ 10000 \(\d+\.\d\d%\) \| /);
    expect((await loadModel(out)).sizes).toEqual([784, 30, 10]);
  });
});

describe('nabla-mnist: paths, versions, divergence and overflow', () => {
  it('--version prints the version and exits 0; --help of a command exits 0', async () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
    const v = await run(['--version']);
    expect(v).toEqual({ code: 0, stdout: `nabla-mnist ${pkg.version}\n`, stderr: '' });
    const h = await run(['train', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--epochs <n>');
  });

  it('number-like --out paths are written as typed (007, 0x10), not as ./7 and ./16', async () => {
    const dir = mkdtempSync(join(tmp, 'paths-'));
    for (const name of ['007', '0x10']) {
      const r = await run(['train', '--limit', '10', '--epochs', '1', '--out', name], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Saved the final weights (epoch 1) to ${join(dir, name)}`);
    }
    expect(readdirSync(dir).sort()).toEqual(['007', '0x10']);
    expect((await run(['evaluate', '--model', '007'], { cwd: dir })).code).toBe(0);
  });

  it('a run that diverges stops naming the epoch and batch, exits 3 and leaves an existing --out untouched', async () => {
    const dir = mkdtempSync(join(tmp, 'diverge-'));
    const good = join(dir, 'good.json');
    await saveModel(good, new Network([784, 30, 10], { seed: 1 }));
    const before = readFileSync(good, 'utf8');
    const r = await run(['train', '--activation', 'identity', '--limit', '100', '--epochs', '2', '--out', 'good.json'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe(''); // no "Epoch 1/2: … cost NaN" line
    expect(r.stderr).toMatch(/nabla-mnist: train: diverged in epoch 1, mini-batch \d+ of 10: the mini-batch cost is (NaN|-?Infinity) \(try a smaller eta\); nothing was saved \(.*good\.json is as it was\)/);
    expect(readFileSync(good, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['good.json']);
  });

  it('evaluate and predict warn on stderr when the forward pass overflows float64 (weights near 1e308)', async () => {
    const dir = mkdtempSync(join(tmp, 'huge-'));
    const net = new Network([784, 30, 10], { seed: 1 });
    const w = net.weights[0]!.data;
    for (let i = 0; i < w.length; i++) w[i] = w[i]! < 0 ? -1e308 : 1e308;
    await saveModel(join(dir, 'huge.json'), net);
    const e = await run(['evaluate', '--model', 'huge.json'], { cwd: dir });
    expect(e.code).toBe(0);
    expect(e.stderr).toMatch(/^nabla-mnist: warning: the forward pass overflows float64 \(NaN or ±∞ in a layer\) for \d+ of 10000 test images; the largest weight is 1\.00e\+308/);
    const p = await run(['predict', '--model', 'huge.json', '--index', '0'], { cwd: dir });
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/overflows float64 .* for this image/);
    const fine = await run(['evaluate', '--model', 'good.json'], { cwd: join(tmp, readdirSync(tmp).find((d) => d.startsWith('diverge-'))!) });
    expect(fine.stderr).toBe('');
  });
});
