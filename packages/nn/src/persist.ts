import { Network } from './network.ts';
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
 * Saves a network as JSON (its `toJSON` form), atomically.
 * @example
 * ```ts
 * await saveModel('model.json', net);
 * ```
 * @param path - the file to write
 * @param net - the network
 */
export async function saveModel(path: string, net: Network): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(net.toJSON()));
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
  const fs = await import('node:fs/promises');
  const text = await fs.readFile(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(path, `not valid JSON (${(e as Error).message})`);
  }
  try {
    return Network.fromJSON(value);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${e.field}`, e.message.slice(e.field.length + 2));
    throw e;
  }
}
