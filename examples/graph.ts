/**
 * Draws the graph autodiff walks for one Dense layer with its quadratic cost:
 * z = w·X + b, a = σ(z), C = (1/2m) Σ (a − y)². Writes it as Graphviz DOT and, when `dot` is on
 * the PATH, as SVG. Tensor boxes show name (or op), shape and, after backward(), the shape of
 * the gradient stored there; ellipses are ops.
 *
 * Then the backward pass itself: `backward(C, undefined, { createGraph: true })` records the
 * rules' ops, and the graph of ∂C/∂w, ∂C/∂b and ∂C/∂X is drawn (dashed ops, each marked with
 * the op whose rule made it): δ = ∂C/∂z from the rules of the cost and of σ (BP1), BP4 as a
 * matmul with δ and Xᵀ, BP3 as the reduce of add's rule, BP2 as the matmul with wᵀ.
 *
 * Run: pnpm example graph [output-dir]      (default: docs/images/ of this repository)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backward, randn, tensor, toDot } from '@nabla/core';
import { Dense, quadratic } from '@nabla/nn';

// The default is the repository's docs/images/, wherever the command is run from.
const outDir = shortest(resolve(process.argv[2] ?? fileURLToPath(new URL('../docs/images/', import.meta.url))));

const m = 4;
const layer = new Dense(3, 2, { activation: 'sigmoid', seed: 1 });
layer.weight.name = 'w';
layer.bias.name = 'b';
// X stands for a^{l−1}, the previous layer's activation: requiresGrad so BP2 is drawn too.
const X = randn([3, m], { seed: 2, name: 'X', requiresGrad: true });
const Y = tensor([
  [1, 0, 0, 1],
  [0, 1, 1, 0],
], { name: 'y' });

const z = layer.weightedInput(X).retainGrad(); // z = w·X + b: matmul, then add (broadcast b)
z.name = 'z';
const a = layer.activation.apply(z).retainGrad(); // a = σ(z)
a.name = 'a';
const C = quadratic.loss(z, a, Y, layer.activation); // (1/2m) Σ (a − y)²
C.name = 'C';
C.backward(); // so each box also shows the shape of its gradient

// Top to bottom reads like the equations; scalars (the cost, the 1/2m factor) show their value.
mkdirSync(outDir, { recursive: true });
write('dense-graph', toDot(C, { rankdir: 'TB', showValues: 1 }));

// The backward pass as a graph of its own.
for (const t of [layer.weight, layer.bias, X]) t.zeroGrad();
backward(C, undefined, { createGraph: true });
write('dense-backward-graph', toDot([layer.weight.grad!, layer.bias.grad!, X.grad!], { rankdir: 'TB' }));

function write(name: string, dot: string): void {
  const dotPath = join(outDir, `${name}.dot`);
  writeFileSync(dotPath, dot);
  console.log(`wrote ${dotPath} (${dot.split('\n').length - 1} lines of DOT)`);
  const svg = spawnSync('dot', ['-Tsvg', dotPath, '-o', join(outDir, `${name}.svg`)], { encoding: 'utf8' });
  if (svg.error && (svg.error as NodeJS.ErrnoException).code === 'ENOENT') {
    console.log('Graphviz `dot` is not on the PATH: no SVG written. Install Graphviz (e.g. apt-get install graphviz) or');
    console.log(`render the DOT elsewhere: dot -Tsvg ${dotPath} -o ${name}.svg`);
  } else if (svg.status !== 0) {
    console.error(`dot failed (exit ${svg.status}): ${svg.stderr || svg.error?.message}`);
    process.exit(1);
  } else {
    console.log(`wrote ${join(outDir, `${name}.svg`)}`);
  }
}

/** `path` relative to the working directory when it lies inside it, else absolute. */
function shortest(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}
