#!/usr/bin/env node
// The CLI is TypeScript run from source (no build step); tsx's loader makes that work here.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
