/**
 * The README's "What is in it" table names every op `src/index.ts` exports, so the table
 * cannot fall behind the code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from './index.ts';
import * as ops from './ops.ts';
import * as composite from './composite.ts';
import * as indexing from './indexing.ts';
import * as math from './math.ts';
import * as sampling from './sampling.ts';

describe('README op table', () => {
  it('lists every exported op', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## What is in it'), readme.indexOf('## How it is built'));
    const words = new Set(table.match(/`[^`]+`/g)!.flatMap((cell) => cell.slice(1, -1).split(/[^A-Za-z0-9]+/)));
    const modules = [ops, composite, indexing, math, sampling].flatMap((m) => Object.keys(m));
    const exported = Object.keys(core).filter((name) => modules.includes(name));
    expect(exported.length).toBe(56);
    expect(exported.filter((name) => !words.has(name))).toEqual([]);
  });
});
