/**
 * Four layers a user writes in a few lines each from core ops, each checked by `assertGradcheck`
 * (every parameter and the input, central differences in float64):
 * 1. a GRU cell unrolled over 5 time steps, with `slice` (one step of a sequence) and `concat`
 *    ([h; x] for the gates);
 * 2. an embedding with `gather` (rows of a table by integer index; its gradient a scatter-add)
 *    and cross-entropy on integer labels;
 * 3. a convolution layer with `conv2d` + `maxPool2d` on [m, C, H, W];
 * 4. dropout with `dropout` (checked with a fixed seed, and as the identity in evaluation).
 *
 * Run: pnpm example layers
 */
import { type Tensor, assertGradcheck, concat, conv2d, dropout, gather, maxPool2d, oneHot, randn, slice, tensor } from '@nabla/core';

const ok = (name: string, r: { checked: number; maxRelError: number }): void =>
  console.log(`${name.padEnd(44)} gradcheck ok: ${String(r.checked).padStart(4)} elements, max relative error ${r.maxRelError.toExponential(2)}`);

// 1. GRU cell (columns: h [n, m], x [d, m]); gates from [h; x].
const n = 3;
const d = 2;
const m = 2;
const steps = 5;
function gru(wz: Tensor, wr: Tensor, wh: Tensor, sequence: Tensor): Tensor {
  let h = tensor(Array.from({ length: n }, () => Array.from({ length: m }, () => 0)));
  for (let t = 0; t < steps; t++) {
    const x = slice(sequence, [t * d, 0], [d, m]); // step t of a [steps·d, m] sequence
    const hx = concat([h, x], 0);
    const z = wz.matmul(hx).sigmoid();
    const r = wr.matmul(hx).sigmoid();
    const candidate = wh.matmul(concat([r.mul(h), x], 0)).tanh();
    h = z.mul(h).add(z.neg().add(1).mul(candidate));
  }
  return h;
}
ok('GRU cell, 5 steps (slice, concat)', assertGradcheck(gru, [randn([n, n + d], { seed: 1 }), randn([n, n + d], { seed: 2 }), randn([n, n + d], { seed: 3 }), randn([steps * d, m], { seed: 4 })]));

// 2. Embedding: rows of a [vocabulary, dim] table by token id, then a linear read-out and
// cross-entropy on integer labels.
const tokens = [3, 0, 3, 1];
const labels = [1, 0, 2, 1];
function embeddingLoss(table: Tensor, readout: Tensor): Tensor {
  const vectors = gather(table, tokens, 0).transpose(); // [dim, m], examples as columns
  const logits = readout.matmul(vectors); // [classes, m]
  return logits.logSoftmax(0).mul(oneHot(labels, 3).transpose()).sum().mul(-1 / tokens.length);
}
ok('embedding (gather) + cross-entropy on labels', assertGradcheck(embeddingLoss, [randn([5, 4], { seed: 5 }), randn([3, 4], { seed: 6 })]));

// 3. Convolution + max-pooling on [m, C, H, W].
function convLayer(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return maxPool2d(conv2d(x, w).add(b.reshape([2, 1, 1])).tanh(), { kernel: 2 });
}
ok('conv2d + maxPool2d', assertGradcheck(convLayer, [randn([2, 1, 6, 6], { seed: 7 }), randn([2, 1, 3, 3], { seed: 8 }), randn([2], { seed: 9 })]));

// 4. Dropout: with a fixed seed the mask is the same on every evaluation, so the gradient can
// be checked; with training: false it is the identity.
ok('dropout (rate 0.5, seed 10)', assertGradcheck((x: Tensor) => dropout(x, 0.5, { seed: 10 }).tanh(), [randn([4, 3], { seed: 11 })]));
ok('dropout in evaluation (identity)', assertGradcheck((x: Tensor) => dropout(x, 0.5, { training: false }).tanh(), [randn([4, 3], { seed: 12 })]));
