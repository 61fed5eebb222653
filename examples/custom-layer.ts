/**
 * Build your own op and layer: softsign(x) = x / (1 + |x|) as a `customOp` with a hand-written
 * backward rule, checked against central differences with `gradcheck`, wrapped in a layer (a
 * `Module` subclass), and trained in a small network to tell points inside a circle from
 * points outside.
 *
 * Run: pnpm example custom-layer
 */
import { type Tensor, assertGradcheck, createRng, customOp, fromData, gradcheck, gradgradcheck, randn } from '@nabla/core';
import { Adam, Dense, Module, Sequential, crossEntropy, initLayer, sigmoid, type LayerInit } from '@nabla/nn';
import { checkModule } from '@nabla/nn/testing';

// 1. The op. forward and backward are plain loops over the values: what a fused kernel would
//    do. backward is the vector–Jacobian product: g ⊙ softsign'(x), softsign'(x) = 1/(1 + |x|)².
const softsign = customOp({
  name: 'softsign',
  forward: (x) => fromData(x.data.map((v) => v / (1 + Math.abs(v))), x.shape),
  backward: (g, { inputs: [x] }) => {
    const d = x!.data.map((v, i) => g.data[i]! / (1 + Math.abs(v)) ** 2);
    return [fromData(d, x!.shape)];
  },
});

// 2. Check the rule. The output has 12 elements, so gradcheck compares Σ softsign(x) ⊙ r for a
//    fixed random r: one backward pass checks the whole Jacobian-vector product.
const x0 = randn([3, 4], { seed: 1, name: 'x' });
const report = gradcheck((x) => softsign(x), [x0]);
console.log('gradcheck softsign:', formatReport(report));

// A wrong rule (the square forgotten) is caught, and the report says where.
const wrong = customOp({
  name: 'softsign-wrong',
  forward: (x) => fromData(x.data.map((v) => v / (1 + Math.abs(v))), x.shape),
  backward: (g, { inputs: [x] }) => [fromData(x!.data.map((v, i) => g.data[i]! / (1 + Math.abs(v))), x!.shape)],
});
console.log('gradcheck a wrong rule:', formatReport(gradcheck((x) => wrong(x), [x0])));

// Second order: this backward reads .data, so its gradient has no graph; asked for a second
// derivative, nabla says so (naming the op) instead of returning 0. Written in ops, it works.
try {
  gradgradcheck((x) => softsign(x), [x0]);
} catch (e) {
  console.log('gradgradcheck softsign (backward on .data):', (e as Error).message.split(':').slice(0, 2).join(':'));
}
const softsignInOps = customOp({
  name: 'softsign',
  forward: (x) => x.div(x.abs().add(1)),
  backward: (g, { inputs: [x] }) => [g.div(x!.abs().add(1).square())],
});
console.log('gradgradcheck softsign (backward in ops):', formatReport(gradgradcheck((x) => softsignInOps(x), [x0])));

// 3. The layer: a = softsign(w·x + b). Module finds `weight` and `bias` as parameters because
//    they are tensors with requiresGrad assigned to the instance.
class SoftsignDense extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(inputs: number, outputs: number, options: { seed?: number; params?: LayerInit } = {}) {
    super();
    const p = options.params ?? initLayer(inputs, outputs, 'scaled', createRng(options.seed ?? 0));
    this.weight = p.weight;
    this.bias = p.bias;
  }
  forward(x: Tensor): Tensor {
    return softsign(this.weight.matmul(x).add(this.bias));
  }
}

// The layer's gradients with respect to its weight, bias and input, through matmul, the
// broadcast add and softsign together.
const layerReport = assertGradcheck(
  (w, b, x) => new SoftsignDense(2, 3, { params: { weight: w, bias: b } }).forward(x),
  [randn([3, 2], { seed: 2, name: 'w' }), randn([3, 1], { seed: 3, name: 'b' }), randn([2, 5], { seed: 4, name: 'x' })],
);
console.log('gradcheck SoftsignDense:', formatReport(layerReport));

// The conformance kit: every check a layer should pass, in three lines. (secondOrder: false
// because this softsign's backward reads .data: first order only, as shown above.)
const kit = checkModule((seed) => new SoftsignDense(2, 3, { seed }), { inputShape: [2, 5], secondOrder: false });
for (const c of kit.checks) console.log(`checkModule SoftsignDense: ${c.ok ? (c.skipped ? 'skipped' : 'ok') : 'FAILED'}  ${c.name}`);

// 4. Train it. Toy problem: 200 points in [-1, 1]², label 1 inside the circle r = 0.8.
const m = 200;
const rng = createRng(7);
const xs = new Float64Array(2 * m);
const ys = new Float64Array(m);
for (let j = 0; j < m; j++) {
  const [u, v] = [2 * rng.uniform() - 1, 2 * rng.uniform() - 1];
  xs[j] = u; // row 0: first coordinate
  xs[m + j] = v; // row 1: second coordinate (examples are columns)
  ys[j] = u * u + v * v < 0.64 ? 1 : 0;
}
const X = fromData(xs, [2, m]);
const Y = fromData(ys, [1, m]);

const model = new Sequential(new SoftsignDense(2, 8, { seed: 1 }), new Dense(8, 1, { activation: 'identity', seed: 2 }));
const optimizer = new Adam(model.parameters(), { eta: 0.05 });
console.log(`\ntraining ${model.namedParameters().map(([n, t]) => `${n} [${t.shape.join(',')}]`).join(', ')}`);

const epochs = 400;
for (let epoch = 0; epoch <= epochs; epoch++) {
  model.zeroGrad();
  const z = model.forward(X); // logits [1, m]
  const cost = crossEntropy.loss(z, z.sigmoid(), Y, sigmoid); // stable form on the logits
  if (epoch % 50 === 0) console.log(`epoch ${String(epoch).padStart(3)}  cost ${cost.item().toFixed(4)}  accuracy ${accuracy(z)}`);
  if (epoch === epochs) break;
  cost.backward();
  optimizer.step();
}

function accuracy(z: Tensor): string {
  let right = 0;
  for (let j = 0; j < m; j++) if (z.data[j]! > 0 === (ys[j] === 1)) right++;
  return `${right}/${m}`;
}

function formatReport(r: ReturnType<typeof gradcheck>): string {
  const w = r.worst;
  const worst = w ? `worst ${w.name ?? `input ${w.input}`}[${w.index.join(',')}] analytic ${w.analytic.toFixed(6)} numeric ${w.numeric.toFixed(6)}` : '';
  return `ok=${r.ok} checked=${r.checked} maxAbsError=${r.maxAbsError.toExponential(2)} maxRelError=${r.maxRelError.toExponential(2)} ${worst}`;
}
