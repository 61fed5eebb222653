/**
 * Crash safety of `train --out`: the CLI is killed with SIGKILL at random moments around its
 * save, N times, in two folders side by side. After every kill the model file must be the
 * previous complete file or the new complete one, and the folder may hold at most the one
 * predictable temp file (`m.json.tmp`), which the next run clears before it trains; after a
 * last run that is not killed, nothing but `m.json` remains.
 *
 * Half the kills come a random 0–200 ms after the "Best epoch" line (printed just before the
 * save), half the moment the temp file appears (the case: 12 orphans in 16 tries).
 * Delays come from a seeded generator (`CRASH_SEED` replays another). N = 10, on the smallest
 * run (`--limit 10 --epochs 1`): about 10 s on 2 cores, mostly Node's start-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type FSWatcher, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@nabla/core';
import { Network } from '@nabla/nn';
import { loadModel, saveModel } from '@nabla/nn/node';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bin', 'nabla-mnist.js');
const KILLS = 10;
const SEED = process.env['CRASH_SEED'] !== undefined ? Number(process.env['CRASH_SEED']) : 20261202;

const root = mkdtempSync(join(tmpdir(), 'nabla-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Kill {
  /** The process was killed (false: it had already exited when the kill came). */
  killed: boolean;
  /** What the folder held afterwards. */
  files: string[];
}

/** Runs `train --out m.json` in `dir` and kills it at the moment `when` chooses. */
function runAndKill(dir: string, when: { afterBestMs: number } | 'temp-appears' | 'never'): Promise<Kill> {
  return new Promise((done, fail) => {
    const env = { ...process.env };
    delete env['INIT_CWD'];
    const child: ChildProcess = spawn(process.execPath, [BIN, 'train', '--limit', '10', '--epochs', '1', '--out', 'm.json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let killed = false;
    let watcher: FSWatcher | null = null;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
    };
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      if (!stdout.includes('Best epoch') || when === 'never' || watcher !== null) return;
      if (when === 'temp-appears') {
        // Armed after training: the writability probe before it also makes (and removes) the temp file.
        watcher = watch(dir, (_, name) => {
          if (name !== null && /^m\.json\..*tmp$/.test(name) && existsSync(join(dir, name))) kill();
        });
      } else {
        watcher = watch(dir, () => undefined);
        setTimeout(kill, when.afterBestMs);
      }
    });
    child.on('error', fail);
    child.on('close', () => {
      watcher?.close();
      done({ killed, files: readdirSync(dir).sort() });
    });
  });
}

describe('train --out killed with SIGKILL while saving', () => {
  it(`leaves the old or the new complete model and at most the one temp file, ${KILLS} kills`, async () => {
    const rng = createRng(SEED);
    const lanes = [mkdtempSync(join(root, 'a-')), mkdtempSync(join(root, 'b-'))];
    for (const dir of lanes) await saveModel(join(dir, 'm.json'), new Network([784, 30, 10], { seed: 99 }));
    const figures = { kills: 0, exitedFirst: 0, oldKept: 0, newWritten: 0, tempLeft: 0, secondsPerRun: 0 };
    const started = performance.now();
    type Plan = { afterBestMs: number } | 'temp-appears';
    const plans = Array.from({ length: KILLS }, (_, i): Plan => (i % 2 === 0 ? 'temp-appears' : { afterBestMs: Math.floor(200 * rng.uniform()) }));

    const lane = async (dir: string, mine: Plan[]): Promise<void> => {
      for (const plan of mine) {
        const before = readFileSync(join(dir, 'm.json'), 'utf8');
        const { killed, files } = await runAndKill(dir, plan);
        figures.kills += killed ? 1 : 0;
        figures.exitedFirst += killed ? 0 : 1;
        expect(files.filter((f) => f !== 'm.json' && f !== 'm.json.tmp')).toEqual([]);
        expect(files).toContain('m.json');
        if (files.includes('m.json.tmp')) figures.tempLeft++;
        const after = readFileSync(join(dir, 'm.json'), 'utf8');
        if (after === before) figures.oldKept++;
        else {
          figures.newWritten++;
          expect((await loadModel(join(dir, 'm.json'))).sizes).toEqual([784, 30, 10]); // complete and valid
        }
      }
    };
    await Promise.all(lanes.map((dir, k) => lane(dir, plans.filter((_, i) => i % lanes.length === k))));

    // A last run, not killed: it clears any temp file and leaves only the model.
    for (const dir of lanes) {
      const last = await runAndKill(dir, 'never');
      expect(last.files).toEqual(['m.json']);
    }
    figures.secondsPerRun = Math.round((performance.now() - started) / 10 / (KILLS + lanes.length)) / 100;
    expect(figures.kills + figures.exitedFirst).toBe(KILLS);
    expect(figures.kills).toBeGreaterThan(0);
    console.info(`crash safety: ${JSON.stringify(figures)}`);
  }, 120_000);
});
