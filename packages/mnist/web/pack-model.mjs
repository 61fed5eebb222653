// Packs a model file written by `nabla-mnist train --out` for the page: every non-integer number
// rounded to a few significant digits (float64's 17 carry nothing the digits need), then gzipped.
// The page inflates it with DecompressionStream('gzip').
//
//   node packages/mnist/web/pack-model.mjs IN.json OUT.json.gz [--digits 4]
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const at = args.indexOf('--digits');
const digits = at >= 0 ? Number(args.splice(at, 2)[1]) : 4;
const [input, output] = args;
if (input === undefined || output === undefined || !(Number.isInteger(digits) && digits >= 1 && digits <= 17)) {
  process.stderr.write('usage: node pack-model.mjs IN.json OUT.json.gz [--digits 1–17]\n');
  process.exit(2);
}
const text = readFileSync(input, 'utf8');
const rounded = JSON.stringify(JSON.parse(text), (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(digits)) : v));
// mtime 0 in the gzip header (zlib writes none): the same model always gives the same bytes.
const gz = gzipSync(rounded, { level: 9 });
writeFileSync(output, gz);
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
process.stdout.write(`${input}: ${mb(text.length)} → ${digits} significant digits ${mb(rounded.length)} → gzip ${mb(gz.length)} in ${output}\n`);
