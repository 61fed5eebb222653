/**
 * One mini-batch through a small network, gradients two ways: by Nielsen's four equations
 * (`backprop`, BP1–BP4 on plain arrays) and by autodiff on the graph of ops (`backward()`,
 * reading ∂C/∂z^l off each z^l with `retainGrad()`). Printed side by side, with the largest
 * difference, for: sigmoid + quadratic cost; ReLU hidden layer; sigmoid + cross-entropy.
 *
 * Run: pnpm example delta-trace
 */
import { type Tensor, fromData, randn, tensor } from '@nabla/core';
import { type CostName, Network, backprop } from '@nabla/nn';

const sizes = [4, 3, 2];
const m = 3;
const X = randn([sizes[0]!, m], { seed: 1 }); // three examples as columns
const Y = tensor([
  [1, 0, 1],
  [0, 1, 0],
]);

const runs: { title: string; activation: 'sigmoid' | 'relu'; cost: CostName; note: string }[] = [
  {
    title: 'sigmoid layers, quadratic cost',
    activation: 'sigmoid',
    cost: 'quadratic',
    note: 'BP1: δ^L = ∇_a C ⊙ σ′(z^L) with ∇_a C = (a − y)/m.',
  },
  {
    title: 'ReLU hidden layer, sigmoid output, quadratic cost',
    activation: 'relu',
    cost: 'quadratic',
    note: 'BP1 is unchanged; in BP2 the factor σ′(z^1) is now the 0/1 mask of relu′: where z^1 ≤ 0 the unit is off and δ^1 is 0.',
  },
  {
    title: 'sigmoid layers, cross-entropy cost',
    activation: 'sigmoid',
    cost: 'crossEntropy',
    note: 'BP1: ∇_a C = (a − y)/(a(1 − a)m) and σ′(z^L) = a(1 − a) cancel: δ^L = (a − y)/m.',
  },
];

let overall = 0;
for (const run of runs) overall = Math.max(overall, trace(run));
console.log(`\nlargest difference over all three: ${overall.toExponential(2)}`);

function trace(run: (typeof runs)[number]): number {
  const net = new Network(sizes, { activation: run.activation, outputActivation: 'sigmoid', cost: run.cost, seed: 27 });
  const L = sizes.length - 1;
  console.log(`\n=== ${run.title}: network [${sizes.join(', ')}], m = ${m} ===`);

  // Route 1: the δ equations.
  const eq = backprop(net, X, Y);

  // Route 2: autodiff. Keep each z^l, ask backward() to store its gradient, run the cost.
  net.zeroGrad();
  const { zs, activations } = net.trace(X);
  for (const z of zs) z.retainGrad();
  const C = net.cost.loss(zs[L - 1]!, activations[L]!, Y, net.outputActivation);
  C.backward();
  console.log(`C = ${C.item().toFixed(6)} (autodiff)   ${eq.cost.toFixed(6)} (backprop)`);

  // Which factors make δ^L and δ^1 (computed here from the raw forms the equations use).
  const zL = eq.zs[L - 1]!;
  const aL = eq.activations[L]!;
  const gradA = new Float64Array(aL.size);
  net.cost.gradA(aL.data, Y.data, gradA, m);
  const primeL = new Float64Array(zL.size);
  net.outputActivation.prime(zL.data, aL.data, primeL);
  const prime1 = new Float64Array(eq.zs[0]!.size);
  net.activation.prime(eq.zs[0]!.data, eq.activations[1]!.data, prime1);
  console.log(run.note);
  printSideBySide([`∇_a C at layer ${L}`, `σ′(z^${L})`, `δ^${L} by BP1`], [raw(gradA, aL), raw(primeL, zL), eq.deltas[L - 1]!]);
  printSideBySide(['σ′(z^1), the BP2 factor'], [raw(prime1, eq.zs[0]!)]);

  let worst = 0;
  const diff = (a: Tensor, b: Tensor): number => {
    let d = 0;
    for (let i = 0; i < a.size; i++) d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
    worst = Math.max(worst, d);
    return d;
  };

  for (let l = L; l >= 1; l--) {
    const byGraph = zs[l - 1]!.grad!;
    const d = diff(eq.deltas[l - 1]!, byGraph);
    console.log(`\nlayer ${l}: δ^${l} = ∂C/∂z^${l}   (max difference ${d.toExponential(2)})`);
    printSideBySide([l === L ? `δ^${l} by BP1` : `δ^${l} by BP2`, `∂C/∂z^${l} by autodiff`], [eq.deltas[l - 1]!, byGraph]);
  }
  for (let l = L; l >= 1; l--) {
    const b = net.biases[l - 1]!.grad!;
    const w = net.weights[l - 1]!.grad!;
    const db = diff(eq.nablaB[l - 1]!, b);
    const dw = diff(eq.nablaW[l - 1]!, w);
    console.log(`\nlayer ${l}: ∂C/∂b^${l} (max difference ${db.toExponential(2)}) and ∂C/∂w^${l} (max difference ${dw.toExponential(2)})`);
    printSideBySide([`∂C/∂b^${l} by BP3`, 'by autodiff', `∂C/∂w^${l} by BP4`, 'by autodiff'], [eq.nablaB[l - 1]!, b, eq.nablaW[l - 1]!, w]);
  }
  console.log(`\nmax difference (${run.title}): ${worst.toExponential(2)}`);
  return worst;
}

function raw(data: Float64Array, like: Tensor): Tensor {
  return fromData(data, like.shape);
}

/** Prints matrices next to each other, one row of each per line. */
function printSideBySide(titles: string[], mats: Tensor[]): void {
  const cell = (v: number): string => (v >= 0 ? ' ' : '') + v.toFixed(6);
  const blocks = mats.map((t, k) => {
    const [rows, cols] = t.shape.length === 2 ? (t.shape as [number, number]) : [t.shape[0]!, 1];
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const row: string[] = [];
      for (let j = 0; j < cols; j++) row.push(cell(t.data[i * cols + j]!));
      lines.push(`[${row.join(' ')} ]`);
    }
    const width = Math.max(titles[k]!.length, ...lines.map((s) => s.length));
    return { lines: [titles[k]!.padEnd(width), ...lines.map((s) => s.padEnd(width))], width };
  });
  const height = Math.max(...blocks.map((b) => b.lines.length));
  for (let i = 0; i < height; i++) console.log('  ' + blocks.map((b) => b.lines[i] ?? ' '.repeat(b.width)).join('   ').trimEnd());
}
