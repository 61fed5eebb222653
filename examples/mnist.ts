// MNIST through the API: Nielsen's chapter 1 network, [784, 30, 10] sigmoid neurons, quadratic
// cost, SGD with η = 3 on mini-batches of 10, evaluated on the 10,000 test images every epoch.
// The gradients come from autodiff, or from the δ equations BP1–BP4 with engine `backprop`.
//
// Run: pnpm example mnist [epochs=1] [training images=10000] [autodiff|backprop]
//      (Nielsen's full run: pnpm example mnist 30 50000)
import { type EngineName, train } from '@nabla/mnist/node';

const [epochs = 1, limit = 10_000] = process.argv.slice(2, 4).map(Number);
const engine = (process.argv[4] ?? 'autodiff') as EngineName;
console.log(`training [784, 30, 10] on ${limit} images for ${epochs} epoch(s), gradients by ${engine}`);

const { best } = await train({
  layers: [784, 30, 10],
  activation: 'sigmoid',
  cost: 'quadratic',
  eta: 3,
  batchSize: 10,
  epochs,
  limit,
  engine,
  onEpoch: (e) =>
    console.log(`Epoch ${e.epoch}: ${e.correct} / ${e.total} (${(100 * e.accuracy).toFixed(2)}%), cost ${e.cost.toFixed(4)}, ${e.seconds.toFixed(1)} s`),
});
if (best) console.log(`best: epoch ${best.epoch}, accuracy ${(100 * best.accuracy).toFixed(2)}% on the test images`);
