/**
 * The demo expression from micrograd's README (karpathy/micrograd), on 0-d tensors.
 * micrograd prints 24.7041, 138.8338 and 645.5773; so does this.
 *
 * Run: pnpm example micrograd
 */
import { add, div, mul, tensor } from '@nabla/core';

const a = tensor(-4.0, { requiresGrad: true, name: 'a' });
const b = tensor(2.0, { requiresGrad: true, name: 'b' });
let c = a.add(b); //                      c = a + b
let d = a.mul(b).add(b.pow(3)); //        d = a * b + b**3
c = c.add(c.add(1)); //                   c += c + 1
c = c.add(add(1, c).add(a.neg())); //     c += 1 + c + (-a)
d = d.add(d.mul(2).add(b.add(a).relu())); // d += d * 2 + (b + a).relu()
d = d.add(mul(3, d).add(b.sub(a).relu())); // d += 3 * d + (b - a).relu()
const e = c.sub(d); //                    e = c - d
const f = e.pow(2); //                    f = e**2
let g = f.div(2.0); //                    g = f / 2.0
g = g.add(div(10.0, f)); //               g += 10.0 / f

console.log(`g.data = ${g.item().toFixed(4)}`); // the outcome of the forward pass
g.backward();
console.log(`a.grad = ${a.grad!.item().toFixed(4)}`); // dg/da
console.log(`b.grad = ${b.grad!.item().toFixed(4)}`); // dg/db
