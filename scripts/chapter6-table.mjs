// Prints the README's chapter 6 rows from the logs of the runs in docs/chapter6: for each run,
// its command (runs.log), epochs run, the epoch of best validation accuracy with the test
// accuracy at that epoch (<run>.jsonl, one `train --json` line per epoch) and the wall time
// (<run>.stderr, from /usr/bin/time -v).
//
//   node scripts/chapter6-table.mjs
import { existsSync, readFileSync } from 'node:fs';

const dir = new URL('../docs/chapter6/', import.meta.url);
const rows = [
  ['shallow', '[784,100,10] sigmoid, softmax + log-likelihood', '97.80%', 60],
  ['conv1', 'one conv-pool layer (20 maps 5×5, max-pool 2×2), dense 100, softmax', '98.78%', 60],
  ['conv2', 'two conv-pool layers (20 and 40 maps)', '99.06%', 60],
  ['relu', 'the same with ReLU, η = 0.03, λ = 0.1', '99.23%', 60],
  ['expanded', 'the same on the expanded data (250,000 images)', '99.37%', 60],
  ['dropout', 'expanded, two dense layers of 1,000 with dropout 0.5', '99.60%', 40],
];
const log = readFileSync(new URL('runs.log', dir), 'utf8').split('\n');
for (const [name, what, book, bookEpochs] of rows) {
  const file = new URL(`${name}.jsonl`, dir);
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const start = log.filter((l) => l.includes(` start ${name}: `)).at(-1);
  if (lines.length === 0 || start === undefined) {
    console.log(`| ${what} | not run | | | | ${book} (${bookEpochs} epochs) |`);
    continue;
  }
  const command = start.slice(start.indexOf(': ') + 2);
  const best = lines.reduce((b, m) => (m.correct > b.correct ? m : b));
  const stderr = readFileSync(new URL(`${name}.stderr`, dir), 'utf8');
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(stderr)?.[1] ?? 'unfinished';
  const pct = (x) => `${(100 * x).toFixed(2)}%`;
  console.log(`| ${what} | \`${command} --validation 10000\` | ${lines.length} of ${bookEpochs} | ${wall} | **${pct(best.test.accuracy)}** (epoch ${best.epoch}; validation ${pct(best.accuracy)}) | ${book} |`);
}
