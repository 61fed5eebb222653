/**
 * The generated conv.wasm.ts is what conv.wat assembles to (beside the matrix kernels' own check;
 * left out of the mutation run, whose copy of the repository regenerates nothing).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('scripts/build-conv-wasm.ts --check', () => {
  it('finds conv.wasm.ts up to date with conv.wat', () => {
    const script = fileURLToPath(new URL('../../scripts/build-conv-wasm.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });
});
