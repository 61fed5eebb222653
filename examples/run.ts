/**
 * `pnpm example <name>` runs `examples/<name>.ts`; with a missing or unknown name it lists the
 * examples and exits with code 2. Arguments after the name are passed on in `process.argv`.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

const name = process.argv[2];
if (name === undefined || !available.includes(name)) {
  const why = name === undefined ? 'missing example name' : `unknown example '${name}'`;
  console.error(`${why}; usage: pnpm example <name> [args]\n\navailable examples:\n${available.map((n) => `  ${n}`).join('\n')}`);
  process.exit(2);
}

// The example sees its own arguments as if run directly: process.argv.slice(2).
process.argv.splice(2, 1);
await import(pathToFileURL(`${here}/${name}.ts`).href);
