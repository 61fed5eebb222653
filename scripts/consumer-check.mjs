#!/usr/bin/env node
// The consumer check: use the packages as someone who runs `npm install @nabla/core @nabla/nn`
// would. Pack the three packages (prepack builds them), install the tarballs into a fresh npm
// project in a temporary folder (no workspace, no TypeScript loader), then:
//   1. a plain .mjs trains a tiny network with backward(), saves and loads it, and runs a product
//      on the helper thread (the worker file from dist);
//   2. a .cjs requires @nabla/core (require of ES modules, Node ≥ 20.19);
//   3. tsc --noEmit on a .ts consumer under `nodenext`, `node16` and `bundler`, with no extra
//      flags, and on a browser-only one (`bundler`, DOM, no @types/node);
//   4. Vite builds a page that imports core, nn and mnist (their browser entries) with no warning,
//      and Debian's chromium runs it;
//   5. npx nabla-mnist train --epochs 1 --limit 1000.
// Before packing, it checks that each package's entry points agree across exports,
// tsconfig.build.json and typedoc.json; after installing, that every file exports and bin name
// is in the tarball.
// Any failure exits 1 with the consumer's own output. Plain JavaScript so it needs no build.
//
// Usage: node scripts/consumer-check.mjs [--keep]   (--keep leaves the temporary project behind)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const PACKAGES = ['core', 'nn', 'mnist'];
const started = Date.now();
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// The flags of packages/mnist/test/web.e2e.test.ts: no sandbox as root, no GPU, nothing that
// phones home.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The version of a tool the workspace itself uses, so the consumer gets the same one. */
function workspaceVersion(name, from = root) {
  return JSON.parse(readFileSync(createRequire(join(from, 'package.json')).resolve(`${name}/package.json`), 'utf8')).version;
}

const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
let failures = 0;

/** Runs a command; on failure prints what the consumer saw and counts it. */
function step(title, command, args, options = {}) {
  const t0 = Date.now();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options, env: { ...process.env, ...options.env } });
  const ok = r.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${title} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (!ok) {
    failures++;
    console.log(`  $ ${[command, ...args].join(' ')}  (in ${options.cwd ?? process.cwd()})`);
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim();
    console.log(out.split('\n').map((l) => `  | ${l}`).join('\n'));
  }
  return r;
}

