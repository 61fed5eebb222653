// Prints the README's float32-against-float64 evidence from the logs in docs/float32: for each
// experiment and dtype, the best test accuracy of each seed's run (one `train --json` line per
// epoch), their mean and standard deviation, and for chapter 1's [784,100,10] net how many seeds
// reached 96%, with Fisher's exact test (two-sided) of float32's count against float64's.
//
//   node scripts/float32-table.mjs
import { existsSync, readFileSync } from 'node:fs';

const dir = new URL('../docs/float32/', import.meta.url);
const experiments = [
  ['[784,30,10], autodiff engine', (d, s) => `autodiff-${d}-seed${s}.jsonl`, 30],
  ['[784,30,10], δ-equation engine', (d, s) => `${d}-seed${s}.jsonl`, 30],
  ['[784,100,10], N(0,1) init, 50,000 images', (d, s) => `hidden100-${d}-seed${s}.jsonl`, 30],
  ['chapter 6, one conv-pool layer, 12 epochs (validation-best epoch, its test accuracy)', (d, s) => `conv1-${d}-seed${s}.jsonl`, 12],
];

/** Best accuracy of a finished run, or null (not run, or unfinished). */
function best(file, epochs) {
  const url = new URL(file, dir);
  if (!existsSync(url)) return null;
  const lines = readFileSync(url, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.epoch !== undefined);
  if (lines.length < epochs) return null;
  // With a validation split the epoch is picked on validation and its test accuracy reported.
  const top = lines.reduce((b, m) => (m.correct > b.correct ? m : b));
  return 100 * (top.test?.accuracy ?? top.accuracy);
}

/** log C(n, k). */
function logChoose(n, k) {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Fisher's exact test, two-sided: a of n against b of m. */
function fisher(a, n, b, m) {
  const total = a + b;
  const p = (x) => Math.exp(logChoose(n, x) + logChoose(m, total - x) - logChoose(n + m, total));
  const observed = p(a);
  let sum = 0;
  for (let x = Math.max(0, total - m); x <= Math.min(n, total); x++) if (p(x) <= observed * (1 + 1e-9)) sum += p(x);
  return Math.min(1, sum);
}

for (const [what, file, epochs] of experiments) {
  console.log(`\n${what}`);
  const hidden100 = what.startsWith('[784,100,10]');
  const counts = {};
  for (const dtype of ['float64', 'float32']) {
    const values = [];
    for (let seed = 1; seed <= 64; seed++) {
      const v = best(file(dtype, seed), epochs);
      if (v !== null) values.push(v);
    }
    if (values.length === 0) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
    const high = values.filter((v) => v >= 96).length;
    counts[dtype] = [high, values.length];
    const reached = hidden100 ? ` ≥ 96%: ${high} |` : '';
    console.log(`| ${dtype} | ${values.length} | ${values.map((v) => v.toFixed(2)).join(', ')} | mean ${mean.toFixed(2)}% | sd ${sd.toFixed(2)} |${reached}`);
  }
  if (hidden100 && counts.float64 && counts.float32) {
    const [a, n] = counts.float32;
    const [b, m] = counts.float64;
    console.log(`seeds reaching 96%: float32 ${a} of ${n}, float64 ${b} of ${m}; Fisher's exact test, two-sided: p = ${fisher(a, n, b, m).toFixed(2)}`);
  }
}
