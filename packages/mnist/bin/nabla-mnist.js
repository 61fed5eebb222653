#!/usr/bin/env node
// The CLI run from its TypeScript sources, inside the workspace (the CLI's tests, `node
// packages/mnist/bin/nabla-mnist.js …`): tsx's loader compiles them, and a resolve hook adds the
// `@nabla/source` condition so the other @nabla packages resolve to their sources too, with no
// build. The published command is dist/cli.js (publishConfig.bin).
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

const addSourceCondition = 'export function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "@nabla/source"] }); }';
register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
registerTsx();
await import('../src/cli.ts');
