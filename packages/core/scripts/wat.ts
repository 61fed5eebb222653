/**
 * What build-wasm.ts (matmul.wat) and build-conv-wasm.ts (conv.wat) share: assembling WebAssembly
 * text, deriving the build that imports a shared memory, rendering a binary as base64 lines of a
 * committed TypeScript module, and writing that module or checking it is up to date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

/**
 * Assembles WAT source with baseline SIMD (relaxed-simd needs a flag in Node 20, see matmul.wat's
 * header) and the threads feature, for the shared builds.
 * @param file - the source's name, for wabt's file:line:col messages
 * @param watSource - the WebAssembly text
 * @throws Error with wabt's message where it can, when the module does not parse or validate
 */
export async function assemble(file: string, watSource: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(file, watSource, { simd: true, threads: true });
  try {
    // NOTE: wabt.js's validate() ignores the threads feature and rejects shared memory, so the
    // binary is validated by the engine that will run it instead.
    const binary = module.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
    if (!WebAssembly.validate(binary)) {
      module.validate(); // throws with wabt's file:line:col message where it can
      throw new Error(`${file}: the assembled module does not validate in this engine`);
    }
    return binary;
  } finally {
    module.destroy();
  }
}

/**
 * The same source with its memory declaration `own` replaced by `shared`, an import of a shared
 * memory (a second thread runs on it).
 * @throws Error when `own` is not in the source
 */
export function sharedVariant(file: string, watSource: string, own: string, shared: string): string {
  if (!watSource.includes(own)) throw new Error(`${file}: expected the line ${own} to derive the shared build`);
  return watSource.replace(own, shared);
}

/** A binary as base64 string literals of 96 characters joined by `+`, ending in `;`. */
export function base64Lines(binary: Uint8Array): string {
  const base64 = Buffer.from(binary).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 96) lines.push(`  '${base64.slice(i, i + 96)}'`);
  return `${lines.join(' +\n')};`;
}

/**
 * Writes the generated module, or with `--check` on the command line exits 1 when the committed
 * one differs from it (CI).
 * @param outPath - the generated module's path
 * @param fresh - its text as the source gives it now
 * @param watName - the source's file name, for the messages
 * @param script - the command that regenerates it
 */
export function writeOrCheck(outPath: string, fresh: string, watName: string, script: string): void {
  const name = outPath.slice(outPath.lastIndexOf('/') + 1);
  if (!process.argv.includes('--check')) {
    writeFileSync(outPath, fresh);
    console.log(`wrote ${outPath}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(outPath, 'utf8');
  } catch {
    // a missing file is simply out of date
  }
  if (committed !== fresh) {
    console.error(`${outPath} is out of date with ${watName}; run: pnpm exec tsx ${script}`);
    process.exit(1);
  }
  console.log(`${name} is up to date`);
}
