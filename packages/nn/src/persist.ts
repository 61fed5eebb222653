import { Network } from './network.ts';
import { Sequential } from './sequential.ts';
import { type ModelJSON, modelFromJSON, modelToJSON } from './layers.ts';
import { ModelFormatError } from './io.ts';

/**
 * Writes a file atomically: to a temporary file beside it (`<path>.tmp`), flushed, then renamed
 * over the target, so a crash or Ctrl+C leaves either the old file or the new one, never half.
 *
 * NOTE: the temp name is the same for every save to one target, so a save killed midway (SIGKILL,
 * power loss) leaves at most that one file, which the next save replaces; the next save also
 * removes the `<path>.<pid>.<ms>.tmp` files older versions left. Two processes saving to the
 * same target at the same moment are not supported.
 * @example
 * ```ts
 * await writeFileAtomic('model.json', JSON.stringify(net));
 * ```
 * @param path - the target file
 * @param text - the contents
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  // Imported lazily so the browser build of @nabla/nn never touches node:fs.
  const fs = await import('node:fs/promises');
  const tmp = tempPathFor(path);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    // Whatever failed, the target is untouched; leave no half-written temp file beside it.
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await removeOldTempFiles(path);
}

/**
 * The temp file {@link writeFileAtomic} writes before renaming it over `path`: `<path>.tmp`.
 * @example
 * ```ts
 * tempPathFor('out/model.json'); // 'out/model.json.tmp'
 * ```
 * @param path - the target file
 */
export function tempPathFor(path: string): string {
  return `${path}.tmp`;
}

// Earlier versions named temp files <name>.<pid>.<ms>.tmp, one more per killed save.
async function removeOldTempFiles(path: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const name = basename(path);
  let entries: string[];
  try {
    entries = await fs.readdir(dirname(path));
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(`${name}.`) || !/^\.\d+\.\d+\.tmp$/.test(entry.slice(name.length))) continue;
    await fs.rm(join(dirname(path), entry), { force: true });
  }
}

/**
 * Saves a network (Nielsen's `Network`, the version-1 form) or a layer stack (`Sequential` of
 * built-in layers, the version-2 form) as JSON, atomically.
 * @example
 * ```ts
 * await saveModel('model.json', net);
 * await saveModel('conv.json', new Sequential(new Conv2d(1, 20, 5), new MaxPool2d(2), new Flatten(), new Dense(2880, 10)));
 * ```
 * @param path - the file to write
 * @param net - the network or layer stack
 * @throws ModelFormatError, before anything is written, for a layer that cannot be saved or non-finite weights
 */
export async function saveModel(path: string, net: Network | Sequential): Promise<void> {
  let json: unknown;
  if (net instanceof Sequential) {
    const model = modelToJSON(net);
    checkFinite(model);
    json = model;
  } else json = net.toJSON();
  await writeFileAtomic(path, JSON.stringify(json));
}

function checkFinite(json: ModelJSON): void {
  json.layers.forEach((layer, i) => {
    for (const [key, value] of Object.entries(layer)) {
      const flat = Array.isArray(value) ? (value as unknown[]).flat(2) : [];
      const bad = flat.findIndex((v) => typeof v === 'number' && !Number.isFinite(v));
      if (bad >= 0) throw new ModelFormatError(`layers[${i}].${key}`, `holds ${String(flat[bad])} (element ${bad}): a model with non-finite weights is not saved`);
    }
  });
}

/**
 * Loads any model file: a layer stack (version 2, as a `Sequential`), or a `Network` (version 1,
 * or a NumPy-style `{ weights, biases }` file).
 * @example
 * ```ts
 * const model = await loadModule('conv.json');
 * const y = model instanceof Network ? model.feedforward(x) : model.forward(x);
 * ```
 * @param path - the file to read
 * @throws ModelFormatError naming the file and the bad field; the file system's error when it cannot be read
 */
export async function loadModule(path: string): Promise<Network | Sequential> {
  const value = await readJSON(path);
  return withPath(path, () => {
    const o = value as { format?: unknown } | null;
    return typeof o === 'object' && o !== null && 'format' in o ? modelFromJSON(value) : Network.fromJSON(value);
  });
}

async function readJSON(path: string): Promise<unknown> {
  const fs = await import('node:fs/promises');
  const text = await fs.readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelFormatError(path, `not valid JSON (${(e as Error).message})`);
  }
}

function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${e.field}`, e.message.slice(e.field.length + 2));
    throw e;
  }
}

/**
 * Loads a network saved by {@link saveModel}, or a NumPy-style `{ weights, biases }` JSON file.
 * @example
 * ```ts
 * const net = await loadModel('model.json');
 * ```
 * @param path - the file to read
 * @throws ModelFormatError naming the file and the bad field; the file system's error when it cannot be read
 */
export async function loadModel(path: string): Promise<Network> {
  const value = await readJSON(path);
  return withPath(path, () => Network.fromJSON(value));
}
