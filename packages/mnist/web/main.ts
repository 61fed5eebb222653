// Wires the page: pad → preprocessDigit → the model (@nabla/nn) → prediction and bars; model
// and metrics files; the training chart. Hooks for tests are data-testid attributes (README).
import { DIGIT_SIZE, preprocessDigit } from '../src/preprocess.ts';
import { renderChart } from './chart.ts';
import { parseMetrics } from './metrics.ts';
import { type Classification, type Model, OUTPUTS, classify, describeModel, modelFromText } from './model.ts';
import { createPad } from './pad.ts';

function byTestId<T extends Element>(id: string): T {
  const node = document.querySelector<T>(`[data-testid="${id}"]`);
  if (node === null) throw new Error(`index.html has no element with data-testid="${id}"`);
  return node;
}

const root = document.querySelector('main')!;
const padCanvas = byTestId<HTMLCanvasElement>('pad');
const clearButton = byTestId<HTMLButtonElement>('clear');
const preview = byTestId<HTMLCanvasElement>('input-preview');
const prediction = byTestId<HTMLOutputElement>('prediction');
const bars = byTestId<HTMLElement>('probabilities');
const normalisationNote = byTestId<HTMLElement>('normalisation');
const inferenceTime = byTestId<HTMLElement>('inference-time');
const modelInfo = byTestId<HTMLElement>('model-info');
const modelFile = byTestId<HTMLInputElement>('model-file');
const errorBox = byTestId<HTMLElement>('error');
const chart = byTestId<SVGSVGElement>('chart');
const metricsInfo = byTestId<HTMLElement>('metrics-info');
const metricsFile = byTestId<HTMLInputElement>('metrics-file');

const previewCtx = preview.getContext('2d')!;
let net: Model | null = null;

// ------------------------------------------------------------------------------ bars

const rows = Array.from({ length: OUTPUTS }, (_, digit) => {
  const row = document.createElement('div');
  row.className = 'bar';
  row.dataset['digit'] = String(digit);
  row.dataset['value'] = '0';
  row.setAttribute('role', 'listitem');
  row.innerHTML = `<span class="digit">${digit}</span><span class="track"><span class="fill"></span></span><span class="pct"></span>`;
  bars.append(row);
  return { row, fill: row.querySelector<HTMLElement>('.fill')!, pct: row.querySelector<HTMLElement>('.pct')! };
});

const NOTES: Record<Classification['normalisation'], string> = {
  softmax: 'Softmax output layer: the ten outputs are probabilities and sum to 1.',
  sum: 'Sigmoid outputs normalised: each output divided by the sum of the ten, so the bars sum to 1.',
  'softmax-of-outputs': 'Outputs normalised with a softmax (they can be negative), so the bars sum to 1.',
  'softmax-of-logits': 'The last layer gives ten logits; a softmax turns them into probabilities that sum to 1.',
};

function showClassification(c: Classification | null): void {
  prediction.textContent = c === null ? '' : String(c.digit);
  rows.forEach(({ row, fill, pct }, digit) => {
    const p = c === null ? 0 : c.probabilities[digit]!;
    row.dataset['value'] = String(p);
    row.classList.toggle('best', c !== null && digit === c.digit);
    row.title = c === null ? '' : `${digit}: ${(100 * p).toFixed(2)}% (raw output ${c.outputs[digit]!.toPrecision(4)})`;
    fill.style.width = `${(100 * p).toFixed(2)}%`;
    pct.textContent = c === null ? '' : `${(100 * p).toFixed(1)}%`;
  });
  normalisationNote.textContent = c === null ? '' : NOTES[c.normalisation];
  normalisationNote.dataset['mode'] = c === null ? '' : c.normalisation;
}

// ------------------------------------------------------------------------------ drawing → network

function drawPreview(input: Float64Array): void {
  const image = previewCtx.createImageData(DIGIT_SIZE, DIGIT_SIZE);
  input.forEach((v, i) => {
    const g = Math.round(255 * v); // MNIST's look: white ink on black
    image.data[4 * i] = g;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = g;
    image.data[4 * i + 3] = 255;
  });
  previewCtx.putImageData(image, 0, 0);
}

function update(): void {
  const { data, width, height } = pad.pixels();
  const input = preprocessDigit(data, width, height);
  drawPreview(input);
  const empty = input.every((v) => v === 0);
  root.dataset['empty'] = String(empty);
  showClassification(empty || net === null ? null : timedClassify(net, input));
}

// The time of each classification (preprocessing excluded), shown and kept in data-ms.
function timedClassify(model: Model, input: Float64Array): Classification {
  const start = performance.now();
  const c = classify(model, input);
  const ms = performance.now() - start;
  performance.measure('classify', { start, duration: ms });
  inferenceTime.dataset['ms'] = String(ms);
  inferenceTime.textContent = `${ms.toFixed(1)} ms`;
  return c;
}

// At most one update per frame, however many pointer events arrive.
let pending = false;
function scheduleUpdate(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    update();
  });
}

const pad = createPad(padCanvas, scheduleUpdate);
clearButton.addEventListener('click', () => pad.clear());

