/**
 * Draws the graph autodiff walks for one Dense layer with its quadratic cost:
 * z = w·X + b, a = σ(z), C = (1/2m) Σ (a − y)². Writes it as Graphviz DOT and, when `dot` is on
 * the PATH, as SVG. Tensor boxes show name (or op), shape and, after backward(), the shape of
 * the gradient stored there; ellipses are ops.
 *
 * Run: pnpm example graph [output-dir]      (default: docs/images/ of this repository)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randn, tensor, toDot } from '@nabla/core';
import { Dense, quadratic } from '@nabla/nn';

// The default is the repository's docs/images/, wherever the command is run from.
const outDir = shortest(resolve(process.argv[2] ?? fileURLToPath(new URL('../docs/images/', import.meta.url))));

const m = 4;
const layer = new Dense(3, 2, { activation: 'sigmoid', seed: 1 });
layer.weight.name = 'w';
layer.bias.name = 'b';
const X = randn([3, m], { seed: 2, name: 'X' });
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
const dot = toDot(C, { rankdir: 'TB', showValues: 1 });
mkdirSync(outDir, { recursive: true });
const dotPath = join(outDir, 'dense-graph.dot');
writeFileSync(dotPath, dot);
console.log(`wrote ${dotPath} (${dot.split('\n').length - 1} lines of DOT)`);

const svg = spawnSync('dot', ['-Tsvg', dotPath, '-o', join(outDir, 'dense-graph.svg')], { encoding: 'utf8' });
if (svg.error && (svg.error as NodeJS.ErrnoException).code === 'ENOENT') {
  console.log('Graphviz `dot` is not on the PATH: no SVG written. Install Graphviz (e.g. apt-get install graphviz) or');
  console.log(`render the DOT elsewhere: dot -Tsvg ${dotPath} -o dense-graph.svg`);
} else if (svg.status !== 0) {
  console.error(`dot failed (exit ${svg.status}): ${svg.stderr || svg.error?.message}`);
  process.exit(1);
} else {
  console.log(`wrote ${join(outDir, 'dense-graph.svg')}`);
}

/** `path` relative to the working directory when it lies inside it, else absolute. */
function shortest(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}
