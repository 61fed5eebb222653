/**
 * Gradients are graphs, so they can be differentiated again:
 * 1. a second derivative by `grad(grad(f))`, against the formula;
 * 2. a Hessian-vector product of a small network's cost by `hvp`, against central differences
 *    of the gradient (no Hessian is ever formed);
 * 3. one Newton step on logistic regression: solve H p = ∇C by conjugate gradients, where every
 *    product with H is an `hvp`, and compare the cost after it with a gradient step's.
 *
 * Run: pnpm example higher-order
 */
import { type Tensor, fromData, grad, hessian, hvp, randn, tensor } from '@nabla/core';

// 1. tanh''(x) = −2 tanh(x)(1 − tanh²(x))
const d = (f: (x: Tensor) => Tensor) => (x: Tensor) => grad(f)(x)[0]!;
const x0 = 0.5;
const second = d(d((x) => x.tanh()))(tensor(x0)).item();
const t = Math.tanh(x0);
console.log(`1. tanh''(${x0}) by grad(grad(tanh)) = ${second.toFixed(12)}`);
console.log(`   −2 tanh(x)(1 − tanh²(x))      = ${(-2 * t * (1 - t * t)).toFixed(12)}`);

// 2. H·v for a [3, 4, 1] tanh/sigmoid network's quadratic cost, with respect to both weights.
const X = randn([3, 8], { seed: 1 });
const Y = fromData(Float64Array.from({ length: 8 }, (_, j) => (j % 3 === 0 ? 1 : 0)), [1, 8]);
const cost = (w1: Tensor, w2: Tensor): Tensor => w2.matmul(w1.matmul(X).tanh()).sigmoid().sub(Y).square().sum().mul(1 / 16);
const w = [randn([4, 3], { seed: 2 }), randn([1, 4], { seed: 3 })] as const;
const v = [randn([4, 3], { seed: 4 }), randn([1, 4], { seed: 5 })] as const;
const hv = hvp(cost, [...w], [...v]);
const eps = 1e-5;
const gradAt = (s: number): Tensor[] => grad(cost)(...(w.map((p, i) => fromData(p.data.map((q, k) => q + s * v[i]!.data[k]!), p.shape)) as [Tensor, Tensor]));
const [plus, minus] = [gradAt(eps), gradAt(-eps)];
let worst = 0;
hv.forEach((h, i) =>
  h.data.forEach((value, k) => {
    const numeric = (plus[i]!.data[k]! - minus[i]!.data[k]!) / (2 * eps);
    worst = Math.max(worst, Math.abs(value - numeric) / Math.max(1e-12, Math.abs(numeric)));
  }),
);
console.log(`2. H·v by hvp, first entries: ${Array.from(hv[0]!.data.subarray(0, 4), (q) => q.toFixed(6)).join(' ')}`);
console.log(`   central differences of ∇C along v agree to a relative ${worst.toExponential(2)}`);

// 3. Logistic regression on two features and a bias, with a little L2 so H is positive definite.
const n = 40;
const features = randn([3, n], { seed: 6 });
features.data.fill(1, 2 * n); // third row: ones, for the bias
const labels = fromData(Float64Array.from({ length: n }, (_, j) => (features.data[j]! - 0.5 * features.data[n + j]! > 0.3 ? 1 : 0)), [1, n]);
const loss = (theta: Tensor): Tensor => {
  const z = theta.matmul(features);
  // −y log σ(z) − (1 − y) log(1 − σ(z)) = softplus(z) − y z
  return z.softplus().sub(labels.mul(z)).mean().add(theta.square().sum().mul(0.005));
};
const theta = tensor([[0.1, -0.2, 0]]);
const g = grad(loss)(theta)[0]!;

// Conjugate gradients for H p = g, each step one Hessian-vector product.
const Hv = (p: Tensor): Tensor => hvp(loss, [theta], [p])[0]!;
const dot = (a: Tensor, b: Tensor): number => a.mul(b).sum().item();
let p = tensor([[0, 0, 0]]);
let r = g;
let dir = r;
for (let k = 0; k < 3; k++) {
  const Hd = Hv(dir);
  const alpha = dot(r, r) / dot(dir, Hd);
  p = p.add(dir.mul(alpha));
  const next = r.sub(Hd.mul(alpha));
  dir = next.add(dir.mul(dot(next, next) / dot(r, r)));
  r = next;
}
const H = hessian(loss)(theta)[0]![0]!;
console.log(`3. logistic regression, 3 parameters: cost ${loss(theta).item().toFixed(6)} at θ = [${Array.from(theta.data).join(', ')}]`);
console.log(`   Hessian by hessian(): ${JSON.stringify(H.toArray(), (_, q) => (typeof q === 'number' ? Number(q.toFixed(4)) : q))}`);
console.log(`   residual of H p = ∇C after 3 conjugate-gradient steps (one hvp each): ${Math.sqrt(dot(r, r)).toExponential(2)}`);
console.log(`   after one Newton step θ − p:         cost ${loss(theta.sub(p)).item().toFixed(6)}`);
console.log(`   after one gradient step θ − 1·∇C:    cost ${loss(theta.sub(g)).item().toFixed(6)}`);