// ------------------------------------------------------------------------------ files

function showError(message: string | null): void {
  errorBox.textContent = message ?? '';
  errorBox.hidden = message === null;
}

function useModel(next: Model, name: string, loaded = ''): void {
  net = next;
  modelInfo.textContent = `${name}: ${describeModel(next)}${loaded}`;
  modelInfo.dataset['name'] = name;
  update();
}

function showMetrics(text: string, name: string): void {
  const points = parseMetrics(text, name);
  renderChart(chart, points);
  const best = points.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;
  metricsInfo.textContent =
    best.test === undefined
      ? `${name}: ${points.length} epochs, best test accuracy ${pct(best.accuracy)} at epoch ${best.epoch}`
      : `${name}: ${points.length} epochs, best validation accuracy ${pct(best.accuracy)} at epoch ${best.epoch} (test accuracy ${pct(best.test)})`;
}

async function fetchText(file: string): Promise<string> {
  const response = await fetch(new URL(file, document.baseURI));
  if (!response.ok) throw new Error(`${file}: could not be loaded (HTTP ${response.status})`);
  return response.text();
}

/** A file fetched from beside the page: its text, the bytes that came over the wire, and its name. */
interface Fetched {
  readonly text: string;
  readonly bytes: number;
  readonly file: string;
}

// The body's size as sent, before any Content-Encoding was undone (Resource Timing), or
// `fallback` when the browser does not say.
function wireBytes(response: Response, fallback: number): number {
  const entries = performance.getEntriesByName(response.url, 'resource') as PerformanceResourceTiming[];
  const size = entries[entries.length - 1]?.encodedBodySize ?? 0;
  return size > 0 ? size : fallback;
}

// A server that answers a missing file with the page itself (an SPA fallback) has not got it.
async function fetchIfThere(file: string): Promise<Response | null> {
  const response = await fetch(new URL(file, document.baseURI));
  if (response.status === 404 || (response.ok && (response.headers.get('content-type') ?? '').startsWith('text/html'))) return null;
  if (!response.ok) throw new Error(`${file}: could not be loaded (HTTP ${response.status})`);
  return response;
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The default model: `model.json.gz`, inflated here with DecompressionStream('gzip'), or, if
 * there is none, `model.json`. A server that sends the .gz with Content-Encoding: gzip has
 * already inflated it; the gzip magic bytes tell the two apart.
 */
async function fetchModel(): Promise<Fetched> {
  const gz = await fetchIfThere('model.json.gz');
  if (gz !== null) {
    const bytes = new Uint8Array(await gz.arrayBuffer());
    const plain = isGzip(bytes) ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text() : new TextDecoder().decode(bytes);
    return { text: plain, bytes: wireBytes(gz, bytes.length), file: 'model.json.gz' };
  }
  const json = await fetchIfThere('model.json');
  if (json === null) throw new Error('model.json.gz, model.json: not found beside the page');
  const text = await json.text();
  return { text, bytes: wireBytes(json, new TextEncoder().encode(text).length), file: 'model.json' };
}

// Fetching, inflating, parsing and building the default model, timed; data-bytes, data-load-ms
// and data-fetch-ms (fetching and inflating alone) on model-info give the figures to tests.
async function loadDefaultModel(): Promise<void> {
  const start = performance.now();
  const { text, bytes, file } = await fetchModel();
  const fetched = performance.now();
  const model = modelFromText(text, file);
  const ms = performance.now() - start;
  modelInfo.dataset['bytes'] = String(bytes);
  modelInfo.dataset['loadMs'] = String(ms);
  modelInfo.dataset['fetchMs'] = String(fetched - start);
  useModel(model, `${file} (default)`, ` — ${(bytes / 1e6).toFixed(2)} MB loaded in ${Math.round(ms)} ms`);
}

// A bad file leaves the model (or chart) that was there before in place.
modelFile.addEventListener('change', async () => {
  const file = modelFile.files?.[0];
  if (file === undefined) return;
  try {
    useModel(modelFromText(await file.text(), file.name), file.name);
    showError(null);
  } catch (e) {
    showError(`${(e as Error).message} — still using ${modelInfo.dataset['name'] ?? 'no model'}`);
  } finally {
    modelFile.value = ''; // so choosing the same file again fires `change`
  }
});

metricsFile.addEventListener('change', async () => {
  const file = metricsFile.files?.[0];
  if (file === undefined) return;
  try {
    showMetrics(await file.text(), file.name);
    showError(null);
  } catch (e) {
    showError((e as Error).message);
  } finally {
    metricsFile.value = '';
  }
});

async function start(): Promise<void> {
  const [model, metrics] = await Promise.allSettled([
    loadDefaultModel(),
    fetchText('metrics.jsonl').then((text) => showMetrics(text, 'metrics.jsonl (default)')),
  ]);
  const problems = [model, metrics].filter((r) => r.status === 'rejected').map((r) => String((r.reason as Error).message));
  if (net === null) modelInfo.textContent = 'No model loaded: choose a model.json file.';
  showError(problems.length > 0 ? problems.join('\n') : null);
  root.dataset['ready'] = 'true';
}

update();
void start();
