/**
 * A 2-2-1 sigmoid network learns XOR by full-batch gradient descent on the quadratic cost.
 * Prints the cost falling, then the output for each of the four inputs.
 *
 * Run: pnpm example xor [seed]
 *
 * NOTE: 2-2-1 is the smallest network that can represent XOR, and it has a local minimum
 * where one input pair is left at 0.5; some seeds land there (3, 4 and 6 with the initialiser
 * of this writing: try `pnpm example xor 3`). Seed 1 does not.
 */
import { tensor } from '@nabla/core';
import { Network, SGD } from '@nabla/nn';

const seed = Number(process.argv[2] ?? 1);
const epochs = 2000;

// The four inputs as columns of X [2, 4], their targets as Y [1, 4].
const X = tensor([
  [0, 0, 1, 1],
  [0, 1, 0, 1],
]);
const Y = tensor([[0, 1, 1, 0]]);

const net = new Network([2, 2, 1], { seed }); // sigmoid layers, quadratic cost, N(0, 1) init
const optimizer = new SGD(net.parameters(), { eta: 4 });

console.log(`xor: network [2, 2, 1], seed ${seed}, SGD eta 4, ${epochs} epochs of the full batch`);
for (let epoch = 0; epoch <= epochs; epoch++) {
  net.zeroGrad();
  const cost = net.loss(X, Y); // C = (1/2m) Σ ||y − a||², recorded for autodiff
  if (epoch % 200 === 0) console.log(`epoch ${String(epoch).padStart(4)}  cost ${cost.item().toFixed(6)}`);
  if (epoch === epochs) break;
  cost.backward();
  optimizer.step();
}

const out = net.feedforward(X).data;
console.log('\n x1 x2 | target | output');
for (let j = 0; j < 4; j++) {
  const [x1, x2, y] = [X.data[j], X.data[4 + j], Y.data[j]];
  console.log(`  ${x1}  ${x2} |   ${y}    | ${out[j]!.toFixed(4)}`);
}
