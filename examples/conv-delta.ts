/**
 * Nielsen's chapter 6 question, "Backpropagation in a convolutional network", answered in code:
 * for a small net of a ConvPool layer (convolution, max-pooling, + bias, σ, as network3's
 * ConvPoolLayer), a fully connected layer and a softmax output with the log-likelihood cost,
 * prints δ = ∂C/∂z of each layer from the hand-written equations (`backpropConv`: BP1–BP4,
 * BP-pool, BP2c–BP4c) beside ∂C/∂z read off the graph by autodiff, then ∂C/∂w and ∂C/∂b from
 * both routes.
 *
 * Run: pnpm example conv-delta
 */
import { type Tensor, conv2d, fromData, maxPool2d, randn } from '@nabla/core';
import { backpropConv, logLikelihood, sigmoid, softmax } from '@nabla/nn';

const m = 2;
const X = randn([m, 1, 6, 6], { seed: 1 }); // two 6×6 images
const Y = fromData(new Float64Array([1, 0, 0, 1, 0, 0]), [3, m]); // classes 0 and 1
const net = {
  convPools: [{ weight: randn([2, 1, 3, 3], { seed: 2, std: 0.5 }), bias: randn([2], { seed: 3 }), pool: 2, activation: sigmoid }],
  dense: [
    { weight: randn([4, 8], { seed: 4, std: 0.5 }), bias: randn([4, 1], { seed: 5 }), activation: sigmoid },
    { weight: randn([3, 4], { seed: 6 }), bias: randn([3, 1], { seed: 7 }), activation: softmax },
  ],
  cost: logLikelihood,
};
console.log('network: conv 2×3×3 (6×6 → 4×4) → max-pool 2×2 (→ 2×2) → + bias → σ → flatten [8, m] → dense 4, σ → dense 3, softmax; log-likelihood; m = 2');

// 1. The δ equations, by hand.
const hand = backpropConv(net, X, Y);

// 2. Autodiff through core's ops in the same order, z of each layer retained.
const params = [net.convPools[0]!.weight, net.convPools[0]!.bias, ...net.dense.flatMap((l) => [l.weight, l.bias])].map((p) => fromData(p.data.slice(), p.shape, { requiresGrad: true }));
const [w1, b1, w2, b2, w3, b3] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
const z1 = maxPool2d(conv2d(X, w1), { kernel: 2 }).add(b1.reshape([2, 1, 1])).retainGrad();
const a1 = z1.sigmoid().reshape([m, 8]).transpose();
const z2 = w2.matmul(a1).add(b2).retainGrad();
const z3 = w3.matmul(z2.sigmoid()).add(b3).retainGrad();
const C = logLikelihood.loss(z3, z3.softmax(0), Y, softmax);
C.backward();
console.log(`C = ${C.item().toFixed(6)} (autodiff)   ${hand.cost.toFixed(6)} (δ equations)\n`);

const row = (t: Tensor, from: number, n: number): string => Array.from(t.data.subarray(from, from + n), (v) => v.toFixed(6).padStart(10)).join('');
const maxDiff = (a: Tensor, b: Tensor): number => Math.max(...Array.from(a.data, (v, i) => Math.abs(v - b.data[i]!)));
const show = (title: string, byHand: Tensor, byGraph: Tensor, rows: number, cols: number, names: [string, string]): void => {
  console.log(`${title}   (max difference ${maxDiff(byHand, byGraph).toExponential(2)})`);
  console.log(`  ${names[0].padEnd(cols * 10)}   ${names[1]}`);
  for (let r = 0; r < rows; r++) console.log(`  ${row(byHand, r * cols, cols)}   ${row(byGraph, r * cols, cols)}`);
};

show('ConvPool layer: δ¹ = ∂C/∂z¹, example 0, feature map 0 (2×2)', hand.deltas[0]!, z1.grad!, 2, 2, ['δ¹ by BP2 (unflattened)', '∂C/∂z¹ by autodiff']);
show('dense layer: δ² = ∂C/∂z² [4, m]', hand.deltas[1]!, z2.grad!, 4, m, ['δ² by BP2', '∂C/∂z² by autodiff']);
show('output layer: δ³ = ∂C/∂z³ [3, m]', hand.deltas[2]!, z3.grad!, 3, m, ['δ³ by BP1 (a − y)/m', '∂C/∂z³ by autodiff']);
console.log('');
show('∂C/∂w¹, kernel of map 0 (3×3): BP-pool then BP4c (the input correlated with δ)', hand.nablaW[0]!, w1.grad!, 3, 3, ['by the δ equations', 'by autodiff']);
show('∂C/∂b¹ (one per map): BP3c (δ summed over the batch and positions)', hand.nablaB[0]!, b1.grad!, 1, 2, ['by the δ equations', 'by autodiff']);
show('∂C/∂w², first 2 rows of [4, 8]: BP4', hand.nablaW[1]!, w2.grad!, 2, 8, ['by the δ equations', 'by autodiff']);
show('∂C/∂b³ [3, 1]: BP3', hand.nablaB[2]!, b3.grad!, 3, 1, ['by the δ equations', 'by autodiff']);
const all = [...hand.nablaW.map((w, i) => maxDiff(w, params[2 * i]!.grad!)), ...hand.nablaB.map((b, i) => maxDiff(b, params[2 * i + 1]!.grad!))];
console.log(`\nlargest difference over every ∂C/∂w and ∂C/∂b: ${Math.max(...all).toExponential(2)}`);
