import { trace, zeros, fromData } from '@nabla/core';
import { Network } from '@nabla/nn';
for (const cost of ['quadratic','cross-entropy','log-likelihood'] as const) {
const net = new Network([784, 30, 10], { cost, outputActivation: cost === 'log-likelihood' ? 'softmax' : 'sigmoid' } as never);
const X = zeros([784, 10]); const Y = zeros([10, 10]);
const tape = trace(() => net.loss(X, Y));
const t = tape as unknown as { size: number; backwardSize: number };
console.log(cost, t.size, t.backwardSize);
}