// 0. Entry points agree: each subpath of `exports` maps `@nabla/source` to src/X.ts and its other
// conditions to dist/X.js and dist/X.d.ts, its source is an entry of tsconfig.build.json (so the
// build emits it) and of typedoc.json (so it is documented). A new entry point needs all three.
const typedocEntries = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')).entryPoints;
for (const name of PACKAGES) {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const build = JSON.parse(readFileSync(join(dir, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
  const problems = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    const source = target['@nabla/source'];
    const stem = source?.replace(/^\.\/src\//, '').replace(/\.ts$/, '');
    if (source === undefined || !existsSync(join(dir, source))) {
      problems.push(`${subpath}: no @nabla/source file`);
      continue;
    }
    if (target.types !== `./dist/${stem}.d.ts`) problems.push(`${subpath}: types should be ./dist/${stem}.d.ts`);
    if ((target.default ?? target.node) !== `./dist/${stem}.js`) problems.push(`${subpath}: default/node should be ./dist/${stem}.js`);
    if (!build.files.includes(source.slice(2))) problems.push(`${subpath}: ${source} is not in tsconfig.build.json's files`);
    if (!typedocEntries.includes(`packages/${name}/${source.slice(2)}`)) problems.push(`${subpath}: ${source} is not in typedoc.json's entryPoints`);
  }
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} @nabla/${name}: entry points agree (exports, tsconfig.build.json, typedoc.json)`);
  for (const p of problems) console.log(`  | ${p}`);
  failures += problems.length > 0 ? 1 : 0;
}

const work = mkdtempSync(join(tmpdir(), 'nabla-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);
console.log(`== consumer check in ${work}`);

// 1. Pack (prepack runs each package's build; dependencies first, as pnpm -r orders them).
for (const name of PACKAGES) {
  const r = step(`pnpm pack @nabla/${name}`, 'pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, 'packages', name) });
  if (r.status !== 0) process.exit(1);
}
for (const file of readdirSync(tarballs).sort()) {
  const path = join(tarballs, file);
  const count = execFileSync('tar', ['tzf', path], { encoding: 'utf8' }).trim().split('\n').length;
  console.log(`     ${file}: ${(statSync(path).size / 1024).toFixed(1)} kB, ${count} files`);
}

// 2. A fresh npm project: the tarballs, and the tools a consumer would bring themselves.
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'nabla-consumer', private: true, version: '0.0.0' }, null, 2));
const tools = [
  `typescript@${workspaceVersion('typescript')}`,
  `@types/node@${workspaceVersion('@types/node')}`,
  `vite@${workspaceVersion('vite', join(root, 'packages', 'mnist'))}`,
];
const install = step(
  'npm install the three tarballs (+ typescript, @types/node, vite)',
  'npm',
  ['install', '--no-audit', '--no-fund', '--loglevel=error', ...readdirSync(tarballs).map((f) => join(tarballs, f)), ...tools],
  { cwd: app },
);
if (install.status !== 0) process.exit(1);
// The @nabla packages must come from the tarballs, never from a registry.
for (const name of PACKAGES) {
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  const entry = lock.packages[`node_modules/@nabla/${name}`];
  if (!entry?.resolved?.startsWith('file:')) {
    console.log(`FAIL @nabla/${name} was not installed from its tarball: ${JSON.stringify(entry)}`);
    failures++;
  }
}

// Every file the installed packages' exports and bin name is in the tarball.
for (const name of PACKAGES) {
  const dir = join(app, 'node_modules', '@nabla', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const named = [...Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.entries(t).filter(([c]) => c !== '@nabla/source').map(([, f]) => f))), ...Object.values(pkg.bin ?? {})];
  const missing = named.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    console.log(`FAIL @nabla/${name}: the tarball lacks ${missing.join(', ')}`);
    failures++;
  }
}

// 3. Plain ESM: train XOR with backward(), save and load (node entry), the helper thread.
writeFileSync(
  join(app, 'train.mjs'),
  `import { createKernels, tensor } from '@nabla/core';
import { withHelperThread } from '@nabla/core/threads';
import { Network, SGD } from '@nabla/nn';
import { loadModel, saveModel } from '@nabla/nn/node';
import { preprocessDigit } from '@nabla/mnist';
import { loadMnist } from '@nabla/mnist/node';
import assert from 'node:assert/strict';

const X = tensor([[0, 0, 1, 1], [0, 1, 0, 1]]);
const Y = tensor([[0, 1, 1, 0]]);
const net = new Network([2, 2, 1], { seed: 1 });
const optimizer = new SGD(net.parameters(), { eta: 4 });
const first = net.loss(X, Y).item();
let cost = first;
for (let epoch = 0; epoch < 2000; epoch++) {
  net.zeroGrad();
  const c = net.loss(X, Y);
  c.backward();
  optimizer.step();
  cost = c.item();
}
assert.ok(cost < first / 10, \`cost did not fall: \${first} -> \${cost}\`);
console.log('xor cost', first.toFixed(4), '->', cost.toFixed(6));

await saveModel('xor.json', net);
const again = await loadModel('xor.json');
assert.deepEqual(Array.from(again.feedforward(X).data), Array.from(net.feedforward(X).data));

// The helper thread starts dist/kernels/gemm-worker.js.
const k = withHelperThread(createKernels('float64', { bytes: 1 << 22, shared: true }));
const [M, N, K] = [30, 13, 784];
const A = k.alloc(M * K).fill(1), B = k.alloc(K * N).fill(2), C = k.alloc(M * N);
const deadline = Date.now() + 10_000;
while (k.jobs === 0 && Date.now() < deadline) {
  k.gemmNN(M, N, K, A, B, C, false);
  await new Promise((r) => setTimeout(r, 5));
}
assert.ok(k.jobs > 0, 'the helper thread never answered');
assert.equal(C[0], 2 * K);
k.close();

const { test } = await loadMnist({ testLimit: 10, limit: 10 });
assert.equal(test.count, 10);
assert.equal(preprocessDigit(new Uint8Array(28 * 28), 28, 28).length, 784);
console.log('ok');
`,
);
step('node train.mjs (ESM: backward(), @nabla/nn/node, @nabla/core/threads, @nabla/mnist/node)', process.execPath, ['train.mjs'], { cwd: app });

// 4. CommonJS: require of the ES module build.
writeFileSync(
  join(app, 'require.cjs'),
  `const assert = require('node:assert/strict');
const { tensor } = require('@nabla/core');
const { Dense } = require('@nabla/nn');
const a = tensor(-4, { requiresGrad: true });
const b = tensor(2, { requiresGrad: true });
a.mul(b).add(b.pow(3)).backward();
assert.equal(a.grad.item(), 2);
assert.equal(b.grad.item(), 8);
assert.equal(typeof Dense, 'function');
console.log('ok');
`,
);
step('node require.cjs (CommonJS require of @nabla/core and @nabla/nn)', process.execPath, ['require.cjs'], { cwd: app });

// 5. TypeScript consumers: tsc --noEmit, strict, no skipLibCheck, no other flags.
writeFileSync(
  join(app, 'consumer.ts'),
  `import { type Tensor, createKernels, grad, tensor } from '@nabla/core';
import { withHelperThread } from '@nabla/core/threads';
import { Dense, Network, SGD, crossEntropy } from '@nabla/nn';
import { loadModel, saveModel } from '@nabla/nn/node';
import { type IdxArray, preprocessDigit, readIdx } from '@nabla/mnist';
import { type TrainOptions, train } from '@nabla/mnist/node';

const x: Tensor = tensor([[1, 2], [3, 4]], { requiresGrad: true });
const [dx] = grad((t: Tensor) => t.square().sum())(x);
const net = new Network([2, 3, 1], { seed: 1 });
const layer = new Dense(2, 3);
const optimizer = new SGD(net.parameters(), { eta: 1 });
const options: TrainOptions = { epochs: 1, limit: 100 };
const parsed: (bytes: Uint8Array) => IdxArray = (bytes) => readIdx(bytes, 'x');
export const used = [dx?.shape, layer, optimizer, options, parsed, crossEntropy, preprocessDigit, saveModel, loadModel, train, withHelperThread, createKernels];
`,
);
// The same program under each resolution a TypeScript user may have; and a browser-only program
// (bundler, DOM, no @types/node) importing the browser entries, which must not need Node's types.
writeFileSync(
  join(app, 'browser.ts'),
  `import { type Tensor, createKernels, tensor } from '@nabla/core';
import { Network, SGD } from '@nabla/nn';
import { preprocessDigit } from '@nabla/mnist';

const t: Tensor = tensor([1, 2, 3]);
const net = new Network([2, 3, 1], { seed: 1 });
export const used = [t, new SGD(net.parameters(), { eta: 1 }), createKernels('float32', { bytes: 1 << 16 }), preprocessDigit];
`,
);
writeFileSync(join(app, 'consumer.mts'), readFileSync(join(app, 'consumer.ts')));
const tsconfigs = {
  nodenext: { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] }, files: ['consumer.ts'] },
  // NOTE: node16 has no require of ES modules: there the consumer must be an ES module itself
  // (.mts, or "type": "module"); nodenext (TypeScript ≥ 5.8) takes a CommonJS consumer too.
  node16: { compilerOptions: { module: 'node16', moduleResolution: 'node16', types: ['node'] }, files: ['consumer.mts'] },
  bundler: { compilerOptions: { module: 'preserve', moduleResolution: 'bundler', types: ['node'] }, files: ['consumer.ts'] },
  'bundler-browser': { compilerOptions: { module: 'preserve', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] }, files: ['browser.ts'] },
};
for (const [name, config] of Object.entries(tsconfigs)) {
  writeFileSync(
    join(app, `tsconfig.${name}.json`),
    JSON.stringify({ ...config, compilerOptions: { target: 'es2022', strict: true, noEmit: true, ...config.compilerOptions } }, null, 2),
  );
  step(`tsc --noEmit under ${name} (${config.files[0]})`, process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${name}.json`], { cwd: app });
}

// 6. A page bundled by Vite from the browser entries, run in Debian's chromium.
mkdirSync(join(app, 'page'));
writeFileSync(join(app, 'page', 'index.html'), '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><output id="out">…</output><script type="module" src="./main.js"></script></body></html>\n');
writeFileSync(
  join(app, 'page', 'main.js'),
  `import { tensor, createKernels } from '@nabla/core';
import { Network, SGD } from '@nabla/nn';
import { preprocessDigit } from '@nabla/mnist';

const X = tensor([[0, 0, 1, 1], [0, 1, 0, 1]]);
const Y = tensor([[0, 1, 1, 0]]);
const net = new Network([2, 2, 1], { seed: 1 });
const optimizer = new SGD(net.parameters(), { eta: 4 });
const first = net.loss(X, Y).item();
let cost = first;
for (let epoch = 0; epoch < 500; epoch++) {
  net.zeroGrad();
  const c = net.loss(X, Y);
  c.backward();
  optimizer.step();
  cost = c.item();
}
const k = createKernels('float32', { bytes: 1 << 16 });
const inputs = preprocessDigit(new Uint8Array(28 * 28 * 4), 28, 28);
document.getElementById('out').textContent = cost < first && inputs.length === 784 && k.dtype === 'float32' ? 'trained ' + cost.toFixed(4) : 'wrong ' + cost;
`,
);
writeFileSync(
  join(app, 'page.mjs'),
  `import { build, preview } from 'vite';
import playwright from ${JSON.stringify(pathToFileURL(createRequire(join(root, 'packages', 'mnist', 'package.json')).resolve('playwright-core')).href)};
const { chromium } = playwright;

const warnings = [];
const logger = { hasWarned: false, info() {}, warn(m) { warnings.push(m); }, warnOnce(m) { warnings.push(m); }, error(m) { warnings.push(m); }, clearScreen() {}, hasErrorLogged() { return false; } };
await build({ root: 'page', logLevel: 'warn', customLogger: logger, build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' } });
if (warnings.length > 0) {
  console.error('vite build warned:\\n' + warnings.join('\\n'));
  process.exit(1);
}
const server = await preview({ root: 'page', logLevel: 'warn', build: { outDir: 'dist' }, preview: { host: '127.0.0.1', port: 0, open: false } });
const browser = await chromium.launch({ executablePath: ${JSON.stringify(chromiumPath)}, headless: true, args: ${JSON.stringify(CHROMIUM_ARGS)} });
const errors = [];
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console.error: ' + m.text()); });
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForFunction(() => document.getElementById('out')?.textContent !== '…', null, { timeout: 20_000 });
  const text = await page.textContent('#out');
  if (!text.startsWith('trained') || errors.length > 0) throw new Error('page says ' + JSON.stringify(text) + (errors.length ? '\\n' + errors.join('\\n') : ''));
  console.log(text);
} finally {
  await browser.close();
  await new Promise((done) => server.httpServer.close(done));
}
`,
);
if (!existsSync(chromiumPath)) {
  console.log(`FAIL no chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  failures++;
} else {
  step('vite build of a page importing core, nn and mnist, with no warning; runs in chromium', process.execPath, ['page.mjs'], { cwd: app });
}

// 7. The command line, as installed.
step('npx nabla-mnist train --epochs 1 --limit 1000', 'npx', ['--no-install', 'nabla-mnist', 'train', '--epochs', '1', '--limit', '1000'], { cwd: app });

console.log(`== consumer check: ${failures === 0 ? 'passed' : `${failures} failed`} in ${seconds()}`);
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`   kept ${work}`);
process.exit(failures === 0 ? 0 : 1);
