import { createRng } from '@nabla/core';
import { Network, createTrainingEngine } from '@nabla/nn';
const m = Number(process.argv[2] ?? 10);
const rng = createRng(1);
const X0 = Float64Array.from({ length: 784 * m }, () => rng.uniform());
const Y0 = new Float64Array(10 * m); for (let j = 0; j < m; j++) Y0[(j % 10) * m + j] = 1;
const engines = (['autodiff', 'backprop'] as const).flatMap((e) => (['float32', 'float64'] as const).map((d) => [e, d] as const));
const made = engines.map(([engine, dtype]) => { const net = new Network([784, 30, 10], { seed: 1 }); const e = createTrainingEngine(net, { engine, dtype, batchSizes: [m], eta: 3 }); e.batch(m).X.set(X0); e.batch(m).Y.set(Y0); return { name: `${engine}-${dtype}`, e }; });
const steps = 60000 / m;
for (let round = 0; round < 4; round++) {
  const line: string[] = [];
  for (const { name, e } of made) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) e.step(m);
    line.push(`${name} ${((performance.now() - t0) / 1000).toFixed(3)}`);
  }
  console.log(line.join('  '));
}
